import type { Backend } from '../contract/backend'
import { ZustandSqliteError } from '../contract/errors'
import type { SqlDriver, SqlStatement } from './driver'
import type { Procedure, Step, StepResult } from './procedure'
import { procedureBackend } from './procedureBackend'
import type { AsyncSqlBackendOptions } from './procedureBackend'

/** Options of {@link createSqlBackend}. */
export interface SqlBackendOptions extends AsyncSqlBackendOptions {
  /** Prepared statements kept. @default 256 */
  statementCacheSize?: number
}

/** A Backend over a {@link SqlDriver}, with access to the driver for the engine's own adapters. */
export interface SqlBackend extends Backend {
  /** Several stores' ChangeSets in one transaction (see {@link Backend.applyMany}). */
  applyMany: NonNullable<Backend['applyMany']>
  readonly driver: SqlDriver
  /** Forgets every cached statement (an engine that invalidated them, e.g. sql.js after `export()`). */
  resetStatements(): void
}

const NONE: readonly never[] = Object.freeze([])
const SCRIPT_RESULT: StepResult = Object.freeze({ rows: NONE, columns: NONE, changes: 0 })

/**
 * The SQL tier over a synchronous SQLite driver: a {@link Backend} whose every method returns at once, so
 * stores on it hydrate inside `create()`. It keeps prepared statements in a cache (BEGIN and COMMIT
 * among them: parsing them on every write costs as much as the write itself), writes each ChangeSet in
 * one transaction with multi-row statements chunked under SQLite's bound-variable limit, binds every
 * value, and validates every identifier it puts into SQL.
 *
 * @example
 * ```ts
 * const backend = createSqlBackend({
 *   name: 'my-driver',
 *   exec: (sql) => db.exec(sql),
 *   prepare: (sql) => { const s = db.prepare(sql); return { run: (p) => s.run(...p), all: (p) => s.raw().all(...p), columns: () => s.columns().map((c) => c.name) } },
 *   close: () => db.close(),
 * })
 * ```
 */
export function createSqlBackend(driver: SqlDriver, options: SqlBackendOptions = {}): SqlBackend {
  const cacheSize = options.statementCacheSize ?? 256
  const cache = new Map<string, SqlStatement>()

  const statement = (sql: string): SqlStatement => {
    let stmt = cache.get(sql)
    if (stmt !== undefined) {
      cache.delete(sql)
      cache.set(sql, stmt)
      return stmt
    }
    stmt = driver.prepare(sql)
    cache.set(sql, stmt)
    if (cache.size > cacheSize) {
      const [oldestSql, oldest] = cache.entries().next().value as [string, SqlStatement]
      cache.delete(oldestSql)
      oldest.finalize?.()
    }
    return stmt
  }

  const resetStatements = (): void => {
    for (const stmt of cache.values()) stmt.finalize?.()
    cache.clear()
  }

  const execute = (step: Step): StepResult => {
    switch (step.mode) {
      case 'script':
        driver.exec(step.sql)
        return SCRIPT_RESULT
      case 'run': {
        const changes = statement(step.sql).run(step.params)
        // The store's revision is checked by the rows an UPDATE changed: a driver must say how many.
        if (typeof changes !== 'number')
          throw new ZustandSqliteError(
            'INVALID_OPTIONS',
            `the ${driver.name} driver's run() must return the rows changed`,
          )
        return { rows: NONE, columns: NONE, changes }
      }
      case 'rows':
        return { rows: statement(step.sql).all(step.params), columns: NONE, changes: 0 }
      case 'named': {
        const stmt = statement(step.sql)
        return { rows: stmt.all(step.params), columns: stmt.columns(), changes: 0 }
      }
    }
  }

  const run = <T>(procedure: Procedure<T>): T => {
    let next = procedure.next()
    while (next.done !== true) {
      let result: StepResult
      try {
        result = execute(next.value)
      } catch (error) {
        next = procedure.throw(error)
        continue
      }
      next = procedure.next(result)
    }
    return next.value
  }

  const backend = procedureBackend(
    {
      name: driver.name,
      run,
      schemaChanged: resetStatements,
      close: () => {
        resetStatements()
        driver.close()
      },
    },
    options,
  )
  // The methods of a synchronous executor never return promises.
  return { ...backend, driver, resetStatements } as SqlBackend
}
