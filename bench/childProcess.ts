// What the child processes of the cold measurements share (hydrateChild.ts for T5 and T8, firstScreenChild.ts
// for F2): the process's peak memory, better-sqlite3's addon loaded apart, Zustand persist's hydration signal,
// and a timer. Nothing here imports a package, so that a child loads only its own contender's modules.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { now } from './measure'

/** Where a peak was read: VmHWM of /proc/self/status, or process.resourceUsage().maxRSS. */
export type PeakSource = 'VmHWM' | 'maxRSS'

/**
 * Peak RSS of this process in KiB. On Linux, ru_maxrss (process.resourceUsage().maxRSS) keeps the parent's
 * RSS at fork() across exec, so a child of a large bench process reports at least the bench's size;
 * VmHWM is the high-water mark of this process's own memory. Elsewhere, maxRSS.
 */
export function peak(): { kib: number; source: PeakSource } {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (match !== null) return { kib: Number(match[1]), source: 'VmHWM' }
  } catch {
    // not Linux
  }
  return { kib: process.resourceUsage().maxRSS, source: 'maxRSS' }
}

/** The current RSS in KiB. */
export const rssKiB = (): number => Math.round(process.memoryUsage().rss / 1024)

/**
 * The native addon, through the require cache the backend's own `require('better-sqlite3')` reads: once
 * loaded here, the backend finds it loaded.
 */
export const loadBetterSqlite3 = (): unknown => createRequire(import.meta.url)('better-sqlite3')

/** Zustand persist's own signal: JSON loads nothing of this library. */
export function persistHydrated(store: {
  persist: { hasHydrated(): boolean; onFinishHydration(listener: () => void): () => void }
}): Promise<void> {
  if (store.persist.hasHydrated()) return Promise.resolve()
  return new Promise((resolve) => {
    const stop = store.persist.onFinishHydration(() => {
      stop()
      resolve()
    })
  })
}

/** `work`'s value and the milliseconds it took, until its promise (if any) settled. */
export async function timed<T>(work: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const started = now()
  const value = await work()
  return { value, ms: now() - started }
}
