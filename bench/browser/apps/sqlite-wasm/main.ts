// persistSQLite on SQLite's WebAssembly build, in OPFS, in the backend's worker.
import { createStore } from 'zustand/vanilla'
import { persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'
import type { ChatState } from '../../../dataset'
import { chatSchema } from '../../../schemas'

const backend = createSqliteWasmBackend({
  name: 'app.db',
  // The worker from the package's sources, as the bench pages start it (a built package starts dist/worker.js).
  worker: () =>
    new Worker(new URL('../../../../packages/backend-sqlite-wasm/src/worker.ts', import.meta.url), { type: 'module' }),
})
const store = createStore<ChatState>()(
  persistSQLite((): ChatState => ({ conversations: [] }), { name: 'chat', backend: () => backend, schema: chatSchema }),
)
store.subscribe((s) => (document.body.textContent = `${s.conversations.length} conversations`))
// What the bench waits for before it counts the files loaded.
void whenHydrated(store).then(() => (document.title = 'hydrated'))
