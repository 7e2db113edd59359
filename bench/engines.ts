import Database from 'better-sqlite3'
import initSqlJs from 'sql.js'
import type { SqlJsStatic } from '@zustand-sqlite/backend-sqljs'
import { now } from './measure'
import type { BenchOptions } from './options'

let sqlJs: Promise<SqlJsStatic> | undefined
let sqlJsInitMs: number | undefined

/**
 * The sql.js module, compiled once per process (an app does this once at start). Its cost is
 * reported apart, not charged to each hydration.
 */
export function loadSqlJs(): Promise<SqlJsStatic> {
  if (sqlJs === undefined) {
    const started = now()
    sqlJs = initSqlJs().then((module) => {
      sqlJsInitMs = now() - started
      return module as unknown as SqlJsStatic
    })
  }
  return sqlJs
}

export const sqlJsInitTime = (): number | undefined => sqlJsInitMs

/**
 * RAW's connection: the pragmas LIB's better-sqlite3 backend applies by default, with the run's
 * `synchronous` (BENCH_SYNCHRONOUS), as LIB's backends are given it; NORMAL, the backend's default,
 * when not given.
 */
export function openRawDatabase(file: string, synchronous: BenchOptions['synchronous'] = 'NORMAL'): Database.Database {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${synchronous}`)
  db.pragma('foreign_keys = ON')
  // The LIB backend's default page cache (64 MiB): both contenders run on the same settings.
  db.pragma('cache_size = -65536')
  return db
}

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA']

/** journal_mode, synchronous and foreign_keys as a connection reports them (through pragma functions: a backend's query() takes reads only). */
export async function readPragmas(
  query: (sql: string) => Promise<Record<string, unknown>[]> | Record<string, unknown>[],
): Promise<Record<string, string>> {
  const one = async (name: string): Promise<unknown> =>
    Object.values((await query(`SELECT * FROM pragma_${name}()`))[0] ?? {})[0]
  const synchronous = await one('synchronous')
  return {
    journal_mode: String(await one('journal_mode')),
    synchronous: SYNCHRONOUS[Number(synchronous)] ?? String(synchronous),
    foreign_keys: String(await one('foreign_keys')) === '1' ? 'ON' : 'OFF',
    cache_size: String(await one('cache_size')),
  }
}

export function betterSqlite3Version(): string {
  const db = new Database(':memory:')
  try {
    return String((db.prepare('SELECT sqlite_version() AS v').get() as { v: unknown }).v)
  } finally {
    db.close()
  }
}

export async function sqlJsVersion(): Promise<string> {
  const SQL = await loadSqlJs()
  const db = new SQL.Database()
  try {
    const statement = db.prepare('SELECT sqlite_version()')
    statement.step()
    const [version] = statement.get()
    statement.free()
    return String(version)
  } finally {
    db.close()
  }
}
