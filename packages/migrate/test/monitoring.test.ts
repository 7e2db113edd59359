import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Backend } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { applyMetricsRetention, createMetricsStore, topMetricNames } from '@zustand-sqlite/store-metrics'
import type { MetricsStoreApi } from '@zustand-sqlite/store-metrics'
import {
  MIGRATION_METRIC_TYPE,
  migrationMetricName,
  migrationReport,
  recordMigrationEvents,
} from '@zustand-sqlite/migrate'
import type { MigrationEvent, MigrationEventListener, MigrationReport } from '@zustand-sqlite/migrate'
import { databaseOn, engines, failure } from '../../../test-utils/backends'

const HOUR = 3_600_000
const DAY = 86_400_000
const T0 = Date.UTC(2024, 5, 1, 12)

/** A store name SQLite's UTF-8 cannot hold as it is (a lone surrogate), and one that is a prototype key. */
const CUT = 'cut-\uD800'
const PROTO = '__proto__'

type Shorthand = Pick<MigrationEvent, 'kind' | 'store' | 'outcome' | 'durationMs'> & Partial<MigrationEvent>
const event = (e: Shorthand): MigrationEvent => ({ rows: 1, bytes: 10, ...e })

/** The events of one rollout stage, each with a known duration. */
const EVENTS: MigrationEvent[] = [
  event({ kind: 'migration', store: 'app-chats', outcome: 'ok', durationMs: 10 }),
  event({ kind: 'migration', store: 'app-chats', outcome: 'ok', durationMs: 30 }),
  event({ kind: 'migration', store: CUT, outcome: 'ok', durationMs: 20 }),
  event({ kind: 'migration', store: 'app-chats', outcome: 'failed', code: 'WRITE_FAILED', durationMs: 40 }),
  event({ kind: 'migration', store: PROTO, outcome: 'failed', durationMs: 50 }),
  event({ kind: 'migration', store: 'app-device', outcome: 'skipped', durationMs: 1 }),
  event({ kind: 'verification', store: 'app-chats', outcome: 'ok', durationMs: 5 }),
  event({ kind: 'verification', store: 'app-ui', outcome: 'mismatch', code: 'VERIFICATION_FAILED', durationMs: 7 }),
  event({ kind: 'shadow-comparison', store: 'app-ui', outcome: 'ok', durationMs: 2 }),
  event({ kind: 'shadow-comparison', store: 'app-ui', outcome: 'ok', durationMs: 4 }),
  event({
    kind: 'shadow-comparison',
    store: 'app-ui',
    outcome: 'mismatch',
    code: 'VERIFICATION_FAILED',
    durationMs: 6,
  }),
  event({ kind: 'shadow-comparison', store: 'app-ui', outcome: 'skipped', durationMs: 0.5 }),
  ...[1, 2, 3, 4].map((durationMs) =>
    event({ kind: 'shadow-write', store: 'app-ui', outcome: 'ok', storage: 'sqlite', durationMs }),
  ),
  ...[4, 6, 8, 10].map((durationMs) =>
    event({ kind: 'shadow-write', store: 'app-ui', outcome: 'ok', storage: 'legacy', durationMs }),
  ),
  event({
    kind: 'shadow-write',
    store: 'app-ui',
    outcome: 'failed',
    storage: 'sqlite',
    code: 'WRITE_FAILED',
    durationMs: 100,
  }),
]

/** The report of EVENTS, figure by figure (percentiles by nearest rank). */
const EXPECTED: MigrationReport = {
  byKind: {
    // Durations of the five that did something: 10, 20, 30, 40, 50.
    migration: { total: 6, ok: 3, failed: 2, skipped: 1, mismatch: 0, successRate: 3 / 5 },
    verification: { total: 2, ok: 1, failed: 0, skipped: 0, mismatch: 1, successRate: 1 / 2 },
    rollback: { total: 0, ok: 0, failed: 0, skipped: 0, mismatch: 0, successRate: null },
    'shadow-comparison': { total: 4, ok: 2, failed: 0, skipped: 1, mismatch: 1, successRate: 2 / 3 },
    'shadow-write': { total: 9, ok: 8, failed: 1, skipped: 0, mismatch: 0, successRate: 8 / 9 },
  },
  errorsByCode: { WRITE_FAILED: 2, VERIFICATION_FAILED: 2, UNKNOWN: 1 },
  durationMs: {
    migration: { p50: 30, p95: 50, p99: 50 },
    verification: { p50: 5, p95: 7, p99: 7 },
    rollback: { p50: null, p95: null, p99: null },
    'shadow-comparison': { p50: 4, p95: 6, p99: 6 },
    // 1, 2, 3, 4, 4, 6, 8, 10, 100
    'shadow-write': { p50: 4, p95: 100, p99: 100 },
  },
  shadowWriteMs: { sqlite: { p50: 2, p95: 4 }, legacy: { p50: 6, p95: 10 }, ratio: 3 },
  stores: { 'app-chats': { ok: 2, failed: 1 }, [CUT]: { ok: 1, failed: 0 }, [PROTO]: { ok: 0, failed: 1 } },
}

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('recordMigrationEvents', () => {
  it('records each event as type zs-migration, a name of kind, storage and outcome, the duration and the rest', () => {
    const record = vi.fn()
    const listener = recordMigrationEvents({ getState: () => ({ record }) })
    listener(event({ kind: 'shadow-write', store: 'app-ui', outcome: 'ok', storage: 'legacy', durationMs: 4 }))
    listener({
      kind: 'migration',
      store: 'app-chats',
      outcome: 'failed',
      code: 'WRITE_FAILED',
      message: 'disk full',
      durationMs: 12.5,
      rows: 0,
      bytes: 2048,
    })
    expect(record.mock.calls).toEqual([
      [
        'zs-migration',
        'shadow-write:legacy:ok',
        4,
        { kind: 'shadow-write', store: 'app-ui', outcome: 'ok', rows: 1, bytes: 10, storage: 'legacy' },
      ],
      [
        'zs-migration',
        'migration:failed',
        12.5,
        {
          kind: 'migration',
          store: 'app-chats',
          outcome: 'failed',
          rows: 0,
          bytes: 2048,
          code: 'WRITE_FAILED',
          message: 'disk full',
        },
      ],
    ])
    expect(MIGRATION_METRIC_TYPE).toBe('zs-migration')
    expect(migrationMetricName({ kind: 'verification', outcome: 'mismatch' })).toBe('verification:mismatch')
  })

  it('never throws into the caller, whatever the metrics store does', () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const throwing = recordMigrationEvents({
      getState: () => ({
        record: () => {
          throw new Error('store gone')
        },
      }),
    })
    const noState = recordMigrationEvents({
      getState: () => {
        throw new Error('no state')
      },
    })
    const [first] = EVENTS as [MigrationEvent]
    expect(() => throwing(first)).not.toThrow()
    expect(() => noState(first)).not.toThrow()
    expect(error).toHaveBeenCalledTimes(2)
  })
})

const reportEngines = engines.filter((engine) => engine.name === 'better-sqlite3' || engine.name === 'sql.js')

describe.each(reportEngines)('migrationReport on $name', (engine) => {
  const { open } = databaseOn(engine)

  async function metricsOn(): Promise<{
    backend: Backend
    metrics: MetricsStoreApi
    listener: MigrationEventListener
  }> {
    const backend = await open()
    const metrics = createMetricsStore({ backend })
    await hydrated(metrics)
    return { backend, metrics, listener: recordMigrationEvents(metrics) }
  }

  /** Emits `events` through `listener`, the clock at `at`, one ms apart. */
  function emitAt(listener: MigrationEventListener, at: number, events: readonly MigrationEvent[]): void {
    vi.useFakeTimers({ toFake: ['Date'] })
    events.forEach((e, i) => {
      vi.setSystemTime(at + i)
      listener(e)
    })
    vi.useRealTimers()
  }

  it('reports every figure of the recorded events exactly', async () => {
    const { backend, metrics, listener } = await metricsOn()
    emitAt(listener, T0, EVENTS)
    await metrics.persist.flush()
    const report = await migrationReport(backend)
    expect(report).toEqual(EXPECTED)
    expect(Object.hasOwn(report.stores, PROTO)).toBe(true)
    expect(Object.getPrototypeOf(report.stores)).toBe(Object.prototype)
  })

  it('leaves out the events outside from/to', async () => {
    const { backend, metrics, listener } = await metricsOn()
    emitAt(listener, T0 - DAY, [
      event({ kind: 'migration', store: 'app-chats', outcome: 'failed', code: 'CORRUPT_DATABASE', durationMs: 900 }),
      event({ kind: 'rollback', store: 'app-chats', outcome: 'ok', durationMs: 80 }),
    ])
    emitAt(listener, T0, EVENTS)
    emitAt(listener, T0 + HOUR, [
      event({ kind: 'shadow-write', store: 'app-ui', outcome: 'ok', storage: 'sqlite', durationMs: 0.1 }),
    ])
    await metrics.persist.flush()
    expect(await migrationReport(backend, { from: T0, to: T0 + HOUR })).toEqual(EXPECTED)

    const everything = await migrationReport(backend)
    expect(everything.byKind.migration).toMatchObject({ total: 7, failed: 3 })
    expect(everything.byKind.rollback).toEqual({ total: 1, ok: 1, failed: 0, skipped: 0, mismatch: 0, successRate: 1 })
    expect(everything.errorsByCode).toEqual({ ...EXPECTED.errorsByCode, CORRUPT_DATABASE: 1 })
    expect(everything.shadowWriteMs.sqlite).toEqual({ p50: 2, p95: 4 })
    expect(everything.stores['app-chats']).toEqual({ ok: 2, failed: 2 })
    expect((await migrationReport(backend, { from: T0 + HOUR })).byKind['shadow-write'].total).toBe(1)
  })

  it('reports nothing, with null rates and percentiles, when no event was recorded', async () => {
    const backend = await open()
    const none = { total: 0, ok: 0, failed: 0, skipped: 0, mismatch: 0, successRate: null }
    const noTimes = { p50: null, p95: null, p99: null }
    expect(await migrationReport(backend)).toEqual({
      byKind: {
        migration: none,
        verification: none,
        rollback: none,
        'shadow-comparison': none,
        'shadow-write': none,
      },
      errorsByCode: {},
      durationMs: {
        migration: noTimes,
        verification: noTimes,
        rollback: noTimes,
        'shadow-comparison': noTimes,
        'shadow-write': noTimes,
      },
      shadowWriteMs: { sqlite: { p50: null, p95: null }, legacy: { p50: null, p95: null }, ratio: null },
      stores: {},
    })
  })

  it('keeps the counts of events folded by retention; their codes, stores and durations are gone', async () => {
    const { backend, metrics, listener } = await metricsOn()
    emitAt(listener, T0, EVENTS)
    await metrics.persist.flush()
    await applyMetricsRetention(backend, { maxAgeMs: 0, now: T0 + DAY })
    const report = await migrationReport(backend)
    expect(report.byKind).toEqual(EXPECTED.byKind)
    expect(report.errorsByCode).toEqual({})
    expect(report.stores).toEqual({})
    expect(report.durationMs.migration).toEqual({ p50: null, p95: null, p99: null })
  })

  it('drops an event the metrics store refuses, without throwing', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const { backend, metrics, listener } = await metricsOn()
    expect(() =>
      listener(event({ kind: 'migration', store: 'app-chats', outcome: 'ok', durationMs: Number.NaN })),
    ).not.toThrow()
    listener(event({ kind: 'migration', store: 'app-chats', outcome: 'ok', durationMs: 3 }))
    await metrics.persist.flush()
    expect(await topMetricNames(backend, { type: MIGRATION_METRIC_TYPE, by: 'count', limit: 10 })).toEqual([
      { name: 'migration:ok', count: 1, sum: 3 },
    ])
    expect(console.error).toHaveBeenCalledTimes(1)
  })

  it('refuses an invalid range', async () => {
    const backend = await open()
    expect(await failure(() => migrationReport(backend, { from: 1.5 }))).toMatchObject({ code: 'INVALID_OPTIONS' })
    expect(await failure(() => migrationReport(backend, { store: '' }))).toMatchObject({ code: 'INVALID_OPTIONS' })
  })
})
