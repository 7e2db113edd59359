import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import {
  createChatsStore,
  importChatsFromExport,
  importLegacyChats,
  partializeChats,
} from '@zustand-sqlite/store-chats'
import type { DConversation, DMessage } from '@zustand-sqlite/store-chats'
import { tempDatabase } from '../../../test-utils/backends'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

const SECRET = 'sk-test-SECRET123'

/** A version 4 `app-chats` envelope holding one conversation with these messages. */
function envelope(messages: readonly object[]): string {
  const conversation = { id: 'c1', messages, systemPurposeId: 'Generic', created: 1, updated: 1, tokenCount: 0 }
  return JSON.stringify({ state: { conversations: [conversation] }, version: 4 })
}

const answer = (id: string, fragments: readonly object[], metadata?: object): object => ({
  id,
  role: 'assistant',
  fragments,
  ...(metadata === undefined ? {} : { metadata }),
  tokenCount: 0,
  created: 1,
  updated: null,
})

const text = (fId: string, value: string): object => ({ ft: 'content', fId, part: { pt: 'text', text: value } })
const placeholder = (fId: string, part: object): object => ({ ft: 'void', fId, part: { pt: 'ph', ...part } })

/** The messages of the one conversation `envelope` made, as imported. */
function importedMessages(messages: readonly object[]): DMessage[] {
  return importLegacyChats(envelope(messages))?.state.conversations[0]?.messages ?? []
}

/** Every byte SQLite keeps for `file`: the database, and its WAL and journal while they exist. */
function storedBytes(file: string): string {
  return ['', '-wal', '-journal']
    .map((suffix) => file + suffix)
    .filter((path) => existsSync(path))
    .map((path) => readFileSync(path).toString('latin1'))
    .join('')
}

describe('cut-off placeholders, as the app closes them on load', () => {
  it('keeps the placeholder text, or says "message incomplete" when it has an operation log', () => {
    const [withText, withOpLog, withoutText, notLast] = importedMessages([
      answer('a', [text('t1', 'partial answer'), placeholder('p1', { pText: 'Generating…' })]),
      answer('b', [placeholder('p2', { pText: 'Searching…', opLog: [{ text: 'searching the web' }] })]),
      answer('c', [placeholder('p3', { pText: '' })]),
      answer('d', [placeholder('p4', { pText: 'Thinking…' }), text('t4', 'then an answer')]),
    ])
    expect(withText?.fragments).toEqual([
      { ft: 'content', fId: 't1', part: { pt: 'text', text: 'partial answer' } },
      { ft: 'content', fId: 'p1', part: { pt: 'error', error: '(did not complete: Generating…)' } },
    ])
    expect(withOpLog?.fragments).toEqual([
      { ft: 'content', fId: 'p2', part: { pt: 'error', error: '(message incomplete)' } },
    ])
    expect(withoutText?.fragments).toEqual([
      { ft: 'content', fId: 'p3', part: { pt: 'error', error: '(did not complete)' } },
    ])
    // Only the last fragment is a cut-off generation; the app leaves an earlier placeholder alone.
    expect(notLast?.fragments[0]).toEqual({ ft: 'void', fId: 'p4', part: { pt: 'ph', pText: 'Thinking…' } })
  })

  it('writes the same text on the legacy path and from an export file', () => {
    const cut = answer('a', [placeholder('p1', { pText: 'Generating…' })])
    const fromExport = importChatsFromExport({ id: 'x', messages: [cut] }).conversations[0]?.messages[0]
    expect(fromExport?.fragments[0]?.part).toEqual({ pt: 'error', error: '(did not complete: Generating…)' })
  })
})

describe('inReplyToText, as the app upgrades it on load', () => {
  it('replaces an existing inReferenceTo list with the one reference made from inReplyToText', () => {
    const old = { mrt: 'dmsg', mText: 'an older reference', mRole: 'user' }
    const [message] = importedMessages([
      answer('a', [text('t', 'x')], {
        inReferenceTo: [old],
        inReplyToText: 'the quoted text',
        entangled: { id: 'e', color: 'red', count: 2 },
      }),
    ])
    expect(message?.metadata).toEqual({
      inReferenceTo: [{ mrt: 'dmsg', mText: 'the quoted text', mRole: 'assistant' }],
      entangled: { id: 'e', color: 'red', count: 2 },
    })
  })

  it('reports the references the replacement left out', () => {
    const old = { mrt: 'dmsg', mText: 'an older reference', mRole: 'user' }
    const imported = importLegacyChats(envelope([answer('a', [], { inReferenceTo: [old], inReplyToText: 'q' })]))
    expect(imported?.report.issues).toContainEqual({
      path: 'conversations[0].messages[0].metadata.inReferenceTo',
      problem: expect.stringContaining('inReplyToText'),
      action: 'dropped',
    })
  })

  it('leaves an empty inReplyToText as it is, as the app does', () => {
    const [message] = importedMessages([answer('a', [], { inReferenceTo: [], inReplyToText: '' })])
    expect(message?.metadata).toEqual({ inReferenceTo: [], inReplyToText: '' })
  })
})

describe('credentials in imported data', () => {
  it('never stores the API keys of a single-chat export, and reports each section left out', async () => {
    const imported = importChatsFromExport(fixture('export-single-credentials.agi.json'))
    const [conversation] = imported.conversations
    expect(conversation?.messages.map((m) => m.id)).toEqual(['k1', 'k2'])
    expect(conversation).toHaveProperty('futureField', { kept: true })
    const dropped = imported.report.issues.filter((i) => i.action === 'dropped').map((i) => i.path)
    expect(dropped).toEqual(
      expect.arrayContaining([
        'conversations[0].models',
        'conversations[0].llms',
        'conversations[0].sources',
        'conversations[0].workspace',
        'conversations[0].messages[0].apiKey',
        'conversations[0].messages[0].fragments[0].vendorAuth',
        'conversations[0].messages[1].setup',
      ]),
    )
    expect(JSON.stringify(imported)).not.toContain(SECRET)

    const db = tempDatabase()
    const backend = createBetterSqlite3Backend({ filename: db.file })
    let open = true
    try {
      const store = createChatsStore({ backend })
      store.getState().importConversation(conversation as DConversation, true)
      await store.persist.flush()
      const bytes = storedBytes(db.file)
      // The search finds what was stored: the message text is there, the key is not.
      expect(bytes).toContain('marker-text-kept-4711')
      expect(bytes).toContain('futureField')
      expect(bytes).not.toContain(SECRET)
      // Closing checkpoints the WAL into the database file.
      await backend.close()
      open = false
      expect(storedBytes(db.file)).not.toContain(SECRET)
    } finally {
      if (open) await backend.close()
      db.remove()
    }
  })

  it('reports the models section of an export-all file as left out, and any credential in a legacy value', () => {
    const all = importChatsFromExport(fixture('export-all.agi.json'))
    expect(all.report.issues).toContainEqual({
      path: 'models',
      problem: expect.any(String),
      action: 'dropped',
    })
    expect(JSON.stringify(all)).not.toContain('sk-never-read')

    const legacy = JSON.stringify({
      state: {
        conversations: [
          {
            id: 'c1',
            messages: [],
            userTitle: 't',
            systemPurposeId: 'Generic',
            created: 1,
            updated: 1,
            services: [{ id: 'openai', setup: { oaiKey: SECRET } }],
          },
        ],
      },
      version: 4,
    })
    const imported = importLegacyChats(legacy)
    expect(imported?.report.issues.map((i) => `${i.action} ${i.path}`)).toEqual(['dropped conversations[0].services'])
    expect(JSON.stringify(imported)).not.toContain(SECRET)
  })
})

describe('ids and fields named like Object.prototype members', () => {
  it('imports __proto__, constructor and toString ids and fields as they are, changing no prototype', () => {
    const imported = importLegacyChats(fixture('app-chats.v4-prototype-keys.json'))
    const conversations = imported?.state.conversations ?? []
    // Nothing renamed or left out: the one issue is the cut-off placeholder.
    expect(imported?.report.issues.map((i) => `${i.action} ${i.path}`)).toEqual([
      'fixed conversations[0].messages[2].fragments[1]',
    ])
    expect(conversations.map((c) => c.id)).toEqual(['__proto__', 'constructor', 'toString'])
    const [first] = conversations
    expect(first?.messages.map((m) => m.id)).toEqual(['__proto__', 'constructor', 'toString'])
    expect(first?.messages.map((m) => m.fragments[0]?.fId)).toEqual(['__proto__', 'constructor', 'toString'])

    const [message] = first?.messages ?? []
    for (const value of [first, message, message?.metadata, message?.fragments[0]?.part]) {
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
      expect(Object.hasOwn(value as object, '__proto__')).toBe(true)
      expect(Object.getOwnPropertyDescriptor(value, '__proto__')?.value).toEqual({ polluted: true })
    }
    expect(first).toHaveProperty('constructor', 'a field named constructor')
    expect(Object.getOwnPropertyDescriptor(first, 'toString')?.value).toBe('a field named toString')
    expect(message?.metadata?.inReferenceTo).toEqual([{ mrt: 'dmsg', mText: 'quoted', mRole: 'assistant' }])
    // A placeholder text that is not text (here an object whose toString is a string) does not break the import.
    expect(first?.messages[2]?.fragments[1]?.part).toEqual({ pt: 'error', error: '(did not complete)' })
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()

    // The same ids from an export file.
    const state = JSON.parse(fixture('app-chats.v4-prototype-keys.json')) as { state: { conversations: unknown } }
    const fromExport = importChatsFromExport(JSON.stringify({ conversations: state.state.conversations }))
    expect(fromExport.conversations).toEqual(conversations)
  })

  it('round-trips those ids and fields through the store and the database', async () => {
    const conversations = importLegacyChats(fixture('app-chats.v4-prototype-keys.json'))?.state.conversations ?? []
    const db = tempDatabase()
    const backends = [createBetterSqlite3Backend({ filename: db.file })]
    try {
      const first = createChatsStore({ backend: backends[0]! })
      for (const c of [...conversations].reverse()) first.getState().importConversation(c, false)
      await first.persist.flush()
      const written = structuredClone(partializeChats(first.getState()).conversations)
      expect(written.map((c) => c.id)).toEqual(['__proto__', 'constructor', 'toString'])
      backends.push(createBetterSqlite3Backend({ filename: db.file }))
      const second = createChatsStore({ backend: backends[1]! })
      expect(second.getState().conversations).toEqual(written)
      const [again] = second.getState().conversations
      expect(Object.getOwnPropertyDescriptor(again, '__proto__')?.value).toEqual({ polluted: true })
      expect(Object.getPrototypeOf(again)).toBe(Object.prototype)
    } finally {
      for (const backend of backends) await backend.close()
      db.remove()
    }
  })
})
