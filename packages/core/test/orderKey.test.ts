import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { orderKeyBetween, orderKeysBetween } from '@zustand-sqlite/core'

describe('order keys', () => {
  it('always fall strictly between their bounds, for any sequence of insertions', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 300 }), (positions) => {
        const keys: string[] = []
        for (const p of positions) {
          const i = p % (keys.length + 1)
          const key = orderKeyBetween(keys[i - 1] ?? null, keys[i] ?? null)
          keys.splice(i, 0, key)
        }
        const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        expect(keys).toEqual(sorted)
        expect(new Set(keys).size).toBe(keys.length)
      }),
    )
  })

  it('grow logarithmically when items are always prepended or appended', () => {
    let first: string | null = null
    let last: string | null = null
    for (let i = 0; i < 100_000; i++) {
      first = orderKeyBetween(null, first)
      last = orderKeyBetween(last, null)
    }
    expect((first as string).length).toBeLessThanOrEqual(5)
    expect((last as string).length).toBeLessThanOrEqual(5)
    expect(first! < last!).toBe(true)
  })

  it('makes n keys between two bounds with length growing with log(n)', () => {
    const keys = orderKeysBetween('a0', 'a1', 10_000)
    expect(keys).toHaveLength(10_000)
    for (let i = 1; i < keys.length; i++) expect(keys[i - 1]! < keys[i]!).toBe(true)
    expect(keys[0]! > 'a0' && keys.at(-1)! < 'a1').toBe(true)
    expect(Math.max(...keys.map((k) => k.length))).toBeLessThanOrEqual(8)
  })

  it('refuses malformed or out-of-order bounds', () => {
    expect(() => orderKeyBetween('a1', 'a0')).toThrow(RangeError)
    expect(() => orderKeyBetween('a0', 'a0')).toThrow(RangeError)
    expect(() => orderKeyBetween('!', null)).toThrow(RangeError)
    expect(() => orderKeyBetween('a10', null)).toThrow(RangeError)
  })
})
