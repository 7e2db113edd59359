import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStore } from 'zustand/vanilla'
import { describe, expect, it } from 'vitest'
import { collection, column, defineSchema, persistSQLite } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createHttpBackend } from '@zustand-sqlite/backend-http'
import { createServerHandler } from '@zustand-sqlite/server'
import { failure } from '../../../test-utils/backends'
import { serveForTests } from './testServer'

// The HTTP backend against a real server on 127.0.0.1: what the network and other clients do to it.

interface Notes {
  notes: { id: string; text: string }[]
}
const notesSchema = (version: number) =>
  defineSchema({
    version,
    state: {
      notes: collection({ table: 'notes', key: 'id', columns: { id: column.text(), text: column.text() } }),
    },
    ...(version > 1 ? { migrations: { [version]: 'SELECT 1' } } : {}),
  })

const dir = mkdtempSync(join(tmpdir(), 'zs-http-'))
const handler = createServerHandler({
  authenticate: (request) => request.headers.get('authorization')?.replace(/^Bearer /, ''),
  stores: [{ name: 'notes', schema: notesSchema(1) }],
  dataDir: dir,
})
let requests = 0
const served = serveForTests(handler, dir, () => requests++)

let users = 0
const newUser = () => `user-${++users}`

const notesStore = (backend: Backend, version = 1) =>
  createStore<Notes>()(
    persistSQLite((): Notes => ({ notes: [] }), { name: 'notes', backend, schema: notesSchema(version) }),
  )

describe('the HTTP backend', () => {
  it('keeps a store on the server: a second client of the same user finds it', async () => {
    const user = newUser()
    const backend = createHttpBackend({ url: served.url(), headers: { authorization: `Bearer ${user}` } })
    const store = notesStore(backend)
    await hydrated(store)
    store.setState({ notes: [{ id: 'n1', text: 'kept on the server' }] })
    await store.persist.flush()
    const other = notesStore(
      createHttpBackend({ url: served.url(), headers: () => ({ authorization: `Bearer ${user}` }) }),
    )
    await hydrated(other)
    expect(other.getState().notes).toEqual([{ id: 'n1', text: 'kept on the server' }])
  })

  it('sends a ChangeSet again after a lost answer, and the server applies it once', async () => {
    const user = newUser()
    let dropped = 0
    // The first answer to a write is lost on its way back: the request reached the server.
    const lossy: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (init?.method === 'POST' && dropped === 0) {
        dropped++
        throw new TypeError('fetch failed: the connection was reset')
      }
      return response
    }
    const backend = createHttpBackend({
      url: served.url(),
      headers: { authorization: `Bearer ${user}` },
      fetch: lossy,
      retryDelayMs: 1,
    })
    await backend.prepare('notes', notesSchema(1).spec)
    // Without a baseRevision (a write that applies whatever the revision), only the idempotency key tells the
    // server that the second request is the first one again.
    const result = await backend.apply({
      store: 'notes',
      schemaVersion: 1,
      tables: [{ table: 'notes', upsert: [{ columns: ['id', 'text', 'sort_key'], rows: [['n1', 'once', 'a0']] }] }],
    })
    expect(dropped).toBe(1)
    expect(result).toMatchObject({ revision: 1 })
    // Applied once: one commit, not two.
    expect((await backend.prepare('notes', notesSchema(1).spec)).revision).toBe(1)
  })

  it('gives up after its attempts with WRITE_FAILED when the server cannot be reached', async () => {
    const before = requests
    const backend = createHttpBackend({ url: 'http://127.0.0.1:9/api', attempts: 3, retryDelayMs: 1 })
    expect(await failure(() => backend.load('notes'))).toMatchObject({ code: 'WRITE_FAILED' })
    expect(requests).toBe(before)
  })

  it('fails a write behind another client with CONCURRENT_MODIFICATION, which persistSQLite resolves as persist would', async () => {
    const user = newUser()
    const a = notesStore(createHttpBackend({ url: served.url(), headers: { authorization: `Bearer ${user}` } }))
    const b = notesStore(createHttpBackend({ url: served.url(), headers: { authorization: `Bearer ${user}` } }))
    await Promise.all([hydrated(a), hydrated(b)])
    a.setState({ notes: [{ id: 'a1', text: 'from a' }] })
    await a.persist.flush()
    // b has not seen a's write (the server tells no client of others' commits): its write is refused (412), and
    // persistSQLite writes b's whole state over what is stored, as Zustand's persist does: the last writer wins.
    b.setState({ notes: [{ id: 'b1', text: 'from b' }] })
    await b.persist.flush()
    const fresh = notesStore(createHttpBackend({ url: served.url(), headers: { authorization: `Bearer ${user}` } }))
    await hydrated(fresh)
    expect(fresh.getState().notes).toEqual([{ id: 'b1', text: 'from b' }])
    // a takes it in by hydrating again.
    await a.persist.rehydrate()
    expect(a.getState().notes).toEqual(fresh.getState().notes)
    // And the precondition itself, as the backend reports it.
    const backend = createHttpBackend({ url: served.url(), headers: { authorization: `Bearer ${user}` } })
    await backend.prepare('notes', notesSchema(1).spec)
    const stale = { store: 'notes', schemaVersion: 1, baseRevision: 0, tables: [] }
    expect(await failure(() => backend.apply(stale))).toMatchObject({ code: 'CONCURRENT_MODIFICATION', store: 'notes' })
  })

  it('runs no SQL over HTTP, refuses a schema other than the server one, and reports a missing login', async () => {
    const user = newUser()
    const backend = createHttpBackend({ url: served.url(), headers: { authorization: `Bearer ${user}` } })
    expect(await failure(() => backend.query('SELECT * FROM notes'))).toMatchObject({ code: 'UNSUPPORTED_OPERATION' })
    expect(await failure(() => backend.prepare('notes', notesSchema(2).spec))).toMatchObject({
      code: 'INVALID_OPTIONS',
    })
    expect(await failure(() => backend.prepare('notes', { ...notesSchema(1).spec, version: 0 }))).toMatchObject({
      code: 'SCHEMA_TOO_NEW',
    })
    const anonymous = createHttpBackend({ url: served.url() })
    const refused = await failure(() => anonymous.load('notes'))
    expect(refused).toMatchObject({ code: 'WRITE_FAILED' })
    expect(String((refused as { message?: string }).message)).toContain('HTTP 401')
    await backend.close()
    expect(await failure(() => backend.load('notes'))).toMatchObject({ code: 'BACKEND_CLOSED' })
  })
})
