import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, LegacyImport, LegacyImportContext, StoredStateOptions } from '@zustand-sqlite/core'
import { importLegacyMetrics, metricsLegacy } from '@zustand-sqlite/store-metrics'
import type { MetricsImport, MetricsState, MetricsStore } from '@zustand-sqlite/store-metrics'
import { databaseOn, engines, failure, memoryLocalStorage } from '../../../test-utils/backends'

const legacy = metricsLegacy
const { definition, persistOptions } = legacy
type T = MetricsStore
type P = MetricsState

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

const contextOf = (backend: Backend): LegacyImportContext => ({ backend, imported: () => undefined })
const stored: StoredStateOptions = {
  name: definition.name,
  ...(definition.schema === undefined ? {} : { schema: definition.schema }),
  ...(definition.json === undefined ? {} : { json: definition.json }),
}
/** What SQLite stores of a state. */
const persisted = (state: T): P => (definition.partialize as (state: T) => P)(state)
/** What the legacy `persist` wrote of a state. */
const legacyPersisted = (state: T): unknown => (persistOptions.partialize as (state: T) => unknown)(state)

async function importValue(backend: Backend, raw: unknown): Promise<LegacyImport<P>> {
  const imported = await legacy.import(raw, contextOf(backend))
  if (imported === null) throw new Error('nothing imported')
  return imported
}

/** A store on the legacy path, hydrated from `value` as Zustand's `persist` reads it from localStorage. */
async function hydrateLegacy(value: string): Promise<T> {
  const { storage } = memoryLocalStorage({ [legacy.key]: value })
  const errors: unknown[] = []
  const creator = (legacy.legacyState?.() ?? definition.state({})) as StateCreator<T, [], [], T>
  const store = createStore<T>()(
    persist(creator, {
      ...persistOptions,
      storage: createJSONStorage(() => storage),
      skipHydration: true,
      onRehydrateStorage: () => (_state, error) => void (error === undefined || errors.push(error)),
    }),
  )
  await store.persist.rehydrate()
  expect(errors).toEqual([])
  expect(store.persist.hasHydrated()).toBe(true)
  return store.getState()
}

describe.each(engines.filter((e) => e.name === 'better-sqlite3' || e.name === 'sql.js'))(
  'metricsLegacy on $name',
  (engine) => {
    const db = databaseOn(engine)

    it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
      const backend = await db.open()
      const { state, cleaned, report } = await importValue(backend, fixture(name))
      const { state: expected, problems } = importLegacyMetrics(fixture(name)) as MetricsImport
      expect(state).toEqual(expected)
      expect(report).toEqual({ problems })
      expect(cleaned).toBe(problems.length)
      await writeStoredState(backend, { ...stored, version: definition.version }, state)

      const raw = await readStoredState(backend, stored)
      expect(raw?.version).toBe(definition.version)
      expect(raw?.state).toEqual(state)
      const read = await definition.read(backend)
      expect(persisted(read.state)).toEqual(state)
      expect(legacy.count(raw?.state as unknown as P)).toEqual(legacy.count(state))
      expect(legacy.count(persisted(read.state))).toEqual(legacy.count(state))
    })

    it('counts the services, and reports the repairs of messy aggregates as cleaned', async () => {
      const backend = await db.open()
      expect(legacy.count((await importValue(backend, fixture('app-metrics.v0'))).state)).toEqual({ services: 2 })
      const messy = await importValue(backend, fixture('app-metrics.v0-messy'))
      // `broken` (not an object) is skipped; four values of `bad` are repaired.
      expect(legacy.count(messy.state)).toEqual({ services: 2 })
      expect(messy.cleaned).toBe(5)
    })

    it.each(FIXTURES)('rolls %s back: the legacy persist hydrates what SQLite holds', async (name) => {
      const backend = await db.open()
      await writeStoredState(
        backend,
        { ...stored, version: definition.version },
        (await importValue(backend, fixture(name))).state,
      )
      const { state: sqlite } = await definition.read(backend)
      const value = JSON.stringify({ state: legacyPersisted(sqlite), version: persistOptions.version })

      const hydrated = await hydrateLegacy(value)
      expect(legacyPersisted(hydrated)).toEqual(legacyPersisted(sqlite))
      expect(persisted(hydrated)).toEqual(persisted(sqlite))
      // The app reads what the rollback wrote at its own version (0), and imports it again unchanged.
      expect(JSON.parse(value).version).toBe(0)
      expect((await importValue(backend, value)).state).toEqual(persisted(sqlite))
    })

    it('gives the importer typed errors for a corrupt value and a newer version', async () => {
      const backend = await db.open()
      const context = contextOf(backend)
      for (const raw of ['{not json', envelope(1), envelope({ serviceMetrics: [] })]) {
        const expected = await failure(() => importLegacyMetrics(raw))
        expect(expected).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
        expect(await failure(() => legacy.import(raw, context))).toEqual(expected)
      }
      expect(await failure(() => legacy.import(envelope({ serviceMetrics: [] }), context))).toMatchObject({
        path: 'app-metrics.serviceMetrics',
      })
      expect(await failure(() => legacy.import(envelope({ serviceMetrics: {} }, 1), context))).toMatchObject({
        code: 'MIGRATION_FAILED',
      })
      expect(await legacy.import(null, context)).toBeNull()
    })
  },
)

describe('metricsLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    expect(() => defineLegacyStore(legacy)).not.toThrow()
    expect(legacy).toMatchObject({ key: 'app-metrics', location: 'localStorage' })
    expect(legacy.definition.name).toBe(legacy.key)
    expect(legacy.persistOptions.name).toBe(legacy.key)
    expect(legacy.after).toBeUndefined()
  })
})
