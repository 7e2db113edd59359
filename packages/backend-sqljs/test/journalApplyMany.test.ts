import 'fake-indexeddb/auto'
import { createStore as createIdbStore, entries } from 'idb-keyval'
import initSqlJs from 'sql.js'
import { describe, expect, it } from 'vitest'
import { collection, column, defineSchema } from '@zustand-sqlite/core'
import type { ChangeSet } from '@zustand-sqlite/core'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'
import type { JournalEntry, SqlJsBackend } from '@zustand-sqlite/backend-sqljs'

// Stores committed together (applyMany) on the IndexedDB journal: one entry, which a copy opened without the
// first one closing (a reload, a crash) replays whole, or not at all.

const sqlJs = initSqlJs()
let keys = 0
const freshKey = (): string => `journal-many-${++keys}`
const idb = createIdbStore('zustand-sqlite', 'images')

const open = (key: string): Promise<SqlJsBackend> =>
  createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 60_000 })

const schemaOf = (table: string) =>
  defineSchema({
    state: { items: collection({ table, key: 'id', columns: { id: column.text() }, timestamps: true }) },
  })
const chats = { store: 'chats', table: 'chats', schema: schemaOf('chats') }
const links = { store: 'links', table: 'links', schema: schemaOf('links') }

const write = (of: typeof chats, ids: readonly string[], baseRevision?: number): ChangeSet => ({
  store: of.store,
  schemaVersion: 1,
  stateVersion: 1,
  ...(baseRevision === undefined ? {} : { baseRevision }),
  tables: [{ table: of.table, upsert: [{ columns: ['id', 'sort_key'], rows: ids.map((id, i) => [id, `a${i}`]) }] }],
})

async function prepare(backend: SqlJsBackend): Promise<void> {
  await backend.prepare(chats.store, chats.schema.spec)
  await backend.prepare(links.store, links.schema.spec)
}

/** The journal entries stored for `key`, in order. */
async function journalOf(key: string): Promise<JournalEntry[]> {
  const all = await entries<IDBValidKey, JournalEntry>(idb)
  return all
    .filter(([k]) => Array.isArray(k) && k[0] === key && k[1] === 'journal')
    .map(([, entry]) => entry)
    .sort((a, b) => a.seq - b.seq)
}

const rowsOf = (backend: SqlJsBackend, table: string) =>
  backend.query(`SELECT id, created_at FROM ${table} ORDER BY id`)

describe('stores committed together, on the IndexedDB journal', () => {
  it('journals the commit as one entry, which a copy opened meanwhile replays whole, with the same stamps', async () => {
    const key = freshKey()
    const backend = await open(key)
    await prepare(backend)
    await backend.apply(write(chats, ['c0']))
    const results = backend.applyMany([write(links, ['l1'], 0), write(chats, ['c1'], 1)])
    expect(results).toEqual([{ revision: 1 }, { revision: 2 }])
    await backend.flush()
    expect(backend.exportCount).toBe(0)

    const last = (await journalOf(key)).at(-1)
    expect(last?.op.kind).toBe('applyMany')
    expect(last?.op.kind === 'applyMany' && last.op.changeSets.map((c) => c.store)).toEqual(['links', 'chats'])

    const other = await open(key)
    await prepare(other)
    expect((await other.load('links')).revision).toBe(1)
    expect((await other.load('chats')).revision).toBe(2)
    expect(await rowsOf(other, 'links')).toEqual(await rowsOf(backend, 'links'))
    expect(await rowsOf(other, 'chats')).toEqual(await rowsOf(backend, 'chats'))
    expect((await rowsOf(other, 'chats')).map((r) => r['id'])).toEqual(['c0', 'c1'])
  })

  it("carries the schemas of the entry's stores after a checkpoint, so that a replay can prepare them", async () => {
    const key = freshKey()
    const first = await open(key)
    await prepare(first)
    // Closing stores a checkpoint: the journal starts again from an image, and no entry carries a schema yet.
    await first.close()
    const backend = await open(key)
    await prepare(backend)
    backend.applyMany([write(chats, ['c1']), write(links, ['l1'])])
    await backend.flush()
    const [entry, ...rest] = await journalOf(key)
    expect(rest).toEqual([])
    expect(entry?.op.kind === 'applyMany' && entry.op.schemas?.map(([store]) => store)).toEqual(['chats', 'links'])

    const other = await open(key)
    await prepare(other)
    expect((await rowsOf(other, 'chats')).map((r) => r['id'])).toEqual(['c1'])
    expect((await rowsOf(other, 'links')).map((r) => r['id'])).toEqual(['l1'])
  })

  it('journals nothing for an empty or a refused commit', async () => {
    const key = freshKey()
    const backend = await open(key)
    await prepare(backend)
    await backend.flush()
    const before = (await journalOf(key)).length
    expect(backend.applyMany([])).toEqual([])
    expect(() => backend.applyMany([write(chats, ['c1']), write(links, ['l1'], 5)])).toThrow(/CONCURRENT_MODIFICATION/)
    await backend.flush()
    expect(await journalOf(key)).toHaveLength(before)
  })
})
