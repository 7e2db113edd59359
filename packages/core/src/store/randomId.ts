// The 64 URL-safe characters of nanoid's alphabet: ids stay compatible with those apps already store.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'

/**
 * A random id of `size` URL-safe characters, as `nanoid(size)` makes them, from `crypto.getRandomValues`.
 * Built in one piece: a string concatenated character by character stays a rope, slow to compare.
 *
 * @example
 * ```ts
 * randomId() // 'V1StGXR8_Z5jdHi6B-myT'
 * ```
 */
export function randomId(size = 21): string {
  const bytes = new Uint8Array(size)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (byte) => ALPHABET[byte & 63]).join('')
}
