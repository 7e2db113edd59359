// Entry of `npm run bench:browser`: the browser bench (bench/README.md, "Browser bench"). Each run launches a
// fresh Chromium on a fresh profile, measures B1 (edit one message until durable) and B2 (cold hydration)
// with every contender in the same browser, interleaved, and removes its datasets; B3 (bundle sizes) is
// measured once, as it does not vary. Then the runs are combined: medians of the runs' medians, and each
// target on the median of the runs' ratios.
import { existsSync, readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatKeyValues, timestamp, writeJson } from '../report'
import { measureBundles } from './bundle'
import type { AppSize } from './bundle'
import { openBenchPage } from './context'
import type { Figure, RunContext } from './context'
import { EDIT_CONTENDERS, removeDatasets, runEdits } from './edit'
import { startBenchBrowser } from './harness'
import { runHydrations } from './hydration'
import { describeOptions, readOptions } from './options'
import type { BrowserBenchOptions } from './options'
import {
  combineFigures,
  combineTargets,
  editTargets,
  formatBundles,
  formatEdits,
  formatHydrations,
  formatTargets,
} from './report'
import type { TargetValue } from './report'

const repoRoot = fileURLToPath(new URL('../..', import.meta.url))
const pages = fileURLToPath(new URL('./pages', import.meta.url))

interface RunResult {
  run: string
  startedAt: string
  durationSeconds: number
  userAgent: string
  engines: Record<string, string>
  figures: Figure[]
  targets: TargetValue[]
  facts: Record<string, unknown>
  /** What the origin's storage still held after the run removed its datasets (both empty when clean). */
  leftAfterCleanup: { opfs: string[]; indexedDb: string[] }
  pageErrors: string[]
  failures: string[]
}

/** The commit checked out, read from .git without running git. */
function revision(): string {
  try {
    const git = join(repoRoot, '.git')
    const head = readFileSync(join(git, 'HEAD'), 'utf8').trim()
    if (!head.startsWith('ref: ')) return head.slice(0, 12)
    const ref = head.slice(5)
    const loose = join(git, ref)
    if (existsSync(loose)) return `${readFileSync(loose, 'utf8').trim().slice(0, 12)} (${ref})`
    const packed = readFileSync(join(git, 'packed-refs'), 'utf8')
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`))
    return line === undefined ? 'unknown' : `${line.slice(0, 12)} (${ref})`
  } catch {
    return 'unknown (not a git checkout)'
  }
}

function packageVersion(name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }
    ).version
  } catch {
    return 'unknown'
  }
}

const stamp = (began: number): string => `${((performance.now() - began) / 1000).toFixed(0)}s`

async function leftover(ctx: RunContext): Promise<RunResult['leftAfterCleanup']> {
  const page = await openBenchPage(ctx)
  try {
    return await page.evaluate(async () => {
      const root = await navigator.storage.getDirectory()
      const opfs: string[] = []
      for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) opfs.push(name)
      const indexedDb = (await indexedDB.databases()).map((d) => d.name ?? '')
      return { opfs, indexedDb }
    })
  } finally {
    await page.close()
  }
}

async function runOnce(options: BrowserBenchOptions, index: number, began: number): Promise<RunResult> {
  const run = `run ${index} of ${options.runs}`
  const startedAt = new Date().toISOString()
  const runBegan = performance.now()
  const browser = await startBenchBrowser(pages)
  const ctx: RunContext = {
    browser,
    options,
    runId: `${Date.now().toString(36)}-${index}`,
    datasets: new Map(),
    facts: {},
    failures: [],
    progress: (message) => process.stderr.write(`[bench:browser ${run}, ${stamp(began)}] ${message}\n`),
  }
  try {
    const probe = await openBenchPage(ctx)
    const engines = await probe.evaluate(() => window.bench!.versions())
    await probe.close()
    const figures: Figure[] = []
    const hydrationSizes = options.only.has('B2') ? options.hydration.sizes : []
    if (options.only.has('B1')) figures.push(...(await runEdits(ctx, new Set(hydrationSizes))))
    if (options.only.has('B2')) figures.push(...(await runHydrations(ctx)))
    await removeDatasets(ctx)
    const result: RunResult = {
      run,
      startedAt,
      durationSeconds: Math.round((performance.now() - runBegan) / 100) / 10,
      userAgent: browser.userAgent,
      engines,
      figures,
      targets: options.only.has('B1') ? editTargets(figures, options.edit.sizes) : [],
      facts: ctx.facts,
      leftAfterCleanup: await leftover(ctx),
      pageErrors: [...browser.pageErrors],
      failures: ctx.failures,
    }
    const { opfs, indexedDb } = result.leftAfterCleanup
    if (opfs.length + indexedDb.length > 0)
      ctx.failures.push(`datasets left after cleanup: OPFS ${opfs.join(', ')}; IndexedDB ${indexedDb.join(', ')}`)
    printRun(options, result)
    return result
  } finally {
    // A run that failed halfway still removes what it wrote; the profile goes with the browser anyway.
    await removeDatasets(ctx).catch(() => undefined)
    await browser.close()
  }
}

function printRun(options: BrowserBenchOptions, r: RunResult): void {
  const sections = [
    `=== ${r.run} ===`,
    `${r.run}: ${r.durationSeconds} s, started ${r.startedAt}`,
    ...(options.only.has('B1')
      ? [`B1  edit one message until durable (ms per edit)\n${formatEdits(r.figures, options.edit.sizes)}`]
      : []),
    ...(r.targets.length > 0 ? [`Targets of ${r.run}\n${formatTargets(r.targets)}`] : []),
    ...(options.only.has('B2')
      ? [`B2  cold hydration, a new tab per sample (ms)\n${formatHydrations(r.figures, options.hydration.sizes)}`]
      : []),
    formatKeyValues('Datasets and verifications', {
      ...r.facts,
      'left after cleanup': r.leftAfterCleanup,
      'page errors': r.pageErrors,
      failures: r.failures,
    }),
  ]
  console.log(`${sections.join('\n\n')}\n`)
}

async function main(): Promise<void> {
  const options = readOptions()
  const startedAt = new Date().toISOString()
  const began = performance.now()
  const mode = options.quick ? 'quick (BENCH_QUICK=1)' : 'full'
  const runs: RunResult[] = []
  for (let i = 1; i <= (options.only.has('B1') || options.only.has('B2') ? options.runs : 0); i++)
    runs.push(await runOnce(options, i, began))
  const bundles: AppSize[] = options.only.has('B3')
    ? await measureBundles((m) => process.stderr.write(`[bench:browser B3, ${stamp(began)}] ${m}\n`))
    : []
  const durationSeconds = Math.round((performance.now() - began) / 100) / 10

  const figures = combineFigures(runs.map((r) => r.figures))
  const targets = options.only.has('B1')
    ? combineTargets(
        runs.map((r) => r.targets),
        editTargets(figures, options.edit.sizes),
      )
    : []
  const failures = runs.flatMap((r) => r.failures.map((f) => `${r.run}: ${f}`))
  const environment = {
    revision: `${revision()}; the pages import the packages' TypeScript sources (Vite dev server)`,
    browser: runs[0]?.userAgent ?? 'not launched',
    engines: runs[0]?.engines ?? {},
    packages: Object.fromEntries(
      ['vite', 'playwright-core', 'zustand', 'idb-keyval', 'sql.js', '@sqlite.org/sqlite-wasm'].map((p) => [
        p,
        packageVersion(p),
      ]),
    ),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  }
  const runWord = runs.length === 1 ? '1 run' : `${runs.length} runs`
  const sections = [
    `zustand-sqlite browser bench, combined: ${runWord}, ${mode}, ${durationSeconds} s, seed ${options.seed}, started ${startedAt}`,
    ...(options.quick
      ? ["quick run: small sizes and few iterations, a smoke test of the harness, not the targets' conditions"]
      : []),
    formatKeyValues('Environment', environment),
    ['Runs', ...runs.map((r) => `  ${r.run}: started ${r.startedAt}, ${r.durationSeconds} s`)].join('\n'),
    ...(options.only.has('B1')
      ? [
          `B1  edit one message until durable, ms per edit (median of the runs' medians; p90: median of the runs' p90s; max: of all runs)\n${formatEdits(figures, options.edit.sizes)}`,
          `Targets (reported, not asserted; decided on the median of the runs' ratios, with at least 3 runs)\n${formatTargets(targets)}`,
        ]
      : []),
    ...(options.only.has('B2')
      ? [
          `B2  cold hydration of N messages, a new tab per sample, ms (medians over the runs as in B1)\n${formatHydrations(figures, options.hydration.sizes)}`,
        ]
      : []),
    ...(bundles.length > 0
      ? [`B3  bundle sizes of a tiny app per contender (Vite production build)\n${formatBundles(bundles)}`]
      : []),
    ...(failures.length > 0 ? [['Failures', ...failures.map((f) => `  ${f}`)].join('\n')] : []),
  ]

  const results = {
    startedAt,
    mode,
    durationSeconds,
    decided: runs.length >= 3,
    options: describeOptions(options, EDIT_CONTENDERS),
    environment,
    figures,
    targets,
    bundles,
    failures,
    runs,
  }
  // A full set (not quick, every part) goes beside the Node bench's results; anything else to .data/ only.
  const full = !options.quick && options.only.size === 3
  const files = full
    ? [`browser-${timestamp(startedAt)}.json`, 'browser-latest.json'].map((f) => join(repoRoot, 'bench', 'results', f))
    : [join(repoRoot, '.data', 'bench', `browser-results-${timestamp(startedAt)}.json`)]
  for (const file of files) writeJson(file, results)
  console.log(`${sections.join('\n\n')}\n\nresults: ${files.map((f) => relative(repoRoot, f)).join(', ')}`)
  if (failures.length > 0) process.exitCode = 1
}

await main()
