/**
 * What a collection loaded on demand holds while its rows are not loaded: one frozen empty array, known
 * by identity. Writing it back keeps the stored rows; an array made from it (by spreading it, by `map`)
 * is a new value and is refused, as it would replace rows the state never held. Check with
 * {@link isLoaded}; load with `store.persist.loadOnDemand(parentField, key)`.
 */
export const NOT_LOADED: readonly never[] = Object.freeze([])

/**
 * False for a collection left out of hydration ({@link NOT_LOADED}), true for anything else.
 *
 * @example
 * ```ts
 * const count = isLoaded(conversation.messages) ? conversation.messages.length : conversation.messageCount
 * ```
 */
export function isLoaded(value: unknown): boolean {
  return value !== NOT_LOADED
}

const replacements = new WeakSet<readonly unknown[]>()

/**
 * Marks `items` as the whole new content of a collection loaded on demand, in place of `NOT_LOADED`: the
 * item's stored rows are replaced (the item's row is deleted and written again, with every nested row it
 * holds), though they were never loaded. Without the mark, an array in place of `NOT_LOADED` is refused
 * (NOT_LOADED), as it may have been made from it by mistake. Returns `items`.
 *
 * @example
 * ```ts
 * set({ conversations: replaceAt(list, i, { ...conversation, messages: replaceStored(newHistory) }) })
 * ```
 */
export function replaceStored<T extends readonly unknown[]>(items: T): T {
  replacements.add(items)
  return items
}

/** @internal True for an array marked by {@link replaceStored}. */
export function isReplacement(value: unknown): boolean {
  return Array.isArray(value) && replacements.has(value)
}
