import { isZustandSqliteError, ZustandSqliteError } from '@zustand-sqlite/core'
import type { ImageJournal, JournalPosition } from './journal'
import { chainFrom } from './journal'

/** A stored database image and the token of the write that produced it. */
export interface StoredImage {
  readonly image: Uint8Array
  /**
   * Changes with every write, whoever the writer: lets a writer see it is no longer the last one.
   * Undefined for an image stored without one (by another tool).
   */
  readonly token: string | undefined
}

/**
 * Where the sql.js database image is kept between sessions. `write` is a compare-and-swap: it replaces
 * the image only if the stored token still is `expected` (undefined: nothing stored yet), and rejects
 * with CONCURRENT_MODIFICATION otherwise, leaving the stored image alone.
 */
export interface ImageStorage {
  readonly name: string
  read(): Promise<StoredImage | undefined>
  write(image: Uint8Array, expected: string | undefined): Promise<string>
  /**
   * A journal of commits beside the image. With one, a durable write stores what the commit changed and
   * the image is stored only as a checkpoint; without one, every durable write stores the whole image.
   * @default none (`indexedDbStorage` has one)
   */
  readonly journal?: ImageJournal
}

let tokenCounter = 0
const writerId = Math.random().toString(36).slice(2, 10)
/** A token (or a journal entry id) no other write has: this page's or process's random id and a counter. */
export const nextToken = (): string => `${writerId}:${Date.now().toString(36)}:${++tokenCounter}`

/** The refusal of a compare-and-swap whose expected token is no longer the stored one. */
export function conflict(where: string): ZustandSqliteError {
  return new ZustandSqliteError(
    'CONCURRENT_MODIFICATION',
    `the database image in ${where} was replaced by another writer (another tab or process) since this one loaded it; this copy was not written, to keep the other one's data. Reload to continue from the stored image.`,
  )
}

/** Options of {@link indexedDbStorage}. */
export interface IndexedDbStorageOptions {
  /** IndexedDB database name. @default 'zustand-sqlite' */
  readonly database?: string
  /** Object store name. @default 'images' */
  readonly objectStore?: string
  /** Key of the image. @default 'default' */
  readonly key?: string
}

/** Runs `task` on the object store in a new transaction: at once (in the caller's tick) once the database is open. */
type WithStore = <T>(mode: IDBTransactionMode, task: (store: IDBObjectStore) => Promise<T>) => Promise<T>

/**
 * One connection to the database, kept open, so that a write's transaction starts in the tick it is asked
 * for: a page left right after a commit has its journal entry under way. Opened as idb-keyval opens it (the
 * object store created with the database), and again after the browser closes it.
 */
function connect(database: string, objectStore: string): WithStore {
  let open: IDBDatabase | undefined
  let opening: Promise<IDBDatabase> | undefined
  const reopen = (): Promise<IDBDatabase> =>
    (opening ??= new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(database)
      request.onupgradeneeded = () => request.result.createObjectStore(objectStore)
      request.onsuccess = () => {
        const db = request.result
        db.onclose = () => {
          open = undefined
          opening = undefined
        }
        open = db
        resolve(db)
      }
      request.onerror = () => {
        opening = undefined
        reject(request.error ?? new Error(`indexedDB.open(${JSON.stringify(database)}) failed`))
      }
    }))
  return (mode, task) => {
    const run = <T>(db: IDBDatabase, go: (store: IDBObjectStore) => Promise<T>): Promise<T> =>
      go(db.transaction(objectStore, mode).objectStore(objectStore))
    if (open === undefined) return reopen().then((db) => run(db, task))
    try {
      return run(open, task)
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)))
    }
  }
}

const request = <T>(req: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result)
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'))
  })

/** Resolves when `tx` commits; rejects with its error (null for an explicit abort) when it does not. */
const committed = (tx: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve()
    tx.onabort = tx.onerror = () => reject(tx.error)
  })

/** What a checkpoint records beside the image: the token it stored it with, and the commit it includes. */
interface CheckpointRecord {
  readonly token: string
  readonly seq: number
  readonly id: string
}

/**
 * The position the stored image includes. An image stored without a checkpoint record (by an earlier version,
 * by `write`, or by another tool), or one replaced since its record was written, starts a journal of its own.
 */
function positionOf(token: unknown, record: unknown): JournalPosition {
  const stored = typeof token === 'string' ? token : undefined
  const r = record as Partial<CheckpointRecord> | undefined
  if (stored !== undefined && r?.token === stored && Number.isSafeInteger(r.seq) && typeof r.id === 'string')
    return { seq: r.seq as number, id: r.id }
  return { seq: 0, id: `image:${stored ?? ''}` }
}

const failed = (where: string, what: string, error: unknown): ZustandSqliteError =>
  new ZustandSqliteError(
    'WRITE_FAILED',
    `${what} in ${where} failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  )

/**
 * Keeps the image in IndexedDB, with a journal beside it: a commit is stored as a small entry (the ChangeSet)
 * and the image only as an occasional checkpoint. In the object store, under `key` the image, under
 * `<key>:token` its token (as earlier versions kept them), under `[key, 'checkpoint']` the commit the image
 * includes, and under `[key, 'journal', seq]` the entries since. A checkpoint writes the image, its token and
 * record and removes the entries in one transaction, after checking them; an entry is added under its seq
 * (never overwriting one) in a transaction of its own that reads nothing. An image stored by an earlier
 * version (no record) opens as it is.
 *
 * @example
 * ```ts
 * const backend = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key: 'my-app' }) })
 * ```
 */
export function indexedDbStorage(options: IndexedDbStorageOptions = {}): ImageStorage {
  const database = options.database ?? 'zustand-sqlite'
  const objectStore = options.objectStore ?? 'images'
  const key = options.key ?? 'default'
  const tokenKey = `${key}:token`
  const checkpointKey = [key, 'checkpoint']
  const entryKey = (seq: number): IDBValidKey => [key, 'journal', seq]
  // Every [key, 'journal', seq]: numbers sort before arrays.
  const entries = (): IDBKeyRange => IDBKeyRange.bound([key, 'journal'], [key, 'journal', []])
  const where = `indexedDB ${database}/${objectStore}/${key}`
  const withStore = connect(database, objectStore)

  const imageOf = (value: unknown): Uint8Array | undefined => {
    if (value === undefined || value instanceof Uint8Array) return value
    throw new ZustandSqliteError('CORRUPT_DATABASE', `${where} does not hold a database image`)
  }

  const journal: ImageJournal = {
    read: () =>
      withStore('readonly', async (store) => {
        const [image, token, record, stored] = await Promise.all([
          request(store.get(key) as IDBRequest<unknown>),
          request(store.get(tokenKey) as IDBRequest<unknown>),
          request(store.get(checkpointKey) as IDBRequest<unknown>),
          request(store.getAll(entries()) as IDBRequest<unknown[]>),
        ])
        return { image: imageOf(image), at: positionOf(token, record), entries: stored }
      }),
    append: (entry) =>
      withStore('readwrite', (store) => {
        const tx = store.transaction
        // Nothing is read first: a page left right after this call has its entry written whole, with no
        // answer of the page's awaited (a check made in a callback would be lost with the page, and with it the
        // entry). Whether the entry follows what is stored is checked by `position` at flush time.
        try {
          store.add(entry, entryKey(entry.seq))
          if (typeof tx.commit === 'function') tx.commit()
        } catch (error) {
          tx.abort()
          return Promise.reject(failed(where, 'storing a journal entry', error))
        }
        return committed(tx).catch((error: unknown) => {
          // A ConstraintError: another writer stored an entry with this seq first.
          if ((error as { name?: unknown } | null)?.name === 'ConstraintError') throw conflict(where)
          throw failed(where, 'storing a journal entry', error)
        })
      }),
    position: () =>
      withStore('readonly', async (store) => {
        const [token, record] = await Promise.all([
          request(store.get(tokenKey) as IDBRequest<unknown>),
          request(store.get(checkpointKey) as IDBRequest<unknown>),
        ])
        return positionOf(token, record)
      }),
    checkpoint: (image, at, known) =>
      withStore('readwrite', async (store) => {
        const tx = store.transaction
        const done = committed(tx)
        done.catch(() => undefined)
        try {
          const [token, record, stored] = await Promise.all([
            request(store.get(tokenKey) as IDBRequest<unknown>),
            request(store.get(checkpointKey) as IDBRequest<unknown>),
            request(store.getAll(entries()) as IDBRequest<unknown[]>),
          ])
          if (!known(chainFrom(positionOf(token, record), stored).head)) {
            tx.abort()
            throw conflict(where)
          }
          const next = nextToken()
          store.put(image, key)
          store.put(next, tokenKey)
          store.put({ token: next, seq: at.seq, id: at.id } satisfies CheckpointRecord, checkpointKey)
          store.delete(entries())
          await done
        } catch (error) {
          if (isZustandSqliteError(error)) throw error
          throw failed(where, 'storing the database image', error)
        }
      }),
  }

  return {
    name: where,
    read: () =>
      withStore('readonly', async (store) => {
        const [image, token] = await Promise.all([
          request(store.get(key) as IDBRequest<unknown>),
          request(store.get(tokenKey) as IDBRequest<unknown>),
        ])
        const stored = imageOf(image)
        if (stored === undefined) return undefined
        return { image: stored, token: typeof token === 'string' ? token : undefined }
      }),
    write: (image, expected) =>
      withStore('readwrite', async (store) => {
        const current = await request(store.get(tokenKey) as IDBRequest<unknown>)
        const stored = current === undefined ? undefined : String(current)
        if (stored !== expected) {
          store.transaction.abort()
          throw conflict(where)
        }
        const token = nextToken()
        store.put(image, key)
        store.put(token, tokenKey)
        await committed(store.transaction)
        return token
      }),
    journal,
  }
}

/** Keeps nothing: the database lives as long as the process or page. */
export function memoryStorage(): ImageStorage {
  return {
    name: 'memory',
    read: () => Promise.resolve(undefined),
    write: () => Promise.resolve('memory'),
  }
}
