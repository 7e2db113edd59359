import { createSqlBackend, isCorruptionError, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, SchemaSpec, SqlBackend } from '@zustand-sqlite/core'
import { createDurability } from './durability'
import { indexedDbStorage, memoryStorage } from './imageStorage'
import type { ImageStorage } from './imageStorage'
import { chainFrom } from './journal'
import type { JournaledImage, JournalEntry, JournalOp } from './journal'
import { loadSqlJs, sqlJsDriver } from './sqlJsDriver'
import type { SqlJsDatabase, SqlJsStatic } from './sqlJsDriver'

/** Options of `createSqlJsBackend`. */
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
  /**
   * Without a journal (file, memory or a custom storage): writes are made durable (the image exported and
   * stored) at most this often. With one (IndexedDB): each commit is journaled at once, and a checkpoint due
   * (see `checkpointEntries`) is stored this long after the commit that made it due. @default 1000
   */
  flushIntervalMs?: number
  /** With a journal: store the image as a checkpoint once the journal holds this many entries. @default 1000 */
  checkpointEntries?: number
  /** With a journal: store the image as a checkpoint once the journal holds about this many bytes. @default 1 MiB */
  checkpointBytes?: number
  /** @default true */
  foreignKeys?: boolean
  /**
   * When the page is hidden or left (pagehide, visibilitychange): store the image if the journal does not
   * hold every commit, and as a checkpoint if it is small (up to 1 MiB). @default true
   */
  flushOnPageHide?: boolean
  /** Errors of background writes. @default logs with console.error */
  onError?: (error: ZustandSqliteError) => void
}

/** A sql.js backend: synchronous reads and writes in memory, made durable by a storage. */
export interface SqlJsBackend extends Backend {
  /** The sql.js database. */
  readonly database: SqlJsDatabase
  /** Where the image (and the journal) is kept. */
  readonly storage: ImageStorage
  /** How many times the image was exported and stored (with a journal: how many checkpoints). */
  readonly exportCount: number
  /** Several stores' ChangeSets in one transaction, journaled as one entry: a reload replays all or none. */
  applyMany: NonNullable<Backend['applyMany']>
}

/** @internal Makes the file storage of the Node build; the browser build has none. */
export type FileStorageFactory = (path: string) => ImageStorage

function resolveStorage(option: SqlJsBackendOptions['storage'], fileStorage: FileStorageFactory): ImageStorage {
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

function validate(
  settings: Required<Pick<SqlJsBackendOptions, 'flushIntervalMs' | 'checkpointEntries' | 'checkpointBytes'>>,
): void {
  if (!(Number.isFinite(settings.flushIntervalMs) && settings.flushIntervalMs >= 0)) {
    throw new ZustandSqliteError('INVALID_OPTIONS', 'flushIntervalMs must be a number >= 0')
  }
  if (!(Number.isSafeInteger(settings.checkpointEntries) && settings.checkpointEntries >= 1)) {
    throw new ZustandSqliteError('INVALID_OPTIONS', 'checkpointEntries must be an integer >= 1')
  }
  if (!(settings.checkpointBytes > 0)) {
    throw new ZustandSqliteError('INVALID_OPTIONS', 'checkpointBytes must be a number > 0')
  }
}

/** What is stored, as a journal holds it: an image without a journal is one with no entries. */
async function readStored(storage: ImageStorage): Promise<JournaledImage & { token: string | undefined }> {
  if (storage.journal !== undefined) return { ...(await storage.journal.read()), token: undefined }
  const stored = await storage.read()
  return { image: stored?.image, token: stored?.token, at: { seq: 0, id: '' }, entries: [] }
}

/** Opens the image in sql.js; a bad image fails here, before anything is written, and is left as it is. */
function openImage(SQL: SqlJsStatic, image: Uint8Array | undefined, storage: ImageStorage): SqlJsDatabase {
  let db: SqlJsDatabase | undefined
  try {
    db = new SQL.Database(image ?? null)
    // sql.js opens lazily: read the header now.
    db.exec('SELECT count(*) FROM sqlite_schema')
    return db
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
}

/**
 * @internal `createSqlJsBackend` of both builds. The database lives in memory; each commit is journaled
 * (where the storage has a journal) from the tick it is made in, and the image is exported only as a
 * checkpoint; without a journal the image is exported by a coalesced flush that never runs inside `set()`.
 */
export async function openSqlJsBackend(
  options: SqlJsBackendOptions,
  fileStorage: FileStorageFactory,
): Promise<SqlJsBackend> {
  const settings = {
    flushIntervalMs: 1000,
    checkpointEntries: 1000,
    checkpointBytes: 1 << 20,
    foreignKeys: true,
    flushOnPageHide: true,
    ...options,
  }
  validate(settings)
  const storage = resolveStorage(options.storage, fileStorage)
  const SQL = await (options.sqlJs ?? loadSqlJs())
  const stored = await readStored(storage)
  const db = openImage(SQL, stored.image, storage)
  const applyPragmas = (): void => {
    db.exec(`PRAGMA foreign_keys = ${settings.foreignKeys ? 'ON' : 'OFF'}`)
  }
  applyPragmas()

  const clock = journalClock()
  /** Hands the commit being made to the journal; undefined while the journal is replayed. */
  let committing: (() => void) | undefined
  const sql = createSqlBackend(sqlJsDriver(db), { name: 'sql.js', now: clock.now, onWrite: () => committing?.() })

  const replayed = chainFrom(stored.at, stored.entries).entries
  try {
    replay(replayed, sql, clock)
  } catch (error) {
    sql.close()
    throw new ZustandSqliteError(
      'CORRUPT_DATABASE',
      `the journal in ${storage.name} could not be replayed on its image: ${error instanceof Error ? error.message : String(error)}; it was left untouched`,
      { cause: error },
    )
  }

  const report = (error: ZustandSqliteError): void => {
    ;(settings.onError ?? ((e: ZustandSqliteError) => console.error(e)))(error)
  }
  const schemas = new Map<string, SchemaSpec>()
  const durable = createDurability({
    storage,
    journal: storage.journal,
    token: stored.token,
    at: stored.at,
    replayed,
    imageBytes: stored.image?.byteLength ?? 0,
    exportImage: () => {
      try {
        return db.export()
      } finally {
        // Older sql.js versions close and reopen the database in export(): statements are freed and
        // per-connection pragmas reset. Re-preparing and re-applying is cheap at this rate, so always do it.
        sql.resetStatements()
        applyPragmas()
      }
    },
    schemaOf: (store) => schemas.get(store),
    flushIntervalMs: settings.flushIntervalMs,
    checkpointEntries: settings.checkpointEntries,
    checkpointBytes: settings.checkpointBytes,
    report,
  })

  /** Runs a write; if it commits, `op` (called then, with the clock's readings) is what is journaled. */
  const journaled = <T>(op: (times: number[]) => JournalOp, run: () => T): T => {
    const times: number[] = []
    clock.record(times)
    committing = () => durable.committed(op(times))
    try {
      return run()
    } finally {
      committing = undefined
      clock.record(undefined)
    }
  }

  // pagehide: the page is being left (it may be frozen or discarded next). visibilitychange: only when hidden.
  const onHide = (event: Event): void => {
    if (event.type === 'visibilitychange' && typeof document !== 'undefined' && document.visibilityState !== 'hidden')
      return
    durable.hidden()
  }
  const pageEvents =
    settings.flushOnPageHide && typeof addEventListener === 'function' && typeof removeEventListener === 'function'
  if (pageEvents) {
    addEventListener('pagehide', onHide)
    addEventListener('visibilitychange', onHide)
  }

  let closed = false
  return {
    name: sql.name,
    database: db,
    storage,
    get exportCount() {
      return durable.exportCount
    },
    prepare: (store, schema) => {
      const result = journaled(
        () => ({ kind: 'prepare', store, schema }),
        () => sql.prepare(store, schema),
      )
      schemas.set(store, schema)
      return result
    },
    load: (store, options) => sql.load(store, options),
    apply: (changeSet) =>
      journaled(
        (times) => (times.length === 0 ? { kind: 'apply', changeSet } : { kind: 'apply', changeSet, now: times }),
        () => sql.apply(changeSet),
      ),
    applyMany: (changeSets) => {
      const all = [...changeSets]
      return journaled(
        (times) =>
          times.length === 0
            ? { kind: 'applyMany', changeSets: all }
            : { kind: 'applyMany', changeSets: all, now: times },
        () => sql.applyMany(all),
      )
    },
    clear: (store) =>
      journaled(
        () => ({ kind: 'clear', store }),
        () => sql.clear(store),
      ),
    query: (text, params) => sql.query(text, params),
    ...(sql.subscribe === undefined ? {} : { subscribe: sql.subscribe }),
    flush: () => durable.flush(),
    close: async () => {
      if (closed) return
      if (pageEvents) {
        removeEventListener('pagehide', onHide)
        removeEventListener('visibilitychange', onHide)
      }
      try {
        await durable.close()
      } finally {
        closed = true
        sql.close()
      }
    },
  }
}

/** The clock of timestamp columns: what a commit read is journaled with it, and read back by its replay. */
function journalClock() {
  let recording: number[] | undefined
  let replaying: number[] | undefined
  return {
    now: (): number => {
      const replayed = replaying?.shift()
      if (replayed !== undefined) return replayed
      const time = Date.now()
      recording?.push(time)
      return time
    },
    record: (times: number[] | undefined): void => {
      recording = times
    },
    replay: (times: readonly number[] | undefined): void => {
      replaying = times === undefined ? undefined : [...times]
    },
  }
}

/** Replays journal entries, in order, on the database they were made on. */
function replay(entries: readonly JournalEntry[], sql: SqlBackend, clock: ReturnType<typeof journalClock>): void {
  for (const { op } of entries) {
    if (op.kind === 'prepare') {
      sql.prepare(op.store, op.schema)
      continue
    }
    if (op.kind === 'applyMany') {
      for (const [store, schema] of op.schemas ?? []) sql.prepare(store, schema)
      clock.replay(op.now)
      try {
        sql.applyMany(op.changeSets)
      } finally {
        clock.replay(undefined)
      }
      continue
    }
    const store = op.kind === 'apply' ? op.changeSet.store : op.store
    if (op.schema !== undefined) sql.prepare(store, op.schema)
    if (op.kind === 'clear') {
      sql.clear(store)
      continue
    }
    clock.replay(op.now)
    try {
      sql.apply(op.changeSet)
    } finally {
      clock.replay(undefined)
    }
  }
}
