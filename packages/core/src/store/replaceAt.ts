/**
 * What `replaceAt` knows of an array it made: the array it was made from (held weakly: it may be gone), the
 * indexes whose items were replaced, and the note of that array in turn, so that a write that coalesced several
 * replacements finds the array it last wrote among the ancestors.
 */
interface Derivation {
  readonly base: WeakRef<readonly unknown[]>
  readonly indexes: readonly number[]
  /** The base's own note; cut after {@link MAX_CHAIN} links, so a long session keeps no long chain. */
  readonly previous: Derivation | undefined
  readonly depth: number
}

const derivations = new WeakMap<readonly unknown[], Derivation>()

/** Replacements a write may coalesce and still use the notes: beyond, the diff compares the arrays whole. */
const MAX_CHAIN = 64

/**
 * A copy of `array` with `item` at `index` (within the array), noting that nothing else changed. The diff of
 * `persistSQLite` reads the note: a write of a store whose long array changed by `replaceAt` compares only the
 * items replaced, instead of the whole array, so its cost does not grow with the array. The copy is an ordinary
 * array; without the note (an array made another way) the diff compares everything, as it always did.
 *
 * An item replaced keeps its place, and in a collection its key: an item of another key is noticed, and the
 * write then compares the whole array.
 *
 * @example
 * ```ts
 * set((state) => ({ conversations: replaceAt(state.conversations, index, { ...conversation, title }) }))
 * ```
 */
export function replaceAt<T>(array: readonly T[], index: number, item: T): T[] {
  if (!Number.isInteger(index) || index < 0 || index >= array.length)
    throw new RangeError(`replaceAt: index ${index} is outside the array (length ${array.length})`)
  const copy = array.slice()
  copy[index] = item
  const previous = derivations.get(array)
  derivations.set(copy, {
    base: new WeakRef(array),
    indexes: [index],
    previous: previous === undefined || previous.depth >= MAX_CHAIN ? undefined : previous,
    depth: previous === undefined || previous.depth >= MAX_CHAIN ? 1 : previous.depth + 1,
  })
  return copy
}

/**
 * How `next` was made, by `replaceAt` calls alone, from an earlier array that `isKnown` accepts: that array and
 * the indexes replaced since (ascending, each once), or `undefined` when the notes lead to none (an array made
 * another way, or one whose ancestors are gone). What the diff reads; a store keeps what it derives from a list
 * (an index, a filtered copy) by list, and updates it for the indexes replaced instead of a pass over the list.
 *
 * @example
 * ```ts
 * const changes = changesSince(list, (earlier) => summaries.has(earlier))
 * if (changes !== undefined) summary = update(summaries.get(changes.base), list, changes.indexes)
 * ```
 */
export function changesSince<T>(
  next: readonly T[],
  isKnown: (array: readonly T[]) => boolean,
): { readonly base: readonly T[]; readonly indexes: readonly number[] } | undefined {
  let note = derivations.get(next)
  let indexes: number[] | undefined
  while (note !== undefined) {
    indexes = indexes === undefined ? [...note.indexes] : indexes.concat(note.indexes)
    // Every array in the chain has the items of `next`'s type: each was made from the one before by replaceAt.
    const base = note.base.deref() as readonly T[] | undefined
    if (base !== undefined && isKnown(base)) {
      const unique = [...new Set(indexes)].sort((a, b) => a - b)
      return { base, indexes: unique }
    }
    note = note.previous
  }
  return undefined
}
