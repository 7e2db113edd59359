import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { chatFoldersDefinition } from '@zustand-sqlite/store-folders'
import { uiPreferencesDefinition } from '@zustand-sqlite/store-ui'
import { workspaceDefinition } from '@zustand-sqlite/store-workspace'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createServerHandler, userDatabaseFile } from '@zustand-sqlite/server'
import type { ServerHandler } from '@zustand-sqlite/server'

// The sync routes of the server, through its Fetch API handler: what backend-http sends, and what hostile
// clients send. Each user has a database file of their own under a temporary data directory.

const tokens: Record<string, string> = { 'token-alice': 'alice', 'token-bob': 'bob' }
let dataDir: string
let server: ServerHandler

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'zs-server-'))
  server = createServerHandler({
    authenticate: (request) => tokens[(request.headers.get('authorization') ?? '').replace(/^Bearer /, '')],
    stores: [uiPreferencesDefinition, chatFoldersDefinition, workspaceDefinition],
    dataDir,
    maxBodyBytes: 1024 * 1024,
  })
})

afterEach(async () => {
  await server.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const call = (
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
) => {
  const headers: Record<string, string> = { ...options.headers }
  const token = options.token === undefined ? 'token-alice' : options.token
  if (token !== null) headers['authorization'] = `Bearer ${token}`
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  if (body !== undefined) headers['content-type'] = 'application/json'
  return server.fetch(
    new Request(`http://127.0.0.1${path}`, { method, headers, ...(body === undefined ? {} : { body }) }),
  )
}

/** A folder row upserted, as the chat-folders store's ChangeSet writes it. */
async function folderChangeSet(baseRevision: number, id: string, title: string) {
  const record = (await (await call('GET', '/api/sync/app-folders/record')).json()) as { schemaVersion: number }
  return {
    store: 'app-folders',
    schemaVersion: record.schemaVersion,
    stateVersion: 1,
    baseRevision,
    tables: [
      {
        table: 'chat_folders',
        upsert: [{ columns: ['id', 'title', 'sort_key'], rows: [[id, title, 'a0']] }],
      },
    ],
  }
}

describe('the sync routes', () => {
  it('prepare a store with the server schema, apply a ChangeSet against its revision, and load it back', async () => {
    const record = await call('GET', '/api/sync/app-folders/record')
    expect(record.status).toBe(200)
    expect(await record.json()).toMatchObject({ stateVersion: null, revision: 0, schemaVersion: expect.any(Number) })

    const applied = await call('POST', '/api/sync/app-folders', { body: await folderChangeSet(0, 'f1', 'Work') })
    expect(applied.status, await applied.clone().text()).toBe(200)
    expect(await applied.json()).toMatchObject({ revision: 1 })

    const loaded = (await (await call('GET', '/api/sync/app-folders')).json()) as {
      revision: number
      tables: Record<string, { columns: string[]; rows: unknown[][] }>
    }
    expect(loaded.revision).toBe(1)
    const folders = loaded.tables['chat_folders']!
    expect(folders.rows.map((row) => row[folders.columns.indexOf('title')])).toEqual(['Work'])
  })

  it('answer a stale client 412 and write nothing', async () => {
    expect((await call('POST', '/api/sync/app-folders', { body: await folderChangeSet(0, 'f1', 'Work') })).status).toBe(
      200,
    )
    const stale = await call('POST', '/api/sync/app-folders', { body: await folderChangeSet(0, 'f2', 'Stale') })
    expect(stale.status).toBe(412)
    expect(await stale.json()).toMatchObject({ code: 'CONCURRENT_MODIFICATION' })
    const loaded = (await (await call('GET', '/api/sync/app-folders')).json()) as {
      revision: number
      tables: Record<string, { rows: unknown[] }>
    }
    expect(loaded.revision).toBe(1)
    expect(loaded.tables['chat_folders']!.rows).toHaveLength(1)
  })

  it('apply a ChangeSet retried with its Idempotency-Key once, and answer the retry as the first time', async () => {
    const body = await folderChangeSet(0, 'f1', 'Work')
    const headers = { 'idempotency-key': 'write-1' }
    const first = await call('POST', '/api/sync/app-folders', { body, headers })
    expect(first.status).toBe(200)
    // The answer was lost; the client sends the same ChangeSet again, against the revision it had.
    const retry = await call('POST', '/api/sync/app-folders', { body, headers })
    expect(retry.status).toBe(200)
    expect(await retry.json()).toEqual({ revision: 1, replayed: true })
    const loaded = (await (await call('GET', '/api/sync/app-folders')).json()) as { revision: number }
    expect(loaded.revision).toBe(1)
  })

  it('apply several stores together, all or none', async () => {
    const folders = await folderChangeSet(0, 'f1', 'Work')
    const ui = (await (await call('GET', '/api/sync/app-ui/record')).json()) as { schemaVersion: number }
    const stale = { store: 'app-ui', schemaVersion: ui.schemaVersion, baseRevision: 5, tables: [] }
    const refused = await call('POST', '/api/sync', { body: { changeSets: [folders, stale] } })
    expect(refused.status).toBe(412)
    expect(((await (await call('GET', '/api/sync/app-folders')).json()) as { revision: number }).revision).toBe(0)
    const both = await call('POST', '/api/sync', { body: { changeSets: [folders, { ...stale, baseRevision: 0 }] } })
    expect(both.status).toBe(200)
    expect(await both.json()).toEqual({ results: [{ revision: 1 }, { revision: 1 }] })
    const twice = await call('POST', '/api/sync', { body: { changeSets: [folders, folders] } })
    expect(twice.status).toBe(400)
    expect(await twice.json()).toMatchObject({ code: 'INVALID_CHANGESET', path: '$.changeSets[1].store' })
  })

  it('clear a store', async () => {
    await call('POST', '/api/sync/app-folders', { body: await folderChangeSet(0, 'f1', 'Work') })
    expect((await call('DELETE', '/api/sync/app-folders')).status).toBe(204)
    const loaded = (await (await call('GET', '/api/sync/app-folders')).json()) as {
      tables: Record<string, { rows: unknown[] }>
    }
    expect(loaded.tables['chat_folders']?.rows ?? []).toEqual([])
  })
})

describe('hostile clients', () => {
  it('get 401 without a token or with a wrong one, and nothing of anyone is opened', async () => {
    for (const token of [null, 'token-mallory', '']) {
      const response = await call('GET', '/api/sync/app-folders', { token })
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED' })
    }
    expect(readdirSync(dataDir)).toEqual([])
  })

  it("never reach another user's data: each user has a database of their own", async () => {
    await call('POST', '/api/sync/app-folders', { body: await folderChangeSet(0, 'f1', 'Alice only') })
    const bob = (await (await call('GET', '/api/sync/app-folders', { token: 'token-bob' })).json()) as {
      revision: number
      tables: Record<string, { rows: unknown[] }>
    }
    expect(bob.revision).toBe(0)
    expect(bob.tables['chat_folders']?.rows ?? []).toEqual([])
    const files = readdirSync(dataDir)
    expect(files).toEqual(expect.arrayContaining(['user-alice.db', 'user-bob.db']))
    for (const file of files) expect(file).toMatch(/^user-(alice|bob)\.db(-wal|-shm)?$/)
  })

  it('cannot name a database file: user ids with path characters are hashed', () => {
    expect(userDatabaseFile('alice')).toBe('user-alice.db')
    for (const id of ['../bob', 'a/b', 'x'.repeat(65), 'é', 'user-alice']) {
      const file = userDatabaseFile(id)
      expect(file, id).toMatch(id === 'user-alice' ? /^user-user-alice\.db$/ : /^sha256-[0-9a-f]{64}\.db$/)
    }
  })

  it('get 404 for a store the server does not serve, the internal store, or an injected name', async () => {
    for (const path of [
      '/api/sync/app-chats',
      '/api/sync/zustand-sqlite%3Aserver',
      "/api/sync/app-folders'%3B%20DROP%20TABLE%20chat_folders%3B--",
      '/api/sync/%E0%A4%A',
      '/api/other',
    ]) {
      const response = await call('GET', path)
      expect(response.status, path).toBe(404)
    }
  })

  it('get 400 with the path of the problem for ChangeSets outside the server schema, and nothing is written', async () => {
    const good = await folderChangeSet(0, 'f1', 'Work')
    const cases: [unknown, string][] = [
      [{ ...good, tables: [{ table: 'sqlite_schema', upsert: [] }] }, '$.tables[0].table'],
      [
        { ...good, tables: [{ table: 'chat_folders', upsert: [{ columns: ['id', 'owner'], rows: [['f1', 'x']] }] }] },
        '$.tables[0].upsert[0].columns[1]',
      ],
      [
        { ...good, tables: [{ table: 'chat_folders', upsert: [{ columns: ['id', 'title'], rows: [['f1', 42]] }] }] },
        '$.tables[0].upsert[0].rows[0][1]',
      ],
      [
        {
          ...good,
          tables: [{ table: 'chat_folders', upsert: [{ columns: ['id', 'title'], rows: [['f1', { $sql: 'x' }]] }] }],
        },
        '$.tables[0].upsert[0].rows[0][1]',
      ],
      [
        { ...good, tables: [{ table: 'chat_folders', upsert: [{ columns: ['id', 'title'], rows: [['f1']] }] }] },
        '$.tables[0].upsert[0].rows[0]',
      ],
      [{ ...good, schemaVersion: 999 }, '$.schemaVersion'],
      [{ ...good, store: 'app-ui' }, '$.store'],
      [{ ...good, sql: 'DELETE FROM chat_folders' }, '$'],
      [{ ...good, kv: { set: [['key', 'not json']] } }, '$.kv.set[0][1]'],
      [{ ...good, baseRevision: -1 }, '$.baseRevision'],
      [[good], '$'],
    ]
    for (const [body, path] of cases) {
      const response = await call('POST', '/api/sync/app-folders', { body })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(await response.json()).toMatchObject({ code: 'INVALID_CHANGESET', path })
    }
    const loaded = (await (await call('GET', '/api/sync/app-folders')).json()) as { revision: number }
    expect(loaded.revision).toBe(0)
  })

  it('get 400 for a body that is not JSON, 413 for 50 MB, 405 for another method', async () => {
    const notJson = await call('POST', '/api/sync/app-folders', { raw: '{"store":' })
    expect(notJson.status).toBe(400)
    expect(await notJson.json()).toMatchObject({ code: 'INVALID_REQUEST' })

    const huge = await call('POST', '/api/sync/app-folders', { raw: `"${'x'.repeat(50 * 1024 * 1024)}"` })
    expect(huge.status).toBe(413)
    expect(await huge.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' })
    // Told up front by Content-Length, the body is not read at all.
    const declared = await call('POST', '/api/sync/app-folders', {
      raw: '{}',
      headers: { 'content-length': String(50 * 1024 * 1024) },
    })
    expect(declared.status).toBe(413)

    expect((await call('PUT', '/api/sync/app-folders', { body: {} })).status).toBe(405)
    expect((await call('POST', '/api/sync/app-folders/record', { body: {} })).status).toBe(405)
    const loaded = (await (await call('GET', '/api/sync/app-folders')).json()) as { revision: number }
    expect(loaded.revision).toBe(0)
  })
})

describe('open databases', () => {
  it('closes the least recently used beyond maxOpenDatabases, and opens it again at its next request', async () => {
    const opened: string[] = []
    const closed: string[] = []
    const limited = createServerHandler({
      authenticate: (request) => request.headers.get('authorization')?.replace(/^Bearer /, ''),
      stores: [chatFoldersDefinition],
      maxOpenDatabases: 2,
      database: (userId) => {
        opened.push(userId)
        const backend = createBetterSqlite3Backend({ filename: join(dataDir, `${userId}.db`) })
        return { ...backend, close: () => (closed.push(userId), backend.close()) }
      },
    })
    const get = (user: string) =>
      limited.fetch(
        new Request('http://127.0.0.1/api/sync/app-folders/record', { headers: { authorization: `Bearer ${user}` } }),
      )
    const body = (await (await get('u1')).json()) as { schemaVersion: number }
    const write = await limited.fetch(
      new Request('http://127.0.0.1/api/sync/app-folders', {
        method: 'POST',
        headers: { authorization: 'Bearer u1', 'content-type': 'application/json' },
        body: JSON.stringify({
          store: 'app-folders',
          schemaVersion: body.schemaVersion,
          baseRevision: 0,
          tables: [
            { table: 'chat_folders', upsert: [{ columns: ['id', 'title', 'sort_key'], rows: [['f1', 'Kept', 'a0']] }] },
          ],
        }),
      }),
    )
    expect(write.status).toBe(200)
    await get('u2')
    await get('u3')
    await new Promise((resolve) => setTimeout(resolve, 10))
    // u1 was the least recently used: closed when u3 opened.
    expect(closed).toEqual(['u1'])
    const again = (await (await get('u1')).json()) as { revision: number }
    expect(again.revision).toBe(1)
    expect(opened).toEqual(['u1', 'u2', 'u3', 'u1'])
    await limited.close()
    expect([...closed].sort()).toEqual(['u1', 'u1', 'u2', 'u3'])
  })
})
