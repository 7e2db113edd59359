import type { Backend, LoadedTable, LoadResult, QueryRow } from './backend'
import type { ChangeSet, LazyWrite, RowBatch, TableChange } from './changeSet'
import type { SqlValue } from './codec'
import { isZustandSqliteError, ZustandSqliteError } from './errors'
import type { ZustandSqliteErrorCode } from './errors'
import { assertIdentifier, quote } from './identifiers'
import type { ColumnSpec, ColumnStamp, SchemaSpec, TableSpec } from './schema'

/** A prepared statement of a synchronous SQLite driver. */
export interface SqlStatement {
  /**
   * Executes with bound parameters, discarding any rows. Returns the number of rows the statement
   * changed when the engine tells (an UPDATE that finds no row is then followed by an insert).
   */
  run(params: readonly SqlValue[]): number | void
  /** Executes and returns every row as an array of values. */
  all(params: readonly SqlValue[]): SqlValue[][]
  /** Names of the result columns. */
  columns(): string[]
  /** Releases the statement (engines that need it, such as sql.js). */
  finalize?(): void
}

/**
 * The slice of a synchronous SQLite driver the SQL tier uses. An adapter for a new engine implements
 * these four calls; see `@zustand-sqlite/backend-better-sqlite3` for one.
 */
export interface SqlDriver {
  /** A short name for telemetry and messages. */
  readonly name: string
  /** Executes one or more statements without parameters (DDL, pragmas, BEGIN/COMMIT). */
  exec(sql: string): void
  prepare(sql: string): SqlStatement
  close(): void
}

/** Options of {@link createSqlBackend}. */
export interface SqlBackendOptions {
  /** Called after every committed write (apply, clear, and a prepare that created or migrated tables). */
  onWrite?: () => void
  /** Largest number of rows in one multi-row statement. @default 256 */
  maxRowsPerStatement?: number
  /** Prepared statements kept. @default 256 */
  statementCacheSize?: number
  /** Name reported by the backend. @default the driver's name */
  name?: string
  /** The clock of timestamp columns (`timestamps`, `since`), in milliseconds since the epoch. @default Date.now */
  now?: () => number
}

/** A Backend over a {@link SqlDriver}, with access to the driver for the engine's own adapters. */
export interface SqlBackend extends Backend {
  readonly driver: SqlDriver
  /** Forgets every cached statement (an engine that invalidated them, e.g. sql.js after `export()`). */
  resetStatements(): void
}

/** `application_id` written into a database created by zustand-sqlite ("zsql"). */
export const APPLICATION_ID = 0x7a73716c
/** Layout version of zustand-sqlite's own tables. */
export const FORMAT_VERSION = 1

const META_DDL = [
  `CREATE TABLE IF NOT EXISTS zs_info (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS zs_stores (store TEXT PRIMARY KEY, schema_version INTEGER NOT NULL, state_version INTEGER, updated_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS zs_tables (table_name TEXT PRIMARY KEY, store TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS zs_kv (store TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (store, key))`,
]

/** What `query` accepts: reads. PRAGMA is left out (it can change connection settings); use pragma_…() functions. */
const READ_STATEMENT = /^\s*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)\s*)*(?:SELECT|WITH|VALUES|EXPLAIN)\b/i

/** True for SQLite's corruption and not-a-database errors, from any driver. */
export function isCorruptionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) return true
  const message = (error as { message?: unknown }).message
  return (
    typeof message === 'string' &&
    /file is not a database|database disk image is malformed|file is encrypted/i.test(message)
  )
}

function fail(error: unknown, code: ZustandSqliteErrorCode, message: string, store?: string): ZustandSqliteError {
  if (isZustandSqliteError(error)) return error
  const detail = error instanceof Error ? error.message : String(error)
  const finalCode = isCorruptionError(error) ? 'CORRUPT_DATABASE' : code
  return new ZustandSqliteError(finalCode, `${message}: ${detail}`, {
    cause: error,
    ...(store === undefined ? {} : { store }),
  })
}

function columnDdl(column: ColumnSpec): string {
  let ddl = `${quote(column.name)} ${column.type}`
  if (column.notNull) ddl += ' NOT NULL'
  if (column.boolean) ddl += ` CHECK (${quote(column.name)} IN (0, 1))`
  return ddl
}

function tableDdl(table: TableSpec): string[] {
  // Lazy columns (file content) go last: SQLite reads a row's columns in order, so a large value before
  // the others would be read through for every row a load scans.
  const parts = [...table.columns.filter((c) => !c.lazy), ...table.columns.filter((c) => c.lazy)].map(columnDdl)
  if (table.primaryKey.length > 0) parts.push(`PRIMARY KEY (${table.primaryKey.map(quote).join(', ')})`)
  if (table.parent !== undefined) {
    // No column list: the reference is to the parent's primary key.
    parts.push(
      `FOREIGN KEY (${table.parent.columns.map(quote).join(', ')}) REFERENCES ${quote(table.parent.table)} ON DELETE CASCADE`,
    )
  }
  for (const c of table.columns) {
    if (c.references === undefined) continue
    parts.push(
      // Checked at commit: one ChangeSet is one transaction, so its rows may come in any order (a
      // folder and its subfolder written in one set).
      `FOREIGN KEY (${quote(c.name)}) REFERENCES ${quote(c.references.table)} (${c.references.columns.map(quote).join(', ')}) ON DELETE ${c.references.onDelete.toUpperCase()} DEFERRABLE INITIALLY DEFERRED`,
    )
  }
  const options = table.withoutRowid ? 'STRICT, WITHOUT ROWID' : 'STRICT'
  const statements = [`CREATE TABLE IF NOT EXISTS ${quote(table.name)} (\n  ${parts.join(',\n  ')}\n) ${options}`]
  for (const index of table.indexes) {
    statements.push(
      `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${quote(index.name)} ON ${quote(table.name)} (${index.columns.map(quote).join(', ')})`,
    )
  }
  return statements
}

/** Checks a schema spec received as data (it may come from a client): every name must be safe. */
function assertSpec(schema: SchemaSpec): void {
  if (!Number.isInteger(schema.version) || schema.version < 1) {
    throw new ZustandSqliteError('INVALID_SCHEMA', `schema version must be an integer >= 1`)
  }
  const types = new Set(['TEXT', 'INTEGER', 'REAL', 'BLOB'])
  for (const t of schema.tables) {
    assertIdentifier(t.name, 'table name')
    for (const c of t.columns) {
      assertIdentifier(c.name, `column of ${t.name}`)
      if (!types.has(c.type))
        throw new ZustandSqliteError('INVALID_SCHEMA', `${t.name}.${c.name}: unknown type ${String(c.type)}`)
      if (c.references !== undefined) {
        assertIdentifier(c.references.table, 'referenced table')
        c.references.columns.forEach((r) => assertIdentifier(r, 'referenced column'))
        if (!['cascade', 'set null', 'restrict', 'no action'].includes(c.references.onDelete)) {
          throw new ZustandSqliteError('INVALID_SCHEMA', `${t.name}.${c.name}: unknown ON DELETE action`)
        }
      }
    }
    const names = new Set(t.columns.map((c) => c.name))
    for (const c of t.columns) if (c.stamp !== undefined) assertStamp(t, c, c.stamp)
    for (const k of t.primaryKey)
      if (!names.has(k)) throw new ZustandSqliteError('INVALID_SCHEMA', `${t.name}: key column ${k} is not a column`)
    for (const index of t.indexes) {
      assertIdentifier(index.name, 'index name')
      for (const c of index.columns)
        if (!names.has(c))
          throw new ZustandSqliteError('INVALID_SCHEMA', `${t.name}: index column ${c} is not a column`)
    }
    if (t.parent !== undefined) {
      assertIdentifier(t.parent.table, 'parent table')
      t.parent.columns.forEach((c) => assertIdentifier(c, 'parent column'))
    }
  }
}

function assertStamp(table: TableSpec, column: ColumnSpec, stamp: ColumnStamp): void {
  const bad = (problem: string): never => {
    throw new ZustandSqliteError('INVALID_SCHEMA', `${table.name}.${column.name}: ${problem}`)
  }
  if (column.type !== 'INTEGER') bad('a stamp column must be INTEGER')
  if (table.primaryKey.includes(column.name)) bad('a stamp column cannot be part of the key')
  if (typeof stamp === 'object' && stamp !== null) {
    const target = table.columns.find((c) => c.name === stamp.since)
    if (target === undefined || !target.boolean || target.stamp !== undefined)
      bad(`\`since\` names ${String(stamp.since)}, which is not a boolean column of the table`)
    if (column.notNull) bad('a `since` column must allow NULL')
  } else if (stamp !== 'created' && stamp !== 'updated' && stamp !== 'stateVersion') {
    bad(`unknown stamp ${String(stamp)}`)
  }
}

interface RegisteredStore {
  readonly spec: SchemaSpec
  readonly byName: ReadonlyMap<string, TableSpec>
  /** Per table, the tables whose rows go when one of its rows goes: deepest first, with the key prefix length. */
  readonly descendants: ReadonlyMap<string, readonly { table: TableSpec; prefix: readonly string[] }[]>
  /** Per table, the columns a ChangeSet may write (every column but the stamps). */
  readonly columnSets: ReadonlyMap<string, ReadonlySet<string>>
  /** Position of each table in dependency order. */
  readonly order: ReadonlyMap<string, number>
}

function register(spec: SchemaSpec): RegisteredStore {
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

/**
 * The SQL tier: a {@link Backend} over any synchronous SQLite driver. It creates tables from the
 * schema, caches prepared statements, writes each ChangeSet in one transaction with multi-row
 * statements chunked under SQLite's bound-variable limit, binds every value, and validates every
 * identifier it puts into SQL.
 *
 * @example
 * ```ts
 * const backend = createSqlBackend({
 *   name: 'my-driver',
 *   exec: (sql) => db.exec(sql),
 *   prepare: (sql) => { const s = db.prepare(sql); return { run: (p) => s.run(...p), all: (p) => s.raw().all(...p), columns: () => s.columns().map((c) => c.name) } },
 *   close: () => db.close(),
 * })
 * ```
 */
export function createSqlBackend(driver: SqlDriver, options: SqlBackendOptions = {}): SqlBackend {
  const settings = { maxRowsPerStatement: 256, statementCacheSize: 256, ...options }
  const clock = settings.now ?? Date.now
  const stores = new Map<string, RegisteredStore>()
  const cache = new Map<string, SqlStatement>()
  let closed = false
  let metaReady = false
  /** The state version each store has in the database, as this backend last read or wrote it. */
  const recordedVersions = new Map<string, number | null>()
  let maxVariables: number | undefined

  const assertOpen = (): void => {
    if (closed) throw new ZustandSqliteError('BACKEND_CLOSED', `the ${driver.name} backend is closed`)
  }

  const statement = (sql: string): SqlStatement => {
    let stmt = cache.get(sql)
    if (stmt !== undefined) {
      cache.delete(sql)
      cache.set(sql, stmt)
      return stmt
    }
    stmt = driver.prepare(sql)
    cache.set(sql, stmt)
    if (cache.size > settings.statementCacheSize) {
      const [oldestSql, oldest] = cache.entries().next().value as [string, SqlStatement]
      cache.delete(oldestSql)
      oldest.finalize?.()
    }
    return stmt
  }

  const resetStatements = (): void => {
    for (const stmt of cache.values()) stmt.finalize?.()
    cache.clear()
  }

  const variableLimit = (): number => {
    if (maxVariables !== undefined) return maxVariables
    let limit: number | undefined
    for (const [option] of statement('PRAGMA compile_options').all([])) {
      const match = /^MAX_VARIABLE_NUMBER=(\d+)$/.exec(String(option))
      if (match !== null) limit = Number(match[1])
    }
    if (limit === undefined) {
      const version = String(statement('SELECT sqlite_version()').all([])[0]?.[0] ?? '0')
      const [major = 0, minor = 0] = version.split('.').map(Number)
      limit = major > 3 || (major === 3 && minor >= 32) ? 32766 : 999
    }
    maxVariables = limit
    return limit
  }

  // BEGIN and COMMIT are prepared once like any statement: parsing them on every write costs as much as
  // the write itself. A deferred BEGIN is enough for writes: the first statement of every write
  // transaction here writes, so the write lock is taken before anything is read (under the busy timeout).
  // prepare reads before it writes, so it takes the write lock up front (IMMEDIATE): two processes
  // preparing at once then wait for each other instead of failing to upgrade a read snapshot.
  const transaction = <T>(fn: () => T, begin: 'BEGIN' | 'BEGIN IMMEDIATE' = 'BEGIN'): T => {
    statement(begin).run([])
    try {
      const result = fn()
      statement('COMMIT').run([])
      return result
    } catch (error) {
      try {
        statement('ROLLBACK').run([])
      } catch {
        // SQLite may already have rolled back (e.g. after SQLITE_FULL); the original error matters.
      }
      throw error
    }
  }

  const ensureMeta = (): void => {
    if (metaReady) return
    const [[appId] = [0]] = statement('PRAGMA application_id').all([])
    if (appId !== 0 && appId !== APPLICATION_ID) {
      throw new ZustandSqliteError(
        'FOREIGN_DATABASE',
        `the database belongs to another application (application_id ${String(appId)}); it was left untouched`,
      )
    }
    const [[tableCount] = [0]] = statement(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).all([])
    if (appId === 0 && tableCount === 0) driver.exec(`PRAGMA application_id = ${APPLICATION_ID}`)
    for (const ddl of META_DDL) driver.exec(ddl)
    const [[format] = [null]] = statement(`SELECT value FROM zs_info WHERE key = 'format'`).all([])
    if (format === null)
      statement(`INSERT INTO zs_info (key, value) VALUES ('format', ?)`).run([String(FORMAT_VERSION)])
    else if (Number(format) > FORMAT_VERSION) {
      throw new ZustandSqliteError(
        'SCHEMA_TOO_NEW',
        `the database was written by a newer zustand-sqlite (format ${String(format)}, this one knows ${FORMAT_VERSION}); it was left untouched`,
      )
    }
    metaReady = true
  }

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

  const checkColumns = (reg: RegisteredStore, table: string): void => {
    const spec = reg.byName.get(table) as TableSpec
    const info = statement(`SELECT name FROM pragma_table_info(?)`).all([table])
    const present = new Set(info.map((r) => r[0]))
    const missing = spec.columns.filter((c) => !present.has(c.name)).map((c) => c.name)
    if (missing.length > 0) {
      throw new ZustandSqliteError(
        'SCHEMA_MISMATCH',
        `table ${table} lacks column(s) ${missing.join(', ')} of schema version ${reg.spec.version}; add a migration that creates them`,
      )
    }
  }

  /** Returns whether anything was created or migrated. */
  const prepareStore = (store: string, spec: SchemaSpec): boolean => {
    assertSpec(spec)
    const reg = register(spec)
    const namesOf = (type: 'table' | 'index'): Set<string> =>
      new Set(
        statement(`SELECT name FROM sqlite_schema WHERE type = ?`)
          .all([type])
          .map((r) => r[0] as string),
      )
    const tableNames = (): Set<string> => namesOf('table')
    const changed = transaction(() => {
      const hadMeta = tableNames().has('zs_stores')
      ensureMeta()
      const [row] = statement(`SELECT schema_version FROM zs_stores WHERE store = ?`).all([store])
      const owners = new Map(
        statement(`SELECT table_name, store FROM zs_tables`)
          .all([])
          .map((r) => [r[0] as string, r[1] as string]),
      )
      const existing = tableNames()
      const existingIndexes = namesOf('index')
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
          migration.statements.forEach((sql, i) => {
            try {
              driver.exec(sql)
            } catch (error) {
              throw new ZustandSqliteError(
                'MIGRATION_FAILED',
                `store ${JSON.stringify(store)}: DDL migration to schema version ${v}, statement ${i + 1}, failed: ${error instanceof Error ? error.message : String(error)}; nothing was changed`,
                { store, cause: error },
              )
            }
          })
          migrated = true
        }
      } else {
        statement(
          `INSERT INTO zs_stores (store, schema_version, state_version, updated_at) VALUES (?, ?, NULL, ?)`,
        ).run([store, spec.version, Date.now()])
      }
      for (const t of spec.tables) {
        for (const ddl of tableDdl(t)) driver.exec(ddl)
        statement(`INSERT OR IGNORE INTO zs_tables (table_name, store) VALUES (?, ?)`).run([t.name, store])
        checkColumns(reg, t.name)
      }
      if (migrated) statement(`UPDATE zs_stores SET schema_version = ? WHERE store = ?`).run([spec.version, store])
      return (
        !hadMeta ||
        row === undefined ||
        migrated ||
        spec.tables.some((t) => !existing.has(t.name) || t.indexes.some((index) => !existingIndexes.has(index.name)))
      )
    }, 'BEGIN IMMEDIATE')
    // DDL changes the schema: statements prepared before may be stale.
    if (changed) resetStatements()
    stores.set(store, reg)
    recordedVersions.delete(store)
    return changed
  }

  const selectAll = (table: TableSpec): LoadedTable => {
    const columns = table.columns.filter((c) => !c.lazy && c.stamp === undefined).map((c) => c.name)
    const rows = statement(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table.name)}`).all([])
    return { columns, rows }
  }

  const loadStore = (store: string): LoadResult => {
    const reg = registered(store)
    return transaction(() => {
      const [row] = statement(`SELECT state_version FROM zs_stores WHERE store = ?`).all([store])
      const stateVersion = row === undefined || row[0] === null ? null : Number(row[0])
      recordedVersions.set(store, stateVersion)
      if (stateVersion === null) return { stateVersion, tables: {}, kv: [] }
      const tables: Record<string, LoadedTable> = {}
      for (const t of reg.spec.tables) if (t.role !== 'table' && t.role !== 'lazy') tables[t.name] = selectAll(t)
      const kv = statement(`SELECT key, value FROM zs_kv WHERE store = ?`)
        .all([store])
        .map((r) => [r[0] as string, r[1] as string] as const)
      return { stateVersion, tables, kv }
    })
  }

  /** SQL text of one statement shape, per row count: built once. */
  interface Shape {
    readonly width: number
    readonly texts: Map<number, string>
    readonly sqlFor: (count: number) => string
  }
  const shape = (width: number, sqlFor: (count: number) => string): Shape => ({ width, texts: new Map(), sqlFor })
  const textOf = (s: Shape, count: number): string => {
    let text = s.texts.get(count)
    if (text === undefined) s.texts.set(count, (text = s.sqlFor(count)))
    return text
  }
  /**
   * Shapes by column list identity: the middleware reuses one column list per table, so after the first
   * write the SQL text is a map lookup away. (A ChangeSet from elsewhere builds its shapes once per list.)
   */
  const shapes = new WeakMap<readonly string[], Map<string, Shape>>()
  const shapeFor = (columns: readonly string[], key: string, make: () => Shape): Shape => {
    let byKey = shapes.get(columns)
    if (byKey === undefined) shapes.set(columns, (byKey = new Map()))
    let found = byKey.get(key)
    if (found === undefined) byKey.set(key, (found = make()))
    return found
  }

  /**
   * Runs a statement shape over `rows` in chunks of powers of two, so few distinct statements are
   * cached. Returns the rows changed, as far as the driver tells.
   */
  const chunked = (rows: readonly (readonly SqlValue[])[], s: Shape): number => {
    const byVariables = Math.max(1, Math.floor(variableLimit() / Math.max(1, s.width)))
    let chunk = 1
    while (chunk * 2 <= Math.min(settings.maxRowsPerStatement, byVariables)) chunk *= 2
    let changed = 0
    let offset = 0
    while (offset < rows.length) {
      while (chunk > 1 && rows.length - offset < chunk) chunk /= 2
      const stmt = statement(textOf(s, chunk))
      if (chunk === 1) changed += Number(stmt.run(rows[offset] as readonly SqlValue[]) ?? 0)
      else {
        const params: SqlValue[] = []
        for (let i = offset; i < offset + chunk; i++) for (const v of rows[i] as readonly SqlValue[]) params.push(v)
        changed += Number(stmt.run(params) ?? 0)
      }
      offset += chunk
    }
    return changed
  }

  const tuples = (count: number, width: number): string => {
    const one = width === 1 ? '?' : `(${new Array(width).fill('?').join(', ')})`
    return new Array(count).fill(one).join(', ')
  }
  const kvDelete = shape(2, (count) => `DELETE FROM zs_kv WHERE (store, key) IN (VALUES ${tuples(count, 2)})`)
  const kvSet = shape(
    3,
    (count) =>
      `INSERT INTO zs_kv (store, key, value) VALUES ${tuples(count, 3)} ON CONFLICT (store, key) DO UPDATE SET value = excluded.value`,
  )

  const keyMatch = (columns: readonly string[], count: number): string =>
    columns.length === 1
      ? `${quote(columns[0] as string)} IN (${tuples(count, 1)})`
      : `(${columns.map(quote).join(', ')}) IN (VALUES ${tuples(count, columns.length)})`

  /** Column lists already checked, with the table they were checked against. */
  const checkedColumns = new WeakMap<readonly string[], TableSpec>()
  const checkBatch = (reg: RegisteredStore, table: TableSpec, batch: RowBatch): void => {
    if (checkedColumns.get(batch.columns) !== table) {
      const known = reg.columnSets.get(table.name) as ReadonlySet<string>
      for (const c of batch.columns) {
        if (!known.has(c))
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

  /** What a write stamps into stamp columns: the clock reading and state version of its ChangeSet. */
  interface StampContext {
    readonly now: number
    /** `null` only for a ChangeSet without a state version, on a store that has none recorded. */
    readonly version: number | null
  }
  const stampColumnsOf = new WeakMap<TableSpec, readonly ColumnSpec[]>()
  const stampsOf = (table: TableSpec): readonly ColumnSpec[] => {
    let found = stampColumnsOf.get(table)
    if (found === undefined) stampColumnsOf.set(table, (found = table.columns.filter((c) => c.stamp !== undefined)))
    return found
  }
  /** Per stamp column, where the boolean its `since` follows is in a row of `columns` (-1: not there). */
  const sinceIndexes = (stamps: readonly ColumnSpec[], columns: readonly string[]): number[] =>
    stamps.map((c) => (typeof c.stamp === 'object' ? columns.indexOf(c.stamp.since) : -1))
  const stampValue = (column: ColumnSpec, sinceIndex: number, row: readonly SqlValue[], ctx: StampContext): SqlValue =>
    column.stamp === 'stateVersion'
      ? ctx.version
      : typeof column.stamp === 'object'
        ? sinceIndex >= 0 && row[sinceIndex] === 1
          ? ctx.now
          : null
        : ctx.now

  const writeRows = (table: TableSpec, batch: RowBatch, mode: 'upsert' | 'insert', ctx: StampContext): void => {
    const columns = batch.columns
    const s = shapeFor(columns, `${mode} ${table.name}`, () => {
      const stamps = stampsOf(table)
      const since = sinceIndexes(stamps, columns)
      const all = [...columns, ...stamps.map((c) => c.name)]
      const head = `INSERT INTO ${quote(table.name)} (${all.map(quote).join(', ')}) VALUES `
      let tailSql = ''
      if (mode === 'upsert' && table.primaryKey.length > 0) {
        const t = quote(table.name)
        const updates = columns
          .filter((c) => !table.primaryKey.includes(c))
          .map((c) => `${quote(c)} = excluded.${quote(c)}`)
        stamps.forEach((c, i) => {
          const name = quote(c.name)
          if (c.stamp === 'updated' || c.stamp === 'stateVersion') updates.push(`${name} = excluded.${name}`)
          else if (typeof c.stamp === 'object' && since[i] !== -1) {
            // Stays when the boolean was already 1; NULL once it is not.
            const flag = quote(c.stamp.since)
            updates.push(
              `${name} = CASE WHEN excluded.${flag} IS NOT 1 THEN NULL WHEN ${t}.${flag} = 1 THEN ${t}.${name} ELSE excluded.${name} END`,
            )
          }
        })
        tailSql = ` ON CONFLICT (${table.primaryKey.map(quote).join(', ')}) ${updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'}`
      }
      return { ...shape(all.length, (count) => head + tuples(count, all.length) + tailSql), stamps, since }
    }) as Shape & { stamps: readonly ColumnSpec[]; since: readonly number[] }
    const { stamps, since } = s
    if (stamps.length === 0) {
      chunked(batch.rows, s)
      return
    }
    chunked(
      batch.rows.map((row) => [...row, ...stamps.map((c, i) => stampValue(c, since[i] as number, row, ctx))]),
      s,
    )
  }

  /**
   * Rows stored before: an UPDATE by key, which costs less than an upsert. A row found missing (the
   * driver reports 0 changes, or cannot say) is written with the upsert instead.
   */
  const updateRows = (table: TableSpec, batch: RowBatch, ctx: StampContext): void => {
    const columns = batch.columns
    // One UPDATE by key per row. (UPDATE … FROM (VALUES …) for many rows measured slower than this on
    // tables with foreign keys, and needs SQLite 3.33.)
    const s = shapeFor(columns, `update ${table.name}`, () => {
      const keyIndexes = table.primaryKey.map((k) => columns.indexOf(k))
      const setIndexes = columns.map((_, i) => i).filter((i) => !keyIndexes.includes(i))
      const usable = table.primaryKey.length > 0 && !keyIndexes.includes(-1) && setIndexes.length > 0
      const sets = setIndexes.map((i) => `${quote(columns[i] as string)} = ?`)
      const stamps = stampsOf(table)
      const since = sinceIndexes(stamps, columns)
      /** Per bound stamp parameter: the stamp column and, for a `since` flag parameter, the flag's index. */
      const stampParams: { column: ColumnSpec; flag: number }[] = []
      stamps.forEach((c, i) => {
        const name = quote(c.name)
        if (c.stamp === 'updated' || c.stamp === 'stateVersion') {
          sets.push(`${name} = ?`)
          stampParams.push({ column: c, flag: -1 })
        } else if (typeof c.stamp === 'object' && since[i] !== -1) {
          const flag = quote(c.stamp.since)
          sets.push(`${name} = CASE WHEN ? IS NOT 1 THEN NULL WHEN ${flag} = 1 THEN ${name} ELSE ? END`)
          stampParams.push({ column: c, flag: since[i] as number }, { column: c, flag: -2 })
        }
      })
      const where = table.primaryKey.map((k) => `${quote(k)} = ?`).join(' AND ')
      return {
        ...shape(columns.length, () => `UPDATE ${quote(table.name)} SET ${sets.join(', ')} WHERE ${where}`),
        keyIndexes: usable ? keyIndexes : undefined,
        setIndexes,
        stampParams,
      }
    }) as Shape & {
      keyIndexes: number[] | undefined
      setIndexes: number[]
      stampParams: readonly { column: ColumnSpec; flag: number }[]
    }
    const { keyIndexes, setIndexes, stampParams } = s
    if (keyIndexes === undefined) {
      writeRows(table, batch, 'upsert', ctx)
      return
    }
    const stmt = statement(textOf(s, 1))
    let changed = 0
    for (const row of batch.rows) {
      const params: SqlValue[] = []
      for (const i of setIndexes) params.push(row[i] as SqlValue)
      for (const { column, flag } of stampParams) {
        if (flag >= 0) params.push(row[flag] as SqlValue)
        else params.push(flag === -2 ? ctx.now : stampValue(column, -1, row, ctx))
      }
      for (const i of keyIndexes) params.push(row[i] as SqlValue)
      changed += Number(stmt.run(params) ?? 0)
    }
    // A row that is not there (deleted behind this store's back) is inserted: the upsert rewrites the
    // rows just updated with the same values and adds the missing ones.
    if (changed !== batch.rows.length) writeRows(table, batch, 'upsert', ctx)
  }

  const deleteRows = (reg: RegisteredStore, table: TableSpec, keys: readonly (readonly SqlValue[])[]): void => {
    if (table.primaryKey.length === 0)
      throw new ZustandSqliteError('INVALID_CHANGESET', `table ${table.name} has no key to delete by`)
    for (const key of keys) {
      if (key.length !== table.primaryKey.length)
        throw new ZustandSqliteError(
          'INVALID_CHANGESET',
          `table ${table.name}: a delete key has ${key.length} values for ${table.primaryKey.length} key columns`,
        )
    }
    for (const { table: d, prefix } of reg.descendants.get(table.name) ?? []) {
      chunked(
        keys,
        shapeFor(prefix, `delete ${d.name}`, () =>
          shape(prefix.length, (count) => `DELETE FROM ${quote(d.name)} WHERE ${keyMatch(prefix, count)}`),
        ),
      )
    }
    chunked(
      keys,
      shapeFor(table.primaryKey, `delete ${table.name}`, () =>
        shape(
          table.primaryKey.length,
          (count) => `DELETE FROM ${quote(table.name)} WHERE ${keyMatch(table.primaryKey, count)}`,
        ),
      ),
    )
  }

  /** Where a table's lazy columns are: its lazy table, or itself. */
  const lazyHome = (reg: RegisteredStore, table: TableSpec): TableSpec => {
    if (table.lazyTable === undefined) return table
    const home = reg.byName.get(table.lazyTable)
    if (home === undefined || home.role !== 'lazy')
      throw new ZustandSqliteError(
        'INVALID_SCHEMA',
        `table ${table.name}: its lazy table ${table.lazyTable} is missing`,
      )
    return home
  }

  const checkLazyWrite = (reg: RegisteredStore, main: TableSpec, write: LazyWrite): void => {
    const table = lazyHome(reg, main)
    const bad = (why: string): never => {
      throw new ZustandSqliteError('INVALID_CHANGESET', `table ${main.name}: a lazy write ${why}`)
    }
    if (table.primaryKey.length === 0) bad('needs a table with a primary key')
    if (write.key.length !== table.primaryKey.length) bad(`has ${write.key.length} key values`)
    if (write.columns.length === 0) bad('names no column')
    for (const name of write.columns) {
      if (table.columns.find((c) => c.name === name)?.lazy !== true)
        bad(`names ${JSON.stringify(name)}, not a lazy column`)
    }
    if ('values' in write) {
      if (write.values.length !== write.columns.length)
        bad(`has ${write.values.length} values for ${write.columns.length} columns`)
    } else if (write.from.length !== table.primaryKey.length) bad(`copies from a key of ${write.from.length} values`)
  }

  /**
   * Sets lazy columns of one row by key. A copy reads them from another row inside the database, and
   * leaves the target alone when that row does not exist. In a lazy table, the row is inserted or
   * updated, only while the item's own row exists.
   */
  const writeLazy = (reg: RegisteredStore, main: TableSpec, write: LazyWrite): void => {
    const table = lazyHome(reg, main)
    const where = table.primaryKey.map((k) => `${quote(k)} = ?`).join(' AND ')
    const t = quote(table.name)
    const list = write.columns.map(quote).join(', ')
    if (table === main) {
      if ('values' in write) {
        const sets = write.columns.map((c) => `${quote(c)} = ?`).join(', ')
        statement(`UPDATE ${t} SET ${sets} WHERE ${where}`).run([...write.values, ...write.key])
        return
      }
      statement(
        `UPDATE ${t} SET (${list}) = (SELECT ${list} FROM ${t} WHERE ${where}) ` +
          `WHERE ${where} AND EXISTS (SELECT 1 FROM ${t} WHERE ${where})`,
      ).run([...write.from, ...write.key, ...write.from])
      return
    }
    const keys = table.primaryKey.map(quote).join(', ')
    const ownerExists = `EXISTS (SELECT 1 FROM ${quote(main.name)} WHERE ${main.primaryKey.map((k) => `${quote(k)} = ?`).join(' AND ')})`
    const updates = write.columns.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')
    const onConflict = `ON CONFLICT (${keys}) DO UPDATE SET ${updates}`
    const placeholders = (n: number): string => new Array(n).fill('?').join(', ')
    if ('values' in write) {
      statement(
        `INSERT INTO ${t} (${keys}, ${list}) SELECT ${placeholders(write.key.length + write.values.length)} ` +
          `WHERE ${ownerExists} ${onConflict}`,
      ).run([...write.key, ...write.values, ...write.key])
      return
    }
    statement(
      `INSERT INTO ${t} (${keys}, ${list}) SELECT ${placeholders(write.key.length)}, ${list} FROM ${t} ` +
        `WHERE ${where} AND ${ownerExists} ${onConflict}`,
    ).run([...write.key, ...write.from, ...write.key])
  }

  /**
   * Resolves the copies of one table's lazy writes so that each copy gets its source's content as it is at
   * that point of the list, even where the source has no row when the writes run (they run in order, after
   * the rows are written):
   * - a source given a value earlier in the list (a file created and copied in one tick, whose row never
   *   exists if it is deleted in that tick too) gives that value;
   * - a source that is itself the target of an earlier copy in the list is copied from that copy's source
   *   (a copy of a copy, the middle one deleted in the same tick); a row copied from is read before a later
   *   write in the list changes it, for the copies made from it;
   * - with `readNow` (the ChangeSet deletes rows), every other source is read now, before the deletes, so
   *   that a copy of a row deleted in the same ChangeSet still gets its content.
   * Other copies stay copies made inside the database, without reading the content into memory.
   */
  const resolveCopies = (
    reg: RegisteredStore,
    main: TableSpec,
    writes: readonly LazyWrite[],
    readNow: boolean,
  ): LazyWrite[] => {
    const table = lazyHome(reg, main)
    const keyText = (key: readonly SqlValue[]): string => key.map((v) => `${typeof v}:${String(v)}`).join('\u0000')
    const where = table.primaryKey.map((k) => `${quote(k)} = ?`).join(' AND ')
    /** What the database holds now (before any write of this ChangeSet) for `columns` of a row. */
    const readStored = (key: readonly SqlValue[], columns: readonly string[]): SqlValue[] | undefined => {
      const sql = `SELECT ${columns.map(quote).join(', ')} FROM ${quote(table.name)} WHERE ${where}`
      const [row] = statement(sql).all(key)
      return row === undefined ? undefined : columns.map((_, i) => row[i] ?? null)
    }
    /** Per row key: the lazy columns given a known value so far in this list. */
    const known = new Map<string, Map<string, SqlValue>>()
    interface Source {
      readonly key: readonly SqlValue[]
      readonly text: string
      readonly columns: readonly string[]
    }
    /**
     * Per row key: the row whose stored content it holds by an in-database copy earlier in the list. That
     * source is untouched so far in the list (never a value target nor itself such a copy's target).
     */
    const copiedFrom = new Map<string, Source>()
    /** The reverse: per source row, the rows copied from it. */
    const copiesOf = new Map<string, Set<string>>()
    const forgetCopy = (target: string): void => {
      const source = copiedFrom.get(target)
      if (source === undefined) return
      copiedFrom.delete(target)
      copiesOf.get(source.text)?.delete(target)
    }
    const setKnown = (target: string, columns: readonly string[], values: readonly SqlValue[]): void => {
      let row = known.get(target)
      if (row === undefined) known.set(target, (row = new Map()))
      columns.forEach((c, i) => row.set(c, values[i] as SqlValue))
    }
    /** Before row `text` changes, the rows that hold its stored content by copy get that content as values. */
    const settleCopiesOf = (text: string): void => {
      const targets = copiesOf.get(text)
      if (targets === undefined || targets.size === 0) return
      for (const target of [...targets]) {
        const source = copiedFrom.get(target) as Source
        forgetCopy(target)
        const values = readStored(source.key, source.columns)
        if (values !== undefined) setKnown(target, source.columns, values)
      }
    }
    const out: LazyWrite[] = []
    for (const write of writes) {
      const target = keyText(write.key)
      settleCopiesOf(target)
      forgetCopy(target)
      if ('values' in write) {
        setKnown(target, write.columns, write.values)
        out.push(write)
        continue
      }
      const from = keyText(write.from)
      const pending = known.get(from)
      if (write.columns.every((c) => pending?.has(c) === true)) {
        const values = write.columns.map((c) => pending?.get(c) as SqlValue)
        setKnown(target, write.columns, values)
        out.push({ key: write.key, columns: write.columns, values })
        continue
      }
      // A copy of a copy made in this list copies from the first source, which is untouched so far.
      const chained = copiedFrom.get(from)
      const source: Source =
        chained !== undefined && write.columns.every((c) => chained.columns.includes(c))
          ? { ...chained, columns: write.columns }
          : { key: write.from, text: from, columns: write.columns }
      if (readNow) {
        const stored = readStored(source.key, write.columns)
        if (stored === undefined) continue // no source: the target is left alone, as a copy inside the database does
        const values = write.columns.map((c, i) =>
          pending?.has(c) === true ? (pending.get(c) as SqlValue) : (stored[i] ?? null),
        )
        setKnown(target, write.columns, values)
        out.push({ key: write.key, columns: write.columns, values })
        continue
      }
      const row = known.get(target)
      for (const c of write.columns) row?.delete(c)
      copiedFrom.set(target, source)
      let targets = copiesOf.get(source.text)
      if (targets === undefined) copiesOf.set(source.text, (targets = new Set()))
      targets.add(target)
      out.push(source.key === write.from ? write : { key: write.key, columns: write.columns, from: source.key })
    }
    return out
  }

  const clearRows = (reg: RegisteredStore, store: string): void => {
    for (const t of [...reg.spec.tables].reverse()) driver.exec(`DELETE FROM ${quote(t.name)}`)
    statement(`DELETE FROM zs_kv WHERE store = ?`).run([store])
  }

  const applyChangeSet = (changeSet: ChangeSet): void => {
    const reg = registered(changeSet.store)
    if (changeSet.schemaVersion !== reg.spec.version) {
      throw new ZustandSqliteError(
        'INVALID_CHANGESET',
        `the ChangeSet is for schema version ${changeSet.schemaVersion}, the store is prepared at ${reg.spec.version}`,
        { store: changeSet.store },
      )
    }
    if (changeSet.stateVersion !== undefined && !Number.isInteger(changeSet.stateVersion))
      throw new ZustandSqliteError('INVALID_CHANGESET', 'the state version must be an integer')
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
    if (
      changes.some(
        (c, i) =>
          i > 0 && (order.get(c.table.name) as number) < (order.get(changes[i - 1]?.table.name as string) as number),
      )
    ) {
      changes.sort((a, b) => (order.get(a.table.name) as number) - (order.get(b.table.name) as number))
    }
    const store = changeSet.store
    transaction(() => {
      // Without a state version, rows are stamped with the one the store has recorded, which stays.
      const version = changeSet.stateVersion ?? recordedVersion(store)
      const ctx: StampContext = { now: clock(), version }
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
          lazyWrites.set(change, writes.some((w) => 'from' in w) ? resolveCopies(reg, table, writes, deletes) : writes)
        }
      }
      if (changeSet.replace === true) clearRows(reg, changeSet.store)
      for (let i = changes.length - 1; i >= 0; i--) {
        const { table, change } = changes[i] as (typeof changes)[number]
        if (change.delete !== undefined && change.delete.length > 0) deleteRows(reg, table, change.delete)
      }
      for (const { table, change } of changes) {
        for (const batch of change.upsert ?? []) writeRows(table, batch, 'upsert', ctx)
        for (const batch of change.update ?? []) updateRows(table, batch, ctx)
        for (const batch of change.insert ?? []) writeRows(table, batch, 'insert', ctx)
        for (const write of lazyWrites?.get(change) ?? []) writeLazy(reg, table, write)
      }
      const kv = changeSet.kv
      if (kv?.delete !== undefined && kv.delete.length > 0) {
        const store = changeSet.store
        chunked(
          kv.delete.map((k) => [store, k]),
          kvDelete,
        )
      }
      if (kv?.set !== undefined && kv.set.length > 0) {
        const store = changeSet.store
        chunked(
          kv.set.map(([k, v]) => [store, k, v]),
          kvSet,
        )
      }
      // The state version is written when it changes, not with every commit. (Another connection that
      // clears this store while this one writes leaves a partial state either way: stores are not shared
      // by concurrent writers.)
      if (changeSet.stateVersion !== undefined && recordedVersions.get(store) !== changeSet.stateVersion) {
        statement(`UPDATE zs_stores SET state_version = ?, updated_at = ? WHERE store = ?`).run([
          changeSet.stateVersion,
          Date.now(),
          store,
        ])
      }
    })
    if (changeSet.stateVersion !== undefined) recordedVersions.set(store, changeSet.stateVersion)
  }

  /** The state version the store has recorded (as this backend last read or wrote it, else from the table). */
  const recordedVersion = (store: string): number | null => {
    const known = recordedVersions.get(store)
    if (known !== undefined) return known
    const [row] = statement(`SELECT state_version FROM zs_stores WHERE store = ?`).all([store])
    const version = row === undefined || row[0] === null ? null : Number(row[0])
    recordedVersions.set(store, version)
    return version
  }

  const guarded = <T>(code: ZustandSqliteErrorCode, message: string, store: string | undefined, fn: () => T): T => {
    assertOpen()
    try {
      return fn()
    } catch (error) {
      throw fail(error, code, message, store)
    }
  }

  return {
    name: settings.name ?? driver.name,
    driver,
    resetStatements,
    prepare(store, schema) {
      const changed = guarded('HYDRATION_FAILED', `preparing store ${JSON.stringify(store)} failed`, store, () =>
        prepareStore(store, schema),
      )
      if (changed) options.onWrite?.()
    },
    load(store) {
      return guarded('HYDRATION_FAILED', `loading store ${JSON.stringify(store)} failed`, store, () => loadStore(store))
    },
    apply(changeSet) {
      guarded(
        'WRITE_FAILED',
        `writing store ${JSON.stringify(changeSet.store)} failed; the transaction was rolled back`,
        changeSet.store,
        () => applyChangeSet(changeSet),
      )
      options.onWrite?.()
    },
    clear(store) {
      guarded('WRITE_FAILED', `clearing store ${JSON.stringify(store)} failed`, store, () => {
        const reg = registered(store)
        transaction(() => {
          clearRows(reg, store)
          statement(`UPDATE zs_stores SET state_version = NULL, updated_at = ? WHERE store = ?`).run([
            Date.now(),
            store,
          ])
        })
        recordedVersions.set(store, null)
      })
      options.onWrite?.()
    },
    query(sql, params = []) {
      return guarded('QUERY_FAILED', 'query failed', undefined, () => {
        if (!READ_STATEMENT.test(sql)) {
          throw new ZustandSqliteError('QUERY_FAILED', 'query takes one SELECT, WITH, VALUES or EXPLAIN statement')
        }
        driver.exec('PRAGMA query_only = 1')
        try {
          const stmt = statement(sql)
          const names = stmt.columns()
          return stmt.all(params).map((row) => {
            const object: QueryRow = {}
            for (let i = 0; i < names.length; i++) object[names[i] as string] = row[i] as SqlValue
            return object
          })
        } finally {
          driver.exec('PRAGMA query_only = 0')
        }
      })
    },
    flush() {
      assertOpen()
    },
    close() {
      if (closed) return
      closed = true
      resetStatements()
      driver.close()
    },
  }
}
