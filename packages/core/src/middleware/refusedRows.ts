import type { RefusedRow } from '../contract/backend'
import { ZustandSqliteError } from '../contract/errors'
import type { SqlValue } from '../contract/sqlValue'
import { isPlainObject } from '../schema/codec'
import type { CollectionNode, StoreSchema } from '../schema/defineSchema'
import { decodeText } from '../schema/text'
import { unitOf } from './diff'
import type { Isolation } from './diff'

type Item = Record<string, unknown>

/** The collection nodes from a top-level field down to the node of `table`; `undefined` when none is. */
function nodePath(nodes: readonly CollectionNode[], table: string): CollectionNode[] | undefined {
  for (const node of nodes) {
    if (node.table.name === table) return [node]
    const below = nodePath(node.children, table)
    if (below !== undefined) return [node, ...below]
  }
  return undefined
}

/** The item of `node` keyed `stored` (the key as its column holds it) in a collection value. */
function itemOf(node: CollectionNode, collection: unknown, stored: SqlValue): unknown {
  const key = node.keyType === 'text' && typeof stored === 'string' ? decodeText(stored) : stored
  if (node.shape === 'record') {
    return isPlainObject(collection) && Object.hasOwn(collection, String(key)) ? collection[String(key)] : undefined
  }
  if (!Array.isArray(collection)) return undefined
  // The first item of a key is the one stored (later ones are left out as duplicates).
  for (const item of collection) {
    const k = node.itemKind === 'value' ? item : isPlainObject(item) ? item[node.keyField as string] : undefined
    if (k === key) return item
  }
  return undefined
}

function find(path: readonly CollectionNode[], state: Item | null, key: readonly SqlValue[]): unknown {
  let holder: unknown = state
  for (let i = 0; i < path.length; i++) {
    if (!isPlainObject(holder)) return undefined
    const node = path[i] as CollectionNode
    holder = itemOf(node, holder[node.field], key[key.length - path.length + i] as SqlValue)
  }
  return holder
}

function describe(path: readonly CollectionNode[] | undefined, row: RefusedRow): string {
  if (path === undefined) return `${row.table}[${row.key.map((k) => JSON.stringify(k)).join(', ')}]`
  const offset = row.key.length - path.length
  return path
    .map((node, i) => {
      const stored = row.key[offset + i] as SqlValue
      const key = typeof stored === 'string' ? decodeText(stored) : stored
      return `${i === 0 ? '' : '.'}${node.field}[${node.keyField === undefined ? '' : `${node.keyField}=`}${JSON.stringify(key)}]`
    })
    .join('')
}

/**
 * Adds to `isolation` the rows the database refused in a write that committed the rest: each is
 * reported as ROW_REFUSED naming its path; a row of the state is held back like a value that cannot be
 * stored (written again, from what is stored, when it changes). A row whose parent was refused too is
 * covered by its parent's refusal.
 */
export function addRefusedRows(
  schema: StoreSchema,
  isolation: Isolation,
  refused: readonly RefusedRow[],
  before: Item | null,
  state: Item,
): void {
  const collections = schema.nodes.filter((n): n is CollectionNode => n.kind === 'collection')
  const units = new Set<string>()
  const entries = refused.map((row) => ({ row, path: nodePath(collections, row.table) }))
  // Parents first, so that a child can see its parent was refused.
  entries.sort((a, b) => (a.path?.length ?? 0) - (b.path?.length ?? 0))
  for (const { row, path } of entries) {
    const where = describe(path, row)
    const error = new ZustandSqliteError(
      'ROW_REFUSED',
      `${where}: the database refused this row (${row.reason}); it was left out and the rest written. It is written again when it changes.`,
      { path: where },
    )
    const node = path?.[path.length - 1]
    const own = path?.length ?? 0
    const parentKey = row.key.slice(0, row.key.length - 1)
    if (node === undefined || row.key.length < own) {
      // An appended row, a lazy column, a singleton: left out, and said so.
      isolation.refusals.push({ error })
      continue
    }
    let covered = false
    for (let depth = 1; depth < own && !covered; depth++) {
      const ancestor = path?.[depth - 1] as CollectionNode
      const keyEnd = row.key.length - own + depth
      covered = units.has(unitOf(ancestor, row.key.slice(0, keyEnd - 1), row.key[keyEnd - 1] as SqlValue))
    }
    if (covered) continue
    const unit = unitOf(node, parentKey, row.key[row.key.length - 1] as SqlValue)
    units.add(unit)
    isolation.refusals.push({
      error,
      unit,
      held: {
        refused: find(path as CollectionNode[], state, row.key),
        stored: find(path as CollectionNode[], before, row.key),
      },
    })
  }
}
