import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, LegacyImport, LegacyImportContext, StoredStateOptions } from '@zustand-sqlite/core'
import { chatsLegacy, importLegacyChats } from '@zustand-sqlite/store-chats'
import type { ChatsImportReport, ChatsStore, PersistedChats } from '@zustand-sqlite/store-chats'
import { databaseOn, engines, failure, memoryLocalStorage } from '../../../test-utils/backends'

const legacy = chatsLegacy
const { definition, persistOptions } = legacy
type T = ChatsStore
type P = PersistedChats

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Every version the importer takes: 3 (text messages) and 4, clean, messy, and with prototype names as ids. */
const FIXTURES = [
  'app-chats.v3.json',
  'app-chats.v4.json',
  'app-chats.v4-messy.json',
  'app-chats.v4-prototype-keys.json',
]

const contextOf = (backend: Backend): LegacyImportContext => ({ backend, imported: () => undefined })
const envelope = (state: unknown, version = 4): string => JSON.stringify({ state, version })
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
  'chatsLegacy on $name',
  (engine) => {
    const db = databaseOn(engine)

    it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
      const backend = await db.open()
      const { state, cleaned, report } = await importValue(backend, fixture(name))
      const { report: expectedReport } = importLegacyChats(fixture(name))!
      expect(report).toEqual(expectedReport)
      // The messy file holds a conversation without messages or title beside others: the store leaves it out.
      const leftOut = name === 'app-chats.v4-messy.json' ? 1 : 0
      expect(cleaned).toBe(expectedReport.issues.length + leftOut)
      expect(legacy.count(state)).toEqual({
        conversations: expectedReport.conversations - leftOut,
        messages: expectedReport.messages,
        fragments: expectedReport.fragments,
      })
      await writeStoredState(backend, { ...stored, version: definition.version }, state)

      const raw = await readStoredState(backend, stored)
      expect(raw?.version).toBe(definition.version)
      expect(raw?.state).toEqual(state)
      const read = await definition.read(backend)
      expect(persisted(read.state)).toEqual(state)
      expect(legacy.count(raw?.state as unknown as P)).toEqual(legacy.count(state))
      expect(legacy.count(persisted(read.state))).toEqual(legacy.count(state))
    })

    it('leaves out empty conversations beside others, as the store does, and counts them as cleaned', async () => {
      const backend = await db.open()
      const message = {
        id: 'm1',
        role: 'user',
        fragments: [{ ft: 'content', fId: 'f1', part: { pt: 'text', text: 'hi' } }],
        tokenCount: 0,
        created: 1,
        updated: null,
      }
      const kept = {
        id: 'kept',
        messages: [message],
        systemPurposeId: 'Generic',
        created: 1,
        updated: 2,
        tokenCount: 0,
      }
      const empty = { id: 'empty', messages: [], systemPurposeId: 'Generic', created: 3, updated: null, tokenCount: 0 }
      const imported = await importValue(backend, envelope({ conversations: [empty, kept] }))
      expect(imported.state.conversations.map((c) => c.id)).toEqual(['kept'])
      expect(imported.cleaned).toBe(1)
      expect((imported.report as ChatsImportReport).issues).toEqual([])
      expect(legacy.count(imported.state)).toEqual({ conversations: 1, messages: 1, fragments: 1 })
      // A single conversation is kept, empty or not, as the app keeps it.
      const single = await importValue(backend, envelope({ conversations: [empty] }))
      expect(single.state.conversations.map((c) => c.id)).toEqual(['empty'])
      expect(single.cleaned).toBe(0)
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
      // The app reads what the rollback wrote at its own version (4), and imports it again unchanged.
      expect(JSON.parse(value).version).toBe(4)
      expect((await importValue(backend, value)).state).toEqual(persisted(sqlite))
    })

    it('gives the importer typed errors for a corrupt value and a newer version', async () => {
      const backend = await db.open()
      const context = contextOf(backend)
      for (const raw of ['{not json', envelope(1), JSON.stringify(envelope({ conversations: [] }, 2.5))]) {
        const expected = await failure(() => importLegacyChats(raw))
        expect(expected).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
        expect(await failure(() => legacy.import(raw, context))).toEqual(expected)
      }
      // Version 1 (a single chat) is one the app itself no longer reads.
      expect(await failure(() => legacy.import(fixture('app-chats.v1.json'), context))).toMatchObject({
        code: 'MIGRATION_FAILED',
      })
      expect(await failure(() => legacy.import(fixture('app-chats.v5-unknown.json'), context))).toMatchObject({
        code: 'MIGRATION_FAILED',
      })
      expect(await legacy.import(null, context)).toBeNull()
    })
  },
)

describe('chatsLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    expect(() => defineLegacyStore(legacy)).not.toThrow()
    expect(legacy).toMatchObject({ key: 'app-chats', location: 'indexedDB' })
    expect(legacy.definition.name).toBe(legacy.key)
    expect(legacy.persistOptions.name).toBe(legacy.key)
    expect(legacy.after).toBeUndefined()
  })
})
