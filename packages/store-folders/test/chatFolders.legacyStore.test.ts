import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { chatFoldersLegacy, importLegacyChatFolders } from '@zustand-sqlite/store-folders'
import { databaseOn } from '../../../test-utils/backends'
import { legacyEngines, legacyStoreHarness } from '../../../test-utils/legacyStores'

// Neither `persistSQLite` nor the legacy `persist` partializes: both store the state without its actions.
const legacy = chatFoldersLegacy
const h = legacyStoreHarness(legacy)

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Version 0, the only one the app wrote: folders of 2024 (UUIDs), with colors, and messy. */
const FIXTURES = ['app-folders.v0-2024.json', 'app-folders.v0-colors.json', 'app-folders.v0-messy.json']

describe.each(legacyEngines)('chatFoldersLegacy on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
    const backend = await db.open()
    const { state, cleaned, report } = await h.importValue(backend, fixture(name))
    const { state: expected, dangling, skipped } = importLegacyChatFolders(fixture(name))!
    expect(state).toEqual(expected)
    // Without the chats in the migration, no link is dangling.
    expect(report).toEqual({ dangling: [], skipped })
    expect(cleaned).toBe(skipped.length)
    expect(dangling).toEqual([])
    await h.expectImportReadsBack(backend, state)
  })

  it('counts folders and links', async () => {
    const backend = await db.open()
    expect(legacy.count((await h.importValue(backend, fixture('app-folders.v0-2024.json'))).state)).toEqual({
      folders: 3,
      links: 3,
    })
  })

  it('drops links to conversations the chats import does not hold, reporting them', async () => {
    const backend = await db.open()
    const chats = {
      conversations: [
        { id: 'conv-a', messages: [] },
        { id: 'conv-b', messages: [] },
      ],
    }
    const imported = await legacy.import(
      fixture('app-folders.v0-messy.json'),
      h.contextOf(backend, { 'app-chats': chats }),
    )
    const expected = importLegacyChatFolders(fixture('app-folders.v0-messy.json'), {
      conversationIds: ['conv-a', 'conv-b'],
    })!
    expect(expected.dangling).toEqual([
      { folderId: 'V1StGXR8_Z5jdHi6B-myT', conversationId: 'conv-gone' },
      { folderId: 'lOkXVn2r4kvZ7h_1Wq9Yp', conversationId: 'conv-c' },
      { folderId: 'lOkXVn2r4kvZ7h_1Wq9Yp', conversationId: 'incognito-1' },
    ])
    expect(imported).toEqual({
      state: expected.state,
      cleaned: expected.dangling.length + expected.skipped.length,
      report: { dangling: expected.dangling, skipped: expected.skipped },
    })
    expect(legacy.count(imported!.state)).toEqual({ folders: 3, links: 2 })
    // Without them (the chats not migrated), every link stays.
    expect(legacy.count((await h.importValue(backend, fixture('app-folders.v0-messy.json'))).state)).toEqual({
      folders: 3,
      links: 5,
    })
  })

  it.each(FIXTURES)('rolls %s back: the legacy persist hydrates what SQLite holds', async (name) => {
    await h.expectRollbackRoundTrip(await db.open(), fixture(name), { version: 0 })
  })

  it('gives the importer typed errors for a corrupt value and a newer version', async () => {
    const notAnArray = JSON.stringify({ state: { folders: {} }, version: 0 })
    await h.expectTypedErrors(await db.open(), {
      importer: importLegacyChatFolders,
      invalid: ['{not json', JSON.stringify({ state: 1, version: 0 }), notAnArray],
      invalidAt: { raw: notAnArray, path: 'app-folders.folders' },
      refused: [fixture('app-folders.v1-unknown.json')],
    })
  })
})

describe('chatFoldersLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    h.expectDeclared({ key: 'app-folders', location: 'localStorage', after: ['app-chats'] })
  })
})
