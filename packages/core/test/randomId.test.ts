import { describe, expect, it } from 'vitest'
import { randomId } from '@zustand-sqlite/core'

describe('randomId', () => {
  it('makes ids of the asked size from the 64 URL-safe characters, without repeats in practice', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{21}$/)
    expect(randomId(8)).toMatch(/^[A-Za-z0-9_-]{8}$/)
  })
})
