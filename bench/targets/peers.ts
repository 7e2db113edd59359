// P1: ahead of every peer at every size. LIB (persistSQLite on better-sqlite3) against TinyBase saving the same
// chat to SQLite with its own tabular persister, on the same engine and file settings, at N up to 1M messages:
// one message edited, one appended, one streamed token, each timed until committed. TinyBase runs twice, told
// apart by how it got the chat: by one bulk save (its first full save, which binds every row of a table in one
// statement and fails past ~5.4k messages), or by change saves (a row a statement). Where a contender stops
// working, its error and the size are recorded and reported as a check line, and it is not run at larger sizes.
// LIB also runs a second time with each next state made before the clock starts, for context (no check).
import { getHeapStatistics } from 'node:v8'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { BenchContext } from '../context'
import type { BenchOptions } from '../options'
import { databaseBytes, openLib } from '../contenders'
import type { LibChat } from '../contenders'
import { buildChat, createRandom, makeEdit, makeText, MESSAGES_PER_CONVERSATION, randomInt } from '../dataset'
import type { ChatState, Edit, Message } from '../dataset'
import { collectGarbage, interleave, now } from '../measure'
import { applyAppend, applyMessageEdit, applyToken } from '../replaceEdits'
import type { MessageAppend, MessageAt, MessageEdit } from '../replaceEdits'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatBytes, formatCount, formatMs, formatRatio, sizeLabel, summarize } from '../stats'
import type { Stats } from '../stats'
import { FILL_BATCH, openTinyBase } from '../tinybase'
import type { TinyBaseFill } from '../tinybase'

export interface PeersOptions {
  /** N: messages, in N / 10 conversations. */
  sizes: readonly number[]
  rounds: number
  /** Untimed iterations per contender and operation before the first round. */
  warmup: number
  /** Timed iterations per contender, operation and round. */
  perRound: number
}

/** The full run: up to 1M messages (about 0.3 GB of chat in memory, once per contender). */
export const PEERS_FULL: PeersOptions = {
  sizes: [1_000, 10_000, 100_000, 1_000_000],
  rounds: 7,
  warmup: 20,
  perRound: 40,
}

/** A smoke run: 1k and 10k messages, few iterations. */
export const PEERS_QUICK: PeersOptions = { sizes: [1_000, 10_000], rounds: 3, warmup: 5, perRound: 15 }

/** LIB, twice: its next state made inside the timing (the app's update and the persistence) or before it. */
type LibPeerName = 'LIB' | 'LIB (persistence alone)'
type TinyBasePeerName = 'TinyBase (bulk save)' | 'TinyBase (saved by changes)'
type PeerName = LibPeerName | TinyBasePeerName
/** Every contender, in the order of the table. */
const PEERS: readonly PeerName[] = [
  'LIB',
  'LIB (persistence alone)',
  'TinyBase (bulk save)',
  'TinyBase (saved by changes)',
]
/** The contenders LIB is checked against, and how each gets the chat. */
const TINYBASE_PEERS: readonly { name: TinyBasePeerName; fill: TinyBaseFill }[] = [
  { name: 'TinyBase (bulk save)', fill: 'bulk' },
  { name: 'TinyBase (saved by changes)', fill: 'changes' },
]
const isTinyBase = (name: PeerName): name is TinyBasePeerName => name.startsWith('TinyBase')

type Operation = 'edit' | 'append' | 'token'
const OPERATIONS: readonly Operation[] = ['edit', 'append', 'token']

/** `1k`, `100k`, `1M`. */
const label = (n: number): string => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : sizeLabel(n))

/** The status quo in a browser keeps the whole state as one JSON string in localStorage, ~5 MB an origin. */
const LOCAL_STORAGE_LIMIT = 5 * 1024 * 1024

/** The three operations; every contender is given the same inputs. */
interface PeerOperations {
  edit(edit: MessageEdit): unknown
  append(append: MessageAppend): unknown
  token(at: MessageAt, word: string): unknown
}

/** One contender at one size; every operation resolves once its change is committed. */
interface PeerContender extends PeerOperations {
  readonly name: PeerName
  /** Milliseconds to write the whole chat the first time. */
  readonly writeMs: number
  /** Saves that wrote the chat (TinyBase). */
  readonly fillSaves?: number
  /** LIB (persistence alone): makes the next state of the operation about to run; called outside its timing. */
  readonly prepare?: PeerOperations
  /** The text of a message as the contender holds it in memory. */
  text(at: MessageAt): string | undefined
  /** What the file holds, read through a connection of its own: messages, and the text of one. */
  stored(messageId: string): { messages: number; text: string | undefined }
  storage(): Record<string, number>
  /** Commits (LIB) or saves (TinyBase) since the first write: one per operation expected. */
  writes(): number
  /** LIB: milliseconds spent making each next state (replaceAt), inside the timed operations. */
  readonly nextStateMs?: number[]
  close(): Promise<void>
}

/** LIB's commit sets the state it is given; the edit it also takes is read by RAW only. */
const UNUSED_EDIT: Edit = { changes: [], updated: 0 }

function readLibFile(file: string, messageId: string): { messages: number; text: string | undefined } {
  const db = new Database(file, { readonly: true })
  try {
    const { count } = db.prepare('SELECT count(*) AS count FROM messages').get() as { count: number }
    const row = db.prepare('SELECT text FROM messages WHERE id = ?').get(messageId) as { text: string } | undefined
    return { messages: count, text: row?.text }
  } finally {
    db.close()
  }
}

/**
 * LIB as a peer: `setState(next)` then `flush()`, `next` made with replaceAt from the current state. As `LIB`,
 * making `next` is timed too (and reported apart in `nextStateMs`); as `LIB (persistence alone)`, `prepare` makes
 * it before the clock starts and the operation commits it.
 */
async function openLibPeer(
  file: string,
  storeName: string,
  state: ChatState,
  name: LibPeerName,
  synchronous: BenchOptions['synchronous'],
): Promise<PeerContender> {
  const started = now()
  const lib: LibChat = await openLib(file, storeName, state, synchronous)
  const writeMs = now() - started
  const firstCommits = lib.log.commits
  const common = {
    name,
    writeMs,
    text: (at: MessageAt) => lib.store.getState().conversations[at.conversation]?.messages[at.message]?.text,
    stored: (messageId: string) => readLibFile(file, messageId),
    storage: () => databaseBytes(file),
    writes: () => lib.log.commits - firstCommits,
    close: () => lib.close(),
  }
  if (name === 'LIB') {
    const nextStateMs: number[] = []
    const commit = (next: (state: ChatState) => ChatState): unknown => {
      const started = now()
      const state = next(lib.store.getState())
      nextStateMs.push(now() - started)
      return lib.commit(state, UNUSED_EDIT)
    }
    return {
      ...common,
      nextStateMs,
      edit: (edit) => commit((state) => applyMessageEdit(state, edit)),
      append: (append) => commit((state) => applyAppend(state, append)),
      token: (at, word) => commit((state) => applyToken(state, at, word)),
    }
  }
  let prepared: ChatState | undefined
  const prepare = (next: (state: ChatState) => ChatState): void => {
    prepared = next(lib.store.getState())
  }
  const commitPrepared = (): unknown => {
    if (prepared === undefined) throw new Error(`${name}: no next state was prepared`)
    const next = prepared
    prepared = undefined
    return lib.commit(next, UNUSED_EDIT)
  }
  return {
    ...common,
    prepare: {
      edit: (edit) => prepare((state) => applyMessageEdit(state, edit)),
      append: (append) => prepare((state) => applyAppend(state, append)),
      token: (at, word) => prepare((state) => applyToken(state, at, word)),
    },
    edit: commitPrepared,
    append: commitPrepared,
    token: commitPrepared,
  }
}

async function openTinyBasePeer(
  name: TinyBasePeerName,
  file: string,
  state: ChatState,
  fill: TinyBaseFill,
  synchronous: BenchOptions['synchronous'],
): Promise<PeerContender> {
  const tinyBase = await openTinyBase(file, state, fill, synchronous)
  const firstSaves = tinyBase.saves()
  const idAt = (at: MessageAt): string => state.conversations[at.conversation]?.messages[at.message]?.id as string
  return {
    name,
    writeMs: tinyBase.writeMs,
    fillSaves: tinyBase.fillSaves,
    edit: (edit) => tinyBase.edit(edit),
    append: (append) => tinyBase.append(append),
    token: (at, word) => tinyBase.token(at, word),
    text: (at) => {
      const text = tinyBase.store.getCell('messages', idAt(at), 'text')
      return typeof text === 'string' ? text : undefined
    },
    stored: (messageId) => tinyBase.stored(messageId),
    storage: () => tinyBase.storage(),
    writes: () => tinyBase.saves() - firstSaves,
    close: () => tinyBase.close(),
  }
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** What one size gave: medians per operation and contender, and the contenders that did not work there. */
interface SizeResult {
  n: number
  jsonLength: number
  stats: Map<Operation, Map<PeerName, Stats>>
  /** LIB's next state made with replaceAt, inside its timed operations. */
  nextState: Map<Operation, Stats>
  /** Bytes of heap in use once every contender had written the chat. */
  heapUsed: number
  /** Verifications that failed: a contender whose file does not hold what it was given. */
  problems: string[]
  /** Why a contender has no figures at this size: its error, or the size where it stopped before. */
  stopped: Map<PeerName, Stop>
  /** How each contender that ran wrote the whole chat: milliseconds, and saves (TinyBase). */
  writes: Map<PeerName, { ms: number; saves?: number }>
}

/** A contender that did not work: its error, and the size where it failed. */
interface Stop {
  error: string
  at: number
}

/** The inputs of one round of one operation, made before the round (outside any timing). */
interface RoundInputs {
  edits: MessageEdit[]
  appends: MessageAppend[]
  words: string[]
}

function makeInputs(random: () => number, state: ChatState, count: number, ids: { next: number }): RoundInputs {
  const conversations = state.conversations.length
  const clock = 1_800_000_000_000
  const edits = Array.from({ length: count }, (): MessageEdit => {
    const edit = makeEdit(random, conversations, 1)
    const change = edit.changes[0] as Edit['changes'][number]
    return { conversation: change.conversation, message: change.message, text: change.text, updated: edit.updated }
  })
  const appends = Array.from({ length: count }, (_, i): MessageAppend => {
    const id = ids.next++
    const message: Message = {
      id: `p${id.toString().padStart(7, '0')}`,
      role: i % 2 === 0 ? 'user' : 'assistant',
      text: makeText(random),
      created: clock + id,
      updated: clock + id,
    }
    return { conversation: randomInt(random, conversations), message }
  })
  const words = Array.from({ length: count }, () => makeText(random, 12).split(' ')[0] as string)
  return { edits, appends, words }
}

async function measureAtSize(
  ctx: BenchContext,
  options: PeersOptions,
  n: number,
  stoppedBefore: ReadonlyMap<PeerName, Stop>,
): Promise<SizeResult> {
  const state = buildChat(n, ctx.options.seed + n)
  const jsonLength = JSON.stringify(state).length
  const result: SizeResult = {
    n,
    jsonLength,
    stats: new Map(),
    nextState: new Map(),
    heapUsed: 0,
    problems: [],
    stopped: new Map(),
    writes: new Map(),
  }
  const facts: Record<string, unknown> = { messages: n, conversations: state.conversations.length, jsonLength }
  ctx.facts[`P1 at N=${label(n)}`] = facts
  const file = (suffix: string): string => join(ctx.dir, `peers-${suffix}-${n}.db`)
  const openers: { name: PeerName; open: () => Promise<PeerContender> }[] = [
    { name: 'LIB', open: () => openLibPeer(file('lib'), `peers-${n}`, state, 'LIB', ctx.options.synchronous) },
    {
      name: 'LIB (persistence alone)',
      open: () =>
        openLibPeer(file('lib-alone'), `peers-alone-${n}`, state, 'LIB (persistence alone)', ctx.options.synchronous),
    },
    ...TINYBASE_PEERS.map(({ name, fill }) => ({
      name,
      open: () => openTinyBasePeer(name, file(`tinybase-${fill}`), state, fill, ctx.options.synchronous),
    })),
  ]
  const contenders: PeerContender[] = []
  try {
    for (const { name, open } of openers) {
      const stop = stoppedBefore.get(name)
      if (stop !== undefined) {
        result.stopped.set(name, stop)
        continue
      }
      ctx.progress(`P1: N=${label(n)}: writing the chat for ${name}`)
      try {
        const contender = await open()
        contenders.push(contender)
        result.writes.set(name, {
          ms: contender.writeMs,
          ...(contender.fillSaves === undefined ? {} : { saves: contender.fillSaves }),
        })
      } catch (error) {
        result.stopped.set(name, { error: errorMessage(error), at: n })
      }
    }
    collectGarbage()
    const memory = process.memoryUsage()
    result.heapUsed = memory.heapUsed
    facts['memoryAfterWrites'] = { heapUsed: formatBytes(memory.heapUsed), rss: formatBytes(memory.rss) }
    for (const c of contenders)
      facts[c.name] = {
        writeMs: Math.round(c.writeMs),
        ...(c.fillSaves === undefined ? {} : { fillSaves: c.fillSaves }),
        storage: c.storage(),
      }
    for (const [name, stop] of result.stopped) facts[name] = stop.at === n ? { error: stop.error } : stop
    if (contenders.length === 0) return result

    const random = createRandom(ctx.options.seed * 37 + n)
    const ids = { next: 0 }
    // The streamed answer: the last message of the conversation in the middle of the list.
    const tokenAt: MessageAt = { conversation: state.conversations.length >> 1, message: MESSAGES_PER_CONVERSATION - 1 }
    const tokenId = state.conversations[tokenAt.conversation]?.messages[tokenAt.message]?.id as string
    let inputs: RoundInputs = { edits: [], appends: [], words: [] }
    const run: Record<Operation, (c: PeerOperations, i: number) => unknown> = {
      edit: (c, i) => c.edit(inputs.edits[i] as MessageEdit),
      append: (c, i) => c.append(inputs.appends[i] as MessageAppend),
      token: (c, i) => c.token(tokenAt, inputs.words[i] as string),
    }
    for (const operation of OPERATIONS) {
      ctx.progress(`P1: N=${label(n)}: ${operation}, ${options.rounds} rounds`)
      const stats = await interleave(
        contenders,
        {
          rounds: options.rounds,
          warmup: () => options.warmup,
          perRound: () => options.perRound,
          beforeRound: (round) => {
            inputs = makeInputs(random, state, round < 0 ? options.warmup : options.perRound, ids)
            // Only the timed rounds' next states count.
            if (round === 0) for (const c of contenders) c.nextStateMs?.splice(0)
          },
          beforeIteration: (c, i) => {
            if (c.prepare !== undefined) run[operation](c.prepare, i)
          },
        },
        run[operation],
      )
      result.stats.set(operation, new Map([...stats].map(([c, s]) => [c.name, s])))
      const nextStateMs = contenders.find((c) => c.nextStateMs !== undefined)?.nextStateMs
      if (nextStateMs !== undefined) result.nextState.set(operation, summarize([nextStateMs]))
    }

    // Every change was committed: the files hold every message appended and the streamed text as in memory.
    const perOperation = options.warmup + options.rounds * options.perRound
    const texts = contenders.map((c) => c.text(tokenAt))
    for (const c of contenders) {
      const stored = c.stored(tokenId)
      const verified = {
        messagesStored: stored.messages,
        messagesExpected: n + perOperation,
        streamedTextStored: stored.text === c.text(tokenAt),
        streamedTextSameForAll: texts.every((t) => t === texts[0]),
        writes: c.writes(),
        operations: 3 * perOperation,
      }
      Object.assign(facts[c.name] as Record<string, unknown>, { verified })
      const failed = [
        ...(verified.messagesStored === verified.messagesExpected ? [] : ['messages stored']),
        ...(verified.streamedTextStored ? [] : ['streamed text stored']),
        ...(verified.streamedTextSameForAll ? [] : ['streamed text the same for all']),
        ...(verified.writes === verified.operations ? [] : ['one write per operation']),
      ]
      if (failed.length > 0) result.problems.push(`${c.name} at ${label(n)}: ${failed.join(', ')}`)
    }
    return result
  } finally {
    for (const c of contenders) await c.close()
    collectGarbage()
  }
}

const measurement = (contender: string, n: number, stats: Stats): Measurement => ({
  contender,
  size: label(n),
  unit: 'ms',
  median: stats.median,
  p90: stats.p90,
  samples: stats.count,
  extra: { roundMedians: stats.roundMedians, min: stats.min, max: stats.max },
})

function report(
  results: readonly SizeResult[],
  options: PeersOptions,
  synchronous: BenchOptions['synchronous'],
): TargetResult {
  const measurements: Measurement[] = []
  const checks: Check[] = []
  for (const r of results) {
    for (const operation of OPERATIONS) {
      const at = r.stats.get(operation)
      for (const name of PEERS) {
        const stats = at?.get(name)
        if (stats !== undefined) measurements.push(measurement(`${name}: ${operation}`, r.n, stats))
        const nextState = name === 'LIB' ? r.nextState.get(operation) : undefined
        if (nextState !== undefined)
          measurements.push(measurement(`LIB: ${operation}, of which next state`, r.n, nextState))
      }
      const lib = at?.get('LIB')?.median
      for (const { name } of TINYBASE_PEERS) {
        const tinyBase = at?.get(name)?.median
        if (lib !== undefined && tinyBase !== undefined)
          checks.push(
            limitCheck({
              contender: `LIB: ${operation}`,
              size: label(r.n),
              label: `LIB/${name}`,
              value: lib / tinyBase,
              detail: `${formatRatio(lib / tinyBase)} (${formatMs(lib)} / ${formatMs(tinyBase)})`,
              target: '< 1',
              max: 1,
            }),
          )
      }
    }
    const libStopped = [...r.stopped.keys()].some((name) => !isTinyBase(name))
    for (const [name, stop] of r.stopped)
      checks.push({
        contender: name,
        size: label(r.n),
        label: 'stopped',
        value: Number.NaN,
        detail: stop.at === r.n ? `failed at ${label(r.n)}: ${stop.error}` : `not run: stopped at ${label(stop.at)}`,
        target: isTinyBase(name) ? 'LIB works where TinyBase stops' : 'LIB works at every size',
        pass: isTinyBase(name) && !libStopped,
      })
  }
  for (const r of results)
    measurements.push({
      contender: 'JSON string (status quo)',
      size: label(r.n),
      unit: 'KiB',
      median: r.jsonLength / 1024,
      samples: 1,
      extra: { jsonLength: r.jsonLength },
    })
  return {
    id: 'P1',
    title:
      'ahead of every peer at every size: edit, append and token until committed, LIB vs TinyBase (tabular SQLite persister, filled by a bulk save or by change saves), better-sqlite3 file, WAL',
    target: 'LIB/TinyBase < 1 for each operation at each N, against each TinyBase contender where it works',
    measurements,
    checks,
    notes: notes(results, options, synchronous),
  }
}

const plural = (count: number, noun: string): string => `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`

const seconds = (ms: number): string => (ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(0)} s`)

/** Each size's time to write the whole chat for one contender, or where it stopped. */
function writeTimes(results: readonly SizeResult[], name: PeerName): string {
  return results
    .map((r) => {
      const write = r.writes.get(name)
      const stop = r.stopped.get(name)
      if (write !== undefined)
        return `${label(r.n)} ${seconds(write.ms)}${write.saves === undefined ? '' : ` (${plural(write.saves, 'save')})`}`
      return `${label(r.n)} ${stop?.at === r.n ? 'failed' : 'not run'}`
    })
    .join(', ')
}

function stopNote(name: TinyBasePeerName, results: readonly SizeResult[]): string {
  const stop = results.find((r) => r.stopped.get(name)?.at === r.n)
  if (stop === undefined) return `${name} worked at every N measured.`
  const error = stop.stopped.get(name)?.error ?? ''
  const why = error.includes('too many SQL variables')
    ? " Its full save (the first save of startAutoSave, after setTables) writes each table as one INSERT ... VALUES of every row, 6 bound values a message, then a DELETE ... NOT IN every row id: past 32,766 values, SQLite's default limit (better-sqlite3 keeps it), the statement cannot be prepared, so above ~5,400 messages. Only full saves have this limit (save(), and startAutoSave at every start, where the failure goes to onIgnoredError and the promise resolves): a change's save writes each changed row in a statement of its own, which is what TinyBase (saved by changes) relies on."
    : ''
  return `${name} stopped at ${label(stop.n)}: ${error}.${why} Not run at larger N.`
}

/** For context: LIB's persistence alone against the TinyBase that runs at every size. */
function contextNote(results: readonly SizeResult[]): string {
  const sizes = results
    .map((r) => {
      const ratios = OPERATIONS.map((operation) => {
        const at = r.stats.get(operation)
        const alone = at?.get('LIB (persistence alone)')?.median
        const tinyBase = at?.get('TinyBase (saved by changes)')?.median
        return alone === undefined || tinyBase === undefined
          ? undefined
          : `${operation} ${formatRatio(alone / tinyBase)}`
      }).filter((ratio) => ratio !== undefined)
      return ratios.length === 0 ? undefined : `${label(r.n)}: ${ratios.join(', ')}`
    })
    .filter((size) => size !== undefined)
  return sizes.length === 0
    ? 'context: no size had both LIB (persistence alone) and TinyBase (saved by changes).'
    : `context, not a check: LIB (persistence alone) / TinyBase (saved by changes), medians: ${sizes.join('; ')}.`
}

function notes(
  results: readonly SizeResult[],
  options: PeersOptions,
  synchronous: BenchOptions['synchronous'],
): string[] {
  const largest = results.at(-1)
  if (largest === undefined) return []
  const aboveLimit = results.find((r) => r.jsonLength > LOCAL_STORAGE_LIMIT)
  const below = results.filter((r) => r.jsonLength <= LOCAL_STORAGE_LIMIT).at(-1)
  const perMessage = largest.jsonLength / largest.n
  const heapLimit = getHeapStatistics().heap_size_limit
  return [
    `TinyBase 6 has no better-sqlite3 persister (its sqlite3 persister runs another engine, node-sqlite3, through callbacks); it exports createCustomSqlitePersister, the SQL layer its SQLite persisters share, over a "run this SQL" callback: here on better-sqlite3, the same engine as LIB, on a connection with LIB's settings (WAL, synchronous=${synchronous}, 64 MiB cache), statements prepared once per SQL text.`,
    `durability: LIB commits one transaction per set (WAL, synchronous=${synchronous}: ${synchronous === 'FULL' ? 'an fsync per commit, durable across a power loss' : 'durable across a process crash, the last commits may be lost on power loss'})). TinyBase's auto-save saves each change in its own transaction (BEGIN, an upsert or delete per changed row, END) on the same connection settings, so the same durability; its save never rejects: a failed statement goes to onIgnoredError and the transaction still ends.`,
    `what each figure includes: "LIB: <op>" is setState(next) then await flush(), with next made inside the timing from the current state by replaceAt (conversation replaced, then the message; an append sets the conversation's messages to [...messages, message]), so the app's immutable update (at N messages, a copy of the N / 10-element conversations array) and the persistence; "LIB: <op>, of which next state" is that making of next alone, measured inside the LIB figure; "LIB (persistence alone): <op>" is another LIB store and file given the same inputs, next made from its current state before the clock starts, timed setState(next) then await flush(): Zustand's set, the library's diff, SQL and commit, for context only (no check); "TinyBase (...): <op>" is the change (setPartialRow for an edit, setRow for an append, setCell with a function for a token) then the save it starts, until the persister's status is idle again. ${options.warmup} warm-up and ${options.rounds} x ${options.perRound} timed iterations per contender, operation and N, all contenders interleaved (the order rotates each round).`,
    `how each contender got the whole chat (time to write it): LIB and LIB (persistence alone): the store created with the chat, then a first setState and flush (LIB: ${writeTimes(results, 'LIB')}; LIB (persistence alone): ${writeTimes(results, 'LIB (persistence alone)')}); TinyBase (bulk save): setTables, then startAutoSave, whose first save is a full save (${writeTimes(results, 'TinyBase (bulk save)')}); TinyBase (saved by changes): startAutoSave on the empty store (its first save writes nothing), then store transactions of ${formatCount(FILL_BATCH)} conversations (${formatCount(FILL_BATCH * MESSAGES_PER_CONVERSATION)} messages), each saved by auto-save as a change save (BEGIN, an INSERT ... ON CONFLICT per row, END), awaited one after another (${writeTimes(results, 'TinyBase (saved by changes)')}); every row went through a change save, checked by counting the file's rows after the last one.`,
    ...TINYBASE_PEERS.map(({ name }) => stopNote(name, results)),
    results.some((r) => r.problems.length > 0)
      ? `verification FAILED: ${results.flatMap((r) => r.problems).join('; ')} (see the facts)`
      : 'verified wherever a contender ran: its file held every message appended and the streamed text as in memory, through a connection of its own, with one commit (LIB) or save (TinyBase) per operation.',
    contextNote(results),
    `the status quo in a browser (Zustand persist, JSON in localStorage, ~5 MB, taken as 5 MiB of characters) ${
      aboveLimit === undefined
        ? `works at every N measured (${formatBytes(largest.jsonLength)} of JSON at ${label(largest.n)})`
        : `stops at ${label(aboveLimit.n)}: JSON.stringify(state).length is ${formatBytes(aboveLimit.jsonLength)}${below === undefined ? '' : `, ${formatBytes(below.jsonLength)} at ${label(below.n)}`}`
    }; at ~${formatCount(perMessage)} characters a message, 5 MiB is reached near ${formatCount(LOCAL_STORAGE_LIMIT / perMessage)} messages.`,
    `memory: at most ${formatBytes(Math.max(...results.map((r) => r.heapUsed)))} of heap in use once every contender had written the chat (node's heap limit here: ${formatBytes(heapLimit)}).`,
  ]
}

/** P1: LIB against each TinyBase at every size, each operation until committed. */
export async function runPeersTarget(ctx: BenchContext, options: PeersOptions): Promise<TargetResult> {
  const results: SizeResult[] = []
  // A TinyBase that failed is not run at larger sizes; LIB is tried at every size.
  const stopped = new Map<PeerName, Stop>()
  for (const n of options.sizes) {
    const r = await measureAtSize(ctx, options, n, stopped)
    for (const [name, stop] of r.stopped) if (isTinyBase(name) && !stopped.has(name)) stopped.set(name, stop)
    results.push(r)
  }
  return report(results, options, ctx.options.synchronous)
}
