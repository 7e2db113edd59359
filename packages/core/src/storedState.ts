import { chain } from './backend'
import type { Backend, MaybePromise } from './backend'
import { createChangeSetBuilder } from './changeSet'
import type { ChangeSet } from './changeSet'
import { createDiffer } from './diff'
import type { OrderKeyMemo } from './diff'
import { ZustandSqliteError } from './errors'
import { materialize } from './materialize'
import { defaultSchema } from './schema'
import type { StoreSchema } from './schema'

/** Which store {@link readStoredState} and {@link writeStoredState} work on. */
export interface StoredStateOptions {
  /** Name of the store in the database: the `name` its `persistSQLite` options give. */
  readonly name: string
  /** The store's schema. @default one key/value row per top-level key, as `persistSQLite` without one */
  readonly schema?: StoreSchema
}

/** What a store has persisted: its persisted state (not merged, not migrated) and the state version. */
export interface StoredState {
  readonly state: Readonly<Record<string, unknown>>
  readonly version: number
}

/**
 * Order keys of the arrays read and written here, per backend: a write diffed against what
 * `readStoredState` returned knows the stored keys of its arrays.
 */
const memos = new WeakMap<Backend, OrderKeyMemo>()
/** The schema each store was prepared with, per backend: prepare runs once per backend, name and schema. */
const preparedSchemas = new WeakMap<Backend, Map<string, StoreSchema>>()

function memoOf(backend: Backend): OrderKeyMemo {
  let memo = memos.get(backend)
  if (memo === undefined) memos.set(backend, (memo = new WeakMap()))
  return memo
}

function prepared(backend: Backend, name: string, schema: StoreSchema): MaybePromise<void> {
  if (typeof name !== 'string' || name === '')
    throw new ZustandSqliteError('INVALID_OPTIONS', 'a stored state needs a non-empty store `name`')
  let byName = preparedSchemas.get(backend)
  if (byName?.get(name) === schema) return undefined
  return chain(backend.prepare(name, schema.spec), () => {
    if (byName === undefined) preparedSchemas.set(backend, (byName = new Map()))
    byName.set(name, schema)
  })
}

/**
 * Reads what a store has persisted, without a Zustand store: for query functions, a server endpoint,
 * a script. Prepares the store's tables first (creating them, or running DDL migrations). Resolves to
 * `null` when nothing is stored.
 *
 * The state comes back as stored: not merged with defaults and not migrated to the current version;
 * that is the caller's part, as `merge` and `migrate` are `persistSQLite`'s.
 *
 * @example
 * ```ts
 * const stored = await readStoredState(backend, { name: 'app-ui', schema: uiPreferencesSchema })
 * const language = stored?.state['preferredLanguage']
 * ```
 */
export function readStoredState(backend: Backend, options: StoredStateOptions): MaybePromise<StoredState | null> {
  const schema = options.schema ?? defaultSchema()
  return chain(prepared(backend, options.name, schema), () =>
    chain(backend.load(options.name), (loaded) =>
      loaded.stateVersion === null
        ? null
        : { state: materialize(schema, loaded, memoOf(backend)), version: loaded.stateVersion },
    ),
  )
}

/** Options of {@link writeStoredState}. */
export interface WriteStoredStateOptions extends StoredStateOptions {
  /** The state version written with the state. */
  readonly version: number
  /**
   * What the database holds now, as {@link readStoredState} returned it (`null`: nothing). Only the
   * rows that differ from it are written. Without it, everything stored for the store is replaced.
   */
  readonly previous?: StoredState | null
}

/**
 * Writes `next` as a store's persisted state, in one transaction, as `persistSQLite` would: with a
 * `previous` read, only the rows that changed (one setting, one flag); without, replacing whatever is
 * stored. Values are checked as the middleware checks them (UNSTORABLE_VALUE, DUPLICATE_KEY naming the
 * path), before anything is written. Resolves to the ChangeSet applied, or `undefined` when nothing
 * differed.
 *
 * A Zustand store open on the same store name does not see this write until it rehydrates, and its
 * next write of the same rows wins: use it where no such store is open (a server, a script).
 *
 * @example
 * ```ts
 * const previous = await readStoredState(backend, { name: 'app-ui', schema })
 * await writeStoredState(backend, { name: 'app-ui', schema, version: 3, previous }, { ...previous?.state, centerMode: 'wide' })
 * ```
 */
export function writeStoredState(
  backend: Backend,
  options: WriteStoredStateOptions,
  next: object,
): MaybePromise<ChangeSet | undefined> {
  const schema = options.schema ?? defaultSchema()
  if (!Number.isInteger(options.version))
    throw new ZustandSqliteError('INVALID_OPTIONS', 'a stored state needs an integer `version`')
  if (typeof next !== 'object' || next === null || Array.isArray(next))
    throw new ZustandSqliteError('UNSTORABLE_VALUE', 'the state to write must be an object', { path: '(state)' })
  return chain(prepared(backend, options.name, schema), () => {
    const previous = options.previous
    const builder = createChangeSetBuilder(schema.spec.tables)
    createDiffer(schema, memoOf(backend)).diff(
      previous === undefined || previous === null ? null : (previous.state as Record<string, unknown>),
      next as Record<string, unknown>,
      builder,
    )
    if (builder.size === 0 && previous !== undefined && previous?.version === options.version) return undefined
    const changeSet = builder.build({
      store: options.name,
      schemaVersion: schema.spec.version,
      stateVersion: options.version,
      ...(previous === undefined ? { replace: true } : {}),
    })
    return chain(backend.apply(changeSet), () => changeSet)
  })
}
