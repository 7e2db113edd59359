import { describe, expect, it } from 'vitest'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createChatsStore, createDMessageTextContent } from '@zustand-sqlite/store-chats'
import type { DMessageFragment } from '@zustand-sqlite/store-chats'
import { databaseOn, engines } from '../../../test-utils/backends'

// Two chats stores on one backend stand for two tabs on one database: a commit of one reaches the other.
describe.each(engines)('two chats stores on one database, on $name', (engine) => {
  const { open } = databaseOn(engine)

  it('show each other the messages they write, and a stream in progress stays open in the other', async () => {
    const backend = await open()
    const a = createChatsStore({ backend })
    await hydrated(a)
    const id = a.getState().prependNewConversation()
    a.getState().appendMessage(id, createDMessageTextContent('user', 'hello', 1000))
    await a.persist.flush()
    const b = createChatsStore({ backend })
    await hydrated(b)

    // A streams an answer: its placeholder reaches B as it is, not closed as a cut-off generation.
    const answer = createDMessageTextContent('assistant', '', 2000)
    const placeholder: DMessageFragment = { ft: 'void', fId: 'ph', part: { pt: 'ph', pText: 'Thinking…' } }
    a.getState().appendMessage(id, { ...answer, fragments: [placeholder] })
    await a.persist.flush()
    await expect
      .poll(() => b.getState().conversations.find((c) => c.id === id)?.messages[1]?.fragments[0]?.part)
      .toEqual({ pt: 'ph', pText: 'Thinking…' })

    // B deletes a message and renames the conversation; A sees both.
    b.getState().deleteMessage(id, b.getState().conversations.find((c) => c.id === id)!.messages[0]!.id)
    b.getState().setUserTitle(id, 'from B')
    await b.persist.flush()
    await expect
      .poll(() => {
        const c = a.getState().conversations.find((x) => x.id === id)
        return { title: c?.userTitle, messages: c?.messages.map((m) => m.id) }
      })
      .toEqual({ title: 'from B', messages: [answer.id] })
  })

  it('do not bring back a conversation the other deleted', async () => {
    const backend = await open()
    const a = createChatsStore({ backend })
    await hydrated(a)
    const keep = a.getState().prependNewConversation()
    a.getState().appendMessage(keep, createDMessageTextContent('user', 'keep', 1000))
    const gone = a.getState().prependNewConversation()
    a.getState().appendMessage(gone, createDMessageTextContent('user', 'gone', 1000))
    await a.persist.flush()
    const b = createChatsStore({ backend })
    await hydrated(b)
    a.getState().deleteConversations([gone])
    await a.persist.flush()
    await expect.poll(() => b.getState().conversations.some((c) => c.id === gone)).toBe(false)
    b.getState().appendMessage(keep, createDMessageTextContent('user', 'more', 2000))
    await b.persist.flush()
    const fresh = createChatsStore({ backend })
    await hydrated(fresh)
    expect(fresh.getState().conversations.some((c) => c.id === gone)).toBe(false)
    expect(fresh.getState().conversations.find((c) => c.id === keep)?.messages).toHaveLength(2)
  })
})
