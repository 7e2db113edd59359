import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, LegacyImport, LegacyImportContext, StoredStateOptions } from '@zustand-sqlite/core'
import { chatFoldersLegacy, importLegacyChatFolders } from '@zustand-sqlite/store-folders'
import type { ChatFoldersState, ChatFoldersStore } from '@zustand-sqlite/store-folders'
import { databaseOn, engines, failure, memoryLocalStorage } from '../../../test-utils/backends'

const legacy = chatFoldersLegacy
const { definition, persistOptions } = legacy
type T = ChatFoldersStore
type P = ChatFoldersState

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Version 0, the only one the app wrote: folders of 2024 (UUIDs), with colors, and messy. */
const FIXTURES = ['app-folders.v0-2024.json', 'app-folders.v0-colors.json', 'app-folders.v0-messy.json']

const contextOf = (backend: Backend, chats?: unknown): LegacyImportContext => ({
  backend,
  imported: (store) => (store === 'app-chats' ? chats : undefined),
})
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
  'chatFoldersLegacy on $name',
  (engine) => {
    const db = databaseOn(engine)

    it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
      const backend = await db.open()
      const { state, cleaned, report } = await importValue(backend, fixture(name))
      const { state: expected, dangling, skipped } = importLegacyChatFolders(fixture(name))!
      expect(state).toEqual(expected)
      // Without the chats in the migration, no link is dangling.
      expect(report).toEqual({ dangling: [], skipped })
      expect(cleaned).toBe(skipped.length)
      expect(dangling).toEqual([])
      await writeStoredState(backend, { ...stored, version: definition.version }, state)

      const raw = await readStoredState(backend, stored)
      expect(raw?.version).toBe(definition.version)
      expect(raw?.state).toEqual(state)
      const read = await definition.read(backend)
      expect(persisted(read.state)).toEqual(state)
      expect(legacy.count(raw?.state as unknown as P)).toEqual(legacy.count(state))
      expect(legacy.count(persisted(read.state))).toEqual(legacy.count(state))
    })

    it('counts folders and links', async () => {
      const backend = await db.open()
      expect(legacy.count((await importValue(backend, fixture('app-folders.v0-2024.json'))).state)).toEqual({
        folders: 3,
        links: 3,
      })
    })

    it('drops links to conversations the chats import does not hold, reporting them', async () => {
      const backend = await db.open()
      const chats = {
        conversations: [
          { id: 'conv-a', messages: [] },
          { id: 'conv-b', messages: [] },
        ],
      }
      const imported = await legacy.import(fixture('app-folders.v0-messy.json'), contextOf(backend, chats))
      const expected = importLegacyChatFolders(fixture('app-folders.v0-messy.json'), {
        conversationIds: ['conv-a', 'conv-b'],
      })!
      expect(expected.dangling).toEqual([
        { folderId: 'V1StGXR8_Z5jdHi6B-myT', conversationId: 'conv-gone' },
        { folderId: 'lOkXVn2r4kvZ7h_1Wq9Yp', conversationId: 'conv-c' },
        { folderId: 'lOkXVn2r4kvZ7h_1Wq9Yp', conversationId: 'incognito-1' },
      ])
      expect(imported).toEqual({
        state: expected.state,
        cleaned: expected.dangling.length + expected.skipped.length,
        report: { dangling: expected.dangling, skipped: expected.skipped },
      })
      expect(legacy.count(imported!.state)).toEqual({ folders: 3, links: 2 })
      // Without them (the chats not migrated), every link stays.
      expect(legacy.count((await importValue(backend, fixture('app-folders.v0-messy.json'))).state)).toEqual({
        folders: 3,
        links: 5,
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
      // The app reads what the rollback wrote at its own version (0), and imports it again unchanged.
      expect(JSON.parse(value).version).toBe(0)
      expect((await importValue(backend, value)).state).toEqual(persisted(sqlite))
    })

    it('gives the importer typed errors for a corrupt value and a newer version', async () => {
      const backend = await db.open()
      const context = contextOf(backend)
      const notAnArray = JSON.stringify({ state: { folders: {} }, version: 0 })
      for (const raw of ['{not json', JSON.stringify({ state: 1, version: 0 }), notAnArray]) {
        const expected = await failure(() => importLegacyChatFolders(raw))
        expect(expected).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
        expect(await failure(() => legacy.import(raw, context))).toEqual(expected)
      }
      expect(await failure(() => legacy.import(notAnArray, context))).toMatchObject({ path: 'app-folders.folders' })
      expect(await failure(() => legacy.import(fixture('app-folders.v1-unknown.json'), context))).toMatchObject({
        code: 'MIGRATION_FAILED',
      })
      expect(await legacy.import(null, context)).toBeNull()
    })
  },
)

describe('chatFoldersLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    expect(() => defineLegacyStore(legacy)).not.toThrow()
    expect(legacy).toMatchObject({ key: 'app-folders', location: 'localStorage' })
    expect(legacy.definition.name).toBe(legacy.key)
    expect(legacy.persistOptions.name).toBe(legacy.key)
    expect(legacy.after).toEqual(['app-chats'])
  })
})
