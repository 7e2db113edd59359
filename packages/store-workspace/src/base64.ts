import { ZustandSqliteError } from '@zustand-sqlite/core'

// Base64 (RFC 4648, the standard alphabet, padded) for binary file content in JSON bodies, with `atob` and
// `btoa`: the package runs in browsers as well as on servers, so Node's Buffer is not used.

/** Characters of the alphabet, then at most two `=`. Without nested groups: linear on a body of megabytes. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Bytes per `String.fromCharCode` call: its arguments go on the stack. */
const CHUNK = 0x8000

/** `bytes` as padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  return btoa(binary)
}

/**
 * The bytes of padded base64 `text`. Throws INVALID_VALUE naming `path` for anything else (another
 * alphabet, missing padding, whitespace), rather than guessing what was meant.
 */
export function decodeBase64(text: string, path: string): Uint8Array {
  if (text.length % 4 !== 0 || !BASE64.test(text))
    throw new ZustandSqliteError('INVALID_VALUE', `${path}: expected padded base64 (RFC 4648)`, { path })
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
