import { readStoredState, validatePatch, writeStoredState, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, StoredState } from '@zustand-sqlite/core'
import { chatFolderRules, idRule } from './rules'
import { chatFoldersSchema } from './schema'
import {
  CHAT_FOLDERS_STATE_VERSION,
  CHAT_FOLDERS_STORE_NAME,
  chatFoldersDefaults,
  generateFolderId,
  migrateChatFolders,
} from './state'
import type { ChatFoldersState, DFolder } from './state'

/** Options of the chat folders query functions. */
export interface ChatFoldersQueryOptions {
  /** The store's name in the database. @default 'app-folders' */
  readonly name?: string
}

/** A stored folder as the query functions return it. */
export interface ChatFolderRecord {
  readonly folder: DFolder
  /** When the folder's row was first written (ms since the epoch). */
  readonly createdAt: number
  /** When the folder's row was last written: a change of its title, color, collapsed state or place. */
  readonly updatedAt: number
}

/** The stored folders, in display order, and the `enableFolders` setting. */
export interface ChatFolderList {
  readonly folders: readonly ChatFolderRecord[]
  readonly enableFolders: boolean
}

interface Current {
  readonly name: string
  readonly stored: StoredState | null
  readonly state: ChatFoldersState
}

async function current(backend: Backend, options: ChatFoldersQueryOptions): Promise<Current> {
  const name = options.name ?? CHAT_FOLDERS_STORE_NAME
  const stored = await readStoredState(backend, { name, schema: chatFoldersSchema })
  if (stored === null) return { name, stored, state: chatFoldersDefaults() }
  // Version 0 is the only one; another throws MIGRATION_FAILED, as the store's hydration would.
  const persisted =
    stored.version === CHAT_FOLDERS_STATE_VERSION ? stored.state : migrateChatFolders(stored.state, stored.version)
  // Spread over the stored objects, so that the write diffs unchanged folders by reference.
  return { name, stored, state: { ...chatFoldersDefaults(), ...persisted } }
}

type Stamps = Map<string, { readonly createdAt: number; readonly updatedAt: number }>

async function stampsOf(backend: Backend, folderId?: string): Promise<Stamps> {
  const rows =
    folderId === undefined
      ? await backend.query('SELECT id, created_at, updated_at FROM chat_folders')
      : await backend.query('SELECT id, created_at, updated_at FROM chat_folders WHERE id = ?', [folderId])
  const stamps: Stamps = new Map()
  for (const row of rows)
    stamps.set(String(row['id']), { createdAt: Number(row['created_at']), updatedAt: Number(row['updated_at']) })
  return stamps
}

async function recordOf(backend: Backend, folder: DFolder): Promise<ChatFolderRecord> {
  const stamps = (await stampsOf(backend, folder.id)).get(folder.id)
  if (stamps === undefined)
    throw new ZustandSqliteError('NOT_FOUND', `chat folder ${JSON.stringify(folder.id)} has no row`, {
      path: 'folderId',
    })
  return { folder, ...stamps }
}

function find(before: Current, folderId: string): DFolder {
  const folder = before.state.folders.find((f) => f.id === folderId)
  if (folder === undefined) {
    throw new ZustandSqliteError(
      'NOT_FOUND',
      `chat folder ${JSON.stringify(folderId)} is not stored in ${before.name}; nothing was written`,
      { path: 'folderId', store: before.name },
    )
  }
  return folder
}

async function write(backend: Backend, before: Current, folders: DFolder[]): Promise<void> {
  await writeStoredState(
    backend,
    {
      name: before.name,
      schema: chatFoldersSchema,
      version: CHAT_FOLDERS_STATE_VERSION,
      previous: before.stored,
    },
    { ...before.state, folders },
  )
}

/** `before`'s folders with the folder of `edited.id` replaced by `edited`. */
const replaced = (before: Current, edited: DFolder): DFolder[] =>
  before.state.folders.map((f) => (f.id === edited.id ? edited : f))

/**
 * The stored folders in display order, each with its row's times, and `enableFolders` (for
 * `GET /api/chat-folders`). Changes no stored data (on a database without the tables, it creates them,
 * empty).
 *
 * @example
 * ```ts
 * const { folders } = await listChatFolders(backend)
 * ```
 */
export async function listChatFolders(
  backend: Backend,
  options: ChatFoldersQueryOptions = {},
): Promise<ChatFolderList> {
  const { stored, state } = await current(backend, options)
  if (stored === null) return { folders: [], enableFolders: state.enableFolders }
  const stamps = await stampsOf(backend)
  return {
    folders: state.folders.map((folder) => ({
      folder,
      createdAt: stamps.get(folder.id)?.createdAt ?? 0,
      updatedAt: stamps.get(folder.id)?.updatedAt ?? 0,
    })),
    enableFolders: state.enableFolders,
  }
}

/**
 * Creates a folder at the end of the list (for `POST /api/chat-folders`), with a new id, in one transaction
 * of one row. The input is checked first against `chatFolderRules`, `title` being required: a wrong type, an
 * empty or overlong value or an unknown field throws INVALID_VALUE naming it (`chat-folder.title`), and
 * nothing is written.
 *
 * @example
 * ```ts
 * const { folder } = await createChatFolder(backend, { title: 'Work', color: '#407cf8' })
 * ```
 */
export async function createChatFolder(
  backend: Backend,
  input: unknown,
  options: ChatFoldersQueryOptions = {},
): Promise<ChatFolderRecord> {
  const checked = validatePatch(input, chatFolderRules, { what: 'chat-folder' })
  const { title, color, isCollapsed } = checked
  if (title === undefined)
    throw new ZustandSqliteError('INVALID_VALUE', 'chat-folder.title: a title is required', {
      path: 'chat-folder.title',
    })
  const folder: DFolder = {
    id: generateFolderId(),
    title,
    conversationIds: [],
    ...(color === undefined || color === null ? {} : { color }),
    ...(isCollapsed === undefined ? {} : { isCollapsed }),
  }
  const before = await current(backend, options)
  await write(backend, before, [...before.state.folders, folder])
  return recordOf(backend, folder)
}

/**
 * Updates a folder's title, color or collapsed state (for `PUT /api/chat-folders/{id}`), in one transaction
 * of one row; `color: null` removes the color. Checked first: a bad id or patch throws INVALID_VALUE, an
 * unknown folder NOT_FOUND, and nothing is written. A patch that changes nothing writes nothing.
 *
 * @example
 * ```ts
 * await updateChatFolder(backend, folderId, { title: 'Archive', isCollapsed: true })
 * ```
 */
export async function updateChatFolder(
  backend: Backend,
  folderId: string,
  patch: unknown,
  options: ChatFoldersQueryOptions = {},
): Promise<ChatFolderRecord> {
  idRule(folderId, 'folderId')
  const checked = validatePatch(patch, chatFolderRules, { what: 'chat-folder' })
  const before = await current(backend, options)
  const folder = find(before, folderId)
  const { color, ...others } = checked
  const edited: DFolder = { ...folder, ...others }
  if (color === null) delete edited.color
  else if (color !== undefined) edited.color = color
  const keys = Object.keys(edited) as (keyof DFolder)[]
  const unchanged = keys.length === Object.keys(folder).length && keys.every((key) => edited[key] === folder[key])
  if (unchanged) return recordOf(backend, folder)
  await write(backend, before, replaced(before, edited))
  return recordOf(backend, edited)
}

/**
 * Deletes a folder (for `DELETE /api/chat-folders/{id}`); its `folder_conversations` rows go with it, in the
 * same transaction. The conversations themselves are not touched. An unknown folder throws NOT_FOUND.
 *
 * @example
 * ```ts
 * await deleteChatFolder(backend, folderId)
 * ```
 */
export async function deleteChatFolder(
  backend: Backend,
  folderId: string,
  options: ChatFoldersQueryOptions = {},
): Promise<void> {
  idRule(folderId, 'folderId')
  const before = await current(backend, options)
  find(before, folderId)
  await write(
    backend,
    before,
    before.state.folders.filter((f) => f.id !== folderId),
  )
}

/**
 * Adds a conversation at the end of a folder (for `POST /api/chat-folders/{id}/conversations`), writing one
 * `folder_conversations` row; a conversation the folder already holds is not added again. The conversation
 * is not checked against the chats store (folder links are weak, see the docs). A bad id throws
 * INVALID_VALUE (`folderId`, `conversationId`), an unknown folder NOT_FOUND.
 *
 * @example
 * ```ts
 * await addConversationToChatFolder(backend, folderId, conversationId)
 * ```
 */
export async function addConversationToChatFolder(
  backend: Backend,
  folderId: string,
  conversationId: string,
  options: ChatFoldersQueryOptions = {},
): Promise<ChatFolderRecord> {
  idRule(folderId, 'folderId')
  idRule(conversationId, 'conversationId')
  const before = await current(backend, options)
  const folder = find(before, folderId)
  if (folder.conversationIds.includes(conversationId)) return recordOf(backend, folder)
  const edited = { ...folder, conversationIds: [...folder.conversationIds, conversationId] }
  await write(backend, before, replaced(before, edited))
  return recordOf(backend, edited)
}

/**
 * Removes a conversation from a folder (for `DELETE /api/chat-folders/{id}/conversations/{convId}`),
 * deleting one `folder_conversations` row. A conversation the folder does not hold changes nothing (the
 * delete is idempotent); an unknown folder throws NOT_FOUND, a bad id INVALID_VALUE.
 *
 * @example
 * ```ts
 * await removeConversationFromChatFolder(backend, folderId, conversationId)
 * ```
 */
export async function removeConversationFromChatFolder(
  backend: Backend,
  folderId: string,
  conversationId: string,
  options: ChatFoldersQueryOptions = {},
): Promise<ChatFolderRecord> {
  idRule(folderId, 'folderId')
  idRule(conversationId, 'conversationId')
  const before = await current(backend, options)
  const folder = find(before, folderId)
  if (!folder.conversationIds.includes(conversationId)) return recordOf(backend, folder)
  const edited = { ...folder, conversationIds: folder.conversationIds.filter((id) => id !== conversationId) }
  await write(backend, before, replaced(before, edited))
  return recordOf(backend, edited)
}
