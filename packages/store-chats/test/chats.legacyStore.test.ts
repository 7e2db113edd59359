import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { chatsLegacy, importLegacyChats } from '@zustand-sqlite/store-chats'
import type { ChatsImportReport } from '@zustand-sqlite/store-chats'
import { databaseOn } from '../../../test-utils/backends'
import { legacyEngines, legacyStoreHarness } from '../../../test-utils/legacyStores'

const legacy = chatsLegacy
const h = legacyStoreHarness(legacy)

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')
/** Every version the importer takes: 3 (text messages) and 4, clean, messy, and with prototype names as ids. */
const FIXTURES = [
  'app-chats.v3.json',
  'app-chats.v4.json',
  'app-chats.v4-messy.json',
  'app-chats.v4-prototype-keys.json',
]

const envelope = (state: unknown, version = 4): string => JSON.stringify({ state, version })

describe.each(legacyEngines)('chatsLegacy on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(FIXTURES)('imports %s into what SQLite stores and reads back', async (name) => {
    const backend = await db.open()
    const { state, cleaned, report } = await h.importValue(backend, fixture(name))
    const { report: expectedReport } = importLegacyChats(fixture(name))!
    expect(report).toEqual(expectedReport)
    // The messy file holds a conversation without messages or title beside others: the store leaves it out.
    const leftOut = name === 'app-chats.v4-messy.json' ? 1 : 0
    expect(cleaned).toBe(expectedReport.issues.length + leftOut)
    expect(legacy.count(state)).toEqual({
      conversations: expectedReport.conversations - leftOut,
      messages: expectedReport.messages,
      fragments: expectedReport.fragments,
    })
    await h.expectImportReadsBack(backend, state)
  })

  it('leaves out empty conversations beside others, as the store does, and counts them as cleaned', async () => {
    const backend = await db.open()
    const message = {
      id: 'm1',
      role: 'user',
      fragments: [{ ft: 'content', fId: 'f1', part: { pt: 'text', text: 'hi' } }],
      tokenCount: 0,
      created: 1,
      updated: null,
    }
    const kept = {
      id: 'kept',
      messages: [message],
      systemPurposeId: 'Generic',
      created: 1,
      updated: 2,
      tokenCount: 0,
    }
    const empty = { id: 'empty', messages: [], systemPurposeId: 'Generic', created: 3, updated: null, tokenCount: 0 }
    const imported = await h.importValue(backend, envelope({ conversations: [empty, kept] }))
    expect(imported.state.conversations.map((c) => c.id)).toEqual(['kept'])
    expect(imported.cleaned).toBe(1)
    expect((imported.report as ChatsImportReport).issues).toEqual([])
    expect(legacy.count(imported.state)).toEqual({ conversations: 1, messages: 1, fragments: 1 })
    // A single conversation is kept, empty or not, as the app keeps it.
    const single = await h.importValue(backend, envelope({ conversations: [empty] }))
    expect(single.state.conversations.map((c) => c.id)).toEqual(['empty'])
    expect(single.cleaned).toBe(0)
  })

  it.each(FIXTURES)('rolls %s back: the legacy persist hydrates what SQLite holds', async (name) => {
    await h.expectRollbackRoundTrip(await db.open(), fixture(name), { version: 4 })
  })

  it('gives the importer typed errors for a corrupt value and a newer version', async () => {
    await h.expectTypedErrors(await db.open(), {
      importer: importLegacyChats,
      invalid: ['{not json', envelope(1), JSON.stringify(envelope({ conversations: [] }, 2.5))],
      // Version 1 (a single chat) is one the app itself no longer reads.
      refused: [fixture('app-chats.v1.json'), fixture('app-chats.v5-unknown.json')],
    })
  })
})

describe('chatsLegacy', () => {
  it("passes defineLegacyStore's checks, with big-AGI's key and location", () => {
    h.expectDeclared({ key: 'app-chats', location: 'indexedDB' })
  })
})
