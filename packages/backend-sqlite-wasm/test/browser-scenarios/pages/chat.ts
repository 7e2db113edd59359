/// <reference types="vite/client" />
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'

interface Message {
  id: string
  text: string
}

/** What the page offers the test driving it, as `window.chat` once the store has hydrated. */
export interface ChatPage {
  role(): string
  messages(): Message[]
  /** Adds a message (a set: written in the background, not awaited). */
  add(id: string, text: string): void
  /** Appends a token to a message's text, as a streamed answer does. */
  append(id: string, token: string): void
  flush(): Promise<void>
}

declare global {
  interface Window {
    chat?: ChatPage
  }
}

const schema = defineSchema({
  state: {
    messages: collection({ table: 'messages', key: 'id', columns: { id: column.text(), text: column.text() } }),
  },
})

// One database per test: its name comes in the query string.
const name = new URLSearchParams(location.search).get('db') ?? 'chat.db'
const backend = await createSqliteWasmBackend({
  name,
  // The package's worker from its sources (a built app gets dist/worker.js without this option).
  worker: () => new Worker(new URL('../../../src/worker.ts', import.meta.url), { type: 'module' }),
})
const store = createStore<{ messages: Message[] }>()(
  persistSQLite(() => ({ messages: [] as Message[] }), { name: 'chat', backend, schema }),
)
await whenHydrated(store)

window.chat = {
  role: () => backend.role,
  messages: () => store.getState().messages,
  add: (id, text) => store.setState((s) => ({ messages: [...s.messages, { id, text }] })),
  append: (id, token) =>
    store.setState((s) => ({ messages: s.messages.map((m) => (m.id === id ? { ...m, text: m.text + token } : m)) })),
  flush: () => store.persist.flush(),
}
