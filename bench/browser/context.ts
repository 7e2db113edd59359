import type { Page } from 'playwright-core'
import type { BenchBrowser } from './harness'
import type { BrowserBenchOptions } from './options'
import type { ContenderId } from './pages/bench'

/** One contender's summary at one size: medians and spread of its samples in one run. */
export interface Figure {
  part: 'B1' | 'B2'
  contender: ContenderId
  /** Messages in the dataset. */
  n: number
  /** `edit` (B1); `total`, `backend`, `hydrate`, `engine` (B2). */
  metric: string
  median: number
  p90: number
  max: number
  samples: number
  /** B1: the median of each round, to show the spread between rounds. */
  roundMedians?: number[]
}

/** What a part of one run gets: the browser, the options, and places for progress and facts. */
export interface RunContext {
  readonly browser: BenchBrowser
  readonly options: BrowserBenchOptions
  /** Unique to the run: every dataset's name starts with it. */
  readonly runId: string
  /** Datasets written so far and not removed, as `contender` and name. */
  readonly datasets: Map<string, ContenderId>
  /** Setup figures and verifications, kept in the results file. */
  readonly facts: Record<string, unknown>
  /** Verifications that failed: the run is reported, and the bench exits with an error. */
  readonly failures: string[]
  progress(message: string): void
}

/** How contenders are named in the report. */
export const CONTENDER_LABELS: Record<ContenderId, string> = {
  'sqlite-wasm': 'persistSQLite, sqlite-wasm (OPFS)',
  sqljs: 'persistSQLite, sql.js (IndexedDB)',
  'persist-idb': 'persist + idb-keyval',
  none: 'NONE (no persistence)',
}

/** The dataset of a contender at a size, unique to the run. */
export const datasetName = (ctx: RunContext, contender: ContenderId, n: number): string =>
  `zs-bench-${ctx.runId}-${contender}-${n}`

/** A page call that never settles (a hydration that never finishes) fails the run instead of hanging it. */
const CALL_TIMEOUT_MS = 10 * 60_000

/** `work` (a page call), or a rejection naming `what` after CALL_TIMEOUT_MS. */
export async function bounded<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took over ${CALL_TIMEOUT_MS / 60_000} min`)), CALL_TIMEOUT_MS)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A new tab on the bench page, once its modules are loaded. */
export async function openBenchPage(ctx: RunContext): Promise<Page> {
  const page = await ctx.browser.open('bench.html')
  await page.waitForFunction(() => window.bench !== undefined)
  return page
}
