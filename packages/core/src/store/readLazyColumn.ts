import type { Backend } from '../contract/backend'
import { ZustandSqliteError } from '../contract/errors'
import { chain } from '../contract/maybe'
import type { MaybePromise } from '../contract/maybe'
import type { SqlValue } from '../contract/sqlValue'
import { ABSENT, createCodec, defaultCodec } from '../schema/codec'
import type { JsonOptions } from '../schema/codec'
import type { StoreSchema } from '../schema/defineSchema'
import { findField } from '../schema/findField'
import { quote } from '../schema/identifiers'
import { encodeKeyValues } from '../schema/text'

/** Options of {@link readLazyColumn}. */
export interface ReadLazyColumnOptions {
  /** The table of the item. */
  readonly table: string
  /**
   * The item's full primary key: for a nested collection the parent's key first (e.g.
   * `[conversationId, messageId]`); a single value for a top-level collection; `1` for a singleton.
   */
  readonly key: SqlValue | readonly SqlValue[]
  /** The field (not the SQL column) to read. */
  readonly field: string
  /** The store's `json` options, for a json column written with a replacer. @default none */
  readonly json?: JsonOptions
}

/**
 * Reads one column of one row that hydration left out (a `lazy` column, such as file content), decoded
 * like any field. Returns undefined when the row does not exist or the value is absent. Synchronous
 * with a synchronous backend.
 *
 * @example
 * ```ts
 * const content = readLazyColumn(backend, workspaceSchema, { table: 'files', key: fileId, field: 'content' })
 * ```
 */
export function readLazyColumn(
  backend: Backend,
  schema: StoreSchema,
  options: ReadLazyColumnOptions,
): MaybePromise<unknown> {
  const found = findField(schema, options.table, options.field)
  if (found === undefined) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `the schema has no field ${JSON.stringify(options.field)} in table ${JSON.stringify(options.table)}`,
    )
  }
  const key = encodeKeyValues(
    Array.isArray(options.key) ? (options.key as readonly SqlValue[]) : [options.key as SqlValue],
  )
  const primaryKey = found.table.primaryKey
  if (primaryKey.length === 0) {
    throw new ZustandSqliteError('INVALID_OPTIONS', `table ${options.table} has no primary key to find a row by`)
  }
  if (key.length !== primaryKey.length) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `table ${options.table} has a key of ${primaryKey.length} column(s), ${key.length} value(s) were given`,
    )
  }
  const where = primaryKey.map((c) => `${quote(c)} = ?`).join(' AND ')
  // A collection with a lazy table keeps its lazy columns there, under the same key column names.
  const home =
    found.mapping.def.lazy === true && found.table.lazyTable !== undefined ? found.table.lazyTable : found.table.name
  const sql = `SELECT ${quote(found.mapping.column)} AS value FROM ${quote(home)} WHERE ${where}`
  return chain(backend.query(sql, key), (rows) => {
    const row = rows[0]
    if (row === undefined) return undefined
    const codec = options.json === undefined ? defaultCodec : createCodec(options.json)
    const value = codec.decodeColumn(found.mapping.def, row['value'] ?? null, () => `${options.table}.${options.field}`)
    return value === ABSENT ? undefined : value
  })
}
