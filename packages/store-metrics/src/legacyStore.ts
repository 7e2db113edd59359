import { defineLegacyStore } from '@zustand-sqlite/core'
import { importLegacyMetrics, metricsLegacyPersistOptions } from './legacy'
import { metricsDefinition } from './store'

/**
 * How big-AGI kept the usage metrics before SQLite, for a migration: the `app-metrics` key of
 * localStorage, read by `importLegacyMetrics` (version 0) and written back, on rollback, with
 * `metricsLegacyPersistOptions` (version 0, the aggregates only). The app kept no events, so none are
 * imported. `cleaned` counts the import's `problems`; `count` reports `services`, the aggregates stored.
 *
 * @example
 * ```ts
 * const imported = await metricsLegacy.import(localStorage.getItem('app-metrics'), context)
 * ```
 */
export const metricsLegacy = defineLegacyStore({
  definition: metricsDefinition,
  key: metricsLegacyPersistOptions.name,
  location: 'localStorage',
  import: (raw) => {
    const imported = importLegacyMetrics(raw)
    if (imported === null) return null
    const { state, problems } = imported
    return { state, cleaned: problems.length, report: { problems } }
  },
  count: (state) => ({ services: Object.keys(state.serviceMetrics).length }),
  persistOptions: metricsLegacyPersistOptions,
})
