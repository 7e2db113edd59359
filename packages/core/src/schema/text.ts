/**
 * Strings in TEXT columns and keys, stored so that every JavaScript string loads back as it was.
 *
 * SQLite keeps TEXT as UTF-8, which cannot hold a lone surrogate (half of an emoji cut by `slice`):
 * engines write U+FFFD instead, so two different ids would share a row. sql.js also cuts text at a NUL
 * when it reads it. Such strings are stored escaped: the marker U+FDD0 (a noncharacter, reserved for
 * internal use), then the string with each lone surrogate, NUL and U+FDD0 written as U+FDD0 and four
 * hex digits. Every other string is stored as it is, so SQL sees ordinary text unchanged.
 */

const MARK = '\uFDD0'
const MARK_CODE = 0xfdd0

// eslint-disable-next-line no-control-regex -- NUL is one of the units escaped
const UNSAFE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\u0000\uFDD0]/g
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_TEST = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\u0000\uFDD0]/

/**
 * True when the string is stored as it is. `isWellFormed` (where the engine has it) is much faster than a
 * regular expression on the long texts of chat messages, and instant on strings of Latin-1 characters.
 */
const isWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed
const plain: (value: string) => boolean =
  isWellFormed === undefined
    ? (value) => !UNSAFE_TEST.test(value)
    : (value) => value.indexOf('\u0000') < 0 && value.indexOf(MARK) < 0 && isWellFormed.call(value)

const ESCAPED = /\uFDD0([0-9a-f]{4})/g

const escapeUnit = (unit: string): string => MARK + unit.charCodeAt(0).toString(16).padStart(4, '0')

/** The stored form of a string: itself, unless it holds what TEXT cannot keep. */
export function encodeText(value: string): string {
  if (plain(value)) return value
  return MARK + value.replace(UNSAFE, escapeUnit)
}

/**
 * The string a stored TEXT value stands for. A value that starts with the marker but is not what
 * encodeText makes (text stored before strings were escaped, or written by other code) is its own string.
 */
export function decodeText(stored: string): string {
  if (stored.charCodeAt(0) !== MARK_CODE) return stored
  const decoded = stored.slice(1).replace(ESCAPED, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
  return encodeText(decoded) === stored ? decoded : stored
}

/** A row key given by the app, as its key columns hold it: every string in its stored form. */
export function encodeKeyValues<V>(key: readonly V[]): V[] {
  return key.map((v) => (typeof v === 'string' ? (encodeText(v) as V) : v))
}
