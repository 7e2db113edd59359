import type { ChangeSet } from './changeSet'
import type { SqlValue } from './codec'
import type { SchemaSpec } from './schema'

/** A value, or a promise of it: backends over synchronous engines stay synchronous. */
export type MaybePromise<T> = T | Promise<T>

/** Rows of one table, as arrays in the order of `columns`. */
export interface LoadedTable {
  readonly columns: readonly string[]
  readonly rows: readonly (readonly SqlValue[])[]
}

/** Everything stored for one store. */
export interface LoadResult {
  /** The state version recorded with the data; `null` when nothing is stored. */
  readonly stateVersion: number | null
  /** Rows of every table the state is mapped onto (not of append-only tables), lazy columns left out. */
  readonly tables: Readonly<Record<string, LoadedTable>>
  /** `[key, JSON text]` rows of the keys stored one row per key. */
  readonly kv: readonly (readonly [string, string])[]
}

/** A row of a query result, by column name. */
export type QueryRow = Record<string, SqlValue>

/**
 * The record-level contract every storage engine implements. Methods may return values or promises;
 * a backend over a synchronous engine returns values, and the middleware then hydrates and writes
 * synchronously.
 */
export interface Backend {
  /** A short name for telemetry and messages, e.g. `better-sqlite3`. */
  readonly name: string
  /**
   * Creates the store's tables, or runs its DDL migrations up to `schema.version`, in one transaction
   * together with the schema version record. Refuses (SCHEMA_TOO_NEW) a database written by a newer
   * schema, and a table that belongs to another store (TABLE_CONFLICT), changing nothing.
   */
  prepare(store: string, schema: SchemaSpec): MaybePromise<void>
  /** Reads everything stored for a prepared store, in one read transaction. */
  load(store: string): MaybePromise<LoadResult>
  /** Applies a ChangeSet in one transaction: all of it or, on any error, none of it. */
  apply(changeSet: ChangeSet): MaybePromise<void>
  /** Deletes every row of the store and its state version; its tables stay. */
  clear(store: string): MaybePromise<void>
  /** A read-only query (writes are refused by the engine), for query functions. */
  query(sql: string, params?: readonly SqlValue[]): MaybePromise<QueryRow[]>
  /** Resolves once everything applied so far is durable (a no-op where commit is durable). */
  flush(): MaybePromise<void>
  /** Releases the engine. Further calls fail with BACKEND_CLOSED. */
  close(): MaybePromise<void>
}

/** @internal */
export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
}

/**
 * Runs `next` on a value or, when it is a promise, once it resolves: a synchronous chain stays
 * synchronous, and a synchronous throw stays a throw.
 */
export function chain<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return isPromiseLike<T>(value) ? Promise.resolve(value).then(next) : next(value)
}
