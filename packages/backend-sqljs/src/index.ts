import { openSqlJsBackend } from './createSqlJsBackend'
import type { SqlJsBackend, SqlJsBackendOptions } from './createSqlJsBackend'
import { fileStorage } from './fileStorage'

export { fileStorage }
export { indexedDbStorage, memoryStorage } from './imageStorage'
export type { ImageStorage, IndexedDbStorageOptions, StoredImage } from './imageStorage'
export type { ImageJournal, JournaledImage, JournalEntry, JournalOp, JournalPosition, KnownPosition } from './journal'
export type { SqlJsBackend, SqlJsBackendOptions } from './createSqlJsBackend'
export type { SqlJsDatabase, SqlJsStatement, SqlJsStatic, SqlJsValue } from './sqlJsDriver'

/**
 * A backend on sql.js (SQLite compiled to WebAssembly), for browsers and Node. The database lives in
 * memory, so hydration and writes are synchronous once this promise resolves. In IndexedDB each commit is
 * journaled from the tick it is made in (a page reloaded or closed right after a `set()` keeps it), and the
 * whole image is stored only as an occasional checkpoint; in a file (this build, for Node) the image is
 * stored by a coalesced flush that never runs inside `set()`. A stored image that is not a database is
 * refused with CORRUPT_DATABASE and left as it is. If another tab or process wrote since this copy loaded,
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
export function createSqlJsBackend(options: SqlJsBackendOptions = {}): Promise<SqlJsBackend> {
  return openSqlJsBackend(options, fileStorage)
}
