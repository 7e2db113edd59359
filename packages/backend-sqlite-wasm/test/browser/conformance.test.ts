import { runBackendConformance } from '@zustand-sqlite/core/testing'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'

// The package's own worker, from its sources (the built package starts dist/worker.js by itself).
const worker = (): Worker => new Worker(new URL('../../src/worker.ts', import.meta.url), { type: 'module' })

// One database file per test, in one OPFS pool: names unique to this run, as OPFS outlives the page.
const run = Date.now().toString(36)
let key = 0

runBackendConformance('sqlite-wasm (OPFS, opfs-sahpool, in a worker)', {
  open: () => createSqliteWasmBackend({ name: `conformance-${run}-${++key}.db`, worker }),
  reopen: () => createSqliteWasmBackend({ name: `conformance-${run}-${key}.db`, worker }),
})
