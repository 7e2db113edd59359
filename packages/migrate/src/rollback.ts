import { isZustandSqliteError, writeStoredState, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, LegacyStore, ZustandSqliteErrorCode } from '@zustand-sqlite/core'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import type { PersistOptions } from 'zustand/middleware'
import type { StateCreator, StoreApi } from 'zustand/vanilla'
import { firstDifference } from './compare'
import { clock, emit, storeEvent } from './events'
import type { MigrationEventListener } from './events'
import { orderStores } from './migrate'
import { readRecord, recordOptions } from './record'
import type { MigrationRecord, StoreMigrationEntry } from './record'
import { checksum, resolveSources, utf8Bytes } from './sources'
import type { LegacySource, LegacySources } from './sources'
import type { Rollout } from './rollout'
import { updateStoreMap } from './storeMap'
import { exclusively } from './lock'

/** Options of {@link rollbackStores}. */
export interface RollbackStoresOptions {
  /** The SQLite database the stores live in now. */
  readonly backend: Backend
  /** The legacy descriptors of the stores to move back. */
  readonly stores: readonly LegacyStore[]
  /** Where the legacy values go. @default the page's localStorage and idb-keyval's default database */
  readonly sources?: LegacySources
  readonly onEvent?: MigrationEventListener
  /**
   * The rollout of the device: when given, the stores rolled back are recorded in its storage as living on
   * their legacy storage, and, once every store is back, the device as rolled back (the flag off).
   */
  readonly rollout?: Rollout
}

/** What happened to one store. */
export interface StoreRollbackResult {
  readonly store: string
  readonly outcome: 'rolled-back' | 'failed'
  readonly error?: ZustandSqliteError
  readonly code?: ZustandSqliteErrorCode
  /** Bytes of the legacy value written. */
  readonly bytes: number
}

/** What {@link rollbackStores} did. */
export interface RollbackResult {
  /** True when every store is back on its legacy storage. */
  readonly ok: boolean
  readonly stores: readonly StoreRollbackResult[]
  readonly durationMs: number
}

/** A value as JSON keeps it: what a legacy storage holds of it (functions and `undefined` left out). */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null')

/**
 * What the legacy storage keeps of `state` (a state read back from SQLite): the descriptor's `toLegacy`
 * (credentials sealed at rest come back in clear, as the app kept them), else its legacy `partialize`.
 */
export async function legacyStateOf(legacy: LegacyStore, state: unknown, backend: Backend): Promise<unknown> {
  if (legacy.toLegacy !== undefined) return legacy.toLegacy(state, { backend, imported: () => undefined })
  const partialize = legacy.persistOptions.partialize ?? ((s: unknown) => s)
  return partialize(state)
}

/**
 * A store on the legacy path: the legacy state creator under Zustand's `persist` with the store's legacy
 * options, on `source`, with `extra` options (`skipHydration`, `onRehydrateStorage`).
 */
export function createLegacyStore(
  legacy: LegacyStore,
  source: LegacySource,
  extra: Partial<PersistOptions<unknown, unknown>> = {},
): StoreApi<unknown> & { persist: { rehydrate(): Promise<void>; hasHydrated(): boolean } } {
  const creator = (legacy.legacyState?.() ?? legacy.definition.state({})) as StateCreator<unknown, [], [], unknown>
  const options = {
    ...(legacy.persistOptions as object),
    storage: createJSONStorage(() => source.stateStorage),
    ...extra,
  } as PersistOptions<unknown, unknown>
  return createStore(persist(creator, options)) as unknown as StoreApi<unknown> & {
    persist: { rehydrate(): Promise<void>; hasHydrated(): boolean }
  }
}

/**
 * What the app's `persist` makes of the value in `source` under the store's key: a store on the legacy path,
 * hydrated from it. Resolves to its persisted (partialized) state.
 */
export async function hydrateLegacy(legacy: LegacyStore, source: LegacySource): Promise<unknown> {
  let failure: unknown
  const store = createLegacyStore(legacy, source, {
    skipHydration: true,
    onRehydrateStorage: () => (_state, error) => {
      if (error !== undefined) failure = error
    },
  })
  await store.persist.rehydrate()
  if (failure !== undefined) throw failure
  const partialize = legacy.persistOptions.partialize ?? ((state: unknown) => state)
  return partialize(store.getState())
}

/**
 * Moves stores back from SQLite to their legacy storage, in the format the app's `persist` reads: each
 * store's current SQLite state (every write made after the cutover included), read through its definition,
 * partialized and enveloped with the legacy version, is written under its key. Each is then verified by
 * hydrating a `persist` store from it with the legacy options and comparing with the SQLite state; a
 * store that does not verify gets its previous legacy value back and is reported (VERIFICATION_FAILED).
 * The SQLite data stays as it is. Given the device's `rollout`, the flag is switched off once every store
 * is back (`startStorage` passes it).
 */
export async function rollbackStores(options: RollbackStoresOptions): Promise<RollbackResult> {
  return exclusively(() => rollbackOnce(options))
}

async function rollbackOnce(options: RollbackStoresOptions): Promise<RollbackResult> {
  const started = clock()
  const { backend, onEvent } = options
  const sources = resolveSources(options.sources)
  const { record, stored } = await readRecord(backend)
  const next = structuredClone(record) as MigrationRecord
  const results: StoreRollbackResult[] = []
  for (const legacy of orderStores(options.stores)) {
    const name = legacy.definition.name
    const storeStarted = clock()
    const source = sources[legacy.location]
    let bytes = 0
    try {
      if (source === undefined) {
        throw new ZustandSqliteError(
          'LEGACY_STORAGE_FAILED',
          `${name}: no ${legacy.location} source to write ${JSON.stringify(legacy.key)} to; pass one in \`sources\``,
          { store: name },
        )
      }
      const { state } = await legacy.definition.read(backend, { name })
      const persisted = await legacyStateOf(legacy, state, backend)
      const text = JSON.stringify({ state: persisted, version: legacy.persistOptions.version })
      bytes = utf8Bytes(text)
      const before = await source.read(legacy.key)
      await source.write(legacy.key, text)
      const verifyStarted = clock()
      let difference: string | undefined
      try {
        difference = firstDifference(asJson(persisted), asJson(await hydrateLegacy(legacy, source)))
      } catch (error) {
        difference = `the legacy persist did not hydrate it (${error instanceof Error ? error.message : String(error)})`
      }
      if (difference !== undefined) {
        if (before === null || before === undefined) await source.remove(legacy.key)
        else await source.write(legacy.key, typeof before === 'string' ? before : JSON.stringify(before))
        const error = new ZustandSqliteError(
          'VERIFICATION_FAILED',
          `${name}: the legacy persist does not hydrate the SQLite state: ${difference}; its previous legacy value was put back`,
          { store: name },
        )
        emit(onEvent, storeEvent('verification', name, 'mismatch', verifyStarted, { bytes, error }))
        throw error
      }
      emit(onEvent, storeEvent('verification', name, 'ok', verifyStarted, { bytes }))
      const at = Date.now()
      next.stores[name] = {
        ...(record.stores[name] ?? {
          legacyKey: legacy.key,
          location: legacy.location,
          rows: 0,
          counts: {},
          cleaned: 0,
        }),
        status: 'rolled-back',
        checksum: await checksum(text),
        bytes,
        rolledBackAt: at,
        updatedAt: at,
      } as StoreMigrationEntry
      results.push({ store: name, outcome: 'rolled-back', bytes })
      emit(onEvent, storeEvent('rollback', name, 'ok', storeStarted, { bytes }))
    } catch (error) {
      const typed = isZustandSqliteError(error)
        ? error
        : new ZustandSqliteError('LEGACY_STORAGE_FAILED', `${name}: rolling back failed (${String(error)})`, {
            store: name,
            cause: error,
          })
      results.push({ store: name, outcome: 'failed', error: typed, code: typed.code, bytes })
      emit(onEvent, storeEvent('rollback', name, 'failed', storeStarted, { bytes, error: typed }))
    }
  }
  await writeStoredState(backend, { ...recordOptions, previous: stored }, next)
  const ok = results.every((r) => r.outcome === 'rolled-back')
  if (options.rollout !== undefined) {
    const back = results.filter((r) => r.outcome === 'rolled-back')
    updateStoreMap(options.rollout, Object.fromEntries(back.map((r) => [r.store, 'legacy'] as const)))
    if (ok) options.rollout.markRolledBack()
  }
  return { ok, stores: results, durationMs: clock() - started }
}
