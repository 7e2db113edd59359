import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import type { WriteSample } from '../status'

const colors = { legacy: '#d9822b', sqlite: '#2b8a3e' }

/**
 * The cost of each write on this machine, live: one point per write, from its `set()` until it was stored, on
 * the legacy storages (IndexedDB, localStorage) and on SQLite, on a logarithmic scale; dashed, the writes of
 * shadow mode.
 */
export function WriteCostChart({ writes, width = 360 }: { writes: readonly WriteSample[]; width?: number }) {
  const host = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | undefined>(undefined)

  useEffect(() => {
    if (host.current === null) return
    plot.current = new uPlot(
      {
        width,
        height: 170,
        legend: { show: true },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { distr: 3 } },
        axes: [
          { label: 'write', size: 30, stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.15)' } },
          {
            label: 'ms',
            size: 46,
            stroke: 'currentColor',
            grid: { stroke: 'rgba(128,128,128,0.15)' },
            values: (_u, ticks) => ticks.map((t) => (t === null ? '' : t >= 1 ? `${t}` : t.toPrecision(1))),
          },
        ],
        series: [
          {},
          {
            label: 'IndexedDB / localStorage',
            stroke: colors.legacy,
            width: 1.5,
            points: { show: true, size: 4 },
            spanGaps: false,
          },
          { label: 'SQLite', stroke: colors.sqlite, width: 1.5, points: { show: true, size: 4 }, spanGaps: false },
        ],
      },
      [[], [], [], [], []],
      host.current,
    )
    return () => plot.current?.destroy()
  }, [width])

  useEffect(() => {
    const xs: number[] = []
    // One series per storage, and per mode: alone, or in shadow mode (both storages written on one thread).
    const series: (number | null)[][] = [[], [], [], []]
    writes.forEach((sample, index) => {
      xs.push(index + 1)
      // A log scale has no 0: a write faster than the timer's resolution shows at 0.01 ms.
      const ms = Math.max(0.01, sample.ms)
      const at = (sample.storage === 'sqlite' ? 1 : 0) + (sample.shadow === true ? 2 : 0)
      series.forEach((values, index) => values.push(index === at ? ms : null))
    })
    plot.current?.setData([xs, ...series])
  }, [writes])

  return <div ref={host} className="chart" data-testid="write-cost-chart" aria-label="Cost of each write, in ms" />
}
