/**
 * `set` as a setter that also returns something the change computed (an id it made, whether it found
 * anything), for store actions that answer. The change is computed from the state `set` hands it, not from one
 * read before: a call made while an asynchronous hydration runs is made again by `persistSQLite` on the hydrated
 * state, and the answer is the one of the first run.
 *
 * @example
 * ```ts
 * const setReturning = returningSet(set)
 * const id = setReturning((state) => {
 *   const folder = newFolder()
 *   return [{ folders: [...state.folders, folder] }, folder.id] as const
 * })
 * ```
 */
export function returningSet<S>(
  set: (change: (state: S) => S | Partial<S>) => void,
): <R>(change: (state: S) => readonly [S | Partial<S>, R]) => R {
  return <R>(change: (state: S) => readonly [S | Partial<S>, R]): R => {
    let result: { readonly value: R } | undefined
    set((state) => {
      const [next, value] = change(state)
      result ??= { value }
      return next
    })
    return (result as { readonly value: R }).value
  }
}
