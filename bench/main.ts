// The bench itself (started by run.ts): measures the performance targets T1-T8 of the design, the
// chats store's streaming cost (S1), the metrics store (M1), the workspace store (W1), one change at any
// size (F1), the peers (P1) and the first screen (F2), every contender in this one process (T5's cold
// hydrations, T8, W1's hydrations and F2 in child processes), prints a table per target
// and writes this run's results as JSON to BENCH_RUN_FILE, where run.ts combines the runs. See
// bench/README.md.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BenchContext } from './context'
import { describeEnvironment } from './environment'
import { collectGarbage, now } from './measure'
import { describeOptions, readOptions } from './options'
import type { TargetId } from './options'
import { formatKeyValues, formatSummary, formatTarget, timestamp, writeJson } from './report'
import type { RunResults, TargetResult } from './report'
import { runBatchTarget } from './targets/batch'
import { runEditTargets } from './targets/edit'
import { runExportsTarget } from './targets/exports'
import { runFirstScreenTarget } from './targets/firstScreen'
import { runFlatTarget } from './targets/flat'
import { runPeersTarget } from './targets/peers'
import { runHydrationTarget } from './targets/hydration'
import { runMemoryTarget } from './targets/memory'
import { runMetricsTarget } from './targets/metrics'
import { runMetricsStoreTarget } from './targets/metricsStore'
import { runStreamingTarget } from './targets/streaming'
import { runWorkspaceTarget } from './targets/workspace'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Phases in run order; T1-T3 share one measurement. */
const PHASES: { ids: readonly TargetId[]; run: (ctx: BenchContext) => Promise<TargetResult[]> }[] = [
  { ids: ['T1', 'T2', 'T3'], run: runEditTargets },
  { ids: ['T4'], run: async (ctx) => [await runBatchTarget(ctx)] },
  { ids: ['T5'], run: async (ctx) => [await runHydrationTarget(ctx)] },
  { ids: ['T6'], run: async (ctx) => [await runExportsTarget(ctx)] },
  { ids: ['T7'], run: async (ctx) => [await runMetricsTarget(ctx)] },
  { ids: ['T8'], run: async (ctx) => [await runMemoryTarget(ctx)] },
  { ids: ['S1'], run: async (ctx) => [await runStreamingTarget(ctx)] },
  { ids: ['M1'], run: async (ctx) => [await runMetricsStoreTarget(ctx)] },
  { ids: ['W1'], run: async (ctx) => [await runWorkspaceTarget(ctx)] },
  { ids: ['F1'], run: async (ctx) => [await runFlatTarget(ctx, ctx.options.flat)] },
  { ids: ['P1'], run: async (ctx) => [await runPeersTarget(ctx, ctx.options.peers)] },
  { ids: ['F2'], run: async (ctx) => [await runFirstScreenTarget(ctx, ctx.options.firstScreen)] },
]

async function main(): Promise<void> {
  const options = readOptions()
  const startedAt = new Date().toISOString()
  const began = now()
  // Set by run.ts; started alone, main.ts is a single run whose file never replaces committed results.
  const run = process.env['BENCH_RUN_LABEL'] ?? 'run 1 of 1'
  const file = process.env['BENCH_RUN_FILE'] ?? join(repoRoot, '.data', 'bench', `run-${timestamp(startedAt)}.json`)
  const dir = mkdtempSync(join(tmpdir(), 'zustand-sqlite-bench-'))
  const ctx: BenchContext = {
    options,
    dir,
    repoRoot,
    facts: {},
    progress: (message) => process.stderr.write(`[bench ${run}, ${((now() - began) / 1000).toFixed(0)}s] ${message}\n`),
  }
  try {
    const environment = await describeEnvironment(repoRoot, dir, options.synchronous)
    const targets: TargetResult[] = []
    for (const phase of PHASES) {
      if (!phase.ids.some((id) => options.only.has(id))) continue
      targets.push(...(await phase.run(ctx)))
      collectGarbage()
    }
    const durationSeconds = Math.round((now() - began) / 100) / 10
    const mode = `${options.quick ? 'quick (BENCH_QUICK=1)' : 'full'}, synchronous=${options.synchronous}`
    const fromSources = Object.values(environment.library).some((file) => !file.includes('/dist/'))
    const output = [
      `=== ${run} ===`,
      `zustand-sqlite benchmarks, ${run}: ${mode}, ${durationSeconds} s, seed ${options.seed}, ${startedAt}`,
      ...(options.quick
        ? ["quick run: N up to 10k and few iterations, a smoke test of the harness, not the targets' conditions"]
        : []),
      ...(fromSources
        ? ['WARNING: the packages resolved to their TypeScript sources, not the built dist: run through bench/run.ts']
        : []),
      formatKeyValues('Environment', { ...environment }),
      ...targets.map(formatTarget),
      formatKeyValues('Storage and verifications', ctx.facts),
      formatSummary(targets, `Summary of ${run}`),
    ]
    console.log(output.join('\n\n'))
    const results: RunResults = {
      run,
      startedAt,
      mode,
      durationSeconds,
      options: describeOptions(options),
      environment,
      targets,
      facts: ctx.facts,
      summary: targets.flatMap((t) =>
        t.checks.map((c) => ({ target: t.id, where: `${c.contender} ${c.size}`, check: c.label, pass: c.pass })),
      ),
    }
    writeJson(file, results)
    console.log(`\nresults of ${run}: ${relative(repoRoot, file)}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

main().then(
  // Backends and fake-indexeddb may keep timers; the run is over.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
