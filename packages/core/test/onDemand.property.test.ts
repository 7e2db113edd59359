import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { isLoaded, replaceAt, replaceStored } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { line as makeLine, openNotes as open } from './notesOnDemand'
import type { Line, Note, Notes } from './notesOnDemand'

// A store hydrated on demand, which loads a note's lines before it changes them and is reopened now and
// then (its notes unloaded again), must leave the database exactly as a store hydrated in full does after
// the same changes: the same notes, counts, lines (in order) and words.

type Db = ReturnType<typeof createBetterSqlite3Backend>

type Store = ReturnType<typeof open>

let counter = 0
const fresh = (prefix: string) => `${prefix}${++counter}`
const line = (text: string): Line => makeLine(fresh('l'), text)

interface Op {
  kind: number
  a: number
  b: number
  text: string
}
const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.nat({ max: 9 }),
  a: fc.nat({ max: 100 }),
  b: fc.nat({ max: 100 }),
  text: fc.string({ maxLength: 6 }),
})

/** The note at `a` (modulo), its lines changed by `change`; the state as it is without notes. */
function withLines(s: Notes, a: number, change: (lines: Line[]) => Line[]): Partial<Notes> {
  if (s.notes.length === 0) return s
  const i = a % s.notes.length
  // The count field is there while the lines are not loaded: a note given its lines drops it.
  const { lineCount: _count, ...n } = s.notes[i] as Note
  return { notes: replaceAt(s.notes, i, { ...n, lines: change(n.lines) }) }
}

/** The change `x` makes, the same for both stores once the note's lines are loaded. */
function change(x: Op): ((s: Notes) => Partial<Notes>) | undefined {
  switch (x.kind) {
    case 0:
      return (s) =>
        s.notes.length === 0
          ? s
          : { notes: replaceAt(s.notes, x.a % s.notes.length, { ...s.notes[x.a % s.notes.length]!, title: x.text }) }
    case 1:
      return (s) =>
        withLines(s, x.a, (l) =>
          l.length === 0 ? l : (replaceAt(l, x.b % l.length, { ...l[x.b % l.length]!, text: x.text }) as Line[]),
        )
    case 2: {
      const added = line(x.text)
      return (s) => withLines(s, x.a, (l) => [...l, added])
    }
    case 3:
      return (s) => withLines(s, x.a, (l) => l.filter((_, j) => j !== x.b % Math.max(1, l.length)))
    case 4:
      return (s) => ({ notes: s.notes.filter((_, j) => j !== x.a % Math.max(1, s.notes.length)) })
    case 5: {
      const note: Note = { id: fresh('n'), title: x.text, lines: Array.from({ length: x.b % 4 }, () => line(x.text)) }
      return (s) => ({ notes: [note, ...s.notes] })
    }
    case 7:
      return (s) =>
        withLines(s, x.a, (l) => (l.length < 2 ? l : [l[x.b % l.length]!, ...l.filter((_, j) => j !== x.b % l.length)]))
    case 9: {
      // A whole new history, unloaded or not: `replaceStored` says it replaces whatever is stored.
      const lines = Array.from({ length: x.b % 3 }, () => line(x.text))
      return (s) => withLines(s, x.a, () => replaceStored(lines.slice()))
    }
    default:
      return undefined
  }
}

const needsLines = (x: Op): boolean => x.kind === 1 || x.kind === 2 || x.kind === 3 || x.kind === 7

function contents(db: Db): unknown {
  return {
    notes: db.query('SELECT id, title, line_count FROM notes ORDER BY id'),
    lines: db.query('SELECT notes_id, id, text FROM lines ORDER BY notes_id, sort_key, id'),
    words: db.query('SELECT lines_notes_id, lines_id, id, w FROM words ORDER BY lines_notes_id, lines_id, id'),
  }
}

describe('stores hydrated on demand write what stores hydrated in full write', () => {
  it('for any sequence of changes, loads and reopenings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const fullDb = createBetterSqlite3Backend({ filename: ':memory:' })
        const lazyDb = createBetterSqlite3Backend({ filename: ':memory:' })
        const seed: Notes = {
          notes: [0, 1, 2].map((k) => ({ id: `s${k}`, title: `t${k}`, lines: [line('a'), line('b')] })),
        }
        const full = open(fullDb)
        let lazy: Store = open(lazyDb)
        full.setState(seed)
        lazy.setState(seed)
        await Promise.all([full.persist.flush(), lazy.persist.flush()])
        lazy = open(lazyDb, { hydrate: 'onDemand' })
        for (const x of ops) {
          if (x.kind === 6) {
            lazy = open(lazyDb, { hydrate: 'onDemand' })
            continue
          }
          const notes = lazy.getState().notes
          if ((needsLines(x) || x.kind === 8) && notes.length > 0) {
            const target = notes[x.a % notes.length] as Note
            if (!isLoaded(target.lines)) await lazy.persist.loadOnDemand('notes', target.id)
          }
          const f = change(x)
          if (f === undefined) continue
          full.setState(f)
          lazy.setState(f)
          await Promise.all([full.persist.flush(), lazy.persist.flush()])
          expect(contents(lazyDb)).toEqual(contents(fullDb))
        }
        // Loading every note gives the state the full store holds.
        for (const n of lazy.getState().notes) await lazy.persist.loadOnDemand('notes', n.id)
        expect(lazy.getState().notes).toEqual(full.getState().notes)
        fullDb.close()
        lazyDb.close()
      }),
      { numRuns: 150 },
    )
  })
})
