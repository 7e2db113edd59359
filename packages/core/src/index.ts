// The middleware
export { persistSQLite } from './middleware/persistSQLite'
export { commitTogether } from './middleware/commitTogether'
export type { JointStore } from './middleware/commitTogether'
export type {
  BackendOption,
  CommitInfo,
  PersistListener,
  PersistSQLiteApi,
  PersistSQLiteOptions,
} from './middleware/options'

// The contract every backend speaks
export type {
  ApplyResult,
  CommittedChange,
  RefusedRow,
  Backend,
  LoadedTable,
  LoadResult,
  LoadOptions,
  PrepareResult,
  QueryRow,
  StoreRecord,
} from './contract/backend'
export type { ChangeSet, KeyValueChange, LazyWrite, RowBatch, TableChange } from './contract/changeSet'
export { countChangeSetRows } from './contract/changeSet'
export type {
  ColumnSpec,
  ColumnStamp,
  ForeignKeyAction,
  IndexSpec,
  MigrationSpec,
  SchemaSpec,
  SqlType,
  TableSpec,
} from './contract/schemaSpec'
export type { RowKey, SqlValue } from './contract/sqlValue'
export { fromWire, fromWireValue, toWire, toWireValue } from './contract/wire'
export type { WireValue } from './contract/wire'
export { isZustandSqliteError, ZustandSqliteError } from './contract/errors'
export { commitListeners } from './contract/commitListeners'
export type { CommitListeners } from './contract/commitListeners'
export type { ZustandSqliteErrorCode, ZustandSqliteErrorOptions } from './contract/errors'
export { attempt, chain, isPromiseLike } from './contract/maybe'
export type { MaybePromise } from './contract/maybe'

// The schema DSL
export { collection, column, defineSchema, singleton, table } from './schema/defineSchema'
export type {
  CollectionDef,
  CollectionOptions,
  ColumnDef,
  ColumnOptions,
  ColumnType,
  IndexDef,
  SchemaOptions,
  SingletonDef,
  SingletonOptions,
  StoreSchema,
  TableDef,
  TableOptions,
  TimestampsOption,
} from './schema/defineSchema'
export { isPlainObject } from './schema/codec'
export { decodeText, encodeText } from './schema/text'
export type { JsonOptions } from './schema/codec'
export { orderKeyBetween, orderKeysBetween } from './schema/orderKey'

// The SQL tier
export { createSqlBackend } from './sql/createSqlBackend'
export type { SqlBackend, SqlBackendOptions } from './sql/createSqlBackend'
export { createAsyncSqlBackend } from './sql/createAsyncSqlBackend'
export type { AsyncSqlDriver, SqlDriver, SqlResult, SqlStatement } from './sql/driver'
export { isBusyError, isCorruptionError } from './sql/procedureBackend'
export type { AsyncSqlBackendOptions } from './sql/procedureBackend'
export { APPLICATION_ID, FORMAT_VERSION } from './sql/procedures'

// For store packages and query functions
export { defineStore } from './store/defineStore'
export type {
  DefinedStore,
  PersistedStoreApi,
  StoreDefinition,
  StoreOptions,
  StoredStoreState,
} from './store/defineStore'
export { readStoredState, writeStoredState } from './store/storedState'
export type { StoredState, StoredStateOptions, WriteStoredStateOptions } from './store/storedState'
export { writeStoredStates } from './store/storedState'
export type { StoredStateWrite } from './store/storedState'
export { readLazyColumn } from './store/readLazyColumn'
export type { ReadLazyColumnOptions } from './store/readLazyColumn'
export { defineLegacyStore } from './store/legacyStore'
export type {
  LegacyImport,
  LegacyImportContext,
  LegacyLocation,
  LegacyPersistOptions,
  LegacyStore,
} from './store/legacyStore'
export { readPersistEnvelope } from './store/persistEnvelope'
export type { PersistEnvelope } from './store/persistEnvelope'
export { jsonSchemaOf, patchSchema, rules, validatePatch } from './store/validation'
export { returningSet } from './store/returningSet'
export { changesSince, replaceAt } from './store/replaceAt'
export { isLoaded, NOT_LOADED, replaceStored } from './schema/notLoaded'
export { defineRoute } from './store/apiRoute'
export type {
  ApiRoute,
  RouteInput,
  RouteMethod,
  StandardOutput,
  StandardResult,
  StandardSchemaV1,
} from './store/apiRoute'
export type { JsonSchema, PatchSchema, Rule, Rules, ValidatePatchOptions } from './store/validation'
export { whenHydrated } from './store/whenHydrated'
export type { HydrationSource } from './store/whenHydrated'
export { randomId } from './store/randomId'
