/**
 * The worker of `createSqliteWasmBackend`: one per tab and database. It holds the database's Web Lock or
 * waits for it. The holder is the database's writer: it opens the file in the `opfs-sahpool` VFS (whose
 * access handles one tab at a time can hold) and runs the SQL tier, for its own page and for the other
 * tabs' workers, which send their calls over a BroadcastChannel. When the writer's tab closes, its lock is
 * released and the next tab's worker takes over; calls not answered yet are sent to it again.
 *
 * Import it from a worker file of your own where a bundler needs one:
 * `import '@zustand-sqlite/backend-sqlite-wasm/worker'`.
 */
import sqlite3InitModule from '@sqlite.org/sqlite-wasm'
import { createSqlBackend, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, ChangeSet, CommittedChange, SqlDriver, SqlStatement, SqlValue } from '@zustand-sqlite/core'
import { fromWire, toWire } from './protocol'
import type { ChannelMessage, Method, PageMessage, Role, WorkerConfig, WorkerMessage } from './protocol'

interface Scope {
  postMessage(message: WorkerMessage): void
  onmessage: ((event: MessageEvent<PageMessage>) => void) | null
}
const scope = globalThis as unknown as Scope

type Sqlite3 = Awaited<ReturnType<typeof sqlite3InitModule>>
type Pool = Awaited<ReturnType<Sqlite3['installOpfsSAHPoolVfs']>>
type Database = InstanceType<Pool['OpfsSAHPoolDb']>

let sqlite3: Sqlite3 | undefined
let config: WorkerConfig | undefined
let channel: BroadcastChannel | undefined
/** The pool and the SQL tier of each of its files opened so far, while this worker is the writer. */
let local: { pool: Pool; databases: Map<string, Backend>; release: () => void } | undefined
/** Calls of this tab sent to the writer and not answered yet, by id. */
const waiting = new Map<
  number,
  { method: Method; args: readonly unknown[]; resolve: (v: unknown) => void; reject: (e: unknown) => void }
>()
let nextId = 1
/**
 * The stores this tab prepared, with their schemas: a new writer has its own connection, on which they are
 * prepared again before anything else of this tab runs there.
 */
const prepared = new Map<string, readonly unknown[]>()
/** Calls that arrive before the role is known wait for it. */
let ready: Promise<void> | undefined

const post = (message: WorkerMessage): void => scope.postMessage(message)

function driverFor(sqlite3: Sqlite3, db: Database): SqlDriver {
  return {
    name: 'sqlite-wasm',
    exec: (sql) => {
      db.exec(sql)
    },
    prepare: (sql): SqlStatement => {
      const stmt = db.prepare(sql)
      const bind = (params: readonly SqlValue[]): void => {
        stmt.reset(true)
        for (let i = 0; i < params.length; i++) {
          const value = params[i] as SqlValue
          // The binding takes a whole number for a 64-bit integer: past 2^53 (a REAL such as -1e300) it
          // would wrap. Such a number is bound as the double it is.
          if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value))
            sqlite3.capi.sqlite3_bind_double(stmt.pointer as number, i + 1, value)
          else stmt.bind(i + 1, value)
        }
      }
      return {
        run: (params) => {
          bind(params)
          while (stmt.step()) {
            // A statement run for its effect: rows it returns are skipped.
          }
          stmt.reset()
          return db.changes()
        },
        all: (params) => {
          bind(params)
          const rows: SqlValue[][] = []
          while (stmt.step()) rows.push(stmt.get([]) as SqlValue[])
          stmt.reset()
          return rows
        },
        columns: () => stmt.getColumnNames(),
        finalize: () => {
          stmt.finalize()
        },
      }
    },
    close: () => db.close(),
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The engine needs OPFS sync access handles, which only dedicated workers of some browsers have. */
function assertSupported(): void {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: unknown }; locks?: unknown } }).navigator
  const handle = (globalThis as { FileSystemFileHandle?: { prototype?: { createSyncAccessHandle?: unknown } } })
    .FileSystemFileHandle
  const missing =
    typeof storage?.storage?.getDirectory !== 'function'
      ? 'the Origin Private File System (navigator.storage.getDirectory)'
      : typeof handle?.prototype?.createSyncAccessHandle !== 'function'
        ? 'OPFS sync access handles (FileSystemFileHandle.createSyncAccessHandle)'
        : storage.locks === undefined
          ? 'Web Locks (navigator.locks)'
          : typeof BroadcastChannel !== 'function'
            ? 'BroadcastChannel'
            : undefined
  if (missing !== undefined) {
    throw new ZustandSqliteError(
      'UNSUPPORTED_ENVIRONMENT',
      `this browser has no ${missing}, which the sqlite-wasm backend needs; use the sql.js backend here`,
    )
  }
}

/**
 * Opens the pool as its writer. The tab that held the lock before may still be releasing its access
 * handles (its worker is being torn down): the pool is tried again until `openTimeoutMs`.
 */
async function openPool(c: WorkerConfig): Promise<Pool> {
  const engine = (sqlite3 ??= await sqlite3InitModule())
  const started = Date.now()
  for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
    try {
      return await engine.installOpfsSAHPoolVfs({ name: `zs-${c.directory}`, directory: c.directory })
    } catch (error) {
      if (Date.now() - started > c.openTimeoutMs) {
        throw new ZustandSqliteError(
          'DATABASE_BUSY',
          `the database ${c.directory}${c.file} could not be opened in ${c.openTimeoutMs} ms: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        )
      }
      await sleep(pause)
    }
  }
}

/**
 * The SQL tier of one file of the pool, opened on first use. The pool holds a fixed number of OPFS files;
 * a database takes two (its file and its journal), so room is made before a new one is opened.
 */
async function databaseOf(file: string): Promise<Backend> {
  const { pool, databases } = local as NonNullable<typeof local>
  let backend = databases.get(file)
  if (backend === undefined) {
    if (!pool.getFileNames().includes(file)) await pool.reserveMinimumCapacity(pool.getFileCount() + 4)
    backend = createSqlBackend(driverFor(sqlite3 as Sqlite3, new pool.OpfsSAHPoolDb(file)))
    // Calls run one at a time (below): the commits told are those of the call that runs.
    backend.subscribe?.((change) => committed.push(change))
    databases.set(file, backend)
  }
  return backend
}

/** Calls run one at a time, in the order they came, whichever tab sent them. */
let queue: Promise<unknown> = Promise.resolve()
/** The commits the running call made: one per store it wrote or cleared. */
let committed: CommittedChange[] = []

function runLocal(from: string, file: string, method: Method, args: readonly unknown[]): Promise<unknown> {
  const result = queue.then(() => runNow(from, file, method, args))
  queue = result.catch(() => undefined)
  return result
}

/**
 * Runs a call as the writer; each commit it made (apply, applyMany, clear) is told to every tab of the file
 * but the one that made it, which tells its own subscribers with the ChangeSet objects it has. A clear
 * answers with the revision.
 */
async function runNow(from: string, file: string, method: Method, args: readonly unknown[]): Promise<unknown> {
  const backend = await databaseOf(file)
  committed = []
  let value: unknown
  let changes: CommittedChange[]
  try {
    value = await call(backend, method, args)
  } finally {
    changes = committed
    committed = []
  }
  const c = config as WorkerConfig
  for (const change of changes) {
    send({ type: 'committed', from, file, change })
    if (from !== c.tabId && file === c.file) post({ type: 'change', change })
  }
  const cleared = changes.find((change) => 'cleared' in change)
  return cleared === undefined ? value : cleared.revision
}

function call(backend: Backend, method: Method, args: readonly unknown[]): unknown {
  switch (method) {
    case 'prepare':
      return backend.prepare(args[0] as string, args[1] as Parameters<Backend['prepare']>[1])
    case 'load':
      return backend.load(args[0] as string, args[1] as Parameters<Backend['load']>[1])
    case 'apply':
      return backend.apply(args[0] as Parameters<Backend['apply']>[0])
    case 'applyMany':
      return (backend.applyMany as NonNullable<Backend['applyMany']>)(args[0] as readonly ChangeSet[])
    case 'clear':
      return backend.clear(args[0] as string)
    case 'query':
      return backend.query(args[0] as string, args[1] as readonly SqlValue[])
    case 'flush':
      // Every commit of the writer is durable when it returns: the pool's files are synced at commit.
      return backend.flush()
  }
}

/** A call of this tab: run here when this worker is the writer, else sent to the writer. */
async function route(method: Method, args: readonly unknown[]): Promise<unknown> {
  await ready
  if (method === 'prepare') prepared.set(args[0] as string, args)
  const c = config as WorkerConfig
  if (local !== undefined) return runLocal(c.tabId, c.file, method, args)
  const id = nextId++
  return new Promise((resolve, reject) => {
    waiting.set(id, { method, args, resolve, reject })
    send({ type: 'request', from: c.tabId, id, file: c.file, method, args })
  })
}

const send = (message: ChannelMessage): void => (channel as BroadcastChannel).postMessage(message)

function onChannel(message: ChannelMessage): void {
  const c = config as WorkerConfig
  switch (message.type) {
    case 'request': {
      if (local === undefined) return
      const { from, id } = message
      runLocal(from, message.file, message.method, message.args).then(
        (value) => send({ type: 'response', to: from, id, value }),
        (error: unknown) => send({ type: 'failure', to: from, id, error: toWire(error) }),
      )
      return
    }
    case 'response':
    case 'failure': {
      if (message.to !== c.tabId) return
      const call = waiting.get(message.id)
      if (call === undefined) return
      waiting.delete(message.id)
      if (message.type === 'response') call.resolve(message.value)
      else call.reject(fromWire(message.error))
      return
    }
    case 'committed':
      if (message.from !== c.tabId && message.file === c.file) post({ type: 'change', change: message.change })
      return
    case 'writer':
      // The writer changed: this tab's stores are prepared there, then what the old one may not have
      // answered goes to the new one.
      for (const args of prepared.values())
        send({ type: 'request', from: c.tabId, id: nextId++, file: c.file, method: 'prepare', args })
      for (const [id, call] of waiting)
        send({ type: 'request', from: c.tabId, id, file: c.file, method: call.method, args: call.args })
      return
  }
}

function setRole(role: Role): void {
  post({ type: 'role', role })
}

/** Takes the lock (now, or when the writer before lets go) and opens the database as its writer. */
async function start(c: WorkerConfig): Promise<void> {
  assertSupported()
  config = c
  channel = new BroadcastChannel(c.lockName)
  channel.onmessage = (event: MessageEvent<ChannelMessage>) => onChannel(event.data)
  const locks = (navigator as Navigator & { locks: LockManager }).locks
  let first = true
  await new Promise<void>((resolve, reject) => {
    const lead = async (lock: Lock | null): Promise<void> => {
      if (lock === null) {
        // Another tab writes: this one sends its calls there, and waits to take over.
        first = false
        setRole('follower')
        resolve()
        void locks.request(c.lockName, lead)
        return
      }
      try {
        const pool = await openPool(c)
        let release!: () => void
        const held = new Promise<void>((r) => (release = r))
        local = { pool, databases: new Map(), release }
        setRole('writer')
        send({ type: 'writer', tabId: c.tabId })
        if (first) resolve()
        // This tab's stores, prepared on the new connection; then the calls this tab sent to the old
        // writer and that are not answered.
        for (const args of prepared.values()) void runLocal(c.tabId, c.file, 'prepare', args)
        for (const [id, call] of waiting) {
          waiting.delete(id)
          runLocal(c.tabId, c.file, call.method, call.args).then(call.resolve, call.reject)
        }
        await held
      } catch (error) {
        if (first) reject(error)
        throw error
      }
    }
    void locks.request(c.lockName, { ifAvailable: true }, lead).catch(reject)
  })
}

async function close(): Promise<void> {
  const writer = local
  local = undefined
  channel?.close()
  if (writer === undefined) return
  try {
    for (const backend of writer.databases.values()) await backend.close()
  } finally {
    // The access handles go before the lock: the next writer can open the pool at once.
    writer.pool.pauseVfs()
    writer.release()
  }
}

scope.onmessage = (event) => {
  const message = event.data
  const reply = (work: () => Promise<unknown>): void => {
    work().then(
      (value) => post({ type: 'result', id: message.id, value }),
      (error: unknown) => post({ type: 'error', id: message.id, error: toWire(error) }),
    )
  }
  switch (message.type) {
    case 'init':
      ready = start(message.config)
      reply(() => ready as Promise<void>)
      return
    case 'call':
      reply(() => route(message.method, message.args))
      return
    case 'close':
      reply(close)
      return
  }
}
