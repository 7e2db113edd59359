// The build bundlers take for browsers (the `browser` export condition): the same API without the key file, so
// that an app's bundle never sees Node's file system modules.
import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { SecretKey } from './secretKey'

export * from './portable'

/**
 * Keeps the key in a file: Node only. In the browser build it rejects with INVALID_OPTIONS (use
 * `indexedDBSecretKey`).
 *
 * @example
 * ```ts
 * // On Node:
 * const llms = createLLMsStore({ backend, secretKey: fileSecretKey('/run/secrets/app-models.key') })
 * ```
 */
export async function fileSecretKey(path: string): Promise<SecretKey> {
  throw new ZustandSqliteError(
    'INVALID_OPTIONS',
    `fileSecretKey ${JSON.stringify(path)}: a key file needs Node's file system, and this is the browser build of @zustand-sqlite/store-llms; in a browser keep the key in IndexedDB (indexedDBSecretKey())`,
  )
}
