import { expect } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type {
  Backend,
  LegacyImport,
  LegacyImportContext,
  LegacyLocation,
  LegacyStore,
  StoredStateOptions,
} from '@zustand-sqlite/core'
import { engines, failure, memoryLocalStorage } from './backends'

/** The engines a legacy store's descriptor is tested on: the synchronous ones (better-sqlite3 and sql.js). */
export const legacyEngines = engines.filter((engine) => engine.name === 'better-sqlite3' || engine.name === 'sql.js')

/** Options of {@link legacyStoreHarness}. */
export interface LegacyStoreHarnessOptions {
  /**
   * Whether an import carries what the database already holds (the workspace's files): it is then written
   * against a `previous` read, as a migration writes it, so that what the state does not hold (the files'
   * content, their history) stays.
   * @default false: the write replaces whatever is stored
   */
  readonly againstHeld?: boolean
}

/** What {@link LegacyStoreHarness.expectTypedErrors} feeds the descriptor's `import`. */
export interface LegacyErrorCases {
  /** The package's own importer: the descriptor must throw the very errors it throws. */
  readonly importer?: (raw: string) => unknown
  /** Values the importer cannot read (corrupt JSON, a wrong shape): INVALID_LEGACY_DATA. */
  readonly invalid: readonly string[]
  /** A value whose error names the path of what is wrong in it. */
  readonly invalidAt?: { readonly raw: string; readonly path: string }
  /** Values at a version the importer does not take: MIGRATION_FAILED. */
  readonly refused: readonly string[]
}

/** What {@link LegacyStoreHarness.expectDeclared} checks a descriptor declares. */
export interface LegacyDeclaration {
  readonly key: string
  readonly location: LegacyLocation
  /** The stores it is migrated after. @default none */
  readonly after?: readonly string[]
}

/** The helpers of the tests of one legacy store descriptor, typed by its state `T`, stored `P` and legacy `L`. */
export interface LegacyStoreHarness<T, P, L> {
  /** An import context on `backend`, where the stores named in `imported` gave what they hold. */
  contextOf(backend: Backend, imported?: Readonly<Record<string, unknown>>): LegacyImportContext
  /** What SQLite stores of a state. */
  persisted(state: T): P
  /** What the legacy `persist` wrote of a state. */
  legacyPersisted(state: T): L
  /** The descriptor's import of `raw`, failing the test when there is nothing to import. */
  importValue(backend: Backend, raw: unknown): Promise<LegacyImport<P>>
  /** Writes an imported state at the definition's version (against what the database holds, with `againstHeld`). */
  write(backend: Backend, state: P): Promise<void>
  /**
   * A store on the legacy path rehydrated from `value` as Zustand's `persist` reads it from localStorage: its
   * state, the errors its rehydration reported and whether it counts as hydrated.
   */
  rehydrateLegacy(value: string): Promise<{ state: T; errors: unknown[]; hasHydrated: boolean }>
  /** The state of a store on the legacy path hydrated from `value`, which must hydrate without an error. */
  hydrateLegacy(value: string): Promise<T>
  /** What a rollback writes for the store: `toLegacy` (or the legacy partialize) of what SQLite holds, in the legacy envelope. */
  rollbackValue(backend: Backend): Promise<string>
  /** Writes `state` and checks that the record, the definition's read and the counts give it back. */
  expectImportReadsBack(backend: Backend, state: P): Promise<void>
  /**
   * Imports `raw`, writes it, writes back what SQLite holds as a rollback does and checks that the legacy
   * `persist` hydrates it, at `version`, and that it imports again to what SQLite holds. With
   * `legacyHoldsAll: false` (a legacy state that holds a part of what SQLite stores) only the legacy part is
   * compared.
   */
  expectRollbackRoundTrip(
    backend: Backend,
    raw: string,
    options: { readonly version: number; readonly legacyHoldsAll?: boolean },
  ): Promise<{ sqlite: T; hydrated: T; value: string }>
  /** Checks the descriptor's typed errors for each case, and that it imports nothing from `null`. */
  expectTypedErrors(backend: Backend, cases: LegacyErrorCases): Promise<void>
  /** Checks that the descriptor passes `defineLegacyStore`'s checks with this key, location and order. */
  expectDeclared(declared: LegacyDeclaration): void
}

/** The state without its actions: what a store without `partialize` persists of it. */
const withoutActions = (state: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(state).filter(([, value]) => typeof value !== 'function'))

/**
 * The helpers of a legacy store descriptor's tests: its import, its write to SQLite, the legacy path's
 * hydration (Zustand `persist` over a memory localStorage) and the checks every descriptor's tests make.
 *
 * @example
 * ```ts
 * const h = legacyStoreHarness(uiPreferencesLegacy)
 * await h.expectImportReadsBack(backend, (await h.importValue(backend, fixture('app-ui.v3.json'))).state)
 * ```
 */
export function legacyStoreHarness<T, P, L>(
  legacy: LegacyStore<T, P, L>,
  options: LegacyStoreHarnessOptions = {},
): LegacyStoreHarness<T, P, L> {
  const { definition, persistOptions } = legacy
  const stored: StoredStateOptions = {
    name: definition.name,
    ...(definition.schema === undefined ? {} : { schema: definition.schema }),
    ...(definition.json === undefined ? {} : { json: definition.json }),
  }
  const contextOf = (backend: Backend, imported: Readonly<Record<string, unknown>> = {}): LegacyImportContext => ({
    backend,
    imported: (store) => (Object.hasOwn(imported, store) ? imported[store] : undefined),
  })
  const persisted = (state: T): P => (definition.partialize ?? withoutActions)(state as T & object) as P
  const legacyPersisted = (state: T): L => (persistOptions.partialize ?? withoutActions)(state as T & object) as L

  const importValue = async (backend: Backend, raw: unknown): Promise<LegacyImport<P>> => {
    const imported = await legacy.import(raw, contextOf(backend))
    if (imported === null) throw new Error('nothing imported')
    return imported
  }
  const write = async (backend: Backend, state: P): Promise<void> => {
    const previous = options.againstHeld === true ? { previous: await readStoredState(backend, stored) } : {}
    await writeStoredState(backend, { ...stored, version: definition.version, ...previous }, state as object)
  }

  const rehydrateLegacy = async (value: string): Promise<{ state: T; errors: unknown[]; hasHydrated: boolean }> => {
    const { storage } = memoryLocalStorage({ [legacy.key]: value })
    const errors: unknown[] = []
    const creator = (legacy.legacyState?.() ?? definition.state({})) as unknown as StateCreator<T, [], [], T>
    const store = createStore<T>()(
      persist(creator, {
        ...persistOptions,
        storage: createJSONStorage(() => storage),
        skipHydration: true,
        onRehydrateStorage: () => (_state, error) => void (error === undefined || errors.push(error)),
      }),
    )
    await store.persist.rehydrate()
    return { state: store.getState(), errors, hasHydrated: store.persist.hasHydrated() }
  }
  const hydrateLegacy = async (value: string): Promise<T> => {
    const { state, errors, hasHydrated } = await rehydrateLegacy(value)
    expect(errors).toEqual([])
    expect(hasHydrated).toBe(true)
    return state
  }

  const legacyValueOf = async (backend: Backend, state: T): Promise<string> => {
    const value =
      legacy.toLegacy === undefined ? legacyPersisted(state) : await legacy.toLegacy(state, contextOf(backend))
    return JSON.stringify({ state: value, version: persistOptions.version })
  }

  return {
    contextOf,
    persisted,
    legacyPersisted,
    importValue,
    write,
    rehydrateLegacy,
    hydrateLegacy,
    rollbackValue: async (backend) => legacyValueOf(backend, (await definition.read(backend)).state),

    async expectImportReadsBack(backend, state) {
      await write(backend, state)
      const raw = await readStoredState(backend, stored)
      expect(raw?.version).toBe(definition.version)
      expect(raw?.state).toEqual(state)
      const read = await definition.read(backend)
      expect(persisted(read.state)).toEqual(state)
      expect(legacy.count(raw?.state as unknown as P)).toEqual(legacy.count(state))
      expect(legacy.count(persisted(read.state))).toEqual(legacy.count(state))
    },

    async expectRollbackRoundTrip(backend, raw, { version, legacyHoldsAll = true }) {
      await write(backend, (await importValue(backend, raw)).state)
      const { state: sqlite } = await definition.read(backend)
      const value = await legacyValueOf(backend, sqlite)

      const hydrated = await hydrateLegacy(value)
      expect(legacyPersisted(hydrated)).toEqual(legacyPersisted(sqlite))
      if (legacyHoldsAll) expect(persisted(hydrated)).toEqual(persisted(sqlite))
      // The legacy path reads what the rollback wrote at its own version, and imports it again unchanged.
      expect(JSON.parse(value).version).toBe(version)
      expect((await importValue(backend, value)).state).toEqual(persisted(sqlite))
      return { sqlite, hydrated, value }
    },

    async expectTypedErrors(backend, { importer, invalid, invalidAt, refused }) {
      const context = contextOf(backend)
      for (const raw of invalid) {
        const error = await failure(() => legacy.import(raw, context))
        expect(error).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
        if (importer !== undefined) expect(error).toEqual(await failure(() => importer(raw)))
      }
      if (invalidAt !== undefined)
        expect(await failure(() => legacy.import(invalidAt.raw, context))).toMatchObject({ path: invalidAt.path })
      for (const raw of refused) {
        const error = await failure(() => legacy.import(raw, context))
        expect(error).toMatchObject({ code: 'MIGRATION_FAILED' })
        if (importer !== undefined) expect(error).toEqual(await failure(() => importer(raw)))
      }
      expect(await legacy.import(null, context)).toBeNull()
    },

    expectDeclared({ key, location, after }) {
      expect(() => defineLegacyStore(legacy)).not.toThrow()
      expect(legacy).toMatchObject({ key, location })
      expect(legacy.definition.name).toBe(legacy.key)
      expect(legacy.persistOptions.name).toBe(legacy.key)
      expect(legacy.after).toEqual(after)
    },
  }
}
