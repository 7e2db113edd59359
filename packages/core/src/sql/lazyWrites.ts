import type { LazyWrite } from '../contract/changeSet'
import { ZustandSqliteError } from '../contract/errors'
import type { TableSpec } from '../contract/schemaSpec'
import type { SqlValue } from '../contract/sqlValue'
import { quote } from '../schema/identifiers'
import { rows, run } from './procedure'
import type { Procedure } from './procedure'
import type { RegisteredStore } from './registry'

/** Where a table's lazy columns are: its lazy table, or itself. */
function lazyHome(reg: RegisteredStore, table: TableSpec): TableSpec {
  if (table.lazyTable === undefined) return table
  const home = reg.byName.get(table.lazyTable)
  if (home === undefined || home.role !== 'lazy')
    throw new ZustandSqliteError('INVALID_SCHEMA', `table ${table.name}: its lazy table ${table.lazyTable} is missing`)
  return home
}

export function checkLazyWrite(reg: RegisteredStore, main: TableSpec, write: LazyWrite): void {
  const table = lazyHome(reg, main)
  const bad = (why: string): never => {
    throw new ZustandSqliteError('INVALID_CHANGESET', `table ${main.name}: a lazy write ${why}`)
  }
  if (table.primaryKey.length === 0) bad('needs a table with a primary key')
  if (write.key.length !== table.primaryKey.length) bad(`has ${write.key.length} key values`)
  if (write.columns.length === 0) bad('names no column')
  for (const name of write.columns) {
    if (table.columns.find((c) => c.name === name)?.lazy !== true)
      bad(`names ${JSON.stringify(name)}, not a lazy column`)
  }
  if ('values' in write) {
    if (write.values.length !== write.columns.length)
      bad(`has ${write.values.length} values for ${write.columns.length} columns`)
  } else if (write.from.length !== table.primaryKey.length) bad(`copies from a key of ${write.from.length} values`)
}

/**
 * Sets lazy columns of one row by key. A copy reads them from another row inside the database, and
 * leaves the target alone when that row does not exist. In a lazy table, the row is inserted or
 * updated, only while the item's own row exists.
 */
export function* writeLazy(reg: RegisteredStore, main: TableSpec, write: LazyWrite): Procedure<void> {
  const table = lazyHome(reg, main)
  const where = table.primaryKey.map((k) => `${quote(k)} = ?`).join(' AND ')
  const t = quote(table.name)
  const list = write.columns.map(quote).join(', ')
  if (table === main) {
    if ('values' in write) {
      const sets = write.columns.map((c) => `${quote(c)} = ?`).join(', ')
      yield run(`UPDATE ${t} SET ${sets} WHERE ${where}`, [...write.values, ...write.key])
      return
    }
    yield run(
      `UPDATE ${t} SET (${list}) = (SELECT ${list} FROM ${t} WHERE ${where}) ` +
        `WHERE ${where} AND EXISTS (SELECT 1 FROM ${t} WHERE ${where})`,
      [...write.from, ...write.key, ...write.from],
    )
    return
  }
  const keys = table.primaryKey.map(quote).join(', ')
  const ownerExists = `EXISTS (SELECT 1 FROM ${quote(main.name)} WHERE ${main.primaryKey.map((k) => `${quote(k)} = ?`).join(' AND ')})`
  const updates = write.columns.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')
  const onConflict = `ON CONFLICT (${keys}) DO UPDATE SET ${updates}`
  const placeholders = (n: number): string => new Array(n).fill('?').join(', ')
  if ('values' in write) {
    yield run(
      `INSERT INTO ${t} (${keys}, ${list}) SELECT ${placeholders(write.key.length + write.values.length)} ` +
        `WHERE ${ownerExists} ${onConflict}`,
      [...write.key, ...write.values, ...write.key],
    )
    return
  }
  yield run(
    `INSERT INTO ${t} (${keys}, ${list}) SELECT ${placeholders(write.key.length)}, ${list} FROM ${t} ` +
      `WHERE ${where} AND ${ownerExists} ${onConflict}`,
    [...write.key, ...write.from, ...write.key],
  )
}

/**
 * Resolves the copies of one table's lazy writes so that each copy gets its source's content as it is at
 * that point of the list, even where the source has no row when the writes run (they run in order, after
 * the rows are written):
 * - a source given a value earlier in the list (a file created and copied in one tick, whose row never
 *   exists if it is deleted in that tick too) gives that value;
 * - a source that is itself the target of an earlier copy in the list is copied from that copy's source
 *   (a copy of a copy, the middle one deleted in the same tick); a row copied from is read before a later
 *   write in the list changes it, for the copies made from it;
 * - with `readNow` (the ChangeSet deletes rows), every other source is read now, before the deletes, so
 *   that a copy of a row deleted in the same ChangeSet still gets its content.
 * Other copies stay copies made inside the database, without reading the content into memory.
 */
export function* resolveCopies(
  reg: RegisteredStore,
  main: TableSpec,
  writes: readonly LazyWrite[],
  readNow: boolean,
): Procedure<LazyWrite[]> {
  const table = lazyHome(reg, main)
  const keyText = (key: readonly SqlValue[]): string => key.map((v) => `${typeof v}:${String(v)}`).join('\u0000')
  const where = table.primaryKey.map((k) => `${quote(k)} = ?`).join(' AND ')
  /** What the database holds now (before any write of this ChangeSet) for `columns` of a row. */
  function* readStored(key: readonly SqlValue[], columns: readonly string[]): Procedure<SqlValue[] | undefined> {
    const sql = `SELECT ${columns.map(quote).join(', ')} FROM ${quote(table.name)} WHERE ${where}`
    const [row] = (yield rows(sql, key)).rows
    return row === undefined ? undefined : columns.map((_, i) => row[i] ?? null)
  }
  /** Per row key: the lazy columns given a known value so far in this list. */
  const known = new Map<string, Map<string, SqlValue>>()
  interface Source {
    readonly key: readonly SqlValue[]
    readonly text: string
    readonly columns: readonly string[]
  }
  /**
   * Per row key: the row whose stored content it holds by an in-database copy earlier in the list. That
   * source is untouched so far in the list (never a value target nor itself such a copy's target).
   */
  const copiedFrom = new Map<string, Source>()
  /** The reverse: per source row, the rows copied from it. */
  const copiesOf = new Map<string, Set<string>>()
  const forgetCopy = (target: string): void => {
    const source = copiedFrom.get(target)
    if (source === undefined) return
    copiedFrom.delete(target)
    copiesOf.get(source.text)?.delete(target)
  }
  const setKnown = (target: string, columns: readonly string[], values: readonly SqlValue[]): void => {
    let row = known.get(target)
    if (row === undefined) known.set(target, (row = new Map()))
    columns.forEach((c, i) => row.set(c, values[i] as SqlValue))
  }
  /** Before row `text` changes, the rows that hold its stored content by copy get that content as values. */
  function* settleCopiesOf(text: string): Procedure<void> {
    const targets = copiesOf.get(text)
    if (targets === undefined || targets.size === 0) return
    for (const target of [...targets]) {
      const source = copiedFrom.get(target) as Source
      forgetCopy(target)
      const values = yield* readStored(source.key, source.columns)
      if (values !== undefined) setKnown(target, source.columns, values)
    }
  }
  const out: LazyWrite[] = []
  for (const write of writes) {
    const target = keyText(write.key)
    yield* settleCopiesOf(target)
    forgetCopy(target)
    if ('values' in write) {
      setKnown(target, write.columns, write.values)
      out.push(write)
      continue
    }
    const from = keyText(write.from)
    const pending = known.get(from)
    if (write.columns.every((c) => pending?.has(c) === true)) {
      const values = write.columns.map((c) => pending?.get(c) as SqlValue)
      setKnown(target, write.columns, values)
      out.push({ key: write.key, columns: write.columns, values })
      continue
    }
    // A copy of a copy made in this list copies from the first source, which is untouched so far.
    const chained = copiedFrom.get(from)
    const source: Source =
      chained !== undefined && write.columns.every((c) => chained.columns.includes(c))
        ? { ...chained, columns: write.columns }
        : { key: write.from, text: from, columns: write.columns }
    if (readNow) {
      const stored = yield* readStored(source.key, write.columns)
      if (stored === undefined) continue // no source: the target is left alone, as a copy inside the database does
      const values = write.columns.map((c, i) =>
        pending?.has(c) === true ? (pending.get(c) as SqlValue) : (stored[i] ?? null),
      )
      setKnown(target, write.columns, values)
      out.push({ key: write.key, columns: write.columns, values })
      continue
    }
    const row = known.get(target)
    for (const c of write.columns) row?.delete(c)
    copiedFrom.set(target, source)
    let targets = copiesOf.get(source.text)
    if (targets === undefined) copiesOf.set(source.text, (targets = new Set()))
    targets.add(target)
    out.push(source.key === write.from ? write : { key: write.key, columns: write.columns, from: source.key })
  }
  return out
}
