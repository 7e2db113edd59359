import type { CommittedChange } from './backend'

/** The subscribers of a backend's commits: `subscribe` for the Backend, `tell` after each commit. */
export interface CommitListeners {
  subscribe(listener: (change: CommittedChange) => void): () => void
  /** Calls every subscriber; one that throws is logged and does not stop the others, nor the commit. */
  tell(change: CommittedChange): void
}

/**
 * The `subscribe` of a Backend and the `tell` it calls after each commit, for backend authors.
 *
 * @example
 * ```ts
 * const commits = commitListeners()
 * return { ...methods, subscribe: commits.subscribe } // and commits.tell(change) after each commit
 * ```
 */
export function commitListeners(): CommitListeners {
  const listeners = new Set<(change: CommittedChange) => void>()
  return {
    subscribe: (listener) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    tell: (change) => {
      for (const listener of [...listeners]) {
        try {
          listener(change)
        } catch (error) {
          console.error('[zustand-sqlite] a subscriber of commits threw', error)
        }
      }
    },
  }
}
