import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import type { StateCreator } from 'zustand/vanilla'
import { collection, column, defineSchema, isPlainObject, persistSQLite, readLazyColumn } from '@zustand-sqlite/core'
import type { Backend, JsonOptions } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { asyncBackend, codeOf, memoryBackend } from './helpers'

interface Trip {
  id: string
  stops: Set<string>
  when: Date
  notes?: Map<string, string>
}

interface Travel {
  visits: Map<string, number>
  lastSeen: Date
  trips: Trip[]
  addVisit: (city: string) => void
}

// A replacer and reviver as Zustand's documentation writes them for Map, Set and Date: tagged objects.
const json: JsonOptions = {
  replacer: function (this: unknown, key, value) {
    if (value instanceof Map) return { __type: 'Map', entries: [...value.entries()] }
    if (value instanceof Set) return { __type: 'Set', values: [...value] }
    // A Date reaches the replacer as its toJSON() string; the holder still has the Date.
    const original = (this as Record<string, unknown>)[key]
    if (original instanceof Date) return { __type: 'Date', iso: original.toISOString() }
    return value
  },
  reviver: (_key, value) => {
    if (!isPlainObject(value)) return value
    if (value['__type'] === 'Map') return new Map(value['entries'] as [string, unknown][])
    if (value['__type'] === 'Set') return new Set(value['values'] as unknown[])
    if (value['__type'] === 'Date') return new Date(value['iso'] as string)
    return value
  },
}

const travelCreator: StateCreator<Travel> = (set) => ({
  visits: new Map(),
  lastSeen: new Date(0),
  trips: [],
  addVisit: (city) => set((s) => ({ visits: new Map(s.visits).set(city, (s.visits.get(city) ?? 0) + 1) })),
})

const tripsSchema = defineSchema({
  state: {
    trips: collection({
      table: 'trips',
      key: 'id',
      // `stops` is a json column; `when` and `notes` have none, so they go to the rest column.
      columns: { id: column.text(), stops: column.json() },
    }),
  },
})

const sample = (): Partial<Travel> => ({
  visits: new Map([
    ['Lyon', 2],
    ['Porto', 1],
  ]),
  lastSeen: new Date('2026-11-30T10:00:00.000Z'),
  trips: [
    {
      id: 'a',
      stops: new Set(['Lyon', 'Porto']),
      when: new Date('2026-06-01T08:00:00.000Z'),
      notes: new Map([['Lyon', 'rain']]),
    },
  ],
})

function travelStore(backend: Backend, withJson: JsonOptions | undefined) {
  const errors: unknown[] = []
  const store = createStore<Travel>()(
    persistSQLite(travelCreator, {
      name: 'travel',
      backend,
      schema: tripsSchema,
      onError: (e) => errors.push(e),
      ...(withJson === undefined ? {} : { json: withJson }),
    }),
  )
  return Object.assign(store, { errors })
}

describe('json: the replacer and reviver of values stored as JSON text', () => {
  it('round-trips Map, Set and Date in key/value rows, json columns and rest columns', async () => {
    const backend = memoryBackend()
    const store = travelStore(backend, json)
    store.setState(sample())
    store.getState().addVisit('Lyon')
    await store.persist.flush()
    expect(store.errors).toEqual([])

    const reopened = travelStore(backend, json)
    const state = reopened.getState()
    expect(state.visits).toEqual(
      new Map([
        ['Lyon', 3],
        ['Porto', 1],
      ]),
    )
    expect(state.lastSeen).toEqual(new Date('2026-11-30T10:00:00.000Z'))
    expect(state.trips[0]?.stops).toEqual(new Set(['Lyon', 'Porto']))
    expect(state.trips[0]?.when).toEqual(new Date('2026-06-01T08:00:00.000Z'))
    expect(state.trips[0]?.notes).toEqual(new Map([['Lyon', 'rain']]))
    // Stored as the replacer made it: plain JSON any reader can parse.
    const [row] = await backend.query(`SELECT stops FROM trips WHERE id = 'a'`)
    expect(JSON.parse(String(row?.['stops']))).toEqual({ __type: 'Set', values: ['Lyon', 'Porto'] })
  })

  it('is what Zustand persist takes in createJSONStorage: the same options, the same state', async () => {
    const map = new Map<string, string>()
    const legacy = createStore<Travel>()(
      persist(travelCreator, {
        name: 'travel',
        storage: createJSONStorage(
          () => ({
            getItem: (k) => map.get(k) ?? null,
            setItem: (k, v) => void map.set(k, v),
            removeItem: (k) => void map.delete(k),
          }),
          json,
        ),
      }),
    )
    legacy.setState(sample())
    const backend = asyncBackend(memoryBackend())
    const store = travelStore(backend, json)
    await hydrated(store)
    store.setState(sample())
    await store.persist.flush()
    const reopened = travelStore(backend, json)
    await hydrated(reopened)
    const reloaded = createStore<Travel>()(
      persist(travelCreator, {
        name: 'travel',
        storage: createJSONStorage(
          () => ({ getItem: (k) => map.get(k) ?? null, setItem: () => undefined, removeItem: () => undefined }),
          json,
        ),
      }),
    )
    const { addVisit: _a, ...fromSqlite } = reopened.getState()
    const { addVisit: _b, ...fromPersist } = reloaded.getState()
    expect(fromSqlite).toEqual(fromPersist)
  })

  it('refuses a Map without a replacer, and what the replacer leaves JSON cannot hold, naming the path', async () => {
    const plain = travelStore(memoryBackend(), undefined)
    plain.setState({ visits: new Map([['Lyon', 1]]) })
    expect(codeOf(await plain.persist.flush().catch((e: unknown) => e))).toBe('UNSTORABLE_VALUE')

    const partial = travelStore(memoryBackend(), { replacer: (_key, value) => value })
    partial.setState({ trips: [{ id: 'b', stops: new Set(['x']), when: new Date(0) }] })
    const error = await partial.persist.flush().catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNSTORABLE_VALUE', path: 'trips[id="b"].stops' })
  })

  it('reads a lazy json column with the store options, and refuses json options that are not functions', async () => {
    const schema = defineSchema({
      state: {
        docs: collection({
          table: 'docs',
          key: 'id',
          columns: { id: column.text(), body: column.json({ lazy: true }) },
        }),
      },
    })
    const backend = memoryBackend()
    type Docs = { docs: { id: string; body?: unknown }[] }
    const store = createStore<Docs>()(
      persistSQLite((): Docs => ({ docs: [] }), { name: 'docs', backend, schema, json }),
    )
    store.setState({ docs: [{ id: 'd' }] })
    store.persist.writeLazy('docs', 'd', { body: new Set([1, 2]) })
    await store.persist.flush()
    expect(await readLazyColumn(backend, schema, { table: 'docs', key: 'd', field: 'body', json })).toEqual(
      new Set([1, 2]),
    )
    expect(() =>
      persistSQLite(() => ({}), { name: 'x', backend, json: { reviver: 'no' as never } })(
        () => undefined,
        () => ({}),
        {} as never,
      ),
    ).toThrow(/json/)
  })
})
