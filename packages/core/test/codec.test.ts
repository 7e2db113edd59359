import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, isZustandSqliteError, persistSQLite } from '@zustand-sqlite/core'
import { memoryBackend } from './helpers'

async function flushError(
  state: Record<string, unknown>,
  schema = defineSchema(),
): Promise<{ code?: string; path?: string; message: string }> {
  const store = createStore<Record<string, unknown>>()(
    persistSQLite(() => ({}), { name: 'codec', backend: memoryBackend(), schema, onError: () => undefined }),
  )
  store.setState(state)
  try {
    await store.persist.flush()
  } catch (error) {
    expect(isZustandSqliteError(error)).toBe(true)
    return error as { code?: string; path?: string; message: string }
  }
  throw new Error('expected the flush to fail')
}

describe('values that cannot be stored', () => {
  it('are refused with UNSTORABLE_VALUE naming the path', async () => {
    class Point {
      constructor(readonly x: number) {}
    }
    const cycle: Record<string, unknown> = { a: 1 }
    cycle['again'] = { back: cycle }
    const cases: [Record<string, unknown>, string][] = [
      [{ big: { n: 10n } }, 'big.n'],
      [{ when: { at: new Date(0) } }, 'when.at'],
      [{ map: new Map() }, 'map'],
      [{ point: [1, new Point(1)] }, 'point[1]'],
      [{ ratio: { value: Number.NaN } }, 'ratio.value'],
      [{ far: [Number.POSITIVE_INFINITY] }, 'far[0]'],
      [{ cycle }, 'cycle.again.back'],
      [{ 'odd key': { 'x y': 10n } }, 'odd key["x y"]'],
    ]
    for (const [state, path] of cases) {
      const error = await flushError(state)
      expect(error.code).toBe('UNSTORABLE_VALUE')
      expect(error.path).toBe(path)
    }
  })

  it('drops functions, symbols and undefined in objects as JSON does', async () => {
    const backend = memoryBackend()
    const store = createStore<Record<string, unknown>>()(persistSQLite(() => ({}), { name: 'json', backend }))
    store.setState({ data: { f: () => 1, s: Symbol('x'), u: undefined, list: [undefined, () => 1], kept: 1 } })
    await store.persist.flush()
    expect(await backend.query(`SELECT value FROM zs_kv WHERE key = 'data'`)).toEqual([
      { value: '{"list":[null,null],"kept":1}' },
    ])
  })

  it('checks typed columns: wrong types and missing required fields name the field', async () => {
    const schema = defineSchema({
      state: {
        items: collection({
          table: 'items',
          key: 'id',
          columns: {
            id: column.text(),
            count: column.integer(),
            done: column.boolean(),
            ratio: column.real(),
            bytes: column.blob({ optional: true }),
          },
        }),
      },
    })
    const item = { id: 'a', count: 1, done: false, ratio: 0.5 }
    const expectations: [Record<string, unknown>, string][] = [
      [{ ...item, count: 1.5 }, 'items[id="a"].count'],
      [{ ...item, count: '1' }, 'items[id="a"].count'],
      [{ ...item, done: 1 }, 'items[id="a"].done'],
      [{ ...item, ratio: Number.NaN }, 'items[id="a"].ratio'],
      [{ ...item, bytes: [1, 2] }, 'items[id="a"].bytes'],
      [{ id: 'a', done: true, ratio: 1 }, 'items[id="a"].count'],
      [{ ...item, count: null }, 'items[id="a"].count'],
      [{ ...item, id: 5 }, 'items[0]'],
    ]
    for (const [bad, path] of expectations) {
      const error = await flushError({ items: [bad] }, schema)
      expect(error.code, JSON.stringify(bad)).toBe('UNSTORABLE_VALUE')
      expect(error.path).toBe(path)
    }
    expect((await flushError({ items: 'not an array' }, schema)).code).toBe('UNSTORABLE_VALUE')
    expect((await flushError({ items: [item, { ...item }] }, schema)).code).toBe('DUPLICATE_KEY')
  })
})

describe('readLazyColumn', () => {
  it('refuses a table without a primary key', async () => {
    const { readLazyColumn, table } = await import('@zustand-sqlite/core')
    const schema = defineSchema({ tables: { log: table({ columns: { line: column.text({ lazy: true }) } }) } })
    expect(() => readLazyColumn(memoryBackend(), schema, { table: 'log', key: 1, field: 'line' })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })
})
