import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createChatsStore,
  isEmptyConversation,
  listConversations,
  loadConversationMessages,
  partializeChats,
  searchConversations,
} from '@zustand-sqlite/store-chats'
import type { DConversation, DMessage, DMessageFragment } from '@zustand-sqlite/store-chats'
import { PROTOTYPE_NAMES, withStoreDatabase } from '../../../test-utils/stores'

/** Names that `Object.prototype` has: ids and keys like any other for the store. */

const byKey = ([a]: [string, unknown], [b]: [string, unknown]): number => (a < b ? -1 : a > b ? 1 : 0)

/** A record as sorted own entries; fails when its prototype is not `Object.prototype`. */
function entriesOf(record: object | undefined): [string, unknown][] {
  if (record === undefined) return []
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype)
  return Object.entries(record).sort(byKey)
}

/** What the test compares of a message: ids, fragment ids, and metadata as own entries. */
const messageOf = (m: DMessage) => ({
  id: m.id,
  fragments: m.fragments.map((f) => f.fId),
  metadata: entriesOf(m.metadata),
})
const conversationsOf = (list: readonly DConversation[]) =>
  list.map((c) => ({ id: c.id, messages: c.messages.map(messageOf) }))

const fragment = (fId: string): DMessageFragment => ({
  ft: 'content',
  fId,
  part: { pt: 'text', text: `needle ${fId}` },
})

const withDatabase = withStoreDatabase(createChatsStore)

const id = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom('c1', 'm1', 'f1'))

interface ModelMessage {
  id: string
  fragments: string[]
  metadata: Record<string, number>
}

describe('the chats store with ids that are Object.prototype names', () => {
  it('keeps conversations, messages and fragments of such ids, through a write, a reload and the queries', async () => {
    const operation = fc.record({ kind: fc.nat({ max: 6 }), c: id, m: id, f: id, n: fc.nat({ max: 9 }) })
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 25 }), async (operations) => {
        await withDatabase(async (open, connect) => {
          const store = await open()
          // Hydration of an empty database adds one empty conversation: the model starts from it.
          let model: { id: string; messages: ModelMessage[] }[] = store
            .getState()
            .conversations.map((c) => ({ id: c.id, messages: [] }))
          const inModel = (c: string) => model.find((x) => x.id === c)
          const editMessages = (c: string, change: (messages: ModelMessage[]) => ModelMessage[]): void => {
            model = model.map((x) => (x.id === c ? { ...x, messages: change(x.messages) } : x))
          }
          const editFragments = (c: string, m: string, change: (fragments: string[]) => string[]): void =>
            editMessages(c, (list) => list.map((x) => (x.id === m ? { ...x, fragments: change(x.fragments) } : x)))
          for (const { kind, c, m, f, n } of operations) {
            const s = store.getState()
            const message = inModel(c)?.messages.find((x) => x.id === m)
            if (kind === 0) {
              // A title, so that the conversation is stored even without messages.
              s.importConversation(
                {
                  id: c,
                  messages: [],
                  userTitle: c,
                  systemPurposeId: 'Generic',
                  created: 1,
                  updated: 1,
                  tokenCount: 0,
                },
                false,
              )
              model = [{ id: c, messages: [] }, ...model.filter((x) => x.id !== c)]
            } else if (kind === 1 && message === undefined) {
              // As a parsed import holds it: a metadata key `__proto__` is an own key.
              const metadata = JSON.parse(`{${JSON.stringify(f)}:${n}}`) as Record<string, number>
              const added: DMessage = {
                id: m,
                role: 'user',
                fragments: [fragment(f)],
                metadata,
                tokenCount: 0,
                created: 1,
                updated: null,
              }
              s.appendMessage(c, added)
              editMessages(c, (list) => [...list, { id: m, fragments: [f], metadata }])
            } else if (kind === 2 && message !== undefined && !message.fragments.includes(f)) {
              s.appendMessageFragment(c, m, fragment(f))
              editFragments(c, m, (list) => [...list, f])
            } else if (kind === 3) {
              s.deleteMessageFragment(c, m, f)
              editFragments(c, m, (list) => list.filter((x) => x !== f))
            } else if (kind === 4) {
              const delta = JSON.parse(`{${JSON.stringify(f)}:${n}}`) as Record<string, number>
              s.updateMetadata(c, m, delta)
              editMessages(c, (list) =>
                list.map((x) => (x.id === m ? { ...x, metadata: { ...x.metadata, ...delta } } : x)),
              )
            } else if (kind === 5) {
              s.deleteMessage(c, m)
              editMessages(c, (list) => list.filter((x) => x.id !== m))
            } else if (kind === 6) {
              s.deleteConversations([c])
              model = model.filter((x) => x.id !== c)
              // The last one deleted, the store makes a new, empty one.
              if (model.length === 0) model = [{ id: store.getState().conversations[0]?.id ?? '', messages: [] }]
            }
          }
          const expected = model.map((x) => ({
            id: x.id,
            messages: x.messages.map((y) => ({ ...y, metadata: Object.entries(y.metadata).sort(byKey) })),
          }))
          expect(conversationsOf(store.getState().conversations)).toEqual(expected)

          // An empty, untitled conversation is the one hydration adds: stored only once something is set.
          const kept = (list: readonly DConversation[]) => conversationsOf(list.filter((c) => !isEmptyConversation(c)))
          const persisted = kept(partializeChats(store.getState()).conversations)
          await store.persist.flush()
          expect(kept((await open()).getState().conversations)).toEqual(persisted)

          const backend = connect()
          const { items } = await listConversations(backend, { limit: 1000 })
          const listed = items.filter((x) => x.title !== '' || x.messageCount > 0).map((x) => x.id)
          expect(listed.sort()).toEqual(persisted.map((x) => x.id).sort())
          for (const conversation of persisted)
            expect((await loadConversationMessages(backend, conversation.id)).map(messageOf)).toEqual(
              conversation.messages,
            )
          const found = await searchConversations(backend, 'needle', { limit: 1000 })
          expect(found.map((x) => x.conversationId).sort()).toEqual(
            persisted
              .filter((x) => x.messages.some((y) => y.fragments.length > 0))
              .map((x) => x.id)
              .sort(),
          )
        })
      }),
      { numRuns: 50 },
    )
  })
})
