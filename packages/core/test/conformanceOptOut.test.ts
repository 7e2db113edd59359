import { afterAll, describe, expect } from 'vitest'
import type { RunnerTask } from 'vitest'
import { runBackendConformance } from '@zustand-sqlite/core/testing'
import type { ConformanceCase } from '@zustand-sqlite/core/testing'
import { memoryBackend } from './helpers'

const all: readonly ConformanceCase[] = [
  'columnTypes',
  'mappingShapes',
  'lazyWrites',
  'unversionedChangeSets',
  'keyValueRows',
  'atomicity',
  'failedWrites',
  'arrayOrder',
  'largeChangeSets',
  'nestedDeletes',
  'clear',
  'concurrentFlushes',
  'ddlMigrations',
  'newerSchemas',
  'stamps',
  'tableConflicts',
  'readOnlyQueries',
  'unstorableValues',
  'revisions',
]

const leaves = (tasks: readonly RunnerTask[]): RunnerTask[] =>
  tasks.flatMap((t) => (t.type === 'suite' ? leaves(t.tasks) : [t]))

describe('runBackendConformance opt-outs', () => {
  // One case runs; every other one is opted out by name, and must show as skipped with its reason.
  const optOut = Object.fromEntries(all.filter((c) => c !== 'readOnlyQueries').map((c) => [c, `checking ${c}`]))
  runBackendConformance(
    'opted out',
    {
      open: () => memoryBackend(),
      reopen: () => memoryBackend(),
    },
    { optOut },
  )

  // vitest hands hooks a context that must be destructured; only the suite (the second argument) is used.
  // eslint-disable-next-line no-empty-pattern
  afterAll(({}, suite) => {
    const tests = leaves(suite.tasks)
    const skipped = tests.filter((t) => t.mode === 'skip')
    expect(tests.filter((t) => t.mode === 'run').map((t) => t.name)).toEqual(['runs queries read-only'])
    expect(skipped).toHaveLength(tests.length - 1)
    for (const t of skipped) expect(t.name).toMatch(/\[opted out of (\w+): checking \1\]$/)
  })
})
