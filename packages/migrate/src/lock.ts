/** The Web Lock that migrations, rollbacks and cleanups of one origin hold, one at a time. */
const LOCK_NAME = 'zustand-sqlite:migration'

interface Locks {
  request<R>(name: string, callback: () => Promise<R>): Promise<R>
}

/** Calls in this page (or process), one after another. */
let queue: Promise<unknown> = Promise.resolve()

/**
 * Runs `task` alone: after the tasks started before it here, and, where the page has Web Locks, while no
 * other tab of the origin runs one (a second tab that starts at the same moment waits, then finds the work
 * done).
 */
export function exclusively<R>(task: () => Promise<R>): Promise<R> {
  const locks = (globalThis as { navigator?: { locks?: Locks } }).navigator?.locks
  const run = (): Promise<R> => (locks === undefined ? task() : locks.request(LOCK_NAME, task))
  const result = queue.then(run, run)
  queue = result.catch(() => undefined)
  return result
}
