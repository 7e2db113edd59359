import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import type { BackendOption, PersistSQLiteApi, PersistSQLiteOptions } from '@zustand-sqlite/core'
import { chatFoldersSchema } from './schema'
import {
  CHAT_FOLDERS_STATE_VERSION,
  CHAT_FOLDERS_STORE_NAME,
  chatFoldersStateCreator,
  migrateChatFolders,
} from './state'
import type { ChatFoldersState, ChatFoldersStore } from './state'

/** Options of {@link createChatFoldersStore}: where to store, and the `persistSQLite` options a store may tune. */
export interface ChatFoldersStoreOptions extends Pick<
  PersistSQLiteOptions<ChatFoldersStore, ChatFoldersState>,
  'onRehydrateStorage' | 'skipHydration' | 'writeDelayMs' | 'onError' | 'onCommit'
> {
  /** The backend (or a function returning one, or a promise of one). */
  backend: BackendOption
  /** The store's name in the database. @default 'app-folders' */
  name?: string
}

/** The chat folders store: a Zustand store with `store.persist`. */
export type ChatFoldersStoreApi = StoreApi<ChatFoldersStore> & {
  persist: PersistSQLiteApi<ChatFoldersStore, ChatFoldersState>
}

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
  const { backend, name = CHAT_FOLDERS_STORE_NAME, ...tuning } = options
  return createStore<ChatFoldersStore>()(
    persistSQLite(chatFoldersStateCreator, {
      ...tuning,
      name,
      backend,
      schema: chatFoldersSchema,
      version: CHAT_FOLDERS_STATE_VERSION,
      migrate: migrateChatFolders,
    }),
  )
}
