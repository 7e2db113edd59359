export { persistSQLite } from './persistSQLite'
export type { BackendOption, CommitInfo, PersistSQLiteApi, PersistSQLiteOptions } from './persistSQLite'
export { collection, column, defineSchema, singleton, table } from './schema'
export type {
  CollectionDef,
  CollectionOptions,
  ColumnDef,
  ColumnOptions,
  ColumnSpec,
  ColumnType,
  ForeignKeyAction,
  IndexDef,
  IndexSpec,
  MigrationSpec,
  SchemaOptions,
  SchemaSpec,
  SingletonDef,
  SingletonOptions,
  SqlType,
  StoreSchema,
  ColumnStamp,
  TimestampsOption,
  TableDef,
  TableOptions,
  TableSpec,
} from './schema'
export type { Backend, LoadedTable, LoadResult, MaybePromise, QueryRow } from './backend'
export type { ChangeSet, KeyValueChange, LazyWrite, RowBatch, TableChange } from './changeSet'
export { isPlainObject } from './codec'
export type { SqlValue } from './codec'
export { APPLICATION_ID, createSqlBackend, FORMAT_VERSION, isCorruptionError } from './sqlBackend'
export type { SqlBackend, SqlBackendOptions, SqlDriver, SqlStatement } from './sqlBackend'
export { isZustandSqliteError, ZustandSqliteError } from './errors'
export type { ZustandSqliteErrorCode, ZustandSqliteErrorOptions } from './errors'
export { orderKeyBetween, orderKeysBetween } from './orderKey'
export { readLazyColumn } from './lazy'
export type { ReadLazyColumnOptions, RowKey } from './lazy'
export { readStoredState, writeStoredState } from './storedState'
export type { StoredState, StoredStateOptions, WriteStoredStateOptions } from './storedState'
export { readPersistEnvelope } from './persistEnvelope'
export type { PersistEnvelope } from './persistEnvelope'
export { rules, validatePatch } from './validation'
export type { Rule, Rules, ValidatePatchOptions } from './validation'
export { whenHydrated } from './whenHydrated'
export type { HydrationSource } from './whenHydrated'
export { randomId } from './randomId'
