import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { Backend } from '@zustand-sqlite/core'
import {
  importLegacyWorkspace,
  listWorkspaceHistory,
  readWorkspaceFile,
  workspaceLegacy,
} from '@zustand-sqlite/store-workspace'
import { databaseOn } from '../../../test-utils/backends'
import { legacyEngines, legacyStoreHarness } from '../../../test-utils/legacyStores'

const legacy = workspaceLegacy
const { definition } = legacy
// An import carries the files the workspace holds: written against them, their content and history stay.
const h = legacyStoreHarness(legacy, { againstHeld: true })

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
const envelope = (state: unknown, version = 0): string => JSON.stringify({ state, version })
/** What `agi-client-workspace` holds, at its only version (0): clean, and messy. */
const VALUES: Record<string, string> = {
  'agi-client-workspace.v0': envelope({ liveFilesByWorkspace: { 'conv-a': ['lf-1'], 'conv-b': ['lf-2', 'lf-1'] } }),
  'agi-client-workspace.v0-messy.json': fixture('agi-client-workspace.v0-messy.json'),
}
const FIXTURES = Object.keys(VALUES)
const valueOf = (name: string): string => VALUES[name] as string

/** Files `lf-1` and `lf-2` in the SQLite workspace, made by the store's own `createFile` (content and history). */
async function holdFiles(backend: Backend): Promise<void> {
  await definition.update(backend, (store) => {
    for (const id of ['lf-1', 'lf-2']) store.getState().createFile({ id, name: `${id}.md`, content: `# ${id}` })
  })
}

describe.each(legacyEngines)('workspaceLegacy on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
    const backend = await db.open()
    await holdFiles(backend)
    const held = h.persisted((await definition.read(backend)).state)
    const { state, cleaned, report } = await h.importValue(backend, valueOf(name))
    const expected = importLegacyWorkspace(valueOf(name), { fileIds: ['lf-1', 'lf-2'] })!
    expect(state).toEqual({ ...held, liveFilesByWorkspace: expected.liveFilesByWorkspace })
    expect(report).toEqual({ dangling: expected.dangling, skipped: expected.skipped })
    expect(cleaned).toBe(expected.dangling.length + expected.skipped.length)
    await h.expectImportReadsBack(backend, state)
    // What the workspace held stays: the files' content and their history.
    expect(await readWorkspaceFile(backend, 'lf-2')).toBe('# lf-2')
    expect(await listWorkspaceHistory(backend)).toHaveLength(2)
  })

  it('keeps only the assignments of files the workspace holds, reporting the others', async () => {
    const backend = await db.open()
    const empty = await h.importValue(backend, valueOf('agi-client-workspace.v0'))
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
    const held = await h.importValue(backend, valueOf('agi-client-workspace.v0'))
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
    const { state } = await h.importValue(backend, valueOf('agi-client-workspace.v0'))
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
    const { sqlite, hydrated, value } = await h.expectRollbackRoundTrip(backend, valueOf(name), {
      version: 0,
      legacyHoldsAll: false,
    })
    expect(Object.keys(sqlite.liveFilesByWorkspace)).not.toHaveLength(0)
    expect(hydrated.liveFilesByWorkspace).toEqual(sqlite.liveFilesByWorkspace)
    // The app reads what the rollback wrote: the assignments alone.
    expect(JSON.parse(value)).toEqual({ state: { liveFilesByWorkspace: sqlite.liveFilesByWorkspace }, version: 0 })
  })

  it('gives the importer typed errors for a corrupt value and a newer version', async () => {
    const notAnObject = envelope({ liveFilesByWorkspace: [] })
    await h.expectTypedErrors(await db.open(), {
      importer: importLegacyWorkspace,
      invalid: ['{not json', envelope(1), notAnObject],
      invalidAt: { raw: notAnObject, path: 'agi-client-workspace.liveFilesByWorkspace' },
      refused: [envelope({ liveFilesByWorkspace: {} }, 1)],
    })
  })
})

describe('workspaceLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    h.expectDeclared({ key: 'agi-client-workspace', location: 'localStorage' })
  })

  it('refuses, on the legacy path, a version the app never wrote', async () => {
    const { state, errors } = await h.rehydrateLegacy(envelope({ liveFilesByWorkspace: { c: ['f'] } }, 1))
    expect(errors).toMatchObject([{ code: 'MIGRATION_FAILED' }])
    expect(state.liveFilesByWorkspace).toEqual({})
  })
})
