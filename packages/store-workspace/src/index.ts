export {
  createWorkspaceState,
  MAX_ID_LENGTH,
  mergeWorkspace,
  migrateWorkspace,
  WORKSPACE_STATE_VERSION,
  WORKSPACE_STORE_NAME,
  workspaceDefaults,
} from './state'
export type {
  CreateFileInput,
  FileContent,
  MessageWithAttachments,
  WorkspaceActions,
  WorkspaceEntry,
  WorkspaceErrorCode,
  WorkspaceFile,
  WorkspaceFolder,
  WorkspaceHistoryAction,
  WorkspaceId,
  WorkspaceState,
  WorkspaceStateOptions,
  WorkspaceStore,
} from './state'
export { WORKSPACE_FILE_CONTENT_TABLE, WORKSPACE_FILES_TABLE, WORKSPACE_HISTORY_TABLE, workspaceSchema } from './schema'
export { MAX_STORABLE_BYTES, workspaceSettingsDefaults, workspaceSettingsRules } from './settings'
export type { WorkspaceSettings } from './settings'
export { guessMimeType, MAX_NAME_LENGTH, utf8ByteLength } from './tree'
export { createWorkspaceStore, workspaceDefinition } from './store'
export type { WorkspaceStoreApi, WorkspaceStoreOptions } from './store'
export { importLegacyWorkspace, workspaceLegacyPersistOptions } from './legacy'
export type {
  DanglingAssignment,
  ImportLegacyWorkspaceOptions,
  LegacyWorkspaceState,
  SkippedAssignment,
  WorkspaceImport,
} from './legacy'
export { workspaceLegacy } from './legacyStore'
export { listWorkspaceHistory, readWorkspaceFile, trimWorkspaceHistory } from './queries'
export type {
  ListWorkspaceHistoryOptions,
  TrimWorkspaceHistoryOptions,
  WorkspaceHistoryEntry,
  WorkspaceQueryOptions,
} from './queries'
export {
  createWorkspaceFile,
  createWorkspaceFolder,
  deleteWorkspaceEntry,
  getWorkspaceFile,
  getWorkspaceTree,
  moveWorkspaceEntry,
  renameWorkspaceEntry,
  writeWorkspaceFile,
} from './treeQueries'
export type {
  CreateWorkspaceFolderInput,
  WorkspaceFileWithContent,
  WorkspaceTree,
  WriteWorkspaceFileOptions,
} from './treeQueries'
export { workspaceRoutes } from './routes'
