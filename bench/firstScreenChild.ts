// F2's cold process: one way of showing the first screen of the chat store (its conversation list), in a fresh
// process that imports only that way's modules, reported as one JSON line. The clock runs from just before the
// store is created (the backend opened, for LIB) until the list is computed; the first-screen way then opens
// the newest conversation, timed apart. The process's peak memory (VmHWM) is read once that work is done; the
// results are then checked against what the bench stored, and a mismatch exits with VERIFICATION_FAILED.
// Usage: node --expose-gc --import tsx bench/firstScreenChild.ts <way> <file> <expected.json> <store> [synchronous]
import { readFileSync } from 'node:fs'
import { loadBetterSqlite3, peak, persistHydrated, rssKiB, timed } from './childProcess'
import type { PeakSource } from './childProcess'
import { conversationList, listDifference, messagesDifference, VERIFICATION_FAILED } from './conversationList'
import type { ConversationRow, FirstScreenExpected, ListedConversation, LoadedTest } from './conversationList'
import type { Message } from './dataset'
import { collectGarbage, now } from './measure'

const WAYS = ['json', 'lib-full', 'lib-first-screen'] as const
/** JSON: Zustand persist, full hydration. LIB full: `hydrate: 'full'`. LIB first screen: `hydrate: 'onDemand'`. */
export type FirstScreenWay = (typeof WAYS)[number]

/** What a child reports; sizes in KiB, times in ms. */
export interface FirstScreenReport {
  way: FirstScreenWay
  /** From just before the store is created until the conversation list is computed. */
  listMs: number
  /** Of which: until the store had hydrated (the rest is the list made from the state). */
  hydratedMs: number
  /** LIB first screen: `loadOnDemand` of the newest conversation until its messages are in the state. */
  openMs: number | null
  /** Whether they were in the state when `loadOnDemand` returned (better-sqlite3 is synchronous). */
  openSynchronous: boolean | null
  /** Peak RSS of the process once the way's work is done (the list, and the opened conversation). */
  peakKiB: number
  /** Peak RSS right after the list, before a conversation is opened. */
  listPeakKiB: number
  peakSource: PeakSource
  /** Peak RSS before the clock started: modules loaded, and for JSON the stored string put into IndexedDB. */
  setupPeakKiB: number
  rssBeforeKiB: number
  rssAfterKiB: number
  /** From the process's start until this script ran: node, tsx and this file's own small imports. */
  startMs: number
  /** The way's JavaScript modules, imported through tsx's loader. */
  importMs: number
  /** better-sqlite3's native addon loaded, which the backend would otherwise load as it opens; 0 for JSON. */
  engineMs: number
  /** Untimed: JSON's stored string put into fake-indexeddb (a browser has it on disk). */
  setupMs: number
  /** From the process's start until the report, just before it exits. */
  endMs: number
  conversations: number
  /** Conversations whose messages were in the state when the list was made. */
  loadedAtList: number
}

/** A store of the way, made and hydrated; what is timed, up to the list. */
interface Shown {
  conversations: () => readonly ListedConversation[]
  isLoaded: LoadedTest
  /** LIB first screen only: loads one conversation's messages; resolves once they are in the state. */
  open?: (id: string) => Promise<unknown>
}

/** The part of the chat state a store holds here. */
interface ChatList {
  conversations: ListedConversation[]
}

const empty = (): ChatList => ({ conversations: [] })

interface Prepared {
  /** Creates the store and resolves once it has hydrated. */
  show: () => Promise<Shown>
  importMs: number
  engineMs: number
  setupMs: number
}

async function prepare(
  way: FirstScreenWay,
  file: string,
  store: string,
  synchronous: 'NORMAL' | 'FULL',
): Promise<Prepared> {
  if (way === 'json') {
    const imported = await timed(() =>
      Promise.all([import('zustand/vanilla'), import('zustand/middleware'), import('./jsonStorage')]),
    )
    const [{ createStore }, { persist }, { idbJsonStorage, writeStoredJson }] = imported.value
    // fake-indexeddb lives in this process: put the stored string in first, as a browser would have it on disk.
    const setup = await timed(() => writeStoredJson(store, readFileSync(file, 'utf8')))
    return {
      importMs: imported.ms,
      engineMs: 0,
      setupMs: setup.ms,
      show: async () => {
        const chat = createStore<ChatList>()(persist(empty, { name: store, storage: idbJsonStorage<ChatList>() }))
        await persistHydrated(chat)
        // The status quo has every message in the state.
        return { conversations: () => chat.getState().conversations, isLoaded: () => true }
      },
    }
  }
  const imported = await timed(() =>
    Promise.all([
      import('zustand/vanilla'),
      import('@zustand-sqlite/core'),
      import('@zustand-sqlite/backend-better-sqlite3'),
      import('./schemas'),
    ]),
  )
  const [
    { createStore },
    { isLoaded, persistSQLite, whenHydrated },
    { createBetterSqlite3Backend },
    { chatSchemaOnDemand },
  ] = imported.value
  const engine = await timed(loadBetterSqlite3)
  return {
    importMs: imported.ms,
    engineMs: engine.ms,
    setupMs: 0,
    show: async () => {
      const backend = createBetterSqlite3Backend({ filename: file, synchronous })
      const chat = createStore<ChatList>()(
        persistSQLite(empty, {
          name: store,
          backend,
          schema: chatSchemaOnDemand,
          hydrate: way === 'lib-full' ? 'full' : 'onDemand',
        }),
      )
      await whenHydrated(chat)
      return {
        conversations: () => chat.getState().conversations,
        isLoaded,
        ...(way === 'lib-first-screen' ? { open: (id: string) => chat.persist.loadOnDemand('conversations', id) } : {}),
      }
    },
  }
}

const messagesOf = (shown: Shown, id: string): readonly Message[] | undefined =>
  shown.conversations().find((c) => c.id === id)?.messages

/** Opens the conversation `id`: the time until its messages are in the state, and whether that was at once. */
async function open(
  shown: Shown,
  load: (id: string) => Promise<unknown>,
  id: string,
): Promise<{ ms: number; synchronous: boolean }> {
  const started = now()
  const pending = load(id)
  const messages = messagesOf(shown, id)
  const synchronous = messages !== undefined && shown.isLoaded(messages)
  if (!synchronous) await pending
  const ms = now() - started
  await pending
  return { ms, synchronous }
}

const countLoaded = (shown: Shown): number => shown.conversations().filter((c) => shown.isLoaded(c.messages)).length

/** What differs from the dataset's: the list, which messages are in the state, the newest conversation's. */
function verify(
  way: FirstScreenWay,
  shown: Shown,
  list: readonly ConversationRow[],
  loaded: { atList: number; atEnd: number },
  expected: FirstScreenExpected,
): string[] {
  const problems: string[] = []
  const listProblem = listDifference(list, expected.list)
  if (listProblem !== undefined) problems.push(listProblem)
  const firstScreen = way === 'lib-first-screen'
  const expectLoaded = {
    atList: firstScreen ? 0 : expected.conversations,
    atEnd: firstScreen ? 1 : expected.conversations,
  }
  if (loaded.atList !== expectLoaded.atList || loaded.atEnd !== expectLoaded.atEnd)
    problems.push(
      `conversations with their messages in the state: ${loaded.atList} at the list and ${loaded.atEnd} at the end, expected ${expectLoaded.atList} and ${expectLoaded.atEnd}`,
    )
  if (list[0]?.id !== expected.newest.id)
    problems.push(`the newest conversation is ${String(list[0]?.id)}, expected ${expected.newest.id}`)
  const messages = messagesOf(shown, expected.newest.id)
  if (messages === undefined || !shown.isLoaded(messages))
    problems.push(`the messages of ${expected.newest.id} are not in the state`)
  else {
    const messagesProblem = messagesDifference(messages, expected.newest.messages)
    if (messagesProblem !== undefined) problems.push(`${expected.newest.id}: ${messagesProblem}`)
  }
  return problems
}

async function main(): Promise<void> {
  const startMs = now()
  const [way, file = '', expectedFile = '', store = '', synchronous = 'NORMAL'] = process.argv.slice(2)
  if (!(WAYS as readonly string[]).includes(way ?? '')) throw new Error(`unknown way ${String(way)}`)
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') throw new Error(`unknown synchronous ${synchronous}`)
  const prepared = await prepare(way as FirstScreenWay, file, store, synchronous)
  collectGarbage()
  const setupPeakKiB = peak().kib
  const rssBeforeKiB = rssKiB()

  const started = now()
  const shown = await prepared.show()
  const hydratedMs = now() - started
  const list = conversationList(shown.conversations(), shown.isLoaded)
  const listMs = now() - started

  const listPeakKiB = peak().kib
  const loadedAtList = countLoaded(shown)
  const opened = shown.open === undefined ? undefined : await open(shown, shown.open, list[0]?.id ?? '')
  const { kib: peakKiB, source: peakSource } = peak()
  const rssAfterKiB = rssKiB()

  // Untimed, after the peaks were read: the results against the dataset.
  const expected = JSON.parse(readFileSync(expectedFile, 'utf8')) as FirstScreenExpected
  const problems = verify(
    way as FirstScreenWay,
    shown,
    list,
    { atList: loadedAtList, atEnd: countLoaded(shown) },
    expected,
  )
  if (problems.length > 0) {
    console.error(`F2 verification failed (${String(way)}): ${problems.join('; ')}`)
    process.exit(VERIFICATION_FAILED)
  }
  const report: FirstScreenReport = {
    way: way as FirstScreenWay,
    listMs,
    hydratedMs,
    openMs: opened?.ms ?? null,
    openSynchronous: opened?.synchronous ?? null,
    peakKiB,
    listPeakKiB,
    peakSource,
    setupPeakKiB,
    rssBeforeKiB,
    rssAfterKiB,
    startMs,
    importMs: prepared.importMs,
    engineMs: prepared.engineMs,
    setupMs: prepared.setupMs,
    endMs: 0,
    conversations: list.length,
    loadedAtList,
  }
  report.endMs = now()
  console.log(JSON.stringify(report))
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
