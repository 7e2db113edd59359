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
