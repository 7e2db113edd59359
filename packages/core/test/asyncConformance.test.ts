import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { asyncBackend } from './helpers'

// The middleware's asynchronous paths (hydration, writes, flushes) run the whole suite too.
let dir: string | undefined
let file = ''
runBackendConformance('asynchronous backend (better-sqlite3 behind promises)', {
  open: () => {
    dir = mkdtempSync(join(tmpdir(), 'zs-async-'))
    file = join(dir, 'test.db')
    return asyncBackend(createBetterSqlite3Backend({ filename: file }))
  },
  reopen: () => asyncBackend(createBetterSqlite3Backend({ filename: file })),
  cleanup: () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  },
})
