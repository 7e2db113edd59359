import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { betterSqlite3Version, loadSqlJs, openRawDatabase, readPragmas, sqlJsVersion } from './engines'
import type { BenchOptions } from './options'

const LIBRARY = [
  '@zustand-sqlite/core',
  '@zustand-sqlite/backend-better-sqlite3',
  '@zustand-sqlite/backend-sqljs',
  '@zustand-sqlite/store-chats',
  '@zustand-sqlite/store-metrics',
  '@zustand-sqlite/store-workspace',
]
const PACKAGES = ['zustand', 'better-sqlite3', 'sql.js', 'idb-keyval', 'fake-indexeddb', '@zustand-sqlite/core']

function packageVersion(repoRoot: string, name: string): string {
  try {
    const json = JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: string
    }
    return json.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** The commit measured, and whether the packages had uncommitted changes when the bench ran. */
function revision(repoRoot: string): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim()
    const dirty = git('status', '--porcelain', '--', 'packages') !== ''
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes in packages/' : ''}`
  } catch {
    return 'unknown (not a git checkout)'
  }
}

export interface Environment {
  revision: string
  /** The module files the bench imports: the built dist (see run.ts), unless run without it. */
  library: Record<string, string>
  node: string
  platform: string
  cpu: string
  cores: number
  memoryMiB: number
  packages: Record<string, string>
  sqlite: { 'better-sqlite3': string; 'sql.js': string }
  /** As each connection reports them, read from connections opened as the contenders open theirs. */
  pragmas: Record<string, Record<string, string>>
  /**
   * What a resolved write means for each contender (RAW, LIB, LIB (sql.js), JSON, NONE), the SQLite
   * ones from the pragmas their connections reported above.
   */
  durability: Record<string, string>
  storage: Record<string, string>
}

type Pragmas = Record<string, string>

/** What a commit on a better-sqlite3 file survives, from the pragmas its connection reports. */
function fileDurability(pragmas: Pragmas): string {
  const journal = pragmas['journal_mode'] ?? 'unknown'
  const synchronous = pragmas['synchronous'] ?? 'unknown'
  const settings = `journal_mode=${journal}, synchronous=${synchronous} (as the connection reports them)`
  if (journal === 'wal' && synchronous === 'NORMAL')
    return `${settings}: the commit is in the WAL, which is synced only at checkpoints: it survives a crash of the process, not a power loss or a crash of the OS`
  if (journal === 'wal' && (synchronous === 'FULL' || synchronous === 'EXTRA'))
    return `${settings}: the WAL is fsynced at every commit: the commit survives a power loss too (as far as the disk honours fsync)`
  return `${settings}: see SQLite's PRAGMA synchronous for what these settings keep`
}

const samePragmas = (a: Pragmas, b: Pragmas): boolean => Object.keys({ ...a, ...b }).every((key) => a[key] === b[key])

/** The durability of each contender, from the pragmas read from the connections the bench opens. */
function describeDurability(lib: Pragmas, raw: Pragmas, sqljs: Pragmas): Record<string, string> {
  const sqljsSettings = Object.entries(sqljs)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ')
  return {
    RAW: `a returned transaction is committed with ${fileDurability(raw)}; ${samePragmas(raw, lib) ? 'the same pragmas as LIB' : `NOT the same pragmas as LIB (${JSON.stringify(lib)})`}`,
    LIB: `a resolved store.persist.flush() is a commit with ${fileDurability(lib)}`,
    'LIB (sql.js)':
      `the engine runs in memory (its own ${sqljsSettings} apply to its in-memory file, not to the disk): a commit is durable only once the whole image is exported and stored. ` +
      'T5, T6 and T8 keep it in a file (storage: { file }: the image written to a temporary file, fsynced, renamed over the old one, the directory synced): ' +
      'a resolved flush() or close() means it is stored; otherwise the coalesced export stores it at most once every flushIntervalMs (1000 ms, the default, as T6 measures). ' +
      "S1 keeps it in memory (storage: 'memory'): nothing is stored",
    JSON: "a resolved setState (the storage's setItem) means the string is in fake-indexeddb, in this process's memory: nothing on disk, gone when the process ends. In a browser: IndexedDB, whose transactions have relaxed durability by default (committed, not necessarily flushed to disk)",
    NONE: 'nothing is stored: the state lives in this process only',
  }
}

/**
 * Engine and package versions, and the pragmas each contender's connection really runs with: probe
 * connections opened as the contenders open theirs, with the run's `synchronous`.
 */
export async function describeEnvironment(
  repoRoot: string,
  dir: string,
  synchronous: BenchOptions['synchronous'],
): Promise<Environment> {
  // The directory name is random: name only where it lives, so results files diff cleanly.
  const where = `a temporary directory under ${tmpdir()}`
  const lib = createBetterSqlite3Backend({ filename: join(dir, 'probe-lib.db'), synchronous })
  const libPragmas = await readPragmas((sql) => lib.query(sql))
  await lib.close()
  const raw = openRawDatabase(join(dir, 'probe-raw.db'), synchronous)
  const rawPragmas = await readPragmas((sql) => raw.prepare(sql).all() as Record<string, unknown>[])
  raw.close()
  const sqljs = await createSqlJsBackend({ sqlJs: await loadSqlJs(), storage: 'memory' })
  const sqljsPragmas = await readPragmas((sql) => sqljs.query(sql))
  await sqljs.close()
  const cpu = cpus()
  return {
    revision: revision(repoRoot),
    library: Object.fromEntries(
      LIBRARY.map((name) => [name, relative(repoRoot, fileURLToPath(import.meta.resolve(name)))]),
    ),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryMiB: Math.round(totalmem() / 1024 / 1024),
    packages: Object.fromEntries(PACKAGES.map((name) => [name, packageVersion(repoRoot, name)])),
    sqlite: { 'better-sqlite3': betterSqlite3Version(), 'sql.js': await sqlJsVersion() },
    pragmas: {
      // NORMAL is the backend's default: the key stays as results files before BENCH_SYNCHRONOUS had it.
      [synchronous === 'NORMAL'
        ? 'LIB (better-sqlite3 backend defaults)'
        : `LIB (better-sqlite3 backend, synchronous: '${synchronous}')`]: libPragmas,
      'RAW (better-sqlite3, set by hand)': rawPragmas,
      'LIB (sql.js, in memory)': sqljsPragmas,
    },
    durability: describeDurability(libPragmas, rawPragmas, sqljsPragmas),
    storage: {
      NONE: 'none: the same Zustand store without persistence',
      JSON: 'Zustand persist + createJSONStorage over idb-keyval on fake-indexeddb (IndexedDB in process memory)',
      RAW: `better-sqlite3 file in ${where}, hand-written prepared statements, one transaction per set`,
      'LIB (better-sqlite3)': `persistSQLite on createBetterSqlite3Backend({ filename${synchronous === 'NORMAL' ? '' : `, synchronous: '${synchronous}'`} }), file in ${where}`,
      'LIB (sql.js)': `persistSQLite on createSqlJsBackend({ storage: { file } }), file in ${where}: image written to a temporary file, fsynced, renamed`,
      'M1 (metrics store)': `createMetricsStore({ backend }) on createBetterSqlite3Backend({ filename }), file in ${where}; RAW: the store's \`metrics\` DDL on a better-sqlite3 file set by hand as above`,
      'W1 (workspace store)': `createWorkspaceStore({ backend }) on createBetterSqlite3Backend({ filename }) (the defaults above), files in ${where}; hydrations in fresh child processes`,
      'S1 (chats store)': `createChatsStore({ backend }) on createBetterSqlite3Backend({ filename }), file in ${where}, and on createSqlJsBackend({ storage: 'memory' }); JSON: persist(createChatsState(), chatsLegacyPersistOptions) over the JSON storage above`,
    },
  }
}
