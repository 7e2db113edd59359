import type { Backend } from '../contract/backend'
import type { ChangeSet } from '../contract/changeSet'
import { ZustandSqliteError } from '../contract/errors'
import { chain } from '../contract/maybe'
import type { MaybePromise } from '../contract/maybe'
import { createCodec, defaultCodec } from '../schema/codec'
import type { Codec, JsonOptions } from '../schema/codec'
import { defaultSchema } from '../schema/defineSchema'
import type { StoreSchema } from '../schema/defineSchema'
import { buildChangeSet } from '../middleware/buildChangeSet'
import type { OrderKeyMemo } from '../middleware/diff'
import { materialize } from '../middleware/materialize'

/** Which store {@link readStoredState} and {@link writeStoredState} work on. */
export interface StoredStateOptions {
  /** Name of the store in the database: the `name` its `persistSQLite` options give. */
  readonly name: string
  /** The store's schema. @default one key/value row per top-level key, as `persistSQLite` without one */
  readonly schema?: StoreSchema
  /** The store's `json` options (a replacer and a reviver). @default none */
  readonly json?: JsonOptions
}

/** What a store has persisted: its persisted state (not merged, not migrated), its version and revision. */
export interface StoredState {
  readonly state: Readonly<Record<string, unknown>>
  readonly version: number
  /** The store's revision when it was read: a write made against it fails if another came since. */
  readonly revision: number
}

/**
 * Order keys of the arrays read and written here, per backend: a write diffed against what
 * `readStoredState` returned knows the stored keys of its arrays.
 */
const memos = new WeakMap<Backend, OrderKeyMemo>()

function memoOf(backend: Backend): OrderKeyMemo {
  let memo = memos.get(backend)
  if (memo === undefined) memos.set(backend, (memo = new WeakMap()))
  return memo
}

/** The schema each store was prepared with, per backend: prepare runs once per backend, name and schema. */
const preparedSchemas = new WeakMap<Backend, Map<string, StoreSchema>>()

/** @internal Prepares a store on a backend once (tables created, DDL migrations run), for reads and writes without a store. */
export function prepareOnce(backend: Backend, name: string, schema: StoreSchema): MaybePromise<void> {
  if (typeof name !== 'string' || name === '')
    throw new ZustandSqliteError('INVALID_OPTIONS', 'a stored state needs a non-empty store `name`')
  let byName = preparedSchemas.get(backend)
  if (byName?.get(name) === schema) return undefined
  return chain(backend.prepare(name, schema.spec), () => {
    if (byName === undefined) preparedSchemas.set(backend, (byName = new Map()))
    byName.set(name, schema)
  })
}

const codecOf = (json: JsonOptions | undefined): Codec => (json === undefined ? defaultCodec : createCodec(json))

/**
 * Reads what a store has persisted, without a Zustand store: for query functions, a server endpoint,
 * a script. Prepares the store's tables first (creating them, or running DDL migrations). Resolves to
 * `null` when nothing is stored.
 *
 * The state comes back as stored: not merged with defaults and not migrated to the current version;
 * that is the caller's part, as `merge` and `migrate` are `persistSQLite`'s (a store definition's
 * `read` does both).
 *
 * @example
 * ```ts
 * const stored = await readStoredState(backend, { name: 'app-ui', schema: uiPreferencesSchema })
 * const language = stored?.state['preferredLanguage']
 * ```
 */
export function readStoredState(backend: Backend, options: StoredStateOptions): MaybePromise<StoredState | null> {
  const schema = options.schema ?? defaultSchema()
  return chain(prepareOnce(backend, options.name, schema), () =>
    chain(backend.load(options.name), (loaded) =>
      loaded.stateVersion === null
        ? null
        : {
            state: materialize(schema, loaded, memoOf(backend), codecOf(options.json)),
            version: loaded.stateVersion,
            revision: loaded.revision,
          },
    ),
  )
}

/** Options of {@link writeStoredState}. */
export interface WriteStoredStateOptions extends StoredStateOptions {
  /** The state version written with the state. */
  readonly version: number
  /**
   * What the database holds now, as {@link readStoredState} returned it (`null`: nothing). Only the
   * rows that differ from it are written, and only if no other write came since it was read
   * (CONCURRENT_MODIFICATION otherwise, nothing written; with `null`, whatever came since stays beside
   * it). Without it, everything stored for the store is replaced.
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
 * A write made against a `previous` read fails with CONCURRENT_MODIFICATION, writing nothing, when the
 * store was written since that read: read again and redo the change. A Zustand store open on the same
 * store name sees this write as such a change: its next write reloads what is stored and writes its
 * own state over it.
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
  return chain(prepareOnce(backend, options.name, schema), () => {
    const previous = options.previous
    const changeSet = buildChangeSet({
      store: options.name,
      schema,
      codec: codecOf(options.json),
      memo: memoOf(backend),
      prev: previous === undefined || previous === null ? null : (previous.state as Record<string, unknown>),
      prevVersion: previous === undefined ? null : (previous?.version ?? null),
      next: next as Record<string, unknown>,
      version: options.version,
      baseRevision: previous?.revision,
      replace: previous === undefined,
    })
    if (changeSet === undefined) return undefined
    return chain(backend.apply(changeSet), () => changeSet)
  })
}
