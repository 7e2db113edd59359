// One workspace hydration in a fresh process, for W1: prints time and memory as one JSON line.
// Usage: node --expose-gc --import tsx bench/workspaceHydrateChild.ts <label> <file> <files> <folders> <bytes> [synchronous]
// The same code runs for the database with content and for the control without: the figures differ by
// what the stored rows cost to hydrate.
import { readFileSync } from 'node:fs'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { whenHydrated } from '@zustand-sqlite/core'
import { createWorkspaceStore } from '@zustand-sqlite/store-workspace'
import { collectGarbage, now } from './measure'

/** What a child reports; memory in KiB, read with process.memoryUsage() unless named otherwise. */
export interface WorkspaceChildReport {
  label: string
  /** createBetterSqlite3Backend({ filename }): opening the file, before the store. */
  openMs: number
  /** createWorkspaceStore({ backend }) until hydrated (synchronous with better-sqlite3). */
  hydrateMs: number
  /** The baseline: after loading the modules and a GC, before opening the database. */
  rssBeforeKiB: number
  heapBeforeKiB: number
  externalBeforeKiB: number
  /** Right after hydration, before any GC. */
  rssAfterKiB: number
  heapAfterKiB: number
  /** After hydration and a GC, the store still referenced: what the hydrated workspace keeps. */
  rssRetainedKiB: number
  heapRetainedKiB: number
  externalRetainedKiB: number
  /** VmHWM of /proc/self/status before opening and after hydration (0 where there is none). */
  peakBeforeKiB: number
  peakAfterKiB: number
  /** What the hydrated state holds. */
  files: number
  folders: number
  /** Sum of the files' sizeBytes (metadata only: what the content would be). */
  sizeBytes: number
  /** Whether createWorkspaceStore returned hydrated (a synchronous backend). */
  hydratedOnReturn: boolean
  /**
   * Bytes this process read (rchar of /proc/self/io) while opening the backend and hydrating: the pages
   * SQLite read from the file (from the OS page cache or the disk). -1 where there is no /proc.
   */
  readBytes: number
}

const kib = (bytes: number): number => Math.round(bytes / 1024)

/** The high-water mark of this process's RSS on Linux (see hydrateChild.ts for why not maxRSS); 0 elsewhere. */
function peakKiB(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return match === null ? 0 : Number(match[1])
  } catch {
    return 0
  }
}

/** Bytes read by this process through read system calls so far (rchar); -1 where there is no /proc/self/io. */
function readChars(): number {
  try {
    const match = /^rchar:\s+(\d+)/m.exec(readFileSync('/proc/self/io', 'utf8'))
    return match === null ? -1 : Number(match[1])
  } catch {
    return -1
  }
}

async function main(): Promise<void> {
  const [label = '', file = '', files = '0', folders = '0', bytes = '0', synchronous = 'NORMAL'] = process.argv.slice(2)
  if (file === '' || (synchronous !== 'NORMAL' && synchronous !== 'FULL'))
    throw new Error('usage: workspaceHydrateChild.ts <label> <file> <files> <folders> <bytes> [NORMAL|FULL]')
  collectGarbage()
  collectGarbage()
  const before = process.memoryUsage()
  const peakBeforeKiB = peakKiB()
  const readBefore = readChars()
  const opened = now()
  // The run's setting (BENCH_SYNCHRONOUS), as every connection of the bench; hydration only reads.
  const backend = createBetterSqlite3Backend({ filename: file, synchronous })
  const started = now()
  const store = createWorkspaceStore({ backend })
  const hydratedOnReturn = store.persist.hasHydrated()
  if (!hydratedOnReturn) await whenHydrated(store)
  const hydrateMs = now() - started
  const openMs = started - opened
  const readAfter = readChars()
  const after = process.memoryUsage()
  const peakAfterKiB = peakKiB()
  collectGarbage()
  collectGarbage()
  const retained = process.memoryUsage()
  const state = store.getState()
  const report: WorkspaceChildReport = {
    label,
    openMs,
    hydrateMs,
    rssBeforeKiB: kib(before.rss),
    heapBeforeKiB: kib(before.heapUsed),
    externalBeforeKiB: kib(before.external),
    rssAfterKiB: kib(after.rss),
    heapAfterKiB: kib(after.heapUsed),
    rssRetainedKiB: kib(retained.rss),
    heapRetainedKiB: kib(retained.heapUsed),
    externalRetainedKiB: kib(retained.external),
    peakBeforeKiB,
    peakAfterKiB,
    files: state.files.length,
    folders: state.folders.length,
    sizeBytes: state.files.reduce((sum, f) => sum + f.sizeBytes, 0),
    hydratedOnReturn,
    readBytes: readBefore < 0 || readAfter < 0 ? -1 : readAfter - readBefore,
  }
  if (report.files !== Number(files) || report.folders !== Number(folders) || report.sizeBytes !== Number(bytes)) {
    throw new Error(
      `${label}: hydrated ${report.files} files / ${report.folders} folders / ${report.sizeBytes} bytes, expected ${files} / ${folders} / ${bytes}`,
    )
  }
  console.log(JSON.stringify(report))
  await backend.close()
  process.exit(0)
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
