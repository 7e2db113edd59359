import { describe, expect, it } from 'vitest'
import { createJSONStorage, persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import {
  createMetricsState,
  importLegacyMetrics,
  metricsLegacy,
  metricsLegacyPersistOptions,
} from '@zustand-sqlite/store-metrics'
import type { MetricsImport } from '@zustand-sqlite/store-metrics'
import { databaseOn } from '../../../test-utils/backends'
import { legacyEngines, legacyStoreHarness } from '../../../test-utils/legacyStores'

const legacy = metricsLegacy
const h = legacyStoreHarness(legacy)

const envelope = (state: unknown, version = 0): string => JSON.stringify({ state, version })
const aggregate = (usageCount: number, extra: object = {}) => ({
  totalCosts: usageCount * 0.0125,
  totalSavings: 0.002,
  totalInputTokens: usageCount * 1200,
  totalOutputTokens: usageCount * 300,
  usageCount,
  firstUsageDate: 1716000000000,
  lastUsageDate: 1716000000000 + usageCount,
  freeUsages: 0,
  noPricingUsages: 1,
  noTokenUsages: 0,
  partialMessageUsages: 0,
  partialPriceUsages: 0,
  ...extra,
})
/** What `app-metrics` holds, at its only version (0): as the app writes it now, as older releases (fewer counters), messy, and empty. */
const VALUES: Record<string, string> = {
  'app-metrics.v0': envelope({
    serviceMetrics: { openai: aggregate(12), 'anthropic-1': aggregate(3, { freeUsages: 1 }) },
  }),
  'app-metrics.v0-older': envelope({
    serviceMetrics: {
      openai: {
        totalCosts: 0.5,
        totalInputTokens: 400,
        totalOutputTokens: 90,
        usageCount: 2,
        firstUsageDate: 1,
        lastUsageDate: 2,
      },
    },
  }),
  'app-metrics.v0-messy': envelope({
    serviceMetrics: {
      openai: aggregate(3, { futureField: 'kept' }),
      bad: { totalCosts: 'x', usageCount: -2, totalOutputTokens: 7.9, noTokenUsages: null },
      broken: 42,
    },
  }),
  'app-metrics.v0-empty': envelope({}),
}
const fixture = (name: string): string => VALUES[name] as string
const FIXTURES = Object.keys(VALUES)

describe.each(legacyEngines)('metricsLegacy on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
    const backend = await db.open()
    const { state, cleaned, report } = await h.importValue(backend, fixture(name))
    const { state: expected, problems } = importLegacyMetrics(fixture(name)) as MetricsImport
    expect(state).toEqual(expected)
    expect(report).toEqual({ problems })
    expect(cleaned).toBe(problems.length)
    await h.expectImportReadsBack(backend, state)
  })

  it('counts the services, and reports the repairs of messy aggregates as cleaned', async () => {
    const backend = await db.open()
    expect(legacy.count((await h.importValue(backend, fixture('app-metrics.v0'))).state)).toEqual({ services: 2 })
    const messy = await h.importValue(backend, fixture('app-metrics.v0-messy'))
    // `broken` (not an object) is skipped; four values of `bad` are repaired.
    expect(legacy.count(messy.state)).toEqual({ services: 2 })
    expect(messy.cleaned).toBe(5)
  })

  it.each(FIXTURES)('rolls %s back: the legacy persist hydrates what SQLite holds', async (name) => {
    await h.expectRollbackRoundTrip(await db.open(), fixture(name), { version: 0 })
  })

  it('gives the importer typed errors for a corrupt value and a newer version', async () => {
    await h.expectTypedErrors(await db.open(), {
      importer: importLegacyMetrics,
      invalid: ['{not json', envelope(1), envelope({ serviceMetrics: [] })],
      invalidAt: { raw: envelope({ serviceMetrics: [] }), path: 'app-metrics.serviceMetrics' },
      refused: [envelope({ serviceMetrics: {} }, 1)],
    })
  })
})

describe('metricsLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    h.expectDeclared({ key: 'app-metrics', location: 'localStorage' })
  })
})

describe('the legacy path (metricsLegacyPersistOptions)', () => {
  const hydrate = async (value: string) => {
    const items = new Map([['app-metrics', value]])
    const storage = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, text: string) => void items.set(key, text),
      removeItem: (key: string) => void items.delete(key),
    }
    const store = createStore(
      persist(createMetricsState(), { ...metricsLegacyPersistOptions, storage: createJSONStorage(() => storage) }),
    )
    await store.persist.rehydrate()
    return store.getState()
  }

  it('reads the aggregates as the importer does: a counter the app never wrote is 0, so SQLite can store the state', async () => {
    const state = await hydrate(envelope({ serviceMetrics: { openrouter: { totalCosts: 1.5, usageCount: 3 } } }))
    expect(state.serviceMetrics['openrouter']).toEqual(
      importLegacyMetrics(envelope({ serviceMetrics: { openrouter: { totalCosts: 1.5, usageCount: 3 } } }))?.state
        .serviceMetrics['openrouter'],
    )
    expect(state.serviceMetrics['openrouter']).toMatchObject({ usageCount: 3, noTokenUsages: 0, partialPriceUsages: 0 })
  })

  it('merges a value the importer refuses as Zustand would, without failing the hydration', async () => {
    const state = await hydrate(envelope({ serviceMetrics: 'not an object' }))
    expect(state.serviceMetrics).toBe('not an object')
  })
})
