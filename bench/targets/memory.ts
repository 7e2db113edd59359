import type { BenchContext } from '../context'
// Types only: importing the child's code would run it here.
import type { ChildMode, ChildReport } from '../hydrateChild'
import { limitCheck } from '../report'
import type { Check, Measurement, TargetResult } from '../report'
import { formatKiB, formatMs, formatRatio, median, sizeLabel } from '../stats'
import { CHILD_CONTENDERS as CONTENDERS, hydrationData, runHydrationChild } from './hydration'

/** T8: peak RSS of a process that hydrates the T5 data, per contender, in fresh processes. */
export async function runMemoryTarget(ctx: BenchContext): Promise<TargetResult> {
  const data = await hydrationData(ctx)
  const modes = Object.keys(CONTENDERS) as ChildMode[]
  const reports = new Map<ChildMode, ChildReport[]>(modes.map((m) => [m, []]))
  const runs = ctx.options.memory.runs
  for (let run = 0; run < runs; run++) {
    ctx.progress(`T8: run ${run + 1}/${runs}`)
    for (let turn = 0; turn < modes.length; turn++) {
      const mode = modes[(run + turn) % modes.length] as ChildMode
      // Every mode loads the same modules: the peaks differ by what hydration costs.
      reports.get(mode)?.push(runHydrationChild(ctx, mode, data, 'all').report)
    }
  }
  const size = `${sizeLabel(data.conversations)} conv / ${sizeLabel(data.messages)} msg`
  const of = (mode: ChildMode, field: keyof ChildReport): number =>
    median((reports.get(mode) ?? []).map((r) => Number(r[field])))
  const measurements: Measurement[] = modes.map((mode) => ({
    contender: CONTENDERS[mode],
    size,
    unit: 'KiB',
    median: of(mode, 'peakKiB'),
    samples: reports.get(mode)?.length ?? 0,
    extra: {
      setupPeakKiB: of(mode, 'setupPeakKiB'),
      rssBeforeKiB: of(mode, 'rssBeforeKiB'),
      rssAfterKiB: of(mode, 'rssAfterKiB'),
      hydrateMs: of(mode, 'hydrateMs'),
      peaksKiB: reports.get(mode)?.map((r) => r.peakKiB),
      peakSource: reports.get(mode)?.[0]?.peakSource,
      maxRssKiB: of(mode, 'maxRssKiB'),
    },
  }))
  const json = of('json', 'peakKiB')
  const check = (mode: ChildMode): Check => {
    const lib = of(mode, 'peakKiB')
    return limitCheck({
      contender: CONTENDERS[mode],
      size,
      label: 'LIB/JSON',
      value: lib / json,
      detail: `${formatRatio(lib / json)} (${formatKiB(lib)} / ${formatKiB(json)})`,
      target: '<= 1.5x',
      max: 1.5,
    })
  }
  const sources = new Set([...reports.values()].flat().map((r) => r.peakSource))
  const peakSource = sources.has('maxRSS')
    ? 'process.resourceUsage().maxRSS'
    : "VmHWM of /proc/self/status (on Linux, maxRSS would include this bench process's RSS at fork)"
  const setupNotes = modes
    .filter((m) => m !== 'baseline')
    .map(
      (m) =>
        `${CONTENDERS[m]}: peak before hydration ${formatKiB(of(m, 'setupPeakKiB'))}, RSS ${formatKiB(of(m, 'rssBeforeKiB'))} -> ${formatKiB(of(m, 'rssAfterKiB'))}, hydration ${formatMs(of(m, 'hydrateMs'))}`,
    )
  return {
    id: 'T8',
    title: `peak RSS of a process hydrating ${sizeLabel(data.conversations)} conversations / ${sizeLabel(data.messages)} messages (T5 data)`,
    target: 'LIB peak RSS <= 1.5x JSON',
    measurements,
    checks: [check('lib-better-sqlite3'), check('lib-sqljs')],
    notes: [
      `Each hydration runs in a fresh \`node --import tsx\` process that loads the same modules in every mode; peak = ${peakSource} after hydration.`,
      'JSON: the stored string is first put into fake-indexeddb, which keeps it in process memory (a browser keeps it on disk): that copy counts against JSON.',
      ...setupNotes,
    ],
  }
}
