// One hydration in a fresh process, for T8: prints the process's peak RSS as one JSON line.
// Usage: node --expose-gc --import tsx bench/hydrateChild.ts <mode> <file> <conversations> <messages>
// Every mode loads the same modules, so the figures differ by what hydration itself costs.
import { readFileSync } from 'node:fs'
import { persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import { countMessages } from './dataset'
import type { ChatState } from './dataset'
import { loadSqlJs } from './engines'
import { idbJsonStorage, writeStoredJson } from './jsonStorage'
import { collectGarbage, now } from './measure'
import { chatSchema } from './schemas'

const CHILD_MODES = ['baseline', 'json', 'lib-better-sqlite3', 'lib-sqljs'] as const
export type ChildMode = (typeof CHILD_MODES)[number]

/** What a child reports; sizes in KiB. */
export interface ChildReport {
  mode: ChildMode
  /** Peak RSS of the process, read after hydration. */
  peakKiB: number
  /** Where the peak was read: VmHWM of /proc/self/status, or process.resourceUsage().maxRSS. */
  peakSource: 'VmHWM' | 'maxRSS'
  /** process.resourceUsage().maxRSS after hydration, as reported. */
  maxRssKiB: number
  /** Peak RSS before hydration began (loading modules, and for JSON putting the string into IndexedDB). */
  setupPeakKiB: number
  rssBeforeKiB: number
  rssAfterKiB: number
  hydrateMs: number
  conversations: number
  messages: number
}

const STORE = 'chat'

/**
 * Peak RSS of this process. On Linux, ru_maxrss (process.resourceUsage().maxRSS) keeps the parent's
 * RSS at fork() across exec, so a child of a large bench process reports at least the bench's size;
 * VmHWM is the high-water mark of this process's own memory. Elsewhere, maxRSS.
 */
function peak(): { kib: number; source: ChildReport['peakSource'] } {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (match !== null) return { kib: Number(match[1]), source: 'VmHWM' }
  } catch {
    // not Linux
  }
  return { kib: process.resourceUsage().maxRSS, source: 'maxRSS' }
}
const empty = (): ChatState => ({ conversations: [] })

/** Untimed setup; returns the hydration to measure. */
async function setup(mode: ChildMode, file: string): Promise<() => Promise<ChatState>> {
  switch (mode) {
    case 'baseline':
      return () => Promise.resolve(empty())
    case 'json': {
      // fake-indexeddb lives in this process: put the stored string in first, as a browser would have it on disk.
      await writeStoredJson(STORE, readFileSync(file, 'utf8'))
      return async () => {
        const store = createStore<ChatState>()(persist(empty, { name: STORE, storage: idbJsonStorage<ChatState>() }))
        await whenHydrated(store)
        return store.getState()
      }
    }
    case 'lib-better-sqlite3':
      return () => {
        const backend = createBetterSqlite3Backend({ filename: file })
        const store = createStore<ChatState>()(persistSQLite(empty, { name: STORE, backend, schema: chatSchema }))
        return Promise.resolve(store.getState())
      }
    case 'lib-sqljs': {
      const sqlJs = await loadSqlJs()
      return async () => {
        const backend = await createSqlJsBackend({ sqlJs, storage: { file } })
        const store = createStore<ChatState>()(persistSQLite(empty, { name: STORE, backend, schema: chatSchema }))
        await whenHydrated(store)
        return store.getState()
      }
    }
  }
}

async function main(): Promise<void> {
  const [mode, file = '', conversations = '0', messages = '0'] = process.argv.slice(2)
  if (!(CHILD_MODES as readonly string[]).includes(mode ?? '')) throw new Error(`unknown mode ${String(mode)}`)
  const hydrate = await setup(mode as ChildMode, file)
  collectGarbage()
  const setupPeakKiB = peak().kib
  const rssBeforeKiB = Math.round(process.memoryUsage().rss / 1024)
  const started = now()
  const state = await hydrate()
  const hydrateMs = now() - started
  const { kib: peakKiB, source } = peak()
  const report: ChildReport = {
    mode: mode as ChildMode,
    peakKiB,
    peakSource: source,
    maxRssKiB: process.resourceUsage().maxRSS,
    setupPeakKiB,
    rssBeforeKiB,
    rssAfterKiB: Math.round(process.memoryUsage().rss / 1024),
    hydrateMs,
    conversations: state.conversations.length,
    messages: countMessages(state),
  }
  if (mode !== 'baseline' && (report.conversations !== Number(conversations) || report.messages !== Number(messages))) {
    throw new Error(`hydrated ${report.conversations}/${report.messages}, expected ${conversations}/${messages}`)
  }
  console.log(JSON.stringify(report))
  // Exit now: a sql.js backend would otherwise export its image a second later (after the measurement).
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
