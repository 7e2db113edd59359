import { collection, column, defineSchema, singleton } from '@zustand-sqlite/core'

/**
 * The chat folders tables: one `chat_folders` row per folder, one `folder_conversations` row per
 * conversation in a folder, and the `enableFolders` setting in the one row of `chat_folders_settings`.
 *
 * - Folders keep their display order in `sort_key`, a TEXT fractional order key, instead of the roadmap's
 *   integer `sort_order`: moving a folder rewrites its own row only, where integer positions would rewrite
 *   every folder between the two places. The conversations of a folder keep their order the same way.
 * - Deleting a folder deletes its `folder_conversations` rows (the foreign key on `folder_id`, and the
 *   nested-collection delete of the SQL tier).
 * - There is deliberately no foreign key from `conversation_id` to the conversations table: folder links
 *   are weak in the app. They may name incognito chats (never stored), chats not written yet (the folders
 *   and chats stores write in separate transactions, folders possibly first) or chats of another database;
 *   a hard foreign key would fail such a write and every later write of the folders. The cascade of a
 *   deleted conversation is done in state, by `removeConversationsFromFolders`.
 * - `folder_conversations_conversation_id_idx` answers "which folder holds this chat".
 *
 * ```sql
 * CREATE TABLE chat_folders (id TEXT NOT NULL, title TEXT NOT NULL, color TEXT,
 *   is_collapsed INTEGER CHECK (is_collapsed IN (0, 1)), sort_key TEXT NOT NULL, extra TEXT,
 *   created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (id)) STRICT
 * CREATE TABLE folder_conversations (folder_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
 *   sort_key TEXT NOT NULL, added_at INTEGER NOT NULL, PRIMARY KEY (folder_id, conversation_id),
 *   FOREIGN KEY (folder_id) REFERENCES chat_folders ON DELETE CASCADE) STRICT
 * CREATE TABLE chat_folders_settings (id INTEGER NOT NULL, enable_folders INTEGER NOT NULL
 *   CHECK (enable_folders IN (0, 1)), extra TEXT, PRIMARY KEY (id)) STRICT
 * ```
 */
export const chatFoldersSchema = defineSchema({
  version: 1,
  state: {
    folders: collection({
      table: 'chat_folders',
      key: 'id',
      columns: {
        id: column.text(),
        title: column.text(),
        color: column.text({ optional: true }),
        isCollapsed: column.boolean({ optional: true, column: 'is_collapsed' }),
      },
      order: 'sort_key',
      rest: 'extra',
      timestamps: { created: 'created_at', updated: 'updated_at' },
      children: {
        conversationIds: collection({
          table: 'folder_conversations',
          parentColumns: ['folder_id'],
          value: column.text({ column: 'conversation_id' }),
          order: 'sort_key',
          timestamps: { created: 'added_at' },
          indexes: [{ columns: ['conversation_id'] }],
        }),
      },
    }),
  },
  root: singleton({
    table: 'chat_folders_settings',
    columns: { enableFolders: column.boolean() },
    rest: 'extra',
  }),
})
