import { defineLegacyStore } from '@zustand-sqlite/core'
import { importLegacyUXLabs, uxLabsLegacyPersistOptions } from './legacy'
import { toPersistedUXLabs } from './schema'
import type { PersistedUXLabs } from './schema'
import type { UXLabsState } from './state'
import { uxLabsDefinition } from './store'

const count = (state: PersistedUXLabs): { flags: number; experiments: number } => {
  const entries = Object.values(state.flags)
  return {
    flags: entries.filter((entry) => entry.enabled !== undefined).length,
    experiments: entries.filter((entry) => entry.config !== undefined).length,
  }
}

/**
 * How big-AGI kept the UX labs flags before SQLite, for a migration: the `app-ux-labs` key of
 * localStorage, read by `importLegacyUXLabs` (the app's flat versions 0 and 1, and version 2 of this
 * package's legacy path) and written back, on rollback, with `uxLabsLegacyPersistOptions` (version 2:
 * `enabledFlags` and `experiments`). `count` reports the `flags` and the `experiments` stored.
 *
 * @example
 * ```ts
 * const imported = await uxLabsLegacy.import(localStorage.getItem('app-ux-labs'), context)
 * ```
 */
export const uxLabsLegacy = defineLegacyStore({
  definition: uxLabsDefinition,
  key: uxLabsLegacyPersistOptions.name,
  location: 'localStorage',
  import: (raw) => {
    const state = importLegacyUXLabs(raw)
    return state === null ? null : { state: toPersistedUXLabs(state), cleaned: 0 }
  },
  count,
  countLegacy: (state) => count(toPersistedUXLabs(state as UXLabsState)),
  persistOptions: uxLabsLegacyPersistOptions,
})
