/// <reference types="vite/client" />
import initSqlJs from 'sql.js'
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url'
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'

/** An item of the list store: a row of its own table. */
export interface Item {
  id: string
  text: string
}

/** What the page offers the test driving it, as `window.app` once its stores have hydrated. */
export interface AppPage {
  /** The note (a store without a schema). */
  get(): string | undefined
  /** Sets the note, as an app would: no flush, the store writes from a microtask. */
  set(text: string): void
  /** Sets the note and waits for `flush()`: `'ok'`, or the code of the error it rejected with. */
  setAndFlush(text: string): Promise<string>
  /** The list (a store with a schema). */
  items(): Item[]
  /** Replaces the list with `count` items and makes it durable. */
  fill(count: number): Promise<void>
  /** Edits one item and waits for `flush()`. */
  edit(index: number, text: string): Promise<void>
  /** How many times the image was exported and stored. */
  exportCount(): number
}

declare global {
  interface Window {
    app?: AppPage
  }
}

const listSchema = defineSchema({
  state: { items: collection({ table: 'items', key: 'id', columns: { id: column.text(), text: column.text() } }) },
})

// An app as it would ship: sql.js's browser build, the database in the page's IndexedDB (named by `?db=`, so
// that each test has its own), the backend's defaults otherwise.
const database = new URLSearchParams(location.search).get('db') ?? 'app'
const backend = await createSqlJsBackend({
  sqlJs: initSqlJs({ locateFile: () => wasmUrl }),
  storage: indexedDbStorage({ database }),
})
const note = createStore<{ text?: string }>()(persistSQLite(() => ({}), { name: 'note', backend }))
const list = createStore<{ items: Item[] }>()(
  persistSQLite(() => ({ items: [] as Item[] }), { name: 'list', backend, schema: listSchema }),
)
await Promise.all([whenHydrated(note), whenHydrated(list)])

const codeOf = (error: unknown): string => String((error as { code?: unknown } | null)?.code ?? error)

window.app = {
  get: () => note.getState().text,
  set: (text) => note.setState({ text }),
  setAndFlush: async (text) => {
    note.setState({ text })
    return note.persist.flush().then(
      () => 'ok',
      (error: unknown) => codeOf(error),
    )
  },
  items: () => list.getState().items,
  fill: async (count) => {
    list.setState({ items: Array.from({ length: count }, (_, i) => ({ id: `i${i}`, text: `item ${i} `.repeat(12) })) })
    await list.persist.flush()
  },
  edit: async (index, text) => {
    list.setState((s) => ({ items: s.items.map((item, i) => (i === index ? { ...item, text } : item)) }))
    await list.persist.flush()
  },
  exportCount: () => backend.exportCount,
}
