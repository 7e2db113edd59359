import type { RefusedRow } from '../contract/backend'
import type { RowBatch } from '../contract/changeSet'
import { ZustandSqliteError } from '../contract/errors'
import type { ColumnSpec, TableSpec } from '../contract/schemaSpec'
import type { SqlValue } from '../contract/sqlValue'
import { quote } from '../schema/identifiers'
import { rows, run } from './procedure'
import type { Procedure } from './procedure'
import type { RegisteredStore } from './registry'

/** What a write stamps into stamp columns: the clock reading and state version of its ChangeSet. */
export interface StampContext {
  readonly now: number
  /** `null` only for a ChangeSet without a state version, on a store that has none recorded. */
  readonly version: number | null
}

/** SQL text of one statement shape, per row count: built once. */
interface Shape {
  readonly width: number
  readonly texts: Map<number, string>
  readonly sqlFor: (count: number) => string
}

const shape = (width: number, sqlFor: (count: number) => string): Shape => ({ width, texts: new Map(), sqlFor })

const textOf = (s: Shape, count: number): string => {
  let text = s.texts.get(count)
  if (text === undefined) s.texts.set(count, (text = s.sqlFor(count)))
  return text
}

/** `count` placeholders of `width` values: bare for one value (an IN list), else in parentheses. */
const tuples = (count: number, width: number): string => {
  const one = width === 1 ? '?' : `(${new Array(width).fill('?').join(', ')})`
  return new Array(count).fill(one).join(', ')
}

/** The rows of a VALUES clause: each in parentheses, one column too. */
const valueRows = (count: number, width: number): string =>
  new Array(count).fill(`(${new Array(width).fill('?').join(', ')})`).join(', ')

const keyMatch = (columns: readonly string[], count: number): string =>
  columns.length === 1
    ? `${quote(columns[0] as string)} IN (${tuples(count, 1)})`
    : `(${columns.map(quote).join(', ')}) IN (VALUES ${tuples(count, columns.length)})`

const kvDeleteShape = shape(2, (count) => `DELETE FROM zs_kv WHERE (store, key) IN (VALUES ${tuples(count, 2)})`)
const kvSetShape = shape(
  3,
  (count) =>
    `INSERT INTO zs_kv (store, key, value) VALUES ${tuples(count, 3)} ON CONFLICT (store, key) DO UPDATE SET value = excluded.value`,
)

/** Options of {@link createRowWriter}. */
export interface RowWriterOptions {
  /** Largest number of rows in one multi-row statement. */
  readonly maxRowsPerStatement: number
}

/**
 * True for an error of SQLite refusing a row: a constraint it breaks (a duplicate key, a NOT NULL, a
 * CHECK, a foreign key), as engines report it (a code, or only the message).
 */
export function isRowRefusal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT')) return true
  const message = (error as { message?: unknown }).message
  return typeof message === 'string' && /constraint failed/i.test(message)
}

/**
 * Runs the statement of one row inside a savepoint: a row the database refuses is rolled back alone
 * and listed in `refused`; the transaction goes on.
 */
export function* guardRow<T>(
  table: TableSpec,
  key: readonly SqlValue[],
  refused: RefusedRow[],
  body: Procedure<T>,
): Procedure<T | undefined> {
  yield run('SAVEPOINT zs_row')
  try {
    const result = yield* body
    yield run('RELEASE zs_row')
    return result
  } catch (error) {
    if (!isRowRefusal(error)) throw error
    yield run('ROLLBACK TO zs_row')
    yield run('RELEASE zs_row')
    refused.push({ table: table.name, key, reason: error instanceof Error ? error.message : String(error) })
    return undefined
  }
}

/** The primary key values of a row of `columns`. */
export function rowKey(table: TableSpec, columns: readonly string[], row: readonly SqlValue[]): SqlValue[] {
  return table.primaryKey.map((k) => row[columns.indexOf(k)] as SqlValue)
}

/**
 * The procedures that write rows: multi-row statements chunked under SQLite's bound-variable limit.
 * Given `refused`, rows are written one at a time, each in a savepoint, and the rows the database
 * refuses are left out and listed there.
 */
export interface RowWriter {
  writeRows(
    table: TableSpec,
    batch: RowBatch,
    mode: 'upsert' | 'insert',
    ctx: StampContext,
    refused?: RefusedRow[],
  ): Procedure<void>
  updateRows(table: TableSpec, batch: RowBatch, ctx: StampContext, refused?: RefusedRow[]): Procedure<void>
  deleteRows(reg: RegisteredStore, table: TableSpec, keys: readonly (readonly SqlValue[])[]): Procedure<void>
  setKeys(store: string, entries: readonly (readonly [string, string])[]): Procedure<void>
  deleteKeys(store: string, keys: readonly string[]): Procedure<void>
}

function* runStep(sql: string, params: readonly SqlValue[]): Procedure<number> {
  return (yield run(sql, params)).changes
}

/** @internal */
export function createRowWriter(options: RowWriterOptions): RowWriter {
  let maxVariables: number | undefined

  function* variableLimit(): Procedure<number> {
    if (maxVariables !== undefined) return maxVariables
    let limit: number | undefined
    for (const [option] of (yield rows('PRAGMA compile_options')).rows) {
      const match = /^MAX_VARIABLE_NUMBER=(\d+)$/.exec(String(option))
      if (match !== null) limit = Number(match[1])
    }
    if (limit === undefined) {
      const version = String((yield rows('SELECT sqlite_version()')).rows[0]?.[0] ?? '0')
      const [major = 0, minor = 0] = version.split('.').map(Number)
      limit = major > 3 || (major === 3 && minor >= 32) ? 32766 : 999
    }
    maxVariables = limit
    return limit
  }

  /**
   * Shapes by column list identity: the middleware reuses one column list per table, so after the first
   * write the SQL text is a map lookup away. (A ChangeSet from elsewhere builds its shapes once per list.)
   */
  const shapes = new WeakMap<readonly string[], Map<string, Shape>>()
  const shapeFor = <S extends Shape>(columns: readonly string[], key: string, make: () => S): S => {
    let byKey = shapes.get(columns)
    if (byKey === undefined) shapes.set(columns, (byKey = new Map()))
    let found = byKey.get(key)
    if (found === undefined) byKey.set(key, (found = make()))
    return found as S
  }

  /**
   * Runs a statement shape over `list` in chunks of powers of two, so few distinct statements are
   * cached. Returns the rows changed, as far as the driver tells.
   */
  function* chunked(list: readonly (readonly SqlValue[])[], s: Shape): Procedure<number> {
    const byVariables = Math.max(1, Math.floor((yield* variableLimit()) / Math.max(1, s.width)))
    let chunk = 1
    while (chunk * 2 <= Math.min(options.maxRowsPerStatement, byVariables)) chunk *= 2
    let changed = 0
    let offset = 0
    while (offset < list.length) {
      while (chunk > 1 && list.length - offset < chunk) chunk /= 2
      if (chunk === 1) changed += (yield run(textOf(s, 1), list[offset] as readonly SqlValue[])).changes
      else {
        const params: SqlValue[] = []
        for (let i = offset; i < offset + chunk; i++) for (const v of list[i] as readonly SqlValue[]) params.push(v)
        changed += (yield run(textOf(s, chunk), params)).changes
      }
      offset += chunk
    }
    return changed
  }

  const stampColumnsOf = new WeakMap<TableSpec, readonly ColumnSpec[]>()
  const stampsOf = (table: TableSpec): readonly ColumnSpec[] => {
    let found = stampColumnsOf.get(table)
    if (found === undefined) stampColumnsOf.set(table, (found = table.columns.filter((c) => c.stamp !== undefined)))
    return found
  }
  /** Per stamp column, where the boolean its `since` follows is in a row of `columns` (-1: not there). */
  const sinceIndexes = (stamps: readonly ColumnSpec[], columns: readonly string[]): number[] =>
    stamps.map((c) => (typeof c.stamp === 'object' ? columns.indexOf(c.stamp.since) : -1))
  const stampValue = (column: ColumnSpec, sinceIndex: number, row: readonly SqlValue[], ctx: StampContext): SqlValue =>
    column.stamp === 'stateVersion'
      ? ctx.version
      : typeof column.stamp === 'object'
        ? sinceIndex >= 0 && row[sinceIndex] === 1
          ? ctx.now
          : null
        : ctx.now

  type WriteShape = Shape & { readonly stamps: readonly ColumnSpec[]; readonly since: readonly number[] }

  function* writeRows(
    table: TableSpec,
    batch: RowBatch,
    mode: 'upsert' | 'insert',
    ctx: StampContext,
    refused?: RefusedRow[],
  ): Procedure<void> {
    const columns = batch.columns
    const s = shapeFor<WriteShape>(columns, `${mode} ${table.name}`, () => {
      const stamps = stampsOf(table)
      const since = sinceIndexes(stamps, columns)
      const all = [...columns, ...stamps.map((c) => c.name)]
      const head = `INSERT INTO ${quote(table.name)} (${all.map(quote).join(', ')}) VALUES `
      let tailSql = ''
      if (mode === 'upsert' && table.primaryKey.length > 0) {
        const t = quote(table.name)
        const updates = columns
          .filter((c) => !table.primaryKey.includes(c))
          .map((c) => `${quote(c)} = excluded.${quote(c)}`)
        stamps.forEach((c, i) => {
          const name = quote(c.name)
          if (c.stamp === 'updated' || c.stamp === 'stateVersion') updates.push(`${name} = excluded.${name}`)
          else if (typeof c.stamp === 'object' && since[i] !== -1) {
            // Stays when the boolean was already 1; NULL once it is not.
            const flag = quote(c.stamp.since)
            updates.push(
              `${name} = CASE WHEN excluded.${flag} IS NOT 1 THEN NULL WHEN ${t}.${flag} = 1 THEN ${t}.${name} ELSE excluded.${name} END`,
            )
          }
        })
        tailSql = ` ON CONFLICT (${table.primaryKey.map(quote).join(', ')}) ${updates.length > 0 ? `DO UPDATE SET ${updates.join(', ')}` : 'DO NOTHING'}`
      }
      return { ...shape(all.length, (count) => head + valueRows(count, all.length) + tailSql), stamps, since }
    })
    const { stamps, since } = s
    const list =
      stamps.length === 0
        ? batch.rows
        : batch.rows.map((row) => [...row, ...stamps.map((c, i) => stampValue(c, since[i] as number, row, ctx))])
    if (refused === undefined) {
      yield* chunked(list, s)
      return
    }
    for (const row of list) yield* guardRow(table, rowKey(table, columns, row), refused, chunked([row], s))
  }

  type UpdateShape = Shape & {
    readonly keyIndexes: readonly number[] | undefined
    readonly setIndexes: readonly number[]
    /** Per bound stamp parameter: the stamp column and, for a `since` flag parameter, the flag's index. */
    readonly stampParams: readonly { column: ColumnSpec; flag: number }[]
  }

  /**
   * Rows stored before: an UPDATE by key, which costs less than an upsert. A row found missing (the
   * driver reports fewer changes, or cannot say) is written with the upsert instead.
   */
  function* updateRows(table: TableSpec, batch: RowBatch, ctx: StampContext, refused?: RefusedRow[]): Procedure<void> {
    const columns = batch.columns
    // One UPDATE by key per row. (UPDATE … FROM (VALUES …) for many rows measured slower than this on
    // tables with foreign keys, and needs SQLite 3.33.)
    const s = shapeFor<UpdateShape>(columns, `update ${table.name}`, () => {
      const keyIndexes = table.primaryKey.map((k) => columns.indexOf(k))
      const setIndexes = columns.map((_, i) => i).filter((i) => !keyIndexes.includes(i))
      const usable = table.primaryKey.length > 0 && !keyIndexes.includes(-1) && setIndexes.length > 0
      const sets = setIndexes.map((i) => `${quote(columns[i] as string)} = ?`)
      const stamps = stampsOf(table)
      const since = sinceIndexes(stamps, columns)
      const stampParams: { column: ColumnSpec; flag: number }[] = []
      stamps.forEach((c, i) => {
        const name = quote(c.name)
        if (c.stamp === 'updated' || c.stamp === 'stateVersion') {
          sets.push(`${name} = ?`)
          stampParams.push({ column: c, flag: -1 })
        } else if (typeof c.stamp === 'object' && since[i] !== -1) {
          const flag = quote(c.stamp.since)
          sets.push(`${name} = CASE WHEN ? IS NOT 1 THEN NULL WHEN ${flag} = 1 THEN ${name} ELSE ? END`)
          stampParams.push({ column: c, flag: since[i] as number }, { column: c, flag: -2 })
        }
      })
      const where = table.primaryKey.map((k) => `${quote(k)} = ?`).join(' AND ')
      return {
        ...shape(columns.length, () => `UPDATE ${quote(table.name)} SET ${sets.join(', ')} WHERE ${where}`),
        keyIndexes: usable ? keyIndexes : undefined,
        setIndexes,
        stampParams,
      }
    })
    const { keyIndexes, setIndexes, stampParams } = s
    if (keyIndexes === undefined) {
      yield* writeRows(table, batch, 'upsert', ctx, refused)
      return
    }
    const sql = textOf(s, 1)
    let changed = 0
    const missing: (readonly SqlValue[])[] = []
    for (const row of batch.rows) {
      const params: SqlValue[] = []
      for (const i of setIndexes) params.push(row[i] as SqlValue)
      for (const { column, flag } of stampParams) {
        if (flag >= 0) params.push(row[flag] as SqlValue)
        else params.push(flag === -2 ? ctx.now : stampValue(column, -1, row, ctx))
      }
      for (const i of keyIndexes) params.push(row[i] as SqlValue)
      if (refused === undefined) {
        changed += (yield run(sql, params)).changes
        continue
      }
      const key = keyIndexes.map((i) => row[i] as SqlValue)
      const result = yield* guardRow(table, key, refused, runStep(sql, params))
      if (result === 0) missing.push(row)
    }
    if (refused !== undefined) {
      if (missing.length > 0) yield* writeRows(table, { columns, rows: missing }, 'upsert', ctx, refused)
      return
    }
    // A row that is not there (deleted behind this store's back) is inserted: the upsert rewrites the
    // rows just updated with the same values and adds the missing ones.
    if (changed !== batch.rows.length) yield* writeRows(table, batch, 'upsert', ctx)
  }

  function* deleteRows(
    reg: RegisteredStore,
    table: TableSpec,
    keys: readonly (readonly SqlValue[])[],
  ): Procedure<void> {
    if (table.primaryKey.length === 0)
      throw new ZustandSqliteError('INVALID_CHANGESET', `table ${table.name} has no key to delete by`)
    for (const key of keys) {
      if (key.length !== table.primaryKey.length)
        throw new ZustandSqliteError(
          'INVALID_CHANGESET',
          `table ${table.name}: a delete key has ${key.length} values for ${table.primaryKey.length} key columns`,
        )
    }
    for (const { table: d, prefix } of reg.descendants.get(table.name) ?? []) {
      yield* chunked(
        keys,
        shapeFor(prefix, `delete ${d.name}`, () =>
          shape(prefix.length, (count) => `DELETE FROM ${quote(d.name)} WHERE ${keyMatch(prefix, count)}`),
        ),
      )
    }
    yield* chunked(
      keys,
      shapeFor(table.primaryKey, `delete ${table.name}`, () =>
        shape(
          table.primaryKey.length,
          (count) => `DELETE FROM ${quote(table.name)} WHERE ${keyMatch(table.primaryKey, count)}`,
        ),
      ),
    )
  }

  function* setKeys(store: string, entries: readonly (readonly [string, string])[]): Procedure<void> {
    yield* chunked(
      entries.map(([k, v]) => [store, k, v]),
      kvSetShape,
    )
  }

  function* deleteKeys(store: string, keys: readonly string[]): Procedure<void> {
    yield* chunked(
      keys.map((k) => [store, k]),
      kvDeleteShape,
    )
  }

  return { writeRows, updateRows, deleteRows, setKeys, deleteKeys }
}
