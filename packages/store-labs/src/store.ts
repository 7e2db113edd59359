import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import type { BackendOption, PersistSQLiteApi, PersistSQLiteOptions } from '@zustand-sqlite/core'
import { migratePersistedUXLabs } from './legacy'
import { fromPersistedUXLabs, toPersistedUXLabs, uxLabsSchema } from './schema'
import type { PersistedUXLabs } from './schema'
import { UX_LABS_STATE_VERSION, UX_LABS_STORE_NAME, uxLabsStateCreator } from './state'
import type { UXLabsStore } from './state'

/** Options of {@link createUXLabsStore}. */
export interface UXLabsStoreOptions extends Pick<
  PersistSQLiteOptions<UXLabsStore, PersistedUXLabs>,
  'onRehydrateStorage' | 'skipHydration' | 'writeDelayMs' | 'onError' | 'onCommit'
> {
  /** The backend (or a function returning one, or a promise of one). */
  backend: BackendOption
  /** The store's name in the database. @default 'app-ux-labs' */
  name?: string
}

/** The UX labs store: a Zustand store with `store.persist`. */
export type UXLabsStoreApi = StoreApi<UXLabsStore> & { persist: PersistSQLiteApi<UXLabsStore, PersistedUXLabs> }

/**
 * A UX labs store persisted with `persistSQLite`: one `ux_labs` row per flag, so toggling a flag
 * writes one row (and stamps `enabled_at` when it turns on). With a synchronous backend it has
 * hydrated when this returns, so a flag can be read before any UI renders.
 *
 * @example
 * ```ts
 * const labsStore = createUXLabsStore({ backend })
 * if (labsStore.getState().getFlag(SQLITE_MIGRATION_FLAG)) startSQLiteStores()
 * ```
 */
export function createUXLabsStore(options: UXLabsStoreOptions): UXLabsStoreApi {
  const { backend, name = UX_LABS_STORE_NAME, ...tuning } = options
  return createStore<UXLabsStore>()(
    persistSQLite(uxLabsStateCreator, {
      ...tuning,
      name,
      backend,
      schema: uxLabsSchema,
      version: UX_LABS_STATE_VERSION,
      partialize: toPersistedUXLabs,
      // Called with undefined when nothing is stored (as Zustand's persist does).
      merge: (persisted, current) =>
        persisted === undefined ? current : { ...current, ...fromPersistedUXLabs(persisted as PersistedUXLabs) },
      migrate: migratePersistedUXLabs,
    }),
  )
}
