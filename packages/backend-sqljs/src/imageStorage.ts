import { createStore, promisifyRequest } from 'idb-keyval'
import type * as FsPromises from 'node:fs/promises'
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

function conflict(where: string): ZustandSqliteError {
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

/** Makes a rename durable: the directory entry is synced too (where the platform allows opening a directory). */
async function syncDirectory(promises: typeof FsPromises, file: string): Promise<void> {
  const slash = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'))
  const directory = slash < 0 ? '.' : file.slice(0, slash) || '/'
  try {
    const handle = await promises.open(directory, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (error) {
    // Windows cannot open a directory (EISDIR, EPERM, EACCES); its rename is durable on its own terms.
    const code = (error as { code?: unknown }).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES') throw error
  }
}

/**
 * Keeps the image in a file (Node). Written to a temporary file, synced, then renamed over the old one,
 * so a crash leaves either the old or the new image. The token is the file's size, modification time
 * and inode, checked before each write: another process that writes between that check and the rename
 * is not detected (the window is the time of one write).
 *
 * @example
 * ```ts
 * const backend = await createSqlJsBackend({ storage: fileStorage('.data/app.sqlite') })
 * ```
 */
export function fileStorage(path: string): ImageStorage {
  // Imported on first use, so that browser bundles of this package never load node:fs.
  const fs = async (): Promise<typeof FsPromises> => import('node:fs/promises')
  const tokenOf = async (): Promise<string | undefined> => {
    try {
      const stat = await (await fs()).stat(path, { bigint: true })
      return `${stat.size}:${stat.mtimeNs}:${stat.ino}`
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOENT') return undefined
      throw error
    }
  }
  return {
    name: `file ${path}`,
    read: async () => {
      const before = await tokenOf()
      if (before === undefined) return undefined
      const data = await (await fs()).readFile(path)
      return { image: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), token: before }
    },
    write: async (image, expected) => {
      const promises = await fs()
      if ((await tokenOf()) !== expected) throw conflict(`file ${path}`)
      const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
      try {
        const handle = await promises.open(temporary, 'w')
        try {
          await handle.writeFile(image)
          await handle.sync()
        } finally {
          await handle.close()
        }
        await promises.rename(temporary, path)
      } catch (error) {
        // The write's own error is the one to report, not a failure to clean up after it.
        await promises.rm(temporary, { force: true }).catch(() => undefined)
        throw error
      }
      await syncDirectory(promises, path)
      return (await tokenOf()) as string
    },
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
