import { defineStore } from '@zustand-sqlite/core'
import type { PersistedStoreApi, StoreOptions } from '@zustand-sqlite/core'
import { migrateChats } from './legacy'
import { chatsSchema } from './schema'
import {
  CHATS_STATE_VERSION,
  CHATS_STORE_NAME,
  createChatsState,
  mergeChats,
  mergeRemoteChats,
  partializeChats,
} from './state'
import type { ChatsStateOptions, ChatsStore, PersistedChats } from './state'

/** Options of {@link createChatsStore}: where to store, the `persistSQLite` options a store may tune, and its own. */
export type ChatsStoreOptions = StoreOptions<ChatsStore, PersistedChats> & ChatsStateOptions

/** The chats store: a Zustand store with `store.persist`. */
export type ChatsStoreApi = PersistedStoreApi<ChatsStore, PersistedChats>

/**
 * The chats store, defined once: name `app-chats`, the `conversations`, `messages` and `fragments` tables,
 * state version 4 with the app's migrations, partialize and merge. `create` makes the store; `prepare`
 * serves the query functions, which read the tables with SQL.
 */
export const chatsDefinition = defineStore<ChatsStore, PersistedChats, ChatsStateOptions>({
  name: CHATS_STORE_NAME,
  schema: chatsSchema,
  version: CHATS_STATE_VERSION,
  partialize: partializeChats,
  merge: mergeChats,
  mergeRemote: mergeRemoteChats,
  migrate: migrateChats,
  state: (options) => createChatsState(options),
})

/**
 * A chats store persisted with `persistSQLite`: conversations, messages and fragments as rows. A
 * streamed token (`replaceMessageFragment`) writes one fragment row; prepending a conversation writes
 * its row alone. With a synchronous backend it has hydrated when this returns.
 *
 * Give `writeDelayMs` to write a burst of streamed tokens as one transaction (the app waits 321 ms).
 *
 * @example
 * ```ts
 * const chats = createChatsStore({
 *   backend,
 *   onConversationsDeleted: (ids) => folders.getState().removeConversationsFromFolders(ids),
 * })
 * const id = chats.getState().prependNewConversation()
 * ```
 */
export function createChatsStore(options: ChatsStoreOptions): ChatsStoreApi {
  return chatsDefinition.create(options)
}
