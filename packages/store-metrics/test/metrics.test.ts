import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import type { Backend, CommitInfo, SqlValue } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import {
  addCostEntry,
  applyMetricsRetention,
  createMetricsStore,
  createMetricsState,
  importLegacyMetrics,
  metricPercentiles,
  metricsDefinition,
  metricSeries,
  metricTotals,
  recordCommits,
  startMetricsRetention,
  topMetricNames,
} from '@zustand-sqlite/store-metrics'
import type { MetricsStore, MetricsStoreApi } from '@zustand-sqlite/store-metrics'
import { databaseOn, engines, failure } from '../../../test-utils/backends'

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000
const DAY0 = Date.UTC(2024, 0, 1)
const DAY1 = DAY0 + DAY

/** A small fixed dataset: latency a = 10, 20, 30, 40; latency b = 5, 15; other x = 100. */
const DATASET = [
  { type: 'latency', name: 'a', value: 10, timestamp: DAY0 + MINUTE },
  { type: 'latency', name: 'b', value: 5, timestamp: DAY0 + MINUTE + 1 },
  { type: 'latency', name: 'a', value: 20, timestamp: DAY0 + 2 * MINUTE },
  { type: 'latency', name: 'a', value: 30, timestamp: DAY0 + HOUR },
  { type: 'other', name: 'x', value: 100, timestamp: DAY0 + 5 },
  { type: 'latency', name: 'a', value: 40, timestamp: DAY1 },
  { type: 'latency', name: 'b', value: 15, timestamp: DAY1 + HOUR, metadata: { note: 'late' } },
]

async function count(backend: Backend, table: string): Promise<number> {
  const [row] = await backend.query(`SELECT count(*) AS n FROM ${table}`)
  return Number(row?.['n'])
}

const bare = () => createStore<MetricsStore>()(createMetricsState())

describe('cost entries (no database)', () => {
  it('counts each $code as the app does, in dollars', () => {
    let aggregate = addCostEntry(undefined, { $c: 150, $cdCache: 20 }, 100, 50, 1000)
    expect(aggregate).toMatchObject({
      totalCosts: 1.5,
      totalSavings: 0.2,
      totalInputTokens: 100,
      totalOutputTokens: 50,
      usageCount: 1,
      firstUsageDate: 1000,
      lastUsageDate: 1000,
    })
    const codes = ['free', 'partial-msg', 'partial-price', 'no-pricing', 'no-tokens'] as const
    codes.forEach((code, i) => (aggregate = addCostEntry(aggregate, { $code: code }, 1, 1, 2000 + i)))
    expect(aggregate).toMatchObject({
      usageCount: 6,
      freeUsages: 1,
      partialMessageUsages: 1,
      partialPriceUsages: 1,
      noPricingUsages: 1,
      noTokenUsages: 1,
      firstUsageDate: 1000,
      lastUsageDate: 2004,
      totalCosts: 1.5,
    })
  })

  it('ignores a null service id and refuses bad numbers without changing anything', async () => {
    const store = bare()
    store.getState().addChatGenerateCostEntry({ $c: 1 }, 1, 1, null, 'test')
    expect(store.getState().serviceMetrics).toEqual({})
    expect(
      await failure(() => store.getState().addChatGenerateCostEntry({}, Number.NaN, 1, 'openai', 't')),
    ).toMatchObject({
      code: 'INVALID_VALUE',
      path: 'inputTokens',
    })
    expect(await failure(() => store.getState().addChatGenerateCostEntry({}, 1, -1, 'openai', 't'))).toMatchObject({
      code: 'INVALID_VALUE',
      path: 'outputTokens',
    })
    expect(
      await failure(() => store.getState().addChatGenerateCostEntry({ $c: Infinity }, 1, 1, 'openai', 't')),
    ).toMatchObject({ code: 'INVALID_VALUE', path: 'costs.$c' })
    expect(store.getState().serviceMetrics).toEqual({})
  })

  it('validates events: finite values, non-empty labels, free-form types', async () => {
    const record = bare().getState().record
    expect(await failure(() => record('t', 'n', Number.NaN))).toMatchObject({ code: 'INVALID_VALUE', path: 'value' })
    expect(await failure(() => record('t', 'n', Infinity))).toMatchObject({ code: 'INVALID_VALUE', path: 'value' })
    expect(await failure(() => record('', 'n', 1))).toMatchObject({ code: 'INVALID_VALUE', path: 'type' })
    expect(await failure(() => record('x'.repeat(65), 'n', 1))).toMatchObject({ code: 'INVALID_VALUE', path: 'type' })
    expect(await failure(() => record('t', '', 1))).toMatchObject({ code: 'INVALID_VALUE', path: 'name' })
    expect(await failure(() => record('t', 'n', 1, [] as never))).toMatchObject({
      code: 'INVALID_VALUE',
      path: 'metadata',
    })
    expect(await failure(() => record('a-type-nobody-declared', 'n', -3.5))).toBeUndefined()
  })
})

describe('importLegacyMetrics', () => {
  const envelope = (state: unknown, version = 0) => JSON.stringify({ state, version })

  it('imports version 0 and repairs wrong numbers to 0, reporting each', () => {
    const result = importLegacyMetrics(
      envelope({
        serviceMetrics: {
          openai: { totalCosts: 1.25, totalInputTokens: 100, usageCount: 3, freeUsages: 1, futureField: 'kept' },
          bad: { totalCosts: 'x', usageCount: -2, totalOutputTokens: 7.9, noTokenUsages: null },
          broken: 42,
        },
      }),
    )
    expect(result?.state.serviceMetrics['openai']).toMatchObject({
      totalCosts: 1.25,
      totalInputTokens: 100,
      usageCount: 3,
      freeUsages: 1,
      totalSavings: 0,
      partialPriceUsages: 0,
      futureField: 'kept',
    })
    expect(result?.state.serviceMetrics['bad']).toMatchObject({ totalCosts: 0, usageCount: 0, totalOutputTokens: 7 })
    expect(result?.state.serviceMetrics['broken']).toBeUndefined()
    expect(result?.problems).toEqual([
      { path: 'serviceMetrics.bad.totalCosts', value: 'x', fix: 'set to 0' },
      { path: 'serviceMetrics.bad.totalOutputTokens', value: 7.9, fix: 'truncated' },
      { path: 'serviceMetrics.bad.usageCount', value: -2, fix: 'set to 0' },
      { path: 'serviceMetrics.bad.noTokenUsages', value: null, fix: 'set to 0' },
      { path: 'serviceMetrics.broken', value: 42, fix: 'skipped' },
    ])
  })

  it('refuses other versions and data that is not an envelope', async () => {
    expect(importLegacyMetrics(null)).toBeNull()
    expect(await failure(() => importLegacyMetrics(envelope({ serviceMetrics: {} }, 1)))).toMatchObject({
      code: 'MIGRATION_FAILED',
    })
    expect(await failure(() => importLegacyMetrics('not json'))).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
    expect(await failure(() => importLegacyMetrics({ serviceMetrics: {} }))).toMatchObject({
      code: 'INVALID_LEGACY_DATA',
    })
    expect(await failure(() => importLegacyMetrics(envelope({ serviceMetrics: [] })))).toMatchObject({
      code: 'INVALID_LEGACY_DATA',
    })
  })
})

describe.each(engines)('metrics store on $name', (engine) => {
  const db = databaseOn(engine)

  async function open(commits?: CommitInfo[]): Promise<{ backend: Backend; store: MetricsStoreApi }> {
    const backend = await db.open()
    const store = createMetricsStore({ backend, ...(commits ? { onCommit: (info) => void commits.push(info) } : {}) })
    await hydrated(store)
    return { backend, store }
  }

  async function withDataset(): Promise<{ backend: Backend; store: MetricsStoreApi }> {
    const opened = await open()
    opened.store.persist.append('metrics', DATASET)
    await opened.store.persist.flush()
    return opened
  }

  it('writes a cost entry as one event and one aggregate row, in one transaction', async () => {
    const commits: CommitInfo[] = []
    const { backend, store } = await open(commits)
    store
      .getState()
      .addChatGenerateCostEntry({ $c: 250, $cReported: 240, $code: 'partial-price' }, 1000, 200, 'openai', 'chat')
    await store.persist.flush()
    expect(commits).toHaveLength(1)
    expect(commits[0]?.tables).toEqual({ service_metrics: 1, metrics: 1 })
    const [event] = await backend.query('SELECT metric_type, metric_name, value, metadata FROM metrics')
    expect(event).toMatchObject({ metric_type: 'chat-generate', metric_name: 'openai', value: 2.5 })
    expect(JSON.parse(String(event?.['metadata']))).toEqual({
      inputTokens: 1000,
      outputTokens: 200,
      $c: 250,
      $cReported: 240,
      $code: 'partial-price',
      source: 'chat',
    })
    expect(Object.keys(store.getState())).not.toContain('events')
    await db.closeAll()
    const reopened = createMetricsStore({ backend: await db.open() })
    await hydrated(reopened)
    expect(reopened.getState().getAggregateMetricsForService('openai')).toMatchObject({
      totalCosts: 2.5,
      totalInputTokens: 1000,
      usageCount: 1,
      partialPriceUsages: 1,
    })
  })

  it('counts a cost entry made while the store hydrates on the stored aggregate', async () => {
    const { store } = await open()
    store.getState().addChatGenerateCostEntry({ $c: 100 }, 10, 5, 'openai', 'chat')
    await store.persist.flush()
    await db.closeAll()
    const again = createMetricsStore({ backend: await db.open() })
    // On an asynchronous engine the store is still hydrating here: the entry is counted again on what is stored.
    again.getState().addChatGenerateCostEntry({ $c: 50 }, 1, 1, 'openai', 'chat')
    await hydrated(again)
    const expected = { usageCount: 2, totalInputTokens: 11, totalOutputTokens: 6, totalCosts: 1.5 }
    expect(again.getState().getAggregateMetricsForService('openai')).toMatchObject(expected)
    await again.persist.flush()
    await db.closeAll()
    const third = createMetricsStore({ backend: await db.open() })
    await hydrated(third)
    expect(third.getState().getAggregateMetricsForService('openai')).toMatchObject(expected)
  })

  it('batches a burst of events into one transaction per tick, and never keeps them in state', async () => {
    const commits: CommitInfo[] = []
    const { backend, store } = await open(commits)
    const before = store.getState()
    for (let i = 0; i < 100; i++) store.getState().record('ui', 'click', i)
    await store.persist.flush()
    for (let i = 0; i < 10; i++) store.getState().record('ui', 'click', i)
    await store.persist.flush()
    expect(commits.map((c) => c.tables['metrics'])).toEqual([100, 10])
    expect(store.getState()).toBe(before)
    expect(await count(backend, 'metrics')).toBe(110)
  })

  it('times sync and async functions, and failures with error: true', async () => {
    const { backend, store } = await open()
    const { timed } = store.getState()
    expect(timed('job', 'sync', () => 7)).toBe(7)
    expect(await timed('job', 'async', async () => 8, { tag: 1 })).toBe(8)
    await expect(
      timed('job', 'rejects', async () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(() =>
      timed('job', 'throws', () => {
        throw new Error('bang')
      }),
    ).toThrow('bang')
    await store.persist.flush()
    const rows = await backend.query('SELECT metric_name, value, metadata FROM metrics ORDER BY id')
    expect(
      rows.map((r) => [r['metric_name'], r['metadata'] === null ? null : JSON.parse(String(r['metadata']))]),
    ).toEqual([
      ['sync', null],
      ['async', { tag: 1 }],
      ['rejects', { error: true }],
      ['throws', { error: true }],
    ])
    for (const row of rows) expect(row['value']).toBeGreaterThanOrEqual(0)
  })

  it('writes nothing for a rejected event', async () => {
    const { backend, store } = await open()
    expect(await failure(() => store.getState().record('t', 'n', Number.NaN))).toMatchObject({ code: 'INVALID_VALUE' })
    store.getState().record('t', 'ok', 1)
    await store.persist.flush()
    expect(await count(backend, 'metrics')).toBe(1)
  })

  it("records another store's commits, and not its own", async () => {
    const metricsCommits: CommitInfo[] = []
    const backend = await db.open()
    const metrics: MetricsStoreApi = createMetricsStore({
      backend,
      onCommit: (info) => {
        metricsCommits.push(info)
        recordCommits(metrics)(info)
      },
    })
    const other = createStore<{ n: number }>()(
      persistSQLite(() => ({ n: 0 }), { name: 'other', backend, onCommit: recordCommits(metrics) }),
    )
    other.setState({ n: 1 })
    await other.persist.flush()
    other.setState({ n: 2 })
    await other.persist.flush()
    await metrics.persist.flush()
    await new Promise((resolve) => setTimeout(resolve, 10))
    await metrics.persist.flush()
    const rows = await backend.query("SELECT metric_name, value, metadata FROM metrics WHERE metric_type = 'persist'")
    expect(rows.map((r) => r['metric_name'])).toEqual(['other', 'other'])
    expect(JSON.parse(String(rows[0]?.['metadata']))).toEqual({ rows: 1, backend: backend.name })
    expect(typeof rows[0]?.['value']).toBe('number')
    expect(await count(backend, 'metrics')).toBe(2)
    expect(metricsCommits.length).toBeGreaterThan(0)
  })

  it('answers totals, percentiles, series and top names on a fixed dataset', async () => {
    const { backend } = await withDataset()
    expect(await metricTotals(backend, { type: 'latency' })).toEqual({ count: 6, sum: 120, min: 5, max: 40, avg: 20 })
    expect(await metricTotals(backend, { type: 'latency', name: 'a' })).toEqual({
      count: 4,
      sum: 100,
      min: 10,
      max: 40,
      avg: 25,
    })
    expect(await metricTotals(backend, { type: 'latency', from: DAY1 })).toEqual({
      count: 2,
      sum: 55,
      min: 15,
      max: 40,
      avg: 27.5,
    })
    expect(await metricTotals(backend, { type: 'latency', to: DAY0 + HOUR })).toEqual({
      count: 3,
      sum: 35,
      min: 5,
      max: 20,
      avg: 35 / 3,
    })
    expect(await metricTotals(backend, { type: 'none' })).toEqual({ count: 0, sum: 0, min: null, max: null, avg: null })

    expect(
      await metricPercentiles(backend, { type: 'latency', name: 'a', percentiles: [25, 50, 95, 99, 100] }),
    ).toEqual({
      count: 4,
      values: { 25: 10, 50: 20, 95: 40, 99: 40, 100: 40 },
    })
    expect(await metricPercentiles(backend, { type: 'latency', name: 'a', to: DAY1 })).toEqual({
      count: 3,
      values: { 50: 20, 95: 30, 99: 30 },
    })
    expect(await metricPercentiles(backend, { type: 'latency', name: 'zzz' })).toEqual({
      count: 0,
      values: { 50: null, 95: null, 99: null },
    })

    const range = { type: 'latency', from: DAY0, to: DAY1 + DAY }
    expect(await metricSeries(backend, { ...range, bucket: 'day' })).toEqual([
      { start: DAY0, count: 4, sum: 65, min: 5, max: 30, avg: 16.25 },
      { start: DAY1, count: 2, sum: 55, min: 15, max: 40, avg: 27.5 },
    ])
    expect(await metricSeries(backend, { ...range, bucket: 'hour' })).toEqual([
      { start: DAY0, count: 3, sum: 35, min: 5, max: 20, avg: 35 / 3 },
      { start: DAY0 + HOUR, count: 1, sum: 30, min: 30, max: 30, avg: 30 },
      { start: DAY1, count: 1, sum: 40, min: 40, max: 40, avg: 40 },
      { start: DAY1 + HOUR, count: 1, sum: 15, min: 15, max: 15, avg: 15 },
    ])
    expect(
      (await metricSeries(backend, { ...range, name: 'a', bucket: 'minute' })).map((p) => [p.start, p.sum]),
    ).toEqual([
      [DAY0 + MINUTE, 10],
      [DAY0 + 2 * MINUTE, 20],
      [DAY0 + HOUR, 30],
      [DAY1, 40],
    ])

    expect(await topMetricNames(backend, { type: 'latency', by: 'count', limit: 1 })).toEqual([
      { name: 'a', count: 4, sum: 100 },
    ])
    expect(await topMetricNames(backend, { type: 'latency', by: 'sum', limit: 5, from: DAY1 })).toEqual([
      { name: 'a', count: 1, sum: 40 },
      { name: 'b', count: 1, sum: 15 },
    ])
    expect(await failure(() => topMetricNames(backend, { type: 'latency', by: 'count', limit: 0 }))).toMatchObject({
      code: 'INVALID_OPTIONS',
      path: 'limit',
    })
  })

  it('runs every query on an index', async () => {
    const { backend } = await withDataset()
    const seen: [string, readonly SqlValue[]][] = []
    const spy: Backend = {
      ...backend,
      query: (sql, params = []) => {
        seen.push([sql, params])
        return backend.query(sql, params)
      },
    }
    await metricTotals(spy, { type: 'latency' })
    await metricTotals(spy, { type: 'latency', name: 'a', from: DAY0, to: DAY1 })
    await metricPercentiles(spy, { type: 'latency', name: 'a', from: DAY0 })
    await metricSeries(spy, { type: 'latency', from: DAY0, to: DAY1, bucket: 'day' })
    await metricSeries(spy, { type: 'latency', name: 'a', from: DAY0, to: DAY1, bucket: 'minute' })
    await topMetricNames(spy, { type: 'latency', by: 'sum', limit: 3 })
    await applyMetricsRetention(spy, { maxAgeMs: DAY, maxRows: 3, now: DAY1 + HOUR, batchSize: 2 })
    expect(seen.length).toBeGreaterThan(10)
    for (const [sql, params] of seen) {
      const plan = await backend.query(`EXPLAIN QUERY PLAN ${sql}`, params)
      const details = plan.map((row) => String(row['detail']))
      expect(details.join('\n'), sql).not.toMatch(/\bSCAN (metrics|metrics_daily)\b(?! USING)/)
      if (/\bFROM metrics\b/.test(sql)) expect(details.join('\n'), sql).toMatch(/(SEARCH|SCAN) metrics USING/)
    }
  })

  it('folds old events into daily rollups without changing totals, series by day or top names', async () => {
    const { backend, store } = await withDataset()
    const snapshot = async () => ({
      all: await metricTotals(backend, { type: 'latency' }),
      a: await metricTotals(backend, { type: 'latency', name: 'a' }),
      day1: await metricTotals(backend, { type: 'latency', from: DAY1, to: DAY1 + DAY }),
      other: await metricTotals(backend, { type: 'other' }),
      series: await metricSeries(backend, { type: 'latency', from: DAY0, to: DAY1 + DAY, bucket: 'day' }),
      top: await topMetricNames(backend, { type: 'latency', by: 'count', limit: 5 }),
    })
    const before = await snapshot()
    // Keeps events of the last 2 hours: every event of DAY0 is folded, in batches of 2.
    const result = await applyMetricsRetention(backend, { maxAgeMs: 2 * HOUR, now: DAY1 + 2 * HOUR, batchSize: 2 })
    expect(result).toEqual({ folded: 5, batches: 3 })
    expect(await count(backend, 'metrics')).toBe(2)
    expect(
      await backend.query(
        'SELECT metric_type, metric_name, day, "count", "sum", "min", "max" FROM metrics_daily ORDER BY metric_type, metric_name',
      ),
    ).toEqual([
      { metric_type: 'latency', metric_name: 'a', day: DAY0, count: 3, sum: 60, min: 10, max: 30 },
      { metric_type: 'latency', metric_name: 'b', day: DAY0, count: 1, sum: 5, min: 5, max: 5 },
      { metric_type: 'other', metric_name: 'x', day: DAY0, count: 1, sum: 100, min: 100, max: 100 },
    ])
    expect(await snapshot()).toEqual(before)
    // Percentiles cover raw events only.
    expect((await metricPercentiles(backend, { type: 'latency', name: 'a' })).count).toBe(1)

    // Again: nothing more to fold. Then by rows, merging into the stored rollups.
    expect(await applyMetricsRetention(backend, { maxAgeMs: 2 * HOUR, now: DAY1 + 2 * HOUR })).toEqual({
      folded: 0,
      batches: 0,
    })
    expect(await applyMetricsRetention(backend, { maxRows: 0 })).toEqual({ folded: 2, batches: 1 })
    expect(await count(backend, 'metrics')).toBe(0)
    expect(await snapshot()).toEqual(before)

    // The state version the store records is kept, and the store keeps writing beside retention.
    expect((await metricsDefinition.prepare(backend)).stateVersion).toBe(0)
    store.getState().record('latency', 'a', 1)
    await store.persist.flush()
    expect((await metricTotals(backend, { type: 'latency', name: 'a' })).count).toBe(5)
  })

  it('keeps the newest maxRows events', async () => {
    const { backend } = await withDataset()
    const before = await metricTotals(backend, { type: 'latency' })
    expect(await applyMetricsRetention(backend, { maxRows: 2 })).toEqual({ folded: 5, batches: 1 })
    const kept = await backend.query('SELECT value FROM metrics ORDER BY timestamp')
    expect(kept.map((r) => r['value'])).toEqual([40, 15])
    expect(await metricTotals(backend, { type: 'latency' })).toEqual(before)
  })

  it('does nothing for a store that stored nothing, and refuses bad options', async () => {
    const backend = await db.open()
    expect(await applyMetricsRetention(backend, { maxRows: 0 })).toEqual({ folded: 0, batches: 0 })
    expect(await failure(() => applyMetricsRetention(backend, {}))).toMatchObject({ code: 'INVALID_OPTIONS' })
    expect(await failure(() => applyMetricsRetention(backend, { maxRows: -1 }))).toMatchObject({
      code: 'INVALID_OPTIONS',
      path: 'maxRows',
    })
  })

  it('answers on a database without the metrics tables, creating them empty', async () => {
    const backend = await db.open()
    expect(await metricTotals(backend, { type: 'latency' })).toEqual({
      count: 0,
      sum: 0,
      min: null,
      max: null,
      avg: null,
    })
    expect(await metricPercentiles(backend, { type: 'latency', name: 'a', percentiles: [50] })).toEqual({
      count: 0,
      values: { 50: null },
    })
    expect(await metricSeries(backend, { type: 'latency', from: DAY0, to: DAY1, bucket: 'day' })).toEqual([])
    expect(await topMetricNames(backend, { type: 'latency', by: 'count', limit: 3 })).toEqual([])
    expect(await count(backend, 'metrics_daily')).toBe(0)
  })

  it('reads the tables of the store named by `store`', async () => {
    const backend = await db.open()
    const store = createMetricsStore({ backend, name: 'my-metrics' })
    await hydrated(store)
    store.getState().record('latency', 'a', 7)
    await store.persist.flush()
    expect((await metricTotals(backend, { type: 'latency', store: 'my-metrics' })).count).toBe(1)
    expect(await applyMetricsRetention(backend, { name: 'my-metrics', maxRows: 0 })).toEqual({
      folded: 1,
      batches: 1,
    })
    expect((await metricTotals(backend, { type: 'latency', store: 'my-metrics' })).sum).toBe(7)
    // The tables belong to that name: read as the default store, they are another store's.
    expect(await failure(() => metricTotals(backend, { type: 'latency' }))).toMatchObject({ code: 'TABLE_CONFLICT' })
    expect(await failure(() => metricTotals(backend, { type: 'latency', store: '' }))).toMatchObject({
      code: 'INVALID_OPTIONS',
      path: 'store',
    })
  })

  it('refuses events of a store recorded at a newer state version, folding nothing', async () => {
    const backend = await db.open()
    const newer = createStore<MetricsStore>()(
      persistSQLite(createMetricsState(), { ...metricsDefinition.persistOptions({ backend }), version: 1 }),
    )
    await hydrated(newer)
    newer.getState().addChatGenerateCostEntry({ $c: 1 }, 1, 1, 'openai', 'chat')
    await newer.persist.flush()
    expect((await metricsDefinition.prepare(backend)).stateVersion).toBe(1)
    for (const query of [
      () => metricTotals(backend, { type: 'chat-generate' }),
      () => metricPercentiles(backend, { type: 'chat-generate', name: 'openai' }),
      () => metricSeries(backend, { type: 'chat-generate', from: 0, to: Date.now() + DAY, bucket: 'day' }),
      () => topMetricNames(backend, { type: 'chat-generate', by: 'count', limit: 1 }),
      () => applyMetricsRetention(backend, { maxRows: 0 }),
    ]) {
      expect(await failure(query)).toMatchObject({ code: 'MIGRATION_FAILED', store: 'app-metrics' })
    }
    expect(await count(backend, 'metrics')).toBe(1)
  })

  it('runs retention on an interval until stopped', async () => {
    const { backend } = await withDataset()
    const errors: unknown[] = []
    const stop = startMetricsRetention(backend, { maxRows: 1, intervalMs: 5, onError: (e) => errors.push(e) })
    for (let i = 0; i < 100 && (await count(backend, 'metrics')) > 1; i++) await new Promise((r) => setTimeout(r, 5))
    stop()
    expect(errors).toEqual([])
    expect(await count(backend, 'metrics')).toBe(1)
    expect((await metricTotals(backend, { type: 'latency' })).count).toBe(6)
  })
})
