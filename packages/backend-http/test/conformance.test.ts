import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Backend, SchemaSpec, StoreSchema } from '@zustand-sqlite/core'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createHttpBackend } from '@zustand-sqlite/backend-http'
import { createServerHandler } from '@zustand-sqlite/server'
import { serveForTests } from './testServer'

// The conformance suite over HTTP: a real server on 127.0.0.1 (Node's http server through @hono/node-server), a
// database per user, each case on a new user. The suite's stores are many and made up on the spot: the harness
// plays the operator who pins their schemas on the server, in this process, before the client prepares one (no
// schema goes over HTTP). Its checks that read tables with SQL read the user's database on the server directly:
// the HTTP backend runs no SQL.

const dir = mkdtempSync(join(tmpdir(), 'zs-http-'))
const schemas = new Map<string, Map<string, SchemaSpec>>()
const databases = new Map<string, Backend>()
const handler = createServerHandler({
  authenticate: (request) => request.headers.get('authorization')?.replace(/^Bearer /, ''),
  stores: (store, userId) => {
    const spec = schemas.get(userId)?.get(store)
    return spec === undefined ? undefined : { name: store, schema: { spec } as StoreSchema }
  },
  // The suite's largest case sends 100k rows of 10 columns in one ChangeSet.
  maxBodyBytes: 64 * 1024 * 1024,
  database: (userId) => {
    const backend = createBetterSqlite3Backend({ filename: join(dir, `${userId}.db`) })
    databases.set(userId, backend)
    return backend
  },
})
const served = serveForTests(handler, dir)

let users = 0
let user = ''

/** The HTTP backend of `user`, with the harness's two test-only parts: schemas pinned, SQL on the server's side. */
function clientOf(userId: string): Backend {
  const http = createHttpBackend({ url: served.url(), headers: { authorization: `Bearer ${userId}` } })
  return {
    ...http,
    prepare: (store, schema) => {
      let pinned = schemas.get(userId)
      if (pinned === undefined) schemas.set(userId, (pinned = new Map()))
      pinned.set(store, schema)
      return http.prepare(store, schema)
    },
    query: async (sql, params) => (databases.get(userId) as Backend).query(sql, params),
  }
}

runBackendConformance('http (a @zustand-sqlite/server on 127.0.0.1, better-sqlite3 per user)', {
  open: () => {
    user = `user-${++users}`
    return clientOf(user)
  },
  reopen: () => clientOf(user),
})
