import {
  APPLICATION_ID,
  createAsyncSqlBackend,
  isBusyError,
  isCorruptionError,
  isZustandSqliteError,
  ZustandSqliteError,
} from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { libsqlDriver } from './libsqlDriver'
import type { LibsqlClient } from './libsqlDriver'

interface CommonOptions {
  /**
   * Milliseconds a local file waits for another connection's lock before a call fails with
   * DATABASE_BUSY. Only for a file the backend opens (`file`, or a `file:` URL). @default 5000
   */
  busyTimeoutMs?: number
}

/**
 * Options of {@link createLibsqlBackend}: a local file (the default), a libSQL URL, or a client you made.
 * Give at most one of `file`, `url` and `client`.
 */
export type LibsqlBackendOptions = CommonOptions &
  (
    | {
        /** Path of the local database file, created when missing. @default 'zustand-sqlite.db' */
        file?: string
        url?: never
        authToken?: never
        client?: never
        closeClient?: never
      }
    | {
        /**
         * A libSQL URL: `file:` for a local file, `libsql:`, `https:` or `wss:` for a server (Turso, sqld),
         * passed to `createClient` as it is.
         */
        url: string
        /** The token of a remote database. */
        authToken?: string
        file?: never
        client?: never
        closeClient?: never
      }
    | {
        /** A client from `createClient` of `@libsql/client`, used as it is configured. */
        client: LibsqlClient
        /** Close it when the backend closes. @default false */
        closeClient?: boolean
        file?: never
        url?: never
        authToken?: never
      }
  )

const DEFAULT_FILE = 'zustand-sqlite.db'

// A commit is on disk when it resolves (FULL syncs the WAL at every commit). These two hold per connection.
const CONNECTION_PRAGMAS = 'PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON'

/** A client from `createClient`, with the call the backend uses on one it made. */
interface OwnClient extends LibsqlClient {
  reconnect(): Promise<void>
}

interface Opened {
  readonly client: LibsqlClient
  /** The backend made the client: it closes it, and sets a local file's pragmas. */
  readonly own: boolean
  readonly local: boolean
  /** The database, as messages name it (never with its token). */
  readonly label: string
}

const invalid = (message: string, cause?: unknown): ZustandSqliteError =>
  new ZustandSqliteError('INVALID_OPTIONS', message, cause === undefined ? {} : { cause })

const detail = (error: unknown): string => (error instanceof Error ? error.message : String(error))

function checkOptions(options: LibsqlBackendOptions): void {
  const given = (['file', 'url', 'client'] as const).filter((key) => options[key] !== undefined)
  if (given.length > 1) {
    throw invalid(`createLibsqlBackend takes one of file, url and client, not ${given.join(' and ')}`)
  }
  if (options.authToken !== undefined && options.url === undefined) {
    throw invalid('authToken goes with url (a client you pass carries its own)')
  }
  for (const key of ['file', 'url'] as const) {
    const value = options[key]
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw invalid(`${key} must be a non-empty string`)
    }
  }
  const { client, busyTimeoutMs } = options
  if (
    client !== undefined &&
    (typeof client.execute !== 'function' ||
      typeof client.executeMultiple !== 'function' ||
      typeof client.transaction !== 'function')
  ) {
    throw invalid('client must be a libSQL Client (from createClient of @libsql/client)')
  }
  if (busyTimeoutMs !== undefined && !(Number.isFinite(busyTimeoutMs) && busyTimeoutMs >= 0)) {
    throw invalid('busyTimeoutMs must be a number >= 0')
  }
}

function remoteLabel(url: string): string {
  try {
    return `the database at ${new URL(url).host}`
  } catch {
    return 'the remote database'
  }
}

async function openClient(options: LibsqlBackendOptions): Promise<Opened> {
  if (options.client !== undefined) {
    return { client: options.client, own: false, local: false, label: 'the database' }
  }
  let url: string
  let label: string
  if (options.url === undefined) {
    const file = options.file ?? DEFAULT_FILE
    const { resolve } = await import('node:path')
    const { pathToFileURL } = await import('node:url')
    // A file URL percent-encodes the characters a path may hold and a URL may not (`#`, `?`, `%`).
    url = pathToFileURL(resolve(file)).href
    label = file
  } else {
    url = options.url
    label = url.startsWith('file:') ? url.slice('file:'.length) : remoteLabel(url)
  }
  const local = url.startsWith('file:')
  let createClient: (config: Record<string, unknown>) => OwnClient
  try {
    ;({ createClient } = (await import('@libsql/client')) as unknown as { createClient: typeof createClient })
  } catch (error) {
    throw invalid('@libsql/client is not installed: npm install @libsql/client@0.18', error)
  }
  const config: Record<string, unknown> = { url, intMode: 'bigint' }
  if (options.authToken !== undefined) config.authToken = options.authToken
  if (local) {
    // One connection: the pragmas hold for every statement, and its transactions never wait on the client's own.
    config.concurrency = 1
    config.timeout = Math.floor(options.busyTimeoutMs ?? 5000)
  }
  try {
    return { client: createClient(config), own: true, local, label }
  } catch (error) {
    throw invalid(`cannot open ${label}: ${detail(error)}`, error)
  }
}

/**
 * Reads the header and the owner before anything writes: a file that is not a database, or one another
 * application marked as its own, is refused before `journal_mode = WAL` could change it.
 */
async function checkDatabase(opened: Opened): Promise<void> {
  const { client, label } = opened
  const [tables] = (await client.execute({ sql: 'SELECT count(*) FROM sqlite_schema', args: [] })).rows
  if (typeof tables?.[0] === 'string') {
    throw invalid(`the client reads integers as strings; create it with intMode 'bigint' or 'number'`)
  }
  const [row] = (await client.execute({ sql: 'PRAGMA application_id', args: [] })).rows
  const owner = Number(row?.[0] ?? 0)
  if (owner !== 0 && owner !== APPLICATION_ID) {
    throw new ZustandSqliteError(
      'FOREIGN_DATABASE',
      `${label} belongs to another application (application_id ${String(owner)}); it was left untouched`,
    )
  }
  if (opened.own && opened.local) await client.executeMultiple(`PRAGMA journal_mode = WAL; ${CONNECTION_PRAGMAS}`)
}

function openError(error: unknown, label: string): ZustandSqliteError {
  if (isZustandSqliteError(error)) return error
  if (isCorruptionError(error)) {
    return new ZustandSqliteError(
      'CORRUPT_DATABASE',
      `${label} is not a readable SQLite database; it was left untouched`,
      {
        cause: error,
      },
    )
  }
  if (isBusyError(error)) {
    return new ZustandSqliteError(
      'DATABASE_BUSY',
      `another connection kept ${label} locked for longer than the busy timeout while opening it: ${detail(error)}; create the backend again`,
      { cause: error },
    )
  }
  return invalid(`opening ${label} failed: ${detail(error)}`, error)
}

/**
 * A backend on libSQL (`@libsql/client`): an embedded SQLite file by default, or a libSQL server (Turso,
 * sqld) through the same client. Stores hydrate asynchronously and each tick's changes commit in one
 * interactive transaction of the client. A local file the backend opens runs in WAL mode with
 * `synchronous = FULL` and `foreign_keys = ON`: a commit is on disk when its promise resolves, and survives
 * a crash of the process or a power loss. On a server, a commit is as durable as the server makes it.
 *
 * Rejects with CORRUPT_DATABASE for a file that is not a SQLite database, FOREIGN_DATABASE for another
 * application's database (both left untouched), DATABASE_BUSY when another connection held the file
 * locked past the busy timeout, and INVALID_OPTIONS otherwise.
 *
 * @example
 * ```ts
 * import { createLibsqlBackend } from '@zustand-sqlite/backend-libsql'
 * const backend = await createLibsqlBackend({ file: '.data/app.db' })
 * // or: await createLibsqlBackend({ url: 'libsql://my-db.turso.io', authToken: process.env.TURSO_TOKEN })
 * const useStore = create(persistSQLite(creator, { name: 'app', backend }))
 * ```
 */
export async function createLibsqlBackend(options: LibsqlBackendOptions = {}): Promise<Backend> {
  checkOptions(options)
  const opened = await openClient(options)
  try {
    await checkDatabase(opened)
  } catch (error) {
    if (opened.own) opened.client.close()
    throw openError(error, opened.label)
  }
  const { client, own, local } = opened
  const closeClient = own || options.closeClient === true
  const recover =
    own && local
      ? async () => {
          await (client as OwnClient).reconnect()
          await client.executeMultiple(CONNECTION_PRAGMAS)
        }
      : undefined
  return createAsyncSqlBackend(libsqlDriver(client, recover === undefined ? { closeClient } : { closeClient, recover }))
}
