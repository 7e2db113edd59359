import type { SqlValue } from './codec'
import type { TableSpec } from './schema'

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

interface RowGroup {
  readonly columns: readonly string[]
  readonly signature: string
  readonly rows: SqlValue[][]
}

interface TableEntry {
  upsert: RowGroup[] | undefined
  update: RowGroup[] | undefined
  insert: RowGroup[] | undefined
  delete: SqlValue[][] | undefined
  lazy: LazyWrite[] | undefined
}

/** @internal Collects the rows of one ChangeSet while the state is diffed. */
export interface ChangeSetBuilder {
  upsert(table: TableSpec, columns: readonly string[], row: SqlValue[]): void
  update(table: TableSpec, columns: readonly string[], row: SqlValue[]): void
  insert(table: TableSpec, columns: readonly string[], row: SqlValue[]): void
  delete(table: TableSpec, key: SqlValue[]): void
  lazy(table: TableSpec, write: LazyWrite): void
  kvSet(key: string, json: string): void
  kvDelete(key: string): void
  readonly size: number
  build(header: Omit<ChangeSet, 'tables' | 'kv'>): ChangeSet
  /** Empties the builder for the next ChangeSet (ChangeSets built before keep their rows). */
  reset(): void
}

/**
 * Rows go into the group of their column list: found by identity first (the diff reuses one list per
 * table), then by content (lists that leave out absent lazy columns).
 */
function addTo(groups: RowGroup[], columns: readonly string[], row: SqlValue[]): void {
  for (const g of groups) {
    if (g.columns === columns) {
      g.rows.push(row)
      return
    }
  }
  const signature = columns.join(',')
  for (const g of groups) {
    if (g.signature === signature) {
      g.rows.push(row)
      return
    }
  }
  groups.push({ columns, signature, rows: [row] })
}

/** @internal Small and allocation-light: a typical write is one row in one table. */
export function createChangeSetBuilder(tableOrder: readonly TableSpec[]): ChangeSetBuilder {
  const entries = new Map<TableSpec, TableEntry>()
  let kvSet: Map<string, string> | undefined
  let kvDelete: Set<string> | undefined
  let size = 0

  const entry = (table: TableSpec): TableEntry => {
    let found = entries.get(table)
    if (found === undefined)
      entries.set(
        table,
        (found = { upsert: undefined, update: undefined, insert: undefined, delete: undefined, lazy: undefined }),
      )
    return found
  }

  return {
    upsert: (table, columns, row) => {
      const e = entry(table)
      addTo((e.upsert ??= []), columns, row)
      size++
    },
    update: (table, columns, row) => {
      const e = entry(table)
      addTo((e.update ??= []), columns, row)
      size++
    },
    insert: (table, columns, row) => {
      const e = entry(table)
      addTo((e.insert ??= []), columns, row)
      size++
    },
    delete: (table, key) => {
      ;(entry(table).delete ??= []).push(key)
      size++
    },
    lazy: (table, write) => {
      ;(entry(table).lazy ??= []).push(write)
      size++
    },
    kvSet: (key, json) => {
      kvDelete?.delete(key)
      ;(kvSet ??= new Map()).set(key, json)
      size++
    },
    kvDelete: (key) => {
      kvSet?.delete(key)
      ;(kvDelete ??= new Set()).add(key)
      size++
    },
    get size() {
      return size
    },
    reset: () => {
      entries.clear()
      kvSet = undefined
      kvDelete = undefined
      size = 0
    },
    build: (header) => {
      const tables: TableChange[] = []
      if (entries.size > 0) {
        for (const spec of tableOrder) {
          const e = entries.get(spec)
          if (e === undefined) continue
          const change: { -readonly [K in keyof TableChange]: TableChange[K] } = { table: spec.name }
          if (e.upsert !== undefined) change.upsert = e.upsert.map((g) => ({ columns: g.columns, rows: g.rows }))
          if (e.update !== undefined) change.update = e.update.map((g) => ({ columns: g.columns, rows: g.rows }))
          if (e.insert !== undefined) change.insert = e.insert.map((g) => ({ columns: g.columns, rows: g.rows }))
          if (e.delete !== undefined) change.delete = e.delete
          if (e.lazy !== undefined) change.lazy = e.lazy
          tables.push(change)
        }
      }
      const kv: { set?: [string, string][]; delete?: string[] } = {}
      if (kvSet !== undefined && kvSet.size > 0) kv.set = [...kvSet]
      if (kvDelete !== undefined && kvDelete.size > 0) kv.delete = [...kvDelete]
      return kv.set === undefined && kv.delete === undefined ? { ...header, tables } : { ...header, tables, kv }
    },
  }
}
