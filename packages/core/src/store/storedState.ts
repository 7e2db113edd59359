import type { Backend } from '../contract/backend'
import type { ChangeSet } from '../contract/changeSet'
import { ZustandSqliteError } from '../contract/errors'
import { withStore } from '../contract/withStore'
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
  const schema = checkWrite(options, next)
  return chain(prepareOnce(backend, options.name, schema), () => {
    const changeSet = changeSetOf(backend, options, schema, next)
    if (changeSet === undefined) return undefined
    return chain(backend.apply(changeSet), () => changeSet)
  })
}

/** The options and state of a write, checked before anything is prepared; returns the store's schema. */
function checkWrite(options: WriteStoredStateOptions, next: object): StoreSchema {
  if (!Number.isInteger(options.version))
    throw new ZustandSqliteError('INVALID_OPTIONS', 'a stored state needs an integer `version`')
  if (typeof next !== 'object' || next === null || Array.isArray(next))
    throw new ZustandSqliteError('UNSTORABLE_VALUE', 'the state to write must be an object', { path: '(state)' })
  return options.schema ?? defaultSchema()
}

/** The ChangeSet that writes `next` over `options.previous` (or replaces what is stored), if any. */
function changeSetOf(
  backend: Backend,
  options: WriteStoredStateOptions,
  schema: StoreSchema,
  next: object,
): ChangeSet | undefined {
  const previous = options.previous
  return buildChangeSet({
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
}

/** One store's write of {@link writeStoredStates}: what {@link writeStoredState} takes. */
export interface StoredStateWrite {
  readonly options: WriteStoredStateOptions
  /** The persisted state to write. */
  readonly next: object
}

/**
 * Writes several stores' persisted states in one transaction: each entry as {@link writeStoredState}
 * would write it (its tables prepared, its ChangeSet made from its `previous` read, its values checked),
 * and every ChangeSet with rows in one `applyMany`, so that the stores are written together or not at all.
 * Resolves to the ChangeSets applied, in the order of `entries` (`undefined` for an entry with nothing to
 * write).
 *
 * Nothing is written when any entry fails: a value that cannot be stored (UNSTORABLE_VALUE, DUPLICATE_KEY),
 * a `previous` read the store was written since (CONCURRENT_MODIFICATION), a row the database refuses
 * (WRITE_FAILED); the error's `store` names the entry's store. Two entries for one store are refused with
 * INVALID_OPTIONS, and a backend without `applyMany` with UNSUPPORTED_OPERATION, before anything is
 * prepared.
 *
 * @example
 * ```ts
 * const [chats, folders] = await Promise.all([
 *   readStoredState(backend, { name: 'app-chats', schema: chatsSchema }),
 *   readStoredState(backend, { name: 'app-folders', schema: foldersSchema }),
 * ])
 * await writeStoredStates(backend, [
 *   { options: { name: 'app-chats', schema: chatsSchema, version: 1, previous: chats }, next: { conversations: [] } },
 *   { options: { name: 'app-folders', schema: foldersSchema, version: 1, previous: folders }, next: { folders: [] } },
 * ])
 * ```
 */
export function writeStoredStates(
  backend: Backend,
  entries: readonly StoredStateWrite[],
): MaybePromise<(ChangeSet | undefined)[]> {
  const applyMany = backend.applyMany
  if (applyMany === undefined)
    throw new ZustandSqliteError(
      'UNSUPPORTED_OPERATION',
      `the ${backend.name} backend has no applyMany: stores cannot be written together on it; nothing was written`,
    )
  const names = new Set<string>()
  const schemas = entries.map(({ options, next }) => {
    if (names.has(options.name))
      throw new ZustandSqliteError(
        'INVALID_OPTIONS',
        `store ${JSON.stringify(options.name)} is written twice: one transaction writes a store once`,
        { store: options.name },
      )
    names.add(options.name)
    try {
      return checkWrite(options, next)
    } catch (error) {
      throw withStore(error, options.name)
    }
  })
  const preparing = entries.reduce<MaybePromise<void>>(
    (before, { options }, i) => chain(before, () => prepareOnce(backend, options.name, schemas[i] as StoreSchema)),
    undefined,
  )
  return chain(preparing, () => {
    const changeSets = entries.map(({ options, next }, i) => {
      try {
        return changeSetOf(backend, options, schemas[i] as StoreSchema, next)
      } catch (error) {
        throw withStore(error, options.name)
      }
    })
    const written = changeSets.filter((changeSet): changeSet is ChangeSet => changeSet !== undefined)
    if (written.length === 0) return changeSets
    return chain(applyMany.call(backend, written), () => changeSets)
  })
}
