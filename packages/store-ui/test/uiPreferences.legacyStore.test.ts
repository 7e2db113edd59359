import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, LegacyImport, LegacyImportContext, StoredStateOptions } from '@zustand-sqlite/core'
import { importLegacyUIPreferences, uiPreferencesLegacy } from '@zustand-sqlite/store-ui'
import type { PersistedUIPreferences, UIPreferencesStore } from '@zustand-sqlite/store-ui'
import { databaseOn, engines, failure, memoryLocalStorage } from '../../../test-utils/backends'

const legacy = uiPreferencesLegacy
const { definition, persistOptions } = legacy
type T = UIPreferencesStore
type P = PersistedUIPreferences

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Every version the importer takes, 0 to 3. */
const FIXTURES = ['app-ui.v0.json', 'app-ui.v1.json', 'app-ui.v2.json', 'app-ui.v3.json']

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
  'uiPreferencesLegacy on $name',
  (engine) => {
    const db = databaseOn(engine)

    it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
      const backend = await db.open()
      const { state, cleaned, report } = await importValue(backend, fixture(name))
      expect(state).toEqual(importLegacyUIPreferences(fixture(name)))
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

    it('counts every stored key, unknown ones included', async () => {
      const backend = await db.open()
      const { state } = await importValue(backend, fixture('app-ui.v3.json'))
      // The 22 settings this package persists, and the app's stale `startupNewChat` and `autoSetChatTitle`.
      expect(legacy.count(state)).toEqual({ settings: 24 })
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
      // The app reads what the rollback wrote at its own version (3), and imports it again unchanged.
      expect(JSON.parse(value).version).toBe(3)
      expect((await importValue(backend, value)).state).toEqual(persisted(sqlite))
    })

    it('gives the importer typed errors for a corrupt value and a newer version', async () => {
      const backend = await db.open()
      const context = contextOf(backend)
      for (const raw of ['{not json', JSON.stringify({ state: 1, version: 3 }), fixture('app-ui.v3-bad-type.json')]) {
        const expected = await failure(() => importLegacyUIPreferences(raw))
        expect(expected).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
        expect(await failure(() => legacy.import(raw, context))).toEqual(expected)
      }
      expect(await failure(() => legacy.import(fixture('app-ui.v3-bad-type.json'), context))).toMatchObject({
        path: 'app-ui.centerMode',
      })
      expect(await failure(() => legacy.import(fixture('app-ui.v4-unknown.json'), context))).toMatchObject({
        code: 'MIGRATION_FAILED',
      })
      expect(await legacy.import(null, context)).toBeNull()
    })
  },
)

describe('uiPreferencesLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    expect(() => defineLegacyStore(legacy)).not.toThrow()
    expect(legacy).toMatchObject({ key: 'app-ui', location: 'localStorage' })
    expect(legacy.definition.name).toBe(legacy.key)
    expect(legacy.persistOptions.name).toBe(legacy.key)
    expect(legacy.after).toBeUndefined()
  })
})
