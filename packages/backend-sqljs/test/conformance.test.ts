import 'fake-indexeddb/auto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import initSqlJs from 'sql.js'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'

const sqlJs = initSqlJs()
let key = 0

runBackendConformance('sql.js (IndexedDB image, fake-indexeddb)', {
  open: () => createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key: `conformance-${++key}` }) }),
  reopen: () => createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key: `conformance-${key}` }) }),
})

let dir: string | undefined
runBackendConformance('sql.js (file image)', {
  open: () => {
    dir = mkdtempSync(join(tmpdir(), 'zs-sqljs-'))
    return createSqlJsBackend({ sqlJs, storage: { file: join(dir, 'image.sqlite') } })
  },
  reopen: () => createSqlJsBackend({ sqlJs, storage: { file: join(dir as string, 'image.sqlite') } }),
  cleanup: () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  },
})
