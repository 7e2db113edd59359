/**
 * The compiled schema as a backend sees it: plain data, the contract between the middleware and every
 * backend (it can cross a worker or a network). Made by `defineSchema`.
 */

/** What a foreign key does when the row it points to is deleted. */
export type ForeignKeyAction = 'cascade' | 'set null' | 'restrict' | 'no action'

/** SQL storage class of a column. */
export type SqlType = 'TEXT' | 'INTEGER' | 'REAL' | 'BLOB'

/**
 * A column whose value the backend writes, not the state: the row's creation or update time, the
 * state version it was written with, or when the boolean column named by `since` last became 1.
 */
export type ColumnStamp = 'created' | 'updated' | 'stateVersion' | { readonly since: string }

/** A column as a backend sees it. */
export interface ColumnSpec {
  readonly name: string
  readonly type: SqlType
  readonly notNull: boolean
  /** Not selected at hydration. */
  readonly lazy: boolean
  /** Only 0 and 1 are allowed. */
  readonly boolean: boolean
  /** Written by the backend (never by a ChangeSet) and not loaded at hydration. */
  readonly stamp?: ColumnStamp
  readonly references?: {
    readonly table: string
    readonly columns: readonly string[]
    readonly onDelete: ForeignKeyAction
  }
}

/** A secondary index as a backend sees it. */
export interface IndexSpec {
  readonly name: string
  readonly columns: readonly string[]
  readonly unique: boolean
}

/** A table as a backend sees it. */
export interface TableSpec {
  readonly name: string
  readonly columns: readonly ColumnSpec[]
  /** Empty for a plain rowid table. A nested collection's key starts with its parent's key. */
  readonly primaryKey: readonly string[]
  /** Nested collections: the leading key columns that reference the parent row. Deleting the parent deletes these rows. */
  readonly parent?: { readonly table: string; readonly columns: readonly string[] }
  readonly indexes: readonly IndexSpec[]
  readonly withoutRowid: boolean
  /**
   * `'table'`: not mirrored in state, never loaded at hydration. `'lazy'`: the lazy columns of the rows
   * of its `parent` table, under the same key; never loaded at hydration.
   */
  readonly role: 'collection' | 'singleton' | 'table' | 'lazy'
  /** Arrays: the order-key column. */
  readonly orderColumn?: string
  /** The table (role `'lazy'`) holding this table's lazy columns, when they are not in this table. */
  readonly lazyTable?: string
}

/** A DDL migration step as a backend sees it. */
export interface MigrationSpec {
  readonly version: number
  readonly statements: readonly string[]
}

/** The data a backend needs to prepare, load, write and clear a store: tables in dependency order. */
export interface SchemaSpec {
  readonly version: number
  readonly tables: readonly TableSpec[]
  readonly migrations: readonly MigrationSpec[]
}
