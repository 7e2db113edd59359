import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAsyncSqlBackend } from '@zustand-sqlite/core'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { workerSqliteDriver } from '../../../test-utils/workerSqlite'
import { asyncBackend } from './helpers'

let dir: string | undefined
let file = ''
const newFile = (): string => {
  dir = mkdtempSync(join(tmpdir(), 'zs-async-'))
  return (file = join(dir, 'test.db'))
}
const cleanup = (): void => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
}

// The SQL tier's asynchronous executor, over a driver whose every statement is a message to a worker
// thread running better-sqlite3: the whole suite, as any asynchronous engine must pass it.
runBackendConformance('createAsyncSqlBackend (better-sqlite3 in a worker thread)', {
  open: () => createAsyncSqlBackend(workerSqliteDriver(newFile())),
  reopen: () => createAsyncSqlBackend(workerSqliteDriver(file)),
  cleanup,
})

// The middleware's asynchronous paths (hydration, writes, flushes) over a synchronous backend whose
// every call is answered after a macrotask.
runBackendConformance('a synchronous backend behind promises', {
  open: () => asyncBackend(createBetterSqlite3Backend({ filename: newFile() })),
  reopen: () => asyncBackend(createBetterSqlite3Backend({ filename: file })),
  cleanup,
})
