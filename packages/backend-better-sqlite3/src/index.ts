import { createRequire } from 'node:module'
import {
  APPLICATION_ID,
  createSqlBackend,
  isCorruptionError,
  isZustandSqliteError,
  ZustandSqliteError,
} from '@zustand-sqlite/core'
import type { SqlBackend, SqlDriver, SqlStatement, SqlValue } from '@zustand-sqlite/core'

/** The slice of a better-sqlite3 `Statement` this backend uses. */
export interface BetterSqlite3Statement {
  readonly reader: boolean
  run(...params: unknown[]): unknown
  all(...params: unknown[]): unknown[]
  raw(toggle?: boolean): this
  columns(): { name: string }[]
}

/** The slice of a better-sqlite3 `Database` this backend uses. */
export interface BetterSqlite3Database {
  prepare(sql: string): BetterSqlite3Statement
  exec(sql: string): unknown
  pragma(source: string, options?: { simple?: boolean }): unknown
  close(): unknown
  readonly open: boolean
}

/** Pragmas applied when the backend opens; `null` leaves one as the connection has it. */
export interface BetterSqlite3Pragmas {
  /** @default 'WAL' */
  journalMode?: 'WAL' | 'DELETE' | 'TRUNCATE' | 'PERSIST' | 'MEMORY' | 'OFF' | null
  /** @default 'NORMAL' */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA' | null
  /** @default true */
  foreignKeys?: boolean | null
  /** Milliseconds to wait for another connection's lock. @default 5000 */
  busyTimeoutMs?: number | null
  /**
   * Page cache of the connection, in KiB (SQLite's own default is 2000). Pages are allocated as they
   * are used, so a small database never takes this much. @default 65536
   */
  cacheSizeKiB?: number | null
}

/** Options of {@link createBetterSqlite3Backend}: a file to open, or a Database you opened. */
export type BetterSqlite3BackendOptions = BetterSqlite3Pragmas &
  (
    | {
        /** Path of the database file (created when missing), or `':memory:'`. */
        filename: string
        database?: never
      }
    | {
        /** A better-sqlite3 Database you opened. */
        database: BetterSqlite3Database
        filename?: never
        /** Close it when the backend closes. @default false */
        closeDatabase?: boolean
      }
  )

const defaults = {
  journalMode: 'WAL',
  synchronous: 'NORMAL',
  foreignKeys: true,
  busyTimeoutMs: 5000,
  cacheSizeKiB: 65536,
} as const

const allowed = {
  journalMode: ['WAL', 'DELETE', 'TRUNCATE', 'PERSIST', 'MEMORY', 'OFF'],
  synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'],
} as const

function checkPragmas(settings: Required<BetterSqlite3Pragmas>): void {
  // These values are spliced into PRAGMA statements (pragmas take no bound parameters).
  for (const key of ['journalMode', 'synchronous'] as const) {
    const value = settings[key]
    if (value !== null && !(allowed[key] as readonly string[]).includes(value)) {
      throw new ZustandSqliteError('INVALID_OPTIONS', `${key} must be one of ${allowed[key].join(', ')} or null`)
    }
  }
  for (const key of ['busyTimeoutMs', 'cacheSizeKiB'] as const) {
    const value = settings[key]
    if (value !== null && !(Number.isFinite(value) && value >= 0)) {
      throw new ZustandSqliteError('INVALID_OPTIONS', `${key} must be a number >= 0 or null`)
    }
  }
}

function openDatabase(filename: string): BetterSqlite3Database {
  // Loaded only when a filename is given: a user passing `database` never needs the module resolved here.
  const load = createRequire(import.meta.url)
  let Database: new (filename: string) => BetterSqlite3Database
  try {
    Database = load('better-sqlite3') as typeof Database
  } catch (error) {
    throw new ZustandSqliteError('INVALID_OPTIONS', 'better-sqlite3 is not installed: npm install better-sqlite3@12', {
      cause: error,
    })
  }
  try {
    return new Database(filename)
  } catch (error) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `cannot open ${filename}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    )
  }
}

function driverFor(db: BetterSqlite3Database, ownsDatabase: boolean): SqlDriver {
  return {
    name: 'better-sqlite3',
    exec: (sql) => {
      db.exec(sql)
    },
    prepare: (sql): SqlStatement => {
      const stmt = db.prepare(sql)
      if (stmt.reader) stmt.raw(true)
      return {
        run: (params) => (stmt.run(params) as { changes: number }).changes,
        all: (params) => (stmt.reader ? (stmt.all(params) as SqlValue[][]) : (stmt.run(params), [])),
        columns: () => (stmt.reader ? stmt.columns().map((c) => c.name) : []),
      }
    },
    close: () => {
      if (ownsDatabase && db.open) db.close()
    },
  }
}

/**
 * A synchronous backend on better-sqlite3 (Node). Stores hydrate inside `create()` and each tick's
 * changes commit in one transaction. WAL, `synchronous=NORMAL` and `foreign_keys=ON` by default: a
 * committed write survives a crash of the process; with `synchronous: 'FULL'` it also survives a power
 * loss. A file that is not a SQLite database is refused with CORRUPT_DATABASE and left untouched.
 *
 * @example
 * ```ts
 * import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
 * const backend = createBetterSqlite3Backend({ filename: '.data/app.db' })
 * const useStore = create(persistSQLite(creator, { name: 'app', backend }))
 * ```
 */
export function createBetterSqlite3Backend(options: BetterSqlite3BackendOptions): SqlBackend {
  const settings = { ...defaults, ...options }
  checkPragmas(settings)
  const given = options.database
  if (given === undefined && typeof options.filename !== 'string') {
    throw new ZustandSqliteError('INVALID_OPTIONS', 'createBetterSqlite3Backend needs `filename` or `database`')
  }
  const db = given ?? openDatabase(options.filename as string)
  const ownsDatabase = given === undefined || ('closeDatabase' in options && options.closeDatabase === true)
  try {
    // Read the header and the owner first: a file that is not a database, or one another application
    // marked as its own, is refused here, before any pragma (journal_mode = WAL) could change it.
    db.prepare('SELECT count(*) FROM sqlite_schema').raw(true).all()
    const owner = db.pragma('application_id', { simple: true })
    if (owner !== 0 && owner !== APPLICATION_ID) {
      throw new ZustandSqliteError(
        'FOREIGN_DATABASE',
        `${options.filename ?? 'the database'} belongs to another application (application_id ${String(owner)}); it was left untouched`,
      )
    }
    if (settings.busyTimeoutMs !== null) db.pragma(`busy_timeout = ${Math.max(0, Math.floor(settings.busyTimeoutMs))}`)
    if (settings.journalMode !== null) db.pragma(`journal_mode = ${settings.journalMode}`)
    if (settings.synchronous !== null) db.pragma(`synchronous = ${settings.synchronous}`)
    if (settings.foreignKeys !== null) db.pragma(`foreign_keys = ${settings.foreignKeys ? 'ON' : 'OFF'}`)
    // A negative cache_size is in KiB.
    if (settings.cacheSizeKiB !== null) db.pragma(`cache_size = -${Math.floor(settings.cacheSizeKiB)}`)
  } catch (error) {
    if (ownsDatabase && db.open) db.close()
    if (isZustandSqliteError(error)) throw error
    if (isCorruptionError(error)) {
      throw new ZustandSqliteError(
        'CORRUPT_DATABASE',
        `${options.filename ?? 'the database'} is not a readable SQLite database; it was left untouched`,
        { cause: error },
      )
    }
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `opening the database failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
  return createSqlBackend(driverFor(db, ownsDatabase))
}
