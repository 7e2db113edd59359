import type { ChangeSet, SchemaSpec } from '@zustand-sqlite/core'

/**
 * A place in the sequence of commits made to one database: its `seq`-th commit, whose id is `id`. Seq 0 is
 * the image a journal started from.
 */
export interface JournalPosition {
  readonly seq: number
  readonly id: string
}

/**
 * A commit, as plain data: what the backend replays on top of the image. `schema`, on an apply or a clear,
 * is the store's schema, carried by the first entry of each store after a checkpoint, so that the store can
 * be prepared before its ChangeSets are replayed.
 */
export type JournalOp =
  | { readonly kind: 'prepare'; readonly store: string; readonly schema: SchemaSpec }
  | {
      readonly kind: 'apply'
      readonly changeSet: ChangeSet
      /** What the clock read during the commit (timestamp columns), so that a replay writes the same. */
      readonly now?: readonly number[]
      readonly schema?: SchemaSpec
    }
  | {
      /** The ChangeSets of several stores, committed in one transaction: replayed whole, or not at all. */
      readonly kind: 'applyMany'
      readonly changeSets: readonly ChangeSet[]
      readonly now?: readonly number[]
      /** The schemas of its stores that no entry carried since the last checkpoint: `[store, schema]`. */
      readonly schemas?: readonly (readonly [string, SchemaSpec])[]
    }
  | { readonly kind: 'clear'; readonly store: string; readonly schema?: SchemaSpec }

/** One commit in a journal, linked to the commit before it. */
export interface JournalEntry {
  readonly seq: number
  /** Unique to this commit, whoever made it. */
  readonly id: string
  /** The id of the commit it follows: entry `seq - 1`, or the position the image includes. */
  readonly prev: string
  readonly op: JournalOp
}

/** What a journal holds: the last checkpoint's image and the entries stored since. */
export interface JournaledImage {
  /** Undefined when no image is stored yet. */
  readonly image: Uint8Array | undefined
  /** The commit the image includes. */
  readonly at: JournalPosition
  /** The stored entries, as read (unchecked). Only those that {@link chainFrom} `at` links are replayed. */
  readonly entries: readonly unknown[]
}

/**
 * Tells whether a position is one of this copy's commits (or the image it started from): what a checkpoint and
 * a flush check what is stored against, so that a copy never replaces, nor counts on extending, a history it
 * does not hold (another tab's commits).
 */
export type KnownPosition = (position: JournalPosition) => boolean

/**
 * A journal of commits beside the image: a commit is durable once its entry is stored, and the image is
 * written only as an occasional checkpoint. `indexedDbStorage` has one; an `ImageStorage` without one
 * stores the whole image for every durable write.
 */
export interface ImageJournal {
  /** Reads the image, the position it includes and the entries, in one transaction. */
  read(): Promise<JournaledImage>
  /**
   * Stores `entry` under its seq, in a write that is under way when this returns (a page may be left right
   * after) and that waits for no answer of the page. It rejects with CONCURRENT_MODIFICATION, storing nothing,
   * when an entry with that seq is stored already (another writer's).
   */
  append(entry: JournalEntry): Promise<void>
  /**
   * The commit the stored image includes. A copy whose entries were all stored checks it before it calls them
   * durable: an image it does not know was stored by another writer, which its entries do not follow.
   */
  position(): Promise<JournalPosition>
  /**
   * Stores `image` as including every commit up to `at` and removes every entry, in one transaction, if the
   * last entry that {@link chainFrom} the stored image links is `known`; otherwise it rejects with
   * CONCURRENT_MODIFICATION and changes nothing.
   */
  checkpoint(image: Uint8Array, at: JournalPosition, known: KnownPosition): Promise<void>
}

const isEntry = (value: unknown): value is JournalEntry => {
  const entry = value as Partial<JournalEntry> | null
  return (
    typeof entry === 'object' &&
    entry !== null &&
    Number.isSafeInteger(entry.seq) &&
    typeof entry.id === 'string' &&
    typeof entry.prev === 'string' &&
    typeof entry.op === 'object' &&
    entry.op !== null
  )
}

/**
 * The entries that extend `at`, in order: entry `at.seq + 1` whose `prev` is `at.id`, the one after it
 * whose `prev` is that entry's id, and so on. The first entry that does not link ends the chain: entries
 * after it belong to a history that was never completed (a copy that lost a race, or whose page was closed
 * between two writes), and are never replayed.
 */
export function chainFrom(
  at: JournalPosition,
  entries: readonly unknown[],
): { entries: JournalEntry[]; head: JournalPosition } {
  const bySeq = new Map<number, JournalEntry>()
  for (const entry of entries) if (isEntry(entry)) bySeq.set(entry.seq, entry)
  const chain: JournalEntry[] = []
  let head = at
  for (let next = bySeq.get(head.seq + 1); next?.prev === head.id; next = bySeq.get(head.seq + 1)) {
    chain.push(next)
    head = { seq: next.seq, id: next.id }
  }
  return { entries: chain, head }
}

/**
 * About how many bytes an entry takes when stored: its strings, numbers and byte arrays. A measure for when
 * to checkpoint, not an exact size.
 */
export function entrySize(entry: JournalEntry): number {
  let size = 64
  const { op } = entry
  const pending: unknown[] = [op.kind === 'apply' ? op.changeSet : op.kind === 'applyMany' ? op.changeSets : op.store]
  while (pending.length > 0) {
    const value = pending.pop()
    if (typeof value === 'string') size += value.length
    else if (value instanceof Uint8Array) size += value.byteLength
    else if (Array.isArray(value)) for (const item of value) pending.push(item)
    else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) pending.push(item)
    else size += 8
  }
  return size
}
