/**
 * Stable error codes. Match on `error.code`, never on the message text or on
 * `instanceof` (two copies of this package in one app would break `instanceof`).
 */
export type ZustandSqliteErrorCode =
  /** The database (or one store in it) was written by a newer schema or library than this code knows. Nothing was written. */
  | 'SCHEMA_TOO_NEW'
  /** The stored tables do not match the schema (a column is missing, a DDL migration step is absent). Nothing was written. */
  | 'SCHEMA_MISMATCH'
  /** The file is not a SQLite database, or SQLite reported corruption, or a stored value cannot be decoded. The file is left as it is. */
  | 'CORRUPT_DATABASE'
  /** The database belongs to another application (its `application_id` is not ours). The file is left as it is. */
  | 'FOREIGN_DATABASE'
  /** A value in the state cannot be stored: a cycle, a BigInt, a class instance, a non-finite number, a wrong column type. The message names the path. */
  | 'UNSTORABLE_VALUE'
  /** Two items of one collection share a key. The message names the path. */
  | 'DUPLICATE_KEY'
  /**
   * A change needs rows that hydration left out (`hydrate: 'onDemand'`): an array made in place of
   * `NOT_LOADED`, or a store action on an item whose collection is not loaded. Load it first
   * (`store.persist.loadOnDemand`). The message names the path; the stored rows are kept.
   */
  | 'NOT_LOADED'
  /** A table, column or index name is not a safe SQL identifier. (Store names are bound values: any non-empty string.) */
  | 'INVALID_IDENTIFIER'
  /** A schema definition is inconsistent (unknown column in an index, clashing column names, ...). */
  | 'INVALID_SCHEMA'
  /** An option passed to a factory or to `persistSQLite` is invalid. */
  | 'INVALID_OPTIONS'
  /** A value does not fit a store's state (a wrong type or an unknown field in an update). The message names the path; nothing was written. */
  | 'INVALID_VALUE'
  /** A query function was given the id of something that is not stored (a folder, a conversation). Nothing was written. */
  | 'NOT_FOUND'
  /** Data from a legacy store (a localStorage or IndexedDB envelope) cannot be read: not JSON, no `state` object, no `version`. */
  | 'INVALID_LEGACY_DATA'
  /** A ChangeSet is not valid for the schema it names (unknown table or column, wrong version). Nothing was written. */
  | 'INVALID_CHANGESET'
  /** Two stores claim the same table, or a table of that name already exists and is not ours. Nothing was written. */
  | 'TABLE_CONFLICT'
  /** A write failed and was rolled back whole. The in-memory state is kept and retried on the next change. */
  | 'WRITE_FAILED'
  /** Loading stored state failed. Nothing was written. */
  | 'HYDRATION_FAILED'
  /** The stored state version differs and `migrate` is missing or threw, or a DDL migration statement failed. Stored data is left untouched. */
  | 'MIGRATION_FAILED'
  /** `flush()` was called on a store that has not hydrated (skipHydration, or hydration failed): nothing can be written yet. */
  | 'NOT_HYDRATED'
  /** Another writer (a second tab, another process) replaced the durable image since this one loaded it. This copy refused to overwrite it. */
  | 'CONCURRENT_MODIFICATION'
  /**
   * Another connection held the database locked for longer than the busy timeout (while this one opened
   * it, or wrote). Nothing was written; the same call can be tried again.
   */
  | 'DATABASE_BUSY'
  /**
   * The database refused one row of a write (a constraint it breaks). That row was left out and the rest
   * of the write committed; the message names the path. The row is tried again when it changes.
   */
  | 'ROW_REFUSED'
  /**
   * The engine cannot run here: the browser lacks what it needs (OPFS sync access handles, workers, Web
   * Locks), or a page-only engine was created outside a browser. Nothing was opened; see the backend's
   * page for the fallback.
   */
  | 'UNSUPPORTED_ENVIRONMENT'
  /**
   * The backend cannot do what was asked of it: it has no `applyMany`, so stores cannot commit together
   * on it. Nothing was written.
   */
  | 'UNSUPPORTED_OPERATION'
  /**
   * What a migration wrote does not read back as what it imported (content or counts), or a rollback's
   * legacy value does not hydrate as the SQLite state. The store is left on its previous storage; the
   * message names the first difference.
   */
  | 'VERIFICATION_FAILED'
  /** Reading or writing a legacy storage (localStorage, IndexedDB, a `StateStorage`) failed. Nothing was changed there. */
  | 'LEGACY_STORAGE_FAILED'
  /**
   * A credential sealed at rest cannot be opened (sealed with another key, the key is lost or could not be loaded,
   * the sealed text is corrupt) or sealed. The message names the store, service and field, never the value.
   */
  | 'SECRET_UNAVAILABLE'
  /** A read-only query failed (bad SQL, or it tried to write). */
  | 'QUERY_FAILED'
  /** The backend was closed. */
  | 'BACKEND_CLOSED'

const BRAND = Symbol.for('zustand-sqlite.error')

/** Options for {@link ZustandSqliteError}. */
export interface ZustandSqliteErrorOptions {
  /** The underlying error (a SQLite error, an exception thrown by `migrate`, ...). */
  cause?: unknown
  /** Where in the state the problem is, e.g. `conversations[id="c1"].messages[id="m1"].text`. */
  path?: string
  /** The store the error concerns. */
  store?: string
}

/**
 * The one error class of zustand-sqlite. Every error the library raises or reports through `onError`
 * is one of these, with a stable {@link ZustandSqliteErrorCode} in `code`. A store package adds codes of
 * its own domain (`C`), declared and documented in that package (the workspace's `ALREADY_EXISTS`).
 *
 * @example
 * ```ts
 * import { isZustandSqliteError } from '@zustand-sqlite/core'
 * try { await store.persist.flush() } catch (e) {
 *   if (isZustandSqliteError(e, 'UNSTORABLE_VALUE')) console.warn(e.path)
 * }
 * ```
 */
export class ZustandSqliteError<C extends string = ZustandSqliteErrorCode> extends Error {
  readonly code: C
  readonly path: string | undefined
  readonly store: string | undefined
  readonly [BRAND] = true

  constructor(code: NoInfer<C>, message: string, options: ZustandSqliteErrorOptions = {}) {
    super(`[zustand-sqlite] ${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ZustandSqliteError'
    this.code = code
    this.path = options.path
    this.store = options.store
  }
}

/**
 * True when `error` is a {@link ZustandSqliteError} (from any copy of this package), optionally with
 * the given code: one of core's, or one a store package declares.
 */
export function isZustandSqliteError<C extends string = ZustandSqliteErrorCode>(
  error: unknown,
  code?: C,
): error is ZustandSqliteError<C> {
  if (typeof error !== 'object' || error === null) return false
  if ((error as Record<symbol, unknown>)[BRAND] !== true) return false
  return code === undefined || (error as { code?: unknown }).code === code
}

/** Wraps an unknown error in a ZustandSqliteError with `code`, unless it already is one. */
export function toZustandSqliteError(
  error: unknown,
  code: ZustandSqliteErrorCode,
  message: string,
  options: Omit<ZustandSqliteErrorOptions, 'cause'> = {},
): ZustandSqliteError {
  if (isZustandSqliteError(error)) return error
  const detail = error instanceof Error ? error.message : String(error)
  return new ZustandSqliteError(code, `${message}: ${detail}`, { ...options, cause: error })
}
