import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, ChangeSet, SqlValue } from '@zustand-sqlite/core'
import { BUCKET_MS, prepareMetrics } from './queries'
import { metricsSchema } from './schema'
import { METRICS_DAILY_TABLE, METRICS_STORE_NAME, METRICS_TABLE } from './state'

/** Options of {@link applyMetricsRetention}. Give `maxAgeMs`, `maxRows`, or both. */
export interface MetricsRetentionOptions {
  /** The metrics store's name in the database. @default 'app-metrics' */
  readonly name?: string
  /** Raw events older than this (relative to `now`) are folded into daily rollups. @default no age limit */
  readonly maxAgeMs?: number
  /** At most this many raw events are kept, the newest; older ones are folded. @default no row limit */
  readonly maxRows?: number
  /** Events folded per transaction. @default 1000 */
  readonly batchSize?: number
  /** The current time in ms, or a function returning it. @default Date.now */
  readonly now?: number | (() => number)
}

/** What one run of {@link applyMetricsRetention} did. */
export interface MetricsRetentionResult {
  /** Raw events folded into rollups (and deleted from `metrics`). */
  readonly folded: number
  /** Transactions committed. */
  readonly batches: number
}

/** Options of {@link startMetricsRetention}. */
export interface StartMetricsRetentionOptions extends MetricsRetentionOptions {
  /** Time between two runs, in ms. The first run starts at once. */
  readonly intervalMs: number
  /** Called with the error of a failed run. @default logs with console.error */
  readonly onError?: (error: unknown) => void
}

const DAY = BUCKET_MS.day
const DAILY_COLUMNS = ['metric_type', 'metric_name', 'day', 'count', 'sum', 'min', 'max'] as const

function badOption(path: string, message: string): never {
  throw new ZustandSqliteError('INVALID_OPTIONS', `${path}: ${message}`, { path })
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0

function checkOptions(options: MetricsRetentionOptions): void {
  const { maxAgeMs, maxRows, batchSize, now, name } = options
  if (maxAgeMs === undefined && maxRows === undefined) badOption('maxAgeMs', 'give maxAgeMs, maxRows or both')
  if (maxAgeMs !== undefined && !isCount(maxAgeMs)) badOption('maxAgeMs', 'must be a non-negative integer')
  if (maxRows !== undefined && !isCount(maxRows)) badOption('maxRows', 'must be a non-negative integer')
  if (batchSize !== undefined && (!isCount(batchSize) || batchSize < 1))
    badOption('batchSize', 'must be a positive integer')
  if (now !== undefined && typeof now !== 'function' && !Number.isSafeInteger(now))
    badOption('now', 'must be an integer time in ms or a function')
  if (name !== undefined && (typeof name !== 'string' || name === '')) badOption('name', 'must be a non-empty string')
}

/** Runs of one backend, one after the other: a rollup is read, merged and written back, never twice at once. */
const running = new WeakMap<Backend, Promise<unknown>>()

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

interface Rollup {
  type: string
  name: string
  day: number
  count: number
  sum: number
  min: number
  max: number
}

async function run(backend: Backend, options: MetricsRetentionOptions): Promise<MetricsRetentionResult> {
  const { name = METRICS_STORE_NAME, maxAgeMs, maxRows, batchSize = 1000, now = Date.now } = options
  // The ChangeSets below carry no state version: retention leaves the one the store recorded as it is, and
  // never loads the store's state.
  await prepareMetrics(backend, name)
  const at = typeof now === 'function' ? now() : now

  // Events are folded up to a boundary (timestamp, id), oldest first, fixed at the start: events appended
  // while retention runs are newer and never cross it.
  let boundary: [number, number] | undefined
  if (maxAgeMs !== undefined) boundary = [at - maxAgeMs - 1, Number.MAX_SAFE_INTEGER]
  if (maxRows !== undefined) {
    const [row] = await backend.query(
      'SELECT timestamp, id FROM metrics ORDER BY timestamp DESC, id DESC LIMIT 1 OFFSET ?',
      [maxRows],
    )
    if (row !== undefined) {
      const byRows: [number, number] = [Number(row['timestamp']), Number(row['id'])]
      if (boundary === undefined || byRows[0] > boundary[0] || (byRows[0] === boundary[0] && byRows[1] > boundary[1]))
        boundary = byRows
    }
  }
  if (boundary === undefined) return { folded: 0, batches: 0 }

  let folded = 0
  let batches = 0
  for (;;) {
    const events = await backend.query(
      'SELECT id, metric_type, metric_name, value, timestamp FROM metrics ' +
        'WHERE timestamp <= ? AND (timestamp < ? OR id <= ?) ORDER BY timestamp, id LIMIT ?',
      [boundary[0], boundary[0], boundary[1], batchSize],
    )
    if (events.length === 0) break
    const rollups = new Map<string, Rollup>()
    const deletes: SqlValue[][] = []
    // Types and names stay in their stored form (see encodeText) from `metrics` to `metrics_daily`: read and
    // written back as the columns hold them, never decoded, so a label with a lone surrogate keeps its rollup.
    for (const event of events) {
      const type = String(event['metric_type'])
      const metricName = String(event['metric_name'])
      const day = Math.floor(Number(event['timestamp']) / DAY) * DAY
      const value = Number(event['value'])
      const key = JSON.stringify([type, metricName, day])
      const rollup = rollups.get(key)
      if (rollup === undefined)
        rollups.set(key, { type, name: metricName, day, count: 1, sum: value, min: value, max: value })
      else {
        rollup.count++
        rollup.sum += value
        rollup.min = Math.min(rollup.min, value)
        rollup.max = Math.max(rollup.max, value)
      }
      deletes.push([event['id'] as SqlValue])
    }
    const rows: SqlValue[][] = []
    for (const rollup of rollups.values()) {
      // Upserts replace a row's values, so the rollup already stored for that day is merged here.
      const [stored] = await backend.query(
        'SELECT "count", "sum", "min", "max" FROM metrics_daily WHERE metric_type = ? AND metric_name = ? AND day = ?',
        [rollup.type, rollup.name, rollup.day],
      )
      if (stored !== undefined) {
        rollup.count += Number(stored['count'])
        rollup.sum += Number(stored['sum'])
        rollup.min = Math.min(rollup.min, Number(stored['min']))
        rollup.max = Math.max(rollup.max, Number(stored['max']))
      }
      rows.push([rollup.type, rollup.name, rollup.day, rollup.count, rollup.sum, rollup.min, rollup.max])
    }
    const changeSet: ChangeSet = {
      store: name,
      schemaVersion: metricsSchema.spec.version,
      tables: [
        { table: METRICS_TABLE, delete: deletes },
        { table: METRICS_DAILY_TABLE, upsert: [{ columns: DAILY_COLUMNS, rows }] },
      ],
    }
    await backend.apply(changeSet)
    folded += events.length
    batches++
    if (events.length < batchSize) break
    await yieldToEventLoop()
  }
  return { folded, batches }
}

/**
 * Folds old raw events of the metrics store into per-day rollups (`metrics_daily`: count, sum, min and max per
 * UTC day, type and name) and deletes them from `metrics`, keeping the events newer than `maxAgeMs` and/or the
 * newest `maxRows`. `metricTotals`, `topMetricNames` and `metricSeries` by day read rollups and raw events
 * together, so their answers do not change; percentiles and minute or hour series cover the raw events left.
 *
 * Runs in batches of `batchSize` events, each one transaction through `backend.apply` (deletes by id on
 * `metrics`, upserts on `metrics_daily`), yielding to the event loop between batches. It may run while the
 * metrics store is open on the same database: the store only appends new events and writes `service_metrics`,
 * while retention deletes old events and writes `metrics_daily`, so they touch different rows. Runs on one
 * backend object are queued one after the other; do not run retention from two connections at once, since a
 * rollup is read, merged and written back. Prepares the store's tables first, and rejects with
 * MIGRATION_FAILED, folding nothing, when the store recorded a newer state version than this package knows.
 *
 * @example
 * ```ts
 * await applyMetricsRetention(backend, { maxAgeMs: 30 * 86_400_000, maxRows: 1_000_000 })
 * ```
 */
export function applyMetricsRetention(
  backend: Backend,
  options: MetricsRetentionOptions,
): Promise<MetricsRetentionResult> {
  try {
    checkOptions(options)
  } catch (error) {
    return Promise.reject(error as Error)
  }
  const previous = running.get(backend) ?? Promise.resolve()
  const next = previous.catch(() => undefined).then(() => run(backend, options))
  running.set(backend, next)
  return next
}

/**
 * Runs {@link applyMetricsRetention} at once and then every `intervalMs` (a run still in progress makes the
 * next one wait its turn, never overlap). Returns a function that stops the interval; a run in progress
 * finishes its current batch and the ones left. The timer does not keep a Node process alive.
 *
 * @example
 * ```ts
 * const stop = startMetricsRetention(backend, { maxAgeMs: 30 * 86_400_000, intervalMs: 3_600_000 })
 * // on shutdown:
 * stop()
 * ```
 */
export function startMetricsRetention(backend: Backend, options: StartMetricsRetentionOptions): () => void {
  const { intervalMs, onError, ...retention } = options
  checkOptions(retention)
  if (!isCount(intervalMs) || intervalMs < 1) badOption('intervalMs', 'must be a positive integer')
  const report = onError ?? ((error: unknown) => console.error('[zustand-sqlite] metrics retention failed', error))
  let busy = false
  const tick = (): void => {
    if (busy) return
    busy = true
    applyMetricsRetention(backend, retention)
      .catch((error: unknown) => {
        try {
          report(error)
        } catch (thrown) {
          console.error('[zustand-sqlite] onError of metrics retention threw', thrown)
        }
      })
      .finally(() => {
        busy = false
      })
  }
  const timer = setInterval(tick, intervalMs)
  ;(timer as { unref?: () => void }).unref?.()
  tick()
  return () => clearInterval(timer)
}
