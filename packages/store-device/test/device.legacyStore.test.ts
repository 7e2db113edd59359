import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { deviceLegacy, importLegacyDevice } from '@zustand-sqlite/store-device'
import { databaseOn } from '../../../test-utils/backends'
import { legacyEngines, legacyStoreHarness } from '../../../test-utils/legacyStores'

// Neither `persistSQLite` nor the legacy `persist` partializes: both store the state without its actions.
const legacy = deviceLegacy
const h = legacyStoreHarness(legacy)

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Every version the importer takes, 0 and 1, and the app's server-rendering placeholder id. */
const FIXTURES = ['app-device.v0.json', 'app-device.v1.json', 'app-device.v1-stale.json']

describe.each(legacyEngines)('deviceLegacy on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
    const backend = await db.open()
    const { state, cleaned, report } = await h.importValue(backend, fixture(name))
    expect(state).toEqual(importLegacyDevice(fixture(name)))
    // The app's server-rendering placeholder id is read as no id: one thing cleaned.
    expect(cleaned).toBe(name === 'app-device.v1-stale.json' ? 1 : 0)
    expect(report).toBeUndefined()
    await h.expectImportReadsBack(backend, state)
  })

  it('counts the stored keys, unknown ones included, and whether the device has an id', async () => {
    const backend = await db.open()
    expect(legacy.count((await h.importValue(backend, fixture('app-device.v1.json'))).state)).toEqual({
      settings: 1,
      ids: 1,
    })
    // The placeholder is no id; `deviceName` and `syncEnabled` are kept.
    expect(legacy.count((await h.importValue(backend, fixture('app-device.v1-stale.json'))).state)).toEqual({
      settings: 3,
      ids: 0,
    })
  })

  it.each(FIXTURES)('rolls %s back: the legacy persist hydrates what SQLite holds', async (name) => {
    await h.expectRollbackRoundTrip(await db.open(), fixture(name), { version: 1 })
  })

  it('gives the importer typed errors for a corrupt value and a newer version', async () => {
    await h.expectTypedErrors(await db.open(), {
      importer: importLegacyDevice,
      invalid: ['{not json', JSON.stringify({ state: 1, version: 1 }), fixture('app-device.v1-bad-id.json')],
      invalidAt: { raw: fixture('app-device.v1-bad-id.json'), path: 'app-device.localDeviceId' },
      refused: [fixture('app-device.v2-unknown.json')],
    })
  })
})

describe('deviceLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    h.expectDeclared({ key: 'app-device', location: 'localStorage' })
  })
})
