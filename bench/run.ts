// Entry of `npm run bench`. The root tsconfig maps the workspace packages to their TypeScript
// sources (`paths`), and tsx applies that mapping: the bench would measure the sources as tsx
// transpiles them, not the built dist users install. So this entry runs the bench (bench/main.ts)
// in child processes whose tsx reads bench/tsconfig.dist.json, which has no `paths`: BENCH_RUNS runs,
// one after the other, each in a fresh process, then combines them (combine.ts), because a figure can
// move from one run to the next by more than its margin to the limit.
import { spawnSync } from 'node:child_process'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { combineRuns } from './combine'
import { isFullRun, readOptions, readRuns } from './options'
import { timestamp, writeResults } from './report'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '..')
// Read here too, so that a wrong BENCH_* value stops the bench before the first run.
const options = readOptions()
const full = isFullRun(options)
const count = readRuns()
const startedAt = new Date().toISOString()
const began = performance.now()
const runsDir = join(repoRoot, '.data', 'bench', `runs-${timestamp(startedAt)}`)

const files: string[] = []
for (let i = 1; i <= count; i++) {
  const run = `run ${i} of ${count}`
  const file = join(runsDir, `run-${i}.json`)
  process.stderr.write(`[bench] ${run}, results to ${relative(repoRoot, file)}\n`)
  // S1 and P1 hold 1M messages per contender at their largest size (S1's JSON contender a 250 MB string and its
  // copies too): more heap than Node's default limit of about 4 GiB.
  const heap = process.execArgv.some((a) => a.startsWith('--max-old-space-size')) ? [] : ['--max-old-space-size=16384']
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, ...heap, join(here, 'main.ts'), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(here, 'tsconfig.dist.json'),
        BENCH_RUN_FILE: file,
        BENCH_RUN_LABEL: run,
      },
    },
  )
  if (child.status !== 0) {
    const why = child.error?.message ?? (child.signal === null ? `exit code ${child.status}` : child.signal)
    const kept = i > 1 ? `; runs 1 to ${i - 1} are in ${relative(repoRoot, runsDir)}` : ''
    console.error(`[bench] ${run} failed (${why}), nothing combined${kept}`)
    process.exit(child.status ?? 1)
  }
  files.push(file)
}

const durationSeconds = Math.round((performance.now() - began) / 100) / 10
const { text, results } = combineRuns(files, { repoRoot, startedAt, durationSeconds, full })
const written = writeResults(repoRoot, results, { full, synchronous: options.synchronous })
console.log(`\n${text}\n\ncombined results: ${written.map((f) => relative(repoRoot, f)).join(', ')}`)
