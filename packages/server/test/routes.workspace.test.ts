import { describe, expect, it } from 'vitest'
import { workspaceRoutes } from '@zustand-sqlite/store-workspace'
import { routeServer } from './routeServer'

// The workspace's REST routes, mounted from the store package's route set, through the server's Fetch API
// handler: every route's success, bodies the validators refuse, unknown ids, another user's ids, and names
// that try to be paths or SQL.

const { call, openApi } = routeServer({ stores: [], routes: workspaceRoutes() })

/** Creates an entry as `token`'s user, expecting 201; its metadata. */
async function created(path: string, body: unknown, token: 'alice' | 'bob' = 'alice'): Promise<any> {
  const response = await call('POST', path, { body, token })
  expect(response.status, JSON.stringify(response.body)).toBe(201)
  return response.body
}

/** Everything of alice's: the tree and every file's content. */
async function snapshot(token: 'alice' | 'bob' = 'alice'): Promise<unknown> {
  const tree = (await call('GET', '/api/workspace', { token })).body
  const contents = []
  for (const file of tree.files) contents.push((await call('GET', `/api/workspace/files/${file.id}`, { token })).body)
  return { tree, contents }
}

/** An error response; a NOT_FOUND is the workspace's (no such entry), not the server's (no such route). */
const expectError = (response: { status: number; body: any }, status: number, code: string, label = ''): void => {
  expect(response.status, `${label} ${JSON.stringify(response.body)}`).toBe(status)
  expect(response.body, label).toMatchObject({ code, message: expect.any(String) })
  if (code === 'NOT_FOUND') expect(response.body.message, label).toMatch(/^workspace: no /)
}

describe('GET /workspace', () => {
  it('answers an empty tree on a new database, then folders and files by path, without content', async () => {
    expect(await call('GET', '/api/workspace')).toEqual({ status: 200, body: { folders: [], files: [] } })
    const docs = await created('/api/workspace/folders', { name: 'docs' })
    await created('/api/workspace/files', { name: 'b.md', text: '# B', folderId: docs.id })
    await created('/api/workspace/files', { name: 'a.txt', text: 'a' })

    const { status, body } = await call('GET', '/api/workspace')
    expect(status).toBe(200)
    expect(body.folders.map((f: any) => f.path)).toEqual(['/docs'])
    expect(body.files.map((f: any) => f.path)).toEqual(['/a.txt', '/docs/b.md'])
    for (const file of body.files) expect(Object.keys(file)).not.toContain('text')
  })

  it('answers 401 without a user', async () => {
    expectError(await call('GET', '/api/workspace', { token: null }), 401, 'UNAUTHORIZED')
  })
})

describe('POST /workspace/folders', () => {
  it('creates a folder at the root and in a folder (201)', async () => {
    const docs = await created('/api/workspace/folders', { name: 'docs' })
    expect(docs).toMatchObject({ name: 'docs', parentId: null, path: '/docs', createdAt: expect.any(Number) })
    const specs = await created('/api/workspace/folders', { name: 'specs', parentId: docs.id })
    expect(specs).toMatchObject({ parentId: docs.id, path: '/docs/specs' })
    const nullParent = await created('/api/workspace/folders', { name: 'top', parentId: null })
    expect(nullParent.path).toBe('/top')
  })

  it('refuses a bad body with the path of the field, an unknown parent and a taken name', async () => {
    await created('/api/workspace/folders', { name: 'docs' })
    const cases: [unknown, string][] = [
      [{}, 'body.name'],
      [{ name: 5 }, 'body.name'],
      [{ name: 'x', parentId: 5 }, 'body.parentId'],
      [{ name: 'x', color: 'red' }, 'body.color'],
      [['docs'], 'body'],
    ]
    for (const [body, path] of cases) {
      const response = await call('POST', '/api/workspace/folders', { body })
      expectError(response, 400, 'INVALID_VALUE', JSON.stringify(body))
      expect(response.body.path).toBe(path)
    }
    expectError(
      await call('POST', '/api/workspace/folders', { body: { name: 'x', parentId: 'nope' } }),
      404,
      'NOT_FOUND',
    )
    expectError(await call('POST', '/api/workspace/folders', { body: { name: 'docs' } }), 409, 'ALREADY_EXISTS')
    expect((await call('GET', '/api/workspace')).body.folders).toHaveLength(1)
  })
})

describe('POST /workspace/files and GET /workspace/files/{id}', () => {
  it('creates a text file and reads it back as { file, text }', async () => {
    const docs = await created('/api/workspace/folders', { name: 'docs' })
    const file = await created('/api/workspace/files', { name: 'notes.md', text: 'héllo', folderId: docs.id })
    expect(file).toMatchObject({
      name: 'notes.md',
      folderId: docs.id,
      path: '/docs/notes.md',
      mimeType: 'text/markdown',
      encoding: 'text',
      sizeBytes: 6,
    })
    expect(await call('GET', `/api/workspace/files/${file.id}`)).toEqual({
      status: 200,
      body: { file, text: 'héllo' },
    })
  })

  it('creates a binary file from base64 and reads it back as { file, base64 }', async () => {
    const base64 = Buffer.from([0, 1, 2, 250, 255]).toString('base64')
    const file = await created('/api/workspace/files', { name: 'blob.bin', base64, mimeType: 'application/x-test' })
    expect(file).toMatchObject({ encoding: 'binary', sizeBytes: 5, mimeType: 'application/x-test' })
    expect((await call('GET', `/api/workspace/files/${file.id}`)).body).toEqual({ file, base64 })
    const empty = await created('/api/workspace/files', { name: 'empty.bin', base64: '' })
    expect((await call('GET', `/api/workspace/files/${empty.id}`)).body).toEqual({ file: empty, base64: '' })
  })

  it('refuses a bad body with the path of the field, and creates nothing', async () => {
    const cases: [unknown, string][] = [
      [{ text: 'x' }, 'body.name'],
      [{ name: 'a', text: 5 }, 'body.text'],
      [{ name: 'a' }, 'body.text'],
      [{ name: 'a', text: 'x', base64: 'eA==' }, 'body.text'],
      [{ name: 'a', base64: 'not base64!' }, 'body.base64'],
      [{ name: 'a', base64: 'eA=' }, 'body.base64'],
      [{ name: 'a', base64: 'e A==' }, 'body.base64'],
      [{ name: 'a', base64: 'eA==eA==' }, 'body.base64'],
      [{ name: 'a', text: 'x', mimeType: '' }, 'body.mimeType'],
      [{ name: 'a', text: 'x', folderId: 7 }, 'body.folderId'],
      [{ name: 'a', text: 'x', id: 'mine' }, 'body.id'],
    ]
    for (const [body, path] of cases) {
      const response = await call('POST', '/api/workspace/files', { body })
      expectError(response, 400, 'INVALID_VALUE', JSON.stringify(body))
      expect(response.body.path, JSON.stringify(body)).toBe(path)
    }
    expect((await call('GET', '/api/workspace')).body.files).toEqual([])
  })

  it('answers 404 for an unknown folder or file, 409 for a taken name', async () => {
    await created('/api/workspace/files', { name: 'a.md', text: 'a' })
    expectError(
      await call('POST', '/api/workspace/files', { body: { name: 'b.md', text: 'b', folderId: 'nope' } }),
      404,
      'NOT_FOUND',
    )
    expectError(
      await call('POST', '/api/workspace/files', { body: { name: 'a.md', text: 'again' } }),
      409,
      'ALREADY_EXISTS',
    )
    expectError(await call('GET', '/api/workspace/files/nope'), 404, 'NOT_FOUND')
    const folder = await created('/api/workspace/folders', { name: 'docs' })
    expectError(await call('GET', `/api/workspace/files/${folder.id}`), 404, 'NOT_FOUND')
  })
})

describe('PUT /workspace/files/{id}', () => {
  it("replaces a file's content, text or binary, and answers its metadata", async () => {
    const file = await created('/api/workspace/files', { name: 'data.txt', text: 'one' })
    const put = await call('PUT', `/api/workspace/files/${file.id}`, { body: { text: 'three' } })
    expect(put.status).toBe(200)
    expect(put.body).toMatchObject({ id: file.id, sizeBytes: 5, encoding: 'text', mimeType: 'text/plain' })
    expect((await call('GET', `/api/workspace/files/${file.id}`)).body.text).toBe('three')

    const bytes = Buffer.from([9, 8, 7]).toString('base64')
    const binary = await call('PUT', `/api/workspace/files/${file.id}`, {
      body: { base64: bytes, mimeType: 'application/x-data' },
    })
    expect(binary.body).toMatchObject({ encoding: 'binary', sizeBytes: 3, mimeType: 'application/x-data' })
    expect((await call('GET', `/api/workspace/files/${file.id}`)).body).toEqual({ file: binary.body, base64: bytes })
  })

  it('refuses a bad body and an unknown file, leaving the content as it was', async () => {
    const file = await created('/api/workspace/files', { name: 'a.md', text: 'a' })
    const cases: [unknown, string][] = [
      [{}, 'body.text'],
      [{ base64: '***' }, 'body.base64'],
      [{ text: 'x', name: 'b.md' }, 'body.name'],
    ]
    for (const [body, path] of cases) {
      const response = await call('PUT', `/api/workspace/files/${file.id}`, { body })
      expectError(response, 400, 'INVALID_VALUE', JSON.stringify(body))
      expect(response.body.path).toBe(path)
    }
    expectError(await call('PUT', '/api/workspace/files/nope', { body: { text: 'x' } }), 404, 'NOT_FOUND')
    expect((await call('GET', `/api/workspace/files/${file.id}`)).body).toEqual({ file, text: 'a' })
  })
})

describe('POST /workspace/entries/{id}/move and /rename', () => {
  it('move and rename files and folders, the paths below a folder following', async () => {
    const docs = await created('/api/workspace/folders', { name: 'docs' })
    const archive = await created('/api/workspace/folders', { name: 'archive' })
    const file = await created('/api/workspace/files', { name: 'a.md', text: 'a', folderId: docs.id })

    const moved = await call('POST', `/api/workspace/entries/${docs.id}/move`, { body: { folderId: archive.id } })
    expect(moved.status).toBe(200)
    expect(moved.body).toMatchObject({ kind: 'folder', folder: { id: docs.id, path: '/archive/docs' } })
    const renamed = await call('POST', `/api/workspace/entries/${archive.id}/rename`, { body: { name: 'old' } })
    expect(renamed.body).toMatchObject({ kind: 'folder', folder: { name: 'old', path: '/old' } })
    const toRoot = await call('POST', `/api/workspace/entries/${file.id}/move`, { body: { folderId: null } })
    expect(toRoot.body).toMatchObject({ kind: 'file', file: { folderId: null, path: '/a.md' } })

    const tree = (await call('GET', '/api/workspace')).body
    expect([...tree.folders, ...tree.files].map((e: any) => e.path)).toEqual(['/old', '/old/docs', '/a.md'])
  })

  it('refuse bad bodies, unknown entries and folders, taken names and moves into a subtree', async () => {
    const docs = await created('/api/workspace/folders', { name: 'docs' })
    const specs = await created('/api/workspace/folders', { name: 'specs', parentId: docs.id })
    const file = await created('/api/workspace/files', { name: 'specs', text: 'x' })
    const before = await snapshot()
    const bad: [string, unknown, string][] = [
      ['move', {}, 'body.folderId'],
      ['move', { folderId: 5 }, 'body.folderId'],
      ['move', { folderId: '' }, 'body.folderId'],
      ['rename', {}, 'body.name'],
      ['rename', { name: '' }, 'body.name'],
      ['rename', { name: 'x'.repeat(256) }, 'body.name'],
    ]
    for (const [action, body, path] of bad) {
      const response = await call('POST', `/api/workspace/entries/${file.id}/${action}`, { body })
      expectError(response, 400, 'INVALID_VALUE', `${action} ${JSON.stringify(body)}`)
      expect(response.body.path).toBe(path)
    }
    expectError(await call('POST', '/api/workspace/entries/nope/move', { body: { folderId: null } }), 404, 'NOT_FOUND')
    expectError(
      await call('POST', `/api/workspace/entries/${file.id}/move`, { body: { folderId: 'nope' } }),
      404,
      'NOT_FOUND',
    )
    expectError(await call('POST', '/api/workspace/entries/nope/rename', { body: { name: 'x' } }), 404, 'NOT_FOUND')
    expectError(
      await call('POST', `/api/workspace/entries/${docs.id}/move`, { body: { folderId: specs.id } }),
      409,
      'INVALID_MOVE',
    )
    expectError(
      await call('POST', `/api/workspace/entries/${file.id}/move`, { body: { folderId: docs.id } }),
      409,
      'ALREADY_EXISTS',
    )
    expectError(
      await call('POST', `/api/workspace/entries/${docs.id}/rename`, { body: { name: 'specs' } }),
      409,
      'ALREADY_EXISTS',
    )
    expect(await snapshot()).toEqual(before)
  })
})

describe('DELETE /workspace/entries/{id}', () => {
  it('deletes a file, and a folder with everything in it (204)', async () => {
    const docs = await created('/api/workspace/folders', { name: 'docs' })
    const inner = await created('/api/workspace/files', { name: 'a.md', text: 'a', folderId: docs.id })
    const top = await created('/api/workspace/files', { name: 'top.md', text: 't' })

    expect(await call('DELETE', `/api/workspace/entries/${top.id}`)).toEqual({ status: 204, body: undefined })
    expect((await call('GET', '/api/workspace')).body.files.map((f: any) => f.id)).toEqual([inner.id])
    expect(await call('DELETE', `/api/workspace/entries/${docs.id}`)).toEqual({ status: 204, body: undefined })
    expect((await call('GET', '/api/workspace')).body).toEqual({ folders: [], files: [] })
    expectError(await call('GET', `/api/workspace/files/${inner.id}`), 404, 'NOT_FOUND')
  })

  it('answers 404 for an unknown id', async () => {
    expectError(await call('DELETE', '/api/workspace/entries/nope'), 404, 'NOT_FOUND')
  })
})

describe('GET /workspace/history', () => {
  it('pages the history newest first, and keeps the entries of one target', async () => {
    const file = await created('/api/workspace/files', { name: 'a.md', text: 'a' })
    await call('PUT', `/api/workspace/files/${file.id}`, { body: { text: 'b' } })
    const docs = await created('/api/workspace/folders', { name: 'docs' })
    await call('POST', `/api/workspace/entries/${file.id}/move`, { body: { folderId: docs.id } })

    const all = await call('GET', '/api/workspace/history')
    expect(all.status).toBe(200)
    expect(all.body.map((e: any) => e.action)).toEqual(['move', 'create-folder', 'write-file', 'create-file'])
    const page = (await call('GET', '/api/workspace/history?limit=2')).body
    expect(page.map((e: any) => e.action)).toEqual(['move', 'create-folder'])
    const next = (await call('GET', `/api/workspace/history?limit=2&beforeId=${page[1].id}`)).body
    expect(next.map((e: any) => e.action)).toEqual(['write-file', 'create-file'])
    const ofFile = (await call('GET', `/api/workspace/history?targetId=${file.id}`)).body
    expect(ofFile.map((e: any) => e.action)).toEqual(['move', 'write-file', 'create-file'])
    expect(ofFile[0]).toMatchObject({ targetKind: 'file', path: '/docs/a.md', details: { from: '/a.md' } })
  })

  it('refuses a bad query with the path of the parameter', async () => {
    const cases: [string, string][] = [
      ['limit=0', 'query.limit'],
      ['limit=abc', 'query.limit'],
      ['limit=1.5', 'query.limit'],
      ['beforeId=-1', 'query.beforeId'],
      ['targetId=', 'query.targetId'],
      ['order=asc', 'query.order'],
    ]
    for (const [search, path] of cases) {
      const response = await call('GET', `/api/workspace/history?${search}`)
      expectError(response, 400, 'INVALID_VALUE', search)
      expect(response.body.path).toBe(path)
    }
  })
})

describe("another user's ids", () => {
  it('are not found by user B, who cannot read, write, move, rename or delete what user A has', async () => {
    const docs = await created('/api/workspace/folders', { name: 'docs' })
    const file = await created('/api/workspace/files', { name: 'secret.md', text: 'alice only', folderId: docs.id })
    const before = await snapshot('alice')

    expectError(await call('GET', `/api/workspace/files/${file.id}`, { token: 'bob' }), 404, 'NOT_FOUND', 'read')
    expectError(
      await call('PUT', `/api/workspace/files/${file.id}`, { token: 'bob', body: { text: 'bob was here' } }),
      404,
      'NOT_FOUND',
      'write',
    )
    expectError(
      await call('POST', `/api/workspace/entries/${file.id}/move`, { token: 'bob', body: { folderId: null } }),
      404,
      'NOT_FOUND',
      'move',
    )
    expectError(
      await call('POST', `/api/workspace/entries/${file.id}/rename`, { token: 'bob', body: { name: 'mine.md' } }),
      404,
      'NOT_FOUND',
      'rename',
    )
    for (const id of [file.id, docs.id])
      expectError(await call('DELETE', `/api/workspace/entries/${id}`, { token: 'bob' }), 404, 'NOT_FOUND', 'delete')
    expectError(
      await call('POST', '/api/workspace/files', { token: 'bob', body: { name: 'x', text: 'x', folderId: docs.id } }),
      404,
      'NOT_FOUND',
      'create in',
    )

    expect(await call('GET', '/api/workspace', { token: 'bob' })).toEqual({
      status: 200,
      body: { folders: [], files: [] },
    })
    expect((await call('GET', '/api/workspace/history', { token: 'bob' })).body).toEqual([])
    expect(await snapshot('alice')).toEqual(before)
  })
})

describe('names and ids that try to be paths or SQL', () => {
  it('refuses names that are paths, before anything is written', async () => {
    for (const name of ['../x', '..', '.', 'a/b', '/etc/passwd', 'a\u0000b', 'line\nbreak']) {
      for (const [path, body] of [
        ['/api/workspace/files', { name, text: 'x' }],
        ['/api/workspace/folders', { name }],
      ] as const) {
        const response = await call('POST', path, { body })
        expectError(response, 400, 'INVALID_VALUE', `${path} ${JSON.stringify(name)}`)
        expect(response.body.path).toBe('body.name')
      }
    }
    const file = await created('/api/workspace/files', { name: 'a.md', text: 'a' })
    const rename = await call('POST', `/api/workspace/entries/${file.id}/rename`, { body: { name: '../../a.md' } })
    expectError(rename, 400, 'INVALID_VALUE')
    expect((await call('GET', '/api/workspace')).body.files.map((f: any) => f.path)).toEqual(['/a.md'])
  })

  it('stores a name that reads as SQL as it is, and leaves the tables alone', async () => {
    const name = "a'; DROP TABLE x; --"
    const folder = await created('/api/workspace/folders', { name })
    const file = await created('/api/workspace/files', { name, text: name, folderId: folder.id })
    expect(file.path).toBe(`/${name}/${name}`)
    expect((await call('GET', `/api/workspace/files/${file.id}`)).body.text).toBe(name)
    const renamed = await call('POST', `/api/workspace/entries/${file.id}/rename`, {
      body: { name: 'x"; DELETE FROM workspace_files; --' },
    })
    expect(renamed.body.file.path).toBe(`/${name}/x"; DELETE FROM workspace_files; --`)
    expect((await call('GET', '/api/workspace')).body.files).toHaveLength(1)
  })

  it('finds nothing by an id that is a path or SQL', async () => {
    await created('/api/workspace/files', { name: 'a.md', text: 'a' })
    for (const id of ['..%2F..%2Fetc%2Fpasswd', "x'%20OR%20'1'%3D'1", '%25', '*']) {
      expectError(await call('GET', `/api/workspace/files/${id}`), 404, 'NOT_FOUND', id)
      expectError(await call('DELETE', `/api/workspace/entries/${id}`), 404, 'NOT_FOUND', id)
    }
    expect((await call('GET', '/api/workspace')).body.files).toHaveLength(1)
  })
})

describe('the OpenAPI document', () => {
  it('describes every workspace route, valid as OpenAPI 3.1', async () => {
    const doc = await openApi()
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/workspace',
        '/api/workspace/files',
        '/api/workspace/files/{id}',
        '/api/workspace/folders',
        '/api/workspace/entries/{id}/move',
        '/api/workspace/entries/{id}/rename',
        '/api/workspace/entries/{id}',
        '/api/workspace/history',
      ]),
    )
  })
})
