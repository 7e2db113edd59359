import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, LegacyStore, PersistedStoreApi, StoreOptions } from '@zustand-sqlite/core'
import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import type { MigrationEventListener } from './events'
import { migrateStores } from './migrate'
import type { MigrationProgress, MigrationResult } from './migrate'
import { rollbackStores } from './rollback'
import type { RollbackResult } from './rollback'
import type { Rollout, RolloutDecision, SyncStorage } from './rollout'
import { resolveSources } from './sources'
import type { LegacySources } from './sources'

/** Which storage a store runs on. */
export type StoreStorage = 'sqlite' | 'legacy'

/** Options of {@link startStorage}. */
export interface StartStorageOptions {
  /** The rollout that decides (see `createRollout`). */
  readonly rollout: Rollout
  /** The legacy descriptors of the app's stores. */
  readonly stores: readonly LegacyStore[]
  /**
   * Opens the SQLite database. Called only when a store runs on SQLite or must be rolled back from it, so a
   * device on the legacy storage never loads the engine.
   */
  readonly backend: () => Backend | Promise<Backend>
  /** Where the legacy values are. @default the page's localStorage and idb-keyval's default database */
  readonly sources?: LegacySources
  readonly onProgress?: (progress: MigrationProgress) => void
  readonly onEvent?: MigrationEventListener
}

/** What {@link startStorage} decided and did, before any store exists. */
export interface StartedStorage {
  /** The rollout's decision for this start. */
  readonly decision: RolloutDecision
  /** The storage of a store (by its definition's name): a store whose migration failed stays on legacy. */
  storageOf(store: string): StoreStorage
  /** The SQLite backend, opened when any store runs on SQLite (or was rolled back from it). */
  readonly backend: Backend | undefined
  /** The migration run by this start, when the rollout said to move. */
  readonly migration?: MigrationResult
  /** The rollback run by this start, when the rollout said to move back. */
  readonly rollback?: RollbackResult
}

/** The key, in the rollout's storage, of which stores live in SQLite. */
const storesKey = (flag: string): string => `zustand-sqlite:stores:${flag}`

function readStoreMap(rollout: Rollout, storage: SyncStorage): Record<string, StoreStorage> {
  try {
    const text = storage.getItem(storesKey(rollout.flag))
    const parsed: unknown = text === null ? {} : JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {}
    const map: Record<string, StoreStorage> = {}
    for (const [store, value] of Object.entries(parsed)) if (value === 'sqlite') map[store] = 'sqlite'
    return map
  } catch {
    return {}
  }
}

/**
 * Takes the storage decision once, at startup, before any store exists, and does what it needs: reads the
 * rollout's decision (synchronously, from storage that does not depend on the database it gates), migrates
 * the stores when the device joins (or rolls them back when the kill switch or the user's override says
 * so), and tells which storage each store runs on. Create each store with {@link createSwappableStore}
 * (or by hand, with the legacy `persist` options or `persistSQLite` on the same state creator).
 *
 * A store whose migration fails stays on its legacy storage while the others run on SQLite, and is tried
 * again at the next start. A rollback that fails leaves the device on SQLite (its data is there) and is
 * tried again at the next start.
 *
 * @example
 * ```ts
 * const rollout = createRollout({ percentage: 25 })
 * const started = await startStorage({ rollout, stores, backend: () => createSqliteWasmBackend() })
 * const ui = createSwappableStore(uiPreferencesLegacy, started)
 * ```
 */
export async function startStorage(options: StartStorageOptions): Promise<StartedStorage> {
  const { rollout } = options
  const storage = rollout.storage
  let map = readStoreMap(rollout, storage)
  let decision = rollout.decide()
  if (decision.storage === 'legacy' && decision.reason === 'not-in-rollout' && Object.keys(map).length > 0) {
    // Stores live in SQLite although the rollout's record says otherwise (it was lost or is corrupt): they
    // stay there, as a migrated device does, rather than go back to legacy values older than them.
    decision = { ...decision, storage: 'sqlite', reason: 'migrated', migrate: false }
    rollout.markMigrated()
  }
  let backend: Backend | undefined
  let migration: MigrationResult | undefined
  let rollback: RollbackResult | undefined
  const open = async (): Promise<Backend> => (backend ??= await options.backend())
  const saveMap = (next: Record<string, StoreStorage>): void => {
    map = next
    try {
      storage.setItem(storesKey(rollout.flag), JSON.stringify(next))
    } catch (error) {
      throw new ZustandSqliteError(
        'LEGACY_STORAGE_FAILED',
        `recording which stores live in SQLite failed (${String(error)})`,
        {
          cause: error,
        },
      )
    }
  }

  if (decision.storage === 'sqlite') {
    const names = options.stores.map((s) => s.definition.name)
    const missing = names.some((name) => map[name] !== 'sqlite')
    if (decision.migrate || missing) {
      migration = await migrateStores({
        backend: await open(),
        stores: options.stores,
        ...(options.sources === undefined ? {} : { sources: options.sources }),
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
        ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
      })
      const next: Record<string, StoreStorage> = { ...map }
      for (const result of migration.stores) {
        if (result.outcome === 'failed') delete next[result.store]
        else next[result.store] = 'sqlite'
      }
      saveMap(next)
      rollout.markMigrated()
    } else {
      await open()
    }
  } else if (decision.rollback) {
    const onSQLite = options.stores.filter((s) => map[s.definition.name] === 'sqlite')
    rollback = await rollbackStores({
      backend: await open(),
      stores: onSQLite,
      ...(options.sources === undefined ? {} : { sources: options.sources }),
      ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    })
    const next: Record<string, StoreStorage> = { ...map }
    for (const result of rollback.stores) if (result.outcome === 'rolled-back') delete next[result.store]
    saveMap(next)
    if (rollback.ok) rollout.markRolledBack()
  }

  const rolledBackFailed = rollback !== undefined && !rollback.ok
  return {
    decision,
    storageOf: (store) => {
      if (decision.storage === 'sqlite' || rolledBackFailed) return map[store] === 'sqlite' ? 'sqlite' : 'legacy'
      return 'legacy'
    },
    backend,
    ...(migration === undefined ? {} : { migration }),
    ...(rollback === undefined ? {} : { rollback }),
  }
}

/** A store made by {@link createSwappableStore}: the same state and actions on either storage. */
export type SwappableStore<T> = StoreApi<T> & {
  /** Which storage it runs on. */
  readonly storage: StoreStorage
  /** `persist`'s API on the legacy storage, `persistSQLite`'s on SQLite: the part both share. */
  readonly persist: Pick<PersistedStoreApi<T>['persist'], 'hasHydrated' | 'onFinishHydration' | 'onHydrate'> & {
    rehydrate(): Promise<void> | void
  }
}

/**
 * Creates a store on the storage {@link startStorage} chose for it: `persistSQLite` through its definition
 * on the SQLite backend, or Zustand's `persist` with the store's legacy options on its legacy storage. The
 * state creator is the same, so components see the same interface either way.
 */
export function createSwappableStore<T, P = unknown>(
  legacy: LegacyStore<T, P>,
  started: StartedStorage,
  options: Omit<StoreOptions<T, P>, 'backend'> & { readonly sources?: LegacySources } = {},
): SwappableStore<T> {
  const name = legacy.definition.name
  if (started.storageOf(name) === 'sqlite') {
    if (started.backend === undefined)
      throw new ZustandSqliteError('INVALID_OPTIONS', `${name}: runs on SQLite but no backend was opened`, {
        store: name,
      })
    const store = legacy.definition.create({ ...options, backend: started.backend })
    return Object.assign(store, { storage: 'sqlite' as const })
  }
  const source = resolveSources(options.sources)[legacy.location]
  if (source === undefined)
    throw new ZustandSqliteError('INVALID_OPTIONS', `${name}: no ${legacy.location} source for the legacy storage`, {
      store: name,
    })
  const creator = legacy.legacyState?.() ?? legacy.definition.state({})
  const store = createStore<T>()(
    persist(
      creator as never,
      {
        ...(legacy.persistOptions as object),
        storage: createJSONStorage(() => source.stateStorage),
      } as never,
    ),
  ) as unknown as SwappableStore<T>
  return Object.assign(store, { storage: 'legacy' as const })
}
