import { isZustandSqliteError, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, LegacyStore, PersistedStoreApi, StoreOptions } from '@zustand-sqlite/core'
import type { StoreApi } from 'zustand/vanilla'
import type { MigrationEventListener } from './events'
import { migrateStores } from './migrate'
import type { MigrationProgress, MigrationResult } from './migrate'
import { createLegacyStore, rollbackStores } from './rollback'
import type { RollbackResult } from './rollback'
import type { Rollout, RolloutDecision } from './rollout'
import { readStoreMap } from './storeMap'
import { announceSwitch } from './switchNotice'
import type { StoreStorage } from './storeMap'
import { resolveSources } from './sources'
import type { LegacySources } from './sources'

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
  /** Why the device stays on its legacy storage although the rollout chose SQLite: the database did not open. */
  readonly error?: ZustandSqliteError
}

/**
 * Takes the storage decision once, at startup, before any store exists, and does what it needs: reads the
 * rollout's decision (synchronously, from storage that does not depend on the database it gates), migrates
 * the stores when the device joins (or rolls them back when the kill switch or the user's override says
 * so), and tells which storage each store runs on. Create each store with {@link createSwappableStore}
 * (or by hand, with the legacy `persist` options or `persistSQLite` on the same state creator).
 *
 * Other tabs of the origin are told when stores moved (see {@link onStorageSwitched}): a tab opened before
 * still runs on the storage it started with until it reloads.
 *
 * A store whose migration fails stays on its legacy storage while the others run on SQLite, and is tried
 * again at the next start. A rollback that fails leaves its store on SQLite (its data is there), tried
 * again at the next start. When the database cannot be opened (a browser without OPFS, a quota), a device
 * with no store in SQLite yet stays on its legacy storage (`error` says why); one whose stores are in
 * SQLite rejects with the error, since its data is there.
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
  let decision = rollout.decide()
  const recorded = readStoreMap(rollout)
  if (decision.storage === 'legacy' && decision.reason === 'not-in-rollout' && Object.keys(recorded).length > 0) {
    // Stores live in SQLite although the rollout's record says otherwise (it was lost or is corrupt): they
    // stay there, as a migrated device does, rather than go back to legacy values older than them.
    decision = { ...decision, storage: 'sqlite', reason: 'migrated', migrate: false }
    rollout.markMigrated()
  }
  const shared = {
    ...(options.sources === undefined ? {} : { sources: options.sources }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    rollout,
  }
  let backend: Backend | undefined
  let migration: MigrationResult | undefined
  let rollback: RollbackResult | undefined
  let error: ZustandSqliteError | undefined

  if (decision.storage === 'sqlite') {
    try {
      backend = await options.backend()
    } catch (cause) {
      error = isZustandSqliteError(cause)
        ? cause
        : new ZustandSqliteError(
            'UNSUPPORTED_ENVIRONMENT',
            `the SQLite database could not be opened (${String(cause)})`,
            {
              cause,
            },
          )
      if (Object.keys(recorded).length > 0) throw error
    }
    const missing = options.stores.some((s) => recorded[s.definition.name] !== 'sqlite')
    if (backend !== undefined && (decision.migrate || missing)) {
      migration = await migrateStores({
        backend,
        stores: options.stores,
        ...shared,
        ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      })
    }
  } else if (decision.rollback) {
    const onSQLite = options.stores.filter((s) => recorded[s.definition.name] === 'sqlite')
    backend = await options.backend()
    rollback = await rollbackStores({ backend, stores: onSQLite, ...shared })
  }

  const map = readStoreMap(rollout)
  const moved: Record<string, StoreStorage> = {}
  for (const result of migration?.stores ?? []) if (result.outcome === 'migrated') moved[result.store] = 'sqlite'
  for (const result of rollback?.stores ?? []) if (result.outcome === 'rolled-back') moved[result.store] = 'legacy'
  announceSwitch({ flag: rollout.flag, stores: moved })
  return {
    decision,
    storageOf: (store) => (backend !== undefined && map[store] === 'sqlite' ? 'sqlite' : 'legacy'),
    backend,
    ...(migration === undefined ? {} : { migration }),
    ...(rollback === undefined ? {} : { rollback }),
    ...(error === undefined ? {} : { error }),
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
 * state creator is the same, so components see the same interface either way. `options` are the store's own
 * (the key of `@zustand-sqlite/store-llms`) and its `persistSQLite` tuning; `sources` says where its legacy
 * storage is.
 */
export function createSwappableStore<T, P = unknown, L = P, O extends object = Record<never, never>>(
  legacy: LegacyStore<T, P, L>,
  started: StartedStorage,
  options: Omit<StoreOptions<T, P>, 'backend'> & O & { readonly sources?: LegacySources } = {} as O,
): SwappableStore<T> {
  const name = legacy.definition.name
  if (started.storageOf(name) === 'sqlite') {
    if (started.backend === undefined)
      throw new ZustandSqliteError('INVALID_OPTIONS', `${name}: runs on SQLite but no backend was opened`, {
        store: name,
      })
    const { sources: _legacyOnly, ...own } = options
    const store = legacy.definition.create({ ...own, backend: started.backend })
    return Object.assign(store, { storage: 'sqlite' as const })
  }
  const source = resolveSources(options.sources)[legacy.location]
  if (source === undefined)
    throw new ZustandSqliteError('INVALID_OPTIONS', `${name}: no ${legacy.location} source for the legacy storage`, {
      store: name,
    })
  const store = createLegacyStore(legacy as LegacyStore, source) as unknown as SwappableStore<T>
  return Object.assign(store, { storage: 'legacy' as const })
}
