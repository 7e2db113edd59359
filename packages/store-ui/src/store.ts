import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import type { BackendOption, PersistSQLiteApi, PersistSQLiteOptions } from '@zustand-sqlite/core'
import { uiPreferencesSchema } from './schema'
import {
  createUIPreferencesState,
  migrateUIPreferences,
  partializeUIPreferences,
  UI_PREFERENCES_STATE_VERSION,
  UI_PREFERENCES_STORE_NAME,
} from './state'
import type { PersistedUIPreferences, UIPreferencesState, UIPreferencesStore } from './state'

/** Options of {@link createUIPreferencesStore}. */
export interface UIPreferencesStoreOptions extends Pick<
  PersistSQLiteOptions<UIPreferencesStore, PersistedUIPreferences>,
  'onRehydrateStorage' | 'skipHydration' | 'writeDelayMs' | 'onError' | 'onCommit'
> {
  /** The backend (or a function returning one, or a promise of one). */
  backend: BackendOption
  /** The store's name in the database. @default 'app-ui' */
  name?: string
  /** Defaults to use instead of the built-in ones (a language from the request, ...). Stored values win. */
  initial?: Partial<UIPreferencesState>
}

/** The UI preferences store: a Zustand store with `store.persist`. */
export type UIPreferencesStoreApi = StoreApi<UIPreferencesStore> & {
  persist: PersistSQLiteApi<UIPreferencesStore, PersistedUIPreferences>
}

/**
 * A UI preferences store persisted with `persistSQLite` in the `ui_preferences` row. Changing one
 * setting writes one row. With a synchronous backend it has hydrated when this returns. Use it with
 * `useStore(store, selector)` in React or with `store.getState()` anywhere.
 *
 * @example
 * ```ts
 * const uiStore = createUIPreferencesStore({ backend })
 * uiStore.getState().setCenterMode('wide')
 * ```
 */
export function createUIPreferencesStore(options: UIPreferencesStoreOptions): UIPreferencesStoreApi {
  const { backend, name = UI_PREFERENCES_STORE_NAME, initial, ...tuning } = options
  return createStore<UIPreferencesStore>()(
    persistSQLite(createUIPreferencesState(initial), {
      ...tuning,
      name,
      backend,
      schema: uiPreferencesSchema,
      version: UI_PREFERENCES_STATE_VERSION,
      partialize: partializeUIPreferences,
      migrate: migrateUIPreferences,
    }),
  )
}
