import { defineLegacyStore } from '@zustand-sqlite/core'
import { importLegacyUIPreferences } from './legacy'
import { uiPreferencesLegacyPersistOptions } from './state'
import { uiPreferencesDefinition } from './store'

/**
 * How big-AGI kept the UI preferences before SQLite, for a migration: the `app-ui` key of localStorage,
 * read by `importLegacyUIPreferences` (versions 0 to 3) and written back, on rollback, with
 * `uiPreferencesLegacyPersistOptions` (version 3). `count` reports `settings`: the keys stored, unknown
 * ones included.
 *
 * @example
 * ```ts
 * const imported = await uiPreferencesLegacy.import(localStorage.getItem('app-ui'), context)
 * ```
 */
export const uiPreferencesLegacy = defineLegacyStore({
  definition: uiPreferencesDefinition,
  key: uiPreferencesLegacyPersistOptions.name,
  location: 'localStorage',
  import: (raw) => {
    const state = importLegacyUIPreferences(raw)
    return state === null ? null : { state, cleaned: 0 }
  },
  count: (state) => ({ settings: Object.keys(state).length }),
  persistOptions: uiPreferencesLegacyPersistOptions,
})
