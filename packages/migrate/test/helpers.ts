import { IDBFactory } from 'fake-indexeddb'
import { createStore as createIdbStore, get, set } from 'idb-keyval'
import type { Backend, LegacyStore } from '@zustand-sqlite/core'
import { chatsLegacy } from '@zustand-sqlite/store-chats'
import { deviceLegacy } from '@zustand-sqlite/store-device'
import { chatFoldersLegacy } from '@zustand-sqlite/store-folders'
import { uxLabsLegacy } from '@zustand-sqlite/store-labs'
import { metricsLegacy } from '@zustand-sqlite/store-metrics'
import { uiPreferencesLegacy } from '@zustand-sqlite/store-ui'
import { workspaceLegacy } from '@zustand-sqlite/store-workspace'
import { indexedDBSource, stateStorageSource } from '@zustand-sqlite/migrate'
import type { LegacySources } from '@zustand-sqlite/migrate'
import { MemoryStorage } from './fixtures/legacyData'

/** Every store of the app, as an app lists them. */
export const allStores: readonly LegacyStore[] = [
  uiPreferencesLegacy,
  uxLabsLegacy,
  deviceLegacy,
  chatFoldersLegacy,
  chatsLegacy,
  metricsLegacy,
  workspaceLegacy,
]

/** A browser's legacy storages: a localStorage shim and a fresh (fake) IndexedDB, seeded with `data`. */
export async function legacyBrowser(data: { localStorage: Record<string, string>; indexedDB: Record<string, string> }) {
  globalThis.indexedDB = new IDBFactory()
  const localStorage = new MemoryStorage(data.localStorage)
  const idb = createIdbStore('keyval-store', 'keyval')
  for (const [key, value] of Object.entries(data.indexedDB)) await set(key, value, idb)
  const sources: LegacySources = {
    localStorage: stateStorageSource(localStorage, 'localStorage'),
    indexedDB: indexedDBSource(),
  }
  return {
    localStorage,
    sources,
    idbValue: (key: string) => get<unknown>(key, idb),
    setIdbValue: (key: string, value: string) => set(key, value, idb),
  }
}

/** Every store's state as a hydration reads it through its definition. */
export async function storedStates(backend: Backend, stores: readonly LegacyStore[] = allStores) {
  const states: Record<string, unknown> = {}
  for (const legacy of stores) {
    const { state } = await legacy.definition.read(backend)
    const partialize = legacy.definition.partialize ?? ((s: unknown) => s)
    states[legacy.definition.name] = JSON.parse(JSON.stringify(partialize(state)))
  }
  return states
}
