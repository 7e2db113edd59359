import { encodeText } from '@zustand-sqlite/core'
import type { Backend, SqlValue } from '@zustand-sqlite/core'
import { metricPercentiles, topMetricNames } from '@zustand-sqlite/store-metrics'
import type { MetricRange, MetricsQueryOptions } from '@zustand-sqlite/store-metrics'
import type {
  MigrationEvent,
  MigrationEventKind,
  MigrationEventListener,
  MigrationOutcome,
  StorageKind,
} from './events'

/** The metric type under which migration events are recorded in a metrics store. */
export const MIGRATION_METRIC_TYPE = 'zs-migration'

/** The part of a metrics store that {@link recordMigrationEvents} uses: its `record` action. */
export interface MigrationMetricsSink {
  getState(): { record(type: string, name: string, value: number, metadata?: Record<string, unknown>): void }
}

/** Options of {@link migrationReport}. */
export interface MigrationReportOptions {
  /** Events at or after this time (ms since the epoch). @default no lower bound */
  readonly from?: number
  /** Events before this time (ms since the epoch). @default no upper bound */
  readonly to?: number
  /** The metrics store's name in the database. @default 'app-metrics' */
  readonly store?: string
}

/** Counts of the events of one kind, by outcome. */
export interface MigrationKindReport {
  readonly total: number
  readonly ok: number
  readonly failed: number
  readonly skipped: number
  readonly mismatch: number
  /** `ok / (ok + failed + mismatch)`: skipped events are left out; `null` when there is none of those. */
  readonly successRate: number | null
}

/** Percentiles of durations in ms, `null` when there is no event. */
export interface MigrationDurations {
  readonly p50: number | null
  readonly p95: number | null
  readonly p99: number | null
}

/** What {@link migrationReport} returns. */
export interface MigrationReport {
  /** Counts by kind and outcome (every kind is present). */
  readonly byKind: Readonly<Record<MigrationEventKind, MigrationKindReport>>
  /** Failed and mismatching events, of every kind, by error code (`UNKNOWN` for those without a code). */
  readonly errorsByCode: Readonly<Record<string, number>>
  /** Duration percentiles by kind, over the events that did something (`ok`, `failed`, `mismatch`). */
  readonly durationMs: Readonly<Record<MigrationEventKind, MigrationDurations>>
  /**
   * Percentiles of the durations of shadow writes that succeeded, by storage, and `ratio`: legacy p50 divided by
   * SQLite p50 (above 1 when SQLite is faster), `null` unless both are known and SQLite's is above 0.
   */
  readonly shadowWriteMs: {
    readonly sqlite: { readonly p50: number | null; readonly p95: number | null }
    readonly legacy: { readonly p50: number | null; readonly p95: number | null }
    readonly ratio: number | null
  }
  /** Migration outcomes per store (stores with a migration that succeeded or failed). */
  readonly stores: Readonly<Record<string, { readonly ok: number; readonly failed: number }>>
}

const KINDS: readonly MigrationEventKind[] = [
  'migration',
  'verification',
  'rollback',
  'shadow-comparison',
  'shadow-write',
]
const STORAGES: readonly (StorageKind | undefined)[] = ['sqlite', 'legacy', undefined]

/**
 * The metric name of an event: its kind, the storage of a shadow write, and its outcome, joined by `:`
 * (`migration:ok`, `shadow-write:sqlite:ok`, `verification:mismatch`). Each name is one series of durations,
 * found through the metrics table's index; the store, code, rows and bytes are in the metadata.
 *
 * @example
 * ```ts
 * migrationMetricName({ kind: 'migration', outcome: 'failed', ... }) // 'migration:failed'
 * ```
 */
export function migrationMetricName(event: Pick<MigrationEvent, 'kind' | 'outcome' | 'storage'>): string {
  const { kind, outcome, storage } = event
  return kind === 'shadow-write' && storage !== undefined ? `${kind}:${storage}:${outcome}` : `${kind}:${outcome}`
}

/** Every metric name of a kind with one of `outcomes`. */
function namesOf(kind: MigrationEventKind, outcomes: readonly MigrationOutcome[]): string[] {
  const storages = kind === 'shadow-write' ? STORAGES : [undefined]
  return storages.flatMap((storage) =>
    outcomes.map((outcome) =>
      migrationMetricName(storage === undefined ? { kind, outcome } : { kind, outcome, storage }),
    ),
  )
}

function metadataOf(event: MigrationEvent): Record<string, unknown> {
  const { kind, store, outcome, code, message, rows, bytes, storage } = event
  const metadata: Record<string, unknown> = { kind, store, outcome, rows, bytes }
  if (code !== undefined) metadata['code'] = code
  if (message !== undefined) metadata['message'] = message
  if (storage !== undefined) metadata['storage'] = storage
  return metadata
}

/**
 * A listener that records each event in a metrics store (`@zustand-sqlite/store-metrics`): type
 * `zs-migration`, the name {@link migrationMetricName} gives, the duration in ms as value, and the event's other
 * fields as metadata. It never throws: an event the store refuses (a non-finite duration) or a store that
 * throws is logged with `console.error` and dropped.
 *
 * @example
 * ```ts
 * const metricsStore = createMetricsStore({ backend })
 * await migrateStores({ ..., onEvent: recordMigrationEvents(metricsStore) })
 * ```
 */
export function recordMigrationEvents(metrics: MigrationMetricsSink): MigrationEventListener {
  return (event) => {
    try {
      metrics.getState().record(MIGRATION_METRIC_TYPE, migrationMetricName(event), event.durationMs, metadataOf(event))
    } catch (error) {
      console.error('[zustand-sqlite] a migration event could not be recorded', error)
    }
  }
}

/** `column >= from AND column < to`, as far as they are given, with their parameters. */
function timeFilter(from: number | undefined, to: number | undefined): { sql: string; params: SqlValue[] } {
  let sql = ''
  const params: SqlValue[] = []
  if (from !== undefined) {
    sql += ' AND timestamp >= ?'
    params.push(from)
  }
  if (to !== undefined) {
    sql += ' AND timestamp < ?'
    params.push(to)
  }
  return { sql, params }
}

/** Raw events of the given names within the range: a WHERE clause and its parameters. */
function eventsOf(names: readonly string[], from: number | undefined, to: number | undefined) {
  const time = timeFilter(from, to)
  return {
    sql: `metric_type = ? AND metric_name IN (${names.map(() => '?').join(', ')})${time.sql}`,
    params: [encodeText(MIGRATION_METRIC_TYPE), ...names.map(encodeText), ...time.params],
  }
}

const num = (value: SqlValue | undefined): number => (value === null || value === undefined ? 0 : Number(value))

/**
 * p50, p95 and p99 of the values of several names, by the nearest-rank method of `metricPercentiles` (the value
 * at rank ceil(p·n/100), from 1), in one query: the ranks are computed in integers, as `(p·n + 99) / 100`.
 */
async function durationsOf(
  backend: Backend,
  names: readonly string[],
  from: number | undefined,
  to: number | undefined,
): Promise<MigrationDurations> {
  const events = eventsOf(names, from, to)
  const rows = await backend.query(
    'WITH ranked AS (SELECT value, row_number() OVER (ORDER BY value) AS rn, count(*) OVER () AS n ' +
      `FROM metrics WHERE ${events.sql}) ` +
      'SELECT rn, n, value FROM ranked WHERE rn IN ((50 * n + 99) / 100, (95 * n + 99) / 100, (99 * n + 99) / 100)',
    events.params,
  )
  const byRank = new Map(rows.map((row) => [num(row['rn']), num(row['value'])]))
  const n = num(rows[0]?.['n'])
  const at = (p: number): number | null => byRank.get(Math.floor((p * n + 99) / 100)) ?? null
  return { p50: at(50), p95: at(95), p99: at(99) }
}

/** How many events of each name, raw and folded into rollups, within the scope. */
async function countsByName(backend: Backend, scope: MetricRange & MetricsQueryOptions): Promise<Map<string, number>> {
  const counted = await topMetricNames(backend, {
    ...scope,
    type: MIGRATION_METRIC_TYPE,
    by: 'count',
    // Every name: the type is this module's own, and its names are a small fixed set.
    limit: Number.MAX_SAFE_INTEGER,
  })
  return new Map(counted.map(({ name, count }) => [name, count]))
}

function kindReport(kind: MigrationEventKind, countOf: ReadonlyMap<string, number>): MigrationKindReport {
  const total = (outcome: MigrationOutcome): number =>
    namesOf(kind, [outcome]).reduce((sum, name) => sum + (countOf.get(name) ?? 0), 0)
  const [ok, failed, skipped, mismatch] = [total('ok'), total('failed'), total('skipped'), total('mismatch')]
  const done = ok + failed + mismatch
  return { total: done + skipped, ok, failed, skipped, mismatch, successRate: done === 0 ? null : ok / done }
}

/** Failed and mismatching events of every kind, by code (`UNKNOWN` without one). */
async function errorsByCodeOf(
  backend: Backend,
  from: number | undefined,
  to: number | undefined,
): Promise<Record<string, number>> {
  const errors = eventsOf(
    KINDS.flatMap((kind) => namesOf(kind, ['failed', 'mismatch'])),
    from,
    to,
  )
  const rows = await backend.query(
    `SELECT json_extract(metadata, '$.code') AS code, count(*) AS count FROM metrics WHERE ${errors.sql} GROUP BY code`,
    errors.params,
  )
  const counts = new Map<string, number>()
  for (const row of rows) {
    const code = typeof row['code'] === 'string' ? row['code'] : 'UNKNOWN'
    counts.set(code, (counts.get(code) ?? 0) + num(row['count']))
  }
  return Object.fromEntries(counts)
}

/** Migrations that succeeded and failed, by store. */
async function storeOutcomes(
  backend: Backend,
  from: number | undefined,
  to: number | undefined,
): Promise<Record<string, { ok: number; failed: number }>> {
  const okName = migrationMetricName({ kind: 'migration', outcome: 'ok' })
  const migrations = eventsOf(namesOf('migration', ['ok', 'failed']), from, to)
  // `->` gives the store's name as the JSON text it was written as: grouped and parsed back exactly, a name with
  // a lone surrogate included (json_extract would give SQLite's UTF-8 of it, where that surrogate is lost).
  const rows = await backend.query(
    `SELECT metadata -> '$.store' AS store, metric_name AS name, count(*) AS count FROM metrics ` +
      `WHERE ${migrations.sql} GROUP BY store, name`,
    migrations.params,
  )
  const stores = new Map<string, { ok: number; failed: number }>()
  for (const row of rows) {
    const store = typeof row['store'] === 'string' ? (JSON.parse(row['store']) as unknown) : undefined
    if (typeof store !== 'string') continue
    const counts = stores.get(store) ?? { ok: 0, failed: 0 }
    if (row['name'] === okName) counts.ok += num(row['count'])
    else counts.failed += num(row['count'])
    stores.set(store, counts)
  }
  // Object.fromEntries defines own properties: a store named `__proto__` is a key like any other.
  return Object.fromEntries(stores)
}

/** p50 and p95 of the shadow writes that succeeded on one storage. */
async function shadowWrites(
  backend: Backend,
  scope: MetricRange & MetricsQueryOptions,
  storage: StorageKind,
): Promise<{ p50: number | null; p95: number | null }> {
  const name = migrationMetricName({ kind: 'shadow-write', outcome: 'ok', storage })
  const { values } = await metricPercentiles(backend, {
    ...scope,
    type: MIGRATION_METRIC_TYPE,
    name,
    percentiles: [50, 95],
  })
  return { p50: values[50] ?? null, p95: values[95] ?? null }
}

/**
 * A report of the migration events recorded by {@link recordMigrationEvents} in a metrics store, over a time
 * range: counts and success rate by kind, errors by code, duration percentiles by kind, the durations of shadow
 * writes on each storage, and migration outcomes by store. Read-only, with SQL over the metrics table: the
 * counts by kind include events folded into daily rollups by retention; the errors, the stores and the
 * percentiles cover raw events only (a rollup keeps no metadata and no distribution). Rejects with
 * INVALID_OPTIONS for an invalid range or store name, and with MIGRATION_FAILED when the metrics store was
 * written by a newer version of its package.
 *
 * @example
 * ```ts
 * const report = await migrationReport(backend, { from: Date.now() - 7 * 86_400_000 })
 * if ((report.byKind.migration.successRate ?? 1) < 0.99) console.warn(report.errorsByCode)
 * ```
 */
export async function migrationReport(
  backend: Backend,
  options: MigrationReportOptions = {},
): Promise<MigrationReport> {
  const { from, to, store } = options
  const scope: MetricRange & MetricsQueryOptions = {
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    ...(store === undefined ? {} : { store }),
  }
  // First: it checks the options, and prepares the metrics tables that the queries of this module read.
  const countOf = await countsByName(backend, scope)
  const byKind = {} as Record<MigrationEventKind, MigrationKindReport>
  const durationMs = {} as Record<MigrationEventKind, MigrationDurations>
  for (const kind of KINDS) {
    byKind[kind] = kindReport(kind, countOf)
    durationMs[kind] = await durationsOf(backend, namesOf(kind, ['ok', 'failed', 'mismatch']), from, to)
  }
  const sqlite = await shadowWrites(backend, scope, 'sqlite')
  const legacy = await shadowWrites(backend, scope, 'legacy')
  return {
    byKind,
    errorsByCode: await errorsByCodeOf(backend, from, to),
    durationMs,
    shadowWriteMs: {
      sqlite,
      legacy,
      ratio: sqlite.p50 !== null && legacy.p50 !== null && sqlite.p50 > 0 ? legacy.p50 / sqlite.p50 : null,
    },
    stores: await storeOutcomes(backend, from, to),
  }
}
