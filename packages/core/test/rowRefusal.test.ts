import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, isZustandSqliteError, persistSQLite, table } from '@zustand-sqlite/core'
import type { Backend, ZustandSqliteError } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { databaseOn, engines } from '../../../test-utils/backends'

interface Note {
  id: string
  title: string
  lines: { id: string; text: string }[]
}
interface Notes {
  notes: Note[]
}

// A unique index the state's shape does not know about: the database is the one to refuse a row.
const schema = defineSchema({
  state: {
    notes: collection({
      table: 'notes',
      key: 'id',
      columns: { id: column.text(), title: column.text() },
      indexes: [{ columns: ['title'], unique: true }],
      children: {
        lines: collection({ table: 'lines', key: 'id', columns: { id: column.text(), text: column.text() } }),
      },
    }),
  },
  tables: {
    events: table({ columns: { id: column.text(), kind: column.text() }, primaryKey: ['id'] }),
  },
})

function open(backend: Backend, errors: ZustandSqliteError[], rows: number[] = []) {
  return createStore<Notes>()(
    persistSQLite<Notes>(() => ({ notes: [] }), {
      name: 'notes',
      backend,
      schema,
      onError: (e) => errors.push(e as ZustandSqliteError),
      onCommit: (info) => rows.push(info.rows),
    }),
  )
}

const note = (id: string, title: string, lines: string[] = []): Note => ({
  id,
  title,
  lines: lines.map((text, i) => ({ id: `${id}-${i}`, text })),
})

async function rejection(run: () => Promise<void>): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe.each(engines)('rows the database refuses, on $name', (engine) => {
  const db = databaseOn(engine)

  it('leaves out an appended row the database refuses, reports it with its path, and goes on writing', async () => {
    const errors: ZustandSqliteError[] = []
    const store = open(await db.open(), errors)
    await hydrated(store)
    store.persist.append('events', { id: 'e1', kind: 'boot' })
    await store.persist.flush()
    // The same id again, beside a change of the state: the state is written, the row is not.
    store.persist.append('events', { id: 'e1', kind: 'again' })
    store.setState({ notes: [note('n1', 'first')] })
    const error = await rejection(() => store.persist.flush())
    expect(isZustandSqliteError(error, 'ROW_REFUSED')).toBe(true)
    expect((error as ZustandSqliteError).path).toBe('events["e1"]')
    expect(errors.map((e) => e.code)).toEqual(['ROW_REFUSED'])
    // Not queued again: later writes go through.
    store.persist.append('events', { id: 'e2', kind: 'later' })
    store.setState({ notes: [note('n1', 'first'), note('n2', 'second')] })
    await store.persist.flush()
    const backend = await db.open()
    expect(await backend.query('SELECT id, kind FROM events ORDER BY id')).toEqual([
      { id: 'e1', kind: 'boot' },
      { id: 'e2', kind: 'later' },
    ])
    expect(await backend.query('SELECT id FROM notes ORDER BY id')).toEqual([{ id: 'n1' }, { id: 'n2' }])
  })

  it('holds back a row of the state the database refuses, with its nested rows, until it changes', async () => {
    const errors: ZustandSqliteError[] = []
    const store = open(await db.open(), errors)
    await hydrated(store)
    store.setState({ notes: [note('n1', 'same', ['a'])] })
    await store.persist.flush()
    // n2 takes a title n1 has: the database refuses n2's row (and its lines, which need it).
    store.setState({ notes: [note('n1', 'same', ['a', 'b']), note('n2', 'same', ['c', 'd'])] })
    const error = await rejection(() => store.persist.flush())
    expect(isZustandSqliteError(error, 'ROW_REFUSED')).toBe(true)
    expect((error as ZustandSqliteError).path).toBe('notes[id="n2"]')
    expect(errors).toHaveLength(1)
    // A change elsewhere is written, and does not report n2 again.
    store.setState((s) => ({
      notes: [{ ...s.notes[0]!, lines: [...s.notes[0]!.lines, { id: 'n1-9', text: 'z' }] }, s.notes[1]!],
    }))
    await store.persist.flush()
    expect(errors).toHaveLength(1)
    // n2 changes into a row the database takes: it is written whole, its lines too.
    store.setState((s) => ({ notes: [s.notes[0]!, { ...s.notes[1]!, title: 'other' }] }))
    await store.persist.flush()
    const again = open(await db.open(), [])
    await hydrated(again)
    expect(again.getState().notes).toEqual(store.getState().notes)
  })

  it('writes only what changed while an array holds a duplicate it leaves out', async () => {
    const errors: ZustandSqliteError[] = []
    const rows: number[] = []
    const store = open(await db.open(), errors, rows)
    await hydrated(store)
    const many = Array.from({ length: 100 }, (_, i) => note(`n${i}`, `title ${i}`))
    store.setState({ notes: many })
    await store.persist.flush()
    // A note appended twice: the second is left out, nothing else is written again.
    store.setState((s) => ({ notes: [...s.notes, note('n200', 'new'), s.notes[5]!] }))
    expect(isZustandSqliteError(await rejection(() => store.persist.flush()), 'DUPLICATE_KEY')).toBe(true)
    // A note put first, one edited: two rows, not one per item whose place moved.
    store.setState((s) => ({
      notes: [note('n300', 'first'), ...s.notes.map((n) => (n.id === 'n7' ? { ...n, title: 'edited' } : n))],
    }))
    await store.persist.flush()
    expect(rows.slice(-2)).toEqual([1, 2])
    expect(errors).toHaveLength(1)
    const again = open(await db.open(), [])
    await hydrated(again)
    expect(again.getState().notes.map((n) => n.id)).toEqual(['n300', ...many.map((n) => n.id), 'n200'])
    expect(again.getState().notes.find((n) => n.id === 'n7')?.title).toBe('edited')
  })
})
