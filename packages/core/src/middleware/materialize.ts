import type { LoadedTable, LoadResult } from '../contract/backend'
import { ZustandSqliteError } from '../contract/errors'
import type { SqlValue } from '../contract/sqlValue'
import { ABSENT, setOwn } from '../schema/codec'
import type { Codec, Where } from '../schema/codec'
import type { CollectionNode, FieldMapping, SingletonNode, StoreSchema } from '../schema/defineSchema'
import { NOT_LOADED } from '../schema/notLoaded'
import { decodeText } from '../schema/text'
import type { OrderKeyMemo } from './diff'

type Item = Record<string, unknown>

/** Identity of a key tuple as a Map key: type-tagged parts, so 1 and '1' stay apart. */
function tag(value: SqlValue): string {
  return typeof value === 'string' ? `s${value}` : `n${String(value)}`
}

function columnIndex(table: LoadedTable | undefined, name: string, tableName: string): number {
  const index = table === undefined ? -1 : table.columns.indexOf(name)
  if (index < 0) throw new ZustandSqliteError('CORRUPT_DATABASE', `table ${tableName}: column ${name} was not loaded`)
  return index
}

/** @internal The object a rest column holds (NULL: none); CORRUPT_DATABASE for JSON that is not an object. */
export function decodeRest(codec: Codec, value: SqlValue, where: Where): Item {
  if (value === null) return {}
  const parsed = codec.decodeJson(value, where)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ZustandSqliteError('CORRUPT_DATABASE', `${where()}: the rest column does not hold a JSON object`, {
      path: where(),
    })
  }
  return parsed as Item
}

function assignFields(
  codec: Codec,
  item: Item,
  fields: readonly { f: FieldMapping; index: number }[],
  row: readonly SqlValue[],
  where: Where,
): void {
  for (const { f, index } of fields) {
    const value = codec.decodeColumn(f.def, row[index] as SqlValue, where)
    if (value !== ABSENT) setOwn(item, f.field, value)
  }
}

/**
 * Builds the persisted state from loaded rows, and records the order keys of every array it makes
 * in `memo` (so that the next diff knows what is stored).
 */
export function materialize(schema: StoreSchema, loaded: LoadResult, memo: OrderKeyMemo, codec: Codec): Item {
  const state: Item = {}
  for (const [stored, json] of loaded.kv) {
    const key = decodeText(stored)
    setOwn(
      state,
      key,
      codec.decodeJson(json, () => key),
    )
  }
  if (schema.root !== undefined) {
    const object = loadSingleton(codec, schema.root, loaded)
    if (object !== undefined) for (const key of Object.keys(object)) setOwn(state, key, object[key])
  }
  for (const node of schema.nodes) {
    if (node.kind === 'singleton') {
      const object = loadSingleton(codec, node, loaded)
      if (object !== undefined) state[node.field as string] = object
      continue
    }
    const groups = loadCollection(codec, node, loaded, memo)
    state[node.field] = groups.get(undefined) ?? emptyOf(node, memo)
  }
  return state
}

/** @internal An empty collection of `node`, its order recorded: an array is one more array of the state. */
export function emptyOf(node: CollectionNode, memo: OrderKeyMemo): unknown {
  if (node.shape === 'record') return {}
  const empty: unknown[] = []
  memo.set(empty, [])
  return empty
}

function loadSingleton(codec: Codec, node: SingletonNode, loaded: LoadResult): Item | undefined {
  const name = node.table.name
  const table = loaded.tables[name]
  const row = table?.rows[0]
  if (table === undefined || row === undefined) return undefined
  const where: Where = () => name
  const restIndex = node.restColumn === undefined ? -1 : columnIndex(table, node.restColumn, name)
  const object = restIndex < 0 ? {} : decodeRest(codec, row[restIndex] as SqlValue, where)
  const fields = node.fields
    .filter((f) => f.def.lazy !== true)
    .map((f) => ({ f, index: columnIndex(table, f.column, name) }))
  assignFields(codec, object, fields, row, () => `${name}.${where()}`)
  return object
}

/**
 * Identity of a key tuple as a Map key. One column: the value itself (a Map keeps 1 and '1' apart);
 * several: type-tagged parts joined, so that no two tuples collide.
 */
function groupKey(row: readonly SqlValue[], indexes: readonly number[]): unknown {
  if (indexes.length === 1) return row[indexes[0] as number]
  let key = ''
  for (let i = 0; i < indexes.length; i++) key += (i === 0 ? '' : '\u0000') + tag(row[indexes[i] as number] as SqlValue)
  return key
}

/** The order keys of a group and its items, with the items' stored keys, in row order until sorted. */
interface Group {
  readonly keys: string[]
  readonly items: unknown[]
  readonly ids: SqlValue[]
}

/**
 * @internal The order of two items of an array: by order key, then, for two writers that gave two items
 * the same order key (two tabs appending at once), by their stored keys, so that every reader agrees.
 */
export function compareOrder(key1: string, id1: SqlValue, key2: string, id2: SqlValue): number {
  if (key1 !== key2) return key1 < key2 ? -1 : 1
  if (id1 === id2) return 0
  if (typeof id1 === typeof id2) return (id1 as string | number) < (id2 as string | number) ? -1 : 1
  return typeof id1 === 'number' ? -1 : 1
}

/**
 * @internal Items of one collection table grouped by parent key (`undefined` for a top-level collection).
 * A nested collection loaded on demand whose table `loaded` leaves out holds {@link NOT_LOADED}, and its
 * count field the stored count.
 */
export function loadCollection(
  codec: Codec,
  node: CollectionNode,
  loaded: LoadResult,
  memo: OrderKeyMemo,
): Map<unknown, unknown> {
  const name = node.table.name
  const table = loaded.tables[name]
  const groups = new Map<unknown, unknown>()
  if (table === undefined || table.rows.length === 0) return groups
  const childGroups = node.children.map((c) => ({
    node: c,
    groups:
      c.onDemand && loaded.tables[c.table.name] === undefined ? undefined : loadCollection(codec, c, loaded, memo),
    count: c.count === undefined ? -1 : columnIndex(table, c.count.column, name),
  }))

  const parentIndexes = node.parentColumns.map((c) => columnIndex(table, c, name))
  const keyIndex = columnIndex(table, node.keyColumn, name)
  // A child's group is its parent's full key: this table's parent columns, then its own key.
  const ownKeyIndexes = [...parentIndexes, keyIndex]
  const orderIndex = node.orderColumn === undefined ? -1 : columnIndex(table, node.orderColumn, name)
  const restIndex = node.restColumn === undefined ? -1 : columnIndex(table, node.restColumn, name)
  const valueIndex = node.valueColumn === undefined ? -1 : columnIndex(table, node.valueColumn, name)
  const fields = node.fields
    .filter((f) => f.def.lazy !== true)
    .map((f) => ({ f, index: columnIndex(table, f.column, name) }))
  const keyDef = node.itemKind === 'object' && node.keyField !== undefined ? undefined : node.valueDef

  let current: readonly SqlValue[] = []
  const where: Where = () => `${name}[${current.map((v) => JSON.stringify(v)).join(', ')}]`
  const ordered = new Map<unknown, Group>()

  for (const row of table.rows) {
    current = row
    const parent = parentIndexes.length === 0 ? undefined : groupKey(row, parentIndexes)
    const stored = row[keyIndex] as SqlValue
    const key = node.keyType === 'text' && typeof stored === 'string' ? decodeText(stored) : stored
    let item: unknown
    if (node.itemKind === 'value') {
      if (node.shape === 'array') item = keyDef === undefined ? key : codec.decodeColumn(keyDef, stored, where)
      else {
        const value = codec.decodeColumn(
          node.valueDef as NonNullable<CollectionNode['valueDef']>,
          row[valueIndex] as SqlValue,
          where,
        )
        if (value === ABSENT) continue
        item = value
      }
    } else {
      const object = restIndex < 0 ? {} : decodeRest(codec, row[restIndex] as SqlValue, where)
      if (node.keyField !== undefined) setOwn(object, node.keyField, key)
      assignFields(codec, object, fields, row, where)
      if (childGroups.length > 0) {
        const own = groupKey(row, ownKeyIndexes)
        for (const c of childGroups) {
          if (c.groups !== undefined) object[c.node.field] = c.groups.get(own) ?? emptyOf(c.node, memo)
          else {
            object[c.node.field] = NOT_LOADED
            if (c.count >= 0) setOwn(object, (c.node.count as { field: string }).field, Number(row[c.count] ?? 0))
          }
        }
      }
      item = object
    }
    if (node.shape === 'record') {
      let record = groups.get(parent) as Item | undefined
      if (record === undefined) groups.set(parent, (record = {}))
      setOwn(record, String(key), item)
    } else {
      let group = ordered.get(parent)
      if (group === undefined) ordered.set(parent, (group = { keys: [], items: [], ids: [] }))
      group.keys.push(orderIndex < 0 ? '' : String(row[orderIndex]))
      group.items.push(item)
      group.ids.push(stored)
    }
  }

  for (const [parent, group] of ordered) {
    if (orderIndex < 0) {
      groups.set(parent, group.items)
      continue
    }
    const { keys, items, ids } = group
    const at = (a: number, b: number): number =>
      compareOrder(keys[a] as string, ids[a] as SqlValue, keys[b] as string, ids[b] as SqlValue)
    let sorted = true
    for (let i = 1; i < keys.length && sorted; i++) if (at(i - 1, i) > 0) sorted = false
    if (sorted) {
      // Rows usually come in the order they were appended, which is their order: nothing to sort.
      memo.set(items, keys)
      groups.set(parent, items)
      continue
    }
    const order = keys.map((_, i) => i).sort(at)
    const sortedItems = order.map((i) => items[i])
    memo.set(
      sortedItems,
      order.map((i) => keys[i] as string),
    )
    groups.set(parent, sortedItems)
  }
  return groups
}
