import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StateCreator } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { defineLegacyStore, readPersistEnvelope, readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, LegacyImport, LegacyImportContext } from '@zustand-sqlite/core'
import { createLLMsLegacy, createLLMsStore, llmsSchema, whenSecretsOpen } from '@zustand-sqlite/store-llms'
import type { LLMsImportReport, LLMsStore, PersistedLLMs } from '@zustand-sqlite/store-llms'
import { databaseOn, engines, failure, memoryLocalStorage } from '../../../test-utils/backends'
import { fixture, KEYS, keysIn, testKey } from './helpers'

const FIXTURES = [
  'app-models.v0.json',
  'app-models.v1.json',
  'app-models.v2.json',
  'app-models.v3.json',
  'app-models.v4.json',
  'app-models.v5.json',
  'app-models.v5-messy.json',
]
const legacy = createLLMsLegacy({ secretKey: testKey() })
const { definition, persistOptions } = legacy
const stored = { name: 'app-models', schema: llmsSchema }
const contextOf = (backend: Backend): LegacyImportContext => ({ backend, imported: () => undefined })

async function importValue(backend: Backend, raw: unknown): Promise<LegacyImport<PersistedLLMs>> {
  const imported = await legacy.import(raw, contextOf(backend))
  if (imported === null) throw new Error('nothing imported')
  return imported
}

/** What the app's `persist` makes of a legacy value: the store hydrated from it, partialized. */
async function hydrateLegacy(value: string): Promise<unknown> {
  const { storage } = memoryLocalStorage({ [legacy.key]: value })
  const errors: unknown[] = []
  const creator = definition.state({}) as StateCreator<LLMsStore, [], [], LLMsStore>
  const store = createStore<LLMsStore>()(
    persist(creator, {
      ...persistOptions,
      storage: createJSONStorage(() => storage),
      skipHydration: true,
      onRehydrateStorage: () => (_state, error) => void (error === undefined || errors.push(error)),
    }),
  )
  await store.persist.rehydrate()
  expect(errors).toEqual([])
  return (persistOptions.partialize as (s: LLMsStore) => unknown)(store.getState())
}

/** What a rollback writes for the store: `toLegacy` of the state read from SQLite, in the legacy envelope. */
async function rollbackValue(backend: Backend, secretKey = legacy): Promise<string> {
  const { state } = await definition.read(backend)
  const value = await (secretKey.toLegacy as NonNullable<typeof legacy.toLegacy>)(state, contextOf(backend))
  return JSON.stringify({ state: value, version: persistOptions.version })
}

describe.each(engines.filter((e) => e.name !== 'an asynchronous engine'))('createLLMsLegacy on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(FIXTURES)(
    'migrates %s sealed: what is written reads back as imported, with no key in clear',
    async (name) => {
      const backend = await db.open()
      const { state, cleaned, report } = await importValue(backend, fixture(name))
      expect(cleaned).toBe((report as LLMsImportReport).issues.length)
      expect(keysIn(JSON.stringify(state))).toEqual([])
      await writeStoredState(backend, { ...stored, version: definition.version }, state)
      const read = await readStoredState(backend, stored)
      expect(read?.state).toEqual(state)
      expect(legacy.count(read?.state as unknown as PersistedLLMs)).toEqual(legacy.count(state))
      // The source's counts, as the app's persist reads it, are the import's (nothing lost but what was cleaned).
      const { state: raw, version } = readPersistEnvelope(fixture(name))
      const read5 = version === 5 ? raw : await persistOptions.migrate!(raw, version)
      const source = legacy.countLegacy!(read5 as Record<string, unknown>)
      if (cleaned === 0) expect(source).toEqual(legacy.count(state))
      // The definition reads it without a key (as a migration's verification does), keys still sealed.
      expect(keysIn(JSON.stringify((await definition.read(backend)).state))).toEqual([])
    },
  )

  it.each(FIXTURES)('rolls %s back: the keys are written in clear, as the app reads them', async (name) => {
    const backend = await db.open()
    await writeStoredState(
      backend,
      { ...stored, version: definition.version },
      (await importValue(backend, fixture(name))).state,
    )
    const value = await rollbackValue(backend)
    // What a rollback verifies: the legacy persist hydrates exactly what was written.
    expect(await hydrateLegacy(value)).toEqual(JSON.parse(value).state)
    // The app reads its keys back, and the value imports again to the same state.
    const original = JSON.parse(await hydrateLegacyText(fixture(name)))
    const rolled = JSON.parse(value).state as { sources: { id: string; setup: unknown }[] }
    expect(rolled.sources.map((s) => [s.id, s.setup])).toEqual(
      (original.sources as { id: string; setup: unknown }[]).map((s) => [s.id, s.setup]),
    )
    const again = await importValue(backend, value)
    expect(again.cleaned).toBe(0)
  })

  it('rolls back what the store changed after the migration, a rotated key included', async () => {
    const backend = await db.open()
    await writeStoredState(
      backend,
      { ...stored, version: definition.version },
      (await importValue(backend, fixture('app-models.v5.json'))).state,
    )
    const store = createLLMsStore({ backend, secretKey: testKey() })
    await whenSecretsOpen(store)
    store.getState().updateServiceSettings('openai', { oaiKey: KEYS.newKey })
    store.getState().removeService('ollama')
    await store.persist.flush()
    const rolled = JSON.parse(await rollbackValue(backend)).state as { sources: { id: string; setup: unknown }[] }
    expect(rolled.sources.map((s) => s.id)).toEqual(['anthropic', 'openai', 'openai-1'])
    expect(rolled.sources[1]?.setup).toMatchObject({ oaiKey: KEYS.newKey })
    expect(rolled).not.toHaveProperty('sealedSecrets')
    expect(rolled).not.toHaveProperty('secretsOpen')
  })

  it('refuses to roll back keys it cannot open (SECRET_UNAVAILABLE) rather than lose them', async () => {
    const backend = await db.open()
    await writeStoredState(
      backend,
      { ...stored, version: definition.version },
      (await importValue(backend, fixture('app-models.v4.json'))).state,
    )
    const elsewhere = createLLMsLegacy({ secretKey: testKey('another-device', 99) })
    const error = await failure(() => rollbackValue(backend, elsewhere))
    expect(error).toMatchObject({ code: 'SECRET_UNAVAILABLE', path: 'sources[id="openai"].setup.oaiKey' })
  })

  it('gives the importer’s typed errors', async () => {
    const backend = await db.open()
    const context = contextOf(backend)
    expect(await failure(() => legacy.import('{not json', context))).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
    expect(await failure(() => legacy.import(fixture('app-models.v6-future.json'), context))).toMatchObject({
      code: 'MIGRATION_FAILED',
    })
    expect(await legacy.import(null, context)).toBeNull()
  })
})

/** The legacy value's state as the app's persist reads it, as JSON text. */
async function hydrateLegacyText(value: string): Promise<string> {
  return JSON.stringify(await hydrateLegacy(value))
}

describe('createLLMsLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    expect(() => defineLegacyStore(legacy)).not.toThrow()
    expect(legacy).toMatchObject({ key: 'app-models', location: 'localStorage' })
    expect(legacy.definition.name).toBe(legacy.key)
    expect(legacy.persistOptions).toMatchObject({ name: 'app-models', version: 5 })
    expect(typeof legacy.toLegacy).toBe('function')
  })
})
