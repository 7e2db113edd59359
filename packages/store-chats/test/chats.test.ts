import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { hydrated } from '@zustand-sqlite/core/testing'
import { writeStoredState } from '@zustand-sqlite/core'
import type { Backend, CommitInfo } from '@zustand-sqlite/core'
import {
  chatsDefinition,
  chatsLegacyPersistOptions,
  chatsSchema,
  createChatsState,
  createChatsStore,
  createDConversation,
  createDMessageTextContent,
  createTextContentFragment,
  importChatsFromExport,
  importLegacyChats,
  listConversations,
  loadConversationMessages,
  partializeChats,
  searchConversations,
} from '@zustand-sqlite/store-chats'
import type { ChatsStore, DConversation, DMessage } from '@zustand-sqlite/store-chats'
import { databaseOn, engines, memoryLocalStorage, failure } from '../../../test-utils/backends'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

/** What a store persists, as plain data: the state a fresh store must hydrate to. */
const persisted = (state: ChatsStore): DConversation[] => structuredClone(partializeChats(state).conversations)

/** A conversation as it comes back from the database: without transient fields. */
function stored(conversation: DConversation): DConversation {
  const { _abortController: _a, _isIncognito: _i, ...rest } = conversation
  return {
    ...rest,
    messages: conversation.messages.map((m) => {
      const { pendingIncomplete: _p, ...kept } = m
      return kept
    }),
  }
}

describe('chat actions', () => {
  it('prepend, branch, import with and without clash, truncate and delete as the app does', () => {
    const deleted: string[][] = []
    let clock = 1000
    const store = createStore<ChatsStore>()(
      createChatsState({ now: () => clock++, onConversationsDeleted: (ids) => deleted.push([...ids]) }),
    )
    const s = store.getState
    const a = s().prependNewConversation('Developer')
    s().appendMessage(a, createDMessageTextContent('user', 'one'))
    s().appendMessage(a, createDMessageTextContent('assistant', 'two'))
    s().appendMessage(a, createDMessageTextContent('user', 'three'))
    const [m1, m2] = s().conversations[0]!.messages
    const b = s().branchConversation(a, m2!.id) as string
    expect(s().conversations.map((c) => c.id)).toEqual([b, a])
    expect(s().conversations[0]!.messages.map((m) => m.id)).toEqual([m1!.id, m2!.id])

    const copy = { ...s().conversations[1]!, userTitle: 'copy' }
    const renamed = s().importConversation(copy, true)
    expect(renamed).not.toBe(a)
    expect(s().conversations.map((c) => c.id)).toEqual([renamed, b, a])
    const replaced = s().importConversation({ ...copy, id: a, userTitle: 'replaced' }, false)
    expect(replaced).toBe(a)
    expect(s().conversations.map((c) => c.id)).toEqual([a, renamed, b])
    expect(s().conversations[0]!.userTitle).toBe('replaced')

    s().historyTruncateToIncluded(a, m1!.id)
    expect(s().conversations[0]!.messages).toHaveLength(1)
    const next = s().deleteConversations([renamed, b])
    expect(next).toBe(a)
    expect(deleted).toEqual([[renamed, b]])
    const last = s().deleteConversations([a], 'Scientist')
    expect(s().conversations).toHaveLength(1)
    expect(s().conversations[0]).toMatchObject({ id: last, systemPurposeId: 'Scientist', messages: [] })
    expect(s().branchConversation('missing', null)).toBeNull()
    // Fragment ids are nanoid(8), as the app makes them.
    expect(createTextContentFragment('x').fId).toMatch(/^[A-Za-z0-9_-]{8}$/)
    expect(s().branchConversation(last, 'no-such-message')).toBeNull()
    const secret = s().prependNewConversation(undefined, true)
    const secretBranch = s().branchConversation(secret, null) as string
    expect(s().isIncognito(secretBranch)).toBe(true)
  })

  it('keeps incognito and, beside others, empty conversations out of what is persisted', () => {
    const store = createStore<ChatsStore>()(createChatsState())
    const s = store.getState
    const only = s().prependNewConversation()
    expect(partializeChats(s()).conversations.map((c) => c.id)).toEqual([only])
    // Nothing left out: the state's own array, not a copy.
    expect(partializeChats(s()).conversations).toBe(s().conversations)
    const secret = s().prependNewConversation(undefined, true)
    s().appendMessage(secret, createDMessageTextContent('user', 'secret'))
    const kept = s().prependNewConversation()
    s().setUserTitle(kept, 'titled')
    expect(s().isIncognito(secret)).toBe(true)
    expect(partializeChats(s()).conversations.map((c) => c.id)).toEqual([kept])
    const before = s().conversations
    expect(partializeChats({ conversations: before.slice(0, 1) }).conversations[0]?.id).toBe(kept)
  })
})

describe('legacy import', () => {
  it('converts version 3 text messages into fragments, as the app does', () => {
    const imported = importLegacyChats(fixture('app-chats.v3.json'))
    const [first, second] = imported?.state.conversations ?? []
    expect(imported?.report).toMatchObject({ conversations: 2, messages: 3, fragments: 3, converted: 3 })
    expect(first?.messages[1]).toEqual({
      id: 'm-1',
      role: 'user',
      fragments: [{ ft: 'content', fId: expect.any(String), part: { pt: 'text', text: 'What is SQLite?' } }],
      userFlags: ['starred'],
      tokenCount: 5,
      created: 1695100001000,
      updated: null,
    })
    expect(first?.messages[2]).toMatchObject({
      generator: { mgt: 'named', name: 'gpt-4' },
      metadata: { inReferenceTo: [{ mrt: 'dmsg', mText: 'SQL database', mRole: 'assistant' }] },
      purposeId: 'Generic',
    })
    expect(first).not.toHaveProperty('abortController')
    expect(first).toHaveProperty('ephemerals', [])
    expect(second).toMatchObject({ autoTitle: 'Empty but titled', messages: [], updated: null })
  })

  it('cleans version 4 as the app does on load, keeping unknown fields', () => {
    const imported = importLegacyChats(JSON.stringify(fixture('app-chats.v4.json')))
    const [notes, cat] = imported?.state.conversations ?? []
    const [user, answer] = notes?.messages ?? []
    expect(user?.fragments[1]?.part).toMatchObject({ pt: 'doc', vdt: 'text/plain' })
    expect(user?.fragments[1]?.part).not.toHaveProperty('type')
    expect(answer?.fragments.map((f) => f.fId)).toEqual(['f0000003', 'f0000004', 'f0000005'])
    expect(answer?.userFlags).toEqual(['starred'])
    expect(answer).not.toHaveProperty('pendingIncomplete')
    expect(answer?.fragments[0]?.vendorState).toEqual({ gemini: { thoughtSignature: 'abc' } })
    expect(cat?.messages[1]?.fragments).toEqual([
      { ft: 'content', fId: 'f2', part: { pt: 'error', error: '(did not complete: Generating…)' } },
    ])
    expect(cat?.messages[1]?.generator).toEqual({ mgt: 'named', name: 'dall-e' })
    expect(cat).toHaveProperty('futureField', { kept: true })
    expect(imported?.report.issues.map((i) => i.action)).toEqual(['dropped', 'fixed'])
  })

  it('imports messy data without failing: broken entries dropped, repeated ids renamed, all reported', () => {
    const imported = importLegacyChats(fixture('app-chats.v4-messy.json'))
    const conversations = imported?.state.conversations ?? []
    expect(conversations.map((c) => c.id)).toEqual(['dup', expect.any(String), 'ok'])
    expect(conversations[1]?.id).not.toBe('dup')
    const [first] = conversations
    expect(first?.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'assistant'])
    expect(new Set(first?.messages.map((m) => m.id)).size).toBe(3)
    expect(first?.messages[0]?.fragments.map((f) => (f.part as unknown as { text: string }).text)).toEqual([
      'one',
      'same fId',
      'no fId',
    ])
    expect(new Set(first?.messages[0]?.fragments.map((f) => f.fId)).size).toBe(3)
    expect(conversations[2]?.isArchived).toBe(false)
    const actions = imported?.report.issues.map((i) => `${i.action} ${i.path}`) ?? []
    expect(actions).toContain('renamed conversations[0].messages[1]')
    expect(actions).toContain('dropped conversations[0].messages[3]')
    expect(actions).toContain('dropped conversations[2]')
    expect(actions).toContain('dropped conversations[3]')
    expect(actions).toContain('renamed conversations[1]')
    expect(actions).toContain('dropped conversations[0].messages[0].fragments[3]')
  })

  it('refuses versions with no migration path and what is not an envelope', async () => {
    expect((await failure(() => importLegacyChats(fixture('app-chats.v1.json'))))?.code).toBe('MIGRATION_FAILED')
    expect((await failure(() => importLegacyChats(fixture('app-chats.v5-unknown.json'))))?.code).toBe(
      'MIGRATION_FAILED',
    )
    expect((await failure(() => importLegacyChats('{"conversations":[]}')))?.code).toBe('INVALID_LEGACY_DATA')
    expect(importLegacyChats(undefined)).toBeNull()
  })

  it('imports the export-all file and a single-chat file, handing folders on and never reading keys', async () => {
    const all = importChatsFromExport(fixture('export-all.agi.json'))
    expect(all.conversations.map((c) => c.id)).toEqual(['exp-1'])
    expect(
      all.conversations[0]?.messages.map((m) => (m.fragments[0]?.part as unknown as { text: string }).text),
    ).toEqual(['Old text message', 'New fragment message'])
    expect(all.report.converted).toBe(1)
    expect(all.folders).toEqual({
      folders: [{ id: 'fold-1', title: 'Work', conversationIds: ['exp-1', 'gone'] }],
      enableFolders: true,
    })
    expect(JSON.stringify(all.conversations)).not.toContain('sk-never-read')
    const single = importChatsFromExport(JSON.parse(fixture('export-single.agi.json')))
    expect(single.conversations[0]).toMatchObject({
      id: 'single-1',
      autoTitle: 'Greeting',
      systemPurposeId: 'Scientist',
    })
    expect((await failure(() => importChatsFromExport('{"nothing":true}')))?.code).toBe('INVALID_LEGACY_DATA')
    expect((await failure(() => importChatsFromExport('not json')))?.code).toBe('INVALID_LEGACY_DATA')
  })

  it('cleans a version 4 blob on the legacy path as the app does on load', () => {
    const { storage } = memoryLocalStorage({ 'app-chats': fixture('app-chats.v4.json') })
    const store = createStore<ChatsStore>()(
      persist(createChatsState(), { ...chatsLegacyPersistOptions, storage: createJSONStorage(() => storage) }),
    )
    const [notes, cat] = store.getState().conversations
    expect(notes?.messages[1]?.fragments.every((f) => f !== null)).toBe(true)
    expect(notes?.messages[1]).not.toHaveProperty('pendingIncomplete')
    expect(cat?.messages[1]?.fragments[0]?.part).toEqual({ pt: 'error', error: '(did not complete: Generating…)' })
  })

  it('is the migration of the legacy path too: Zustand persist reads a version 3 blob', () => {
    const { map, storage } = memoryLocalStorage({ 'app-chats': fixture('app-chats.v3.json') })
    const store = createStore<ChatsStore>()(
      persist(createChatsState(), { ...chatsLegacyPersistOptions, storage: createJSONStorage(() => storage) }),
    )
    expect(store.getState().conversations[0]?.messages[0]?.fragments[0]?.part).toEqual({
      pt: 'text',
      text: 'You are a helpful assistant.',
    })
    const id = store.getState().conversations[0]!.id
    store.getState().setAbortController(id, new AbortController())
    const written = JSON.parse(map.get('app-chats') ?? '{}') as { version: number; state: { conversations: object[] } }
    expect(written.version).toBe(4)
    expect(written.state.conversations[0]).not.toHaveProperty('_abortController')
  })
})

describe.each(engines)('chats store on $name', (engine) => {
  const { open, closeAll } = databaseOn(engine)

  const reopened = async (): Promise<ReturnType<typeof createChatsStore>> => {
    await closeAll()
    const store = createChatsStore({ backend: await open() })
    await hydrated(store)
    return store
  }

  it('starts with one empty conversation, and round-trips conversations, messages and fragments', async () => {
    const first = createChatsStore({ backend: await open() })
    await hydrated(first)
    expect(first.getState().conversations).toHaveLength(1)
    const imported = importLegacyChats(fixture('app-chats.v4.json'))
    for (const c of [...(imported?.state.conversations ?? [])].reverse()) first.getState().importConversation(c, true)
    const s = first.getState
    const id = s().prependNewConversation('Developer')
    s().appendMessage(id, createDMessageTextContent('user', 'hello'))
    s().setUserSymbol(id, '🧪')
    s().setArchived(id, true)
    await first.persist.flush()
    const expected = persisted(s())
    expect(expected.map((c) => c.id)).toEqual([id, 'V4conversation00000001', 'V4conversation00000002'])

    const second = await reopened()
    expect(second.getState().conversations).toEqual(expected)
  })

  it('writes one fragment row per streamed token, and O(1) rows for a new conversation at the top', async () => {
    const commits: CommitInfo[] = []
    const store = createChatsStore({ backend: await open(), onCommit: (c) => commits.push(c) })
    await hydrated(store)
    const s = store.getState
    for (let i = 0; i < 200; i++) {
      const c = s().prependNewConversation()
      s().appendMessage(c, createDMessageTextContent('user', `question ${i}`))
    }
    await store.persist.flush()

    const conversationId = s().prependNewConversation()
    s().appendMessage(conversationId, createDMessageTextContent('user', 'stream please'))
    const answer: DMessage = { ...createDMessageTextContent('assistant', ''), pendingIncomplete: true }
    s().appendMessage(conversationId, answer)
    await store.persist.flush()
    expect(commits.at(-1)?.tables).toEqual({ conversations: 1, messages: 2, fragments: 2 })

    const fragmentId = answer.fragments[0]!.fId
    let text = ''
    for (const token of ['Rows', ' are', ' written', ' one', ' at', ' a', ' time.']) {
      text += token
      s().replaceMessageFragment(conversationId, answer.id, fragmentId, {
        ...answer.fragments[0]!,
        part: { pt: 'text', text },
      })
      await store.persist.flush()
      expect(commits.at(-1)?.tables).toEqual({ fragments: 1 })
    }
    s().editMessage(conversationId, answer.id, {}, true, true)
    await store.persist.flush()
    expect(commits.at(-1)?.tables).toEqual({ conversations: 1, messages: 1 })

    const again = await reopened()
    expect(again.getState().conversations[0]?.messages[1]?.fragments[0]?.part).toEqual({ pt: 'text', text })
    expect(again.getState().conversations).toHaveLength(201)
  })

  it('never stores transient fields or incognito chats, and writes nothing when only they change', async () => {
    const commits: CommitInfo[] = []
    const backend = await open()
    const store = createChatsStore({ backend, onCommit: (c) => commits.push(c) })
    await hydrated(store)
    const s = store.getState
    const id = s().prependNewConversation()
    s().appendMessage(id, createDMessageTextContent('user', 'visible'))
    const secret = s().prependNewConversation(undefined, true)
    s().appendMessage(secret, createDMessageTextContent('user', 'incognito'))
    await store.persist.flush()
    const count = commits.length
    s().setAbortController(id, new AbortController())
    s().editMessage(id, s().conversations[1]!.messages[0]!.id, { pendingIncomplete: true }, false, false)
    await store.persist.flush()
    expect(commits.length).toBe(count)
    expect(await backend.query('SELECT id FROM conversations')).toEqual([{ id }])
    expect(await backend.query(`SELECT count(*) AS n FROM fragments WHERE part LIKE '%incognito%'`)).toEqual([{ n: 0 }])
  })

  it('deletes the messages and fragments of a deleted conversation, and reports the ids', async () => {
    const deleted: string[] = []
    const backend = await open()
    const store = createChatsStore({ backend, onConversationsDeleted: (ids) => deleted.push(...ids) })
    await hydrated(store)
    const s = store.getState
    const a = s().prependNewConversation()
    s().appendMessage(a, createDMessageTextContent('user', 'to delete'))
    const b = s().prependNewConversation()
    s().appendMessage(b, createDMessageTextContent('user', 'to keep'))
    await store.persist.flush()
    s().deleteConversations([a])
    await store.persist.flush()
    expect(deleted).toEqual([a])
    expect(await backend.query('SELECT count(*) AS n FROM messages WHERE conversation_id = ?', [a])).toEqual([{ n: 0 }])
    expect(await backend.query('SELECT count(*) AS n FROM fragments WHERE conversation_id = ?', [a])).toEqual([
      { n: 0 },
    ])
    expect(await backend.query('SELECT count(*) AS n FROM fragments')).toEqual([{ n: 1 }])
  })

  it('closes a generation cut off mid-stream when it loads it again', async () => {
    const first = createChatsStore({ backend: await open() })
    await hydrated(first)
    const id = first.getState().prependNewConversation()
    const answer: DMessage = {
      ...createDMessageTextContent('assistant', ''),
      fragments: [{ ft: 'void', fId: 'ph1', part: { pt: 'ph', pText: 'Thinking…' } }],
      pendingIncomplete: true,
    }
    first.getState().appendMessage(id, answer)
    await first.persist.flush()
    const again = await reopened()
    expect(again.getState().conversations[0]?.messages[0]?.fragments).toEqual([
      { ft: 'content', fId: 'ph1', part: { pt: 'error', error: '(did not complete: Thinking…)' } },
    ])
  })

  it('lists, loads and searches through the query functions', async () => {
    let clock = 10_000
    const backend = await open()
    const store = createChatsStore({ backend, now: () => (clock += 10) })
    await hydrated(store)
    const s = store.getState
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const id = s().prependNewConversation()
      s().setUserTitle(id, `Chat ${i}`)
      for (let m = 0; m <= i; m++) s().appendMessage(id, createDMessageTextContent('user', `message ${m} of chat ${i}`))
      ids.push(id)
    }
    s().appendMessageFragment(ids[0]!, s().conversations.find((c) => c.id === ids[0])!.messages[0]!.id, {
      ft: 'attachment',
      fId: 'doc1',
      title: 'spec.txt',
      part: {
        pt: 'doc',
        vdt: 'text/plain',
        data: { idt: 'text', text: 'The 100% sure_thing' },
        ref: 'spec.txt',
        l1Title: 'spec',
      },
    })
    s().setArchived(ids[1]!, true)
    await store.persist.flush()

    const page = await listConversations(backend, { limit: 2, offset: 1 })
    expect(page.total).toBe(5)
    expect(page.items.map((c) => [c.title, c.messageCount])).toEqual([
      ['Chat 3', 4],
      ['Chat 2', 3],
    ])
    expect((await listConversations(backend, { excludeArchived: true })).total).toBe(4)

    const target = s().conversations.find((c) => c.id === ids[0])!
    expect(await loadConversationMessages(backend, ids[0]!)).toEqual(stored(target).messages)
    expect(await loadConversationMessages(backend, ids[4]!, { limit: 2, offset: 3 })).toEqual(
      stored(s().conversations.find((c) => c.id === ids[4])!).messages.slice(3, 5),
    )
    expect((await failure(() => loadConversationMessages(backend, 'nope')))?.code).toBe('NOT_FOUND')

    const matches = await searchConversations(backend, 'of chat 2')
    expect(matches).toEqual([
      { conversationId: ids[2], title: 'Chat 2', messageId: expect.any(String), snippet: 'message 0 of chat 2' },
    ])
    expect((await searchConversations(backend, '100%')).map((m) => m.conversationId)).toEqual([ids[0]])
    expect(await searchConversations(backend, '_thing')).toHaveLength(1)
    expect(await searchConversations(backend, '%')).toHaveLength(1)
    expect((await searchConversations(backend, 'chat 4')).map((m) => m.title)).toEqual(['Chat 4'])
    s().setUserTitle(ids[3]!, '')
    s().setAutoTitle(ids[3]!, 'Automatic title')
    await store.persist.flush()
    expect((await searchConversations(backend, 'automatic')).map((m) => m.title)).toEqual(['Automatic title'])
    expect(await searchConversations(backend, 'Chat 1', { excludeArchived: true })).toEqual([])
    expect((await failure(() => searchConversations(backend, '')))?.code).toBe('INVALID_VALUE')
    expect((await failure(() => listConversations(backend, { limit: 0 })))?.code).toBe('INVALID_VALUE')
  })

  it('refuses to query chats written at a newer state version', async () => {
    const backend = await open()
    // The open store sees the newer commit too, and reports that it cannot read it.
    const errors: unknown[] = []
    const store = createChatsStore({ backend, onError: (e) => errors.push(e) })
    await hydrated(store)
    store.getState().appendMessage(store.getState().conversations[0]!.id, createDMessageTextContent('user', 'x'))
    await store.persist.flush()
    await writeStoredState(backend, { name: 'app-chats', schema: chatsSchema, version: 5 }, { conversations: [] })
    expect((await failure(() => listConversations(backend)))?.code).toBe('MIGRATION_FAILED')
    expect((await failure(() => searchConversations(backend, 'x')))?.code).toBe('MIGRATION_FAILED')
    expect((await failure(() => loadConversationMessages(backend, 'x')))?.code).toBe('MIGRATION_FAILED')
  })

  it('queries the store of another name, and checks that store version', async () => {
    const backend = await open()
    const store = createChatsStore({ backend, name: 'work-chats' })
    await hydrated(store)
    const id = store.getState().conversations[0]!.id
    store.getState().appendMessage(id, createDMessageTextContent('user', 'at work'))
    await store.persist.flush()
    const options = { name: 'work-chats' }
    expect((await listConversations(backend, options)).items.map((c) => c.id)).toEqual([id])
    expect(await loadConversationMessages(backend, id, options)).toEqual(
      stored(store.getState().conversations[0]!).messages,
    )
    expect((await searchConversations(backend, 'at work', options)).map((m) => m.conversationId)).toEqual([id])
    expect((await failure(() => listConversations(backend)))?.code).toBe('TABLE_CONFLICT')
    await writeStoredState(backend, { name: 'work-chats', schema: chatsSchema, version: 5 }, { conversations: [] })
    expect((await failure(() => listConversations(backend, options)))?.code).toBe('MIGRATION_FAILED')
  })

  it('answers the query functions on an empty database, creating the chats tables empty', async () => {
    const backend: Backend = await open()
    expect(await listConversations(backend)).toEqual({ items: [], total: 0 })
    expect(await searchConversations(backend, 'x')).toEqual([])
    expect((await failure(() => loadConversationMessages(backend, 'x')))?.code).toBe('NOT_FOUND')
    expect(await backend.query('SELECT count(*) AS n FROM conversations')).toEqual([{ n: 0 }])
    const store = createChatsStore({ backend })
    await hydrated(store)
    expect(store.getState().conversations).toHaveLength(1)
  })

  it('makes the actions called before an asynchronous hydration on the stored conversations', async () => {
    const backend = await open()
    const chat = (id: string, ...texts: string[]): DConversation => ({
      ...createDConversation('Generic', 1000),
      id,
      messages: texts.map((text) => createDMessageTextContent('user', text, 1000)),
    })
    await chatsDefinition.update(backend, (store) => {
      for (const c of [chat('c4', 'four'), chat('c3', 'three'), chat('c2', 'two'), chat('c1', 'one', 'more')])
        store.getState().importConversation(c, false)
    })
    const [m1, m2] = (await chatsDefinition.read(backend)).state.conversations[0]!.messages as [DMessage, DMessage]

    let release = (): void => undefined
    const ready = new Promise<Backend>((resolve) => (release = () => resolve(backend)))
    const deleted: string[][] = []
    const store = createChatsStore({ backend: () => ready, onConversationsDeleted: (ids) => deleted.push([...ids]) })
    const s = store.getState
    const added = createDMessageTextContent('assistant', 'two, answered')
    s().appendMessage('c2', added)
    const streamed = { ...m2.fragments[0]!, part: { pt: 'text', text: 'more, streamed' } }
    s().replaceMessageFragment('c1', m2.id, m2.fragments[0]!.fId, streamed)
    s().importConversation({ ...chat('c3', 'three again'), userTitle: 'Replaced' }, false)
    s().branchConversation('c1', m1.id)
    s().deleteConversations(['c4'])
    release()
    await hydrated(store)
    await store.persist.flush()

    const [branch, ...rest] = s().conversations
    expect(rest.map((c) => c.id)).toEqual(['c3', 'c1', 'c2'])
    expect(branch?.messages).toEqual([m1])
    expect(rest[0]).toMatchObject({
      userTitle: 'Replaced',
      messages: [{ fragments: [{ part: { text: 'three again' } }] }],
    })
    expect(rest[1]?.messages.map((m) => m.fragments[0]?.part)).toEqual([m1.fragments[0]?.part, streamed.part])
    expect(rest[2]?.messages.at(-1)).toEqual(added)
    // Told before hydration: the stored conversation was not in the state yet.
    expect(deleted).toEqual([['c4']])
    const expected = persisted(s())
    expect((await reopened()).getState().conversations).toEqual(expected)
  })

  it('keeps conversations made before an asynchronous hydration, as the app merge does', async () => {
    const backend = await open()
    const first = createChatsStore({ backend })
    await hydrated(first)
    const kept = first.getState().prependNewConversation()
    first.getState().appendMessage(kept, createDMessageTextContent('user', 'stored'))
    await first.persist.flush()

    let release: (b: Backend) => void = () => undefined
    const later = createChatsStore({ backend: () => new Promise<Backend>((resolve) => (release = resolve)) })
    const early = later.getState().prependNewConversation()
    later.getState().appendMessage(early, createDMessageTextContent('user', 'before hydration'))
    release(backend)
    await hydrated(later)
    expect(later.getState().conversations.map((c) => c.id)).toEqual([early, kept])
  })
})
