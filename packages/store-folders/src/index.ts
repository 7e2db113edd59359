export {
  CHAT_FOLDERS_STATE_VERSION,
  CHAT_FOLDERS_STORE_NAME,
  chatFoldersDefaults,
  chatFoldersLegacyPersistOptions,
  createChatFoldersState,
  FOLDERS_COLOR_PALETTE,
  generateFolderId,
  getRotatingFolderColor,
  migrateChatFolders,
} from './state'
export type { ChatFoldersActions, ChatFoldersState, ChatFoldersStore, DFolder } from './state'
export { chatFoldersSchema } from './schema'
export { chatFolderRules, MAX_ID_LENGTH, MAX_TITLE_LENGTH } from './rules'
export type { ChatFolderPatch } from './rules'
export { chatFoldersDefinition, createChatFoldersStore } from './store'
export type { ChatFoldersStoreApi, ChatFoldersStoreOptions } from './store'
export { importChatFoldersFromExport, importLegacyChatFolders } from './legacy'
export { chatFoldersLegacy } from './legacyStore'
export type { ChatFoldersImport, DanglingFolderLink, ImportChatFoldersOptions, SkippedFolderEntry } from './legacy'
export {
  addConversationToChatFolder,
  createChatFolder,
  deleteChatFolder,
  listChatFolders,
  removeConversationFromChatFolder,
  updateChatFolder,
} from './queries'
export type { ChatFolderList, ChatFolderRecord, ChatFoldersQueryOptions } from './queries'
export { chatFoldersRoutes } from './routes'
