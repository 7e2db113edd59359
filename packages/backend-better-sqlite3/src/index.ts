import { createRequire } from 'node:module'
import {
  APPLICATION_ID,
  createSqlBackend,
  isBusyError,
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
  /** The file it opened: named in error messages. */
  readonly name?: string
}

/** Pragmas applied when the backend opens; `null` leaves one as the connection has it. */
export interface BetterSqlite3Pragmas {
  /** @default 'WAL' */
  journalMode?: 'WAL' | 'DELETE' | 'TRUNCATE' | 'PERSIST' | 'MEMORY' | 'OFF' | null
  /** @default 'NORMAL' */
  synchronous?: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA' | null
  /** @default true */
  foreignKeys?: boolean | null
  /**
   * Milliseconds to wait for another connection's lock, when opening (in total) and on every statement
   * after. `null` keeps the connection's own busy timeout, which then bounds opening too. @default 5000
   */
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

/** A busy error, once the busy timeout has passed, as the typed error that says what happened. */
function busyError(label: string, timeoutMs: number, cause: unknown, doing?: string): ZustandSqliteError {
  const detail = cause instanceof Error ? cause.message : String(cause)
  return new ZustandSqliteError(
    'DATABASE_BUSY',
    `another connection kept ${label} locked for longer than the busy timeout (${timeoutMs} ms)` +
      `${doing === undefined ? '' : ` ${doing}`}: ${detail}; nothing was written, and the same call can be tried again`,
    { cause },
  )
}

/** Blocks the thread: opening is synchronous, as everything better-sqlite3 does is. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Runs the steps of opening within one busy timeout from now. SQLite waits for another connection's lock
 * in its busy handler, but not always: a connection that holds a read lock and needs the write lock gets
 * SQLITE_BUSY at once, since waiting could deadlock. Switching a rollback-journal file to WAL is such a
 * step, while another connection writes to the file or switches it too (several processes opening a new
 * file). The step is then tried again, once the other is done, until the deadline; each try waits in the
 * busy handler for the time left only, so that opening as a whole waits no longer than the busy timeout.
 */
function withinBusyTimeout(db: BetterSqlite3Database, timeoutMs: number): <T>(step: () => T) => T {
  const deadline = performance.now() + timeoutMs
  return (step) => {
    for (let pauseMs = 1; ; pauseMs = Math.min(2 * pauseMs, 50)) {
      db.pragma(`busy_timeout = ${Math.max(0, Math.ceil(deadline - performance.now()))}`)
      try {
        return step()
      } catch (error) {
        const left = deadline - performance.now()
        if (!isBusyError(error) || left <= 0) throw error
        sleep(Math.min(pauseMs, left))
      }
    }
  }
}

/**
 * Checks the file and applies the pragmas. The header and the owner are read first: a file that is not
 * a database, or one another application marked as its own, is refused before any pragma (journal_mode =
 * WAL) could change it.
 */
function openChecked(db: BetterSqlite3Database, settings: Required<BetterSqlite3Pragmas>, label: string): number {
  // The first step sets it, before anything reads the file.
  const timeoutMs =
    settings.busyTimeoutMs === null
      ? Number(db.pragma('busy_timeout', { simple: true }))
      : Math.floor(settings.busyTimeoutMs)
  const step = withinBusyTimeout(db, timeoutMs)
  try {
    step(() => db.prepare('SELECT count(*) FROM sqlite_schema').raw(true).all())
    const owner = step(() => db.pragma('application_id', { simple: true }))
    if (owner !== 0 && owner !== APPLICATION_ID) {
      throw new ZustandSqliteError(
        'FOREIGN_DATABASE',
        `${label} belongs to another application (application_id ${String(owner)}); it was left untouched`,
      )
    }
    const { journalMode, synchronous, foreignKeys, cacheSizeKiB } = settings
    if (journalMode !== null) step(() => db.pragma(`journal_mode = ${journalMode}`))
    if (synchronous !== null) step(() => db.pragma(`synchronous = ${synchronous}`))
    if (foreignKeys !== null) step(() => db.pragma(`foreign_keys = ${foreignKeys ? 'ON' : 'OFF'}`))
    // A negative cache_size is in KiB.
    if (cacheSizeKiB !== null) step(() => db.pragma(`cache_size = -${Math.floor(cacheSizeKiB)}`))
  } catch (error) {
    if (isBusyError(error)) throw busyError(label, timeoutMs, error, 'while opening it')
    throw error
  } finally {
    // The steps cut it to the time they had left; every statement after opening gets the whole wait.
    if (db.open) db.pragma(`busy_timeout = ${timeoutMs}`)
  }
  return timeoutMs
}

function driverFor(db: BetterSqlite3Database, ownsDatabase: boolean, label: string, timeoutMs: number): SqlDriver {
  // The SQL tier reports what it is given; a lock held past the busy timeout is told apart here.
  const typed = (error: unknown): unknown => (isBusyError(error) ? busyError(label, timeoutMs, error) : error)
  return {
    name: 'better-sqlite3',
    exec: (sql) => {
      try {
        db.exec(sql)
      } catch (error) {
        throw typed(error)
      }
    },
    prepare: (sql): SqlStatement => {
      let stmt: BetterSqlite3Statement
      try {
        stmt = db.prepare(sql)
      } catch (error) {
        throw typed(error)
      }
      if (stmt.reader) stmt.raw(true)
      return {
        run: (params) => {
          try {
            return (stmt.run(params) as { changes: number }).changes
          } catch (error) {
            throw typed(error)
          }
        },
        all: (params) => {
          try {
            return stmt.reader ? (stmt.all(params) as SqlValue[][]) : (stmt.run(params), [])
          } catch (error) {
            throw typed(error)
          }
        },
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
  const label = options.filename ?? (db.name === undefined || db.name === '' ? 'the database' : db.name)
  let timeoutMs: number
  try {
    timeoutMs = openChecked(db, settings, label)
  } catch (error) {
    if (ownsDatabase && db.open) db.close()
    if (isZustandSqliteError(error)) throw error
    if (isCorruptionError(error)) {
      const message = `${label} is not a readable SQLite database; it was left untouched`
      throw new ZustandSqliteError('CORRUPT_DATABASE', message, { cause: error })
    }
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `opening the database failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }
  return createSqlBackend(driverFor(db, ownsDatabase, label, timeoutMs))
}
