// The combine step of run.ts: from one run to the next a figure can move by more than its margin to the
// limit, so a check is decided on the median of its values over the runs of one invocation, and only
// when there are at least DECISION_RUNS of them. See bench/README.md.
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import type { Environment } from './environment'
import { result, table, withinLimits } from './report'
import type { RunResults } from './report'
import { formatCount, median } from './stats'

/** Fewer runs print their medians but decide nothing. */
export const DECISION_RUNS = 3

/** One check (target, contender, size, label) over all runs. */
export interface CombinedCheck {
  id: string
  contender: string
  size: string
  label: string
  target: string
  max?: number
  min?: number
  /** Per run, in run order; `null` where the run has no such check or no figure for it. */
  values: (number | null)[]
  /** Each run's own outcome; `null` where the run has no such check. */
  passes: (boolean | null)[]
  /** Median of `values`; `null` when no run has a figure. */
  median: number | null
  /**
   * With a limit: every run has a figure and their median is within the limit. Without one (an
   * exactness check): every run passed.
   */
  pass: boolean
}

/** One run as the combined results keep it: where and when, and its full results. */
export interface CombinedRun {
  run: string
  startedAt: string
  durationSeconds: number
  /** The commit measured, from the run's own environment. */
  revision: string
  file: string
  results: RunResults
}

export interface CombinedResults {
  startedAt: string
  mode: string
  durationSeconds: number
  /** At least DECISION_RUNS runs: the checks' `pass` is a decision. */
  decided: boolean
  options: Record<string, unknown>
  /** The first run's; each run's own is in `runs`. */
  environment: Environment
  /** Environment fields whose value is not the same in every run. */
  environmentDiffers: string[]
  checks: CombinedCheck[]
  summary: {
    decided: boolean
    lines: string[]
    passed: number
    total: number
    checks: { target: string; where: string; check: string; median: number | null; limit: string; pass: boolean }[]
  }
  runs: CombinedRun[]
}

const isFigure = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

const hasLimit = (check: Pick<CombinedCheck, 'max' | 'min'>): boolean =>
  check.max !== undefined || check.min !== undefined

/** As the tables print ratios (formatRatio without its x), counts with separators. */
function formatFigure(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return 'n/a'
  if (Number.isInteger(value) || Math.abs(value) >= 1000) return formatCount(value)
  return Math.abs(value) < 0.01 ? value.toPrecision(2) : value.toFixed(2)
}

function formatLimit(check: CombinedCheck): string {
  // A limit is written as the design states it (0.5, 1.5, 0.01), not rounded as a measured figure.
  const bound = (value: number): string => (value >= 1000 ? formatCount(value) : String(value))
  const bounds = [
    ...(check.min === undefined ? [] : [`>= ${bound(check.min)}`]),
    ...(check.max === undefined ? [] : [`<= ${bound(check.max)}`]),
  ]
  return bounds.length > 0 ? bounds.join(', ') : `every run: ${check.target}`
}

function combineChecks(runs: readonly RunResults[]): CombinedCheck[] {
  const checks = new Map<string, CombinedCheck>()
  runs.forEach((run, index) => {
    for (const target of run.targets) {
      for (const c of target.checks) {
        const key = JSON.stringify([target.id, c.contender, c.size, c.label])
        let combined = checks.get(key)
        if (combined === undefined) {
          combined = {
            id: target.id,
            contender: c.contender,
            size: c.size,
            label: c.label,
            target: c.target,
            ...(c.max === undefined ? {} : { max: c.max }),
            ...(c.min === undefined ? {} : { min: c.min }),
            values: runs.map(() => null),
            passes: runs.map(() => null),
            median: null,
            pass: false,
          }
          checks.set(key, combined)
        }
        combined.values[index] = isFigure(c.value) ? c.value : null
        combined.passes[index] = c.pass
      }
    }
  })
  for (const c of checks.values()) {
    const figures = c.values.filter(isFigure)
    c.median = figures.length > 0 ? median(figures) : null
    // A run without a figure fails the check: the median of the others must not outvote it.
    c.pass = hasLimit(c)
      ? c.median !== null && figures.length === runs.length && withinLimits(c.median, c)
      : c.passes.every((p) => p === true)
  }
  return [...checks.values()]
}

function differingFields(runs: readonly RunResults[]): string[] {
  const first = runs[0]?.environment
  if (first === undefined) return []
  return Object.keys(first).filter((key) =>
    runs.some(
      (r) =>
        JSON.stringify(r.environment[key as keyof Environment]) !== JSON.stringify(first[key as keyof Environment]),
    ),
  )
}

/** Why a combined check missed, in the words of the summary. */
function missedBecause(c: CombinedCheck): string {
  const runsWhere = (test: (i: number) => boolean): number[] => c.values.flatMap((_, i) => (test(i) ? [i + 1] : []))
  const absent = runsWhere((i) => c.passes[i] === null)
  const noFigure = runsWhere((i) => c.passes[i] !== null && c.values[i] === null)
  return [
    ...(absent.length > 0 ? [`absent from run ${absent.join(', ')}`] : []),
    ...(hasLimit(c)
      ? [
          ...(noFigure.length > 0 ? [`no figure in run ${noFigure.join(', ')}`] : []),
          `median ${formatFigure(c.median)}, limit ${formatLimit(c)}`,
        ]
      : [`missed in run ${runsWhere((i) => c.passes[i] === false).join(', ')}`]),
  ].join('; ')
}

function resultCell(check: CombinedCheck, decided: boolean): string {
  return decided ? result(check) : `undecided (${result(check)})`
}

/** Reads the runs' files, decides every check on its median over the runs, and formats the report. */
export function combineRuns(
  files: readonly string[],
  invocation: { repoRoot: string; startedAt: string; durationSeconds: number; full: boolean },
): { text: string; results: CombinedResults } {
  const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')) as RunResults)
  const first = runs[0]
  if (first === undefined) throw new Error('combineRuns: no runs')
  const decided = runs.length >= DECISION_RUNS
  const checks = combineChecks(runs)
  const environmentDiffers = differingFields(runs)
  const combinedRuns: CombinedRun[] = runs.map((r, i) => ({
    run: r.run,
    startedAt: r.startedAt,
    durationSeconds: r.durationSeconds,
    revision: r.environment.revision,
    file: relative(invocation.repoRoot, files[i] as string),
    results: r,
  }))

  const passed = checks.filter((c) => c.pass).length
  const missed = checks.filter((c) => !c.pass)
  const runsWord = runs.length === 1 ? '1 run' : `${runs.length} runs`
  const lines = decided
    ? [
        `${passed} of ${checks.length} checks passed, on the median of ${runsWord} (checks without a limit: in every run)`,
        ...missed.map((c) => `MISSED: ${c.id} ${c.contender} ${c.size} ${c.label}: ${missedBecause(c)}`),
      ]
    : [
        `fewer than ${DECISION_RUNS} runs: not a decision`,
        `on the median of ${runsWord}, ${passed} of ${checks.length} checks are within their limits (checks without a limit: in every run)`,
      ]

  const runHeaders = runs.map((_, i) => `run ${i + 1}`)
  const rows = checks.map((c) => [
    c.id,
    `${c.contender} ${c.size}`,
    c.label,
    ...c.values.map((v, i) =>
      c.passes[i] === null ? 'absent' : `${formatFigure(v)}${c.passes[i] === false ? ' (missed)' : ''}`,
    ),
    formatFigure(c.median),
    formatLimit(c),
    resultCell(c, decided),
  ])
  const only = invocation.full ? '' : `, targets ${(first.options['only'] as string[]).join(',')}`
  const text = [
    `zustand-sqlite benchmarks, combined: ${runsWord}, ${first.mode}${only}, ${invocation.durationSeconds} s, started ${invocation.startedAt}`,
    [
      'Runs',
      ...combinedRuns.map(
        (r) => `  ${r.run}: started ${r.startedAt}, ${r.durationSeconds} s, commit ${r.revision}, ${r.file}`,
      ),
      ...(environmentDiffers.length > 0
        ? [`  the runs' environments differ in: ${environmentDiffers.join(', ')} (each run's is in its file)`]
        : []),
    ].join('\n'),
    [
      'Checks over the runs ("(missed)" after a value: that run missed the check on its own figure)',
      table(['target', 'where', 'check', ...runHeaders, 'median', 'limit', 'result'], rows),
    ].join('\n'),
    ['Combined summary', ...lines.map((l) => `  ${l}`)].join('\n'),
  ].join('\n\n')

  return {
    text,
    results: {
      startedAt: invocation.startedAt,
      mode: first.mode,
      durationSeconds: invocation.durationSeconds,
      decided,
      options: first.options,
      environment: first.environment,
      environmentDiffers,
      checks,
      summary: {
        decided,
        lines,
        passed,
        total: checks.length,
        checks: checks.map((c) => ({
          target: c.id,
          where: `${c.contender} ${c.size}`,
          check: c.label,
          median: c.median,
          limit: formatLimit(c),
          pass: c.pass,
        })),
      },
      runs: combinedRuns,
    },
  }
}
