import { isZustandSqliteError, ZustandSqliteError } from '../contract/errors'
import type {
  ColumnSpec,
  ForeignKeyAction,
  IndexSpec,
  MigrationSpec,
  SchemaSpec,
  SqlType,
  TableSpec,
} from '../contract/schemaSpec'
import { assertIdentifier, snakeCase } from './identifiers'

/** How a field's value is held in its column. */
export type ColumnType = 'text' | 'integer' | 'real' | 'boolean' | 'json' | 'blob'

/** Options of a column; see {@link column}. */
export interface ColumnOptions {
  /** SQL name of the column. @default the field name in snake_case (`userTitle` -> `user_title`) */
  readonly column?: string
  /** The field may be absent (or `undefined`); stored as NULL and loaded back as absent. @default false */
  readonly optional?: boolean
  /** The field may be `null`; stored as NULL and loaded back as `null`. @default false */
  readonly nullable?: boolean
  /**
   * Not loaded at hydration: load it on demand with `readLazyColumn`. An item whose field is absent
   * keeps the stored value; set the field to write it. @default false
   */
  readonly lazy?: boolean
  /**
   * Boolean columns: SQL name of an INTEGER column that holds when the field last became `true`
   * (milliseconds since the epoch), NULL while it is `false` or absent. The backend stamps it when a
   * row is written; it is not part of the state.
   */
  readonly since?: string
  /** A foreign key to another table of the same database. */
  readonly references?: {
    readonly table: string
    /** @default the referenced table's primary key */
    readonly column?: string
    /** @default 'no action' */
    readonly onDelete?: ForeignKeyAction
  }
}

/** A typed column, made by one of the {@link column} factories. */
export interface ColumnDef extends ColumnOptions {
  readonly type: ColumnType
}

/**
 * Column factories. Each maps one field of an item (or of a singleton) to one typed column.
 *
 * @example
 * ```ts
 * columns: { id: column.text(), created: column.integer(), userTitle: column.text({ optional: true }) }
 * ```
 */
export const column = {
  /** A string, stored as TEXT. */
  text: (options: ColumnOptions = {}): ColumnDef => ({ ...options, type: 'text' }),
  /** A safe integer, stored as INTEGER. */
  integer: (options: ColumnOptions = {}): ColumnDef => ({ ...options, type: 'integer' }),
  /** A finite number, stored as REAL. */
  real: (options: ColumnOptions = {}): ColumnDef => ({ ...options, type: 'real' }),
  /** A boolean, stored as INTEGER 0 or 1. */
  boolean: (options: ColumnOptions = {}): ColumnDef => ({ ...options, type: 'boolean' }),
  /** Any JSON value (plain objects, arrays, strings, finite numbers, booleans, null), stored as TEXT. */
  json: (options: ColumnOptions = {}): ColumnDef => ({ ...options, type: 'json' }),
  /** A Uint8Array, stored as BLOB. */
  blob: (options: ColumnOptions = {}): ColumnDef => ({ ...options, type: 'blob' }),
} as const

/**
 * Columns the backend stamps when it writes a row, not part of the state: `created` when the row is
 * inserted, `updated` whenever it is written. Both hold milliseconds since the epoch. `true` names them
 * `created_at` and `updated_at`; `false` (or leaving a name out of the object) omits a column.
 */
export type TimestampsOption = boolean | { readonly created?: string | false; readonly updated?: string | false }

/** A secondary index. Columns may be named by field or by SQL column name. */
export interface IndexDef {
  readonly columns: readonly string[]
  /** @default false */
  readonly unique?: boolean
  /** @default `<table>_<columns>_idx` */
  readonly name?: string
}

/** Options of {@link collection}. */
export interface CollectionOptions {
  /** The table that holds one row per item. */
  readonly table: string
  /** How the collection is held in state: an array (order kept) or a record keyed by id. @default 'array' */
  readonly shape?: 'array' | 'record'
  /** Arrays of objects: the item field that identifies an item (unique within the collection). */
  readonly key?: string
  /**
   * SQL name of the key column. @default for arrays of objects, the key field's column; for records,
   * `'key'`; for arrays of values, the value column
   */
  readonly keyColumn?: string
  /** Objects: the fields mapped to typed columns. The key field defaults to `column.text()`. */
  readonly columns?: Readonly<Record<string, ColumnDef>>
  /** Collections of plain values (an array of ids, a record of booleans): the column that holds the value. */
  readonly value?: ColumnDef
  /** Arrays: SQL name of the order-key column; `false` only for collections whose order does not matter. @default 'sort_key' */
  readonly order?: string | false
  /**
   * Objects: the JSON column that keeps every field not mapped to a column, so unknown and legacy keys
   * survive. `false` refuses unmapped fields with UNSTORABLE_VALUE. @default 'extra'
   */
  readonly rest?: string | false
  /** Nested collections: SQL names of the parent's key columns in this table. @default `<parent table>_<key column>` */
  readonly parentColumns?: readonly string[]
  /** Collections held in a field of each item (messages inside a conversation). Deleting an item deletes them. */
  readonly children?: Readonly<Record<string, CollectionDef>>
  readonly indexes?: readonly IndexDef[]
  /** Create the table WITHOUT ROWID (good for small rows with composite keys). @default false */
  readonly withoutRowid?: boolean
  /** Creation and update times of each row, stamped by the backend. @default false */
  readonly timestamps?: TimestampsOption
  /** SQL name of an INTEGER column that holds the state version each row was written with. @default none */
  readonly versionColumn?: string
  /**
   * Objects: fields that live in state but are never stored (an abort controller, a pending flag): not
   * written, not compared (changing only them writes nothing), absent after loading. @default []
   */
  readonly transient?: readonly string[]
  /**
   * Objects: a table of its own for the item's `lazy` columns (file content), one row per item under the
   * item's key, deleted with the item. Writing the item's other fields then never rewrites its large
   * values (SQLite rewrites a whole row on every update), and loading the items never reads them.
   * @default none: lazy columns are in the item's row
   */
  readonly lazyTable?: string
  /**
   * A collection nested in the items of a top-level collection (messages in a conversation): `'onDemand'`
   * leaves it out of a hydration made with `hydrate: 'onDemand'`. Each item then holds {@link NOT_LOADED} in
   * this field until `store.persist.loadOnDemand(parentField, key)` reads its rows. @default 'eager'
   */
  readonly load?: 'eager' | 'onDemand'
  /**
   * On-demand collections: a field of the parent item that holds how many items this collection has while
   * they are not loaded (present only then). The parent's row keeps the count in an INTEGER column,
   * written with the parent whenever the loaded collection changes length. @default none
   */
  readonly countField?: string
  /** SQL name of the parent's count column. @default the count field in snake_case */
  readonly countColumn?: string
}

/** A collection of items mapped onto a table; see {@link collection}. */
export interface CollectionDef extends CollectionOptions {
  readonly kind: 'collection'
}

/** Options of {@link singleton}. */
export interface SingletonOptions {
  readonly table: string
  /** Fields mapped to typed columns. */
  readonly columns?: Readonly<Record<string, ColumnDef>>
  /** The JSON column for the fields not mapped to columns (unknown and legacy keys). @default 'extra' */
  readonly rest?: string | false
  /**
   * `'unmapped'`: the JSON column holds only fields without a column. `'all'`: it holds every field, a
   * full backup beside the typed columns (the typed columns win when they disagree). @default 'unmapped'
   */
  readonly restMode?: 'unmapped' | 'all'
  /** SQL name of the integer primary key, always 1. @default 'id' */
  readonly idColumn?: string
  /** Creation and update times of the row, stamped by the backend. @default false */
  readonly timestamps?: TimestampsOption
  /** SQL name of an INTEGER column that holds the state version the row was written with. @default none */
  readonly versionColumn?: string
}

/** An object mapped onto one row; see {@link singleton}. */
export interface SingletonDef extends SingletonOptions {
  readonly kind: 'singleton'
}

/** Options of {@link table}. */
export interface TableOptions {
  /** Columns by field name. */
  readonly columns: Readonly<Record<string, ColumnDef>>
  /** Fields of the primary key. A single optional integer field is an auto-assigned row id. @default none (rowid) */
  readonly primaryKey?: readonly string[]
  readonly indexes?: readonly IndexDef[]
  /** @default false */
  readonly withoutRowid?: boolean
}

/** A table that is not mirrored in state (append-only events); see {@link table}. */
export interface TableDef extends TableOptions {
  readonly kind: 'table'
}

/**
 * Maps a collection in state (an array or a record, of objects or of plain values) onto a table with
 * one row per item. Arrays keep their order through an order key, so inserting or moving one item
 * writes one row.
 *
 * @example
 * ```ts
 * const conversations = collection({
 *   table: 'conversations',
 *   key: 'id',
 *   columns: { id: column.text(), created: column.integer(), userTitle: column.text({ optional: true }) },
 *   children: {
 *     messages: collection({ table: 'messages', key: 'id', columns: { id: column.text(), text: column.text() } }),
 *   },
 * })
 * ```
 */
export function collection(options: CollectionOptions): CollectionDef {
  return { ...options, kind: 'collection' }
}

/**
 * Maps an object (a top-level key of the state, or the remaining top-level keys as `root`) onto one
 * row: typed columns for the fields named, a JSON column for the rest.
 *
 * @example
 * ```ts
 * const prefs = singleton({ table: 'ui_preferences', columns: { centerMode: column.text() }, rest: 'data' })
 * ```
 */
export function singleton(options: SingletonOptions): SingletonDef {
  return { ...options, kind: 'singleton' }
}

/**
 * A table that is not mirrored in state: rows are appended with `store.persist.append(name, rows)` in
 * the same transaction as the state changes of that tick, and read with queries.
 *
 * @example
 * ```ts
 * const events = table({
 *   columns: { id: column.integer({ optional: true }), name: column.text(), value: column.real() },
 *   primaryKey: ['id'],
 *   indexes: [{ columns: ['name'] }],
 * })
 * ```
 */
export function table(options: TableOptions): TableDef {
  return { ...options, kind: 'table' }
}

/** Options of {@link defineSchema}. */
export interface SchemaOptions {
  /** Version of the table layout. Raise it when the tables change, and add a migration. @default 1 */
  readonly version?: number
  /** Top-level state keys mapped onto tables. */
  readonly state?: Readonly<Record<string, CollectionDef | SingletonDef>>
  /** Where the other top-level keys go. @default one key/value row per key */
  readonly root?: SingletonDef
  /** Tables not mirrored in state, by name. */
  readonly tables?: Readonly<Record<string, TableDef>>
  /**
   * DDL to go from version `v - 1` to `v`, keyed by `v`. Run in order, in one transaction with the
   * version bump. Tables and indexes the schema has but the database lacks are created afterwards.
   */
  readonly migrations?: Readonly<Record<number, string | readonly string[]>>
}

// ---------------------------------------------------------------------------------------------
// The mapping: how state maps onto rows (used by the middleware, never sent to a backend).

/** @internal One field mapped to one column. */
export interface FieldMapping {
  readonly field: string
  readonly column: string
  readonly def: ColumnDef
}

/** @internal */
export interface CollectionNode {
  readonly kind: 'collection'
  readonly field: string
  readonly table: TableSpec
  readonly shape: 'array' | 'record'
  readonly itemKind: 'object' | 'value'
  /** Arrays of objects: the identifying field. */
  readonly keyField: string | undefined
  readonly keyColumn: string
  readonly keyType: 'text' | 'integer'
  /** Value collections: how the value is stored. */
  readonly valueDef: ColumnDef | undefined
  readonly valueColumn: string | undefined
  /** Object items: mapped fields except the key field. */
  readonly fields: readonly FieldMapping[]
  /** The fields of `fields` written in the item's row (all of them, but lazy fields kept in a lazy table). */
  readonly rowFields: readonly FieldMapping[]
  /** Lazy fields kept in the collection's lazy table; empty without one. */
  readonly lazyTableFields: readonly FieldMapping[]
  readonly restColumn: string | undefined
  readonly orderColumn: string | undefined
  readonly parentColumns: readonly string[]
  readonly children: readonly CollectionNode[]
  /** Field names handled by columns or children (everything else goes to the rest column). */
  readonly mapped: ReadonlySet<string>
  /** Columns written for an item, in order. */
  readonly writeColumns: readonly string[]
  /** Columns read at hydration, in order. */
  readonly readColumns: readonly string[]
  /** Declared `load: 'onDemand'` (a child of a top-level collection). */
  readonly onDemand: boolean
  /** On-demand collections with a count: the parent's field and column that hold it. */
  readonly count: { readonly field: string; readonly column: string } | undefined
  /** This collection's children that keep a count column in its rows, in column order. */
  readonly counted: readonly CollectionNode[]
  /** This collection's children loaded on demand. */
  readonly onDemandChildren: readonly CollectionNode[]
}

/** @internal */
export interface SingletonNode {
  readonly kind: 'singleton'
  /** `null` for the root singleton (the unmapped top-level keys). */
  readonly field: string | null
  readonly table: TableSpec
  readonly idColumn: string
  readonly fields: readonly FieldMapping[]
  readonly restColumn: string | undefined
  readonly restMode: 'unmapped' | 'all'
  readonly mapped: ReadonlySet<string>
  readonly readColumns: readonly string[]
}

/** @internal */
export interface AppendTableNode {
  readonly table: TableSpec
  readonly fields: readonly FieldMapping[]
}

/** A compiled schema, made by {@link defineSchema}. Pass it as `schema` to `persistSQLite`. */
export interface StoreSchema {
  /** What backends need: tables, versions, migrations. Plain data. */
  readonly spec: SchemaSpec
  /** @internal */
  readonly nodes: readonly (CollectionNode | SingletonNode)[]
  /** @internal */
  readonly root: SingletonNode | undefined
  /** @internal */
  readonly appendTables: ReadonlyMap<string, AppendTableNode>
  /** @internal top-level keys handled by `nodes` */
  readonly mappedKeys: ReadonlySet<string>
}

const SQL_TYPES: Record<ColumnType, SqlType> = {
  text: 'TEXT',
  integer: 'INTEGER',
  real: 'REAL',
  boolean: 'INTEGER',
  json: 'TEXT',
  blob: 'BLOB',
}

function invalid(message: string): never {
  throw new ZustandSqliteError('INVALID_SCHEMA', message)
}

function columnSpec(name: string, def: ColumnDef, forceNotNull = false): ColumnSpec {
  if (typeof def !== 'object' || def === null)
    invalid(`column ${name}: expected column.<type>(...), got ${String(def)}`)
  if (!Object.hasOwn(SQL_TYPES, def.type)) invalid(`column ${name}: unknown type ${JSON.stringify(def.type)}`)
  const spec: ColumnSpec = {
    name,
    type: SQL_TYPES[def.type],
    notNull: forceNotNull || !(def.optional === true || def.nullable === true || def.lazy === true),
    lazy: def.lazy === true,
    boolean: def.type === 'boolean',
  }
  if (def.references === undefined) return spec
  assertIdentifier(def.references.table, 'referenced table')
  const referenced = def.references.column === undefined ? [] : [def.references.column]
  for (const c of referenced) assertIdentifier(c, 'referenced column')
  return {
    ...spec,
    references: { table: def.references.table, columns: referenced, onDelete: def.references.onDelete ?? 'no action' },
  }
}

const STAMP_COLUMN = { type: 'INTEGER', lazy: false, boolean: false } as const

/**
 * The stamp columns of a table: one per boolean column with `since`, then the creation time, the
 * update time and the state version. They come last, after the columns the state maps onto.
 */
function stampColumns(
  tableName: string,
  mapped: readonly { column: string; def: ColumnDef }[],
  options: { readonly timestamps?: TimestampsOption; readonly versionColumn?: string },
): ColumnSpec[] {
  const stamps: ColumnSpec[] = []
  for (const { column: name, def } of mapped) {
    if (def.since === undefined) continue
    if (def.type !== 'boolean') invalid(`table ${tableName}: column ${name} has \`since\` but is not a boolean`)
    assertIdentifier(def.since, 'since column')
    stamps.push({ ...STAMP_COLUMN, name: def.since, notNull: false, stamp: { since: name } })
  }
  const timestamps = options.timestamps ?? false
  const names =
    timestamps === true
      ? { created: 'created_at', updated: 'updated_at' }
      : timestamps === false
        ? {}
        : { created: timestamps.created ?? false, updated: timestamps.updated ?? false }
  for (const kind of ['created', 'updated'] as const) {
    const name = names[kind]
    if (name === undefined || name === false) continue
    assertIdentifier(name, `${kind} timestamp column`)
    stamps.push({ ...STAMP_COLUMN, name, notNull: true, stamp: kind })
  }
  if (options.versionColumn !== undefined) {
    assertIdentifier(options.versionColumn, 'version column')
    stamps.push({ ...STAMP_COLUMN, name: options.versionColumn, notNull: true, stamp: 'stateVersion' })
  }
  return stamps
}

function mapFields(columns: Readonly<Record<string, ColumnDef>> | undefined, skip: string | undefined): FieldMapping[] {
  const fields: FieldMapping[] = []
  for (const [field, def] of Object.entries(columns ?? {})) {
    if (field === skip) continue
    const name = def.column ?? snakeCase(field)
    assertIdentifier(name, `column of field ${JSON.stringify(field)}`)
    fields.push({ field, column: name, def })
  }
  return fields
}

function indexSpecs(
  tableName: string,
  indexes: readonly IndexDef[] | undefined,
  columnOf: (name: string) => string | undefined,
): IndexSpec[] {
  return (indexes ?? []).map((index) => {
    if (index.columns.length === 0) invalid(`table ${tableName}: an index needs at least one column`)
    const columns = index.columns.map((name) => {
      const resolved = columnOf(name)
      if (resolved === undefined)
        invalid(`table ${tableName}: index column ${JSON.stringify(name)} is not a column or field`)
      return resolved
    })
    const name = index.name ?? `${tableName}_${columns.join('_')}_idx`
    assertIdentifier(name, 'index name')
    return { name, columns, unique: index.unique === true }
  })
}

function resolver(
  columns: readonly ColumnSpec[],
  fields: readonly FieldMapping[],
): (name: string) => string | undefined {
  const byField = new Map(fields.map((f) => [f.field, f.column]))
  const names = new Set(columns.map((c) => c.name))
  return (name) => byField.get(name) ?? (names.has(name) ? name : undefined)
}

/** SQLite compares table, index and column names without case: `c` and `C` are one column. */
function assertUniqueColumns(tableName: string, columns: readonly ColumnSpec[]): void {
  const seen = new Map<string, string>()
  for (const c of columns) {
    const other = seen.get(c.name.toLowerCase())
    if (other !== undefined)
      invalid(
        `table ${tableName}: two columns are named ${other === c.name ? JSON.stringify(c.name) : `${JSON.stringify(other)} and ${JSON.stringify(c.name)} (SQLite ignores case in names)`}`,
      )
    seen.set(c.name.toLowerCase(), c.name)
  }
}

interface CompileContext {
  readonly tables: TableSpec[]
  /** Table and index names (one namespace in SQLite), lower-cased, to the name as given. */
  readonly names: Map<string, string>
}

function claimName(ctx: CompileContext, name: string, what: string): void {
  const other = ctx.names.get(name.toLowerCase())
  if (other === name) invalid(`${what} ${JSON.stringify(name)} is used twice`)
  if (other !== undefined)
    invalid(
      `${what} ${JSON.stringify(name)} and ${JSON.stringify(other)} differ only in case; SQLite takes them for one name`,
    )
  ctx.names.set(name.toLowerCase(), name)
}

function claimTable(ctx: CompileContext, name: string): void {
  assertIdentifier(name, 'table name')
  claimName(ctx, name, 'table')
}

function compileCollection(
  ctx: CompileContext,
  field: string,
  def: CollectionDef,
  parent: { table: TableSpec; key: readonly string[] } | undefined,
): CollectionNode {
  claimTable(ctx, def.table)
  if (parent === undefined && def.load !== undefined && def.load !== 'eager')
    invalid(`collection ${def.table}: a top-level collection is loaded at hydration; load on demand is for nested ones`)
  const shape = def.shape ?? 'array'
  if (shape !== 'array' && shape !== 'record') invalid(`collection ${def.table}: shape must be 'array' or 'record'`)
  const itemKind = def.value === undefined ? 'object' : 'value'
  if (itemKind === 'value' && def.columns !== undefined)
    invalid(`collection ${def.table}: give either columns or value, not both`)
  if (itemKind === 'value' && def.children !== undefined)
    invalid(`collection ${def.table}: a collection of values has no children`)
  if (def.value?.lazy === true) invalid(`collection ${def.table}: the value of a collection of values cannot be lazy`)

  const parentKey = parent?.key ?? []
  const parentColumns =
    parent === undefined ? [] : (def.parentColumns ?? parentKey.map((c) => `${parent.table.name}_${c}`))
  if (parentColumns.length !== parentKey.length) {
    invalid(`collection ${def.table}: parentColumns needs ${parentKey.length} names`)
  }
  parentColumns.forEach((c) => assertIdentifier(c, 'parent column'))

  let keyField: string | undefined
  let keyColumn: string
  let keyDef: ColumnDef
  let valueColumn: string | undefined
  if (itemKind === 'object' && shape === 'array') {
    if (def.key === undefined) invalid(`collection ${def.table}: an array of objects needs a key field`)
    keyField = def.key
    keyDef = def.columns?.[def.key] ?? column.text()
    keyColumn = def.keyColumn ?? keyDef.column ?? snakeCase(def.key)
  } else if (itemKind === 'value' && shape === 'array') {
    keyDef = def.value as ColumnDef
    keyColumn = def.keyColumn ?? keyDef.column ?? 'value'
    valueColumn = keyColumn
  } else {
    keyDef = column.text()
    keyColumn = def.keyColumn ?? 'key'
    if (itemKind === 'value') {
      valueColumn = def.value?.column ?? 'value'
      assertIdentifier(valueColumn, 'value column')
    }
  }
  assertIdentifier(keyColumn, 'key column')
  if (keyDef.type !== 'text' && keyDef.type !== 'integer')
    invalid(`collection ${def.table}: the key must be text or integer`)
  if (keyDef.optional === true || keyDef.nullable === true || keyDef.lazy === true) {
    invalid(`collection ${def.table}: the key cannot be optional, nullable or lazy`)
  }

  const fields = itemKind === 'object' ? mapFields(def.columns, keyField) : []
  const lazyTable = def.lazyTable
  const lazyTableFields = lazyTable === undefined ? [] : fields.filter((f) => f.def.lazy === true)
  if (lazyTable !== undefined) {
    assertIdentifier(lazyTable, 'lazy table')
    if (lazyTableFields.length === 0) invalid(`collection ${def.table}: a lazyTable needs at least one lazy column`)
  }
  const rowFields = lazyTable === undefined ? fields : fields.filter((f) => f.def.lazy !== true)
  const counts = countsOf(def, parent === undefined)
  const orderColumn = shape === 'array' && def.order !== false ? (def.order ?? 'sort_key') : undefined
  const restColumn = itemKind === 'object' && def.rest !== false ? (def.rest ?? 'extra') : undefined
  if (orderColumn !== undefined) assertIdentifier(orderColumn, 'order column')
  if (restColumn !== undefined) assertIdentifier(restColumn, 'rest column')

  const columns: ColumnSpec[] = [
    ...parentColumns.map((name, i) => {
      const parentColumn = parent?.table.columns.find((c) => c.name === parentKey[i])
      return {
        name,
        type: parentColumn?.type ?? 'TEXT',
        notNull: true,
        lazy: false,
        boolean: false,
      } satisfies ColumnSpec
    }),
    columnSpec(keyColumn, keyDef, true),
  ]
  if (itemKind === 'value' && shape === 'record')
    columns.push(columnSpec(valueColumn as string, def.value as ColumnDef))
  for (const f of rowFields) columns.push(columnSpec(f.column, f.def))
  if (orderColumn !== undefined)
    columns.push({ name: orderColumn, type: 'TEXT', notNull: true, lazy: false, boolean: false })
  if (restColumn !== undefined)
    columns.push({ name: restColumn, type: 'TEXT', notNull: false, lazy: false, boolean: false })
  for (const c of counts) columns.push({ name: c.column, type: 'INTEGER', notNull: false, lazy: false, boolean: false })
  const stateColumns = columns.map((c) => c.name)
  // (An array's value is its key, text or integer, so a `since` on it is refused as not boolean.)
  const valueMapping =
    itemKind === 'value' ? [{ column: valueColumn as string, def: def.value as ColumnDef }] : ([] as const)
  columns.push(...stampColumns(def.table, [...valueMapping, ...rowFields], def))
  assertUniqueColumns(def.table, columns)

  const primaryKey = [...parentColumns, keyColumn]
  const indexes = indexSpecs(def.table, def.indexes, resolver(columns, fields))
  const spec: TableSpec = {
    name: def.table,
    columns,
    primaryKey,
    ...(parent === undefined ? {} : { parent: { table: parent.table.name, columns: parentColumns } }),
    indexes,
    withoutRowid: def.withoutRowid === true,
    role: 'collection',
    ...(orderColumn === undefined ? {} : { orderColumn }),
    ...(lazyTable === undefined ? {} : { lazyTable }),
  }
  ctx.tables.push(spec)
  if (lazyTable !== undefined) {
    claimTable(ctx, lazyTable)
    const keyColumns = primaryKey.map((name) => {
      const c = columns.find((column) => column.name === name) as ColumnSpec
      return { name, type: c.type, notNull: true, lazy: false, boolean: false } satisfies ColumnSpec
    })
    const lazyColumns = lazyTableFields.map((f) => columnSpec(f.column, f.def))
    assertUniqueColumns(lazyTable, [...keyColumns, ...lazyColumns])
    ctx.tables.push({
      name: lazyTable,
      columns: [...keyColumns, ...lazyColumns],
      primaryKey,
      parent: { table: def.table, columns: primaryKey },
      indexes: [],
      withoutRowid: false,
      role: 'lazy',
    })
  }

  const children = Object.entries(def.children ?? {}).map(([childField, child]) => {
    if (child.kind !== 'collection') invalid(`collection ${def.table}: child ${childField} must be a collection`)
    if (childField === keyField || fields.some((f) => f.field === childField)) {
      invalid(`collection ${def.table}: field ${childField} is both a column and a child collection`)
    }
    if (counts.some((c) => c.field === childField))
      invalid(`collection ${def.table}: field ${childField} is both a count field and a child collection`)
    return compileCollection(ctx, childField, child, { table: spec, key: primaryKey })
  })
  const counted = children.filter((c) => c.count !== undefined)

  const transient = def.transient ?? []
  if (transient.length > 0 && itemKind === 'value')
    invalid(`collection ${def.table}: a collection of values has no fields to keep transient`)
  for (const name of transient) {
    if (name === keyField || fields.some((f) => f.field === name) || children.some((c) => c.field === name))
      invalid(`collection ${def.table}: field ${name} is transient and also stored`)
  }
  for (const c of counts) {
    if (c.field === keyField || fields.some((f) => f.field === c.field))
      invalid(`collection ${def.table}: field ${c.field} is a count field and also a column`)
  }
  // Transient fields count as mapped: the rest column and the comparison of items both skip mapped fields.
  const mapped = new Set<string>([
    ...(keyField === undefined ? [] : [keyField]),
    ...fields.map((f) => f.field),
    ...children.map((c) => c.field),
    ...transient,
    ...counts.map((c) => c.field),
  ])
  const readColumns = columns.filter((c) => !c.lazy && c.stamp === undefined).map((c) => c.name)
  const writeColumns = stateColumns
  return {
    kind: 'collection',
    field,
    table: spec,
    shape,
    itemKind,
    keyField,
    keyColumn,
    keyType: keyDef.type,
    valueDef: def.value,
    valueColumn,
    fields,
    rowFields,
    lazyTableFields,
    restColumn,
    orderColumn,
    parentColumns,
    children,
    mapped,
    writeColumns,
    readColumns,
    onDemand: def.load === 'onDemand',
    count: def.countField === undefined ? undefined : { field: def.countField, column: countColumnOf(def) },
    counted,
    onDemandChildren: children.filter((c) => c.onDemand),
  }
}

function countColumnOf(def: CollectionDef): string {
  const name = def.countColumn ?? snakeCase(def.countField as string)
  assertIdentifier(name, 'count column')
  return name
}

/**
 * The count fields and columns the children of `def` keep in its rows, after checking how the children
 * are loaded: on demand only in the items of a top-level collection of objects, a count only on demand.
 */
function countsOf(def: CollectionDef, topLevel: boolean): { field: string; column: string }[] {
  const counts: { field: string; column: string }[] = []
  for (const child of Object.values(def.children ?? {})) {
    if (typeof child !== 'object' || child === null) continue
    const load = child.load ?? 'eager'
    if (load !== 'eager' && load !== 'onDemand')
      invalid(`collection ${child.table}: load must be 'eager' or 'onDemand', got ${JSON.stringify(load)}`)
    if (load === 'onDemand' && !topLevel)
      invalid(
        `collection ${child.table}: only a collection nested directly in a top-level collection can load on demand`,
      )
    if (child.countField === undefined) {
      if (child.countColumn !== undefined) invalid(`collection ${child.table}: countColumn needs a countField`)
      continue
    }
    if (load !== 'onDemand') invalid(`collection ${child.table}: countField is for collections loaded on demand`)
    if (typeof child.countField !== 'string' || child.countField === '')
      invalid(`collection ${child.table}: countField must be a field name`)
    if (counts.some((c) => c.field === child.countField))
      invalid(`collection ${def.table}: two children keep their count in field ${child.countField}`)
    counts.push({ field: child.countField, column: countColumnOf(child) })
  }
  return counts
}

function compileSingleton(ctx: CompileContext, field: string | null, def: SingletonDef): SingletonNode {
  claimTable(ctx, def.table)
  const idColumn = def.idColumn ?? 'id'
  assertIdentifier(idColumn, 'id column')
  const fields = mapFields(def.columns, undefined)
  const restColumn = def.rest === false ? undefined : (def.rest ?? 'extra')
  if (restColumn !== undefined) assertIdentifier(restColumn, 'rest column')
  const restMode = def.restMode ?? 'unmapped'
  if (restMode === 'all' && restColumn === undefined)
    invalid(`singleton ${def.table}: restMode 'all' needs a rest column`)
  const columns: ColumnSpec[] = [
    { name: idColumn, type: 'INTEGER', notNull: true, lazy: false, boolean: false },
    ...fields.map((f) => columnSpec(f.column, f.def)),
  ]
  if (restColumn !== undefined)
    columns.push({ name: restColumn, type: 'TEXT', notNull: false, lazy: false, boolean: false })
  columns.push(...stampColumns(def.table, fields, def))
  assertUniqueColumns(def.table, columns)
  const spec: TableSpec = {
    name: def.table,
    columns,
    primaryKey: [idColumn],
    indexes: [],
    withoutRowid: false,
    role: 'singleton',
  }
  ctx.tables.push(spec)
  return {
    kind: 'singleton',
    field,
    table: spec,
    idColumn,
    fields,
    restColumn,
    restMode,
    mapped: new Set(fields.map((f) => f.field)),
    readColumns: columns.filter((c) => !c.lazy && c.stamp === undefined).map((c) => c.name),
  }
}

function compileTable(ctx: CompileContext, name: string, def: TableDef): AppendTableNode {
  claimTable(ctx, name)
  const fields = mapFields(def.columns, undefined)
  if (fields.length === 0) invalid(`table ${name}: no columns`)
  if (fields.some((f) => f.def.since !== undefined))
    invalid(`table ${name}: \`since\` is for tables mirrored in state, not for append-only tables`)
  const primaryKey = (def.primaryKey ?? []).map((field) => {
    const found = fields.find((f) => f.field === field || f.column === field)
    if (found === undefined) invalid(`table ${name}: primary key field ${JSON.stringify(field)} is not a column`)
    return found
  })
  const rowidAlias = primaryKey.length === 1 && primaryKey[0]?.def.type === 'integer'
  const columns = fields.map((f) => {
    const inKey = primaryKey.includes(f)
    // A single integer key is SQLite's row id: left out of an insert, it is assigned.
    return columnSpec(f.column, f.def, inKey && !rowidAlias)
  })
  assertUniqueColumns(name, columns)
  const spec: TableSpec = {
    name,
    columns,
    primaryKey: primaryKey.map((f) => f.column),
    indexes: indexSpecs(name, def.indexes, resolver(columns, fields)),
    withoutRowid: def.withoutRowid === true,
    role: 'table',
  }
  if (spec.withoutRowid && spec.primaryKey.length === 0) invalid(`table ${name}: WITHOUT ROWID needs a primary key`)
  ctx.tables.push(spec)
  return { table: spec, fields }
}

/**
 * Tables in an order where every table comes after the tables it references (its parent, and the
 * targets of its foreign keys), so upserts can go parents first and deletes children first. Ties keep
 * the declaration order; a reference cycle keeps it too.
 */
function dependencyOrder(tables: readonly TableSpec[]): TableSpec[] {
  const names = new Set(tables.map((t) => t.name))
  const dependsOn = (t: TableSpec): string[] =>
    [
      ...(t.parent === undefined ? [] : [t.parent.table]),
      ...t.columns.flatMap((c) => (c.references === undefined ? [] : [c.references.table])),
    ].filter((name) => name !== t.name && names.has(name))
  const placed = new Set<string>()
  const ordered: TableSpec[] = []
  let remaining = [...tables]
  while (remaining.length > 0) {
    const ready = remaining.filter((t) => dependsOn(t).every((d) => placed.has(d)))
    const batch = ready.length > 0 ? [ready[0] as TableSpec] : [remaining[0] as TableSpec]
    for (const t of batch) {
      placed.add(t.name)
      ordered.push(t)
    }
    remaining = remaining.filter((t) => !placed.has(t.name))
  }
  return ordered
}

function compileMigrations(migrations: SchemaOptions['migrations'], version: number): MigrationSpec[] {
  if (migrations !== undefined && (typeof migrations !== 'object' || migrations === null))
    invalid('migrations: expected an object of SQL statements by version')
  return Object.entries(migrations ?? {})
    .map(([key, statements]) => {
      const v = Number(key)
      if (!Number.isInteger(v) || v < 2 || v > version)
        invalid(`migration ${key}: versions run from 2 to the schema version ${version}`)
      if (typeof statements !== 'string' && !Array.isArray(statements))
        invalid(
          `migration ${key}: expected an SQL string or an array of them, got ${JSON.stringify(statements) ?? typeof statements}`,
        )
      const list = typeof statements === 'string' ? [statements] : [...statements]
      if (list.some((s) => typeof s !== 'string' || s.trim() === ''))
        invalid(`migration ${key}: statements must be non-empty SQL strings`)
      return { version: v, statements: list }
    })
    .sort((a, b) => a.version - b.version)
}

function checkReferences(tables: readonly TableSpec[]): TableSpec[] {
  // Resolve `references` without a column to the referenced table's primary key, when it is in this schema.
  const byName = new Map(tables.map((t) => [t.name, t]))
  return tables.map((t) => {
    if (!t.columns.some((c) => c.references !== undefined && c.references.columns.length === 0)) return t
    const columns = t.columns.map((c) => {
      if (c.references === undefined || c.references.columns.length > 0) return c
      const target = byName.get(c.references.table)
      if (target === undefined || target.primaryKey.length !== 1) {
        invalid(
          `table ${t.name}: column ${c.name} references ${c.references.table} without naming a column, and that table has no single-column key in this schema`,
        )
      }
      return { ...c, references: { ...c.references, columns: target.primaryKey } }
    })
    return { ...t, columns }
  })
}

/**
 * Compiles a store's table layout: which top-level keys of the persisted state map onto which tables,
 * and which tables live beside the state. Throws INVALID_SCHEMA or INVALID_IDENTIFIER at once on a
 * definition that cannot work.
 *
 * A store without a schema (or the keys a schema does not map) is stored as one key/value row per
 * top-level key, and only keys whose value changed are rewritten.
 *
 * @example
 * ```ts
 * export const chatSchema = defineSchema({
 *   version: 1,
 *   state: { conversations },        // a collection(...)
 *   root: singleton({ table: 'chat_settings' }),
 * })
 * ```
 */
export function defineSchema(options: SchemaOptions = {}): StoreSchema {
  try {
    return compileSchema(options)
  } catch (error) {
    // A definition of the wrong shape (a number where a column belongs) fails somewhere inside; it is
    // still a bad definition, and says so with the library's code.
    if (isZustandSqliteError(error)) throw error
    throw new ZustandSqliteError(
      'INVALID_SCHEMA',
      `the schema definition cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
}

function compileSchema(options: SchemaOptions): StoreSchema {
  if (typeof options !== 'object' || options === null) invalid(`expected an object of options, got ${String(options)}`)
  const version = options.version ?? 1
  if (!Number.isInteger(version) || version < 1) invalid(`version must be an integer >= 1, got ${String(version)}`)
  const ctx: CompileContext = { tables: [], names: new Map() }
  const nodes: (CollectionNode | SingletonNode)[] = []
  for (const [field, def] of Object.entries(options.state ?? {})) {
    if (typeof def !== 'object' || def === null)
      invalid(`state.${field}: expected collection(...) or singleton(...), got ${String(def)}`)
    if (def.kind === 'collection') nodes.push(compileCollection(ctx, field, def, undefined))
    else if (def.kind === 'singleton') nodes.push(compileSingleton(ctx, field, def))
    else invalid(`state.${field}: expected collection(...) or singleton(...)`)
  }
  const root = options.root === undefined ? undefined : compileSingleton(ctx, null, options.root)
  const appendTables = new Map<string, AppendTableNode>()
  for (const [name, def] of Object.entries(options.tables ?? {})) appendTables.set(name, compileTable(ctx, name, def))
  for (const t of ctx.tables) for (const index of t.indexes) claimName(ctx, index.name, 'index')
  const tables = dependencyOrder(checkReferences(ctx.tables))
  const byName = new Map(tables.map((t) => [t.name, t]))
  const rebind = <N extends { table: TableSpec }>(node: N): N => ({
    ...node,
    table: byName.get(node.table.name) as TableSpec,
  })
  return {
    spec: { version, tables, migrations: compileMigrations(options.migrations, version) },
    nodes: nodes.map((n) => (n.kind === 'collection' ? rebindCollection(n, byName) : rebind(n))),
    root: root === undefined ? undefined : rebind(root),
    appendTables: new Map([...appendTables].map(([name, node]) => [name, rebind(node)])),
    mappedKeys: new Set(nodes.map((n) => n.field as string)),
  }
}

function rebindCollection(node: CollectionNode, byName: ReadonlyMap<string, TableSpec>): CollectionNode {
  return {
    ...node,
    table: byName.get(node.table.name) as TableSpec,
    children: node.children.map((c) => rebindCollection(c, byName)),
  }
}

const EMPTY_SCHEMA = defineSchema()

/** The schema of a store that gives none: every top-level key is one key/value row. */
export function defaultSchema(): StoreSchema {
  return EMPTY_SCHEMA
}
