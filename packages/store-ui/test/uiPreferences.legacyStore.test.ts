import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { importLegacyUIPreferences, uiPreferencesLegacy } from '@zustand-sqlite/store-ui'
import { databaseOn } from '../../../test-utils/backends'
import { legacyEngines, legacyStoreHarness } from '../../../test-utils/legacyStores'

const legacy = uiPreferencesLegacy
const h = legacyStoreHarness(legacy)

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Every version the importer takes, 0 to 3. */
const FIXTURES = ['app-ui.v0.json', 'app-ui.v1.json', 'app-ui.v2.json', 'app-ui.v3.json']

describe.each(legacyEngines)('uiPreferencesLegacy on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
    const backend = await db.open()
    const { state, cleaned, report } = await h.importValue(backend, fixture(name))
    expect(state).toEqual(importLegacyUIPreferences(fixture(name)))
    expect(cleaned).toBe(0)
    expect(report).toBeUndefined()
    await h.expectImportReadsBack(backend, state)
  })

  it('counts every stored key, unknown ones included', async () => {
    const backend = await db.open()
    const { state } = await h.importValue(backend, fixture('app-ui.v3.json'))
    // The 22 settings this package persists, and the app's stale `startupNewChat` and `autoSetChatTitle`.
    expect(legacy.count(state)).toEqual({ settings: 24 })
  })

  it.each(FIXTURES)('rolls %s back: the legacy persist hydrates what SQLite holds', async (name) => {
    await h.expectRollbackRoundTrip(await db.open(), fixture(name), { version: 3 })
  })

  it('gives the importer typed errors for a corrupt value and a newer version', async () => {
    await h.expectTypedErrors(await db.open(), {
      importer: importLegacyUIPreferences,
      invalid: ['{not json', JSON.stringify({ state: 1, version: 3 }), fixture('app-ui.v3-bad-type.json')],
      invalidAt: { raw: fixture('app-ui.v3-bad-type.json'), path: 'app-ui.centerMode' },
      refused: [fixture('app-ui.v4-unknown.json')],
    })
  })
})

describe('uiPreferencesLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    h.expectDeclared({ key: 'app-ui', location: 'localStorage' })
  })
})
