import { afterAll, describe, expect } from 'vitest'
import type { RunnerTask } from 'vitest'
import type { Backend } from '@zustand-sqlite/core'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'

const leaves = (tasks: readonly RunnerTask[]): RunnerTask[] =>
  tasks.flatMap((t) => (t.type === 'suite' ? leaves(t.tasks) : [t]))

/** A backend as one without `applyMany` would be: every other method of better-sqlite3's. */
function withoutApplyMany(filename: string): Backend {
  const { applyMany, ...rest } = createBetterSqlite3Backend({ filename })
  void applyMany
  return rest
}

describe('runBackendConformance for a backend without applyMany', () => {
  // Declared absent: not skipped, but replaced by one case that checks the method is indeed absent.
  let dir: string | undefined
  let file = ''
  runBackendConformance(
    'no applyMany',
    {
      open: () => {
        dir = mkdtempSync(join(tmpdir(), 'zs-no-many-'))
        return withoutApplyMany((file = join(dir, 'test.db')))
      },
      reopen: () => withoutApplyMany(file),
      cleanup: () => {
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
        dir = undefined
      },
    },
    { optOut: { applyMany: 'checking the declaration' } },
  )

  // vitest hands hooks a context that must be destructured; only the suite (the second argument) is used.
  // eslint-disable-next-line no-empty-pattern
  afterAll(({}, suite) => {
    const tests = leaves(suite.tasks)
    expect(tests.filter((t) => t.mode !== 'run')).toEqual([])
    expect(tests.filter((t) => /applyMany/.test(t.name)).map((t) => t.name)).toEqual([
      'has no applyMany, as declared [opted out of applyMany: checking the declaration]',
    ])
    expect(tests.filter((t) => t.suite?.name === 'applyMany')).toEqual([])
  })
})
