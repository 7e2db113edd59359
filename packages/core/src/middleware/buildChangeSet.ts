import type { ChangeSet } from '../contract/changeSet'
import type { Codec } from '../schema/codec'
import type { StoreSchema } from '../schema/defineSchema'
import { createChangeSetBuilder } from './changeSetBuilder'
import type { ChangeSetBuilder } from './changeSetBuilder'
import { createDiffer } from './diff'
import type { Differ, Isolation, OrderKeyMemo } from './diff'
import { addExtraWrites } from './extraWrites'
import type { ExtraWrite } from './extraWrites'

type Item = Record<string, unknown>

/** Everything a ChangeSet is made from. */
export interface ChangeSetInput {
  readonly store: string
  readonly schema: StoreSchema
  readonly codec: Codec
  /** Order keys of the arrays of `prev` (and where those of `next` are recorded). */
  readonly memo: OrderKeyMemo
  /** The persisted state the database holds; `null` when it holds nothing (or it is replaced). */
  readonly prev: Item | null
  /** The state version recorded with `prev`; `null` when none is. */
  readonly prevVersion: number | null
  /** The persisted state to write. */
  readonly next: Item
  /** The state version to record. */
  readonly version: number
  /** Appended rows and lazy writes, in call order. */
  readonly extras?: readonly ExtraWrite[]
  /** The store's revision `prev` was read at, when known: the write then fails if another one came since. */
  readonly baseRevision?: number | undefined
  /** Delete everything stored first. */
  readonly replace?: boolean
  /**
   * Leave out, and record here, the parts of `next` that cannot be stored, instead of failing. Without
   * it, such a part throws.
   */
  readonly isolation?: Isolation | undefined
}

/** One differ and one builder per schema, memo and codec: a write allocates no closures for the walk. */
const differs = new WeakMap<
  OrderKeyMemo,
  { schema: StoreSchema; codec: Codec; differ: Differ; builder: ChangeSetBuilder }
>()

/**
 * The one place ChangeSets are made (writes, the rewrite after `migrate`, `writeStoredState`): the rows
 * that turn `prev` into `next`, then the queued extra writes. Returns `undefined` when there is nothing
 * to write: no row, no extra, the same state version, no replace. Throws UNSTORABLE_VALUE or
 * DUPLICATE_KEY, naming the path, for a state that cannot be stored, unless `isolation` is given.
 */
export function buildChangeSet(input: ChangeSetInput): ChangeSet | undefined {
  const { schema, codec, memo } = input
  let cached = differs.get(memo)
  if (cached === undefined || cached.schema !== schema || cached.codec !== codec) {
    cached = {
      schema,
      codec,
      differ: createDiffer(schema, memo, codec),
      builder: createChangeSetBuilder(schema.spec.tables),
    }
    differs.set(memo, cached)
  }
  const { differ, builder } = cached
  builder.reset()
  differ.diff(input.replace === true ? null : input.prev, input.next, builder, input.isolation)
  if (input.extras !== undefined && input.extras.length > 0) addExtraWrites(builder, schema, input.extras)
  const replace = input.replace === true
  if (builder.size === 0 && !replace && input.prevVersion === input.version) return undefined
  return builder.build({
    store: input.store,
    schemaVersion: schema.spec.version,
    stateVersion: input.version,
    ...(replace ? { replace } : {}),
    ...(input.isolation === undefined ? {} : { isolateRefusedRows: true }),
    ...(input.baseRevision === undefined ? {} : { baseRevision: input.baseRevision }),
  })
}
