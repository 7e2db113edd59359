import { isZustandSqliteError, ZustandSqliteError } from './errors'

const PREFIX = /^\[zustand-sqlite\] [A-Z_]+: /

/**
 * @internal The error, naming `store` when it is a ZustandSqliteError that names none: of a write that
 * concerns several stores, the one it failed in.
 */
export function withStore(error: unknown, store: string | undefined): unknown {
  if (store === undefined || !isZustandSqliteError(error) || error.store !== undefined) return error
  return new ZustandSqliteError(error.code, error.message.replace(PREFIX, ''), {
    cause: error.cause,
    ...(error.path === undefined ? {} : { path: error.path }),
    store,
  })
}
