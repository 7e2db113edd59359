// B2: cold hydration. Each sample opens a new tab that has loaded the page's modules and opened nothing: the
// backend is created (worker, engine, storage), then the store, until hydrated. The contenders take turns,
// the order rotating from sample to sample.
import { sizeLabel, summarize } from '../stats'
import { bounded, CONTENDER_LABELS, datasetName, openBenchPage } from './context'
import type { Figure, RunContext } from './context'
import type { ContenderId, HydrationSample } from './pages/bench'

export const HYDRATION_CONTENDERS: readonly ContenderId[] = ['sqlite-wasm', 'sqljs', 'persist-idb']

/** Writes a dataset B1 did not leave (B2 run alone, or at a size B1 does not measure). */
async function ensureDataset(ctx: RunContext, contender: ContenderId, n: number): Promise<void> {
  const name = datasetName(ctx, contender, n)
  if (ctx.datasets.has(name)) return
  ctx.progress(`B2 ${sizeLabel(n)}: writing the chat for ${CONTENDER_LABELS[contender]}`)
  const page = await openBenchPage(ctx)
  try {
    ctx.datasets.set(name, contender)
    await bounded(
      page.evaluate(([c, d, size, s]) => window.bench!.setup(c, d, size, s), [
        contender,
        name,
        n,
        ctx.options.seed,
      ] as const),
      `B2 setup of ${contender} at ${n}`,
    )
    await page.evaluate(() => window.bench!.teardown())
  } finally {
    await page.close()
  }
}

async function sample(ctx: RunContext, contender: ContenderId, n: number): Promise<HydrationSample> {
  const page = await openBenchPage(ctx)
  try {
    const result = await bounded(
      page.evaluate(([c, d]) => window.bench!.hydrate(c, d), [contender, datasetName(ctx, contender, n)] as const),
      `B2 hydration of ${contender} at ${n}`,
    )
    // Closed as an app would be left: the next tab finds the database released.
    await page.evaluate(() => window.bench!.teardown())
    return result
  } finally {
    await page.close()
  }
}

const METRICS = ['total', 'backend', 'hydrate', 'engine'] as const

export async function runHydrations(ctx: RunContext): Promise<Figure[]> {
  const figures: Figure[] = []
  const { sizes, samples } = ctx.options.hydration
  for (const n of sizes) {
    for (const contender of HYDRATION_CONTENDERS) await ensureDataset(ctx, contender, n)
    ctx.progress(`B2 ${sizeLabel(n)}: ${samples} cold hydrations per contender`)
    const taken = new Map<ContenderId, HydrationSample[]>(HYDRATION_CONTENDERS.map((c) => [c, []]))
    for (let i = 0; i < samples; i++) {
      for (let turn = 0; turn < HYDRATION_CONTENDERS.length; turn++) {
        const contender = HYDRATION_CONTENDERS[(i + turn) % HYDRATION_CONTENDERS.length] as ContenderId
        const result = await sample(ctx, contender, n)
        if (result.messages !== n)
          ctx.failures.push(`B2 ${contender} ${sizeLabel(n)}: hydrated ${result.messages} messages, not ${n}`)
        taken.get(contender)?.push(result)
      }
    }
    for (const contender of HYDRATION_CONTENDERS) {
      const results = taken.get(contender) ?? []
      ctx.facts[`B2 ${contender} ${sizeLabel(n)} wait for the previous tab's lock (ms, untimed)`] = results.map((r) =>
        Math.round(r.lockWaitMs),
      )
      for (const metric of METRICS) {
        const values = results.flatMap((r) => {
          const value = metric === 'engine' ? r.engineMs : r[`${metric}Ms`]
          return value === undefined ? [] : [value]
        })
        if (values.length === 0) continue
        const stats = summarize([values])
        figures.push({
          part: 'B2',
          contender,
          n,
          metric,
          median: stats.median,
          p90: stats.p90,
          max: stats.max,
          samples: stats.count,
        })
      }
    }
  }
  return figures
}
