import type { StateCreator } from 'zustand/vanilla'
import { randomId, ZustandSqliteError } from '@zustand-sqlite/core'

/** A chat folder: big-AGI's `DFolder`, plus `isCollapsed`. */
export interface DFolder {
  /** 21 characters of nanoid's URL-safe alphabet (a UUID in folders made in 2024). */
  id: string
  title: string
  /** The conversations in the folder, in the order they were added; each id at most once. */
  conversationIds: string[]
  /** A CSS color, such as one of `FOLDERS_COLOR_PALETTE`. */
  color?: string
  /** The folder is shown closed in the drawer. Absent: open. */
  isCollapsed?: boolean
}

/** The persisted state of the chat folders store: big-AGI's `app-folders`. */
export interface ChatFoldersState {
  /** The folders, in display order. */
  folders: DFolder[]
  /** The user setting that shows folders in the drawer. @default false */
  enableFolders: boolean
}

/** The chat folders store's actions: big-AGI's, plus collapsing and the cascade of deleted conversations. */
export interface ChatFoldersActions {
  /**
   * Merges folders from an import: a folder whose id is already there replaces it (taking its place at the end,
   * as in the app), the others are appended. `enableFolders` is ORed with the current setting.
   */
  importFoldersAppend: (folders: readonly DFolder[], enableFolders: boolean) => void
  /** Appends a new, empty folder and returns its id. */
  createFolder: (title: string, color?: string) => string
  /** Removes the folder; its conversations stay where they are, outside any folder. */
  deleteFolder: (folderId: string) => void
  /** Moves the folder at `fromIndex` to `toIndex`, as `Array.prototype.splice` places it. */
  moveFolder: (fromIndex: number, toIndex: number) => void
  setFolderName: (folderId: string, title: string) => void
  /** Sets the folder's color; `undefined` removes it. */
  setFolderColor: (folderId: string, color: string | undefined) => void
  /** Adds the conversation at the end of the folder, unless the folder already holds it. */
  addConversationToFolder: (folderId: string, conversationId: string) => void
  removeConversationFromFolder: (folderId: string, conversationId: string) => void
  toggleEnableFolders: () => void
  setFolderCollapsed: (folderId: string, collapsed: boolean) => void
  toggleFolderCollapsed: (folderId: string) => void
  /**
   * Removes these conversations from every folder, in one set: the cascade of deleting conversations, to
   * call when the chats store deletes some. Folders that hold none of them keep their identity, and when no
   * folder holds any, nothing is set at all. With `persistSQLite`, a call made before the store has hydrated
   * is made again on the stored folders once they are loaded.
   */
  removeConversationsFromFolders: (conversationIds: readonly string[]) => void
}

/** State and actions of the chat folders store. */
export type ChatFoldersStore = ChatFoldersState & ChatFoldersActions

/** The store's name, in the database and (for the legacy path) in localStorage. */
export const CHAT_FOLDERS_STORE_NAME = 'app-folders'
/**
 * The state version: big-AGI's `app-folders` has none, so it is 0. Raising it would make Zustand's `persist`
 * in a build of the app without a `migrate` discard the stored folders.
 */
export const CHAT_FOLDERS_STATE_VERSION = 0

/** big-AGI's folder colors (`FOLDERS_COLOR_PALETTE`): three rows of seven, light to dark. */
export const FOLDERS_COLOR_PALETTE: readonly string[] = [
  '#828282',
  '#f22a85',
  '#f13d41',
  '#cb6701',
  '#42940f',
  '#068fa6',
  '#407cf8',
  '#626262',
  '#b91e64',
  '#b72e30',
  '#9b4d01',
  '#2f7007',
  '#076c7e',
  '#1c5dc8',
  '#474747',
  '#8c0f49',
  '#891e20',
  '#713804',
  '#1f5200',
  '#004f5d',
  '#1d4294',
]

/** A random color of the first row of {@link FOLDERS_COLOR_PALETTE}, as big-AGI's `getRotatingFolderColor`. */
export function getRotatingFolderColor(): string {
  return FOLDERS_COLOR_PALETTE[Math.floor(Math.random() * 7)] as string
}

/** The state of a store without folders. */
export function chatFoldersDefaults(): ChatFoldersState {
  return { folders: [], enableFolders: false }
}

/**
 * A new folder id in big-AGI's format (nanoid's): 21 random URL-safe characters, from
 * `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * generateFolderId() // 'V1StGXR8_Z5jdHi6B-myT'
 * ```
 */
export function generateFolderId(): string {
  return randomId()
}

/** Each id once, first occurrence first; the same array when nothing repeats. */
export function uniqueIds(ids: readonly string[]): string[] {
  const seen = new Set(ids)
  if (seen.size === ids.length) return ids as string[]
  return [...seen]
}

type Folders = ChatFoldersState['folders']

/** `folders` with the folder `id` edited; the same array when it is absent or `edit` returns it as it is. */
function editFolder(folders: Folders, id: string, edit: (folder: DFolder) => DFolder): Folders {
  const index = folders.findIndex((folder) => folder.id === id)
  const folder = folders[index]
  if (folder === undefined) return folders
  const edited = edit(folder)
  if (edited === folder) return folders
  const next = [...folders]
  next[index] = edited
  return next
}

/**
 * The chat folders store's state and actions, on their own: for `persistSQLite` (see
 * `chatFoldersDefinition`) or for Zustand's `persist` on the legacy path (with
 * `chatFoldersLegacyPersistOptions`). Every action computes its change from the state `set` hands it:
 * `persistSQLite` makes the sets of an action called during an asynchronous hydration again on the
 * hydrated folders, and a change computed from the folders read before would be made on the wrong ones.
 * An action that changes nothing (an unknown folder id, a conversation the folder already holds) returns
 * that state itself, so nothing is notified or written.
 *
 * @example
 * ```ts
 * const useFolderStore = create<ChatFoldersStore>()(persist(createChatFoldersState(), chatFoldersLegacyPersistOptions))
 * ```
 */
export function createChatFoldersState(): StateCreator<ChatFoldersStore, [], [], ChatFoldersStore> {
  return (set) => {
    const updateFolders = (update: (folders: Folders) => Folders): void =>
      set((state) => {
        const folders = update(state.folders)
        return folders === state.folders ? state : { folders }
      })
    return {
      ...chatFoldersDefaults(),

      importFoldersAppend: (imported, enableFolders) => {
        // Within the import, the last folder of an id wins: two rows cannot share a key.
        const byId = new Map<string, DFolder>()
        for (const folder of imported) {
          byId.delete(folder.id)
          byId.set(folder.id, { ...folder, conversationIds: uniqueIds(folder.conversationIds) })
        }
        set((state) => ({
          folders: [...state.folders.filter((folder) => !byId.has(folder.id)), ...byId.values()],
          enableFolders: enableFolders || state.enableFolders,
        }))
      },

      createFolder: (title, color) => {
        const id = generateFolderId()
        const folder: DFolder = { id, title, conversationIds: [], ...(color === undefined ? {} : { color }) }
        set((state) => ({ folders: [...state.folders, folder] }))
        return id
      },

      deleteFolder: (folderId) =>
        updateFolders((folders) =>
          folders.some((folder) => folder.id === folderId)
            ? folders.filter((folder) => folder.id !== folderId)
            : folders,
        ),

      moveFolder: (fromIndex, toIndex) =>
        updateFolders((folders) => {
          // The app splices blindly; an index past the end would put `undefined` in the list.
          if (!Number.isInteger(fromIndex) || fromIndex < 0 || fromIndex >= folders.length) return folders
          const next = [...folders]
          const [moved] = next.splice(fromIndex, 1)
          next.splice(toIndex, 0, moved as DFolder)
          return next.every((folder, i) => folder === folders[i]) ? folders : next
        }),

      setFolderName: (folderId, title) =>
        updateFolders((folders) =>
          editFolder(folders, folderId, (folder) => (folder.title === title ? folder : { ...folder, title })),
        ),

      setFolderColor: (folderId, color) =>
        updateFolders((folders) =>
          editFolder(folders, folderId, (folder) => {
            if (color !== undefined) return folder.color === color ? folder : { ...folder, color }
            if (!('color' in folder)) return folder
            const { color: _removed, ...rest } = folder
            return rest
          }),
        ),

      addConversationToFolder: (folderId, conversationId) =>
        updateFolders((folders) =>
          editFolder(folders, folderId, (folder) =>
            folder.conversationIds.includes(conversationId)
              ? folder
              : { ...folder, conversationIds: [...folder.conversationIds, conversationId] },
          ),
        ),

      removeConversationFromFolder: (folderId, conversationId) =>
        updateFolders((folders) =>
          editFolder(folders, folderId, (folder) =>
            folder.conversationIds.includes(conversationId)
              ? { ...folder, conversationIds: folder.conversationIds.filter((id) => id !== conversationId) }
              : folder,
          ),
        ),

      toggleEnableFolders: () => set((state) => ({ enableFolders: !state.enableFolders })),

      setFolderCollapsed: (folderId, collapsed) =>
        updateFolders((folders) =>
          editFolder(folders, folderId, (folder) =>
            folder.isCollapsed === collapsed ? folder : { ...folder, isCollapsed: collapsed },
          ),
        ),

      toggleFolderCollapsed: (folderId) =>
        updateFolders((folders) =>
          editFolder(folders, folderId, (folder) => ({ ...folder, isCollapsed: folder.isCollapsed !== true })),
        ),

      removeConversationsFromFolders: (conversationIds) => {
        if (conversationIds.length === 0) return
        const removed = new Set(conversationIds)
        updateFolders((folders) => {
          let next: Folders | undefined
          for (let i = 0; i < folders.length; i++) {
            const folder = folders[i] as DFolder
            if (!folder.conversationIds.some((id) => removed.has(id))) continue
            next ??= [...folders]
            next[i] = { ...folder, conversationIds: folder.conversationIds.filter((id) => !removed.has(id)) }
          }
          return next ?? folders
        })
      },
    }
  }
}

/**
 * Brings state persisted at another version to the current one: `persist`'s `migrate`, called only when
 * the stored version differs from 0. The app never versioned `app-folders`, so no other version has a
 * migration path: it throws MIGRATION_FAILED, and the stored folders are left as they are.
 */
export function migrateChatFolders(persisted: unknown, version: number): ChatFoldersState {
  if (version !== CHAT_FOLDERS_STATE_VERSION) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${CHAT_FOLDERS_STORE_NAME} state version ${version} is not one this package knows (only ${CHAT_FOLDERS_STATE_VERSION})`,
      { store: CHAT_FOLDERS_STORE_NAME },
    )
  }
  return persisted as ChatFoldersState
}

/**
 * Zustand `persist` options of the legacy path: the app's name and version 0. `migrate` only refuses a
 * version this package does not know (a newer build's data), reporting MIGRATION_FAILED through
 * `onRehydrateStorage` instead of Zustand's silent fall back to the defaults.
 */
export const chatFoldersLegacyPersistOptions = {
  name: CHAT_FOLDERS_STORE_NAME,
  version: CHAT_FOLDERS_STATE_VERSION,
  migrate: migrateChatFolders,
} as const
