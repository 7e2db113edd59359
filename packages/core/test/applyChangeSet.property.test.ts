import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { collection, column, defineSchema, isPromiseLike, singleton } from '@zustand-sqlite/core'
import type { ChangeSet, MaybePromise } from '@zustand-sqlite/core'
import { shapesSchema, shapesState } from '@zustand-sqlite/core/testing'
import { applyChangeSet } from '../src/middleware/applyChangeSet'
import { buildChangeSet } from '../src/middleware/buildChangeSet'
import type { OrderKeyMemo } from '../src/middleware/diff'
import { materialize } from '../src/middleware/materialize'
import { defaultCodec, setOwn } from '../src/schema/codec'
import type { CollectionNode, StoreSchema } from '../src/schema/defineSchema'
import { encodeText } from '../src/schema/text'
import { memoryBackend } from './helpers'
import { editAt, insertAt, move, removeAt } from './listEdits'

type State = Record<string, any>
type Backend = ReturnType<typeof memoryBackend>

const STORE = 'apply'

const now = <T>(value: MaybePromise<T>): T => {
  if (isPromiseLike(value)) throw new Error('expected a synchronous backend')
  return value
}

const load = (backend: Backend, schema: StoreSchema, memo: OrderKeyMemo): State =>
  materialize(schema, now(backend.load(STORE)), memo, defaultCodec)

/** The rows that turn `prev` into `next`, as a store writes them (an empty ChangeSet when there are none). */
function changeSetOf(schema: StoreSchema, memo: OrderKeyMemo, prev: State | null, next: State, replace = false) {
  const built = buildChangeSet({
    store: STORE,
    schema,
    codec: defaultCodec,
    memo,
    prev,
    prevVersion: prev === null ? null : 1,
    next,
    version: 1,
    replace,
  })
  return built ?? { store: STORE, schemaVersion: schema.spec.version, stateVersion: 1, tables: [] }
}

/** A store on a real database and its state as loaded, with the order keys the load recorded. */
interface Harness {
  readonly schema: StoreSchema
  readonly backend: Backend
  readonly memo: OrderKeyMemo
  stored: State
}

function storedAs(schema: StoreSchema, state: State): Harness {
  const backend = memoryBackend()
  now(backend.prepare(STORE, schema.spec))
  now(backend.apply(changeSetOf(schema, new WeakMap(), null, state)))
  const memo: OrderKeyMemo = new WeakMap()
  return { schema, backend, memo, stored: load(backend, schema, memo) }
}

/**
 * A value as plain data that compares strictly: objects as their sorted own entries (so that a key like
 * `constructor` is data, not a type to compare), bytes as arrays of numbers.
 */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (value instanceof Uint8Array) return { bytes: [...value], type: value.constructor.name }
  if (typeof value !== 'object' || value === null) return value
  const proto: unknown = Object.getPrototypeOf(value)
  return {
    plain: proto === Object.prototype || proto === null,
    entries: Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as State)[key])]),
  }
}

/** Every array of `actual` has the order keys the database holds for the same array of `expected`. */
function expectSameOrderKeys(actual: unknown, expected: unknown, memo: OrderKeyMemo, loaded: OrderKeyMemo): void {
  if (Array.isArray(actual)) {
    expect(memo.get(actual)).toEqual(loaded.get(expected as unknown[]))
    actual.forEach((item, i) => expectSameOrderKeys(item, (expected as unknown[])[i], memo, loaded))
  } else if (typeof actual === 'object' && actual !== null && !(actual instanceof Uint8Array)) {
    for (const key of Object.keys(actual))
      expectSameOrderKeys((actual as State)[key], (expected as State)[key], memo, loaded)
  }
}

/** Where each collection table sits: the top-level field it is under. */
function tablesOf(schema: StoreSchema): Map<string, string> {
  const tables = new Map<string, string>()
  const add = (node: CollectionNode, field: string): void => {
    tables.set(node.table.name, field)
    for (const c of node.children) add(c, field)
  }
  for (const node of schema.nodes) {
    if (node.kind === 'collection') add(node, node.field)
    else tables.set(node.table.name, node.field as string)
  }
  return tables
}

/** The parts a ChangeSet reaches: top-level fields, and item keys (stored form) with every prefix of them. */
function reached(schema: StoreSchema, changeSet: ChangeSet): Set<string> {
  const fields = tablesOf(schema)
  const parts = new Set<string>()
  for (const change of changeSet.tables) {
    const field = fields.get(change.table)
    if (field === undefined) continue
    parts.add(field)
    const spec = schema.spec.tables.find((t) => t.name === change.table)!
    const keys = [...(change.delete ?? [])]
    for (const batch of [...(change.upsert ?? []), ...(change.update ?? [])])
      for (const row of batch.rows) keys.push(spec.primaryKey.map((c) => row[batch.columns.indexOf(c)]!))
    for (const key of keys)
      for (let i = 1; i <= key.length; i++) parts.add(`${field}\u0000${JSON.stringify(key.slice(0, i))}`)
  }
  return parts
}

const storedKey = (value: unknown): unknown => (typeof value === 'string' ? encodeText(value) : value)

/** Items of a collection by their key as stored. */
function itemsOf(node: CollectionNode, value: unknown): Map<unknown, unknown> {
  if (node.shape === 'record') return new Map(Object.entries(value as State).map(([k, v]) => [storedKey(k), v]))
  return new Map(
    (value as unknown[]).map((item) => [
      storedKey(node.keyField === undefined ? item : (item as State)[node.keyField]),
      item,
    ]),
  )
}

/** What the ChangeSet did not reach is the same object as before: structural sharing. */
function expectShared(schema: StoreSchema, before: State, after: State, changeSet: ChangeSet): void {
  const parts = reached(schema, changeSet)
  const walk = (node: CollectionNode, field: string, prefix: unknown[], prev: unknown, next: unknown): void => {
    const prevItems = itemsOf(node, prev)
    for (const [key, item] of itemsOf(node, next)) {
      const path = [...prefix, key]
      if (typeof item !== 'object' || item === null) continue
      if (!parts.has(`${field}\u0000${JSON.stringify(path)}`)) expect(item).toBe(prevItems.get(key))
      else if (prevItems.has(key))
        for (const c of node.children)
          walk(c, field, path, (prevItems.get(key) as State)[c.field], (item as State)[c.field])
    }
  }
  for (const node of schema.nodes) {
    const field = node.field as string
    if (!parts.has(field)) expect(after[field]).toBe(before[field])
    else if (node.kind === 'collection') walk(node, field, [], before[field], after[field])
  }
  if (changeSet.tables.length === 0 && changeSet.kv === undefined) expect(after).toBe(before)
}

/**
 * Writes `next` over the stored state as a store would, then checks applyChangeSet against the database:
 * the state it makes is what a load makes, item order and order keys included, what the ChangeSet did
 * not reach keeps its identity, and the state it started from is left as it was.
 */
function step(h: Harness, next: State, replace: boolean): void {
  const changeSet = changeSetOf(h.schema, h.memo, h.stored, next, replace)
  const before = structuredClone(h.stored)
  now(h.backend.apply(changeSet))
  const loaded: OrderKeyMemo = new WeakMap()
  const expected = load(h.backend, h.schema, loaded)
  const actual = applyChangeSet(h.schema, defaultCodec, h.memo, h.stored, changeSet)
  expect(canonical(actual)).toStrictEqual(canonical(expected))
  expectSameOrderKeys(actual, expected, h.memo, loaded)
  if (!replace) expectShared(h.schema, h.stored, actual, changeSet)
  expect(canonical(h.stored)).toStrictEqual(canonical(before))
  h.stored = actual
}

// ---------------------------------------------------------------------------------------------
// Random edits, as data: indexes are taken modulo the length of what they point into.

interface Edit {
  kind: number
  a: number
  b: number
  c: number
  text: string
  key: string
}

/** What UTF-8 TEXT cannot hold (stored escaped), the escape marker, and keys that are names on Object.prototype. */
const PIECES = ['\uD800', '\uDC00', '\u0000', '\uFDD0', '\uFDD0d800', '\uD83D\uDE80', '__proto__', 'é']
const text = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.constantFrom(...PIECES),
  fc.array(fc.constantFrom(...PIECES, 'a', ' '), { maxLength: 3 }).map((parts) => parts.join('')),
)
const KEYS = ['__proto__', 'constructor', 'toString', '\uD800', 'a\u0000', '\uFDD0', 'k1', 'k2']

const edit = (kinds: number): fc.Arbitrary<Edit> =>
  fc.record({
    kind: fc.nat({ max: kinds - 1 }),
    a: fc.nat({ max: 1000 }),
    b: fc.nat({ max: 1000 }),
    c: fc.nat({ max: 1000 }),
    text,
    key: fc.constantFrom(...KEYS),
  })

let counter = 0
/** A unique key that holds the awkward text too. */
const newId = (x: Edit): string => `${x.text}#${++counter}`

/** A copy of `object` with `key` set (an own key, `__proto__` too) or, for `undefined`, removed. */
function withKey(object: State, key: string, value: unknown): State {
  const copy = { ...object }
  if (value === undefined) delete copy[key]
  else setOwn(copy, key, value)
  return copy
}

/** A key of `object` half of the time (so that keys get deleted and written again), else `x.key`. */
function keyIn(object: State, x: Edit): string {
  const keys = Object.keys(object)
  return keys.length > 0 && x.c % 2 === 0 ? (keys[x.a % keys.length] as string) : x.key
}

/** A copy without `key`. */
const without = (object: State, key: string): State => withKey(object, key, undefined)

const fragment = (x: Edit) => ({
  fId: newId(x),
  ft: x.text,
  part: x.c % 2 === 0 ? { pt: 'text', text: x.text } : [x.text],
})
const message = (x: Edit) => ({
  id: newId(x),
  role: x.text,
  created: x.b,
  fragments: x.c % 3 === 0 ? [] : [fragment(x), fragment(x)],
})

const SHAPES_EDITS = 24

/** One edit of a state of the shapes schema. */
function editShapes(s: State, x: Edit): State {
  const conversations = (change: (list: any[]) => any[]) => ({ ...s, conversations: change(s.conversations) })
  const messages = (change: (list: any[]) => any[]) =>
    conversations((list) => editAt(list, x.a, (c) => ({ ...c, messages: change(c.messages) })))
  const fragments = (change: (list: any[]) => any[]) =>
    messages((list) => editAt(list, x.b, (m) => ({ ...m, fragments: change(m.fragments) })))
  switch (x.kind) {
    case 0: // a conversation in the middle, with messages
      return conversations((list) =>
        insertAt(list, x.a, { id: newId(x), created: x.b, messages: x.c % 2 === 0 ? [] : [message(x), message(x)] }),
      )
    case 1: // a conversation deleted with its messages and their fragments
      return conversations((list) => removeAt(list, x.a))
    case 2:
      return conversations((list) => move(list, x.a, x.b))
    case 3:
      return conversations((list) =>
        editAt(list, x.a, (c) => (x.text === '' ? without(c, 'userTitle') : { ...c, userTitle: x.text })),
      )
    case 4: // a field without a column: the rest column
      return conversations((list) => editAt(list, x.a, (c) => withKey(c, x.key, x.b % 2 === 0 ? undefined : x.text)))
    case 5:
      return messages((list) => insertAt(list, x.b, message(x)))
    case 6:
      return messages((list) => removeAt(list, x.b))
    case 7:
      return messages((list) => move(list, x.b, x.c))
    case 8:
      return messages((list) => editAt(list, x.b, (m) => ({ ...m, role: x.text, created: x.c })))
    case 9:
      return fragments((list) => insertAt(list, x.c, fragment(x)))
    case 10:
      return fragments((list) => removeAt(list, x.c))
    case 11:
      return fragments((list) => editAt(list, x.c, (f) => ({ ...f, part: { pt: 'text', text: x.text } })))
    case 12: {
      const ids: string[] = s.conversations.map((c: State) => c.id)
      return {
        ...s,
        folders: editAt(s.folders, x.a, (f: State) => {
          const id = ids[x.b % Math.max(1, ids.length)]
          if (id === undefined) return f
          const list: string[] = f.conversationIds
          return {
            ...f,
            conversationIds: list.includes(id) ? list.filter((c) => c !== id) : insertAt(list, x.c, id),
          }
        }),
      }
    }
    case 13:
      return { ...s, folders: insertAt(s.folders, x.a, { id: newId(x), title: x.text, conversationIds: [] }) }
    case 14:
      return { ...s, folders: editAt(s.folders, x.a, (f: State) => withKey(f, 'color', x.b % 2 ? x.text : undefined)) }
    case 15:
      return {
        ...s,
        services: withKey(
          s.services,
          keyIn(s.services, x),
          x.b % 3 === 0
            ? undefined
            : { usageCount: x.b, totalCosts: x.c / 7, ...(x.c % 2 === 0 ? { firstUsageDate: x.a } : {}) },
        ),
      }
    case 16:
      return { ...s, flags: withKey(s.flags, keyIn(s.flags, x), x.b % 3 === 0 ? undefined : x.b % 2 === 0) }
    case 17: {
      const tags: number[] = s.tags
      if (x.b % 3 === 0) return { ...s, tags: removeAt(tags, x.a) }
      if (x.b % 3 === 1) return { ...s, tags: move(tags, x.a, x.c) }
      const tag = x.c + 1000 * (++counter % 1000)
      return tags.includes(tag) ? s : { ...s, tags: insertAt(tags, x.a, tag) }
    }
    case 18: // a singleton: written, given unknown keys, deleted
      if (x.b % 4 === 0) return without(s, 'settings')
      return { ...s, settings: { ...s.settings, theme: x.text, fontSize: x.a, ...(x.c % 2 ? { extra: x.text } : {}) } }
    case 19: // a lazy column: written when present, left out of the row (a partial column list) when absent
      return {
        ...s,
        files: withKey(
          s.files,
          keyIn(s.files, x),
          x.b % 4 === 0
            ? undefined
            : { name: x.text, ...(x.c % 2 === 0 ? { content: new Uint8Array([x.a % 256]) } : {}) },
        ),
      }
    case 20: // key/value rows
      return withKey(s, x.c % 2 === 0 ? 'untouched' : x.key, x.b % 3 === 0 ? undefined : { v: x.text })
    case 21:
      return { ...s, untouched: x.text }
    case 22: // every message of a conversation replaced
      return messages(() => [message(x), message(x), message(x)])
    default: // an item written again whole, nothing changed: new objects, same rows
      return conversations((list) =>
        editAt(list, x.a, (c) => ({ ...c, messages: c.messages.map((m: State) => ({ ...m })) })),
      )
  }
}

// A schema with a root singleton (unmapped top-level keys in its rest column), a singleton that keeps
// every field in its rest column, and a lazy root column.
const rootSchema = defineSchema({
  state: {
    items: collection({
      table: 'r_items',
      key: 'id',
      columns: { id: column.text(), n: column.integer(), note: column.text({ optional: true }) },
      children: {
        subs: collection({ table: 'r_subs', key: 'k', columns: { k: column.integer(), v: column.json() } }),
      },
    }),
    prefs: singleton({ table: 'r_prefs', restMode: 'all', columns: { mode: column.text({ optional: true }) } }),
  },
  root: singleton({
    table: 'r_root',
    columns: {
      owner: column.text({ optional: true }),
      count: column.integer({ optional: true, nullable: true }),
      avatar: column.blob({ lazy: true }),
    },
  }),
})

const rootState = (): State => ({
  items: [
    { id: 'a', n: 1, note: 'first', subs: [{ k: 1, v: { x: 1 } }] },
    { id: '\uD800', n: 2, subs: [] },
  ],
  prefs: { mode: 'dark', other: [1, 2] },
  owner: 'me',
  count: null,
  loose: { kept: true },
})

const ROOT_EDITS = 12

function editRoot(s: State, x: Edit): State {
  const items = (change: (list: any[]) => any[]) => ({ ...s, items: change(s.items) })
  const subs = (change: (list: any[]) => any[]) =>
    items((list) => editAt(list, x.a, (item) => ({ ...item, subs: change(item.subs) })))
  switch (x.kind) {
    case 0:
      return items((list) => insertAt(list, x.a, { id: newId(x), n: x.b, subs: [{ k: x.c, v: x.text }] }))
    case 1:
      return items((list) => removeAt(list, x.a))
    case 2:
      return items((list) => move(list, x.a, x.b))
    case 3:
      return items((list) =>
        editAt(list, x.a, (item) => withKey({ ...item, n: x.c }, 'note', x.b % 2 === 0 ? undefined : x.text)),
      )
    case 4:
      return subs((list) => (list.some((sub) => sub.k === x.c) ? list : insertAt(list, x.b, { k: x.c, v: [x.text] })))
    case 5:
      return subs((list) => move(list, x.b, x.c))
    case 6:
      return subs((list) => removeAt(list, x.b))
    case 7:
      if (x.b % 4 === 0) return without(s, 'prefs')
      return { ...s, prefs: withKey(withKey(s.prefs ?? {}, 'mode', x.c % 2 ? x.text : undefined), x.key, x.a) }
    case 8:
      return withKey(s, 'owner', x.b % 3 === 0 ? undefined : x.text)
    case 9:
      return withKey(s, 'count', x.b % 3 === 0 ? undefined : x.b % 3 === 1 ? null : x.c)
    case 10: // a lazy root column: written, but never part of the loaded state
      return withKey(s, 'avatar', x.b % 2 === 0 ? undefined : new Uint8Array([x.c % 256]))
    default:
      return withKey(s, x.c % 2 === 0 ? 'loose' : x.key, x.b % 3 === 0 ? undefined : { v: x.text })
  }
}

/** A store without any mapping: one key/value row per top-level key. */
const kvSchema = defineSchema()
const KV_EDITS = 3

function editKv(s: State, x: Edit): State {
  if (x.kind === 0) return withKey(s, keyIn(s, x), undefined)
  if (x.kind === 1) return withKey(s, x.key, x.b % 2 === 0 ? x.text : [x.text, { [x.key]: x.c }])
  return withKey(s, x.text, x.c)
}

// ---------------------------------------------------------------------------------------------

interface Case {
  readonly name: string
  readonly schema: StoreSchema
  readonly initial: () => State
  readonly edit: (s: State, x: Edit) => State
  readonly kinds: number
}

const cases: Case[] = [
  {
    name: 'nested collections, records, value arrays, singletons and key/value rows',
    schema: shapesSchema,
    initial: () => shapesState() as unknown as State,
    edit: editShapes,
    kinds: SHAPES_EDITS,
  },
  {
    name: 'a root singleton and a singleton that keeps every field',
    schema: rootSchema,
    initial: rootState,
    edit: editRoot,
    kinds: ROOT_EDITS,
  },
  {
    name: 'a store without mapping',
    schema: kvSchema,
    initial: () => ({ a: 1, '\uD800': 'lone', nested: { deep: [1] } }),
    edit: editKv,
    kinds: KV_EDITS,
  },
]

describe('applyChangeSet', () => {
  describe.each(cases)('over $name', ({ schema, initial, edit: change, kinds }) => {
    it('makes what a load makes after the commit, sharing what did not change, ChangeSet after ChangeSet', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              edits: fc.array(edit(kinds), { minLength: 1, maxLength: 6 }),
              replace: fc.nat({ max: 9 }).map((n) => n === 0),
            }),
            { minLength: 1, maxLength: 4 },
          ),
          (steps) => {
            const h = storedAs(schema, initial())
            try {
              for (const { edits, replace } of steps) step(h, edits.reduce(change, h.stored), replace)
            } finally {
              h.backend.close()
            }
          },
        ),
        { numRuns: 120 },
      )
    })
  })
})
