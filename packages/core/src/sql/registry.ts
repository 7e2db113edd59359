import type { SchemaSpec, TableSpec } from '../contract/schemaSpec'

/** A store's schema as the SQL tier uses it, indexed once when the store is prepared. */
export interface RegisteredStore {
  readonly spec: SchemaSpec
  readonly byName: ReadonlyMap<string, TableSpec>
  /** Per table, the tables whose rows go when one of its rows goes: deepest first, with the key prefix length. */
  readonly descendants: ReadonlyMap<string, readonly { table: TableSpec; prefix: readonly string[] }[]>
  /** Per table, the columns a ChangeSet may write (every column but the stamps). */
  readonly columnSets: ReadonlyMap<string, ReadonlySet<string>>
  /** Position of each table in dependency order. */
  readonly order: ReadonlyMap<string, number>
}

export function register(spec: SchemaSpec): RegisteredStore {
  const byName = new Map(spec.tables.map((t) => [t.name, t]))
  const descendants = new Map<string, { table: TableSpec; prefix: readonly string[] }[]>()
  for (const t of spec.tables) {
    const list: { table: TableSpec; prefix: readonly string[]; depth: number }[] = []
    for (const other of spec.tables) {
      let depth = 0
      let cursor = other.parent === undefined ? undefined : byName.get(other.parent.table)
      while (cursor !== undefined) {
        depth++
        if (cursor.name === t.name) {
          list.push({ table: other, prefix: other.primaryKey.slice(0, t.primaryKey.length), depth })
          break
        }
        cursor = cursor.parent === undefined ? undefined : byName.get(cursor.parent.table)
      }
    }
    list.sort((a, b) => b.depth - a.depth)
    descendants.set(t.name, list)
  }
  const columnSets = new Map(
    spec.tables.map((t) => [t.name, new Set(t.columns.filter((c) => c.stamp === undefined).map((c) => c.name))]),
  )
  const order = new Map(spec.tables.map((t, i) => [t.name, i]))
  return { spec, byName, descendants, columnSets, order }
}
