import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite, readLazyColumn } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { hydrationSettled } from '@zustand-sqlite/core/testing'
import { databaseOn, engines } from '../../../test-utils/backends'

type State = Record<string, unknown>

const schema = defineSchema({
  state: {
    // (a) keys of a record collection; fields without a column go to its rest column.
    usage: collection({ table: 'usage', shape: 'record', columns: { count: column.integer() } }),
    // (b) ids of an array collection, (c) a TEXT column, (d) a JSON column, and a lazy TEXT column.
    items: collection({
      table: 'items',
      key: 'id',
      columns: { id: column.text(), t: column.text(), data: column.json(), body: column.text({ lazy: true }) },
    }),
    // (b) items of an array of values.
    tags: collection({ table: 'tags', value: column.text({ column: 'tag' }) }),
  },
})
const MAPPED = new Set(['usage', 'items', 'tags'])

/** What UTF-8 TEXT cannot hold, the escape marker, and keys that are also names on Object.prototype. */
const PIECES = [
  '\uD800',
  '\uDBFF',
  '\uDC00',
  '\uDFFF',
  '\u0000',
  '\uFDD0',
  '\uFDD0d800',
  '\uFDD00000',
  '\uFFFD',
  '\uD83D\uDE80',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
]

/** Arbitrary strings, pieces of {@link PIECES} mixed in: every one of them storable. */
const text: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PIECES),
  fc
    .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 3 }), fc.constantFrom(...PIECES)), { maxLength: 4 })
    .map((parts) => parts.join('')),
  fc.string({ unit: 'binary', maxLength: 8 }),
)

/** An object with these own keys, `__proto__` included (an assignment would set the prototype instead). */
function objectOf(entries: readonly (readonly [string, unknown])[]): State {
  const object: State = {}
  for (const [key, value] of entries)
    Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true })
  return object
}

const entries = <T>(keys: fc.Arbitrary<string>, values: fc.Arbitrary<T>, maxLength: number) =>
  fc.uniqueArray(fc.tuple(keys, values), { selector: ([key]) => key, maxLength })

const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
    text,
    fc.array(tie('value'), { maxLength: 3 }),
    entries(text, tie('value'), 3).map(objectOf),
  ),
})).value

const usage = entries(
  text,
  fc
    .tuple(
      fc.integer(),
      entries(
        text.filter((k) => k !== 'count'),
        json,
        2,
      ),
    )
    .map(([count, rest]) => objectOf([['count', count], ...rest])),
  4,
).map(objectOf)

const item = fc
  .tuple(
    text,
    text,
    json,
    entries(
      text.filter((k) => !['id', 't', 'data', 'body'].includes(k)),
      json,
      2,
    ),
  )
  .map(([id, t, data, rest]) => objectOf([['id', id], ['t', t], ['data', data], ...rest]))

/** A whole persisted state: the three collections and unmapped top-level keys (e). */
const state: fc.Arbitrary<{ state: State; bodies: [string, string][] }> = fc
  .record({
    usage,
    items: fc.uniqueArray(item, { selector: (i) => i['id'], maxLength: 4 }),
    tags: fc.uniqueArray(text, { maxLength: 4 }),
    kv: entries(
      text.filter((k) => !MAPPED.has(k)),
      json,
      3,
    ),
    bodies: fc.array(text, { maxLength: 4 }),
  })
  .map(({ usage, items, tags, kv, bodies }) => ({
    state: objectOf([['usage', usage], ['items', items], ['tags', tags], ...kv]),
    // Lazy values for some of the items, written by key.
    bodies: items.slice(0, bodies.length).map((i, n) => [i['id'] as string, bodies[n] as string]),
  }))

/**
 * A value as text that tells apart every difference that matters here: own keys (sorted, `__proto__`
 * included), strings exactly (JSON escapes lone surrogates), and a prototype other than Object.prototype.
 */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const proto: unknown = Object.getPrototypeOf(value)
    const tag = proto === Object.prototype ? '' : '<not Object.prototype>'
    const keys = Object.keys(value).sort()
    return `${tag}{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as State)[k])}`).join(',')}}`
  }
  return value === undefined ? 'undefined' : JSON.stringify(value)
}

function storeOf(backend: Backend, name: string) {
  const errors: unknown[] = []
  const store = createStore<State>()(
    persistSQLite((): State => ({ usage: {}, items: [], tags: [] }), {
      name,
      backend,
      schema,
      onError: (e) => errors.push(e),
    }),
  )
  return Object.assign(store, { errors })
}

describe.each(engines.filter((e) => e.name !== 'an asynchronous engine'))(
  'any string round-trips exactly, on $name',
  (engine) => {
    const { open, closeAll } = databaseOn(engine)

    it('in record keys, array ids, TEXT and JSON columns, lazy columns and top-level keys, through writes and a reopen', async () => {
      let backend = await open()
      await fc.assert(
        fc.asyncProperty(fc.array(state, { minLength: 1, maxLength: 3 }), async (sets) => {
          const store = storeOf(backend, 'rt')
          await hydrationSettled(store)
          // Each run on its own (the tables are the store's, kept across runs): a counterexample replays.
          await store.persist.clearStorage()
          for (const { state: next, bodies } of sets) {
            // Replaced whole: Zustand's merge (Object.assign) would take `__proto__` for the prototype.
            store.setState(next, true)
            for (const [id, body] of bodies) store.persist.writeLazy('items', id, { body })
            // Every string is storable: nothing may be refused.
            await store.persist.flush()
            expect(store.errors).toEqual([])
            const loaded = storeOf(backend, 'rt')
            await hydrationSettled(loaded)
            expect(canonical(loaded.getState())).toBe(canonical(next))
            for (const [id, body] of bodies)
              expect(await readLazyColumn(backend, schema, { table: 'items', key: id, field: 'body' })).toBe(body)
          }
          // And from the file, in a new connection.
          await closeAll()
          backend = await open()
          const reopened = storeOf(backend, 'rt')
          await hydrationSettled(reopened)
          expect(reopened.errors).toEqual([])
          expect(canonical(reopened.getState())).toBe(canonical((sets[sets.length - 1] as { state: State }).state))
        }),
        { numRuns: 100 },
      )
    })
  },
)
