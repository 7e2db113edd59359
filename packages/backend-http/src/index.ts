import { fromWire, toWire, ZustandSqliteError } from '@zustand-sqlite/core'
import type {
  ApplyResult,
  Backend,
  ChangeSet,
  LoadResult,
  PrepareResult,
  QueryRow,
  SchemaSpec,
  ZustandSqliteErrorCode,
} from '@zustand-sqlite/core'

/** Options of {@link createHttpBackend}. */
export interface HttpBackendOptions {
  /** The server's routes, with its `basePath`: `https://app.example/api`. */
  readonly url: string
  /** Headers of every request (a bearer token), or a function that gives them (a fresh token each time). */
  readonly headers?: Readonly<Record<string, string>> | (() => MaybeAsync<Readonly<Record<string, string>>>)
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch
  /**
   * Attempts of a request that meets a network error or a 502, 503 or 504, before it fails with WRITE_FAILED.
   * A ChangeSet is sent with the same idempotency key each time: the server applies it once. @default 5
   */
  readonly attempts?: number
  /** The wait before the second attempt, doubled each time, with jitter. @default 100 */
  readonly retryDelayMs?: number
}

type MaybeAsync<T> = T | Promise<T>

/** A server's error body. */
interface ErrorBody {
  readonly code?: unknown
  readonly message?: unknown
  readonly path?: unknown
  readonly store?: unknown
}

const RETRIED = new Set([502, 503, 504])

const randomKey = (): string =>
  typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`

/**
 * A backend on a `@zustand-sqlite/server`: each store lives in the user's database on the server, and every
 * call is a request to its sync routes. Asynchronous, in browsers and Node.
 *
 * - A write is sent with the store's revision it was made against: when another client wrote first, the server
 *   answers 412 and this backend fails with CONCURRENT_MODIFICATION, which `persistSQLite` resolves by loading
 *   the store again and writing its own change anew.
 * - A request that meets a network error (or a 502/503/504) is sent again, with backoff; a ChangeSet keeps its
 *   idempotency key across attempts, so it is never applied twice.
 * - No SQL goes over the wire: `query` fails with UNSUPPORTED_OPERATION; a store package's query functions reach
 *   a server through its REST routes.
 * - The server checks every ChangeSet against its own schema of the store; `prepare` fails with
 *   SCHEMA_TOO_NEW when the server's schema is newer than this code's, INVALID_OPTIONS when it is older.
 *
 * @example
 * ```ts
 * const backend = createHttpBackend({ url: '/api', headers: () => ({ authorization: `Bearer ${token()}` }) })
 * const useSettings = create(persistSQLite(creator, { name: 'app-ui', backend }))
 * ```
 */
export function createHttpBackend(options: HttpBackendOptions): Backend {
  const base = options.url.replace(/\/+$/, '')
  const send = options.fetch ?? globalThis.fetch.bind(globalThis)
  const attempts = Math.max(1, options.attempts ?? 5)
  const retryDelayMs = options.retryDelayMs ?? 100
  let closed = false

  const headersNow = async (): Promise<Readonly<Record<string, string>>> =>
    typeof options.headers === 'function' ? await options.headers() : (options.headers ?? {})

  const failure = async (response: Response, store: string | undefined): Promise<ZustandSqliteError> => {
    let body: ErrorBody = {}
    try {
      body = (await response.json()) as ErrorBody
    } catch {
      // Not the server's JSON (a proxy's page): the status says enough.
    }
    const message = typeof body.message === 'string' ? body.message : `the server answered ${response.status}`
    const code: ZustandSqliteErrorCode =
      response.status === 412
        ? 'CONCURRENT_MODIFICATION'
        : typeof body.code === 'string' && isLibraryCode(body.code)
          ? body.code
          : 'WRITE_FAILED'
    const named = typeof body.store === 'string' ? body.store : store
    return new ZustandSqliteError(code, `${message} (HTTP ${response.status})`, {
      ...(typeof body.path === 'string' ? { path: body.path } : {}),
      ...(named === undefined ? {} : { store: named }),
    })
  }

  /** One request, tried again on network errors and 502/503/504; the decoded JSON of a 2xx answer. */
  const request = async (
    method: string,
    path: string,
    body?: unknown,
    store?: string,
    key?: string,
  ): Promise<unknown> => {
    if (closed) throw new ZustandSqliteError('BACKEND_CLOSED', 'the HTTP backend is closed')
    const text = body === undefined ? undefined : JSON.stringify(toWire(body))
    let lastError: unknown
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) {
        const wait = retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random())
        await new Promise((resolve) => setTimeout(resolve, wait))
      }
      let response: Response
      try {
        response = await send(`${base}${path}`, {
          method,
          headers: {
            accept: 'application/json',
            ...(text === undefined ? {} : { 'content-type': 'application/json' }),
            ...(key === undefined ? {} : { 'idempotency-key': key }),
            ...(await headersNow()),
          },
          ...(text === undefined ? {} : { body: text }),
        })
      } catch (error) {
        lastError = error
        continue
      }
      if (RETRIED.has(response.status)) {
        lastError = await failure(response, store)
        continue
      }
      if (!response.ok) throw await failure(response, store)
      if (response.status === 204) return undefined
      return fromWire(await response.json())
    }
    if (lastError instanceof ZustandSqliteError) throw lastError
    throw new ZustandSqliteError('WRITE_FAILED', `the server could not be reached (${String(lastError)})`, {
      cause: lastError,
      ...(store === undefined ? {} : { store }),
    })
  }

  const storePath = (store: string): string => `/sync/${encodeURIComponent(store)}`

  return {
    name: 'http',
    prepare: async (store: string, schema: SchemaSpec): Promise<PrepareResult> => {
      const record = (await request('GET', `${storePath(store)}/record`, undefined, store)) as {
        stateVersion: number | null
        revision: number
        schemaVersion: number
      }
      if (record.schemaVersion > schema.version)
        throw new ZustandSqliteError(
          'SCHEMA_TOO_NEW',
          `the server keeps ${store} at schema version ${record.schemaVersion}, newer than this code's ${schema.version}`,
          { store },
        )
      if (record.schemaVersion < schema.version)
        throw new ZustandSqliteError(
          'INVALID_OPTIONS',
          `the server keeps ${store} at schema version ${record.schemaVersion}, older than this code's ${schema.version}: update the server first`,
          { store },
        )
      return { stateVersion: record.stateVersion, revision: record.revision }
    },
    load: async (store) => (await request('GET', storePath(store), undefined, store)) as LoadResult,
    apply: async (changeSet: ChangeSet) =>
      (await request('POST', storePath(changeSet.store), changeSet, changeSet.store, randomKey())) as ApplyResult,
    applyMany: async (changeSets: readonly ChangeSet[]) => {
      if (changeSets.length === 0) return []
      const { results } = (await request('POST', '/sync', { changeSets }, undefined, randomKey())) as {
        results: ApplyResult[]
      }
      return results
    },
    clear: async (store) => {
      await request('DELETE', storePath(store), undefined, store)
    },
    query: async (): Promise<QueryRow[]> => {
      throw new ZustandSqliteError(
        'UNSUPPORTED_OPERATION',
        'queries do not go over HTTP: the server runs no SQL of a client (use its REST routes)',
      )
    },
    // A write is durable on the server when it answered.
    flush: async () => undefined,
    close: async () => {
      closed = true
    },
  }
}

/** Codes of the server's own (HTTP) errors, which are not the library's. */
const HTTP_CODES: ReadonlySet<string> = new Set([
  'UNAUTHORIZED',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'INVALID_REQUEST',
  'INTERNAL',
])

/** A library error code the server sent (it names its errors with the library's codes where there is one). */
const isLibraryCode = (code: string): code is ZustandSqliteErrorCode =>
  /^[A-Z_]{3,40}$/.test(code) && !HTTP_CODES.has(code)
