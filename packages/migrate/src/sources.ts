import { createStore as createIdbStore, del, get, set } from 'idb-keyval'
import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { LegacyLocation } from '@zustand-sqlite/core'
import type { StateStorage } from 'zustand/middleware'
import type { SyncStorage } from './rollout'

/**
 * A place where an app's `persist` kept stores: read, written back on rollback, and cleared by an explicit
 * cleanup. Values are what the app's storage holds: the JSON text of a `{ state, version }` envelope.
 */
export interface LegacySource {
  /** For messages: `localStorage`, `indexedDB (keyval-store/keyval)`, ... */
  readonly label: string
  /** The stored value, or `null` when the key holds nothing. */
  read(key: string): Promise<unknown>
  write(key: string, text: string): Promise<void>
  remove(key: string): Promise<void>
  /** The same place as a Zustand `StateStorage` (text in, text out), for `createJSONStorage`. */
  readonly stateStorage: StateStorage
}

/** The legacy storages, by location. A Zustand `StateStorage` is taken as it is. */
export type LegacySources = Partial<Record<LegacyLocation, LegacySource | StateStorage>>

function failed(label: string, doing: string, key: string, cause: unknown): ZustandSqliteError {
  const reason = cause instanceof Error ? cause.message : String(cause)
  return new ZustandSqliteError(
    'LEGACY_STORAGE_FAILED',
    `${label}: ${doing} ${JSON.stringify(key)} failed (${reason})`,
    {
      cause,
    },
  )
}

async function guarded<R>(label: string, doing: string, key: string, run: () => R | Promise<R>): Promise<R> {
  try {
    return await run()
  } catch (error) {
    throw failed(label, doing, key, error)
  }
}

/**
 * A Zustand `StateStorage` (or `localStorage`, `sessionStorage`, any object with `getItem`, `setItem` and
 * `removeItem`, synchronous or not) as a legacy source.
 */
export function stateStorageSource(storage: StateStorage | SyncStorage, label = 'storage'): LegacySource {
  const stateStorage: StateStorage = {
    getItem: (key) => storage.getItem(key),
    setItem: (key, value) => storage.setItem(key, value),
    removeItem: (key) => storage.removeItem(key),
  }
  return {
    label,
    read: (key) => guarded(label, 'reading', key, async () => await storage.getItem(key)),
    write: (key, text) => guarded(label, 'writing', key, async () => void (await storage.setItem(key, text))),
    remove: (key) => guarded(label, 'removing', key, async () => void (await storage.removeItem(key))),
    stateStorage,
  }
}

/** The page's `localStorage` (or another synchronous storage) as a legacy source. */
export function localStorageSource(storage?: SyncStorage): LegacySource {
  const found = storage ?? (globalThis as { localStorage?: SyncStorage }).localStorage
  if (found === undefined)
    throw new ZustandSqliteError('INVALID_OPTIONS', 'there is no localStorage here: pass the storage to read')
  return stateStorageSource(found, 'localStorage')
}

/** Where in IndexedDB an idb-keyval store keeps its values. */
export interface IndexedDBSourceOptions {
  /** @default 'keyval-store' (idb-keyval's default database, where big-AGI keeps `app-chats`) */
  readonly database?: string
  /** @default 'keyval' */
  readonly objectStore?: string
}

/**
 * An idb-keyval store in IndexedDB as a legacy source: by default its default database (`keyval-store`,
 * object store `keyval`), where big-AGI keeps `app-chats` as the JSON text of its envelope. Values are
 * written back as text, as the app writes them; a value stored as an object is read as it is.
 */
export function indexedDBSource(options: IndexedDBSourceOptions = {}): LegacySource {
  const database = options.database ?? 'keyval-store'
  const objectStore = options.objectStore ?? 'keyval'
  const label = `indexedDB (${database}/${objectStore})`
  let store: ReturnType<typeof createIdbStore> | undefined
  const open = (): ReturnType<typeof createIdbStore> => {
    if (typeof indexedDB === 'undefined')
      throw new ZustandSqliteError('INVALID_OPTIONS', 'there is no indexedDB here: pass a source for app-chats')
    return (store ??= createIdbStore(database, objectStore))
  }
  const read = (key: string): Promise<unknown> =>
    guarded(label, 'reading', key, async () => (await get<unknown>(key, open())) ?? null)
  return {
    label,
    read,
    write: (key, text) => guarded(label, 'writing', key, () => set(key, text, open())),
    remove: (key) => guarded(label, 'removing', key, () => del(key, open())),
    stateStorage: {
      getItem: async (key) => {
        const value = await get<unknown>(key, open())
        if (value === undefined || value === null) return null
        return typeof value === 'string' ? value : JSON.stringify(value)
      },
      setItem: (key, value) => set(key, value, open()),
      removeItem: (key) => del(key, open()),
    },
  }
}

function isLegacySource(value: LegacySource | StateStorage): value is LegacySource {
  return typeof (value as LegacySource).read === 'function' && 'stateStorage' in value
}

/**
 * The source of each location: those given, else the page's own (`localStorage`, idb-keyval's default
 * database) when the page has them. `undefined` for a location with neither.
 */
export function resolveSources(sources: LegacySources = {}): Record<LegacyLocation, LegacySource | undefined> {
  const pick = (location: LegacyLocation, fallback: () => LegacySource | undefined): LegacySource | undefined => {
    const given = sources[location]
    if (given === undefined) return fallback()
    return isLegacySource(given) ? given : stateStorageSource(given, location)
  }
  return {
    localStorage: pick('localStorage', () =>
      (globalThis as { localStorage?: SyncStorage }).localStorage === undefined ? undefined : localStorageSource(),
    ),
    indexedDB: pick('indexedDB', () => (typeof indexedDB === 'undefined' ? undefined : indexedDBSource())),
  }
}

/** The JSON text of a legacy value (as stored, or as JSON of what IndexedDB held). */
export function legacyText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** Bytes of the UTF-8 encoding of `text`. */
export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length
}

/** The SHA-256 of the UTF-8 of `text`, in hex. */
export async function checksum(text: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')
}
