import { defineLegacyStore, isPlainObject } from '@zustand-sqlite/core'
import { importLegacyChatFolders } from './legacy'
import { chatFoldersLegacyPersistOptions } from './state'
import type { ChatFoldersState } from './state'
import { chatFoldersDefinition } from './store'

/** The chats store's name: its import, when it is part of the migration, tells which conversations exist. */
const CHATS_STORE_NAME = 'app-chats'

/** The ids of the conversations the chats store imported (`{ conversations }`), `undefined` without it. */
function conversationIdsOf(chats: unknown): string[] | undefined {
  if (!isPlainObject(chats) || !Array.isArray(chats['conversations'])) return undefined
  const ids: string[] = []
  for (const conversation of chats['conversations'] as unknown[])
    if (isPlainObject(conversation) && typeof conversation['id'] === 'string') ids.push(conversation['id'])
  return ids
}

const count = (state: ChatFoldersState): { folders: number; links: number } => ({
  folders: state.folders.length,
  links: state.folders.reduce((links, folder) => links + folder.conversationIds.length, 0),
})

/**
 * How big-AGI kept the chat folders before SQLite, for a migration: the `app-folders` key of localStorage,
 * read by `importLegacyChatFolders` (version 0) and written back, on rollback, with
 * `chatFoldersLegacyPersistOptions` (version 0). It is migrated after the chats (`after: ['app-chats']`):
 * when the chats are part of the migration, links to conversations they do not hold are dropped and
 * reported in `dangling`; without them, every link is kept. `cleaned` counts the dangling links and the
 * skipped entries; `count` reports `folders` and `links` (conversations in folders).
 *
 * @example
 * ```ts
 * const imported = await chatFoldersLegacy.import(localStorage.getItem('app-folders'), context)
 * ```
 */
export const chatFoldersLegacy = defineLegacyStore({
  definition: chatFoldersDefinition,
  key: chatFoldersLegacyPersistOptions.name,
  location: 'localStorage',
  after: [CHATS_STORE_NAME],
  import: (raw, context) => {
    const conversationIds = conversationIdsOf(context.imported(CHATS_STORE_NAME))
    const imported = importLegacyChatFolders(raw, conversationIds === undefined ? {} : { conversationIds })
    if (imported === null) return null
    const { state, dangling, skipped } = imported
    return { state, cleaned: dangling.length + skipped.length, report: { dangling, skipped } }
  },
  count,
  persistOptions: chatFoldersLegacyPersistOptions,
})
