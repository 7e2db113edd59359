import type { Backend } from '../contract/backend'
import type { ChangeSet } from '../contract/changeSet'
import { ZustandSqliteError } from '../contract/errors'
import type { MaybePromise } from '../contract/maybe'
import type { JsonOptions } from '../schema/codec'
import type { StoreSchema } from '../schema/defineSchema'
import type { RowKey } from './extraWrites'

/** What `onCommit` receives after every committed write. */
export interface CommitInfo {
  /** The store's `name`. */
  readonly store: string
  /** The backend's name, e.g. `better-sqlite3`. */
  readonly backend: string
  /** `'write'` for the writes of sets; `'migration'` for the rewrite after `migrate`. */
  readonly reason: 'write' | 'migration'
  /** Rows written or deleted, per table (`zs_kv` for key/value rows). */
  readonly tables: Readonly<Record<string, number>>
  /** Rows written or deleted, in all. */
  readonly rows: number
  /** Time from handing the ChangeSet to the backend until it was committed, in milliseconds. */
  readonly durationMs: number
  /** The ChangeSet itself. */
  readonly changeSet: ChangeSet
}

/** A Backend, or a function returning one (or a promise of one), called once at first hydration. */
export type BackendOption = Backend | (() => MaybePromise<Backend>)

/**
 * Options of {@link persistSQLite}: those of Zustand's `persist` (but `storage`, whose JSON options are
 * `json`), plus `backend`, `schema`, `writeDelayMs`, `onError` and `onCommit`.
 */
export interface PersistSQLiteOptions<S, PersistedState = S> {
  /** Name of the store in the database (unique per database). */
  name: string
  /** Where the state is stored. */
  backend: BackendOption
  /** How the persisted state maps onto tables. @default one key/value row per top-level key */
  schema?: StoreSchema
  /** Picks what is persisted. @default the whole state (functions are never stored) */
  partialize?: (state: S) => PersistedState
  /** Called before hydration; the function it returns is called after it, with the state or the error. */
  onRehydrateStorage?: (state: S) => ((state?: S, error?: unknown) => void) | void
  /** Version of the persisted state. @default 0 */
  version?: number
  /**
   * Turns state stored with another version into the current shape; called with the stored
   * version. May be async. Its result is written back at once, in one transaction.
   */
  migrate?: (persistedState: unknown, version: number) => PersistedState | PromiseLike<PersistedState>
  /** Combines the stored state with the current one. @default a shallow merge, so actions are kept */
  merge?: (persistedState: unknown, currentState: S) => S
  /**
   * Combines what another writer committed (another tab, another store on the backend) with the current
   * state: called with the persisted state after that commit, which holds this store's own changes not
   * written yet too. `merge` is for hydration, where the stored state is cleaned up on its way in; this one
   * takes a live commit as it is. @default `merge`
   */
  mergeRemote?: (persistedState: unknown, currentState: S) => S
  /** Do not hydrate at creation; call `store.persist.rehydrate()`. @default false */
  skipHydration?: boolean
  /**
   * `'onDemand'`: hydration leaves out the nested collections the schema declares `load: 'onDemand'`
   * (messages of conversations): each item holds `NOT_LOADED` there, and its count field the stored count,
   * until `store.persist.loadOnDemand(field, key)` reads them. The first screen comes without reading the
   * rest. A stored state of another version is hydrated whole, for `migrate`. @default 'full'
   */
  hydrate?: 'full' | 'onDemand'
  /**
   * Sets within this many milliseconds of the first are written as one transaction. With 0, the
   * sets of one tick are; with `Infinity`, nothing is written until `store.persist.flush()`. @default 0
   */
  writeDelayMs?: number
  /**
   * The `replacer` and `reviver` of the values stored as JSON text (json columns, rest columns, the
   * rows of a store without a schema), as `createJSONStorage(getStorage, { replacer, reviver })` takes
   * them for Zustand's `persist`: a store holding a Map, a Set or a Date converts them here.
   * @default none: such values are refused with UNSTORABLE_VALUE
   */
  json?: JsonOptions
  /** Called with every error of hydration or writing. @default logs with console.error */
  onError?: (error: ZustandSqliteError) => void
  /** Called after every committed write, with its telemetry. */
  onCommit?: (info: CommitInfo) => void
}

/** A listener of `onHydrate` and `onFinishHydration`. */
export type PersistListener<S> = (state: S) => void

/** `store.persist`: the API of Zustand's `persist`, plus `flush`, `append`, `writeLazy`, `copyLazy` and `getBackend`. */
export interface PersistSQLiteApi<S, PersistedState = S> {
  setOptions: (options: Partial<PersistSQLiteOptions<S, PersistedState>>) => void
  /** Deletes everything stored for the store. Resolves when done (at once with a synchronous backend). */
  clearStorage: () => Promise<void>
  getOptions: () => Partial<PersistSQLiteOptions<S, PersistedState>>
  rehydrate: () => Promise<void>
  hasHydrated: () => boolean
  onHydrate: (fn: PersistListener<S>) => () => void
  onFinishHydration: (fn: PersistListener<S>) => () => void
  /**
   * Writes what is pending now and resolves once everything set so far is durable. Rejects when the
   * write fails (the state is kept and written again with the next change) or when the store has not
   * hydrated (NOT_HYDRATED).
   */
  flush: () => Promise<void>
  /**
   * Appends rows to a table of the schema that is not mirrored in state (`tables`), in the same
   * transaction as the state changes of this tick. Throws UNSTORABLE_VALUE at once for a bad row.
   */
  append: (table: string, rows: object | readonly object[]) => void
  /**
   * Writes lazy fields of one row (content that is not held in state, such as a file body) in the same
   * transaction as the state changes of this tick, after the row itself is written; a key with no row
   * then is left alone. The value is not put into state. `key` is the row's key (`[parentKey..., key]`
   * in a nested collection). Throws UNSTORABLE_VALUE at once for a value its column cannot hold, and
   * INVALID_OPTIONS for a field that is not lazy.
   */
  writeLazy: (table: string, key: RowKey, values: Readonly<Record<string, unknown>>) => void
  /**
   * Copies lazy fields from the row keyed `from` to the row keyed `to`, inside the database (the content
   * is not read into memory), in the transaction of this tick after the rows are written.
   */
  copyLazy: (table: string, from: RowKey, to: RowKey, fields: readonly string[]) => void
  /** The backend, once resolved (for query functions). */
  getBackend: () => Backend | undefined
  /**
   * Reads the collections of one item of the top-level collection `field` that hydration left out
   * (`hydrate: 'onDemand'`), and puts them into the state in place of `NOT_LOADED` (the item's count
   * fields go). Resolves once they are in the state (at once with a synchronous backend); an item that
   * holds them already, or is not in the state, is left as it is. Rejects with INVALID_OPTIONS for a
   * field without collections loaded on demand, NOT_HYDRATED before hydration.
   */
  loadOnDemand: (field: string, key: string | number) => Promise<void>
}

/** @internal The options the middleware works with: every default filled in. */
export type ResolvedOptions<S> = PersistSQLiteOptions<S, unknown> &
  Required<Pick<PersistSQLiteOptions<S, unknown>, 'partialize' | 'version' | 'merge' | 'writeDelayMs'>>

/** @internal Zustand's default `merge`: shallow, so the actions of the current state are kept. */
export function defaultMerge<S>(persistedState: unknown, currentState: S): S {
  return { ...currentState, ...(persistedState as object) } as S
}

/** @internal Zustand's defaults: the whole state, version 0, a shallow merge. */
export function withDefaults<S>(options: PersistSQLiteOptions<S, unknown>): ResolvedOptions<S> {
  const resolved = {
    partialize: (state: S) => state,
    version: 0,
    merge: defaultMerge<S>,
    writeDelayMs: 0,
    ...options,
  }
  validateOptions(resolved)
  return resolved
}

/** Throws INVALID_OPTIONS for options that cannot work, before anything uses them. */
function validateOptions<S>(options: PersistSQLiteOptions<S, unknown>): void {
  if (typeof options.name !== 'string' || options.name === '') {
    throw new ZustandSqliteError('INVALID_OPTIONS', 'persistSQLite needs a non-empty `name`')
  }
  const backend: unknown = options.backend
  const isBackend = typeof backend === 'object' && backend !== null && typeof (backend as Backend).apply === 'function'
  if (!isBackend && typeof backend !== 'function') {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `persistSQLite(${options.name}) needs a \`backend\`: a Backend or a function returning one`,
    )
  }
  if (options.version !== undefined && !Number.isInteger(options.version)) {
    throw new ZustandSqliteError('INVALID_OPTIONS', '`version` must be an integer')
  }
  const delay = options.writeDelayMs
  if (delay !== undefined && !(delay >= 0)) {
    throw new ZustandSqliteError('INVALID_OPTIONS', '`writeDelayMs` must be a number >= 0 (Infinity: only on flush)')
  }
  if (options.hydrate !== undefined && options.hydrate !== 'full' && options.hydrate !== 'onDemand') {
    throw new ZustandSqliteError('INVALID_OPTIONS', "`hydrate` must be 'full' or 'onDemand'")
  }
  const json: unknown = options.json
  if (json !== undefined) {
    const { replacer, reviver } = (json ?? {}) as JsonOptions
    if (
      typeof json !== 'object' ||
      json === null ||
      (replacer !== undefined && typeof replacer !== 'function') ||
      (reviver !== undefined && typeof reviver !== 'function')
    )
      throw new ZustandSqliteError('INVALID_OPTIONS', '`json` takes a `replacer` and a `reviver` function')
  }
}
