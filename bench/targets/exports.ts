import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { persistSQLite } from '@zustand-sqlite/core'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { createStore } from 'zustand/vanilla'
import type { BenchContext } from '../context'
import { applyEdit, buildChat, createRandom, makeEdit } from '../dataset'
import type { ChatState } from '../dataset'
import { loadSqlJs, readPragmas } from '../engines'
import { collectGarbage, now, sleep } from '../measure'
import { limitCheck } from '../report'
import type { Measurement, TargetResult } from '../report'
import { chatSchema } from '../schemas'
import { formatMs, sizeLabel, summarize } from '../stats'

/** sql.js backend default: exports at most once per second. */
const FLUSH_INTERVAL_MS = 1000

interface RoundResult {
  /** Exports from the first set until the closing flush() resolved, as counted by the wrapper. */
  exports: number
  /** The backend's own count over the same window. */
  exportCount: number
  /** Exports that ran while a set() call was on the stack. */
  exportsInsideSet: number
  /** Exports before the closing flush(), i.e. the coalesced background ones. */
  exportsDuringSets: number
  windowMs: number
  /** Duration of each export() call (the synchronous part: serializing the database). */
  exportMs: number[]
  setCallMs: number[]
  commitMs: number[]
  commits: number
}

/** 100 sets, one every 10 ms, on a sql.js backend with the default flush interval; exports watched. */
async function oneRound(ctx: BenchContext, state: ChatState, round: number): Promise<RoundResult> {
  const { sets, intervalMs } = ctx.options.exports
  const file = join(ctx.dir, 'exports.sqlite')
  rmSync(file, { force: true })
  const backend = await createSqlJsBackend({ sqlJs: await loadSqlJs(), storage: { file } })
  const commitAt: number[] = []
  const store = createStore<ChatState>()(
    persistSQLite(() => state, {
      name: 'chat',
      backend,
      schema: chatSchema,
      onCommit: () => commitAt.push(now()),
    }),
  )
  store.setState({})
  await store.persist.flush()
  ctx.facts['T6 sql.js pragmas'] = await readPragmas((sql) => backend.query(sql))
  collectGarbage()

  // Record every export, and whether a set() call was on the stack when it ran.
  let inSet = false
  let exports = 0
  let exportsInsideSet = 0
  const exportMs: number[] = []
  const db = backend.database
  const original = db.export.bind(db)
  db.export = () => {
    exports++
    if (inSet) exportsInsideSet++
    const t = now()
    const image = original()
    exportMs.push(now() - t)
    return image
  }

  const random = createRandom(ctx.options.seed * 7 + round)
  const edits = Array.from({ length: sets }, () => makeEdit(random, state.conversations.length, 1))
  const firstCommit = commitAt.length
  const countBefore = backend.exportCount
  const setStarted: number[] = []
  const setCallMs: number[] = []
  const started = now()
  for (let i = 0; i < sets; i++) {
    const wait = started + i * intervalMs - now()
    if (wait > 0) await sleep(wait)
    const edit = edits[i]!
    inSet = true
    const t = now()
    store.setState((s) => applyEdit(s, edit))
    setCallMs.push(now() - t)
    inSet = false
    setStarted.push(t)
  }
  const exportsDuringSets = exports
  await store.persist.flush()
  const windowMs = now() - started
  const result: RoundResult = {
    exports,
    exportCount: backend.exportCount - countBefore,
    exportsInsideSet,
    exportsDuringSets,
    windowMs,
    exportMs,
    setCallMs,
    commitMs: commitAt.slice(firstCommit).map((at, i) => at - (setStarted[i] as number)),
    commits: commitAt.length - firstCommit,
  }
  await backend.close()
  rmSync(file, { force: true })
  return result
}

/** T6: sql.js exports are coalesced and never run inside set(). */
export async function runExportsTarget(ctx: BenchContext): Promise<TargetResult> {
  const { n, sets, rounds, intervalMs } = ctx.options.exports
  const state = buildChat(n, ctx.options.seed + n)
  const results: RoundResult[] = []
  for (let round = 0; round < rounds; round++) {
    ctx.progress(`T6: round ${round + 1}/${rounds}`)
    results.push(await oneRound(ctx, state, round))
  }
  const bound = 2 + Math.ceil(1000 / FLUSH_INTERVAL_MS)
  const maxExports = Math.max(...results.map((r) => r.exports))
  const insideSet = results.reduce((sum, r) => sum + r.exportsInsideSet, 0)
  const setCall = summarize(results.map((r) => r.setCallMs))
  const commit = summarize(results.map((r) => r.commitMs))
  const exportCounts = summarize(results.map((r) => [r.exports]))
  const size = sizeLabel(n)
  const timing = (contender: string, s: typeof setCall): Measurement => ({
    contender,
    size,
    unit: 'ms',
    median: s.median,
    p90: s.p90,
    samples: s.count,
  })
  ctx.facts['T6 rounds'] = results.map((r) => ({
    exports: r.exports,
    exportCount: r.exportCount,
    exportsInsideSet: r.exportsInsideSet,
    exportsDuringSets: r.exportsDuringSets,
    windowMs: Math.round(r.windowMs),
    exportMs: r.exportMs.map((ms) => Math.round(ms * 100) / 100),
    commits: r.commits,
  }))
  return {
    id: 'T6',
    title: `sql.js: ${sets} sets, one every ${intervalMs} ms, default flushIntervalMs (${FLUSH_INTERVAL_MS}), N=${size}`,
    target: `no export inside set(); exports <= 2 + ceil(1 s / ${FLUSH_INTERVAL_MS} ms) = ${bound}`,
    measurements: [
      timing('LIB (sql.js) set() call', setCall),
      timing('LIB (sql.js) set until committed', commit),
      {
        contender: 'LIB (sql.js) exports',
        size,
        unit: 'exports',
        median: exportCounts.median,
        samples: results.length,
        extra: { perRound: results.map((r) => r.exports) },
      },
    ],
    checks: [
      {
        contender: 'LIB (sql.js) exports',
        size,
        label: 'exports inside set()',
        value: insideSet,
        detail: `${insideSet} in ${rounds * sets} sets`,
        target: '0',
        pass: insideSet === 0,
      },
      limitCheck({
        contender: 'LIB (sql.js) exports',
        size,
        label: 'exports per window (max)',
        value: maxExports,
        detail: `${maxExports} (rounds: ${results.map((r) => r.exports).join(', ')}; window ${results.map((r) => formatMs(r.windowMs)).join(', ')})`,
        target: `<= ${bound}`,
        max: bound,
      }),
    ],
    notes: [
      'The window runs from the first set to the closing store.persist.flush() (whose export is counted).',
      `Commits per round: ${results.map((r) => r.commits).join(', ')} (one per set expected); exports counted by the wrapper and by backend.exportCount: ${results.map((r) => `${r.exports}/${r.exportCount}`).join(', ')}.`,
      '"set until committed": from the set() call to onCommit (the in-memory commit, a microtask later); durability follows with the next export.',
      `each export() took ${results.map((r) => r.exportMs.map(formatMs).join(', ')).join('; ')} (synchronous, on the main thread, outside set()).`,
    ],
  }
}
