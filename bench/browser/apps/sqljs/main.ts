/// <reference types="vite/client" />
// persistSQLite on sql.js, its image and journal in IndexedDB: the backend's documented Vite setup.
import initSqlJs from 'sql.js'
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url'
import { createStore } from 'zustand/vanilla'
import { persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import type { ChatState } from '../../../dataset'
import { chatSchema } from '../../../schemas'

const backend = createSqlJsBackend({ sqlJs: initSqlJs({ locateFile: () => wasmUrl }), storage: 'indexeddb' })
const store = createStore<ChatState>()(
  persistSQLite((): ChatState => ({ conversations: [] }), { name: 'chat', backend: () => backend, schema: chatSchema }),
)
store.subscribe((s) => (document.body.textContent = `${s.conversations.length} conversations`))
// What the bench waits for before it counts the files loaded.
void whenHydrated(store).then(() => (document.title = 'hydrated'))
