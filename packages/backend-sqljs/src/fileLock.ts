import type * as FsPromises from 'node:fs/promises'
import { ZustandSqliteError } from '@zustand-sqlite/core'

/**
 * A lock file not touched for this long is broken, whoever holds it. Its holder touches it every
 * STALE_LOCK_MS / 4 while it writes, so this only happens to a holder that is gone or hung; it is the rule
 * for holders whose liveness cannot be checked (another host, or a pid that now belongs to another process).
 */
export const STALE_LOCK_MS = 60_000
/** How long a writer waits for a lock held by a live writer before giving up with DATABASE_BUSY. */
export const LOCK_TIMEOUT_MS = 2 * STALE_LOCK_MS

/** What a lock file records about its holder. */
interface LockOwner {
  readonly pid: number
  readonly hostname: string
  readonly id: string
  /** When the lock was taken (ms since the epoch), for people looking at the file. */
  readonly time: number
}

/** A lock file as seen by a writer waiting for it. */
interface SeenLock {
  readonly owner: LockOwner | undefined
  readonly ino: bigint
  readonly mtimeMs: number
}

/** The held lock, handed to the code that runs under it. */
export interface HeldLock {
  /** Rejects with DATABASE_BUSY if the lock was broken as stale (this writer stalled past STALE_LOCK_MS). */
  assertHeld(): Promise<void>
}

interface Registry {
  /** Ids of the lock files this process holds now. */
  readonly held: Set<string>
  /** Per lock file, the end of the queue of this process's writers waiting for it. */
  readonly queues: Map<string, Promise<void>>
}

// Shared by every copy of this package in the process (ESM and CJS builds), so they queue instead of polling
// and never mistake each other's locks for ones left by an earlier process with the same pid.
const registry = (): Registry =>
  ((globalThis as Record<symbol, Registry | undefined>)[Symbol.for('zustand-sqlite.fileLocks')] ??= {
    held: new Set(),
    queues: new Map(),
  })

const randomId = (): string => Math.random().toString(36).slice(2, 12)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>
    const valid =
      typeof value.pid === 'number' &&
      typeof value.hostname === 'string' &&
      typeof value.id === 'string' &&
      typeof value.time === 'number'
    return valid ? (value as LockOwner) : undefined
  } catch {
    // Empty while its creator is still writing it, or not ours: judged by its age alone.
    return undefined
  }
}

async function inspect(fs: typeof FsPromises, file: string): Promise<SeenLock | undefined> {
  try {
    const handle = await fs.open(file, 'r')
    try {
      const stat = await handle.stat({ bigint: true })
      const owner = parseOwner(await handle.readFile('utf8'))
      return { owner, ino: stat.ino, mtimeMs: Number(stat.mtimeMs) }
    } finally {
      await handle.close()
    }
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined
    throw error
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return codeOf(error) === 'EPERM'
  }
}

function isStale(seen: SeenLock, hostname: string): boolean {
  const { owner } = seen
  if (Date.now() - seen.mtimeMs > STALE_LOCK_MS) return true
  if (owner === undefined || owner.hostname !== hostname) return false
  // Our own pid on a lock this process does not hold: left by an earlier process that had the same pid
  // (a restarted container's pid 1, say).
  if (owner.pid === process.pid) return !registry().held.has(owner.id)
  return !isAlive(owner.pid)
}

const sameLock = (a: SeenLock, b: SeenLock): boolean =>
  a.owner !== undefined ? a.owner.id === b.owner?.id : a.ino === b.ino && a.mtimeMs === b.mtimeMs

/**
 * Removes the lock file if it is stale. Two waiters can judge the same lock stale at once, and the first can
 * have taken a fresh lock by the time the second deletes: so the lock is first moved aside under a name of
 * our own, and deleted only if it is the one judged stale; a fresh lock moved by mistake is put back.
 * Resolves false when the lock is live (wait), true when it is worth trying to take it again.
 */
async function breakIfStale(fs: typeof FsPromises, lockPath: string, hostname: string): Promise<boolean> {
  const seen = await inspect(fs, lockPath)
  if (seen === undefined) return true
  if (!isStale(seen, hostname)) return false
  const aside = `${lockPath}.${randomId()}.stale`
  try {
    await fs.rename(lockPath, aside)
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return true
    throw error
  }
  const moved = await inspect(fs, aside)
  if (moved !== undefined && !sameLock(seen, moved)) {
    // link fails if someone took the path meanwhile; then the holder we displaced finds out before it commits.
    await fs.link(aside, lockPath).catch(() => undefined)
  }
  await fs.rm(aside, { force: true })
  return true
}

async function create(fs: typeof FsPromises, lockPath: string, owner: LockOwner): Promise<boolean> {
  let handle: FsPromises.FileHandle
  try {
    handle = await fs.open(lockPath, 'wx')
  } catch (error) {
    if (codeOf(error) === 'EEXIST') return false
    throw error
  }
  try {
    await handle.writeFile(JSON.stringify(owner))
  } catch (error) {
    await handle.close().catch(() => undefined)
    await fs.rm(lockPath, { force: true })
    throw error
  }
  await handle.close()
  return true
}

function busy(lockPath: string, detail: string): ZustandSqliteError {
  return new ZustandSqliteError('DATABASE_BUSY', `${detail} (lock file ${lockPath}); nothing was written, try again`)
}

async function acquire(fs: typeof FsPromises, lockPath: string, hostname: string): Promise<LockOwner> {
  const owner: LockOwner = { pid: process.pid, hostname, id: randomId(), time: Date.now() }
  const started = Date.now()
  for (let attempt = 0; ; attempt++) {
    if (await create(fs, lockPath, { ...owner, time: Date.now() })) {
      registry().held.add(owner.id)
      return owner
    }
    if (await breakIfStale(fs, lockPath, hostname)) continue
    if (Date.now() - started > LOCK_TIMEOUT_MS) {
      throw busy(lockPath, `another writer held the image for more than ${LOCK_TIMEOUT_MS} ms`)
    }
    // Jittered backoff, so that waiting processes do not retry in step.
    await sleep(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()))
  }
}

async function release(fs: typeof FsPromises, lockPath: string, owner: LockOwner): Promise<void> {
  registry().held.delete(owner.id)
  const seen = await inspect(fs, lockPath).catch(() => undefined)
  // A lock broken as stale and taken by another writer is theirs now.
  if (seen?.owner?.id === owner.id) await fs.rm(lockPath, { force: true })
}

/**
 * Runs `task` holding the lock file `lockPath` (absolute), created with exclusive create: at most one
 * writer at a time across processes, and across backends in this process. A lock whose holder is gone is
 * broken (see {@link isStale}).
 */
export async function withFileLock<T>(
  fs: typeof FsPromises,
  lockPath: string,
  hostname: string,
  task: (lock: HeldLock) => Promise<T>,
): Promise<T> {
  const previous = registry().queues.get(lockPath) ?? Promise.resolve()
  let done!: () => void
  const current = new Promise<void>((resolve) => (done = resolve))
  const tail = previous.then(() => current)
  registry().queues.set(lockPath, tail)
  await previous
  try {
    const owner = await acquire(fs, lockPath, hostname)
    const heartbeat = setInterval(() => {
      const now = new Date()
      fs.utimes(lockPath, now, now).catch(() => undefined)
    }, STALE_LOCK_MS / 4)
    try {
      return await task({
        assertHeld: async () => {
          const seen = await inspect(fs, lockPath)
          if (seen?.owner?.id !== owner.id) {
            throw busy(lockPath, 'this writer stalled and its lock was taken over by another writer')
          }
        },
      })
    } finally {
      clearInterval(heartbeat)
      await release(fs, lockPath, owner)
    }
  } finally {
    done()
    if (registry().queues.get(lockPath) === tail) registry().queues.delete(lockPath)
  }
}
