import { isZustandSqliteError, ZustandSqliteError } from '@zustand-sqlite/core'
import type { CommittedChange, ZustandSqliteErrorCode } from '@zustand-sqlite/core'

/** The Backend methods a page asks its worker for (and a follower tab's worker asks the writer for). */
export type Method = 'prepare' | 'load' | 'apply' | 'applyMany' | 'clear' | 'query' | 'flush'

/** What the worker is told when it starts. */
export interface WorkerConfig {
  /** File name of the database in the pool, e.g. `/app.db`. */
  readonly file: string
  /** OPFS directory of the pool. */
  readonly directory: string
  /**
   * Web Lock held by the writer of the pool (the directory: the VFS opens every file of it, and only one
   * worker at a time can), and the BroadcastChannel its tabs talk on.
   */
  readonly lockName: string
  /** This tab's worker, among the tabs of the database. */
  readonly tabId: string
  /** How long to keep trying to open the pool after taking the lock (another tab may still be releasing it). */
  readonly openTimeoutMs: number
}

/** Where this tab's worker stands: the writer of the database, or a tab whose writes go to the writer. */
export type Role = 'writer' | 'follower'

/** Page to worker. */
export type PageMessage =
  | { readonly type: 'init'; readonly id: number; readonly config: WorkerConfig }
  | { readonly type: 'call'; readonly id: number; readonly method: Method; readonly args: readonly unknown[] }
  | { readonly type: 'close'; readonly id: number }

/** An error as it crosses a worker or a channel: structured-clone safe, typed again on arrival. */
export interface WireError {
  readonly code: string | undefined
  readonly message: string
  readonly path?: string | undefined
  readonly store?: string | undefined
  /** Whether it was a ZustandSqliteError (else an engine error with maybe a `code`). */
  readonly typed: boolean
}

/** Worker to page. */
export type WorkerMessage =
  | { readonly type: 'result'; readonly id: number; readonly value: unknown }
  | { readonly type: 'error'; readonly id: number; readonly error: WireError }
  | { readonly type: 'role'; readonly role: Role }
  /** A commit to this page's database made by another tab. */
  | { readonly type: 'change'; readonly change: CommittedChange }

/** Between the workers of one database's tabs, on its BroadcastChannel. */
export type ChannelMessage =
  | {
      readonly type: 'request'
      readonly from: string
      readonly id: number
      /** The database file the call is for. */
      readonly file: string
      readonly method: Method
      readonly args: readonly unknown[]
    }
  | { readonly type: 'response'; readonly to: string; readonly id: number; readonly value: unknown }
  | { readonly type: 'failure'; readonly to: string; readonly id: number; readonly error: WireError }
  /** A new writer: requests waiting for an answer are sent again. */
  | { readonly type: 'writer'; readonly tabId: string }
  /** The writer committed a call of tab `from` to `file`: every other tab of that file is told. */
  | { readonly type: 'committed'; readonly from: string; readonly file: string; readonly change: CommittedChange }

const PREFIX = /^\[zustand-sqlite\] [A-Z_]+: /

export function toWire(error: unknown): WireError {
  if (isZustandSqliteError(error)) {
    return {
      code: error.code,
      message: error.message.replace(PREFIX, ''),
      path: error.path,
      store: error.store,
      typed: true,
    }
  }
  const code = (error as { code?: unknown } | null)?.code
  return {
    code: typeof code === 'string' ? code : undefined,
    message: error instanceof Error ? error.message : String(error),
    typed: false,
  }
}

/** The error again, on this side: a ZustandSqliteError with its code, path and store, or an Error with its code. */
export function fromWire(wire: WireError): Error {
  if (wire.typed) {
    return new ZustandSqliteError(wire.code as ZustandSqliteErrorCode, wire.message, {
      ...(wire.path === undefined ? {} : { path: wire.path }),
      ...(wire.store === undefined ? {} : { store: wire.store }),
    })
  }
  return Object.assign(new Error(wire.message), wire.code === undefined ? {} : { code: wire.code })
}
