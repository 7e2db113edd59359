import type { StateCreator } from 'zustand/vanilla'
import { isPlainObject, ZustandSqliteError } from '@zustand-sqlite/core'

/**
 * The cost of one chat generation, as big-AGI's `MetricsChatGenerateCost_Md`: amounts are in **cents**.
 */
export interface MetricsChatGenerateCost_Md {
  /** What the generation cost, in cents. */
  $c?: number
  /** What the provider reported it cost, in cents (kept in the event, not aggregated, as in the app). */
  $cReported?: number
  /** What the prompt cache saved, in cents (negative when cache writes cost more than reads saved). */
  $cdCache?: number
  /** Why the cost is missing or incomplete. */
  $code?: MetricsCostCode
}

/** big-AGI's reasons for a missing or incomplete cost. */
export type MetricsCostCode = 'free' | 'partial-msg' | 'partial-price' | 'no-pricing' | 'no-tokens'

/** The usage of one service (e.g. `openai`, `openai-1`), as big-AGI's `ServiceMetricsAggregate`. */
export interface ServiceMetricsAggregate {
  /** USD: the sum of `$c * 0.01`. */
  totalCosts: number
  /** USD: the sum of `$cdCache * 0.01`. */
  totalSavings: number
  totalInputTokens: number
  totalOutputTokens: number
  /** Cost entries counted, whatever their `$code`. */
  usageCount: number
  /** `Date.now()` of the first entry (ms). */
  firstUsageDate: number
  /** `Date.now()` of the last entry (ms). */
  lastUsageDate: number
  /** Entries with `$code: 'free'`. */
  freeUsages: number
  /** Entries with `$code: 'no-pricing'`. */
  noPricingUsages: number
  /** Entries with `$code: 'no-tokens'`. */
  noTokenUsages: number
  /** Entries with `$code: 'partial-msg'`. */
  partialMessageUsages: number
  /** Entries with `$code: 'partial-price'`. */
  partialPriceUsages: number
}

/** The persisted state of the metrics store: big-AGI's `app-metrics`. */
export interface MetricsState {
  /** Aggregates by service id. */
  serviceMetrics: Record<string, ServiceMetricsAggregate>
}

/** Free-form details of an event, stored as JSON in `metrics.metadata`. */
export type MetricMetadata = Readonly<Record<string, unknown>>

/** The metrics store's actions: big-AGI's, plus generic event recording. */
export interface MetricsActions {
  /**
   * Counts one chat generation in the service's aggregate and appends a `chat-generate` event (name: the
   * service id, value: the cost in USD), both in the same transaction. A `null` service id changes nothing,
   * as in the app. Throws INVALID_VALUE (nothing changed) for token counts that are not non-negative
   * integers, or amounts that are not finite numbers.
   */
  addChatGenerateCostEntry: (
    costs: MetricsChatGenerateCost_Md,
    inputTokens: number,
    outputTokens: number,
    serviceId: string | null,
    debugCostSource: string,
  ) => void
  /** The aggregate of a service, or `undefined` when it has none. */
  getAggregateMetricsForService: (serviceId: string) => ServiceMetricsAggregate | undefined
  /**
   * Appends one event to the `metrics` table, not to the state. Events of one tick are written in one
   * transaction. Throws INVALID_VALUE at once, appending nothing, for a type or name that is not a
   * non-empty string (at most 64 and 256 characters), a value that is not a finite number, or metadata
   * that is not a plain object.
   */
  record: (type: string, name: string, value: number, metadata?: MetricMetadata) => void
  /**
   * Runs `fn` and records how long it took (ms) as an event of `type` and `name`. For a function returning a
   * promise, the time runs until the promise settles. When `fn` throws (or its promise rejects), the duration
   * is recorded with `error: true` in the metadata, and the error is rethrown.
   */
  timed: <T>(type: string, name: string, fn: () => T, metadata?: MetricMetadata) => T
}

/** State and actions of the metrics store. */
export type MetricsStore = MetricsState & MetricsActions

/** The store's name, in the database and (for the legacy path) in localStorage. */
export const METRICS_STORE_NAME = 'app-metrics'
/** The state version: big-AGI's `app-metrics` has none, so it is 0. */
export const METRICS_STATE_VERSION = 0
/** The append-only table of events. */
export const METRICS_TABLE = 'metrics'
/** The table of per-day rollups of events folded by retention. */
export const METRICS_DAILY_TABLE = 'metrics_daily'
/** The event type of `addChatGenerateCostEntry`. */
export const CHAT_GENERATE_METRIC_TYPE = 'chat-generate'
/** The event type of `recordCommits`. */
export const PERSIST_METRIC_TYPE = 'persist'
/** Longest accepted metric type. */
export const MAX_TYPE_LENGTH = 64
/** Longest accepted metric name. */
export const MAX_NAME_LENGTH = 256

/** The state of a store without metrics. */
export function metricsDefaults(): MetricsState {
  return { serviceMetrics: {} }
}

/** An aggregate with every number at 0, as big-AGI's `createServiceMetricsAggregate`. */
export function createServiceMetricsAggregate(): ServiceMetricsAggregate {
  return {
    totalCosts: 0,
    totalSavings: 0,
    totalInputTokens: 0,
    totalOutputTokens: 0,
    usageCount: 0,
    firstUsageDate: 0,
    lastUsageDate: 0,
    freeUsages: 0,
    noPricingUsages: 0,
    noTokenUsages: 0,
    partialMessageUsages: 0,
    partialPriceUsages: 0,
  }
}

function invalid(path: string, message: string): never {
  throw new ZustandSqliteError('INVALID_VALUE', `${path}: ${message}; nothing was recorded`, {
    path,
    store: METRICS_STORE_NAME,
  })
}

function checkLabel(path: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.length === 0) invalid(path, 'must be a non-empty string')
  if (value.length > max) invalid(path, `must have at most ${max} characters`)
}

/** Throws INVALID_VALUE for an event that cannot be recorded. */
export function checkEvent(type: unknown, name: unknown, value: unknown, metadata: unknown): void {
  checkLabel('type', type, MAX_TYPE_LENGTH)
  checkLabel('name', name, MAX_NAME_LENGTH)
  if (typeof value !== 'number' || !Number.isFinite(value))
    invalid('value', `must be a finite number, not ${String(value)}`)
  if (metadata !== undefined && !isPlainObject(metadata)) invalid('metadata', 'must be a plain object')
}

function checkCount(path: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    invalid(path, `must be a non-negative integer, not ${String(value)}`)
}

function checkAmount(path: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value)))
    invalid(path, `must be a finite number of cents, not ${String(value)}`)
}

/**
 * The aggregate after one cost entry, as big-AGI counts it: every entry adds 1 to `usageCount`, its tokens,
 * `$c` (cents) to `totalCosts` and `$cdCache` to `totalSavings` (in USD, times 0.01; absent amounts add 0),
 * sets `firstUsageDate` on the first entry and `lastUsageDate` on each, and adds 1 to the counter of its
 * `$code`, if any (`free` → `freeUsages`, `partial-msg` → `partialMessageUsages`, `partial-price` →
 * `partialPriceUsages`, `no-pricing` → `noPricingUsages`, `no-tokens` → `noTokenUsages`). An unknown code
 * is counted in `usageCount` only. `$cReported` is not aggregated.
 */
export function addCostEntry(
  aggregate: ServiceMetricsAggregate | undefined,
  costs: MetricsChatGenerateCost_Md,
  inputTokens: number,
  outputTokens: number,
  now: number,
): ServiceMetricsAggregate {
  const before = aggregate ?? createServiceMetricsAggregate()
  const next: ServiceMetricsAggregate = {
    ...before,
    totalCosts: before.totalCosts + (costs.$c ?? 0) * 0.01,
    totalSavings: before.totalSavings + (costs.$cdCache ?? 0) * 0.01,
    totalInputTokens: before.totalInputTokens + inputTokens,
    totalOutputTokens: before.totalOutputTokens + outputTokens,
    usageCount: before.usageCount + 1,
    firstUsageDate: before.firstUsageDate || now,
    lastUsageDate: now,
  }
  switch (costs.$code) {
    case 'free':
      next.freeUsages++
      break
    case 'partial-msg':
      next.partialMessageUsages++
      break
    case 'partial-price':
      next.partialPriceUsages++
      break
    case 'no-pricing':
      next.noPricingUsages++
      break
    case 'no-tokens':
      next.noTokenUsages++
      break
  }
  return next
}

/**
 * The aggregate of `serviceId` in `serviceMetrics`, if it has its own: a service id is data, and ids such as
 * `constructor` or `toString` must not find what `Object.prototype` holds under that name.
 */
function aggregateOf(
  serviceMetrics: MetricsState['serviceMetrics'],
  serviceId: string,
): ServiceMetricsAggregate | undefined {
  return Object.hasOwn(serviceMetrics, serviceId) ? serviceMetrics[serviceId] : undefined
}

/** The part of the store API the actions use: `append` of `persistSQLite`, when there is one. */
interface Appender {
  persist?: { append?: (table: string, rows: object | readonly object[]) => void }
}

/** An event row of the `metrics` table, by field name. */
export interface MetricEventRow {
  readonly type: string
  readonly name: string
  readonly value: number
  readonly metadata?: MetricMetadata
  readonly timestamp: number
}

function eventRow(type: string, name: string, value: number, metadata: MetricMetadata | undefined): MetricEventRow {
  const row = { type, name, value, timestamp: Date.now() }
  return metadata === undefined ? row : { ...row, metadata }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'

/**
 * The metrics store's state and actions, on their own: for `persistSQLite` (see `metricsDefinition`) or for
 * Zustand's `persist` on the legacy path (with `metricsLegacyPersistOptions`). Events go to the store's
 * `persist.append`; without `persistSQLite` (no `append`), events are dropped and only aggregates are kept.
 *
 * @example
 * ```ts
 * const useMetricsStore = create<MetricsStore>()(persist(createMetricsState(), metricsLegacyPersistOptions))
 * ```
 */
export function createMetricsState(): StateCreator<MetricsStore, [], [], MetricsStore> {
  return (set, get, api) => {
    const append = (row: MetricEventRow): void => {
      const persist = (api as unknown as Appender).persist
      persist?.append?.(METRICS_TABLE, row)
    }
    const record = (type: string, name: string, value: number, metadata?: MetricMetadata): void => {
      checkEvent(type, name, value, metadata)
      append(eventRow(type, name, value, metadata))
    }
    return {
      ...metricsDefaults(),

      addChatGenerateCostEntry: (costs, inputTokens, outputTokens, serviceId, debugCostSource) => {
        if (serviceId === null || serviceId === undefined) return
        checkLabel('serviceId', serviceId, MAX_NAME_LENGTH)
        if (!isPlainObject(costs as unknown)) invalid('costs', 'must be a plain object')
        checkAmount('costs.$c', costs.$c)
        checkAmount('costs.$cReported', costs.$cReported)
        checkAmount('costs.$cdCache', costs.$cdCache)
        checkCount('inputTokens', inputTokens)
        checkCount('outputTokens', outputTokens)
        const at = Date.now()
        /** The aggregate with this entry counted; `undefined` when its token totals leave the safe integers. */
        const counted = (aggregate: ServiceMetricsAggregate | undefined): ServiceMetricsAggregate | undefined => {
          const next = addCostEntry(aggregate, costs, inputTokens, outputTokens, at)
          return Number.isSafeInteger(next.totalInputTokens) && Number.isSafeInteger(next.totalOutputTokens)
            ? next
            : undefined
        }
        if (counted(aggregateOf(get().serviceMetrics, serviceId)) === undefined)
          invalid('inputTokens', 'the token totals would exceed the safe integer range')
        // The event first: a row `append` refuses leaves the aggregate as it was.
        const metadata: Record<string, unknown> = { inputTokens, outputTokens }
        for (const key of ['$c', '$cReported', '$cdCache', '$code'] as const)
          if (costs[key] !== undefined) metadata[key] = costs[key]
        if (typeof debugCostSource === 'string' && debugCostSource !== '') metadata['source'] = debugCostSource
        append(eventRow(CHAT_GENERATE_METRIC_TYPE, serviceId, (costs.$c ?? 0) * 0.01, metadata))
        // Counted on the state the set is made on: a set made while a hydration runs is made again on the
        // stored aggregate, which the check above could not see.
        set((state) => {
          const aggregate = counted(aggregateOf(state.serviceMetrics, serviceId))
          return aggregate === undefined
            ? state
            : { serviceMetrics: { ...state.serviceMetrics, [serviceId]: aggregate } }
        })
      },

      getAggregateMetricsForService: (serviceId) => aggregateOf(get().serviceMetrics, serviceId),

      record,

      timed: <T>(type: string, name: string, fn: () => T, metadata?: MetricMetadata): T => {
        // Checked before running `fn`, so that a bad label fails without side effects.
        checkEvent(type, name, 0, metadata)
        const start = performance.now()
        const done = (error: boolean): void =>
          record(type, name, performance.now() - start, error ? { ...metadata, error: true } : metadata)
        let result: T
        try {
          result = fn()
        } catch (error) {
          done(true)
          throw error
        }
        if (!isThenable(result)) {
          done(false)
          return result
        }
        return Promise.resolve(result).then(
          (value) => {
            done(false)
            return value
          },
          (error: unknown) => {
            done(true)
            throw error
          },
        ) as T
      },
    }
  }
}

/** What the metrics store persists: the aggregates (events are appended to their table, never held). */
export function partializeMetrics(state: MetricsStore): MetricsState {
  return { serviceMetrics: state.serviceMetrics }
}

/**
 * Brings state persisted at another version to the current one: `persist`'s `migrate`, called only when the
 * stored version differs from 0. The app never versioned `app-metrics`, so no other version has a migration
 * path: it throws MIGRATION_FAILED, and the stored aggregates are left as they are.
 */
export function migrateMetrics(persisted: unknown, version: number): MetricsState {
  if (version !== METRICS_STATE_VERSION) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${METRICS_STORE_NAME} state version ${version} is not one this package knows (only ${METRICS_STATE_VERSION})`,
      { store: METRICS_STORE_NAME },
    )
  }
  return persisted as MetricsState
}
