import { ZustandSqliteError } from './errors'
import type { SqlValue } from './sqlValue'

// The JSON form of SQL values, for ChangeSets and loaded rows sent over HTTP. JSON has no bigint and no bytes: an
// integer beyond 2^53 travels as `{ "$bigint": "digits" }`, a blob as `{ "$bytes": "base64" }`; every other value
// as itself.

/** A SQL value as JSON carries it. */
export type WireValue = string | number | null | { readonly $bigint: string } | { readonly $bytes: string }

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

const isWireObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

/** A SQL value for JSON. */
export function toWireValue(value: SqlValue): WireValue {
  if (typeof value === 'bigint') return { $bigint: value.toString() }
  if (value instanceof Uint8Array) return { $bytes: toBase64(value) }
  return value
}

/**
 * Anything for JSON, deeply: arrays and plain objects are walked, bigints and bytes encoded (a ChangeSet, a
 * `LoadResult`, an `ApplyResult`).
 */
export function toWire(value: unknown): unknown {
  if (typeof value === 'bigint' || value instanceof Uint8Array) return toWireValue(value)
  if (Array.isArray(value)) return value.map(toWire)
  if (isWireObject(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toWire(inner)]))
  return value
}

/**
 * A SQL value from JSON. Throws INVALID_CHANGESET, naming `path`, for anything else than a string, a finite
 * number, `null`, `{ "$bigint": digits }` or `{ "$bytes": base64 }`.
 */
export function fromWireValue(value: unknown, path: string): SqlValue {
  if (value === null || typeof value === 'string') return value
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (isWireObject(value) && Object.keys(value).length === 1) {
    const { $bigint, $bytes } = value
    if (typeof $bigint === 'string' && /^-?\d{1,20}$/.test($bigint)) return BigInt($bigint)
    if (typeof $bytes === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test($bytes)) return fromBase64($bytes)
  }
  throw new ZustandSqliteError(
    'INVALID_CHANGESET',
    `${path}: must be a string, a finite number, null, {"$bigint": digits} or {"$bytes": base64}`,
    { path },
  )
}

/** The inverse of {@link toWire}: `$bigint` and `$bytes` objects decoded, deeply. */
export function fromWire(value: unknown, path = '$'): unknown {
  if (Array.isArray(value)) return value.map((inner, i) => fromWire(inner, `${path}[${i}]`))
  if (isWireObject(value)) {
    const keys = Object.keys(value)
    if (keys.length === 1 && (keys[0] === '$bigint' || keys[0] === '$bytes')) return fromWireValue(value, path)
    return Object.fromEntries(keys.map((key) => [key, fromWire(value[key], `${path}.${key}`)]))
  }
  return value
}
