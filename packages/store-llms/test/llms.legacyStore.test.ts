import { describe, expect, it } from 'vitest'
import { readPersistEnvelope } from '@zustand-sqlite/core'
import { createLLMsLegacy, createLLMsStore, importLegacyLLMs, whenSecretsOpen } from '@zustand-sqlite/store-llms'
import type { LLMsImportReport } from '@zustand-sqlite/store-llms'
import { databaseOn, failure } from '../../../test-utils/backends'
import { legacyEngines, legacyStoreHarness } from '../../../test-utils/legacyStores'
import { fixture, KEYS, keysIn, LEGACY_FIXTURES, testKey } from './helpers'

const legacy = createLLMsLegacy({ secretKey: testKey() })
const { definition, persistOptions } = legacy
const h = legacyStoreHarness(legacy)

describe.each(legacyEngines)('createLLMsLegacy on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(LEGACY_FIXTURES)(
    'migrates %s sealed: what is written reads back as imported, with no key in clear',
    async (name) => {
      const backend = await db.open()
      const { state, cleaned, report } = await h.importValue(backend, fixture(name))
      expect(cleaned).toBe((report as LLMsImportReport).issues.length)
      expect(keysIn(JSON.stringify(state))).toEqual([])
      await h.expectImportReadsBack(backend, state)
      // The source's counts, as the app's persist reads it, are the import's (nothing lost but what was cleaned).
      const { state: raw, version } = readPersistEnvelope(fixture(name))
      const read5 = version === 5 ? raw : await persistOptions.migrate!(raw, version)
      const source = legacy.countLegacy!(read5 as Record<string, unknown>)
      if (cleaned === 0) expect(source).toEqual(legacy.count(state))
      // The definition reads it without a key (as a migration's verification does), keys still sealed.
      expect(keysIn(JSON.stringify((await definition.read(backend)).state))).toEqual([])
    },
  )

  it.each(LEGACY_FIXTURES)('rolls %s back: the keys are written in clear, as the app reads them', async (name) => {
    const backend = await db.open()
    await h.write(backend, (await h.importValue(backend, fixture(name))).state)
    const value = await h.rollbackValue(backend)
    // What a rollback verifies: the legacy persist hydrates exactly what was written.
    expect(h.legacyPersisted(await h.hydrateLegacy(value))).toEqual(JSON.parse(value).state)
    // The app reads its keys back, and the value imports again to the same state.
    const original = h.legacyPersisted(await h.hydrateLegacy(fixture(name)))
    const rolled = JSON.parse(value).state as { sources: { id: string; setup: unknown }[] }
    expect(rolled.sources.map((s) => [s.id, s.setup])).toEqual(
      (original.sources as { id: string; setup: unknown }[]).map((s) => [s.id, s.setup]),
    )
    const again = await h.importValue(backend, value)
    expect(again.cleaned).toBe(0)
  })

  it('rolls back what the store changed after the migration, a rotated key included', async () => {
    const backend = await db.open()
    await h.write(backend, (await h.importValue(backend, fixture('app-models.v5.json'))).state)
    const store = createLLMsStore({ backend, secretKey: testKey() })
    await whenSecretsOpen(store)
    store.getState().updateServiceSettings('openai', { oaiKey: KEYS.newKey })
    store.getState().removeService('ollama')
    await store.persist.flush()
    const rolled = JSON.parse(await h.rollbackValue(backend)).state as { sources: { id: string; setup: unknown }[] }
    expect(rolled.sources.map((s) => s.id)).toEqual(['anthropic', 'openai', 'openai-1'])
    expect(rolled.sources[1]?.setup).toMatchObject({ oaiKey: KEYS.newKey })
    expect(rolled).not.toHaveProperty('sealedSecrets')
    expect(rolled).not.toHaveProperty('secretsOpen')
  })

  it('refuses to roll back keys it cannot open (SECRET_UNAVAILABLE) rather than lose them', async () => {
    const backend = await db.open()
    await h.write(backend, (await h.importValue(backend, fixture('app-models.v4.json'))).state)
    const elsewhere = legacyStoreHarness(createLLMsLegacy({ secretKey: testKey('another-device', 99) }))
    const error = await failure(() => elsewhere.rollbackValue(backend))
    expect(error).toMatchObject({ code: 'SECRET_UNAVAILABLE', path: 'sources[id="openai"].setup.oaiKey' })
  })

  it('gives the importer’s typed errors', async () => {
    await h.expectTypedErrors(await db.open(), {
      importer: (raw) => importLegacyLLMs(raw, { secretKey: testKey() }),
      invalid: ['{not json'],
      refused: [fixture('app-models.v6-future.json')],
    })
  })
})

describe('createLLMsLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    h.expectDeclared({ key: 'app-models', location: 'localStorage' })
    expect(legacy.persistOptions).toMatchObject({ name: 'app-models', version: 5 })
    expect(typeof legacy.toLegacy).toBe('function')
  })
})
