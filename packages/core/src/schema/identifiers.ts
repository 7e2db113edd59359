import { ZustandSqliteError } from '../contract/errors'

const SAFE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

/** Prefix of the tables zustand-sqlite keeps for itself (`zs_stores`, `zs_kv`, ...). */
export const RESERVED_PREFIX = 'zs_'

/**
 * Throws INVALID_IDENTIFIER unless `name` is a safe SQL identifier: a letter or underscore, then
 * letters, digits or underscores, at most 63 characters, not starting with `sqlite_` (SQLite's) or
 * `zs_` (ours). Identifiers are also always double-quoted in generated SQL; this check keeps names
 * portable and readable.
 */
export function assertIdentifier(name: unknown, what: string): asserts name is string {
  if (typeof name !== 'string' || !SAFE_IDENTIFIER.test(name)) {
    throw new ZustandSqliteError(
      'INVALID_IDENTIFIER',
      `${what} ${JSON.stringify(name)} is not a safe SQL identifier (letters, digits and _, not starting with a digit, at most 63 characters)`,
    )
  }
  const lower = name.toLowerCase()
  if (lower.startsWith('sqlite_') || lower.startsWith(RESERVED_PREFIX)) {
    throw new ZustandSqliteError(
      'INVALID_IDENTIFIER',
      `${what} ${JSON.stringify(name)} uses a reserved prefix (sqlite_, zs_)`,
    )
  }
}

/** Double-quotes an identifier that has passed {@link assertIdentifier}. */
export function quote(name: string): string {
  return `"${name}"`
}

/** `userTitle` -> `user_title`, the default column name of a field. */
export function snakeCase(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
}
