// B1: edit one message until durable. Every contender at every N has a tab of its own, all open at once, and
// they take turns: in each round every tab runs its edits after a garbage collection, the order rotating
// from round to round. Sizes are interleaved as contenders are, so that a slow spell of the machine (the
// disk's sync latency drifts on a virtual machine) falls on every size alike instead of on one size's phase.
import type { Page } from 'playwright-core'
import { sizeLabel, summarize } from '../stats'
import { bounded, CONTENDER_LABELS, datasetName, openBenchPage } from './context'
import type { Figure, RunContext } from './context'
import type { ContenderId } from './pages/bench'

export const EDIT_CONTENDERS: readonly ContenderId[] = ['sqlite-wasm', 'sqljs', 'persist-idb', 'none']

/** One contender at one N, in its tab. */
interface Slot {
  contender: ContenderId
  n: number
  page: Page
  rounds: number[][]
}

async function open(ctx: RunContext, contender: ContenderId, n: number): Promise<Slot> {
  ctx.progress(`B1 ${sizeLabel(n)}: writing the chat for ${CONTENDER_LABELS[contender]}`)
  const name = datasetName(ctx, contender, n)
  const page = await openBenchPage(ctx)
  if (contender !== 'none') ctx.datasets.set(name, contender)
  const info = await bounded(
    page.evaluate(([c, d, size, s]) => window.bench!.setup(c, d, size, s), [
      contender,
      name,
      n,
      ctx.options.seed,
    ] as const),
    `B1 setup of ${contender} at ${n}`,
  )
  if (info.messages !== n) ctx.failures.push(`B1 ${contender} ${sizeLabel(n)}: wrote ${info.messages} messages`)
  ctx.facts[`B1 dataset ${contender} ${sizeLabel(n)}`] = info
  return { contender, n, page, rounds: [] }
}

const run = (slot: Slot, count: number): Promise<number[]> =>
  bounded(
    slot.page.evaluate((k) => window.bench!.edits(k), count),
    `B1 edits of ${slot.contender} at ${slot.n}`,
  )

const exportCount = (slot: Slot): Promise<number | undefined> => slot.page.evaluate(() => window.bench!.exportCount())

/** B1 at every N; the datasets B2 hydrates are kept, the others removed. */
export async function runEdits(ctx: RunContext, keep: ReadonlySet<number>): Promise<Figure[]> {
  const { edit } = ctx.options
  const slots: Slot[] = []
  try {
    for (const n of edit.sizes) for (const contender of EDIT_CONTENDERS) slots.push(await open(ctx, contender, n))
    for (const slot of slots) await run(slot, edit.warmup(slot.contender, slot.n))
    const sqlJs = slots.filter((s) => s.contender === 'sqljs')
    const exportsBefore = await Promise.all(sqlJs.map(exportCount))
    ctx.progress(`B1: ${edit.rounds} rounds over ${slots.length} tabs`)
    for (let round = 0; round < edit.rounds; round++) {
      for (let turn = 0; turn < slots.length; turn++) {
        const slot = slots[(round + turn) % slots.length] as Slot
        await slot.page.evaluate(() => window.bench!.gc())
        slot.rounds.push(await run(slot, edit.perRound(slot.contender, slot.n)))
      }
    }
    // sql.js stores a checkpoint (the whole image) every 1000 commits or 1 MiB of journal: none should fall
    // in the rounds, whose edits are fewer; said here, since one would weigh on sql.js's p90 and max.
    const exportsAfter = await Promise.all(sqlJs.map(exportCount))
    sqlJs.forEach((slot, i) => {
      ctx.facts[`B1 sqljs ${sizeLabel(slot.n)}: images stored during the rounds`] =
        (exportsAfter[i] ?? 0) - (exportsBefore[i] ?? 0)
    })
    return slots.map((slot) => {
      const stats = summarize(slot.rounds)
      return {
        part: 'B1',
        contender: slot.contender,
        n: slot.n,
        metric: 'edit',
        median: stats.median,
        p90: stats.p90,
        max: stats.max,
        samples: stats.count,
        roundMedians: stats.roundMedians,
      }
    })
  } finally {
    // Closed cleanly (the last writes durable, the database released) before the tabs go.
    for (const slot of slots) {
      await slot.page.evaluate(() => window.bench!.teardown())
      await slot.page.close()
    }
    await removeDatasets(ctx, (name) => !keep.has(Number(name.slice(name.lastIndexOf('-') + 1))))
  }
}

/** Deletes the run's datasets that `which` selects, from a tab of their own (every tab that used them is closed). */
export async function removeDatasets(ctx: RunContext, which: (name: string) => boolean = () => true): Promise<void> {
  const names = [...ctx.datasets].filter(([name]) => which(name))
  if (names.length === 0) return
  const page = await openBenchPage(ctx)
  try {
    for (const [name, contender] of names) {
      await bounded(
        page.evaluate(([c, d]) => window.bench!.remove(c, d), [contender, name] as const),
        `removing ${name}`,
      )
      ctx.datasets.delete(name)
    }
  } finally {
    await page.close()
  }
}
