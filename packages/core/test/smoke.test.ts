import { test, expect } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { persistSQLite, defineSchema, collection, column } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'

test('smoke', async () => {
  const backend = createBetterSqlite3Backend({ filename: ':memory:' })
  const schema = defineSchema({
    state: {
      conversations: collection({
        table: 'conversations',
        key: 'id',
        columns: { id: column.text(), title: column.text({ optional: true }), created: column.integer() },
        children: {
          messages: collection({ table: 'messages', key: 'id', columns: { id: column.text(), text: column.text() } }),
        },
      }),
    },
  })
  type S = {
    conversations: { id: string; title?: string; created: number; messages: { id: string; text: string }[] }[]
    count: number
    inc: () => void
  }
  const commits: any[] = []
  const make = () =>
    createStore<S>()(
      persistSQLite((set) => ({ conversations: [], count: 0, inc: () => set((s) => ({ count: s.count + 1 })) }), {
        name: 'chat',
        backend,
        schema,
        onCommit: (i) => commits.push(i),
        onError: (e) => {
          throw e
        },
      }),
    )
  const s1 = make()
  expect(s1.persist.hasHydrated()).toBe(true)
  s1.setState({
    conversations: [
      {
        id: 'c1',
        created: 1,
        messages: [
          { id: 'm1', text: 'hi' },
          { id: 'm2', text: 'yo' },
        ],
      },
    ],
  })
  s1.getState().inc()
  await s1.persist.flush()
  console.log(JSON.stringify(commits.map((c) => c.tables)))
  s1.setState((s) => ({
    conversations: [
      { id: 'c0', created: 0, messages: [] },
      ...s.conversations.map((c) => ({
        ...c,
        messages: c.messages.map((m) => (m.id === 'm2' ? { ...m, text: 'changed' } : m)),
      })),
    ],
  }))
  await s1.persist.flush()
  console.log(JSON.stringify(commits.map((c) => c.tables)))
  const s2 = make()
  expect(s2.getState().conversations).toEqual(s1.getState().conversations)
  expect(s2.getState().count).toBe(1)
  console.log(backend.query('select * from messages'), backend.query('select * from zs_kv'))
})
