import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, ChangeSet } from '@zustand-sqlite/core'
import { chatsLegacy, createDMessageTextContent } from '@zustand-sqlite/store-chats'
import { chatFoldersLegacy } from '@zustand-sqlite/store-folders'
import { uiPreferencesLegacy } from '@zustand-sqlite/store-ui'
import {
  cleanupLegacy,
  MIGRATION_RECORD_STORE,
  migrateStores,
  readMigrationRecord,
  rollbackStores,
} from '@zustand-sqlite/migrate'
import type { MigrationEvent, MigrationProgress } from '@zustand-sqlite/migrate'
import { databaseOn, engines } from '../../../test-utils/backends'
import { bigAgiLegacyData, chatIds, fixtureText } from './fixtures/legacyData'
import { allStores, legacyBrowser, storedStates } from './helpers'

const revisionOf = async (backend: Backend, store: string): Promise<number> =>
  Number((await backend.query('SELECT revision FROM zs_stores WHERE store = ?', [store]))[0]?.['revision'] ?? 0)

describe.each(engines)('migrateStores on $name', (engine) => {
  const db = databaseOn(engine)

  it('moves every big-AGI store from localStorage and IndexedDB, verified, leaving the legacy data untouched', async () => {
    const data = bigAgiLegacyData()
    const browser = await legacyBrowser(data)
    const backend = await db.open()
    const events: MigrationEvent[] = []
    const progress: MigrationProgress[] = []
    const result = await migrateStores({
      backend,
      stores: allStores,
      sources: browser.sources,
      onEvent: (e) => events.push(e),
      onProgress: (p) => progress.push(p),
    })

    expect(result.ok).toBe(true)
    expect(Object.fromEntries(result.stores.map((s) => [s.store, s.outcome]))).toEqual({
      'app-ui': 'migrated',
      'app-ux-labs': 'migrated',
      'app-device': 'migrated',
      'app-chats': 'migrated',
      'app-folders': 'migrated',
      'app-metrics': 'migrated',
      'agi-client-workspace': 'migrated',
    })
    // Folders come after chats: the link to a conversation that is gone is dropped, and counted as cleaned.
    const folders = result.stores.find((s) => s.store === 'app-folders')
    expect(folders?.cleaned).toBeGreaterThan(0)
    const chats = result.stores.find((s) => s.store === 'app-chats')
    expect(chats?.counts['conversations']).toBe(chatIds.length)
    // What the source held, as the app's persist read it, is reported beside what was imported.
    expect(chats?.sourceCounts).toEqual(chats?.counts)
    expect(folders?.sourceCounts?.['links']).toBe((folders?.counts['links'] ?? 0) + (folders?.cleaned ?? 0))

    // What the stores hold equals what the importers made of the legacy data.
    const states = await storedStates(backend)
    const chatsImport = await chatsLegacy.import(data.indexedDB['app-chats'], { backend, imported: () => undefined })
    expect(states['app-chats']).toEqual(JSON.parse(JSON.stringify(chatsImport?.state)))
    const uiImport = await uiPreferencesLegacy.import(data.localStorage['app-ui'], {
      backend,
      imported: () => undefined,
    })
    expect(states['app-ui']).toEqual(JSON.parse(JSON.stringify(uiImport?.state)))

    // The legacy values are untouched; a checksummed backup of each is in the database.
    expect(browser.localStorage.snapshot()).toEqual(data.localStorage)
    expect(await browser.idbValue('app-chats')).toBe(data.indexedDB['app-chats'])
    const backups = await backend.query(
      'SELECT store, checksum, bytes, length(text) AS n FROM zustand_sqlite_migration_backups',
    )
    expect(backups).toHaveLength(7)
    expect(backups.find((b) => b['store'] === 'app-chats')?.['n']).toBe(data.indexedDB['app-chats']?.length)
    const record = await readMigrationRecord(backend)
    expect(Object.values(record).every((entry) => entry.status === 'verified')).toBe(true)

    // Progress ends at done, all stores finished and every byte read; events say what happened.
    expect(progress.map((p) => p.step)).toEqual(['read', 'backup', 'write', ...Array(7).fill('verify'), 'done'])
    expect(progress.at(-1)).toMatchObject({ storesDone: 7, storesTotal: 7, bytes: progress.at(-1)?.bytesTotal })
    expect(progress.at(-1)?.rows).toBe(result.rows)
    expect(events.filter((e) => e.kind === 'migration' && e.outcome === 'ok')).toHaveLength(7)
    expect(events.filter((e) => e.kind === 'verification' && e.outcome === 'ok')).toHaveLength(7)
  })

  it('does nothing on a second call', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const backend = await db.open()
    await migrateStores({ backend, stores: allStores, sources: browser.sources })
    const before = await storedStates(backend)
    const revisions = await Promise.all(allStores.map((s) => revisionOf(backend, s.definition.name)))

    const again = await migrateStores({ backend, stores: allStores, sources: browser.sources })
    expect(again.ok).toBe(true)
    expect(again.stores.every((s) => s.outcome === 'already-migrated')).toBe(true)
    expect(again.rows).toBe(0)
    expect(await Promise.all(allStores.map((s) => revisionOf(backend, s.definition.name)))).toEqual(revisions)
    expect(await storedStates(backend)).toEqual(before)
  })

  it('reports a corrupt store and one of an unknown version, leaves them on legacy, and moves the others', async () => {
    const data = bigAgiLegacyData()
    data.localStorage['app-ui'] = '{"state":{"centerMode":"wi'
    data.indexedDB['app-chats'] = fixtureText('chats', 'app-chats.v5-unknown.json')
    const browser = await legacyBrowser(data)
    const backend = await db.open()
    const result = await migrateStores({ backend, stores: allStores, sources: browser.sources })

    expect(result.ok).toBe(false)
    const byStore = Object.fromEntries(result.stores.map((s) => [s.store, s]))
    expect(byStore['app-ui']).toMatchObject({ outcome: 'failed', code: 'INVALID_LEGACY_DATA' })
    expect(byStore['app-chats']).toMatchObject({ outcome: 'failed', code: 'MIGRATION_FAILED' })
    for (const name of ['app-ux-labs', 'app-device', 'app-folders', 'app-metrics', 'agi-client-workspace'])
      expect(byStore[name]?.outcome).toBe('migrated')
    // Nothing of the failed stores is in the database, and nothing was deleted anywhere.
    expect((await uiPreferencesLegacy.definition.prepare(backend)).stateVersion).toBeNull()
    expect((await chatsLegacy.definition.prepare(backend)).stateVersion).toBeNull()
    expect(browser.localStorage.snapshot()).toEqual(data.localStorage)
    expect(await browser.idbValue('app-chats')).toBe(data.indexedDB['app-chats'])
  })

  it('writes the stores in one transaction: when it fails, none of them is written, and the next call moves them all', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const backend = await db.open()
    let failing = true
    const flaky: Backend = {
      ...backend,
      name: backend.name,
      prepare: (s, schema) => backend.prepare(s, schema),
      load: (s) => backend.load(s),
      apply: (c) => backend.apply(c),
      clear: (s) => backend.clear(s),
      query: (sql, params) => backend.query(sql, params),
      flush: () => backend.flush(),
      close: () => backend.close(),
      applyMany: (changeSets: readonly ChangeSet[]) => {
        if (failing && changeSets.length > 1) {
          // The whole transaction fails after the first store's rows went in: it is rolled back.
          throw new ZustandSqliteError('WRITE_FAILED', 'disk I/O error')
        }
        return (backend.applyMany as NonNullable<Backend['applyMany']>)(changeSets)
      },
    }
    const failed = await migrateStores({ backend: flaky, stores: allStores, sources: browser.sources })
    expect(failed.stores.every((s) => s.outcome === 'failed' && s.code === 'WRITE_FAILED')).toBe(true)
    for (const legacy of allStores) expect((await legacy.definition.prepare(backend)).stateVersion).toBeNull()

    failing = false
    const retried = await migrateStores({ backend: flaky, stores: allStores, sources: browser.sources })
    expect(retried.stores.every((s) => s.outcome === 'migrated')).toBe(true)
  })

  it('rolls back to a legacy storage that a persist store hydrates as exactly the SQLite state, edits after the cutover included', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const backend = await db.open()
    await migrateStores({ backend, stores: allStores, sources: browser.sources })

    // Edits made on SQLite after the cutover.
    await chatsLegacy.definition.update(backend, (store) => {
      const id = store.getState().conversations[0]?.id as string
      store.getState().appendMessage(id, createDMessageTextContent('user', 'written after the cutover'))
    })
    await uiPreferencesLegacy.definition.update(backend, (store) => store.getState().setCenterMode('wide'))
    const sqliteStates = await storedStates(backend)

    const events: MigrationEvent[] = []
    const rollback = await rollbackStores({
      backend,
      stores: allStores,
      sources: browser.sources,
      onEvent: (e) => events.push(e),
    })
    expect(rollback.stores.filter((s) => s.outcome !== 'rolled-back').map((s) => s.error?.message)).toEqual([])
    expect(rollback.ok).toBe(true)
    expect(events.filter((e) => e.kind === 'rollback' && e.outcome === 'ok')).toHaveLength(7)

    // The app's own persist, on its own storage, hydrates what SQLite held.
    for (const legacy of allStores) {
      const source = legacy.location === 'indexedDB' ? browser.sources.indexedDB : browser.sources.localStorage
      const store = createStore<unknown>()(
        persist(
          (legacy.legacyState?.() ?? legacy.definition.state({})) as never,
          {
            ...(legacy.persistOptions as object),
            storage: createJSONStorage(() => (source as unknown as { stateStorage: never }).stateStorage),
          } as never,
        ),
      ) as unknown as { getState(): unknown; persist: { rehydrate(): Promise<void> } }
      await store.persist.rehydrate()
      const partialize = legacy.persistOptions.partialize ?? ((s: unknown) => s)
      const sqlitePersisted = partialize((await legacy.definition.read(backend)).state)
      expect(JSON.parse(JSON.stringify(partialize(store.getState())))).toEqual(
        JSON.parse(JSON.stringify(sqlitePersisted)),
      )
    }
    const texts = JSON.stringify(await browser.idbValue('app-chats'))
    expect(texts).toContain('written after the cutover')
    expect(JSON.parse(browser.localStorage.getItem('app-ui') as string).state.centerMode).toBe('wide')
    const record = await readMigrationRecord(backend)
    expect(Object.values(record).every((entry) => entry.status === 'rolled-back')).toBe(true)

    // Migrating again takes the legacy values (the newer ones now) without losing the edits.
    const again = await migrateStores({ backend, stores: allStores, sources: browser.sources })
    expect(again.stores.every((s) => s.outcome === 'migrated')).toBe(true)
    expect(await storedStates(backend)).toEqual(sqliteStates)
  })

  it('cleans up only the legacy values it verified and that have not changed since', async () => {
    const data = bigAgiLegacyData()
    data.localStorage['app-ui'] = 'not json'
    const browser = await legacyBrowser(data)
    const backend = await db.open()
    await migrateStores({ backend, stores: allStores, sources: browser.sources })
    // The app wrote the folders on the legacy storage after the migration.
    browser.localStorage.setItem(
      'app-folders',
      JSON.stringify({ state: { folders: [], enableFolders: false }, version: 0 }),
    )

    const cleaned = await cleanupLegacy({ backend, stores: allStores, sources: browser.sources })
    const byStore = Object.fromEntries(cleaned.map((c) => [c.store, c.outcome]))
    expect(byStore).toMatchObject({ 'app-ui': 'not-verified', 'app-folders': 'changed-since', 'app-chats': 'removed' })
    expect(browser.localStorage.getItem('app-ui')).toBe('not json')
    expect(browser.localStorage.getItem('app-folders')).not.toBeNull()
    expect(browser.localStorage.getItem('app-device')).toBeNull()
    expect(await browser.idbValue('app-chats')).toBeUndefined()
    expect(browser.localStorage.getItem('unrelated-key')).toBe('kept as it is')
  })

  it('leaves out of the transaction a store whose state the database cannot hold, and moves the others together', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const backend = await db.open()
    const unstorable = defineLegacyStore({
      ...uiPreferencesLegacy,
      import: async (raw, context) => {
        const imported = await uiPreferencesLegacy.import(raw, context)
        return imported && { ...imported, state: { ...imported.state, dismissals: { big: 10n as never } } }
      },
    })
    const stores = allStores.map((s) => (s === uiPreferencesLegacy ? unstorable : s))
    const result = await migrateStores({ backend, stores, sources: browser.sources })
    const byStore = Object.fromEntries(result.stores.map((s) => [s.store, s]))
    expect(byStore['app-ui']).toMatchObject({ outcome: 'failed', code: 'UNSTORABLE_VALUE' })
    expect(byStore['app-ui']?.error?.path).toContain('dismissals')
    expect(result.stores.filter((s) => s.outcome === 'migrated')).toHaveLength(6)
    expect((await uiPreferencesLegacy.definition.prepare(backend)).stateVersion).toBeNull()
  })

  it('refuses an import that holds none of what the legacy value held while reporting nothing cleaned', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const backend = await db.open()
    // An importer that read nothing (a transient read failure turned into an empty state): the status quo
    // would hydrate the empty state and write it over the user's chats.
    const lossy = defineLegacyStore({
      ...chatsLegacy,
      import: () => ({ state: { conversations: [] }, cleaned: 0 }),
    })
    const result = await migrateStores({ backend, stores: [lossy], sources: browser.sources })
    expect(result.stores[0]).toMatchObject({ outcome: 'failed', code: 'VERIFICATION_FAILED' })
    expect(result.stores[0]?.error?.message).toContain(`${chatIds.length} conversations`)
    expect((await chatsLegacy.definition.prepare(backend)).stateVersion).toBeNull()
  })

  it('keeps its own record in the database it migrated to', async () => {
    const browser = await legacyBrowser(bigAgiLegacyData())
    const backend = await db.open()
    await migrateStores({ backend, stores: [chatFoldersLegacy], sources: browser.sources })
    const rows = await backend.query('SELECT store FROM zs_stores WHERE store = ?', [MIGRATION_RECORD_STORE])
    expect(rows).toHaveLength(1)
  })
})
