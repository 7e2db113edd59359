import { defineStore } from '@zustand-sqlite/core'
import type { PersistedStoreApi, StoreOptions } from '@zustand-sqlite/core'
import { uiPreferencesSchema } from './schema'
import {
  createUIPreferencesState,
  migrateUIPreferences,
  partializeUIPreferences,
  UI_PREFERENCES_STATE_VERSION,
  UI_PREFERENCES_STORE_NAME,
} from './state'
import type { PersistedUIPreferences, UIPreferencesState, UIPreferencesStore } from './state'

/** The UI preferences store's own options. */
export interface UIPreferencesStateOptions {
  /** Defaults to use instead of the built-in ones (a language from the request, ...). Stored values win. */
  initial?: Partial<UIPreferencesState>
}

/** Options of {@link createUIPreferencesStore}. */
export type UIPreferencesStoreOptions = StoreOptions<UIPreferencesStore, PersistedUIPreferences> &
  UIPreferencesStateOptions

/** The UI preferences store: a Zustand store with `store.persist`. */
export type UIPreferencesStoreApi = PersistedStoreApi<UIPreferencesStore, PersistedUIPreferences>

/**
 * The UI preferences store, defined once: name `app-ui`, the `ui_preferences` row, state version 3 with
 * the app's migrations. `create` makes the store, `read` and `update` serve the query functions.
 */
export const uiPreferencesDefinition = defineStore<
  UIPreferencesStore,
  PersistedUIPreferences,
  UIPreferencesStateOptions
>({
  name: UI_PREFERENCES_STORE_NAME,
  schema: uiPreferencesSchema,
  version: UI_PREFERENCES_STATE_VERSION,
  partialize: partializeUIPreferences,
  migrate: migrateUIPreferences,
  state: (options) => createUIPreferencesState(options.initial),
})

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
  return uiPreferencesDefinition.create(options)
}
