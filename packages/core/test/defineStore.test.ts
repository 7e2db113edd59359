import { describe, expect, it, vi } from 'vitest'
import { collection, column, defineSchema, defineStore } from '@zustand-sqlite/core'
import type { StateCreator } from 'zustand/vanilla'
import type { Backend } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { asyncBackend, memoryBackend, recordingBackend } from './helpers'
import type { Call } from './helpers'

interface Todo {
  id: string
  title: string
  done: boolean
}

interface Todos {
  todos: Todo[]
  owner: string
  add: (title: string) => void
  toggle: (id: string) => void
}

const todosSchema = defineSchema({
  state: {
    todos: collection({
      table: 'todos',
      key: 'id',
      columns: { id: column.text(), title: column.text(), done: column.boolean() },
    }),
  },
})

const createTodosState =
  (options: { prefix?: string }): StateCreator<Todos, [], [], Todos> =>
  (set) => ({
    todos: [],
    owner: 'nobody',
    add: (title) =>
      set((state) => ({
        todos: [...state.todos, { id: `${options.prefix ?? 't'}${state.todos.length + 1}`, title, done: false }],
      })),
    toggle: (id) => set((state) => ({ todos: state.todos.map((t) => (t.id === id ? { ...t, done: !t.done } : t)) })),
  })

const setup = vi.fn()

/** Version 2 of the todos: version 1 stored `label` where version 2 has `title`. */
const todosDefinition = defineStore<Todos, Partial<Todos>, { prefix?: string }>({
  name: 'todos',
  schema: todosSchema,
  version: 2,
  partialize: ({ todos, owner }) => ({ todos, owner }),
  migrate: (persisted, version) => {
    const state = persisted as { todos: (Todo & { label?: string })[]; owner: string }
    if (version !== 1) throw new Error(`no migration from ${version}`)
    return { ...state, owner: `${state.owner} (migrated)` }
  },
  state: createTodosState,
  setup,
})

const applies = (calls: readonly Call[]): number => calls.filter((c) => c.method === 'apply').length

describe('defineStore', () => {
  it('creates the store with the definition, the name given, and calls setup with its options', async () => {
    const backend = memoryBackend()
    const store = todosDefinition.create({ backend, name: 'mine', prefix: 'x' })
    expect(setup).toHaveBeenCalledWith(store, expect.objectContaining({ name: 'mine', prefix: 'x' }))
    store.getState().add('milk')
    await store.persist.flush()
    expect(await backend.query('SELECT id, title FROM todos')).toEqual([{ id: 'x1', title: 'milk' }])
    expect(store.persist.getOptions()).toMatchObject({ name: 'mine', version: 2, schema: todosSchema })
  })

  it('reads the stored state as a hydration makes it, migrated and merged, writing nothing', async () => {
    const calls: Call[] = []
    const inner = memoryBackend()
    const { migrate: _migrate, ...unversioned } = todosDefinition
    const v1 = defineStore({ ...unversioned, version: 1 })
    // An older version of the app: the newer one's commit (its migration) is one it cannot read, and says so.
    const errors: unknown[] = []
    const old = v1.create({ backend: inner, onError: (e) => errors.push(e) })
    old.getState().add('milk')
    old.setState({ owner: 'ann' })
    await old.persist.flush()

    const backend = recordingBackend(inner, calls)
    const read = await todosDefinition.read(backend)
    expect(read.version).toBe(1)
    expect(read.state.owner).toBe('ann (migrated)')
    expect(read.state.todos).toEqual([{ id: 't1', title: 'milk', done: false }])
    expect(typeof read.state.add).toBe('function')
    expect(applies(calls)).toBe(0)
    // The same as the store's own hydration, which then writes the migration back.
    const store = todosDefinition.create({ backend })
    expect({ owner: store.getState().owner, todos: store.getState().todos }).toEqual({
      owner: read.state.owner,
      todos: read.state.todos,
    })
    expect(applies(calls)).toBe(1)
    await vi.waitFor(() => expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['MIGRATION_FAILED']))
  })

  it('reads the initial state of the state creator when nothing is stored', async () => {
    const read = await todosDefinition.read(memoryBackend(), { prefix: 'y' })
    expect(read.version).toBeNull()
    expect(read.state.todos).toEqual([])
    read.state.add('x')
  })

  it("runs the store's own actions on stored data, in one transaction, without setup", async () => {
    const calls: Call[] = []
    const backend = recordingBackend(memoryBackend(), calls)
    setup.mockClear()
    const result = await todosDefinition.update(backend, (store) => {
      store.getState().add('milk')
      store.getState().add('bread')
      store.getState().toggle('t1')
      return store.getState().todos.length
    })
    expect(result).toBe(2)
    expect(applies(calls)).toBe(1)
    expect(setup).not.toHaveBeenCalled()
    expect(await backend.query('SELECT id, title, done FROM todos ORDER BY id')).toEqual([
      { id: 't1', title: 'milk', done: 1 },
      { id: 't2', title: 'bread', done: 0 },
    ])
  })

  it('writes nothing when the actions throw', async () => {
    const calls: Call[] = []
    const backend = recordingBackend(memoryBackend(), calls)
    await todosDefinition.update(backend, (store) => store.getState().add('milk'))
    calls.length = 0
    await expect(
      todosDefinition.update(backend, (store) => {
        store.getState().add('bread')
        throw new Error('no bread today')
      }),
    ).rejects.toThrow('no bread today')
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(applies(calls)).toBe(0)
    expect((await todosDefinition.read(backend)).state.todos.map((t) => t.title)).toEqual(['milk'])
  })

  it('runs the updates of one store one after another, on an asynchronous backend too', async () => {
    const backend: Backend = asyncBackend(memoryBackend())
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((title) => todosDefinition.update(backend, (store) => store.getState().add(title))),
    )
    const { state } = await todosDefinition.read(backend)
    expect(state.todos.map((t) => `${t.id}:${t.title}`)).toEqual(['t1:a', 't2:b', 't3:c', 't4:d'])
  })

  it('rejects an update of a store whose hydration fails, writing nothing', async () => {
    const backend = memoryBackend()
    const { migrate: _migrate, ...unversioned } = todosDefinition
    const future = defineStore({ ...unversioned, version: 9 })
    await future.update(backend, (store) => store.getState().add('x'))
    await expect(todosDefinition.update(backend, (store) => store.getState().add('y'))).rejects.toMatchObject({
      code: 'MIGRATION_FAILED',
    })
    expect(await backend.query('SELECT title FROM todos')).toEqual([{ title: 'x' }])
  })

  it('prepares the tables and tells the recorded version and revision without loading rows', async () => {
    const calls: Call[] = []
    const backend = recordingBackend(memoryBackend(), calls)
    expect(await todosDefinition.prepare(backend)).toEqual({ stateVersion: null, revision: 0 })
    await todosDefinition.update(backend, (store) => store.getState().add('x'))
    calls.length = 0
    expect(await todosDefinition.prepare(backend)).toEqual({ stateVersion: 2, revision: 1 })
    expect(calls.map((c) => c.method)).toEqual(['prepare'])
  })

  it('gives persistSQLite options to compose with other middleware', async () => {
    const backend = memoryBackend()
    const options = todosDefinition.persistOptions({ backend, writeDelayMs: 5 })
    expect(options).toMatchObject({ name: 'todos', version: 2, schema: todosSchema, writeDelayMs: 5, backend })
    const store = todosDefinition.create({ backend })
    await hydrated(store)
    expect(store.persist.hasHydrated()).toBe(true)
  })

  it('refuses a definition without a name, an integer version or a state creator', () => {
    expect(() => defineStore({ ...todosDefinition, name: '' })).toThrow(/name/)
    expect(() => defineStore({ ...todosDefinition, version: 1.5 })).toThrow(/version/)
  })
})
