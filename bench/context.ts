import type { BenchOptions } from './options'

/** What every target gets: the options, a temporary directory, and a place for facts found along the way. */
export interface BenchContext {
  readonly options: BenchOptions
  /** Temporary directory for database files; removed at the end of the run. */
  readonly dir: string
  readonly repoRoot: string
  /** Storage sizes and verifications, kept in the results file. */
  readonly facts: Record<string, unknown>
  /** A progress line on stderr (the report goes to stdout). */
  progress(message: string): void
}
