import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { readMigrationRecord } from '@zustand-sqlite/migrate'
import { bigAgiLegacyData } from './fixtures/legacyData'
import { storedStates } from './helpers'

const repoRoot = new URL('../../../', import.meta.url).pathname
const dirs: string[] = []
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

/** A browser profile on disk: the database file and the two legacy storages, seeded with big-AGI's data. */
function profile(): { db: string; localStorage: string; indexedDB: string } {
  const dir = mkdtempSync(join(tmpdir(), 'zs-migrate-kill-'))
  dirs.push(dir)
  const data = bigAgiLegacyData()
  const paths = {
    db: join(dir, 'app.db'),
    localStorage: join(dir, 'localStorage.json'),
    indexedDB: join(dir, 'indexedDB.json'),
  }
  writeFileSync(paths.localStorage, JSON.stringify(data.localStorage))
  writeFileSync(paths.indexedDB, JSON.stringify(data.indexedDB))
  return paths
}

/** Runs the migrating process; resolves to what it printed, or `'killed'`. */
function run(
  p: ReturnType<typeof profile>,
  killAt?: number,
): Promise<{ steps: number; outcomes: [string, string, string, string][] } | 'killed'> {
  return new Promise((resolve, reject) => {
    const args = [
      '--import',
      'tsx',
      'packages/migrate/test/fixtures/migrateChild.ts',
      p.db,
      p.localStorage,
      p.indexedDB,
    ]
    const child = spawn(process.execPath, killAt === undefined ? args : [...args, String(killAt)], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed')
      else if (code === 0)
        resolve(JSON.parse(stdout) as { steps: number; outcomes: [string, string, string, string][] })
      else reject(new Error(`the migrating process exited ${code}: ${stderr}`))
    })
  })
}

async function contentOf(file: string) {
  const backend = createBetterSqlite3Backend({ filename: file })
  try {
    const record = await readMigrationRecord(backend)
    return {
      states: await storedStates(backend),
      statuses: Object.fromEntries(Object.entries(record).map(([store, entry]) => [store, entry.status])),
      counts: Object.fromEntries(Object.entries(record).map(([store, entry]) => [store, entry.counts])),
      backups: await backend.query(
        'SELECT store, checksum, bytes FROM zustand_sqlite_migration_backups ORDER BY store',
      ),
    }
  } finally {
    await backend.close()
  }
}

describe('a migrating process killed (SIGKILL) at every step boundary', () => {
  it('leaves a state the next run finishes, equal to an uninterrupted run', async () => {
    const reference = profile()
    const uninterrupted = await run(reference)
    if (uninterrupted === 'killed') throw new Error('the reference run was killed')
    expect(uninterrupted.outcomes.every(([, outcome]) => outcome === 'migrated')).toBe(true)
    const expected = await contentOf(reference.db)

    // read, backup, write, one verify per store, done
    expect(uninterrupted.steps).toBe(11)
    for (let killAt = 1; killAt <= uninterrupted.steps; killAt++) {
      const p = profile()
      expect(await run(p, killAt)).toBe('killed')
      const resumed = await run(p)
      if (resumed === 'killed') throw new Error('the resumed run was killed')
      expect(resumed.outcomes.every(([, outcome]) => outcome === 'migrated' || outcome === 'already-migrated')).toBe(
        true,
      )
      expect({ killAt, ...(await contentOf(p.db)) }).toEqual({ killAt, ...expected })
    }
  }, 300_000)

  it('lets two processes migrate the same profile at once: both finish, as one run would', async () => {
    const reference = profile()
    await run(reference)
    const expected = await contentOf(reference.db)
    for (let round = 0; round < 3; round++) {
      const p = profile()
      const [first, second] = await Promise.all([run(p), run(p)])
      for (const result of [first, second]) {
        if (result === 'killed') throw new Error('a run was killed')
        expect(
          result.outcomes.filter(([, outcome]) => outcome !== 'migrated' && outcome !== 'already-migrated'),
        ).toEqual([])
      }
      expect(await contentOf(p.db)).toEqual(expected)
    }
  }, 120_000)
})
