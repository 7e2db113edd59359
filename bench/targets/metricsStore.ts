import { whenHydrated } from '@zustand-sqlite/core'
// M1: the metrics store (@zustand-sqlite/store-metrics). Two parts: events/s through the store's
// record(type, name, value) against hand-written inserts into an identical `metrics` table (T7's RAW
// approach, T7's limits), and the latency of the query functions and of one retention run on a table of
// 1M events (50k in a quick run).
import { join } from 'node:path'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import type { Backend } from '@zustand-sqlite/core'
import {
  applyMetricsRetention,
  createMetricsStore,
  metricPercentiles,
  metricSeries,
  metricTotals,
  topMetricNames,
} from '@zustand-sqlite/store-metrics'
import type { MetricsStoreApi } from '@zustand-sqlite/store-metrics'
import type { BenchContext } from '../context'
import { createRandom, randomInt } from '../dataset'
import { openRawDatabase } from '../engines'
import type { BenchOptions } from '../options'
import { collectGarbage, interleave, now } from '../measure'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatCount, formatMs, formatRatio, sizeLabel } from '../stats'

const DAY_MS = 86_400_000
/** The days the loaded events span, ending at LOAD_END (a UTC midnight). */
const LOAD_DAYS = 30
const LOAD_END = Date.UTC(2024, 5, 1)
/** Rows per multi-row INSERT, and rows per transaction, when loading the query dataset. */
const ROWS_PER_INSERT = 500
const ROWS_PER_TRANSACTION = 100_000

/** Event labels: three types, 20 names in all. */
const LABELS: Record<string, readonly string[]> = {
  persist: ['app-chats', 'app-folders', 'app-ui', 'app-labs', 'app-device', 'app-metrics', 'app-models', 'app-keys'],
  ui: ['drawer-open', 'chat-new', 'chat-delete', 'search', 'settings', 'attach', 'export', 'share'],
  'chat-generate': ['openai', 'anthropic', 'google', 'openai-1'],
}
const TYPES = Object.keys(LABELS)

interface Event {
  type: string
  name: string
  value: number
}

/** A seeded event: a type and a name of LABELS, an integer value (ms, tokens, counts) below 1000. */
function makeEvent(random: () => number): Event {
  const type = TYPES[randomInt(random, TYPES.length)] as string
  const names = LABELS[type] as readonly string[]
  return { type, name: names[randomInt(random, names.length)] as string, value: randomInt(random, 1000) }
}

interface Recorder {
  name: 'RAW' | 'LIB'
  /** Records one batch; returns (or resolves) once it is committed. */
  record(events: readonly Event[]): unknown
  count(): Promise<number>
  close(): Promise<void>
}

/** LIB: createMetricsStore on better-sqlite3; one record() per event, then flush() once per batch. */
async function openLibRecorder(
  file: string,
  synchronous: BenchOptions['synchronous'],
): Promise<{ recorder: Recorder; ddl: string[] }> {
  const backend = createBetterSqlite3Backend({ filename: file, synchronous })
  const store = createMetricsStore({ backend })
  await whenHydrated(store)
  // The store's own DDL of `metrics` (table and indexes), for RAW's identical table.
  const ddl = (
    await backend.query(
      "SELECT sql FROM sqlite_master WHERE tbl_name = 'metrics' AND sql IS NOT NULL ORDER BY type = 'index', name",
    )
  ).map((row) => String(row['sql']))
  const { record } = store.getState()
  return {
    ddl,
    recorder: {
      name: 'LIB',
      record: (events) => {
        for (const e of events) record(e.type, e.name, e.value)
        return store.persist.flush()
      },
      count: async () => Number((await backend.query('SELECT count(*) AS n FROM metrics'))[0]?.['n']),
      close: async () => await backend.close(),
    },
  }
}

/** RAW: the same `metrics` table, one prepared INSERT per event, one transaction per batch. */
function openRawRecorder(file: string, ddl: readonly string[], synchronous: BenchOptions['synchronous']): Recorder {
  const db = openRawDatabase(file, synchronous)
  for (const statement of ddl) db.exec(statement)
  const insert = db.prepare('INSERT INTO metrics (metric_type, metric_name, value, timestamp) VALUES (?, ?, ?, ?)')
  const write = db.transaction((events: readonly Event[]) => {
    for (const e of events) insert.run(e.type, e.name, e.value, Date.now())
  })
  return {
    name: 'RAW',
    record: (events) => write(events),
    count: () => Promise.resolve(Number((db.prepare('SELECT count(*) AS n FROM metrics').get() as { n: number }).n)),
    close: () => {
      db.close()
      return Promise.resolve()
    },
  }
}

const eventsPerSecond = (batch: number, medianMs: number): number => (batch * 1000) / medianMs

/** Part 1: events/s through record() against RAW, at each batch size. */
async function measureRecording(ctx: BenchContext, measurements: Measurement[], checks: Check[]): Promise<string[]> {
  const { batches, rounds, warmupSets, setsPerRound } = ctx.options.metricsStore
  const { synchronous } = ctx.options
  const lib = await openLibRecorder(join(ctx.dir, 'metrics-store-lib.db'), synchronous)
  const recorders = [openRawRecorder(join(ctx.dir, 'metrics-store-raw.db'), lib.ddl, synchronous), lib.recorder]
  const notes: string[] = []
  let recorded = 0
  try {
    for (const batch of batches) {
      ctx.progress(`M1: record(), batches of ${batch}`)
      const random = createRandom(ctx.options.seed * 17 + batch)
      let inputs: Event[][] = []
      const stats = await interleave(
        recorders,
        {
          rounds,
          warmup: () => warmupSets,
          perRound: () => setsPerRound(batch),
          beforeRound: (round) => {
            const sets = round < 0 ? warmupSets : setsPerRound(batch)
            inputs = Array.from({ length: sets }, () => Array.from({ length: batch }, () => makeEvent(random)))
          },
        },
        (r, i) => r.record(inputs[i] as Event[]),
      )
      recorded += (warmupSets + rounds * setsPerRound(batch)) * batch
      const median = (name: Recorder['name']): number =>
        [...stats].find(([r]) => r.name === name)?.[1].median ?? Number.NaN
      for (const [r, s] of stats) {
        measurements.push({
          contender: r.name,
          size: `batch ${batch}`,
          unit: 'ms',
          median: s.median,
          p90: s.p90,
          samples: s.count,
          extra: { eventsPerSecond: eventsPerSecond(batch, s.median), roundMedians: s.roundMedians },
        })
      }
      const libRate = eventsPerSecond(batch, median('LIB'))
      const rawRate = eventsPerSecond(batch, median('RAW'))
      checks.push(
        limitCheck({
          contender: 'LIB',
          size: `batch ${batch}`,
          label: 'LIB/RAW events/s',
          value: libRate / rawRate,
          detail: `${formatRatio(libRate / rawRate)} (${formatCount(libRate)} / ${formatCount(rawRate)} events/s)`,
          target: '>= 0.5x',
          min: 0.5,
        }),
      )
      if (batch === 100) {
        checks.push(
          limitCheck({
            contender: 'LIB',
            size: `batch ${batch}`,
            label: 'LIB events/s',
            value: libRate,
            detail: `${formatCount(libRate)} events/s (${formatMs(median('LIB'))} per batch)`,
            target: '>= 100,000',
            min: 100_000,
          }),
        )
      }
    }
    const counts: Record<string, string> = {}
    for (const r of recorders) counts[r.name] = `${await r.count()} rows stored, ${recorded} recorded`
    ctx.facts['M1 rows recorded'] = counts
    notes.push(
      'part 1, median per batch; events/s = batch / median. LIB: createMetricsStore({ backend }) on better-sqlite3, ' +
        "batch x store.getState().record(type, name, value), then await store.persist.flush(); RAW: the same `metrics` table (the store's DDL), one prepared INSERT per event in one transaction per batch.",
      `rows in the tables at the end: ${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join('; ')}`,
    )
    return notes
  } finally {
    for (const r of recorders) await r.close()
    collectGarbage()
  }
}

/**
 * Loads `count` events into the store's `metrics` table through a second connection: multi-row INSERTs,
 * ROWS_PER_TRANSACTION rows per transaction, evenly spaced over LOAD_DAYS days ending at LOAD_END.
 */
function loadEvents(file: string, count: number, seed: number, synchronous: BenchOptions['synchronous']): void {
  const db = openRawDatabase(file, synchronous)
  try {
    const random = createRandom(seed)
    const tuple = '(?, ?, ?, ?)'
    const sql = (rows: number): string =>
      `INSERT INTO metrics (metric_type, metric_name, value, timestamp) VALUES ${Array(rows).fill(tuple).join(', ')}`
    const full = db.prepare(sql(ROWS_PER_INSERT))
    const step = (LOAD_DAYS * DAY_MS) / count
    const start = LOAD_END - LOAD_DAYS * DAY_MS
    const insertRange = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i += ROWS_PER_INSERT) {
        const rows = Math.min(ROWS_PER_INSERT, to - i)
        const params: (string | number)[] = []
        for (let j = 0; j < rows; j++) {
          const e = makeEvent(random)
          params.push(e.type, e.name, e.value, Math.floor(start + (i + j) * step))
        }
        ;(rows === ROWS_PER_INSERT ? full : db.prepare(sql(rows))).run(params)
      }
    })
    for (let from = 0; from < count; from += ROWS_PER_TRANSACTION)
      insertRange(from, Math.min(count, from + ROWS_PER_TRANSACTION))
  } finally {
    db.close()
  }
}

interface Query {
  name: string
  run(): Promise<unknown>
}

/** Part 2: the query functions and one retention run on a table of `events` events. */
async function measureQueries(ctx: BenchContext, measurements: Measurement[]): Promise<string[]> {
  const { events, queryRuns } = ctx.options.metricsStore
  const size = `${events >= 1_000_000 && events % 1_000_000 === 0 ? `${events / 1_000_000}M` : sizeLabel(events)} events`
  const file = join(ctx.dir, 'metrics-store-queries.db')
  const backend: Backend = createBetterSqlite3Backend({ filename: file, synchronous: ctx.options.synchronous })
  try {
    const store: MetricsStoreApi = createMetricsStore({ backend })
    await whenHydrated(store)
    // One event through the store, so that it commits its record (state version) to the database:
    // retention reads it, and folds nothing for a store that never committed.
    store.getState().record('bench', 'load', 0)
    await store.persist.flush()
    ctx.progress(`M1: loading ${size}`)
    const loadStarted = now()
    loadEvents(file, events, ctx.options.seed * 19, ctx.options.synchronous)
    const loadMs = now() - loadStarted
    const totalBefore = await metricTotals(backend, { type: 'persist' })
    const all = Number((await backend.query('SELECT count(*) AS n FROM metrics'))[0]?.['n'])
    if (all !== events + 1) throw new Error(`M1: ${all} events stored, expected ${events} loaded + 1 recorded`)

    const from = LOAD_END - LOAD_DAYS * DAY_MS
    const to = LOAD_END
    const queries: Query[] = [
      { name: 'metricTotals type+name', run: () => metricTotals(backend, { type: 'persist', name: 'app-chats' }) },
      { name: 'metricTotals type only', run: () => metricTotals(backend, { type: 'persist' }) },
      {
        name: 'metricPercentiles p50/95/99',
        run: () => metricPercentiles(backend, { type: 'persist', name: 'app-chats', percentiles: [50, 95, 99] }),
      },
      {
        name: 'metricSeries type+name hourly',
        run: () => metricSeries(backend, { type: 'persist', name: 'app-chats', from, to, bucket: 'hour' }),
      },
      {
        name: 'metricSeries type daily',
        run: () => metricSeries(backend, { type: 'persist', from, to, bucket: 'day' }),
      },
      {
        name: 'topMetricNames by sum',
        run: () => topMetricNames(backend, { type: 'persist', limit: 5, by: 'sum' }),
      },
    ]
    ctx.progress(`M1: queries on ${size}, ${queryRuns} runs each`)
    const stats = await interleave(queries, { rounds: queryRuns, warmup: () => 1, perRound: () => 1 }, (q) => q.run())
    for (const [q, s] of stats) {
      measurements.push({
        contender: q.name,
        size,
        unit: 'ms',
        median: s.median,
        p90: s.p90,
        samples: s.count,
        extra: { min: s.min, max: s.max },
      })
    }

    ctx.progress(`M1: applyMetricsRetention folding half of ${size}`)
    collectGarbage()
    const retentionStarted = now()
    const retention = await applyMetricsRetention(backend, { maxAgeMs: (LOAD_DAYS / 2) * DAY_MS, now: LOAD_END })
    const retentionMs = now() - retentionStarted
    measurements.push({
      contender: 'applyMetricsRetention',
      size,
      unit: 'ms',
      median: retentionMs,
      samples: 1,
      extra: { folded: retention.folded, batches: retention.batches, batchSize: 1000 },
    })
    const totalAfter = await metricTotals(backend, { type: 'persist' })
    const left = Number((await backend.query('SELECT count(*) AS n FROM metrics'))[0]?.['n'])
    const dailyRows = Number((await backend.query('SELECT count(*) AS n FROM metrics_daily'))[0]?.['n'])
    ctx.facts['M1 query dataset'] = {
      events,
      load: `${formatMs(loadMs)} (multi-row INSERTs of ${ROWS_PER_INSERT} rows, ${ROWS_PER_TRANSACTION} rows per transaction, second connection)`,
      'persist events (metricTotals type only)': totalBefore.count,
      retention: `${retention.folded} folded in ${retention.batches} batches, ${formatMs(retentionMs)}; ${left} raw events left, ${dailyRows} metrics_daily rows`,
      'metricTotals persist unchanged by retention':
        totalAfter.count === totalBefore.count && totalAfter.sum === totalBefore.sum,
    }
    return [
      `part 2, ${size}: ${TYPES.length} types, 20 names, evenly spaced over ${LOAD_DAYS} days, integer values < 1000; loaded in ${formatMs(loadMs)} through a second connection (multi-row INSERTs into the store's table, after createMetricsStore made the schema and committed one event of type 'bench'). Queries on type 'persist' (${formatCount(totalBefore.count)} events) and name 'app-chats', all time; series over the ${LOAD_DAYS} days. Each query: 1 warm-up, then ${queryRuns} runs interleaved with the others; median.`,
      `applyMetricsRetention({ maxAgeMs: ${LOAD_DAYS / 2} days, now: end of the data }), default batchSize 1000, one run: ${formatCount(retention.folded)} events folded in ${retention.batches} batches (transactions), ${formatMs(retentionMs)}; totals of 'persist' ${totalAfter.count === totalBefore.count && totalAfter.sum === totalBefore.sum ? 'unchanged' : 'CHANGED'} after folding.`,
    ]
  } finally {
    await backend.close()
    collectGarbage()
  }
}

/** M1: the metrics store, record() throughput against RAW and query latency on a large event table. */
export async function runMetricsStoreTarget(ctx: BenchContext): Promise<TargetResult> {
  const measurements: Measurement[] = []
  const checks: Check[] = []
  const notes = [...(await measureRecording(ctx, measurements, checks)), ...(await measureQueries(ctx, measurements))]
  return {
    id: 'M1',
    title:
      'metrics store: record() events/s until committed, against RAW; queries and retention on a large table (store-metrics, better-sqlite3 file, WAL)',
    target: ">= 0.5x RAW events/s; >= 100k events/s at batch 100 (T7's limits); queries: figures only",
    measurements,
    checks,
    notes,
  }
}
