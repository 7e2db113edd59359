import type { CommittedChange } from '../contract/backend'
import type { ChangeSet } from '../contract/changeSet'
import { applyChangeSet } from './applyChangeSet'
import type { Target } from './target'

type Item = Record<string, unknown>

/** What taking in another writer's commits needs from the middleware. */
export interface RemoteHost {
  /** The target sets go to now: commits to another are not this store's any more. */
  current(): Target
  hydrated(): boolean
  /** The state version of the code. */
  version(): number
  /**
   * The persisted part of the state now (`partialize`), with the order of its arrays recorded against
   * `t`'s mirror (arrays changed here since the last write have none yet).
   */
  persisted(t: Target): Item
  /** Sets the state from a persisted part, as a commit made elsewhere: it is not a change to write. */
  take(persisted: Item): void
  /** Loads the store again and takes what is stored (a commit missed, or one that cannot be applied). */
  reload(t: Target): void
}

/**
 * @internal Takes in the commits other writers make to a store (another tab, a query function, another
 * store object on the same backend): each ChangeSet, in revision order, is applied to the target's mirror
 * and to the state at the cost of what it changed. A commit that does not follow the mirror's revision
 * (one was missed), of another state or schema version, with refused rows, or that cannot be applied, makes
 * the store load again instead. The store's own commits (`own`) and those it has seen are skipped.
 */
export function createRemoteChanges(host: RemoteHost): {
  /** ChangeSets this store applies: the backend tells them back, and they are skipped. */
  readonly own: WeakSet<ChangeSet>
  /** Starts taking the commits of `t`'s backend (once; again after `stop`). */
  follow(t: Target): void
  /** Commits told while the store hydrated, taken once it has. */
  drain(t: Target): void
  stop(t: Target): void
} {
  const own = new WeakSet<ChangeSet>()
  const inbox = new WeakMap<Target, CommittedChange[]>()
  const stops = new WeakMap<Target, () => void>()

  const take = (t: Target, change: CommittedChange): void => {
    if (change.store !== t.name || t !== host.current()) return
    if ('changeSet' in change && own.has(change.changeSet)) return
    if (!host.hydrated()) {
      let queued = inbox.get(t)
      if (queued === undefined) inbox.set(t, (queued = []))
      queued.push(change)
      return
    }
    const mirror = t.mirror
    if (mirror.revision !== undefined && change.revision <= mirror.revision) return
    if ('cleared' in change) {
      // As for `clearStorage()` in the tab that called it: the state stays; nothing is stored any more.
      Object.assign(mirror, { snapshot: null, version: null, revision: change.revision, memo: new WeakMap() })
      t.held.clear()
      return
    }
    const { changeSet } = change
    const follows =
      mirror.revision !== undefined &&
      change.revision === mirror.revision + 1 &&
      changeSet.schemaVersion === t.schema.spec.version &&
      (changeSet.stateVersion === undefined || changeSet.stateVersion === host.version()) &&
      (change.refused === undefined || change.refused.length === 0)
    if (follows) {
      try {
        const local = host.persisted(t)
        const snapshot = applyChangeSet(t.schema, t.codec, mirror.memo, mirror.snapshot, changeSet)
        const persisted = applyChangeSet(t.schema, t.codec, mirror.memo, local, changeSet)
        Object.assign(mirror, {
          snapshot,
          revision: change.revision,
          version: changeSet.stateVersion ?? mirror.version,
          replace: false,
        })
        host.take(persisted)
        return
      } catch {
        // An array of the state whose order the mirror does not know (changed here since): load instead.
      }
    }
    host.reload(t)
  }

  return {
    own,
    follow(t) {
      const backend = t.prepared
      if (stops.has(t) || backend?.subscribe === undefined) return
      stops.set(
        t,
        backend.subscribe((change) => take(t, change)),
      )
    },
    drain(t) {
      const queued = inbox.get(t)
      if (queued === undefined) return
      inbox.delete(t)
      for (const change of queued) take(t, change)
    },
    stop(t) {
      stops.get(t)?.()
      stops.delete(t)
      inbox.delete(t)
    },
  }
}
