export {
  createUXLabsState,
  flagValue,
  SQLITE_MIGRATION_FLAG,
  UX_LABS_FLAG_DEFAULTS,
  UX_LABS_STATE_VERSION,
  UX_LABS_STORE_NAME,
  uxLabsDefaults,
} from './state'
export type { KnownUXLabsFlag, UXLabsActions, UXLabsState, UXLabsStore } from './state'
export { fromPersistedUXLabs, toPersistedUXLabs, uxLabsSchema } from './schema'
export type { PersistedUXLabs, UXLabsFlagEntry } from './schema'
export { createUXLabsStore, uxLabsDefinition } from './store'
export type { UXLabsStoreApi, UXLabsStoreOptions } from './store'
export { importLegacyUXLabs, migrateUXLabs, uxLabsLegacyPersistOptions } from './legacy'
export { uxLabsLegacy } from './legacyStore'
export { getUXLabs, readUXLabsFlag, resetUXLabs, updateUXLabs, uxLabsRules } from './queries'
export type { UXLabsFlagRecord, UXLabsPatch, UXLabsQueryOptions, UXLabsRecord } from './queries'
export { uxLabsRoutes } from './routes'
