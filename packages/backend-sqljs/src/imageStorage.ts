import { createStore, promisifyRequest } from 'idb-keyval'
import { ZustandSqliteError } from '@zustand-sqlite/core'

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
}

let tokenCounter = 0
const writerId = Math.random().toString(36).slice(2, 10)
const nextToken = (): string => `${writerId}:${Date.now().toString(36)}:${++tokenCounter}`

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

/**
 * Keeps the image in IndexedDB (through idb-keyval), the image and its token written in one
 * transaction that first checks the token.
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
  const useStore = createStore(database, objectStore)
  return {
    name: `indexedDB ${database}/${objectStore}/${key}`,
    read: () =>
      useStore('readonly', async (store) => {
        const [image, token] = await Promise.all([
          promisifyRequest(store.get(key) as IDBRequest<unknown>),
          promisifyRequest(store.get(tokenKey) as IDBRequest<unknown>),
        ])
        if (image === undefined) return undefined
        if (!(image instanceof Uint8Array)) {
          throw new ZustandSqliteError(
            'CORRUPT_DATABASE',
            `indexedDB ${database}/${objectStore}/${key} does not hold a database image`,
          )
        }
        return { image, token: typeof token === 'string' ? token : undefined }
      }),
    write: (image, expected) =>
      useStore('readwrite', async (store) => {
        const current = await promisifyRequest(store.get(tokenKey) as IDBRequest<unknown>)
        const stored = current === undefined ? undefined : String(current)
        if (stored !== expected) {
          store.transaction.abort()
          throw conflict(`indexedDB ${database}/${objectStore}/${key}`)
        }
        const token = nextToken()
        store.put(image, key)
        store.put(token, tokenKey)
        await promisifyRequest(store.transaction)
        return token
      }),
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
