import type { StateCreator, StoreApi, StoreMutatorIdentifier } from 'zustand/vanilla'
import { chain, isPromiseLike } from './backend'
import type { Backend, MaybePromise } from './backend'
import { countChangeSetRows, countTableRows, createChangeSetBuilder } from './changeSet'
import type { ChangeSet, ChangeSetBuilder, LazyWrite } from './changeSet'
import { encodeColumn, OMIT } from './codec'
import type { SqlValue } from './codec'
import { createDiffer } from './diff'
import type { Differ, OrderKeyMemo } from './diff'
import { toZustandSqliteError, ZustandSqliteError } from './errors'
import { lazyCopyWrite, lazyValuesWrite } from './lazy'
import type { RowKey } from './lazy'
import { materialize } from './materialize'
import { defaultSchema } from './schema'
import type { AppendTableNode, StoreSchema, TableSpec } from './schema'

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
 * Options of {@link persistSQLite}: those of Zustand's `persist` (but `storage`), plus `backend`,
 * `schema`, `writeDelayMs`, `onError` and `onCommit`.
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
  /** Do not hydrate at creation; call `store.persist.rehydrate()`. @default false */
  skipHydration?: boolean
  /**
   * Sets within this many milliseconds of the first are written as one transaction. With 0, the
   * sets of one tick are. @default 0
   */
  writeDelayMs?: number
  /** Called with every error of hydration or writing. @default logs with console.error */
  onError?: (error: ZustandSqliteError) => void
  /** Called after every committed write, with its telemetry. */
  onCommit?: (info: CommitInfo) => void
}

type PersistListener<S> = (state: S) => void

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
}

type StorePersistSQLite<S, Ps> = S extends { getState: () => infer T } ? { persist: PersistSQLiteApi<T, Ps> } : never

type Write<T, U> = Omit<T, keyof U> & U
type WithPersistSQLite<S, A> = Write<S, StorePersistSQLite<S, A>>

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

type Item = Record<string, unknown>
type ImplOptions<S> = PersistSQLiteOptions<S, unknown>

type PersistSQLiteImpl = <T>(
  initializer: StateCreator<T, [], []>,
  options: PersistSQLiteOptions<T, unknown>,
) => StateCreator<T, [], []>

const defaultOnError = (error: ZustandSqliteError): void => {
  console.error(error)
}

function validateOptions<S>(options: ImplOptions<S>): void {
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
  if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) {
    throw new ZustandSqliteError('INVALID_OPTIONS', '`writeDelayMs` must be a number >= 0')
  }
}

const RESOLVED: Promise<void> = Promise.resolve()

const now = (): number => (typeof performance === 'undefined' ? Date.now() : performance.now())

const persistSQLiteImpl: PersistSQLiteImpl = (config, baseOptions) => (set, get, api) => {
  type S = ReturnType<typeof get>
  let options: ImplOptions<S> = {
    partialize: (state: S) => state,
    version: 0,
    merge: (persistedState: unknown, currentState: S) => ({ ...currentState, ...(persistedState as object) }) as S,
    writeDelayMs: 0,
    ...baseOptions,
  }
  validateOptions(options)

  let backend: Backend | undefined
  let backendPromise: Promise<Backend> | undefined
  /** What the database holds for this store, as last loaded or written; null: nothing. */
  let snapshot: Item | null = null
  let storedVersion: number | null = null
  let memo: OrderKeyMemo = new WeakMap()
  /** The differ of the current schema and memo (rebuilt when either changes). */
  let differ: { schema: StoreSchema; memo: OrderKeyMemo; differ: Differ; builder: ChangeSetBuilder } | undefined
  /** Per append-only table: its field names, and one shared column list (rows group by list identity). */
  const appendShapes = new WeakMap<AppendTableNode, { known: ReadonlySet<string>; columns: readonly string[] }>()
  const appendShape = (node: AppendTableNode): { known: ReadonlySet<string>; columns: readonly string[] } => {
    let found = appendShapes.get(node)
    if (found === undefined) {
      found = { known: new Set(node.fields.map((f) => f.field)), columns: node.fields.map((f) => f.column) }
      appendShapes.set(node, found)
    }
    return found
  }
  const differFor = (schema: StoreSchema, forMemo: OrderKeyMemo): { differ: Differ; builder: ChangeSetBuilder } => {
    if (differ === undefined || differ.schema !== schema || differ.memo !== forMemo) {
      differ = {
        schema,
        memo: forMemo,
        differ: createDiffer(schema, forMemo),
        builder: createChangeSetBuilder(schema.spec.tables),
      }
    }
    differ.builder.reset()
    return differ
  }
  let prepared: { backend: Backend; name: string; schema: StoreSchema } | undefined
  /** The next write replaces whatever the target holds (the name, schema or backend changed). */
  let replaceNext = false
  /** Bumped when the target (name, schema, backend) changes: a write in flight for the old one must not touch the new one's bookkeeping. */
  let targetEpoch = 0
  let hasHydrated = false
  let hydrationVersion = 0
  let hydration: Promise<void> | undefined
  let hydrationError: unknown
  let dirty = false
  /** Counts sets: a write that fails is retried only when a set came after it started. */
  let setGeneration = 0
  /** Rows for append-only tables and lazy writes, queued for the next write, in call order. */
  let appends: (
    { table: string; columns: readonly string[]; row: SqlValue[] } | { table: TableSpec; write: LazyWrite }
  )[] = []
  let scheduleToken = 0
  let scheduled = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let inFlight: Promise<void> | undefined
  const hydrationListeners = new Set<PersistListener<S>>()
  const finishHydrationListeners = new Set<PersistListener<S>>()

  const schemaOf = (): StoreSchema => options.schema ?? defaultSchema()

  const report = (error: ZustandSqliteError): void => {
    try {
      ;(options.onError ?? defaultOnError)(error)
    } catch (callbackError) {
      console.error('[zustand-sqlite] onError threw', callbackError)
    }
  }

  const resolveBackend = (): MaybePromise<Backend> => {
    if (backend !== undefined) return backend
    if (backendPromise !== undefined) return backendPromise
    const option = options.backend
    const resolved = typeof option === 'function' ? option() : option
    if (isPromiseLike<Backend>(resolved)) {
      backendPromise = Promise.resolve(resolved).then(
        (b) => (backend = b),
        (error: unknown) => {
          backendPromise = undefined
          throw error
        },
      )
      return backendPromise
    }
    backend = resolved
    return resolved
  }

  const isPrepared = (b: Backend | undefined): boolean =>
    b !== undefined &&
    prepared !== undefined &&
    prepared.backend === b &&
    prepared.name === options.name &&
    prepared.schema === schemaOf()

  const ensurePrepared = (): MaybePromise<Backend> => {
    if (backend !== undefined && isPrepared(backend)) return backend
    return chain(resolveBackend(), (b) => {
      if (isPrepared(b)) return b
      const name = options.name
      const schema = schemaOf()
      return chain(b.prepare(name, schema.spec), () => {
        prepared = { backend: b, name, schema }
        return b
      })
    })
  }

  // --- writing -------------------------------------------------------------------------------

  const cancelScheduled = (): void => {
    scheduled = false
    scheduleToken++
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }

  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    const token = ++scheduleToken
    const run = (): void => {
      if (token !== scheduleToken) return
      scheduled = false
      timer = undefined
      try {
        const result = writeNow()
        if (isPromiseLike(result)) Promise.resolve(result).catch(() => undefined)
      } catch {
        // Reported through onError; the state stays dirty and is written with the next change.
      }
    }
    const delay = options.writeDelayMs ?? 0
    if (delay > 0) timer = setTimeout(run, delay)
    else queueMicrotask(run)
  }

  const requestWrite = (): void => {
    dirty = true
    setGeneration++
    if (hasHydrated) schedule()
  }

  const commitInfo = (
    changeSet: ChangeSet,
    reason: CommitInfo['reason'],
    durationMs: number,
    backendName: string,
  ): CommitInfo => {
    const tables: Record<string, number> = {}
    for (const t of changeSet.tables) tables[t.table] = countTableRows(t)
    const kvRows = (changeSet.kv?.set?.length ?? 0) + (changeSet.kv?.delete?.length ?? 0)
    if (kvRows > 0) tables['zs_kv'] = kvRows
    return {
      store: changeSet.store,
      backend: backendName,
      reason,
      tables,
      rows: countChangeSetRows(changeSet),
      durationMs,
      changeSet,
    }
  }

  const notifyCommit = (info: CommitInfo): void => {
    if (options.onCommit === undefined) return
    try {
      options.onCommit(info)
    } catch (error) {
      console.error('[zustand-sqlite] onCommit threw', error)
    }
  }

  /**
   * Builds the ChangeSet from the last stored snapshot to `state`. Returns undefined when there is
   * nothing to write.
   */
  const buildChangeSet = (state: Item, withAppends: typeof appends): ChangeSet | undefined => {
    const schema = schemaOf()
    const { differ: diff, builder } = differFor(schema, memo)
    diff.diff(replaceNext ? null : snapshot, state, builder)
    for (const a of withAppends) {
      if ('write' in a) {
        // Written only when the schema still has the table (setOptions may have changed it).
        const table = schema.spec.tables.find((t) => t === a.table || t.name === a.table.name)
        if (table !== undefined) builder.lazy(table, a.write)
        continue
      }
      const node = schema.appendTables.get(a.table)
      if (node !== undefined) builder.insert(node.table, a.columns, a.row)
    }
    const version = options.version ?? 0
    if (builder.size === 0 && !replaceNext && storedVersion === version) return undefined
    return builder.build({
      store: options.name,
      schemaVersion: schema.spec.version,
      stateVersion: version,
      ...(replaceNext ? { replace: true } : {}),
    })
  }

  /** Writes everything pending now. Throws (or rejects) after reporting through onError. */
  const writeNow = (): MaybePromise<void> => {
    if (inFlight !== undefined) return inFlight.then(() => writeNow())
    cancelScheduled()
    if (!dirty && appends.length === 0) return undefined
    let prepareResult: MaybePromise<Backend>
    try {
      prepareResult = ensurePrepared()
    } catch (error) {
      const wrapped = toZustandSqliteError(
        error,
        'WRITE_FAILED',
        `store ${JSON.stringify(options.name)}: preparing the backend failed`,
        { store: options.name },
      )
      report(wrapped)
      throw wrapped
    }
    return chain(prepareResult, (b) => {
      const state = (options.partialize ?? ((s: S) => s))({ ...get() }) as Item
      const taken = appends
      let changeSet: ChangeSet | undefined
      try {
        changeSet = buildChangeSet(state, taken)
      } catch (error) {
        const wrapped = toZustandSqliteError(
          error,
          'WRITE_FAILED',
          `store ${JSON.stringify(options.name)}: the state could not be diffed`,
          { store: options.name },
        )
        report(wrapped)
        throw wrapped
      }
      dirty = false
      appends = []
      if (changeSet === undefined) {
        snapshot = state
        return undefined
      }
      const cs = changeSet
      const generation = setGeneration
      const started = now()
      const epoch = targetEpoch
      const succeed = (): void => {
        if (epoch === targetEpoch) {
          snapshot = state
          storedVersion = cs.stateVersion ?? storedVersion
          replaceNext = false
        }
        if (options.onCommit !== undefined) notifyCommit(commitInfo(cs, 'write', now() - started, b.name))
      }
      const failed = (error: unknown): never => {
        dirty = true
        appends = taken.concat(appends)
        const wrapped = toZustandSqliteError(
          error,
          'WRITE_FAILED',
          `store ${JSON.stringify(cs.store)}: the write was rolled back`,
          { store: cs.store },
        )
        report(wrapped)
        throw wrapped
      }
      let result: MaybePromise<void>
      try {
        result = b.apply(cs)
      } catch (error) {
        return failed(error)
      }
      if (!isPromiseLike(result)) {
        succeed()
        return undefined
      }
      const pending = Promise.resolve(result).then(succeed, failed)
      inFlight = pending
        .catch(() => undefined)
        .then(() => {
          inFlight = undefined
          // Sets made while this write was in flight go out now; a failed write waits for the next set.
          if (dirty && hasHydrated && setGeneration !== generation) schedule()
        })
      return pending
    })
  }

  // --- the store -------------------------------------------------------------------------------

  const savedSetState = api.setState
  api.setState = ((...args: Parameters<typeof savedSetState>) => {
    savedSetState(...args)
    requestWrite()
  }) as typeof api.setState

  const configResult = config(
    ((...args: Parameters<typeof set>) => {
      set(...args)
      requestWrite()
    }) as typeof set,
    get,
    api,
  )
  api.getInitialState = () => configResult

  let stateFromStorage: S | undefined

  // --- hydration -------------------------------------------------------------------------------

  const current = (): S => get() ?? configResult

  const hydrate = (): MaybePromise<void> => {
    const version = ++hydrationVersion
    hasHydrated = false
    hydrationError = undefined
    hydrationListeners.forEach((cb) => cb(current()))
    const postRehydration = options.onRehydrateStorage?.(current()) || undefined
    const superseded = (): boolean => version !== hydrationVersion

    const fail = (error: unknown): void => {
      if (superseded()) return
      const wrapped = toZustandSqliteError(
        error,
        'HYDRATION_FAILED',
        `store ${JSON.stringify(options.name)}: hydration failed; stored data was left untouched`,
        { store: options.name },
      )
      hydrationError = wrapped
      hydration = undefined
      try {
        postRehydration?.(undefined, wrapped)
      } finally {
        report(wrapped)
      }
    }

    const finish = (
      merged: S,
      newSnapshot: Item | null,
      newStoredVersion: number | null,
      newMemo: OrderKeyMemo,
    ): void => {
      snapshot = newSnapshot
      storedVersion = newStoredVersion
      memo = newMemo
      replaceNext = false
      set(merged, true)
      postRehydration?.(get(), undefined)
      stateFromStorage = get()
      hasHydrated = true
      hydration = undefined
      finishHydrationListeners.forEach((cb) => cb(stateFromStorage as S))
      if (dirty || appends.length > 0) schedule()
    }

    const run = (): MaybePromise<void> =>
      chain(ensurePrepared(), (b) =>
        chain(b.load(options.name), (loaded) => {
          if (superseded()) return undefined
          const newMemo: OrderKeyMemo = new WeakMap()
          const stored = loaded.stateVersion === null ? null : materialize(schemaOf(), loaded, newMemo)
          const targetVersion = options.version ?? 0
          const needsMigration = stored !== null && loaded.stateVersion !== targetVersion
          let migration: unknown = stored ?? undefined
          if (needsMigration) {
            if (options.migrate === undefined) {
              throw new ZustandSqliteError(
                'MIGRATION_FAILED',
                `store ${JSON.stringify(options.name)} holds state version ${String(loaded.stateVersion)} but the code is at version ${targetVersion} and no \`migrate\` was given; the stored data was left untouched and nothing will be written (give a migrate function, or clearStorage() to discard it)`,
                { store: options.name },
              )
            }
            try {
              migration = options.migrate(stored, loaded.stateVersion as number)
            } catch (error) {
              throw toZustandSqliteError(
                error,
                'MIGRATION_FAILED',
                `store ${JSON.stringify(options.name)}: migrate threw`,
                { store: options.name },
              )
            }
          }
          const afterMigration = (migrated: unknown): MaybePromise<void> => {
            if (superseded()) return undefined
            const merged = (options.merge as NonNullable<ImplOptions<S>['merge']>)(migrated, current())
            if (!needsMigration) {
              finish(merged, stored, loaded.stateVersion, newMemo)
              return undefined
            }
            // The rewrite of a migration commits whole before the migrated state is used.
            const state = (options.partialize ?? ((s: S) => s))({ ...merged }) as Item
            const schema = schemaOf()
            const builder = createChangeSetBuilder(schema.spec.tables)
            createDiffer(schema, newMemo).diff(stored, state, builder)
            const cs = builder.build({
              store: options.name,
              schemaVersion: schema.spec.version,
              stateVersion: targetVersion,
            })
            const started = now()
            return chain(b.apply(cs), () => {
              if (superseded()) return
              notifyCommit(commitInfo(cs, 'migration', now() - started, b.name))
              finish(merged, state, targetVersion, newMemo)
            })
          }
          if (isPromiseLike(migration)) {
            return Promise.resolve(migration).then(afterMigration, (error: unknown) => {
              throw toZustandSqliteError(
                error,
                'MIGRATION_FAILED',
                `store ${JSON.stringify(options.name)}: migrate rejected`,
                { store: options.name },
              )
            })
          }
          return afterMigration(migration)
        }),
      )

    const before = inFlight
    let result: MaybePromise<void>
    try {
      result = before === undefined ? run() : before.then(run)
    } catch (error) {
      fail(error)
      return undefined
    }
    if (!isPromiseLike(result)) return undefined
    const pending = Promise.resolve(result).then(() => undefined, fail)
    hydration = pending
    return pending
  }

  // --- store.persist ---------------------------------------------------------------------------

  const persistApi: PersistSQLiteApi<S, unknown> = {
    setOptions: (newOptions) => {
      const next = { ...options, ...newOptions }
      validateOptions(next)
      const retarget = next.name !== options.name || next.schema !== options.schema || next.backend !== options.backend
      if (retarget && hasHydrated && inFlight === undefined && (dirty || appends.length > 0)) {
        // Pending changes belong to the current target: write them there before switching.
        try {
          const written = writeNow()
          if (isPromiseLike(written)) Promise.resolve(written).catch(() => undefined)
        } catch {
          // Reported through onError; the whole state goes to the new target with the next set.
        }
      }
      const versionChanged = next.version !== options.version
      if (next.backend !== options.backend) {
        backend = undefined
        backendPromise = undefined
      }
      options = next
      if (retarget) {
        // The new target's content is unknown: the next set writes the whole state over it, and
        // rehydrate() reads it. Sets not written yet before hydration stay pending.
        targetEpoch++
        cancelScheduled()
        if (hasHydrated) dirty = false
        snapshot = null
        storedVersion = null
        replaceNext = true
        memo = new WeakMap()
      } else if (versionChanged && hasHydrated) {
        requestWrite()
      }
    },
    clearStorage: () => {
      // A hydration in flight would apply what is being deleted: it is superseded, and runs again after.
      const wasHydrating = hydration !== undefined
      ++hydrationVersion
      cancelScheduled()
      dirty = false
      appends = []
      const cleared = (): void => {
        snapshot = null
        storedVersion = null
        replaceNext = false
        if (wasHydrating) void hydrate()
      }
      try {
        const result = chain(ensurePrepared(), (b) => chain(b.clear(options.name), cleared))
        return Promise.resolve(result).catch((error: unknown) => {
          const wrapped = toZustandSqliteError(
            error,
            'WRITE_FAILED',
            `store ${JSON.stringify(options.name)}: clearStorage failed`,
            { store: options.name },
          )
          report(wrapped)
          throw wrapped
        })
      } catch (error) {
        const wrapped = toZustandSqliteError(
          error,
          'WRITE_FAILED',
          `store ${JSON.stringify(options.name)}: clearStorage failed`,
          { store: options.name },
        )
        report(wrapped)
        return Promise.reject(wrapped)
      }
    },
    getOptions: () => options,
    rehydrate: () => {
      try {
        if (hasHydrated && (dirty || appends.length > 0)) {
          // Changes not yet written would be lost to the merge: write them first.
          const written = writeNow()
          if (isPromiseLike(written))
            return Promise.resolve(written).then(
              () => hydrate(),
              () => hydrate(),
            )
        }
      } catch {
        // Reported through onError; hydrate anyway, as asked.
      }
      return Promise.resolve(hydrate())
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
      let written: MaybePromise<void>
      try {
        written = writeNow()
      } catch (error) {
        return Promise.reject(error)
      }
      const durable = (): MaybePromise<void> => {
        const failed = (error: unknown): never => {
          const wrapped = toZustandSqliteError(
            error,
            'WRITE_FAILED',
            `store ${JSON.stringify(options.name)}: making the writes durable failed`,
            { store: options.name },
          )
          report(wrapped)
          throw wrapped
        }
        const b = backend
        if (b === undefined) return undefined
        try {
          const result = b.flush()
          return isPromiseLike(result) ? Promise.resolve(result).catch(failed) : undefined
        } catch (error) {
          return failed(error)
        }
      }
      try {
        // A synchronous backend: the write and its durability are done here, one resolved promise back.
        const done = isPromiseLike(written) ? Promise.resolve(written).then(durable) : durable()
        return isPromiseLike(done) ? Promise.resolve(done) : RESOLVED
      } catch (error) {
        return Promise.reject(error)
      }
    },
    append: (tableName, rows) => {
      const node = schemaOf().appendTables.get(tableName)
      if (node === undefined) {
        throw new ZustandSqliteError(
          'INVALID_OPTIONS',
          `store ${JSON.stringify(options.name)}: the schema has no table ${JSON.stringify(tableName)} in \`tables\``,
          { store: options.name },
        )
      }
      const list = (Array.isArray(rows) ? rows : [rows]) as readonly Readonly<Record<string, unknown>>[]
      const { known, columns: allColumns } = appendShape(node)
      const encoded = list.map((row, i) => {
        for (const field in row) {
          if (!known.has(field)) {
            throw new ZustandSqliteError(
              'UNSTORABLE_VALUE',
              `${tableName}[${i}].${field}: table ${tableName} has no column for this field`,
              {
                path: `${tableName}[${i}].${field}`,
                store: options.name,
              },
            )
          }
        }
        const where = (): string => `${tableName}[${i}]`
        const values: (SqlValue | typeof OMIT)[] = []
        let omitted = false
        for (const f of node.fields) {
          const value = encodeColumn(f.def, row[f.field], where, f.field)
          if (value === OMIT) omitted = true
          values.push(value)
        }
        if (!omitted) return { table: tableName, columns: allColumns, row: values as SqlValue[] }
        // Absent lazy fields are left out of the insert (their columns take NULL).
        const columns = node.fields.filter((_, j) => values[j] !== OMIT).map((f) => f.column)
        return { table: tableName, columns, row: values.filter((v): v is SqlValue => v !== OMIT) }
      })
      appends.push(...encoded)
      requestWrite()
    },
    writeLazy: (tableName, key, values) => {
      appends.push(lazyValuesWrite(schemaOf(), tableName, key, values))
      requestWrite()
    },
    copyLazy: (tableName, from, to, fields) => {
      appends.push(lazyCopyWrite(schemaOf(), tableName, from, to, fields))
      requestWrite()
    },
    getBackend: () => backend,
  }
  ;(api as StoreApi<S> & { persist: PersistSQLiteApi<S, unknown> }).persist = persistApi

  if (options.skipHydration !== true) hydrate()

  return stateFromStorage ?? configResult
}

/**
 * Persists a Zustand store into SQLite. A drop-in superset of Zustand's `persist`: the same options
 * (but `storage`, replaced by `backend`) and the same `store.persist` API, plus `schema` (state mapped
 * onto tables), `writeDelayMs`, `onError`, `onCommit`, `store.persist.flush()` and `append()`.
 *
 * Only the rows whose values changed are written, in one transaction per tick. With a synchronous
 * backend (better-sqlite3, sql.js once open) the store is hydrated when `create()` returns. Writes
 * never start before hydration has finished, and a failed hydration or migration never writes over
 * stored data.
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
