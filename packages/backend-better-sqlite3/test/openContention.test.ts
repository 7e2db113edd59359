import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'

const repoRoot = new URL('../../../', import.meta.url)
const dirs: string[] = []
const children: ChildProcessWithoutNullStreams[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'zs-bs3-open-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  // A test that failed midway may leave a fixture waiting for its input.
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

interface Fixture {
  readonly child: ChildProcessWithoutNullStreams
  /** The next line the fixture printed, or `undefined` once it has exited. */
  nextLine(): Promise<string | undefined>
  /** How it exited, with what it printed to stderr. */
  readonly exit: Promise<{ code: number | null; stderr: string }>
}

/** Runs a script of test/fixtures in its own process (a lock of its own, a thread of its own). */
function runFixture(script: string, args: string[]): Fixture {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', `packages/backend-better-sqlite3/test/fixtures/${script}`, ...args],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
  )
  children.push(child)
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exit = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  )
  return { child, nextLine: async () => (await lines.next()).value as string | undefined, exit }
}

/** Fails unless another connection holds the write lock of `file` at this moment. */
function expectWriteLocked(file: string): void {
  const probe = new Database(file, { timeout: 0 })
  try {
    expect(() => probe.exec('BEGIN IMMEDIATE')).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }))
  } finally {
    probe.close()
  }
}

async function rejection(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

const schema = defineSchema({
  state: {
    items: collection({ table: 'items', key: 'id', columns: { id: column.integer(), body: column.text() } }),
  },
})
type Items = { items: { id: number; body: string }[] }
const itemsStore = (backend: ReturnType<typeof createBetterSqlite3Backend>, errors: unknown[] = []) =>
  createStore<Items>()(
    persistSQLite(() => ({ items: [] as Items['items'] }), {
      name: 'items',
      backend,
      schema,
      onError: (e) => errors.push(e),
    }),
  )

describe('opening a file other connections are using', () => {
  it('lets several processes open one fresh file at the same moment, and every one writes its store', async () => {
    const openers = Array.from({ length: 5 }, (_, i) => runFixture('contendedOpener.ts', [String(i)]))
    for (const opener of openers) expect(await opener.nextLine()).toBe('ready')
    const dir = tempDir()
    const files: string[] = []
    for (let round = 0; round < 40; round++) {
      const file = join(dir, `round-${round}.db`)
      files.push(file)
      // The same fresh file to every opener at once: they all open it at the same moment.
      for (const opener of openers) opener.child.stdin.write(`${file}\n`)
      const outcomes = await Promise.all(openers.map((opener) => opener.nextLine()))
      if (outcomes.some((line) => line !== 'ok')) break
    }
    for (const opener of openers) opener.child.stdin.end()
    // A failed opener printed its error's code and message to stderr: they show here.
    expect(await Promise.all(openers.map((opener) => opener.exit))).toEqual(
      openers.map(() => ({ code: 0, stderr: '' })),
    )
    expect(files).toHaveLength(40)
    for (const file of files) {
      const db = new Database(file, { readonly: true })
      for (let i = 0; i < openers.length; i++) {
        expect(db.prepare(`SELECT id, body FROM items_${i}`).all()).toEqual([{ id: 1, body: `written by opener ${i}` }])
      }
      db.close()
    }
  }, 120_000)

  // EXCLUSIVE keeps every other connection out; IMMEDIATE (a write in progress) lets others read the
  // file but not switch it to WAL, where SQLite answers SQLITE_BUSY at once instead of waiting.
  describe.each(['EXCLUSIVE', 'IMMEDIATE'] as const)('held by BEGIN %s in another connection', (kind) => {
    it('rejects with DATABASE_BUSY, naming the file and the wait, when the lock outlasts the busy timeout', () => {
      const file = join(tempDir(), 'held.db')
      const holder = new Database(file)
      holder.exec(`BEGIN ${kind}`)
      let thrown: unknown
      try {
        createBetterSqlite3Backend({ filename: file, busyTimeoutMs: 200 })
      } catch (error) {
        thrown = error
      } finally {
        holder.exec('COMMIT')
        holder.close()
      }
      expect(thrown).toMatchObject({
        code: 'DATABASE_BUSY',
        cause: expect.objectContaining({ code: expect.stringMatching(/^SQLITE_BUSY/) }),
      })
      expect((thrown as Error).message).toContain(file)
      expect((thrown as Error).message).toContain('200 ms')
    })

    it('waits for the lock, and opens once it is released within the busy timeout', async () => {
      const file = join(tempDir(), 'held.db')
      const holder = runFixture('lockHolder.ts', [file, kind, '300'])
      expect(await holder.nextLine()).toBe('locked')
      expectWriteLocked(file)
      const backend = createBetterSqlite3Backend({ filename: file })
      const errors: unknown[] = []
      const store = itemsStore(backend, errors)
      expect(store.persist.hasHydrated()).toBe(true)
      store.setState({ items: [{ id: 1, body: 'after the wait' }] })
      await store.persist.flush()
      await backend.close()
      expect(errors).toEqual([])
      expect(await holder.exit).toEqual({ code: 0, stderr: '' })
      const db = new Database(file, { readonly: true })
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.prepare('SELECT id, body FROM items').all()).toEqual([{ id: 1, body: 'after the wait' }])
      db.close()
    })
  })
})

describe('a lock held past the busy timeout once the file is open', () => {
  it('fails a write with DATABASE_BUSY, keeps the state, and writes it once the lock is gone', async () => {
    const file = join(tempDir(), 'app.db')
    const backend = createBetterSqlite3Backend({ filename: file, busyTimeoutMs: 100 })
    const errors: unknown[] = []
    const store = itemsStore(backend, errors)
    const holder = new Database(file)
    holder.exec('BEGIN EXCLUSIVE')
    store.setState({ items: [{ id: 1, body: 'kept' }] })
    const failed = await rejection(() => store.persist.flush())
    holder.exec('COMMIT')
    expect(failed).toMatchObject({ code: 'DATABASE_BUSY', cause: expect.objectContaining({ code: 'SQLITE_BUSY' }) })
    expect(failed.message).toContain(file)
    expect(errors).toContainEqual(expect.objectContaining({ code: 'DATABASE_BUSY' }))
    expect(store.getState().items).toEqual([{ id: 1, body: 'kept' }])
    await store.persist.flush()
    expect(holder.prepare('SELECT id, body FROM items').all()).toEqual([{ id: 1, body: 'kept' }])
    holder.close()
    await backend.close()
  })

  it('fails hydration with DATABASE_BUSY, and hydrates on rehydrate() once the lock is gone', async () => {
    const file = join(tempDir(), 'app.db')
    const backend = createBetterSqlite3Backend({ filename: file, busyTimeoutMs: 100 })
    const holder = new Database(file)
    holder.exec('BEGIN EXCLUSIVE')
    const errors: unknown[] = []
    const store = itemsStore(backend, errors)
    holder.exec('COMMIT')
    holder.close()
    expect(store.persist.hasHydrated()).toBe(false)
    expect(errors).toEqual([expect.objectContaining({ code: 'DATABASE_BUSY' })])
    await store.persist.rehydrate()
    expect(store.persist.hasHydrated()).toBe(true)
    await backend.close()
  })
})
