import { isPlainObject, readPersistEnvelope, ZustandSqliteError } from '@zustand-sqlite/core'
import { CHAT_FOLDERS_STORE_NAME, migrateChatFolders } from './state'
import type { ChatFoldersState, DFolder } from './state'

/** Options of {@link importLegacyChatFolders} and {@link importChatFoldersFromExport}. */
export interface ImportChatFoldersOptions {
  /**
   * The ids of the conversations that exist. When given, folder entries naming another id are dropped and
   * reported in `dangling`. @default none: every id is kept
   */
  readonly conversationIds?: Iterable<string>
}

/** A folder's link to a conversation that is not among the `conversationIds` given: dropped. */
export interface DanglingFolderLink {
  readonly folderId: string
  readonly conversationId: string
}

/** Something of the data that was left out: a whole folder entry, or part of one (the reason says which). */
export interface SkippedFolderEntry {
  /** The index of the folder entry in the imported `folders` array. */
  readonly index: number
  readonly reason: string
}

/** What the importers return: the state to store, and reports of what was dropped from it. */
export interface ChatFoldersImport {
  /** The persisted state: every folder that could be read, with its unknown keys, and `enableFolders`. */
  readonly state: ChatFoldersState
  /** Conversation ids dropped from folders because they are not among `options.conversationIds`. */
  readonly dangling: DanglingFolderLink[]
  /** Folder entries (or parts of them) that could not be read. */
  readonly skipped: SkippedFolderEntry[]
}

function malformed(what: string, problem: string, path: string): never {
  throw new ZustandSqliteError('INVALID_LEGACY_DATA', `${what}: ${problem}; nothing was imported`, {
    path,
    store: CHAT_FOLDERS_STORE_NAME,
  })
}

/** The folders of `data` (the state of `app-folders`, or the `folders` section of an export), checked. */
function readFolders(
  data: Record<string, unknown>,
  what: string,
  options: ImportChatFoldersOptions,
): ChatFoldersImport {
  const { folders: rawFolders = [], enableFolders, ...others } = data
  if (!Array.isArray(rawFolders)) return malformed(what, '`folders` is not an array', `${what}.folders`)
  const existing = options.conversationIds === undefined ? undefined : new Set(options.conversationIds)
  const dangling: DanglingFolderLink[] = []
  const skipped: SkippedFolderEntry[] = []
  const folders: DFolder[] = []
  const seenFolders = new Map<string, number>()
  rawFolders.forEach((entry: unknown, index) => {
    const skip = (reason: string): void => void skipped.push({ index, reason })
    if (!isPlainObject(entry)) return skip('not an object')
    const { id, title, conversationIds, color, isCollapsed, ...unknownKeys } = entry
    if (typeof id !== 'string' || id === '') return skip('no `id` (a non-empty string)')
    if (typeof title !== 'string') return skip('no `title` (a string)')
    const first = seenFolders.get(id)
    if (first !== undefined) return skip(`the id ${JSON.stringify(id)} of the folder at index ${first} again`)
    seenFolders.set(id, index)

    const ids = new Set<string>()
    if (Array.isArray(conversationIds)) {
      conversationIds.forEach((cId: unknown, i) => {
        if (typeof cId !== 'string' || cId === '') skip(`conversationIds[${i}] is not a conversation id: left out`)
        else if (existing !== undefined && !existing.has(cId)) dangling.push({ folderId: id, conversationId: cId })
        else ids.add(cId)
      })
    } else if (conversationIds !== undefined) {
      skip('`conversationIds` is not an array: imported with no conversations')
    }
    const folder: DFolder = { ...unknownKeys, id, title, conversationIds: [...ids] }
    // The app stores `color: undefined` (dropped by JSON) for a folder without one; null means the same.
    if (typeof color === 'string') folder.color = color
    else if (color !== undefined && color !== null) skip('`color` is not a string: left out')
    if (typeof isCollapsed === 'boolean') folder.isCollapsed = isCollapsed
    else if (isCollapsed !== undefined && isCollapsed !== null) skip('`isCollapsed` is not a boolean: left out')
    folders.push(folder)
  })
  const state = { ...others, folders, enableFolders: enableFolders === true }
  return { state, dangling, skipped }
}

/**
 * Imports what big-AGI's folders store left in localStorage (`localStorage.getItem('app-folders')`): the
 * `{ state, version }` envelope of version 0 (the app never versioned it), as JSON text, that text encoded
 * twice, or parsed. Returns `null` when there is nothing to import (`null` or `undefined`).
 *
 * Every folder is kept with its unknown keys, in order. What cannot be stored is reported, and the rest is
 * imported: a folder entry that is not an object, or lacks a string `id` or `title` (or repeats an earlier
 * folder's id), is left out and listed in `skipped`, as is a `conversationIds` that is not an array (the
 * folder is kept, empty). A conversation id repeated within a folder is kept once. With
 * `options.conversationIds` (the conversations that exist), ids of other conversations are dropped and
 * listed in `dangling`. `enableFolders` that is not a boolean is `false`.
 *
 * Throws INVALID_LEGACY_DATA for data that is not an envelope or whose `folders` is not an array, and
 * MIGRATION_FAILED for a version other than 0. Nothing is written.
 *
 * @example
 * ```ts
 * const imported = importLegacyChatFolders(localStorage.getItem('app-folders'), {
 *   conversationIds: chatsStore.getState().conversations.map((c) => c.id),
 * })
 * if (imported) foldersStore.setState(imported.state)
 * ```
 */
export function importLegacyChatFolders(
  value: unknown,
  options: ImportChatFoldersOptions = {},
): ChatFoldersImport | null {
  if (value === null || value === undefined) return null
  const { state, version } = readPersistEnvelope(value, CHAT_FOLDERS_STORE_NAME)
  return readFolders(migrateChatFolders(state, version) as unknown as Record<string, unknown>, 'app-folders', options)
}

/**
 * Imports the folders of big-AGI's "export all chats" file (`{ conversations, models, folders? }`, the
 * `folders` section being `{ folders, enableFolders }`, written since early 2024), as JSON text or parsed.
 * Returns `null` when the file has no `folders` section (older exports). Folders are read as
 * {@link importLegacyChatFolders} reads them, with the same reports; merge them into a store with
 * `importFoldersAppend`, as the app does.
 *
 * Throws INVALID_LEGACY_DATA for a file that is not a JSON object, or whose `folders` section is not an
 * object or holds a `folders` that is not an array.
 *
 * @example
 * ```ts
 * const file = JSON.parse(await blob.text())
 * const imported = importChatFoldersFromExport(file, {
 *   conversationIds: file.conversations.map((c: { id: string }) => c.id),
 * })
 * if (imported) foldersStore.getState().importFoldersAppend(imported.state.folders, imported.state.enableFolders)
 * ```
 */
export function importChatFoldersFromExport(
  allChatsFile: unknown,
  options: ImportChatFoldersOptions = {},
): ChatFoldersImport | null {
  const what = 'export'
  let file = allChatsFile
  if (typeof file === 'string') {
    try {
      file = JSON.parse(file)
    } catch (error) {
      throw new ZustandSqliteError('INVALID_LEGACY_DATA', `${what}: not JSON; nothing was imported`, {
        cause: error,
        store: CHAT_FOLDERS_STORE_NAME,
      })
    }
  }
  if (!isPlainObject(file)) return malformed(what, 'expected the object of an "export all chats" file', what)
  const section = file['folders']
  if (section === undefined || section === null) return null
  if (!isPlainObject(section)) return malformed(what, '`folders` is not an object', `${what}.folders`)
  return readFolders(section, `${what}.folders`, options)
}
