import { afterAll, describe, expect } from 'vitest'
import type { RunnerTask } from 'vitest'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import type { ConformanceCase } from '@zustand-sqlite/core/testing'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'

const leaves = (tasks: readonly RunnerTask[]): RunnerTask[] =>
  tasks.flatMap((t) => (t.type === 'suite' ? leaves(t.tasks) : [t]))

describe('runBackendConformance opt-outs', () => {
  // One case is opted out by name, and must show as skipped with its reason; every other one runs.
  const optOut: Partial<Record<ConformanceCase, string>> = { largeChangeSets: 'checking the opt-out' }
  let dir: string | undefined
  let file = ''
  runBackendConformance(
    'opted out',
    {
      open: () => {
        dir = mkdtempSync(join(tmpdir(), 'zs-opt-out-'))
        return createBetterSqlite3Backend({ filename: (file = join(dir, 'test.db')) })
      },
      reopen: () => createBetterSqlite3Backend({ filename: file }),
      cleanup: () => {
        if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
        dir = undefined
      },
    },
    { optOut },
  )

  // vitest hands hooks a context that must be destructured; only the suite (the second argument) is used.
  // eslint-disable-next-line no-empty-pattern
  afterAll(({}, suite) => {
    const tests = leaves(suite.tasks)
    expect(tests.filter((t) => t.mode === 'skip').map((t) => t.name)).toEqual([
      'saves and loads 100k rows of 10 columns, and deletes them in one ChangeSet [opted out of largeChangeSets: checking the opt-out]',
    ])
    expect(tests.filter((t) => t.mode === 'run')).toHaveLength(tests.length - 1)
    expect(tests.length).toBeGreaterThan(15)
  })
})
