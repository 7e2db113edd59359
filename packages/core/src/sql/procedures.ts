import type {
  LoadedTable,
  LoadOptions,
  LoadResult,
  PrepareResult,
  QueryRow,
  RefusedRow,
  StoreRecord,
} from '../contract/backend'
import type { ChangeSet, LazyWrite, RowBatch, TableChange } from '../contract/changeSet'
import { ZustandSqliteError } from '../contract/errors'
import type { SchemaSpec, TableSpec } from '../contract/schemaSpec'
import type { SqlValue } from '../contract/sqlValue'
import { setOwn } from '../schema/codec'
import { quote } from '../schema/identifiers'
import { assertSpec, tableDdl } from './ddl'
import { checkLazyWrite, resolveCopies, writeLazy } from './lazyWrites'
import { named, rows, run, script, transaction } from './procedure'
import type { Procedure } from './procedure'
import { register } from './registry'
import type { RegisteredStore } from './registry'
import { createRowWriter, guardRow, isRowRefusal } from './rows'
import type { StampContext } from './rows'

/** `application_id` written into a database created by zustand-sqlite ("zsql"). */
export const APPLICATION_ID = 0x7a73716c
/** Layout version of zustand-sqlite's own tables. */
export const FORMAT_VERSION = 1

const META_DDL = [
  `CREATE TABLE IF NOT EXISTS zs_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS zs_stores (store TEXT PRIMARY KEY, schema_version INTEGER NOT NULL, state_version INTEGER, updated_at INTEGER NOT NULL, revision INTEGER NOT NULL DEFAULT 0)`,
  `CREATE TABLE IF NOT EXISTS zs_tables (table_name TEXT PRIMARY KEY, store TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS zs_kv (store TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (store, key))`,
]

/** What `query` accepts: reads. PRAGMA is left out (it can change connection settings); use pragma_…() functions. */
const READ_STATEMENT = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*(?:SELECT|WITH|VALUES|EXPLAIN)\b/i

/** The store's record after a commit, checked against the writer's base revision when it gave one. */
const recordUpdate = (withVersion: boolean, withBase: boolean): string =>
  `UPDATE zs_stores SET revision = revision + 1, updated_at = ?${withVersion ? ', state_version = ?' : ''} ` +
  `WHERE store = ?${withBase ? ' AND revision = ?' : ''}`
const RECORD_UPDATES = [
  recordUpdate(false, false),
  recordUpdate(false, true),
  recordUpdate(true, false),
  recordUpdate(true, true),
]
const RECORD_READ = `SELECT state_version, revision FROM zs_stores WHERE store = ?`

/** Options of {@link createSqlProcedures}. */
export interface SqlProceduresOptions {
  /** Largest number of rows in one multi-row statement. */
  readonly maxRowsPerStatement: number
  /** The clock of timestamp columns, in milliseconds since the epoch. */
  readonly now: () => number
}

/** A prepare's outcome: what the store has recorded, and whether any table, index or migration was made. */
export interface Prepared {
  readonly record: PrepareResult
  readonly changed: boolean
}

/** The backend operations as procedures: written once, run by the synchronous and the asynchronous executor. */
export interface SqlProcedures {
  prepare(store: string, schema: SchemaSpec): Procedure<Prepared>
  load(store: string, options?: LoadOptions): Procedure<LoadResult>
  apply(changeSet: ChangeSet): Procedure<StoreRecord & { refused?: RefusedRow[] }>
  /**
   * Applies several stores' ChangeSets in one transaction. `writing.store` names the store whose
   * ChangeSet is being checked or written while it is (undefined at COMMIT), so that a failure can name it.
   */
  applyMany(changeSets: readonly ChangeSet[], writing?: { store?: string | undefined }): Procedure<StoreRecord[]>
  clear(store: string): Procedure<number>
  query(sql: string, params: readonly SqlValue[]): Procedure<QueryRow[]>
}

const toRecord = (row: readonly SqlValue[] | undefined): StoreRecord => ({
  stateVersion: row === undefined || row[0] === null || row[0] === undefined ? null : Number(row[0]),
  revision: row === undefined ? 0 : Number(row[1] ?? 0),
})

/**
 * @internal The SQL tier's logic, apart from any driver: it creates tables from the schema, writes each
 * ChangeSet in one transaction with multi-row statements chunked under SQLite's bound-variable limit,
 * binds every value, and validates every identifier it puts into SQL.
 */
export function createSqlProcedures(options: SqlProceduresOptions): SqlProcedures {
  const stores = new Map<string, RegisteredStore>()
  const writer = createRowWriter(options)
  let metaReady = false

  const registered = (store: string): RegisteredStore => {
    const found = stores.get(store)
    if (found === undefined)
      throw new ZustandSqliteError(
        'INVALID_CHANGESET',
        `store ${JSON.stringify(store)} was not prepared on this backend`,
        { store },
      )
    return found
  }

  function* ensureMeta(): Procedure<void> {
    if (metaReady) return
    const [[appId] = [0]] = (yield rows('PRAGMA application_id')).rows
    if (appId !== 0 && appId !== APPLICATION_ID) {
      throw new ZustandSqliteError(
        'FOREIGN_DATABASE',
        `the database belongs to another application (application_id ${String(appId)}); it was left untouched`,
      )
    }
    const [[tableCount] = [0]] = (yield rows(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`)).rows
    if (appId === 0 && tableCount === 0) yield script(`PRAGMA application_id = ${APPLICATION_ID}`)
    for (const ddl of META_DDL) yield script(ddl)
    // Databases made before stores had a revision gain the column; code that does not know it ignores it.
    const [[hasRevision] = [0]] = (yield rows(
      `SELECT count(*) FROM pragma_table_info('zs_stores') WHERE name = 'revision'`,
    )).rows
    if (hasRevision === 0) yield script(`ALTER TABLE zs_stores ADD COLUMN revision INTEGER NOT NULL DEFAULT 0`)
    const [[format] = [null]] = (yield rows(`SELECT value FROM zs_info WHERE key = 'format'`)).rows
    if (format === null) yield run(`INSERT INTO zs_info (key, value) VALUES ('format', ?)`, [String(FORMAT_VERSION)])
    else if (Number(format) > FORMAT_VERSION) {
      throw new ZustandSqliteError(
        'SCHEMA_TOO_NEW',
        `the database was written by a newer zustand-sqlite (format ${String(format)}, this one knows ${FORMAT_VERSION}); it was left untouched`,
      )
    }
    metaReady = true
  }

  function* checkColumns(reg: RegisteredStore, table: string): Procedure<void> {
    const spec = reg.byName.get(table) as TableSpec
    const info = (yield rows(`SELECT name FROM pragma_table_info(?)`, [table])).rows
    const present = new Set(info.map((r) => r[0]))
    const missing = spec.columns.filter((c) => !present.has(c.name)).map((c) => c.name)
    if (missing.length > 0) {
      throw new ZustandSqliteError(
        'SCHEMA_MISMATCH',
        `table ${table} lacks column(s) ${missing.join(', ')} of schema version ${reg.spec.version}; add a migration that creates them`,
      )
    }
  }

  function* namesOf(type: 'table' | 'index'): Procedure<Set<string>> {
    return new Set(
      (yield rows(`SELECT name FROM sqlite_schema WHERE type = ?`, [type])).rows.map((r) => r[0] as string),
    )
  }

  function* createOrMigrate(store: string, spec: SchemaSpec, reg: RegisteredStore): Procedure<Prepared> {
    const hadMeta = (yield* namesOf('table')).has('zs_stores')
    yield* ensureMeta()
    const [row] = (yield rows(`SELECT schema_version, state_version, revision FROM zs_stores WHERE store = ?`, [store]))
      .rows
    const owners = new Map(
      (yield rows(`SELECT table_name, store FROM zs_tables`)).rows.map((r) => [r[0] as string, r[1] as string]),
    )
    const existing = yield* namesOf('table')
    const existingIndexes = yield* namesOf('index')
    for (const t of spec.tables) {
      const owner = owners.get(t.name)
      if (owner !== undefined && owner !== store) {
        throw new ZustandSqliteError('TABLE_CONFLICT', `table ${t.name} belongs to store ${JSON.stringify(owner)}`, {
          store,
        })
      }
      if (owner === undefined && existing.has(t.name) && row === undefined) {
        throw new ZustandSqliteError(
          'TABLE_CONFLICT',
          `a table named ${t.name} already exists and is not zustand-sqlite's`,
          { store },
        )
      }
    }
    let migrated = false
    if (row !== undefined) {
      const stored = Number(row[0])
      if (stored > spec.version) {
        throw new ZustandSqliteError(
          'SCHEMA_TOO_NEW',
          `store ${JSON.stringify(store)} has schema version ${stored}, newer than this code's ${spec.version}; nothing was changed`,
          { store },
        )
      }
      for (let v = stored + 1; v <= spec.version; v++) {
        const migration = spec.migrations.find((m) => m.version === v)
        if (migration === undefined) {
          throw new ZustandSqliteError(
            'SCHEMA_MISMATCH',
            `store ${JSON.stringify(store)}: no DDL migration from schema version ${v - 1} to ${v}`,
            { store },
          )
        }
        for (let i = 0; i < migration.statements.length; i++) {
          try {
            yield script(migration.statements[i] as string)
          } catch (error) {
            throw new ZustandSqliteError(
              'MIGRATION_FAILED',
              `store ${JSON.stringify(store)}: DDL migration to schema version ${v}, statement ${i + 1}, failed: ${error instanceof Error ? error.message : String(error)}; nothing was changed`,
              { store, cause: error },
            )
          }
        }
        migrated = true
      }
    } else {
      yield run(`INSERT INTO zs_stores (store, schema_version, state_version, updated_at) VALUES (?, ?, NULL, ?)`, [
        store,
        spec.version,
        options.now(),
      ])
    }
    for (const t of spec.tables) {
      for (const ddl of tableDdl(t)) yield script(ddl)
      yield run(`INSERT OR IGNORE INTO zs_tables (table_name, store) VALUES (?, ?)`, [t.name, store])
      yield* checkColumns(reg, t.name)
    }
    if (migrated) yield run(`UPDATE zs_stores SET schema_version = ? WHERE store = ?`, [spec.version, store])
    const changed =
      !hadMeta ||
      row === undefined ||
      migrated ||
      spec.tables.some((t) => !existing.has(t.name) || t.indexes.some((index) => !existingIndexes.has(index.name)))
    return { record: toRecord(row === undefined ? undefined : row.slice(1)), changed }
  }

  function* prepare(store: string, spec: SchemaSpec): Procedure<Prepared> {
    const known = stores.get(store)
    if (known?.spec === spec) {
      // Prepared before with this very schema: only what is recorded is read, unless the stored schema
      // moved on meanwhile (another connection migrated it), which the full prepare refuses or follows.
      const [row] = (yield rows(`SELECT schema_version, state_version, revision FROM zs_stores WHERE store = ?`, [
        store,
      ])).rows
      if (row !== undefined && Number(row[0]) === spec.version)
        return { record: toRecord(row.slice(1)), changed: false }
    }
    assertSpec(spec)
    const reg = register(spec)
    const prepared = yield* transaction(createOrMigrate(store, spec, reg), 'BEGIN IMMEDIATE')
    stores.set(store, reg)
    return prepared
  }

  const selectAll = function* (table: TableSpec): Procedure<LoadedTable> {
    const columns = table.columns.filter((c) => !c.lazy && c.stamp === undefined).map((c) => c.name)
    const found = (yield rows(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table.name)}`)).rows
    return { columns, rows: found }
  }

  function* loadRows(store: string, reg: RegisteredStore, skip?: readonly string[]): Procedure<LoadResult> {
    const [row] = (yield rows(`SELECT state_version, revision FROM zs_stores WHERE store = ?`, [store])).rows
    const record = toRecord(row)
    if (record.stateVersion === null) return { ...record, tables: {}, kv: [] }
    const tables: Record<string, LoadedTable> = {}
    for (const t of reg.spec.tables)
      if (t.role !== 'table' && t.role !== 'lazy' && skip?.includes(t.name) !== true)
        tables[t.name] = yield* selectAll(t)
    const kv = (yield rows(`SELECT key, value FROM zs_kv WHERE store = ?`, [store])).rows.map(
      (r) => [r[0] as string, r[1] as string] as const,
    )
    return { ...record, tables, kv }
  }

  function* load(store: string, options?: LoadOptions): Procedure<LoadResult> {
    return yield* transaction(loadRows(store, registered(store), options?.skipTables))
  }

  /** Column lists already checked, with the table they were checked against. */
  const checkedColumns = new WeakMap<readonly string[], TableSpec>()
  const checkBatch = (reg: RegisteredStore, table: TableSpec, batch: RowBatch): void => {
    if (checkedColumns.get(batch.columns) !== table) {
      const allowed = reg.columnSets.get(table.name) as ReadonlySet<string>
      for (const c of batch.columns) {
        if (!allowed.has(c))
          throw new ZustandSqliteError('INVALID_CHANGESET', `table ${table.name} has no column ${JSON.stringify(c)}`)
      }
      checkedColumns.set(batch.columns, table)
    }
    for (const row of batch.rows) {
      if (row.length !== batch.columns.length)
        throw new ZustandSqliteError(
          'INVALID_CHANGESET',
          `table ${table.name}: a row has ${row.length} values for ${batch.columns.length} columns`,
        )
    }
  }

  /** The table changes of a ChangeSet, checked against the store's schema and in its table order. */
  const checkChangeSet = (changeSet: ChangeSet, reg: RegisteredStore): { table: TableSpec; change: TableChange }[] => {
    if (changeSet.schemaVersion !== reg.spec.version) {
      throw new ZustandSqliteError(
        'INVALID_CHANGESET',
        `the ChangeSet is for schema version ${changeSet.schemaVersion}, the store is prepared at ${reg.spec.version}`,
        { store: changeSet.store },
      )
    }
    for (const [name, value] of [
      ['state version', changeSet.stateVersion],
      ['base revision', changeSet.baseRevision],
    ] as const) {
      if (value !== undefined && !Number.isSafeInteger(value))
        throw new ZustandSqliteError('INVALID_CHANGESET', `the ${name} must be an integer`)
    }
    const changes = changeSet.tables.map((change) => {
      const table = reg.byName.get(change.table)
      if (table === undefined)
        throw new ZustandSqliteError(
          'INVALID_CHANGESET',
          `store ${JSON.stringify(changeSet.store)} has no table ${JSON.stringify(change.table)}`,
        )
      for (const batch of change.upsert ?? []) checkBatch(reg, table, batch)
      for (const batch of change.update ?? []) checkBatch(reg, table, batch)
      for (const batch of change.insert ?? []) checkBatch(reg, table, batch)
      for (const write of change.lazy ?? []) checkLazyWrite(reg, table, write)
      return { table, change }
    })
    // The middleware sends tables in schema order already; others get sorted.
    const order = reg.order
    const position = (c: { table: TableSpec }): number => order.get(c.table.name) as number
    if (changes.some((c, i) => i > 0 && position(c) < position(changes[i - 1] as (typeof changes)[number])))
      changes.sort((a, b) => position(a) - position(b))
    return changes
  }

  function* clearRows(reg: RegisteredStore, store: string): Procedure<void> {
    for (const t of [...reg.spec.tables].reverse()) yield script(`DELETE FROM ${quote(t.name)}`)
    yield run(`DELETE FROM zs_kv WHERE store = ?`, [store])
  }

  function* writeChangeSet(
    changeSet: ChangeSet,
    reg: RegisteredStore,
    changes: readonly { table: TableSpec; change: TableChange }[],
    refused?: RefusedRow[],
  ): Procedure<StoreRecord> {
    const { store, stateVersion, baseRevision } = changeSet
    // The store's record first: it checks the base revision before anything is written, takes the write
    // lock, and gives the state version that rows without one in the ChangeSet are stamped with.
    // The store's record and the rows' stamps read one clock: a commit replayed (the sql.js journal)
    // stamps what it stamped the first time.
    const now = options.now()
    const params: SqlValue[] = [now]
    if (stateVersion !== undefined) params.push(stateVersion)
    params.push(store)
    if (baseRevision !== undefined) params.push(baseRevision)
    const sql = RECORD_UPDATES[(stateVersion === undefined ? 0 : 2) + (baseRevision === undefined ? 0 : 1)] as string
    // A plain UPDATE whose changed rows tell the outcome: RETURNING costs more than the write it reports.
    const written = (yield run(sql, params)).changes
    if (written === 0) {
      if (baseRevision !== undefined)
        throw new ZustandSqliteError(
          'CONCURRENT_MODIFICATION',
          `store ${JSON.stringify(store)} was written by another connection since revision ${baseRevision}, which this ChangeSet was made against; nothing was written`,
          { store },
        )
      throw new ZustandSqliteError(
        'INVALID_CHANGESET',
        `store ${JSON.stringify(store)} has no record: prepare it first`,
        {
          store,
        },
      )
    }
    // Without a base to count from, or a state version to stamp rows with, the record is read.
    const record: StoreRecord =
      baseRevision !== undefined && stateVersion !== undefined
        ? { revision: baseRevision + 1, stateVersion }
        : toRecord((yield rows(RECORD_READ, [store])).rows[0])
    const ctx: StampContext = { now, version: record.stateVersion }
    // Copies are made inside the database after the rows are written, except where that would miss the
    // source (see resolveCopies): those are resolved now, before anything is deleted. Most ChangeSets have
    // no lazy writes: nothing is allocated for them.
    let lazyWrites: Map<TableChange, readonly LazyWrite[]> | undefined
    if (changes.some((c) => (c.change.lazy?.length ?? 0) > 0)) {
      const deletes = changeSet.replace === true || changes.some((c) => (c.change.delete?.length ?? 0) > 0)
      lazyWrites = new Map()
      for (const { table, change } of changes) {
        const writes = change.lazy
        if (writes === undefined || writes.length === 0) continue
        lazyWrites.set(
          change,
          writes.some((w) => 'from' in w) ? yield* resolveCopies(reg, table, writes, deletes) : writes,
        )
      }
    }
    if (changeSet.replace === true) yield* clearRows(reg, store)
    for (let i = changes.length - 1; i >= 0; i--) {
      const { table, change } = changes[i] as (typeof changes)[number]
      if (change.delete !== undefined && change.delete.length > 0) yield* writer.deleteRows(reg, table, change.delete)
    }
    for (const { table, change } of changes) {
      for (const batch of change.upsert ?? []) yield* writer.writeRows(table, batch, 'upsert', ctx, refused)
      for (const batch of change.update ?? []) yield* writer.updateRows(table, batch, ctx, refused)
      for (const batch of change.insert ?? []) yield* writer.writeRows(table, batch, 'insert', ctx, refused)
      for (const write of lazyWrites?.get(change) ?? []) {
        if (refused === undefined) yield* writeLazy(reg, table, write)
        else yield* guardRow(table, write.key, refused, writeLazy(reg, table, write))
      }
    }
    const kv = changeSet.kv
    if (kv?.delete !== undefined && kv.delete.length > 0) yield* writer.deleteKeys(store, kv.delete)
    if (kv?.set !== undefined && kv.set.length > 0) yield* writer.setKeys(store, kv.set)
    return record
  }

  function* apply(changeSet: ChangeSet): Procedure<StoreRecord & { refused?: RefusedRow[] }> {
    const reg = registered(changeSet.store)
    const changes = checkChangeSet(changeSet, reg)
    if (changeSet.isolateRefusedRows !== true) return yield* transaction(writeChangeSet(changeSet, reg, changes))
    try {
      return yield* transaction(writeChangeSet(changeSet, reg, changes))
    } catch (error) {
      if (!isRowRefusal(error)) throw error
    }
    // A row was refused: the same ChangeSet again, one row at a time, leaving out the rows refused. (A
    // deferred foreign key fails at COMMIT, where no row can be told apart: that still fails it whole.)
    const refused: RefusedRow[] = []
    const record = yield* transaction(writeChangeSet(changeSet, reg, changes, refused))
    return { ...record, refused }
  }

  function* writeAll(
    checked: readonly {
      changeSet: ChangeSet
      reg: RegisteredStore
      changes: { table: TableSpec; change: TableChange }[]
    }[],
    writing: { store?: string | undefined },
  ): Procedure<StoreRecord[]> {
    const records: StoreRecord[] = []
    for (const { changeSet, reg, changes } of checked) {
      writing.store = changeSet.store
      records.push(yield* writeChangeSet(changeSet, reg, changes))
    }
    writing.store = undefined
    return records
  }

  function* applyMany(
    changeSets: readonly ChangeSet[],
    writing: { store?: string | undefined } = {},
  ): Procedure<StoreRecord[]> {
    // Every ChangeSet is checked before the transaction begins: one that is not valid writes nothing.
    const stores = new Set<string>()
    const checked = changeSets.map((changeSet) => {
      writing.store = changeSet.store
      if (stores.has(changeSet.store))
        throw new ZustandSqliteError(
          'INVALID_CHANGESET',
          `two ChangeSets for store ${JSON.stringify(changeSet.store)}: one transaction takes at most one per store; nothing was written`,
          { store: changeSet.store },
        )
      stores.add(changeSet.store)
      const reg = registered(changeSet.store)
      return { changeSet, reg, changes: checkChangeSet(changeSet, reg) }
    })
    writing.store = undefined
    if (checked.length === 0) return []
    // Refused rows are not isolated here: one refused row fails the whole, as one store's write fails whole.
    return yield* transaction(writeAll(checked, writing))
  }

  function* clearStore(store: string, reg: RegisteredStore): Procedure<void> {
    yield* clearRows(reg, store)
    yield run(`UPDATE zs_stores SET state_version = NULL, revision = revision + 1, updated_at = ? WHERE store = ?`, [
      options.now(),
      store,
    ])
  }

  /** Clears the store; returns its revision after the clear. */
  function* clear(store: string): Procedure<number> {
    return yield* transaction(clearAndCount(store))
  }

  function* clearAndCount(store: string): Procedure<number> {
    yield* clearStore(store, registered(store))
    return Number((yield rows(`SELECT revision FROM zs_stores WHERE store = ?`, [store])).rows[0]?.[0] ?? 0)
  }

  function* query(sql: string, params: readonly SqlValue[]): Procedure<QueryRow[]> {
    if (!READ_STATEMENT.test(sql)) {
      throw new ZustandSqliteError('QUERY_FAILED', 'query takes one SELECT, WITH, VALUES or EXPLAIN statement')
    }
    yield script('PRAGMA query_only = 1')
    try {
      const result = yield named(sql, params)
      const names = result.columns
      return result.rows.map((row) => {
        const object: QueryRow = {}
        for (let i = 0; i < names.length; i++) setOwn(object, names[i] as string, row[i] as SqlValue)
        return object
      })
    } finally {
      yield script('PRAGMA query_only = 0')
    }
  }

  return { prepare, load, apply, applyMany, clear, query }
}
