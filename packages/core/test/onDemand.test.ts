import { describe, expect, it } from 'vitest'
import {
  collection,
  column,
  defineSchema,
  isLoaded,
  isZustandSqliteError,
  NOT_LOADED,
  replaceAt,
  replaceStored,
} from '@zustand-sqlite/core'
import type { ChangeSet, ZustandSqliteError } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { tempDatabase } from '../../../test-utils/backends'
import { asyncBackend, recordingBackend } from './helpers'
import type { Call } from './helpers'
import { line, openNotes as open } from './notesOnDemand'
import type { Note, Notes } from './notesOnDemand'

const note = (id: string, lines: number): Note => ({
  id,
  title: `title ${id}`,
  lines: Array.from({ length: lines }, (_, i) => line(`${id}.${i}`)),
})

function rows(backend: ReturnType<typeof createBetterSqlite3Backend>, sql: string): unknown[] {
  return backend.query(sql) as unknown[]
}

/** A database holding notes a (3 lines), b (2 lines) and c (0 lines), written by a store hydrated in full. */
async function seeded(): Promise<{ backend: ReturnType<typeof createBetterSqlite3Backend>; filename: string }> {
  const filename = tempDatabase().file
  const backend = createBetterSqlite3Backend({ filename })
  const full = open(backend)
  full.setState({ notes: [note('a', 3), note('b', 2), note('c', 0)] })
  await full.persist.flush()
  return { backend, filename }
}

describe('schema: collections loaded on demand', () => {
  const make = (children: Record<string, ReturnType<typeof collection>>, load?: 'onDemand') =>
    defineSchema({
      state: {
        top: collection({ table: 'top', key: 'id', ...(load === undefined ? {} : { load }), children }),
      },
    })
  const lines = (options: Partial<Parameters<typeof collection>[0]> = {}) =>
    collection({ table: 'lines', key: 'id', ...options })

  it('keeps the count in an INTEGER column of the parent', () => {
    const compiled = make({ lines: lines({ load: 'onDemand', countField: 'lineCount' }) })
    const top = compiled.spec.tables.find((t) => t.name === 'top')
    expect(top?.columns.find((c) => c.name === 'line_count')).toMatchObject({ type: 'INTEGER', notNull: false })
  })

  it.each([
    ['a top-level collection', () => make({}, 'onDemand'), /top-level collection is loaded at hydration/],
    [
      'a collection two levels down',
      () =>
        make({
          lines: lines({
            children: { words: collection({ table: 'words', key: 'id', load: 'onDemand' }) },
          }),
        }),
      /only a collection nested directly in a top-level collection/,
    ],
    ['a count without load on demand', () => make({ lines: lines({ countField: 'n' }) }), /countField is for/],
    ['a count column without a count field', () => make({ lines: lines({ countColumn: 'n' }) }), /needs a countField/],
    [
      'a count field that is a column',
      () =>
        defineSchema({
          state: {
            top: collection({
              table: 'top',
              key: 'id',
              columns: { n: column.integer() },
              children: { lines: lines({ load: 'onDemand', countField: 'n' }) },
            }),
          },
        }),
      /two columns are named "n"/,
    ],
    ['an unknown load', () => make({ lines: lines({ load: 'later' as 'onDemand' }) }), /load must be/],
  ])('refuses %s with INVALID_SCHEMA', (_, build, message) => {
    let caught: unknown
    try {
      build()
    } catch (error) {
      caught = error
    }
    expect(isZustandSqliteError(caught, 'INVALID_SCHEMA')).toBe(true)
    expect((caught as Error).message).toMatch(message)
  })
})

describe("hydrate: 'onDemand'", () => {
  it('leaves the lines out of hydration, with their counts, and never reads their tables', async () => {
    const { filename } = await seeded()
    const calls: Call[] = []
    const backend = recordingBackend(createBetterSqlite3Backend({ filename }), calls)
    const store = open(backend, { hydrate: 'onDemand' })
    const notes = store.getState().notes
    expect(notes.map((n) => [n.id, n.title, n.lineCount])).toEqual([
      ['a', 'title a', 3],
      ['b', 'title b', 2],
      ['c', 'title c', 0],
    ])
    for (const n of notes) {
      expect(n.lines).toBe(NOT_LOADED)
      expect(isLoaded(n.lines)).toBe(false)
    }
    expect(calls.find((c) => c.method === 'load')?.args[1]).toEqual({ skipTables: ['lines', 'words'] })
    expect(calls.some((c) => c.method === 'query')).toBe(false)
  })

  it('hydrates in full by default, counts kept up to date by every write', async () => {
    const { backend, filename } = await seeded()
    const store = open(createBetterSqlite3Backend({ filename }))
    expect(store.getState().notes[0]?.lines).toHaveLength(3)
    expect(store.getState().notes[0]).not.toHaveProperty('lineCount')
    store.setState((s) => ({ notes: replaceAt(s.notes, 0, { ...s.notes[0]!, lines: [line('x')] }) }))
    await store.persist.flush()
    expect(rows(backend, 'SELECT id, line_count AS n FROM notes ORDER BY id')).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
      { id: 'c', n: 0 },
    ])
  })

  it('loadOnDemand puts one note’s lines into the state and the mirror, writing nothing', async () => {
    const { backend, filename } = await seeded()
    const commits: ChangeSet[] = []
    const store = open(createBetterSqlite3Backend({ filename }), {
      hydrate: 'onDemand',
      onCommit: (info) => commits.push(info.changeSet),
    })
    const loading = store.persist.loadOnDemand('notes', 'a')
    // Synchronous backend: in the state when the call returns.
    const a = store.getState().notes[0] as Note
    expect(a.lines).toEqual(note('a', 3).lines)
    expect(a).not.toHaveProperty('lineCount')
    expect(store.getState().notes[1]?.lines).toBe(NOT_LOADED)
    await loading
    await store.persist.flush()
    expect(commits).toEqual([])

    // An edit of a loaded line writes that line; an append writes the line, its word and the count.
    store.setState((s) => {
      const n = s.notes[0] as Note
      return {
        notes: replaceAt(s.notes, 0, { ...n, lines: replaceAt(n.lines, 1, { ...n.lines[1]!, text: 'edited' }) }),
      }
    })
    store.setState((s) => {
      const n = s.notes[0] as Note
      return { notes: replaceAt(s.notes, 0, { ...n, lines: [...n.lines, line('a.new')] }) }
    })
    await store.persist.flush()
    expect(commits).toHaveLength(1)
    const changes = commits[0]?.tables ?? []
    expect(changes.map((t) => t.table)).toEqual(['notes', 'lines', 'words'])
    expect(
      changes.map((t) => [...(t.update ?? []), ...(t.upsert ?? [])].reduce((n, b) => n + b.rows.length, 0)),
    ).toEqual([1, 2, 1])
    expect(rows(backend, "SELECT line_count AS n FROM notes WHERE id = 'a'")).toEqual([{ n: 4 }])
    // Loading again keeps the state as it is.
    const before = store.getState().notes
    await store.persist.loadOnDemand('notes', 'a')
    expect(store.getState().notes).toBe(before)
  })

  it('writes an unloaded note’s own fields without touching its lines or its count', async () => {
    const { backend, filename } = await seeded()
    const store = open(createBetterSqlite3Backend({ filename }), { hydrate: 'onDemand' })
    store.setState((s) => ({ notes: replaceAt(s.notes, 1, { ...s.notes[1]!, title: 'renamed' }) }))
    await store.persist.flush()
    expect(rows(backend, "SELECT title, line_count AS n FROM notes WHERE id = 'b'")).toEqual([
      { title: 'renamed', n: 2 },
    ])
    expect(rows(backend, "SELECT count(*) AS n FROM lines WHERE notes_id = 'b'")).toEqual([{ n: 2 }])
    expect(rows(backend, "SELECT count(*) AS n FROM words WHERE lines_notes_id = 'b'")).toEqual([{ n: 2 }])
  })

  it('refuses lines made in place of unloaded ones, writes the rest, and loses no stored line', async () => {
    const { backend, filename } = await seeded()
    const errors: ZustandSqliteError[] = []
    const store = open(createBetterSqlite3Backend({ filename }), {
      hydrate: 'onDemand',
      onError: (error) => errors.push(error),
    })
    store.setState((s) => ({
      notes: [
        { ...s.notes[0]!, lines: [...s.notes[0]!.lines, line('a.new')] },
        { ...s.notes[1]!, title: 'b renamed' },
        s.notes[2]!,
      ],
    }))
    await expect(store.persist.flush()).rejects.toMatchObject({ code: 'NOT_LOADED', path: 'notes[id="a"].lines' })
    expect(errors.map((e) => e.code)).toEqual(['NOT_LOADED'])
    expect(errors[0]?.message).toMatch(/not loaded/)
    expect(rows(backend, "SELECT id FROM lines WHERE notes_id = 'a' ORDER BY sort_key")).toEqual([
      { id: 'a.0' },
      { id: 'a.1' },
      { id: 'a.2' },
    ])
    expect(rows(backend, "SELECT title FROM notes WHERE id = 'b'")).toEqual([{ title: 'b renamed' }])
  })

  it('replaceStored replaces an unloaded note’s stored lines, and only those', async () => {
    const { backend, filename } = await seeded()
    const shared = createBetterSqlite3Backend({ filename })
    const store = open(shared, { hydrate: 'onDemand' })
    const other = open(shared, { hydrate: 'onDemand' })
    store.setState((s) => ({
      notes: replaceAt(s.notes, 0, { ...s.notes[0]!, title: 'new history', lines: replaceStored([line('z')]) }),
    }))
    await store.persist.flush()
    expect(rows(backend, 'SELECT id, title, line_count AS n FROM notes ORDER BY id')).toEqual([
      { id: 'a', title: 'new history', n: 1 },
      { id: 'b', title: 'title b', n: 2 },
      { id: 'c', title: 'title c', n: 0 },
    ])
    expect(rows(backend, "SELECT id FROM lines WHERE notes_id = 'a'")).toEqual([{ id: 'z' }])
    expect(rows(backend, "SELECT id FROM words WHERE lines_notes_id = 'a'")).toEqual([{ id: 'zw' }])
    expect(rows(backend, 'SELECT count(*) AS n FROM lines')).toEqual([{ n: 3 }])
    // Another store on the backend takes the note in whole, its lines loaded.
    expect((other.getState().notes[0] as Note).lines.map((l) => l.id)).toEqual(['z'])
    // The same written again, now loaded, writes nothing more.
    store.setState((s) => ({ notes: [...s.notes] }))
    await store.persist.flush()
    expect(rows(backend, "SELECT id FROM lines WHERE notes_id = 'a'")).toEqual([{ id: 'z' }])
  })

  it('deleting an unloaded note deletes its lines and their words', async () => {
    const { backend, filename } = await seeded()
    const store = open(createBetterSqlite3Backend({ filename }), { hydrate: 'onDemand' })
    store.setState((s) => ({ notes: s.notes.filter((n) => n.id !== 'a') }))
    await store.persist.flush()
    expect(rows(backend, "SELECT count(*) AS n FROM lines WHERE notes_id = 'a'")).toEqual([{ n: 0 }])
    expect(rows(backend, "SELECT count(*) AS n FROM words WHERE lines_notes_id = 'a'")).toEqual([{ n: 0 }])
    expect(rows(backend, 'SELECT count(*) AS n FROM lines')).toEqual([{ n: 2 }])
  })

  it('takes another writer’s commit to an unloaded note: its count, not its rows', async () => {
    const { filename } = await seeded()
    const shared = createBetterSqlite3Backend({ filename })
    const lazy = open(shared, { hydrate: 'onDemand' })
    const full = open(shared)
    full.setState((s) => ({
      notes: replaceAt(s.notes, 0, { ...s.notes[0]!, lines: [...s.notes[0]!.lines, line('a.3')] }),
    }))
    await full.persist.flush()
    const a = lazy.getState().notes[0] as Note
    expect(a.lines).toBe(NOT_LOADED)
    expect(a.lineCount).toBe(4)
    await lazy.persist.loadOnDemand('notes', 'a')
    expect((lazy.getState().notes[0] as Note).lines.map((l) => l.id)).toEqual(['a.0', 'a.1', 'a.2', 'a.3'])
    // Once loaded, the next commit of the other writer reaches its lines.
    full.setState((s) => ({ notes: replaceAt(s.notes, 0, { ...s.notes[0]!, lines: s.notes[0]!.lines.slice(1) }) }))
    await full.persist.flush()
    expect((lazy.getState().notes[0] as Note).lines.map((l) => l.id)).toEqual(['a.1', 'a.2', 'a.3'])
  })

  it('works the same on an asynchronous backend', async () => {
    const { filename } = await seeded()
    const store = open(asyncBackend(createBetterSqlite3Backend({ filename })), { hydrate: 'onDemand' })
    await store.persist.rehydrate()
    expect(store.getState().notes[1]?.lines).toBe(NOT_LOADED)
    await store.persist.loadOnDemand('notes', 'b')
    expect(store.getState().notes[1]?.lines).toEqual(note('b', 2).lines)
  })

  it('hydrates a stored state of another version in full, for migrate', async () => {
    const { filename } = await seeded()
    let seen: unknown
    const store = open(createBetterSqlite3Backend({ filename }), {
      hydrate: 'onDemand',
      version: 1,
      migrate: (persisted) => {
        seen = persisted
        return persisted as Notes
      },
    })
    expect(((seen as Notes).notes[0] as Note).lines).toHaveLength(3)
    expect(store.getState().notes[0]?.lines).toHaveLength(3)
  })

  it('reads nothing for an item loaded already, or hydrated in full by a backend that loads every table', async () => {
    const { filename } = await seeded()
    const calls: Call[] = []
    const inner = createBetterSqlite3Backend({ filename })
    // A backend that neither leaves tables out nor runs SQL, as the HTTP backend.
    const backend = recordingBackend(
      {
        ...inner,
        load: (store) => inner.load(store),
        query: () => {
          throw new Error('no SQL here')
        },
      },
      calls,
    )
    const store = open(backend, { hydrate: 'onDemand' })
    expect(store.getState().notes[0]?.lines).toHaveLength(3)
    await store.persist.loadOnDemand('notes', 'a')
    await store.persist.loadOnDemand('notes', 'missing')
    expect(calls.filter((c) => c.method === 'query')).toEqual([])
  })

  it('refuses a field without collections loaded on demand, and a key of the wrong type', async () => {
    const { filename } = await seeded()
    const store = open(createBetterSqlite3Backend({ filename }), { hydrate: 'onDemand' })
    await expect(store.persist.loadOnDemand('other', 'a')).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    await expect(store.persist.loadOnDemand('notes', 1)).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    expect(() => open(createBetterSqlite3Backend({ filename }), { hydrate: 'lazy' as 'full' })).toThrow(
      /`hydrate` must be/,
    )
  })
})
