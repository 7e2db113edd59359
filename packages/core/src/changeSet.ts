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
  /** Rows to insert as they are (append-only tables). */
  readonly insert?: readonly RowBatch[]
  /** Primary keys of rows to delete. Deleting a row deletes its nested collections' rows. */
  readonly delete?: readonly (readonly SqlValue[])[]
}

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
  /** The state version recorded with the data. */
  readonly stateVersion: number
  /** Delete every row of the store first (a full rewrite). */
  readonly replace?: boolean
  /** In the schema's table order. */
  readonly tables: readonly TableChange[]
  readonly kv?: KeyValueChange
}

/** Rows a ChangeSet writes or deletes, in all. */
export function countChangeSetRows(changeSet: ChangeSet): number {
  let rows = (changeSet.kv?.set?.length ?? 0) + (changeSet.kv?.delete?.length ?? 0)
  for (const t of changeSet.tables) {
    rows += t.delete?.length ?? 0
    for (const b of t.upsert ?? []) rows += b.rows.length
    for (const b of t.insert ?? []) rows += b.rows.length
  }
  return rows
}

interface RowGroups {
  /** By column-list identity first (the common case: one shared list per table), then by content. */
  readonly byRef: Map<readonly string[], { columns: readonly string[]; rows: SqlValue[][] }>
  readonly bySignature: Map<string, { columns: readonly string[]; rows: SqlValue[][] }>
}

interface TableEntry {
  readonly upsert: RowGroups
  readonly insert: RowGroups
  readonly delete: SqlValue[][]
}

const newGroups = (): RowGroups => ({ byRef: new Map(), bySignature: new Map() })

/** @internal Collects the rows of one ChangeSet while the state is diffed. */
export interface ChangeSetBuilder {
  upsert(table: TableSpec, columns: readonly string[], row: SqlValue[]): void
  insert(table: TableSpec, columns: readonly string[], row: SqlValue[]): void
  delete(table: TableSpec, key: SqlValue[]): void
  kvSet(key: string, json: string): void
  kvDelete(key: string): void
  readonly size: number
  build(header: Omit<ChangeSet, 'tables' | 'kv'>): ChangeSet
}

/** @internal */
export function createChangeSetBuilder(tableOrder: readonly TableSpec[]): ChangeSetBuilder {
  const entries = new Map<string, TableEntry>()
  const kvSet = new Map<string, string>()
  const kvDelete = new Set<string>()
  let size = 0

  const entry = (table: TableSpec): TableEntry => {
    let found = entries.get(table.name)
    if (found === undefined) {
      found = { upsert: newGroups(), insert: newGroups(), delete: [] }
      entries.set(table.name, found)
    }
    return found
  }
  const add = (groups: RowGroups, columns: readonly string[], row: SqlValue[]): void => {
    let group = groups.byRef.get(columns)
    if (group === undefined) {
      const signature = columns.join(',')
      group = groups.bySignature.get(signature)
      if (group === undefined) {
        group = { columns, rows: [] }
        groups.bySignature.set(signature, group)
      }
      groups.byRef.set(columns, group)
    }
    group.rows.push(row)
    size++
  }

  return {
    upsert: (table, columns, row) => add(entry(table).upsert, columns, row),
    insert: (table, columns, row) => add(entry(table).insert, columns, row),
    delete: (table, key) => {
      entry(table).delete.push(key)
      size++
    },
    kvSet: (key, json) => {
      kvDelete.delete(key)
      kvSet.set(key, json)
      size++
    },
    kvDelete: (key) => {
      kvSet.delete(key)
      kvDelete.add(key)
      size++
    },
    get size() {
      return size
    },
    build: (header) => {
      const tables: TableChange[] = []
      for (const spec of tableOrder) {
        const e = entries.get(spec.name)
        if (e === undefined) continue
        tables.push({
          table: spec.name,
          ...(e.upsert.bySignature.size > 0 ? { upsert: [...e.upsert.bySignature.values()] } : {}),
          ...(e.insert.bySignature.size > 0 ? { insert: [...e.insert.bySignature.values()] } : {}),
          ...(e.delete.length > 0 ? { delete: e.delete } : {}),
        })
      }
      const kv: KeyValueChange | undefined =
        kvSet.size > 0 || kvDelete.size > 0
          ? {
              ...(kvSet.size > 0 ? { set: [...kvSet] } : {}),
              ...(kvDelete.size > 0 ? { delete: [...kvDelete] } : {}),
            }
          : undefined
      return { ...header, tables, ...(kv === undefined ? {} : { kv }) }
    },
  }
}
