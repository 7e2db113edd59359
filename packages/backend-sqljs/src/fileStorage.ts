import type * as FsPromises from 'node:fs/promises'
import type { BigIntStats } from 'node:fs'
import { ZustandSqliteError } from '@zustand-sqlite/core'
import { withFileLock } from './fileLock'
import type { HeldLock } from './fileLock'
import { conflict } from './imageStorage'
import type { ImageStorage, StoredImage } from './imageStorage'

interface Node {
  readonly fs: typeof FsPromises
  readonly hostname: string
  /** Absolute paths of the image, its lock and its directory, and the image's name in the directory. */
  readonly image: string
  readonly lock: string
  readonly directory: string
  readonly base: string
  /** The path of a file in the image's directory. */
  readonly beside: (name: string) => string
}

const codeOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code

/** The token of the image file: it changes with every write (see `nextMtime`). Files written before have one too. */
const tokenOf = (stat: BigIntStats): string => `${stat.size}:${stat.mtimeNs}:${stat.ino}`

/**
 * The modification time of a new image: later than the one it replaces. The file system reuses inodes at
 * once and keeps times at a coarse tick, so without this a later image could get the token of an earlier one
 * and a writer still holding that token would overwrite it. A time set in ms is stored a few ns short of it
 * (Node passes seconds as a double), hence rounding the replaced one up before adding a ms.
 */
const nextMtime = (replaced: BigIntStats | undefined): Date =>
  new Date(Math.max(Date.now(), replaced === undefined ? 0 : Number((replaced.mtimeNs + 999_999n) / 1_000_000n) + 1))

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Makes a rename durable: the directory entry is synced too (where the platform allows opening a directory). */
async function syncDirectory(fs: typeof FsPromises, directory: string): Promise<void> {
  try {
    const handle = await fs.open(directory, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (error) {
    // Windows cannot open a directory (EISDIR, EPERM, EACCES); its rename is durable on its own terms.
    const code = codeOf(error)
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES') throw error
  }
}

async function statOrUndefined(fs: typeof FsPromises, file: string): Promise<BigIntStats | undefined> {
  try {
    return await fs.stat(file, { bigint: true })
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Deletes what writers killed in the middle of a write left beside the image: temporary images
 * (`<name>.<pid>.<random>.tmp`) and locks moved aside to be broken (`<name>.lock.<random>.stale`). Runs
 * under the lock, and every writer holds the lock from creating its temporary image to renaming it, so none
 * of them belongs to a live writer.
 */
async function removeLeftovers(node: Node): Promise<void> {
  const base = escapeRegExp(node.base)
  const leftover = new RegExp(`^${base}\\.(\\d+\\.[0-9a-z]*\\.tmp|lock\\.[0-9a-z]+\\.stale)$`)
  for (const name of await node.fs.readdir(node.directory)) {
    if (leftover.test(name)) await node.fs.rm(node.beside(name), { force: true })
  }
}

/** Reads the image and its token from one open file, so they agree even if a writer renames meanwhile. */
async function readImage(node: Node): Promise<StoredImage | undefined> {
  let handle: FsPromises.FileHandle
  try {
    handle = await node.fs.open(node.image, 'r')
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined
    throw error
  }
  try {
    const stat = await handle.stat({ bigint: true })
    const data = await handle.readFile()
    return { image: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), token: tokenOf(stat) }
  } finally {
    await handle.close()
  }
}

/** The compare-and-swap, under the lock: check the token, write a temporary image, sync, rename, sync the directory. */
async function swapImage(node: Node, lock: HeldLock, image: Uint8Array, expected: string | undefined): Promise<string> {
  const { fs } = node
  const current = await statOrUndefined(fs, node.image)
  if ((current === undefined ? undefined : tokenOf(current)) !== expected) throw conflict(`file ${node.image}`)
  const temporary = `${node.image}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  try {
    const handle = await fs.open(temporary, 'w')
    try {
      await handle.writeFile(image)
      const mtime = nextMtime(current)
      // Best effort: where times cannot be set, the token is the file system's own, as with files written before.
      await handle.utimes(mtime, mtime).catch(() => undefined)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await lock.assertHeld()
    await fs.rename(temporary, node.image)
  } catch (error) {
    // The write's own error is the one to report, not a failure to clean up after it.
    await fs.rm(temporary, { force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(fs, node.directory)
  return tokenOf(await fs.stat(node.image, { bigint: true }))
}

/** What a file system error while opening says about the path, as INVALID_OPTIONS; undefined for other errors. */
function invalidPath(path: string, error: unknown): ZustandSqliteError | undefined {
  const problems: Record<string, string> = {
    EISDIR: 'is a directory, not a file',
    ENOTDIR: 'is inside something that is not a directory',
    // The image itself may be missing; ENOENT here comes from the lock or the directory listing.
    ENOENT: 'is in a directory that does not exist',
    ENAMETOOLONG: 'is too long',
    ELOOP: 'has a loop of symbolic links',
  }
  const problem = problems[String(codeOf(error))]
  if (problem === undefined) return undefined
  return new ZustandSqliteError('INVALID_OPTIONS', `storage file ${JSON.stringify(path)} ${problem}`, { cause: error })
}

/**
 * Keeps the image in a file (Node). Each write holds a lock file (`<file>.lock`, created exclusively) while it
 * checks the token, writes a temporary file, syncs it, renames it over the image and syncs the directory: a
 * crash leaves either the old or the new image, and two writers (processes, or backends in one process) never
 * both succeed over the same image. The token is the file's size, modification time and inode. Opening removes
 * temporary files that writers killed mid-write left behind.
 *
 * @example
 * ```ts
 * const backend = await createSqlJsBackend({ storage: fileStorage('.data/app.sqlite') })
 * ```
 */
export function fileStorage(path: string): ImageStorage {
  if (typeof path !== 'string' || path === '') {
    throw new ZustandSqliteError('INVALID_OPTIONS', `storage file ${JSON.stringify(path)} is not a file path`)
  }
  let node: Promise<Node> | undefined
  // Imported on first use, so that browser bundles of this package never load node:fs.
  const load = (): Promise<Node> =>
    (node ??= Promise.all([import('node:fs/promises'), import('node:os'), import('node:path')]).then(
      ([fs, os, { resolve, dirname, basename, join }]) => {
        const image = resolve(path)
        const directory = dirname(image)
        return {
          fs,
          hostname: os.hostname(),
          image,
          lock: `${image}.lock`,
          directory,
          base: basename(image),
          beside: (name) => join(directory, name),
        }
      },
    ))
  const locked = async <T>(task: (node: Node, lock: HeldLock) => Promise<T>): Promise<T> => {
    const loaded = await load()
    return withFileLock(loaded.fs, loaded.lock, loaded.hostname, (lock) => task(loaded, lock))
  }
  return {
    name: `file ${path}`,
    read: async () => {
      try {
        await locked(removeLeftovers).catch((error: unknown) => {
          // A directory we may only read: nothing can be written there, so nothing was left to remove.
          const code = codeOf(error)
          if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error
        })
        return await readImage(await load())
      } catch (error) {
        throw invalidPath(path, error) ?? error
      }
    },
    write: (image, expected) => locked((loaded, lock) => swapImage(loaded, lock, image, expected)),
  }
}
