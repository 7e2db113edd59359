// Tables, targets and the combination of runs. A run's figure is made of the medians (and p90) of that run's
// samples; over the runs, each figure is the median of the runs' values, and each target is decided on the
// median of the runs' values of its ratio, as bench/combine.ts decides the Node bench's.
import { table } from '../report'
import { formatBytes, formatMs, formatRatio, median, sizeLabel } from '../stats'
import type { AppSize } from './bundle'
import { APP_LABELS } from './bundle'
import { CONTENDER_LABELS } from './context'
import type { Figure } from './context'
import type { ContenderId } from './pages/bench'

/** Fewer runs print their medians but decide nothing. */
export const DECISION_RUNS = 3

/** A figure over the runs: the median of the runs' medians and of their p90s, the largest sample of any run. */
export interface CombinedFigure extends Figure {
  /** Each run's median, in run order (`null` where a run has no such figure). */
  runMedians: (number | null)[]
}

/** A target of the brief, on one run's figures or on the figures combined over the runs. */
export interface TargetValue {
  id: string
  label: string
  value: number
  /** The ratio with the absolute medians it is made of. */
  detail: string
  limit: string
  max: number
  /** The ratio must be below `max`, not only at most. */
  strict: boolean
  pass: boolean
}

/** A target over the runs. */
export interface CombinedTarget extends TargetValue {
  /** Each run's value of the ratio; `value` is their median. */
  values: (number | null)[]
  decided: boolean
}

const keyOf = (f: Pick<Figure, 'part' | 'contender' | 'n' | 'metric'>): string =>
  `${f.part}|${f.contender}|${f.n}|${f.metric}`

function find(figures: readonly Figure[], part: Figure['part'], contender: ContenderId, n: number, metric: string) {
  return figures.find((f) => keyOf(f) === keyOf({ part, contender, n, metric }))
}

const medianOf = (figures: readonly Figure[], part: Figure['part'], c: ContenderId, n: number, metric: string) =>
  find(figures, part, c, n, metric)?.median ?? Number.NaN

/** `0.45x`; below 1/10, as a fraction (`1/52`), as the limits are written. */
export function formatShare(ratio: number): string {
  return Number.isFinite(ratio) && ratio > 0 && ratio < 0.1 ? `1/${Math.round(1 / ratio)}` : formatRatio(ratio)
}

/**
 * A page's clock ticks in 0.1 ms steps (Chromium coarsens `performance.now()` where the page is not
 * cross-origin isolated): a median of 0 is an edit that took less than one step.
 */
export function formatTime(value: number): string {
  // The clock's steps are not exact in binary (0.09999… ms): rounded to the microsecond before printing.
  const rounded = Math.round(value * 1000) / 1000
  return rounded === 0 ? '< 0.1 ms' : formatMs(rounded)
}

/** `0.45x (2.41 ms / 5.30 ms)`: a ratio with the absolute medians it is made of. */
export function ratioDetail(a: number, b: number): string {
  return `${formatShare(a / b)} (${formatTime(a)} / ${formatTime(b)})`
}

function target(
  id: string,
  label: string,
  a: number,
  b: number,
  limit: { text: string; max: number; strict?: boolean },
): TargetValue {
  const value = a / b
  const strict = limit.strict ?? false
  const pass = Number.isFinite(value) && (strict ? value < limit.max : value <= limit.max)
  return { id, label, value, detail: ratioDetail(a, b), limit: limit.text, max: limit.max, strict, pass }
}

/**
 * The brief's targets for B1, on the sizes measured: sqlite-wasm grows at most 1.5x from the smallest N to the
 * largest; costs at most 1/20 of persist + idb-keyval at the largest; is faster than it at 5k.
 */
export function editTargets(figures: readonly Figure[], sizes: readonly number[]): TargetValue[] {
  const smallest = sizes[0]
  const largest = sizes[sizes.length - 1]
  if (smallest === undefined || largest === undefined) return []
  const t = (c: ContenderId, n: number): number => medianOf(figures, 'B1', c, n, 'edit')
  const targets = [
    target(
      'B1',
      `sqlite-wasm t(${sizeLabel(largest)})/t(${sizeLabel(smallest)})`,
      t('sqlite-wasm', largest),
      t('sqlite-wasm', smallest),
      {
        text: '<= 1.5',
        max: 1.5,
      },
    ),
    target(
      'B1',
      `sqlite-wasm / persist+idb-keyval at ${sizeLabel(largest)}`,
      t('sqlite-wasm', largest),
      t('persist-idb', largest),
      { text: '<= 1/20', max: 1 / 20 },
    ),
  ]
  if (sizes.includes(5_000)) {
    targets.push(
      target('B1', 'sqlite-wasm / persist+idb-keyval at 5k', t('sqlite-wasm', 5_000), t('persist-idb', 5_000), {
        text: '< 1 (faster)',
        max: 1,
        strict: true,
      }),
    )
  }
  return targets
}

/** Figures over the runs. */
export function combineFigures(runs: readonly (readonly Figure[])[]): CombinedFigure[] {
  const keys = new Map<string, Figure>()
  for (const figures of runs) for (const f of figures) if (!keys.has(keyOf(f))) keys.set(keyOf(f), f)
  return [...keys.entries()].map(([key, first]) => {
    const perRun = runs.map((figures) => figures.find((f) => keyOf(f) === key))
    const present = perRun.filter((f): f is Figure => f !== undefined)
    return {
      part: first.part,
      contender: first.contender,
      n: first.n,
      metric: first.metric,
      median: median(present.map((f) => f.median)),
      p90: median(present.map((f) => f.p90)),
      max: Math.max(...present.map((f) => f.max)),
      samples: median(present.map((f) => f.samples)),
      runMedians: perRun.map((f) => f?.median ?? null),
    }
  })
}

/** Targets over the runs: each decided on the median of the runs' values of its ratio. */
export function combineTargets(
  perRun: readonly (readonly TargetValue[])[],
  onCombined: readonly TargetValue[],
): CombinedTarget[] {
  const decided = perRun.length >= DECISION_RUNS
  return onCombined.map((combined) => {
    const values = perRun.map((run) => {
      const value = run.find((t) => t.label === combined.label && t.limit === combined.limit)?.value
      return value === undefined || !Number.isFinite(value) ? null : value
    })
    const figures = values.filter((v): v is number => v !== null)
    const value = figures.length === perRun.length ? median(figures) : Number.NaN
    const pass = Number.isFinite(value) && (combined.strict ? value < combined.max : value <= combined.max)
    return { ...combined, value, values, pass, decided }
  })
}

const ms = (value: number | null): string => (value === null ? 'absent' : formatTime(value))

/** B1: a row per N and contender, with its ratio to persist + idb-keyval at the same N. */
export function formatEdits(figures: readonly CombinedFigure[] | readonly Figure[], sizes: readonly number[]): string {
  const rows: string[][] = []
  for (const n of sizes) {
    const base = medianOf(figures, 'B1', 'persist-idb', n, 'edit')
    for (const f of figures.filter((x) => x.part === 'B1' && x.n === n)) {
      const runs = 'runMedians' in f ? (f as CombinedFigure).runMedians.map(ms).join(' / ') : ''
      rows.push([
        CONTENDER_LABELS[f.contender],
        sizeLabel(n),
        formatTime(f.median),
        formatTime(f.p90),
        formatTime(f.max),
        String(f.samples),
        ...(runs === '' ? [] : [runs]),
        // NONE's update alone is below the page's timer resolution (0.1 ms): no ratio to make of it.
        f.contender === 'persist-idb' || f.contender === 'none' ? '' : ratioDetail(f.median, base),
      ])
    }
  }
  const combined = figures.some((f) => 'runMedians' in f)
  return table(
    [
      'contender',
      'N',
      'median',
      'p90',
      'max',
      combined ? 'n per run' : 'n',
      ...(combined ? ["runs' medians"] : []),
      'vs persist + idb-keyval (medians)',
    ],
    rows,
  )
}

const HYDRATION_METRICS: Record<string, string> = {
  total: 'total: backend + hydrate',
  backend: 'backend created, storage opened',
  engine: '  of which sql.js wasm loaded',
  hydrate: 'store created until hydrated',
}

/** The parts of a cold start compared with persist + idb-keyval's (opening a connection is not comparable). */
const COMPARED = new Set(['total', 'hydrate'])

/** B2: per N and contender, a row per part of the cold start, with its ratio to persist + idb-keyval. */
export function formatHydrations(
  figures: readonly CombinedFigure[] | readonly Figure[],
  sizes: readonly number[],
): string {
  const rows: string[][] = []
  const combined = figures.some((f) => 'runMedians' in f)
  for (const n of sizes) {
    for (const contender of ['sqlite-wasm', 'sqljs', 'persist-idb'] as const) {
      for (const metric of Object.keys(HYDRATION_METRICS)) {
        const f = find(figures, 'B2', contender, n, metric)
        if (f === undefined) continue
        const base = medianOf(figures, 'B2', 'persist-idb', n, metric)
        const runs = combined ? [(f as CombinedFigure).runMedians.map(ms).join(' / ')] : []
        rows.push([
          CONTENDER_LABELS[contender],
          sizeLabel(n),
          HYDRATION_METRICS[metric] as string,
          formatTime(f.median),
          formatTime(f.p90),
          String(f.samples),
          ...runs,
          contender === 'persist-idb' || !COMPARED.has(metric) ? '' : ratioDetail(f.median, base),
        ])
      }
    }
  }
  return table(
    [
      'contender',
      'N',
      'figure',
      'median',
      'p90',
      combined ? 'n per run' : 'n',
      ...(combined ? ["runs' medians"] : []),
      'vs persist + idb-keyval (medians)',
    ],
    rows,
  )
}

const sized = (w: { bytes: number; gzip: number }): string =>
  w.bytes === 0 ? '-' : `${formatBytes(w.bytes)} (${formatBytes(w.gzip)} gz)`

/** B3: what a first visit loads, and what the build emits besides. */
export function formatBundles(sizes: readonly AppSize[]): string {
  const rows = sizes.map((s) => {
    const unused = s.files.filter((f) => !f.loaded)
    const unusedWeight = unused.reduce((sum, f) => ({ bytes: sum.bytes + f.bytes, gzip: sum.gzip + f.gzip }), {
      bytes: 0,
      gzip: 0,
    })
    return [
      APP_LABELS[s.app],
      sized(s.loaded.js),
      sized(s.loaded.wasm),
      sized({ bytes: s.loaded.js.bytes + s.loaded.wasm.bytes, gzip: s.loaded.js.gzip + s.loaded.wasm.gzip }),
      unused.length === 0
        ? '-'
        : `${sized(unusedWeight)}: ${unused.map((f) => f.file.replace(/^assets\//, '')).join(', ')}`,
    ]
  })
  return table(['app', 'JS loaded', 'wasm loaded', 'total loaded', 'emitted, never loaded'], rows)
}

export function formatTargets(targets: readonly CombinedTarget[] | readonly TargetValue[]): string {
  const combined = targets.some((t) => 'values' in t)
  const runCount = combined ? ((targets[0] as CombinedTarget | undefined)?.values.length ?? 0) : 0
  const cell = (v: number | null): string => (v === null ? 'absent' : formatShare(v))
  const verdict = (t: TargetValue | CombinedTarget): string => {
    const word = t.pass ? 'MET' : 'MISSED'
    return 'decided' in t && !t.decided ? `undecided (${word})` : word
  }
  const rows = targets.map((t) => [
    t.label,
    ...(combined ? (t as CombinedTarget).values.map(cell) : []),
    combined ? formatShare(t.value) : t.detail,
    ...(combined ? [t.detail] : []),
    t.limit,
    verdict(t),
  ])
  const runHeaders = Array.from({ length: runCount }, (_, i) => `run ${i + 1}`)
  return table(
    combined
      ? ['target', ...runHeaders, 'median', 'absolute (medians of the runs)', 'limit', 'result']
      : ['target', 'value (absolute medians)', 'limit', 'result'],
    rows,
  )
}
