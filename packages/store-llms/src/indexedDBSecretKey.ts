import { createStore, get, update } from 'idb-keyval'
import { randomId, ZustandSqliteError } from '@zustand-sqlite/core'
import { checkSecretKey, subtle } from './secretKey'
import type { SecretKey } from './secretKey'

/** Options of {@link indexedDBSecretKey}. */
export interface IndexedDBSecretKeyOptions {
  /** The IndexedDB database the key is kept in (one object store, `keys`). @default 'zustand-sqlite-secrets' */
  readonly database?: string
  /** The key's name in it: one key per name. @default 'app-models' */
  readonly name?: string
}

function isSecretKey(value: unknown): value is SecretKey {
  try {
    checkSecretKey(value, 'stored key')
    return true
  } catch {
    return false
  }
}

/**
 * The page's key, kept in IndexedDB: made once, on the first call for a `database` and `name` (an AES-GCM key of
 * 256 bits, generated **non-extractable**: the page can seal and open with it, but no code can read its bytes),
 * then read back from IndexedDB (which keeps CryptoKeys as they are). Two tabs calling it at once get the same
 * key: the first one stored wins, in one transaction. Clearing the site's data loses the key, and with it every
 * credential sealed with it (the store then lists them in `unavailableSecrets`).
 *
 * Rejects with UNSUPPORTED_ENVIRONMENT where there is no IndexedDB or WebCrypto.
 *
 * @example
 * ```ts
 * const llms = createLLMsStore({ backend, secretKey: indexedDBSecretKey() })
 * ```
 */
export async function indexedDBSecretKey(options: IndexedDBSecretKeyOptions = {}): Promise<SecretKey> {
  const { database, name } = { database: 'zustand-sqlite-secrets', name: 'app-models', ...options }
  if (typeof globalThis.indexedDB === 'undefined')
    throw new ZustandSqliteError('UNSUPPORTED_ENVIRONMENT', 'indexedDBSecretKey: this environment has no IndexedDB')
  const store = createStore(database, 'keys')
  const existing = await get<unknown>(name, store)
  if (existing !== undefined) return stored(existing, database, name)
  const candidate: SecretKey = {
    id: randomId(),
    key: await subtle().generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']),
  }
  await update<unknown>(name, (current) => current ?? candidate, store)
  return stored(await get<unknown>(name, store), database, name)
}

function stored(value: unknown, database: string, name: string): SecretKey {
  if (!isSecretKey(value))
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `indexedDBSecretKey: the entry ${JSON.stringify(name)} of IndexedDB database ${JSON.stringify(database)} is not a key of this package; give another name`,
    )
  return value
}
