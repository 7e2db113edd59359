import type { ZustandSqliteError } from '../contract/errors'
import { attempt, chain, isPromiseLike } from '../contract/maybe'
import type { MaybePromise } from '../contract/maybe'
import type { ExtraWrite } from './extraWrites'
import type { Target } from './target'

const ignore = (): void => undefined

/**
 * @internal How often a write that finds another connection's commit (CONCURRENT_MODIFICATION) takes what
 * is stored and diffs again before it gives up: a store's own write, and stores committed together.
 */
export const MAX_REBASES = 8

/**
 * @internal The wait before rebase number `rebases + 1`: none before the first (a conflict is usually one
 * commit of another writer), then a random wait of up to 4, 8, 16, ... 256 ms. Two writers that commit as
 * fast as they can through one database would otherwise meet at every retry and lose in turn until both give
 * up; the random wait lets one of them through.
 */
export function rebaseBackoff(rebases: number): MaybePromise<void> {
  if (rebases === 0) return undefined
  const ms = Math.random() * 2 ** Math.min(rebases + 1, 8)
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Runs a store's backend operations (hydration, writes, clear) one at a time, in the order they were
 * asked for. An operation asked for while none is pending starts at once, so a synchronous backend stays
 * synchronous; one asked for while another runs starts when it has settled, whatever its outcome.
 */
export interface Lane {
  run<T>(task: () => MaybePromise<T>): MaybePromise<T>
}

/** @internal */
export function createLane(): Lane {
  let tail: Promise<unknown> | undefined
  const track = (result: PromiseLike<unknown>): void => {
    const settled = Promise.resolve(result).then(ignore, ignore)
    tail = settled
    void settled.then(() => {
      if (tail === settled) tail = undefined
    })
  }
  return {
    run(task) {
      if (tail === undefined) {
        const result = task()
        if (isPromiseLike(result)) track(result)
        return result
      }
      const result = tail.then(task)
      track(result)
      return result
    },
  }
}

/** What the write queue needs from the middleware. */
export interface WriteQueueHost {
  readonly lane: Lane
  /** The target sets go to now. */
  current(): Target
  /** Writes may start: the store has hydrated. */
  canWrite(): boolean
  /** `writeDelayMs`. */
  delayMs(): number
  /**
   * Diffs the state against the target's mirror and applies the ChangeSet, with `extras`. Resolves with
   * an error (reported already) when the write committed but left a part of the state out.
   */
  write(target: Target, extras: readonly ExtraWrite[]): MaybePromise<ZustandSqliteError | undefined>
  /** Turns a failure of a write of `target` into the error reported (once) and thrown to every waiter. */
  report(error: unknown, target: Target): ZustandSqliteError
}

/** @internal When the changes of a store are written: scheduling, one write at a time, retries. */
export interface WriteQueue {
  /** A set happened: the current target is dirty, and a write is scheduled once writes may start. */
  request(): void
  /** Queues extra writes (appended rows, lazy writes) for the current target's next write. */
  add(extras: readonly ExtraWrite[]): void
  /** Schedules a write of what is pending, as a set would (after hydration, say). */
  schedule(): void
  /** Forgets a scheduled write (what is pending stays pending). */
  cancel(): void
  /**
   * Writes the target's pending changes after the operations already in the lane; resolves or rejects
   * with that write. With nothing pending, waits for the target's running write, if any.
   */
  writeNow(target: Target): MaybePromise<void>
}

/**
 * @internal A write takes every change pending for its target when it starts, so the sets of one tick
 * (or of `writeDelayMs`) become one ChangeSet, and requests made while a write waits join it. A write
 * that fails puts its changes back and reports once; it is tried again with the next set (at once when
 * sets came while it ran), never in a loop.
 */
export function createWriteQueue(host: WriteQueueHost): WriteQueue {
  let scheduled = false
  let token = 0
  let timer: ReturnType<typeof setTimeout> | undefined

  const cancel = (): void => {
    scheduled = false
    token++
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  const writeOnce = (target: Target): MaybePromise<void> => {
    const pending = target.pending
    if (!pending.dirty && pending.extras.length === 0) return undefined
    const taken = pending.extras
    pending.extras = []
    pending.dirty = false
    const result = chain(
      attempt(
        () => host.write(target, taken),
        (error) => {
          pending.dirty = true
          pending.extras = taken.concat(pending.extras)
          throw host.report(error, target)
        },
      ),
      (refused) => {
        // Committed, but not all of it: the waiters learn what was left out (the rest is written).
        if (refused !== undefined) throw refused
      },
    )
    if (!isPromiseLike(result)) return result
    // Sets made while it runs need nothing from it: each set scheduled a write, which waits its turn in
    // the lane. A failed write waits for the next set.
    const running = Promise.resolve(result)
    target.running = running
    const settled = (): void => {
      if (target.running === running) target.running = undefined
    }
    running.then(settled, settled)
    return running
  }

  const writeNow = (target: Target): MaybePromise<void> => {
    if (target === host.current()) cancel()
    if (target.queued !== undefined) return target.queued
    const { dirty, extras } = target.pending
    if (!dirty && extras.length === 0) return target.running
    let started = false
    const result = host.lane.run(() => {
      started = true
      target.queued = undefined
      return writeOnce(target)
    })
    if (!started) target.queued = result as Promise<void>
    return result
  }

  const schedule = (): void => {
    if (scheduled) return
    const delay = host.delayMs()
    if (delay === Infinity) return
    scheduled = true
    const mine = ++token
    const run = (): void => {
      if (mine !== token) return
      scheduled = false
      timer = undefined
      try {
        const result = writeNow(host.current())
        if (isPromiseLike(result)) Promise.resolve(result).catch(ignore)
      } catch {
        // Reported through onError; the changes stay pending for the next set.
      }
    }
    if (delay > 0) timer = setTimeout(run, delay)
    else queueMicrotask(run)
  }

  const request = (): void => {
    const pending = host.current().pending
    pending.dirty = true
    if (host.canWrite()) schedule()
  }

  return {
    request,
    add: (extras) => {
      const queued = host.current().pending.extras
      for (const extra of extras) queued.push(extra)
      request()
    },
    schedule,
    cancel,
    writeNow,
  }
}
