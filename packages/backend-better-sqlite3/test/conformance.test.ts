import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'

let dir: string | undefined
let file = ''

runBackendConformance('better-sqlite3 (file, WAL)', {
  open: () => {
    dir = mkdtempSync(join(tmpdir(), 'zs-bs3-'))
    file = join(dir, 'test.db')
    return createBetterSqlite3Backend({ filename: file })
  },
  reopen: () => createBetterSqlite3Backend({ filename: file }),
  cleanup: () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  },
})
