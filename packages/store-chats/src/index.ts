export type {
  DConversation,
  DConversationId,
  DMessage,
  DMessageFragment,
  DMessageFragmentId,
  DMessageFragmentPart,
  DMessageGenerator,
  DMessageId,
  DMessageMetadata,
  DMessageRole,
  DMessageUserFlag,
} from './types'
export { conversationTitle, messageCountOf, messagesLoaded } from './types'
export {
  createChatId,
  createDConversation,
  createDMessageTextContent,
  createErrorContentFragment,
  createTextContentFragment,
} from './factories'
export {
  CHATS_STATE_VERSION,
  CHATS_STORE_NAME,
  closeCutOffGenerations,
  createChatsState,
  mergeChats,
  mergeRemoteChats,
  partializeChats,
} from './state'
export type { ChatsActions, ChatsState, ChatsStateOptions, ChatsStore, DMessageUpdate, PersistedChats } from './state'
export { isEmptyConversation } from './conversationList'
export { chatsSchema } from './schema'
export { chatsDefinition, createChatsStore } from './store'
export type { ChatsStoreApi, ChatsStoreOptions } from './store'
export {
  chatsLegacyPersistOptions,
  importChatsFromExport,
  importLegacyChats,
  migrateChats,
  partializeChatsForJson,
} from './legacy'
export { chatsLegacy } from './legacyStore'
export type { ChatsExportImport, ChatsImportIssue, ChatsImportReport } from './legacy'
export { listConversations, loadConversationMessages, searchConversations } from './queries'
export type {
  ChatsQueryOptions,
  ConversationSummary,
  LoadConversationMessagesOptions,
  ListConversationsOptions,
  ConversationPage,
  SearchConversationsOptions,
  ConversationMatch,
} from './queries'
