import type { Backend, LoadedTable, LoadResult } from '../contract/backend'
import { ZustandSqliteError } from '../contract/errors'
import { chain } from '../contract/maybe'
import type { MaybePromise } from '../contract/maybe'
import type { SqlValue } from '../contract/sqlValue'
import { isPlainObject } from '../schema/codec'
import type { Codec } from '../schema/codec'
import type { CollectionNode, StoreSchema } from '../schema/defineSchema'
import { quote } from '../schema/identifiers'
import { NOT_LOADED } from '../schema/notLoaded'
import { encodeText } from '../schema/text'
import { replaceAt } from '../store/replaceAt'
import type { OrderKeyMemo } from './diff'
import { emptyOf, loadCollection } from './materialize'

type Item = Record<string, unknown>

const hasOwn = Object.prototype.hasOwnProperty

/** A collection and the tables below it, in schema order. */
function subtree(node: CollectionNode): CollectionNode[] {
  return [node, ...node.children.flatMap(subtree)]
}

/** The tables a hydration on demand leaves out: those of collections loaded on demand, and below them. */
export function onDemandTables(schema: StoreSchema): string[] {
  const tables: string[] = []
  for (const node of schema.nodes) {
    if (node.kind !== 'collection') continue
    for (const c of node.children) if (c.onDemand) tables.push(...subtree(c).map((n) => n.table.name))
  }
  return tables
}

/** The top-level collection at `field` whose items have collections loaded on demand. */
export function onDemandParent(schema: StoreSchema, field: string): CollectionNode {
  const node = schema.nodes.find((n): n is CollectionNode => n.kind === 'collection' && n.field === field)
  if (node === undefined || !node.children.some((c) => c.onDemand))
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `loadOnDemand: the schema has no top-level collection ${JSON.stringify(field)} with a collection loaded on demand`,
    )
  return node
}

/** INVALID_OPTIONS for a key that is not of the type of the collection's keys. */
export function checkKey(node: CollectionNode, key: unknown): void {
  const valid = node.keyType === 'text' ? typeof key === 'string' : Number.isSafeInteger(key)
  if (!valid)
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `loadOnDemand: the key of ${node.field} must be ${node.keyType === 'text' ? 'a string' : 'a safe integer'}, got ${JSON.stringify(key) ?? typeof key}`,
    )
}

/** The item of `collection` (an array or a record of the node's items) whose key is `key`. */
function itemAt(node: CollectionNode, collection: unknown, key: unknown): { item: Item; index: number } | undefined {
  if (node.shape === 'record') {
    if (!isPlainObject(collection) || typeof key !== 'string' || !hasOwn.call(collection, key)) return undefined
    const item = collection[key]
    return isPlainObject(item) ? { item, index: -1 } : undefined
  }
  if (!Array.isArray(collection)) return undefined
  const keyField = node.keyField as string
  for (let i = 0; i < collection.length; i++) {
    const item: unknown = collection[i]
    // The key first: one property read per item of a long list, the prototype checked once found.
    if (typeof item === 'object' && item !== null && (item as Item)[keyField] === key && isPlainObject(item))
      return { item, index: i }
  }
  return undefined
}

/** Whether the item keyed `key` of `collection` holds NOT_LOADED in a collection loaded on demand. */
export function holdsNotLoaded(node: CollectionNode, collection: unknown, key: unknown): boolean {
  const found = itemAt(node, collection, key)
  return found !== undefined && node.onDemandChildren.some((c) => found.item[c.field] === NOT_LOADED)
}

/** The collections of one item read on demand, by child. */
export type LoadedChildren = ReadonlyMap<CollectionNode, unknown>

/**
 * Reads the rows of the collections loaded on demand of the item keyed `key` of `node`, and builds them as
 * hydration would (their order keys recorded in `memo`). One query per table, by the item's key.
 */
export function readOnDemand(
  backend: Backend,
  node: CollectionNode,
  codec: Codec,
  memo: OrderKeyMemo,
  key: unknown,
): MaybePromise<LoadedChildren> {
  checkKey(node, key)
  const stored: SqlValue = node.keyType === 'text' ? encodeText(key as string) : (key as number)
  const nodes = node.children.filter((c) => c.onDemand).flatMap(subtree)
  const tables: Record<string, LoadedTable> = {}
  const reads = nodes.reduce<MaybePromise<void>>(
    (before, n) =>
      chain(before, () => {
        const columns = n.readColumns
        const sql = `SELECT ${columns.map(quote).join(', ')} FROM ${quote(n.table.name)} WHERE ${quote(n.parentColumns[0] as string)} = ?`
        return chain(backend.query(sql, [stored]), (rows) => {
          tables[n.table.name] = { columns, rows: rows.map((row) => columns.map((c) => row[c] as SqlValue)) }
        })
      }),
    undefined,
  )
  return chain(reads, () => {
    const loaded: LoadResult = { stateVersion: 0, revision: 0, tables, kv: [] }
    const children = new Map<CollectionNode, unknown>()
    for (const c of node.children) {
      if (!c.onDemand) continue
      children.set(c, loadCollection(codec, c, loaded, memo).get(stored) ?? emptyOf(c, memo))
    }
    return children
  })
}

/**
 * `collection` with the item keyed `key` holding the loaded collections in place of NOT_LOADED (and
 * without their count fields), or `collection` itself when the item is not in it or holds them already.
 * An array is copied with `replaceAt`; `memo`, given, records the copy's order keys (those of the array).
 */
export function withLoaded(
  node: CollectionNode,
  collection: unknown,
  key: unknown,
  children: LoadedChildren,
  memo?: OrderKeyMemo,
): unknown {
  const found = itemAt(node, collection, key)
  if (found === undefined) return collection
  let item: Item | undefined
  for (const [c, value] of children) {
    if (found.item[c.field] !== NOT_LOADED) continue
    item ??= { ...found.item }
    item[c.field] = value
    if (c.count !== undefined) delete item[c.count.field]
  }
  if (item === undefined) return collection
  if (node.shape === 'record') return { ...(collection as Item), [key as string]: item }
  const array = collection as readonly unknown[]
  const next = replaceAt(array, found.index, item)
  const keys = memo?.get(array)
  if (memo !== undefined && keys !== undefined) memo.set(next, keys)
  return next
}
