// One hydration of T5's data in a fresh process, reported as one JSON line: for T8, the process's peak
// RSS; for T5's cold hydration, how long the hydration, the imports and the process took.
// Usage: node --expose-gc --import tsx bench/hydrateChild.ts <mode> <file> <conversations> <messages> [modules] [synchronous]
// modules: `all` (T8, the default): every mode loads the same modules, so the figures differ by what
// hydration itself costs; `own` (T5): only the modules of the mode's contender, as an app loads them.
// The modules are imported dynamically, after the process has started, so that their import is timed.
import { readFileSync } from 'node:fs'
import type { SqlJsStatic } from '@zustand-sqlite/backend-sqljs'
import { loadBetterSqlite3, peak, persistHydrated, rssKiB, timed } from './childProcess'
import type { PeakSource } from './childProcess'
import { countMessages } from './dataset'
import type { ChatState } from './dataset'
import { collectGarbage, now } from './measure'
import type { BenchOptions } from './options'

const CHILD_MODES = ['baseline', 'json', 'lib-better-sqlite3', 'lib-sqljs'] as const
export type ChildMode = (typeof CHILD_MODES)[number]
export type ChildModules = 'all' | 'own'

/** What a child reports; sizes in KiB, times in ms. */
export interface ChildReport {
  mode: ChildMode
  modules: ChildModules
  /** Peak RSS of the process, read after hydration. */
  peakKiB: number
  /** Where the peak was read: VmHWM of /proc/self/status, or process.resourceUsage().maxRSS. */
  peakSource: PeakSource
  /** process.resourceUsage().maxRSS after hydration, as reported. */
  maxRssKiB: number
  /** Peak RSS before hydration began (loading modules, and for JSON putting the string into IndexedDB). */
  setupPeakKiB: number
  rssBeforeKiB: number
  rssAfterKiB: number
  /** From just before the store is created (the backend opened, for LIB) until it has hydrated. */
  hydrateMs: number
  /** From the process's start until this script ran: node, tsx and this file's own small imports. */
  startMs: number
  /** The JavaScript modules of the mode (`modules`), imported through tsx's loader. */
  importMs: number
  /** The engine: better-sqlite3's native addon loaded, or sql.js's wasm compiled; 0 for JSON. */
  engineMs: number
  /** Untimed for hydration: JSON's stored string put into fake-indexeddb (a browser has it on disk). */
  setupMs: number
  /** From the process's start until the report, just before it exits. */
  endMs: number
  conversations: number
  messages: number
}

const STORE = 'chat'

const empty = (): ChatState => ({ conversations: [] })

/** Every module any mode loads, better-sqlite3's addon included: T8 loads them all in every mode. */
const importEverything = (): Promise<unknown> =>
  Promise.all([
    loadBetterSqlite3(),
    import('zustand/vanilla'),
    import('zustand/middleware'),
    import('@zustand-sqlite/core'),
    import('@zustand-sqlite/backend-better-sqlite3'),
    import('@zustand-sqlite/backend-sqljs'),
    import('sql.js'),
    import('./jsonStorage'),
    import('./schemas'),
  ])

interface Prepared {
  /** The store created until hydrated: what is timed. */
  hydrate: () => Promise<ChatState>
  importMs: number
  engineMs: number
  setupMs: number
}

/** Imports the mode's modules and does its setup, each timed apart; returns the hydration to measure. */
async function prepare(
  mode: ChildMode,
  file: string,
  modules: ChildModules,
  synchronous: BenchOptions['synchronous'],
): Promise<Prepared> {
  const all = await timed(() => (modules === 'all' ? importEverything() : undefined))
  switch (mode) {
    case 'baseline':
      return { hydrate: () => Promise.resolve(empty()), importMs: all.ms, engineMs: 0, setupMs: 0 }
    case 'json': {
      const imported = await timed(() =>
        Promise.all([import('zustand/vanilla'), import('zustand/middleware'), import('./jsonStorage')]),
      )
      const [{ createStore }, { persist }, { idbJsonStorage, writeStoredJson }] = imported.value
      // fake-indexeddb lives in this process: put the stored string in first, as a browser would have it on disk.
      const setup = await timed(() => writeStoredJson(STORE, readFileSync(file, 'utf8')))
      return {
        importMs: all.ms + imported.ms,
        engineMs: 0,
        setupMs: setup.ms,
        hydrate: async () => {
          const store = createStore<ChatState>()(persist(empty, { name: STORE, storage: idbJsonStorage<ChatState>() }))
          await persistHydrated(store)
          return store.getState()
        },
      }
    }
    case 'lib-better-sqlite3': {
      const imported = await timed(() =>
        Promise.all([
          import('zustand/vanilla'),
          import('@zustand-sqlite/core'),
          import('@zustand-sqlite/backend-better-sqlite3'),
          import('./schemas'),
        ]),
      )
      const [{ createStore }, { persistSQLite, whenHydrated }, { createBetterSqlite3Backend }, { chatSchema }] =
        imported.value
      // The backend requires better-sqlite3 when it first opens a file: loaded here instead, apart from the
      // hydration, as sql.js's compilation is.
      const engine = await timed(loadBetterSqlite3)
      return {
        importMs: all.ms + imported.ms,
        engineMs: engine.ms,
        setupMs: 0,
        hydrate: async () => {
          const backend = createBetterSqlite3Backend({ filename: file, synchronous })
          const store = createStore<ChatState>()(persistSQLite(empty, { name: STORE, backend, schema: chatSchema }))
          await whenHydrated(store)
          return store.getState()
        },
      }
    }
    case 'lib-sqljs': {
      const imported = await timed(() =>
        Promise.all([
          import('zustand/vanilla'),
          import('@zustand-sqlite/core'),
          import('@zustand-sqlite/backend-sqljs'),
          import('sql.js'),
          import('./schemas'),
        ]),
      )
      const [{ createStore }, { persistSQLite, whenHydrated }, { createSqlJsBackend }, sqlJsModule, { chatSchema }] =
        imported.value
      // Compiling the wasm, once per process as an app does at start: apart from the hydration, as T5 in process.
      const engine = await timed(async () => (await sqlJsModule.default()) as unknown as SqlJsStatic)
      const sqlJs = engine.value
      return {
        importMs: all.ms + imported.ms,
        engineMs: engine.ms,
        setupMs: 0,
        hydrate: async () => {
          const backend = await createSqlJsBackend({ sqlJs, storage: { file } })
          const store = createStore<ChatState>()(persistSQLite(empty, { name: STORE, backend, schema: chatSchema }))
          await whenHydrated(store)
          return store.getState()
        },
      }
    }
  }
}

async function main(): Promise<void> {
  const startMs = now()
  const [mode, file = '', conversations = '0', messages = '0', modules = 'all', synchronous = 'NORMAL'] =
    process.argv.slice(2)
  if (!(CHILD_MODES as readonly string[]).includes(mode ?? '')) throw new Error(`unknown mode ${String(mode)}`)
  if (modules !== 'all' && modules !== 'own') throw new Error(`modules must be all or own, not ${modules}`)
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new Error(`unknown synchronous ${synchronous}`)
  const prepared = await prepare(mode as ChildMode, file, modules, synchronous)
  collectGarbage()
  const setupPeakKiB = peak().kib
  const rssBeforeKiB = rssKiB()
  const started = now()
  const state = await prepared.hydrate()
  const hydrateMs = now() - started
  const { kib: peakKiB, source } = peak()
  const report: ChildReport = {
    mode: mode as ChildMode,
    modules,
    peakKiB,
    peakSource: source,
    maxRssKiB: process.resourceUsage().maxRSS,
    setupPeakKiB,
    rssBeforeKiB,
    rssAfterKiB: rssKiB(),
    hydrateMs,
    startMs,
    importMs: prepared.importMs,
    engineMs: prepared.engineMs,
    setupMs: prepared.setupMs,
    endMs: 0,
    conversations: state.conversations.length,
    messages: countMessages(state),
  }
  if (mode !== 'baseline' && (report.conversations !== Number(conversations) || report.messages !== Number(messages))) {
    throw new Error(`hydrated ${report.conversations}/${report.messages}, expected ${conversations}/${messages}`)
  }
  report.endMs = now()
  console.log(JSON.stringify(report))
  // Exit now: a sql.js backend would otherwise export its image a second later (after the measurement).
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
