import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import type { BackendOption, PersistSQLiteApi, PersistSQLiteOptions } from '@zustand-sqlite/core'
import { migrateChats } from './legacy'
import { chatsSchema } from './schema'
import { CHATS_STATE_VERSION, CHATS_STORE_NAME, createChatsState, mergeChats, partializeChats } from './state'
import type { ChatsStateOptions, ChatsStore, PersistedChats } from './state'

/** Options of {@link createChatsStore}. */
export interface ChatsStoreOptions
  extends
    ChatsStateOptions,
    Pick<
      PersistSQLiteOptions<ChatsStore, PersistedChats>,
      'onRehydrateStorage' | 'skipHydration' | 'writeDelayMs' | 'onError' | 'onCommit'
    > {
  /** The backend (or a function returning one, or a promise of one). */
  backend: BackendOption
  /** The store's name in the database. @default 'app-chats' */
  name?: string
}

/** The chats store: a Zustand store with `store.persist`. */
export type ChatsStoreApi = StoreApi<ChatsStore> & { persist: PersistSQLiteApi<ChatsStore, PersistedChats> }

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
  const { backend, name = CHATS_STORE_NAME, onConversationsDeleted, now, ...tuning } = options
  return createStore<ChatsStore>()(
    persistSQLite(
      createChatsState({
        ...(onConversationsDeleted === undefined ? {} : { onConversationsDeleted }),
        ...(now === undefined ? {} : { now }),
      }),
      {
        ...tuning,
        name,
        backend,
        schema: chatsSchema,
        version: CHATS_STATE_VERSION,
        partialize: partializeChats,
        merge: mergeChats,
        migrate: migrateChats,
      },
    ),
  )
}
