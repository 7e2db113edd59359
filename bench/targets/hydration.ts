import { spawnSync } from 'node:child_process'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import type { StoreSchema } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import type { BenchContext } from '../context'
import { openJson } from '../contenders'
import { buildChat, countMessages } from '../dataset'
import type { ChatState } from '../dataset'
import { loadSqlJs, sqlJsInitTime } from '../engines'
// Types only: importing the child's code would run it here.
import type { ChildMode, ChildModules, ChildReport } from '../hydrateChild'
import { idbJsonStorage, readStoredJson } from '../jsonStorage'
import { collectGarbage, now } from '../measure'
import type { BenchOptions } from '../options'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatBytes, formatMs, formatRatio, median, sizeLabel, summarize } from '../stats'
import type { Stats } from '../stats'
import { chatSchema } from '../schemas'

/** The same chat state, stored once by each contender, for T5 (in process) and T8 (child processes). */
export interface HydrationData {
  messages: number
  conversations: number
  /** better-sqlite3 database written by LIB. */
  libFile: string
  /** sql.js image written by LIB through the file image storage. */
  sqlJsFile: string
  /** The string Zustand's persist stored, also kept in a file for the child processes. */
  jsonName: string
  jsonFile: string
  sizes: Record<string, number>
}

export const HYDRATION_STORE = 'chat'
const empty = (): ChatState => ({ conversations: [] })

let prepared: Promise<HydrationData> | undefined

/** Stores `state` with LIB on better-sqlite3 into `file`, mapped by `schema`: the store's first write, whole. */
export async function writeLibDatabase(
  file: string,
  state: ChatState,
  schema: StoreSchema,
  synchronous: BenchOptions['synchronous'],
): Promise<void> {
  const backend = createBetterSqlite3Backend({ filename: file, synchronous })
  const store = createStore<ChatState>()(persistSQLite(() => state, { name: HYDRATION_STORE, backend, schema }))
  store.setState({})
  await store.persist.flush()
  await backend.close()
}

/**
 * Stores `state` with Zustand's persist under `name` (in fake-indexeddb, where it stays), and keeps the string
 * it stored in `file` for the child processes. Returns the string's length.
 */
export async function writeJsonFile(name: string, file: string, state: ChatState): Promise<number> {
  await openJson(name, state)
  const json = (await readStoredJson(name)) ?? ''
  writeFileSync(file, json)
  return json.length
}

async function writeHydrationData(ctx: BenchContext): Promise<HydrationData> {
  const n = ctx.options.sizes[ctx.options.sizes.length - 1] as number
  const state = buildChat(n, ctx.options.seed + n)
  ctx.progress(`T5/T8: storing ${sizeLabel(n)} messages with each contender`)
  const libFile = join(ctx.dir, 'hydrate-lib.db')
  await writeLibDatabase(libFile, state, chatSchema, ctx.options.synchronous)

  const sqlJsFile = join(ctx.dir, 'hydrate-sqljs.sqlite')
  const sqljs = await createSqlJsBackend({ sqlJs: await loadSqlJs(), storage: { file: sqlJsFile } })
  const sqljsStore = createStore<ChatState>()(
    persistSQLite(() => state, { name: HYDRATION_STORE, backend: sqljs, schema: chatSchema }),
  )
  sqljsStore.setState({})
  await sqljsStore.persist.flush()
  await sqljs.close()

  const jsonName = 'chat-hydrate'
  const jsonFile = join(ctx.dir, 'hydrate.json')
  const jsonStringLength = await writeJsonFile(jsonName, jsonFile, state)
  collectGarbage()
  return {
    messages: n,
    conversations: state.conversations.length,
    libFile,
    sqlJsFile,
    jsonName,
    jsonFile,
    sizes: {
      libDatabaseFile: statSync(libFile).size,
      sqlJsImageFile: statSync(sqlJsFile).size,
      jsonStringLength,
    },
  }
}

export function hydrationData(ctx: BenchContext): Promise<HydrationData> {
  prepared ??= writeHydrationData(ctx)
  return prepared
}

/** A hydration: the time it took, and how to release what it opened (untimed). */
interface Hydration {
  ms: number
  state: ChatState
  release: () => Promise<void>
}

/** A contender's hydration in this process, and the child mode that hydrates as it in a fresh one. */
type Hydrator = { name: string; mode: ChildMode; hydrate: () => Promise<Hydration> }

function hydrators(data: HydrationData, synchronous: BenchOptions['synchronous']): Hydrator[] {
  return [
    {
      name: 'JSON',
      mode: 'json',
      hydrate: async () => {
        const started = now()
        const store = createStore<ChatState>()(
          persist(empty, { name: data.jsonName, storage: idbJsonStorage<ChatState>() }),
        )
        await whenHydrated(store)
        return { ms: now() - started, state: store.getState(), release: () => Promise.resolve() }
      },
    },
    {
      name: 'LIB (better-sqlite3)',
      mode: 'lib-better-sqlite3',
      hydrate: () => {
        // Synchronous: the store is hydrated when createStore returns.
        const started = now()
        const backend = createBetterSqlite3Backend({ filename: data.libFile, synchronous })
        const store = createStore<ChatState>()(
          persistSQLite(empty, { name: HYDRATION_STORE, backend, schema: chatSchema }),
        )
        const ms = now() - started
        if (!store.persist.hasHydrated()) throw new Error('better-sqlite3 hydration was not synchronous')
        return Promise.resolve({ ms, state: store.getState(), release: async () => await backend.close() })
      },
    },
    {
      name: 'LIB (sql.js)',
      mode: 'lib-sqljs',
      hydrate: async () => {
        const SQL = await loadSqlJs()
        // From reading the image file to a hydrated store.
        const started = now()
        const backend = await createSqlJsBackend({ sqlJs: SQL, storage: { file: data.sqlJsFile } })
        const store = createStore<ChatState>()(
          persistSQLite(empty, { name: HYDRATION_STORE, backend, schema: chatSchema }),
        )
        await whenHydrated(store)
        return { ms: now() - started, state: store.getState(), release: async () => await backend.close() }
      },
    },
  ]
}

function verify(name: string, state: ChatState, data: HydrationData): void {
  const messages = countMessages(state)
  if (state.conversations.length !== data.conversations || messages !== data.messages) {
    throw new Error(
      `${name} hydrated ${state.conversations.length} conversations / ${messages} messages, expected ${data.conversations} / ${data.messages}`,
    )
  }
}

/** The contender each child mode hydrates as, by the names of T5's rows. */
export const CHILD_CONTENDERS: Record<ChildMode, string> = {
  baseline: 'baseline (no data)',
  json: 'JSON',
  'lib-better-sqlite3': 'LIB (better-sqlite3)',
  'lib-sqljs': 'LIB (sql.js)',
}

function childFile(mode: ChildMode, data: HydrationData): string {
  if (mode === 'json') return data.jsonFile
  if (mode === 'lib-better-sqlite3') return data.libFile
  if (mode === 'lib-sqljs') return data.sqlJsFile
  return ''
}

/**
 * One hydration of the T5 data in a fresh node process (hydrateChild.ts, for T5's cold hydration and
 * T8): what the child reports, and the process's time from spawn to exit as this process sees it.
 */
export function runHydrationChild(
  ctx: BenchContext,
  mode: ChildMode,
  data: HydrationData,
  modules: ChildModules,
): { report: ChildReport; processMs: number } {
  const started = now()
  const child = spawnSync(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      join(ctx.repoRoot, 'bench', 'hydrateChild.ts'),
      mode,
      childFile(mode, data),
      String(data.conversations),
      String(data.messages),
      modules,
      ctx.options.synchronous,
    ],
    { cwd: ctx.repoRoot, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  )
  const processMs = now() - started
  const line = child.stdout.trim().split('\n').pop() ?? ''
  if (child.status !== 0 || !line.startsWith('{')) {
    throw new Error(`hydration child ${mode} failed (status ${String(child.status)}): ${child.stderr}`)
  }
  return { report: JSON.parse(line) as ChildReport, processMs }
}

interface ColdSample {
  report: ChildReport
  processMs: number
}

/**
 * The same hydrations in fresh processes, each loading its contender's modules only: `coldRuns` per
 * contender (and a process that hydrates nothing, for the floor), taking turns, the order rotating.
 */
function measureCold(ctx: BenchContext, data: HydrationData): Map<ChildMode, ColdSample[]> {
  const modes = Object.keys(CHILD_CONTENDERS) as ChildMode[]
  const samples = new Map<ChildMode, ColdSample[]>(modes.map((m) => [m, []]))
  // One untimed process each first: tsx's transpile cache filled, as an installed app has its JavaScript.
  for (const mode of modes) runHydrationChild(ctx, mode, data, 'own')
  const runs = ctx.options.hydration.coldRuns
  for (let run = 0; run < runs; run++) {
    ctx.progress(`T5: cold processes, run ${run + 1}/${runs}`)
    for (let turn = 0; turn < modes.length; turn++) {
      const mode = modes[(run + turn) % modes.length] as ChildMode
      samples.get(mode)?.push(runHydrationChild(ctx, mode, data, 'own'))
    }
  }
  return samples
}

/** Medians of a contender's cold samples (ms): the child's own timings (see ChildReport) and the process's. */
interface ColdMedians {
  hydrateMs: number
  processMs: number
  startMs: number
  importMs: number
  engineMs: number
  setupMs: number
  endMs: number
}

function coldMedians(samples: readonly ColdSample[]): ColdMedians {
  const of = (value: (s: ColdSample) => number): number => median(samples.map(value))
  return {
    hydrateMs: of((s) => s.report.hydrateMs),
    processMs: of((s) => s.processMs),
    startMs: of((s) => s.report.startMs),
    importMs: of((s) => s.report.importMs),
    engineMs: of((s) => s.report.engineMs),
    setupMs: of((s) => s.report.setupMs),
    endMs: of((s) => s.report.endMs),
  }
}

/** T5: time to hydrate the whole chat store, each contender from what it stored itself, warm and cold. */
export async function runHydrationTarget(ctx: BenchContext): Promise<TargetResult> {
  const data = await hydrationData(ctx)
  const list = hydrators(data, ctx.options.synchronous)
  const samples = new Map<string, number[][]>(list.map((h) => [h.name, []]))
  const rounds = ctx.options.hydration.rounds
  // One untimed hydration each first: JIT, page cache, sql.js statement paths.
  for (const h of list) await (await h.hydrate()).release()
  for (let round = 0; round < rounds; round++) {
    ctx.progress(`T5: round ${round + 1}/${rounds}`)
    for (let turn = 0; turn < list.length; turn++) {
      const h = list[(round + turn) % list.length] as Hydrator
      collectGarbage()
      const result = await h.hydrate()
      verify(h.name, result.state, data)
      samples.get(h.name)?.push([result.ms])
      await result.release()
    }
  }
  collectGarbage()
  const cold = measureCold(ctx, data)

  const stats = new Map([...samples].map(([name, s]) => [name, summarize(s)]))
  const modeOf = new Map(list.map((h) => [h.name, h.mode]))
  const coldOf = (name: string): ColdSample[] => cold.get(modeOf.get(name) ?? 'baseline') ?? []
  const coldStats = new Map(
    [...stats.keys()].map((name) => [name, summarize([coldOf(name).map((s) => s.report.hydrateMs)])]),
  )
  const size = `${sizeLabel(data.conversations)} conv / ${sizeLabel(data.messages)} msg`
  const coldSize = `${size}, cold process`
  const measurements: Measurement[] = [...stats].flatMap(([name, s]): Measurement[] => {
    const c = coldStats.get(name) as Stats
    return [
      {
        contender: name,
        size,
        unit: 'ms',
        median: s.median,
        p90: s.p90,
        samples: s.count,
        extra: { roundMedians: s.roundMedians },
      },
      {
        contender: name,
        size: coldSize,
        unit: 'ms',
        median: c.median,
        p90: c.p90,
        samples: c.count,
        extra: {
          ...coldMedians(coldOf(name)),
          coldOverWarm: c.median / s.median,
          hydrateSamplesMs: coldOf(name).map((x) => x.report.hydrateMs),
          processSamplesMs: coldOf(name).map((x) => x.processMs),
        },
      },
    ]
  })
  const check = (name: string, limit: number, where: 'warm' | 'cold'): Check => {
    const figures = where === 'warm' ? stats : coldStats
    const lib = figures.get(name)?.median ?? Number.NaN
    const json = figures.get('JSON')?.median ?? Number.NaN
    return limitCheck({
      contender: name,
      size: where === 'warm' ? size : coldSize,
      label: 'LIB/JSON',
      value: lib / json,
      detail: `${formatRatio(lib / json)} (${formatMs(lib)} / ${formatMs(json)})`,
      target: `<= ${limit}x`,
      max: limit,
    })
  }
  const coldLine = (name: string): string => {
    const m = coldMedians(coldOf(name))
    const warm = stats.get(name)?.median ?? Number.NaN
    const parts = [
      `script started at ${formatMs(m.startMs)}`,
      `module import ${formatMs(m.importMs)}`,
      ...(m.engineMs > 0 ? [`engine ${formatMs(m.engineMs)}`] : []),
      ...(m.setupMs > 0 ? [`setup ${formatMs(m.setupMs)}`] : []),
      `hydrated and reported at ${formatMs(m.endMs)}`,
    ]
    return (
      `${name}: hydration warm ${formatMs(warm)}, cold ${formatMs(m.hydrateMs)} (${formatRatio(m.hydrateMs / warm)} warm); ` +
      `cold process from spawn to exit ${formatMs(m.processMs)}: ${parts.join(', ')} (medians)`
    )
  }
  const floor = coldMedians(cold.get('baseline') ?? [])
  ctx.facts['hydration data sizes'] = data.sizes
  ctx.facts['T5 cold processes (medians, ms)'] = Object.fromEntries(
    [...cold].map(([mode, s]) => [CHILD_CONTENDERS[mode], coldMedians(s)]),
  )
  const names = [...stats.keys()]
  return {
    id: 'T5',
    title: `hydration of ${sizeLabel(data.conversations)} conversations / ${sizeLabel(data.messages)} messages, until hydrated, in this process and in fresh processes (cold)`,
    target: 'LIB <= 1.5x JSON (better-sqlite3), <= 3x JSON (sql.js), warm and cold',
    measurements,
    checks: [
      check('LIB (better-sqlite3)', 1.5, 'warm'),
      check('LIB (sql.js)', 3, 'warm'),
      check('LIB (better-sqlite3)', 1.5, 'cold'),
      check('LIB (sql.js)', 3, 'cold'),
    ],
    notes: [
      `stored: better-sqlite3 file ${formatBytes(data.sizes['libDatabaseFile'] ?? 0)}, sql.js image ${formatBytes(data.sizes['sqlJsImageFile'] ?? 0)}, JSON string ${formatBytes(data.sizes['jsonStringLength'] ?? 0)}`,
      'better-sqlite3: from opening the file to the store hydrated (synchronous, inside createStore).',
      `sql.js: from reading the image file (inside createSqlJsBackend) to hydrated; compiling the sql.js module once per process (${formatMs(sqlJsInitTime() ?? Number.NaN)}) is not included.`,
      'JSON: from createStore to onFinishHydration (getItem from IndexedDB, JSON.parse, merge).',
      `rows without "cold": in this process, ${rounds} rounds after an untimed hydration each (modules loaded, JIT warm). ` +
        `"cold process": ${ctx.options.hydration.coldRuns} fresh \`node --expose-gc --import tsx\` processes per contender (hydrateChild.ts), taking turns, the order rotating, after an untimed one each (tsx's transpile cache). ` +
        "Each imports only its contender's modules (the built dist) and times the same span as above; the module import, the engine " +
        "(better-sqlite3's native addon loaded, which the backend would otherwise load as it opens; sql.js's wasm compiled) and JSON's setup " +
        '(the stored string put into fake-indexeddb, which a browser has on disk) are timed apart, not in the figure.',
      ...names.map(coldLine),
      `a process that imports none of these modules and hydrates nothing: ${formatMs(floor.processMs)} from spawn to exit, its script started at ${formatMs(floor.startMs)} (node and tsx).`,
      'cold means a new process, heap, JIT and connection, not a cold disk: the files were written by this run just before and the OS page cache still holds them (dropping the caches needs root and is not done).',
    ],
  }
}
