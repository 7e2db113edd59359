import { defineStore } from '@zustand-sqlite/core'
import type { PersistedStoreApi, StoreOptions } from '@zustand-sqlite/core'
import { migratePersistedUXLabs } from './legacy'
import { fromPersistedUXLabs, toPersistedUXLabs, uxLabsSchema } from './schema'
import type { PersistedUXLabs } from './schema'
import { createUXLabsState, UX_LABS_STATE_VERSION, UX_LABS_STORE_NAME } from './state'
import type { UXLabsStore } from './state'

/** Options of {@link createUXLabsStore}: where the flags are stored, and tuning. The store has no options of its own. */
export type UXLabsStoreOptions = StoreOptions<UXLabsStore, PersistedUXLabs>

/** The UX labs store: a Zustand store with `store.persist`. */
export type UXLabsStoreApi = PersistedStoreApi<UXLabsStore, PersistedUXLabs>

/**
 * The UX labs store, defined once: name `app-ux-labs`, one `ux_labs` row per flag, state version 2 with
 * the migration of the app's flat versions 0 and 1. `create` makes the store, `read`, `update` and
 * `prepare` serve the query functions.
 */
export const uxLabsDefinition = defineStore<UXLabsStore, PersistedUXLabs>({
  name: UX_LABS_STORE_NAME,
  schema: uxLabsSchema,
  version: UX_LABS_STATE_VERSION,
  partialize: toPersistedUXLabs,
  // Called with undefined when nothing is stored (as Zustand's persist does): the initial state stays.
  merge: (persisted, current) =>
    persisted === undefined ? current : { ...current, ...fromPersistedUXLabs(persisted as PersistedUXLabs) },
  migrate: migratePersistedUXLabs,
  state: () => createUXLabsState(),
})

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
  return uxLabsDefinition.create(options)
}
