import { chain } from './backend'
import type { Backend, MaybePromise } from './backend'
import type { LazyWrite } from './changeSet'
import { ABSENT, decodeColumn, encodeColumn, OMIT } from './codec'
import type { SqlValue } from './codec'
import { ZustandSqliteError } from './errors'
import { quote } from './identifiers'
import type { CollectionNode, FieldMapping, StoreSchema, TableSpec } from './schema'

/** The key of a row: one value, or the full primary key (parent key first) of a nested collection's row. */
export type RowKey = SqlValue | readonly SqlValue[]

function findField(
  schema: StoreSchema,
  tableName: string,
  field: string,
): { table: TableSpec; mapping: FieldMapping } | undefined {
  const visit = (nodes: readonly CollectionNode[]): { table: TableSpec; mapping: FieldMapping } | undefined => {
    for (const node of nodes) {
      if (node.table.name === tableName) {
        const mapping = node.fields.find((f) => f.field === field)
        return mapping === undefined ? undefined : { table: node.table, mapping }
      }
      const found = visit(node.children)
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const node of [...schema.nodes, ...(schema.root === undefined ? [] : [schema.root])]) {
    if (node.kind === 'singleton' && node.table.name === tableName) {
      const mapping = node.fields.find((f) => f.field === field)
      return mapping === undefined ? undefined : { table: node.table, mapping }
    }
  }
  const append = schema.appendTables.get(tableName)
  if (append !== undefined) {
    const mapping = append.fields.find((f) => f.field === field)
    return mapping === undefined ? undefined : { table: append.table, mapping }
  }
  return visit(schema.nodes.filter((n): n is CollectionNode => n.kind === 'collection'))
}

/** Options of {@link readLazyColumn}. */
export interface ReadLazyColumnOptions {
  /** The table of the item. */
  readonly table: string
  /**
   * The item's full primary key: for a nested collection the parent's key first (e.g.
   * `[conversationId, messageId]`); a single value for a top-level collection; `1` for a singleton.
   */
  readonly key: SqlValue | readonly SqlValue[]
  /** The field (not the SQL column) to read. */
  readonly field: string
}

/**
 * Reads one column of one row that hydration left out (a `lazy` column, such as file content), decoded
 * like any field. Returns undefined when the row does not exist or the value is absent. Synchronous
 * with a synchronous backend.
 *
 * @example
 * ```ts
 * const content = readLazyColumn(backend, workspaceSchema, { table: 'files', key: fileId, field: 'content' })
 * ```
 */
export function readLazyColumn(
  backend: Backend,
  schema: StoreSchema,
  options: ReadLazyColumnOptions,
): MaybePromise<unknown> {
  const found = findField(schema, options.table, options.field)
  if (found === undefined) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `the schema has no field ${JSON.stringify(options.field)} in table ${JSON.stringify(options.table)}`,
    )
  }
  const key = Array.isArray(options.key) ? (options.key as readonly SqlValue[]) : [options.key as SqlValue]
  const primaryKey = found.table.primaryKey
  if (primaryKey.length === 0) {
    throw new ZustandSqliteError('INVALID_OPTIONS', `table ${options.table} has no primary key to find a row by`)
  }
  if (key.length !== primaryKey.length) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `table ${options.table} has a key of ${primaryKey.length} column(s), ${key.length} value(s) were given`,
    )
  }
  const where = primaryKey.map((c) => `${quote(c)} = ?`).join(' AND ')
  // A collection with a lazy table keeps its lazy columns there, under the same key column names.
  const home =
    found.mapping.def.lazy === true && found.table.lazyTable !== undefined ? found.table.lazyTable : found.table.name
  const sql = `SELECT ${quote(found.mapping.column)} AS value FROM ${quote(home)} WHERE ${where}`
  return chain(backend.query(sql, key), (rows) => {
    const row = rows[0]
    if (row === undefined) return undefined
    const value = decodeColumn(found.mapping.def, row['value'] ?? null, () => `${options.table}.${options.field}`)
    return value === ABSENT ? undefined : value
  })
}

function keyOf(table: TableSpec, key: RowKey, what: string): SqlValue[] {
  const values = Array.isArray(key) ? [...(key as readonly SqlValue[])] : [key as SqlValue]
  if (table.primaryKey.length === 0 || values.length !== table.primaryKey.length) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `table ${table.name} has a key of ${table.primaryKey.length} column(s), ${values.length} value(s) were given as ${what}`,
    )
  }
  return values
}

function lazyField(schema: StoreSchema, tableName: string, field: string): { table: TableSpec; mapping: FieldMapping } {
  const found = findField(schema, tableName, field)
  if (found === undefined || found.mapping.def.lazy !== true || schema.appendTables.has(tableName)) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `table ${JSON.stringify(tableName)} has no lazy field ${JSON.stringify(field)} mirrored in state`,
    )
  }
  return found
}

/** @internal The ChangeSet entry of `persist.writeLazy`: values encoded and checked against their columns. */
export function lazyValuesWrite(
  schema: StoreSchema,
  tableName: string,
  key: RowKey,
  values: Readonly<Record<string, unknown>>,
): { table: TableSpec; write: LazyWrite } {
  const fields = Object.keys(values)
  if (fields.length === 0) throw new ZustandSqliteError('INVALID_OPTIONS', 'writeLazy needs at least one field')
  let table: TableSpec | undefined
  const columns: string[] = []
  const encoded: SqlValue[] = []
  for (const field of fields) {
    const found = lazyField(schema, tableName, field)
    table = found.table
    const value = encodeColumn(found.mapping.def, values[field], () => `${tableName}.${field}`)
    if (value === OMIT) {
      throw new ZustandSqliteError(
        'UNSTORABLE_VALUE',
        `${tableName}.${field}: a lazy write needs a value (null clears a nullable field)`,
        {
          path: `${tableName}.${field}`,
        },
      )
    }
    columns.push(found.mapping.column)
    encoded.push(value)
  }
  const spec = table as TableSpec
  return { table: spec, write: { key: keyOf(spec, key, 'key'), columns, values: encoded } }
}

/** @internal The ChangeSet entry of `persist.copyLazy`. */
export function lazyCopyWrite(
  schema: StoreSchema,
  tableName: string,
  from: RowKey,
  to: RowKey,
  fields: readonly string[],
): { table: TableSpec; write: LazyWrite } {
  if (fields.length === 0) throw new ZustandSqliteError('INVALID_OPTIONS', 'copyLazy needs at least one field')
  const found = fields.map((field) => lazyField(schema, tableName, field))
  const spec = (found[0] as { table: TableSpec }).table
  return {
    table: spec,
    write: { key: keyOf(spec, to, 'to'), columns: found.map((f) => f.mapping.column), from: keyOf(spec, from, 'from') },
  }
}
