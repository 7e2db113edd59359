import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { createClient } from '@libsql/client'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { isZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { hydrated, persistedStore } from '@zustand-sqlite/core/testing'
import { createLibsqlBackend } from '@zustand-sqlite/backend-libsql'
import { statelessClient } from './fixtures/statelessClient'

const dirs: string[] = []
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'zs-libsql-'))
  dirs.push(dir)
  return dir
}
const tempFile = (): string => join(tempDir(), 'test.db')
const urlOf = (file: string): string => pathToFileURL(file).href
const backends: Backend[] = []
const opened = async (backend: Promise<Backend>): Promise<Backend> => {
  backends.push(await backend)
  return backends[backends.length - 1] as Backend
}
afterEach(async () => {
  vi.restoreAllMocks()
  for (const backend of backends.splice(0)) await backend.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function codeOf(action: () => Promise<unknown>): Promise<string> {
  try {
    await action()
  } catch (error) {
    expect(isZustandSqliteError(error), String(error)).toBe(true)
    return (error as { code: string }).code
  }
  throw new Error('expected a rejection')
}

async function pragma(file: string, name: string): Promise<unknown> {
  const client = createClient({ url: urlOf(file) })
  try {
    return (await client.execute(`PRAGMA ${name}`)).rows[0]?.[0]
  } finally {
    client.close()
  }
}

describe('createLibsqlBackend', () => {
  it('opens a local file in WAL mode, with synchronous=FULL and foreign keys on', async () => {
    const file = tempFile()
    const backend = await opened(createLibsqlBackend({ file }))
    expect(await pragma(file, 'journal_mode')).toBe('wal')
    expect(await backend.query('SELECT synchronous AS s FROM pragma_synchronous')).toEqual([{ s: 2 }])
    expect(await backend.query('SELECT foreign_keys AS f FROM pragma_foreign_keys')).toEqual([{ f: 1 }])
  })

  it('opens zustand-sqlite.db in the working directory by default', async () => {
    const dir = tempDir()
    vi.spyOn(process, 'cwd').mockReturnValue(dir)
    const backend = await opened(createLibsqlBackend())
    const store = persistedStore(backend, { n: 0 }, { name: 'default-file' })
    await hydrated(store)
    store.setState({ n: 1 })
    await store.persist.flush()
    expect(existsSync(join(dir, 'zustand-sqlite.db'))).toBe(true)
  })

  it('opens a local file given as a file: URL, and a path with characters a URL reserves', async () => {
    const dir = tempDir()
    const odd = join(dir, 'a #1?%.db')
    const byPath = await opened(createLibsqlBackend({ file: odd }))
    const store = persistedStore(byPath, { n: 0 }, { name: 'odd' })
    await hydrated(store)
    store.setState({ n: 1 })
    await store.persist.flush()
    await byPath.close()
    expect(existsSync(odd)).toBe(true)
    const byUrl = await opened(createLibsqlBackend({ url: urlOf(odd) }))
    expect(await byUrl.query(`SELECT count(*) AS n FROM zs_kv WHERE store = 'odd'`)).toEqual([{ n: 1 }])
  })

  it('reads integers beyond 2^53 as exact bigints, smaller ones as numbers, BLOBs as Uint8Array', async () => {
    const backend = await opened(createLibsqlBackend({ file: tempFile() }))
    const [row] = await backend.query(
      `SELECT 9007199254740993 AS big, -9223372036854775808 AS least, 42 AS small, 1.5 AS real, x'0102ff' AS bytes`,
    )
    expect(row).toEqual({
      big: 9007199254740993n,
      least: -9223372036854775808n,
      small: 42,
      real: 1.5,
      bytes: new Uint8Array([1, 2, 255]),
    })
    expect(await backend.query('SELECT ? AS big', [9007199254740993n])).toEqual([{ big: 9007199254740993n }])
  })

  it('refuses a file that is not a database with CORRUPT_DATABASE, leaving it untouched', async () => {
    const file = tempFile()
    const text = 'not a database, only text that is long enough to fill a SQLite header and then some more.\n'
    writeFileSync(file, text.repeat(20))
    expect(await codeOf(() => createLibsqlBackend({ file }))).toBe('CORRUPT_DATABASE')
    expect(readFileSync(file, 'utf8')).toBe(text.repeat(20))
  })

  it("refuses another application's database with FOREIGN_DATABASE before switching it to WAL", async () => {
    const file = tempFile()
    const other = createClient({ url: urlOf(file) })
    await other.executeMultiple('PRAGMA application_id = 42; CREATE TABLE theirs (a)')
    other.close()
    expect(await codeOf(() => createLibsqlBackend({ file }))).toBe('FOREIGN_DATABASE')
    expect(await pragma(file, 'journal_mode')).toBe('delete')
  })

  it('fails a write with DATABASE_BUSY while another connection holds the lock past the busy timeout', async () => {
    const file = tempFile()
    const backend = await opened(createLibsqlBackend({ file, busyTimeoutMs: 20 }))
    const store = persistedStore(backend, { n: 0 }, { name: 'busy' })
    await hydrated(store)
    const holder = createClient({ url: urlOf(file) })
    const lock = await holder.transaction('write')
    await lock.execute('CREATE TABLE held (a)')
    try {
      store.setState({ n: 1 })
      expect(await codeOf(() => store.persist.flush())).toBe('DATABASE_BUSY')
    } finally {
      await lock.rollback()
      holder.close()
    }
    await store.persist.flush()
    expect(await backend.query(`SELECT count(*) AS n FROM zs_kv WHERE store = 'busy'`)).toEqual([{ n: 1 }])
  })

  it('runs a query read-only: a write inside an accepted statement fails, and writes go on after it', async () => {
    for (const backend of [
      await opened(createLibsqlBackend({ file: tempFile() })),
      await opened(createLibsqlBackend({ client: statelessClient(urlOf(tempFile())) })),
    ]) {
      const store = persistedStore(backend, { n: 1 }, { name: 'readonly' })
      await hydrated(store)
      store.setState({ n: 2 })
      await store.persist.flush()
      const deleting = `WITH gone AS (SELECT 1) DELETE FROM zs_kv WHERE store = 'readonly'`
      expect(await codeOf(async () => backend.query(deleting))).toBe('QUERY_FAILED')
      expect(await backend.query(`SELECT count(*) AS n FROM zs_kv WHERE store = 'readonly'`)).toEqual([{ n: 1 }])
      store.setState({ n: 3 })
      await store.persist.flush()
      expect(store.errors).toEqual([])
    }
  })

  it('sends a transaction to one interactive transaction of the client, and nothing of it to execute', async () => {
    const client = statelessClient(urlOf(tempFile()))
    const backend = await opened(createLibsqlBackend({ client }))
    const store = persistedStore(backend, { n: 0 }, { name: 'routed' })
    await hydrated(store)
    client.calls.length = 0
    store.setState({ n: 1 })
    await store.persist.flush()
    expect(client.calls[0]).toBe('transaction write')
    expect(client.calls.at(-1)).toBe('transaction.commit')
    expect(client.calls.slice(1, -1).every((call) => call.startsWith('transaction.'))).toBe(true)
    expect(client.calls.filter((call) => /^execute (BEGIN|COMMIT|ROLLBACK)/.test(call))).toEqual([])
  })

  it('throws BACKEND_CLOSED after close, and closes a client it was given only with closeClient', async () => {
    const url = urlOf(tempFile())
    const kept = createClient({ url, intMode: 'bigint' })
    const backend = await createLibsqlBackend({ client: kept })
    await backend.close()
    expect(await codeOf(async () => backend.load('any'))).toBe('BACKEND_CLOSED')
    expect(() => backend.flush()).toThrow(expect.objectContaining({ code: 'BACKEND_CLOSED' }))
    expect(kept.closed).toBe(false)
    kept.close()
    const closed = createClient({ url })
    await (await createLibsqlBackend({ client: closed, closeClient: true })).close()
    expect(closed.closed).toBe(true)
  })

  it('refuses invalid options with INVALID_OPTIONS', async () => {
    const file = tempFile()
    const url = urlOf(file)
    const cases: (() => Promise<unknown>)[] = [
      () => createLibsqlBackend({ file, url } as never),
      () => createLibsqlBackend({ file, authToken: 'token' } as never),
      () => createLibsqlBackend({ file: '' }),
      () => createLibsqlBackend({ file, busyTimeoutMs: -1 }),
      () => createLibsqlBackend({ client: {} as never }),
      () => createLibsqlBackend({ url: 'ftp://example.com/db' }),
      () => createLibsqlBackend({ client: createClient({ url, intMode: 'string' }), closeClient: true }),
    ]
    for (const action of cases) expect(await codeOf(action)).toBe('INVALID_OPTIONS')
  })
})
