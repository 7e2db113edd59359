import { createStore } from 'zustand/vanilla'
import type { StateCreator, StoreApi } from 'zustand/vanilla'
import type { Backend, StoreRecord } from '../contract/backend'
import { ZustandSqliteError } from '../contract/errors'
import type { JsonOptions } from '../schema/codec'
import { createCodec, defaultCodec } from '../schema/codec'
import { defaultSchema } from '../schema/defineSchema'
import type { StoreSchema } from '../schema/defineSchema'
import { defaultMerge } from '../middleware/options'
import type { BackendOption, PersistSQLiteApi, PersistSQLiteOptions } from '../middleware/options'
import { persistSQLite } from '../middleware/persistSQLite'
import { restore } from '../middleware/restore'
import { prepareOnce } from './storedState'

/** What a store definition's own options are when it has none. */
type NoOptions = Record<never, never>

/** A Zustand store persisted with `persistSQLite`: `StoreApi` plus `store.persist`. */
export type PersistedStoreApi<T, P = T> = StoreApi<T> & { persist: PersistSQLiteApi<T, P> }

/** The `persistSQLite` options a defined store takes when it is created: where it is stored, and tuning. */
export interface StoreOptions<T, P = T> extends Pick<
  PersistSQLiteOptions<T, P>,
  'onRehydrateStorage' | 'skipHydration' | 'hydrate' | 'writeDelayMs' | 'onError' | 'onCommit'
> {
  /** The backend, or a function returning one or a promise of one. */
  backend: BackendOption
  /** The store's name in the database. @default the definition's `name` */
  name?: string
}

/**
 * A store, defined once: its name, schema, versions and the state with its actions. `T` is the state
 * with actions, `P` what is persisted of it, `O` the store's own options (given to `state`).
 */
export interface StoreDefinition<T, P = T, O extends object = NoOptions> {
  /** The store's name in the database: by convention the key its Zustand `persist` used. */
  readonly name: string
  /** How the persisted state maps onto tables. @default one key/value row per top-level key */
  readonly schema?: StoreSchema
  /** Version of the persisted state. */
  readonly version: number
  /** Turns state stored at another version into this one; called with the stored version. */
  readonly migrate?: (persistedState: unknown, version: number) => P | PromiseLike<P>
  /** Combines the stored state with the state `state` makes. @default a shallow merge */
  readonly merge?: (persistedState: unknown, currentState: T) => T
  /** Combines another writer's commit with the current state (see `persistSQLite`'s option). @default `merge` */
  readonly mergeRemote?: (persistedState: unknown, currentState: T) => T
  /** Picks what is persisted. @default the whole state */
  readonly partialize?: (state: T) => P
  /** JSON options of the values stored as JSON text. @default none */
  readonly json?: JsonOptions
  /**
   * The state and its actions, given the store's own options. It may use `store.persist` (append rows,
   * lazy writes): `create` and `update` run it under `persistSQLite`; `read` only takes its initial state.
   */
  readonly state: (options: O) => StateCreator<T, [['zustand-sqlite/persist', unknown]], [], T>
  /**
   * Wiring that belongs to every store made with `create` (not to `read` or `update`): called with the
   * store and the options it was made with, after `persistSQLite` set it up.
   */
  readonly setup?: (store: PersistedStoreApi<T, P>, options: StoreOptions<T, P> & O) => void
}

/** A store's state as a hydration would make it, read without a store. */
export interface StoredStoreState<T> {
  /** The stored state, migrated to the definition's version and merged into the state `state` makes. */
  readonly state: T
  /** The state version stored; `null` when nothing is stored (`state` is then the initial state). */
  readonly version: number | null
  /** The store's revision when it was read. */
  readonly revision: number
}

/** What {@link defineStore} returns: the definition, with the ways to use it. */
export interface DefinedStore<T, P = T, O extends object = NoOptions> extends StoreDefinition<T, P, O> {
  /**
   * The `persistSQLite` options of this store (name, schema, version, migrate, merge, partialize, json)
   * with yours: for composing the store with other middleware, as
   * `create()(devtools(persistSQLite(definition.state(o), definition.persistOptions(o))))`.
   */
  persistOptions(options: StoreOptions<T, P>): PersistSQLiteOptions<T, P>
  /** The store: a Zustand vanilla store persisted with `persistSQLite`. */
  create(options: StoreOptions<T, P> & O): PersistedStoreApi<T, P>
  /**
   * Prepares the store's tables on `backend` (creating them, or running DDL migrations) and returns what
   * the store has recorded (its state version, `null` when nothing is stored, and its revision), without
   * reading its rows: for query functions that read the store's tables with SQL.
   */
  prepare(backend: Backend, options?: { readonly name?: string }): Promise<StoreRecord>
  /**
   * The stored state, read without a store and without writing anything: migrated and merged as a
   * hydration would (a stored version `migrate` refuses rejects with MIGRATION_FAILED).
   */
  read(backend: Backend, options?: { readonly name?: string } & O): Promise<StoredStoreState<T>>
  /**
   * Runs the store's own actions on the stored data, without a live store: a store is hydrated from
   * `backend` (writing nothing until the end), `run` is called with it, and what its actions changed is
   * written in one transaction when it returns (or resolves). When `run` throws, nothing is written.
   * Calls on one backend and store name run one after another. Resolves to what `run` returned.
   */
  update<R>(
    backend: Backend,
    run: (store: PersistedStoreApi<T, P>) => R | PromiseLike<R>,
    options?: { readonly name?: string } & O,
  ): Promise<R>
}

const TUNING = ['onRehydrateStorage', 'skipHydration', 'hydrate', 'writeDelayMs', 'onError', 'onCommit'] as const

/** Per backend and store name, the last `update` queued: they run one after another. */
const updates = new WeakMap<Backend, Map<string, Promise<unknown>>>()

function serially<R>(backend: Backend, name: string, task: () => Promise<R>): Promise<R> {
  let byName = updates.get(backend)
  if (byName === undefined) updates.set(backend, (byName = new Map()))
  const before = byName.get(name) ?? Promise.resolve()
  const result = before.then(task, task)
  const settled = result.then(
    () => undefined,
    () => undefined,
  )
  byName.set(name, settled)
  void settled.then(() => {
    if (byName.get(name) === settled) byName.delete(name)
  })
  return result
}

/**
 * Defines a store once, from its name, schema, versions, `migrate`, `merge`, `partialize` and state
 * creator, and gives what every use of it needs: `create` (the Zustand store), `read` (the stored state
 * as a hydration would make it, for query functions) and `update` (the store's own actions run on the
 * stored data, for query functions that write). A store package is one such definition.
 *
 * @example
 * ```ts
 * export const bearsStore = defineStore({
 *   name: 'bears',
 *   version: 1,
 *   state: () => (set) => ({ bears: 0, addBear: () => set((s) => ({ bears: s.bears + 1 })) }),
 * })
 * const store = bearsStore.create({ backend })
 * const { state } = await bearsStore.read(backend)
 * await bearsStore.update(backend, (s) => s.getState().addBear())
 * ```
 */
export function defineStore<T, P = T, O extends object = NoOptions>(
  definition: StoreDefinition<T, P, O>,
): DefinedStore<T, P, O> {
  if (typeof definition.name !== 'string' || definition.name === '')
    throw new ZustandSqliteError('INVALID_OPTIONS', 'a store definition needs a non-empty `name`')
  if (!Number.isInteger(definition.version))
    throw new ZustandSqliteError('INVALID_OPTIONS', `store ${definition.name}: \`version\` must be an integer`)
  if (typeof definition.state !== 'function')
    throw new ZustandSqliteError('INVALID_OPTIONS', `store ${definition.name}: \`state\` must be a function`)

  const persistOptions = (options: StoreOptions<T, P>): PersistSQLiteOptions<T, P> => {
    const tuning: Partial<PersistSQLiteOptions<T, P>> = {}
    for (const key of TUNING) if (options[key] !== undefined) Object.assign(tuning, { [key]: options[key] })
    return {
      ...tuning,
      name: options.name ?? definition.name,
      backend: options.backend,
      version: definition.version,
      ...(definition.schema === undefined ? {} : { schema: definition.schema }),
      ...(definition.migrate === undefined ? {} : { migrate: definition.migrate }),
      ...(definition.merge === undefined ? {} : { merge: definition.merge }),
      ...(definition.mergeRemote === undefined ? {} : { mergeRemote: definition.mergeRemote }),
      ...(definition.partialize === undefined ? {} : { partialize: definition.partialize }),
      ...(definition.json === undefined ? {} : { json: definition.json }),
    }
  }

  const schema = definition.schema ?? defaultSchema()
  const codec = definition.json === undefined ? defaultCodec : createCodec(definition.json)

  const build = (options: StoreOptions<T, P> & O): PersistedStoreApi<T, P> =>
    createStore<T>()(persistSQLite(definition.state(options), persistOptions(options))) as PersistedStoreApi<T, P>

  return {
    ...definition,
    persistOptions,
    create: (options) => {
      const store = build(options)
      definition.setup?.(store, options)
      return store
    },
    prepare: async (backend, options) => {
      const record = await backend.prepare(options?.name ?? definition.name, schema.spec)
      return { stateVersion: record.stateVersion, revision: record.revision }
    },
    read: async (backend, options) => {
      const name = options?.name ?? definition.name
      await prepareOnce(backend, name, schema)
      const loaded = await backend.load(name)
      // Only the initial state is taken: actions that would need `store.persist` are never called here.
      const creator = definition.state((options ?? {}) as O) as StateCreator<T, [], [], T>
      const initial = createStore<T>()(creator).getState()
      const restored = await restore(
        loaded,
        {
          name,
          schema,
          codec,
          version: definition.version,
          migrate: definition.migrate,
          merge: definition.merge ?? defaultMerge<T>,
        },
        initial,
      )
      return { state: restored.state, version: loaded.stateVersion, revision: loaded.revision }
    },
    update: (backend, run, options) => {
      const name = options?.name ?? definition.name
      return serially(backend, name, async () => {
        const errors: ZustandSqliteError[] = []
        const store = build({
          ...(options ?? {}),
          backend,
          name,
          skipHydration: true,
          writeDelayMs: Infinity,
          onError: (error) => errors.push(error),
        } as StoreOptions<T, P> & O)
        await store.persist.rehydrate()
        if (!store.persist.hasHydrated()) {
          throw (
            errors[0] ??
            new ZustandSqliteError('HYDRATION_FAILED', `store ${JSON.stringify(name)} did not hydrate`, { store: name })
          )
        }
        const result = await run(store)
        await store.persist.flush()
        return result
      })
    },
  }
}
