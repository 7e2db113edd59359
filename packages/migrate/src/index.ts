// Events of migrations, rollbacks and shadow mode
export type {
  MigrationEvent,
  MigrationEventKind,
  MigrationEventListener,
  MigrationOutcome,
  StorageKind,
} from './events'

// Legacy storages
export { indexedDBSource, localStorageSource, stateStorageSource } from './sources'
export type { IndexedDBSourceOptions, LegacySource, LegacySources } from './sources'

// Migration, verification and cleanup
export { cleanupLegacy, migrateStores, readMigrationRecord } from './migrate'
export type {
  CleanupLegacyOptions,
  CleanupResult,
  MigrateStoresOptions,
  MigrationProgress,
  MigrationResult,
  MigrationStep,
  StoreMigrationResult,
} from './migrate'
export { MIGRATION_RECORD_STORE } from './record'
export type { StoreMigrationEntry, StoreMigrationStatus } from './record'

// Rollback
export { rollbackStores } from './rollback'
export type { RollbackResult, RollbackStoresOptions, StoreRollbackResult } from './rollback'

// The flag-gated swap at startup
export { createSwappableStore, startStorage } from './swap'
export type { StartedStorage, StartStorageOptions, SwappableStore } from './swap'
export type { StoreStorage } from './storeMap'

// Shadow mode
export { createShadow } from './shadow'
export type { Shadow, ShadowComparison, ShadowOptions } from './shadow'

// The rollout decision at startup
export { createRollout, ROLLOUT_STAGES, rolloutBucket, rolloutRecordKey, SQLITE_MIGRATION_FLAG } from './rollout'
export type { Rollout, RolloutDecision, RolloutOptions, RolloutReason, RolloutRecord, SyncStorage } from './rollout'

// Monitoring in a metrics store
export { MIGRATION_METRIC_TYPE, migrationMetricName, migrationReport, recordMigrationEvents } from './monitoring'
export type {
  MigrationDurations,
  MigrationKindReport,
  MigrationMetricsSink,
  MigrationReport,
  MigrationReportOptions,
} from './monitoring'

// The UX labs flag as the user's override
export { followLabsFlag } from './labsFlag'
export type { LabsFlagSource } from './labsFlag'

// Telling the other tabs
export { onStorageSwitched } from './switchNotice'
export type { StorageSwitch } from './switchNotice'
