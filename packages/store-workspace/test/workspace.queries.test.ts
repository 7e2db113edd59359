import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import type { Backend } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import {
  createWorkspaceFile,
  createWorkspaceFolder,
  createWorkspaceStore,
  deleteWorkspaceEntry,
  getWorkspaceFile,
  getWorkspaceTree,
  listWorkspaceHistory,
  moveWorkspaceEntry,
  renameWorkspaceEntry,
  workspaceDefinition,
  writeWorkspaceFile,
} from '@zustand-sqlite/store-workspace'

// The tree's query functions run the store's own actions on stored data: what they return is what a store
// then hydrates, each call is one transaction, and a call that fails writes nothing.

let backend: Backend

beforeEach(() => {
  backend = createBetterSqlite3Backend({ filename: ':memory:' })
})

afterEach(async () => {
  await backend.close()
})

/** The store's revision: it goes up by one per committed transaction. */
const revision = async (): Promise<number> => (await workspaceDefinition.prepare(backend)).revision

/** Every stored path, folders and files, sorted: what the database says the tree is. */
async function storedPaths(): Promise<string[]> {
  const rows = await backend.query(
    'SELECT path FROM workspace_folders UNION ALL SELECT path FROM workspace_files ORDER BY path',
  )
  return rows.map((row) => String(row['path']))
}

/** Runs `call`, expects it to fail with `code`, and checks that the database is as it was before. */
async function refusedWithoutWriting(call: () => Promise<unknown>, code: string): Promise<void> {
  const before = { revision: await revision(), paths: await storedPaths() }
  await expect(call()).rejects.toMatchObject({ code })
  expect({ revision: await revision(), paths: await storedPaths() }).toEqual(before)
}

describe('getWorkspaceTree', () => {
  it('is empty on a new database, and gives folders and files by path without their content', async () => {
    expect(await getWorkspaceTree(backend)).toEqual({ folders: [], files: [] })
    const docs = await createWorkspaceFolder(backend, { name: 'docs' })
    await createWorkspaceFolder(backend, { name: 'archive' })
    await createWorkspaceFile(backend, { name: 'z.md', content: '# Z', folderId: docs.id })
    await createWorkspaceFile(backend, { name: 'a.txt', content: 'a' })

    const tree = await getWorkspaceTree(backend)
    expect(tree.folders.map((f) => f.path)).toEqual(['/archive', '/docs'])
    expect(tree.files.map((f) => f.path)).toEqual(['/a.txt', '/docs/z.md'])
    for (const file of tree.files) expect(Object.keys(file)).not.toContain('content')
  })

  it('writes nothing', async () => {
    await createWorkspaceFolder(backend, { name: 'docs' })
    const before = await revision()
    await getWorkspaceTree(backend)
    expect(await revision()).toBe(before)
  })
})

describe('createWorkspaceFolder and createWorkspaceFile', () => {
  it('create entries in one transaction each, as a store then hydrates them', async () => {
    const start = await revision()
    const docs = await createWorkspaceFolder(backend, { name: 'docs' })
    expect(docs).toMatchObject({ name: 'docs', parentId: null, path: '/docs' })
    const specs = await createWorkspaceFolder(backend, { name: 'specs', parentId: docs.id })
    expect(specs).toMatchObject({ parentId: docs.id, path: '/docs/specs' })
    const file = await createWorkspaceFile(backend, { name: 'api.md', content: '# API', folderId: specs.id })
    expect(file).toMatchObject({
      name: 'api.md',
      folderId: specs.id,
      path: '/docs/specs/api.md',
      mimeType: 'text/markdown',
      sizeBytes: 5,
      encoding: 'text',
    })
    expect(await revision()).toBe(start + 3)

    const store = createWorkspaceStore({ backend })
    await hydrated(store)
    expect(store.getState().files).toEqual([file])
    expect(await store.getState().readFile(file.id)).toBe('# API')
    expect((await listWorkspaceHistory(backend)).map((e) => e.action)).toEqual([
      'create-file',
      'create-folder',
      'create-folder',
    ])
  })

  it('stores binary content as bytes, with its MIME type', async () => {
    const bytes = new Uint8Array([0, 1, 2, 255])
    const file = await createWorkspaceFile(backend, { name: 'blob', content: bytes, mimeType: 'image/x-test' })
    expect(file).toMatchObject({ encoding: 'binary', sizeBytes: 4, mimeType: 'image/x-test' })
    const { content } = await getWorkspaceFile(backend, file.id)
    expect(content).toEqual(bytes)
  })

  it('refuse a taken name, an unknown folder and names that are paths, writing nothing', async () => {
    await createWorkspaceFile(backend, { name: 'a.txt', content: 'a' })
    await refusedWithoutWriting(() => createWorkspaceFile(backend, { name: 'a.txt', content: 'b' }), 'ALREADY_EXISTS')
    await refusedWithoutWriting(() => createWorkspaceFolder(backend, { name: 'a.txt' }), 'ALREADY_EXISTS')
    await refusedWithoutWriting(
      () => createWorkspaceFile(backend, { name: 'b.txt', content: 'b', folderId: 'nope' }),
      'NOT_FOUND',
    )
    await refusedWithoutWriting(() => createWorkspaceFolder(backend, { name: 'x', parentId: 'nope' }), 'NOT_FOUND')
    for (const name of ['../x', '..', '.', 'a/b', '', 'a\u0000b'])
      await refusedWithoutWriting(() => createWorkspaceFile(backend, { name, content: 'x' }), 'INVALID_VALUE')
    await refusedWithoutWriting(
      () => createWorkspaceFolder(backend, null as unknown as { name: string }),
      'INVALID_VALUE',
    )
  })

  it('store a name that reads as SQL as it is, in its own row', async () => {
    const name = "a'; DROP TABLE workspace_files; --"
    const folder = await createWorkspaceFolder(backend, { name })
    const file = await createWorkspaceFile(backend, { name, content: name, folderId: folder.id })
    expect(file.path).toBe(`/${name}/${name}`)
    expect(await storedPaths()).toEqual([`/${name}`, `/${name}/${name}`])
    expect((await getWorkspaceFile(backend, file.id)).content).toBe(name)
  })
})

describe('getWorkspaceFile', () => {
  it('gives the metadata and the content of a file', async () => {
    const file = await createWorkspaceFile(backend, { name: 'notes.md', content: 'héllo' })
    expect(await getWorkspaceFile(backend, file.id)).toEqual({ file, content: 'héllo' })
  })

  it('answers NOT_FOUND for an unknown id and for a folder', async () => {
    const folder = await createWorkspaceFolder(backend, { name: 'docs' })
    await expect(getWorkspaceFile(backend, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    await expect(getWorkspaceFile(backend, folder.id)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})

describe('writeWorkspaceFile', () => {
  it("replaces a file's content and returns its metadata after the change", async () => {
    const file = await createWorkspaceFile(backend, { name: 'data', content: 'text' })
    const written = await writeWorkspaceFile(backend, file.id, new Uint8Array([1, 2, 3]), {
      mimeType: 'application/x-data',
    })
    expect(written).toMatchObject({ id: file.id, encoding: 'binary', sizeBytes: 3, mimeType: 'application/x-data' })
    expect(await getWorkspaceFile(backend, file.id)).toEqual({ file: written, content: new Uint8Array([1, 2, 3]) })
    expect((await listWorkspaceHistory(backend, { limit: 1 }))[0]).toMatchObject({
      action: 'write-file',
      targetId: file.id,
    })
  })

  it('keeps the MIME type when none is given', async () => {
    const file = await createWorkspaceFile(backend, { name: 'a.md', content: 'a' })
    expect(await writeWorkspaceFile(backend, file.id, 'bb')).toMatchObject({ mimeType: 'text/markdown', sizeBytes: 2 })
  })

  it('refuses an unknown file and bad content, writing nothing', async () => {
    const file = await createWorkspaceFile(backend, { name: 'a.md', content: 'a' })
    await refusedWithoutWriting(() => writeWorkspaceFile(backend, 'nope', 'x'), 'NOT_FOUND')
    await refusedWithoutWriting(() => writeWorkspaceFile(backend, file.id, 42 as unknown as string), 'INVALID_VALUE')
    expect((await getWorkspaceFile(backend, file.id)).content).toBe('a')
  })
})

describe('moveWorkspaceEntry and renameWorkspaceEntry', () => {
  it('move a file and a folder, the paths below a folder following, and return the entry', async () => {
    const docs = await createWorkspaceFolder(backend, { name: 'docs' })
    const archive = await createWorkspaceFolder(backend, { name: 'archive' })
    const file = await createWorkspaceFile(backend, { name: 'a.md', content: 'a', folderId: docs.id })

    const movedFolder = await moveWorkspaceEntry(backend, docs.id, archive.id)
    expect(movedFolder).toEqual({ kind: 'folder', folder: expect.objectContaining({ path: '/archive/docs' }) })
    expect(await storedPaths()).toEqual(['/archive', '/archive/docs', '/archive/docs/a.md'])

    const movedFile = await moveWorkspaceEntry(backend, file.id, null)
    expect(movedFile).toEqual({ kind: 'file', file: expect.objectContaining({ folderId: null, path: '/a.md' }) })
    expect(await storedPaths()).toEqual(['/a.md', '/archive', '/archive/docs'])
  })

  it('rename a folder, the paths below it following', async () => {
    const docs = await createWorkspaceFolder(backend, { name: 'docs' })
    await createWorkspaceFile(backend, { name: 'a.md', content: 'a', folderId: docs.id })
    const renamed = await renameWorkspaceEntry(backend, docs.id, 'notes')
    expect(renamed).toEqual({ kind: 'folder', folder: expect.objectContaining({ name: 'notes', path: '/notes' }) })
    expect(await storedPaths()).toEqual(['/notes', '/notes/a.md'])
  })

  it('refuse unknown entries, taken names, bad names and moves into a subtree, writing nothing', async () => {
    const docs = await createWorkspaceFolder(backend, { name: 'docs' })
    const specs = await createWorkspaceFolder(backend, { name: 'specs', parentId: docs.id })
    const file = await createWorkspaceFile(backend, { name: 'specs', content: 'x' })
    await refusedWithoutWriting(() => moveWorkspaceEntry(backend, 'nope', null), 'NOT_FOUND')
    await refusedWithoutWriting(() => moveWorkspaceEntry(backend, file.id, 'nope'), 'NOT_FOUND')
    await refusedWithoutWriting(() => moveWorkspaceEntry(backend, docs.id, specs.id), 'INVALID_MOVE')
    await refusedWithoutWriting(() => moveWorkspaceEntry(backend, docs.id, docs.id), 'INVALID_MOVE')
    await refusedWithoutWriting(() => moveWorkspaceEntry(backend, file.id, docs.id), 'ALREADY_EXISTS')
    await refusedWithoutWriting(() => renameWorkspaceEntry(backend, 'nope', 'x'), 'NOT_FOUND')
    await refusedWithoutWriting(() => renameWorkspaceEntry(backend, docs.id, 'specs'), 'ALREADY_EXISTS')
    await refusedWithoutWriting(() => renameWorkspaceEntry(backend, file.id, '../etc'), 'INVALID_VALUE')
  })
})

describe('deleteWorkspaceEntry', () => {
  it('deletes a file, and a folder with everything in it and their content, in one transaction', async () => {
    const docs = await createWorkspaceFolder(backend, { name: 'docs' })
    const specs = await createWorkspaceFolder(backend, { name: 'specs', parentId: docs.id })
    await createWorkspaceFile(backend, { name: 'a.md', content: 'a', folderId: specs.id })
    const top = await createWorkspaceFile(backend, { name: 'top.md', content: 't' })

    await deleteWorkspaceEntry(backend, top.id)
    expect(await storedPaths()).toEqual(['/docs', '/docs/specs', '/docs/specs/a.md'])

    const before = await revision()
    await deleteWorkspaceEntry(backend, docs.id)
    expect(await revision()).toBe(before + 1)
    expect(await getWorkspaceTree(backend)).toEqual({ folders: [], files: [] })
    expect(await backend.query('SELECT id FROM workspace_file_content')).toEqual([])
  })

  it('answers NOT_FOUND for an unknown id, writing nothing', async () => {
    await createWorkspaceFile(backend, { name: 'a.md', content: 'a' })
    await refusedWithoutWriting(() => deleteWorkspaceEntry(backend, 'nope'), 'NOT_FOUND')
  })
})

describe('the store name', () => {
  it('is checked before anything is read', async () => {
    await expect(getWorkspaceTree(backend, { name: '' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    await expect(createWorkspaceFolder(backend, { name: 'x' }, { name: '' })).rejects.toMatchObject({
      code: 'INVALID_OPTIONS',
    })
  })
})
