import { set as idbSet, createStore as createIdbStore } from 'idb-keyval'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'
import type { SqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'
import type { CommitInfo, LegacyStore } from '@zustand-sqlite/core'
import {
  createRollout,
  createShadow,
  createSwappableStore,
  followLabsFlag,
  indexedDBSource,
  localStorageSource,
  onStorageSwitched,
  recordMigrationEvents,
  startStorage,
} from '@zustand-sqlite/migrate'
import type {
  LegacySource,
  MigrationEvent,
  MigrationProgress,
  Rollout,
  Shadow,
  StartedStorage,
  SwappableStore,
} from '@zustand-sqlite/migrate'
import { chatsLegacy } from '@zustand-sqlite/store-chats'
import type { ChatsStore } from '@zustand-sqlite/store-chats'
import { deviceLegacy } from '@zustand-sqlite/store-device'
import type { DeviceStore } from '@zustand-sqlite/store-device'
import { chatFoldersLegacy } from '@zustand-sqlite/store-folders'
import type { ChatFoldersStore } from '@zustand-sqlite/store-folders'
import { uxLabsLegacy } from '@zustand-sqlite/store-labs'
import type { UXLabsStore } from '@zustand-sqlite/store-labs'
import { metricsLegacy } from '@zustand-sqlite/store-metrics'
import type { MetricsStore } from '@zustand-sqlite/store-metrics'
import { uiPreferencesLegacy } from '@zustand-sqlite/store-ui'
import type { UIPreferencesStore } from '@zustand-sqlite/store-ui'
import { workspaceLegacy } from '@zustand-sqlite/store-workspace'
import type { WorkspaceStore } from '@zustand-sqlite/store-workspace'
import { status } from './status'
import type { WriteStorage } from './status'

/** The app's stores, in the order a migration moves them (folders after the chats they point at). */
export const legacyStores: readonly LegacyStore[] = [
  uiPreferencesLegacy,
  uxLabsLegacy,
  deviceLegacy,
  chatsLegacy,
  chatFoldersLegacy,
  metricsLegacy,
  workspaceLegacy,
] as readonly LegacyStore[]

/** The SQLite database of the app, in the origin's private file system; every tab opens the same one. */
export const DATABASE_NAME = 'chat-web.db'

/** How long the start waits for a store to hydrate before it shows the app without it. */
const HYDRATION_WAIT_MS = 5_000

/** Keys of the app's own settings of the demo, beside the stores (all in localStorage). */
export const demoKeys = {
  /** Set once the legacy data was seeded on the first start. */
  seeded: 'chat-web:seeded',
  /** What the server would send: `{ killSwitch }` (the percentage is kept by the rollout itself). */
  remote: 'chat-web:remote-config',
  /** Shadow mode on this device: `'1'` when on. */
  shadow: 'chat-web:shadow',
} as const

/** The stores, made on the storage the rollout chose for each. */
export interface AppStores {
  readonly chats: SwappableStore<ChatsStore>
  readonly folders: SwappableStore<ChatFoldersStore>
  readonly ui: SwappableStore<UIPreferencesStore>
  readonly labs: SwappableStore<UXLabsStore>
  readonly device: SwappableStore<DeviceStore>
  readonly metrics: SwappableStore<MetricsStore>
  readonly workspace: SwappableStore<WorkspaceStore>
}

/** What the start decided and made. */
export interface Boot {
  readonly rollout: Rollout
  readonly started: StartedStorage
  readonly stores: AppStores
  /** The database, when a store runs on it or shadow mode writes it. */
  readonly backend: SqliteWasmBackend | undefined
  /** Shadow mode's mirror of each store on its legacy storage, by the store's name. */
  readonly shadows: readonly { readonly store: string; readonly shadow: Shadow }[]
}

interface RemoteConfig {
  readonly killSwitch: boolean
}

export function readRemoteConfig(): RemoteConfig {
  try {
    const value = JSON.parse(localStorage.getItem(demoKeys.remote) ?? '{}') as Partial<RemoteConfig>
    return { killSwitch: value.killSwitch === true }
  } catch {
    return { killSwitch: false }
  }
}

export function writeRemoteConfig(config: RemoteConfig): void {
  localStorage.setItem(demoKeys.remote, JSON.stringify(config))
}

export const shadowEnabled = (): boolean => localStorage.getItem(demoKeys.shadow) === '1'

export function setShadowEnabled(enabled: boolean): void {
  if (enabled) localStorage.setItem(demoKeys.shadow, '1')
  else localStorage.removeItem(demoKeys.shadow)
}

/**
 * The first start of the app on a fresh profile: what a big-AGI user's browser already holds (a few hundred
 * conversations in idb-keyval's database, the other stores in localStorage, some of old versions), so that the
 * swap has something to move. The generator is loaded only then.
 */
async function seedOnFirstStart(): Promise<void> {
  if (localStorage.getItem(demoKeys.seeded) !== null) return
  const { legacySeed } = await import('./seed')
  const seed = legacySeed()
  const keyval = createIdbStore('keyval-store', 'keyval')
  for (const [key, value] of Object.entries(seed.indexedDB)) await idbSet(key, value, keyval)
  for (const [key, value] of Object.entries(seed.localStorage)) localStorage.setItem(key, value)
  localStorage.setItem(demoKeys.seeded, new Date().toISOString())
}

/**
 * Times each write from the `set()` that made it until it is stored: on the legacy storage, until its `persist`
 * write (serialization included) resolved; on SQLite, until the commit that holds it is durable.
 */
class WriteTimer {
  private readonly since = new Map<string, number>()

  /** `shadow`: the writes are made in shadow mode (see {@link WriteSample.shadow}). */
  constructor(private readonly shadow: boolean) {}

  /** Notes the first unsaved change of a store (call from its `subscribe`), for each storage it is written to. */
  changed(store: string): void {
    const now = performance.now()
    for (const key of [store, `shadow:${store}`]) if (!this.since.has(key)) this.since.set(key, now)
  }

  /** A store's write is stored: records its cost. `shadow` for the SQLite copy of shadow mode. */
  stored(store: string, storage: WriteStorage, size: number, shadow = false): void {
    const key = shadow ? `shadow:${store}` : store
    const since = this.since.get(key)
    this.since.delete(key)
    // A write no change of the user's made (a hydration's write-back, another tab's commit) is not timed.
    if (since === undefined) return
    const ms = performance.now() - since
    status.getState().addWrite({ store, storage, ms, size, at: Date.now(), ...(this.shadow ? { shadow: true } : {}) })
  }

  /** The legacy source of a store, its writes timed. */
  legacySource(store: string, source: LegacySource, storage: WriteStorage): LegacySource {
    const inner = source.stateStorage
    return {
      ...source,
      stateStorage: {
        getItem: (key) => inner.getItem(key),
        removeItem: (key) => inner.removeItem(key),
        setItem: async (key, value) => {
          await inner.setItem(key, value)
          this.stored(store, storage, value.length)
        },
      },
    }
  }

  /** The `onCommit` of a store on SQLite. */
  onCommit = (info: CommitInfo): void => {
    if (info.reason === 'write') this.stored(info.store, 'sqlite', info.rows)
  }

  /** Starts noting a store's changes once it hydrated (hydration is not a write of the user's). */
  follow(store: SwappableStore<unknown>, name: string): void {
    const start = (): void => {
      store.subscribe(() => this.changed(name))
    }
    if (store.persist.hasHydrated()) start()
    else {
      const off = store.persist.onFinishHydration(() => {
        off()
        start()
      })
    }
  }
}

async function openBackend(): Promise<SqliteWasmBackend> {
  const backend = await createSqliteWasmBackend({
    name: DATABASE_NAME,
    onRoleChange: (role) => status.getState().setRole(role),
  })
  status.getState().setRole(backend.role)
  return backend
}

/**
 * The app's start, before any component renders: seeds the legacy data on a fresh profile, lets the rollout
 * decide (migrating or rolling back first when it says so, with progress), and makes every store on the
 * storage chosen for it. Shadow mode, when on and the device is on its legacy storage, writes SQLite beside it.
 */
export async function boot(onProgress: (progress: MigrationProgress) => void): Promise<Boot> {
  await seedOnFirstStart()
  const rollout = createRollout({ killSwitch: readRemoteConfig().killSwitch })
  const timer = new WriteTimer(shadowEnabled())
  const record = (event: MigrationEvent): void => {
    // Shadow mode's SQLite writes are timed like every other write; they are too many for the event log.
    if (event.kind !== 'shadow-write') status.getState().addEvent(event)
    else if (event.storage === 'sqlite' && event.outcome === 'ok') timer.stored(event.store, 'sqlite', event.rows, true)
    else if (event.outcome === 'failed') status.getState().addEvent(event)
  }

  let backend: SqliteWasmBackend | undefined
  const open = async (): Promise<SqliteWasmBackend> => (backend ??= await openBackend())
  const started = await startStorage({ rollout, stores: legacyStores, backend: open, onProgress, onEvent: record })
  if (started.error !== undefined) status.getState().setStartError(`${started.error.code}: ${started.error.message}`)

  const anyLegacy = legacyStores.some((s) => started.storageOf(s.definition.name) === 'legacy')
  if (shadowEnabled() && anyLegacy) {
    try {
      await open()
    } catch (error) {
      status.getState().setStartError(`shadow mode: the database did not open (${String(error)})`)
    }
  }

  const sources = {
    localStorage: localStorageSource(),
    indexedDB: indexedDBSource(),
  }
  const make = <T>(legacy: LegacyStore): SwappableStore<T> => {
    const name = legacy.definition.name
    const storage: WriteStorage = legacy.location === 'indexedDB' ? 'indexeddb' : 'localstorage'
    const store = createSwappableStore(legacy, started, {
      sources: { [legacy.location]: timer.legacySource(name, sources[legacy.location], storage) },
      onCommit: timer.onCommit,
    }) as unknown as SwappableStore<T>
    timer.follow(store as SwappableStore<unknown>, name)
    names.set(store, name)
    return store
  }
  const stores: AppStores = {
    ui: make(uiPreferencesLegacy as LegacyStore),
    labs: make(uxLabsLegacy as LegacyStore),
    device: make(deviceLegacy as LegacyStore),
    chats: make(chatsLegacy as LegacyStore),
    folders: make(chatFoldersLegacy as LegacyStore),
    metrics: make(metricsLegacy as LegacyStore),
    workspace: make(workspaceLegacy as LegacyStore),
  }

  // The app shows its stores once they hydrated: the legacy path reads IndexedDB asynchronously too. A store
  // whose legacy value `persist` cannot read never finishes hydrating: the app starts without waiting for it any
  // longer, and says which one.
  const waited = await Promise.all(
    Object.values(stores).map((store) =>
      Promise.race([
        hydrated(store).then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), HYDRATION_WAIT_MS)),
      ]),
    ),
  )
  const stuck = Object.values(stores).filter((_, i) => !waited[i])
  if (stuck.length > 0)
    status
      .getState()
      .setStartError(
        `not loaded, shown empty: ${stuck.map((store) => names.get(store)).join(', ')} (its stored value could not be read)`,
      )

  // The labs panel's `sqlite-migration` switch is the user's override, applied at the next start.
  followLabsFlag(stores.labs, rollout)
  // Another tab moved the stores: this one reloads rather than write to the storage left behind.
  onStorageSwitched(() => location.reload())

  const shadows: { store: string; shadow: Shadow }[] = []
  if (shadowEnabled() && backend !== undefined) {
    for (const legacy of legacyStores) {
      const name = legacy.definition.name
      if (started.storageOf(name) !== 'legacy') continue
      const shadow = createShadow({ legacy, backend, onEvent: record })
      shadow.attach(storeByName(stores, name))
      shadows.push({ store: name, shadow })
    }
  }
  if (started.storageOf(metricsLegacy.definition.name) === 'sqlite') {
    // Monitoring: the events of this start, and those that follow, in the metrics store.
    const sink = recordMigrationEvents(stores.metrics)
    for (const event of status.getState().sessionEvents) sink(event)
    status.getState().setEventSink(sink)
  }
  return { rollout, started, stores, backend, shadows }
}

/** Resolves once a store hydrated from its storage. */
function hydrated(store: SwappableStore<unknown>): Promise<void> {
  if (store.persist.hasHydrated()) return Promise.resolve()
  return new Promise((resolve) => {
    const off = store.persist.onFinishHydration(() => {
      off()
      resolve()
    })
  })
}

const names = new WeakMap<object, string>()

/** A store of the app by its definition's name (`app-chats`, ...). */
export function storeByName(stores: AppStores, name: string): SwappableStore<unknown> {
  const found = Object.values(stores).find((store) => names.get(store) === name)
  if (found === undefined) throw new Error(`no store named ${name}`)
  return found as SwappableStore<unknown>
}
