import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import type { Backend } from '@zustand-sqlite/core'
import { metricsDefinition, metricTotals, recordMetric } from '@zustand-sqlite/store-metrics'
import type { RecordMetricInput } from '@zustand-sqlite/store-metrics'

// recordMetric runs the store's own `record` on the stored data: checked as the action checks, written in one
// transaction, answered with the event as it was stored.

let backend: Backend

beforeEach(() => {
  backend = createBetterSqlite3Backend({ filename: ':memory:' })
})

afterEach(async () => {
  await backend.close()
})

const storedEvents = async (): Promise<unknown[]> =>
  backend.query('SELECT metric_type, metric_name, value, metadata, timestamp FROM metrics ORDER BY id')

describe('recordMetric', () => {
  it('appends one event in one transaction and answers it with the time it was stored at', async () => {
    const before = Date.now()
    const event = await recordMetric(backend, {
      type: 'ui',
      name: 'drawer-open',
      value: 1.5,
      metadata: { from: 'menu' },
    })
    const after = Date.now()
    expect(event).toMatchObject({ type: 'ui', name: 'drawer-open', value: 1.5, metadata: { from: 'menu' } })
    expect(event.timestamp).toBeGreaterThanOrEqual(before)
    expect(event.timestamp).toBeLessThanOrEqual(after)
    expect(await storedEvents()).toEqual([
      {
        metric_type: 'ui',
        metric_name: 'drawer-open',
        value: 1.5,
        metadata: JSON.stringify({ from: 'menu' }),
        timestamp: event.timestamp,
      },
    ])
    expect((await metricsDefinition.prepare(backend)).revision).toBe(1)
  })

  it('is counted by the query functions', async () => {
    const first = await recordMetric(backend, { type: 'latency', name: 'a', value: 10 })
    await recordMetric(backend, { type: 'latency', name: 'a', value: 30 })
    await recordMetric(backend, { type: 'latency', name: 'b', value: 5 })
    expect(await metricTotals(backend, { type: 'latency', name: 'a', from: first.timestamp })).toEqual({
      count: 2,
      sum: 40,
      min: 10,
      max: 30,
      avg: 20,
    })
  })

  it('records every one of concurrent calls', async () => {
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => recordMetric(backend, { type: 'burst', name: 'n', value: i })),
    )
    expect(await metricTotals(backend, { type: 'burst' })).toMatchObject({ count: 20, sum: 190 })
  })

  it('refuses what the store refuses, writing nothing', async () => {
    const bad: [unknown, string, string][] = [
      [{ type: '', name: 'a', value: 1 }, 'INVALID_VALUE', 'type'],
      [{ type: 't'.repeat(65), name: 'a', value: 1 }, 'INVALID_VALUE', 'type'],
      [{ type: 'ui', name: '', value: 1 }, 'INVALID_VALUE', 'name'],
      [{ type: 'ui', name: 'a', value: Number.NaN }, 'INVALID_VALUE', 'value'],
      [{ type: 'ui', name: 'a', value: '1' }, 'INVALID_VALUE', 'value'],
      [{ type: 'ui', name: 'a', value: 1, metadata: [1] }, 'INVALID_VALUE', 'metadata'],
      [null, 'INVALID_VALUE', 'event'],
    ]
    for (const [input, code, path] of bad)
      await expect(recordMetric(backend, input as RecordMetricInput), JSON.stringify(input)).rejects.toMatchObject({
        code,
        path,
      })
    await expect(
      recordMetric(backend, { type: 'ui', name: 'a', value: 1, metadata: { big: 1n } }),
    ).rejects.toMatchObject({ code: 'UNSTORABLE_VALUE' })
    expect(await storedEvents()).toEqual([])
    expect((await metricsDefinition.prepare(backend)).revision).toBe(0)
  })

  it('checks the store name before anything is read', async () => {
    await expect(recordMetric(backend, { type: 'ui', name: 'a', value: 1 }, { store: '' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    })
  })
})
