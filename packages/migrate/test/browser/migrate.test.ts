/// <reference types="vite/client" />
import initSqlJs from 'sql.js'
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url'
import { createStore as createIdbStore, get, set } from 'idb-keyval'
import { createJSONStorage, persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import { afterEach, describe, expect, it } from 'vitest'
import type { Backend, LegacyStore } from '@zustand-sqlite/core'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'
import { chatsLegacy, createDMessageTextContent } from '@zustand-sqlite/store-chats'
import { deviceLegacy } from '@zustand-sqlite/store-device'
import { chatFoldersLegacy } from '@zustand-sqlite/store-folders'
import { uxLabsLegacy } from '@zustand-sqlite/store-labs'
import { metricsLegacy } from '@zustand-sqlite/store-metrics'
import { uiPreferencesLegacy } from '@zustand-sqlite/store-ui'
import { workspaceLegacy } from '@zustand-sqlite/store-workspace'
import {
  createRollout,
  migrateStores,
  onStorageSwitched,
  readMigrationRecord,
  rollbackStores,
  startStorage,
} from '@zustand-sqlite/migrate'
import type { StorageSwitch } from '@zustand-sqlite/migrate'
import chatsV3 from '../../../store-chats/test/fixtures/app-chats.v3.json?raw'
import uiV1 from '../../../store-ui/test/fixtures/app-ui.v1.json?raw'
import labsV1 from '../../../store-labs/test/fixtures/app-ux-labs.v1-head.json?raw'
import deviceV1 from '../../../store-device/test/fixtures/app-device.v1.json?raw'
import foldersV0 from '../../../store-folders/test/fixtures/app-folders.v0-2024.json?raw'
import workspaceV0 from '../../../store-workspace/test/fixtures/agi-client-workspace.v0-messy.json?raw'

// In Chromium: the page's real localStorage and IndexedDB (idb-keyval's default database, where big-AGI keeps
// app-chats), Web Locks, BroadcastChannel, and sql.js journaled into IndexedDB.
const sqlJs = initSqlJs({ locateFile: () => wasmUrl })
const stores: readonly LegacyStore[] = [
  uiPreferencesLegacy,
  uxLabsLegacy,
  deviceLegacy,
  chatFoldersLegacy,
  chatsLegacy,
  metricsLegacy,
  workspaceLegacy,
]
const metricsV0 = JSON.stringify({
  state: { serviceMetrics: { openai: { totalCosts: 1.5, usageCount: 3 } } },
  version: 0,
})
const keyval = createIdbStore('keyval-store', 'keyval')
const run = Math.random().toString(36).slice(2, 8)
let count = 0
const opened: Backend[] = []
const open = async (): Promise<Backend> => {
  const backend = await createSqlJsBackend({
    sqlJs,
    storage: indexedDbStorage({ database: `migrate-${run}-${count}` }),
  })
  opened.push(backend)
  return backend
}

async function seed(): Promise<Record<string, string>> {
  count++
  localStorage.clear()
  const items: Record<string, string> = {
    'app-ui': uiV1,
    'app-ux-labs': labsV1,
    'app-device': deviceV1,
    'app-folders': foldersV0,
    'app-metrics': metricsV0,
    'agi-client-workspace': workspaceV0,
  }
  for (const [key, value] of Object.entries(items)) localStorage.setItem(key, value)
  await set('app-chats', chatsV3, keyval)
  return items
}

afterEach(async () => {
  for (const backend of opened.splice(0)) await backend.close()
})

describe('the migration in a browser', () => {
  it("moves every store from the page's localStorage and IndexedDB, holding the origin's migration lock", async () => {
    const items = await seed()
    const backend = await open()
    let query: Promise<LockManagerSnapshot> | undefined
    const result = await migrateStores({
      backend,
      stores,
      onProgress: (p) => {
        if (p.step === 'write') query = navigator.locks.query()
      },
    })
    const held = ((await query)?.held ?? []).map((lock) => lock.name)
    expect(result.stores.map((s) => s.outcome)).toEqual(Array(7).fill('migrated'))
    expect(held).toContain('zustand-sqlite:migration')
    for (const [key, value] of Object.entries(items)) expect(localStorage.getItem(key)).toBe(value)
    expect(await get('app-chats', keyval)).toBe(chatsV3)
    expect(Object.values(await readMigrationRecord(backend)).map((e) => e.status)).toEqual(Array(7).fill('verified'))
    const { state } = await chatsLegacy.definition.read(backend)
    expect(state.conversations.length).toBe(JSON.parse(chatsV3).state.conversations.length)
  })

  it('rolls app-chats back into IndexedDB as the JSON text the app reads, with a message written on SQLite', async () => {
    await seed()
    const backend = await open()
    await migrateStores({ backend, stores })
    await chatsLegacy.definition.update(backend, (store) => {
      const id = store.getState().conversations[0]?.id as string
      store.getState().appendMessage(id, createDMessageTextContent('user', 'typed in the browser on SQLite'))
    })
    const rollback = await rollbackStores({ backend, stores })
    expect(rollback.ok).toBe(true)
    const text = await get<string>('app-chats', keyval)
    expect(typeof text).toBe('string')
    expect(text).toContain('typed in the browser on SQLite')

    // The app's own persist on IndexedDB hydrates it.
    const idbStorage = {
      getItem: async (key: string) => (await get<string>(key, keyval)) ?? null,
      setItem: (key: string, value: string) => set(key, value, keyval),
      removeItem: async () => undefined,
    }
    const chats = createStore(
      persist(
        chatsLegacy.definition.state({}) as never,
        {
          ...chatsLegacy.persistOptions,
          storage: createJSONStorage(() => idbStorage),
        } as never,
      ),
    ) as unknown as {
      getState(): { conversations: { messages: unknown[] }[] }
      persist: { rehydrate(): Promise<void> }
    }
    await chats.persist.rehydrate()
    expect(JSON.stringify(chats.getState().conversations)).toContain('typed in the browser on SQLite')
  })

  it('tells the other tabs when startStorage moves the stores', async () => {
    await seed()
    const notices: StorageSwitch[] = []
    const stop = onStorageSwitched((notice) => notices.push(notice))
    const started = await startStorage({
      rollout: createRollout({ storage: localStorage, deviceId: `device-${run}-${count}`, percentage: 100 }),
      stores,
      backend: open,
    })
    expect(started.migration?.ok).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 100))
    stop()
    expect(notices).toHaveLength(1)
    expect(notices[0]?.stores['app-chats']).toBe('sqlite')
    expect(Object.keys(notices[0]?.stores ?? {})).toHaveLength(7)
  })
})
