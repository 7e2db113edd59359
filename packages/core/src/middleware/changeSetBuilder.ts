import type { ChangeSet, LazyWrite, RowBatch, TableChange } from '../contract/changeSet'
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
  /** A point to {@link rollback} to: the rows added since are taken out again. */
  mark(): number
  /** Takes out every row added since `mark` (the rows of a part of the state that was refused). */
  rollback(mark: number): void
  build(header: Omit<ChangeSet, 'tables' | 'kv'>): ChangeSet
  /** Empties the builder for the next ChangeSet (ChangeSets built before keep their rows). */
  reset(): void
}

/**
 * Rows go into the group of their column list: found by identity first (the diff reuses one list per
 * table), then by content (lists that leave out absent lazy columns).
 */
function addTo(groups: RowGroup[], columns: readonly string[], row: SqlValue[]): SqlValue[][] {
  for (const g of groups) {
    if (g.columns === columns) {
      g.rows.push(row)
      return g.rows
    }
  }
  const signature = columns.join(',')
  for (const g of groups) {
    if (g.signature === signature) {
      g.rows.push(row)
      return g.rows
    }
  }
  const group = { columns, signature, rows: [row] }
  groups.push(group)
  return group.rows
}

/** The groups that still hold rows (a rollback can leave one empty), as batches. */
const batches = (groups: readonly RowGroup[]): RowBatch[] | undefined => {
  let out: RowBatch[] | undefined
  for (const g of groups) if (g.rows.length > 0) (out ??= []).push({ columns: g.columns, rows: g.rows })
  return out
}

/** @internal Small and allocation-light: a typical write is one row in one table. */
export function createChangeSetBuilder(tableOrder: readonly TableSpec[]): ChangeSetBuilder {
  const entries = new Map<TableSpec, TableEntry>()
  let kvSet: Map<string, string> | undefined
  let kvDelete: Set<string> | undefined
  let size = 0
  /** Per row added, the list it went into (kv rows: a function that takes it out). */
  const added: (unknown[] | (() => void))[] = []

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
      added.push(addTo((e.upsert ??= []), columns, row))
      size++
    },
    update: (table, columns, row) => {
      const e = entry(table)
      added.push(addTo((e.update ??= []), columns, row))
      size++
    },
    insert: (table, columns, row) => {
      const e = entry(table)
      added.push(addTo((e.insert ??= []), columns, row))
      size++
    },
    delete: (table, key) => {
      const list = (entry(table).delete ??= [])
      list.push(key)
      added.push(list)
      size++
    },
    lazy: (table, write) => {
      const list = (entry(table).lazy ??= [])
      list.push(write)
      added.push(list)
      size++
    },
    kvSet: (key, json) => {
      const before = kvSet?.get(key)
      const deleted = kvDelete?.delete(key) === true
      ;(kvSet ??= new Map()).set(key, json)
      added.push(() => {
        if (before === undefined) kvSet?.delete(key)
        else kvSet?.set(key, before)
        if (deleted) kvDelete?.add(key)
      })
      size++
    },
    kvDelete: (key) => {
      const before = kvSet?.get(key)
      const isNew = kvDelete?.has(key) !== true
      kvSet?.delete(key)
      ;(kvDelete ??= new Set()).add(key)
      added.push(() => {
        if (before !== undefined) kvSet?.set(key, before)
        if (isNew) kvDelete?.delete(key)
      })
      size++
    },
    get size() {
      return size
    },
    mark: () => added.length,
    rollback: (mark) => {
      while (added.length > mark) {
        const undo = added.pop() as unknown[] | (() => void)
        if (typeof undo === 'function') undo()
        else undo.pop()
        size--
      }
    },
    reset: () => {
      entries.clear()
      kvSet = undefined
      kvDelete = undefined
      size = 0
      added.length = 0
    },
    build: (header) => {
      const tables: TableChange[] = []
      if (entries.size > 0) {
        for (const spec of tableOrder) {
          const e = entries.get(spec)
          if (e === undefined) continue
          const change: { -readonly [K in keyof TableChange]: TableChange[K] } = { table: spec.name }
          const upsert = e.upsert === undefined ? undefined : batches(e.upsert)
          const update = e.update === undefined ? undefined : batches(e.update)
          const insert = e.insert === undefined ? undefined : batches(e.insert)
          if (upsert !== undefined) change.upsert = upsert
          if (update !== undefined) change.update = update
          if (insert !== undefined) change.insert = insert
          if (e.delete !== undefined && e.delete.length > 0) change.delete = e.delete
          if (e.lazy !== undefined && e.lazy.length > 0) change.lazy = e.lazy
          if (Object.keys(change).length > 1) tables.push(change)
        }
      }
      const kv: { set?: [string, string][]; delete?: string[] } = {}
      if (kvSet !== undefined && kvSet.size > 0) kv.set = [...kvSet]
      if (kvDelete !== undefined && kvDelete.size > 0) kv.delete = [...kvDelete]
      return kv.set === undefined && kv.delete === undefined ? { ...header, tables } : { ...header, tables, kv }
    },
  }
}
