/// <reference types="vite/client" />
import initSqlJs from 'sql.js'
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url'
import { createStore } from 'zustand/vanilla'
import { persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'

/** What the page offers the test driving it, as `window.notes` once the store has hydrated. */
export interface NotesPage {
  get(): string | undefined
  /** Sets the note and resolves once it is durable (`store.persist.flush()`). */
  set(text: string): Promise<void>
}

declare global {
  interface Window {
    notes?: NotesPage
  }
}

// An app as it would ship: sql.js's browser build, its image in the page's IndexedDB.
const backend = await createSqlJsBackend({
  sqlJs: initSqlJs({ locateFile: () => wasmUrl }),
  storage: indexedDbStorage({ database: 'notes-page' }),
})
const store = createStore<{ text?: string }>()(persistSQLite(() => ({}), { name: 'notes', backend }))
await whenHydrated(store)

window.notes = {
  get: () => store.getState().text,
  set: async (text) => {
    store.setState({ text })
    await store.persist.flush()
  },
}
