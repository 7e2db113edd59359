import { fromWireValue, ZustandSqliteError } from '@zustand-sqlite/core'
import type {
  ChangeSet,
  ColumnSpec,
  LazyWrite,
  RowBatch,
  SchemaSpec,
  SqlValue,
  TableChange,
  TableSpec,
} from '@zustand-sqlite/core'

// A ChangeSet a client sent, parsed strictly and checked against the server's own schema of its store.

const invalid = (message: string, path: string): never => {
  throw new ZustandSqliteError('INVALID_CHANGESET', `${path}: ${message}`, { path })
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value)

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) invalid(`unknown field ${JSON.stringify(key)}`, path)
}

function array(value: unknown, path: string): unknown[] {
  return Array.isArray(value) ? value : invalid('must be an array', path)
}

function integer(value: unknown, path: string): number {
  return typeof value === 'number' && Number.isSafeInteger(value) ? value : invalid('must be an integer', path)
}

function text(value: unknown, path: string): string {
  return typeof value === 'string' ? value : invalid('must be a string', path)
}

/** Checks a value against its column's SQL type (a value SQLite would store as it is in a column of another type). */
function checkColumnValue(value: SqlValue, column: ColumnSpec, path: string): void {
  // NOT NULL and the other constraints are the database's to enforce: it refuses the whole ChangeSet.
  if (value === null) return
  const fits =
    column.type === 'TEXT'
      ? typeof value === 'string'
      : column.type === 'INTEGER'
        ? typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value))
        : column.type === 'REAL'
          ? typeof value === 'number' || typeof value === 'bigint'
          : value instanceof Uint8Array
  if (!fits) invalid(`is not a value of column ${column.name} (${column.type})`, path)
  if (column.boolean && value !== 0 && value !== 1) invalid(`column ${column.name} holds a boolean: 0 or 1`, path)
}

function columnsOf(table: TableSpec, names: unknown, path: string): ColumnSpec[] {
  const byName = new Map(table.columns.map((c) => [c.name, c]))
  const list = array(names, path).map((name, i) => {
    const column = byName.get(text(name, `${path}[${i}]`))
    return column ?? invalid(`table ${table.name} has no column ${JSON.stringify(name)}`, `${path}[${i}]`)
  })
  if (new Set(list).size !== list.length) invalid('names a column twice', path)
  return list
}

function rowsOf(columns: readonly ColumnSpec[], value: unknown, path: string): SqlValue[][] {
  return array(value, path).map((row, r) => {
    const values = array(row, `${path}[${r}]`)
    if (values.length !== columns.length)
      invalid(`has ${values.length} values for ${columns.length} columns`, `${path}[${r}]`)
    return values.map((raw, c) => {
      const decoded = fromWireValue(raw, `${path}[${r}][${c}]`)
      checkColumnValue(decoded, columns[c] as ColumnSpec, `${path}[${r}][${c}]`)
      return decoded
    })
  })
}

function batchesOf(table: TableSpec, value: unknown, path: string): RowBatch[] | undefined {
  if (value === undefined) return undefined
  return array(value, path).map((batch, b) => {
    const at = `${path}[${b}]`
    if (!isObject(batch)) return invalid('must be an object', at)
    onlyKeys(batch, ['columns', 'rows'], at)
    const columns = columnsOf(table, batch['columns'], `${at}.columns`)
    return { columns: columns.map((c) => c.name), rows: rowsOf(columns, batch['rows'], `${at}.rows`) }
  })
}

function keysOf(table: TableSpec, value: unknown, path: string): SqlValue[][] {
  const key = table.primaryKey.map((name) => table.columns.find((c) => c.name === name) as ColumnSpec)
  if (key.length === 0) invalid(`table ${table.name} has no key`, path)
  return rowsOf(key, value, path)
}

/** The lazy columns of a table's rows: its own, or those of the lazy table that holds them. */
function lazyColumnsOf(table: TableSpec, tables: ReadonlyMap<string, TableSpec>): TableSpec {
  const holder = table.lazyTable === undefined ? undefined : tables.get(table.lazyTable)
  const columns =
    holder === undefined
      ? table.columns.filter((c) => c.lazy)
      : holder.columns.filter((c) => c.lazy || !holder.primaryKey.includes(c.name))
  return { ...table, columns }
}

function lazyOf(
  table: TableSpec,
  tables: ReadonlyMap<string, TableSpec>,
  value: unknown,
  path: string,
): LazyWrite[] | undefined {
  if (value === undefined) return undefined
  return array(value, path).map((write, w) => {
    const at = `${path}[${w}]`
    if (!isObject(write)) return invalid('must be an object', at)
    const [key] = keysOf(table, [write['key']], `${at}.key`)
    const columns = columnsOf(lazyColumnsOf(table, tables), write['columns'], `${at}.columns`)
    if ('from' in write) {
      onlyKeys(write, ['key', 'columns', 'from'], at)
      const [from] = keysOf(table, [write['from']], `${at}.from`)
      return { key: key as SqlValue[], columns: columns.map((c) => c.name), from: from as SqlValue[] }
    }
    onlyKeys(write, ['key', 'columns', 'values'], at)
    const [values] = rowsOf(columns, [write['values']], `${at}.values`)
    return { key: key as SqlValue[], columns: columns.map((c) => c.name), values: values as SqlValue[] }
  })
}

function tableChangeOf(tables: ReadonlyMap<string, TableSpec>, value: unknown, path: string): TableChange {
  if (!isObject(value)) return invalid('must be an object', path)
  onlyKeys(value, ['table', 'upsert', 'update', 'insert', 'delete', 'lazy'], path)
  const name = text(value['table'], `${path}.table`)
  const table = tables.get(name) ?? invalid(`the store has no table ${JSON.stringify(name)}`, `${path}.table`)
  const change: {
    table: string
    upsert?: RowBatch[]
    update?: RowBatch[]
    insert?: RowBatch[]
    delete?: SqlValue[][]
    lazy?: LazyWrite[]
  } = { table: name }
  const upsert = batchesOf(table, value['upsert'], `${path}.upsert`)
  const update = batchesOf(table, value['update'], `${path}.update`)
  const insert = batchesOf(table, value['insert'], `${path}.insert`)
  const lazy = lazyOf(table, tables, value['lazy'], `${path}.lazy`)
  if (upsert !== undefined) change.upsert = upsert
  if (update !== undefined) change.update = update
  if (insert !== undefined) change.insert = insert
  if (value['delete'] !== undefined) change.delete = keysOf(table, value['delete'], `${path}.delete`)
  if (lazy !== undefined) change.lazy = lazy
  return change
}

/**
 * A ChangeSet from the JSON a client sent, checked against the server's own schema of the store (never one the
 * client sends): every field known, every table and column in the schema, every value of its column's type and
 * nullability, the store the one of the path, the schema version the server's. Throws INVALID_CHANGESET, naming
 * the path of the first problem, and nothing is written.
 */
export function parseChangeSet(value: unknown, store: string, schema: SchemaSpec): ChangeSet {
  if (!isObject(value)) return invalid('must be an object', '$')
  onlyKeys(
    value,
    ['store', 'schemaVersion', 'stateVersion', 'replace', 'baseRevision', 'isolateRefusedRows', 'tables', 'kv'],
    '$',
  )
  if (value['store'] !== store) invalid(`must be ${JSON.stringify(store)}, the store of the path`, '$.store')
  const schemaVersion = integer(value['schemaVersion'], '$.schemaVersion')
  if (schemaVersion !== schema.version)
    invalid(`is ${schemaVersion}; the server's schema of ${store} is at version ${schema.version}`, '$.schemaVersion')
  const tables = new Map(schema.tables.map((t) => [t.name, t]))
  const changeSet: {
    store: string
    schemaVersion: number
    stateVersion?: number
    replace?: boolean
    baseRevision?: number
    isolateRefusedRows?: boolean
    tables: TableChange[]
    kv?: { set?: [string, string][]; delete?: string[] }
  } = {
    store,
    schemaVersion,
    tables: array(value['tables'], '$.tables').map((t, i) => tableChangeOf(tables, t, `$.tables[${i}]`)),
  }
  if (value['stateVersion'] !== undefined) changeSet.stateVersion = integer(value['stateVersion'], '$.stateVersion')
  if (value['baseRevision'] !== undefined) {
    const base = integer(value['baseRevision'], '$.baseRevision')
    if (base < 0) invalid('must not be negative', '$.baseRevision')
    changeSet.baseRevision = base
  }
  for (const flag of ['replace', 'isolateRefusedRows'] as const) {
    const given = value[flag]
    if (given === undefined) continue
    changeSet[flag] = typeof given === 'boolean' ? given : invalid('must be a boolean', `$.${flag}`)
  }
  if (value['kv'] !== undefined) {
    const kv = value['kv']
    if (!isObject(kv)) return invalid('must be an object', '$.kv')
    onlyKeys(kv, ['set', 'delete'], '$.kv')
    const out: { set?: [string, string][]; delete?: string[] } = {}
    if (kv['set'] !== undefined)
      out.set = array(kv['set'], '$.kv.set').map((pair, i) => {
        const entry = array(pair, `$.kv.set[${i}]`)
        if (entry.length !== 2) invalid('must be [key, JSON text]', `$.kv.set[${i}]`)
        const json = text(entry[1], `$.kv.set[${i}][1]`)
        try {
          JSON.parse(json)
        } catch {
          invalid('is not JSON text', `$.kv.set[${i}][1]`)
        }
        return [text(entry[0], `$.kv.set[${i}][0]`), json]
      })
    if (kv['delete'] !== undefined)
      out.delete = array(kv['delete'], '$.kv.delete').map((k, i) => text(k, `$.kv.delete[${i}]`))
    changeSet.kv = out
  }
  return changeSet
}
