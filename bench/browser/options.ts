// Settings of the browser bench. A full run is sized to take a few minutes on a 2-core machine; BENCH_QUICK=1
// is a smoke run (small sizes, few iterations) that checks the harness end to end.
import type { ContenderId } from './pages/bench'

export const PARTS = ['B1', 'B2', 'B3'] as const
export type Part = (typeof PARTS)[number]

export interface BrowserBenchOptions {
  quick: boolean
  /** Parts to run (BENCH_ONLY=B1,B3); all by default. */
  only: ReadonlySet<Part>
  seed: number
  /** Runs, each in a fresh browser on a fresh profile (BENCH_RUNS). */
  runs: number
  edit: {
    /** Messages (N/10 conversations of 10 messages). */
    sizes: readonly number[]
    rounds: number
    /** Untimed edits per contender before the first round. */
    warmup: (contender: ContenderId, n: number) => number
    /** Timed edits per contender per round; Zustand's persist rewrites the whole state per edit, so fewer. */
    perRound: (contender: ContenderId, n: number) => number
  }
  hydration: {
    sizes: readonly number[]
    /** Cold hydrations per contender and size in each run, each in a new tab. */
    samples: number
  }
}

function parseOnly(value: string | undefined): ReadonlySet<Part> {
  if (value === undefined || value.trim() === '') return new Set(PARTS)
  const parts = value.split(',').map((s) => s.trim().toUpperCase())
  const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p))
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')}; use ${PARTS.join(',')}`)
  return new Set(parts as Part[])
}

function parseRuns(value: string | undefined, quick: boolean): number {
  if (value === undefined || value.trim() === '') return quick ? 1 : 3
  const runs = Number(value)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be an integer >= 1, not ${value}`)
  return runs
}

/** Edits of persist + idb-keyval per round, by N: each one stringifies and stores the whole state. */
function persistEdits(n: number, quick: boolean): number {
  if (quick) return n >= 5_000 ? 5 : 10
  return n >= 100_000 ? 3 : n >= 10_000 ? 10 : n >= 5_000 ? 20 : 30
}

export function readOptions(env: NodeJS.ProcessEnv = process.env): BrowserBenchOptions {
  const quick = env['BENCH_QUICK'] === '1' || env['BENCH_QUICK'] === 'true'
  const seed = Number(env['BENCH_SEED'] ?? 20240601)
  if (!Number.isInteger(seed)) throw new Error('BENCH_SEED must be an integer')
  const common = { quick, only: parseOnly(env['BENCH_ONLY']), seed, runs: parseRuns(env['BENCH_RUNS'], quick) }
  if (quick) {
    return {
      ...common,
      edit: {
        sizes: [1_000, 5_000],
        rounds: 3,
        warmup: (c) => (c === 'persist-idb' ? 2 : 5),
        perRound: (c, n) => (c === 'persist-idb' ? persistEdits(n, true) : 10),
      },
      hydration: { sizes: [10_000], samples: 2 },
    }
  }
  return {
    ...common,
    edit: {
      sizes: [1_000, 5_000, 10_000, 100_000],
      rounds: 7,
      warmup: (c, n) => (c === 'persist-idb' ? (n >= 10_000 ? 2 : 5) : 10),
      perRound: (c, n) => (c === 'persist-idb' ? persistEdits(n, false) : 30),
    },
    hydration: { sizes: [10_000, 100_000], samples: 5 },
  }
}

/** The options as plain data, for the results file. */
export function describeOptions(
  options: BrowserBenchOptions,
  contenders: readonly ContenderId[],
): Record<string, unknown> {
  const perSize = (f: (c: ContenderId, n: number) => number) =>
    Object.fromEntries(contenders.map((c) => [c, Object.fromEntries(options.edit.sizes.map((n) => [n, f(c, n)]))]))
  return {
    ...options,
    only: [...options.only],
    edit: { ...options.edit, warmup: perSize(options.edit.warmup), perRound: perSize(options.edit.perRound) },
  }
}
