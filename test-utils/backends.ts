import 'fake-indexeddb/auto'
import { afterEach } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import initSqlJs from 'sql.js'
import { createAsyncSqlBackend } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { workerSqliteDriver } from './workerSqlite'

/** A way to open a database file on one engine, twice (as two runs of an app would). */
export interface EngineHarness {
  readonly name: string
  /** Opens (creating it on first use) the database file `file`. */
  open(file: string): Backend | Promise<Backend>
}

const sqlJs = initSqlJs()

/**
 * The engines every store package is tested on: better-sqlite3 (synchronous), sql.js (a file image), and
 * the SQL tier's asynchronous executor over better-sqlite3 in a worker thread (every call a promise, as
 * with the browser's and the server's engines: stores hydrate after `create()` returns).
 */
export const engines: readonly EngineHarness[] = [
  { name: 'better-sqlite3', open: (file) => createBetterSqlite3Backend({ filename: file }) },
  { name: 'sql.js', open: (file) => createSqlJsBackend({ sqlJs, storage: { file } }) },
  { name: 'an asynchronous engine', open: (file) => createAsyncSqlBackend(workerSqliteDriver(file)) },
]

/** A fresh directory for one test's database files; `remove()` deletes it. */
export function tempDatabase(): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'zs-store-'))
  return { file: join(dir, 'app.db'), remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * One database file per test on `engine`: `open()` opens it (again after `closeAll()`, as a restarted
 * app would); everything is closed and removed after each test.
 */
export function databaseOn(engine: EngineHarness): {
  open: () => Promise<Backend>
  closeAll: () => Promise<void>
} {
  let db: ReturnType<typeof tempDatabase> | undefined
  const opened: Backend[] = []
  const closeAll = async (): Promise<void> => {
    for (const backend of opened.splice(0)) await backend.close()
  }
  afterEach(async () => {
    await closeAll()
    db?.remove()
    db = undefined
  })
  return {
    open: async () => {
      db ??= tempDatabase()
      const backend = await engine.open(db.file)
      opened.push(backend)
      return backend
    },
    closeAll,
  }
}

/**
 * A synchronous Web Storage over a Map, for Zustand's `createJSONStorage`: what a browser's localStorage
 * holds for the legacy path. `entries` are its initial keys and values.
 */
export function memoryLocalStorage(entries: Record<string, string> = {}): {
  map: Map<string, string>
  storage: { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void }
} {
  const map = new Map(Object.entries(entries))
  return {
    map,
    storage: {
      getItem: (k) => map.get(k) ?? null,
      setItem: (k, v) => void map.set(k, v),
      removeItem: (k) => void map.delete(k),
    },
  }
}

/** The error `action` throws or rejects with (its `code` and `path`), or `undefined` when it succeeds. */
export async function failure(action: () => unknown): Promise<{ code?: string; path?: string } | undefined> {
  try {
    await action()
  } catch (error) {
    return error as { code?: string; path?: string }
  }
  return undefined
}
