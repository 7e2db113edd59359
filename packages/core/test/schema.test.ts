import { describe, expect, it } from 'vitest'
import { collection, column, defineSchema, singleton, table } from '@zustand-sqlite/core'

const code = (fn: () => unknown): string | undefined => {
  try {
    fn()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}

describe('defineSchema', () => {
  it('refuses identifiers that are not safe SQL names, before anything runs', () => {
    expect(code(() => defineSchema({ state: { x: collection({ table: 'bad name', key: 'id' }) } }))).toBe(
      'INVALID_IDENTIFIER',
    )
    expect(code(() => defineSchema({ state: { x: collection({ table: 't"; DROP TABLE x; --', key: 'id' }) } }))).toBe(
      'INVALID_IDENTIFIER',
    )
    expect(code(() => defineSchema({ state: { x: collection({ table: 'zs_mine', key: 'id' }) } }))).toBe(
      'INVALID_IDENTIFIER',
    )
    expect(code(() => defineSchema({ state: { x: collection({ table: 'sqlite_master', key: 'id' }) } }))).toBe(
      'INVALID_IDENTIFIER',
    )
    expect(
      code(() =>
        defineSchema({
          state: {
            x: collection({ table: 't', key: 'id', columns: { id: column.text(), a: column.text({ column: '1a' }) } }),
          },
        }),
      ),
    ).toBe('INVALID_IDENTIFIER')
  })

  it('refuses definitions that cannot work', () => {
    expect(code(() => defineSchema({ state: { x: collection({ table: 't' }) } }))).toBe('INVALID_SCHEMA')
    expect(
      code(() =>
        defineSchema({ state: { x: collection({ table: 't', key: 'id' }), y: collection({ table: 't', key: 'id' }) } }),
      ),
    ).toBe('INVALID_SCHEMA')
    expect(
      code(() => defineSchema({ state: { x: collection({ table: 't', key: 'id', columns: { id: column.real() } }) } })),
    ).toBe('INVALID_SCHEMA')
    expect(
      code(() =>
        defineSchema({
          state: { x: collection({ table: 't', key: 'id', columns: { id: column.text({ optional: true }) } }) },
        }),
      ),
    ).toBe('INVALID_SCHEMA')
    expect(
      code(() =>
        defineSchema({
          state: {
            x: collection({ table: 't', key: 'id', columns: { a: column.text({ column: 'b' }), b: column.text() } }),
          },
        }),
      ),
    ).toBe('INVALID_SCHEMA')
    expect(
      code(() =>
        defineSchema({ state: { x: collection({ table: 't', key: 'id', indexes: [{ columns: ['missing'] }] }) } }),
      ),
    ).toBe('INVALID_SCHEMA')
    expect(code(() => defineSchema({ version: 0 }))).toBe('INVALID_SCHEMA')
    expect(code(() => defineSchema({ version: 2, migrations: { 3: 'SELECT 1' } }))).toBe('INVALID_SCHEMA')
    expect(code(() => defineSchema({ tables: { t: table({ columns: {}, primaryKey: [] }) } }))).toBe('INVALID_SCHEMA')
    expect(code(() => defineSchema({ root: singleton({ table: 'r', rest: false, restMode: 'all' }) }))).toBe(
      'INVALID_SCHEMA',
    )
  })

  it('refuses a lazy value in a collection of values', () => {
    expect(
      code(() =>
        defineSchema({ state: { x: collection({ table: 't', shape: 'record', value: column.blob({ lazy: true }) }) } }),
      ),
    ).toBe('INVALID_SCHEMA')
  })

  it('compiles nested collections with their parent key first, and snake_case column names', () => {
    const schema = defineSchema({
      state: {
        conversations: collection({
          table: 'conversations',
          key: 'id',
          columns: { id: column.text(), userTitle: column.text({ optional: true }) },
          children: {
            messages: collection({
              table: 'messages',
              key: 'id',
              columns: { id: column.text(), tokenCount: column.integer() },
            }),
          },
        }),
      },
    })
    const [conversations, messages] = schema.spec.tables
    expect(conversations?.columns.map((c) => c.name)).toEqual(['id', 'user_title', 'sort_key', 'extra'])
    expect(messages?.primaryKey).toEqual(['conversations_id', 'id'])
    expect(messages?.parent).toEqual({ table: 'conversations', columns: ['conversations_id'] })
    expect(messages?.columns.find((c) => c.name === 'token_count')).toMatchObject({ type: 'INTEGER', notNull: true })
  })
})

describe('a root singleton', () => {
  it('stores the unmapped top-level keys in one row, typed columns and a JSON column for the rest', async () => {
    const { createStore } = await import('zustand/vanilla')
    const { persistSQLite } = await import('@zustand-sqlite/core')
    const { memoryBackend } = await import('./helpers')
    const schema = defineSchema({
      state: { tags: collection({ table: 'tags', value: column.text({ column: 'tag' }) }) },
      root: singleton({
        table: 'prefs',
        columns: { theme: column.text(), fontSize: column.integer({ optional: true }) },
        rest: 'data',
        restMode: 'all',
      }),
    })
    type Prefs = {
      theme: string
      fontSize?: number
      legacyZenMode?: string
      tags: string[]
      setTheme: (t: string) => void
    }
    const backend = memoryBackend()
    const make = () =>
      createStore<Prefs>()(
        persistSQLite((set) => ({ theme: 'light', tags: [], setTheme: (theme) => set({ theme }) }), {
          name: 'prefs',
          backend,
          schema,
        }),
      )
    const a = make()
    a.setState({ theme: 'dark', fontSize: 14, legacyZenMode: 'cleaner', tags: ['x', 'y'] })
    await a.persist.flush()
    expect(await backend.query('SELECT id, theme, font_size, data FROM prefs')).toEqual([
      { id: 1, theme: 'dark', font_size: 14, data: '{"theme":"dark","fontSize":14,"legacyZenMode":"cleaner"}' },
    ])
    const commits: number[] = []
    a.persist.setOptions({ onCommit: (c) => commits.push(c.rows) })
    a.getState().setTheme('solarized')
    await a.persist.flush()
    expect(commits).toEqual([1])
    const b = make()
    expect(b.getState()).toMatchObject({ theme: 'solarized', fontSize: 14, legacyZenMode: 'cleaner', tags: ['x', 'y'] })
    expect(typeof b.getState().setTheme).toBe('function')
  })
})
