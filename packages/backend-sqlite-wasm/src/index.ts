import { commitListeners, ZustandSqliteError } from '@zustand-sqlite/core'
import type { ApplyResult, Backend, ChangeSet, LoadResult, PrepareResult, QueryRow } from '@zustand-sqlite/core'
import { fromWire } from './protocol'
import type { Method, PageMessage, Role, WorkerConfig, WorkerMessage } from './protocol'

export type { Role } from './protocol'

/** Options of {@link createSqliteWasmBackend}. */
export interface SqliteWasmBackendOptions {
  /** The database's file name. One name is one database, shared by every tab of the origin. @default 'zustand-sqlite.db' */
  readonly name?: string
  /** The OPFS directory its files are kept in (the VFS's pool). @default '.zustand-sqlite' */
  readonly directory?: string
  /**
   * Starts the backend's worker. By default the package starts its own (`dist/worker.js`), which Vite and
   * other bundlers that understand `new Worker(new URL(..., import.meta.url))` serve as they are. With a
   * bundler that does not, make a worker file of your own that imports
   * `@zustand-sqlite/backend-sqlite-wasm/worker` and start it here.
   */
  readonly worker?: () => Worker
  /** Called when this tab becomes the database's writer, or a follower whose writes go to the writer. */
  readonly onRoleChange?: (role: Role) => void
  /**
   * How long a tab that takes over as writer keeps trying to open the database while the tab before it
   * releases it. @default 10000
   */
  readonly openTimeoutMs?: number
}

/** The backend, with where this tab stands. */
export interface SqliteWasmBackend extends Backend {
  /** `writer` in the tab that holds the database, `follower` in the others (their calls go to the writer). */
  readonly role: Role
  /** Several stores' ChangeSets in one transaction, in the writer's worker; other tabs are told of each. */
  applyMany(changeSets: readonly ChangeSet[]): Promise<ApplyResult[]>
}

const randomId = (): string => Math.random().toString(36).slice(2, 10) + Date.now().toString(36)

function defaultWorker(): Worker {
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'zustand-sqlite' })
}

/**
 * A backend on SQLite's official WebAssembly build (`@sqlite.org/sqlite-wasm`), with the database in the
 * Origin Private File System through the `opfs-sahpool` VFS, in a worker the backend starts. A commit
 * writes the pages it changes and is durable when it resolves. Every tab of the origin can open the same
 * database: one of them (the first) is its writer, the others send their calls to it, and when the
 * writer's tab closes, another takes over. Needs no COOP/COEP headers.
 *
 * Rejects with UNSUPPORTED_ENVIRONMENT where the browser lacks OPFS sync access handles, workers or Web
 * Locks (then use the sql.js backend).
 *
 * @example
 * ```ts
 * const backend = await createSqliteWasmBackend({ name: 'app.db' })
 * const useSettings = create(persistSQLite(() => ({ theme: 'light' }), { name: 'settings', backend }))
 * ```
 */
export async function createSqliteWasmBackend(options: SqliteWasmBackendOptions = {}): Promise<SqliteWasmBackend> {
  if (typeof Worker !== 'function') {
    throw new ZustandSqliteError(
      'UNSUPPORTED_ENVIRONMENT',
      'the sqlite-wasm backend runs in browsers (it needs a Worker); on a server use the better-sqlite3 backend',
    )
  }
  const name = options.name ?? 'zustand-sqlite.db'
  const directory = options.directory ?? '.zustand-sqlite'
  if (name === '' || name.includes('/')) {
    throw new ZustandSqliteError('INVALID_OPTIONS', `name ${JSON.stringify(name)} must be a file name without '/'`)
  }
  if (directory === '' || directory.startsWith('/')) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `directory ${JSON.stringify(directory)} must be a relative OPFS path, such as '.zustand-sqlite'`,
    )
  }
  const config: WorkerConfig = {
    file: `/${name}`,
    directory,
    lockName: `zustand-sqlite:${directory}`,
    tabId: randomId(),
    openTimeoutMs: options.openTimeoutMs ?? 10_000,
  }
  const worker = (options.worker ?? defaultWorker)()
  let role: Role = 'follower'
  let closed = false
  let nextId = 1
  const calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>()
  const { subscribe, tell } = commitListeners()
  worker.onmessage = (event: MessageEvent<WorkerMessage>) => {
    const message = event.data
    if (message.type === 'role') {
      role = message.role
      options.onRoleChange?.(message.role)
      return
    }
    if (message.type === 'change') {
      tell(message.change)
      return
    }
    const call = calls.get(message.id)
    if (call === undefined) return
    calls.delete(message.id)
    if (message.type === 'result') call.resolve(message.value)
    else call.reject(fromWire(message.error))
  }
  worker.onerror = (event: ErrorEvent) => {
    const error = new ZustandSqliteError('WRITE_FAILED', `the sqlite-wasm worker failed: ${event.message}`)
    for (const call of calls.values()) call.reject(error)
    calls.clear()
  }
  const send = <T>(message: (id: number) => PageMessage): Promise<T> => {
    const id = nextId++
    return new Promise<T>((resolve, reject) => {
      calls.set(id, { resolve: resolve as (value: unknown) => void, reject })
      worker.postMessage(message(id))
    })
  }
  const call = <T>(method: Method, ...args: unknown[]): Promise<T> => {
    if (closed) return Promise.reject(new ZustandSqliteError('BACKEND_CLOSED', 'the sqlite-wasm backend is closed'))
    return send<T>((id) => ({ type: 'call', id, method, args }))
  }

  try {
    await send((id) => ({ type: 'init', id, config }))
  } catch (error) {
    worker.terminate()
    throw error
  }

  return {
    name: 'sqlite-wasm',
    get role() {
      return role
    },
    prepare: (store, schema) => call<PrepareResult>('prepare', store, schema),
    load: (store, options) => call<LoadResult>('load', store, options),
    // This tab's commits are told here, with the caller's ChangeSet object; other tabs' come from the worker.
    apply: async (changeSet) => {
      const result = await call<ApplyResult>('apply', changeSet)
      const { revision, refused } = result
      tell(
        refused === undefined
          ? { store: changeSet.store, changeSet, revision }
          : { store: changeSet.store, changeSet, revision, refused },
      )
      return result
    },
    applyMany: async (changeSets) => {
      const results = await call<ApplyResult[]>('applyMany', changeSets)
      changeSets.forEach((changeSet, i) =>
        tell({ store: changeSet.store, changeSet, revision: (results[i] as ApplyResult).revision }),
      )
      return results
    },
    clear: async (store) => {
      const revision = await call<number>('clear', store)
      tell({ store, cleared: true, revision })
    },
    query: (sql, params = []) => call<QueryRow[]>('query', sql, params),
    flush: () => call<void>('flush'),
    subscribe,
    close: async () => {
      if (closed) return
      closed = true
      try {
        await send((id) => ({ type: 'close', id }))
      } finally {
        worker.terminate()
      }
    },
  }
}
