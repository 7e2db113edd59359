/// <reference types="vite/client" />
// The page every browser measurement runs in. It holds one contender at a time, on a dataset of its own (an
// OPFS directory or an IndexedDB database named by the runner), and times in the page: the runner only says
// what to do next, so no round trip to Node is inside a timing.
import initSqlJs from 'sql.js'
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url'
import { createStore as createKeyval, del, get, set } from 'idb-keyval'
import type { UseStore } from 'idb-keyval'
import { createJSONStorage, persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import { persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'
import type { SqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'
import type { SqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { applyEdit, buildChat, countMessages, createRandom, makeEdit } from '../../dataset'
import type { ChatState, Edit } from '../../dataset'
import { chatSchema } from '../../schemas'

/** `none` is the same store without persistence: the floor of an edit (the app's immutable update). */
export type ContenderId = 'sqlite-wasm' | 'sqljs' | 'persist-idb' | 'none'

/** What a dataset holds once written, for the report. */
export interface SetupInfo {
  messages: number
  conversations: number
  /** Database bytes (page_count * page_size) for the SQLite contenders, the JSON string's length for persist. */
  storedBytes: number
  /** Time to write the dataset until durable (not a measurement: context for the reader). */
  writeMs: number
  /** sql.js: images exported and stored once the dataset was written (its checkpoint, waited for apart). */
  exports?: number
}

/** One cold hydration: from nothing (engine, storage opened) to a hydrated store. */
export interface HydrationSample {
  /** Loading the engine alone (sql.js: fetching and compiling its wasm); included in `backend`. */
  engineMs?: number
  /** Creating the backend: worker start, engine, storage opened (persist: the IndexedDB connection). */
  backendMs: number
  /** Creating the store until hydrated, the backend already there. */
  hydrateMs: number
  /** `backendMs + hydrateMs`: the page's cost of a cold start. */
  totalMs: number
  /** Messages in the hydrated state (checked against what was written). */
  messages: number
  /** Time spent before the clock started waiting for the previous tab to release the database (sqlite-wasm). */
  lockWaitMs: number
}

/** What the page offers the runner, as `window.bench`. */
export interface BenchPage {
  /** Builds the chat of `n` messages, opens the contender on dataset `name`, and writes the chat until durable. */
  setup(contender: ContenderId, name: string, n: number, seed: number): Promise<SetupInfo>
  /** Runs `count` edits (one message each), each timed from the update until durable; the times in ms. */
  edits(count: number): Promise<number[]>
  /** A full garbage collection, between rounds (Chromium started with --expose-gc). */
  gc(): void
  /** sql.js: how many images the backend has exported and stored so far; undefined for the others. */
  exportCount(): number | undefined
  /** Closes the contender's backend (its last writes made durable, the database released). */
  teardown(): Promise<void>
  /** Opens dataset `name` cold (this page has opened nothing yet) and hydrates a store from it. */
  hydrate(contender: ContenderId, name: string): Promise<HydrationSample>
  /** Deletes dataset `name` (after every tab that had it open was closed). */
  remove(contender: ContenderId, name: string): Promise<void>
  /** sqlite_version() of each engine, read from throwaway in-memory databases. */
  versions(): Promise<Record<string, string>>
}

declare global {
  interface Window {
    bench?: BenchPage
    gc?: () => void
  }
}

/** The store every contender persists: the same creator, so only the persistence differs. */
type ChatStore = StoreApi<ChatState>
/** A persisted store, by persistSQLite or persist. */
type HydratingStore = ChatStore & Parameters<typeof whenHydrated>[0]

/** One file per dataset: its OPFS directory (the VFS's pool) is the dataset's name. */
const SQLITE_FILE = 'bench.db'
const now = (): number => performance.now()
const empty = (): ChatState => ({ conversations: [] })
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

function openSqliteWasm(name: string): Promise<SqliteWasmBackend> {
  return createSqliteWasmBackend({
    name: SQLITE_FILE,
    directory: name,
    // The package's worker from its sources (an app built with Vite gets dist/worker.js without this option).
    worker: () =>
      new Worker(new URL('../../../packages/backend-sqlite-wasm/src/worker.ts', import.meta.url), { type: 'module' }),
  })
}

const loadSqlJs = () => initSqlJs({ locateFile: () => wasmUrl })

/** `storage: 'indexeddb'` with a database of its own: each dataset is apart. */
function openSqlJs(name: string, sqlJs: ReturnType<typeof loadSqlJs>): Promise<SqlJsBackend> {
  return createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ database: name }) })
}

function persistSqlite(backend: Backend) {
  return createStore<ChatState>()(persistSQLite(empty, { name: 'chat', backend, schema: chatSchema }))
}

/**
 * Zustand's `persist` over idb-keyval. Zustand drops the promise of `setItem`; the storage keeps the last
 * one, so that an edit is timed until its write resolved.
 */
function persistIdb(keyval: UseStore): { store: HydratingStore; written: () => Promise<void> } {
  let last: Promise<void> = Promise.resolve()
  const storage = createJSONStorage<ChatState>(() => ({
    getItem: async (key) => (await get<string>(key, keyval)) ?? null,
    setItem: (key, value) => (last = set(key, value, keyval)),
    removeItem: (key) => del(key, keyval),
  }))
  const store = createStore<ChatState>()(persist(empty, { name: 'chat', storage }))
  return { store, written: () => last }
}

/** idb-keyval opens its database when the store is made; a read of no key waits for that. */
async function openKeyval(name: string): Promise<UseStore> {
  const keyval = createKeyval(name, 'keyval')
  await get('-', keyval)
  return keyval
}

/** The size of a SQLite database, as the engine reports it. */
async function sqliteBytes(backend: Backend): Promise<number> {
  const [row] = await backend.query(
    'SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()',
  )
  return Number(row?.['bytes'])
}

/**
 * The sql.js backend stores a checkpoint (the whole image) `flushIntervalMs` (1 s) after a commit that makes
 * the journal large, such as the dataset's first write. Waited for here, so that it does not land in a timing.
 */
async function settleCheckpoint(backend: SqlJsBackend, store: ReturnType<typeof persistSqlite>): Promise<void> {
  const before = backend.exportCount
  for (const started = now(); backend.exportCount === before && now() - started < 2_500;) await sleep(50)
  await store.persist.flush()
}

/** A tab closed a moment ago may still hold the database's Web Lock; opening then would time a handover. */
async function lockReleased(directory: string): Promise<number> {
  const started = now()
  const name = `zustand-sqlite:${directory}`
  for (;;) {
    const { held = [] } = await navigator.locks.query()
    if (!held.some((lock) => lock.name === name)) return now() - started
    if (now() - started > 30_000) throw new Error(`the lock ${name} was not released in 30 s`)
    await sleep(10)
  }
}

let current:
  { store: ChatStore; durable: () => Promise<void>; close: () => Promise<void>; exports?: () => number } | undefined
let random: () => number = Math.random
let conversations = 0

async function setup(contender: ContenderId, name: string, n: number, seed: number): Promise<SetupInfo> {
  if (current !== undefined) throw new Error('this page already holds a contender')
  const state = buildChat(n, seed + n)
  // The same edits for every contender at this size.
  random = createRandom(seed * 31 + n)
  conversations = state.conversations.length
  const started = now()
  let storedBytes: () => Promise<number>
  let exports: (() => number) | undefined
  let writtenAt: number | undefined
  if (contender === 'sqlite-wasm' || contender === 'sqljs') {
    const backend = contender === 'sqljs' ? await openSqlJs(name, loadSqlJs()) : await openSqliteWasm(name)
    const store = persistSqlite(backend)
    await whenHydrated(store)
    const flush = () => store.persist.flush()
    store.setState(state)
    await flush()
    writtenAt = now()
    if (contender === 'sqljs') {
      await settleCheckpoint(backend as SqlJsBackend, store)
      exports = () => (backend as SqlJsBackend).exportCount
    }
    storedBytes = () => sqliteBytes(backend)
    current = { store, durable: flush, close: async () => await backend.close(), ...(exports && { exports }) }
  } else if (contender === 'persist-idb') {
    const keyval = await openKeyval(name)
    const { store, written } = persistIdb(keyval)
    await whenHydrated(store)
    store.setState(state)
    await written()
    storedBytes = async () => (await get<string>('chat', keyval))?.length ?? 0
    current = { store, durable: written, close: async () => undefined }
  } else {
    const store = createStore<ChatState>()(() => state)
    storedBytes = async () => 0
    current = { store, durable: () => Promise.resolve(), close: async () => undefined }
  }
  const writeMs = (writtenAt ?? now()) - started
  return {
    messages: countMessages((current as NonNullable<typeof current>).store.getState()),
    conversations,
    storedBytes: await storedBytes(),
    writeMs,
    ...(exports === undefined ? {} : { exports: exports() }),
  }
}

async function edits(count: number): Promise<number[]> {
  const opened = current
  if (opened === undefined) throw new Error('setup() first')
  // Made before the clock starts: new bodies and picks are not what is measured.
  const planned: Edit[] = Array.from({ length: count }, () => makeEdit(random, conversations, 1))
  const times: number[] = []
  for (const edit of planned) {
    const started = now()
    opened.store.setState((s) => applyEdit(s, edit))
    await opened.durable()
    times.push(now() - started)
  }
  return times
}

async function hydrate(contender: ContenderId, name: string): Promise<HydrationSample> {
  if (contender === 'none') throw new Error('nothing to hydrate without persistence')
  const lockWaitMs = contender === 'sqlite-wasm' ? await lockReleased(name) : 0
  const started = now()
  let engineMs: number | undefined
  let store: HydratingStore
  let close: () => Promise<void>
  let opened: number
  if (contender === 'persist-idb') {
    const keyval = await openKeyval(name)
    opened = now()
    store = persistIdb(keyval).store
    close = async () => undefined
  } else {
    let backend: Backend
    if (contender === 'sqljs') {
      const sqlJs = await loadSqlJs()
      engineMs = now() - started
      backend = await openSqlJs(name, Promise.resolve(sqlJs))
    } else {
      backend = await openSqliteWasm(name)
    }
    opened = now()
    store = persistSqlite(backend)
    close = async () => await backend.close()
  }
  await whenHydrated(store)
  const hydrated = now()
  current = { store, durable: () => Promise.resolve(), close }
  return {
    ...(engineMs === undefined ? {} : { engineMs }),
    backendMs: opened - started,
    hydrateMs: hydrated - opened,
    totalMs: hydrated - started,
    messages: countMessages(store.getState()),
    lockWaitMs,
  }
}

function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.deleteDatabase(name)
    request.onsuccess = () => resolve()
    request.onerror = () => reject(request.error ?? new Error(`deleting IndexedDB ${name} failed`))
    request.onblocked = () => reject(new Error(`deleting IndexedDB ${name} is blocked by an open connection`))
  })
}

/** The VFS's pool is a directory of OPFS files; its access handles close with the worker that held them. */
async function removeDirectory(name: string): Promise<void> {
  await lockReleased(name)
  const root = await navigator.storage.getDirectory()
  for (let attempt = 0; ; attempt++) {
    try {
      await root.removeEntry(name, { recursive: true })
      return
    } catch (error) {
      if ((error as DOMException).name === 'NotFoundError') return
      if (attempt >= 50) throw error
      await sleep(100)
    }
  }
}

async function versions(): Promise<Record<string, string>> {
  const sqlJs = await createSqlJsBackend({ sqlJs: loadSqlJs(), storage: 'memory' })
  const sqliteWasm = await openSqliteWasm('zs-bench-version-probe')
  const version = async (backend: Backend): Promise<string> =>
    String((await backend.query('SELECT sqlite_version() AS v'))[0]?.['v'])
  try {
    return { 'sqlite-wasm': await version(sqliteWasm), 'sql.js': await version(sqlJs) }
  } finally {
    await sqlJs.close()
    await sqliteWasm.close()
    await removeDirectory('zs-bench-version-probe')
  }
}

window.bench = {
  setup,
  edits,
  gc: () => window.gc?.(),
  exportCount: () => current?.exports?.(),
  teardown: async () => {
    const opened = current
    current = undefined
    await opened?.close()
  },
  hydrate,
  remove: (contender, name) =>
    contender === 'sqlite-wasm'
      ? removeDirectory(name)
      : contender === 'none'
        ? Promise.resolve()
        : deleteDatabase(name),
  versions,
}
