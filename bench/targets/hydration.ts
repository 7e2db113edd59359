import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import type { BenchContext } from '../context'
import { openJson } from '../contenders'
import { buildChat, countMessages } from '../dataset'
import type { ChatState } from '../dataset'
import { loadSqlJs, sqlJsInitTime } from '../engines'
import { idbJsonStorage, readStoredJson } from '../jsonStorage'
import { collectGarbage, now } from '../measure'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatBytes, formatMs, formatRatio, sizeLabel, summarize } from '../stats'
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

async function writeHydrationData(ctx: BenchContext): Promise<HydrationData> {
  const n = ctx.options.sizes[ctx.options.sizes.length - 1] as number
  const state = buildChat(n, ctx.options.seed + n)
  ctx.progress(`T5/T8: storing ${sizeLabel(n)} messages with each contender`)
  const libFile = join(ctx.dir, 'hydrate-lib.db')
  const lib = createBetterSqlite3Backend({ filename: libFile })
  const libStore = createStore<ChatState>()(
    persistSQLite(() => state, { name: HYDRATION_STORE, backend: lib, schema: chatSchema }),
  )
  libStore.setState({})
  await libStore.persist.flush()
  await lib.close()

  const sqlJsFile = join(ctx.dir, 'hydrate-sqljs.sqlite')
  const sqljs = await createSqlJsBackend({ sqlJs: await loadSqlJs(), storage: { file: sqlJsFile } })
  const sqljsStore = createStore<ChatState>()(
    persistSQLite(() => state, { name: HYDRATION_STORE, backend: sqljs, schema: chatSchema }),
  )
  sqljsStore.setState({})
  await sqljsStore.persist.flush()
  await sqljs.close()

  const jsonName = 'chat-hydrate'
  await openJson(jsonName, state)
  const json = (await readStoredJson(jsonName)) ?? ''
  const jsonFile = join(ctx.dir, 'hydrate.json')
  writeFileSync(jsonFile, json)
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
      jsonStringLength: json.length,
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

type Hydrator = { name: string; hydrate: () => Promise<Hydration> }

function hydrators(data: HydrationData): Hydrator[] {
  return [
    {
      name: 'JSON',
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
      hydrate: () => {
        // Synchronous: the store is hydrated when createStore returns.
        const started = now()
        const backend = createBetterSqlite3Backend({ filename: data.libFile })
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

/** T5: time to hydrate the whole chat store, each contender from what it stored itself. */
export async function runHydrationTarget(ctx: BenchContext): Promise<TargetResult> {
  const data = await hydrationData(ctx)
  const list = hydrators(data)
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

  const stats = new Map([...samples].map(([name, s]) => [name, summarize(s)]))
  const size = `${sizeLabel(data.conversations)} conv / ${sizeLabel(data.messages)} msg`
  const measurements: Measurement[] = [...stats].map(([name, s]) => ({
    contender: name,
    size,
    unit: 'ms',
    median: s.median,
    p90: s.p90,
    samples: s.count,
    extra: { roundMedians: s.roundMedians },
  }))
  const json = stats.get('JSON')?.median ?? Number.NaN
  const check = (name: string, limit: number): Check => {
    const lib = stats.get(name)?.median ?? Number.NaN
    return limitCheck({
      contender: name,
      size,
      label: 'LIB/JSON',
      value: lib / json,
      detail: `${formatRatio(lib / json)} (${formatMs(lib)} / ${formatMs(json)})`,
      target: `<= ${limit}x`,
      max: limit,
    })
  }
  ctx.facts['hydration data sizes'] = data.sizes
  return {
    id: 'T5',
    title: `hydration of ${sizeLabel(data.conversations)} conversations / ${sizeLabel(data.messages)} messages, until hydrated`,
    target: 'LIB <= 1.5x JSON (better-sqlite3), <= 3x JSON (sql.js)',
    measurements,
    checks: [check('LIB (better-sqlite3)', 1.5), check('LIB (sql.js)', 3)],
    notes: [
      `stored: better-sqlite3 file ${formatBytes(data.sizes['libDatabaseFile'] ?? 0)}, sql.js image ${formatBytes(data.sizes['sqlJsImageFile'] ?? 0)}, JSON string ${formatBytes(data.sizes['jsonStringLength'] ?? 0)}`,
      'better-sqlite3: from opening the file to the store hydrated (synchronous, inside createStore).',
      `sql.js: from reading the image file (inside createSqlJsBackend) to hydrated; compiling the sql.js module once per process (${formatMs(sqlJsInitTime() ?? Number.NaN)}) is not included.`,
      'JSON: from createStore to onFinishHydration (getItem from IndexedDB, JSON.parse, merge).',
    ],
  }
}
