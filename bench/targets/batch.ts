import { join } from 'node:path'
import type { BenchContext } from '../context'
import { openLib, openNone, openRaw } from '../contenders'
import type { ChatContender } from '../contenders'
import { buildChat, createRandom, makeEdit } from '../dataset'
import type { Edit } from '../dataset'
import { collectGarbage, interleave } from '../measure'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatMs, formatRatio, sizeLabel } from '../stats'
import type { Stats } from '../stats'

/** T4: one set that changes k messages in k conversations; LIB must write it as one transaction. */
export async function runBatchTarget(ctx: BenchContext): Promise<TargetResult> {
  const { options, dir } = ctx
  const { n, ks } = options.batch
  const state = buildChat(n, options.seed + n)
  ctx.progress(`T4: N=${sizeLabel(n)}: writing the initial state`)
  const lib = await openLib(join(dir, 'batch-lib.db'), 'chat', state, options.synchronous)
  const contenders: ChatContender[] = [
    openNone(state),
    openRaw(join(dir, 'batch-raw.db'), state, options.synchronous),
    lib,
  ]
  const measurements: Measurement[] = []
  const checks: Check[] = []
  const libMedian = new Map<number, number>()
  const transactions: Record<string, unknown> = {}
  try {
    for (const k of ks) {
      ctx.progress(`T4: k=${k}`)
      const random = createRandom(options.seed * 17 + k)
      let edits: Edit[] = []
      const firstCommit = lib.log.rowsPerCommit.length
      const stats = await interleave(
        contenders,
        {
          rounds: options.batch.rounds,
          warmup: () => options.batch.warmup,
          perRound: () => options.batch.perRound,
          beforeRound: (round) => {
            const count = round < 0 ? options.batch.warmup : options.batch.perRound
            edits = Array.from({ length: count }, () => makeEdit(random, state.conversations.length, k))
          },
        },
        (c, i) => c.edit(edits[i] as Edit),
      )
      for (const [c, s] of stats) measurements.push(toMeasurement(c.name, k, s))
      libMedian.set(k, [...stats].find(([c]) => c.name === 'LIB')?.[1].median ?? Number.NaN)

      // Every LIB set was awaited until committed before the next began, so sets and commits pair up.
      const sets = options.batch.warmup + options.batch.rounds * options.batch.perRound
      const commits = lib.log.rowsPerCommit.slice(firstCommit)
      const exact = commits.length === sets && commits.every((rows) => rows === k)
      transactions[`k=${k}`] = { sets, commits: commits.length, rowsPerCommit: [...new Set(commits)] }
      checks.push({
        contender: 'LIB',
        size: `k=${k}`,
        label: 'commits per set',
        value: commits.length / sets,
        detail: `${sets} sets -> ${commits.length} commits of ${[...new Set(commits)].join('/')} row(s)`,
        target: `1 commit, ${k} row(s)`,
        pass: exact,
      })
    }
  } finally {
    for (const c of contenders) await c.close()
    collectGarbage()
  }
  ctx.facts['T4 LIB transactions'] = transactions
  const small = ks[0] as number
  const large = ks[ks.length - 1] as number
  const ratio = (libMedian.get(large) as number) / (libMedian.get(small) as number)
  checks.push(
    limitCheck({
      contender: 'LIB',
      size: `k=${large}`,
      label: `t(${large})/t(${small})`,
      value: ratio,
      detail: `${formatRatio(ratio)} (${formatMs(libMedian.get(large) as number)} / ${formatMs(libMedian.get(small) as number)})`,
      target: '<= 15x',
      max: 15,
    }),
  )
  return {
    id: 'T4',
    title: `one set that changes k messages in k conversations, at N=${sizeLabel(n)}`,
    target: `one transaction per set; t(${large})/t(${small}) <= 15`,
    measurements,
    checks,
    notes: ['Transactions are counted through onCommit (one call per committed ChangeSet).'],
  }
}

function toMeasurement(contender: string, k: number, stats: Stats): Measurement {
  return {
    contender,
    size: `k=${k}`,
    unit: 'ms',
    median: stats.median,
    p90: stats.p90,
    samples: stats.count,
    extra: { roundMedians: stats.roundMedians },
  }
}
