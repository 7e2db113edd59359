import { describe, expect, it } from 'vitest'
import type { Backend } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import {
  applyMetricsRetention,
  createMetricsStore,
  metricPercentiles,
  metricSeries,
  metricTotals,
  topMetricNames,
} from '@zustand-sqlite/store-metrics'
import { databaseOn, engines } from '../../../test-utils/backends'

const MINUTE = 60_000
const HOUR = 3_600_000
const DAY = 86_400_000
const DAY0 = Date.UTC(2024, 0, 1)
const DAY1 = DAY0 + DAY

// Strings SQLite's UTF-8 TEXT cannot hold as they are: a lone surrogate (half of an emoji cut by `slice`) and
// NUL. Beside them, labels that an engine would write in place of the lone surrogate (U+FFFD).
const CUT_TYPE = 't\uD800'
const REPLACED_TYPE = 't\uFFFD'

const EVENTS = [
  { type: CUT_TYPE, name: 'n\uD800', value: 1, timestamp: DAY0 + MINUTE },
  { type: CUT_TYPE, name: 'n\uD800', value: 2, timestamp: DAY0 + 2 * MINUTE },
  { type: CUT_TYPE, name: 'n\u0000', value: 10, timestamp: DAY0 + HOUR },
  { type: CUT_TYPE, name: 'n\uFFFD', value: 100, timestamp: DAY1 },
  { type: REPLACED_TYPE, name: 'n\uD800', value: 1000, timestamp: DAY0 + MINUTE },
]

describe.each(engines)('metrics query functions with text SQLite cannot hold as it is, on $name', (engine) => {
  const { open } = databaseOn(engine)

  async function recorded(): Promise<Backend> {
    const backend = await open()
    const store = createMetricsStore({ backend })
    await hydrated(store)
    store.persist.append('metrics', EVENTS)
    await store.persist.flush()
    return backend
  }

  const answers = async (backend: Backend) => ({
    all: await metricTotals(backend, { type: CUT_TYPE }),
    cut: await metricTotals(backend, { type: CUT_TYPE, name: 'n\uD800' }),
    replaced: await metricTotals(backend, { type: CUT_TYPE, name: 'n\uFFFD' }),
    otherType: await metricTotals(backend, { type: REPLACED_TYPE }),
    series: await metricSeries(backend, { type: CUT_TYPE, name: 'n\u0000', from: DAY0, to: DAY1 + DAY, bucket: 'day' }),
    top: await topMetricNames(backend, { type: CUT_TYPE, by: 'sum', limit: 5 }),
  })

  it('finds events by such types and names, and returns names as they were recorded', async () => {
    const backend = await recorded()
    expect(await answers(backend)).toEqual({
      all: { count: 4, sum: 113, min: 1, max: 100, avg: 113 / 4 },
      cut: { count: 2, sum: 3, min: 1, max: 2, avg: 1.5 },
      replaced: { count: 1, sum: 100, min: 100, max: 100, avg: 100 },
      otherType: { count: 1, sum: 1000, min: 1000, max: 1000, avg: 1000 },
      series: [{ start: DAY0, count: 1, sum: 10, min: 10, max: 10, avg: 10 }],
      top: [
        { name: 'n\uFFFD', count: 1, sum: 100 },
        { name: 'n\u0000', count: 1, sum: 10 },
        { name: 'n\uD800', count: 2, sum: 3 },
      ],
    })
    expect(await metricPercentiles(backend, { type: CUT_TYPE, name: 'n\uD800', percentiles: [50, 100] })).toEqual({
      count: 2,
      values: { 50: 1, 100: 2 },
    })
  })

  it('answers the same after retention folds the events into daily rollups', async () => {
    const backend = await recorded()
    const before = await answers(backend)
    expect(await applyMetricsRetention(backend, { maxRows: 0 })).toEqual({ folded: 5, batches: 1 })
    expect(await answers(backend)).toEqual(before)
    expect(before.top.map((t) => t.name)).toEqual(['n\uFFFD', 'n\u0000', 'n\uD800'])
  })
})
