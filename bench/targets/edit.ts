import { join } from 'node:path'
import type { BenchContext } from '../context'
import { openJson, openLib, openNone, openRaw } from '../contenders'
import type { ChatContender, ContenderName } from '../contenders'
import { applyEdit, buildChat, createRandom, makeEdit } from '../dataset'
import type { ChatState, Edit } from '../dataset'
import { collectGarbage, interleave } from '../measure'
import type { TargetId } from '../options'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatMs, formatRatio, sizeLabel } from '../stats'
import type { Stats } from '../stats'

type EditStats = Map<number, Map<ContenderName, Stats>>

/** Per N: the edit with the app's immutable update inside the timing, and the commit of a state computed before the clock starts. */
interface SizeResults {
  withUpdate: Map<ContenderName, Stats>
  persistOnly: Map<ContenderName, Stats>
}

const measurement = (contender: string, n: number, stats: Stats): Measurement => ({
  contender,
  size: sizeLabel(n),
  unit: 'ms',
  median: stats.median,
  p90: stats.p90,
  samples: stats.count,
  extra: { roundMedians: stats.roundMedians, min: stats.min },
})

/** Edits one random message per set, on all four contenders at one N, interleaved. */
async function measureAtSize(ctx: BenchContext, n: number): Promise<SizeResults> {
  const { options, dir } = ctx
  const state = buildChat(n, options.seed + n)
  ctx.progress(`T1-T3: N=${sizeLabel(n)}: writing the initial state for each contender`)
  const lib = await openLib(join(dir, `edit-lib-${n}.db`), 'chat', state, options.synchronous)
  const contenders: ChatContender[] = [
    openNone(state),
    await openJson(`chat-${n}`, state),
    openRaw(join(dir, `edit-raw-${n}.db`), state, options.synchronous),
    lib,
  ]
  try {
    const storage: Record<string, unknown> = {}
    for (const c of contenders) storage[c.name] = await c.storage()
    ctx.facts[`edit storage at N=${sizeLabel(n)}`] = storage

    const random = createRandom(options.seed * 31 + n)
    const perRound = options.edit.perRound
    let edits: Edit[] = []
    const commitsBefore = lib.log.commits
    const rowsBefore = lib.log.rows
    ctx.progress(`T1-T3: N=${sizeLabel(n)}: ${options.edit.rounds} rounds`)
    const stats = await interleave(
      contenders,
      {
        rounds: options.edit.rounds,
        warmup: (c) => (c.name === 'JSON' ? 1 : options.edit.warmup),
        perRound: (c) => (c.name === 'JSON' ? options.edit.jsonPerRound(n) : perRound),
        beforeRound: (round) => {
          const count = round < 0 ? options.edit.warmup : perRound
          edits = Array.from({ length: count }, () => makeEdit(random, state.conversations.length, 1))
        },
      },
      (c, i) => c.edit(edits[i] as Edit),
    )
    // The same edits again, the new state computed outside the timing: what persisting a set costs,
    // apart from the app's own immutable update (which grows with N whatever stores the state).
    const persisting = contenders.filter((c) => c.name !== 'JSON')
    let pending: ChatState | undefined
    const persistStats = await interleave(
      persisting,
      {
        rounds: options.edit.rounds,
        warmup: () => options.edit.warmup,
        perRound: () => perRound,
        beforeRound: (round) => {
          const count = round < 0 ? options.edit.warmup : perRound
          edits = Array.from({ length: count }, () => makeEdit(random, state.conversations.length, 1))
        },
        beforeIteration: (c, i) => {
          pending = applyEdit(c.store.getState(), edits[i] as Edit)
        },
      },
      (c, i) => c.commit(pending as ChatState, edits[i] as Edit),
    )
    const sets = 2 * (options.edit.warmup + options.edit.rounds * perRound)
    ctx.facts[`LIB writes at N=${sizeLabel(n)}`] = {
      sets,
      commits: lib.log.commits - commitsBefore,
      rows: lib.log.rows - rowsBefore,
    }
    return {
      withUpdate: new Map([...stats].map(([c, s]) => [c.name, s])),
      persistOnly: new Map([...persistStats].map(([c, s]) => [c.name, s])),
    }
  } finally {
    for (const c of contenders) await c.close()
    collectGarbage()
  }
}

function t1(withUpdate: EditStats, persistOnly: EditStats, sizes: readonly number[]): TargetResult {
  const smallest = sizes[0] as number
  const largest = sizes[sizes.length - 1] as number
  const median = (results: EditStats, name: ContenderName, n: number): number =>
    results.get(n)?.get(name)?.median ?? Number.NaN
  const growth = (results: EditStats, name: ContenderName): string =>
    `${name} ${formatRatio(median(results, name, largest) / median(results, name, smallest))} (${formatMs(median(results, name, largest))} / ${formatMs(median(results, name, smallest))})`
  const ratio = median(persistOnly, 'LIB', largest) / median(persistOnly, 'LIB', smallest)
  const withUpdateRatio = median(withUpdate, 'LIB', largest) / median(withUpdate, 'LIB', smallest)
  const label = `t(${sizeLabel(largest)})/t(${sizeLabel(smallest)})`
  return {
    id: 'T1',
    title:
      'edit one message, time per set until committed (LIB, better-sqlite3 file, WAL); the new state is computed before the clock starts',
    target: `${label} <= 2`,
    measurements: [
      ...sizes.map((n) => measurement('LIB', n, persistOnly.get(n)?.get('LIB') as Stats)),
      ...sizes.map((n) => measurement('LIB, app update timed too', n, withUpdate.get(n)?.get('LIB') as Stats)),
    ],
    checks: [
      limitCheck({
        contender: 'LIB',
        size: sizeLabel(largest),
        label,
        value: ratio,
        detail: `${formatRatio(ratio)} (${formatMs(median(persistOnly, 'LIB', largest))} / ${formatMs(median(persistOnly, 'LIB', smallest))})`,
        target: '<= 2x',
        max: 2,
      }),
    ],
    notes: [
      `timed: setState(next) then flush(), next = the edit applied beforehand. The app's immutable update (a map over N/10 conversations) grows with N for any store: NONE (the update alone) ${growth(withUpdate, 'NONE')}.`,
      `with that update inside the timing, LIB grows ${formatRatio(withUpdateRatio)} (${formatMs(median(withUpdate, 'LIB', largest))} / ${formatMs(median(withUpdate, 'LIB', smallest))}); ${growth(withUpdate, 'RAW')}; ${growth(withUpdate, 'JSON')}`,
      `persisting alone, hand-written SQL grows too: ${growth(persistOnly, 'RAW')}`,
    ],
  }
}

function t2(results: EditStats, sizes: readonly number[]): TargetResult {
  const largest = sizes[sizes.length - 1] as number
  const at = results.get(largest) as Map<ContenderName, Stats>
  const lib = at.get('LIB')?.median ?? Number.NaN
  const json = at.get('JSON')?.median ?? Number.NaN
  const ratio = lib / json
  const measurements: Measurement[] = []
  for (const n of sizes) {
    measurements.push(measurement('JSON', n, results.get(n)?.get('JSON') as Stats))
    measurements.push(measurement('LIB', n, results.get(n)?.get('LIB') as Stats))
  }
  return {
    id: 'T2',
    title: `edit one message vs the status quo (Zustand persist + JSON in IndexedDB), at ${sizeLabel(largest)}`,
    target: 'LIB <= 1/100 of JSON',
    measurements,
    checks: [
      limitCheck({
        contender: 'LIB',
        size: sizeLabel(largest),
        label: 'LIB/JSON',
        value: ratio,
        detail: `1/${Math.round(json / lib)} (${formatMs(lib)} / ${formatMs(json)})`,
        target: '<= 1/100',
        max: 0.01,
      }),
    ],
    notes: ['JSON runs fewer iterations than the others (each of its sets serializes and stores the whole state).'],
  }
}

function t3(results: EditStats, sizes: readonly number[]): TargetResult {
  const measurements: Measurement[] = []
  const checks: Check[] = []
  for (const n of sizes) {
    const at = results.get(n) as Map<ContenderName, Stats>
    for (const name of ['NONE', 'RAW', 'LIB'] as const) measurements.push(measurement(name, n, at.get(name) as Stats))
    const lib = at.get('LIB')?.median ?? Number.NaN
    const raw = at.get('RAW')?.median ?? Number.NaN
    checks.push(
      limitCheck({
        contender: 'LIB',
        size: sizeLabel(n),
        label: 'LIB/RAW',
        value: lib / raw,
        detail: `${formatRatio(lib / raw)} (${formatMs(lib)} / ${formatMs(raw)})`,
        target: '<= 3x',
        max: 3,
      }),
    )
  }
  return {
    id: 'T3',
    title: 'edit one message vs hand-written SQL on the same engine and layout, per N',
    target: 'LIB <= 3x RAW',
    measurements,
    checks,
    notes: ['NONE is the immutable update alone (no persistence): the floor under RAW and LIB.'],
  }
}

/** T1, T2 and T3 share one measurement: the same edit on every contender at every N. */
export async function runEditTargets(ctx: BenchContext): Promise<TargetResult[]> {
  const results: EditStats = new Map()
  const persistOnly: EditStats = new Map()
  for (const n of ctx.options.sizes) {
    const measured = await measureAtSize(ctx, n)
    results.set(n, measured.withUpdate)
    persistOnly.set(n, measured.persistOnly)
  }
  const sizes = ctx.options.sizes
  const targets = [t1(results, persistOnly, sizes), t2(results, sizes), t3(results, sizes)]
  const writes = sizes.map((n) => ctx.facts[`LIB writes at N=${sizeLabel(n)}`] as Record<string, number>)
  const oneRowEach = writes.every((w) => w['commits'] === w['sets'] && w['rows'] === w['sets'])
  targets[0]?.notes.push(
    oneRowEach
      ? 'onCommit: every LIB set was one commit of one row (at every N).'
      : `onCommit: LIB sets were not one commit of one row each: ${JSON.stringify(writes)}`,
  )
  return targets.filter((t) => ctx.options.only.has(t.id as TargetId))
}
