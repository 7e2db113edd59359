import { defineLegacyStore } from '@zustand-sqlite/core'
import { chatsLegacyPersistOptions, importLegacyChats } from './legacy'
import { partializeChats } from './state'
import type { PersistedChats } from './state'
import { chatsDefinition } from './store'

const count = (state: PersistedChats): { conversations: number; messages: number; fragments: number } => {
  let messages = 0
  let fragments = 0
  for (const conversation of state.conversations) {
    messages += conversation.messages.length
    for (const message of conversation.messages) fragments += message.fragments.length
  }
  return { conversations: state.conversations.length, messages, fragments }
}

/**
 * How big-AGI kept the chats before SQLite, for a migration: the `app-chats` key of idb-keyval's database
 * (`keyval-store` / `keyval`) in IndexedDB, read by `importLegacyChats` (versions 2 to 4) and written back,
 * on rollback, with `chatsLegacyPersistOptions` (version 4). The state imported is what the store writes:
 * empty conversations beside others are left out, as `partializeChats` leaves them out. `cleaned` counts
 * the issues of the import's report and those conversations. `count` reports `conversations`, `messages`
 * and `fragments`.
 *
 * @example
 * ```ts
 * const imported = await chatsLegacy.import(await idbGet('app-chats'), context)
 * ```
 */
export const chatsLegacy = defineLegacyStore({
  definition: chatsDefinition,
  key: chatsLegacyPersistOptions.name,
  location: 'indexedDB',
  import: (raw) => {
    const imported = importLegacyChats(raw)
    if (imported === null) return null
    const state = partializeChats(imported.state)
    const leftOut = imported.state.conversations.length - state.conversations.length
    return { state, cleaned: imported.report.issues.length + leftOut, report: imported.report }
  },
  count,
  persistOptions: chatsLegacyPersistOptions,
})
