import { createSqlBackend, isCorruptionError, isZustandSqliteError, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, SqlDriver, SqlStatement, SqlValue } from '@zustand-sqlite/core'
import { fileStorage } from './fileStorage'
import { indexedDbStorage, memoryStorage } from './imageStorage'
import type { ImageStorage } from './imageStorage'

export { fileStorage, indexedDbStorage, memoryStorage }
export type { ImageStorage, IndexedDbStorageOptions, StoredImage } from './imageStorage'

/** A value sql.js binds and returns. */
export type SqlJsValue = string | number | Uint8Array | null

/** The slice of a sql.js `Statement` this backend uses. */
export interface SqlJsStatement {
  bind(values?: SqlJsValue[]): boolean
  step(): boolean
  get(): SqlJsValue[]
  getColumnNames(): string[]
  reset(): unknown
  free(): unknown
}

/** The slice of a sql.js `Database` this backend uses. */
export interface SqlJsDatabase {
  exec(sql: string): unknown
  getRowsModified(): number
  prepare(sql: string): SqlJsStatement
  export(): Uint8Array
  close(): void
}

/** The slice of the initialised sql.js module (what `initSqlJs()` resolves to) this backend uses. */
export interface SqlJsStatic {
  Database: new (data?: ArrayLike<number> | null) => SqlJsDatabase
}

/** Options of {@link createSqlJsBackend}. */
export interface SqlJsBackendOptions {
  /**
   * The initialised sql.js module, or a promise of it. @default `initSqlJs()` of the installed sql.js
   * (fine on Node; in a browser pass it with `locateFile` set for the .wasm file)
   */
  sqlJs?: SqlJsStatic | Promise<SqlJsStatic>
  /**
   * Where the image is kept: an {@link ImageStorage}, `'indexeddb'` (the default database and key),
   * `{ file: path }` (Node), or `'memory'` (nothing kept). @default 'indexeddb'; required where there is no IndexedDB
   */
  storage?: ImageStorage | 'indexeddb' | 'memory' | { file: string }
  /** Writes are made durable (exported and stored) at most this often. @default 1000 */
  flushIntervalMs?: number
  /** @default true */
  foreignKeys?: boolean
  /** Make the image durable when the page is hidden or left (pagehide, visibilitychange). @default true */
  flushOnPageHide?: boolean
  /** Errors of background flushes. @default logs with console.error */
  onError?: (error: ZustandSqliteError) => void
}

/** A sql.js backend: synchronous reads and writes in memory, with a durable image kept by a storage. */
export interface SqlJsBackend extends Backend {
  /** The sql.js database. */
  readonly database: SqlJsDatabase
  /** Where the image is kept. */
  readonly storage: ImageStorage
  /** How many times the image was exported and stored. */
  readonly exportCount: number
}

function sqlJsDriver(db: SqlJsDatabase): SqlDriver {
  return {
    name: 'sql.js',
    exec: (sql) => {
      db.exec(sql)
    },
    prepare: (sql): SqlStatement => {
      const stmt = db.prepare(sql)
      const run = (params: readonly SqlValue[], rows: SqlValue[][] | undefined): void => {
        try {
          // The codec never produces bigint values, the one SqlValue sql.js does not bind.
          stmt.bind(params as SqlJsValue[])
          while (stmt.step()) rows?.push(stmt.get())
        } finally {
          stmt.reset()
        }
      }
      return {
        run: (params) => {
          run(params, undefined)
          return db.getRowsModified()
        },
        all: (params) => {
          const rows: SqlValue[][] = []
          run(params, rows)
          return rows
        },
        columns: () => stmt.getColumnNames(),
        finalize: () => {
          stmt.free()
        },
      }
    },
    close: () => db.close(),
  }
}

async function loadSqlJs(): Promise<SqlJsStatic> {
  try {
    const module = (await import('sql.js')) as unknown as { default: (config?: object) => Promise<SqlJsStatic> }
    return await module.default()
  } catch (error) {
    throw new ZustandSqliteError('INVALID_OPTIONS', 'sql.js could not be loaded: npm install sql.js, or pass `sqlJs`', {
      cause: error,
    })
  }
}

function resolveStorage(option: SqlJsBackendOptions['storage']): ImageStorage {
  if (option === undefined) {
    if (typeof indexedDB !== 'undefined') return indexedDbStorage()
    // Silently keeping nothing would lose every write at exit: outside a browser, say where to keep it.
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      "there is no IndexedDB here: pass `storage: { file: path }` (or 'memory' to keep nothing)",
    )
  }
  if (option === 'indexeddb') return indexedDbStorage()
  if (option === 'memory') return memoryStorage()
  if ('file' in option) return fileStorage(option.file)
  return option
}

/**
 * A backend on sql.js (SQLite compiled to WebAssembly), for browsers and Node. The database lives in
 * memory, so hydration and writes are synchronous once this promise resolves; its image is made
 * durable by a coalesced flush that never runs inside `set()` (at most every `flushIntervalMs`, when
 * the page is hidden, and on `store.persist.flush()`). A stored image that is not a database is
 * refused with CORRUPT_DATABASE and left as it is. If another tab or process replaced the stored image,
 * this copy refuses to overwrite it (CONCURRENT_MODIFICATION).
 *
 * @example
 * ```ts
 * import initSqlJs from 'sql.js'
 * import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
 *
 * const sqlJs = initSqlJs({ locateFile: (f) => `/wasm/${f}` })
 * const backend = await createSqlJsBackend({ sqlJs, storage: 'indexeddb' })
 * const useStore = create(persistSQLite(creator, { name: 'app', backend }))
 * ```
 */
export async function createSqlJsBackend(options: SqlJsBackendOptions = {}): Promise<SqlJsBackend> {
  const settings = { flushIntervalMs: 1000, foreignKeys: true, flushOnPageHide: true, ...options }
  if (!(Number.isFinite(settings.flushIntervalMs) && settings.flushIntervalMs >= 0)) {
    throw new ZustandSqliteError('INVALID_OPTIONS', 'flushIntervalMs must be a number >= 0')
  }
  const storage = resolveStorage(options.storage)
  const SQL = await (options.sqlJs ?? loadSqlJs())
  const stored = await storage.read()
  let token = stored?.token

  let db: SqlJsDatabase | undefined
  try {
    db = new SQL.Database(stored?.image ?? null)
    // sql.js opens lazily: read the header now, so a bad image fails here, before anything is written.
    db.exec('SELECT count(*) FROM sqlite_schema')
  } catch (error) {
    // Free the wasm memory of the refused copy; the stored image itself is not touched.
    try {
      db?.close()
    } catch {
      // already unusable
    }
    if (isCorruptionError(error)) {
      throw new ZustandSqliteError(
        'CORRUPT_DATABASE',
        `the image in ${storage.name} is not a readable SQLite database; it was left untouched`,
        { cause: error },
      )
    }
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `opening the sql.js database failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    )
  }

  const open: SqlJsDatabase = db
  const applyPragmas = (): void => {
    open.exec(`PRAGMA foreign_keys = ${settings.foreignKeys ? 'ON' : 'OFF'}`)
  }
  applyPragmas()

  let dirty = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let exporting: Promise<void> | undefined
  let exportCount = 0
  let closed = false
  const report = (error: ZustandSqliteError): void => {
    ;(settings.onError ?? ((e: ZustandSqliteError) => console.error(e)))(error)
  }

  const exportNow = (): Promise<void> => {
    if (exporting !== undefined) return exporting.then(() => exportNow())
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (!dirty) return Promise.resolve()
    dirty = false
    let image: Uint8Array
    try {
      image = db.export()
    } catch (error) {
      dirty = true
      return Promise.reject(
        new ZustandSqliteError('WRITE_FAILED', 'exporting the sql.js database failed', { cause: error }),
      )
    } finally {
      // Older sql.js versions close and reopen the database in export(): statements are freed and
      // per-connection pragmas reset. Re-preparing and re-applying is cheap at this rate, so always do it.
      sql.resetStatements()
      applyPragmas()
    }
    exportCount++
    exporting = storage
      .write(image, token)
      .then(
        (next) => {
          token = next
        },
        (error: unknown) => {
          dirty = true
          throw isZustandSqliteError(error)
            ? error
            : new ZustandSqliteError('WRITE_FAILED', `storing the database image in ${storage.name} failed`, {
                cause: error,
              })
        },
      )
      .finally(() => {
        exporting = undefined
      })
    return exporting
  }

  const scheduleExport = (): void => {
    dirty = true
    if (timer !== undefined || closed) return
    timer = setTimeout(() => {
      timer = undefined
      exportNow().catch(report)
    }, settings.flushIntervalMs)
  }

  const sql = createSqlBackend(sqlJsDriver(db), { name: 'sql.js', onWrite: scheduleExport })

  // pagehide: the page is being left (it may be frozen or discarded next). visibilitychange: only when hidden.
  const onHide = (event: Event): void => {
    if (event.type === 'visibilitychange' && typeof document !== 'undefined' && document.visibilityState !== 'hidden')
      return
    if (dirty) exportNow().catch(report)
  }

  const pageEvents =
    settings.flushOnPageHide && typeof addEventListener === 'function' && typeof removeEventListener === 'function'
  if (pageEvents) {
    addEventListener('pagehide', onHide)
    addEventListener('visibilitychange', onHide)
  }

  return {
    name: sql.name,
    database: db,
    storage,
    get exportCount() {
      return exportCount
    },
    prepare: (store, schema) => sql.prepare(store, schema),
    load: (store) => sql.load(store),
    apply: (changeSet) => sql.apply(changeSet),
    clear: (store) => sql.clear(store),
    query: (text, params) => sql.query(text, params),
    flush: () => exportNow(),
    close: async () => {
      if (closed) return
      if (pageEvents) {
        removeEventListener('pagehide', onHide)
        removeEventListener('visibilitychange', onHide)
      }
      try {
        await exportNow()
      } finally {
        closed = true
        if (timer !== undefined) clearTimeout(timer)
        sql.close()
      }
    },
  }
}
