import { isZustandSqliteError, ZustandSqliteError } from '@zustand-sqlite/core'
import type { SchemaSpec } from '@zustand-sqlite/core'
import { nextToken } from './imageStorage'
import type { ImageStorage } from './imageStorage'
import { entrySize } from './journal'
import type { ImageJournal, JournalEntry, JournalOp, JournalPosition } from './journal'

/**
 * On `pagehide` and when the page is hidden, an image up to this size is stored as a checkpoint even when
 * the journal holds every commit: the next open then replays nothing, for about the cost of one write.
 */
const CHEAP_IMAGE_BYTES = 1 << 20

/** What {@link createDurability} starts from. */
export interface DurabilityOptions {
  readonly storage: ImageStorage
  /** The storage's journal: commits are journaled. Without one, every durable write stores the image. */
  readonly journal: ImageJournal | undefined
  /** The stored image's token (for the image's compare-and-swap without a journal). */
  readonly token: string | undefined
  /** The commit the stored image includes. */
  readonly at: JournalPosition
  /** The entries replayed on top of it when the backend opened. */
  readonly replayed: readonly JournalEntry[]
  /** Size of the stored image. */
  readonly imageBytes: number
  /** Exports the database image (and re-prepares what the export invalidated). */
  readonly exportImage: () => Uint8Array
  /** The schema a store was last prepared with, carried by its first entry after each checkpoint. */
  readonly schemaOf: (store: string) => SchemaSpec | undefined
  readonly flushIntervalMs: number
  readonly checkpointEntries: number
  readonly checkpointBytes: number
  /** Errors of the writes nobody waits for. */
  readonly report: (error: ZustandSqliteError) => void
}

/** @internal How the commits of the in-memory database become durable. */
export interface Durability {
  /** A commit was made in memory: journal it, or schedule an image. Never writes the image itself. */
  committed(op: JournalOp): void
  /** Resolves once every commit made so far is durable; rejects when that failed. */
  flush(): Promise<void>
  /** The page is hidden or left: store what the journal does not hold, and checkpoint a small image. */
  hidden(): void
  /** Makes everything durable, stores a checkpoint when the journal holds entries, and stops the timer. */
  close(): Promise<void>
  /** How many times the image was exported and stored. */
  readonly exportCount: number
}

const storeOf = (op: Exclude<JournalOp, { kind: 'applyMany' }>): string =>
  op.kind === 'apply' ? op.changeSet.store : op.store

/**
 * @internal Commits are numbered in order (`seq`) and each gets an id; the stored image includes every commit
 * up to some seq, and each later commit is a journal entry linked to the one before it. A commit is durable
 * once its entry and those before it are stored and the stored image is still one they follow (checked at
 * flush time, so that storing an entry waits for nothing), or once an image including it is stored. When an
 * entry could not be stored (another writer took its place, a failed write), the commits after it are not
 * journaled until an image including them is stored: entries that do not link to the image are never
 * replayed, so they would be acknowledged and lost. Without a journal every commit is such a commit, and this
 * is the image-only flush of earlier versions.
 */
export function createDurability(options: DurabilityOptions): Durability {
  const { journal } = options
  /**
   * The id of each position this copy may find stored, from the stored image on (its journaled commits and
   * the images it stores): what `known` checks stored positions against.
   */
  const ids = new Map<number, string>([[options.at.seq, options.at.id]])
  let head = options.at
  let bytes = 0
  for (const entry of options.replayed) {
    ids.set(entry.seq, entry.id)
    head = { seq: entry.seq, id: entry.id }
    bytes += entrySize(entry)
  }
  /**
   * The stored image includes every commit up to here. A copy stores an image only once it has commits of
   * its own: one holding only what it loaded would change nothing, and would move the image under the copy
   * that made those commits (whose entries carry a store's schema once per image, see `carried`).
   */
  let stored = options.at.seq
  const loaded = head.seq
  /** Every commit up to here is durable. */
  let durable = head.seq
  /** Every commit up to here has its entry stored, each after the one before it (the image not checked yet). */
  let appended = head.seq
  /** An image stored or being stored includes every commit up to here. */
  let covered = stored
  /** The last commit whose entry is not stored, or may not link: later ones are journaled once an image covers it. */
  let unjournaled = stored
  /** `bytes` (journal bytes, a running total) when the stored image was exported. */
  let storedBytes = 0
  let imageBytes = options.imageBytes
  let token = options.token
  /** Stores whose schema an entry carried since the last image was exported. */
  const carried = new Set<string>()
  const inFlight = new Set<Promise<unknown>>()
  let checkpointing: Promise<void> | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  let exportCount = 0

  const known = (position: JournalPosition): boolean => ids.get(position.seq) === position.id
  /** This copy made commits that no stored image includes. */
  const unstored = (): boolean => head.seq > Math.max(stored, loaded)

  const track = (promise: Promise<unknown>): void => {
    inFlight.add(promise)
    const settled = (): void => {
      inFlight.delete(promise)
    }
    promise.then(settled, settled)
  }

  const clearTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  const schedule = (): void => {
    if (timer !== undefined || stopped) return
    timer = setTimeout(() => {
      timer = undefined
      checkpoint().catch(options.report)
    }, options.flushIntervalMs)
  }

  const toError = (error: unknown): ZustandSqliteError =>
    isZustandSqliteError(error)
      ? error
      : new ZustandSqliteError('WRITE_FAILED', `storing the database image in ${options.storage.name} failed`, {
          cause: error,
        })

  /** Exports the image and stores it as including every commit so far; one at a time. */
  function checkpoint(): Promise<void> {
    if (checkpointing !== undefined) return checkpointing.then(checkpoint, checkpoint)
    clearTimer()
    if (!unstored()) return Promise.resolve()
    const at = head
    let image: Uint8Array
    try {
      image = options.exportImage()
    } catch (error) {
      return Promise.reject(
        new ZustandSqliteError('WRITE_FAILED', 'exporting the sql.js database failed', { cause: error }),
      )
    }
    exportCount++
    // Entries made from now on follow this image: each store's first one carries its schema again.
    ids.set(at.seq, at.id)
    covered = at.seq
    carried.clear()
    const bytesAt = bytes
    const write =
      journal === undefined
        ? options.storage.write(image, token).then((next) => {
            token = next
          })
        : journal.checkpoint(image, at, known)
    const running = write
      .then(
        () => {
          stored = Math.max(stored, at.seq)
          durable = Math.max(durable, at.seq)
          appended = Math.max(appended, at.seq)
          storedBytes = bytesAt
          imageBytes = image.byteLength
          for (const seq of ids.keys()) if (seq < at.seq) ids.delete(seq)
        },
        (error: unknown) => {
          covered = stored
          throw toError(error)
        },
      )
      .finally(() => {
        checkpointing = undefined
      })
    checkpointing = running
    track(running)
    return running
  }

  const append = (entry: JournalEntry, to: ImageJournal): void => {
    let write: Promise<void>
    try {
      write = to.append(entry)
    } catch (error) {
      write = Promise.reject(error)
    }
    // Writes complete in the order they were made, so an entry that commits after an earlier one failed is
    // seen here, and does not count: it does not link to what is stored.
    const settled = write.then(
      () => {
        if (entry.seq === appended + 1) appended = entry.seq
        else unjournaled = Math.max(unjournaled, entry.seq)
      },
      () => {
        unjournaled = Math.max(unjournaled, entry.seq)
      },
    )
    track(
      settled.then(() => {
        if (unjournaled > covered) schedule()
      }),
    )
  }

  const carry = (op: JournalOp): JournalOp => {
    if (op.kind === 'applyMany') {
      const schemas: (readonly [string, SchemaSpec])[] = []
      for (const { store } of op.changeSets) {
        if (carried.has(store)) continue
        carried.add(store)
        const schema = options.schemaOf(store)
        if (schema !== undefined) schemas.push([store, schema])
      }
      return schemas.length === 0 ? op : { ...op, schemas }
    }
    const store = storeOf(op)
    if (carried.has(store)) return op
    carried.add(store)
    if (op.kind === 'prepare') return op
    const schema = options.schemaOf(store)
    return schema === undefined ? op : { ...op, schema }
  }

  /** Whether the stored image is still one this copy's entries follow (no other writer stored one since). */
  const follows = async (to: ImageJournal): Promise<boolean> => {
    try {
      return known(await to.position())
    } catch {
      return false
    }
  }

  const flush = async (): Promise<void> => {
    const target = head.seq
    await Promise.allSettled([...inFlight])
    if (durable >= target) return
    if (journal !== undefined && appended >= target) {
      if (await follows(journal)) {
        durable = Math.max(durable, target)
        return
      }
      // Another writer stored an image since: the entries are stored, but never replayed on it.
      unjournaled = Math.max(unjournaled, head.seq)
    }
    await checkpoint()
  }

  return {
    committed: (op) => {
      const seq = head.seq + 1
      const id = nextToken()
      const prev = head.id
      head = { seq, id }
      if (journal === undefined || unjournaled > covered) {
        unjournaled = seq
        schedule()
        return
      }
      ids.set(seq, id)
      const entry: JournalEntry = { seq, id, prev, op: carry(op) }
      bytes += entrySize(entry)
      append(entry, journal)
      if (head.seq - stored >= options.checkpointEntries || bytes - storedBytes >= options.checkpointBytes) schedule()
    },
    flush,
    hidden: () => {
      const needed = unjournaled > covered
      if (needed || (unstored() && imageBytes <= CHEAP_IMAGE_BYTES)) checkpoint().catch(options.report)
    },
    close: async () => {
      try {
        await flush()
        // The journal holds every commit: the checkpoint only spares the next open a replay.
        if (unstored()) await checkpoint().catch(options.report)
      } finally {
        stopped = true
        clearTimer()
      }
    },
    get exportCount() {
      return exportCount
    },
  }
}
