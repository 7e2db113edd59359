/**
 * Order keys (fractional indexing): strings that sort like the array positions they stand for, with
 * room between any two of them, so that inserting or moving one item of an ordered collection writes
 * one row instead of renumbering its neighbours.
 *
 * A key is an integer part followed by an optional fraction. The integer part's first character says
 * how many digits follow: `a`..`z` for 1..26 digits (non-negative side), `Z`..`A` for 1..26 digits
 * (negative side), so appending or prepending grows keys only logarithmically. The fraction is used
 * only between two keys with adjacent integer parts; it never ends in the zero digit, which keeps room
 * on both sides. Digits are base 62 in ASCII order, so SQLite's default BINARY collation and JavaScript
 * `<` both sort keys correctly.
 */

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const BASE = DIGITS.length
const ZERO = DIGITS[0] as string
const TOP = DIGITS[BASE - 1] as string
const SMALLEST_INTEGER = 'A' + ZERO.repeat(26)

/** Keys longer than this are a sign of many insertions at one spot; the collection is renumbered. */
export const MAX_ORDER_KEY_LENGTH = 48

function digitValue(char: string): number {
  const value = DIGITS.indexOf(char)
  if (value < 0) throw new RangeError(`invalid order key digit ${JSON.stringify(char)}`)
  return value
}

function integerLength(head: string): number {
  if (head >= 'a' && head <= 'z') return head.charCodeAt(0) - 97 + 2
  if (head >= 'A' && head <= 'Z') return 90 - head.charCodeAt(0) + 2
  throw new RangeError(`invalid order key head ${JSON.stringify(head)}`)
}

function integerPart(key: string): string {
  const length = integerLength(key.charAt(0))
  if (length > key.length) throw new RangeError(`invalid order key ${JSON.stringify(key)}`)
  return key.slice(0, length)
}

/** Throws a RangeError unless `key` is a well-formed order key. */
export function assertOrderKey(key: string): void {
  if (key === SMALLEST_INTEGER) throw new RangeError(`invalid order key ${JSON.stringify(key)}`)
  const integer = integerPart(key)
  for (const char of key) digitValue(char)
  if (key.length > integer.length && key.endsWith(ZERO)) {
    throw new RangeError(`invalid order key ${JSON.stringify(key)}`)
  }
}

/** A fraction strictly between `low` and `high` (`null` meaning one); neither ends in the zero digit. */
function midpoint(low: string, high: string | null): string {
  if (high !== null) {
    let shared = 0
    while ((low[shared] ?? ZERO) === high[shared]) shared++
    if (shared > 0) return high.slice(0, shared) + midpoint(low.slice(shared), high.slice(shared))
  }
  const lowDigit = low === '' ? 0 : digitValue(low.charAt(0))
  const highDigit = high === null ? BASE : digitValue(high.charAt(0))
  if (highDigit - lowDigit > 1) return DIGITS.charAt(Math.round((lowDigit + highDigit) / 2))
  if (high !== null && high.length > 1) return high.charAt(0)
  return DIGITS.charAt(lowDigit) + midpoint(low.slice(1), null)
}

function incrementInteger(integer: string): string | null {
  const head = integer.charAt(0)
  const digits = integer.slice(1).split('')
  for (let i = digits.length - 1; i >= 0; i--) {
    const value = digitValue(digits[i] as string)
    if (value < BASE - 1) {
      digits[i] = DIGITS.charAt(value + 1)
      return head + digits.join('')
    }
    digits[i] = ZERO
  }
  if (head === 'Z') return 'a' + ZERO
  if (head === 'z') return null
  const nextHead = String.fromCharCode(head.charCodeAt(0) + 1)
  const nextLength = integerLength(nextHead) - 1
  return nextHead + ZERO.repeat(nextLength)
}

function decrementInteger(integer: string): string | null {
  const head = integer.charAt(0)
  const digits = integer.slice(1).split('')
  for (let i = digits.length - 1; i >= 0; i--) {
    const value = digitValue(digits[i] as string)
    if (value > 0) {
      digits[i] = DIGITS.charAt(value - 1)
      return head + digits.join('')
    }
    digits[i] = TOP
  }
  if (head === 'a') return 'Z' + TOP
  if (head === 'A') return null
  const previousHead = String.fromCharCode(head.charCodeAt(0) - 1)
  const previousLength = integerLength(previousHead) - 1
  return previousHead + TOP.repeat(previousLength)
}

/**
 * An order key that sorts strictly between `low` and `high`; `null` stands for "no bound".
 * Throws a RangeError when a bound is malformed or `low >= high`.
 */
export function orderKeyBetween(low: string | null, high: string | null): string {
  if (low !== null) assertOrderKey(low)
  if (high !== null) assertOrderKey(high)
  if (low !== null && high !== null && low >= high) {
    throw new RangeError(`order keys out of order: ${low} >= ${high}`)
  }
  if (low === null) {
    if (high === null) return 'a' + ZERO
    const integer = integerPart(high)
    const fraction = high.slice(integer.length)
    if (integer === SMALLEST_INTEGER) return integer + midpoint('', fraction)
    if (integer < high) return integer
    const previous = decrementInteger(integer)
    if (previous === null) throw new RangeError('order key space exhausted')
    return previous
  }
  const integer = integerPart(low)
  const fraction = low.slice(integer.length)
  if (high === null) {
    const next = incrementInteger(integer)
    return next === null ? integer + midpoint(fraction, null) : next
  }
  const highInteger = integerPart(high)
  if (integer === highInteger) return integer + midpoint(fraction, high.slice(integer.length))
  const next = incrementInteger(integer)
  if (next === null) throw new RangeError('order key space exhausted')
  if (next < high) return next
  return integer + midpoint(fraction, null)
}

/**
 * `count` ascending order keys strictly between `low` and `high`. Between two bounds the keys are
 * chosen by halving, so their length grows with log(count), not with count.
 */
export function orderKeysBetween(low: string | null, high: string | null, count: number): string[] {
  if (count <= 0) return []
  if (count === 1) return [orderKeyBetween(low, high)]
  if (high === null) {
    const keys: string[] = []
    let key = low
    for (let i = 0; i < count; i++) {
      key = orderKeyBetween(key, null)
      keys.push(key)
    }
    return keys
  }
  if (low === null) {
    const keys: string[] = []
    let key: string = high
    for (let i = 0; i < count; i++) {
      key = orderKeyBetween(null, key)
      keys.push(key)
    }
    return keys.reverse()
  }
  const half = Math.floor(count / 2)
  const middle = orderKeyBetween(low, high)
  return [...orderKeysBetween(low, middle, half), middle, ...orderKeysBetween(middle, high, count - half - 1)]
}
