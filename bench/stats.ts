/** Summary of one contender's samples. */
export interface Stats {
  median: number
  p10: number
  p90: number
  min: number
  max: number
  count: number
  /** Median of each round, to show the spread between rounds. */
  roundMedians: number[]
}

/** Nearest-rank quantile of sorted values (q in [0, 1]). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[index] as number
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function summarize(rounds: readonly (readonly number[])[]): Stats {
  const all = rounds.flat().sort((a, b) => a - b)
  return {
    median: median(all),
    p10: quantile(all, 0.1),
    p90: quantile(all, 0.9),
    min: all[0] ?? Number.NaN,
    max: all[all.length - 1] ?? Number.NaN,
    count: all.length,
    roundMedians: rounds.filter((r) => r.length > 0).map((r) => median(r)),
  }
}

/** Milliseconds with about three significant digits. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a'
  const digits = ms < 0.1 ? 4 : ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0
  return `${ms.toFixed(digits)} ms`
}

/** Microseconds with about three significant digits (thousands separated). */
export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return 'n/a'
  return `${us < 10 ? us.toFixed(2) : us < 100 ? us.toFixed(1) : formatCount(us)} µs`
}

export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a'
  return ratio < 0.01 ? `${ratio.toPrecision(2)}x` : `${ratio.toFixed(2)}x`
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US')
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

export function formatKiB(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`
}

/** `1000` -> `1k`, `100000` -> `100k`. */
export function sizeLabel(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n)
}
