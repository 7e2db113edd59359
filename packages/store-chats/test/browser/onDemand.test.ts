import { expect, it, vi } from 'vitest'
import { NOT_LOADED } from '@zustand-sqlite/core'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'
import {
  createChatsStore,
  createDConversation,
  createDMessageTextContent,
  messageCountOf,
  messagesLoaded,
} from '@zustand-sqlite/store-chats'
import type { ChatsStoreApi, DConversation } from '@zustand-sqlite/store-chats'

// In Chromium, on OPFS: one backend is the writer, the other a follower whose calls (the load that leaves
// the messages out, the queries that load one conversation) travel to the writer, as another tab's would.
const worker = (): Worker =>
  new Worker(new URL('../../../backend-sqlite-wasm/src/worker.ts', import.meta.url), { type: 'module' })

const hydrated = (store: ChatsStoreApi): Promise<void> =>
  store.persist.hasHydrated()
    ? Promise.resolve()
    : new Promise((resolve) => {
        const stop = store.persist.onFinishHydration(() => {
          stop()
          resolve()
        })
      })

function conversation(id: string, messages: number, updated: number): DConversation {
  return {
    ...createDConversation('Generic', updated - 1),
    id,
    userTitle: `title ${id}`,
    updated,
    messages: Array.from({ length: messages }, (_, i) => ({
      ...createDMessageTextContent('user', `${id} ${i}`),
      id: `${id}-${i}`,
    })),
  }
}

it('hydrates the conversation list without messages, and loads one conversation when it is opened', async () => {
  const name = `chats-on-demand-${Date.now().toString(36)}.db`
  const writerBackend = await createSqliteWasmBackend({ name, worker })
  const followerBackend = await createSqliteWasmBackend({ name, worker })
  try {
    expect([writerBackend.role, followerBackend.role]).toEqual(['writer', 'follower'])
    const full = createChatsStore({ backend: writerBackend })
    await hydrated(full)
    const written = [conversation('a', 3, 30), conversation('b', 40, 20), conversation('c', 1, 10)]
    full.setState({ conversations: written })
    await full.persist.flush()

    const lazy = createChatsStore({ backend: followerBackend, hydrate: 'onDemand' })
    await hydrated(lazy)
    const list = lazy.getState().conversations
    expect(list.map((c) => [c.id, c.userTitle, messageCountOf(c)])).toEqual([
      ['a', 'title a', 3],
      ['b', 'title b', 40],
      ['c', 'title c', 1],
    ])
    for (const c of list) {
      expect(c.messages).toBe(NOT_LOADED)
      expect(messagesLoaded(c)).toBe(false)
    }

    await lazy.getState().loadMessages('b')
    const b = lazy.getState().conversations[1] as DConversation
    expect(b.messages).toEqual(written[1]?.messages)
    expect(lazy.getState().conversations[0]?.messages).toBe(NOT_LOADED)

    lazy.getState().appendMessage('b', { ...createDMessageTextContent('assistant', 'reply'), id: 'b-40' })
    await lazy.persist.flush()
    // The writer's page, hydrated in full, takes the commit in.
    await vi.waitFor(() => expect(full.getState().conversations[1]?.messages).toHaveLength(41))
    const again = createChatsStore({ backend: followerBackend, hydrate: 'onDemand' })
    await hydrated(again)
    expect(messageCountOf(again.getState().conversations[1] as DConversation)).toBe(41)
  } finally {
    await followerBackend.close()
    await writerBackend.close()
  }
})
