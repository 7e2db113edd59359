import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { changesSince, replaceAt } from '@zustand-sqlite/core'
import type { ChangeSet } from '@zustand-sqlite/core'
import { shapesSchema, shapesState } from '@zustand-sqlite/core/testing'
import type { ShapesState } from '@zustand-sqlite/core/testing'
import { createChangeSetBuilder } from '../src/middleware/changeSetBuilder'
import { createDiffer } from '../src/middleware/diff'
import type { OrderKeyMemo } from '../src/middleware/diff'
import { defaultCodec } from '../src/schema/codec'
import { insertAt, move, removeAt } from './listEdits'

// A write of an array made by `replaceAt` compares only the items replaced. It must write exactly what the
// comparison of the whole arrays writes: for any sequence of edits, hinted or not, coalesced or not, the two
// differs produce the same rows.

type Conversation = ShapesState['conversations'][number]
type Message = Conversation['messages'][number]
type State = Record<string, unknown>

interface Edit {
  kind: number
  a: number
  b: number
  text: string
}

const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.nat({ max: 9 }),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  text: fc.string({ maxLength: 8 }),
})

let counter = 0
const fresh = (prefix: string) => `${prefix}${++counter}`

/** `replaceAt` at a position drawn from any natural number; the list unchanged when empty. */
const replaced = <T>(list: readonly T[], index: number, change: (item: T) => T): readonly T[] =>
  list.length === 0 ? list : replaceAt(list, index % list.length, change(list[index % list.length] as T))

function apply(state: ShapesState, x: Edit): Partial<ShapesState> {
  const conversations = state.conversations
  const messagesOf = (change: (messages: Message[]) => Message[]) =>
    replaced(conversations, x.a, (c) => ({ ...c, messages: change(c.messages) })) as Conversation[]
  switch (x.kind) {
    case 0: // a title: the conversation's own row
      return { conversations: replaced(conversations, x.a, (c) => ({ ...c, userTitle: x.text })) as Conversation[] }
    case 1: // a streamed token: a fragment replaced in a message replaced in a conversation replaced
      return {
        conversations: messagesOf(
          (m) =>
            replaced(m, x.b, (msg) => ({
              ...msg,
              fragments: replaced(msg.fragments, 0, (f) => ({ ...f, part: { pt: 'text', text: x.text } })) as never,
            })) as Message[],
        ),
      }
    case 2: // a message appended (the nested array made another way)
      return {
        conversations: messagesOf((m) => [
          ...m,
          { id: fresh('m'), role: 'user', created: x.b, fragments: [{ fId: fresh('f'), ft: 'content', part: x.text }] },
        ]),
      }
    case 3: // replaced by an item of another key: the whole array is compared
      return {
        conversations: replaced(conversations, x.a, () => ({ id: fresh('c'), created: x.b, messages: [] })) as never,
      }
    case 4: // replaced by an item with the key of another one: a duplicate, left out
      return {
        conversations: replaced(conversations, x.a, (c) => ({
          ...c,
          id: conversations[x.b % Math.max(1, conversations.length)]?.id ?? c.id,
        })) as never,
      }
    case 5: // the same item again: nothing changed
      return { conversations: replaced(conversations, x.a, (c) => c) as Conversation[] }
    case 6:
      return { conversations: insertAt(conversations, x.a, { id: fresh('c'), created: x.b, messages: [] }) }
    case 7:
      return { conversations: removeAt(conversations, x.a) }
    case 8:
      return { conversations: move(conversations, x.a, x.b) }
    default: // a value collection, hinted
      return { tags: replaced(state.tags, x.a, () => x.b + 10_000 * (counter++ % 100)) as number[] }
  }
}

/** A ChangeSet's rows in an order that does not depend on the order they were visited in. */
function normalized(changeSet: ChangeSet) {
  const sorted = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).sort()
  return {
    kv: changeSet.kv,
    tables: changeSet.tables.map(({ table, delete: deleted, lazy, ...batches }) => ({
      table,
      delete: sorted(deleted ?? []),
      lazy: sorted(lazy ?? []),
      batches: Object.entries(batches).map(([op, groups]) => [
        op,
        (groups as { columns: string[]; rows: unknown[][] }[]).map((g) => ({
          columns: g.columns,
          rows: sorted(g.rows),
        })),
      ]),
    })),
  }
}

/** A differ and its builder; `hints` says whether it reads `replaceAt`'s notes. */
function writer(hints: boolean) {
  const memo: OrderKeyMemo = new WeakMap()
  const differ = createDiffer(shapesSchema, memo, defaultCodec, hints)
  const builder = createChangeSetBuilder(shapesSchema.spec.tables)
  return (prev: State | null, next: State): ChangeSet => {
    builder.reset()
    differ.diff(prev, next, builder, { held: new Map(), refusals: [], retried: [] })
    return builder.build({ store: 's', schemaVersion: 1, stateVersion: 1 })
  }
}

describe('replaceAt and the diff', () => {
  it('writes exactly what comparing the whole arrays writes, for any sequence of edits', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(edit, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 20 }),
        (batches) => {
          const hinted = writer(true)
          const whole = writer(false)
          let state: ShapesState = { ...shapesState(), files: {} }
          let written: State | null = null
          for (const batch of batches) {
            // Several edits between two writes: the write finds its last state among the ancestors.
            for (const x of batch) state = { ...state, ...apply(state, x) }
            const next = state as unknown as State
            expect(normalized(hinted(written, next))).toEqual(normalized(whole(written, next)))
            written = next
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('reads only the items replaced of a long array', () => {
    const conversations: Conversation[] = Array.from({ length: 5000 }, (_, i) => ({
      id: `c${i}`,
      created: i,
      messages: [],
    }))
    let reads = 0
    // The array as written last, counting the reads of its items.
    const prevList = new Proxy(conversations, {
      get(target, property, receiver) {
        if (typeof property === 'string' && /^\d+$/.test(property)) reads++
        return Reflect.get(target, property, receiver)
      },
    })
    const prev = { ...shapesState(), files: {}, conversations: prevList } as unknown as State
    for (const hints of [true, false]) {
      const write = writer(hints)
      write(null, prev)
      const edited = replaceAt(prevList, 2500, { ...(conversations[2500] as Conversation), userTitle: 'new' })
      reads = 0
      const changeSet = write(prev, { ...prev, conversations: edited })
      expect(changeSet.tables.map((t) => t.table)).toEqual(['conversations'])
      if (hints) expect(reads).toBeLessThan(5)
      else expect(reads).toBeGreaterThanOrEqual(5000)
    }
  })
})

describe('changesSince', () => {
  it('follows the notes of replaceAt back to a known array, gathering the indexes replaced', () => {
    const a = [1, 2, 3, 4]
    const b = replaceAt(a, 1, 20)
    const c = replaceAt(b, 3, 40)
    const d = replaceAt(c, 1, 200)
    expect(changesSince(d, (x) => x === a)).toEqual({ base: a, indexes: [1, 3] })
    expect(changesSince(d, (x) => x === c)).toEqual({ base: c, indexes: [1] })
    expect(changesSince(d, () => false)).toBeUndefined()
    // An array made another way has no notes.
    expect(changesSince([...d], (x) => x === a)).toBeUndefined()
    expect(() => replaceAt(a, 4, 0)).toThrow(RangeError)
    expect(() => replaceAt(a, -1, 0)).toThrow(RangeError)
  })

  it('keeps no chain longer than 64 replacements', () => {
    const first = [0]
    let list = first
    for (let i = 0; i < 100; i++) list = replaceAt(list, 0, i)
    expect(changesSince(list, (x) => x === first)).toBeUndefined()
  })
})
