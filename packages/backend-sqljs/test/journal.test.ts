import 'fake-indexeddb/auto'
import { createStore as createIdbStore, entries, set } from 'idb-keyval'
import initSqlJs from 'sql.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite, table } from '@zustand-sqlite/core'
import type { ZustandSqliteError } from '@zustand-sqlite/core'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'
import type { ImageJournal, ImageStorage, SqlJsBackend, SqlJsBackendOptions } from '@zustand-sqlite/backend-sqljs'

// The IndexedDB journal, on fake-indexeddb: what is stored, what a reopened backend replays, and what two
// copies on one database do. (A page reloaded right after a set() is in test/browser-scenarios.)

const sqlJs = initSqlJs()
let keys = 0
const freshKey = (): string => `journal-test-${++keys}`
const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
const idb = createIdbStore('zustand-sqlite', 'images')

afterEach(() => {
  vi.unstubAllGlobals()
})

const open = (key: string, options: Partial<SqlJsBackendOptions> = {}): Promise<SqlJsBackend> =>
  createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 60_000, ...options })

type Counter = { n: number }
const counterStore = (backend: SqlJsBackend, onError: (e: unknown) => void = () => undefined) =>
  createStore<Counter>()(persistSQLite(() => ({ n: 0 }), { name: 'counter', backend, onError }))

const notesSchema = defineSchema({
  state: {
    notes: collection({
      table: 'notes',
      key: 'id',
      columns: { id: column.text(), text: column.text() },
      timestamps: true,
    }),
  },
  tables: {
    events: table({ columns: { id: column.integer({ optional: true }), name: column.text() }, primaryKey: ['id'] }),
  },
})
type Notes = { notes: { id: string; text: string }[] }
const notesStore = (backend: SqlJsBackend) =>
  createStore<Notes>()(
    persistSQLite(() => ({ notes: [] as Notes['notes'] }), { name: 'notes', schema: notesSchema, backend }),
  )

/** The journal entries stored for `key`, by seq. */
async function journalOf(key: string): Promise<{ seq: number; prev: string; id: string }[]> {
  const all = await entries<IDBValidKey, { seq: number; prev: string; id: string }>(idb)
  return all
    .filter(([k]) => Array.isArray(k) && k[0] === key && k[1] === 'journal')
    .map(([, entry]) => entry)
    .sort((a, b) => a.seq - b.seq)
}

describe('the IndexedDB journal', () => {
  it('makes a commit durable with a journal entry, without storing the image', async () => {
    const key = freshKey()
    const backend = await open(key)
    const store = counterStore(backend)
    store.setState({ n: 1 })
    await store.persist.flush()
    store.setState({ n: 2 })
    await store.persist.flush()
    expect(backend.exportCount).toBe(0)
    expect((await journalOf(key)).length).toBeGreaterThanOrEqual(2)
    // A second copy, opened while the first is still open, replays the journal.
    const other = await open(key)
    expect(counterStore(other).getState().n).toBe(2)
  })

  it('journals a commit in the tick it is made, never exporting inside set()', async () => {
    const key = freshKey()
    const backend = await open(key, { flushIntervalMs: 0 })
    const store = counterStore(backend)
    await store.persist.flush()
    let exportsInSet = 0
    let inSet = false
    const original = backend.database.export.bind(backend.database)
    backend.database.export = () => {
      if (inSet) exportsInSet++
      return original()
    }
    const before = (await journalOf(key)).length
    for (let i = 1; i <= 20; i++) {
      inSet = true
      store.setState({ n: i })
      inSet = false
      await Promise.resolve()
    }
    await tick(20)
    expect(exportsInSet).toBe(0)
    expect(backend.exportCount).toBe(0)
    expect((await journalOf(key)).length).toBe(before + 20)
    expect(counterStore(await open(key)).getState().n).toBe(20)
  })

  it('replays journaled commits on the image in order, each once, with the times they were stamped with', async () => {
    const key = freshKey()
    const backend = await open(key)
    const store = notesStore(backend)
    const rows = (b: SqlJsBackend) =>
      Promise.all([
        b.query('SELECT id, text, created_at, updated_at FROM notes ORDER BY id'),
        b.query('SELECT id, name FROM events ORDER BY id'),
      ])
    store.setState({ notes: [{ id: 'a', text: 'first' }] })
    store.persist.append('events', { name: 'one' })
    await store.persist.flush()
    await tick(2)
    store.setState({
      notes: [
        { id: 'b', text: 'second' },
        { id: 'a', text: 'first, edited' },
      ],
    })
    store.persist.append('events', [{ name: 'two' }, { name: 'three' }])
    await store.persist.flush()
    const beforeClear = await rows(backend)
    expect(beforeClear[1].map((e) => e['name'])).toEqual(['one', 'two', 'three'])
    const midway = await open(key)
    expect(await rows(midway)).toEqual(beforeClear)
    await midway.close()

    await store.persist.clearStorage()
    store.setState({ notes: [{ id: 'c', text: 'after the clear' }] })
    store.persist.append('events', { name: 'four' })
    await store.persist.flush()
    const live = await rows(backend)
    expect(live[1].map((e) => e['name'])).toEqual(['four'])
    expect(backend.exportCount).toBe(0)
    for (let i = 0; i < 2; i++) {
      const reopened = await open(key)
      expect(notesStore(reopened).getState().notes).toEqual([{ id: 'c', text: 'after the clear' }])
      expect(await rows(reopened)).toEqual(live)
    }
  })

  it('opens an image stored by an earlier version (image and token, no journal) and journals on top of it', async () => {
    const key = freshKey()
    const seed = await createSqlJsBackend({ sqlJs, storage: 'memory' })
    const s = counterStore(seed)
    s.setState({ n: 9 })
    await s.persist.flush()
    // The format of earlier versions: the image under the key and its token beside it, nothing else.
    await set(key, seed.database.export(), idb)
    await set(`${key}:token`, 'abc123:lz0:1', idb)

    const backend = await open(key)
    const store = counterStore(backend)
    expect(store.getState().n).toBe(9)
    store.setState({ n: 10 })
    await store.persist.flush()
    expect(backend.exportCount).toBe(0)
    expect(counterStore(await open(key)).getState().n).toBe(10)
  })

  it('stores a checkpoint once the journal passes checkpointEntries, and keeps every commit through it', async () => {
    const key = freshKey()
    const backend = await open(key, { checkpointEntries: 5, flushIntervalMs: 0 })
    const store = notesStore(backend)
    for (let i = 0; i < 12; i++) {
      store.setState((s) => ({ notes: [...s.notes, { id: `n${i}`, text: `note ${i}` }] }))
      store.persist.append('events', { name: `e${i}` })
      await store.persist.flush()
      await tick(5)
    }
    // 13 commits (the store's tables, then 12 writes): a checkpoint per 5 entries, not an image per flush.
    expect(backend.exportCount).toBeGreaterThanOrEqual(2)
    expect(backend.exportCount).toBeLessThanOrEqual(4)
    // A checkpoint removes the entries its image includes.
    expect((await journalOf(key)).length).toBeLessThan(5)
    expect(await backend.query('SELECT foreign_keys FROM pragma_foreign_keys')).toEqual([{ foreign_keys: 1 }])

    const reopened = await open(key)
    expect(
      notesStore(reopened)
        .getState()
        .notes.map((n) => n.id),
    ).toEqual(Array.from({ length: 12 }, (_, i) => `n${i}`))
    expect(await reopened.query('SELECT count(*) AS n FROM events')).toEqual([{ n: 12 }])
  })

  it('stores a checkpoint when it closes, and opens from it with nothing to replay', async () => {
    const key = freshKey()
    const backend = await open(key)
    const store = counterStore(backend)
    store.setState({ n: 3 })
    await store.persist.flush()
    expect(backend.exportCount).toBe(0)
    await backend.close()
    expect(backend.exportCount).toBe(1)
    expect(await journalOf(key)).toEqual([])
    expect(counterStore(await open(key)).getState().n).toBe(3)
  })

  it('ignores an entry that does not follow the stored commits, and removes it at the next checkpoint', async () => {
    const key = freshKey()
    const backend = await open(key)
    const store = counterStore(backend)
    store.setState({ n: 1 })
    await store.persist.flush()
    const last = (await journalOf(key)).at(-1)
    // What a copy that lost a race, or was closed between two writes, can leave: an entry linked to nothing stored.
    const stray = {
      seq: (last?.seq ?? 0) + 1,
      id: 'stray',
      prev: 'not-stored',
      op: { kind: 'clear', store: 'counter' },
    }
    await set([key, 'journal', stray.seq], stray, idb)

    const reopened = await open(key)
    const again = counterStore(reopened)
    expect(again.getState().n).toBe(1)
    again.setState({ n: 2 })
    await again.persist.flush()
    expect((await journalOf(key)).some((e) => e.id === 'stray')).toBe(false)
    expect(counterStore(await open(key)).getState().n).toBe(2)
  })

  it('refuses to open a journal it cannot replay, leaving it as it is', async () => {
    const key = freshKey()
    const backend = await open(key)
    const store = counterStore(backend)
    store.setState({ n: 1 })
    await store.persist.flush()
    const last = (await journalOf(key)).at(-1)
    const broken = {
      seq: (last?.seq ?? 0) + 1,
      id: 'broken',
      prev: last?.id,
      op: { kind: 'apply', changeSet: { store: 'counter', schemaVersion: 99, tables: [] } },
    }
    await set([key, 'journal', broken.seq], broken, idb)
    await expect(open(key)).rejects.toMatchObject({ code: 'CORRUPT_DATABASE' })
    expect((await journalOf(key)).map((e) => e.id)).toContain('broken')
  })

  it('stores the image when a journal write fails, so that flush() still means durable', async () => {
    const key = freshKey()
    const storage = indexedDbStorage({ key })
    const journal = storage.journal as ImageJournal
    let failures = 1
    const flaky: ImageStorage = {
      ...storage,
      journal: {
        ...journal,
        append: (entry) => {
          if (failures-- > 0) return Promise.reject(new Error('quota exceeded'))
          return journal.append(entry)
        },
      },
    }
    const backend = await createSqlJsBackend({ sqlJs, storage: flaky, flushIntervalMs: 60_000 })
    const store = counterStore(backend)
    store.setState({ n: 1 })
    await store.persist.flush()
    expect(backend.exportCount).toBe(1)
    // Once an image holds what the failed entry missed, commits are journaled again.
    store.setState({ n: 2 })
    await store.persist.flush()
    expect(backend.exportCount).toBe(1)
    expect(counterStore(await open(key)).getState().n).toBe(2)
  })
})

describe('two copies on one database (two tabs)', () => {
  it('refuses the second writer, keeps the first one writing, and loses nothing acknowledged', async () => {
    const key = freshKey()
    const tabA = await open(key)
    const tabB = await open(key)
    const errorsB: unknown[] = []
    const a = counterStore(tabA)
    const b = counterStore(tabB, (e) => errorsB.push(e))
    a.setState({ n: 1 })
    await a.persist.flush()
    b.setState({ n: 2 })
    await expect(b.persist.flush()).rejects.toMatchObject({ code: 'CONCURRENT_MODIFICATION' })
    a.setState({ n: 3 })
    await a.persist.flush()
    // The refused copy stores nothing over the other one's commits, not even when its page is left or it closes.
    b.setState({ n: 4 })
    await expect(tabB.close()).rejects.toMatchObject({ code: 'CONCURRENT_MODIFICATION' })
    expect(errorsB.length).toBeGreaterThan(0)
    expect(counterStore(await open(key)).getState().n).toBe(3)
  })

  it('lets a copy opened after the other one’s last commit write once that one is closed', async () => {
    const key = freshKey()
    const first = await open(key)
    const a = counterStore(first)
    a.setState({ n: 1 })
    await a.persist.flush()
    const second = await open(key)
    const b = counterStore(second)
    expect(b.getState().n).toBe(1)
    await first.close()
    b.setState({ n: 2 })
    await b.persist.flush()
    expect(counterStore(await open(key)).getState().n).toBe(2)
  })

  it('refuses a copy whose entries follow an image the other copy has replaced since', async () => {
    const key = freshKey()
    const first = await open(key)
    const a = counterStore(first)
    a.setState({ n: 1 })
    await a.persist.flush()
    const second = await open(key)
    const b = counterStore(second)
    a.setState({ n: 2 })
    await a.persist.flush()
    // The checkpoint of the first copy removes the entries: the second copy's next entry finds its seq free.
    await first.close()
    b.setState({ n: 5 })
    await expect(b.persist.flush()).rejects.toMatchObject({ code: 'CONCURRENT_MODIFICATION' })
    expect(counterStore(await open(key)).getState().n).toBe(2)
  })

  it('lets exactly one of two copies win when both flush at once, and keeps what it acknowledged', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const key = freshKey()
      const tabs = await Promise.all([open(key), open(key)])
      const stores = tabs.map((tab) => counterStore(tab))
      const outcomes = await Promise.all(
        stores.map((store, i) => {
          store.setState({ n: i + 1 })
          return store.persist.flush().then(
            () => 'ok',
            (error: ZustandSqliteError) => error.code,
          )
        }),
      )
      expect([...outcomes].sort()).toEqual(['CONCURRENT_MODIFICATION', 'ok'])
      const winner = outcomes.indexOf('ok')
      expect(counterStore(await open(key)).getState().n).toBe(winner + 1)
    }
  })
})
