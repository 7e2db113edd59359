import { collection, column, defineSchema, readLazyColumn, readStoredState } from '@zustand-sqlite/core'
import type { Backend, StoredState, StoredStateOptions } from '@zustand-sqlite/core'

/** Where one store is in its move, as the SQLite database records it. */
export type StoreMigrationStatus =
  /** Its legacy value is backed up in the database; nothing of it is written yet. */
  | 'backed-up'
  /** Written and read back equal: the store lives in SQLite. */
  | 'verified'
  /** Written, but it did not read back as imported: it stays on its legacy storage. */
  | 'verification-failed'
  /** Its SQLite state was written back to its legacy storage. */
  | 'rolled-back'

/** The record of one store's move. */
export interface StoreMigrationEntry {
  status: StoreMigrationStatus
  legacyKey: string
  location: string
  /** SHA-256 of the legacy value migrated from (or, after a rollback, written back). */
  checksum: string
  bytes: number
  /** Rows the migration wrote. */
  rows: number
  counts: Record<string, number>
  /** The same counts of the legacy value, as the app's `persist` read it (absent when they cannot be taken). */
  sourceCounts?: Record<string, number>
  cleaned: number
  updatedAt: number
  migratedAt?: number
  verifiedAt?: number
  rolledBackAt?: number
  cleanedUpAt?: number
  /** The typed code of the last failure. */
  error?: string
}

/** The backup of one store's legacy value, taken before anything is written. */
export interface StoreMigrationBackup {
  /** SHA-256 of `text`: the legacy text, or what the store's descriptor keeps of it (credentials sealed). */
  checksum: string
  bytes: number
  takenAt: number
  /** The legacy value's JSON text: lazy, read only to restore or check it. */
  text?: string
}

/** What the migration record holds. */
export interface MigrationRecord {
  stores: Record<string, StoreMigrationEntry>
  backups: Record<string, StoreMigrationBackup>
}

/** The name of the store that records migrations, in the database they moved to. */
export const MIGRATION_RECORD_STORE = 'zustand-sqlite:migration'
/** The version of its state. */
export const MIGRATION_RECORD_VERSION = 1

/**
 * The record's tables: one row per store moved, and one per backup, the legacy text in a lazy column so
 * that reading the record does not read every backup.
 */
export const migrationRecordSchema = defineSchema({
  version: 1,
  state: {
    stores: collection({
      table: 'zustand_sqlite_migrations',
      shape: 'record',
      keyColumn: 'store',
      columns: {
        status: column.text(),
        legacyKey: column.text({ column: 'legacy_key' }),
        location: column.text(),
        checksum: column.text(),
        bytes: column.integer(),
        rows: column.integer(),
        counts: column.json(),
        sourceCounts: column.json({ column: 'source_counts', optional: true }),
        cleaned: column.integer(),
        updatedAt: column.integer({ column: 'updated_at' }),
        migratedAt: column.integer({ column: 'migrated_at', optional: true }),
        verifiedAt: column.integer({ column: 'verified_at', optional: true }),
        rolledBackAt: column.integer({ column: 'rolled_back_at', optional: true }),
        cleanedUpAt: column.integer({ column: 'cleaned_up_at', optional: true }),
        error: column.text({ optional: true }),
      },
      rest: false,
    }),
    backups: collection({
      table: 'zustand_sqlite_migration_backups',
      shape: 'record',
      keyColumn: 'store',
      columns: {
        checksum: column.text(),
        bytes: column.integer(),
        takenAt: column.integer({ column: 'taken_at' }),
        text: column.text({ lazy: true }),
      },
      rest: false,
    }),
  },
})

/** The options that name the record for `readStoredState` and `writeStoredState`. */
export const recordOptions: StoredStateOptions & { readonly version: number } = {
  name: MIGRATION_RECORD_STORE,
  schema: migrationRecordSchema,
  version: MIGRATION_RECORD_VERSION,
}

/** The record as stored, and the stored state to write the next one against. */
export async function readRecord(backend: Backend): Promise<{ record: MigrationRecord; stored: StoredState | null }> {
  const stored = await readStoredState(backend, recordOptions)
  const state = (stored?.state ?? {}) as Partial<MigrationRecord>
  return { record: { stores: { ...state.stores }, backups: { ...state.backups } }, stored }
}

/** The legacy text backed up for `store`, or `undefined` when there is none. */
export async function readBackupText(backend: Backend, store: string): Promise<string | undefined> {
  const text = await readLazyColumn(backend, migrationRecordSchema, {
    table: 'zustand_sqlite_migration_backups',
    key: store,
    field: 'text',
  })
  return typeof text === 'string' ? text : undefined
}
