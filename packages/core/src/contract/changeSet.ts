import type { SqlValue } from './sqlValue'

/** Rows that share one column list. */
export interface RowBatch {
  readonly columns: readonly string[]
  readonly rows: readonly (readonly SqlValue[])[]
}

/** What changes in one table. Applied as: deletes (children first), then upserts and inserts (parents first). */
export interface TableChange {
  readonly table: string
  /** Rows to insert or, when their primary key exists, update (columns left out keep their values). */
  readonly upsert?: readonly RowBatch[]
  /**
   * Rows stored before, written again whole (key columns included): an UPDATE by key, cheaper than an
   * upsert. A row that turns out to be missing is inserted, so the result is the same as `upsert`.
   */
  readonly update?: readonly RowBatch[]
  /** Rows to insert as they are (append-only tables). */
  readonly insert?: readonly RowBatch[]
  /** Primary keys of rows to delete. Deleting a row deletes its nested collections' rows. */
  readonly delete?: readonly (readonly SqlValue[])[]
  /**
   * Lazy columns written by key, after the table's rows, in order: content that is not held in state
   * (see `persist.writeLazy`). A key with no row is left alone.
   */
  readonly lazy?: readonly LazyWrite[]
}

/**
 * One write of lazy columns of one row: `values` (one per column), or the same columns of the row keyed
 * `from` (a copy inside the database, without reading the content out).
 */
export type LazyWrite =
  | { readonly key: readonly SqlValue[]; readonly columns: readonly string[]; readonly values: readonly SqlValue[] }
  | { readonly key: readonly SqlValue[]; readonly columns: readonly string[]; readonly from: readonly SqlValue[] }

/** Changes to the key/value rows of a store without a schema (or of keys its schema does not map). */
export interface KeyValueChange {
  /** `[key, JSON text]` pairs. */
  readonly set?: readonly (readonly [string, string])[]
  readonly delete?: readonly string[]
}

/**
 * The unit of work between the middleware and a backend: plain data naming a store, its versions and,
 * per table, the rows to write and the keys to delete. A backend applies one ChangeSet atomically:
 * all of it or none of it.
 */
export interface ChangeSet {
  readonly store: string
  /** Must equal the version of the schema the store was prepared with. */
  readonly schemaVersion: number
  /**
   * The state version recorded with the data. Left out, the version the store has recorded stays as it
   * is: a write that does not touch the state (trimming an append-only table) need not know it.
   */
  readonly stateVersion?: number
  /** Delete every row of the store first (a full rewrite). */
  readonly replace?: boolean
  /**
   * The store's revision the ChangeSet was computed against (what the writer last loaded or wrote). When
   * the store's revision is another, another connection wrote meanwhile: nothing is written and the apply
   * fails with CONCURRENT_MODIFICATION. Left out, the ChangeSet applies whatever the revision.
   */
  readonly baseRevision?: number
  /**
   * A row the database refuses (it breaks a constraint: a key appended twice, say) is left out and
   * listed in the result's `refused`, and the rest is committed, instead of the whole ChangeSet failing.
   * Only rows are left out this way: a failure of anything else still fails it whole.
   */
  readonly isolateRefusedRows?: boolean
  /** In the schema's table order. */
  readonly tables: readonly TableChange[]
  readonly kv?: KeyValueChange
}

/** Rows one table change writes or deletes. */
export function countTableRows(change: TableChange): number {
  let rows = change.delete?.length ?? 0
  for (const b of change.upsert ?? []) rows += b.rows.length
  for (const b of change.update ?? []) rows += b.rows.length
  for (const b of change.insert ?? []) rows += b.rows.length
  return rows + (change.lazy?.length ?? 0)
}

/** Rows a ChangeSet writes or deletes, in all. */
export function countChangeSetRows(changeSet: ChangeSet): number {
  let rows = (changeSet.kv?.set?.length ?? 0) + (changeSet.kv?.delete?.length ?? 0)
  for (const t of changeSet.tables) rows += countTableRows(t)
  return rows
}
