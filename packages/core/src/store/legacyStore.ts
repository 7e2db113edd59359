import type { StateCreator } from 'zustand/vanilla'
import type { Backend } from '../contract/backend'
import { ZustandSqliteError } from '../contract/errors'
import type { DefinedStore } from './defineStore'

/** Where an app's Zustand `persist` kept a store before SQLite. */
export type LegacyLocation = 'localStorage' | 'indexedDB'

/** The Zustand `persist` options of a store's legacy path: what it wrote, and how it read it back. */
export interface LegacyPersistOptions<T, P> {
  readonly name: string
  readonly version: number
  readonly partialize?: (state: T) => P
  readonly migrate?: (persistedState: unknown, version: number) => P | Promise<P>
  readonly merge?: (persistedState: unknown, currentState: T) => T
}

/** What the stores migrated before this one, in the same migration, give it. */
export interface LegacyImportContext {
  /**
   * The persisted state another store of this migration imported (it runs first when this store names
   * it in `after`), or `undefined` when that store is not part of the migration or had nothing.
   */
  imported(store: string): unknown
  /** The database the stores move to: to read what it already holds (the workspace's files, ...). */
  readonly backend: Backend
}

/** What a legacy store's importer made of the legacy value. */
export interface LegacyImport<P> {
  /** The persisted state to store, at the definition's version. */
  readonly state: P
  /** The number of things the importer cleaned, renamed, filled or left out (0: taken as it was). */
  readonly cleaned: number
  /** The store's own import report (what was cleaned and why), as its importer returns it. */
  readonly report?: unknown
}

/**
 * How a store was kept before SQLite and how its data moves: its key and location, its importer, and the
 * legacy `persist` options (to write it back on rollback, and to read it in shadow mode). Each store
 * package exports one, so an app lists the stores it has and nothing else.
 *
 * `T` is the state with actions, `P` what SQLite stores of it, `L` what the legacy `persist` stored of it
 * when that is another shape (the UX labs' flags before they became rows, the workspace's assignments
 * without its files).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- so that stores of different states make a LegacyStore[]
export interface LegacyStore<T = any, P = any, L = P> {
  /** The store's definition: its name, schema and version in SQLite. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the store's own options do not matter here
  readonly definition: DefinedStore<T, P, any>
  /** The key `persist` used in its storage (big-AGI: `app-ui`, `app-chats`, ...). */
  readonly key: string
  /** Where the app kept it: localStorage, or idb-keyval's default database (`keyval-store` / `keyval`). */
  readonly location: LegacyLocation
  /** Stores (by definition name) whose import this one reads through `context.imported`: migrated first. */
  readonly after?: readonly string[]
  /**
   * Imports the raw legacy value (the stored JSON text, or what IndexedDB held): `null` when there is
   * nothing to import. Throws the importer's typed errors (INVALID_LEGACY_DATA, MIGRATION_FAILED) for a
   * value it cannot take; nothing is written then.
   */
  import(raw: unknown, context: LegacyImportContext): LegacyImport<P> | null | Promise<LegacyImport<P> | null>
  /** Counts of what the persisted state holds (`{ conversations, messages }`), checked after the write. */
  count(state: P): Readonly<Record<string, number>>
  /**
   * The same counts of a legacy value as the app's `persist` reads it (its `migrate` run, not merged with
   * defaults): what the source held, reported beside what was imported. An import that holds none of a
   * kind the source held, while its importer reports nothing cleaned, is refused as a lost read.
   * @default `count`, for a store whose legacy state has the shape it stores
   */
  countLegacy?(state: L): Readonly<Record<string, number>>
  /**
   * What a rollback writes: the legacy persisted state of `state` (the state read back from SQLite). For a store
   * whose SQLite state holds what the legacy storage keeps in another form (credentials sealed at rest, kept in
   * clear by the app).
   * @default `persistOptions.partialize(state)`
   */
  toLegacy?(state: T, context: LegacyImportContext): L | Promise<L>
  /**
   * What the migration's backup keeps of the legacy value's text, in the database it migrates to. For a store
   * whose legacy value holds credentials in clear, which must not reach the database so.
   * @default the text as it is
   */
  backup?(text: string): string | Promise<string>
  /** The `persist` options of the legacy path: what it wrote and how it read it back. */
  readonly persistOptions: LegacyPersistOptions<T, L>
  /** The state creator the legacy path used with `persist`. @default `definition.state({})` */
  readonly legacyState?: () => StateCreator<T, [], [], T>
}

/**
 * Declares how a store was kept before SQLite (see {@link LegacyStore}), checking what can be checked at
 * once: a key, a known location, a `persist` name equal to the key, and an importer.
 *
 * @example
 * ```ts
 * export const uiPreferencesLegacy = defineLegacyStore({
 *   definition: uiPreferencesDefinition,
 *   key: 'app-ui',
 *   location: 'localStorage',
 *   import: (raw) => { const state = importLegacyUIPreferences(raw); return state && { state, cleaned: 0 } },
 *   count: () => ({ settings: 1 }),
 *   persistOptions: uiPreferencesLegacyPersistOptions,
 * })
 * ```
 */
export function defineLegacyStore<T, P, L = P>(legacy: LegacyStore<T, P, L>): LegacyStore<T, P, L> {
  const what = `legacy store ${JSON.stringify(legacy.definition?.name)}`
  if (typeof legacy.key !== 'string' || legacy.key === '')
    throw new ZustandSqliteError('INVALID_OPTIONS', `${what}: needs a non-empty \`key\``)
  if (legacy.location !== 'localStorage' && legacy.location !== 'indexedDB')
    throw new ZustandSqliteError('INVALID_OPTIONS', `${what}: \`location\` must be 'localStorage' or 'indexedDB'`)
  if (typeof legacy.import !== 'function' || typeof legacy.count !== 'function')
    throw new ZustandSqliteError('INVALID_OPTIONS', `${what}: needs \`import\` and \`count\` functions`)
  if (legacy.persistOptions?.name !== legacy.key)
    throw new ZustandSqliteError('INVALID_OPTIONS', `${what}: \`persistOptions.name\` must be the key`)
  return Object.freeze({ ...legacy })
}
