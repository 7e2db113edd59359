// F2: first screen first. A chats app opened cold shows its conversation list (titles, message counts, newest
// first) before anything else. Three ways, each in fresh processes (firstScreenChild.ts): the status quo (Zustand
// persist, JSON in IndexedDB, everything hydrated), LIB hydrating everything, and LIB hydrating the conversations
// alone (`hydrate: 'onDemand'`, messages loaded when a conversation is opened). Two shapes of the same number of
// messages: T5's dataset (conversations of 10, the issue's) and conversations of 100, as longer chats have. The
// first screen costs per conversation and JSON per byte of every message, so the ratio depends on the shape;
// both are reported, each with its own checks. A way that cannot run at a size (the status quo's 250 MB string
// at 1M messages) is reported as stopped there and not run at larger sizes of that shape; a way whose results
// differ from the dataset's stops the bench.
import { spawnSync } from 'node:child_process'
import { rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchContext } from '../context'
import { conversationList, VERIFICATION_FAILED } from '../conversationList'
import type { FirstScreenExpected } from '../conversationList'
import { buildChat } from '../dataset'
import type { ChatState } from '../dataset'
// Types only: importing the child's code would run it here.
import type { FirstScreenReport, FirstScreenWay } from '../firstScreenChild'
import { deleteStoredJson } from '../jsonStorage'
import { collectGarbage, now } from '../measure'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { chatSchemaOnDemand } from '../schemas'
import { formatBytes, formatKiB, formatMs, formatRatio, median, sizeLabel, summarize } from '../stats'
import { HYDRATION_STORE, writeJsonFile, writeLibDatabase } from './hydration'

/** One shape of F2's dataset: messages per conversation, and the processes per way at each size. */
export interface FirstScreenShape {
  /** N messages in N / perConversation conversations. */
  perConversation: number
  /** Timed fresh processes per way and size, after an untimed one each. */
  coldRuns: number
}

/**
 * F2's sizes (messages), the size its checks are taken at, and the shapes measured at each size (see options.ts:
 * 10k, 100k and 1M, checked at 100k; 10 and 100 per conversation, 7 processes each; quick: 1k and 10k,
 * checked at 10k, 2 processes).
 */
export interface FirstScreenOptions {
  sizes: readonly number[]
  /** The issue's size (100k); in a quick run, the largest measured. */
  targetSize: number
  /** The issue's shape (T5's: 10 per conversation) first, then longer conversations; each is checked. */
  shapes: readonly FirstScreenShape[]
}

/** The ways, in the order of the table, by the names of its rows. */
const WAYS: readonly { way: FirstScreenWay; name: string }[] = [
  { way: 'json', name: 'JSON (status quo): full hydration, then the list' },
  { way: 'lib-full', name: "LIB full (hydrate: 'full'), then the list" },
  { way: 'lib-first-screen', name: "LIB first screen (hydrate: 'onDemand'), then the list" },
]
const nameOf = (way: FirstScreenWay): string => WAYS.find((w) => w.way === way)?.name ?? way
const OPEN_ROW = 'LIB first screen: open the newest conversation (loadOnDemand)'
const JSON_NAME = 'JSON (status quo)'
const SHORT: Record<FirstScreenWay, string> = {
  json: JSON_NAME,
  'lib-full': 'LIB full',
  'lib-first-screen': 'LIB first screen',
}

/** `10k`, `100k`, `1M`. */
const label = (n: number): string => (n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : sizeLabel(n))
/** `100k msg in 10k conv (10/conv)`: the size and the shape, in every row, check and note. */
const shapeLabel = (n: number, perConversation: number): string =>
  `${label(n)} msg in ${label(Math.max(1, Math.round(n / perConversation)))} conv (${perConversation}/conv)`
const labelOf = (r: Pick<SizeResult, 'n' | 'shape'>): string => shapeLabel(r.n, r.shape.perConversation)
const sizeOf = (r: Pick<SizeResult, 'n' | 'shape'>): string => `${labelOf(r)}, cold process`

/** The files one size's processes read: the way's store, and what they check their results against. */
interface SizeFiles {
  messages: number
  conversations: number
  libFile: string
  jsonFile: string
  expectedFile: string
  /** Bytes of the database, characters of the JSON string. */
  sizes: Record<string, number>
  /** How long the bench took to store the chat each way (untimed for the figures). */
  writeMs: Record<string, number>
}

/** A way that did not run at a size: why, and the size where it failed. */
interface Stop {
  error: string
  at: number
}

interface Sample {
  report: FirstScreenReport
  /** From spawn to exit, as this process sees it. */
  processMs: number
}

/** One size of one shape: each way's samples, and the ways that did not run. */
interface SizeResult {
  n: number
  shape: FirstScreenShape
  files: Pick<SizeFiles, 'conversations' | 'sizes' | 'writeMs'>
  samples: Map<FirstScreenWay, Sample[]>
  stopped: Map<FirstScreenWay, Stop>
}

const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** What the list of the dataset is, and the messages of the conversation it shows first. */
function expectedOf(state: ChatState, messages: number): FirstScreenExpected {
  const list = conversationList(state.conversations, () => true)
  const newestId = list[0]?.id
  const newest = state.conversations.find((c) => c.id === newestId)
  if (newest === undefined) throw new Error('F2: the dataset has no conversation')
  return { conversations: list.length, messages, list, newest: { id: newest.id, messages: newest.messages } }
}

/**
 * The seeded chat at `n` messages in conversations of `perConversation` (10: T5's dataset, the same seed), stored
 * by LIB with chatSchemaOnDemand and by Zustand's persist; a way whose store cannot be written is stopped here.
 */
async function writeFiles(
  ctx: BenchContext,
  n: number,
  perConversation: number,
  stopped: Map<FirstScreenWay, Stop>,
): Promise<SizeFiles> {
  const state = buildChat(n, ctx.options.seed + n, perConversation)
  const at = shapeLabel(n, perConversation)
  const base = join(ctx.dir, `first-screen-${n}-${perConversation}`)
  const files: SizeFiles = {
    messages: n,
    conversations: state.conversations.length,
    libFile: `${base}.db`,
    jsonFile: `${base}.json`,
    expectedFile: `${base}-expected.json`,
    sizes: {},
    writeMs: {},
  }
  writeFileSync(files.expectedFile, JSON.stringify(expectedOf(state, n)))
  ctx.progress(`F2: ${at}: storing the chat with LIB (chatSchemaOnDemand)`)
  const libStarted = now()
  await writeLibDatabase(files.libFile, state, chatSchemaOnDemand, ctx.options.synchronous)
  files.writeMs['LIB'] = now() - libStarted
  files.sizes['libDatabaseFile'] = statSync(files.libFile).size
  if (!stopped.has('json')) {
    ctx.progress(`F2: ${at}: storing the chat with Zustand persist (JSON)`)
    const jsonName = `first-screen-${n}-${perConversation}`
    const jsonStarted = now()
    try {
      files.sizes['jsonStringLength'] = await writeJsonFile(jsonName, files.jsonFile, state)
      files.writeMs['JSON'] = now() - jsonStarted
    } catch (error) {
      stopped.set('json', { error: `storing the JSON string: ${errorMessage(error)}`, at: n })
    } finally {
      await deleteStoredJson(jsonName)
    }
  }
  return files
}

/** One way's first screen in a fresh process; a verification that failed throws, any other failure is a stop. */
function runChild(ctx: BenchContext, way: FirstScreenWay, files: SizeFiles): Sample | Stop {
  const started = now()
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      join(ctx.repoRoot, 'bench', 'firstScreenChild.ts'),
      way,
      way === 'json' ? files.jsonFile : files.libFile,
      files.expectedFile,
      HYDRATION_STORE,
      ctx.options.synchronous,
    ],
    { cwd: ctx.repoRoot, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  )
  const processMs = now() - started
  if (child.status === VERIFICATION_FAILED) throw new Error(child.stderr.trim())
  const line = child.stdout.trim().split('\n').pop() ?? ''
  if (child.status !== 0 || !line.startsWith('{')) {
    const why = child.error?.message ?? (child.signal === null ? `exit code ${String(child.status)}` : child.signal)
    // The end of stderr holds the reason (a fatal heap error is preceded by pages of GC traces).
    const stderr = child.stderr.trim().split('\n').slice(-3).join(' | ')
    return { error: `${why}: ${stderr}`, at: files.messages }
  }
  return { report: JSON.parse(line) as FirstScreenReport, processMs }
}

const isStop = (result: Sample | Stop): result is Stop => 'error' in result

/**
 * One size of one shape: an untimed process per way first (tsx's transpile cache filled, as an installed app has
 * its JavaScript), then `coldRuns` rounds in which every way runs once, the order rotating from round to round.
 */
async function measureAtSize(
  ctx: BenchContext,
  shape: FirstScreenShape,
  n: number,
  stoppedBefore: ReadonlyMap<FirstScreenWay, Stop>,
): Promise<SizeResult> {
  const stopped = new Map(stoppedBefore)
  const at = shapeLabel(n, shape.perConversation)
  const files = await writeFiles(ctx, n, shape.perConversation, stopped)
  collectGarbage()
  const samples = new Map<FirstScreenWay, Sample[]>(WAYS.map(({ way }) => [way, []]))
  try {
    const running = (): FirstScreenWay[] => WAYS.map(({ way }) => way).filter((way) => !stopped.has(way))
    for (const way of running()) {
      ctx.progress(`F2: ${at}: untimed process, ${SHORT[way]}`)
      const result = runChild(ctx, way, files)
      if (isStop(result)) stopped.set(way, result)
    }
    const ways = running()
    for (let run = 0; run < shape.coldRuns; run++) {
      ctx.progress(`F2: ${at}: cold processes, run ${run + 1}/${shape.coldRuns}`)
      for (let turn = 0; turn < ways.length; turn++) {
        const way = ways[(run + turn) % ways.length] as FirstScreenWay
        if (stopped.has(way)) continue
        const result = runChild(ctx, way, files)
        if (isStop(result)) stopped.set(way, result)
        else samples.get(way)?.push(result)
      }
    }
  } finally {
    for (const file of [files.libFile, `${files.libFile}-wal`, `${files.libFile}-shm`, files.jsonFile])
      rmSync(file, { force: true })
  }
  // A way that stopped partway keeps no figures at this size.
  for (const way of stopped.keys()) samples.set(way, [])
  return { n, shape, files, samples, stopped }
}

/** Medians of one way's samples at one size (ms, KiB). */
interface WayMedians {
  listMs: number
  hydratedMs: number
  openMs: number
  peakKiB: number
  listPeakKiB: number
  setupPeakKiB: number
  rssBeforeKiB: number
  processMs: number
  startMs: number
  importMs: number
  engineMs: number
  setupMs: number
  endMs: number
}

function mediansOf(samples: readonly Sample[]): WayMedians {
  const of = (value: (r: FirstScreenReport) => number | null): number =>
    median(samples.map((s) => value(s.report) ?? Number.NaN))
  return {
    listMs: of((r) => r.listMs),
    hydratedMs: of((r) => r.hydratedMs),
    openMs: of((r) => r.openMs),
    peakKiB: of((r) => r.peakKiB),
    listPeakKiB: of((r) => r.listPeakKiB),
    setupPeakKiB: of((r) => r.setupPeakKiB),
    rssBeforeKiB: of((r) => r.rssBeforeKiB),
    processMs: median(samples.map((s) => s.processMs)),
    startMs: of((r) => r.startMs),
    importMs: of((r) => r.importMs),
    engineMs: of((r) => r.engineMs),
    setupMs: of((r) => r.setupMs),
    endMs: of((r) => r.endMs),
  }
}

function measurementsAt(r: SizeResult): Measurement[] {
  const rows: Measurement[] = []
  const json = mediansOf(r.samples.get('json') ?? [])
  for (const { way, name } of WAYS) {
    const samples = r.samples.get(way) ?? []
    if (samples.length === 0) continue
    const stats = summarize([samples.map((s) => s.report.listMs)])
    const m = mediansOf(samples)
    rows.push({
      contender: name,
      size: sizeOf(r),
      unit: 'ms',
      median: stats.median,
      p90: stats.p90,
      samples: stats.count,
      extra: {
        ...m,
        ...(way === 'json' ? {} : { ratioToJson: stats.median / json.listMs }),
        listSamplesMs: samples.map((s) => s.report.listMs),
        hydratedSamplesMs: samples.map((s) => s.report.hydratedMs),
        processSamplesMs: samples.map((s) => s.processMs),
      },
    })
    if (way === 'lib-first-screen') {
      const open = summarize([samples.map((s) => s.report.openMs ?? Number.NaN)])
      rows.push({
        contender: OPEN_ROW,
        size: sizeOf(r),
        unit: 'ms',
        median: open.median,
        p90: open.p90,
        samples: open.count,
        extra: {
          openSamplesMs: samples.map((s) => s.report.openMs),
          synchronous: samples.every((s) => s.report.openSynchronous === true),
        },
      })
    }
  }
  for (const { way } of WAYS) {
    const samples = r.samples.get(way) ?? []
    if (samples.length === 0) continue
    const m = mediansOf(samples)
    rows.push({
      contender: `${SHORT[way]}: peak memory (VmHWM)`,
      size: sizeOf(r),
      unit: 'KiB',
      median: m.peakKiB,
      samples: samples.length,
      extra: {
        peaksKiB: samples.map((s) => s.report.peakKiB),
        listPeakKiB: m.listPeakKiB,
        setupPeakKiB: m.setupPeakKiB,
        rssBeforeKiB: m.rssBeforeKiB,
        peakSource: samples[0]?.report.peakSource,
      },
    })
  }
  return rows
}

/**
 * One shape's checks at the target size (its size names the shape): first screen within a tenth of JSON's time,
 * and no more memory than JSON.
 */
function checksAt(r: SizeResult): Check[] {
  const size = sizeOf(r)
  const of = (way: FirstScreenWay): WayMedians => mediansOf(r.samples.get(way) ?? [])
  const json = of('json')
  const firstScreen = of('lib-first-screen')
  const checks: Check[] = [
    limitCheck({
      contender: nameOf('lib-first-screen'),
      size,
      label: 'first screen / JSON full hydration',
      value: firstScreen.listMs / json.listMs,
      detail: `${formatRatio(firstScreen.listMs / json.listMs)} (${formatMs(firstScreen.listMs)} / ${formatMs(json.listMs)})`,
      target: '<= 0.1x (1/10)',
      max: 0.1,
    }),
  ]
  for (const way of ['lib-first-screen', 'lib-full'] as const) {
    const lib = of(way).peakKiB
    checks.push(
      limitCheck({
        contender: `${SHORT[way]}: peak memory (VmHWM)`,
        size,
        label: `peak ${SHORT[way]} / JSON`,
        value: lib / json.peakKiB,
        detail: `${formatRatio(lib / json.peakKiB)} (${Math.round(lib)} KiB / ${Math.round(json.peakKiB)} KiB)`,
        target: '<= 1x',
        max: 1,
      }),
    )
  }
  return checks
}

/** A way that did not run at a size, as a check line: the status quo may stop, LIB may not. */
function stopChecks(r: SizeResult): Check[] {
  const libStopped = [...r.stopped.keys()].some((way) => way !== 'json')
  return [...r.stopped].map(([way, stop]) => ({
    contender: nameOf(way),
    size: sizeOf(r),
    label: 'stopped',
    value: Number.NaN,
    detail:
      stop.at === r.n
        ? `failed at ${labelOf(r)}: ${stop.error}`
        : `not run: stopped at ${shapeLabel(stop.at, r.shape.perConversation)}`,
    target: way === 'json' ? 'LIB works where the status quo stops' : 'LIB works at every size',
    pass: way === 'json' && !libStopped,
  }))
}

/** Per size: each way's list time beside JSON's, and the time to open a conversation. */
function ratioLine(r: SizeResult): string {
  const of = (way: FirstScreenWay): WayMedians => mediansOf(r.samples.get(way) ?? [])
  const json = of('json').listMs
  const parts = (['lib-first-screen', 'lib-full'] as const).map((way) => {
    const lib = of(way).listMs
    return `${SHORT[way]}/JSON ${formatRatio(lib / json)} (${formatMs(lib)} / ${formatMs(json)})`
  })
  return `${labelOf(r)}: ${parts.join(', ')}; opening the newest conversation ${formatMs(of('lib-first-screen').openMs)}`
}

function memoryLine(r: SizeResult): string {
  const parts = WAYS.filter(({ way }) => (r.samples.get(way) ?? []).length > 0).map(({ way }) => {
    const m = mediansOf(r.samples.get(way) ?? [])
    const stored = r.files.sizes['jsonStringLength']
    const held = way === 'json' && stored !== undefined ? `; the stored string ${formatBytes(stored)}` : ''
    return `${SHORT[way]} ${formatKiB(m.peakKiB)} (before the clock ${formatKiB(m.setupPeakKiB)}${held})`
  })
  return `${labelOf(r)}: ${parts.join(', ')}`
}

function processLine(r: SizeResult): string {
  const parts = WAYS.filter(({ way }) => (r.samples.get(way) ?? []).length > 0).map(({ way }) => {
    const m = mediansOf(r.samples.get(way) ?? [])
    return `${SHORT[way]} ${formatMs(m.processMs)} (script at ${formatMs(m.startMs)}, import ${formatMs(m.importMs)}${m.engineMs > 0 ? `, engine ${formatMs(m.engineMs)}` : ''}${m.setupMs > 0 ? `, setup ${formatMs(m.setupMs)}` : ''}, reported at ${formatMs(m.endMs)})`
  })
  return `${labelOf(r)}: ${parts.join('; ')}`
}

/** Per size, the first screen's ratio to JSON in each shape, side by side. */
function shapesLine(results: readonly SizeResult[], n: number): string {
  const parts = results
    .filter((r) => r.n === n)
    .map((r) => {
      const lib = mediansOf(r.samples.get('lib-first-screen') ?? []).listMs
      const json = mediansOf(r.samples.get('json') ?? []).listMs
      return `${formatRatio(lib / json)} in ${label(r.files.conversations)} conv (${r.shape.perConversation}/conv, ${formatMs(lib)} / ${formatMs(json)})`
    })
  return `${label(n)} msg: ${parts.join(' vs ')}`
}

function report(results: readonly SizeResult[], options: FirstScreenOptions): TargetResult {
  const measurements = results.flatMap(measurementsAt)
  // Every shape is checked at the target size, the issue's shape first; no shape's checks stand in for another's.
  const checks: Check[] = [
    ...options.shapes.flatMap((shape) => {
      const target = results.find((r) => r.n === options.targetSize && r.shape === shape)
      return target === undefined || target.stopped.size > 0 ? [] : checksAt(target)
    }),
    ...results.flatMap(stopChecks),
  ]
  const shapes = options.shapes.map((s) => `${s.perConversation}/conv`).join(' and ')
  const stored = results
    .map(
      (r) =>
        `${labelOf(r)}: LIB database ${formatBytes(r.files.sizes['libDatabaseFile'] ?? 0)} (written in ${formatMs(r.files.writeMs['LIB'] ?? Number.NaN)}), JSON string ${r.files.sizes['jsonStringLength'] === undefined ? 'not stored' : `${formatBytes(r.files.sizes['jsonStringLength'])} (written in ${formatMs(r.files.writeMs['JSON'] ?? Number.NaN)})`}`,
    )
    .join('; ')
  return {
    id: 'F2',
    title: `first screen first: the conversation list of the chat store (titles, counts, newest first), cold process, at ${options.sizes.map(label).join(', ')} messages in conversations of ${options.shapes.map((s) => s.perConversation).join(' and of ')}`,
    target: `at ${label(options.targetSize)}, in each shape (${shapes}): LIB first screen <= 1/10 of JSON's full hydration, cold; peak memory of LIB first screen and LIB full <= JSON's`,
    measurements,
    checks,
    notes: [
      `each figure: from just before the store is created (LIB: the better-sqlite3 backend opened) until the list is computed: every conversation's { id, title, count, updated }, count = isLoaded(messages) ? messages.length : messageCount, sorted newest first. JSON: Zustand persist + createJSONStorage over idb-keyval on fake-indexeddb, hydrated whole (getItem, JSON.parse, merge). LIB full: persistSQLite with chatSchemaOnDemand and hydrate: 'full'. LIB first screen: the same database with hydrate: 'onDemand' (conversations and their message_count only); then, timed apart, loadOnDemand('conversations', id) of the newest conversation until its messages are in the state.`,
      `cold: ${options.shapes.map((s) => `${s.coldRuns} (${s.perConversation}/conv)`).join(' and ')} fresh \`node --expose-gc --import tsx\` processes per way and size (firstScreenChild.ts), taking turns, the order rotating, after an untimed one each (tsx's transpile cache). Each imports only its way's modules (the built dist); the import, better-sqlite3's addon and JSON's setup (the stored string put into fake-indexeddb, which a browser has on disk) are timed apart, not in the figures. The files were just written, so the OS page cache holds them: a new process, heap and connection, not a cold disk.`,
      `the shapes side by side: the same number of messages (bodies of about 200 characters, drawn from seed + N) in conversations of ${shapes}. JSON's full hydration costs per byte of every message, the first screen per conversation (its row read and built), so the ratio depends on the shape. First screen / JSON (medians): ${options.sizes.map((n) => shapesLine(results, n)).join('; ')}.`,
      `ratios to JSON's full hydration (medians): ${results.map(ratioLine).join('; ')}.`,
      `peak memory: VmHWM of /proc/self/status once the way's work is done (first screen: after opening the conversation), the whole process's high-water mark, so JSON's includes its setup and the stored string, which fake-indexeddb keeps in the process where a browser keeps it on disk (one-byte characters: about its length in bytes): medians ${results.map(memoryLine).join('; ')}.`,
      `cold process from spawn to exit, medians: ${results.map(processLine).join('; ')}.`,
      `stored (N messages in N/10 conversations, T5's dataset, and in N/100; seed + N): ${stored}. The list and the newest conversation's messages were checked in every process against the dataset's (ids, titles, counts, times, order; each message field by field), and so were the conversations whose messages were in the state (first screen: none at the list, one after opening; the others: all).`,
      `checks taken at ${label(options.targetSize)}${options.targetSize === 100_000 ? " (the issue's size)" : ' (quick run: the largest size measured)'} in each shape, named by it: ${options.shapes.map((s, i) => `${shapeLabel(options.targetSize, s.perConversation)}${i === 0 ? " (the issue's shape)" : ''}`).join(' and ')}; the other sizes are reported for context. A way that failed at a size (not a verification: that stops the bench) is reported as stopped and not run at larger sizes of that shape; node's default heap limit applies in the processes, as for an app.`,
    ],
  }
}

/**
 * F2: the first screen of the chat store, cold, three ways, at each size in each shape (the shapes of a size one
 * after the other, so that the table shows them side by side).
 */
export async function runFirstScreenTarget(ctx: BenchContext, options: FirstScreenOptions): Promise<TargetResult> {
  const results: SizeResult[] = []
  const stoppedByShape = new Map(options.shapes.map((shape) => [shape, new Map<FirstScreenWay, Stop>()]))
  for (const n of options.sizes)
    for (const [shape, stopped] of stoppedByShape) {
      const r = await measureAtSize(ctx, shape, n, stopped)
      for (const [way, stop] of r.stopped) if (!stopped.has(way)) stopped.set(way, stop)
      ctx.facts[`F2 at ${labelOf(r)}`] = {
        perConversation: shape.perConversation,
        coldRuns: shape.coldRuns,
        conversations: r.files.conversations,
        sizes: r.files.sizes,
        writeMs: Object.fromEntries(Object.entries(r.files.writeMs).map(([k, v]) => [k, Math.round(v)])),
        coldMedians: Object.fromEntries(
          WAYS.filter(({ way }) => (r.samples.get(way) ?? []).length > 0).map(({ way }) => [
            SHORT[way],
            mediansOf(r.samples.get(way) ?? []),
          ]),
        ),
        ...(r.stopped.size > 0 ? { stopped: Object.fromEntries(r.stopped) } : {}),
      }
      results.push(r)
      collectGarbage()
    }
  return report(results, options)
}
