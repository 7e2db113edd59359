import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { Rollout } from './rollout'

/** Which storage a store runs on. */
export type StoreStorage = 'sqlite' | 'legacy'

/** The key, in the rollout's storage, of which stores live in SQLite. */
const storesKey = (flag: string): string => `zustand-sqlite:stores:${flag}`

/**
 * The stores that live in SQLite, as the rollout's synchronous storage records them (beside the rollout's
 * own record): a store not listed runs on its legacy storage. A record that cannot be read lists none.
 */
export function readStoreMap(rollout: Rollout): Record<string, StoreStorage> {
  try {
    const text = rollout.storage.getItem(storesKey(rollout.flag))
    const parsed: unknown = text === null ? {} : JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {}
    // Entries, made into a record at the end: a store may be named `__proto__`.
    return Object.fromEntries(
      Object.entries(parsed).filter(([, value]) => value === 'sqlite') as [string, StoreStorage][],
    )
  } catch {
    return {}
  }
}

/** Records the storage of `changes`' stores, keeping the others'. */
export function updateStoreMap(rollout: Rollout, changes: Readonly<Record<string, StoreStorage>>): void {
  const map = new Map(Object.entries(readStoreMap(rollout)))
  for (const [store, storage] of Object.entries(changes)) {
    if (storage === 'sqlite') map.set(store, 'sqlite')
    else map.delete(store)
  }
  try {
    rollout.storage.setItem(storesKey(rollout.flag), JSON.stringify(Object.fromEntries(map)))
  } catch (error) {
    throw new ZustandSqliteError(
      'LEGACY_STORAGE_FAILED',
      `recording which stores live in SQLite failed (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    )
  }
}
