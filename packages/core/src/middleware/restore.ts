import type { LoadResult } from '../contract/backend'
import { toZustandSqliteError, ZustandSqliteError } from '../contract/errors'
import { attempt, chain } from '../contract/maybe'
import type { MaybePromise } from '../contract/maybe'
import type { Codec } from '../schema/codec'
import type { StoreSchema } from '../schema/defineSchema'
import type { OrderKeyMemo } from './diff'
import { materialize } from './materialize'

type Item = Record<string, unknown>

/** How a store turns what is stored into its state: its name, schema, version, `migrate` and `merge`. */
export interface RestoreOptions<S> {
  readonly name: string
  readonly schema: StoreSchema
  readonly codec: Codec
  readonly version: number
  readonly migrate?: ((persistedState: unknown, version: number) => unknown) | undefined
  readonly merge: (persistedState: unknown, currentState: S) => S
}

/** A store's state rebuilt from what is stored. */
export interface Restored<S> {
  /** The persisted state as stored, before `migrate`; `null` when nothing is stored. */
  readonly stored: Item | null
  /** Order keys of the arrays of `stored`. */
  readonly memo: OrderKeyMemo
  /** `merge(migrated, current)`: the state the store takes. */
  readonly state: S
  /** The stored version was another: the migrated state has to be written back. */
  readonly migrated: boolean
}

/**
 * Hydration's part that does not write: the loaded rows made into the persisted state, run through
 * `migrate` when the stored version differs (MIGRATION_FAILED when it is missing, throws or rejects),
 * then `merge`d into `current`. Used by `persistSQLite` and by stored reads of a store definition, so
 * that both see the same state. Synchronous unless `migrate` returns a promise.
 */
export function restore<S>(loaded: LoadResult, options: RestoreOptions<S>, current: S): MaybePromise<Restored<S>> {
  const { name, version, migrate } = options
  const memo: OrderKeyMemo = new WeakMap()
  const stored = loaded.stateVersion === null ? null : materialize(options.schema, loaded, memo, options.codec)
  const storedVersion = loaded.stateVersion
  const migrated = stored !== null && storedVersion !== version
  const done = (persisted: unknown): Restored<S> => ({
    stored,
    memo,
    state: options.merge(persisted, current),
    migrated,
  })
  if (!migrated) return done(stored ?? undefined)
  if (migrate === undefined) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `store ${JSON.stringify(name)} holds state version ${String(storedVersion)} but the code is at version ${version} and no \`migrate\` was given; the stored data was left untouched and nothing will be written (give a migrate function, or clearStorage() to discard it)`,
      { store: name },
    )
  }
  return chain(
    attempt(
      () => migrate(stored, storedVersion as number) as MaybePromise<unknown>,
      (error) => {
        throw toZustandSqliteError(error, 'MIGRATION_FAILED', `store ${JSON.stringify(name)}: migrate failed`, {
          store: name,
        })
      },
    ),
    done,
  )
}
