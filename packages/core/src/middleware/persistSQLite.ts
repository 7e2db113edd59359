import type { StateCreator, StoreApi, StoreMutatorIdentifier } from 'zustand/vanilla'
import type { ApplyResult, Backend, LoadResult } from '../contract/backend'
import { countChangeSetRows, countTableRows } from '../contract/changeSet'
import type { ChangeSet } from '../contract/changeSet'
import { isZustandSqliteError, toZustandSqliteError, ZustandSqliteError } from '../contract/errors'
import { attempt, chain, isPromiseLike } from '../contract/maybe'
import type { MaybePromise } from '../contract/maybe'
import { createCodec } from '../schema/codec'
import { buildChangeSet } from './buildChangeSet'
import { lendToJointCommits } from './commitTogether'
import { appendRows, lazyCopyWrite, lazyValuesWrite } from './extraWrites'
import type { ExtraWrite } from './extraWrites'
import { withDefaults } from './options'
import type { CommitInfo, PersistListener, PersistSQLiteApi, PersistSQLiteOptions, ResolvedOptions } from './options'
import { checkKey, holdsNotLoaded, onDemandParent, onDemandTables, readOnDemand, withLoaded } from './onDemand'
import { createRemoteChanges } from './remoteChanges'
import { restore } from './restore'
import type { Isolation } from './diff'
import { addRefusedRows } from './refusedRows'
import { createBackendResolver, createTarget, mirrorLoaded, readyBackend } from './target'
import type { Target } from './target'
import { createLane, createWriteQueue, MAX_REBASES, rebaseBackoff } from './writeQueue'

type StorePersistSQLite<S, Ps, Pr> = S extends {
  getState: () => infer T
  setState: {
    (...args: infer Sa1): infer Sr1
    (...args: infer Sa2): infer Sr2
  }
}
  ? {
      setState(...args: Sa1): Sr1 | Pr
      setState(...args: Sa2): Sr2 | Pr
      persist: PersistSQLiteApi<T, Ps>
    }
  : never

type Write<T, U> = Omit<T, keyof U> & U
// As Zustand's `persist` declares it (setState returns `unknown`), so code typed against one compiles
// against the other.
type WithPersistSQLite<S, A> = Write<S, StorePersistSQLite<S, A, unknown>>

declare module 'zustand/vanilla' {
  interface StoreMutators<S, A> {
    'zustand-sqlite/persist': WithPersistSQLite<S, A>
  }
}

type PersistSQLite = <
  T,
  Mps extends [StoreMutatorIdentifier, unknown][] = [],
  Mcs extends [StoreMutatorIdentifier, unknown][] = [],
  U = T,
>(
  initializer: StateCreator<T, [...Mps, ['zustand-sqlite/persist', unknown]], Mcs>,
  options: PersistSQLiteOptions<T, U>,
) => StateCreator<T, Mps, [['zustand-sqlite/persist', U], ...Mcs]>

type PersistSQLiteImpl = <T>(
  initializer: StateCreator<T, [], []>,
  options: PersistSQLiteOptions<T, unknown>,
) => StateCreator<T, [], []>

type Item = Record<string, unknown>

const now = (): number => (typeof performance === 'undefined' ? Date.now() : performance.now())
const ignore = (): void => undefined

/** A failure of the write path, as reported: typed errors keep their code, anything else is WRITE_FAILED. */
function writeError(error: unknown, store: string): ZustandSqliteError {
  // A backend labels a failed prepare HYDRATION_FAILED; on the write path it failed a write.
  if (isZustandSqliteError(error) && error.code !== 'HYDRATION_FAILED') return error
  const detail = error instanceof Error ? error.message : String(error)
  return new ZustandSqliteError(
    'WRITE_FAILED',
    `store ${JSON.stringify(store)}: the write failed and was rolled back (${detail}); the state is kept and written with the next change`,
    { store, cause: error },
  )
}

/** A promise of a call that may throw, return a value, or return a promise. */
function settle(run: () => MaybePromise<void>): Promise<void> {
  try {
    const result = run()
    return isPromiseLike(result) ? Promise.resolve(result) : Promise.resolve()
  } catch (error) {
    return Promise.reject(error)
  }
}

function commitInfo(
  changeSet: ChangeSet,
  reason: CommitInfo['reason'],
  durationMs: number,
  backend: string,
): CommitInfo {
  const tables: Record<string, number> = {}
  for (const t of changeSet.tables) tables[t.table] = countTableRows(t)
  const kvRows = (changeSet.kv?.set?.length ?? 0) + (changeSet.kv?.delete?.length ?? 0)
  if (kvRows > 0) tables['zs_kv'] = kvRows
  return { store: changeSet.store, backend, reason, tables, rows: countChangeSetRows(changeSet), durationMs, changeSet }
}

const persistSQLiteImpl: PersistSQLiteImpl = (config, baseOptions) => (set, get, api) => {
  type S = ReturnType<typeof get>
  let options: ResolvedOptions<S> = withDefaults(baseOptions)
  const backends = createBackendResolver()
  let target: Target = createTarget(options, false)
  const lane = createLane()

  let hasHydrated = false
  let hydrationVersion = 0
  let hydration: Promise<void> | undefined
  let hydrationError: unknown
  /**
   * Sets made while a hydration runs, and the state they were made on: the hydrated state is merged
   * into that state, then the sets are made again on top of it, so none is lost to the merge.
   */
  let recording: { readonly base: S; readonly sets: unknown[][] } | undefined
  let stateFromStorage: S | undefined
  const hydrationListeners = new Set<PersistListener<S>>()
  const finishHydrationListeners = new Set<PersistListener<S>>()

  const report = (error: ZustandSqliteError): ZustandSqliteError => {
    try {
      ;(options.onError ?? console.error)(error)
    } catch (callbackError) {
      console.error('[zustand-sqlite] onError threw', callbackError)
    }
    return error
  }

  const notifyCommit = (
    changeSet: ChangeSet,
    reason: CommitInfo['reason'],
    started: number,
    backend: Backend,
  ): void => {
    if (options.onCommit === undefined) return
    try {
      options.onCommit(commitInfo(changeSet, reason, now() - started, backend.name))
    } catch (error) {
      console.error('[zustand-sqlite] onCommit threw', error)
    }
  }

  const ready = (t: Target): MaybePromise<Backend> => readyBackend(t, backends.resolve)

  /** Loads the store again after what is pending is written, and takes what is stored into the state. */
  const reload = (t: Target): void => {
    settle(() =>
      chain(queue.writeNow(t), () =>
        lane.run(() =>
          chain(ready(t), (backend) =>
            chain(backend.load(t.name), (loaded) => {
              if (t !== target) return undefined
              const restoring = restore(
                loaded,
                {
                  ...options,
                  merge: options.mergeRemote ?? options.merge,
                  name: t.name,
                  schema: t.schema,
                  codec: t.codec,
                },
                get(),
              )
              return chain(restoring, (restored) => {
                if (t !== target) return
                // A state of another version is taken as `migrate` makes it; the next write stores it.
                mirrorLoaded(t, loaded, restored)
                set(restored.state, true)
              })
            }),
          ),
        ),
      ),
    ).catch((error: unknown) => {
      report(
        toZustandSqliteError(
          error,
          'HYDRATION_FAILED',
          `store ${JSON.stringify(t.name)}: loading another writer's commit failed`,
          { store: t.name },
        ),
      )
    })
  }

  /** The ChangeSet that turns what `t` holds (its mirror) into `state`, with `extras` after it. */
  const diffAgainstMirror = (
    t: Target,
    state: Item,
    extras: readonly ExtraWrite[],
    isolation: Isolation | undefined,
  ): ChangeSet | undefined => {
    const { mirror } = t
    return buildChangeSet({
      store: t.name,
      schema: t.schema,
      codec: t.codec,
      memo: mirror.memo,
      prev: mirror.snapshot,
      prevVersion: mirror.version,
      next: state,
      version: options.version,
      extras,
      baseRevision: mirror.replace ? undefined : mirror.revision,
      replace: mirror.replace,
      isolation,
    })
  }

  const remote = createRemoteChanges({
    current: () => target,
    hydrated: () => hasHydrated,
    version: () => options.version,
    persisted: (t) => {
      const state = options.partialize({ ...get() }) as Item
      // A diff against the mirror records the order keys of the arrays changed here and not written yet;
      // its rows are not used (the write of those changes is its own).
      diffAgainstMirror(t, state, [], { held: t.held, refusals: [], retried: [] })
      return state
    },
    // Not a change of this store: the raw `set`, which does not ask for a write.
    take: (persisted) => set((options.mergeRemote ?? options.merge)(persisted, get()), true),
    reload,
  })

  /**
   * After a write committed (or had nothing to write): what it left out is held back until it changes,
   * and reported through onError once. Returns the first new refusal, which the write's waiters
   * (`flush()`) reject with: the rest is written, that part is not.
   */
  const settleRefusals = (t: Target, isolation: Isolation): ZustandSqliteError | undefined => {
    for (const id of isolation.retried) t.held.delete(id)
    let first: ZustandSqliteError | undefined
    for (const { error, unit, held, once, again } of isolation.refusals) {
      if (unit !== undefined && held !== undefined) t.held.set(unit, held)
      // The same value refused again (it only moved) was reported when it was refused.
      if (again === true) continue
      // An item left out for good is found again by every diff of its array: reported once.
      if (once !== undefined) {
        if (t.reported.has(once)) continue
        t.reported.add(once)
      }
      report(error)
      first ??= error
    }
    return first
  }

  /**
   * Writes `state` over what the target holds, as one ChangeSet against its mirror. When another
   * connection wrote the store since this one read or wrote it, what it holds now is loaded and the
   * diff made again, so that once this resolves the store holds `state`, whatever was written before.
   * A write leaves out the parts the database cannot hold and commits the rest (see settleRefusals);
   * the rewrite of a migration commits whole or not at all.
   */
  const applyState = (
    backend: Backend,
    t: Target,
    state: Item,
    extras: readonly ExtraWrite[],
    reason: CommitInfo['reason'],
    rebases: number,
  ): MaybePromise<ZustandSqliteError | undefined> => {
    const mirror = t.mirror
    const before = mirror.snapshot
    const isolation: Isolation | undefined =
      reason === 'write' ? { held: t.held, refusals: [], retried: [] } : undefined
    const changeSet = diffAgainstMirror(t, state, extras, isolation)
    if (changeSet === undefined) {
      mirror.snapshot = state
      return isolation === undefined ? undefined : settleRefusals(t, isolation)
    }
    const started = now()
    remote.own.add(changeSet)
    return attempt(
      () =>
        chain(backend.apply(changeSet), (result) => {
          const refused = (result as ApplyResult | undefined)?.refused
          if (isolation !== undefined && refused !== undefined && refused.length > 0)
            addRefusedRows(t.schema, isolation, refused, before, state)
          Object.assign(mirror, {
            snapshot: state,
            version: changeSet.stateVersion ?? mirror.version,
            revision: (result as { revision?: number } | undefined)?.revision,
            replace: false,
          })
          notifyCommit(changeSet, reason, started, backend)
          return isolation === undefined ? undefined : settleRefusals(t, isolation)
        }),
      (error) => {
        const conflict = isZustandSqliteError(error, 'CONCURRENT_MODIFICATION') && changeSet.baseRevision !== undefined
        if (!conflict || rebases >= MAX_REBASES) throw error
        return chain(rebaseBackoff(rebases), () => {
          if (
            reason === 'write' &&
            mirror.revision !== undefined &&
            mirror.revision > (changeSet.baseRevision as number)
          ) {
            // The other writers' commits were taken in while this one ran (see remoteChanges): the mirror and
            // the state hold them. Diffed again against that mirror, without loading.
            return applyState(backend, t, options.partialize({ ...get() }) as Item, extras, reason, rebases + 1)
          }
          return chain(backend.load(t.name), (loaded) => {
            mirrorLoaded(t, loaded)
            // The state now: commits of other writers told meanwhile are in it (see remoteChanges), and are
            // kept. The rewrite of a migration writes what it migrated.
            const next = reason === 'write' ? (options.partialize({ ...get() }) as Item) : state
            return applyState(backend, t, next, extras, reason, rebases + 1)
          })
        })
      },
    )
  }

  const queue = createWriteQueue({
    lane,
    current: () => target,
    canWrite: () => hasHydrated,
    delayMs: () => options.writeDelayMs,
    write: (t, extras) =>
      chain(ready(t), (backend) => {
        remote.follow(t)
        return applyState(backend, t, options.partialize({ ...get() }) as Item, extras, 'write', 0)
      }),
    report: (error, t) => report(writeError(error, t.name)),
  })

  /** The backend's own durability step (the sql.js image), after the writes. */
  const durable = (t: Target): MaybePromise<void> => {
    const backend = t.prepared
    if (backend === undefined) return undefined
    return attempt(
      () => backend.flush(),
      (error) => {
        throw report(
          toZustandSqliteError(
            error,
            'WRITE_FAILED',
            `store ${JSON.stringify(t.name)}: making the writes durable failed`,
            {
              store: t.name,
            },
          ),
        )
      },
    )
  }

  // --- the store -------------------------------------------------------------------------------

  const changed = (args: unknown[]): void => {
    recording?.sets.push(args)
    queue.request()
  }
  const savedSetState = api.setState
  api.setState = ((...args: Parameters<typeof savedSetState>) => {
    savedSetState(...args)
    changed(args)
  }) as typeof api.setState
  const configResult = config(
    ((...args: Parameters<typeof set>) => {
      set(...args)
      changed(args)
    }) as typeof set,
    get,
    api,
  )
  api.getInitialState = () => configResult

  // --- hydration -------------------------------------------------------------------------------

  const current = (): S => get() ?? configResult

  const hydrate = (): MaybePromise<void> => {
    const version = ++hydrationVersion
    const superseded = (): boolean => version !== hydrationVersion
    hasHydrated = false
    hydrationError = undefined
    // A hydration that supersedes another keeps its record: those sets were made on the same base.
    recording ??= { base: current(), sets: [] }
    const base = recording.base
    hydrationListeners.forEach((cb) => cb(current()))
    const postRehydration = options.onRehydrateStorage?.(current()) || undefined
    const t = target

    const fail = (error: unknown): void => {
      if (superseded()) return
      const wrapped = toZustandSqliteError(
        error,
        'HYDRATION_FAILED',
        `store ${JSON.stringify(t.name)}: hydration failed; stored data was left untouched`,
        { store: t.name },
      )
      hydrationError = wrapped
      hydration = undefined
      recording = undefined
      try {
        postRehydration?.(undefined, wrapped)
      } finally {
        report(wrapped)
      }
    }

    const finish = (state: S): void => {
      const sets = recording?.sets ?? []
      recording = undefined
      set(state, true)
      for (const args of sets) {
        try {
          ;(set as (...args: unknown[]) => void)(...args)
        } catch (error) {
          // A change that needs what hydration left out (NOT_LOADED) is left out and reported; the others stand.
          if (!isZustandSqliteError(error, 'NOT_LOADED')) throw error
          report(error)
        }
      }
      postRehydration?.(get(), undefined)
      stateFromStorage = get()
      hasHydrated = true
      hydration = undefined
      remote.drain(t)
      finishHydrationListeners.forEach((cb) => cb(stateFromStorage as S))
      if (target.pending.dirty || target.pending.extras.length > 0) queue.schedule()
    }

    const skipTables = options.hydrate === 'onDemand' ? onDemandTables(t.schema) : []
    const loadAll = (backend: Backend): MaybePromise<LoadResult> => {
      if (skipTables.length === 0) return backend.load(t.name)
      // A state of another version is migrated whole: its collections loaded on demand are read too.
      return chain(backend.load(t.name, { skipTables }), (loaded) =>
        loaded.stateVersion === null || loaded.stateVersion === options.version ? loaded : backend.load(t.name),
      )
    }

    const load = (backend: Backend): MaybePromise<void> => {
      // Commits made from here on are told, and taken once hydrated: none falls between load and then.
      remote.follow(t)
      return chain(loadAll(backend), (loaded) => {
        if (superseded()) return undefined
        const restoring = restore(loaded, { ...options, name: t.name, schema: t.schema, codec: t.codec }, base)
        return chain(restoring, (restored) => {
          if (superseded()) return undefined
          mirrorLoaded(t, loaded, restored)
          if (!restored.migrated) return finish(restored.state)
          // The rewrite of a migration commits whole before the migrated state is used.
          const migrated = options.partialize({ ...restored.state }) as Item
          return chain(applyState(backend, t, migrated, [], 'migration', 0), () => {
            if (!superseded()) finish(restored.state)
          })
        })
      })
    }

    const result = attempt(() => lane.run(() => chain(ready(t), load)), fail)
    if (!isPromiseLike(result)) return undefined
    hydration = Promise.resolve(result)
    return hydration
  }

  // --- store.persist ---------------------------------------------------------------------------

  const persistApi: PersistSQLiteApi<S, unknown> = {
    setOptions: (newOptions) => {
      const next = withDefaults<S>({ ...options, ...newOptions })
      const retarget = next.name !== options.name || next.schema !== options.schema || next.backend !== options.backend
      const versionChanged = next.version !== options.version
      if (next.json !== options.json) target.codec = createCodec(next.json)
      options = next
      if (retarget) {
        const old = target
        remote.stop(old)
        // Changes not written yet belong to the current target: written there, after what runs now.
        if (hasHydrated) settle(() => queue.writeNow(old)).catch(ignore)
        // The new target's content is unknown: the next set writes the whole state over it, and a
        // rehydrate() before that reads it instead. Sets made before hydration stay pending for it.
        target = createTarget(next, true)
        if (!hasHydrated) {
          Object.assign(target.pending, { dirty: old.pending.dirty, extras: old.pending.extras })
          old.pending.extras = []
        }
      } else if (versionChanged && hasHydrated) queue.request()
    },
    clearStorage: () => {
      // A hydration in flight would apply what is being deleted: it is superseded, and runs again after.
      const wasHydrating = hydration !== undefined
      ++hydrationVersion
      queue.cancel()
      const t = target
      t.pending.dirty = false
      t.pending.extras = []
      return settle(() =>
        attempt(
          () =>
            lane.run(() =>
              chain(ready(t), (backend) =>
                chain(backend.clear(t.name), () => {
                  Object.assign(t.mirror, { snapshot: null, version: null, revision: undefined, memo: new WeakMap() })
                  t.held.clear()
                  if (wasHydrating) void hydrate()
                }),
              ),
            ),
          (error) => {
            throw report(
              toZustandSqliteError(error, 'WRITE_FAILED', `store ${JSON.stringify(t.name)}: clearStorage failed`, {
                store: t.name,
              }),
            )
          },
        ),
      )
    },
    getOptions: () => options,
    rehydrate: () => {
      // Changes not written yet would be lost to the merge: written first (hydration waits for them).
      if (hasHydrated) settle(() => queue.writeNow(target)).catch(ignore)
      return settle(hydrate)
    },
    hasHydrated: () => hasHydrated,
    onHydrate: (cb) => {
      hydrationListeners.add(cb)
      return () => {
        hydrationListeners.delete(cb)
      }
    },
    onFinishHydration: (cb) => {
      finishHydrationListeners.add(cb)
      return () => {
        finishHydrationListeners.delete(cb)
      }
    },
    flush: () => {
      if (!hasHydrated) {
        if (hydration !== undefined) return hydration.then(() => persistApi.flush())
        return Promise.reject(
          new ZustandSqliteError(
            'NOT_HYDRATED',
            `store ${JSON.stringify(options.name)} has not hydrated${hydrationError === undefined ? '' : ' (hydration failed)'}; nothing can be written`,
            { store: options.name, cause: hydrationError },
          ),
        )
      }
      const t = target
      return settle(() => chain(queue.writeNow(t), () => durable(t)))
    },
    append: (table, rows) => queue.add(appendRows(target.schema, target.codec, target.name, table, rows)),
    writeLazy: (table, key, values) => queue.add([lazyValuesWrite(target.schema, target.codec, table, key, values)]),
    copyLazy: (table, from, to, fields) => queue.add([lazyCopyWrite(target.schema, table, from, to, fields)]),
    getBackend: () => backends.latest,
    loadOnDemand: (field, key) => {
      let node: ReturnType<typeof onDemandParent>
      try {
        node = onDemandParent(target.schema, field)
        checkKey(node, key)
      } catch (error) {
        return Promise.reject(error)
      }
      if (!hasHydrated) {
        if (hydration !== undefined) return hydration.then(() => persistApi.loadOnDemand(field, key))
        return Promise.reject(
          new ZustandSqliteError(
            'NOT_HYDRATED',
            `store ${JSON.stringify(options.name)} has not hydrated; nothing can be loaded`,
            {
              store: options.name,
            },
          ),
        )
      }
      const t = target
      // Nothing to read when neither the state nor the record of what is stored lacks the item's collections.
      if (!holdsNotLoaded(node, (get() as Item)[field], key) && !holdsNotLoaded(node, t.mirror.snapshot?.[field], key))
        return Promise.resolve()
      return settle(() =>
        lane.run(() =>
          chain(ready(t), (backend) =>
            chain(readOnDemand(backend, node, t.codec, t.mirror.memo, key), (children) => {
              if (t !== target) return
              const { mirror } = t
              // withLoaded returns what it is given when the item is not there (nothing stored, another field).
              const stored = mirror.snapshot?.[field]
              const loaded = withLoaded(node, stored, key, children, mirror.memo)
              if (loaded !== stored) mirror.snapshot = { ...mirror.snapshot, [field]: loaded }
              const state = get() as Item
              const before = state[field]
              const after = withLoaded(node, before, key, children)
              // Not a change to write: the raw `set`. The mirror holds the same collections, so a write sees none.
              if (after !== before) set({ [field]: after } as Partial<S>)
            }),
          ),
        ),
      )
    },
  }
  ;(api as StoreApi<S> & { persist: PersistSQLiteApi<S, unknown> }).persist = persistApi
  lendToJointCommits(persistApi, {
    target: () => target,
    hydrated: () => hasHydrated,
    lane,
    getState: get,
    putState: (state) => set(state, true),
    persisted: () => options.partialize({ ...get() }) as Item,
    ready: (t) =>
      chain(ready(t), (backend) => {
        remote.follow(t)
        return backend
      }),
    diff: diffAgainstMirror,
    own: (changeSet) => remote.own.add(changeSet),
    notifyCommit: (changeSet, started, backend) => notifyCommit(changeSet, 'write', started, backend),
    settleRefusals: (t, isolation) => void settleRefusals(t, isolation),
    schedule: () => {
      if (hasHydrated) queue.schedule()
    },
  })

  if (options.skipHydration !== true) void hydrate()

  return stateFromStorage ?? configResult
}

/**
 * Persists a Zustand store into SQLite. A drop-in superset of Zustand's `persist`: the same options
 * (but `storage`, replaced by `backend`) and the same `store.persist` API, plus `schema` (state mapped
 * onto tables), `writeDelayMs`, `json`, `onError`, `onCommit`, `store.persist.flush()` and `append()`.
 *
 * Only the rows whose values changed are written, in one transaction per tick, one write at a time.
 * With a synchronous backend (better-sqlite3, sql.js once open) the store is hydrated when `create()`
 * returns. Writes never start before hydration has finished, sets made while it runs are made again on
 * the hydrated state, and a failed hydration or migration never writes over stored data.
 *
 * @example
 * ```ts
 * import { create } from 'zustand'
 * import { persistSQLite } from '@zustand-sqlite/core'
 * import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
 *
 * const backend = createBetterSqlite3Backend({ filename: '.data/app.db' })
 * const useBears = create<{ bears: number; add: () => void }>()(
 *   persistSQLite((set) => ({ bears: 0, add: () => set((s) => ({ bears: s.bears + 1 })) }), { name: 'bears', backend }),
 * )
 * ```
 */
export const persistSQLite = persistSQLiteImpl as unknown as PersistSQLite
