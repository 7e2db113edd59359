import type { ApplyResult, Backend } from '../contract/backend'
import { commitListeners } from '../contract/commitListeners'
import { isZustandSqliteError, ZustandSqliteError } from '../contract/errors'
import type { ZustandSqliteErrorCode } from '../contract/errors'
import { attempt, chain } from '../contract/maybe'
import type { MaybePromise } from '../contract/maybe'
import { withStore } from '../contract/withStore'
import type { Procedure } from './procedure'
import { createSqlProcedures } from './procedures'

/** True for SQLite's corruption and not-a-database errors, from any driver. */
export function isCorruptionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) return true
  const message = (error as { message?: unknown }).message
  return (
    typeof message === 'string' &&
    /file is not a database|database disk image is malformed|file is encrypted/i.test(message)
  )
}

/** True for SQLite's "database is locked": another connection held a lock past the busy timeout. */
export function isBusyError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') return /^SQLITE_(BUSY|LOCKED)/.test(code)
  const message = (error as { message?: unknown }).message
  return typeof message === 'string' && /database (table )?is locked/i.test(message)
}

function fail(error: unknown, code: ZustandSqliteErrorCode, message: string, store?: string): ZustandSqliteError {
  if (isZustandSqliteError(error)) return error
  const detail = error instanceof Error ? error.message : String(error)
  const finalCode = isCorruptionError(error) ? 'CORRUPT_DATABASE' : isBusyError(error) ? 'DATABASE_BUSY' : code
  return new ZustandSqliteError(finalCode, `${message}: ${detail}`, {
    cause: error,
    ...(store === undefined ? {} : { store }),
  })
}

/** What runs procedures against one connection: synchronously, or one at a time with `await`. */
export interface Executor {
  readonly name: string
  run<T>(procedure: Procedure<T>): MaybePromise<T>
  /** Tables or indexes were created or migrated: statements prepared before may be stale. */
  schemaChanged(): void
  close(): MaybePromise<void>
}

/** Options of {@link createAsyncSqlBackend}, and of `createSqlBackend` with its statement cache. */
export interface AsyncSqlBackendOptions {
  /** Called after every committed write (apply, clear, and a prepare that created or migrated tables). */
  onWrite?: () => void
  /** Largest number of rows in one multi-row statement. @default 256 */
  maxRowsPerStatement?: number
  /** Name reported by the backend. @default the driver's name */
  name?: string
  /** The clock of timestamp columns (`timestamps`, `since`), in milliseconds since the epoch. @default Date.now */
  now?: () => number
}

/** @internal The Backend over the SQL tier's procedures, for either executor: typed errors, close, onWrite. */
export function procedureBackend(executor: Executor, options: AsyncSqlBackendOptions): Backend {
  const procedures = createSqlProcedures({
    maxRowsPerStatement: options.maxRowsPerStatement ?? 256,
    now: options.now ?? Date.now,
  })
  let closed = false

  const guarded = <T>(
    code: ZustandSqliteErrorCode,
    message: string,
    store: string | undefined,
    procedure: () => Procedure<T>,
  ): MaybePromise<T> =>
    attempt(
      () => {
        if (closed) throw new ZustandSqliteError('BACKEND_CLOSED', `the ${executor.name} backend is closed`)
        return executor.run(procedure())
      },
      (error) => {
        throw fail(error, code, message, store)
      },
    )

  const wrote = <T>(value: MaybePromise<T>): MaybePromise<T> =>
    chain(value, (result) => {
      options.onWrite?.()
      return result
    })

  const { subscribe, tell } = commitListeners()

  return {
    name: options.name ?? executor.name,
    prepare: (store, schema) =>
      chain(
        guarded('HYDRATION_FAILED', `preparing store ${JSON.stringify(store)} failed`, store, () =>
          procedures.prepare(store, schema),
        ),
        ({ record, changed }) => {
          if (changed) {
            executor.schemaChanged()
            options.onWrite?.()
          }
          return record
        },
      ),
    load: (store, options) =>
      guarded('HYDRATION_FAILED', `loading store ${JSON.stringify(store)} failed`, store, () =>
        procedures.load(store, options),
      ),
    apply: (changeSet) =>
      wrote(
        chain(
          guarded(
            'WRITE_FAILED',
            `writing store ${JSON.stringify(changeSet.store)} failed; the transaction was rolled back`,
            changeSet.store,
            () => procedures.apply(changeSet),
          ),
          (record) => {
            const refused = record.refused !== undefined && record.refused.length > 0 ? record.refused : undefined
            const { store } = changeSet
            tell(
              refused === undefined
                ? { store, changeSet, revision: record.revision }
                : { store, changeSet, revision: record.revision, refused },
            )
            return refused === undefined ? { revision: record.revision } : { revision: record.revision, refused }
          },
        ),
      ),
    applyMany: (changeSets) => {
      const writing: { store?: string | undefined } = {}
      const names = [...new Set(changeSets.map((c) => JSON.stringify(c.store)))].join(', ')
      return chain(
        attempt(
          () => {
            if (closed) throw new ZustandSqliteError('BACKEND_CLOSED', `the ${executor.name} backend is closed`)
            return executor.run(procedures.applyMany(changeSets, writing))
          },
          (error) => {
            const { store } = writing
            const message =
              store === undefined
                ? `committing stores ${names} together failed; the transaction was rolled back`
                : `writing store ${JSON.stringify(store)} failed while stores ${names} committed together; the transaction was rolled back`
            throw withStore(fail(error, 'WRITE_FAILED', message, store), store)
          },
        ),
        (records) => {
          if (records.length === 0) return []
          options.onWrite?.()
          const results = records.map((record): ApplyResult => ({ revision: record.revision }))
          changeSets.forEach((changeSet, i) =>
            tell({ store: changeSet.store, changeSet, revision: (results[i] as ApplyResult).revision }),
          )
          return results
        },
      )
    },
    clear: (store) =>
      wrote(
        chain(
          guarded('WRITE_FAILED', `clearing store ${JSON.stringify(store)} failed`, store, () =>
            procedures.clear(store),
          ),
          (revision) => tell({ store, cleared: true, revision }),
        ),
      ),
    subscribe,
    query: (sql, params = []) =>
      guarded('QUERY_FAILED', 'query failed', undefined, () => procedures.query(sql, params)),
    flush: () => {
      if (closed) throw new ZustandSqliteError('BACKEND_CLOSED', `the ${executor.name} backend is closed`)
    },
    close: () => {
      if (closed) return undefined
      closed = true
      return executor.close()
    },
  }
}
