import { isBusyError } from '@zustand-sqlite/core'
import type { AsyncSqlDriver, SqlResult, SqlValue } from '@zustand-sqlite/core'

/** The slice of a libSQL `ResultSet` this backend uses. */
export interface LibsqlResultSet {
  readonly columns: readonly string[]
  /** Each row is array-like: its values by position. */
  readonly rows: readonly ArrayLike<unknown>[]
  readonly rowsAffected: number
}

/** The slice of a libSQL interactive `Transaction` this backend uses. */
export interface LibsqlTransaction {
  execute(statement: { sql: string; args: SqlValue[] }): Promise<LibsqlResultSet>
  executeMultiple(sql: string): Promise<void>
  commit(): Promise<void>
  rollback(): Promise<void>
  close(): void
}

/** The slice of a libSQL `Client` (`@libsql/client`'s `createClient`) this backend uses. */
export interface LibsqlClient {
  execute(statement: { sql: string; args: SqlValue[] }): Promise<LibsqlResultSet>
  executeMultiple(sql: string): Promise<void>
  transaction(mode: 'write' | 'read'): Promise<LibsqlTransaction>
  close(): void
}

const BEGIN = /^\s*BEGIN\b/i
const COMMIT = /^\s*(COMMIT|END)\b/i
// `ROLLBACK TO <savepoint>` stays inside the transaction.
const ROLLBACK = /^\s*ROLLBACK(\s+TRANSACTION)?\s*;?\s*$/i
const QUERY_ONLY = /^\s*PRAGMA\s+query_only\s*=\s*(0|1)\s*;?\s*$/i

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

const NOTHING: SqlResult = { rows: [], columns: [], changes: 0 }

/**
 * A libSQL value as the SQL tier's: integers as numbers while they are exact, as bigints beyond 2^53 (the
 * client reads them as bigints), BLOBs as Uint8Arrays.
 */
export function fromLibsql(value: unknown): SqlValue {
  if (typeof value === 'bigint') return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  return value as SqlValue
}

const toResult = (result: LibsqlResultSet): SqlResult => ({
  rows: result.rows.map((row) => Array.from(row, fromLibsql)),
  columns: result.columns,
  changes: result.rowsAffected,
})

/** How {@link libsqlDriver} treats its client. */
export interface LibsqlDriverOptions {
  /** Close the client when the driver closes. */
  readonly closeClient: boolean
  /**
   * Gives the client fresh connections, once a busy error has passed and no transaction is open. The local
   * engine leaves a statement that failed busy in progress, and while it is, every COMMIT on that connection
   * fails ("SQL statements in progress"), although the lock is free.
   */
  readonly recover?: () => Promise<void>
}

/**
 * The SQL tier's connection over a libSQL client. A remote client runs each `execute` on its own stream,
 * which keeps no session state, so a transaction of the SQL tier (BEGIN to COMMIT or ROLLBACK, with its
 * savepoints) runs in one interactive transaction of the client, and so does a read-only query (between
 * `PRAGMA query_only = 1` and `= 0`), in a read transaction. Everything else goes to the client.
 */
export function libsqlDriver(client: LibsqlClient, options: LibsqlDriverOptions): AsyncSqlDriver {
  let session: LibsqlTransaction | undefined
  let busy = false

  const end = async (outcome: 'commit' | 'rollback'): Promise<void> => {
    const ending = session
    if (ending === undefined) throw new Error(`cannot ${outcome}: no transaction is active`)
    session = undefined
    try {
      await ending[outcome]()
    } finally {
      // Releases the transaction's connection or stream, rolling back whatever a failed commit left open.
      ending.close()
    }
  }

  const watched = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (error) {
      if (isBusyError(error)) busy = true
      throw error
    } finally {
      if (busy && session === undefined && options.recover !== undefined) {
        busy = false
        try {
          await options.recover()
        } catch {
          // The call's own outcome is what the SQL tier reports; the next call meets a client that failed.
        }
      }
    }
  }

  const execute = async (sql: string, params: readonly SqlValue[]): Promise<SqlResult> => {
    if (BEGIN.test(sql)) {
      if (session !== undefined) throw new Error('cannot start a transaction within a transaction')
      session = await client.transaction('write')
      return NOTHING
    }
    if (COMMIT.test(sql)) return end('commit').then(() => NOTHING)
    if (ROLLBACK.test(sql)) return end('rollback').then(() => NOTHING)
    return toResult(await (session ?? client).execute({ sql, args: [...params] }))
  }

  const exec = async (sql: string): Promise<void> => {
    const queryOnly = QUERY_ONLY.exec(sql)?.[1]
    if (queryOnly === '1' && session === undefined) {
      session = await client.transaction('read')
      await session.execute({ sql, args: [] })
      return
    }
    if (queryOnly === '0' && session !== undefined) {
      try {
        // A local client's connection goes back to its pool: it must not stay read-only.
        await session.execute({ sql, args: [] })
      } finally {
        await end('commit')
      }
      return
    }
    await (session ?? client).executeMultiple(sql)
  }

  return {
    name: 'libsql',
    execute: (sql, params) => watched(() => execute(sql, params)),
    exec: (sql) => watched(() => exec(sql)),
    close: async () => {
      session?.close()
      session = undefined
      if (options.closeClient) client.close()
    },
  }
}
