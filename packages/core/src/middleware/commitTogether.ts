import type { ApplyResult, Backend } from '../contract/backend'
import type { ChangeSet } from '../contract/changeSet'
import { isZustandSqliteError, toZustandSqliteError, ZustandSqliteError } from '../contract/errors'
import { attempt, chain, isPromiseLike } from '../contract/maybe'
import type { MaybePromise } from '../contract/maybe'
import { withStore } from '../contract/withStore'
import type { HeldBack, Isolation, Refusal } from './diff'
import type { ExtraWrite } from './extraWrites'
import type { PersistSQLiteApi } from './options'
import { mirrorLoaded } from './target'
import type { Target } from './target'
import { MAX_REBASES, rebaseBackoff } from './writeQueue'
import type { Lane } from './writeQueue'

type Item = Record<string, unknown>

/** A store {@link commitTogether} takes: one made with `persistSQLite` (or a store definition's `create`). */
export interface JointStore {
  readonly persist: Pick<PersistSQLiteApi<never, never>, 'flush' | 'getBackend'>
}

/** @internal What a store's part in a joint commit needs from its `persistSQLite`. */
export interface JointHost<S> {
  /** The target sets go to now. */
  target(): Target
  hydrated(): boolean
  readonly lane: Lane
  getState(): S
  /** Sets the whole state, as a commit made elsewhere would: not a change to write. */
  putState(state: S): void
  /** The persisted part of the state now (`partialize`). */
  persisted(): Item
  /** The target's backend with its store prepared, its commits followed. */
  ready(t: Target): MaybePromise<Backend>
  /** The ChangeSet that turns what the target holds into `state`, with `extras` after it. */
  diff(t: Target, state: Item, extras: readonly ExtraWrite[], isolation: Isolation): ChangeSet | undefined
  /** A ChangeSet of this store, which the backend tells back: not another writer's. */
  own(changeSet: ChangeSet): void
  /** Calls `onCommit`. */
  notifyCommit(changeSet: ChangeSet, started: number, backend: Backend): void
  /** After a commit: what the diff left out is held back (nothing new: a new refusal fails the commit). */
  settleRefusals(t: Target, isolation: Isolation): void
  /** Schedules a write of what is pending. */
  schedule(): void
}

/** @internal One store's part in one joint commit. */
interface JointPart {
  readonly name: string
  readonly backend: Backend
  readonly lane: Lane
  /** After `run`: takes what is pending (what `run` changed, and anything before) into the joint commit. */
  claim(): void
  ready(): MaybePromise<unknown>
  /** The ChangeSet of the state now; throws for a part of it that cannot be stored and was not held back. */
  diff(): ChangeSet | undefined
  /** The joint commit committed what `diff` made (`result` when it made a ChangeSet). */
  committed(result: ApplyResult | undefined): void
  /** Another writer committed the store since: the store takes what it holds, as its own write would. */
  rebase(): MaybePromise<void>
  /** `run` threw, or the commit failed for good: the state and what was pending, as they were. */
  putBack(): void
  /** The joint commit: `flush()` waits for it while it runs. */
  running(commit: Promise<void>): void
}

/** @internal What `persistSQLite` lends {@link commitTogether}. */
export interface JointHook {
  /** A part for a joint commit starting now; NOT_HYDRATED when the store cannot take part yet. Changes nothing. */
  begin(): JointPart
}

/** Each persistSQLite store's hook, by its `store.persist`: internal, not a method of the API. */
const hooks = new WeakMap<object, JointHook>()

const now = (): number => (typeof performance === 'undefined' ? Date.now() : performance.now())

/** @internal Lends {@link commitTogether} a store: called once by `persistSQLite` with its `store.persist`. */
export function lendToJointCommits<S>(persist: object, host: JointHost<S>): void {
  hooks.set(persist, { begin: () => beginPart(host) })
}

function beginPart<S>(host: JointHost<S>): JointPart {
  const t = host.target()
  const unavailable = (why: string): ZustandSqliteError =>
    new ZustandSqliteError('NOT_HYDRATED', `store ${JSON.stringify(t.name)} ${why}; it cannot commit with others yet`, {
      store: t.name,
    })
  if (!host.hydrated()) throw unavailable('has not hydrated')
  const backend = t.prepared ?? (typeof t.backendOption === 'function' ? undefined : t.backendOption)
  if (backend === undefined) throw unavailable('has not opened its new backend')

  const before = host.getState()
  const pendingBefore = { dirty: t.pending.dirty, extras: t.pending.extras.slice() }
  /** Refusals known when the part began: held back or reported before, they do not fail the commit. */
  const heldBefore = new Map<string, HeldBack>(t.held)
  const reportedBefore = new Set(t.reported)
  let claimed: { readonly state: S; readonly extras: ExtraWrite[] } | undefined
  let last: { state: Item; isolation: Isolation; changeSet: ChangeSet | undefined; started: number } | undefined

  const isNew = (r: Refusal): boolean =>
    r.again !== true &&
    !(r.unit !== undefined && r.held !== undefined && heldBefore.get(r.unit)?.refused === r.held.refused) &&
    !(r.once !== undefined && (reportedBefore.has(r.once) || t.reported.has(r.once)))

  return {
    name: t.name,
    backend,
    lane: host.lane,
    claim: () => {
      claimed = { state: host.getState(), extras: t.pending.extras }
      t.pending.extras = []
      t.pending.dirty = false
    },
    ready: () => host.ready(t),
    diff: () => {
      const state = host.persisted()
      const isolation: Isolation = { held: t.held, refusals: [], retried: [] }
      const changeSet = host.diff(t, state, claimed?.extras ?? [], isolation)
      const refused = isolation.refusals.find(isNew)
      // A part that cannot be stored fails the joint commit: the stores commit whole or not at all.
      if (refused !== undefined) throw withStore(refused.error, t.name)
      if (changeSet !== undefined) host.own(changeSet)
      last = { state, isolation, changeSet, started: now() }
      return changeSet
    },
    committed: (result) => {
      if (last === undefined) return
      const { state, isolation, changeSet, started } = last
      if (changeSet === undefined) t.mirror.snapshot = state
      else {
        Object.assign(t.mirror, {
          snapshot: state,
          version: changeSet.stateVersion ?? t.mirror.version,
          revision: result?.revision,
          replace: false,
        })
        host.notifyCommit(changeSet, started, backend)
      }
      host.settleRefusals(t, isolation)
    },
    rebase: () => {
      const base = last?.changeSet?.baseRevision
      // The other writers' commits were taken in while this one ran: the mirror and the state hold them.
      if (base !== undefined && t.mirror.revision !== undefined && t.mirror.revision > base) return undefined
      return chain(backend.load(t.name), (loaded) => mirrorLoaded(t, loaded))
    },
    putBack: () => {
      const untouched = claimed === undefined || host.getState() === claimed.state
      // A store changed since `run` (a set, another writer's commit taken in) keeps its state: its own next
      // write writes it, `run`'s changes with it.
      if (untouched) host.putState(before)
      t.pending.dirty = untouched ? pendingBefore.dirty : true
      const extras = untouched ? pendingBefore.extras : (claimed?.extras ?? [])
      t.pending.extras = claimed === undefined ? extras : extras.concat(t.pending.extras)
      if (t.pending.dirty || t.pending.extras.length > 0) host.schedule()
    },
    running: (commit) => {
      t.running = commit
      const settled = (): void => {
        if (t.running === commit) t.running = undefined
      }
      commit.then(settled, settled)
    },
  }
}

/**
 * Takes every lane at once, in this tick: two joint commits that name the same stores in different orders
 * queue in the same order on each lane, so neither waits for the other. `held` settles once every lane is
 * held (at once, where none is busy); the operations asked for after wait until `release`.
 */
function holdLanes(lanes: readonly Lane[]): { held: MaybePromise<void>; release: () => void } {
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let waiting = lanes.length
  let wake: (() => void) | undefined
  for (const lane of lanes) {
    void lane.run(() => {
      waiting--
      if (waiting === 0) wake?.()
      return released
    })
  }
  const held = waiting === 0 ? undefined : new Promise<void>((resolve) => (wake = resolve))
  return { held, release }
}

/** Runs `steps` one after another, synchronously while each is. */
function inTurn(steps: readonly (() => MaybePromise<unknown>)[]): MaybePromise<void> {
  return steps.reduce<MaybePromise<void>>(
    (before, step) => chain(before, () => chain(step(), () => undefined)),
    undefined,
  )
}

/** Checks the stores, before anything runs: each part begun, one backend, with `applyMany`. */
function begin(stores: readonly JointStore[]): JointPart[] {
  const unique = [...new Set(stores)]
  if (unique.length === 0)
    throw new ZustandSqliteError('INVALID_OPTIONS', 'commitTogether needs the stores it commits together')
  const parts = unique
    .map((store) => {
      const hook = typeof store?.persist === 'object' && store.persist !== null ? hooks.get(store.persist) : undefined
      if (hook === undefined)
        throw new ZustandSqliteError('INVALID_OPTIONS', 'commitTogether takes stores made with persistSQLite')
      return hook
    })
    .map((hook) => hook.begin())
  const [first] = parts as [JointPart, ...JointPart[]]
  const names = new Set<string>()
  for (const part of parts) {
    if (part.backend !== first.backend)
      throw new ZustandSqliteError(
        'INVALID_OPTIONS',
        `stores ${JSON.stringify(first.name)} and ${JSON.stringify(part.name)} are on different backends; stores commit together on one backend object`,
        { store: part.name },
      )
    if (names.has(part.name))
      throw new ZustandSqliteError(
        'INVALID_OPTIONS',
        `two of the stores are named ${JSON.stringify(part.name)} on one backend; each store commits once`,
        { store: part.name },
      )
    names.add(part.name)
  }
  if (typeof first.backend.applyMany !== 'function')
    throw new ZustandSqliteError(
      'UNSUPPORTED_OPERATION',
      `the ${first.backend.name} backend has no applyMany: stores cannot commit together on it; nothing was changed`,
    )
  return parts
}

/** The joint commit, holding every store's lane: diffs, `applyMany`, and a rebase on a conflict. */
function commitParts(parts: readonly JointPart[]): MaybePromise<void> {
  const { backend } = parts[0] as JointPart
  const applyMany = backend.applyMany as NonNullable<Backend['applyMany']>
  const once = (rebases: number): MaybePromise<void> => {
    const writers: JointPart[] = []
    const changeSets: ChangeSet[] = []
    for (const part of parts) {
      const changeSet = part.diff()
      if (changeSet === undefined) continue
      writers.push(part)
      changeSets.push(changeSet)
    }
    if (changeSets.length === 0) {
      for (const part of parts) part.committed(undefined)
      return undefined
    }
    return attempt(
      () =>
        chain(applyMany.call(backend, changeSets), (results) => {
          for (const part of parts) part.committed(results[writers.indexOf(part)])
        }),
      (error) => {
        if (!isZustandSqliteError(error, 'CONCURRENT_MODIFICATION') || rebases >= MAX_REBASES) throw error
        const stale = writers.filter((part) => error.store === undefined || error.store === part.name)
        return chain(rebaseBackoff(rebases), () =>
          chain(inTurn(stale.map((part) => () => part.rebase())), () => once(rebases + 1)),
        )
      },
    )
  }
  return chain(inTurn(parts.map((part) => () => part.ready())), () => once(0))
}

/**
 * Commits the changes of several stores in one transaction. `run` is called at once (synchronously) and
 * may change any of `stores`; then everything each store has to write (what `run` changed, and any
 * change of it still pending) is committed with one `applyMany` of their backend: all of it or, on any
 * error, none. Resolves to what `run` returned once the commit is durable (the backend's `flush`).
 *
 * The stores are made with `persistSQLite` (or a store definition's `create`), hydrated, on one backend
 * object that has `applyMany`: NOT_HYDRATED, INVALID_OPTIONS and UNSUPPORTED_OPERATION otherwise, before
 * `run` is called. When `run` throws, the stores' states are put back as they were and the error is
 * rethrown; nothing is written. When the commit fails (a row the database refuses, a value that cannot be
 * stored), it rejects with the typed error, nothing written, and the states are put back; a store changed
 * since `run` (by a set, or by another writer's commit it took in) keeps its state instead, and writes it
 * with its own next write. Another writer's commit to one of the stores meanwhile is handled as a store's
 * own write handles it: the store takes what is stored and the stores commit together again. Each store's
 * `onCommit` is called. The stores' own writes wait for the joint commit; two calls naming stores in
 * different orders do not wait for each other.
 *
 * @example
 * ```ts
 * await commitTogether([chats, folders], () => {
 *   chats.getState().deleteConversations(ids)
 *   folders.getState().removeConversations(ids)
 * })
 * ```
 */
export function commitTogether<R>(stores: readonly JointStore[], run: () => R): Promise<R> {
  let parts: JointPart[]
  try {
    parts = begin(stores)
  } catch (error) {
    return Promise.reject(error)
  }
  let result: R
  try {
    result = run()
  } catch (error) {
    for (const part of parts) part.putBack()
    return Promise.reject(error)
  }
  for (const part of parts) part.claim()
  const { backend } = parts[0] as JointPart
  const lanes = holdLanes(parts.map((part) => part.lane))
  let done: Promise<void>
  try {
    const durable = commitDurably(parts, backend, lanes)
    done = isPromiseLike(durable) ? Promise.resolve(durable) : Promise.resolve()
  } catch (error) {
    done = Promise.reject(error)
  }
  for (const part of parts) part.running(done)
  return done.then(() => result)
}

/** The joint commit once `run` made its changes, then the backend's durability step. */
function commitDurably(
  parts: readonly JointPart[],
  backend: Backend,
  lanes: { held: MaybePromise<void>; release: () => void },
): MaybePromise<void> {
  const committed = attempt(
    () =>
      chain(
        chain(lanes.held, () => commitParts(parts)),
        () => lanes.release(),
      ),
    (error) => {
      try {
        for (const part of parts) part.putBack()
      } finally {
        lanes.release()
      }
      throw toZustandSqliteError(
        error,
        'WRITE_FAILED',
        `committing stores ${parts.map((part) => JSON.stringify(part.name)).join(', ')} together failed; nothing was written`,
      )
    },
  )
  return chain(committed, () =>
    attempt(
      () => backend.flush(),
      (error) => {
        throw toZustandSqliteError(error, 'WRITE_FAILED', 'making the stores committed together durable failed')
      },
    ),
  )
}
