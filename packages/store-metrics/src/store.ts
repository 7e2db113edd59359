import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import type { BackendOption, CommitInfo, PersistSQLiteApi, PersistSQLiteOptions } from '@zustand-sqlite/core'
import { metricsSchema } from './schema'
import {
  METRICS_STATE_VERSION,
  METRICS_STORE_NAME,
  metricsStateCreator,
  migrateMetrics,
  PERSIST_METRIC_TYPE,
} from './state'
import type { MetricsState, MetricsStore } from './state'

/** Options of {@link createMetricsStore}: where to store, and the `persistSQLite` options a store may tune. */
export interface MetricsStoreOptions extends Pick<
  PersistSQLiteOptions<MetricsStore, MetricsState>,
  'onRehydrateStorage' | 'skipHydration' | 'writeDelayMs' | 'onError' | 'onCommit'
> {
  /** The backend (or a function returning one, or a promise of one). */
  backend: BackendOption
  /** The store's name in the database. @default 'app-metrics' */
  name?: string
}

/** The metrics store: a Zustand store with `store.persist`. */
export type MetricsStoreApi = StoreApi<MetricsStore> & {
  persist: PersistSQLiteApi<MetricsStore, MetricsState>
}

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
  const { backend, name = METRICS_STORE_NAME, ...tuning } = options
  return createStore<MetricsStore>()(
    persistSQLite(metricsStateCreator, {
      ...tuning,
      name,
      backend,
      schema: metricsSchema,
      version: METRICS_STATE_VERSION,
      migrate: migrateMetrics,
      partialize: (state): MetricsState => ({ serviceMetrics: state.serviceMetrics }),
    }),
  )
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
