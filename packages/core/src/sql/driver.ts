import type { SqlValue } from '../contract/sqlValue'

/** A prepared statement of a synchronous SQLite driver. */
export interface SqlStatement {
  /**
   * Executes with bound parameters, discarding any rows, and returns the number of rows the statement
   * inserted, updated or deleted (SQLite's `changes()`): the store's revision check and the updates of
   * rows read it.
   */
  run(params: readonly SqlValue[]): number
  /** Executes and returns every row as an array of values. */
  all(params: readonly SqlValue[]): SqlValue[][]
  /** Names of the result columns. */
  columns(): string[]
  /** Releases the statement (engines that need it, such as sql.js). */
  finalize?(): void
}

/**
 * The slice of a synchronous SQLite driver the SQL tier uses. An adapter for a new engine implements
 * these four calls; see `@zustand-sqlite/backend-better-sqlite3` for one.
 */
export interface SqlDriver {
  /** A short name for telemetry and messages. */
  readonly name: string
  /** Executes one or more statements without parameters (DDL, pragmas). */
  exec(sql: string): void
  prepare(sql: string): SqlStatement
  close(): void
}

/** What one statement run by an {@link AsyncSqlDriver} gives back. */
export interface SqlResult {
  /** The result rows, as arrays in the order of `columns` (empty for a statement that returns none). */
  readonly rows: readonly (readonly SqlValue[])[]
  /** Names of the result columns. */
  readonly columns: readonly string[]
  /** Rows the statement inserted, updated or deleted. */
  readonly changes: number
}

/**
 * The slice of an asynchronous SQLite driver the SQL tier uses: one connection that runs statements in
 * the order it is given them (the SQL tier sends one at a time). An adapter implements these three calls.
 */
export interface AsyncSqlDriver {
  /** A short name for telemetry and messages. */
  readonly name: string
  /** Runs one statement with bound parameters. */
  execute(sql: string, params: readonly SqlValue[]): Promise<SqlResult>
  /** Runs one or more statements without parameters (DDL, pragmas, a migration script). */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}
