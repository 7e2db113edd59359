import { whenHydrated } from '@zustand-sqlite/core'
// S1: the streaming cost of the chats store (@zustand-sqlite/store-chats). An answer arrives as
// hundreds of replaceMessageFragment calls a second, each replacing the streaming message's text
// fragment with a longer text (touch = false). Measured per token, until committed, on the store's
// own state creator for every contender.
import { join } from 'node:path'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import type { Backend } from '@zustand-sqlite/core'
import {
  chatsLegacyPersistOptions,
  createChatsState,
  createChatsStore,
  partializeChats,
} from '@zustand-sqlite/store-chats'
import type { ChatsStore, DConversation, DMessage, DMessageFragment } from '@zustand-sqlite/store-chats'
import { persist } from 'zustand/middleware'
import type { PersistStorage } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import type { BenchContext } from '../context'
import { databaseBytes } from '../contenders'
import type { CommitLog } from '../contenders'
import { buildChat, createRandom, makeText, MESSAGES_PER_CONVERSATION, randomInt } from '../dataset'
import { loadSqlJs, readPragmas } from '../engines'
import { deleteStoredJson, idbJsonStorage, storedJsonLength } from '../jsonStorage'
import { collectGarbage, interleave } from '../measure'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatCount, formatRatio, formatUs, sizeLabel } from '../stats'
import type { Stats } from '../stats'

/** sql.js's flushIntervalMs in S1: longer than the run, so no image export lands inside another contender's timing. */
const SQLJS_NO_EXPORT_MS = 3_600_000

type StreamingName = 'NONE' | 'JSON' | 'LIB' | 'LIB (sql.js)'

/** One way of keeping the chats store; `token` resolves once the replaced fragment is committed. */
interface StreamingContender {
  readonly name: StreamingName
  readonly store: StoreApi<ChatsStore>
  token(fragment: DMessageFragment): unknown
  /** JSON: writes handed to the storage so far (one per token expected). */
  storageWrites?: () => number
  storage(): Promise<Record<string, unknown>>
  close(): Promise<void>
}

interface LibStreaming extends StreamingContender {
  readonly backend: Backend
  readonly log: CommitLog & { tables: Record<string, number>[] }
}

/** Where the answer streams: the last (assistant) message of the conversation in the middle of the list. */
interface StreamTarget {
  conversationId: string
  messageId: string
  fragment: DMessageFragment
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'

/**
 * An id shaped like the app's (`nanoid`), drawn from the seeded generator: the same on every run. Made
 * flat in one piece, as ids read from storage are: an id concatenated character by character is a
 * chain of string pieces that V8 walks on every comparison, which would make the action's `findIndex`
 * over the conversations many times slower than in an app (until something flattens the strings).
 */
function seededId(random: () => number, size: number): string {
  const codes: number[] = []
  for (let i = 0; i < size; i++) codes.push(ALPHABET.charCodeAt(randomInt(random, ALPHABET.length)))
  return String.fromCharCode(...codes)
}

/**
 * The chats state of `conversations` conversations with 10 messages each: the bench's seeded chat
 * (`buildChat`, ~200-character bodies) in the store's shape, one text fragment per message.
 */
function buildChatsConversations(conversations: number, seed: number): DConversation[] {
  const chat = buildChat(conversations * MESSAGES_PER_CONVERSATION, seed)
  const random = createRandom(seed ^ 0x5eed)
  return chat.conversations.map((c) => ({
    id: seededId(random, 21),
    messages: c.messages.map((m): DMessage => ({
      id: seededId(random, 21),
      role: m.role,
      fragments: [{ ft: 'content', fId: seededId(random, 8), part: { pt: 'text', text: m.text } }],
      tokenCount: 0,
      created: m.created,
      updated: null,
    })),
    autoTitle: c.title,
    systemPurposeId: 'Generic',
    created: c.created,
    updated: c.updated,
    tokenCount: 0,
  }))
}

function streamTarget(conversations: readonly DConversation[]): StreamTarget {
  const conversation = conversations[conversations.length >> 1] as DConversation
  const message = conversation.messages[conversation.messages.length - 1] as DMessage
  return { conversationId: conversation.id, messageId: message.id, fragment: message.fragments[0] as DMessageFragment }
}

/** `count` successive fragments of one answer: the same fragment id, one more token of text each time. */
function makeAnswer(random: () => number, target: StreamTarget, count: number): DMessageFragment[] {
  const fragments: DMessageFragment[] = []
  let text = ''
  for (let i = 0; i < count; i++) {
    text += (i === 0 ? '' : ' ') + makeText(random, 1 + randomInt(random, 6)).trim()
    fragments.push({ ...target.fragment, part: { pt: 'text', text } })
  }
  return fragments
}

const replace = (store: StoreApi<ChatsStore>, target: StreamTarget, fragment: DMessageFragment): void =>
  store.getState().replaceMessageFragment(target.conversationId, target.messageId, target.fragment.fId, fragment)

function openNone(conversations: DConversation[], target: StreamTarget): StreamingContender {
  const store = createStore<ChatsStore>()(createChatsState())
  store.setState({ conversations })
  return {
    name: 'NONE',
    store,
    token: (fragment) => replace(store, target, fragment),
    storage: () => Promise.resolve({}),
    close: () => Promise.resolve(),
  }
}

/** The JSON storage the other targets use, remembering its last write so a token can wait for it. */
function trackedJsonStorage<S>(): {
  storage: PersistStorage<S>
  written: () => Promise<unknown>
  writes: () => number
} {
  const inner = idbJsonStorage<S>()
  let last: Promise<unknown> = Promise.resolve()
  let writes = 0
  const storage: PersistStorage<S> = {
    getItem: (name) => inner.getItem(name),
    setItem: (name, value) => {
      writes++
      last = Promise.resolve(inner.setItem(name, value))
      return last
    },
    removeItem: (name) => inner.removeItem(name),
  }
  return { storage, written: () => last, writes: () => writes }
}

/** Zustand persist with the app's legacy options (partialize, merge, version) over idb-keyval. */
async function openJson(
  name: string,
  conversations: DConversation[],
  target: StreamTarget,
): Promise<StreamingContender> {
  const json = trackedJsonStorage<unknown>()
  const store = createStore<ChatsStore>()(
    persist(createChatsState(), { ...chatsLegacyPersistOptions, name, storage: json.storage }),
  )
  await whenHydrated(store)
  store.setState({ conversations })
  await json.written()
  return {
    name: 'JSON',
    store,
    // Zustand's persist stringifies and hands the state to the storage inside the set; wait for its write.
    token: (fragment) => {
      replace(store, target, fragment)
      return json.written()
    },
    storageWrites: json.writes,
    storage: async () => ({ jsonStringLength: await storedJsonLength(name) }),
    close: () => deleteStoredJson(name),
  }
}

/**
 * createChatsStore on a backend; the whole dataset is written once, before any timing. A token is
 * committed when `until` is `'flush'` once `store.persist.flush()` resolves (better-sqlite3: the
 * transaction is committed to the file); when it is `'commit'`, once onCommit reports the transaction
 * committed to the engine (sql.js, whose flush() would also export the whole database image).
 */
async function openLib(
  name: 'LIB' | 'LIB (sql.js)',
  backend: Backend,
  until: 'flush' | 'commit',
  conversations: DConversation[],
  target: StreamTarget,
  storage: () => Record<string, unknown> | Promise<Record<string, unknown>>,
): Promise<LibStreaming> {
  const log: LibStreaming['log'] = { commits: 0, rows: 0, rowsPerCommit: [], tables: [] }
  let committed: { resolve: () => void; reject: (error: unknown) => void } | undefined
  const store = createChatsStore({
    backend,
    onCommit: (info) => {
      log.commits++
      log.rows += info.rows
      log.rowsPerCommit.push(info.rows)
      log.tables.push({ ...info.tables })
      committed?.resolve()
      committed = undefined
    },
    onError: (error) => {
      committed?.reject(error)
      committed = undefined
    },
  })
  await whenHydrated(store)
  // Hydration found nothing and added one empty conversation: replace it with the dataset.
  store.setState({ conversations })
  await store.persist.flush()
  return {
    name,
    store,
    backend,
    log,
    token:
      until === 'flush'
        ? (fragment) => {
            replace(store, target, fragment)
            return store.persist.flush()
          }
        : (fragment) => {
            // The write is scheduled in a microtask after the set: wait for its onCommit.
            const done = new Promise<void>((resolve, reject) => {
              committed = { resolve, reject }
            })
            replace(store, target, fragment)
            return done
          },
    storage: async () => storage(),
    close: async () => {
      await backend.close()
    },
  }
}

interface SizeResult {
  conversations: number
  stats: Map<StreamingName, Stats>
  /** Tokens JSON streamed, and the writes its storage received for them. */
  jsonWrites: { tokens: number; storageWrites: number }
  /** partializeChats(state) alone, on the same state. */
  partialize: Stats
  /** Tokens each LIB contender wrote, and the commits onCommit reported for them. */
  writes: Record<string, { tokens: number; commits: number; rowsPerCommit: number[]; tables: string[] }>
}

/** Streams answers into one conversation's last message, every contender interleaved, at one size. */
async function measureAtSize(ctx: BenchContext, count: number): Promise<SizeResult> {
  const { options, dir } = ctx
  const settings = options.streaming
  const size = sizeLabel(count)
  const conversations = buildChatsConversations(count, options.seed + count)
  const target = streamTarget(conversations)
  ctx.progress(`S1: ${size} conversations: writing the initial state for each contender`)
  const file = join(dir, `streaming-lib-${count}.db`)
  const lib = await openLib(
    'LIB',
    createBetterSqlite3Backend({ filename: file, synchronous: options.synchronous }),
    'flush',
    conversations,
    target,
    () => databaseBytes(file),
  )
  const libs: LibStreaming[] = [lib]
  const contenders: StreamingContender[] = [
    openNone(conversations, target),
    await openJson(`chats-streaming-${count}`, conversations, target),
    lib,
  ]
  if (settings.sqlJs) {
    // An image kept in memory, and no coalesced export while measuring: exporting the whole database
    // (T6) is a cost of its own, paid at most once per flushIntervalMs, never inside set().
    const backend = await createSqlJsBackend({
      sqlJs: await loadSqlJs(),
      storage: 'memory',
      flushIntervalMs: SQLJS_NO_EXPORT_MS,
    })
    const sqljs = await openLib('LIB (sql.js)', backend, 'commit', conversations, target, async () => {
      // page_count * page_size: the size the image would have, without exporting it.
      const [row] = await backend.query(
        'SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()',
      )
      return { imageBytes: Number(row?.['bytes']) }
    })
    libs.push(sqljs)
    contenders.push(sqljs)
    ctx.facts['S1 LIB (sql.js) pragmas'] ??= await readPragmas((sql) => backend.query(sql))
  }
  try {
    const storage: Record<string, unknown> = {}
    for (const c of contenders) storage[c.name] = await c.storage()
    ctx.facts[`S1 storage at ${size} conversations`] = storage
    ctx.facts['S1 LIB pragmas'] ??= await readPragmas((sql) => lib.backend.query(sql))

    const random = createRandom(options.seed * 13 + count)
    // Every contender streams the same tokens, JSON included.
    const perRound = (): number => settings.tokensPerRound(count)
    const warmup = (): number => settings.warmup(count)
    let answer: DMessageFragment[] = []
    const before = new Map(libs.map((l) => [l, l.log.commits]))
    const json = contenders.find((c) => c.name === 'JSON') as StreamingContender
    const jsonWritesBefore = json.storageWrites?.() ?? 0
    ctx.progress(`S1: ${size} conversations: ${settings.rounds} rounds`)
    const stats = await interleave(
      contenders,
      {
        rounds: settings.rounds,
        warmup,
        perRound,
        // One answer per round, its fragments made outside any timing; every contender streams the same one.
        beforeRound: (round) => {
          answer = makeAnswer(random, target, round < 0 ? warmup() : perRound())
        },
      },
      (c, i) => c.token(answer[i] as DMessageFragment),
    )
    const writes: SizeResult['writes'] = {}
    for (const l of libs) {
      const first = before.get(l) as number
      writes[l.name] = {
        tokens: warmup() + settings.rounds * perRound(),
        commits: l.log.commits - first,
        rowsPerCommit: [...new Set(l.log.rowsPerCommit.slice(first))],
        tables: [...new Set(l.log.tables.slice(first).map((t) => JSON.stringify(t)))],
      }
    }
    ctx.facts[`S1 LIB writes at ${size} conversations`] = writes
    const jsonWrites = {
      tokens: warmup() + settings.rounds * perRound(),
      storageWrites: (json.storageWrites?.() ?? 0) - jsonWritesBefore,
    }
    ctx.facts[`S1 JSON writes at ${size} conversations`] = jsonWrites

    // What the store's partialize (run by every LIB write, before the diff) costs on its own at this size.
    const state = (contenders[0] as StreamingContender).store.getState()
    let kept = 0
    const partialize = await interleave(['partializeChats'], { rounds: settings.rounds, warmup, perRound }, () => {
      kept += partializeChats(state).conversations.length
    })
    if (kept === 0) throw new Error('S1: partializeChats kept no conversation')
    return {
      conversations: count,
      stats: new Map([...stats].map(([c, s]) => [c.name, s])),
      partialize: partialize.get('partializeChats') as Stats,
      writes,
      jsonWrites,
    }
  } finally {
    for (const c of contenders) await c.close()
    collectGarbage()
  }
}

/** A median in milliseconds, printed in microseconds. */
const us = (ms: number): string => formatUs(ms * 1000)
const perSecond = (ms: number): number => 1000 / ms

/** S1: chats streaming, per token until committed, at each number of conversations. */
export async function runStreamingTarget(ctx: BenchContext): Promise<TargetResult> {
  const counts = ctx.options.streaming.conversations
  const results: SizeResult[] = []
  for (const count of counts) results.push(await measureAtSize(ctx, count))

  const label = (count: number): string => `${sizeLabel(count)} conv`
  const median = (r: SizeResult, name: StreamingName): number => r.stats.get(name)?.median ?? Number.NaN
  const measurements: Measurement[] = []
  const checks: Check[] = []
  const notes: string[] = []
  for (const r of results) {
    for (const [name, s] of r.stats) {
      measurements.push({
        contender: name,
        size: label(r.conversations),
        unit: 'µs',
        median: s.median * 1000,
        p90: s.p90 * 1000,
        samples: s.count,
        extra: {
          tokensPerSecond: Math.round(perSecond(s.median)),
          roundMedians: s.roundMedians.map((m) => m * 1000),
          min: s.min * 1000,
        },
      })
    }
    measurements.push({
      contender: 'partializeChats alone',
      size: label(r.conversations),
      unit: 'µs',
      median: r.partialize.median * 1000,
      p90: r.partialize.p90 * 1000,
      samples: r.partialize.count,
      extra: { roundMedians: r.partialize.roundMedians.map((m) => m * 1000), min: r.partialize.min * 1000 },
    })
    for (const [name, w] of Object.entries(r.writes)) {
      const exact = w.commits === w.tokens && w.rowsPerCommit.length === 1 && w.rowsPerCommit[0] === 1
      checks.push({
        contender: name,
        size: label(r.conversations),
        label: 'rows per commit',
        value: w.commits === 0 ? Number.NaN : w.rowsPerCommit.reduce((a, b) => Math.max(a, b), 0),
        detail: `${w.tokens} tokens -> ${w.commits} commits of ${w.rowsPerCommit.join('/')} row(s), ${w.tables.join(' / ')}`,
        target: '1 commit of 1 fragment row per token',
        pass: exact && w.tables.length === 1 && w.tables[0] === '{"fragments":1}',
      })
    }
    const lib = median(r, 'LIB')
    const json = median(r, 'JSON')
    const none = median(r, 'NONE')
    const sqljs = median(r, 'LIB (sql.js)')
    notes.push(
      `${label(r.conversations)} (${sizeLabel(r.conversations * MESSAGES_PER_CONVERSATION)} messages): ` +
        `LIB/JSON 1/${Math.round(json / lib)} (${us(lib)} / ${us(json)}); ` +
        `LIB/NONE ${formatRatio(lib / none)} (${us(lib)} / ${us(none)}); ` +
        `tokens/s: ${[...r.stats.keys()].map((name) => `${name} ${formatCount(perSecond(median(r, name)))}`).join(', ')}` +
        (Number.isFinite(sqljs) ? `; LIB (sql.js)/LIB ${formatRatio(sqljs / lib)} (${us(sqljs)} / ${us(lib)})` : ''),
    )
  }

  const smallest = results[0] as SizeResult
  const largest = results[results.length - 1] as SizeResult
  const growthLabel = `t(${sizeLabel(largest.conversations)})/t(${sizeLabel(smallest.conversations)})`
  const growth = (name: StreamingName): number => median(largest, name) / median(smallest, name)
  const growthDetail = (name: StreamingName): string =>
    `${formatRatio(growth(name))} (${us(median(largest, name))} / ${us(median(smallest, name))})`
  checks.push(
    limitCheck({
      contender: 'LIB',
      size: label(largest.conversations),
      label: growthLabel,
      value: growth('LIB'),
      detail: growthDetail('LIB'),
      target: '<= 2x',
      max: 2,
    }),
  )
  const libJson = median(largest, 'LIB') / median(largest, 'JSON')
  checks.push(
    limitCheck({
      contender: 'LIB',
      size: label(largest.conversations),
      label: 'LIB/JSON',
      value: libJson,
      detail: `1/${Math.round(1 / libJson)} (${us(median(largest, 'LIB'))} / ${us(median(largest, 'JSON'))})`,
      target: "<= 1/100 (T2's limit)",
      max: 0.01,
    }),
  )
  const jsonWrites = results.map(
    (r) => `${r.jsonWrites.tokens} tokens -> ${r.jsonWrites.storageWrites} writes at ${sizeLabel(r.conversations)}`,
  )
  notes.push(
    results.every((r) => r.jsonWrites.storageWrites === r.jsonWrites.tokens)
      ? `JSON: one storage write per token (${jsonWrites.join(', ')}).`
      : `JSON: NOT one storage write per token, its figures are not per write: ${jsonWrites.join(', ')}.`,
  )
  const added = (r: SizeResult): number => median(r, 'LIB') - median(r, 'NONE')
  notes.push(
    `LIB minus NONE (what the library adds to a token, the action's own update left out): ${results.map((r) => `${label(r.conversations)} ${us(added(r))}`).join(', ')}; ${growthLabel} ${formatRatio(added(largest) / added(smallest))}. NONE (the action alone: its lookup and its copy of the conversation list): ${results.map((r) => `${label(r.conversations)} ${us(median(r, 'NONE'))}`).join(', ')}.`,
  )
  const partializeGrowth = largest.partialize.median / smallest.partialize.median
  notes.push(
    `growth ${growthLabel} for every contender: ${[...largest.stats.keys()].map((name) => `${name} ${growthDetail(name)}`).join('; ')}; partializeChats alone ${formatRatio(partializeGrowth)} (${us(largest.partialize.median)} / ${us(smallest.partialize.median)}).`,
    "partializeChats alone: the store's partialize (incognito and empty conversations left out) on the same state, timed apart; every LIB write runs it before the diff, and JSON's partializeChatsForJson runs it too.",
    'timed per token: store.getState().replaceMessageFragment(conversationId, messageId, fragmentId, fragment) (touch=false), then, until committed: LIB flush(), JSON the storage write. NONE is the action alone.',
    `the answer streams into the last message of the conversation in the middle of the list (index N/2); one answer per round, the same tokens for every contender, JSON included: ${counts.map((n) => `${ctx.options.streaming.tokensPerRound(n)} per round at ${sizeLabel(n)}`).join(', ')} (fewer at the largest sizes, where each of JSON's tokens stringifies and stores the whole state).`,
    ...(ctx.options.streaming.sqlJs
      ? [
          "LIB (sql.js): storage 'memory', a token timed until onCommit (committed to sql.js's in-memory engine); flush() would also export the whole image. The export is coalesced apart (at most once per flushIntervalMs, outside set(): T6) and disabled here, so that it never lands in another contender's timing.",
        ]
      : []),
  )
  return {
    id: 'S1',
    title: 'chats streaming: one replaceMessageFragment per token, time per token until committed (store-chats)',
    target: 'one fragment row per token; cost per token independent of the number of conversations; far below JSON',
    measurements,
    checks,
    notes,
  }
}
