import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Environment } from './environment'
import type { BenchOptions } from './options'
import { formatCount, formatKiB, formatMs, formatUs } from './stats'

export type Unit = 'ms' | 'µs' | 'KiB' | 'exports'

/** One contender's figure at one size. */
export interface Measurement {
  contender: string
  /** N, k or batch size, as printed. */
  size: string
  unit: Unit
  median: number
  p90?: number
  samples: number
  /** Anything else worth keeping in the JSON results (round medians, derived rates). */
  extra?: Record<string, unknown>
}

/** A target of DESIGN.md checked against measured figures. */
export interface Check {
  /** The row of the table the check belongs to. */
  contender: string
  size: string
  label: string
  value: number
  /** The value with the absolute figures it is computed from. */
  detail: string
  target: string
  /** The bound `value` must not exceed, for a check against a numeric limit. */
  max?: number
  /** The bound `value` must reach, for a check against a numeric limit. */
  min?: number
  /**
   * This run's outcome. A check without `max` or `min` checks exactness (commits per set, byte for byte):
   * the runs of an invocation are combined by requiring it in every run, not by a median.
   */
  pass: boolean
}

export interface TargetResult {
  id: string
  title: string
  target: string
  measurements: Measurement[]
  checks: Check[]
  notes: string[]
}

/**
 * What one run of main.ts writes and the combine step reads. In the file, a figure that is not a
 * number (NaN, a contender that could not be measured) is `null`, as JSON has no NaN.
 */
export interface RunResults {
  /** `run 2 of 3`, as run.ts numbered it. */
  run: string
  startedAt: string
  mode: string
  durationSeconds: number
  options: Record<string, unknown>
  environment: Environment
  targets: TargetResult[]
  facts: Record<string, unknown>
  summary: { target: string; where: string; check: string; pass: boolean }[]
}

/** Whether `value` is within the limits; a value that is not a number (not measured) never is. */
export function withinLimits(value: number, limits: Pick<Check, 'max' | 'min'>): boolean {
  return (limits.max === undefined || value <= limits.max) && (limits.min === undefined || value >= limits.min)
}

/** A check against a numeric limit; its `pass` is `value` compared with the limit, so the two cannot disagree. */
export function limitCheck(check: Omit<Check, 'pass'> & ({ max: number } | { min: number })): Check {
  return { ...check, pass: withinLimits(check.value, check) }
}

function formatValue(value: number, unit: Unit): string {
  if (unit === 'ms') return formatMs(value)
  if (unit === 'µs') return formatUs(value)
  if (unit === 'KiB') return formatKiB(value)
  return formatCount(value)
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd()
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

export const result = (check: Pick<Check, 'pass'>): string => (check.pass ? 'PASS' : 'MISSED')

/** The table of one target: a row per measurement, its checks beside it. */
export function formatTarget(target: TargetResult): string {
  const rows: string[][] = []
  const placed = new Set<Check>()
  const checkCells = (c: Check): string[] => [c.label, c.detail, c.target, result(c)]
  for (const m of target.measurements) {
    const checks = target.checks.filter((c) => c.contender === m.contender && c.size === m.size)
    const base = [
      m.contender,
      m.size,
      formatValue(m.median, m.unit),
      m.p90 === undefined ? '' : formatValue(m.p90, m.unit),
      String(m.samples),
    ]
    rows.push([...base, ...(checks[0] === undefined ? ['', '', '', ''] : checkCells(checks[0]))])
    for (const c of checks.slice(1)) rows.push(['', '', '', '', '', ...checkCells(c)])
    checks.forEach((c) => placed.add(c))
  }
  for (const c of target.checks) if (!placed.has(c)) rows.push([c.contender, c.size, '', '', '', ...checkCells(c)])
  const header = ['contender', 'N/k', 'median', 'p90', 'n', 'check', 'value (absolute medians)', 'target', 'result']
  const notes = target.notes.map((n) => `  note: ${n}`)
  return [`${target.id}  ${target.title}  [target: ${target.target}]`, table(header, rows), ...notes].join('\n')
}

export function formatSummary(targets: readonly TargetResult[], title = 'Summary'): string {
  const rows = targets.flatMap((t) =>
    t.checks.map((c) => [t.id, `${c.contender} ${c.size}`, c.label, c.target, result(c)]),
  )
  const passed = targets.flatMap((t) => t.checks).filter((c) => c.pass).length
  const total = targets.reduce((n, t) => n + t.checks.length, 0)
  return [
    title,
    table(['target', 'where', 'check', 'target', 'result'], rows),
    `${passed} of ${total} checks passed`,
  ].join('\n')
}

/** `key: value` lines; an object value gets its own indented lines, one per key. */
export function formatKeyValues(title: string, values: Record<string, unknown>): string {
  const scalar = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))
  const lines = Object.entries(values).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? [`  ${k}:`, ...Object.entries(v).map(([k2, v2]) => `    ${k2}: ${scalar(v2)}`)]
      : [`  ${k}: ${scalar(v)}`],
  )
  return [title, ...lines].join('\n')
}

/** `2026-11-25T11:03:21.512Z` -> `2026-11-25T11-03-21Z`, for file names. */
export function timestamp(isoDate: string): string {
  return isoDate.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')
}

/** Writes pretty-printed JSON, creating the directory. */
export function writeJson(file: string, value: unknown): void {
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)
}

/**
 * Writes the combined results: a full set of runs to `bench/results/<timestamp>.json` and
 * `bench/results/latest.json` (meant to be committed); a quick or partial set to `.data/bench/` only,
 * so a smoke run never replaces the figures of a full one. latest.json holds the figures on the
 * backend's default, synchronous=NORMAL: a set run with synchronous=FULL goes to
 * `bench/results/full-sync-<timestamp>.json` (`.data/bench/results-full-sync-<timestamp>.json` when
 * quick or partial), beside them, never in their place.
 */
export function writeResults(
  repoRoot: string,
  results: { startedAt: string },
  set: { full: boolean; synchronous: BenchOptions['synchronous'] },
): string[] {
  const stamp = timestamp(results.startedAt)
  const committed = join(repoRoot, 'bench', 'results')
  const files = !set.full
    ? [join(repoRoot, '.data', 'bench', `results-${set.synchronous === 'FULL' ? 'full-sync-' : ''}${stamp}.json`)]
    : set.synchronous === 'FULL'
      ? [join(committed, `full-sync-${stamp}.json`)]
      : [join(committed, `${stamp}.json`), join(committed, 'latest.json')]
  for (const file of files) writeJson(file, results)
  return files
}
