import type { Backend, LoadResult } from '../contract/backend'
import { chain, isPromiseLike } from '../contract/maybe'
import type { MaybePromise } from '../contract/maybe'
import { createCodec, defaultCodec } from '../schema/codec'
import type { Codec, JsonOptions } from '../schema/codec'
import { defaultSchema } from '../schema/defineSchema'
import type { StoreSchema } from '../schema/defineSchema'
import type { HeldBack, OrderKeyMemo } from './diff'
import type { ExtraWrite } from './extraWrites'
import { materialize } from './materialize'
import type { BackendOption } from './options'

type Item = Record<string, unknown>

/** What the database holds for a store, as this store last loaded or wrote it: the base of every diff. */
export interface StoredMirror {
  /** The persisted state stored; `null` when nothing is (or, with `replace`, when it is not known). */
  snapshot: Item | null
  /** The state version recorded with it. */
  version: number | null
  /** The store's revision it was read or written at; `undefined` when not known. */
  revision: number | undefined
  /** Order keys of its arrays. */
  memo: OrderKeyMemo
  /** The next write replaces whatever the target holds: it is new to this store, its content unknown. */
  replace: boolean
}

/** Changes made to the state that are not written yet. */
export interface Pending {
  /** A set happened since the last write took the state. */
  dirty: boolean
  /** Appended rows and lazy writes, in call order. */
  extras: ExtraWrite[]
}

/**
 * Where a store writes (name, schema, backend) with everything that belongs to that place: what it
 * holds, what is pending for it, and its writes. `setOptions` that changes the place makes a new
 * target, so that a write still running for the old one never touches the new one's bookkeeping.
 */
export interface Target {
  readonly name: string
  readonly schema: StoreSchema
  /** Changed in place by `setOptions({ json })`: values written and read from then on use it. */
  codec: Codec
  readonly backendOption: BackendOption
  readonly mirror: StoredMirror
  readonly pending: Pending
  /** The backend, once this target's store is prepared on it. */
  prepared: Backend | undefined
  /** A write of this target waiting its turn: later requests join it. */
  queued: Promise<void> | undefined
  /** The write of this target that is running, on an asynchronous backend. */
  running: Promise<void> | undefined
  /** Parts of the state refused by a write, held back until they change (see Isolation). */
  readonly held: Map<string, HeldBack>
  /** Items left out for good that were reported (by key or item): each is reported once. */
  readonly reported: Set<unknown>
}

/** @internal */
export function createTarget(
  options: { name: string; schema?: StoreSchema | undefined; json?: JsonOptions | undefined; backend: BackendOption },
  replace: boolean,
): Target {
  return {
    name: options.name,
    schema: options.schema ?? defaultSchema(),
    codec: options.json === undefined ? defaultCodec : createCodec(options.json),
    backendOption: options.backend,
    mirror: { snapshot: null, version: null, revision: undefined, memo: new WeakMap(), replace },
    pending: { dirty: false, extras: [] },
    prepared: undefined,
    queued: undefined,
    running: undefined,
    held: new Map(),
    reported: new Set(),
  }
}

/**
 * Resolves backend options to backends, once per option: a factory is called once, and a target that
 * keeps the backend option of the one before it keeps its backend.
 */
export function createBackendResolver(): {
  resolve(option: BackendOption): MaybePromise<Backend>
  /** The last backend resolved, for `getBackend()`. */
  readonly latest: Backend | undefined
} {
  let resolved: { option: BackendOption; backend: MaybePromise<Backend> } | undefined
  let latest: Backend | undefined
  return {
    resolve(option) {
      if (resolved?.option === option) return resolved.backend
      if (typeof option !== 'function') {
        resolved = { option, backend: option }
        latest = option
        return option
      }
      const made = option()
      if (!isPromiseLike<Backend>(made)) {
        resolved = { option, backend: made }
        latest = made
        return made
      }
      const pending = Promise.resolve(made).then(
        (backend) => {
          if (resolved?.option === option) resolved = { option, backend }
          latest = backend
          return backend
        },
        (error: unknown) => {
          // Not kept: the next write or hydration calls the factory again.
          if (resolved?.option === option) resolved = undefined
          throw error
        },
      )
      resolved = { option, backend: pending }
      return pending
    },
    get latest() {
      return latest
    },
  }
}

/** The target's backend with its store prepared: prepared once per target. */
export function readyBackend(
  target: Target,
  resolve: (option: BackendOption) => MaybePromise<Backend>,
): MaybePromise<Backend> {
  if (target.prepared !== undefined) return target.prepared
  return chain(resolve(target.backendOption), (backend) =>
    chain(backend.prepare(target.name, target.schema.spec), () => {
      target.prepared = backend
      return backend
    }),
  )
}

/**
 * A load read into the target's mirror, the base of the next diff: its rows made into the persisted
 * state, unless a hydration already made them (`read`, with the order keys it recorded).
 */
export function mirrorLoaded(
  target: Target,
  loaded: LoadResult,
  read?: { readonly stored: Item | null; readonly memo: OrderKeyMemo },
): void {
  const memo: OrderKeyMemo = read?.memo ?? new WeakMap()
  const snapshot =
    read !== undefined
      ? read.stored
      : loaded.stateVersion === null
        ? null
        : materialize(target.schema, loaded, memo, target.codec)
  Object.assign(target.mirror, {
    snapshot,
    version: loaded.stateVersion,
    revision: loaded.revision,
    memo,
    replace: false,
  })
  // What was held back is measured against the new mirror, afresh.
  target.held.clear()
  target.reported.clear()
}
