import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyMetricsRetention,
  CHAT_GENERATE_METRIC_TYPE,
  createMetricsStore,
  importLegacyMetrics,
  metricTotals,
  topMetricNames,
} from '@zustand-sqlite/store-metrics'
import type { MetricsStoreApi, ServiceMetricsAggregate } from '@zustand-sqlite/store-metrics'
import { PROTOTYPE_NAMES, withStoreDatabase } from '../../../test-utils/stores'

/** Names that `Object.prototype` has: ids like any other for the store. */

/** The own entries of a record, sorted; fails when the record's prototype is not `Object.prototype`. */
function entriesOf<V>(record: Readonly<Record<string, V>>): [string, V][] {
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

const withDatabase = withStoreDatabase(createMetricsStore)

/** What the model keeps of an aggregate (dates come from the clock). */
const countsOf = (a: ServiceMetricsAggregate | undefined) =>
  a === undefined
    ? undefined
    : { usageCount: a.usageCount, totalInputTokens: a.totalInputTokens, totalOutputTokens: a.totalOutputTokens }

type Counts = NonNullable<ReturnType<typeof countsOf>>

const id = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom('openai', 'openai-1', 'x'))

describe('the metrics store with service ids and metric names that are Object.prototype names', () => {
  it('counts every cost entry in its own aggregate, through a write and a reload', async () => {
    const entry = fc.record({ serviceId: id, cents: fc.nat({ max: 500 }), tokens: fc.nat({ max: 1000 }) })
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 25 }), async (entries) => {
        await withDatabase(async (open, connect) => {
          const store = await open()
          const queries = connect()
          const model = new Map<string, Counts>()
          const sums = new Map<string, number>()
          for (const { serviceId, cents, tokens } of entries) {
            store.getState().addChatGenerateCostEntry({ $c: cents }, tokens, 1, serviceId, 'test')
            const before = model.get(serviceId)
            model.set(serviceId, {
              usageCount: (before?.usageCount ?? 0) + 1,
              totalInputTokens: (before?.totalInputTokens ?? 0) + tokens,
              totalOutputTokens: (before?.totalOutputTokens ?? 0) + 1,
            })
            sums.set(serviceId, (sums.get(serviceId) ?? 0) + cents * 0.01)
          }
          const expected = [...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          const check = (s: MetricsStoreApi): void => {
            const { serviceMetrics, getAggregateMetricsForService } = s.getState()
            expect(entriesOf(serviceMetrics).map(([k, a]) => [k, countsOf(a)])).toEqual(expected)
            for (const name of PROTOTYPE_NAMES)
              expect(countsOf(getAggregateMetricsForService(name))).toEqual(model.get(name))
          }
          check(store)
          await store.persist.flush()
          for (const [serviceId, sum] of sums) {
            const totals = await metricTotals(queries, { type: CHAT_GENERATE_METRIC_TYPE, name: serviceId })
            expect(totals.count).toBe(model.get(serviceId)?.usageCount)
            expect(totals.sum).toBeCloseTo(sum, 6)
          }
          check(await open())
        })
      }),
      { numRuns: 40 },
    )
  })

  it('records, queries and folds events of such types and names', async () => {
    const event = fc.record({ type: id, name: id, value: fc.integer({ min: 0, max: 100 }) })
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 25 }), async (events) => {
        await withDatabase(async (open, connect) => {
          const store = await open()
          const queries = connect()
          const counts = new Map<string, Map<string, number>>()
          for (const { type, name, value } of events) {
            store.getState().record(type, name, value, { [name]: value })
            const byName = counts.get(type) ?? new Map<string, number>()
            byName.set(name, (byName.get(name) ?? 0) + 1)
            counts.set(type, byName)
          }
          await store.persist.flush()
          const expectCounts = async (): Promise<void> => {
            for (const [type, byName] of counts) {
              const top = await topMetricNames(queries, { type, by: 'count', limit: 100 })
              expect(new Map(top.map((t) => [t.name, t.count]))).toEqual(byName)
              for (const [name, n] of byName) expect((await metricTotals(queries, { type, name })).count).toBe(n)
            }
          }
          await expectCounts()
          await applyMetricsRetention(queries, { maxRows: 0 })
          await expectCounts()
        })
      }),
      { numRuns: 25 },
    )
  })

  it('imports legacy aggregates of such services, and keeps them through a reload', async () => {
    const services = PROTOTYPE_NAMES.map((name, i) => `"${name}":{"usageCount":${i + 1},"totalCosts":0.5}`)
    const imported = importLegacyMetrics(`{"state":{"serviceMetrics":{${services.join(',')}}},"version":0}`)
    const expected = PROTOTYPE_NAMES.map((name, i) => [name, i + 1]).sort()
    expect(entriesOf(imported?.state.serviceMetrics ?? {}).map(([k, a]) => [k, a.usageCount])).toEqual(expected)
    await withDatabase(async (open) => {
      const store = await open()
      store.setState(imported?.state ?? {})
      await store.persist.flush()
      const again = (await open()).getState()
      expect(entriesOf(again.serviceMetrics).map(([k, a]) => [k, a.usageCount])).toEqual(expected)
      expect(again.getAggregateMetricsForService('__proto__')?.totalCosts).toBe(0.5)
    })
  })
})
