import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { betterSqlite3Version, loadSqlJs, openRawDatabase, readPragmas, sqlJsVersion } from './engines'

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
  storage: Record<string, string>
}

/** Engine and package versions, and the pragmas each contender's connection really runs with. */
export async function describeEnvironment(repoRoot: string, dir: string): Promise<Environment> {
  // The directory name is random: name only where it lives, so results files diff cleanly.
  const where = `a temporary directory under ${tmpdir()}`
  const lib = createBetterSqlite3Backend({ filename: join(dir, 'probe-lib.db') })
  const libPragmas = await readPragmas((sql) => lib.query(sql))
  await lib.close()
  const raw = openRawDatabase(join(dir, 'probe-raw.db'))
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
      'LIB (better-sqlite3 backend defaults)': libPragmas,
      'RAW (better-sqlite3, set by hand)': rawPragmas,
      'LIB (sql.js, in memory)': sqljsPragmas,
    },
    storage: {
      NONE: 'none: the same Zustand store without persistence',
      JSON: 'Zustand persist + createJSONStorage over idb-keyval on fake-indexeddb (IndexedDB in process memory)',
      RAW: `better-sqlite3 file in ${where}, hand-written prepared statements, one transaction per set`,
      'LIB (better-sqlite3)': `persistSQLite on createBetterSqlite3Backend({ filename }), file in ${where}`,
      'LIB (sql.js)': `persistSQLite on createSqlJsBackend({ storage: { file } }), file in ${where}: image written to a temporary file, fsynced, renamed`,
      'M1 (metrics store)': `createMetricsStore({ backend }) on createBetterSqlite3Backend({ filename }), file in ${where}; RAW: the store's \`metrics\` DDL on a better-sqlite3 file set by hand as above`,
      'W1 (workspace store)': `createWorkspaceStore({ backend }) on createBetterSqlite3Backend({ filename }) (the defaults above), files in ${where}; hydrations in fresh child processes`,
      'S1 (chats store)': `createChatsStore({ backend }) on createBetterSqlite3Backend({ filename }), file in ${where}, and on createSqlJsBackend({ storage: 'memory' }); JSON: persist(createChatsState(), chatsLegacyPersistOptions) over the JSON storage above`,
    },
  }
}
