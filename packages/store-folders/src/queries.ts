import { decodeText, encodeText, validatePatch, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { chatFolderRules, idRule } from './rules'
import { CHAT_FOLDERS_STORE_NAME } from './state'
import type { ChatFoldersStore, DFolder } from './state'
import { chatFoldersDefinition } from './store'
import type { ChatFoldersStoreApi } from './store'
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

type Stamps = Map<string, { readonly createdAt: number; readonly updatedAt: number }>

/**
 * The times of the folders' rows (of the store's own `chat_folders` table): all, or the one of `folderId`. By
 * the folders' ids as the state has them: the column holds their stored form (see encodeText).
 */
async function stampsOf(backend: Backend, folderId?: string): Promise<Stamps> {
  const rows =
    folderId === undefined
      ? await backend.query('SELECT id, created_at, updated_at FROM chat_folders')
      : await backend.query('SELECT id, created_at, updated_at FROM chat_folders WHERE id = ?', [encodeText(folderId)])
  const stamps: Stamps = new Map()
  for (const row of rows)
    stamps.set(decodeText(String(row['id'])), {
      createdAt: Number(row['created_at']),
      updatedAt: Number(row['updated_at']),
    })
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

/** The store's folder `folderId`; NOT_FOUND when it has none (thrown inside `update`: nothing is written). */
function folderIn(store: ChatFoldersStoreApi, folderId: string, name: string): DFolder {
  const folder = store.getState().folders.find((f) => f.id === folderId)
  if (folder === undefined) {
    throw new ZustandSqliteError(
      'NOT_FOUND',
      `chat folder ${JSON.stringify(folderId)} is not stored in ${name}; nothing was written`,
      { path: 'folderId', store: name },
    )
  }
  return folder
}

/**
 * Runs `edit` (the store's own actions) on the stored folder `folderId`, in one transaction, and returns the
 * folder as it is after it, with its row's times.
 */
async function editFolder(
  backend: Backend,
  folderId: string,
  options: ChatFoldersQueryOptions,
  edit: (actions: ChatFoldersStore) => void,
): Promise<ChatFolderRecord> {
  const name = options.name ?? CHAT_FOLDERS_STORE_NAME
  const folder = await chatFoldersDefinition.update(
    backend,
    (store) => {
      folderIn(store, folderId, name)
      edit(store.getState())
      return folderIn(store, folderId, name)
    },
    { name },
  )
  return recordOf(backend, folder)
}

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
  const { state } = await chatFoldersDefinition.read(backend, { name: options.name ?? CHAT_FOLDERS_STORE_NAME })
  const stamps: Stamps = state.folders.length === 0 ? new Map() : await stampsOf(backend)
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
 * of one row: the store's `createFolder` (and `setFolderCollapsed` for `isCollapsed`). The input is checked first against `chatFolderRules`, `title` being required: a wrong type, an
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
  const { title, color, isCollapsed } = validatePatch(input, chatFolderRules, { what: 'chat-folder' })
  if (title === undefined)
    throw new ZustandSqliteError('INVALID_VALUE', 'chat-folder.title: a title is required', {
      path: 'chat-folder.title',
    })
  const name = options.name ?? CHAT_FOLDERS_STORE_NAME
  const folder = await chatFoldersDefinition.update(
    backend,
    (store) => {
      const actions = store.getState()
      const id = actions.createFolder(title, color ?? undefined)
      if (isCollapsed !== undefined) actions.setFolderCollapsed(id, isCollapsed)
      return folderIn(store, id, name)
    },
    { name },
  )
  return recordOf(backend, folder)
}

/**
 * Updates a folder's title, color or collapsed state (for `PUT /api/chat-folders/{id}`), in one transaction
 * of one row: the store's `setFolderName`, `setFolderColor` and `setFolderCollapsed`, for the fields the
 * patch holds; `color: null` removes the color. Checked first: a bad id or patch throws INVALID_VALUE, an
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
  const { title, color, isCollapsed } = validatePatch(patch, chatFolderRules, { what: 'chat-folder' })
  return editFolder(backend, folderId, options, (actions) => {
    if (title !== undefined) actions.setFolderName(folderId, title)
    if (color !== undefined) actions.setFolderColor(folderId, color ?? undefined)
    if (isCollapsed !== undefined) actions.setFolderCollapsed(folderId, isCollapsed)
  })
}

/**
 * Deletes a folder (for `DELETE /api/chat-folders/{id}`) with the store's `deleteFolder`; its
 * `folder_conversations` rows go with it, in the same transaction. The conversations themselves are not touched. An unknown folder throws NOT_FOUND.
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
  const name = options.name ?? CHAT_FOLDERS_STORE_NAME
  await chatFoldersDefinition.update(
    backend,
    (store) => {
      folderIn(store, folderId, name)
      store.getState().deleteFolder(folderId)
    },
    { name },
  )
}

/**
 * Adds a conversation at the end of a folder (for `POST /api/chat-folders/{id}/conversations`) with the
 * store's `addConversationToFolder`, writing one `folder_conversations` row; a conversation the folder already holds is not added again. The conversation
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
  return editFolder(backend, folderId, options, (actions) => actions.addConversationToFolder(folderId, conversationId))
}

/**
 * Removes a conversation from a folder (for `DELETE /api/chat-folders/{id}/conversations/{convId}`) with
 * the store's `removeConversationFromFolder`, deleting one `folder_conversations` row. A conversation the folder does not hold changes nothing (the
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
  return editFolder(backend, folderId, options, (actions) =>
    actions.removeConversationFromFolder(folderId, conversationId),
  )
}
