import type { ZustandSqliteError, ZustandSqliteErrorCode } from '@zustand-sqlite/core'

/** What an event is about: one step of moving a store, or one write or comparison of shadow mode. */
export type MigrationEventKind =
  /** A store was imported from its legacy storage and written to SQLite. */
  | 'migration'
  /** What a migration wrote was read back and compared with what it imported (or a rollback's legacy value with SQLite). */
  | 'verification'
  /** A store's SQLite state was written back to its legacy storage. */
  | 'rollback'
  /** Shadow mode compared a store on both storages. */
  | 'shadow-comparison'
  /** Shadow mode timed one write of a store on one storage. */
  | 'shadow-write'

/** How it ended. */
export type MigrationOutcome =
  /** Done. */
  | 'ok'
  /** Failed with `code`; the store stays on its previous storage. */
  | 'failed'
  /** Nothing to do: no legacy data, or done by an earlier call. */
  | 'skipped'
  /** Shadow mode: the two storages hold different states. */
  | 'mismatch'

/** Which storage a shadow write went to. */
export type StorageKind = 'sqlite' | 'legacy'

/**
 * One event of a migration, verification, rollback or shadow comparison. Given to `onEvent`, and recorded in
 * a metrics store by `recordMigrationEvents`.
 */
export interface MigrationEvent {
  readonly kind: MigrationEventKind
  /** The store (its definition's name, e.g. `app-chats`). */
  readonly store: string
  readonly outcome: MigrationOutcome
  /** The typed error code, when `outcome` is `failed` (or `mismatch`: VERIFICATION_FAILED). */
  readonly code?: ZustandSqliteErrorCode
  /** What happened, in words (the error message, or the first difference found). */
  readonly message?: string
  /** How long it took, in milliseconds. */
  readonly durationMs: number
  /** Rows written (migration, rollback: of the store; shadow-write: of this write). */
  readonly rows: number
  /** Bytes of the legacy value (UTF-8 of its JSON text) read or written. */
  readonly bytes: number
  /** For `shadow-write`: which storage was written. */
  readonly storage?: StorageKind
}

/** Where events go: a function, called synchronously; what it throws is logged and ignored. */
export type MigrationEventListener = (event: MigrationEvent) => void

/** @internal Calls `listener` with `event`, never letting it throw into the migration. */
export function emit(listener: MigrationEventListener | undefined, event: MigrationEvent): void {
  if (listener === undefined) return
  try {
    listener(event)
  } catch (error) {
    console.error('[zustand-sqlite] onEvent threw', error)
  }
}

/** @internal A clock for durations, in milliseconds. */
export const clock = (): number => globalThis.performance?.now() ?? Date.now()

/**
 * @internal The event of `kind` about `store`, timed from `started` (a {@link clock} reading) to `ended` (now
 * by default), with the code and message of `error`, or a `message`.
 */
export function storeEvent(
  kind: MigrationEventKind,
  store: string,
  outcome: MigrationOutcome,
  started: number,
  extra: {
    readonly rows?: number
    readonly bytes?: number
    readonly error?: ZustandSqliteError
    readonly message?: string
    readonly ended?: number
  } = {},
): MigrationEvent {
  const message = extra.error?.message ?? extra.message
  return {
    kind,
    store,
    outcome,
    ...(extra.error === undefined ? {} : { code: extra.error.code }),
    ...(message === undefined ? {} : { message }),
    durationMs: (extra.ended ?? clock()) - started,
    rows: extra.rows ?? 0,
    bytes: extra.bytes ?? 0,
  }
}
