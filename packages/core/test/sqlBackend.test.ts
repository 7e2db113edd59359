import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { collection, column, createSqlBackend, defineSchema, persistSQLite, table } from '@zustand-sqlite/core'
import type { SqlDriver } from '@zustand-sqlite/core'

/**
 * better-sqlite3 behind a driver that claims a small bound-variable limit and enforces it. `run`
 * reports changed rows, as real drivers do, so updates are checked against what they changed.
 */
function limitedDriver(limit: number) {
  const db = new Database(':memory:')
  const prepared: string[] = []
  const driver: SqlDriver = {
    name: 'limited',
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => {
      prepared.push(sql)
      if (sql === 'PRAGMA compile_options') {
        return {
          run: () => 0,
          all: () => [[`MAX_VARIABLE_NUMBER=${limit}`]],
          columns: () => ['compile_options'],
        }
      }
      const variables = (sql.match(/\?/g) ?? []).length
      if (variables > limit) throw new Error(`too many SQL variables: ${variables} > ${limit}`)
      const stmt = db.prepare(sql)
      if (stmt.reader) stmt.raw(true)
      return {
        run: (params) => stmt.run(params).changes,
        all: (params) => (stmt.reader ? (stmt.all(params) as never) : (stmt.run(params), [])),
        columns: () => (stmt.reader ? stmt.columns().map((c) => c.name) : []),
      }
    },
    close: () => void db.close(),
  }
  return { driver, prepared, db }
}

const schema = defineSchema({
  state: {
    rows: collection({
      table: 'rows',
      key: 'id',
      columns: { id: column.integer(), a: column.text(), b: column.integer(), c: column.real() },
      children: { parts: collection({ table: 'parts', key: 'n', columns: { n: column.integer() } }) },
    }),
  },
})

type Row = { id: number; a: string; b: number; c: number; parts: { n: number }[] }
const rows = (count: number): Row[] =>
  Array.from({ length: count }, (_, id) => ({ id, a: `a${id}`, b: id, c: id / 2, parts: [{ n: 1 }, { n: 2 }] }))

describe('createSqlBackend', () => {
  it('chunks writes and deletes under the bound-variable limit, with few distinct statements', async () => {
    const { driver, prepared } = limitedDriver(100)
    const backend = createSqlBackend(driver)
    const store = createStore<{ rows: Row[] }>()(
      persistSQLite(() => ({ rows: [] as Row[] }), { name: 's', backend, schema }),
    )
    store.setState({ rows: rows(1003) })
    await store.persist.flush()
    expect(await backend.query('SELECT count(*) AS n FROM rows')).toEqual([{ n: 1003 }])
    expect(await backend.query('SELECT count(*) AS n FROM parts')).toEqual([{ n: 2006 }])
    // Every stored row edited at once: updates chunked under the limit too.
    store.setState((s) => ({ rows: s.rows.map((r) => ({ ...r, a: `edited ${r.id}` })) }))
    await store.persist.flush()
    expect(await backend.query(`SELECT count(*) AS n FROM rows WHERE a LIKE 'edited %'`)).toEqual([{ n: 1003 }])
    store.setState({ rows: [] })
    await store.persist.flush()
    expect(await backend.query('SELECT (SELECT count(*) FROM rows) + (SELECT count(*) FROM parts) AS n')).toEqual([
      { n: 0 },
    ])
    // Chunks are powers of two: a handful of statement shapes per table, not one per batch size.
    const inserts = new Set(prepared.filter((sql) => sql.startsWith('INSERT INTO "rows"')))
    expect(inserts.size).toBeLessThanOrEqual(8)
  })

  it('writes tables of one column: a top-level set of values without order, and an append-only table', async () => {
    const oneColumn = defineSchema({
      state: { tags: collection({ table: 'tags', value: column.text({ column: 'tag' }), order: false }) },
      tables: { seen: table({ columns: { at: column.integer() } }) },
    })
    const { driver } = limitedDriver(999)
    const backend = createSqlBackend(driver)
    const store = createStore<{ tags: string[] }>()(
      persistSQLite(() => ({ tags: [] as string[] }), { name: 'one', backend, schema: oneColumn }),
    )
    store.setState({ tags: ['a', 'b', 'c'] })
    store.persist.append('seen', [{ at: 1 }, { at: 2 }])
    await store.persist.flush()
    expect(await backend.query('SELECT tag FROM tags ORDER BY tag')).toEqual([{ tag: 'a' }, { tag: 'b' }, { tag: 'c' }])
    expect(await backend.query('SELECT at FROM seen ORDER BY at')).toEqual([{ at: 1 }, { at: 2 }])
  })

  it('reports a lock held past the busy timeout as DATABASE_BUSY, from any driver', async () => {
    const { driver } = limitedDriver(999)
    const backend = createSqlBackend(driver)
    const store = createStore<{ tags: string[] }>()(
      persistSQLite(() => ({ tags: [] as string[] }), { name: 'busy', backend, onError: () => undefined }),
    )
    await store.persist.flush()
    // The driver of an engine whose error says only what SQLite says.
    const prepare = driver.prepare.bind(driver)
    driver.prepare = (sql) => {
      const statement = prepare(sql)
      if (!/^INSERT/.test(sql)) return statement
      return {
        ...statement,
        run: () => {
          throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' })
        },
      }
    }
    store.setState({ tags: ['a'] })
    const error = await store.persist.flush().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect((error as { code?: string }).code).toBe('DATABASE_BUSY')
  })

  it('prepares each statement once and reuses it', async () => {
    const { driver, prepared } = limitedDriver(32766)
    const backend = createSqlBackend(driver)
    const store = createStore<{ rows: Row[] }>()(
      persistSQLite(() => ({ rows: rows(10) }), { name: 's', backend, schema }),
    )
    store.setState({ rows: rows(10) })
    await store.persist.flush()
    const before = prepared.length
    for (let i = 0; i < 50; i++) {
      store.setState((s) => ({ rows: s.rows.map((r) => (r.id === i % 10 ? { ...r, a: `edit ${i}` } : r)) }))
      await store.persist.flush()
    }
    expect(await backend.query(`SELECT a FROM rows WHERE id = 9`)).toEqual([{ a: 'edit 49' }])
    // Only the statements of the first edit were new; 49 more edits prepared nothing.
    expect(prepared.length - before).toBeLessThanOrEqual(4)
  })

  it('prepares a store again with the same schema by reading its record only, no DDL', () => {
    const { driver, db } = limitedDriver(32766)
    const scripts: string[] = []
    const backend = createSqlBackend({ ...driver, exec: (sql) => (scripts.push(sql), driver.exec(sql)) })
    expect(backend.prepare('s', schema.spec)).toEqual({ stateVersion: null, revision: 0 })
    expect(scripts.some((sql) => sql.startsWith('CREATE TABLE'))).toBe(true)
    scripts.length = 0
    db.prepare(`UPDATE zs_stores SET state_version = 3, revision = 7 WHERE store = 's'`).run()
    expect(backend.prepare('s', schema.spec)).toEqual({ stateVersion: 3, revision: 7 })
    expect(scripts).toEqual([])
  })

  it('refuses a driver whose run() does not tell the rows it changed, with a typed error and nothing written', () => {
    const { driver, db } = limitedDriver(32766)
    const silent = createSqlBackend({
      ...driver,
      prepare: (sql) => {
        const stmt = driver.prepare(sql)
        return { ...stmt, run: (params) => void stmt.run(params) as unknown as number }
      },
    })
    const error = (() => {
      try {
        silent.prepare('s', schema.spec)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS', message: expect.stringContaining('run()') })
    // The preparation was rolled back whole: no table of the store, and the connection takes a new transaction.
    expect(db.prepare(`SELECT name FROM sqlite_schema WHERE name = 'rows'`).all()).toEqual([])
    expect(() => db.exec('BEGIN; COMMIT')).not.toThrow()
  })

  it('creates STRICT tables with keys, foreign keys and indexes from the schema', () => {
    const { driver, db } = limitedDriver(32766)
    const backend = createSqlBackend(driver)
    backend.prepare('s', schema.spec)
    const ddl = db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'parts'`).pluck().get() as string
    expect(ddl).toContain('PRIMARY KEY ("rows_id", "n")')
    expect(ddl).toContain('FOREIGN KEY ("rows_id") REFERENCES "rows" ON DELETE CASCADE')
    expect(ddl).toMatch(/\) STRICT$/)
    expect(db.prepare('PRAGMA application_id').pluck().get()).toBe(0x7a73716c)
  })

  it('writes an update of a row that turns out to be missing as an insert', async () => {
    const { driver } = limitedDriver(32766)
    const backend = createSqlBackend(driver)
    backend.prepare('s', schema.spec)
    const columns = ['id', 'a', 'b', 'c', 'sort_key', 'extra']
    backend.apply({
      store: 's',
      schemaVersion: 1,
      stateVersion: 0,
      tables: [{ table: 'rows', upsert: [{ columns, rows: [[1, 'x', 1, 1, 'a0', null]] }] }],
    })
    backend.apply({
      store: 's',
      schemaVersion: 1,
      stateVersion: 0,
      tables: [
        {
          table: 'rows',
          update: [
            {
              columns,
              rows: [
                [1, 'updated', 1, 1, 'a0', null],
                [2, 'was missing', 2, 2, 'a1', null],
              ],
            },
          ],
        },
      ],
    })
    expect(await backend.query('SELECT id, a FROM rows ORDER BY id')).toEqual([
      { id: 1, a: 'updated' },
      { id: 2, a: 'was missing' },
    ])
    backend.apply({
      store: 's',
      schemaVersion: 1,
      stateVersion: 0,
      tables: [{ table: 'rows', update: [{ columns, rows: [[3, 'alone and missing', 3, 3, 'a2', null]] }] }],
    })
    expect(await backend.query('SELECT a FROM rows WHERE id = 3')).toEqual([{ a: 'alone and missing' }])
  })

  it('reports a prepare as a write only when it created something, an index included', () => {
    const { driver } = limitedDriver(32766)
    let writes = 0
    const backend = createSqlBackend(driver, { onWrite: () => writes++ })
    backend.prepare('s', schema.spec)
    expect(writes).toBe(1)
    backend.prepare('s', schema.spec)
    expect(writes).toBe(1)
    const indexed = defineSchema({
      state: {
        rows: collection({
          table: 'rows',
          key: 'id',
          columns: { id: column.integer(), a: column.text(), b: column.integer(), c: column.real() },
          indexes: [{ columns: ['a'] }],
          children: { parts: collection({ table: 'parts', key: 'n', columns: { n: column.integer() } }) },
        }),
      },
    })
    backend.prepare('s', indexed.spec)
    expect(writes).toBe(2)
  })

  it('stamps times and the state version on upserts and updates, keeping `since` while the flag stays 1', () => {
    let clock = 1000
    const { driver } = limitedDriver(100)
    const backend = createSqlBackend(driver, { now: () => clock })
    const stamped = defineSchema({
      state: {
        flags: collection({
          table: 'flags',
          shape: 'record',
          keyColumn: 'name',
          value: column.boolean({ column: 'enabled', since: 'enabled_at' }),
          timestamps: { created: 'born', updated: 'touched' },
          versionColumn: 'v',
        }),
      },
    })
    backend.prepare('s', stamped.spec)
    const write = (mode: 'upsert' | 'update', rows: [string, number][], stateVersion = 1): unknown =>
      backend.apply({
        store: 's',
        schemaVersion: 1,
        stateVersion,
        tables: [{ table: 'flags', [mode]: [{ columns: ['name', 'enabled'], rows }] }],
      })
    const read = (): unknown =>
      backend.query('SELECT name, enabled, enabled_at, born, touched, v FROM flags ORDER BY name')
    write('upsert', [
      ['a', 1],
      ['b', 0],
    ])
    clock = 2000
    // The conflict path of the upsert: `a` stays enabled, `b` becomes enabled.
    write('upsert', [
      ['a', 1],
      ['b', 1],
    ])
    expect(read()).toEqual([
      { name: 'a', enabled: 1, enabled_at: 1000, born: 1000, touched: 2000, v: 1 },
      { name: 'b', enabled: 1, enabled_at: 2000, born: 1000, touched: 2000, v: 1 },
    ])
    clock = 3000
    // The update path, and a missing row (`c`) written by the upsert fallback.
    write(
      'update',
      [
        ['a', 0],
        ['b', 1],
        ['c', 1],
      ],
      2,
    )
    expect(read()).toEqual([
      { name: 'a', enabled: 0, enabled_at: null, born: 1000, touched: 3000, v: 2 },
      { name: 'b', enabled: 1, enabled_at: 2000, born: 1000, touched: 3000, v: 2 },
      { name: 'c', enabled: 1, enabled_at: 3000, born: 3000, touched: 3000, v: 2 },
    ])
    expect(backend.load('s')).toMatchObject({ tables: { flags: { columns: ['name', 'enabled'] } } })
  })

  it('refuses stamp options that cannot work', () => {
    const bad = (options: Parameters<typeof column.text>[0]) => () =>
      defineSchema({ state: { x: collection({ table: 'x', shape: 'record', value: column.text(options) }) } })
    expect(bad({ since: 'at' })).toThrow(/not a boolean/)
    expect(() => defineSchema({ tables: { t: table({ columns: { on: column.boolean({ since: 'at' }) } }) } })).toThrow(
      /append-only/,
    )
    expect(() =>
      defineSchema({
        state: {
          x: collection({ table: 'x', key: 'id', columns: { id: column.text() }, timestamps: { created: 'id' } }),
        },
      }),
    ).toThrow(/two columns/)
  })

  it('refuses a ChangeSet naming an unknown table or column, writing nothing', () => {
    const { driver } = limitedDriver(32766)
    const backend = createSqlBackend(driver)
    backend.prepare('s', schema.spec)
    const attempt = (tables: unknown) => () =>
      backend.apply({ store: 's', schemaVersion: 1, stateVersion: 0, tables } as never)
    expect(attempt([{ table: 'nope', upsert: [] }])).toThrow(expect.objectContaining({ code: 'INVALID_CHANGESET' }))
    expect(attempt([{ table: 'rows', upsert: [{ columns: ['id', 'evil"col'], rows: [[1, 2]] }] }])).toThrow(
      expect.objectContaining({ code: 'INVALID_CHANGESET' }),
    )
    expect(() => backend.apply({ store: 'other', schemaVersion: 1, stateVersion: 0, tables: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_CHANGESET' }),
    )
    expect(() => backend.apply({ store: 's', schemaVersion: 2, stateVersion: 0, tables: [] })).toThrow(
      expect.objectContaining({ code: 'INVALID_CHANGESET' }),
    )
  })

  it('refuses a database that belongs to another application', () => {
    const { driver, db } = limitedDriver(32766)
    db.exec('PRAGMA application_id = 1234; CREATE TABLE theirs (x)')
    const backend = createSqlBackend(driver)
    expect(() => backend.prepare('s', schema.spec)).toThrow(expect.objectContaining({ code: 'FOREIGN_DATABASE' }))
    expect(db.prepare(`SELECT count(*) FROM sqlite_schema`).pluck().get()).toBe(1)
  })

  it('refuses a database written by a newer zustand-sqlite', () => {
    const { driver, db } = limitedDriver(32766)
    createSqlBackend(driver).prepare('s', schema.spec)
    db.exec(`UPDATE zs_info SET value = '99' WHERE key = 'format'`)
    const again = createSqlBackend(driver)
    expect(() => again.prepare('s', schema.spec)).toThrow(expect.objectContaining({ code: 'SCHEMA_TOO_NEW' }))
  })

  it('takes only reading statements in query', async () => {
    const { driver } = limitedDriver(32766)
    const backend = createSqlBackend(driver)
    backend.prepare('s', schema.spec)
    for (const sql of [
      'PRAGMA foreign_keys = OFF',
      "ATTACH DATABASE 'x.db' AS x",
      'DELETE FROM rows',
      'WITH x AS (SELECT 1) DELETE FROM rows',
    ]) {
      expect(() => backend.query(sql)).toThrow(expect.objectContaining({ code: 'QUERY_FAILED' }))
    }
    expect(await backend.query('/* count */ SELECT count(*) AS n FROM rows')).toEqual([{ n: 0 }])
    expect(await backend.query('SELECT foreign_keys FROM pragma_foreign_keys')).toHaveLength(1)
  })

  it('fails every call after close with BACKEND_CLOSED', () => {
    const { driver } = limitedDriver(32766)
    const backend = createSqlBackend(driver)
    backend.close()
    expect(() => backend.load('s')).toThrow(expect.objectContaining({ code: 'BACKEND_CLOSED' }))
  })
})

describe('foreign keys declared on columns', () => {
  it('reference another table of the schema and apply their ON DELETE action', async () => {
    const linked = defineSchema({
      state: {
        folders: collection({
          table: 'folders',
          key: 'id',
          columns: { id: column.text() },
          children: {
            conversationIds: collection({
              table: 'folder_conversations',
              parentColumns: ['folder_id'],
              value: column.text({
                column: 'conversation_id',
                references: { table: 'conversations', onDelete: 'cascade' },
              }),
            }),
          },
        }),
        // Declared after the table that references it: tables are still written in dependency order.
        conversations: collection({ table: 'conversations', key: 'id', columns: { id: column.text() } }),
      },
    })
    const { driver, db } = limitedDriver(32766)
    db.pragma('foreign_keys = ON')
    const backend = createSqlBackend(driver)
    type S = { conversations: { id: string }[]; folders: { id: string; conversationIds: string[] }[] }
    const store = createStore<S>()(
      persistSQLite((): S => ({ conversations: [], folders: [] }), {
        name: 'fk',
        backend,
        schema: linked,
        onError: () => undefined,
      }),
    )
    store.setState({
      conversations: [{ id: 'c1' }, { id: 'c2' }],
      folders: [{ id: 'f', conversationIds: ['c2', 'c1'] }],
    })
    await store.persist.flush()
    const ddl = db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'folder_conversations'`).pluck().get() as string
    expect(ddl).toContain('FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON DELETE CASCADE')
    store.setState((s) => ({ conversations: s.conversations.filter((c) => c.id !== 'c1') }))
    await store.persist.flush()
    expect(await backend.query('SELECT conversation_id FROM folder_conversations')).toEqual([{ conversation_id: 'c2' }])
    // A link to a conversation that does not exist is refused by the database, and nothing of that write lands.
    store.setState((s) => ({
      folders: [{ ...s.folders[0]!, conversationIds: ['c2', 'ghost'] }],
      conversations: [{ id: 'c2' }, { id: 'c3' }],
    }))
    await expect(store.persist.flush()).rejects.toMatchObject({ code: 'WRITE_FAILED' })
    expect(await backend.query('SELECT id FROM conversations ORDER BY id')).toEqual([{ id: 'c2' }])
  })

  it('check references at commit, so rows of one set may come in any order (a folder before its parent)', async () => {
    const tree = defineSchema({
      state: {
        nodes: collection({
          table: 'nodes',
          key: 'id',
          order: false,
          columns: {
            id: column.text(),
            parentId: column.text({ nullable: true, references: { table: 'nodes', onDelete: 'no action' } }),
          },
        }),
      },
    })
    const { driver, db } = limitedDriver(32766)
    db.pragma('foreign_keys = ON')
    const backend = createSqlBackend(driver)
    type S = { nodes: { id: string; parentId: string | null }[] }
    const store = createStore<S>()(
      persistSQLite((): S => ({ nodes: [] }), { name: 'tree', backend, schema: tree, onError: () => undefined }),
    )
    const ddl = () => db.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'nodes'`).pluck().get() as string
    // Children listed before their parents, in one set.
    store.setState({
      nodes: [
        { id: 'c', parentId: 'b' },
        { id: 'b', parentId: 'a' },
        { id: 'a', parentId: null },
      ],
    })
    await store.persist.flush()
    expect(ddl()).toContain('ON DELETE NO ACTION DEFERRABLE INITIALLY DEFERRED')
    expect(await backend.query('SELECT count(*) AS n FROM nodes')).toEqual([{ n: 3 }])
    // Deleting a parent before its children in one set works too; deleting it alone is refused at commit.
    store.setState({ nodes: [{ id: 'a', parentId: null }] })
    await store.persist.flush()
    store.setState({ nodes: [{ id: 'x', parentId: 'ghost' }] })
    await expect(store.persist.flush()).rejects.toMatchObject({ code: 'WRITE_FAILED' })
    expect(await backend.query('SELECT id FROM nodes ORDER BY id')).toEqual([{ id: 'a' }])
    // The failed commit left no transaction open: the next good write lands.
    store.setState({
      nodes: [
        { id: 'x', parentId: 'a' },
        { id: 'a', parentId: null },
      ],
    })
    await store.persist.flush()
    expect(await backend.query('SELECT id FROM nodes ORDER BY id')).toEqual([{ id: 'a' }, { id: 'x' }])
  })

  it('puts lazy columns last, so loading a row never reads through its content', () => {
    const files = defineSchema({
      state: {
        files: collection({
          table: 'files',
          key: 'id',
          columns: { id: column.text(), content: column.blob({ lazy: true }), name: column.text() },
          timestamps: true,
        }),
      },
    })
    const { driver, db } = limitedDriver(32766)
    const backend = createSqlBackend(driver)
    backend.prepare('files', files.spec)
    const columns = db.prepare(`SELECT name FROM pragma_table_info('files') ORDER BY cid`).pluck().all()
    expect(columns).toEqual(['id', 'name', 'sort_key', 'extra', 'created_at', 'updated_at', 'content'])
  })
})
