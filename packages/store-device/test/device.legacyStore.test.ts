import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, LegacyImport, LegacyImportContext, StoredStateOptions } from '@zustand-sqlite/core'
import { deviceLegacy, importLegacyDevice } from '@zustand-sqlite/store-device'
import type { DeviceState, DeviceStore } from '@zustand-sqlite/store-device'
import { databaseOn, engines, failure, memoryLocalStorage } from '../../../test-utils/backends'

const legacy = deviceLegacy
const { definition, persistOptions } = legacy
type T = DeviceStore
type P = DeviceState

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Every version the importer takes, 0 and 1, and the app's server-rendering placeholder id. */
const FIXTURES = ['app-device.v0.json', 'app-device.v1.json', 'app-device.v1-stale.json']

const contextOf = (backend: Backend): LegacyImportContext => ({ backend, imported: () => undefined })
const stored: StoredStateOptions = {
  name: definition.name,
  ...(definition.schema === undefined ? {} : { schema: definition.schema }),
  ...(definition.json === undefined ? {} : { json: definition.json }),
}
/** The state without its actions: what both `persistSQLite` and the legacy `persist` store (neither partializes). */
const withoutActions = (state: T): P =>
  Object.fromEntries(Object.entries(state).filter(([, value]) => typeof value !== 'function')) as P
const persisted = withoutActions
const legacyPersisted = withoutActions

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
  'deviceLegacy on $name',
  (engine) => {
    const db = databaseOn(engine)

    it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
      const backend = await db.open()
      const { state, cleaned, report } = await importValue(backend, fixture(name))
      expect(state).toEqual(importLegacyDevice(fixture(name)))
      // The app's server-rendering placeholder id is read as no id: one thing cleaned.
      expect(cleaned).toBe(name === 'app-device.v1-stale.json' ? 1 : 0)
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

    it('counts the stored keys, unknown ones included, and whether the device has an id', async () => {
      const backend = await db.open()
      expect(legacy.count((await importValue(backend, fixture('app-device.v1.json'))).state)).toEqual({
        settings: 1,
        ids: 1,
      })
      // The placeholder is no id; `deviceName` and `syncEnabled` are kept.
      expect(legacy.count((await importValue(backend, fixture('app-device.v1-stale.json'))).state)).toEqual({
        settings: 3,
        ids: 0,
      })
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
      // The app reads what the rollback wrote at its own version (1), and imports it again unchanged.
      expect(JSON.parse(value).version).toBe(1)
      expect((await importValue(backend, value)).state).toEqual(persisted(sqlite))
    })

    it('gives the importer typed errors for a corrupt value and a newer version', async () => {
      const backend = await db.open()
      const context = contextOf(backend)
      for (const raw of ['{not json', JSON.stringify({ state: 1, version: 1 }), fixture('app-device.v1-bad-id.json')]) {
        const expected = await failure(() => importLegacyDevice(raw))
        expect(expected).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
        expect(await failure(() => legacy.import(raw, context))).toEqual(expected)
      }
      expect(await failure(() => legacy.import(fixture('app-device.v1-bad-id.json'), context))).toMatchObject({
        path: 'app-device.localDeviceId',
      })
      expect(await failure(() => legacy.import(fixture('app-device.v2-unknown.json'), context))).toMatchObject({
        code: 'MIGRATION_FAILED',
      })
      expect(await legacy.import(null, context)).toBeNull()
    })
  },
)

describe('deviceLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    expect(() => defineLegacyStore(legacy)).not.toThrow()
    expect(legacy).toMatchObject({ key: 'app-device', location: 'localStorage' })
    expect(legacy.definition.name).toBe(legacy.key)
    expect(legacy.persistOptions.name).toBe(legacy.key)
    expect(legacy.after).toBeUndefined()
  })
})
