import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { importLegacyUXLabs, toPersistedUXLabs, uxLabsLegacy } from '@zustand-sqlite/store-labs'
import { databaseOn } from '../../../test-utils/backends'
import { legacyEngines, legacyStoreHarness } from '../../../test-utils/legacyStores'

const legacy = uxLabsLegacy
const h = legacyStoreHarness(legacy)

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Every version the importer takes: the app's flat 0 and 1 (big-AGI 2.0 and now), and 2. */
const FIXTURES = ['app-ux-labs.v0.json', 'app-ux-labs.v1-2.0.json', 'app-ux-labs.v1-head.json', 'app-ux-labs.v2.json']

describe.each(legacyEngines)('uxLabsLegacy on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
    const backend = await db.open()
    const { state, cleaned, report } = await h.importValue(backend, fixture(name))
    // The app's flags become rows: what SQLite stores is another shape than what the legacy path wrote.
    expect(state).toEqual(toPersistedUXLabs(importLegacyUXLabs(fixture(name))!))
    expect(cleaned).toBe(0)
    expect(report).toBeUndefined()
    await h.expectImportReadsBack(backend, state)
  })

  it('counts flags, known and unknown, and experiments', async () => {
    const backend = await db.open()
    const { state } = await h.importValue(backend, fixture('app-ux-labs.v2.json'))
    // The 8 known flags and `labsFromTheFuture`; the configuration of `beam-layout`.
    expect(legacy.count(state)).toEqual({ flags: 9, experiments: 1 })
  })

  it.each(FIXTURES)('rolls %s back: the legacy persist hydrates what SQLite holds', async (name) => {
    await h.expectRollbackRoundTrip(await db.open(), fixture(name), { version: 2 })
  })

  it('gives the importer typed errors for a corrupt value and a newer version', async () => {
    await h.expectTypedErrors(await db.open(), {
      importer: importLegacyUXLabs,
      invalid: ['{not json', JSON.stringify({ state: 1, version: 1 }), fixture('app-ux-labs.v2-bad-flag.json')],
      invalidAt: {
        raw: fixture('app-ux-labs.v2-bad-flag.json'),
        path: 'app-ux-labs.enabledFlags.labsHighPerformance',
      },
      refused: [fixture('app-ux-labs.v3-unknown.json')],
    })
  })
})

describe('uxLabsLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    h.expectDeclared({ key: 'app-ux-labs', location: 'localStorage' })
  })
})
