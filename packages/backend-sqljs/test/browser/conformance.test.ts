/// <reference types="vite/client" />
import initSqlJs from 'sql.js'
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'

// In Chromium: the browser build of sql.js, its .wasm fetched from the page's origin, and the page's
// real IndexedDB (no fake-indexeddb), as an app would run it.
const sqlJs = initSqlJs({ locateFile: () => wasmUrl })

// A database per test, so no test sees another's image; the run id keeps runs on a reused profile apart.
const run = Math.random().toString(36).slice(2, 8)
let count = 0
const storage = (): ReturnType<typeof indexedDbStorage> => indexedDbStorage({ database: `conformance-${run}-${count}` })

runBackendConformance('sql.js (IndexedDB image, Chromium)', {
  open: () => {
    count++
    return createSqlJsBackend({ sqlJs, storage: storage() })
  },
  reopen: () => createSqlJsBackend({ sqlJs, storage: storage() }),
})
