import type { Backend } from '../contract/backend'
import type { AsyncSqlDriver, SqlResult } from './driver'
import type { Procedure } from './procedure'
import { procedureBackend } from './procedureBackend'
import type { AsyncSqlBackendOptions } from './procedureBackend'

/**
 * The SQL tier over an asynchronous SQLite driver (a worker, a network client, libSQL): the same tables,
 * statements and transactions as {@link createSqlBackend}, sent one statement at a time with `execute`.
 * Operations run one after another on the connection, in the order they were called, so the statements
 * of two transactions never interleave.
 *
 * @example
 * ```ts
 * const backend = createAsyncSqlBackend({
 *   name: 'my-async-driver',
 *   execute: (sql, params) => connection.execute(sql, params), // { rows, columns, changes }
 *   exec: (sql) => connection.executeScript(sql),
 *   close: () => connection.close(),
 * })
 * ```
 */
export function createAsyncSqlBackend(driver: AsyncSqlDriver, options: AsyncSqlBackendOptions = {}): Backend {
  let queue: Promise<unknown> = Promise.resolve()

  const drive = async <T>(procedure: Procedure<T>): Promise<T> => {
    let next = procedure.next()
    while (next.done !== true) {
      const step = next.value
      let result: SqlResult
      try {
        if (step.mode === 'script') {
          await driver.exec(step.sql)
          result = { rows: [], columns: [], changes: 0 }
        } else result = await driver.execute(step.sql, step.params)
      } catch (error) {
        next = procedure.throw(error)
        continue
      }
      next = procedure.next(result)
    }
    return next.value
  }

  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task)
    queue = result.catch(() => undefined)
    return result
  }

  return procedureBackend(
    {
      name: driver.name,
      run: (procedure) => serially(() => drive(procedure)),
      schemaChanged: () => undefined,
      close: () => serially(() => driver.close()),
    },
    options,
  )
}
