import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite } from '@zustand-sqlite/core'
import type { Backend, CommitInfo } from '@zustand-sqlite/core'

export interface Message {
  id: string
  role: 'user' | 'assistant'
  text: string
  created: number
}

export interface Conversation {
  id: string
  title: string
  created: number
  messages: Message[]
}

export interface ChatState {
  conversations: Conversation[]
  runs: number
  theme: 'light' | 'dark'
  newConversation: (title: string) => string
  appendMessage: (conversationId: string, message: Message) => void
  editMessage: (conversationId: string, messageId: string, text: string) => void
  countRun: () => void
}

/** Conversations and messages in tables of their own; `runs` and `theme` as key/value rows. */
export const chatSchema = defineSchema({
  version: 1,
  state: {
    conversations: collection({
      table: 'conversations',
      key: 'id',
      columns: { id: column.text(), title: column.text(), created: column.integer() },
      children: {
        messages: collection({
          table: 'messages',
          key: 'id',
          parentColumns: ['conversation_id'],
          columns: { id: column.text(), role: column.text(), text: column.text(), created: column.integer() },
        }),
      },
    }),
  },
})

const editConversation = (list: Conversation[], id: string, edit: (c: Conversation) => Conversation): Conversation[] =>
  list.map((c) => (c.id === id ? edit(c) : c))

export function createChatStore(backend: Backend, onCommit?: (info: CommitInfo) => void) {
  return createStore<ChatState>()(
    persistSQLite(
      (set, get) => ({
        conversations: [],
        runs: 0,
        theme: 'dark',
        newConversation: (title) => {
          const id = `c${get().conversations.length + 1}-${Date.now().toString(36)}`
          set((s) => ({ conversations: [{ id, title, created: Date.now(), messages: [] }, ...s.conversations] }))
          return id
        },
        appendMessage: (conversationId, message) =>
          set((s) => ({
            conversations: editConversation(s.conversations, conversationId, (c) => ({
              ...c,
              messages: [...c.messages, message],
            })),
          })),
        editMessage: (conversationId, messageId, text) =>
          set((s) => ({
            conversations: editConversation(s.conversations, conversationId, (c) => ({
              ...c,
              messages: c.messages.map((m) => (m.id === messageId ? { ...m, text } : m)),
            })),
          })),
        countRun: () => set((s) => ({ runs: s.runs + 1 })),
      }),
      { name: 'chat', backend, schema: chatSchema, ...(onCommit ? { onCommit } : {}) },
    ),
  )
}
