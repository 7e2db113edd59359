import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, isZustandSqliteError, NOT_LOADED, persistSQLite } from '@zustand-sqlite/core'
import type { ZustandSqliteError } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import {
  CHATS_STATE_VERSION,
  CHATS_STORE_NAME,
  createChatsStore,
  createDConversation,
  createDMessageTextContent,
  messageCountOf,
  messagesLoaded,
  partializeChats,
} from '@zustand-sqlite/store-chats'
import type { ChatsStoreApi, DConversation, DMessage } from '@zustand-sqlite/store-chats'
import { engines, tempDatabase } from '../../../test-utils/backends'

type Db = ReturnType<typeof createBetterSqlite3Backend>

const text = (m: DMessage): string =>
  m.fragments
    .map((f) => (f.part.pt === 'text' ? f.part.text : f.part.pt === 'error' ? `error:${f.part.error}` : ''))
    .join('')

function conversation(id: string, title: string, messages: number, updated: number): DConversation {
  return {
    ...createDConversation('Generic', updated - 10),
    id,
    userTitle: title,
    updated,
    messages: Array.from({ length: messages }, (_, i) => ({
      ...createDMessageTextContent(i % 2 === 0 ? 'user' : 'assistant', `${id} says ${i}`),
      id: `${id}-m${i}`,
    })),
  }
}

/** A database with three conversations (3, 5 and 1 messages), written by a store hydrated in full. */
async function seeded(): Promise<{ db: Db; filename: string; conversations: DConversation[] }> {
  const filename = tempDatabase().file
  const db = createBetterSqlite3Backend({ filename })
  const conversations = [
    conversation('c1', 'one', 3, 300),
    conversation('c2', 'two', 5, 200),
    conversation('c3', 'three', 1, 100),
  ]
  const full = createChatsStore({ backend: db })
  full.setState({ conversations })
  await full.persist.flush()
  return { db, filename, conversations }
}

function onDemand(filename: string, errors: ZustandSqliteError[] = []): ChatsStoreApi {
  return createChatsStore({
    backend: createBetterSqlite3Backend({ filename }),
    hydrate: 'onDemand',
    onError: (error) => errors.push(error),
  })
}

const count = (db: Db, sql: string): number => (db.query(sql) as { n: number }[])[0]?.n ?? -1

describe("the chats store hydrated with hydrate: 'onDemand'", () => {
  it('shows the conversation list (titles, counts, newest first) without reading a message', async () => {
    const { filename } = await seeded()
    const store = onDemand(filename)
    const list = store.getState().conversations
    expect(list.map((c) => [c.id, c.userTitle, messageCountOf(c), messagesLoaded(c)])).toEqual([
      ['c1', 'one', 3, false],
      ['c2', 'two', 5, false],
      ['c3', 'three', 1, false],
    ])
    for (const c of list) expect(c.messages).toBe(NOT_LOADED)
  })

  it('loadMessages brings one conversation’s messages, as stored, and the actions work on them', async () => {
    const { db, filename, conversations } = await seeded()
    const store = onDemand(filename)
    const loading = store.getState().loadMessages('c2')
    // Synchronous backend: in the state at once.
    const c2 = store.getState().conversations[1] as DConversation
    expect(messagesLoaded(c2)).toBe(true)
    expect(c2.messages).toEqual(conversations[1]?.messages)
    expect(c2).not.toHaveProperty('messageCount')
    expect(messageCountOf(c2)).toBe(5)
    await loading
    store.getState().appendMessage('c2', { ...createDMessageTextContent('user', 'six'), id: 'c2-m5' })
    await store.persist.flush()
    expect(count(db, "SELECT count(*) AS n FROM messages WHERE conversation_id = 'c2'")).toBe(6)
    expect(count(db, "SELECT message_count AS n FROM conversations WHERE id = 'c2'")).toBe(6)
    // Hydrated again, the list has the new count.
    expect(messageCountOf(onDemand(filename).getState().conversations[1] as DConversation)).toBe(6)
  })

  it('refuses message actions on a conversation not loaded, changing nothing', async () => {
    const { db, filename } = await seeded()
    const store = onDemand(filename)
    const before = store.getState().conversations
    const s = store.getState()
    const message = createDMessageTextContent('user', 'x')
    const attempts: [string, () => unknown][] = [
      ['appendMessage', () => s.appendMessage('c1', message)],
      ['editMessage', () => s.editMessage('c1', 'c1-m0', { tokenCount: 5 })],
      ['deleteMessage', () => s.deleteMessage('c1', 'c1-m0')],
      ['replaceMessageFragment', () => s.replaceMessageFragment('c1', 'c1-m0', 'f', message.fragments[0]!)],
      ['historyTruncateToIncluded', () => s.historyTruncateToIncluded('c1', 'c1-m0')],
      ['branchConversation', () => s.branchConversation('c1', null)],
      ['updateMetadata', () => s.updateMetadata('c1', 'c1-m0', {})],
    ]
    for (const [name, attempt] of attempts) {
      let caught: unknown
      try {
        attempt()
      } catch (error) {
        caught = error
      }
      expect(isZustandSqliteError(caught, 'NOT_LOADED'), name).toBe(true)
      expect((caught as ZustandSqliteError).path).toBe('conversations[id="c1"].messages')
    }
    expect(store.getState().conversations).toBe(before)
    await store.persist.flush()
    expect(count(db, "SELECT count(*) AS n FROM messages WHERE conversation_id = 'c1'")).toBe(3)
  })

  it('renames, archives and deletes conversations not loaded, their messages kept or deleted with them', async () => {
    const { db, filename } = await seeded()
    const store = onDemand(filename)
    store.getState().setUserTitle('c1', 'renamed')
    store.getState().setArchived('c3', true)
    store.getState().deleteConversations(['c2'])
    await store.persist.flush()
    expect(db.query('SELECT id, user_title, message_count FROM conversations ORDER BY id')).toEqual([
      { id: 'c1', user_title: 'renamed', message_count: 3 },
      { id: 'c3', user_title: 'three', message_count: 1 },
    ])
    expect(count(db, "SELECT count(*) AS n FROM messages WHERE conversation_id = 'c1'")).toBe(3)
    expect(count(db, "SELECT count(*) AS n FROM messages WHERE conversation_id = 'c2'")).toBe(0)
    expect(count(db, "SELECT count(*) AS n FROM fragments WHERE conversation_id = 'c2'")).toBe(0)
  })

  it('historyReplace and importConversation replace the stored messages of a conversation not loaded', async () => {
    const { db, filename } = await seeded()
    const store = onDemand(filename)
    const fresh = [{ ...createDMessageTextContent('user', 'new history'), id: 'n1' }]
    store.getState().historyReplace('c1', fresh)
    store.getState().importConversation(conversation('c2', 'imported', 2, 500), false)
    await store.persist.flush()
    expect(db.query("SELECT id FROM messages WHERE conversation_id = 'c1'")).toEqual([{ id: 'n1' }])
    expect(count(db, "SELECT count(*) AS n FROM fragments WHERE conversation_id = 'c1'")).toBe(1)
    expect(db.query("SELECT id FROM messages WHERE conversation_id = 'c2' ORDER BY sort_key")).toEqual([
      { id: 'c2-m0' },
      { id: 'c2-m1' },
    ])
    expect(db.query('SELECT id, message_count FROM conversations ORDER BY id')).toEqual([
      { id: 'c1', message_count: 1 },
      { id: 'c2', message_count: 2 },
      { id: 'c3', message_count: 1 },
    ])
    expect(messageCountOf(store.getState().conversations.find((c) => c.id === 'c1') as DConversation)).toBe(1)
  })

  it('keeps a conversation not loaded that has no title (it is not empty)', async () => {
    const filename = tempDatabase().file
    const db = createBetterSqlite3Backend({ filename })
    const { userTitle: _title, ...untitled } = conversation('u', '', 2, 100)
    const other = conversation('o', 'other', 1, 50)
    const full = createChatsStore({ backend: db })
    full.setState({ conversations: [untitled, other] })
    await full.persist.flush()
    const store = onDemand(filename)
    store.getState().setUserTitle('o', 'changed')
    await store.persist.flush()
    expect(db.query('SELECT id FROM conversations ORDER BY id')).toEqual([{ id: 'o' }, { id: 'u' }])
    expect(partializeChats(store.getState()).conversations.map((c) => c.id)).toEqual(['u', 'o'])
  })

  it('closes a generation cut off mid-stream when the conversation is loaded, as hydration does', async () => {
    const filename = tempDatabase().file
    const db = createBetterSqlite3Backend({ filename })
    const cut = conversation('cut', 'cut off', 1, 100)
    const streaming: DMessage = {
      ...createDMessageTextContent('assistant', ''),
      id: 'cut-m1',
      fragments: [{ ft: 'void', fId: 'ph1', part: { pt: 'ph', pText: 'Thinking…' } }],
    }
    const full = createChatsStore({ backend: db })
    full.setState({ conversations: [{ ...cut, messages: [...cut.messages, streaming] }] })
    await full.persist.flush()
    const store = onDemand(filename)
    await store.getState().loadMessages('cut')
    const last = store.getState().conversations[0]?.messages[1] as DMessage
    expect(last.fragments[0]?.ft).toBe('content')
    expect(text(last)).toMatch(/^error:/)
    await store.persist.flush()
    expect(db.query("SELECT ft FROM fragments WHERE message_id = 'cut-m1'")).toEqual([{ ft: 'content' }])
  })

  it('a conversation loaded in one tab and streamed into reaches a tab where it is not loaded as a count', async () => {
    const { filename } = await seeded()
    const shared = createBetterSqlite3Backend({ filename })
    const a = createChatsStore({ backend: shared, hydrate: 'onDemand' })
    const b = createChatsStore({ backend: shared, hydrate: 'onDemand' })
    await a.getState().loadMessages('c3')
    a.getState().appendMessage('c3', { ...createDMessageTextContent('assistant', 'hi'), id: 'c3-m1' })
    await a.persist.flush()
    const c3 = b.getState().conversations[2] as DConversation
    expect(messagesLoaded(c3)).toBe(false)
    expect(messageCountOf(c3)).toBe(2)
    await b.getState().loadMessages('c3')
    expect(b.getState().conversations[2]?.messages.map((m) => m.id)).toEqual(['c3-m0', 'c3-m1'])
  })
})

describe('before an asynchronous hydration on demand', () => {
  // The SQL tier's asynchronous executor in a worker thread: every call a promise, hydration after create().
  const asynchronous = engines.find((e) => e.name === 'an asynchronous engine') as (typeof engines)[number]

  it('loadMessages waits for hydration, and a message action made before it is reported, the rest kept', async () => {
    const { db, filename } = await seeded()
    const errors: ZustandSqliteError[] = []
    const store = createChatsStore({
      backend: await asynchronous.open(filename),
      hydrate: 'onDemand',
      onError: (e) => errors.push(e),
    })
    expect(store.persist.hasHydrated()).toBe(false)
    // Made before the stored conversations are in the state: made again on them once hydrated.
    store.getState().appendMessage('c1', createDMessageTextContent('user', 'too early'))
    store.getState().setUserTitle('c2', 'renamed early')
    await store.getState().loadMessages('c3')
    expect(store.persist.hasHydrated()).toBe(true)
    expect(messagesLoaded(store.getState().conversations[2] as DConversation)).toBe(true)
    expect(errors.map((e) => [e.code, e.path])).toEqual([['NOT_LOADED', 'conversations[id="c1"].messages']])
    await store.persist.flush()
    expect(db.query("SELECT user_title FROM conversations WHERE id = 'c2'")).toEqual([{ user_title: 'renamed early' }])
    expect(count(db, "SELECT count(*) AS n FROM messages WHERE conversation_id = 'c1'")).toBe(3)
  })
})

describe('chats schema version 2', () => {
  // The tables as schema version 1 made them: no message_count column.
  const version1 = defineSchema({
    version: 1,
    state: {
      conversations: collection({
        table: 'conversations',
        key: 'id',
        columns: {
          id: column.text(),
          systemPurposeId: column.text(),
          userTitle: column.text({ optional: true }),
          autoTitle: column.text({ optional: true }),
          isArchived: column.boolean({ optional: true }),
          userSymbol: column.text({ optional: true }),
          created: column.integer(),
          updated: column.integer({ nullable: true }),
          tokenCount: column.integer({ optional: true }),
        },
        transient: ['_abortController', '_isIncognito'],
        indexes: [{ columns: ['updated'] }, { columns: ['created'] }],
        children: {
          messages: collection({
            table: 'messages',
            key: 'id',
            parentColumns: ['conversation_id'],
            columns: {
              id: column.text(),
              role: column.text(),
              purposeId: column.text({ optional: true }),
              metadata: column.json({ optional: true }),
              generator: column.json({ optional: true }),
              userFlags: column.json({ optional: true }),
              tokenCount: column.integer({ optional: true }),
              created: column.integer(),
              updated: column.integer({ nullable: true }),
            },
            transient: ['pendingIncomplete'],
            children: {
              fragments: collection({
                table: 'fragments',
                key: 'fId',
                parentColumns: ['conversation_id', 'message_id'],
                columns: {
                  fId: column.text({ column: 'fragment_id' }),
                  ft: column.text(),
                  part: column.json(),
                  originId: column.text({ optional: true }),
                  vendorState: column.json({ optional: true }),
                  title: column.text({ optional: true }),
                  caption: column.text({ optional: true }),
                  created: column.integer({ optional: true }),
                  liveFileId: column.text({ optional: true }),
                },
              }),
            },
          }),
        },
      }),
    },
  })

  it('adds the message counts of a database written at version 1, then hydrates on demand from them', async () => {
    const filename = tempDatabase().file
    const old = createStore<{ conversations: DConversation[] }>()(
      persistSQLite(() => ({ conversations: [] as DConversation[] }), {
        name: CHATS_STORE_NAME,
        version: CHATS_STATE_VERSION,
        backend: createBetterSqlite3Backend({ filename }),
        schema: version1,
      }),
    )
    old.setState({ conversations: [conversation('c1', 'one', 4, 200), conversation('c2', 'two', 2, 100)] })
    await old.persist.flush()
    const store = onDemand(filename)
    expect(store.getState().conversations.map((c) => [c.id, messageCountOf(c)])).toEqual([
      ['c1', 4],
      ['c2', 2],
    ])
    await store.getState().loadMessages('c1')
    expect(store.getState().conversations[0]?.messages.map((m) => m.id)).toEqual(['c1-m0', 'c1-m1', 'c1-m2', 'c1-m3'])
  })
})
