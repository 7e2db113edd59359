import { isZustandSqliteError, ZustandSqliteError } from '../contract/errors'
import type { SqlValue } from '../contract/sqlValue'
import { isDropped, isPlainObject, joinPath, OMIT, setOwn } from '../schema/codec'
import type { Codec, Where } from '../schema/codec'
import type { CollectionNode, FieldMapping, SingletonNode, StoreSchema } from '../schema/defineSchema'
import { MAX_ORDER_KEY_LENGTH, orderKeysBetween } from '../schema/orderKey'
import { isLoaded, isReplacement, NOT_LOADED } from '../schema/notLoaded'
import { encodeText } from '../schema/text'
import { changesSince } from '../store/replaceAt'
import type { ChangeSetBuilder } from './changeSetBuilder'

/**
 * Order keys of every persisted array, by array identity. Zustand state is immutable, so an array
 * object always holds the same items in the same order; its keys are recorded once, when it is
 * written or loaded. An entry, once made, is never changed: an array that appears in two places is
 * written with the same keys in both.
 */
export type OrderKeyMemo = WeakMap<readonly unknown[], readonly string[]>

type Item = Record<string, unknown>
type Path = Where

// Not frozen: a frozen array has another elements kind, which would make the scans below polymorphic.
const EMPTY: readonly unknown[] = []
const hasOwn = Object.prototype.hasOwnProperty

function unstorable(where: Path, problem: string): never {
  const path = where()
  throw new ZustandSqliteError('UNSTORABLE_VALUE', `${path}: ${problem}`, { path })
}

function child(where: Path, segment: string | number): Path {
  return () => joinPath(where(), [segment])
}

function keyed(where: Path, node: CollectionNode, key: unknown): Path {
  return () => `${where()}[${node.keyField === undefined ? '' : `${node.keyField}=`}${JSON.stringify(key)}]`
}

/** Longest increasing subsequence of `values` (indices into it); -1 entries are skipped. */
function longestIncreasing(values: readonly number[]): Set<number> {
  const tails: number[] = []
  const previous = new Array<number>(values.length).fill(-1)
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number
    if (v < 0) continue
    let lo = 0
    let hi = tails.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((values[tails[mid] as number] as number) < v) lo = mid + 1
      else hi = mid
    }
    if (lo > 0) previous[i] = tails[lo - 1] as number
    tails[lo] = i
  }
  const kept = new Set<number>()
  let i = tails.length > 0 ? (tails[tails.length - 1] as number) : -1
  while (i >= 0) {
    kept.add(i)
    i = previous[i] as number
  }
  return kept
}

/** A part of the state that the database does not hold as the state has it: refused, and held back. */
export interface HeldBack {
  /** The value refused, as the state held it. The mirror keeps it: meeting it again means it changed. */
  readonly refused: unknown
  /** What the database holds for that part (`undefined`: nothing), the base it is written again from. */
  readonly stored: unknown
}

/** A part of the state a write left out: the error naming its path and, when held back, its entry. */
export interface Refusal {
  readonly error: ZustandSqliteError
  /** The part's identity, for a part held back (an item left out for good, a duplicate, has none). */
  readonly unit?: string
  readonly held?: HeldBack
  /**
   * For an item left out for good: what it is reported once for (the key it repeats, or the item), as
   * its place in the array can change from one write to the next.
   */
  readonly once?: unknown
  /** The same value refused again (it only moved): held back still, not reported again. */
  readonly again?: boolean
}

/**
 * What a diff that isolates refusals reads and records: a part of the state that cannot be stored (an
 * unstorable value, a duplicate key) is left out of the ChangeSet and recorded, and the rest is written.
 */
export interface Isolation {
  /** Parts held back by earlier writes, by identity. */
  readonly held: ReadonlyMap<string, HeldBack>
  /** Parts this diff left out. */
  readonly refusals: Refusal[]
  /** Held parts this diff writes again: their entries go once the write commits. */
  readonly retried: string[]
}

/** @internal Writes into a builder the rows that turn the stored `prev` into `next`. */
export interface Differ {
  /**
   * `prev === null`: nothing is stored, write everything. Without `isolation`, a part that cannot be
   * stored fails the whole diff (UNSTORABLE_VALUE, DUPLICATE_KEY); with it, that part is left out.
   */
  diff(prev: Item | null, next: Item, into: ChangeSetBuilder, isolation?: Isolation): void
}

/** @internal The identity of one item of a collection, for {@link HeldBack} entries. */
export function unitOf(node: CollectionNode, parentKey: readonly SqlValue[], key: SqlValue): string {
  return `${node.table.name}\u0000${JSON.stringify(parentKey)}\u0000${JSON.stringify(key)}`
}

/** Errors that refuse one part of the state, not the write. */
function isRefusal(error: unknown): error is ZustandSqliteError {
  return (
    isZustandSqliteError(error, 'UNSTORABLE_VALUE') ||
    isZustandSqliteError(error, 'DUPLICATE_KEY') ||
    isZustandSqliteError(error, 'NOT_LOADED')
  )
}

/** How an item is visited: new, stored before, moved, or written again after it was held back. */
const enum Visit {
  Write,
  Update,
  Move,
  Retry,
}

/** Thrown inside the fast path of an array that has keyless or duplicate items: it is reconciled. */
const IRREGULAR: unique symbol = Symbol('zustand-sqlite.irregular')
/** Returned by keyAt for an item without a key a row can have. */
const NO_KEY: unique symbol = Symbol('zustand-sqlite.no-key')

/**
 * @internal Made once per schema and memo, so that a write allocates no closures for the walk itself.
 */
export function createDiffer(schema: StoreSchema, memo: OrderKeyMemo, codec: Codec, hints = true): Differ {
  const { encodeColumn, encodeJson } = codec
  let builder: ChangeSetBuilder
  let isolation: Isolation | undefined
  const singletonColumns = new Map<SingletonNode, readonly string[]>()
  /** Arrays with keyless or duplicate items: their diffs take the reconciling path, which skips those. */
  const irregular = new WeakSet<readonly unknown[]>()

  /** The item's key, or NO_KEY when it has none a row can be keyed by. */
  const keyAt = (node: CollectionNode, item: unknown): unknown => {
    let key: unknown = item
    if (node.itemKind === 'object') {
      if (!isPlainObject(item)) return NO_KEY
      key = item[node.keyField as string]
    }
    return (node.keyType === 'text' ? typeof key === 'string' : Number.isSafeInteger(key)) ? key : NO_KEY
  }

  /** Why an item has no key (see keyAt). */
  const keyless = (node: CollectionNode, item: unknown, where: Path): ZustandSqliteError => {
    const path = where()
    const problem =
      node.itemKind === 'object' && !isPlainObject(item)
        ? `expected an object, got ${item === null ? 'null' : Array.isArray(item) ? 'an array' : typeof item}`
        : `the key ${node.keyField ?? node.keyColumn} must be ${node.keyType === 'text' ? 'a string' : 'a safe integer'}, got ${JSON.stringify(node.itemKind === 'object' ? (item as Item)[node.keyField as string] : item) ?? typeof item}`
    return new ZustandSqliteError('UNSTORABLE_VALUE', `${path}: ${problem}`, { path })
  }

  const duplicate = (node: CollectionNode, key: unknown, where: Path): ZustandSqliteError => {
    const path = where()
    return new ZustandSqliteError(
      'DUPLICATE_KEY',
      `${path}: another item before this one has the key ${node.keyField ?? node.keyColumn}=${JSON.stringify(key)}; this one was left out`,
      { path },
    )
  }

  /**
   * An item of an array left out for good, at index `t`: without a key (`key` is NO_KEY), or repeating
   * the key of an item before it. Thrown without isolation; recorded with it, once per item or key.
   */
  const leaveOut = (node: CollectionNode, q: unknown, key: unknown, t: number, where: Path): void => {
    const error = key === NO_KEY ? keyless(node, q, child(where, t)) : duplicate(node, key, child(where, t))
    if (isolation === undefined) throw error
    const once =
      key !== NO_KEY
        ? `${where()}\u0000${JSON.stringify(key)}`
        : typeof q === 'object' && q !== null
          ? q
          : `${where()}\u0000${typeof q}\u0000${String(q)}`
    isolation.refusals.push({ error, once })
  }

  /** A key as its column holds it (see encodeText): a valid key of the node's type. */
  const storedKey = (node: CollectionNode, key: unknown): SqlValue =>
    node.keyType === 'text' ? encodeText(key as string) : (key as SqlValue)

  /**
   * Runs `write` for one part of the state (an item, a singleton, a key). With isolation, a part held
   * back is written from what is stored, and a part that is refused is taken out of the ChangeSet and
   * recorded: the rest of the write goes on.
   */
  const guard = <A>(
    unit: () => string,
    p: unknown,
    q: unknown,
    write: (prev: unknown, retry: boolean, arg: A) => void,
    arg: A,
  ): void => {
    if (isolation === undefined) return write(p, false, arg)
    const { held, refusals, retried } = isolation
    const refusedAt = refusals.length
    const retriedAt = retried.length
    let prev = p
    let retry = false
    let id: string | undefined
    if (held.size > 0) {
      id = unit()
      const entry = held.get(id)
      if (entry !== undefined && entry.refused === p && p !== undefined) {
        prev = entry.stored
        retry = true
        retried.push(id)
      }
    }
    const mark = builder.mark()
    try {
      write(prev, retry, arg)
    } catch (error) {
      if (!isRefusal(error)) throw error
      builder.rollback(mark)
      refusals.length = refusedAt
      retried.length = retriedAt
      refusals.push({ error, unit: id ?? unit(), held: { refused: q, stored: prev }, again: retry && q === p })
    }
  }

  interface ItemVisit {
    kind: Visit
    node: CollectionNode
    q: unknown
    parentKey: readonly SqlValue[]
    key: SqlValue
    orderKey: string | undefined
    where: Path
  }
  const visitWrite = (prev: unknown, retry: boolean, v: ItemVisit): void => {
    const { node, q, parentKey, key, orderKey, where } = v
    const kind = retry ? (prev === undefined ? Visit.Write : Visit.Retry) : v.kind
    if (kind === Visit.Write) writeItem(node, q, parentKey, key, orderKey, where)
    else if (kind === Visit.Update) updateItem(node, prev, q, parentKey, key, orderKey, where)
    else moveItem(node, prev, q, parentKey, key, orderKey, where)
  }
  /** One item of a collection, visited as `kind` (see guard). */
  const visitItem = (
    kind: Visit,
    node: CollectionNode,
    p: unknown,
    q: unknown,
    parentKey: readonly SqlValue[],
    key: SqlValue,
    orderKey: string | undefined,
    where: Path,
  ): void => {
    const v: ItemVisit = { kind, node, q, parentKey, key, orderKey, where }
    if (isolation === undefined) return visitWrite(p, false, v)
    guard(() => unitOf(node, parentKey, key), kind === Visit.Write ? undefined : p, q, visitWrite, v)
  }

  const restOf = (
    item: Item,
    mapped: ReadonlySet<string>,
    exclude: ReadonlySet<string> | undefined,
  ): Item | undefined => {
    let rest: Item | undefined
    for (const k in item) {
      if (!hasOwn.call(item, k) || mapped.has(k) || exclude?.has(k)) continue
      const v = item[k]
      if (isDropped(v)) continue
      setOwn((rest ??= {}), k, v)
    }
    return rest
  }

  /** Appends mapped field values to `row`; returns the omitted (absent lazy) columns, if any. */
  const pushFields = (
    fields: readonly FieldMapping[],
    item: Item,
    row: SqlValue[],
    where: Path,
  ): string[] | undefined => {
    let omitted: string[] | undefined
    for (const f of fields) {
      const value = encodeColumn(f.def, item[f.field], where, f.field)
      if (value === OMIT) (omitted ??= []).push(f.column)
      else row.push(value)
    }
    return omitted
  }

  /** Lazy values an item holds in state, for a collection with a lazy table: written there by key. */
  const writeLazyTableFields = (node: CollectionNode, item: Item, key: SqlValue[], where: Path): void => {
    let columns: string[] | undefined
    let values: SqlValue[] | undefined
    for (const f of node.lazyTableFields) {
      const value = encodeColumn(f.def, item[f.field], where, f.field)
      if (value === OMIT) continue
      ;(columns ??= []).push(f.column)
      ;(values ??= []).push(value)
    }
    if (columns !== undefined) builder.lazy(node.table, { key, columns, values: values as SqlValue[] })
  }

  const without = (columns: readonly string[], omitted: readonly string[] | undefined): readonly string[] =>
    omitted === undefined ? columns : columns.filter((c) => !omitted.includes(c))

  /** The item's row: `stored` rows are written as updates, new ones as upserts. */
  const upsertItem = (
    node: CollectionNode,
    item: unknown,
    parentKey: readonly SqlValue[],
    key: SqlValue,
    orderKey: string | undefined,
    where: Path,
    stored: boolean,
  ): void => {
    const row: SqlValue[] = [...parentKey, key]
    let omitted: string[] | undefined
    if (node.itemKind === 'value') {
      if (node.shape === 'record') {
        const value = encodeColumn(node.valueDef as NonNullable<CollectionNode['valueDef']>, item, where)
        if (value === OMIT) return unstorable(where, 'a value collection cannot hold lazy values')
        row.push(value)
      }
    } else {
      if (!isPlainObject(item)) return unstorable(where, 'expected an object')
      const object = item
      omitted = pushFields(node.rowFields, object, row, where)
      if (node.lazyTableFields.length > 0) writeLazyTableFields(node, object, [...parentKey, key], where)
    }
    if (node.orderColumn !== undefined) row.push(orderKey as string)
    if (node.itemKind === 'object') {
      const rest = restOf(item as Item, node.mapped, undefined)
      if (node.restColumn !== undefined) row.push(rest === undefined ? null : encodeJson(rest, where))
      else if (rest !== undefined)
        unstorable(
          child(where, Object.keys(rest)[0] as string),
          'this field has no column and the collection keeps no rest column',
        )
      // The count of a collection loaded on demand, while it is loaded; else the stored count stays.
      for (const c of node.counted) {
        const items = (item as Item)[c.field]
        if (Array.isArray(items) && isLoaded(items)) row.push(items.length)
        else (omitted ??= []).push((c.count as { column: string }).column)
      }
    }
    const columns = without(node.writeColumns, omitted)
    if (stored) builder.update(node.table, columns, row)
    else builder.upsert(node.table, columns, row)
  }

  /** Two values of a field without a column differ, unless neither is stored (functions, undefined). */
  const restDiffers = (p: unknown, q: unknown): boolean => p !== q && !(isDropped(p) && isDropped(q))

  /** A loaded collection whose length is not the one stored (a count column to write). */
  const countDiffers = (node: CollectionNode, p: Item, q: Item): boolean => {
    for (const c of node.counted) {
      const after = q[c.field]
      if (!Array.isArray(after) || !isLoaded(after)) continue
      const before = p[c.field]
      if (!Array.isArray(before) || !isLoaded(before) || before.length !== after.length) return true
    }
    return false
  }

  const notLoaded = (where: Path, problem: string): never => {
    const path = where()
    throw new ZustandSqliteError('NOT_LOADED', `${path}: ${problem}`, { path })
  }

  /** Nested rows of an item that hydration left out: kept as stored; an array made in their place is refused. */
  const loadedChild = (before: unknown, after: unknown, where: Path, c: CollectionNode): boolean => {
    if (after === NOT_LOADED) return false
    if (before === NOT_LOADED)
      notLoaded(
        child(where, c.field),
        'its stored items were not loaded (store.persist.loadOnDemand loads them); an array made in their place would replace them unseen (replaceStored marks an array that is meant to), so this item was not written',
      )
    return true
  }

  /**
   * An item whose collection hydration left out, written with an array marked by `replaceStored` in its
   * place: its row is deleted (and with it every nested row) and written again whole. Refused when that
   * would delete what the item does not hold: another collection not loaded, lazy columns.
   */
  const replacesStored = (node: CollectionNode, p: Item, q: Item, where: Path): boolean => {
    let replaces = false
    for (const c of node.onDemandChildren) if (p[c.field] === NOT_LOADED && isReplacement(q[c.field])) replaces = true
    if (!replaces) return false
    for (const c of node.onDemandChildren)
      if (q[c.field] === NOT_LOADED)
        notLoaded(
          child(where, c.field),
          'not loaded, while another collection of the item replaces its stored rows: the item is written again whole, which would delete these; load them first',
        )
    if (node.fields.some((f) => f.def.lazy === true))
      notLoaded(
        where,
        'a collection of the item replaces its stored rows, which writes the item again whole and would delete its lazy columns; load the collection instead',
      )
    return true
  }

  const fieldsDiffer = (node: CollectionNode, p: Item, q: Item): boolean => {
    if (node.counted.length > 0 && countDiffers(node, p, q)) return true
    for (const f of node.fields) if (p[f.field] !== q[f.field]) return true
    const mapped = node.mapped
    for (const k in q) if (!mapped.has(k) && restDiffers(p[k], q[k])) return true
    for (const k in p) if (!mapped.has(k) && !hasOwn.call(q, k) && !isDropped(p[k])) return true
    return false
  }

  /** An item that is new to the store: its row and all its nested rows. */
  const writeItem = (
    node: CollectionNode,
    item: unknown,
    parentKey: readonly SqlValue[],
    key: SqlValue,
    orderKey: string | undefined,
    where: Path,
  ): void => {
    upsertItem(node, item, parentKey, key, orderKey, where, false)
    if (node.children.length === 0) return
    const itemKey = [...parentKey, key]
    for (const c of node.children) {
      const items = (item as Item)[c.field]
      if (items !== NOT_LOADED) diffCollection(c, undefined, items, itemKey, child(where, c.field))
    }
  }

  /** An item stored before: its row if its own fields changed, and its nested collections. */
  const updateItem = (
    node: CollectionNode,
    p: unknown,
    q: unknown,
    parentKey: readonly SqlValue[],
    key: SqlValue,
    orderKey: string | undefined,
    where: Path,
  ): void => {
    if (node.itemKind === 'value') {
      if (p !== q) upsertItem(node, q, parentKey, key, orderKey, where, true)
      return
    }
    if (!isPlainObject(q)) unstorable(where, 'expected an object')
    const prev = p as Item
    if (node.onDemandChildren.length > 0 && replacesStored(node, prev, q, where)) {
      builder.delete(node.table, [...parentKey, key])
      return writeItem(node, q, parentKey, key, orderKey, where)
    }
    if (fieldsDiffer(node, prev, q)) upsertItem(node, q, parentKey, key, orderKey, where, true)
    if (node.children.length === 0) return
    let itemKey: SqlValue[] | undefined
    for (const c of node.children) {
      const before = prev[c.field]
      const after = q[c.field]
      if (before === after || (c.onDemand && !loadedChild(before, after, where, c))) continue
      diffCollection(c, before, after, (itemKey ??= [...parentKey, key]), child(where, c.field))
    }
  }

  /** Moved items: the row again with its new order key, then whatever else changed below it. */
  const moveItem = (
    node: CollectionNode,
    p: unknown,
    q: unknown,
    parentKey: readonly SqlValue[],
    key: SqlValue,
    orderKey: string | undefined,
    where: Path,
  ): void => {
    if (node.onDemandChildren.length > 0 && isPlainObject(p) && isPlainObject(q) && replacesStored(node, p, q, where)) {
      builder.delete(node.table, [...parentKey, key])
      return writeItem(node, q, parentKey, key, orderKey, where)
    }
    upsertItem(node, q, parentKey, key, orderKey, where, true)
    if (node.itemKind === 'value' || p === q) return
    const prev = p as Item
    const next = q as Item
    const itemKey = [...parentKey, key]
    for (const c of node.children) {
      const before = prev[c.field]
      const after = next[c.field]
      if (before === after || (c.onDemand && !loadedChild(before, after, where, c))) continue
      diffCollection(c, before, after, itemKey, child(where, c.field))
    }
  }

  const diffCollection = (
    node: CollectionNode,
    prev: unknown,
    next: unknown,
    parentKey: readonly SqlValue[],
    where: Path,
  ): void => {
    if (node.shape === 'record') diffRecord(node, prev, next, parentKey, where)
    else diffArray(node, prev, next, parentKey, where)
  }

  const diffRecord = (
    node: CollectionNode,
    prevValue: unknown,
    nextValue: unknown,
    parentKey: readonly SqlValue[],
    where: Path,
  ): void => {
    const next = isDropped(nextValue) ? {} : nextValue
    if (!isPlainObject(next)) return unstorable(where, 'expected a record (a plain object)')
    const prev = (prevValue ?? {}) as Item
    for (const k in next) {
      if (!hasOwn.call(next, k)) continue
      const q = next[k]
      if (isDropped(q)) continue
      const p = hasOwn.call(prev, k) ? prev[k] : undefined
      if (p === q) continue
      const itemWhere = () => `${where()}[${JSON.stringify(k)}]`
      const kind = isDropped(p) ? Visit.Write : Visit.Update
      visitItem(kind, node, p, q, parentKey, storedKey(node, k), undefined, itemWhere)
    }
    for (const k in prev) {
      if (!hasOwn.call(prev, k) || isDropped(prev[k])) continue
      if (!hasOwn.call(next, k) || isDropped(next[k])) builder.delete(node.table, [...parentKey, storedKey(node, k)])
    }
  }

  /**
   * Brings the stored rows of `prev` to `next` when every item's target order key is known up front
   * (a renumbering, an array whose keys were recorded elsewhere, or a first write).
   */
  const reconcile = (
    node: CollectionNode,
    prev: readonly unknown[],
    prevKeys: readonly string[] | undefined,
    next: readonly unknown[],
    targets: readonly string[],
    parentKey: readonly SqlValue[],
    where: Path,
  ): void => {
    // The first item with a key is the one stored; a later one with the same key, and an item without
    // a key, are left out (and reported when they are in `next`).
    const prevIndex = new Map<unknown, number>()
    for (let i = 0; i < prev.length; i++) {
      const key = keyAt(node, prev[i])
      if (key !== NO_KEY && !prevIndex.has(key)) prevIndex.set(key, i)
    }
    const seen = new Set<unknown>()
    for (let t = 0; t < next.length; t++) {
      const q = next[t]
      const key = keyAt(node, q)
      if (key === NO_KEY || seen.has(key)) {
        irregular.add(next)
        leaveOut(node, q, key, t, where)
        continue
      }
      seen.add(key)
      const target = targets[t] as string
      const pi = prevIndex.get(key)
      const sqlKey = storedKey(node, key)
      const itemWhere = keyed(where, node, key)
      if (pi === undefined) visitItem(Visit.Write, node, undefined, q, parentKey, sqlKey, target, itemWhere)
      else if (prevKeys?.[pi] !== target && node.orderColumn !== undefined)
        visitItem(Visit.Move, node, prev[pi], q, parentKey, sqlKey, target, itemWhere)
      else if (prev[pi] !== q) visitItem(Visit.Update, node, prev[pi], q, parentKey, sqlKey, target, itemWhere)
    }
    for (const [key] of prevIndex) if (!seen.has(key)) builder.delete(node.table, [...parentKey, storedKey(node, key)])
  }

  const freshKeys = (count: number): readonly string[] => orderKeysBetween(null, null, count)

  /**
   * An array: the fast path below, unless the array (or the stored one) has items without a key or with
   * a key an item before them has; those are reconciled by key, the first item of a key kept.
   */
  const diffArray = (
    node: CollectionNode,
    prevValue: unknown,
    nextValue: unknown,
    parentKey: readonly SqlValue[],
    where: Path,
  ): void => {
    const next = isDropped(nextValue) ? EMPTY : nextValue
    if (!Array.isArray(next)) return unstorable(where, 'expected an array')
    const prev = (prevValue ?? EMPTY) as readonly unknown[]
    if (!irregular.has(prev)) {
      const mark = builder.mark()
      const refusedAt = isolation?.refusals.length ?? 0
      const retriedAt = isolation?.retried.length ?? 0
      try {
        diffArrayFast(node, prev, next, parentKey, where)
        return
      } catch (error) {
        if (error !== IRREGULAR) throw error
        builder.rollback(mark)
        if (isolation !== undefined) {
          isolation.refusals.length = refusedAt
          isolation.retried.length = retriedAt
        }
      }
    }
    diffIrregular(node, prev, next, parentKey, where)
  }

  /**
   * Positions of the items of `list` that are stored: those with a key, the first of each key. Given
   * `where` (for the array being written), the items left out are reported.
   */
  const storedPositions = (node: CollectionNode, list: readonly unknown[], where?: Path): number[] => {
    const seen = new Set<unknown>()
    const kept: number[] = []
    for (let i = 0; i < list.length; i++) {
      const key = keyAt(node, list[i])
      if (key === NO_KEY || seen.has(key)) {
        if (where !== undefined) leaveOut(node, list[i], key, i, where)
        continue
      }
      seen.add(key)
      kept.push(i)
    }
    return kept
  }

  /**
   * An array with items left out (keyless, or repeating a key): the items that are stored are diffed on
   * the fast path, so that a change still writes only what changed; the order keys of the left-out
   * positions are placeholders (their neighbour's), never written.
   */
  const diffIrregular = (
    node: CollectionNode,
    prev: readonly unknown[],
    next: readonly unknown[],
    parentKey: readonly SqlValue[],
    where: Path,
  ): void => {
    const prevAt = storedPositions(node, prev)
    const nextAt = storedPositions(node, next, where)
    const prevStored = prevAt.map((i) => prev[i])
    const nextStored = nextAt.map((i) => next[i])
    const prevKeys = memo.get(prev)
    if (prevKeys !== undefined)
      memo.set(
        prevStored,
        prevAt.map((i) => prevKeys[i] as string),
      )
    const recorded = memo.get(next)
    if (recorded !== undefined)
      memo.set(
        nextStored,
        nextAt.map((i) => recorded[i] as string),
      )
    diffArrayFast(node, prevStored, nextStored, parentKey, where)
    if (nextAt.length !== next.length) irregular.add(next)
    if (recorded !== undefined || node.orderColumn === undefined) return
    const stored = memo.get(nextStored) ?? EMPTY_KEYS
    const keys: string[] = []
    let at = 0
    for (let i = 0; i < next.length; i++) {
      if (nextAt[at] === i) keys.push(stored[at++] as string)
      else keys.push(keys.length > 0 ? (keys[keys.length - 1] as string) : (stored[0] ?? ''))
    }
    memo.set(next, keys)
  }

  /** The key of an item met on the fast path; an item without one sends the array to reconcile. */
  const keyOnFastPath = (node: CollectionNode, item: unknown): unknown => {
    const key = keyAt(node, item)
    if (key === NO_KEY) throw IRREGULAR
    return key
  }

  /**
   * `next` made from `prev` by `replaceAt` alone (see changesSince): only the items replaced are compared, each
   * keeping its place and order key. False, with nothing written, when the notes do not lead to `prev` or an item
   * replaced has another key: the whole arrays are compared then.
   */
  const diffReplaced = (
    node: CollectionNode,
    prev: readonly unknown[],
    prevKeys: readonly string[],
    next: readonly unknown[],
    recorded: readonly string[] | undefined,
    parentKey: readonly SqlValue[],
    where: Path,
  ): boolean => {
    if (prev === next || prev.length !== next.length) return false
    const changes = changesSince(next, (array) => array === prev)
    if (changes === undefined) return false
    for (const i of changes.indexes) if (keyOnFastPath(node, prev[i]) !== keyOnFastPath(node, next[i])) return false
    for (const i of changes.indexes) {
      const p = prev[i]
      const q = next[i]
      if (p === q) continue
      const key = keyAt(node, q)
      visitItem(Visit.Update, node, p, q, parentKey, storedKey(node, key), prevKeys[i], keyed(where, node, key))
    }
    if (recorded === undefined) memo.set(next, prevKeys)
    return true
  }

  const diffArrayFast = (
    node: CollectionNode,
    prev: readonly unknown[],
    next: readonly unknown[],
    parentKey: readonly SqlValue[],
    where: Path,
  ): void => {
    const ordered = node.orderColumn !== undefined
    const recorded = memo.get(next)
    const prevKeys = prev.length === 0 ? EMPTY_KEYS : memo.get(prev)
    if (!ordered) {
      reconcile(node, prev, undefined, next, EMPTY_KEYS, parentKey, where)
      return
    }
    if (prevKeys === undefined || (recorded !== undefined && recorded !== prevKeys)) {
      // Keys already chosen for this array object win; unknown stored keys force a rewrite of the order.
      const targets = recorded ?? freshKeys(next.length)
      if (recorded === undefined) memo.set(next, targets)
      reconcile(node, prev, prevKeys, next, targets, parentKey, where)
      return
    }

    if (hints && diffReplaced(node, prev, prevKeys, next, recorded, parentKey, where)) return

    const n = next.length
    const m = prev.length
    // Unchanged head: same key at the same position.
    let head = 0
    const limit = Math.min(n, m)
    for (; (head = sameUntil(prev, next, head, limit)) < limit; head++) {
      const p = prev[head]
      const q = next[head]
      const key = keyOnFastPath(node, q)
      if (keyOnFastPath(node, p) !== key) break
      visitItem(Visit.Update, node, p, q, parentKey, storedKey(node, key), prevKeys[head], keyed(where, node, key))
    }
    if (head === n && head === m) {
      if (recorded === undefined) memo.set(next, prevKeys)
      return
    }
    // Unchanged tail.
    let tail = 0
    const tailLimit = Math.min(n - head, m - head)
    while ((tail = sameFromEnd(prev, next, tail, tailLimit)) < tailLimit) {
      const p = prev[m - 1 - tail]
      const q = next[n - 1 - tail]
      const key = keyOnFastPath(node, q)
      if (keyOnFastPath(node, p) !== key) break
      const at = prevKeys[m - 1 - tail]
      visitItem(Visit.Update, node, p, q, parentKey, storedKey(node, key), at, keyed(where, node, key))
      tail++
    }

    // The middle changed: find the items that can keep their keys (a longest run in stored order).
    const prevIndex = new Map<unknown, number>()
    for (let i = 0; i < m; i++) {
      const key = keyOnFastPath(node, prev[i])
      if (prevIndex.has(key)) throw IRREGULAR
      prevIndex.set(key, i)
    }
    const middleEnd = n - tail
    const positions: number[] = []
    const seen = new Set<unknown>()
    for (let i = 0; i < n; i++) {
      const key = keyOnFastPath(node, next[i])
      if (seen.has(key)) throw IRREGULAR
      seen.add(key)
      if (i >= head && i < middleEnd) {
        const pi = prevIndex.get(key)
        positions.push(pi === undefined ? -1 : pi)
      }
    }
    const kept = longestIncreasing(positions)
    const targets: string[] = prevKeys.slice(0, head) as string[]
    let overlong = false
    for (let t = 0; t < positions.length;) {
      if (kept.has(t)) {
        targets.push(prevKeys[positions[t] as number] as string)
        t++
        continue
      }
      let end = t
      while (end < positions.length && !kept.has(end)) end++
      const low = targets.length > 0 ? (targets[targets.length - 1] as string) : null
      const high =
        end < positions.length
          ? (prevKeys[positions[end] as number] as string)
          : tail > 0
            ? (prevKeys[m - tail] as string)
            : null
      let fresh: string[]
      try {
        fresh = orderKeysBetween(low, high, end - t)
      } catch {
        // Stored keys that are malformed or out of order (edited outside this library): renumber.
        overlong = true
        break
      }
      for (const k of fresh) {
        if (k.length > MAX_ORDER_KEY_LENGTH) overlong = true
        targets.push(k)
      }
      t = end
    }
    if (overlong) {
      const renumbered = freshKeys(n)
      memo.set(next, renumbered)
      reconcile(node, prev, prevKeys, next, renumbered, parentKey, where)
      return
    }
    for (let i = m - tail; i < m; i++) targets.push(prevKeys[i] as string)
    memo.set(next, targets)

    for (let t = 0; t < positions.length; t++) {
      const i = head + t
      const q = next[i]
      const key = keyAt(node, q)
      const sqlKey = storedKey(node, key)
      const pi = positions[t] as number
      const target = targets[i] as string
      const itemWhere = keyed(where, node, key)
      if (pi < 0) visitItem(Visit.Write, node, undefined, q, parentKey, sqlKey, target, itemWhere)
      else if (!kept.has(t)) visitItem(Visit.Move, node, prev[pi], q, parentKey, sqlKey, target, itemWhere)
      else if (prev[pi] !== q) visitItem(Visit.Update, node, prev[pi], q, parentKey, sqlKey, target, itemWhere)
    }
    for (let i = head; i < m - tail; i++) {
      const key = keyAt(node, prev[i])
      if (!seen.has(key)) builder.delete(node.table, [...parentKey, storedKey(node, key)])
    }
  }

  const singletonRow = (
    node: SingletonNode,
    object: Item,
    exclude: ReadonlySet<string> | undefined,
    where: Path,
    stored: boolean,
  ): void => {
    const row: SqlValue[] = [1]
    const omitted = pushFields(node.fields, object, row, where)
    if (node.restColumn !== undefined) {
      const rest = node.restMode === 'all' ? restOf(object, EMPTY_SET, exclude) : restOf(object, node.mapped, exclude)
      row.push(rest === undefined ? null : encodeJson(rest, where))
    } else {
      const rest = restOf(object, node.mapped, exclude)
      if (rest !== undefined)
        unstorable(
          child(where, Object.keys(rest)[0] as string),
          'this field has no column and the singleton keeps no rest column',
        )
    }
    let all = singletonColumns.get(node)
    if (all === undefined)
      singletonColumns.set(node, (all = node.table.columns.filter((c) => c.stamp === undefined).map((c) => c.name)))
    if (stored) builder.update(node.table, without(all, omitted), row)
    else builder.upsert(node.table, without(all, omitted), row)
  }

  const singletonChanged = (
    node: SingletonNode,
    p: Item,
    q: Item,
    exclude: ReadonlySet<string> | undefined,
  ): boolean => {
    for (const f of node.fields) if (p[f.field] !== q[f.field]) return true
    for (const k in q) if (!exclude?.has(k) && !node.mapped.has(k) && restDiffers(p[k], q[k])) return true
    for (const k in p)
      if (!exclude?.has(k) && !node.mapped.has(k) && !hasOwn.call(q, k) && !isDropped(p[k])) return true
    return false
  }

  const diffSingleton = (node: SingletonNode, p: unknown, q: unknown, where: Path): void => {
    if (isDropped(q)) {
      if (!isDropped(p)) builder.delete(node.table, [1])
      return
    }
    if (!isPlainObject(q)) return unstorable(where, 'expected a plain object')
    if (isDropped(p)) singletonRow(node, q, undefined, where, false)
    else if (singletonChanged(node, p as Item, q, undefined)) singletonRow(node, q, undefined, where, true)
  }

  const rootWhere: Path = () => '(state)'

  const writeNode = (prev: unknown, _retry: boolean, node: CollectionNode | SingletonNode): void => {
    const field = node.field as string
    const where: Path = () => field
    if (node.kind === 'collection') diffCollection(node, prev, nextState[field], EMPTY_SQL, where)
    else diffSingleton(node, prev, nextState[field], where)
  }
  const writeRoot = (prev: unknown, _retry: boolean, root: SingletonNode): void => {
    // The root row is written with the first write, so once something is stored it exists.
    if (prev === null || prev === undefined) singletonRow(root, nextState, schema.mappedKeys, rootWhere, false)
    else if (singletonChanged(root, prev as Item, nextState, schema.mappedKeys))
      singletonRow(root, nextState, schema.mappedKeys, rootWhere, true)
  }
  const writeKey = (_prev: unknown, _retry: boolean, k: string): void => {
    builder.kvSet(
      encodeText(k),
      encodeJson(nextState[k], () => k),
    )
  }
  let nextState: Item = {}

  return {
    diff(prev, next, into, isolating) {
      builder = into
      isolation = isolating
      nextState = next
      for (const node of schema.nodes) {
        const field = node.field as string
        const p = prev === null ? undefined : prev[field]
        const q = next[field]
        if (prev !== null && p === q) continue
        guard(() => `\u0000field\u0000${field}`, p, q, writeNode, node)
      }
      const mapped = schema.mappedKeys
      if (schema.root !== undefined) {
        guard(() => `\u0000root`, prev, next, writeRoot, schema.root)
        return
      }
      for (const k in next) {
        if (!hasOwn.call(next, k) || mapped.has(k)) continue
        const q = next[k]
        if (isDropped(q)) continue
        const p = prev !== null && hasOwn.call(prev, k) ? prev[k] : undefined
        if (p === q) continue
        guard(() => `\u0000kv\u0000${k}`, p, q, writeKey, k)
      }
      if (prev === null) return
      for (const k in prev) {
        if (!hasOwn.call(prev, k) || mapped.has(k) || isDropped(prev[k])) continue
        if (!hasOwn.call(next, k) || isDropped(next[k])) builder.kvDelete(encodeText(k))
      }
    },
  }
}

/**
 * The first index from `from` where the two arrays hold different objects. Kept small and apart from
 * the diff so that the engine optimises it on its own: it is the O(n) part of a set that changes one
 * item of a long array.
 */
function sameUntil(prev: readonly unknown[], next: readonly unknown[], from: number, limit: number): number {
  let i = from
  while (i < limit && prev[i] === next[i]) i++
  return i
}

/** How many items, counting from the ends (starting at `from`), the two arrays share. */
function sameFromEnd(prev: readonly unknown[], next: readonly unknown[], from: number, limit: number): number {
  let t = from
  const m = prev.length - 1
  const n = next.length - 1
  while (t < limit && prev[m - t] === next[n - t]) t++
  return t
}

const EMPTY_KEYS: readonly string[] = []
const EMPTY_SQL: readonly SqlValue[] = Object.freeze([])
const EMPTY_SET: ReadonlySet<string> = new Set()
