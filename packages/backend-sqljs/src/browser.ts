// The build bundlers take for browsers (the `browser` export condition): the same API without the file
// storage, so that an app's bundle never sees Node's file system modules.
import { ZustandSqliteError } from '@zustand-sqlite/core'
import { openSqlJsBackend } from './createSqlJsBackend'
import type { SqlJsBackend, SqlJsBackendOptions } from './createSqlJsBackend'
import type { ImageStorage } from './imageStorage'

export { indexedDbStorage, memoryStorage } from './imageStorage'
export type { ImageStorage, IndexedDbStorageOptions, StoredImage } from './imageStorage'
export type { ImageJournal, JournaledImage, JournalEntry, JournalOp, JournalPosition, KnownPosition } from './journal'
export type { SqlJsBackend, SqlJsBackendOptions } from './createSqlJsBackend'
export type { SqlJsDatabase, SqlJsStatement, SqlJsStatic, SqlJsValue } from './sqlJsDriver'

/**
 * Keeps the image in a file: Node only. In the browser build it throws INVALID_OPTIONS (use IndexedDB).
 *
 * @example
 * ```ts
 * // On Node:
 * const backend = await createSqlJsBackend({ storage: fileStorage('.data/app.sqlite') })
 * ```
 */
export function fileStorage(path: string): ImageStorage {
  throw new ZustandSqliteError(
    'INVALID_OPTIONS',
    `storage file ${JSON.stringify(path)}: file storage needs Node's file system, and this is the browser build of @zustand-sqlite/backend-sqljs; in a browser keep the image in IndexedDB (storage: 'indexeddb')`,
  )
}

/**
 * A backend on sql.js (SQLite compiled to WebAssembly). The database lives in memory, so hydration and
 * writes are synchronous once this promise resolves. In IndexedDB each commit is journaled from the tick it
 * is made in (a page reloaded or closed right after a `set()` keeps it), and the whole image is stored only
 * as an occasional checkpoint. A stored image that is not a database is refused with CORRUPT_DATABASE and
 * left as it is. If another tab wrote since this copy loaded, this copy refuses to overwrite it
 * (CONCURRENT_MODIFICATION).
 *
 * @example
 * ```ts
 * import initSqlJs from 'sql.js'
 * import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url'
 * import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
 *
 * const sqlJs = initSqlJs({ locateFile: () => wasmUrl })
 * const backend = await createSqlJsBackend({ sqlJs, storage: 'indexeddb' })
 * const useStore = create(persistSQLite(creator, { name: 'app', backend }))
 * ```
 */
export function createSqlJsBackend(options: SqlJsBackendOptions = {}): Promise<SqlJsBackend> {
  return openSqlJsBackend(options, fileStorage)
}
