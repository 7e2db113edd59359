import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, CommitInfo, LegacyStore, PersistedStoreApi } from '@zustand-sqlite/core'
import { createStore } from 'zustand/vanilla'
import type { StateCreator, StoreApi } from 'zustand/vanilla'
import type { PersistStorage, StorageValue } from 'zustand/middleware'
import { firstDifference } from './compare'
import { clock, emit, storeEvent } from './events'
import type { MigrationEventListener } from './events'
import { hydrateLegacy, legacyStateOf } from './rollback'
import { resolveSources, utf8Bytes } from './sources'
import type { LegacySources } from './sources'

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? 'null')

/** How long a store stays unchanged before the comparison `compareEvery` asked for runs. */
const QUIET_MS = 500
/** A difference is checked again this many times, this long apart, before it counts. */
const SETTLE_ATTEMPTS = 3
const SETTLE_MS = 250

/** A persisted state as the store loads it: merged, by its definition's `merge`, into the state it starts with. */
function loadedState(legacy: LegacyStore, persisted: unknown): unknown {
  const creator = (legacy.legacyState?.() ?? legacy.definition.state({})) as StateCreator<object>
  const initial = createStore(creator).getState()
  const { merge } = legacy.definition
  return merge === undefined ? { ...initial, ...(persisted as object) } : merge(persisted, initial as never)
}

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
  /**
   * Compares the store as SQLite holds it with the legacy value as the migration would import it (what its
   * importer cleans, such as assignments of files the workspace does not hold, is not a difference).
   */
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
  /** Changes of the store copied so far, and whether a comparison waits for a quiet moment. */
  let changes = 0
  let due = false
  let quietTimer: ReturnType<typeof setTimeout> | undefined
  /** Legacy writes through `storage()` still in flight. */
  const legacyWrites = new Set<Promise<void>>()

  /** The first difference between the two storages now, `undefined` when they hold the same. */
  const differenceNow = async (): Promise<string | undefined> => {
    const source = resolveSources(options.sources)[legacy.location]
    await mirror?.persist.flush()
    await Promise.all(legacyWrites)
    try {
      if (source === undefined) throw new Error(`no ${legacy.location} source`)
      // The legacy value as the migration would store it (its importer cleans what the app cleans: the
      // workspace's dangling assignments, missing counters, ...) and loaded as the store loads it, against the
      // store as SQLite holds it, both in the legacy shape: a difference is one the migration would not make.
      const raw = await source.read(legacy.key)
      const imported = raw === null ? null : await legacy.import(raw, { backend, imported: () => undefined })
      const fromLegacy =
        imported === null
          ? await hydrateLegacy(legacy, source)
          : await legacyStateOf(legacy, loadedState(legacy, imported.state), backend)
      const fromSQLite = await legacyStateOf(legacy, (await legacy.definition.read(backend, { name })).state, backend)
      return firstDifference(asJson(fromLegacy), asJson(fromSQLite))
    } catch (error) {
      return `the comparison failed (${error instanceof Error ? error.message : String(error)})`
    }
  }

  const compare = async (): Promise<ShadowComparison> => {
    const started = clock()
    // A write still on its way to one storage is not a difference: a difference counts when it is still there
    // once both storages settled, with the store unchanged meanwhile. A store that keeps changing is compared
    // at its next quiet moment (outcome `skipped`).
    let difference: string | undefined
    let busy = false
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
      const before = changes
      difference = await differenceNow()
      busy = changes !== before
      if (difference === undefined || (!busy && attempt > 0)) break
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
    }
    if (difference !== undefined && busy) {
      emit(
        onEvent,
        storeEvent('shadow-comparison', name, 'skipped', started, {
          message: 'the store changed during the comparison',
        }),
      )
      return { equal: false, difference }
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

  /** The comparison `compareEvery` asked for, run once the store has been quiet for {@link QUIET_MS}. */
  const compareWhenQuiet = (): void => {
    if (quietTimer !== undefined) clearTimeout(quietTimer)
    quietTimer = setTimeout(() => {
      quietTimer = undefined
      if (comparing !== undefined) return compareWhenQuiet()
      due = false
      comparing = compare().finally(() => (comparing = undefined))
    }, QUIET_MS)
  }

  return {
    storage: <S>(inner: PersistStorage<S>): PersistStorage<S> => ({
      getItem: (key) => inner.getItem(key),
      removeItem: (key) => inner.removeItem(key),
      setItem: (key: string, value: StorageValue<S>) => {
        const started = clock()
        const write = (async () => {
          await inner.setItem(key, value)
          const bytes = utf8Bytes(JSON.stringify(value))
          emit(onEvent, { ...storeEvent('shadow-write', name, 'ok', started, { rows: 1, bytes }), storage: 'legacy' })
        })()
        const settled = write.then(
          () => undefined,
          () => undefined,
        )
        legacyWrites.add(settled)
        void settled.then(() => legacyWrites.delete(settled))
        return write
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
          if (compareEvery > 0 && writes % compareEvery === 0) {
            due = true
            compareWhenQuiet()
          }
        },
        onError: (error: ZustandSqliteError) =>
          emit(onEvent, { ...storeEvent('shadow-write', name, 'failed', 0, { error, ended: 0 }), storage: 'sqlite' }),
      }) as PersistedStoreApi<unknown>
      const target = mirror
      const copy = (): void => {
        changes++
        target.setState(store.getState() as never, true)
        if (due) compareWhenQuiet()
      }
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
      if (quietTimer !== undefined) clearTimeout(quietTimer)
      quietTimer = undefined
      due = false
    },
  }
}
