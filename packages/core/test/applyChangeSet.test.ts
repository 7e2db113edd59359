import { describe, expect, it } from 'vitest'
import { collection, column, defineSchema, isPromiseLike, table } from '@zustand-sqlite/core'
import type { ChangeSet, MaybePromise } from '@zustand-sqlite/core'
import { shapesSchema, shapesState } from '@zustand-sqlite/core/testing'
import { applyChangeSet } from '../src/middleware/applyChangeSet'
import { buildChangeSet } from '../src/middleware/buildChangeSet'
import type { OrderKeyMemo } from '../src/middleware/diff'
import { materialize } from '../src/middleware/materialize'
import { defaultCodec } from '../src/schema/codec'
import type { StoreSchema } from '../src/schema/defineSchema'
import { codeOf, memoryBackend } from './helpers'

type State = Record<string, any>

const STORE = 'apply'

const now = <T>(value: MaybePromise<T>): T => {
  if (isPromiseLike(value)) throw new Error('expected a synchronous backend')
  return value
}

/** A store on a real database: the ChangeSets a test applies are committed there too, as the oracle. */
function storeOf(schema: StoreSchema, state: State) {
  const backend = memoryBackend()
  now(backend.prepare(STORE, schema.spec))
  const memo: OrderKeyMemo = new WeakMap()
  const load = (into: OrderKeyMemo = new WeakMap()): State =>
    materialize(schema, now(backend.load(STORE)), into, defaultCodec)
  const diff = (prev: State | null, next: State): ChangeSet =>
    buildChangeSet({
      store: STORE,
      schema,
      codec: defaultCodec,
      memo,
      prev,
      prevVersion: prev === null ? null : 1,
      next,
      version: 1,
    }) as ChangeSet
  now(backend.apply(diff(null, state)))
  return {
    memo,
    stored: load(memo),
    diff,
    load,
    /** Commits `changeSet` to the database and returns the state applyChangeSet makes of it. */
    commit(prev: State | null, changeSet: ChangeSet): State {
      now(backend.apply(changeSet))
      return applyChangeSet(schema, defaultCodec, memo, prev, changeSet)
    },
  }
}

const header = { store: STORE, schemaVersion: 1, stateVersion: 1 } as const

describe('applyChangeSet', () => {
  it('keeps the identity of a conversation the ChangeSet does not reach', () => {
    const s = storeOf(shapesSchema, shapesState())
    const [c2, c1] = s.stored.conversations
    const next = {
      ...s.stored,
      conversations: [{ ...c2, messages: [{ ...c2.messages[0], role: 'edited' }, c2.messages[1]] }, c1],
    }
    const state = s.commit(s.stored, s.diff(s.stored, next))
    expect(state).toEqual(s.load())
    expect(state.conversations[1]).toBe(c1)
    expect(state.conversations[0].messages[1]).toBe(c2.messages[1])
    expect(state.conversations[0].messages[0].fragments).toBe(c2.messages[0].fragments)
    expect(state.folders).toBe(s.stored.folders)
    expect(state.settings).toBe(s.stored.settings)
  })

  it('applies a second ChangeSet on its result: the order keys of the arrays it made are recorded', () => {
    const s = storeOf(shapesSchema, shapesState())
    const message = (id: string) => ({ id, role: 'user', created: 9, fragments: [] })
    const insertInMiddle = (state: State, id: string): State => {
      const [c2, ...rest] = state.conversations
      const messages = [...c2.messages]
      messages.splice(1, 0, message(id))
      return { ...state, conversations: [{ ...c2, messages }, ...rest] }
    }
    const first = s.commit(s.stored, s.diff(s.stored, insertInMiddle(s.stored, 'new1')))
    const second = s.commit(first, s.diff(first, insertInMiddle(first, 'new2')))
    expect(second).toEqual(s.load())
    expect(second.conversations[0].messages.map((m: State) => m.id)).toEqual(['m1', 'new2', 'new1', 'm2'])
  })

  it('keeps the fields whose columns a row leaves out', () => {
    const s = storeOf(shapesSchema, shapesState())
    const changeSet: ChangeSet = {
      ...header,
      tables: [
        // Neither the title, the rest column nor the order key: the item keeps them, and its place.
        { table: 'conversations', update: [{ columns: ['id', 'created'], rows: [['c2', 20]] }] },
        { table: 'folders', update: [{ columns: ['id', 'title'], rows: [['work', 'Job']] }] },
        { table: 'settings', update: [{ columns: ['id', 'font_size'], rows: [[1, 16]] }] },
      ],
    }
    const state = s.commit(s.stored, changeSet)
    expect(state).toEqual(s.load())
    expect(state.conversations[0]).toMatchObject({ id: 'c2', created: 20, userTitle: 'second' })
    expect(state.folders[0]).toMatchObject({ title: 'Job', color: '#ff0000' })
    expect(state.settings).toEqual({ theme: 'dark', fontSize: 16, unknownSetting: { from: 'a newer version' } })
  })

  it('writes an item deleted and written again in one ChangeSet as new, without its former nested items', () => {
    const s = storeOf(shapesSchema, shapesState())
    const changeSet: ChangeSet = {
      ...header,
      tables: [
        {
          table: 'conversations',
          delete: [['c2']],
          upsert: [
            { columns: ['id', 'created', 'user_title', 'sort_key', 'extra'], rows: [['c2', 5, null, 'a0', null]] },
          ],
        },
      ],
    }
    const state = s.commit(s.stored, changeSet)
    expect(state).toEqual(s.load())
    expect(state.conversations[0]).toEqual({ id: 'c2', created: 5, messages: [] })
  })

  it('starts from an empty store when nothing is stored, or with replace', () => {
    const s = storeOf(shapesSchema, shapesState())
    const everything = s.diff(null, s.stored)
    expect(applyChangeSet(shapesSchema, defaultCodec, s.memo, null, everything)).toEqual(s.load())
    const replace: ChangeSet = { ...header, replace: true, tables: [] }
    expect(s.commit(s.stored, replace)).toEqual(s.load())
    expect(s.load().conversations).toEqual([])
  })

  it('leaves out what the state does not hold: append-only tables, lazy tables and stamp columns', () => {
    const schema = defineSchema({
      state: {
        docs: collection({
          table: 'docs',
          key: 'id',
          timestamps: true,
          versionColumn: 'state_version',
          lazyTable: 'doc_bodies',
          columns: {
            id: column.text(),
            pinned: column.boolean({ since: 'pinned_at' }),
            body: column.text({ lazy: true }),
          },
        }),
      },
      tables: { events: table({ columns: { name: column.text(), at: column.integer() } }) },
    })
    const s = storeOf(schema, { docs: [{ id: 'd1', pinned: false, body: 'long' }] })
    const next = { docs: [{ id: 'd0', pinned: true, body: 'new' }, ...s.stored.docs] }
    const diff = s.diff(s.stored, next)
    const changeSet: ChangeSet = {
      ...diff,
      tables: [
        ...diff.tables,
        { table: 'doc_bodies', delete: [['d9']] },
        { table: 'events', insert: [{ columns: ['name', 'at'], rows: [['opened', 1]] }] },
      ],
    }
    const state = s.commit(s.stored, changeSet)
    expect(state).toEqual(s.load())
    expect(state).toEqual({
      docs: [
        { id: 'd0', pinned: true },
        { id: 'd1', pinned: false },
      ],
    })
  })

  it('refuses a ChangeSet that does not fit the schema or the state, with INVALID_CHANGESET', () => {
    const s = storeOf(shapesSchema, shapesState())
    const refused = (
      changeSet: ChangeSet,
      state: State = s.stored,
      memo: OrderKeyMemo = s.memo,
    ): string | undefined => {
      try {
        applyChangeSet(shapesSchema, defaultCodec, memo, state, changeSet)
        return undefined
      } catch (error) {
        return codeOf(error)
      }
    }
    expect(refused({ ...header, tables: [{ table: 'nope', delete: [['x']] }] })).toBe('INVALID_CHANGESET')
    expect(refused({ ...header, schemaVersion: 2, tables: [] })).toBe('INVALID_CHANGESET')
    const orphan: ChangeSet = {
      ...header,
      tables: [
        {
          table: 'messages',
          upsert: [
            { columns: ['conversation_id', 'id', 'role', 'created', 'sort_key'], rows: [['c9', 'm', 'user', 1, 'a0']] },
          ],
        },
      ],
    }
    expect(refused(orphan)).toBe('INVALID_CHANGESET')
    // An array whose order keys were never recorded: where its new item goes cannot be known.
    const tag: ChangeSet = {
      ...header,
      tables: [{ table: 'tags', upsert: [{ columns: ['tag', 'sort_key'], rows: [[5, 'a0']] }] }],
    }
    expect(refused(tag, s.stored, new WeakMap())).toBe('INVALID_CHANGESET')
  })
})
