import type { LazyWrite } from '../contract/changeSet'
import { ZustandSqliteError } from '../contract/errors'
import type { TableSpec } from '../contract/schemaSpec'
import type { RowKey, SqlValue } from '../contract/sqlValue'
import { OMIT } from '../schema/codec'
import type { Codec } from '../schema/codec'
import type { FieldMapping, StoreSchema } from '../schema/defineSchema'
import { findField } from '../schema/findField'
import { encodeKeyValues } from '../schema/text'
import type { ChangeSetBuilder } from './changeSetBuilder'

export type { RowKey }

/**
 * A write queued beside the diff of the state, for the transaction of the next write: rows appended to a
 * table that is not mirrored in state, or lazy columns of one row.
 */
export type ExtraWrite =
  | { readonly kind: 'append'; readonly table: string; readonly columns: readonly string[]; readonly row: SqlValue[] }
  | { readonly kind: 'lazy'; readonly table: TableSpec; readonly write: LazyWrite }

/** Per append-only table: its field names, and one shared column list (rows group by list identity). */
const appendShapes = new WeakMap<object, { known: ReadonlySet<string>; columns: readonly string[] }>()

/**
 * The rows of `persist.append`, encoded and checked against their columns: UNSTORABLE_VALUE at once for a
 * field without a column or a value its column cannot hold, so that nothing of a bad call is queued.
 */
export function appendRows(
  schema: StoreSchema,
  codec: Codec,
  store: string,
  tableName: string,
  rows: object | readonly object[],
): ExtraWrite[] {
  const node = schema.appendTables.get(tableName)
  if (node === undefined) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `store ${JSON.stringify(store)}: the schema has no table ${JSON.stringify(tableName)} in \`tables\``,
      { store },
    )
  }
  let shape = appendShapes.get(node)
  if (shape === undefined) {
    shape = { known: new Set(node.fields.map((f) => f.field)), columns: node.fields.map((f) => f.column) }
    appendShapes.set(node, shape)
  }
  const { known, columns: allColumns } = shape
  const list = (Array.isArray(rows) ? rows : [rows]) as readonly Readonly<Record<string, unknown>>[]
  return list.map((row, i) => {
    for (const field in row) {
      if (!known.has(field)) {
        throw new ZustandSqliteError(
          'UNSTORABLE_VALUE',
          `${tableName}[${i}].${field}: table ${tableName} has no column for this field`,
          { path: `${tableName}[${i}].${field}`, store },
        )
      }
    }
    const where = (): string => `${tableName}[${i}]`
    const values: (SqlValue | typeof OMIT)[] = []
    let omitted = false
    for (const f of node.fields) {
      const value = codec.encodeColumn(f.def, row[f.field], where, f.field)
      if (value === OMIT) omitted = true
      values.push(value)
    }
    if (!omitted) return { kind: 'append', table: tableName, columns: allColumns, row: values as SqlValue[] }
    // Absent lazy fields are left out of the insert (their columns take NULL).
    const columns = node.fields.filter((_, j) => values[j] !== OMIT).map((f) => f.column)
    return { kind: 'append', table: tableName, columns, row: values.filter((v): v is SqlValue => v !== OMIT) }
  })
}

/**
 * Adds queued writes to a ChangeSet, in call order. A write whose table the schema no longer has
 * (`setOptions` changed it) is dropped.
 */
export function addExtraWrites(builder: ChangeSetBuilder, schema: StoreSchema, extras: readonly ExtraWrite[]): void {
  for (const extra of extras) {
    if (extra.kind === 'lazy') {
      const table = schema.spec.tables.find((t) => t === extra.table || t.name === extra.table.name)
      if (table !== undefined) builder.lazy(table, extra.write)
      continue
    }
    const node = schema.appendTables.get(extra.table)
    if (node !== undefined) builder.insert(node.table, extra.columns, extra.row)
  }
}

function keyOf(table: TableSpec, key: RowKey, what: string): SqlValue[] {
  const values = encodeKeyValues(Array.isArray(key) ? (key as readonly SqlValue[]) : [key as SqlValue])
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
  codec: Codec,
  tableName: string,
  key: RowKey,
  values: Readonly<Record<string, unknown>>,
): ExtraWrite {
  const fields = Object.keys(values)
  if (fields.length === 0) throw new ZustandSqliteError('INVALID_OPTIONS', 'writeLazy needs at least one field')
  let table: TableSpec | undefined
  const columns: string[] = []
  const encoded: SqlValue[] = []
  for (const field of fields) {
    const found = lazyField(schema, tableName, field)
    table = found.table
    const value = codec.encodeColumn(found.mapping.def, values[field], () => `${tableName}.${field}`)
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
  return { kind: 'lazy', table: spec, write: { key: keyOf(spec, key, 'key'), columns, values: encoded } }
}

/** @internal The ChangeSet entry of `persist.copyLazy`. */
export function lazyCopyWrite(
  schema: StoreSchema,
  tableName: string,
  from: RowKey,
  to: RowKey,
  fields: readonly string[],
): ExtraWrite {
  if (fields.length === 0) throw new ZustandSqliteError('INVALID_OPTIONS', 'copyLazy needs at least one field')
  const found = fields.map((field) => lazyField(schema, tableName, field))
  const spec = (found[0] as { table: TableSpec }).table
  return {
    kind: 'lazy',
    table: spec,
    write: { key: keyOf(spec, to, 'to'), columns: found.map((f) => f.mapping.column), from: keyOf(spec, from, 'from') },
  }
}
