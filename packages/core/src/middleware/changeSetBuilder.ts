import type { ChangeSet, LazyWrite, TableChange } from '../contract/changeSet'
import type { TableSpec } from '../contract/schemaSpec'
import type { SqlValue } from '../contract/sqlValue'

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
