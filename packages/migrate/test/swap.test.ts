import { describe, expect, it } from 'vitest'
import { createJSONStorage, persist } from 'zustand/middleware'
import type { StateStorage } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, LegacyStore } from '@zustand-sqlite/core'
import { chatsLegacy, createChatsState, createDMessageTextContent } from '@zustand-sqlite/store-chats'
import { uxLabsLegacy } from '@zustand-sqlite/store-labs'
import { metricsLegacy } from '@zustand-sqlite/store-metrics'
import { workspaceLegacy } from '@zustand-sqlite/store-workspace'
import { uiPreferencesLegacy } from '@zustand-sqlite/store-ui'
import type { UIPreferencesStore } from '@zustand-sqlite/store-ui'
import {
  createRollout,
  createShadow,
  createSwappableStore,
  followLabsFlag,
  rolloutRecordKey,
  SQLITE_MIGRATION_FLAG,
  startStorage,
} from '@zustand-sqlite/migrate'
import type { MigrationEvent, MigrationProgress, Shadow } from '@zustand-sqlite/migrate'
import { databaseOn, engines } from '../../../test-utils/backends'
import { bigAgiLegacyData, MemoryStorage } from './fixtures/legacyData'
import { allStores, legacyBrowser, storedStates } from './helpers'

const engine = engines[0] as (typeof engines)[number]

describe('the flag-gated swap at startup', () => {
  const db = databaseOn(engine)

  it('keeps a device outside the rollout on its legacy storage, without opening the database', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const rollout = createRollout({ storage: new MemoryStorage(), deviceId: 'device-a', percentage: 0 })
    let opened = 0
    const started = await startStorage({
      rollout,
      stores: allStores,
      sources: browser.sources,
      backend: async () => {
        opened++
        return db.open()
      },
    })
    expect(started.decision.storage).toBe('legacy')
    expect(opened).toBe(0)
    const ui = createSwappableStore<UIPreferencesStore>(uiPreferencesLegacy as never, started, {
      sources: browser.sources,
    })
    expect(ui.storage).toBe('legacy')
    // The legacy persist hydrates the app's own data (version 1 migrated by the app's chain).
    expect(ui.getState().preferredLanguage).toBe(
      JSON.parse(browser.localStorage.getItem('app-ui') as string).state.preferredLanguage,
    )
  })

  it('migrates with progress when the device joins, then runs every store on SQLite with the same interface', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const storage = new MemoryStorage()
    const progress: MigrationProgress[] = []
    let backend: Backend | undefined
    const open = async (): Promise<Backend> => (backend ??= await db.open())

    // Before: on the legacy storage, what the user sees.
    const legacyStart = await startStorage({
      rollout: createRollout({ storage, deviceId: 'device-b', percentage: 0 }),
      stores: allStores,
      sources: browser.sources,
      backend: open,
    })
    const before = createSwappableStore<UIPreferencesStore>(uiPreferencesLegacy as never, legacyStart, {
      sources: browser.sources,
    })
    const seenBefore = { centerMode: before.getState().centerMode, language: before.getState().preferredLanguage }

    const started = await startStorage({
      rollout: createRollout({ storage, deviceId: 'device-b', percentage: 100 }),
      stores: allStores,
      sources: browser.sources,
      backend: open,
      onProgress: (p) => progress.push(p),
    })
    expect(started.decision).toMatchObject({ storage: 'sqlite', migrate: true })
    expect(started.migration?.ok).toBe(true)
    expect(progress.at(-1)).toMatchObject({ step: 'done', storesDone: 7 })
    expect(allStores.every((s) => started.storageOf(s.definition.name) === 'sqlite')).toBe(true)

    const ui = createSwappableStore<UIPreferencesStore>(uiPreferencesLegacy as never, started)
    expect(ui.storage).toBe('sqlite')
    await new Promise<void>((resolve) =>
      ui.persist.hasHydrated() ? resolve() : ui.persist.onFinishHydration(() => resolve()),
    )
    expect({ centerMode: ui.getState().centerMode, language: ui.getState().preferredLanguage }).toEqual(seenBefore)

    // The next start: sticky on SQLite even when the percentage goes down, nothing migrated again.
    const next = await startStorage({
      rollout: createRollout({ storage, deviceId: 'device-b', percentage: 5 }),
      stores: allStores,
      sources: browser.sources,
      backend: open,
    })
    expect(next.decision).toMatchObject({ storage: 'sqlite', reason: 'migrated', migrate: false })
    expect(next.migration).toBeUndefined()
  })

  it('rolls a migrated device back when the kill switch is on, every SQLite write included', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const storage = new MemoryStorage()
    let backend: Backend | undefined
    const open = async (): Promise<Backend> => (backend ??= await db.open())
    const started = await startStorage({
      rollout: createRollout({ storage, deviceId: 'device-c', percentage: 100 }),
      stores: allStores,
      sources: browser.sources,
      backend: open,
    })
    await chatsLegacy.definition.update(started.backend as Backend, (store) => {
      const id = store.getState().conversations[0]?.id as string
      store.getState().appendMessage(id, createDMessageTextContent('assistant', 'written on SQLite'))
    })
    const sqliteStates = await storedStates(started.backend as Backend)

    const events: MigrationEvent[] = []
    const killed = await startStorage({
      rollout: createRollout({ storage, deviceId: 'device-c', percentage: 100, killSwitch: true }),
      stores: allStores,
      sources: browser.sources,
      backend: open,
      onEvent: (e) => events.push(e),
    })
    expect(killed.decision).toMatchObject({ storage: 'legacy', reason: 'kill-switch', rollback: true })
    expect(killed.rollback?.ok).toBe(true)
    expect(allStores.every((s) => killed.storageOf(s.definition.name) === 'legacy')).toBe(true)

    const chats = createSwappableStore(chatsLegacy, killed, { sources: browser.sources })
    await chats.persist.rehydrate()
    expect(JSON.stringify(chats.getState())).toContain('written on SQLite')
    const partialize = chatsLegacy.definition.partialize as (s: unknown) => unknown
    expect(JSON.parse(JSON.stringify(partialize(chats.getState())))).toEqual(sqliteStates['app-chats'])

    // The next start, kill switch still on: not migrated any more, nothing to roll back.
    const after = await startStorage({
      rollout: createRollout({ storage, deviceId: 'device-c', percentage: 100, killSwitch: true }),
      stores: allStores,
      sources: browser.sources,
      backend: open,
    })
    expect(after.decision).toMatchObject({ storage: 'legacy', rollback: false })
  })
})

describe('the user override and an engine that cannot open', () => {
  const db = databaseOn(engine)

  it('takes the UX labs flag, switched by the user, as the override of the next start', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const storage = new MemoryStorage()
    const rollout = createRollout({ storage, deviceId: 'device-d', percentage: 0 })
    expect(rollout.decide().storage).toBe('legacy')
    const started = await startStorage({
      rollout,
      stores: allStores,
      sources: browser.sources,
      backend: () => db.open(),
    })
    const labs = createSwappableStore(uxLabsLegacy, started, { sources: browser.sources })
    const stop = followLabsFlag(labs as never, rollout)
    labs.getState().setFlag(SQLITE_MIGRATION_FLAG, true)
    stop()

    const next = await startStorage({
      rollout: createRollout({ storage, deviceId: 'device-d', percentage: 0 }),
      stores: allStores,
      sources: browser.sources,
      backend: () => db.open(),
    })
    expect(next.decision).toMatchObject({ storage: 'sqlite', reason: 'override', migrate: true })
    expect(next.migration?.ok).toBe(true)
    // The flag moved with the labs store into the database; the override stays outside it.
    const labsOnSQLite = createSwappableStore(uxLabsLegacy, next)
    await new Promise<void>((resolve) =>
      labsOnSQLite.persist.hasHydrated() ? resolve() : labsOnSQLite.persist.onFinishHydration(() => resolve()),
    )
    expect(labsOnSQLite.getState().getFlag(SQLITE_MIGRATION_FLAG)).toBe(true)
    expect(storage.getItem(rolloutRecordKey(SQLITE_MIGRATION_FLAG))).toContain('"override":true')
  })

  it('stays on the legacy storage when the database cannot be opened and no store is in it yet', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const started = await startStorage({
      rollout: createRollout({ storage: new MemoryStorage(), deviceId: 'device-e', percentage: 100 }),
      stores: allStores,
      sources: browser.sources,
      backend: () => {
        throw new ZustandSqliteError('UNSUPPORTED_ENVIRONMENT', 'no OPFS here')
      },
    })
    expect(started.decision.storage).toBe('sqlite')
    expect(started.error?.code).toBe('UNSUPPORTED_ENVIRONMENT')
    expect(allStores.every((s) => started.storageOf(s.definition.name) === 'legacy')).toBe(true)
    const ui = createSwappableStore<UIPreferencesStore>(uiPreferencesLegacy as never, started, {
      sources: browser.sources,
    })
    expect(ui.storage).toBe('legacy')
  })
})

describe('shadow mode', () => {
  const db = databaseOn(engine)

  /** A shadow of the chats store on a new database, its events collected. */
  async function chatsShadow(compareEvery: number) {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const backend = await db.open()
    const events: MigrationEvent[] = []
    const shadow = createShadow({
      legacy: chatsLegacy,
      backend,
      sources: browser.sources,
      onEvent: (e) => events.push(e),
      compareEvery,
    })
    const stateStorage = (browser.sources.indexedDB as unknown as { stateStorage: StateStorage }).stateStorage
    return { backend, events, shadow, stateStorage }
  }

  /** The chats store on its legacy path (`persist` over `storage`, its writes through the shadow), hydrated. */
  async function legacyChats(shadow: Shadow, storage: StateStorage) {
    const chats = createStore(
      persist(createChatsState(), {
        ...chatsLegacy.persistOptions,
        storage: shadow.storage(createJSONStorage(() => storage) as never),
      } as never),
    ) as unknown as ReturnType<typeof chatsLegacy.definition.create>
    await new Promise<void>((resolve) =>
      chats.persist.hasHydrated() ? resolve() : chats.persist.onFinishHydration(() => resolve()),
    )
    shadow.attach(chats as never)
    return chats
  }

  it('writes each change to SQLite too, times both storages, and reports a mismatch', async () => {
    const { backend, events, shadow, stateStorage } = await chatsShadow(0)
    const chats = await legacyChats(shadow, stateStorage)

    const id = chats.getState().conversations[0]?.id as string
    for (let i = 0; i < 3; i++) chats.getState().appendMessage(id, createDMessageTextContent('user', `message ${i}`))
    await new Promise((resolve) => setTimeout(resolve, 50))
    await shadow.flush()

    expect(await shadow.compare()).toEqual({ equal: true })
    const stored = await chatsLegacy.definition.read(backend)
    expect(JSON.stringify(stored.state.conversations)).toContain('message 2')
    expect(events.some((e) => e.kind === 'shadow-write' && e.storage === 'legacy')).toBe(true)
    expect(events.some((e) => e.kind === 'shadow-write' && e.storage === 'sqlite' && e.rows > 0)).toBe(true)

    // SQLite written behind the shadow's back: the next comparison reports where they differ.
    await chatsLegacy.definition.update(backend, (store) => store.getState().setUserTitle(id, 'changed elsewhere'))
    const compared = await shadow.compare()
    expect(compared.equal).toBe(false)
    expect(compared.difference).toContain('conversations[')
    expect(events.at(-1)).toMatchObject({ kind: 'shadow-comparison', outcome: 'mismatch', code: 'VERIFICATION_FAILED' })
    shadow.stop()
  })

  it('counts no write on its way as a difference, and compares every `compareEvery` writes once the store is quiet', async () => {
    const { events, shadow, stateStorage: inner } = await chatsShadow(5)
    // IndexedDB as a big value makes it: each write lands 60 ms after the change.
    const slow: StateStorage = {
      getItem: (key) => inner.getItem(key),
      removeItem: (key) => inner.removeItem(key),
      setItem: async (key, value) => {
        await new Promise((resolve) => setTimeout(resolve, 60))
        await inner.setItem(key, value)
      },
    }
    const chats = await legacyChats(shadow, slow)
    const id = chats.getState().conversations[0]?.id as string
    // A streamed reply: a change every 10 ms, each legacy write still on its way when the next comes.
    for (let i = 0; i < 12; i++) {
      chats.getState().appendMessage(id, createDMessageTextContent('assistant', `token ${i}`))
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect(await shadow.compare()).toEqual({ equal: true })
    // The comparisons `compareEvery` asked for ran once the store was quiet, and found the storages equal.
    await new Promise((resolve) => setTimeout(resolve, 900))
    const outcomes = events.filter((e) => e.kind === 'shadow-comparison').map((e) => e.outcome)
    expect(outcomes.length).toBeGreaterThan(1)
    expect(outcomes.every((outcome) => outcome === 'ok')).toBe(true)
    shadow.stop()
  })

  it('compares a store with what its importer cleans as equal: missing metrics counters, dangling file assignments', async () => {
    // The workspace's assignment of a file it does not hold, which its SQLite store drops, and a service whose
    // counters the app never wrote, which SQLite's integer columns require: what a migration would store.
    const data = bigAgiLegacyData()
    data.localStorage['agi-client-workspace'] = JSON.stringify({
      state: { liveFilesByWorkspace: { 'conversation-a': ['live-file-held-elsewhere'] } },
      version: 0,
    })
    data.localStorage['app-metrics'] = JSON.stringify({
      state: { serviceMetrics: { openrouter: { totalCosts: 1.25, usageCount: 3, noPricingUsages: 1 } } },
      version: 0,
    })
    const browser = await legacyBrowser(data)
    const backend = await db.open()
    for (const legacy of [metricsLegacy, workspaceLegacy] as readonly LegacyStore[]) {
      const events: MigrationEvent[] = []
      const shadow = createShadow({ legacy, backend, sources: browser.sources, onEvent: (e) => events.push(e) })
      const store = createSwappableStore(legacy, { storageOf: () => 'legacy' } as never, { sources: browser.sources })
      await new Promise<void>((resolve) =>
        store.persist.hasHydrated() ? resolve() : store.persist.onFinishHydration(() => resolve()),
      )
      shadow.attach(store)
      await new Promise((resolve) => setTimeout(resolve, 50))
      await shadow.flush()
      expect([legacy.definition.name, await shadow.compare()]).toEqual([legacy.definition.name, { equal: true }])
      expect(events.filter((e) => e.outcome === 'failed')).toEqual([])
      shadow.stop()
    }
    // The metrics written to SQLite are the importer's: the counters the app never wrote are 0.
    const metrics = await metricsLegacy.definition.read(backend)
    expect(metrics.state.serviceMetrics['openrouter']).toMatchObject({ usageCount: 3, noTokenUsages: 0 })
    // The legacy value is left as it was: the shadow only reads it.
    expect(JSON.parse(browser.localStorage.getItem('agi-client-workspace') as string).state).toEqual({
      liveFilesByWorkspace: { 'conversation-a': ['live-file-held-elsewhere'] },
    })
  })
})
