import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, LegacyImport, LegacyImportContext, StoredStateOptions } from '@zustand-sqlite/core'
import { importLegacyUXLabs, toPersistedUXLabs, uxLabsLegacy } from '@zustand-sqlite/store-labs'
import type { PersistedUXLabs, UXLabsStore } from '@zustand-sqlite/store-labs'
import { databaseOn, engines, failure, memoryLocalStorage } from '../../../test-utils/backends'

const legacy = uxLabsLegacy
const { definition, persistOptions } = legacy
type T = UXLabsStore
type P = PersistedUXLabs

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Every version the importer takes: the app's flat 0 and 1 (big-AGI 2.0 and now), and 2. */
const FIXTURES = ['app-ux-labs.v0.json', 'app-ux-labs.v1-2.0.json', 'app-ux-labs.v1-head.json', 'app-ux-labs.v2.json']

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
  'uxLabsLegacy on $name',
  (engine) => {
    const db = databaseOn(engine)

    it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
      const backend = await db.open()
      const { state, cleaned, report } = await importValue(backend, fixture(name))
      expect(state).toEqual(toPersistedUXLabs(importLegacyUXLabs(fixture(name))!))
      expect(cleaned).toBe(0)
      expect(report).toBeUndefined()
      await writeStoredState(backend, { ...stored, version: definition.version }, state)

      const raw = await readStoredState(backend, stored)
      expect(raw?.version).toBe(definition.version)
      expect(raw?.state).toEqual(state)
      const read = await definition.read(backend)
      expect(persisted(read.state)).toEqual(state)
      expect(legacy.count(raw?.state as unknown as P)).toEqual(legacy.count(state))
      expect(legacy.count(persisted(read.state))).toEqual(legacy.count(state))
    })

    it('counts flags, known and unknown, and experiments', async () => {
      const backend = await db.open()
      const { state } = await importValue(backend, fixture('app-ux-labs.v2.json'))
      // The 8 known flags and `labsFromTheFuture`; the configuration of `beam-layout`.
      expect(legacy.count(state)).toEqual({ flags: 9, experiments: 1 })
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
      // The legacy path reads what the rollback wrote at its version (2), and imports it again unchanged.
      expect(JSON.parse(value).version).toBe(2)
      expect((await importValue(backend, value)).state).toEqual(persisted(sqlite))
    })

    it('gives the importer typed errors for a corrupt value and a newer version', async () => {
      const backend = await db.open()
      const context = contextOf(backend)
      for (const raw of [
        '{not json',
        JSON.stringify({ state: 1, version: 1 }),
        fixture('app-ux-labs.v2-bad-flag.json'),
      ]) {
        const expected = await failure(() => importLegacyUXLabs(raw))
        expect(expected).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
        expect(await failure(() => legacy.import(raw, context))).toEqual(expected)
      }
      expect(await failure(() => legacy.import(fixture('app-ux-labs.v2-bad-flag.json'), context))).toMatchObject({
        path: 'app-ux-labs.enabledFlags.labsHighPerformance',
      })
      expect(await failure(() => legacy.import(fixture('app-ux-labs.v3-unknown.json'), context))).toMatchObject({
        code: 'MIGRATION_FAILED',
      })
      expect(await legacy.import(null, context)).toBeNull()
    })
  },
)

describe('uxLabsLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    expect(() => defineLegacyStore(legacy)).not.toThrow()
    expect(legacy).toMatchObject({ key: 'app-ux-labs', location: 'localStorage' })
    expect(legacy.definition.name).toBe(legacy.key)
    expect(legacy.persistOptions.name).toBe(legacy.key)
    expect(legacy.after).toBeUndefined()
  })
})
