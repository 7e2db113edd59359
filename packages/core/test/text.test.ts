import { afterEach, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import type * as TextModuleNs from '../src/schema/text'

type TextModule = typeof TextModuleNs

// Units SQLite's UTF-8 text cannot keep, or that the escape uses, mixed into arbitrary text.
const risky = fc.constantFrom('\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\u0000', '\uFDD0', '😀', '\uD83D', '\uDE00')
const text = fc
  .array(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), risky), { maxLength: 8 })
  .map((parts) => parts.join(''))

const wellFormed = (s: string): boolean =>
  !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)
const storable = (s: string): boolean => wellFormed(s) && !s.includes('\u0000') && !s.includes('\uFDD0')

const original = Object.getOwnPropertyDescriptor(String.prototype, 'isWellFormed')

async function load(withNative: boolean): Promise<TextModule> {
  vi.resetModules()
  if (!withNative) delete (String.prototype as { isWellFormed?: unknown }).isWellFormed
  const module = await import('../src/schema/text')
  if (original !== undefined) Object.defineProperty(String.prototype, 'isWellFormed', original)
  return module
}

afterEach(() => {
  if (original !== undefined) Object.defineProperty(String.prototype, 'isWellFormed', original)
})

describe.each([
  { engine: 'with String.prototype.isWellFormed', native: true },
  { engine: 'without it (older engines)', native: false },
])('text stored in TEXT columns and keys, $engine', ({ native }) => {
  it('loads back every string exactly, and stores as it is every string SQLite can hold', async () => {
    const { decodeText, encodeText } = await load(native)
    fc.assert(
      fc.property(text, (s) => {
        const stored = encodeText(s)
        expect(decodeText(stored)).toBe(s)
        // What is stored is well-formed text without NUL, which every engine keeps as it is.
        expect(wellFormed(stored) && !stored.includes('\u0000')).toBe(true)
        expect(stored === s).toBe(storable(s))
      }),
      { numRuns: 2000 },
    )
  })

  it('keeps two strings apart when SQLite would make them one', async () => {
    const { encodeText } = await load(native)
    fc.assert(
      fc.property(text, text, (a, b) => {
        if (a !== b) expect(encodeText(a)).not.toBe(encodeText(b))
      }),
      { numRuns: 2000 },
    )
    expect(encodeText('a\uD800')).not.toBe(encodeText('a\uFFFD'))
    expect(encodeText('a\uD800')).toBe('\uFDD0a\uFDD0d800')
  })
})

describe('text stored before strings were escaped', () => {
  it('loads a stored value that starts with U+FDD0 but is no escape as it is', async () => {
    const { decodeText } = await load(true)
    for (const old of ['\uFDD0abc', '\uFDD0', '\uFDD0\uFDD0zzzz', '\uFDD0a\uFDD0d80']) expect(decodeText(old)).toBe(old)
  })
})
