import { describe, expect, it } from 'vitest'
import type { Backend } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import {
  createChatsStore,
  createDConversation,
  listConversations,
  loadConversationMessages,
  searchConversations,
} from '@zustand-sqlite/store-chats'
import type { DConversation, DMessage } from '@zustand-sqlite/store-chats'
import { databaseOn, engines, failure } from '../../../test-utils/backends'

// Strings SQLite's UTF-8 TEXT cannot hold as they are: a lone surrogate (half of an emoji cut by `slice`) and
// NUL. Beside them, an id that an engine would write in place of the lone surrogate (U+FFFD).
const CUT = 'c\uD800'
const REPLACED = 'c\uFFFD'

const message = (id: string, text: string, created: number): DMessage => ({
  id,
  role: 'user',
  fragments: [
    { ft: 'content', fId: `f\u0000${id}`, part: { pt: 'text', text } },
    {
      ft: 'attachment',
      fId: 'doc\uDC00',
      title: 'notes \uD83D.txt',
      caption: 'cap\u0000tion',
      originId: 'o\uDBFF',
      part: { pt: 'doc', data: { idt: 'text', text: 'attached' } },
    },
  ],
  purposeId: 'p\uD83D',
  tokenCount: 0,
  created,
  updated: null,
})

const conversation = (id: string, userTitle: string, messages: DMessage[], updated: number): DConversation => ({
  ...createDConversation('Purpose \uDE00', 1000),
  id,
  userTitle,
  autoTitle: 'auto \u0000',
  userSymbol: '\uD83D',
  messages,
  updated,
})

describe.each(engines)('chats query functions with text SQLite cannot hold as it is, on $name', (engine) => {
  const { open } = databaseOn(engine)

  async function stored(): Promise<{ backend: Backend; cut: DConversation; other: DConversation }> {
    const backend = await open()
    const store = createChatsStore({ backend })
    await hydrated(store)
    const other = conversation(REPLACED, 'replacement \uFFFD', [message('m\uFFFD', 'plain text', 1000)], 2000)
    const cut = conversation(
      CUT,
      'half \uD83D title\u0000',
      [message('m\u0000', 'body cut \uDE00 here\u0000 tail', 1000), message('m\uD800', 'second', 1001)],
      3000,
    )
    store.getState().importConversation(other, false)
    store.getState().importConversation(cut, false)
    await store.persist.flush()
    const found = (id: string): DConversation => store.getState().conversations.find((c) => c.id === id)!
    return { backend, cut: found(CUT), other: found(REPLACED) }
  }

  it('lists conversations with their ids, titles and symbols as they were set', async () => {
    const { backend } = await stored()
    const { items } = await listConversations(backend)
    const mine = items.filter((c) => c.id === CUT || c.id === REPLACED)
    expect(mine).toEqual([
      expect.objectContaining({
        id: CUT,
        title: 'half \uD83D title\u0000',
        userTitle: 'half \uD83D title\u0000',
        autoTitle: 'auto \u0000',
        userSymbol: '\uD83D',
        systemPurposeId: 'Purpose \uDE00',
        messageCount: 2,
      }),
      expect.objectContaining({ id: REPLACED, title: 'replacement \uFFFD', messageCount: 1 }),
    ])
  })

  it('loads the messages of a conversation by its id, with every text field as it was set', async () => {
    const { backend, cut, other } = await stored()
    expect(await loadConversationMessages(backend, CUT)).toEqual(cut.messages)
    expect(await loadConversationMessages(backend, REPLACED)).toEqual(other.messages)
    expect(await loadConversationMessages(backend, CUT, { limit: 1, offset: 1 })).toEqual([cut.messages[1]])
    expect((await failure(() => loadConversationMessages(backend, 'c\uDBFF')))?.code).toBe('NOT_FOUND')
  })

  it('searches titles and message text, returning ids, titles and snippets as they were set', async () => {
    const { backend } = await stored()
    expect(await searchConversations(backend, 'cut')).toEqual([
      {
        conversationId: CUT,
        title: 'half \uD83D title\u0000',
        messageId: 'm\u0000',
        snippet: 'body cut \uDE00 here\u0000 tail',
      },
    ])
    expect(await searchConversations(backend, 'half')).toEqual([
      { conversationId: CUT, title: 'half \uD83D title\u0000', messageId: null, snippet: 'half \uD83D title\u0000' },
    ])
    // A term holding a lone surrogate or NUL finds the titles that hold that very unit, not U+FFFD.
    expect((await searchConversations(backend, 'half \uD83D')).map((m) => m.conversationId)).toEqual([CUT])
    expect((await searchConversations(backend, 'title\u0000')).map((m) => m.conversationId)).toEqual([CUT])
    expect((await searchConversations(backend, 'replacement \uFFFD')).map((m) => m.conversationId)).toEqual([REPLACED])
    expect(await searchConversations(backend, 'replacement \uD800')).toEqual([])
    // SQLite reads message text up to a NUL and would cut the pattern there: such a term matches titles only.
    expect(await searchConversations(backend, 'second\u0000zzz')).toEqual([])
  })
})
