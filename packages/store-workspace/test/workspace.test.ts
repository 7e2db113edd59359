import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import { describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { persistSQLite } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import type { Backend, CommitInfo } from '@zustand-sqlite/core'
import {
  createWorkspaceState,
  createWorkspaceStore,
  importLegacyWorkspace,
  listWorkspaceHistory,
  readWorkspaceFile,
  trimWorkspaceHistory,
  utf8ByteLength,
  workspaceDefinition,
  workspaceSchema,
} from '@zustand-sqlite/store-workspace'
import type { WorkspaceStore, WorkspaceStoreApi, WorkspaceState } from '@zustand-sqlite/store-workspace'
import { databaseOn, engines, failure, memoryLocalStorage, tempDatabase } from '../../../test-utils/backends'
import { interceptStatements } from './fixtures/interceptStatements'

/** Byte-for-byte equality, without a deep compare per element. */
function sameBytes(actual: unknown, expected: Uint8Array): boolean {
  return (
    actual instanceof Uint8Array &&
    actual.constructor === Uint8Array &&
    Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(expected)
  )
}

const dataOf = (store: WorkspaceStoreApi): WorkspaceState => {
  const { folders, files, settings, liveFilesByWorkspace } = store.getState()
  return { folders, files, settings, liveFilesByWorkspace }
}

/** Every stored path, folders and files, sorted: what the database says the tree is. */
async function storedPaths(backend: Backend): Promise<string[]> {
  const rows = await backend.query(
    'SELECT path FROM workspace_folders UNION ALL SELECT path FROM workspace_files ORDER BY path',
  )
  return rows.map((r) => String(r['path']))
}

/** The paths of the state, checked against the tree: each path is its parent's path and its name. */
function statePaths(store: WorkspaceStoreApi): string[] {
  const { folders, files } = store.getState()
  const byId = new Map(folders.map((f) => [f.id, f]))
  const expected = (parentId: string | null, name: string): string =>
    `${parentId === null ? '' : (byId.get(parentId)?.path ?? '?')}/${name}`
  for (const f of folders) expect(f.path).toBe(expected(f.parentId, f.name))
  for (const f of files) expect(f.path).toBe(expected(f.folderId, f.name))
  return [...folders.map((f) => f.path), ...files.map((f) => f.path)].sort()
}

describe.each(engines)('workspace store on $name', (engine) => {
  const db = databaseOn(engine)

  const open = async (
    extra: { commits?: CommitInfo[]; errors?: unknown[]; now?: () => number } = {},
  ): Promise<{ store: WorkspaceStoreApi; backend: Backend }> => {
    const backend = await db.open()
    const store = createWorkspaceStore({
      backend,
      onCommit: (info) => extra.commits?.push(info),
      onError: (error) => extra.errors?.push(error),
      ...(extra.now === undefined ? {} : { now: extra.now }),
    })
    await hydrated(store)
    return { store, backend }
  }
  const reopen = async (): Promise<{ store: WorkspaceStoreApi; backend: Backend }> => {
    await db.closeAll()
    return open()
  }

  it('creates folders and files in one transaction each, content in the database only', async () => {
    const commits: CommitInfo[] = []
    let clock = 1_000
    const { store } = await open({ commits, now: () => clock++ })
    const docs = store.getState().createFolder('docs')
    await store.persist.flush()
    const specs = store.getState().createFolder('specs', docs)
    const text = 'héllo 🌍\n'.repeat(100)
    const notes = store.getState().createFile({ name: 'notes.md', content: text, folderId: specs })
    const bytes = new Uint8Array([0, 1, 2, 255, 254])
    const logo = store.getState().createFile({ name: 'logo.png', content: bytes })
    await store.persist.flush()
    // The folder was one transaction (row + history); the next tick's three operations one more.
    expect(commits.map((c) => c.tables)).toEqual([
      { workspace_folders: 1, workspace_history: 1 },
      { workspace_folders: 1, workspace_files: 4, workspace_history: 3 },
    ])
    const file = store.getState().files.find((f) => f.id === notes)
    expect(file).toEqual({
      id: notes,
      name: 'notes.md',
      folderId: specs,
      path: '/docs/specs/notes.md',
      mimeType: 'text/markdown',
      sizeBytes: new TextEncoder().encode(text).length,
      encoding: 'text',
      createdAt: 1_002,
      updatedAt: 1_002,
    })
    expect(store.getState().files.find((f) => f.id === logo)).toMatchObject({
      path: '/logo.png',
      mimeType: 'image/png',
      sizeBytes: 5,
      encoding: 'binary',
    })
    expect(Object.keys(file ?? {})).not.toContain('content')
    expect(await store.getState().readFile(notes)).toBe(text)
    expect(await store.getState().readFile(logo)).toEqual(bytes)

    const again = (await reopen()).store
    expect(dataOf(again)).toEqual(dataOf(store))
    for (const f of again.getState().files) expect(Object.keys(f)).not.toContain('content')
    expect(await again.getState().readFile(notes)).toBe(text)
    expect(await again.getState().readFile(logo)).toEqual(bytes)
    expect(statePaths(again)).toEqual(['/docs', '/docs/specs', '/docs/specs/notes.md', '/logo.png'])
  })

  it('writes a file: new content, size and time, the rest of the row kept; readFile sees it at once', async () => {
    let clock = 5_000
    const { store, backend } = await open({ now: () => clock++ })
    const id = store.getState().createFile({ name: 'a.txt', content: 'one' })
    await store.persist.flush()
    store.getState().writeFile(id, 'two, longer')
    // Not flushed yet: readFile writes what is pending first.
    expect(await store.getState().readFile(id)).toBe('two, longer')
    store.getState().writeFile(id, new Uint8Array([7, 8]), { mimeType: 'application/x-test' })
    await store.persist.flush()
    expect(store.getState().files[0]).toMatchObject({
      sizeBytes: 2,
      encoding: 'binary',
      mimeType: 'application/x-test',
      createdAt: 5_000,
      updatedAt: 5_002,
    })
    expect(await readWorkspaceFile(backend, id)).toEqual(new Uint8Array([7, 8]))
    // The text column was cleared when the content became binary.
    expect(await backend.query('SELECT content FROM workspace_file_content')).toEqual([{ content: null }])
  })

  it('renames and moves files and folders, rewriting every path below in one transaction', async () => {
    const commits: CommitInfo[] = []
    const { store, backend } = await open({ commits })
    const s = store.getState
    const a = s().createFolder('a')
    const b = s().createFolder('b', a)
    const c = s().createFolder('c', b)
    s().createFile({ name: 'x.txt', content: 'x', folderId: b })
    s().createFile({ name: 'y.txt', content: 'y', folderId: c })
    const z = s().createFile({ name: 'z.txt', content: 'z' })
    await store.persist.flush()
    commits.length = 0

    s().rename(a, 'A')
    await store.persist.flush()
    // The folder and the four entries below it: five rows, one transaction.
    expect(commits).toHaveLength(1)
    expect(commits[0]?.tables).toEqual({ workspace_folders: 3, workspace_files: 2, workspace_history: 1 })
    expect(statePaths(store)).toEqual(['/A', '/A/b', '/A/b/c', '/A/b/c/y.txt', '/A/b/x.txt', '/z.txt'])

    s().move(b, null)
    s().move(z, c)
    s().rename(z, 'zz.txt')
    await store.persist.flush()
    const expected = ['/A', '/b', '/b/c', '/b/c/y.txt', '/b/c/zz.txt', '/b/x.txt']
    expect(statePaths(store)).toEqual(expected)
    expect(await storedPaths(backend)).toEqual(expected)
    const again = (await reopen()).store
    expect(statePaths(again)).toEqual(expected)
    expect(await again.getState().readFile(z)).toBe('z')
    expect(again.getState().entryByPath('/b/c/zz.txt')).toMatchObject({ kind: 'file', file: { id: z } })
    expect(again.getState().entryByPath('/b/c')).toMatchObject({ kind: 'folder', folder: { id: c } })
    expect(again.getState().entryByPath('/nowhere')).toBeUndefined()
  })

  it('refuses a cycle, a taken name, a missing parent and a bad name with typed errors, changing nothing', async () => {
    const commits: CommitInfo[] = []
    const { store, backend } = await open({ commits })
    const s = store.getState
    const a = s().createFolder('a')
    const b = s().createFolder('b', a)
    const c = s().createFolder('c', b)
    const f = s().createFile({ name: 'f.txt', content: 'f', folderId: a })
    s().createFile({ name: 'f.txt', content: 'another f' })
    await store.persist.flush()
    const before = dataOf(store)
    const storedBefore = await storedPaths(backend)
    const commitsBefore = commits.length

    const refusals: [string, () => unknown, string][] = [
      ['a folder into itself', () => s().move(a, a), 'INVALID_MOVE'],
      ['a folder into its subfolder', () => s().move(a, c), 'INVALID_MOVE'],
      ['a copy of a folder into its subtree', () => s().copy(a, b), 'INVALID_MOVE'],
      ['a folder name taken by a folder', () => s().createFolder('b', a), 'ALREADY_EXISTS'],
      [
        'a file name taken by a folder',
        () => s().createFile({ name: 'b', content: '', folderId: a }),
        'ALREADY_EXISTS',
      ],
      ['a rename onto a sibling', () => s().rename(f, 'b'), 'ALREADY_EXISTS'],
      ['a move onto a taken name', () => s().move(f, null), 'ALREADY_EXISTS'],
      ['a copy onto a taken name', () => s().copy(f, a), 'ALREADY_EXISTS'],
      ['an id of a file given again', () => s().createFile({ id: f, name: 'n.txt', content: '' }), 'ALREADY_EXISTS'],
      ['a missing parent folder', () => s().createFolder('n', 'ghost'), 'NOT_FOUND'],
      ['a file in a missing folder', () => s().createFile({ name: 'n', content: '', folderId: 'ghost' }), 'NOT_FOUND'],
      ['a move into a missing folder', () => s().move(f, 'ghost'), 'NOT_FOUND'],
      ['a move of a missing entry', () => s().move('ghost', null), 'NOT_FOUND'],
      ['a write of a missing file', () => s().writeFile('ghost', 'x'), 'NOT_FOUND'],
      ['a delete of a missing file', () => s().deleteFile('ghost'), 'NOT_FOUND'],
      ['a delete of a missing folder', () => s().deleteFolder(f), 'NOT_FOUND'],
      ['a read of a missing file', () => s().readFile('ghost'), 'NOT_FOUND'],
      ['an assignment of a missing file', () => s().liveFileAssign('conv', 'ghost'), 'NOT_FOUND'],
      ['an assignment copy to a bad workspace id', () => s().copyAssignments('nobody', ''), 'INVALID_VALUE'],
      ['an import into a bad workspace id', () => s().importAssignmentsFromMessages('', []), 'INVALID_VALUE'],
      ['an empty name', () => s().createFolder(''), 'INVALID_VALUE'],
      ['a name with a slash', () => s().rename(f, 'x/y'), 'INVALID_VALUE'],
      ['the name ..', () => s().createFolder('..'), 'INVALID_VALUE'],
      ['a control character', () => s().createFolder('a\u0000b'), 'INVALID_VALUE'],
      ['a name of 256 characters', () => s().createFolder('n'.repeat(256)), 'INVALID_VALUE'],
      ['content that is not text or bytes', () => s().writeFile(f, 42 as never), 'INVALID_VALUE'],
      ['a bad MIME type', () => s().writeFile(f, 'x', { mimeType: '' }), 'INVALID_VALUE'],
      ['a bad setting', () => s().setSetting('historyLimit', -1), 'INVALID_VALUE'],
      ['an unstorable setting', () => s().setSetting('custom', () => 1), 'INVALID_VALUE'],
    ]
    for (const [what, action, code] of refusals) {
      expect(await failure(action), what).toMatchObject({ code })
    }
    s().setSetting('maxFileBytes', 4)
    expect(await failure(() => s().writeFile(f, 'héllo'))).toMatchObject({
      code: 'INVALID_VALUE',
      path: 'workspace.content',
    })
    s().resetSetting('maxFileBytes')
    await store.persist.flush()
    expect(dataOf(store)).toEqual(before)
    expect(await storedPaths(backend)).toEqual(storedBefore)
    // Only the setting and its reset were written: no operation was half done.
    expect(commits.slice(commitsBefore).every((c) => Object.keys(c.tables).join() === 'workspace_settings')).toBe(true)
    expect(await s().readFile(f)).toBe('f')
  })

  it('deletes a folder recursively in one transaction, with its files, content and assignments', async () => {
    const commits: CommitInfo[] = []
    const { store, backend } = await open({ commits })
    const s = store.getState
    const root = s().createFolder('root')
    const keep = s().createFile({ name: 'keep.txt', content: 'keep' })
    let parent = root
    const inside: string[] = []
    for (let depth = 0; depth < 5; depth++) {
      parent = s().createFolder(`level${depth}`, parent)
      for (let i = 0; i < 4; i++)
        inside.push(s().createFile({ name: `f${i}.txt`, content: `${depth}/${i}`, folderId: parent }))
    }
    s().liveFileAssign('conv-1', inside[0] as string)
    s().liveFileAssign('conv-1', keep)
    s().liveFileAssign('conv-2', inside[1] as string)
    await store.persist.flush()
    commits.length = 0
    s().deleteFolder(root)
    await store.persist.flush()
    expect(commits).toHaveLength(1)
    expect(commits[0]?.tables).toEqual({
      workspace_folders: 6,
      workspace_files: 20,
      workspace_live_files: 2,
      workspace_history: 1,
    })
    expect(s().folders).toEqual([])
    expect(s().files.map((f) => f.id)).toEqual([keep])
    expect(s().liveFilesByWorkspace).toEqual({ 'conv-1': [keep] })
    expect(await storedPaths(backend)).toEqual(['/keep.txt'])
    expect(await backend.query('SELECT count(*) AS n FROM workspace_files')).toEqual([{ n: 1 }])
    const history = await s().listHistory({ limit: 1 })
    expect(history[0]).toMatchObject({
      action: 'delete-folder',
      targetKind: 'folder',
      targetId: root,
      path: '/root',
      details: { folders: 6, files: 20 },
    })
  })

  it('copies a file and a folder tree, content copied inside the database', async () => {
    const commits: CommitInfo[] = []
    const { store, backend } = await open({ commits })
    const s = store.getState
    const src = s().createFolder('src')
    const lib = s().createFolder('lib', src)
    const big = new Uint8Array(200_000).map((_, i) => (i * 7) % 256)
    const a = s().createFile({ name: 'a.bin', content: big, folderId: lib })
    const b = s().createFile({ name: 'b.txt', content: 'bee', folderId: src })
    const dest = s().createFolder('dest')
    await store.persist.flush()
    commits.length = 0
    const copiedFile = s().copy(b, null, { name: 'b-copy.txt' })
    const copiedTree = s().copy(src, dest)
    // A change to the original after the copy does not reach the copy.
    s().writeFile(b, 'changed')
    await store.persist.flush()
    expect(commits).toHaveLength(1)
    expect(statePaths(store)).toEqual([
      '/b-copy.txt',
      '/dest',
      '/dest/src',
      '/dest/src/b.txt',
      '/dest/src/lib',
      '/dest/src/lib/a.bin',
      '/src',
      '/src/b.txt',
      '/src/lib',
      '/src/lib/a.bin',
    ])
    const copyOf = (path: string): string => {
      const entry = s().entryByPath(path)
      if (entry?.kind !== 'file') throw new Error(`no file at ${path}`)
      return entry.file.id
    }
    expect(copyOf('/dest/src/lib/a.bin')).not.toBe(a)
    expect(sameBytes(await s().readFile(copyOf('/dest/src/lib/a.bin')), big)).toBe(true)
    expect(await s().readFile(copyOf('/dest/src/b.txt'))).toBe('bee')
    expect(await s().readFile(copiedFile)).toBe('bee')
    expect(await s().readFile(b)).toBe('changed')
    expect(s().entryByPath('/dest/src')).toMatchObject({ folder: { id: copiedTree } })
    expect(await storedPaths(backend)).toEqual(statePaths(store))
  })

  it('lists history newest first, pages it, and trims it by count, by time, and as it writes', async () => {
    let clock = 0
    const { store, backend } = await open({ now: () => (clock += 10) })
    const s = store.getState
    const a = s().createFolder('a')
    const f = s().createFile({ name: 'f', content: 'x', folderId: a })
    s().rename(f, 'g')
    s().move(f, null)
    s().writeFile(f, 'y')
    const copy = s().copy(f, a)
    s().deleteFile(copy)
    s().deleteFolder(a)
    const history = await s().listHistory()
    expect(history.map((h) => [h.action, h.targetKind, h.path])).toEqual([
      ['delete-folder', 'folder', '/a'],
      ['delete-file', 'file', '/a/g'],
      ['copy', 'file', '/a/g'],
      ['write-file', 'file', '/g'],
      ['move', 'file', '/g'],
      ['rename', 'file', '/a/g'],
      ['create-file', 'file', '/a/f'],
      ['create-folder', 'folder', '/a'],
    ])
    expect(history[5]?.details).toEqual({ from: '/a/f' })
    expect(history[4]?.details).toEqual({ from: '/a/g' })
    expect(history[2]?.details).toEqual({ from: '/g', sourceId: f })
    expect(history.map((h) => h.at)).toEqual([80, 70, 60, 50, 40, 30, 20, 10])
    const page = await listWorkspaceHistory(backend, { limit: 3, beforeId: history[2]?.id as number })
    expect(page.map((h) => h.action)).toEqual(['write-file', 'move', 'rename'])
    expect((await listWorkspaceHistory(backend, { targetId: f })).map((h) => h.action)).toEqual([
      'write-file',
      'move',
      'rename',
      'create-file',
    ])
    expect(await trimWorkspaceHistory(backend, { before: 30 })).toBe(2)
    expect(await s().trimHistory({ keep: 4 })).toBe(2)
    expect((await s().listHistory()).map((h) => h.at)).toEqual([80, 70, 60, 50])
    expect(await s().trimHistory({ keep: 10 })).toBe(0)

    // The store keeps the historyLimit setting on its own, trimming once a tenth of it was written.
    s().setSetting('historyLimit', 20)
    for (let i = 0; i < 60; i++) s().createFolder(`n${i}`)
    await store.persist.flush()
    await vi.waitFor(async () => {
      const rows = await backend.query('SELECT count(*) AS n FROM workspace_history')
      expect(Number(rows[0]?.['n'])).toBeLessThanOrEqual(20)
    })
    const kept = await s().listHistory({ limit: 100 })
    expect(kept[0]?.path).toBe('/n59')
    expect(kept).toHaveLength(20)
    // Trims leave the state version the store recorded as it is.
    expect((await backend.load('agi-client-workspace')).stateVersion).toBe(1)
  })

  it('makes the operations done while it hydrates on the stored tree, keeping what was stored', async () => {
    const { store } = await open()
    const docs = store.getState().createFolder('docs')
    const kept = store.getState().createFile({ name: 'kept.txt', content: 'kept', folderId: docs })
    store.getState().liveFileAssign('conv-1', kept)
    store.getState().setSetting('sortBy', 'updated')
    await store.persist.flush()
    await db.closeAll()

    const again = createWorkspaceStore({ backend: await db.open() })
    // On an asynchronous engine the store is still hydrating: each set is made again on the stored tree.
    expect(again.persist.hasHydrated()).toBe(engine.name !== 'an asynchronous engine')
    const g = again.getState
    const tmp = g().createFolder('tmp')
    const note = g().createFile({ name: 'note.txt', content: 'new', folderId: tmp })
    g().rename(tmp, 'drafts')
    g().liveFileAssign('conv-2', note)
    g().resetSetting('sortBy')
    g().deleteFolder(g().createFolder('gone'))
    await hydrated(again)
    await again.persist.flush()
    const expected = ['/docs', '/docs/kept.txt', '/drafts', '/drafts/note.txt']
    expect(statePaths(again)).toEqual(expected)
    expect(g().liveFilesByWorkspace).toEqual({ 'conv-1': [kept], 'conv-2': [note] })
    expect(g().getSetting('sortBy')).toBe('name')
    expect(await g().readFile(kept)).toBe('kept')
    expect(await g().readFile(note)).toBe('new')
    const third = (await reopen()).store
    expect(statePaths(third)).toEqual(expected)
    expect(third.getState().liveFilesByWorkspace).toEqual({ 'conv-1': [kept], 'conv-2': [note] })
    expect(third.getState().settings).toEqual({})
  })

  it('query functions create the tables, empty, on a database without the workspace', async () => {
    const empty = await db.open()
    expect(await listWorkspaceHistory(empty)).toEqual([])
    expect(await trimWorkspaceHistory(empty, { keep: 0 })).toBe(0)
    expect(await failure(() => readWorkspaceFile(empty, 'ghost'))).toMatchObject({ code: 'NOT_FOUND', path: 'ghost' })
    expect(await empty.query('SELECT count(*) AS n FROM workspace_history')).toEqual([{ n: 0 }])
    expect((await workspaceDefinition.prepare(empty)).stateVersion).toBeNull()
  })

  it('query functions read and trim the store they name', async () => {
    const backend = await db.open()
    const store = createWorkspaceStore({ backend, name: 'my-workspace' })
    await hydrated(store)
    const id = store.getState().createFile({ name: 'a.txt', content: 'a' })
    await store.persist.flush()
    const named = { name: 'my-workspace' }
    expect(await readWorkspaceFile(backend, id, named)).toBe('a')
    expect((await listWorkspaceHistory(backend, named)).map((h) => h.action)).toEqual(['create-file'])
    expect(await trimWorkspaceHistory(backend, { ...named, keep: 0 })).toBe(1)
    // The tables belong to that name: under the default one, they are another store's.
    expect(await failure(() => readWorkspaceFile(backend, id))).toMatchObject({ code: 'TABLE_CONFLICT' })
    expect(await failure(() => listWorkspaceHistory(backend, { name: '' }))).toMatchObject({
      code: 'INVALID_OPTIONS',
    })
  })

  it('query functions refuse a workspace stored at a newer state version, changing nothing', async () => {
    const backend = await db.open()
    const newer = createStore<WorkspaceStore>()(
      persistSQLite(createWorkspaceState(), { ...workspaceDefinition.persistOptions({ backend }), version: 2 }),
    )
    await hydrated(newer)
    const id = newer.getState().createFile({ name: 'a.txt', content: 'a' })
    await newer.persist.flush()
    expect((await workspaceDefinition.prepare(backend)).stateVersion).toBe(2)
    for (const query of [
      () => readWorkspaceFile(backend, id),
      () => listWorkspaceHistory(backend),
      () => trimWorkspaceHistory(backend, { keep: 0 }),
    ]) {
      expect(await failure(query)).toMatchObject({ code: 'MIGRATION_FAILED', store: 'agi-client-workspace' })
    }
    expect(await backend.query('SELECT count(*) AS n FROM workspace_history')).toEqual([{ n: 1 }])
  })

  it('keeps typed settings with defaults, and settings it does not know, across a reload', async () => {
    const { store } = await open()
    const s = store.getState
    expect(s().getSetting('maxFileBytes')).toBe(100 * 1024 * 1024)
    expect(s().getSetting('sortBy')).toBe('name')
    expect(s().getSetting('somethingElse')).toBeUndefined()
    s().setSetting('sortBy', 'updated')
    s().setSetting('editor.theme', { name: 'dark', size: 14 })
    await store.persist.flush()
    const again = (await reopen()).store
    expect(again.getState().getSetting('sortBy')).toBe('updated')
    expect(again.getState().getSetting('editor.theme')).toEqual({ name: 'dark', size: 14 })
    expect(again.getState().settings).toEqual({ sortBy: 'updated', 'editor.theme': { name: 'dark', size: 14 } })
    again.getState().resetSetting('sortBy')
    expect(again.getState().getSetting('sortBy')).toBe('name')
    // A stored value this version cannot use reads as the default, and is kept as stored.
    again.setState((st) => ({ settings: { ...st.settings, historyLimit: 'lots' } }))
    expect(again.getState().getSetting('historyLimit')).toBe(1000)
    await again.persist.flush()
    // listFolder follows sortBy: by name, or newest change first.
    let clock = 0
    await db.closeAll()
    const g = (await open({ now: () => (clock += 1000) })).store.getState
    g().createFile({ name: 'a.txt', content: '' })
    g().createFile({ name: 'b.txt', content: '' })
    g().createFolder('z')
    g().createFolder('y')
    const names = (kind: 'files' | 'folders'): string[] => {
      const listed = g().listFolder(null)
      return listed[kind].map((f) => f.name)
    }
    expect(names('files')).toEqual(['a.txt', 'b.txt'])
    expect(names('folders')).toEqual(['y', 'z'])
    g().setSetting('sortBy', 'updated')
    expect(names('files')).toEqual(['b.txt', 'a.txt'])
    expect(names('folders')).toEqual(['y', 'z'])
  })

  it("offers the app's assignment API, cleaned when files go and at load", async () => {
    const commits: CommitInfo[] = []
    const { store } = await open({ commits })
    const s = store.getState
    const f1 = s().createFile({ name: 'one.txt', content: '1' })
    const f2 = s().createFile({ name: 'two.txt', content: '2' })
    const f3 = s().createFile({ name: 'three.txt', content: '3' })
    await store.persist.flush()
    commits.length = 0
    s().liveFileAssign('c1', f1)
    s().liveFileAssign('c1', f2)
    s().liveFileAssign('c1', f1)
    await store.persist.flush()
    // One row per workspace.
    expect(commits.map((c) => c.tables)).toEqual([{ workspace_live_files: 1 }])
    s().copyAssignments('c1', 'c2')
    s().liveFileAssign('c2', f3)
    expect(s().liveFilesByWorkspace).toEqual({ c1: [f1, f2], c2: [f1, f2, f3] })
    s().liveFileUnassign('c1', f2)
    s().liveFileUnassignFromAll(f1)
    expect(s().liveFilesByWorkspace).toEqual({ c2: [f2, f3] })
    s().importAssignmentsFromMessages('c3', [
      { fragments: [{ ft: 'content' }, { ft: 'attachment', liveFileId: f3 }] },
      {
        fragments: [
          { ft: 'attachment', liveFileId: 'not-a-file' },
          { ft: 'attachment', liveFileId: f1 },
        ],
      },
      {},
    ])
    expect(s().liveFilesByWorkspace['c3']).toEqual([f3, f1])
    s().remove('c2')
    s().deleteFile(f3)
    expect(s().liveFilesByWorkspace).toEqual({ c3: [f1] })
    s().mergeAssignments({ c4: [f2, 'gone'], c5: ['gone'] })
    expect(s().liveFilesByWorkspace).toEqual({ c3: [f1], c4: [f2] })
    await store.persist.flush()
    expect((await reopen()).store.getState().liveFilesByWorkspace).toEqual({ c3: [f1], c4: [f2] })

    // Assignments of files that are not there (written by another version, by hand) are dropped at load.
    const { store: third } = await reopen()
    third.setState({ liveFilesByWorkspace: { c3: [f1, 'ghost'], c9: ['ghost'] } })
    await third.persist.flush()
    expect((await reopen()).store.getState().liveFilesByWorkspace).toEqual({ c3: [f1] })
  })

  it('round-trips a 50 MB file byte for byte, binary and text', async () => {
    const { store } = await open()
    const size = 50 * 1024 * 1024
    const bytes = new Uint8Array(size)
    for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096) % 256
    bytes[size - 1] = 0xab
    const id = store.getState().createFile({ name: 'big.bin', content: bytes })
    const text = 'é'.repeat(size / 2)
    const textId = store.getState().createFile({ name: 'big.txt', content: text })
    await store.persist.flush()
    expect(store.getState().files.map((f) => f.sizeBytes)).toEqual([size, size])
    const again = (await reopen()).store
    const read = await again.getState().readFile(id)
    expect(sameBytes(read, bytes)).toBe(true)
    const readText = await again.getState().readFile(textId)
    expect(typeof readText === 'string' && readText.length === text.length && readText === text).toBe(true)
  }, 120_000)

  it('hydrates the tree and metadata only: no content is read at load', async () => {
    const { store } = await open()
    const id = store.getState().createFile({ name: 'a.txt', content: 'x'.repeat(10_000) })
    await store.persist.flush()
    await db.closeAll()
    const backend = await db.open()
    await backend.prepare('agi-client-workspace', workspaceSchema.spec)
    const result = await backend.load('agi-client-workspace')
    const files = result.tables['workspace_files']
    expect(files?.columns).not.toContain('content')
    expect(files?.columns).not.toContain('content_binary')
    expect(files?.rows).toHaveLength(1)
    // The content table is not read at all.
    expect(Object.keys(result.tables)).not.toContain('workspace_file_content')
    const again = createWorkspaceStore({ backend })
    await hydrated(again)
    expect(await again.getState().readFile(id)).toBe('x'.repeat(10_000))
  })
})

describe('a recursive delete is all or nothing (better-sqlite3, file)', () => {
  const repoRoot = new URL('../../../', import.meta.url)

  /** A workspace file with a tree of 3 × 3 files below one folder, and one file beside it. */
  async function buildTree(file: string): Promise<{ top: string; paths: string[]; contents: Map<string, string> }> {
    const backend = createBetterSqlite3Backend({ filename: file })
    const store = createWorkspaceStore({ backend })
    const s = store.getState
    const top = s().createFolder('top')
    const contents = new Map<string, string>()
    for (let i = 0; i < 3; i++) {
      const sub = s().createFolder(`sub${i}`, top)
      for (let j = 0; j < 3; j++) {
        const content = `content ${i}.${j} `.repeat(1000)
        contents.set(s().createFile({ name: `f${j}.txt`, content, folderId: sub }), content)
      }
    }
    contents.set(s().createFile({ name: 'beside.txt', content: 'beside' }), 'beside')
    s().liveFileAssign('conv', [...contents.keys()][0] as string)
    await store.persist.flush()
    const paths = await storedPaths(backend)
    await backend.close()
    return { top, paths, contents }
  }

  async function expectIntact(file: string, tree: Awaited<ReturnType<typeof buildTree>>): Promise<void> {
    const check = new Database(file, { readonly: true })
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok')
    check.close()
    const backend = createBetterSqlite3Backend({ filename: file })
    const store = createWorkspaceStore({ backend })
    expect(await storedPaths(backend)).toEqual(tree.paths)
    expect(statePaths(store)).toEqual(tree.paths)
    for (const [id, content] of tree.contents) expect(await store.getState().readFile(id)).toBe(content)
    expect(Object.keys(store.getState().liveFilesByWorkspace)).toEqual(['conv'])
    // And the delete, made again without the failure, removes the whole subtree.
    store.getState().deleteFolder(tree.top)
    await store.persist.flush()
    expect(await storedPaths(backend)).toEqual(['/beside.txt'])
    expect(store.getState().liveFilesByWorkspace).toEqual({})
    await backend.close()
  }

  it('rolls back whole when a statement of the transaction fails after the files were deleted', async () => {
    const { file, remove } = tempDatabase()
    try {
      const tree = await buildTree(file)
      const db = new Database(file)
      let failures = 0
      interceptStatements(db, 'DELETE FROM "workspace_folders"', () => {
        failures++
        throw new Error('disk I/O error (injected)')
      })
      const errors: unknown[] = []
      const backend = createBetterSqlite3Backend({ database: db })
      const store = createWorkspaceStore({ backend, onError: (e) => errors.push(e) })
      store.getState().deleteFolder(tree.top)
      expect(await failure(() => store.persist.flush())).toMatchObject({ code: 'WRITE_FAILED' })
      expect(failures).toBe(1)
      // The state keeps the delete (it is written with the next change); the database has all of it.
      expect(store.getState().folders).toEqual([])
      expect(await storedPaths(backend)).toEqual(tree.paths)
      await backend.close()
      db.close()
      await expectIntact(file, tree)
    } finally {
      remove()
    }
  })

  it('leaves the whole tree when the process is killed inside the delete', async () => {
    const { file, remove } = tempDatabase()
    try {
      const tree = await buildTree(file)
      const output = await new Promise<string>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'packages/store-workspace/test/fixtures/crashDelete.ts', file, tree.top],
          { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
        )
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        child.on('exit', (code, signal) =>
          signal === 'SIGKILL' ? resolve(stdout) : reject(new Error(`exited ${code}: ${stdout} ${stderr}`)),
        )
      })
      expect(output.trim()).toBe('killing')
      await expectIntact(file, tree)
    } finally {
      remove()
    }
  }, 60_000)
})

describe('importLegacyWorkspace', () => {
  const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

  it('keeps the assignments of files that exist, reports the rest, drops empty workspaces', () => {
    expect(importLegacyWorkspace(fixture('agi-client-workspace.v0-messy.json'), { fileIds: ['lf-1', 'lf-2'] })).toEqual(
      {
        liveFilesByWorkspace: { 'conv-a': ['lf-1', 'lf-2'] },
        dangling: [{ workspaceId: 'conv-b', fileId: 'lf-gone' }],
        skipped: [
          { path: 'liveFilesByWorkspace["conv-a"][3]', reason: 'not a file id' },
          { path: 'liveFilesByWorkspace["conv-a"][4]', reason: 'not a file id' },
          { path: 'liveFilesByWorkspace["conv-b"]', reason: 'no file left: the workspace is dropped' },
          { path: 'liveFilesByWorkspace["conv-c"]', reason: 'not an array of file ids' },
          { path: 'liveFilesByWorkspace["conv-d"]', reason: 'no file left: the workspace is dropped' },
          { path: 'liveFilesByWorkspace[""]', reason: 'not a workspace id' },
        ],
      },
    )
    // Without the file ids, every id is kept; text encoded twice and a parsed envelope read the same.
    const all = importLegacyWorkspace(JSON.stringify(fixture('agi-client-workspace.v0-messy.json')))
    expect(all?.liveFilesByWorkspace).toEqual({ 'conv-a': ['lf-1', 'lf-2'], 'conv-b': ['lf-gone'] })
    expect(importLegacyWorkspace({ state: {}, version: 0 })).toEqual({
      liveFilesByWorkspace: {},
      dangling: [],
      skipped: [],
    })
    expect(importLegacyWorkspace(null)).toBeNull()
  })

  it('refuses what is not the app envelope, and versions it does not know', async () => {
    expect(await failure(() => importLegacyWorkspace('{not json'))).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
    expect(
      await failure(() => importLegacyWorkspace({ state: { liveFilesByWorkspace: [] }, version: 0 })),
    ).toMatchObject({
      code: 'INVALID_LEGACY_DATA',
    })
    expect(await failure(() => importLegacyWorkspace({ state: {}, version: 1 }))).toMatchObject({
      code: 'MIGRATION_FAILED',
    })
  })

  it('merges into a store: only the files it has are assigned', async () => {
    const { file, remove } = tempDatabase()
    try {
      const backend = createBetterSqlite3Backend({ filename: file })
      const store = createWorkspaceStore({ backend })
      store.getState().createFile({ id: 'lf-1', name: 'kept.txt', content: 'k' })
      const imported = importLegacyWorkspace(fixture('agi-client-workspace.v0-messy.json'))
      store.getState().mergeAssignments(imported?.liveFilesByWorkspace ?? {})
      expect(store.getState().liveFilesByWorkspace).toEqual({ 'conv-a': ['lf-1'] })
      await store.persist.flush()
      await backend.close()
    } finally {
      remove()
    }
  })
})

describe('utf8ByteLength', () => {
  it('counts what TextEncoder writes, lone surrogates included', () => {
    for (const text of ['', 'abc', 'é', '€', '🌍', 'a\uD800b', '\uDC00', 'x\uD83D', 'mixed é€🌍 text\n']) {
      expect(utf8ByteLength(text), JSON.stringify(text)).toBe(new TextEncoder().encode(text).length)
    }
  })
})

describe('the workspace state outside persistSQLite', () => {
  it('refuses the file and folder operations before changing anything: content and history need the database', async () => {
    const store = createStore<WorkspaceStore>()(
      persist(createWorkspaceState() as never, {
        name: 'agi-client-workspace',
        storage: createJSONStorage(() => memoryLocalStorage().storage),
      }),
    )
    const s = store.getState
    const before = s()
    for (const action of [
      () => s().createFolder('a'),
      () => s().createFile({ name: 'a', content: 'x' }),
      () => s().deleteFolder('x'),
      () => s().rename('x', 'y'),
    ]) {
      expect(await failure(action)).toMatchObject({ code: 'INVALID_OPTIONS' })
    }
    expect(s()).toBe(before)
  })

  it('merges assignments all or nothing', async () => {
    const { file, remove } = tempDatabase()
    try {
      const backend = createBetterSqlite3Backend({ filename: file })
      const store = createWorkspaceStore({ backend })
      const id = store.getState().createFile({ name: 'a.txt', content: 'a' })
      const before = store.getState().liveFilesByWorkspace
      expect(await failure(() => store.getState().mergeAssignments({ c1: [id], c2: 'nope' as never }))).toMatchObject({
        code: 'INVALID_VALUE',
      })
      expect(store.getState().liveFilesByWorkspace).toBe(before)
      store.getState().mergeAssignments({ c1: [id, id, 'gone'], c2: [id] })
      expect(store.getState().liveFilesByWorkspace).toEqual({ c1: [id], c2: [id] })
      await store.persist.flush()
      await backend.close()
    } finally {
      remove()
    }
  })
})
