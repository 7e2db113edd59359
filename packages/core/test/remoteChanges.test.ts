import { describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import {
  collection,
  column,
  commitListeners,
  defineSchema,
  persistSQLite,
  readStoredState,
  writeStoredState,
} from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { tempDatabase } from '../../../test-utils/backends'
import { asyncBackend, recordingBackend } from './helpers'
import type { Call } from './helpers'

interface Line {
  id: string
  text: string
}
interface Note {
  id: string
  title: string
  lines: Line[]
}
interface Notes {
  notes: Note[]
  owner: string
}

const schema = defineSchema({
  state: {
    notes: collection({
      table: 'notes',
      key: 'id',
      columns: { id: column.text(), title: column.text() },
      children: {
        lines: collection({ table: 'lines', key: 'id', columns: { id: column.text(), text: column.text() } }),
      },
    }),
  },
})

const open = (backend: Backend, commits: number[] = []) =>
  createStore<Notes>()(
    persistSQLite(() => ({ notes: [] as Note[], owner: 'nobody' }), {
      name: 'notes',
      backend,
      schema,
      onCommit: (info) => commits.push(info.rows),
    }),
  )

const note = (id: string, lines: string[] = []): Note => ({
  id,
  title: `note ${id}`,
  lines: lines.map((text, i) => ({ id: `${id}.${i}`, text })),
})

const loads = (calls: Call[]): number => calls.filter((c) => c.method === 'load').length

describe.each([
  { kind: 'a synchronous backend', wrap: (b: Backend, calls: Call[]) => recordingBackend(b, calls) },
  { kind: 'an asynchronous backend', wrap: (b: Backend, calls: Call[]) => asyncBackend(b, calls) },
])('commits of another store on one backend, on $kind', ({ wrap }) => {
  it('reach an open store at the cost of what changed, without loading it again', async () => {
    const calls: Call[] = []
    const backend = wrap(createBetterSqlite3Backend({ filename: ':memory:' }), calls)
    const a = open(backend)
    await hydrated(a)
    a.setState({ notes: [note('n1', ['x']), note('n2', ['y'])], owner: 'a' })
    await a.persist.flush()
    const bCommits: number[] = []
    const b = open(backend, bCommits)
    await hydrated(b)
    const before = b.getState().notes
    const loaded = loads(calls)

    a.setState((s) => ({ notes: [s.notes[0]!, { ...s.notes[1]!, title: 'renamed' }, note('n3')] }))
    await a.persist.flush()
    await expect.poll(() => b.getState().notes.map((n) => n.title)).toEqual(['note n1', 'renamed', 'note n3'])
    // Untouched: the same objects (selectors of them do not run again); nothing loaded, nothing written.
    expect(b.getState().notes[0]).toBe(before[0])
    expect(b.getState().notes[1]!.lines).toBe(before[1]!.lines)
    expect(loads(calls)).toBe(loaded)
    expect(bCommits).toEqual([])
    expect(b.getState().owner).toBe('a')
  })

  it('lose nothing when two stores write different rows, one after the other without waiting', async () => {
    const backend = wrap(createBetterSqlite3Backend({ filename: ':memory:' }), [])
    const a = open(backend)
    const b = open(backend)
    await Promise.all([hydrated(a), hydrated(b)])
    for (let i = 0; i < 10; i++) {
      a.setState((s) => ({ notes: [...s.notes, note(`a${i}`)] }))
      b.setState((s) => ({ notes: [...s.notes, note(`b${i}`)] }))
    }
    await Promise.all([a.persist.flush(), b.persist.flush()])
    const all = [...Array.from({ length: 10 }, (_, i) => `a${i}`), ...Array.from({ length: 10 }, (_, i) => `b${i}`)]
    const fresh = open(backend)
    await hydrated(fresh)
    expect(
      fresh
        .getState()
        .notes.map((n) => n.id)
        .sort(),
    ).toEqual([...all].sort())
    await expect.poll(() => a.getState().notes.map((n) => n.id)).toEqual(fresh.getState().notes.map((n) => n.id))
    await expect.poll(() => b.getState().notes.map((n) => n.id)).toEqual(fresh.getState().notes.map((n) => n.id))
  })
})

describe('a writer that loses every immediate retry to another', () => {
  it('still commits: rebases after the first wait a random while, so the other writer cannot win each one', async () => {
    const inner = createBetterSqlite3Backend({ filename: ':memory:' })
    // Another writer in lockstep: it commits just before this store's first three writes, then whenever the write
    // comes within 6 ms of a conflict (as a tab streaming through the same database does), 20 times at most.
    let lastConflict = -Infinity
    let adversary = 0
    const backend: Backend = {
      ...asyncBackend(inner),
      apply: async (changeSet) => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        if (adversary < 20 && (adversary < 3 || performance.now() - lastConflict < 6)) {
          adversary++
          const stored = await readStoredState(inner, { name: 'notes', schema })
          await writeStoredState(
            inner,
            { name: 'notes', schema, version: 0, previous: stored },
            { ...(stored?.state as object), owner: `other writer ${adversary}` },
          )
        }
        try {
          return await inner.apply(changeSet)
        } catch (error) {
          lastConflict = performance.now()
          throw error
        }
      },
    }
    const store = open(backend)
    await hydrated(store)
    store.setState({ notes: [note('mine', ['kept'])] })
    await store.persist.flush()
    const stored = await readStoredState(inner, { name: 'notes', schema })
    expect((stored?.state as unknown as Notes).notes.map((n) => n.id)).toEqual(['mine'])
    // It lost the first three attempts, then got through before giving up.
    expect(adversary).toBeGreaterThanOrEqual(3)
    expect(adversary).toBeLessThan(20)
  })
})

describe('commits the backend does not tell of', () => {
  it('are loaded once a later commit shows that one was missed', async () => {
    const db = tempDatabase()
    try {
      const shared = createBetterSqlite3Backend({ filename: db.file })
      const other = createBetterSqlite3Backend({ filename: db.file })
      const a = open(shared)
      const b = open(shared)
      a.setState({ notes: [note('n1')] })
      await a.persist.flush()
      // Another connection (another process): its commit is not told to `shared`'s stores.
      const c = open(other)
      c.setState((s) => ({ notes: [...s.notes, note('from-c')] }))
      await c.persist.flush()
      expect(b.getState().notes.map((n) => n.id)).toEqual(['n1'])
      // a's next write finds the revision moved, loads, and writes on top; b sees a revision it cannot
      // follow from its own, and loads.
      a.setState((s) => ({ notes: [...s.notes, note('n2')] }))
      await a.persist.flush()
      await expect.poll(() => b.getState().notes.map((n) => n.id)).toEqual(['n1', 'n2'])
      await other.close()
      await shared.close()
    } finally {
      db.remove()
    }
  })
})

describe('writes made outside a store', () => {
  it('reach an open store through the same commits (a query function writing stored state)', async () => {
    const backend = createBetterSqlite3Backend({ filename: ':memory:' })
    const store = open(backend)
    store.setState({ notes: [note('n1', ['x'])] })
    await store.persist.flush()
    const kept = store.getState().notes[0]
    // What a store package's query function does: read, change, write the stored state, no store involved.
    await writeStoredState(backend, { name: 'notes', schema, version: 0 }, { notes: [kept, note('n2')], owner: 'q' })
    expect(store.getState().notes.map((n) => n.id)).toEqual(['n1', 'n2'])
    expect(store.getState().owner).toBe('q')
    await backend.close()
  })
})

describe('commitListeners', () => {
  it('tells every subscriber, past one that throws, until it stops', () => {
    const commits = commitListeners()
    const seen: number[] = []
    const stop = commits.subscribe((change) => seen.push(change.revision))
    commits.subscribe(() => {
      throw new Error('a broken subscriber')
    })
    const later = commits.subscribe((change) => seen.push(change.revision * 10))
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    commits.tell({ store: 's', cleared: true, revision: 1 })
    stop()
    commits.tell({ store: 's', cleared: true, revision: 2 })
    later()
    commits.tell({ store: 's', cleared: true, revision: 3 })
    expect(logged).toHaveBeenCalledTimes(3)
    logged.mockRestore()
    expect(seen).toEqual([1, 10, 20])
  })
})
