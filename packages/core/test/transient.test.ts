import { describe, expect, it } from 'vitest'
import { collection, column, defineSchema } from '@zustand-sqlite/core'
import { persistedStore } from '@zustand-sqlite/core/testing'
import { memoryBackend } from './helpers'

interface Chat {
  id: string
  title: string
  _abort?: AbortController | null
  messages: { id: string; text: string; pending?: boolean }[]
}

const schema = defineSchema({
  state: {
    chats: collection({
      table: 'chats',
      key: 'id',
      columns: { id: column.text(), title: column.text() },
      transient: ['_abort'],
      children: {
        messages: collection({
          table: 'chat_messages',
          key: 'id',
          columns: { id: column.text(), text: column.text() },
          transient: ['pending'],
        }),
      },
    }),
  },
})

describe('transient fields', () => {
  it('are never written nor compared, and are absent after loading', async () => {
    const backend = memoryBackend()
    const a = persistedStore(backend, { chats: [] as Chat[] }, { name: 'chats', schema })
    a.setState({ chats: [{ id: 'c', title: 'T', _abort: new AbortController(), messages: [{ id: 'm', text: 'x' }] }] })
    await a.persist.flush()
    const commits = a.commits.length
    a.setState((s) => ({
      chats: s.chats.map((c) => ({
        ...c,
        _abort: null,
        messages: c.messages.map((m) => ({ ...m, pending: true })),
      })),
    }))
    await a.persist.flush()
    expect(a.commits.length).toBe(commits)
    expect(a.errors).toEqual([])
    expect(await backend.query('SELECT extra FROM chats')).toEqual([{ extra: null }])

    const b = persistedStore(backend, { chats: [] as Chat[] }, { name: 'chats', schema })
    expect(b.getState().chats).toEqual([{ id: 'c', title: 'T', messages: [{ id: 'm', text: 'x' }] }])
  })

  it('cannot also be stored', () => {
    expect(() =>
      defineSchema({
        state: { x: collection({ table: 'x', key: 'id', columns: { id: column.text() }, transient: ['id'] }) },
      }),
    ).toThrow(/transient and also stored/)
  })
})
