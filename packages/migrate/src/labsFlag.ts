import type { Rollout } from './rollout'

/** What {@link followLabsFlag} needs of a UX labs store (`@zustand-sqlite/store-labs`, on either storage). */
export interface LabsFlagSource {
  getState(): { readonly enabledFlags: Readonly<Record<string, boolean>> }
  subscribe(
    listener: (
      state: { readonly enabledFlags: Readonly<Record<string, boolean>> },
      previous: { readonly enabledFlags: Readonly<Record<string, boolean>> },
    ) => void,
  ): () => void
}

/**
 * Makes the UX labs store's flag of the rollout (`sqlite-migration`) the user's override: each time the
 * flag changes (the user switches it in the labs panel), `rollout.setOverride` records it in the rollout's
 * synchronous storage, which the next start decides from. The flag itself may live in the SQLite
 * database it gates; the override does not. Returns the function that stops following.
 *
 * @example
 * ```ts
 * followLabsFlag(labsStore, rollout)
 * labsStore.getState().setFlag('sqlite-migration', true) // SQLite from the next start on
 * ```
 */
export function followLabsFlag(labs: LabsFlagSource, rollout: Rollout): () => void {
  return labs.subscribe((state, previous) => {
    const value = Object.hasOwn(state.enabledFlags, rollout.flag) ? state.enabledFlags[rollout.flag] : undefined
    const before = Object.hasOwn(previous.enabledFlags, rollout.flag) ? previous.enabledFlags[rollout.flag] : undefined
    if (typeof value === 'boolean' && value !== before) rollout.setOverride(value)
  })
}
