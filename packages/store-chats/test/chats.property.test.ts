import fc from 'fast-check'
import initSqlJs from 'sql.js'
import { describe, expect, it } from 'vitest'
import { replaceAt } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { createStore } from 'zustand/vanilla'
import {
  createChatsState,
  createChatsStore,
  createDMessageTextContent,
  isEmptyConversation,
  partializeChats,
} from '@zustand-sqlite/store-chats'
import type { ChatsStore, DConversation, DMessageFragment } from '@zustand-sqlite/store-chats'
import { indexOfConversation } from '../src/conversationList'

/** One random action, as data: indexes are taken modulo the length of what they point into. */
interface Action {
  kind: number
  a: number
  b: number
  c: number
  flag: boolean
  text: string
}

const action: fc.Arbitrary<Action> = fc.record({
  kind: fc.nat({ max: 20 }),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  c: fc.nat({ max: 1000 }),
  flag: fc.boolean(),
  text: fc.string({ maxLength: 10 }),
})

const pick = <T>(list: readonly T[], index: number): T | undefined =>
  list.length === 0 ? undefined : list[index % list.length]

function apply(store: ChatsStore, { kind, a, b, c, flag, text }: Action): void {
  const conversation = pick(store.conversations, a)
  const message = conversation === undefined ? undefined : pick(conversation.messages, b)
  const fragment = message === undefined ? undefined : pick(message.fragments, c)
  const textFragment = (fId: string): DMessageFragment => ({ ft: 'content', fId, part: { pt: 'text', text } })
  const cId = conversation?.id ?? 'missing'
  const mId = message?.id ?? 'missing'
  switch (kind) {
    case 0:
      store.prependNewConversation(text === '' ? undefined : 'Custom', flag && text.length % 3 === 0)
      break
    case 1:
    case 2:
      store.appendMessage(cId, createDMessageTextContent(flag ? 'user' : 'assistant', text))
      break
    case 3:
      store.appendMessageFragment(cId, mId, textFragment(`f${a}-${c}`), flag)
      break
    case 4:
    case 5:
      store.replaceMessageFragment(
        cId,
        mId,
        fragment?.fId ?? 'missing',
        textFragment(fragment?.fId ?? 'x'),
        false,
        flag,
      )
      break
    case 6:
      store.deleteMessageFragment(cId, mId, fragment?.fId ?? 'missing')
      break
    case 7:
      store.editMessage(cId, mId, { userFlags: flag ? ['starred'] : [], pendingIncomplete: !flag }, flag, flag)
      break
    case 8:
      store.deleteMessage(cId, mId)
      break
    case 9:
      store.branchConversation(cId, flag ? null : mId)
      break
    case 10:
      if (conversation !== undefined) store.importConversation({ ...conversation, userTitle: text }, flag)
      break
    case 11:
      store.deleteConversations(flag ? [cId] : store.conversations.slice(0, 2).map((x) => x.id))
      break
    case 12:
      store.historyReplace(cId, conversation?.messages.filter((_, i) => i % 2 === 0) ?? [])
      break
    case 13:
      store.historyTruncateToIncluded(cId, mId, c % 2)
      break
    case 14:
      store.setUserTitle(cId, text)
      break
    case 15:
      store.setAutoTitle(cId, text)
      break
    case 16:
      store.setArchived(cId, flag)
      break
    case 17:
      store.setUserSymbol(cId, flag ? text : undefined)
      break
    case 18:
      store.setAbortController(cId, flag ? new AbortController() : null)
      break
    case 19:
      store.updateMetadata(cId, mId, { entangled: { id: text, color: 'red', count: c } }, flag)
      break
    default:
      store.setSystemPurposeId(cId, text || 'Generic')
  }
}

/** What a fresh store on the same database must hydrate to. */
function expected(store: ChatsStore): unknown {
  const conversations = structuredClone(partializeChats(store).conversations).map((conversation) => {
    const { _abortController: _a, _isIncognito: _i, ...rest } = conversation
    return {
      ...rest,
      messages: rest.messages.map((m) => {
        const { pendingIncomplete: _p, ...kept } = m
        return kept
      }),
    }
  })
  return conversations
}

const sqlJs = initSqlJs()
const engines: { name: string; open: () => Backend | Promise<Backend>; runs: number }[] = [
  { name: 'better-sqlite3', open: () => createBetterSqlite3Backend({ filename: ':memory:' }), runs: 200 },
  { name: 'sql.js', open: () => createSqlJsBackend({ sqlJs, storage: 'memory' }), runs: 60 },
]

describe.each(engines)('chats store on $name: random action sequences', ({ open, runs }) => {
  it('hydrate back to exactly the persisted state', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(action, { maxLength: 8 }), { minLength: 1, maxLength: 8 }),
        async (batches) => {
          const backend = await open()
          try {
            let clock = 1
            let commits = 0
            const store = createChatsStore({
              backend,
              now: () => clock++,
              onCommit: () => void commits++,
              onError: (e) => {
                throw e
              },
            })
            for (const batch of batches) {
              for (const a of batch) apply(store.getState(), a)
              await store.persist.flush()
            }
            const again = createChatsStore({ backend })
            const stored = expected(store.getState()) as { messages: unknown[] }[]
            const hydratedTo = expected(again.getState()) as typeof stored
            if (stored.length === 0 || commits === 0) {
              // Nothing written (no set, or nothing to keep): the merge makes one empty conversation.
              expect(again.getState().conversations).toHaveLength(1)
              expect(isEmptyConversation(again.getState().conversations[0]!)).toBe(true)
            } else {
              expect(hydratedTo).toEqual(stored)
            }
          } finally {
            await backend.close()
          }
        },
      ),
      { numRuns: runs },
    )
  })
})

/** The stored conversations as one pass over the list makes them: what `partializeChats` must answer. */
function storedByPass(list: readonly DConversation[]): readonly DConversation[] {
  const incognito = list.filter((c) => c._isIncognito === true).length
  const dropEmpty = list.length - incognito > 1
  return list.filter((c) => c._isIncognito !== true && !(dropEmpty && isEmptyConversation(c)))
}

describe('what a token costs: the list remembered from one state to the next', () => {
  it('stores and finds what passes over the list would, for any sequence of actions', () => {
    fc.assert(
      fc.property(fc.array(action, { minLength: 1, maxLength: 60 }), fc.nat(), (actions, duplicateAt) => {
        const store = createStore<ChatsStore>()(createChatsState({ now: () => 1 }))
        for (const [i, a] of actions.entries()) {
          if (i === duplicateAt % actions.length && store.getState().conversations.length > 0) {
            // A list holding one id twice (as a merge of old data can): the first is the one found.
            const list = store.getState().conversations
            const twin = list[a.a % list.length] as DConversation
            store.setState({ conversations: [...list, { ...twin, userTitle: 'twin' }] })
          }
          apply(store.getState(), a)
          const list = store.getState().conversations
          const stored = partializeChats(store.getState()).conversations
          expect(stored).toEqual(storedByPass(list))
          storedByPass(list).forEach((c, j) => expect(stored[j]).toBe(c))
          for (const id of [...list.map((c) => c.id), 'missing'])
            expect(indexOfConversation(list, id)).toBe(list.findIndex((c) => c.id === id))
        }
      }),
      { numRuns: 300 },
    )
  })
})

describe('indexOfConversation', () => {
  it('answers the first conversation of an id, also when a replacement before it takes that id', () => {
    const c = (id: string) => ({ id }) as DConversation
    const list = [c('a'), c('b'), c('c')]
    expect(indexOfConversation(list, 'c')).toBe(2)
    // A conversation before the one found now has its id: that one is the first.
    const renamed = replaceAt(list, 0, c('c'))
    expect(indexOfConversation(renamed, 'c')).toBe(0)
    // The one found replaced by another id: found elsewhere, or not at all.
    expect(indexOfConversation(replaceAt(list, 2, c('z')), 'c')).toBe(-1)
    expect(indexOfConversation(list, 'missing')).toBe(-1)
    expect(indexOfConversation(replaceAt(list, 1, c('missing')), 'missing')).toBe(1)
  })
})
