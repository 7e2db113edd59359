import { defineStore } from '@zustand-sqlite/core'
import type { PersistedStoreApi, StoreOptions } from '@zustand-sqlite/core'
import { chatFoldersSchema } from './schema'
import {
  CHAT_FOLDERS_STATE_VERSION,
  CHAT_FOLDERS_STORE_NAME,
  createChatFoldersState,
  migrateChatFolders,
} from './state'
import type { ChatFoldersState, ChatFoldersStore } from './state'

/** Options of {@link createChatFoldersStore}: where to store, and the `persistSQLite` options a store may tune. */
export type ChatFoldersStoreOptions = StoreOptions<ChatFoldersStore, ChatFoldersState>

/** The chat folders store: a Zustand store with `store.persist`. */
export type ChatFoldersStoreApi = PersistedStoreApi<ChatFoldersStore, ChatFoldersState>

/**
 * The chat folders store, defined once: name `app-folders`, the `chat_folders`, `folder_conversations` and
 * `chat_folders_settings` tables, state version 0. `create` makes the store; `read` and `update` serve the
 * query functions, which run the store's own actions on the stored folders.
 */
export const chatFoldersDefinition = defineStore<ChatFoldersStore, ChatFoldersState>({
  name: CHAT_FOLDERS_STORE_NAME,
  schema: chatFoldersSchema,
  version: CHAT_FOLDERS_STATE_VERSION,
  migrate: migrateChatFolders,
  state: () => createChatFoldersState(),
})

/**
 * A chat folders store persisted with `persistSQLite`: one `chat_folders` row per folder and one
 * `folder_conversations` row per conversation in a folder, so renaming or moving a folder, or adding a
 * conversation to one, writes one row. With a synchronous backend it has hydrated when this returns. Use it
 * with `useStore(store, selector)` in React or with `store.getState()` anywhere.
 *
 * Wire the cascade of deleted conversations to the chats store, so that the folders forget them:
 * `onConversationsDeleted: (ids) => foldersStore.getState().removeConversationsFromFolders(ids)`.
 *
 * @example
 * ```ts
 * const foldersStore = createChatFoldersStore({ backend })
 * const id = foldersStore.getState().createFolder('Work', '#407cf8')
 * foldersStore.getState().addConversationToFolder(id, conversationId)
 * ```
 */
export function createChatFoldersStore(options: ChatFoldersStoreOptions): ChatFoldersStoreApi {
  return chatFoldersDefinition.create(options)
}
