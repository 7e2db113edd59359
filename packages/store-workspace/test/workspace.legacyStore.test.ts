import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, LegacyImport, LegacyImportContext, StoredStateOptions } from '@zustand-sqlite/core'
import {
  importLegacyWorkspace,
  listWorkspaceHistory,
  readWorkspaceFile,
  workspaceLegacy,
} from '@zustand-sqlite/store-workspace'
import type { WorkspaceState, WorkspaceStore } from '@zustand-sqlite/store-workspace'
import { databaseOn, engines, failure, memoryLocalStorage } from '../../../test-utils/backends'

const legacy = workspaceLegacy
const { definition, persistOptions } = legacy
type T = WorkspaceStore
type P = WorkspaceState

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const envelope = (state: unknown, version = 0): string => JSON.stringify({ state, version })
/** What `agi-client-workspace` holds, at its only version (0): clean, and messy. */
const VALUES: Record<string, string> = {
  'agi-client-workspace.v0': envelope({ liveFilesByWorkspace: { 'conv-a': ['lf-1'], 'conv-b': ['lf-2', 'lf-1'] } }),
  'agi-client-workspace.v0-messy.json': fixture('agi-client-workspace.v0-messy.json'),
}
const FIXTURES = Object.keys(VALUES)
const valueOf = (name: string): string => VALUES[name] as string

const contextOf = (backend: Backend): LegacyImportContext => ({ backend, imported: () => undefined })
const stored: StoredStateOptions = {
  name: definition.name,
  ...(definition.schema === undefined ? {} : { schema: definition.schema }),
  ...(definition.json === undefined ? {} : { json: definition.json }),
}
/** The state without its actions: what SQLite stores of it (the definition has no `partialize`). */
const persisted = (state: T): P =>
  Object.fromEntries(Object.entries(state).filter(([, value]) => typeof value !== 'function')) as P
/** What the legacy `persist` wrote of a state: the assignments. */
const legacyPersisted = (state: T): unknown => (persistOptions.partialize as (state: T) => unknown)(state)

async function importValue(backend: Backend, raw: unknown): Promise<LegacyImport<P>> {
  const imported = await legacy.import(raw, contextOf(backend))
  if (imported === null) throw new Error('nothing imported')
  return imported
}

/** Files `lf-1` and `lf-2` in the SQLite workspace, made by the store's own `createFile` (content and history). */
async function holdFiles(backend: Backend): Promise<void> {
  await definition.update(backend, (store) => {
    for (const id of ['lf-1', 'lf-2']) store.getState().createFile({ id, name: `${id}.md`, content: `# ${id}` })
  })
}

/** Writes an import as a migration must: against what the database holds, so content and history stay. */
async function writeImport(backend: Backend, state: P): Promise<void> {
  const previous = await readStoredState(backend, stored)
  await writeStoredState(backend, { ...stored, version: definition.version, previous }, state)
}

/** A store on the legacy path, hydrated from `value` as Zustand's `persist` reads it from localStorage. */
async function hydrateLegacy(value: string): Promise<T> {
  const { storage } = memoryLocalStorage({ [legacy.key]: value })
  const errors: unknown[] = []
  const creator = (legacy.legacyState?.() ?? definition.state({})) as unknown as StateCreator<T, [], [], T>
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
  'workspaceLegacy on $name',
  (engine) => {
    const db = databaseOn(engine)

    it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
      const backend = await db.open()
      await holdFiles(backend)
      const held = persisted((await definition.read(backend)).state)
      const { state, cleaned, report } = await importValue(backend, valueOf(name))
      const expected = importLegacyWorkspace(valueOf(name), { fileIds: ['lf-1', 'lf-2'] })!
      expect(state).toEqual({ ...held, liveFilesByWorkspace: expected.liveFilesByWorkspace })
      expect(report).toEqual({ dangling: expected.dangling, skipped: expected.skipped })
      expect(cleaned).toBe(expected.dangling.length + expected.skipped.length)
      await writeImport(backend, state)

      const raw = await readStoredState(backend, stored)
      expect(raw?.version).toBe(definition.version)
      expect(raw?.state).toEqual(state)
      const read = await definition.read(backend)
      expect(persisted(read.state)).toEqual(state)
      expect(legacy.count(raw?.state as unknown as P)).toEqual(legacy.count(state))
      expect(legacy.count(persisted(read.state))).toEqual(legacy.count(state))
      // What the workspace held stays: the files' content and their history.
      expect(await readWorkspaceFile(backend, 'lf-2')).toBe('# lf-2')
      expect(await listWorkspaceHistory(backend)).toHaveLength(2)
    })

    it('keeps only the assignments of files the workspace holds, reporting the others', async () => {
      const backend = await db.open()
      const empty = await importValue(backend, valueOf('agi-client-workspace.v0'))
      // A new workspace holds no file: every assignment names a live file the app itself drops at load.
      expect(empty.state.liveFilesByWorkspace).toEqual({})
      expect(empty.report).toMatchObject({
        dangling: [
          { workspaceId: 'conv-a', fileId: 'lf-1' },
          { workspaceId: 'conv-b', fileId: 'lf-2' },
          { workspaceId: 'conv-b', fileId: 'lf-1' },
        ],
      })
      expect(empty.cleaned).toBe(5)
      expect(legacy.count(empty.state)).toEqual({ workspaces: 0, assignments: 0, files: 0, folders: 0 })

      await holdFiles(backend)
      const held = await importValue(backend, valueOf('agi-client-workspace.v0'))
      expect(held.state.liveFilesByWorkspace).toEqual({ 'conv-a': ['lf-1'], 'conv-b': ['lf-2', 'lf-1'] })
      expect(held.cleaned).toBe(0)
      expect(legacy.count(held.state)).toEqual({ workspaces: 2, assignments: 3, files: 2, folders: 0 })
    })

    it('adds the imported assignments to those the workspace holds', async () => {
      const backend = await db.open()
      await holdFiles(backend)
      await definition.update(backend, (store) => {
        store.getState().liveFileAssign('conv-a', 'lf-2')
        store.getState().liveFileAssign('conv-z', 'lf-1')
      })
      const { state } = await importValue(backend, valueOf('agi-client-workspace.v0'))
      expect(state.liveFilesByWorkspace).toEqual({
        'conv-a': ['lf-2', 'lf-1'],
        'conv-z': ['lf-1'],
        'conv-b': ['lf-2', 'lf-1'],
      })
      expect(legacy.count(state)).toMatchObject({ workspaces: 3, assignments: 5 })
    })

    it.each(FIXTURES)('rolls %s back: the legacy persist hydrates what SQLite holds', async (name) => {
      const backend = await db.open()
      await holdFiles(backend)
      await writeImport(backend, (await importValue(backend, valueOf(name))).state)
      const { state: sqlite } = await definition.read(backend)
      expect(Object.keys(sqlite.liveFilesByWorkspace)).not.toHaveLength(0)
      const value = JSON.stringify({ state: legacyPersisted(sqlite), version: persistOptions.version })

      const hydrated = await hydrateLegacy(value)
      expect(legacyPersisted(hydrated)).toEqual(legacyPersisted(sqlite))
      expect(hydrated.liveFilesByWorkspace).toEqual(sqlite.liveFilesByWorkspace)
      // The app reads what the rollback wrote at its own version (0): the assignments alone.
      expect(JSON.parse(value)).toEqual({ state: { liveFilesByWorkspace: sqlite.liveFilesByWorkspace }, version: 0 })
      expect((await importValue(backend, value)).state).toEqual(persisted(sqlite))
    })

    it('gives the importer typed errors for a corrupt value and a newer version', async () => {
      const backend = await db.open()
      const context = contextOf(backend)
      const notAnObject = envelope({ liveFilesByWorkspace: [] })
      for (const raw of ['{not json', envelope(1), notAnObject]) {
        const expected = await failure(() => importLegacyWorkspace(raw))
        expect(expected).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
        expect(await failure(() => legacy.import(raw, context))).toEqual(expected)
      }
      expect(await failure(() => legacy.import(notAnObject, context))).toMatchObject({
        path: 'agi-client-workspace.liveFilesByWorkspace',
      })
      const newer = envelope({ liveFilesByWorkspace: {} }, 1)
      expect(await failure(() => legacy.import(newer, context))).toEqual(
        await failure(() => importLegacyWorkspace(newer)),
      )
      expect(await failure(() => legacy.import(newer, context))).toMatchObject({ code: 'MIGRATION_FAILED' })
      expect(await legacy.import(null, context)).toBeNull()
    })
  },
)

describe('workspaceLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    expect(() => defineLegacyStore(legacy)).not.toThrow()
    expect(legacy).toMatchObject({ key: 'agi-client-workspace', location: 'localStorage' })
    expect(legacy.definition.name).toBe(legacy.key)
    expect(legacy.persistOptions.name).toBe(legacy.key)
    expect(legacy.after).toBeUndefined()
  })

  it('refuses, on the legacy path, a version the app never wrote', async () => {
    const { storage } = memoryLocalStorage({ [legacy.key]: envelope({ liveFilesByWorkspace: { c: ['f'] } }, 1) })
    const errors: unknown[] = []
    const store = createStore<T>()(
      persist(definition.state({}) as unknown as StateCreator<T, [], [], T>, {
        ...persistOptions,
        storage: createJSONStorage(() => storage),
        skipHydration: true,
        onRehydrateStorage: () => (_state, error) => void (error === undefined || errors.push(error)),
      }),
    )
    await store.persist.rehydrate()
    expect(errors).toMatchObject([{ code: 'MIGRATION_FAILED' }])
    expect(store.getState().liveFilesByWorkspace).toEqual({})
  })
})
