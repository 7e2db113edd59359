import { decodeText, encodeText, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, QueryRow, SqlValue } from '@zustand-sqlite/core'
import { MAX_NAME_LENGTH, MAX_TYPE_LENGTH, METRICS_STATE_VERSION, METRICS_STORE_NAME } from './state'
import { metricsDefinition } from './store'

/**
 * Which metrics store the query functions read. Each query prepares the store's tables first (on a database
 * without them it creates them, empty) and rejects with MIGRATION_FAILED when the store recorded a newer
 * state version than this package knows.
 */
export interface MetricsQueryOptions {
  /**
   * The metrics store's name in the database (`name`, in the options of a query, is a metric's name).
   * @default 'app-metrics'
   */
  readonly store?: string
}

/**
 * A time range in ms since the epoch: `from` inclusive, `to` exclusive; either may be left out. Rollups of
 * folded days (see `applyMetricsRetention`) count when their day's UTC midnight is within the range.
 */
export interface MetricRange {
  /** Events at or after this time. @default no lower bound */
  readonly from?: number
  /** Events before this time. @default no upper bound */
  readonly to?: number
}

/** Options of {@link metricTotals}. */
export interface MetricTotalsOptions extends MetricRange, MetricsQueryOptions {
  readonly type: string
  /** One metric name. @default every name of the type */
  readonly name?: string
}

/** Count, sum, min, max and average of a set of values; min, max and avg are `null` when there is none. */
export interface MetricStats {
  readonly count: number
  readonly sum: number
  readonly min: number | null
  readonly max: number | null
  readonly avg: number | null
}

/** Options of {@link metricPercentiles}. */
export interface MetricPercentilesOptions extends MetricRange, MetricsQueryOptions {
  readonly type: string
  readonly name: string
  /** Percentiles to compute, each greater than 0 and at most 100. @default [50, 95, 99] */
  readonly percentiles?: readonly number[]
}

/** What {@link metricPercentiles} returns. */
export interface MetricPercentiles {
  /** Raw events the percentiles were taken over. */
  readonly count: number
  /** The value of each percentile requested, by percentile; `null` when there are no events. */
  readonly values: Readonly<Record<number, number | null>>
}

/** The length of a bucket of {@link metricSeries}. */
export type MetricBucket = 'minute' | 'hour' | 'day'

/** Options of {@link metricSeries}. */
export interface MetricSeriesOptions extends MetricsQueryOptions {
  readonly type: string
  /** One metric name. @default every name of the type */
  readonly name?: string
  /** Start of the range (ms, inclusive). */
  readonly from: number
  /** End of the range (ms, exclusive). */
  readonly to: number
  readonly bucket: MetricBucket
}

/** One bucket of {@link metricSeries}: its start (ms, UTC-aligned) and the statistics of its values. */
export interface MetricSeriesPoint extends MetricStats {
  readonly start: number
}

/** Options of {@link topMetricNames}. */
export interface TopMetricNamesOptions extends MetricRange, MetricsQueryOptions {
  readonly type: string
  /** How many names at most. */
  readonly limit: number
  /** Rank by number of events or by sum of values. */
  readonly by: 'count' | 'sum'
}

/** One name of {@link topMetricNames}. */
export interface TopMetricName {
  readonly name: string
  readonly count: number
  readonly sum: number
}

/** Milliseconds per bucket. */
export const BUCKET_MS: Readonly<Record<MetricBucket, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }

function badOption(path: string, message: string): never {
  throw new ZustandSqliteError('INVALID_OPTIONS', `${path}: ${message}`, { path })
}

function checkLabel(path: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value === '' || value.length > max)
    badOption(path, `must be a non-empty string of at most ${max} characters`)
}

function checkTime(path: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value)))
    badOption(path, 'must be an integer time in ms')
}

/**
 * @internal Prepares the metrics store's tables (creating them, empty, on a database without them) and
 * refuses, with MIGRATION_FAILED, events the store recorded at a newer state version than this package
 * knows: hydration refuses that store too.
 */
export async function prepareMetrics(backend: Backend, name: string): Promise<void> {
  const { stateVersion } = await metricsDefinition.prepare(backend, { name })
  if (stateVersion !== null && stateVersion > METRICS_STATE_VERSION) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${name} state version ${stateVersion} is newer than this package knows (${METRICS_STATE_VERSION}); nothing was read or written`,
      { store: name },
    )
  }
}

/** The store name of a query's options, checked. */
export function storeOf(options: MetricsQueryOptions): string {
  const { store = METRICS_STORE_NAME } = options
  if (typeof store !== 'string' || store === '') badOption('store', 'must be a non-empty string')
  return store
}

/**
 * A WHERE clause over one table's type, name and time column, with its parameters: the type and name as the
 * columns hold them (see encodeText), so that a label with a lone surrogate finds its own events only.
 */
function where(
  timeColumn: 'timestamp' | 'day',
  type: string,
  name: string | undefined,
  from: number | undefined,
  to: number | undefined,
): { sql: string; params: SqlValue[] } {
  let sql = 'metric_type = ?'
  const params: SqlValue[] = [encodeText(type)]
  if (name !== undefined) {
    sql += ' AND metric_name = ?'
    params.push(encodeText(name))
  }
  if (from !== undefined) {
    sql += ` AND ${timeColumn} >= ?`
    params.push(from)
  }
  if (to !== undefined) {
    sql += ` AND ${timeColumn} < ?`
    params.push(to)
  }
  return { sql, params }
}

const num = (value: SqlValue | undefined): number => (value === null || value === undefined ? 0 : Number(value))
const numOrNull = (value: SqlValue | undefined): number | null =>
  value === null || value === undefined ? null : Number(value)

interface Part {
  count: number
  sum: number
  min: number | null
  max: number | null
}

const partialOf = (row: QueryRow | undefined): Part => ({
  count: num(row?.['count']),
  sum: num(row?.['sum']),
  min: numOrNull(row?.['min']),
  max: numOrNull(row?.['max']),
})

function combine(a: Part, b: Part): Part {
  return {
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min),
    max: a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max),
  }
}

const stats = (p: Part): MetricStats => ({ ...p, avg: p.count === 0 ? null : p.sum / p.count })

const RAW_STATS = 'count(*) AS count, total(value) AS sum, min(value) AS min, max(value) AS max'
const ROLLUP_STATS = 'total("count") AS count, total("sum") AS sum, min("min") AS min, max("max") AS max'

/**
 * Count, sum, min, max and average of the values of one metric type (and name) over a time range: raw events
 * and the per-day rollups of folded events together, so the totals are the same before and after retention.
 * Writes no rows; both reads use an index (`metrics_type_name_ts_idx`, and the key of `metrics_daily`).
 *
 * @example
 * ```ts
 * const { count, avg } = await metricTotals(backend, { type: 'persist', name: 'app-chats', from: Date.now() - 86_400_000 })
 * ```
 */
export async function metricTotals(backend: Backend, options: MetricTotalsOptions): Promise<MetricStats> {
  const { type, name, from, to } = options
  checkLabel('type', type, MAX_TYPE_LENGTH)
  if (name !== undefined) checkLabel('name', name, MAX_NAME_LENGTH)
  checkTime('from', from)
  checkTime('to', to)
  await prepareMetrics(backend, storeOf(options))
  const raw = where('timestamp', type, name, from, to)
  const rolled = where('day', type, name, from, to)
  const [rawRows, rolledRows] = [
    await backend.query(`SELECT ${RAW_STATS} FROM metrics WHERE ${raw.sql}`, raw.params),
    await backend.query(`SELECT ${ROLLUP_STATS} FROM metrics_daily WHERE ${rolled.sql}`, rolled.params),
  ]
  return stats(combine(partialOf(rawRows[0]), partialOf(rolledRows[0])))
}

/**
 * Percentiles of the values of one metric over a time range, by the nearest-rank method: with the `n` values
 * in ascending order, percentile `p` is the value at rank `ceil(p / 100 * n)` (from 1), so it is always a value
 * that was recorded. Covers raw events only: events folded into daily rollups by retention keep no
 * distribution. Writes no rows; the events are found through `metrics_type_name_ts_idx` and sorted by value once.
 *
 * @example
 * ```ts
 * const { values } = await metricPercentiles(backend, { type: 'persist', name: 'app-chats', percentiles: [50, 95, 99] })
 * values[95] // the 95th percentile of commit durations, in ms
 * ```
 */
export async function metricPercentiles(
  backend: Backend,
  options: MetricPercentilesOptions,
): Promise<MetricPercentiles> {
  const { type, name, from, to, percentiles = [50, 95, 99] } = options
  checkLabel('type', type, MAX_TYPE_LENGTH)
  checkLabel('name', name, MAX_NAME_LENGTH)
  checkTime('from', from)
  checkTime('to', to)
  if (!Array.isArray(percentiles) || percentiles.length === 0) badOption('percentiles', 'must be a non-empty array')
  percentiles.forEach((p, i) => {
    if (typeof p !== 'number' || !(p > 0 && p <= 100)) badOption(`percentiles[${i}]`, 'must be > 0 and <= 100')
  })
  await prepareMetrics(backend, storeOf(options))
  const filter = where('timestamp', type, name, from, to)
  const [countRow] = await backend.query(`SELECT count(*) AS count FROM metrics WHERE ${filter.sql}`, filter.params)
  const count = num(countRow?.['count'])
  const values: Record<number, number | null> = {}
  if (count === 0) {
    for (const p of percentiles) values[p] = null
    return { count, values }
  }
  const rankOf = (p: number): number => Math.min(count, Math.max(1, Math.ceil((p / 100) * count)))
  const ranks = [...new Set(percentiles.map(rankOf))]
  const rows = await backend.query(
    `WITH ranked AS (SELECT value, row_number() OVER (ORDER BY value) AS rn FROM metrics WHERE ${filter.sql}) ` +
      `SELECT rn, value FROM ranked WHERE rn IN (${ranks.map(() => '?').join(', ')})`,
    [...filter.params, ...ranks],
  )
  const byRank = new Map(rows.map((row) => [num(row['rn']), num(row['value'])]))
  for (const p of percentiles) values[p] = byRank.get(rankOf(p)) ?? null
  return { count, values }
}

/**
 * Statistics per time bucket (`minute`, `hour` or `day`, aligned on UTC) of one metric type (and name) within
 * `[from, to)`, oldest first; buckets without events are left out. With `bucket: 'day'`, per-day rollups of
 * folded events are combined with raw events, so the series is the same before and after retention; minute
 * and hour buckets cover raw events only. Writes no rows; indexed.
 *
 * @example
 * ```ts
 * const perHour = await metricSeries(backend, { type: 'chat-generate', from, to, bucket: 'hour' })
 * ```
 */
export async function metricSeries(backend: Backend, options: MetricSeriesOptions): Promise<MetricSeriesPoint[]> {
  const { type, name, from, to, bucket } = options
  checkLabel('type', type, MAX_TYPE_LENGTH)
  if (name !== undefined) checkLabel('name', name, MAX_NAME_LENGTH)
  if (from === undefined) badOption('from', 'is required')
  if (to === undefined) badOption('to', 'is required')
  checkTime('from', from)
  checkTime('to', to)
  if (!Object.hasOwn(BUCKET_MS, bucket)) badOption('bucket', "must be 'minute', 'hour' or 'day'")
  await prepareMetrics(backend, storeOf(options))
  const size = BUCKET_MS[bucket]
  const raw = where('timestamp', type, name, from, to)
  const buckets = new Map<number, Part>()
  const rows = await backend.query(
    `SELECT (timestamp / CAST(? AS INTEGER)) * CAST(? AS INTEGER) AS start, ${RAW_STATS} FROM metrics WHERE ${raw.sql} GROUP BY start`,
    [size, size, ...raw.params],
  )
  for (const row of rows) buckets.set(num(row['start']), partialOf(row))
  if (bucket === 'day') {
    const rolled = where('day', type, name, from, to)
    const rolledRows = await backend.query(
      `SELECT day AS start, ${ROLLUP_STATS} FROM metrics_daily WHERE ${rolled.sql} GROUP BY day`,
      rolled.params,
    )
    for (const row of rolledRows) {
      const start = num(row['start'])
      const before = buckets.get(start)
      buckets.set(start, before === undefined ? partialOf(row) : combine(before, partialOf(row)))
    }
  }
  return [...buckets].sort(([a], [b]) => a - b).map(([start, p]) => ({ start, ...stats(p) }))
}

/**
 * The names of one metric type with the most events (`by: 'count'`) or the largest sum of values
 * (`by: 'sum'`) over a time range, raw events and daily rollups together; ties are broken by name. Writes no
 * rows; the names are grouped along `metrics_type_name_ts_idx` without a sort of the events.
 *
 * @example
 * ```ts
 * const costliest = await topMetricNames(backend, { type: 'chat-generate', by: 'sum', limit: 5 })
 * ```
 */
export async function topMetricNames(backend: Backend, options: TopMetricNamesOptions): Promise<TopMetricName[]> {
  const { type, from, to, limit, by } = options
  checkLabel('type', type, MAX_TYPE_LENGTH)
  checkTime('from', from)
  checkTime('to', to)
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1)
    badOption('limit', 'must be a positive integer')
  if (by !== 'count' && by !== 'sum') badOption('by', "must be 'count' or 'sum'")
  await prepareMetrics(backend, storeOf(options))
  const raw = where('timestamp', type, undefined, from, to)
  const rolled = where('day', type, undefined, from, to)
  const rows = await backend.query(
    'SELECT name, total(c) AS count, total(s) AS sum FROM (' +
      `SELECT metric_name AS name, count(*) AS c, total(value) AS s FROM metrics WHERE ${raw.sql} GROUP BY metric_name` +
      ' UNION ALL ' +
      `SELECT metric_name AS name, total("count") AS c, total("sum") AS s FROM metrics_daily WHERE ${rolled.sql} GROUP BY metric_name` +
      `) GROUP BY name ORDER BY ${by === 'count' ? 'count' : 'sum'} DESC, name LIMIT ?`,
    [...raw.params, ...rolled.params, limit],
  )
  return rows.map((row) => ({
    name: decodeText(String(row['name'])),
    count: num(row['count']),
    sum: num(row['sum']),
  }))
}
