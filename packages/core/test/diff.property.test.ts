import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import { shapesSchema, shapesState } from '@zustand-sqlite/core/testing'
import type { ShapesState } from '@zustand-sqlite/core/testing'
import { memoryBackend } from './helpers'
import { editAt, insertAt, move, removeAt } from './listEdits'

type Conversation = ShapesState['conversations'][number]
type Message = Conversation['messages'][number]

/** One random edit, as data: indexes are taken modulo the length of what they point into. */
interface Action {
  kind: number
  a: number
  b: number
  c: number
  text: string
}

const action: fc.Arbitrary<Action> = fc.record({
  kind: fc.nat({ max: 17 }),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  c: fc.nat({ max: 1000 }),
  text: fc.string({ maxLength: 12 }),
})

let counter = 0
const newId = (prefix: string): string => `new-${prefix}${++counter}`

const newMessage = (text: string): Message => ({
  id: newId('m'),
  role: text.length % 2 === 0 ? 'user' : 'assistant',
  created: text.length,
  fragments: [{ fId: newId('f'), ft: 'content', part: { pt: 'text', text } }],
})

function apply(state: ShapesState, x: Action): Partial<ShapesState> {
  const editMessages = (edit: (messages: Message[]) => Message[]) => ({
    conversations: editAt(state.conversations, x.a, (c) => ({ ...c, messages: edit(c.messages) })),
  })
  switch (x.kind) {
    case 0:
      return { conversations: insertAt(state.conversations, 0, { id: newId('c'), created: x.b, messages: [] }) }
    case 1:
      return { conversations: removeAt(state.conversations, x.a) }
    case 2:
      return { conversations: move(state.conversations, x.a, x.b) }
    case 3:
      return {
        conversations: editAt(state.conversations, x.a, (c) => {
          const { userTitle: _, ...rest } = c
          return x.text === '' ? rest : { ...rest, userTitle: x.text }
        }),
      }
    case 4:
      return editMessages((m) => insertAt(m, x.b, newMessage(x.text)))
    case 5:
      return editMessages((m) => removeAt(m, x.b))
    case 6:
      return editMessages((m) => move(m, x.b, x.c))
    case 7:
      return editMessages((m) =>
        editAt(m, x.b, (msg) => ({
          ...msg,
          fragments: editAt(msg.fragments, x.c, (f) => ({ ...f, part: { pt: 'text', text: x.text } })),
        })),
      )
    case 8:
      return editMessages((m) =>
        editAt(m, x.b, (msg) => ({
          ...msg,
          fragments: insertAt(msg.fragments, x.c, { fId: newId('f'), ft: 'void', part: [x.text] }),
        })),
      )
    case 9:
      return editMessages((m) => editAt(m, x.b, (msg) => ({ ...msg, fragments: removeAt(msg.fragments, x.c) })))
    case 10: {
      const ids = state.conversations.map((c) => c.id)
      return {
        folders: editAt(state.folders, x.a, (f) => {
          const id = ids[x.b % Math.max(1, ids.length)]
          if (id === undefined) return f
          return {
            ...f,
            conversationIds: f.conversationIds.includes(id)
              ? f.conversationIds.filter((c) => c !== id)
              : insertAt(f.conversationIds, x.c, id),
          }
        }),
      }
    }
    case 11:
      return { folders: insertAt(state.folders, x.a, { id: newId('folder'), title: x.text, conversationIds: [] }) }
    case 12: {
      const services = { ...state.services }
      const key = `svc${x.a % 5}`
      if (x.b % 3 === 0) delete services[key]
      else services[key] = { usageCount: x.b, totalCosts: x.c / 7 }
      return { services }
    }
    case 13: {
      const flags = { ...state.flags }
      const key = `flag${x.a % 4}`
      if (x.b % 3 === 0) delete flags[key]
      else flags[key] = x.c % 2 === 0
      return { flags }
    }
    case 14: {
      if (x.b % 2 === 0 || state.tags.length === 0) {
        const tag = x.c + 1000 * (counter++ % 1000)
        return state.tags.includes(tag) ? {} : { tags: insertAt(state.tags, x.a, tag) }
      }
      return { tags: move(state.tags, x.a, x.c) }
    }
    case 15:
      return { settings: { ...state.settings, theme: x.text, fontSize: x.a } }
    case 16:
      return { untouched: x.text }
    default:
      return { files: { ...state.files, [`file${x.a % 3}`]: { name: x.text } } }
  }
}

describe('the diff', () => {
  it('writes what hydrates back to the persisted state, for any sequence of edits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(action, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 25 }),
        fc.boolean(),
        async (batches, flushEach) => {
          const backend = memoryBackend()
          const initial = { ...shapesState(), files: {} }
          const store = createStore<ShapesState>()(
            persistSQLite(() => initial, { name: 'prop', backend, schema: shapesSchema, onError: () => undefined }),
          )
          store.setState(initial)
          await store.persist.flush()
          for (const batch of batches) {
            for (const x of batch) store.setState((s) => apply(s, x))
            if (flushEach) await store.persist.flush()
          }
          await store.persist.flush()
          const reloaded = createStore<ShapesState>()(
            persistSQLite((): ShapesState => ({ ...initial, conversations: [] }), {
              name: 'prop',
              backend,
              schema: shapesSchema,
            }),
          )
          expect(reloaded.getState()).toEqual(store.getState())
          backend.close()
        },
      ),
      { numRuns: 150 },
    )
  })

  it('writes no rows when a set changes nothing that is persisted', async () => {
    const commits: number[] = []
    const store = createStore<ShapesState>()(
      persistSQLite(() => shapesState(), {
        name: 'same',
        backend: memoryBackend(),
        schema: shapesSchema,
        onCommit: (c) => commits.push(c.rows),
      }),
    )
    store.setState(shapesState())
    await store.persist.flush()
    // Equal content in new objects: rows are compared field by field, so nothing is written.
    store.setState((s) => ({ conversations: s.conversations.map((c) => ({ ...c })), settings: { ...s.settings } }))
    await store.persist.flush()
    expect(commits).toHaveLength(1)
  })
})
