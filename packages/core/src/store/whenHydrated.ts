/** The part of `store.persist` that {@link whenHydrated} needs: Zustand's `persist` has it too. */
export interface HydrationSource {
  readonly persist: { hasHydrated(): boolean; onFinishHydration(fn: () => void): () => void }
}

/**
 * Resolves once a store has hydrated: at once when it already has (a synchronous backend hydrates
 * inside `create()`), else when its hydration finishes. Works for `persistSQLite` and Zustand's
 * `persist` alike. A hydration that fails does not resolve it: failures arrive through `onError` and
 * `onRehydrateStorage`.
 *
 * @example
 * ```ts
 * const store = createStore<State>()(persistSQLite(creator, { name: 'app', backend: createSqlJsBackend() }))
 * await whenHydrated(store)
 * ```
 */
export function whenHydrated(store: HydrationSource): Promise<void> {
  if (store.persist.hasHydrated()) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const stop = store.persist.onFinishHydration(() => {
      stop()
      resolve()
    })
  })
}
