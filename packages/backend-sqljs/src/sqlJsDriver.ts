import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { SqlDriver, SqlStatement, SqlValue } from '@zustand-sqlite/core'

/** A value sql.js binds and returns. */
export type SqlJsValue = string | number | Uint8Array | null

/** The slice of a sql.js `Statement` this backend uses. */
export interface SqlJsStatement {
  bind(values?: SqlJsValue[]): boolean
  step(): boolean
  get(): SqlJsValue[]
  getColumnNames(): string[]
  reset(): unknown
  free(): unknown
}

/** The slice of a sql.js `Database` this backend uses. */
export interface SqlJsDatabase {
  exec(sql: string): unknown
  getRowsModified(): number
  prepare(sql: string): SqlJsStatement
  export(): Uint8Array
  close(): void
}

/** The slice of the initialised sql.js module (what `initSqlJs()` resolves to) this backend uses. */
export interface SqlJsStatic {
  Database: new (data?: ArrayLike<number> | null) => SqlJsDatabase
}

/** @internal The SQL tier's driver over a sql.js database. */
export function sqlJsDriver(db: SqlJsDatabase): SqlDriver {
  return {
    name: 'sql.js',
    exec: (sql) => {
      db.exec(sql)
    },
    prepare: (sql): SqlStatement => {
      const stmt = db.prepare(sql)
      const run = (params: readonly SqlValue[], rows: SqlValue[][] | undefined): void => {
        try {
          // The codec never produces bigint values, the one SqlValue sql.js does not bind.
          stmt.bind(params as SqlJsValue[])
          while (stmt.step()) rows?.push(stmt.get())
        } finally {
          stmt.reset()
        }
      }
      return {
        run: (params) => {
          run(params, undefined)
          return db.getRowsModified()
        },
        all: (params) => {
          const rows: SqlValue[][] = []
          run(params, rows)
          return rows
        },
        columns: () => stmt.getColumnNames(),
        finalize: () => {
          stmt.free()
        },
      }
    },
    close: () => db.close(),
  }
}

/** @internal The installed sql.js, initialised with its defaults (fine on Node). */
export async function loadSqlJs(): Promise<SqlJsStatic> {
  try {
    const module = (await import('sql.js')) as unknown as { default: (config?: object) => Promise<SqlJsStatic> }
    return await module.default()
  } catch (error) {
    throw new ZustandSqliteError('INVALID_OPTIONS', 'sql.js could not be loaded: npm install sql.js, or pass `sqlJs`', {
      cause: error,
    })
  }
}
