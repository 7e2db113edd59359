import { describe, expect, it } from 'vitest'
import { isZustandSqliteError } from '@zustand-sqlite/core'
import type { ZustandSqliteError } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createChatsStore, createDMessageTextContent } from '@zustand-sqlite/store-chats'
import { databaseOn, engines } from '../../../test-utils/backends'

describe.each(engines)('a message appended twice, on $name', (engine) => {
  const { open } = databaseOn(engine)

  it('stores the first, reports the second once, and goes on writing every later message', async () => {
    const errors: ZustandSqliteError[] = []
    const store = createChatsStore({ backend: await open(), onError: (e) => errors.push(e as ZustandSqliteError) })
    await hydrated(store)
    const id = store.getState().prependNewConversation()
    const hello = createDMessageTextContent('user', 'hello', 1000)
    store.getState().appendMessage(id, hello)
    store.getState().appendMessage(id, hello)
    let refused: unknown
    await store.persist.flush().catch((error: unknown) => (refused = error))
    expect(isZustandSqliteError(refused, 'DUPLICATE_KEY')).toBe(true)
    // Not blocked: the answer, streamed token by token, and a new conversation are written.
    const answer = createDMessageTextContent('assistant', '', 2000)
    store.getState().appendMessage(id, answer)
    for (const token of ['Hi', ' there', '!']) {
      const text = store.getState().conversations[0]!.messages.at(-1)!.fragments[0]!
      const current = text.part.pt === 'text' ? text.part.text : ''
      store.getState().editMessage(
        id,
        answer.id,
        {
          fragments: [{ ...text, part: { pt: 'text', text: current + token } }],
        },
        false,
        false,
      )
      await store.persist.flush()
    }
    const other = store.getState().prependNewConversation()
    store.getState().appendMessage(other, createDMessageTextContent('user', 'elsewhere', 3000))
    await store.persist.flush()
    expect(errors.map((e) => e.code)).toEqual(['DUPLICATE_KEY'])

    const again = createChatsStore({ backend: await open() })
    await hydrated(again)
    const stored = again.getState().conversations.find((c) => c.id === id)!
    expect(stored.messages.map((m) => m.id)).toEqual([hello.id, answer.id])
    expect(stored.messages[1]!.fragments[0]!.part).toEqual({ pt: 'text', text: 'Hi there!' })
    expect(again.getState().conversations.find((c) => c.id === other)?.messages).toHaveLength(1)
  })
})
