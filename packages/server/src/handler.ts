import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { column, defineSchema, isZustandSqliteError, table, toWire, ZustandSqliteError } from '@zustand-sqlite/core'
import type { ApiRoute, Backend, ChangeSet, SchemaSpec, StoreDefinition } from '@zustand-sqlite/core'
import { errorResponse, HttpError, json, plainMessage, readBody } from './http'
import { openApiDocument } from './openapi'
import type { OpenApiOptions } from './openapi'
import { checkInput, compileRoutes, findRoute, queryObject } from './restRoutes'
import { parseChangeSet } from './wire'

/** A store the server serves: its definition pins the name and the schema every ChangeSet is checked against. */
export type ServedStore = Pick<StoreDefinition<unknown, unknown, never>, 'name' | 'schema'>

/** Options of {@link createServerHandler}. */
export interface ServerHandlerOptions {
  /**
   * The user a request comes from, or `null`/`undefined` when it is not authenticated (the response is then
   * 401 and nothing is read). Read a session cookie, verify a bearer token, ...
   */
  readonly authenticate: (request: Request) => string | null | undefined | Promise<string | null | undefined>
  /**
   * The stores served, by their definitions (each store package exports one): nothing else is reachable. A
   * function is asked, after authentication, for each store a request names, and answers its definition or
   * `undefined` (404).
   */
  readonly stores: readonly ServedStore[] | ((store: string, userId: string) => ServedStore | undefined)
  /**
   * REST routes, as the store packages export them (`uiPreferencesRoutes()`, `chatFoldersRoutes()`, ...) or an
   * app's own (`defineRoute`). Each runs on the database of the request's user, after its path parameters, query
   * and body passed the route's validators. @default none
   */
  readonly routes?: readonly ApiRoute[]
  /**
   * The OpenAPI 3.1 document at `GET {basePath}/openapi.json`, generated from the routes' validators and served
   * without authentication (it holds no user data); `false` serves none. @default {}
   */
  readonly openapi?: OpenApiOptions | false
  /**
   * Opens a user's database. @default one SQLite file per user under `dataDir`, on better-sqlite3 (WAL); the
   * file's name is the user id when it is made of letters, digits, `-` and `_` (64 at most), else its SHA-256
   */
  readonly database?: (userId: string) => Backend | Promise<Backend>
  /** Where the default `database` keeps the users' files. @default '.data/server' */
  readonly dataDir?: string
  /** The path the routes start with. @default '/api' */
  readonly basePath?: string
  /** The largest request body accepted, in bytes; a larger one gets 413 and is not read further. @default 16 MiB */
  readonly maxBodyBytes?: number
  /**
   * Users' databases kept open at once: beyond it, the least recently used one no request is using is closed
   * (and opened again at its user's next request). @default 100
   */
  readonly maxOpenDatabases?: number
}

/** The server: a Fetch API handler (`Request` in, `Response` out), and what closes the users' databases. */
export interface ServerHandler {
  fetch(request: Request): Promise<Response>
  /** Closes every user's database the handler opened. */
  close(): Promise<void>
}

/** The store that records the idempotency keys of applied ChangeSets, in each user's database. */
const REQUESTS_STORE = 'zustand-sqlite:server'
const REQUESTS_TABLE = 'zustand_sqlite_server_requests'
const requestsSchema = defineSchema({
  tables: {
    [REQUESTS_TABLE]: table({
      columns: { key: column.text(), store: column.text(), at: column.integer() },
      primaryKey: ['key'],
      withoutRowid: true,
    }),
  },
})

const DEFAULT_MAX_BODY = 16 * 1024 * 1024
const DEFAULT_MAX_OPEN = 100
const SAFE_USER_ID = /^[A-Za-z0-9_-]{1,64}$/
const MAX_IDEMPOTENCY_KEY = 200

/** The file of a user's database: never a path of the user's making. */
export function userDatabaseFile(userId: string): string {
  return SAFE_USER_ID.test(userId)
    ? `user-${userId}.db`
    : `sha256-${createHash('sha256').update(userId, 'utf8').digest('hex')}.db`
}

/** The server's schema of a store, for the user of a request: `undefined` for a store not served. */
type SpecOf = (store: string) => SchemaSpec | undefined

/** A user's database, opened once, its stores prepared once, its requests handled one at a time. */
interface UserDatabase {
  readonly backend: Backend
  readonly prepared: Set<string>
  tail: Promise<unknown>
  /** Requests using it now: it is not closed while any does. */
  users: number
}

/**
 * The server side of zustand-sqlite, on the Fetch API: it mounts unchanged in a Next.js route handler, Hono,
 * Deno, Bun, or Node's http server through an adapter. Each request is authenticated into a user id, and every
 * user has a database of their own: no path, body or identifier reaches another user's data.
 *
 * Sync routes, for `@zustand-sqlite/backend-http` (under `basePath`, default `/api`):
 * - `GET /sync/{store}/record`: the store prepared with the server's schema; its record and schema version.
 * - `GET /sync/{store}`: the store's rows (`LoadResult`), values in the JSON wire form.
 * - `POST /sync/{store}`: applies a ChangeSet. Its `baseRevision` is the precondition: a client behind gets 412
 *   (CONCURRENT_MODIFICATION) and nothing is written. The ChangeSet is checked against the server's own schema
 *   of the store; anything else gets 400 (INVALID_CHANGESET, with the path of the problem). An
 *   `Idempotency-Key` header makes a retry of an applied ChangeSet answer as the first time, writing nothing.
 * - `DELETE /sync/{store}`: clears the store.
 * - `POST /sync`: several stores' ChangeSets (`{ changeSets: [...] }`) in one transaction; `{ results }`.
 *
 * @example
 * ```ts
 * const server = createServerHandler({
 *   authenticate: (request) => usersByToken.get(request.headers.get('authorization') ?? ''),
 *   stores: [uiPreferencesDefinition, chatFoldersDefinition],
 * })
 * // Next.js: export const GET = server.fetch, POST = server.fetch, ...
 * ```
 */
export function createServerHandler(options: ServerHandlerOptions): ServerHandler {
  const basePath = (options.basePath ?? '/api').replace(/\/+$/, '')
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY
  const restRoutes = compileRoutes(options.routes ?? [])
  const openapi =
    options.openapi === false
      ? undefined
      : JSON.stringify(openApiDocument(basePath, options.routes ?? [], options.openapi))
  const listed = new Map<string, SchemaSpec>()
  const { stores } = options
  if (typeof stores !== 'function')
    for (const store of stores) {
      if (store.name === REQUESTS_STORE || listed.has(store.name))
        throw new ZustandSqliteError(
          'INVALID_OPTIONS',
          `store ${JSON.stringify(store.name)} is served twice or reserved`,
        )
      listed.set(store.name, (store.schema ?? defineSchema()).spec)
    }
  /** The server's schema of a store, `undefined` for one not served. */
  const schemaOf = (name: string, userId: string): SchemaSpec | undefined => {
    if (name === REQUESTS_STORE) return undefined
    if (typeof stores !== 'function') return listed.get(name)
    const store = stores(name, userId)
    return store === undefined || store.name !== name ? undefined : (store.schema ?? defineSchema()).spec
  }
  const dataDir = options.dataDir ?? '.data/server'
  const open =
    options.database ??
    ((userId: string): Backend => {
      mkdirSync(dataDir, { recursive: true })
      return createBetterSqlite3Backend({ filename: join(dataDir, userDatabaseFile(userId)) })
    })
  /** The users' databases, least recently used first. */
  const databases = new Map<string, Promise<UserDatabase>>()
  const maxOpen = options.maxOpenDatabases ?? DEFAULT_MAX_OPEN

  /** Closes the least recently used databases no request is using, down to `maxOpen`. */
  const evict = async (): Promise<void> => {
    for (const [userId, entry] of databases) {
      if (databases.size <= maxOpen) return
      const db = await entry.catch(() => undefined)
      if (db === undefined || db.users > 0 || databases.get(userId) !== entry) continue
      databases.delete(userId)
      await db.backend.close()
    }
  }

  /**
   * Runs `task` on the user's database, after the user's requests before it (a retry never races the request
   * it repeats). The database is opened on the user's first request, and stays open while any request uses it.
   */
  const withDatabase = async <T>(userId: string, task: (db: UserDatabase) => Promise<T>): Promise<T> => {
    let entry = databases.get(userId)
    if (entry === undefined) {
      entry = Promise.resolve(open(userId)).then((backend) => ({
        backend,
        prepared: new Set<string>(),
        tail: Promise.resolve(),
        users: 0,
      }))
      const opened = entry
      opened.catch(() => {
        if (databases.get(userId) === opened) databases.delete(userId)
      })
    } else databases.delete(userId)
    // Most recently used last.
    databases.set(userId, entry)
    const db = await entry
    db.users++
    try {
      if (databases.size > maxOpen) void evict()
      const result = db.tail.then(
        () => task(db),
        () => task(db),
      )
      db.tail = result.catch(() => undefined)
      return await result
    } finally {
      db.users--
    }
  }

  const prepare = async (db: UserDatabase, store: string, spec: SchemaSpec) => {
    const record = await db.backend.prepare(store, spec)
    db.prepared.add(store)
    return record
  }

  /**
   * Applies one ChangeSet (`batch` false) or several stores' together (`applyMany`). With an idempotency key, the
   * key is recorded in the same transaction, and a key seen before is answered without writing again.
   */
  const apply = async (
    db: UserDatabase,
    changeSets: readonly ChangeSet[],
    key: string | null,
    batch: boolean,
    specOf: SpecOf,
  ): Promise<Response> => {
    for (const { store } of changeSets)
      if (!db.prepared.has(store)) await prepare(db, store, specOf(store) as SchemaSpec)
    const answer = (results: readonly unknown[]) => json(200, toWire(batch ? { results } : results[0]))
    if (key === null && !batch) return answer([await db.backend.apply(changeSets[0] as ChangeSet)])
    if (db.backend.applyMany === undefined)
      throw new ZustandSqliteError('UNSUPPORTED_OPERATION', 'this database cannot apply several ChangeSets together')
    if (key === null) return answer(await db.backend.applyMany(changeSets))
    if (!db.prepared.has(REQUESTS_STORE)) await prepare(db, REQUESTS_STORE, requestsSchema.spec)
    const seen = await db.backend.query(`SELECT store FROM ${REQUESTS_TABLE} WHERE key = ?`, [key])
    if (seen.length > 0) {
      // Applied before: the client did not get the answer. Nothing is written again.
      const results = []
      for (const { store } of changeSets) {
        const record = await db.backend.prepare(store, specOf(store) as SchemaSpec)
        results.push({ revision: record.revision, replayed: true })
      }
      return answer(results)
    }
    const keyRecord: ChangeSet = {
      store: REQUESTS_STORE,
      schemaVersion: requestsSchema.spec.version,
      tables: [
        {
          table: REQUESTS_TABLE,
          insert: [
            { columns: ['key', 'store', 'at'], rows: [[key, changeSets.map((c) => c.store).join(','), Date.now()]] },
          ],
        },
      ],
    }
    const single = changeSets[0] as ChangeSet
    if (!batch && single.isolateRefusedRows === true) {
      // A write that leaves refused rows out cannot share a transaction (applyMany fails whole): the key is
      // recorded right after. Should the process die in between, a retry made against the same revision gets 412
      // (the store has moved on), so it is not applied twice either.
      const result = await db.backend.apply(single)
      await db.backend.apply(keyRecord)
      return answer([result])
    }
    // The ChangeSets and the key, in one transaction: a key is recorded exactly when its ChangeSets are written.
    const results = await db.backend.applyMany([...changeSets, keyRecord])
    return answer(results.slice(0, changeSets.length))
  }

  /** The store a path names, served: 404 otherwise. */
  const servedStore = (segment: string, specOf: SpecOf): { store: string; spec: SchemaSpec } => {
    let store: string
    try {
      store = decodeURIComponent(segment)
    } catch {
      throw new HttpError(404, 'NOT_FOUND', 'no such store')
    }
    const spec = specOf(store)
    if (spec === undefined) throw new HttpError(404, 'NOT_FOUND', `no store ${JSON.stringify(store)} is served`)
    return { store, spec }
  }

  /** The ChangeSets of a batch body: `{ changeSets: [...] }`, at most one per store, each checked. */
  const parseBatch = (body: unknown, specOf: SpecOf): ChangeSet[] => {
    if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).join() !== 'changeSets')
      throw new ZustandSqliteError('INVALID_CHANGESET', '$: must be { "changeSets": [...] }', { path: '$' })
    const list = (body as { changeSets: unknown }).changeSets
    if (!Array.isArray(list) || list.length === 0)
      throw new ZustandSqliteError('INVALID_CHANGESET', '$.changeSets: must be a non-empty array', {
        path: '$.changeSets',
      })
    const seen = new Set<string>()
    return list.map((item, i) => {
      const named = item !== null && typeof item === 'object' ? (item as { store?: unknown }).store : undefined
      const at = `$.changeSets[${i}]`
      const spec = typeof named === 'string' ? specOf(named) : undefined
      if (typeof named !== 'string' || spec === undefined || seen.has(named))
        throw new ZustandSqliteError('INVALID_CHANGESET', `${at}.store: not a store served, or named twice`, {
          path: `${at}.store`,
          ...(typeof named === 'string' ? { store: named } : {}),
        })
      seen.add(named)
      try {
        return parseChangeSet(item, named, spec)
      } catch (error) {
        // The path within the batch, and the store, as a failure of one ChangeSet of several names it.
        if (!isZustandSqliteError(error)) throw error
        const path = typeof error.path === 'string' ? error.path.replace(/^\$/, at) : at
        throw new ZustandSqliteError(error.code, plainMessage(error).replace(/^\$/, at), { path, store: named })
      }
    })
  }

  const idempotencyKey = (request: Request): string | null => {
    const key = request.headers.get('idempotency-key')
    if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY))
      throw new HttpError(400, 'INVALID_REQUEST', `an Idempotency-Key has 1 to ${MAX_IDEMPOTENCY_KEY} characters`)
    return key
  }

  const authenticate = async (request: Request): Promise<string> => {
    const userId = await options.authenticate(request)
    if (typeof userId !== 'string' || userId === '')
      throw new HttpError(401, 'UNAUTHORIZED', 'the request is not authenticated')
    return userId
  }

  /**
   * A REST route: found by method and path, the request authenticated, its parameters, query and body checked by
   * the route's validators, and only then run on the user's database.
   */
  const restRoute = async (request: Request, url: URL, parts: readonly string[]): Promise<Response> => {
    const { compiled, params } = findRoute(restRoutes, request.method, parts)
    const { route } = compiled
    const userId = await authenticate(request)
    const input = {
      params: route.params === undefined ? params : await checkInput('params', route.params, params),
      query: await checkInput('query', route.query, queryObject(url.searchParams, compiled.numericQuery)),
      body:
        route.body === undefined ? undefined : await checkInput('body', route.body, await readBody(request, maxBody)),
    }
    const result = await withDatabase(userId, (db) => route.handle({ backend: db.backend, userId, ...input }))
    const status = route.status ?? 200
    return status === 204 ? new Response(null, { status }) : json(status, result ?? null)
  }

  const route = async (request: Request): Promise<Response> => {
    const url = new URL(request.url)
    if (!url.pathname.startsWith(`${basePath}/`)) throw new HttpError(404, 'NOT_FOUND', 'no such route')
    const parts = url.pathname.slice(basePath.length + 1).split('/')
    if (parts.length === 1 && parts[0] === 'openapi.json' && openapi !== undefined) {
      if (request.method !== 'GET')
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here (GET)`)
      return new Response(openapi, { headers: { 'content-type': 'application/json; charset=utf-8' } })
    }
    if (parts[0] !== 'sync') return restRoute(request, url, parts)
    if (parts.length > 3) throw new HttpError(404, 'NOT_FOUND', 'no such route')
    const batch = parts.length === 1
    const sub = parts[2]
    if (sub !== undefined && sub !== 'record') throw new HttpError(404, 'NOT_FOUND', 'no such route')

    // Authentication before anything of the user's is opened, and before it is said which stores are served.
    const userId = await authenticate(request)
    const specOf: SpecOf = (name) => schemaOf(name, userId)
    const target = batch ? undefined : servedStore(parts[1] ?? '', specOf)
    const allowed = batch ? ['POST'] : sub === 'record' ? ['GET'] : ['GET', 'POST', 'DELETE']
    if (!allowed.includes(request.method))
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here (${allowed.join(', ')})`)

    // The body is read and checked before the user's database is touched.
    let changeSets: ChangeSet[] = []
    let key: string | null = null
    if (request.method === 'POST') {
      key = idempotencyKey(request)
      const body = await readBody(request, maxBody)
      changeSets = batch ? parseBatch(body, specOf) : [parseChangeSet(body, target!.store, target!.spec)]
    }

    return withDatabase(userId, async (db) => {
      if (request.method === 'POST') return apply(db, changeSets, key, batch, specOf)
      const { store, spec } = target!
      if (sub === 'record') {
        const record = await prepare(db, store, spec)
        return json(200, { stateVersion: record.stateVersion, revision: record.revision, schemaVersion: spec.version })
      }
      if (!db.prepared.has(store)) await prepare(db, store, spec)
      if (request.method === 'DELETE') {
        await db.backend.clear(store)
        return new Response(null, { status: 204 })
      }
      return json(200, toWire(await db.backend.load(store)))
    })
  }

  return {
    fetch: async (request) => {
      try {
        return await route(request)
      } catch (error) {
        return errorResponse(error)
      }
    },
    close: async () => {
      const open = [...databases.values()]
      databases.clear()
      for (const db of await Promise.allSettled(open)) if (db.status === 'fulfilled') await db.value.backend.close()
    },
  }
}
