import type { ChangeSet, RowBatch } from '../contract/changeSet'
import { ZustandSqliteError } from '../contract/errors'
import type { SqlValue } from '../contract/sqlValue'
import { ABSENT, isPlainObject, setOwn } from '../schema/codec'
import type { Codec, Where } from '../schema/codec'
import type { CollectionNode, FieldMapping, SingletonNode, StoreSchema } from '../schema/defineSchema'
import { NOT_LOADED } from '../schema/notLoaded'
import { decodeText, encodeText } from '../schema/text'
import type { OrderKeyMemo } from './diff'
import { compareOrder, decodeRest, emptyOf } from './materialize'

type Item = Record<string, unknown>

const hasOwn = Object.prototype.hasOwnProperty
const EMPTY: readonly unknown[] = []
const EMPTY_KEYS: readonly string[] = []
const NO_KEY: readonly SqlValue[] = []

/** A collection table: where its rows go in the state. */
interface CollectionTarget {
  readonly kind: 'collection'
  readonly node: CollectionNode
  /** The targets from the top-level collection down to this one: one per column of a row's key. */
  readonly path: readonly CollectionTarget[]
  /** The fields materialize loads (lazy ones are read on demand, never at hydration). */
  readonly fields: readonly FieldMapping[]
}

interface SingletonTarget {
  readonly kind: 'singleton'
  readonly node: SingletonNode
  readonly fields: readonly FieldMapping[]
}

/** Append-only and lazy tables: not part of the state. */
interface NoTarget {
  readonly kind: 'none'
}

type Target = CollectionTarget | SingletonTarget | NoTarget

/** Where the columns a state field is read from sit in one batch's column list (-1: not written). */
interface Layout {
  readonly key: readonly number[]
  readonly order: number
  readonly rest: number
  readonly value: number
  /** One per field of the target's `fields`. */
  readonly fields: readonly number[]
  /** One per child of the target's node that keeps a count column (`node.counted`). */
  readonly counts: readonly number[]
}

interface Written {
  readonly layout: Layout
  readonly row: readonly SqlValue[]
}

/** What a ChangeSet does to one item (or singleton): deleted first, then written, row after row. */
interface Entry {
  deleted: boolean
  readonly writes: Written[]
  /** The item's nested collections that rows reach into. */
  children: Map<CollectionNode, Group> | undefined
}

/** The entries of one collection of one parent item, by the item's key as the state holds it. */
interface Group {
  readonly target: CollectionTarget
  readonly entries: Map<unknown, Entry>
}

interface Context {
  readonly codec: Codec
  readonly memo: OrderKeyMemo
  readonly store: string
}

const targetCache = new WeakMap<StoreSchema, ReadonlyMap<string, Target>>()

const loadedFields = (fields: readonly FieldMapping[]): FieldMapping[] => fields.filter((f) => f.def.lazy !== true)

function targetsOf(schema: StoreSchema): ReadonlyMap<string, Target> {
  const cached = targetCache.get(schema)
  if (cached !== undefined) return cached
  const targets = new Map<string, Target>()
  const none: NoTarget = { kind: 'none' }
  const addCollection = (node: CollectionNode, above: readonly CollectionTarget[]): void => {
    const path: CollectionTarget[] = [...above]
    const target: CollectionTarget = { kind: 'collection', node, path, fields: loadedFields(node.fields) }
    path.push(target)
    targets.set(node.table.name, target)
    if (node.table.lazyTable !== undefined) targets.set(node.table.lazyTable, none)
    for (const c of node.children) addCollection(c, path)
  }
  const singletons = schema.root === undefined ? [] : [schema.root]
  for (const node of schema.nodes) {
    if (node.kind === 'collection') addCollection(node, [])
    else singletons.push(node)
  }
  for (const node of singletons)
    targets.set(node.table.name, { kind: 'singleton', node, fields: loadedFields(node.fields) })
  for (const name of schema.appendTables.keys()) targets.set(name, none)
  targetCache.set(schema, targets)
  return targets
}

function invalid(ctx: Context, message: string): never {
  throw new ZustandSqliteError('INVALID_CHANGESET', message, { store: ctx.store })
}

function layoutOf(ctx: Context, target: CollectionTarget | SingletonTarget, batch: RowBatch): Layout {
  const { columns } = batch
  const at = (name: string | undefined): number => (name === undefined ? -1 : columns.indexOf(name))
  const fields = target.fields.map((f) => at(f.column))
  if (target.kind === 'singleton')
    return { key: [], order: -1, rest: at(target.node.restColumn), value: -1, fields, counts: [] }
  const { node } = target
  const key = [...node.parentColumns, node.keyColumn].map((name) => {
    const index = at(name)
    if (index < 0) invalid(ctx, `table ${node.table.name}: rows without the key column ${name}`)
    return index
  })
  const value = node.shape === 'record' ? at(node.valueColumn) : -1
  const counts = node.counted.map((c) => at(c.count?.column))
  return { key, order: at(node.orderColumn), rest: at(node.restColumn), value, fields, counts }
}

/** The key of an item as materialize makes it: text decoded, the value of an array of values as its column reads. */
function stateKey(ctx: Context, node: CollectionNode, stored: SqlValue, where: Where): unknown {
  if (node.itemKind === 'value' && node.shape === 'array')
    return ctx.codec.decodeColumn(node.valueDef as NonNullable<CollectionNode['valueDef']>, stored, where)
  const key = node.keyType === 'text' && typeof stored === 'string' ? decodeText(stored) : stored
  return node.shape === 'record' ? String(key) : key
}

const newEntry = (): Entry => ({ deleted: false, writes: [], children: undefined })

/** The entry of the item a row (or a deleted key) names, made along its path of parents on first use. */
function entryAt(
  ctx: Context,
  top: Map<CollectionNode, Group>,
  target: CollectionTarget,
  key: readonly SqlValue[],
): Entry {
  const { path } = target
  if (key.length !== path.length) invalid(ctx, `table ${target.node.table.name}: a key of ${key.length} values`)
  const where: Where = () => `${target.node.table.name}[${key.map((v) => JSON.stringify(v)).join(', ')}]`
  let groups = top
  for (let depth = 0; ; depth++) {
    const at = path[depth] as CollectionTarget
    let group = groups.get(at.node)
    if (group === undefined) groups.set(at.node, (group = { target: at, entries: new Map() }))
    const itemKey = stateKey(ctx, at.node, key[depth] as SqlValue, where)
    let entry = group.entries.get(itemKey)
    if (entry === undefined) group.entries.set(itemKey, (entry = newEntry()))
    if (depth === path.length - 1) return entry
    groups = entry.children ??= new Map()
  }
}

/** The fields of `object` that no column or child holds: what its rest column keeps. */
function unmappedOf(object: Item, mapped: ReadonlySet<string>): Item {
  const rest: Item = {}
  for (const k of Object.keys(object)) if (!mapped.has(k)) setOwn(rest, k, object[k])
  return rest
}

/**
 * The object one row makes, in materialize's order: the rest column, the key, the typed fields. A
 * column the row leaves out (an absent lazy field, a partial write) keeps its stored value: what `old`
 * holds for it.
 */
function objectFromRow(
  ctx: Context,
  node: CollectionNode | SingletonNode,
  fields: readonly FieldMapping[],
  written: Written,
  old: Item | undefined,
  where: Where,
  key?: unknown,
): Item {
  const { layout, row } = written
  const object =
    layout.rest >= 0
      ? decodeRest(ctx.codec, row[layout.rest] as SqlValue, where)
      : old === undefined || node.restColumn === undefined
        ? {}
        : unmappedOf(old, node.mapped)
  if (node.kind === 'collection' && node.keyField !== undefined) setOwn(object, node.keyField, key)
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i] as FieldMapping
    const at = layout.fields[i] as number
    if (at >= 0) {
      const value = ctx.codec.decodeColumn(f.def, row[at] as SqlValue, where)
      if (value !== ABSENT) setOwn(object, f.field, value)
    } else if (old !== undefined && hasOwn.call(old, f.field)) setOwn(object, f.field, old[f.field])
  }
  return object
}

/** An item after one row of its table; `undefined` for a value the state does not hold (a NULL). */
function itemFromRow(
  ctx: Context,
  target: CollectionTarget,
  written: Written,
  old: unknown,
  key: unknown,
  where: Where,
): unknown {
  const { node } = target
  if (node.itemKind === 'value') {
    if (node.shape === 'array') return key
    const at = written.layout.value
    if (at < 0 && old !== undefined) return old
    const def = node.valueDef as NonNullable<CollectionNode['valueDef']>
    const value = ctx.codec.decodeColumn(def, at < 0 ? null : (written.row[at] as SqlValue), where)
    return value === ABSENT ? undefined : value
  }
  const before = old as Item | undefined
  const item = objectFromRow(ctx, node, target.fields, written, before, where, key)
  // Rows do not carry an item's nested collections: they stay as they were.
  for (const c of node.children) item[c.field] = before === undefined ? emptyOf(c, ctx.memo) : before[c.field]
  // A collection not loaded keeps its count field, with the count the row writes.
  for (let i = 0; i < node.counted.length; i++) {
    const c = node.counted[i] as CollectionNode
    if (before === undefined || before[c.field] !== NOT_LOADED) continue
    const field = (c.count as { field: string }).field
    const at = written.layout.counts[i] as number
    if (at >= 0) setOwn(item, field, Number(written.row[at] ?? 0))
    else if (hasOwn.call(before, field)) setOwn(item, field, before[field])
  }
  return item
}

/** True when the group writes a row somewhere (deletes alone need no parent). */
function writesRows(group: Group): boolean {
  for (const entry of group.entries.values()) {
    if (entry.writes.length > 0) return true
    if (entry.children !== undefined) for (const child of entry.children.values()) if (writesRows(child)) return true
  }
  return false
}

/** An item after its entry: deleted, written, then its nested collections changed. `undefined`: gone. */
function itemAfter(ctx: Context, target: CollectionTarget, entry: Entry, old: unknown, key: unknown): unknown {
  const where: Where = () => `${target.node.table.name}[${JSON.stringify(key)}]`
  let item = entry.deleted ? undefined : old
  for (const written of entry.writes) item = itemFromRow(ctx, target, written, item, key, where)
  if (entry.children === undefined) return item
  if (item === undefined) {
    for (const [c, group] of entry.children)
      if (writesRows(group)) invalid(ctx, `table ${c.table.name}: rows whose parent ${where()} is not stored`)
    return undefined
  }
  let object = item as Item
  for (const [c, group] of entry.children) {
    const before = object[c.field]
    // Rows of a collection not loaded stay in the database, where loading it reads them.
    if (before === NOT_LOADED) continue
    const after = collectionAfter(ctx, group, before)
    if (after === before) continue
    if (object === old) object = { ...object }
    object[c.field] = after
  }
  return object
}

function collectionAfter(ctx: Context, group: Group, before: unknown): unknown {
  return group.target.node.shape === 'record' ? recordAfter(ctx, group, before) : arrayAfter(ctx, group, before)
}

function recordAfter(ctx: Context, group: Group, before: unknown): unknown {
  const base: Item = isPlainObject(before) ? before : {}
  let out: Item | undefined
  for (const [key, entry] of group.entries) {
    const k = key as string
    const old = hasOwn.call(base, k) ? base[k] : undefined
    const item = itemAfter(ctx, group.target, entry, old, key)
    if (item === old) continue
    // A spread defines own properties: a `__proto__` key stays a key.
    out ??= { ...base }
    if (item === undefined) delete out[k]
    else setOwn(out, k, item)
  }
  return out ?? before
}

const keyOf = (node: CollectionNode, item: unknown): unknown =>
  node.itemKind === 'value'
    ? item
    : typeof item === 'object' && item !== null
      ? (item as Item)[node.keyField as string]
      : undefined

/** The index of `key` in sorted `keys`, or -1. */
function search(keys: readonly string[], key: string): number {
  let lo = 0
  let hi = keys.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((keys[mid] as string) < key) lo = mid + 1
    else hi = mid
  }
  return lo < keys.length && keys[lo] === key ? lo : -1
}

/**
 * Finds an item of `base` by key: by its order key when the row gives one and the item did not move (a
 * binary search), else by a scan; many lookups in one array build an index of it once.
 */
function finder(
  node: CollectionNode,
  base: readonly unknown[],
  keys: readonly string[] | undefined,
): (key: unknown, orderKey: string | undefined) => number {
  let index: Map<unknown, number> | undefined
  let scans = 0
  return (key, orderKey) => {
    if (orderKey !== undefined && keys !== undefined) {
      const i = search(keys, orderKey)
      if (i >= 0 && keyOf(node, base[i]) === key) return i
    }
    if (index === undefined && scans++ < 4) {
      for (let i = 0; i < base.length; i++) if (keyOf(node, base[i]) === key) return i
      return -1
    }
    if (index === undefined) {
      index = new Map()
      for (let i = 0; i < base.length; i++) index.set(keyOf(node, base[i]), i)
    }
    return index.get(key) ?? -1
  }
}

/** The order key the entry's last row with one gives. */
function orderKeyOf(entry: Entry): string | undefined {
  let orderKey: string | undefined
  for (const { layout, row } of entry.writes) if (layout.order >= 0) orderKey = String(row[layout.order])
  return orderKey
}

interface Placed {
  readonly key: string
  readonly item: unknown
  /** The item's key as its column holds it: ties of order keys go by it, as in a load. */
  readonly id: SqlValue
}

const storedId = (node: CollectionNode, key: unknown): SqlValue =>
  node.keyType === 'text' && typeof key === 'string' ? encodeText(key) : (key as SqlValue)

/**
 * An array after its entries: items written in place where their order key is the same, the others
 * taken out and merged back at their order keys. The new array's keys are recorded in the memo.
 */
function arrayAfter(ctx: Context, group: Group, before: unknown): unknown {
  const { node } = group.target
  const base = Array.isArray(before) ? (before as readonly unknown[]) : EMPTY
  const ordered = node.orderColumn !== undefined
  const keys = !ordered ? undefined : base.length === 0 ? EMPTY_KEYS : ctx.memo.get(base)
  if (ordered && (keys === undefined || keys.length !== base.length))
    invalid(ctx, `table ${node.table.name}: the order keys of the array its rows go into are not recorded`)
  const find = finder(node, base, keys)
  let replaced: Map<number, unknown> | undefined
  let dropped: Set<number> | undefined
  let placed: Placed[] | undefined
  for (const [key, entry] of group.entries) {
    const orderKey = orderKeyOf(entry)
    const at = find(key, orderKey)
    const old = at < 0 ? undefined : base[at]
    const item = itemAfter(ctx, group.target, entry, old, key)
    const stays =
      at >= 0 && item !== undefined && (ordered ? orderKey === undefined || orderKey === keys?.[at] : !entry.deleted)
    if (stays) {
      if (item !== old) (replaced ??= new Map()).set(at, item)
      continue
    }
    if (at >= 0) (dropped ??= new Set()).add(at)
    if (item === undefined) continue
    if (ordered && orderKey === undefined) invalid(ctx, `table ${node.table.name}: a new row without its order key`)
    ;(placed ??= []).push({ key: orderKey ?? '', item, id: storedId(node, key) })
  }
  if (replaced === undefined && dropped === undefined && placed === undefined) return before
  if (dropped === undefined && placed === undefined) {
    const out = base.slice()
    for (const [i, item] of replaced as Map<number, unknown>) out[i] = item
    // Same order keys: the entry is shared (an entry is never changed).
    if (keys !== undefined) ctx.memo.set(out, keys)
    return out
  }
  const adding = placed ?? []
  adding.sort((a, b) => compareOrder(a.key, a.id, b.key, b.id))
  const out: unknown[] = []
  const outKeys: string[] = []
  let j = 0
  for (let i = 0; i < base.length; i++) {
    if (dropped?.has(i)) continue
    const key = keys?.[i]
    if (key !== undefined) {
      const id = storedId(node, keyOf(node, base[i]))
      for (; j < adding.length && compareOrder((adding[j] as Placed).key, (adding[j] as Placed).id, key, id) < 0; j++) {
        out.push((adding[j] as Placed).item)
        outKeys.push((adding[j] as Placed).key)
      }
      outKeys.push(key)
    }
    out.push(replaced?.has(i) === true ? replaced.get(i) : base[i])
  }
  for (; j < adding.length; j++) {
    out.push((adding[j] as Placed).item)
    outKeys.push((adding[j] as Placed).key)
  }
  if (ordered) ctx.memo.set(out, outKeys)
  return out
}

function singletonAfter(ctx: Context, target: SingletonTarget, entry: Entry, old: Item | undefined): Item | undefined {
  const where: Where = () => target.node.table.name
  let object = entry.deleted ? undefined : old
  for (const written of entry.writes) object = objectFromRow(ctx, target.node, target.fields, written, object, where)
  return object
}

function emptyState(ctx: Context, schema: StoreSchema): Item {
  const state: Item = {}
  for (const node of schema.nodes) if (node.kind === 'collection') state[node.field] = emptyOf(node, ctx.memo)
  return state
}

/**
 * @internal The persisted state after `changeSet` was committed on top of `state`, made from the
 * ChangeSet alone, without loading anything: what `materialize` would make of the rows after the commit.
 * Used to apply ChangeSets that another writer committed (another tab, a server) at the cost of what
 * changed.
 *
 * - `state` is the persisted part of a store as materialize makes it (`null`: nothing is stored), with
 *   the order keys of its arrays in `memo`. It is not changed: objects on a path that did not change keep
 *   their identity (Zustand's immutable updates), so selectors of untouched parts do not re-run.
 * - A written row replaces (or inserts) its item and keeps the item's nested collections; a column the
 *   row leaves out (an absent lazy field) keeps its value. The item is made as materialize makes it, so
 *   fields the database does not hold (transient fields, lazy values) are not on it. A deleted row
 *   takes its nested items with it.
 *   Array items are placed by their order keys; the keys of every array made are recorded in `memo`, so
 *   the next diff against the result writes only what changed.
 * - `replace` starts from an empty store. Append-only tables, lazy columns and lazy tables, and stamp
 *   columns are not part of the state and are skipped.
 * - With a root singleton, the top-level keys no table maps are those of the root row.
 *
 * Throws INVALID_CHANGESET when the ChangeSet does not fit the schema (another schema version, an
 * unknown table, a row without its key) or the state (a row whose parent item is not in it, an array
 * whose order keys are not recorded): the caller then loads the state instead.
 */
export function applyChangeSet(
  schema: StoreSchema,
  codec: Codec,
  memo: OrderKeyMemo,
  state: Item | null,
  changeSet: ChangeSet,
): Item {
  const ctx: Context = { codec, memo, store: changeSet.store }
  if (changeSet.schemaVersion !== schema.spec.version)
    invalid(ctx, `the ChangeSet is for schema version ${changeSet.schemaVersion}, the schema is ${schema.spec.version}`)
  const targets = targetsOf(schema)
  const top = new Map<CollectionNode, Group>()
  const singletons = new Map<SingletonTarget, Entry>()
  const resolve = (table: string): Target =>
    targets.get(table) ?? invalid(ctx, `the schema has no table ${JSON.stringify(table)}`)
  const entryFor = (target: CollectionTarget | SingletonTarget, key: readonly SqlValue[]): Entry => {
    if (target.kind === 'collection') return entryAt(ctx, top, target, key)
    let entry = singletons.get(target)
    if (entry === undefined) singletons.set(target, (entry = newEntry()))
    return entry
  }

  // The database deletes first (children first), then writes (parents first): an item deleted and
  // written again is a new one, without its former nested rows.
  for (const change of changeSet.tables) {
    const target = resolve(change.table)
    if (target.kind === 'none') continue
    for (const key of change.delete ?? []) entryFor(target, key).deleted = true
  }
  for (const change of changeSet.tables) {
    const target = resolve(change.table)
    if (target.kind === 'none') continue
    for (const batches of [change.upsert, change.update, change.insert]) {
      for (const batch of batches ?? []) {
        const layout = layoutOf(ctx, target, batch)
        for (const row of batch.rows) {
          const key = target.kind === 'collection' ? layout.key.map((i) => row[i] as SqlValue) : NO_KEY
          entryFor(target, key).writes.push({ layout, row })
        }
      }
    }
  }

  const fresh = state === null || changeSet.replace === true
  const base = fresh ? emptyState(ctx, schema) : state
  const mapped = schema.mappedKeys
  let out: Item | undefined
  const put = (key: string, value: unknown): void => {
    out ??= { ...base }
    setOwn(out, key, value)
  }
  const drop = (key: string): void => {
    if (!hasOwn.call(out ?? base, key)) return
    out ??= { ...base }
    delete out[key]
  }

  // In materialize's order: key/value rows, the root row over them, then the mapped keys.
  for (const stored of changeSet.kv?.delete ?? []) {
    const key = decodeText(stored)
    if (!mapped.has(key)) drop(key)
  }
  for (const [stored, json] of changeSet.kv?.set ?? []) {
    const key = decodeText(stored)
    if (!mapped.has(key))
      put(
        key,
        codec.decodeJson(json, () => key),
      )
  }
  for (const [target, entry] of singletons) {
    if (target.node !== schema.root) continue
    const root = singletonAfter(ctx, target, entry, fresh ? undefined : unmappedOf(base, mapped))
    for (const key of Object.keys(out ?? base))
      if (!mapped.has(key) && (root === undefined || !hasOwn.call(root, key))) drop(key)
    if (root === undefined) continue
    for (const key of Object.keys(root)) {
      const current = out ?? base
      if (!mapped.has(key) && !(hasOwn.call(current, key) && current[key] === root[key])) put(key, root[key])
    }
  }
  for (const node of schema.nodes) {
    const field = node.field as string
    const before = hasOwn.call(base, field) ? base[field] : undefined
    if (node.kind === 'collection') {
      const group = top.get(node)
      if (group === undefined) continue
      const after = collectionAfter(ctx, group, before)
      if (after !== before) put(field, after)
      continue
    }
    const target = targets.get(node.table.name) as SingletonTarget
    const entry = singletons.get(target)
    if (entry === undefined) continue
    const after = singletonAfter(ctx, target, entry, isPlainObject(before) ? before : undefined)
    if (after === undefined) drop(field)
    else if (after !== before) put(field, after)
  }
  return out ?? base
}
