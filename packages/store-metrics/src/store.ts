import { defineStore } from '@zustand-sqlite/core'
import type { CommitInfo, PersistedStoreApi, StoreOptions } from '@zustand-sqlite/core'
import { metricsSchema } from './schema'
import {
  createMetricsState,
  METRICS_STATE_VERSION,
  METRICS_STORE_NAME,
  migrateMetrics,
  partializeMetrics,
  PERSIST_METRIC_TYPE,
} from './state'
import type { MetricsState, MetricsStore } from './state'

/** Options of {@link createMetricsStore}: where to store, and the `persistSQLite` options a store may tune. */
export type MetricsStoreOptions = StoreOptions<MetricsStore, MetricsState>

/** The metrics store: a Zustand store with `store.persist`. */
export type MetricsStoreApi = PersistedStoreApi<MetricsStore, MetricsState>

/**
 * The metrics store, defined once: name `app-metrics`, the `service_metrics` rows of the aggregates and the
 * `metrics` and `metrics_daily` tables of events, state version 0. `create` makes the store; `prepare` serves
 * the query functions and retention, which read and write the event tables with SQL.
 */
export const metricsDefinition = defineStore<MetricsStore, MetricsState>({
  name: METRICS_STORE_NAME,
  schema: metricsSchema,
  version: METRICS_STATE_VERSION,
  partialize: partializeMetrics,
  migrate: migrateMetrics,
  state: () => createMetricsState(),
})

/**
 * A metrics store persisted with `persistSQLite`: the per-service aggregates are `service_metrics` rows (one
 * row written per cost entry), and every event is appended to the `metrics` table, never kept in memory.
 * The events of one tick (with `writeDelayMs`, of one delay) are written in one transaction, together with
 * the aggregates they changed. With a synchronous backend it has hydrated when this returns.
 *
 * @example
 * ```ts
 * const metricsStore = createMetricsStore({ backend })
 * metricsStore.getState().addChatGenerateCostEntry({ $c: 12 }, 1200, 300, 'openai', 'chat')
 * metricsStore.getState().record('ui', 'drawer-open', 1)
 * await metricsStore.getState().timed('llm', 'list-models', () => fetchModels())
 * ```
 */
export function createMetricsStore(options: MetricsStoreOptions): MetricsStoreApi {
  return metricsDefinition.create(options)
}

/**
 * An `onCommit` handler that records each commit of another store in `metricsStore`, as an event of type
 * `persist` named after the store, whose value is the commit's duration in ms and whose metadata holds the
 * rows written and the backend's name. Commits of the metrics store itself are skipped, so wiring it into the
 * metrics store's own `onCommit` does not loop.
 *
 * @example
 * ```ts
 * const metricsStore = createMetricsStore({ backend })
 * const chatsStore = createChatsStore({ backend, onCommit: recordCommits(metricsStore) })
 * ```
 */
export function recordCommits(metricsStore: MetricsStoreApi): (info: CommitInfo) => void {
  return (info) => {
    const own = metricsStore.persist.getOptions().name ?? METRICS_STORE_NAME
    if (info.store === own) return
    metricsStore
      .getState()
      .record(PERSIST_METRIC_TYPE, info.store, info.durationMs, { rows: info.rows, backend: info.backend })
  }
}
