import type { ChangeSet } from './changeSet'
import type { MaybePromise } from './maybe'
import type { SchemaSpec } from './schemaSpec'
import type { SqlValue } from './sqlValue'

/** Rows of one table, as arrays in the order of `columns`. */
export interface LoadedTable {
  readonly columns: readonly string[]
  readonly rows: readonly (readonly SqlValue[])[]
}

/** What a store has recorded beside its rows. */
export interface StoreRecord {
  /** The state version recorded with the data; `null` when nothing is stored. */
  readonly stateVersion: number | null
  /**
   * Counts the store's commits: every applied ChangeSet and every clear raises it. A writer that read
   * revision `r` and finds another one at its next write knows that another connection wrote meanwhile.
   */
  readonly revision: number
}

/** What `prepare` found recorded for the store: its state version and revision, without its rows. */
export type PrepareResult = StoreRecord

/** Everything stored for one store. */
export interface LoadResult extends StoreRecord {
  /** Rows of every table the state is mapped onto (not of append-only tables), lazy columns left out. */
  readonly tables: Readonly<Record<string, LoadedTable>>
  /** `[key, JSON text]` rows of the keys stored one row per key. */
  readonly kv: readonly (readonly [string, string])[]
}

/** Options of `Backend.load`. */
export interface LoadOptions {
  /**
   * Tables whose rows are left out (`tables` has no entry for them): collections loaded on demand. A
   * backend that cannot leave tables out loads them all, which is a full hydration. @default none
   */
  readonly skipTables?: readonly string[]
}

/** A row the database refused (it breaks a constraint), left out of a write that committed the rest. */
export interface RefusedRow {
  readonly table: string
  /** The row's primary key values, as the ChangeSet holds them. */
  readonly key: readonly SqlValue[]
  /** What the database said. */
  readonly reason: string
}

/** What `apply` committed. */
export interface ApplyResult {
  /** The store's revision after the commit. */
  readonly revision: number
  /** With `isolateRefusedRows`: the rows left out. Absent or empty when every row was written. */
  readonly refused?: readonly RefusedRow[]
}

/**
 * A commit to a store that a backend tells its subscribers about: a ChangeSet applied (through this backend
 * object by another caller, or by another connection the backend hears of, such as another tab), or the
 * store cleared.
 */
export type CommittedChange =
  | {
      readonly store: string
      /** The ChangeSet as it was applied (for a commit through this backend object, the same object). */
      readonly changeSet: ChangeSet
      /** The store's revision after it. */
      readonly revision: number
      /** Rows of the ChangeSet the database refused (see `isolateRefusedRows`): not written. */
      readonly refused?: readonly RefusedRow[]
    }
  | {
      readonly store: string
      /** The store was cleared (every row deleted). */
      readonly cleared: true
      readonly revision: number
    }

/** A row of a query result, by column name. */
export type QueryRow = Record<string, SqlValue>

/**
 * The record-level contract every storage engine implements. Methods may return values or promises;
 * a backend over a synchronous engine returns values, and the middleware then hydrates and writes
 * synchronously. Everything that goes in and out is plain data.
 */
export interface Backend {
  /** A short name for telemetry and messages, e.g. `better-sqlite3`. */
  readonly name: string
  /**
   * Creates the store's tables, or runs its DDL migrations up to `schema.version`, in one transaction
   * together with the schema version record, and returns what the store has recorded. Refuses
   * (SCHEMA_TOO_NEW) a database written by a newer schema, and a table that belongs to another store
   * (TABLE_CONFLICT), changing nothing. Calling it again with the same schema is cheap.
   */
  prepare(store: string, schema: SchemaSpec): MaybePromise<PrepareResult>
  /** Reads everything stored for a prepared store (but `options.skipTables`), in one read transaction. */
  load(store: string, options?: LoadOptions): MaybePromise<LoadResult>
  /**
   * Applies a ChangeSet in one transaction: all of it or, on any error, none of it. With a
   * `baseRevision` that is no longer the store's, it writes nothing and fails with
   * CONCURRENT_MODIFICATION. With `isolateRefusedRows`, a row the database refuses (a constraint) may
   * instead be left out and listed in `refused`, the rest committed; a backend that cannot do that
   * fails the whole ChangeSet as without it.
   */
  apply(changeSet: ChangeSet): MaybePromise<ApplyResult>
  /**
   * Optional: applies the ChangeSets of several stores (at most one per store) in one transaction: all
   * of them or, on any error (a `baseRevision` that is no longer its store's included), none. Returns one
   * result per ChangeSet, in order. `isolateRefusedRows` is ignored: a refused row fails the whole.
   * Subscribers are told of each ChangeSet after the commit. Stores on the same backend use it to commit
   * together (`commitTogether`); the migration makes the stores it moves visible together with it.
   */
  applyMany?(changeSets: readonly ChangeSet[]): MaybePromise<ApplyResult[]>
  /** Deletes every row of the store and its state version (its tables stay), raising its revision. */
  clear(store: string): MaybePromise<void>
  /** A read-only query (writes are refused by the engine), for query functions. */
  query(sql: string, params?: readonly SqlValue[]): MaybePromise<QueryRow[]>
  /** Resolves once everything applied so far is durable (a no-op where commit is durable). */
  flush(): MaybePromise<void>
  /**
   * Optional: calls `listener` after every commit to a store that the backend knows of, its own (made
   * through this object, by a store or a query function) and, where the engine can tell, other
   * connections' (another tab's). Stores on the backend use it to take in what others wrote, at the cost
   * of what changed. Returns the function that stops the calls.
   */
  subscribe?(listener: (change: CommittedChange) => void): () => void
  /** Releases the engine. Further calls fail with BACKEND_CLOSED. */
  close(): MaybePromise<void>
}
