// Run settings. The full run is sized to finish in a few minutes on a 2-core machine; BENCH_QUICK=1
// is a smoke run (N up to 10k, few iterations) that checks the harness end to end in seconds.
// S1 counts conversations (of 10 messages each), not messages. M1 loads 1M events for its queries
// (50k in a quick run). W1 builds a workspace of 10k files / 500 MB (1k files / 50 MB in a quick run)
// and round-trips a 50 MB file (5 MB).

import type { FirstScreenOptions } from './targets/firstScreen'
import type { FlatOptions } from './targets/flat'
import { PEERS_FULL, PEERS_QUICK } from './targets/peers'
import type { PeersOptions } from './targets/peers'

export const TARGET_IDS = ['T1', 'T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'T8', 'S1', 'M1', 'W1', 'F1', 'P1', 'F2'] as const
export type TargetId = (typeof TARGET_IDS)[number]

export interface BenchOptions {
  quick: boolean
  /**
   * The `synchronous` pragma of every better-sqlite3 connection the bench opens for LIB and RAW
   * (BENCH_SYNCHRONOUS). NORMAL, the backend's default, makes a commit survive a crash of the process;
   * FULL syncs the WAL at every commit, so that it survives a power loss too.
   */
  synchronous: 'NORMAL' | 'FULL'
  /** Targets to run (BENCH_ONLY=T1,T5); all by default. */
  only: ReadonlySet<TargetId>
  seed: number
  /** N (messages) for T1-T3; the largest is also used by T2, T5 and T8. */
  sizes: readonly number[]
  edit: {
    rounds: number
    warmup: number
    perRound: number
    /** JSON rewrites the whole state per set: fewer iterations, by N. */
    jsonPerRound: (n: number) => number
  }
  batch: { n: number; ks: readonly number[]; rounds: number; warmup: number; perRound: number }
  /** T5: rounds in this process, and fresh child processes per contender (cold hydration). */
  hydration: { rounds: number; coldRuns: number }
  exports: { n: number; sets: number; intervalMs: number; rounds: number }
  metrics: { batches: readonly number[]; rounds: number; warmupSets: number; setsPerRound: (batch: number) => number }
  memory: { runs: number }
  /** S1: conversations (10 messages each) and tokens streamed per round. */
  streaming: {
    conversations: readonly number[]
    rounds: number
    /**
     * Tokens streamed before the rounds, and per round, by conversations: the same for every contender (JSON
     * included, whose tokens each stringify the whole state: fewer tokens for all at the largest sizes).
     */
    warmup: (conversations: number) => number
    tokensPerRound: (conversations: number) => number
    /** Also measure LIB on sql.js (in memory). */
    sqlJs: boolean
  }
  /** M1: record() batches as T7's, then the query dataset's size (events) and timed runs per query. */
  metricsStore: {
    batches: readonly number[]
    rounds: number
    warmupSets: number
    setsPerRound: (batch: number) => number
    events: number
    queryRuns: number
  }
  /**
   * W1: the workspace store. A tree of `topFolders` folders with `subfoldersPerTop` subfolders each, `files`
   * files of `fileBytes` bytes spread evenly over all folders (half text, half binary), written through the
   * store `batch` files per flush; `hydrationRuns` fresh child processes per database (content and control);
   * a file of `bigFileBytes` written and read back `bigFileRuns` times per kind (binary, text); each folder
   * operation `operationRuns` times per database.
   */
  /** F1: one change at any size (messages, in N/10 conversations). */
  flat: FlatOptions
  /** P1: against TinyBase, at the same sizes. */
  peers: PeersOptions
  /** F2: the first screen (the conversation list) in fresh processes, three ways, at each size, in two shapes. */
  firstScreen: FirstScreenOptions
  workspace: {
    files: number
    fileBytes: number
    topFolders: number
    subfoldersPerTop: number
    batch: number
    hydrationRuns: number
    bigFileBytes: number
    bigFileRuns: number
    operationRuns: number
  }
}

function parseOnly(value: string | undefined): ReadonlySet<TargetId> {
  if (value === undefined || value.trim() === '') return new Set(TARGET_IDS)
  const ids = value.split(',').map((s) => s.trim().toUpperCase())
  const unknown = ids.filter((id) => !(TARGET_IDS as readonly string[]).includes(id))
  if (unknown.length > 0)
    throw new Error(`BENCH_ONLY: unknown target(s) ${unknown.join(', ')}; use ${TARGET_IDS.join(',')}`)
  return new Set(ids as TargetId[])
}

export function readOptions(env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const quick = env['BENCH_QUICK'] === '1' || env['BENCH_QUICK'] === 'true'
  const seed = Number(env['BENCH_SEED'] ?? 20240601)
  if (!Number.isInteger(seed)) throw new Error('BENCH_SEED must be an integer')
  const only = parseOnly(env['BENCH_ONLY'])
  const synchronous = (env['BENCH_SYNCHRONOUS'] ?? '').trim().toUpperCase() || 'NORMAL'
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL')
    throw new Error(`BENCH_SYNCHRONOUS must be NORMAL or FULL, not ${synchronous}`)
  if (quick) {
    return {
      quick,
      synchronous,
      only,
      seed,
      sizes: [1_000, 10_000],
      edit: { rounds: 3, warmup: 10, perRound: 20, jsonPerRound: (n) => (n >= 10_000 ? 2 : 5) },
      batch: { n: 10_000, ks: [1, 10, 100], rounds: 3, warmup: 5, perRound: 15 },
      hydration: { rounds: 3, coldRuns: 2 },
      exports: { n: 10_000, sets: 100, intervalMs: 10, rounds: 1 },
      metrics: { batches: [1, 10, 100], rounds: 3, warmupSets: 20, setsPerRound: (b) => Math.max(20, 1_000 / b) },
      memory: { runs: 1 },
      streaming: {
        conversations: [100, 1_000],
        rounds: 3,
        warmup: () => 5,
        tokensPerRound: (c) => (c >= 1_000 ? 10 : 30),
        sqlJs: true,
      },
      metricsStore: {
        batches: [1, 10, 100],
        rounds: 3,
        warmupSets: 20,
        setsPerRound: (b) => Math.max(20, 1_000 / b),
        events: 50_000,
        queryRuns: 5,
      },
      flat: { sizes: [1_000, 10_000], rounds: 3, warmup: 5, perRound: 10 },
      peers: PEERS_QUICK,
      firstScreen: {
        sizes: [1_000, 10_000],
        targetSize: 10_000,
        shapes: [
          { perConversation: 10, coldRuns: 2 },
          { perConversation: 100, coldRuns: 2 },
        ],
      },
      workspace: {
        files: 1_000,
        fileBytes: 50_000,
        topFolders: 5,
        subfoldersPerTop: 1,
        batch: 500,
        hydrationRuns: 3,
        bigFileBytes: 5_000_000,
        bigFileRuns: 3,
        operationRuns: 3,
      },
    }
  }
  return {
    quick,
    synchronous,
    only,
    seed,
    sizes: [1_000, 10_000, 100_000],
    edit: { rounds: 9, warmup: 30, perRound: 60, jsonPerRound: (n) => (n >= 100_000 ? 3 : n >= 10_000 ? 8 : 30) },
    batch: { n: 10_000, ks: [1, 10, 100], rounds: 7, warmup: 20, perRound: 50 },
    hydration: { rounds: 11, coldRuns: 7 },
    exports: { n: 10_000, sets: 100, intervalMs: 10, rounds: 5 },
    metrics: {
      batches: [1, 10, 100],
      rounds: 5,
      warmupSets: 100,
      setsPerRound: (b) => Math.max(200, Math.min(2_000, 20_000 / b)),
    },
    memory: { runs: 5 },
    streaming: {
      conversations: [1_000, 10_000, 100_000],
      rounds: 9,
      warmup: (c) => (c >= 100_000 ? 3 : c >= 10_000 ? 10 : 50),
      tokensPerRound: (c) => (c >= 100_000 ? 12 : c >= 10_000 ? 30 : 100),
      sqlJs: true,
    },
    metricsStore: {
      batches: [1, 10, 100],
      rounds: 5,
      warmupSets: 100,
      setsPerRound: (b) => Math.max(200, Math.min(2_000, 20_000 / b)),
      events: 1_000_000,
      queryRuns: 5,
    },
    flat: { sizes: [1_000, 10_000, 100_000, 1_000_000], rounds: 7, warmup: 20, perRound: 40 },
    peers: PEERS_FULL,
    firstScreen: {
      sizes: [10_000, 100_000, 1_000_000],
      targetSize: 100_000,
      // The issue's shape (T5's) first. Both shapes take F2 to about 3.5 minutes a run; were it more than ~4, the
      // second could go down to 5 processes.
      shapes: [
        { perConversation: 10, coldRuns: 7 },
        { perConversation: 100, coldRuns: 7 },
      ],
    },
    workspace: {
      files: 10_000,
      fileBytes: 50_000,
      topFolders: 10,
      subfoldersPerTop: 9,
      batch: 500,
      hydrationRuns: 7,
      bigFileBytes: 50_000_000,
      bigFileRuns: 5,
      operationRuns: 5,
    },
  }
}

/** Every target at full sizes and iterations: only such runs are combined into bench/results/. */
export function isFullRun(options: BenchOptions): boolean {
  return !options.quick && options.only.size === TARGET_IDS.length
}

/**
 * How many times run.ts runs the bench (BENCH_RUNS): 3 by default, so that every target is decided on
 * a median of three; 1 for a quick run, a smoke test that does not measure the targets' conditions.
 */
export function readRuns(env: NodeJS.ProcessEnv = process.env): number {
  const value = env['BENCH_RUNS']
  if (value === undefined || value.trim() === '') return readOptions(env).quick ? 1 : 3
  const runs = Number(value)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`BENCH_RUNS must be an integer >= 1, not ${value}`)
  return runs
}

/** The options as plain data, for the results file. */
export function describeOptions(options: BenchOptions): Record<string, unknown> {
  return {
    ...options,
    only: [...options.only],
    edit: {
      ...options.edit,
      jsonPerRound: Object.fromEntries(options.sizes.map((n) => [n, options.edit.jsonPerRound(n)])),
    },
    metrics: {
      ...options.metrics,
      setsPerRound: Object.fromEntries(options.metrics.batches.map((b) => [b, options.metrics.setsPerRound(b)])),
    },
    metricsStore: {
      ...options.metricsStore,
      setsPerRound: Object.fromEntries(
        options.metricsStore.batches.map((b) => [b, options.metricsStore.setsPerRound(b)]),
      ),
    },
    streaming: {
      ...options.streaming,
      warmup: Object.fromEntries(options.streaming.conversations.map((c) => [c, options.streaming.warmup(c)])),
      tokensPerRound: Object.fromEntries(
        options.streaming.conversations.map((c) => [c, options.streaming.tokensPerRound(c)]),
      ),
    },
  }
}
