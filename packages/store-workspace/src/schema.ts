import { collection, column, defineSchema, table } from '@zustand-sqlite/core'

/** The table of files' metadata (in state); their content is in {@link WORKSPACE_FILE_CONTENT_TABLE}. */
export const WORKSPACE_FILES_TABLE = 'workspace_files'
/** The content of each file, one row per file, beside its metadata row. */
export const WORKSPACE_FILE_CONTENT_TABLE = 'workspace_file_content'
/** The append-only history of operations. */
export const WORKSPACE_HISTORY_TABLE = 'workspace_history'

/**
 * The workspace tables: `workspace_folders` (a tree by `parent_id`), `workspace_files` (metadata),
 * `workspace_file_content` (content, loaded by `readFile`), `workspace_settings` (one row per setting), `workspace_live_files` (the files assigned to
 * each conversation) and `workspace_history` (one row per operation, never loaded into state).
 *
 * - File content is in `workspace_file_content`, one row per file under its id: `content` (TEXT, for text
 *   files) or `content_binary` (BLOB), as `encoding` says. Both are lazy: hydration never reads them. They
 *   have a table of their own because SQLite rewrites a whole row on every update: with the content in the
 *   `workspace_files` row, renaming a folder of 1,000 files of 50 kB rewrote 168 MiB, and loading the
 *   metadata read the first part (about 4 KiB) of every file's content, kept inline in its row.
 * - `path` is stored with every file and folder (`/docs/notes.md`) and kept consistent by the store: a
 *   rename or move of a folder rewrites the paths below it in the same transaction. It is indexed but
 *   not unique: names are unique per folder in state (checked by every operation), and a unique index
 *   would refuse a transaction that swaps two names in an order SQLite does not choose.
 * - `parent_id` and `folder_id` reference `workspace_folders` with foreign keys checked at commit, so a
 *   dangling parent can never be written; deleting a folder deletes its subtree in state first.
 * - Times (`created_at`, `updated_at`) are milliseconds since the epoch and part of the state, since
 *   the app shows them.
 *
 * ```sql
 * CREATE TABLE workspace_folders (id TEXT NOT NULL, name TEXT NOT NULL, parent_id TEXT, path TEXT NOT NULL,
 *   created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, extra TEXT, PRIMARY KEY (id),
 *   FOREIGN KEY (parent_id) REFERENCES workspace_folders (id) ON DELETE NO ACTION DEFERRABLE INITIALLY DEFERRED) STRICT
 * CREATE TABLE workspace_files (id TEXT NOT NULL, name TEXT NOT NULL, folder_id TEXT, path TEXT NOT NULL,
 *   mime_type TEXT NOT NULL, size_bytes INTEGER NOT NULL, encoding TEXT NOT NULL, created_at INTEGER NOT NULL,
 *   updated_at INTEGER NOT NULL, extra TEXT, PRIMARY KEY (id),
 *   FOREIGN KEY (folder_id) REFERENCES workspace_folders (id) ON DELETE NO ACTION DEFERRABLE INITIALLY DEFERRED) STRICT
 * CREATE TABLE workspace_file_content (id TEXT NOT NULL, content TEXT, content_binary BLOB, PRIMARY KEY (id),
 *   FOREIGN KEY (id) REFERENCES workspace_files ON DELETE CASCADE) STRICT
 * CREATE TABLE workspace_settings (key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
 *   PRIMARY KEY (key)) STRICT
 * CREATE TABLE workspace_live_files (workspace_id TEXT NOT NULL, file_ids TEXT NOT NULL, PRIMARY KEY (workspace_id)) STRICT
 * CREATE TABLE workspace_history (id INTEGER, at INTEGER NOT NULL, action TEXT NOT NULL, target_kind TEXT NOT NULL,
 *   target_id TEXT NOT NULL, path TEXT NOT NULL, details TEXT, PRIMARY KEY (id)) STRICT
 * ```
 */
export const workspaceSchema = defineSchema({
  version: 1,
  state: {
    folders: collection({
      table: 'workspace_folders',
      key: 'id',
      order: false,
      columns: {
        id: column.text(),
        name: column.text(),
        parentId: column.text({
          nullable: true,
          references: { table: 'workspace_folders', column: 'id', onDelete: 'no action' },
        }),
        path: column.text(),
        createdAt: column.integer(),
        updatedAt: column.integer(),
      },
      indexes: [{ columns: ['parent_id'] }, { columns: ['path'] }],
    }),
    files: collection({
      table: WORKSPACE_FILES_TABLE,
      key: 'id',
      order: false,
      columns: {
        id: column.text(),
        name: column.text(),
        folderId: column.text({
          nullable: true,
          references: { table: 'workspace_folders', column: 'id', onDelete: 'no action' },
        }),
        path: column.text(),
        mimeType: column.text(),
        sizeBytes: column.integer(),
        encoding: column.text(),
        createdAt: column.integer(),
        updatedAt: column.integer(),
        content: column.text({ lazy: true, nullable: true }),
        contentBinary: column.blob({ lazy: true, nullable: true }),
      },
      indexes: [{ columns: ['folder_id'] }, { columns: ['path'] }],
      lazyTable: WORKSPACE_FILE_CONTENT_TABLE,
    }),
    settings: collection({
      table: 'workspace_settings',
      shape: 'record',
      keyColumn: 'key',
      value: column.json({ column: 'value' }),
      timestamps: { created: false, updated: 'updated_at' },
    }),
    liveFilesByWorkspace: collection({
      table: 'workspace_live_files',
      shape: 'record',
      keyColumn: 'workspace_id',
      value: column.json({ column: 'file_ids' }),
    }),
  },
  tables: {
    [WORKSPACE_HISTORY_TABLE]: table({
      columns: {
        id: column.integer({ optional: true }),
        at: column.integer(),
        action: column.text(),
        targetKind: column.text(),
        targetId: column.text(),
        path: column.text(),
        details: column.json({ optional: true }),
      },
      primaryKey: ['id'],
      indexes: [{ columns: ['at'] }, { columns: ['target_id'] }],
    }),
  },
})
