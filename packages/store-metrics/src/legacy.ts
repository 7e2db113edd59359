import { isPlainObject, readPersistEnvelope, ZustandSqliteError } from '@zustand-sqlite/core'
import {
  createServiceMetricsAggregate,
  METRICS_STATE_VERSION,
  METRICS_STORE_NAME,
  migrateMetrics,
  partializeMetrics,
} from './state'
import type { MetricsState, MetricsStore, ServiceMetricsAggregate } from './state'

/** A value of the legacy data that could not be kept as it was. */
export interface MetricsImportProblem {
  /** Where it was, e.g. `serviceMetrics.openai.totalCosts`. */
  readonly path: string
  /** The value found (as it was parsed). */
  readonly value: unknown
  /** What was done with it. */
  readonly fix: 'set to 0' | 'truncated' | 'skipped'
}

/** What {@link importLegacyMetrics} returns: the state to set, and what had to be repaired. */
export interface MetricsImport {
  readonly state: MetricsState
  readonly problems: readonly MetricsImportProblem[]
}

const AMOUNTS = ['totalCosts', 'totalSavings'] as const
const COUNTS = [
  'totalInputTokens',
  'totalOutputTokens',
  'usageCount',
  'firstUsageDate',
  'lastUsageDate',
  'freeUsages',
  'noPricingUsages',
  'noTokenUsages',
  'partialMessageUsages',
  'partialPriceUsages',
] as const

/**
 * Imports what big-AGI's metrics store left in localStorage (`localStorage.getItem('app-metrics')`): the
 * `{ state, version }` envelope of version 0, as JSON text or parsed. Returns `null` when there is nothing to
 * import. Nothing is written: set the state it returns (`metricsStore.setState(imported.state)`).
 *
 * Aggregates are repaired, never stored corrupt, and every repair is listed in `problems`:
 *
 * - an aggregate that is not an object is skipped;
 * - a number that is not finite or is negative (amounts: not finite), or is not a number at all, becomes 0;
 * - a count, token total or date that is finite and non-negative but not an integer is truncated;
 * - a field that is missing takes 0 without a report (older app versions lacked some counters);
 * - fields this package does not know are kept (they are stored in the `extra` column).
 *
 * Throws INVALID_LEGACY_DATA for data that is not an envelope or whose `serviceMetrics` is not an object, and
 * MIGRATION_FAILED for a version other than 0.
 *
 * @example
 * ```ts
 * const imported = importLegacyMetrics(localStorage.getItem('app-metrics'))
 * if (imported) metricsStore.setState(imported.state)
 * ```
 */
export function importLegacyMetrics(value: unknown): MetricsImport | null {
  if (value === null || value === undefined) return null
  const { state, version } = readPersistEnvelope(value, METRICS_STORE_NAME)
  if (version !== METRICS_STATE_VERSION) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${METRICS_STORE_NAME} state version ${version} is not one this package knows (only ${METRICS_STATE_VERSION})`,
      { store: METRICS_STORE_NAME },
    )
  }
  const { serviceMetrics = {} } = state as Record<string, unknown>
  if (!isPlainObject(serviceMetrics)) {
    throw new ZustandSqliteError(
      'INVALID_LEGACY_DATA',
      `${METRICS_STORE_NAME}: serviceMetrics is not an object; nothing was imported`,
      { path: `${METRICS_STORE_NAME}.serviceMetrics`, store: METRICS_STORE_NAME },
    )
  }
  const problems: MetricsImportProblem[] = []
  // Entries, made into a record at the end: `record[id] = ...` would lose the service id `__proto__`.
  const imported: [string, ServiceMetricsAggregate][] = []
  for (const [serviceId, raw] of Object.entries(serviceMetrics)) {
    const base = `serviceMetrics.${serviceId}`
    if (!isPlainObject(raw) || serviceId === '') {
      problems.push({ path: base, value: raw, fix: 'skipped' })
      continue
    }
    const aggregate: Record<string, unknown> = { ...raw, ...createServiceMetricsAggregate() }
    for (const field of AMOUNTS) {
      const found = raw[field]
      if (found === undefined) continue
      if (typeof found === 'number' && Number.isFinite(found)) aggregate[field] = found
      else problems.push({ path: `${base}.${field}`, value: found, fix: 'set to 0' })
    }
    for (const field of COUNTS) {
      const found = raw[field]
      if (found === undefined) continue
      if (typeof found !== 'number' || !Number.isFinite(found) || found < 0 || found > Number.MAX_SAFE_INTEGER) {
        problems.push({ path: `${base}.${field}`, value: found, fix: 'set to 0' })
      } else if (!Number.isInteger(found)) {
        aggregate[field] = Math.trunc(found)
        problems.push({ path: `${base}.${field}`, value: found, fix: 'truncated' })
      } else aggregate[field] = found
    }
    imported.push([serviceId, aggregate as unknown as ServiceMetricsAggregate])
  }
  return { state: { serviceMetrics: Object.fromEntries(imported) }, problems }
}

/**
 * Zustand `persist` options of the legacy path: the app's name and version 0, the aggregates only.
 * `migrate` refuses a version this package does not know, reporting MIGRATION_FAILED. `merge` reads the stored
 * aggregates as the importer does (a counter the app never wrote is 0, a malformed one is set to 0), so that the
 * state on the legacy path is the one a migration stores, and shadow mode can write it to SQLite as it is; a value
 * the importer refuses is merged as Zustand's default merge would.
 */
export const metricsLegacyPersistOptions = {
  name: METRICS_STORE_NAME,
  version: METRICS_STATE_VERSION,
  partialize: partializeMetrics,
  migrate: migrateMetrics,
  merge: (persisted: unknown, current: MetricsStore): MetricsStore => {
    try {
      const imported = importLegacyMetrics({ state: persisted, version: METRICS_STATE_VERSION })
      if (imported !== null) return { ...current, ...imported.state }
    } catch {
      // Not the app's shape: kept as the default merge keeps it, as the app would.
    }
    return { ...current, ...(persisted as object) }
  },
} as const
