import { join } from 'node:path'
import { persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createStore } from 'zustand/vanilla'
import type { BenchContext } from '../context'
import { createRandom, makeMetricEvents } from '../dataset'
import type { MetricEvent } from '../dataset'
import { openRawDatabase } from '../engines'
import type { BenchOptions } from '../options'
import { collectGarbage, interleave } from '../measure'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { RAW_METRICS_DDL, metricsSchema } from '../schemas'
import { formatCount, formatMs, formatRatio } from '../stats'

interface Appender {
  name: 'RAW' | 'LIB'
  /** Appends one batch; returns (or resolves) once it is committed. */
  append(events: MetricEvent[]): unknown
  count(): Promise<number>
  close(): Promise<void>
}

async function openLibMetrics(file: string, synchronous: BenchOptions['synchronous']): Promise<Appender> {
  const backend = createBetterSqlite3Backend({ filename: file, synchronous })
  const store = createStore<Record<string, never>>()(
    persistSQLite(() => ({}), { name: 'metrics', backend, schema: metricsSchema }),
  )
  await whenHydrated(store)
  return {
    name: 'LIB',
    append: (events) => {
      store.persist.append('metrics', events as unknown as Record<string, unknown>[])
      return store.persist.flush()
    },
    count: async () => Number((await backend.query('SELECT count(*) AS n FROM metrics'))[0]?.['n']),
    close: async () => await backend.close(),
  }
}

function openRawMetrics(file: string, synchronous: BenchOptions['synchronous']): Appender {
  const db = openRawDatabase(file, synchronous)
  db.exec(RAW_METRICS_DDL)
  const insert = db.prepare(
    'INSERT INTO metrics (metric_type, metric_name, value, metadata, timestamp) VALUES (?, ?, ?, ?, ?)',
  )
  const write = db.transaction((events: MetricEvent[]) => {
    for (const e of events) {
      insert.run(
        e.metric_type,
        e.metric_name,
        e.value,
        e.metadata === undefined ? null : JSON.stringify(e.metadata),
        e.timestamp,
      )
    }
  })
  return {
    name: 'RAW',
    append: (events) => write(events),
    count: () => Promise.resolve(Number((db.prepare('SELECT count(*) AS n FROM metrics').get() as { n: number }).n)),
    close: () => {
      db.close()
      return Promise.resolve()
    },
  }
}

const rowsPerSecond = (batch: number, medianMs: number): number => (batch * 1000) / medianMs

/** T7: append-only metrics events, one set per batch, each committed before the next. */
export async function runMetricsTarget(ctx: BenchContext): Promise<TargetResult> {
  const { batches, rounds, warmupSets, setsPerRound } = ctx.options.metrics
  const appenders = [
    openRawMetrics(join(ctx.dir, 'metrics-raw.db'), ctx.options.synchronous),
    await openLibMetrics(join(ctx.dir, 'metrics-lib.db'), ctx.options.synchronous),
  ]
  const measurements: Measurement[] = []
  const checks: Check[] = []
  let appended = 0
  let timestamp = 1_700_000_000_000
  try {
    for (const batch of batches) {
      ctx.progress(`T7: batches of ${batch}`)
      const random = createRandom(ctx.options.seed * 13 + batch)
      let inputs: MetricEvent[][] = []
      const stats = await interleave(
        appenders,
        {
          rounds,
          warmup: () => warmupSets,
          perRound: () => setsPerRound(batch),
          beforeRound: (round) => {
            const sets = round < 0 ? warmupSets : setsPerRound(batch)
            inputs = Array.from({ length: sets }, () => makeMetricEvents(random, batch, (timestamp += batch)))
          },
        },
        (a, i) => a.append(inputs[i] as MetricEvent[]),
      )
      appended += (warmupSets + rounds * setsPerRound(batch)) * batch
      const rate = new Map([...stats].map(([a, s]) => [a.name, rowsPerSecond(batch, s.median)]))
      const libMs = [...stats].find(([a]) => a.name === 'LIB')?.[1].median ?? Number.NaN
      for (const [a, s] of stats) {
        measurements.push({
          contender: a.name,
          size: `batch ${batch}`,
          unit: 'ms',
          median: s.median,
          p90: s.p90,
          samples: s.count,
          extra: { rowsPerSecond: rate.get(a.name), roundMedians: s.roundMedians },
        })
      }
      const lib = rate.get('LIB') as number
      const raw = rate.get('RAW') as number
      checks.push(
        limitCheck({
          contender: 'LIB',
          size: `batch ${batch}`,
          label: 'LIB/RAW rows/s',
          value: lib / raw,
          detail: `${formatRatio(lib / raw)} (${formatCount(lib)} / ${formatCount(raw)} rows/s)`,
          target: '>= 0.5x',
          min: 0.5,
        }),
      )
      if (batch === 100) {
        checks.push(
          limitCheck({
            contender: 'LIB',
            size: `batch ${batch}`,
            label: 'LIB rows/s',
            value: lib,
            detail: `${formatCount(lib)} rows/s (${formatMs(libMs)} per set)`,
            target: '>= 100,000',
            min: 100_000,
          }),
        )
      }
    }
    const counts: Record<string, string> = {}
    for (const a of appenders) counts[a.name] = `${await a.count()} rows stored, ${appended} appended`
    ctx.facts['T7 rows'] = counts
    return {
      id: 'T7',
      title: `metrics append: one set per batch of events, until committed (better-sqlite3 file, WAL, synchronous=${ctx.options.synchronous})`,
      target: '>= 0.5x RAW rows/s; >= 100k events/s at batch 100',
      measurements,
      checks,
      notes: [
        'median is per set (one batch); rows/s = batch / median.',
        `LIB: store.persist.append('metrics', rows) then await store.persist.flush(); RAW: one prepared INSERT per row in one transaction per batch.`,
        `rows in the tables at the end: ${Object.entries(counts)
          .map(([k, v]) => `${k} ${v}`)
          .join('; ')}`,
      ],
    }
  } finally {
    for (const a of appenders) await a.close()
    collectGarbage()
  }
}
