import { describe, expect, it } from 'vitest'
import {
  collection,
  column,
  defineSchema,
  readPersistEnvelope,
  readStoredState,
  rules,
  singleton,
  validatePatch,
  writeStoredState,
} from '@zustand-sqlite/core'
import type { ChangeSet, StoredState, ZustandSqliteErrorCode } from '@zustand-sqlite/core'
import { persistedStore } from '@zustand-sqlite/core/testing'
import { asyncBackend, memoryBackend } from './helpers'

const schema = defineSchema({
  state: {
    items: collection({ table: 'items', key: 'id', columns: { id: column.text(), title: column.text() } }),
  },
  root: singleton({ table: 'settings', columns: { theme: column.text() }, rest: 'data', restMode: 'all' }),
})

interface State {
  items: { id: string; title: string }[]
  theme: string
  legacyKey?: string
}

const codeOf = (fn: () => unknown): ZustandSqliteErrorCode | undefined => {
  try {
    fn()
  } catch (error) {
    return (error as { code?: ZustandSqliteErrorCode }).code
  }
  return undefined
}

const rowsOf = (cs: ChangeSet | undefined): number =>
  (cs?.tables ?? []).reduce(
    (n, t) =>
      n + [...(t.upsert ?? []), ...(t.update ?? [])].reduce((m, b) => m + b.rows.length, 0) + (t.delete?.length ?? 0),
    0,
  )

describe('readStoredState / writeStoredState', () => {
  it('reads what a store persisted and writes back only the rows that changed', () => {
    const backend = memoryBackend()
    const store = persistedStore<State>(backend, { items: [], theme: 'light' }, { name: 'app', schema, version: 2 })
    store.setState({
      items: [
        { id: 'a', title: 'A' },
        { id: 'b', title: 'B' },
      ],
      theme: 'dark',
      legacyKey: 'kept',
    })
    return store.persist.flush().then(() => {
      const stored = readStoredState(backend, { name: 'app', schema })
      expect(stored).toEqual({
        state: {
          items: [
            { id: 'a', title: 'A' },
            { id: 'b', title: 'B' },
          ],
          theme: 'dark',
          legacyKey: 'kept',
        },
        version: 2,
        revision: expect.any(Number),
      })
      if (stored === null || stored instanceof Promise) throw new Error('expected a synchronous read')
      const items = stored.state['items'] as State['items']
      const next = { ...stored.state, items: [items[0], { id: 'c', title: 'C' }, items[1]] }
      const written = writeStoredState(backend, { name: 'app', schema, version: 2, previous: stored }, next)
      expect(rowsOf(written as ChangeSet)).toBe(1)
      expect(writeStoredState(backend, { name: 'app', schema, version: 2, previous: stored }, stored.state)).toBe(
        undefined,
      )

      const reopened = persistedStore<State>(
        backend,
        { items: [], theme: 'light' },
        { name: 'app', schema, version: 2 },
      )
      expect(reopened.getState().items.map((i) => i.id)).toEqual(['a', 'c', 'b'])
      expect(reopened.getState().legacyKey).toBe('kept')
    })
  })

  it('resolves to null when nothing is stored, and replaces everything without a previous read', () => {
    const backend = memoryBackend()
    expect(readStoredState(backend, { name: 'empty', schema })).toBeNull()
    writeStoredState(backend, { name: 'empty', schema, version: 1 }, { items: [{ id: 'x', title: 'X' }], theme: 't' })
    writeStoredState(backend, { name: 'empty', schema, version: 1 }, { items: [{ id: 'y', title: 'Y' }], theme: 't' })
    expect(readStoredState(backend, { name: 'empty', schema })).toEqual({
      state: { items: [{ id: 'y', title: 'Y' }], theme: 't' },
      version: 1,
      revision: 2,
    })
  })

  it('checks values before writing anything', () => {
    const backend = memoryBackend()
    writeStoredState(backend, { name: 'bad', schema, version: 1 }, { items: [], theme: 'ok' })
    const previous = readStoredState(backend, { name: 'bad', schema }) as StoredState
    expect(
      codeOf(() => writeStoredState(backend, { name: 'bad', schema, version: 1, previous }, { items: [], theme: 42 })),
    ).toBe('UNSTORABLE_VALUE')
    expect(codeOf(() => writeStoredState(backend, { name: '', schema, version: 1 }, {}))).toBe('INVALID_OPTIONS')
    expect(readStoredState(backend, { name: 'bad', schema })).toEqual({
      state: { items: [], theme: 'ok' },
      version: 1,
      revision: 1,
    })
  })

  it('works over an asynchronous backend', async () => {
    const backend = asyncBackend(memoryBackend())
    expect(await readStoredState(backend, { name: 'later', schema })).toBeNull()
    await writeStoredState(backend, { name: 'later', schema, version: 1 }, { items: [], theme: 'x' })
    expect(await readStoredState(backend, { name: 'later', schema })).toEqual({
      state: { items: [], theme: 'x' },
      version: 1,
      revision: 1,
    })
    expect(backend.calls.filter((c) => c.method === 'prepare')).toHaveLength(1)
  })
})

describe('readPersistEnvelope', () => {
  it('reads the envelope as JSON text, as text encoded twice, and parsed', () => {
    const envelope = { state: { a: 1 }, version: 3 }
    expect(readPersistEnvelope(JSON.stringify(envelope))).toEqual(envelope)
    expect(readPersistEnvelope(JSON.stringify(JSON.stringify(envelope)))).toEqual(envelope)
    expect(readPersistEnvelope(envelope)).toEqual(envelope)
  })

  it('refuses what is not an envelope with INVALID_LEGACY_DATA', () => {
    for (const bad of ['{', '[]', 'null', { state: [], version: 1 }, { state: {} }, { state: {}, version: 1.5 }, 42]) {
      expect(codeOf(() => readPersistEnvelope(bad))).toBe('INVALID_LEGACY_DATA')
    }
  })
})

describe('validatePatch', () => {
  const fieldRules = {
    mode: rules.oneOf('a', 'b'),
    size: rules.integer({ min: 1, max: 10 }),
    on: rules.boolean(),
    name: rules.string({ maxLength: 3 }),
    counts: rules.record(rules.integer()),
    config: rules.json(),
    tags: rules.array(rules.string()),
  }

  it('returns a patch whose fields fit', () => {
    const patch = {
      mode: 'b',
      size: 10,
      on: false,
      name: 'abc',
      counts: { x: 1 },
      config: { deep: [1, null] },
      tags: ['a'],
    }
    expect(validatePatch(patch, fieldRules)).toEqual(patch)
  })

  it('refuses a wrong type, a value out of range and an unknown field, naming the path', () => {
    const cases: [unknown, string][] = [
      [{ mode: 'c' }, 'ui.mode'],
      [{ size: 11 }, 'ui.size'],
      [{ size: 1.5 }, 'ui.size'],
      [{ on: 'yes' }, 'ui.on'],
      [{ name: 'abcd' }, 'ui.name'],
      [{ counts: { x: 'one' } }, 'ui.counts.x'],
      [{ config: { n: 1n } }, 'ui.config.n'],
      [{ typo: true }, 'ui.typo'],
      [{ tags: 'a' }, 'ui.tags'],
      [{ tags: ['a', 1] }, 'ui.tags.1'],
      [{ toString: 1 }, 'ui.toString'],
    ]
    for (const [patch, path] of cases) {
      let error: { code?: string; path?: string } | undefined
      try {
        validatePatch(patch, fieldRules, { what: 'ui' })
      } catch (e) {
        error = e as typeof error
      }
      expect(error?.code).toBe('INVALID_VALUE')
      expect(error?.path).toBe(path)
    }
    expect(codeOf(() => validatePatch('x', fieldRules))).toBe('INVALID_VALUE')
    expect(validatePatch({ extra: 1 }, fieldRules, { allowUnknown: true })).toEqual({ extra: 1 })
  })
})
