import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, CommitInfo, LegacyStore, PersistedStoreApi } from '@zustand-sqlite/core'
import type { StoreApi } from 'zustand/vanilla'
import type { PersistStorage, StorageValue } from 'zustand/middleware'
import { firstDifference } from './compare'
import { clock, emit, storeEvent } from './events'
import type { MigrationEventListener } from './events'
import { hydrateLegacy, legacyStateOf } from './rollback'
import { resolveSources, utf8Bytes } from './sources'
import type { LegacySources } from './sources'

/** Options of {@link createShadow}. */
export interface ShadowOptions {
  /** The store's legacy descriptor. */
  readonly legacy: LegacyStore
  /** The SQLite database written beside the legacy storage. */
  readonly backend: Backend
  /** Where the legacy value is (read by `compare`). @default the page's storages */
  readonly sources?: LegacySources
  /** Gets a `shadow-write` event per write on each storage and a `shadow-comparison` per comparison. */
  readonly onEvent?: MigrationEventListener
  /** Compares the two storages after this many SQLite writes (0: only when `compare` is called). @default 50 */
  readonly compareEvery?: number
}

/** What a comparison found. */
export interface ShadowComparison {
  readonly equal: boolean
  /** The path of the first difference. */
  readonly difference?: string
}

/** Shadow mode of one store: the app runs on its legacy storage, and every change is written to SQLite too. */
export interface Shadow {
  /** Wraps the legacy `persist` storage so that its writes are timed (`shadow-write`, storage `legacy`). */
  storage<S>(inner: PersistStorage<S>): PersistStorage<S>
  /** Starts writing the store's changes to SQLite (after it hydrated from its legacy storage). */
  attach(store: StoreApi<unknown>): void
  /** Resolves once what the store holds now is written to SQLite. */
  flush(): Promise<void>
  /** Compares the store as the legacy `persist` reads it with the store as SQLite holds it. */
  compare(): Promise<ShadowComparison>
  /** Stops writing to SQLite. */
  stop(): void
}

/**
 * Shadow mode for one store during a rollout stage: the app keeps running on its legacy storage (the one
 * that counts), and each change is also written to SQLite, through the store's definition, so that the two
 * can be compared (mismatches reported as `shadow-comparison` events with outcome `mismatch`) and each
 * write's cost measured on both storages on the users' own machines (`shadow-write` events). Nothing the
 * shadow does changes what the app reads.
 *
 * @example
 * ```ts
 * const shadow = createShadow({ legacy: chatsLegacy, backend, onEvent: recordMigrationEvents(metrics) })
 * const chats = createStore(persist(createChatsState(), {
 *   ...chatsLegacyPersistOptions,
 *   storage: shadow.storage(createJSONStorage(() => idbStateStorage)),
 * }))
 * shadow.attach(chats)
 * ```
 */
export function createShadow(options: ShadowOptions): Shadow {
  const { legacy, backend, onEvent } = options
  const name = legacy.definition.name
  const compareEvery = options.compareEvery ?? 50
  let mirror: PersistedStoreApi<unknown> | undefined
  let stopUpdates: (() => void) | undefined
  let writes = 0
  let comparing: Promise<ShadowComparison> | undefined

  const compare = async (): Promise<ShadowComparison> => {
    const started = clock()
    const source = resolveSources(options.sources)[legacy.location]
    await mirror?.persist.flush()
    let difference: string | undefined
    try {
      if (source === undefined) throw new Error(`no ${legacy.location} source`)
      const fromLegacy = await hydrateLegacy(legacy, source)
      const fromSQLite = await legacyStateOf(legacy, (await legacy.definition.read(backend, { name })).state, backend)
      difference = firstDifference(JSON.parse(JSON.stringify(fromLegacy)), JSON.parse(JSON.stringify(fromSQLite)))
    } catch (error) {
      difference = `the comparison failed (${error instanceof Error ? error.message : String(error)})`
    }
    const error =
      difference === undefined
        ? undefined
        : new ZustandSqliteError('VERIFICATION_FAILED', `${name}: the two storages differ at ${difference}`, {
            store: name,
          })
    emit(
      onEvent,
      storeEvent('shadow-comparison', name, error === undefined ? 'ok' : 'mismatch', started, error && { error }),
    )
    return difference === undefined ? { equal: true } : { equal: false, difference }
  }

  return {
    storage: <S>(inner: PersistStorage<S>): PersistStorage<S> => ({
      getItem: (key) => inner.getItem(key),
      removeItem: (key) => inner.removeItem(key),
      setItem: async (key: string, value: StorageValue<S>) => {
        const started = clock()
        await inner.setItem(key, value)
        const bytes = utf8Bytes(JSON.stringify(value))
        emit(onEvent, { ...storeEvent('shadow-write', name, 'ok', started, { rows: 1, bytes }), storage: 'legacy' })
      },
    }),
    attach: (store) => {
      stopUpdates?.()
      mirror = legacy.definition.create({
        backend,
        name,
        onCommit: (info: CommitInfo) => {
          const event = storeEvent('shadow-write', name, 'ok', 0, { rows: info.rows, ended: info.durationMs })
          emit(onEvent, { ...event, storage: 'sqlite' })
          writes++
          if (compareEvery > 0 && writes % compareEvery === 0)
            comparing ??= compare().finally(() => (comparing = undefined))
        },
        onError: (error: ZustandSqliteError) =>
          emit(onEvent, { ...storeEvent('shadow-write', name, 'failed', 0, { error, ended: 0 }), storage: 'sqlite' }),
      }) as PersistedStoreApi<unknown>
      const target = mirror
      const copy = (): void => target.setState(store.getState() as never, true)
      const start = (): void => {
        copy()
        stopUpdates = store.subscribe(copy)
      }
      const persisted = (
        store as { persist?: { hasHydrated(): boolean; onFinishHydration(cb: () => void): () => void } }
      ).persist
      const whenBoth = (): void => {
        if (!target.persist.hasHydrated()) {
          const off = target.persist.onFinishHydration(() => {
            off()
            whenBoth()
          })
          return
        }
        if (persisted !== undefined && !persisted.hasHydrated()) {
          const off = persisted.onFinishHydration(() => {
            off()
            start()
          })
          return
        }
        start()
      }
      whenBoth()
    },
    flush: async () => {
      await mirror?.persist.flush()
    },
    compare,
    stop: () => {
      stopUpdates?.()
      stopUpdates = undefined
    },
  }
}
