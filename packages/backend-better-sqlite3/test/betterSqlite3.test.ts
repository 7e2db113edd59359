import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'

const dirs: string[] = []
const tempFile = (name = 'test.db'): string => {
  const dir = mkdtempSync(join(tmpdir(), 'zs-bs3-'))
  dirs.push(dir)
  return join(dir, name)
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const repoRoot = new URL('../../../', import.meta.url)

describe('createBetterSqlite3Backend', () => {
  it('opens with WAL, synchronous=NORMAL and foreign keys on, each overridable', () => {
    const file = tempFile()
    const db = new Database(file)
    createBetterSqlite3Backend({ database: db })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(1)
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    const other = new Database(tempFile())
    createBetterSqlite3Backend({ database: other, journalMode: 'DELETE', synchronous: 'FULL', foreignKeys: false })
    expect(other.pragma('journal_mode', { simple: true })).toBe('delete')
    expect(other.pragma('synchronous', { simple: true })).toBe(2)
    expect(other.pragma('foreign_keys', { simple: true })).toBe(0)
  })

  it('leaves a database it was given open when it closes, and closes one it opened', async () => {
    const db = new Database(':memory:')
    const given = createBetterSqlite3Backend({ database: db })
    await given.close()
    expect(db.open).toBe(true)
    const owned = createBetterSqlite3Backend({ database: db, closeDatabase: true })
    await owned.close()
    expect(db.open).toBe(false)
  })

  it('refuses pragma values that are not pragma values', () => {
    expect(() =>
      createBetterSqlite3Backend({ filename: ':memory:', journalMode: 'WAL; DROP TABLE x' as never }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
  })

  it('refuses a file that is not a database with CORRUPT_DATABASE and leaves it byte for byte', () => {
    const file = tempFile('notes.db')
    const bytes = Buffer.from('these are my notes, not a database\n'.repeat(200))
    writeFileSync(file, bytes)
    expect(() => createBetterSqlite3Backend({ filename: file })).toThrow(
      expect.objectContaining({ code: 'CORRUPT_DATABASE' }),
    )
    expect(readFileSync(file).equals(bytes)).toBe(true)
  })

  it('reports a database damaged inside as CORRUPT_DATABASE at hydration, writing nothing', async () => {
    const file = tempFile()
    const schema = defineSchema({
      state: {
        items: collection({ table: 'items', key: 'id', columns: { id: column.integer(), body: column.text() } }),
      },
    })
    const first = createBetterSqlite3Backend({ filename: file, journalMode: 'DELETE' })
    const store = createStore<{ items: { id: number; body: string }[] }>()(
      persistSQLite(() => ({ items: [] as { id: number; body: string }[] }), { name: 'd', backend: first, schema }),
    )
    store.setState({ items: Array.from({ length: 2000 }, (_, id) => ({ id, body: 'y'.repeat(500) })) })
    await store.persist.flush()
    await first.close()
    // Overwrite pages in the middle of the file (the table's b-tree), keeping the header valid.
    const damaged = readFileSync(file)
    damaged.fill(0xa5, 8192, damaged.length - 8192)
    writeFileSync(file, damaged)
    const errors: unknown[] = []
    const again = createBetterSqlite3Backend({ filename: file, journalMode: 'DELETE' })
    const reloaded = createStore<{ items: { id: number; body: string }[] }>()(
      persistSQLite(() => ({ items: [] as { id: number; body: string }[] }), {
        name: 'd',
        backend: again,
        schema,
        onError: (e) => errors.push(e),
      }),
    )
    expect(reloaded.persist.hasHydrated()).toBe(false)
    expect(errors[0]).toMatchObject({ code: 'CORRUPT_DATABASE' })
    reloaded.setState({ items: [] })
    await new Promise((resolve) => setTimeout(resolve, 0))
    await again.close()
    expect(readFileSync(file).equals(damaged)).toBe(true)
  })

  it('refuses a database that belongs to another application before changing anything in it', () => {
    const file = tempFile()
    const theirs = new Database(file)
    theirs.exec(
      `PRAGMA application_id = 42; CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance REAL); INSERT INTO accounts VALUES (1, 10.5);`,
    )
    theirs.close()
    const before = readFileSync(file)
    // With the default pragmas: WAL would rewrite the header if it were applied first.
    expect(() => createBetterSqlite3Backend({ filename: file })).toThrow(
      expect.objectContaining({ code: 'FOREIGN_DATABASE' }),
    )
    expect(readFileSync(file).equals(before)).toBe(true)
    const given = new Database(file)
    expect(() => createBetterSqlite3Backend({ database: given })).toThrow(
      expect.objectContaining({ code: 'FOREIGN_DATABASE' }),
    )
    expect(given.open).toBe(true)
    given.close()
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('passes on a typed error from another copy of core as it is, recognised by its brand', () => {
    // What a second copy of @zustand-sqlite/core throws: the same brand and code, another class.
    const foreign = Object.assign(new Error('[zustand-sqlite] CORRUPT_DATABASE: from another copy'), {
      [Symbol.for('zustand-sqlite.error')]: true,
      code: 'CORRUPT_DATABASE',
    })
    const database = {
      open: true,
      prepare: () => {
        throw foreign
      },
      exec: () => undefined,
      pragma: () => 0,
      close: () => undefined,
    }
    let thrown: unknown
    try {
      createBetterSqlite3Backend({ database: database as never })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBe(foreign)
  })

  it('reports a file that cannot be opened with a typed error', () => {
    expect(() => createBetterSqlite3Backend({ filename: join(tmpdir(), 'no-such-dir-zs', 'x', 'db.sqlite') })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })

  it('keeps the last committed state when the process is killed mid-write', async () => {
    const file = tempFile()
    for (let round = 0; round < 3; round++) {
      const acknowledged = await new Promise<number>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', 'packages/backend-better-sqlite3/test/fixtures/crashWriter.ts', file],
          {
            cwd: repoRoot,
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        )
        let last = 0
        let stderr = ''
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        child.stdout.on('data', (d: Buffer) => {
          const lines = d.toString().trim().split('\n')
          last = Number(lines[lines.length - 1])
          // Kill at a varying moment once the writer is well into its stream.
          if (last >= 300 * (round + 1) + round * 37) child.kill('SIGKILL')
        })
        child.on('exit', (code, signal) =>
          signal === 'SIGKILL' ? resolve(last) : reject(new Error(`writer exited ${code}: ${stderr}`)),
        )
      })
      const backend = createBetterSqlite3Backend({ filename: file })
      const db = new Database(file, { readonly: true })
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
      db.close()
      const schema = defineSchema({
        state: {
          items: collection({ table: 'items', key: 'id', columns: { id: column.integer(), body: column.text() } }),
        },
      })
      const store = createStore<{ n: number; items: { id: number; body: string }[] }>()(
        persistSQLite(() => ({ n: 0, items: [] as { id: number; body: string }[] }), {
          name: 'crash',
          backend,
          schema,
        }),
      )
      const { n, items } = store.getState()
      // Whatever was acknowledged is there, and the state is one a commit left: never half of one.
      expect(n).toBeGreaterThanOrEqual(acknowledged)
      expect(items.at(-1)?.id).toBe(n - 1)
      expect(n % 5).toBe(0)
      await backend.close()
    }
  }, 120_000)
})
