import { describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import type { Backend } from '../contract/backend'
import type { ChangeSet } from '../contract/changeSet'
import { isZustandSqliteError } from '../contract/errors'
import type { ZustandSqliteErrorCode } from '../contract/errors'
import type { MaybePromise } from '../contract/maybe'
import { persistSQLite } from '../middleware/persistSQLite'
import type { CommitInfo, PersistSQLiteApi, PersistSQLiteOptions } from '../middleware/options'
import { collection, column, defineSchema, singleton } from '../schema/defineSchema'
import type { StoreSchema } from '../schema/defineSchema'
import { isLoaded, NOT_LOADED } from '../schema/notLoaded'
import { readLazyColumn } from '../store/readLazyColumn'
import { whenHydrated } from '../store/whenHydrated'
import { applyManyCases } from './applyMany'
import { shapesSchema, shapesState, typedItems, typesSchema } from './fixtures'
import type { ShapesState, TypedItem } from './fixtures'

export { shapesSchema, shapesState, typedItems, typesSchema }
export type { ShapesState, TypedItem }

/**
 * The cases of the conformance suite, by name. A backend that cannot support one opts out of it by
 * name, with its reason: the case is reported as skipped, with the reason in its title.
 */
export type ConformanceCase =
  | 'columnTypes'
  | 'mappingShapes'
  | 'lazyWrites'
  | 'unversionedChangeSets'
  | 'keyValueRows'
  | 'atomicity'
  | 'failedWrites'
  | 'arrayOrder'
  | 'largeChangeSets'
  | 'nestedDeletes'
  | 'clear'
  | 'concurrentFlushes'
  | 'ddlMigrations'
  | 'newerSchemas'
  | 'stamps'
  | 'tableConflicts'
  | 'readOnlyQueries'
  | 'unstorableValues'
  | 'revisions'
  | 'loadOnDemand'
  /**
   * `applyMany`, which a Backend may lack: opting out of it runs one case that checks the backend indeed
   * has none, instead of skipping.
   */
  | 'applyMany'

/** Options of {@link runBackendConformance}. */
export interface ConformanceOptions {
  /**
   * Cases this backend does not run, each with the reason (shown in the test report). `applyMany` is not
   * skipped but checked to be absent. @default none
   */
  readonly optOut?: Partial<Readonly<Record<ConformanceCase, string>>>
}

/** How the conformance suite gets backends. */
export interface BackendHarness {
  /** Opens a backend on new, empty storage. */
  open(): MaybePromise<Backend>
  /**
   * Opens, as a new process would, the storage of the backend the last `open()` returned, after that
   * backend was closed.
   */
  reopen(): MaybePromise<Backend>
  /** Called after each test, to remove what `open()` created. */
  cleanup?(): MaybePromise<void>
}

type Persisted<S> = StoreApi<S> & { persist: PersistSQLiteApi<S, unknown> }

/** A store persisted on `backend`, with errors collected instead of logged. */
export function persistedStore<S extends object>(
  backend: Backend,
  initial: S,
  options: Omit<PersistSQLiteOptions<S>, 'backend'>,
): Persisted<S> & { errors: unknown[]; commits: CommitInfo[] } {
  const errors: unknown[] = []
  const commits: CommitInfo[] = []
  const store = createStore<S>()(
    persistSQLite(() => initial, {
      onError: (e) => errors.push(e),
      onCommit: (c) => commits.push(c),
      ...options,
      backend,
    }),
  ) as Persisted<S>
  return Object.assign(store, { errors, commits })
}

/** Resolves once the store has hydrated, whether that was synchronous or not (core's `whenHydrated`). */
export const hydrated = whenHydrated

/** Resolves once a store of {@link persistedStore} has hydrated or reported why it could not. */
export function hydrationSettled(store: {
  persist: { hasHydrated(): boolean }
  errors: readonly unknown[]
}): Promise<void> {
  return vi.waitFor(() => {
    if (!store.persist.hasHydrated() && store.errors.length === 0) throw new Error('still hydrating')
  })
}

function expectCode(error: unknown, code: ZustandSqliteErrorCode): void {
  expect(isZustandSqliteError(error), `expected a ZustandSqliteError, got ${String(error)}`).toBe(true)
  expect((error as { code: string }).code).toBe(code)
}

async function rejection(action: () => MaybePromise<unknown>): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** Threads whose posts (and their marks) load on demand, with a count. */
const onDemandSchema = defineSchema({
  state: {
    threads: collection({
      table: 'threads',
      key: 'id',
      children: {
        posts: collection({
          table: 'posts',
          key: 'id',
          load: 'onDemand',
          countField: 'postCount',
          columns: { id: column.text(), body: column.text() },
          children: {
            marks: collection({ table: 'marks', key: 'id', columns: { id: column.text(), at: column.integer() } }),
          },
        }),
      },
    }),
  },
})

/** Byte-for-byte equality of a Uint8Array, without a deep compare per element (slow on large arrays). */
function expectSameBytes(actual: unknown, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array)
  const bytes = actual as Uint8Array
  expect(bytes.length).toBe(expected.length)
  let same = true
  for (let i = 0; i < bytes.length && same; i++) same = bytes[i] === expected[i]
  expect(same, 'the bytes differ').toBe(true)
}

function withoutLazy(state: ShapesState): ShapesState {
  const files: ShapesState['files'] = {}
  for (const [id, file] of Object.entries(state.files)) files[id] = { name: file.name }
  return { ...state, files }
}

/**
 * The suite every backend runs: round trips of every column type and mapping shape, atomicity, reopen
 * durability, ordering, large batches, clear, concurrent flushes, migrations, revisions, refusals and
 * several stores committed in one transaction (`applyMany`).
 * A backend opts out of a case only by name, visibly: `{ optOut: { ddlMigrations: 'why' } }`.
 *
 * @example
 * ```ts
 * runBackendConformance('better-sqlite3', {
 *   open: () => createBetterSqlite3Backend({ filename: (file = tempFile()) }),
 *   reopen: () => createBetterSqlite3Backend({ filename: file }),
 * })
 * ```
 */
export function runBackendConformance(name: string, harness: BackendHarness, options: ConformanceOptions = {}): void {
  const test = (id: ConformanceCase, title: string, body: () => Promise<void>): void => {
    const reason = options.optOut?.[id]
    if (reason === undefined) it(title, body)
    else it.skip(`${title} [opted out of ${id}: ${reason}]`, body)
  }
  const run = async (test: (backend: Backend) => Promise<void>): Promise<void> => {
    const backend = await harness.open()
    try {
      await test(backend)
    } finally {
      try {
        await backend.close()
      } catch {
        // closed by the test
      }
      await harness.cleanup?.()
    }
  }

  const reopened = async (backend: Backend): Promise<Backend> => {
    await backend.close()
    return harness.reopen()
  }

  describe(`${name}: backend conformance`, () => {
    applyManyCases({ run, reopened }, options.optOut?.applyMany)

    test(
      'loadOnDemand',
      'leaves the tables of collections loaded on demand out of a load, or loads them whole, and loads one item',
      () =>
        run(async (backend) => {
          const threads = (n: number) =>
            Array.from({ length: n }, (_, i) => ({
              id: `t${i}`,
              posts: Array.from({ length: i + 1 }, (_, j) => ({
                id: `p${j}`,
                body: `${i}.${j}`,
                marks: [{ id: 'm', at: j }],
              })),
            }))
          type Thread = ReturnType<typeof threads>[number] & { postCount?: number }
          const a = persistedStore(backend, { threads: [] as Thread[] }, { name: 'threads', schema: onDemandSchema })
          await hydrated(a)
          a.setState({ threads: threads(3) })
          await a.persist.flush()
          const loaded = await backend.load('threads', { skipTables: ['posts', 'marks'] })
          expect(loaded.tables['threads']?.rows).toHaveLength(3)
          for (const table of ['posts', 'marks']) {
            const rows = loaded.tables[table]?.rows
            // Left out, or (a backend that cannot leave tables out) all there.
            if (rows !== undefined) expect(rows).toHaveLength(6)
          }
          const b = persistedStore(
            backend,
            { threads: [] as Thread[] },
            { name: 'threads', schema: onDemandSchema, hydrate: 'onDemand' },
          )
          await hydrated(b)
          const counts = b.getState().threads.map((t) => (isLoaded(t.posts) ? t.posts.length : t.postCount))
          expect(counts).toEqual([1, 2, 3])
          if (loaded.tables['posts'] === undefined) expect(b.getState().threads[2]?.posts).toBe(NOT_LOADED)
          await b.persist.loadOnDemand('threads', 't2')
          const { postCount: _count, ...t2 } = b.getState().threads[2] as Thread
          expect(t2).toEqual(threads(3)[2])
          b.setState((s) => ({ threads: s.threads.map((t, i) => (i === 0 ? { ...t, id: 't0' } : t)) }))
          await b.persist.flush()
          expect(b.errors).toEqual([])
        }),
    )

    test('columnTypes', 'round-trips every column type through a reopen', () =>
      run(async (backend) => {
        const a = persistedStore(backend, { items: [] as TypedItem[] }, { name: 'types', schema: typesSchema })
        await hydrated(a)
        a.setState({ items: typedItems() })
        await a.persist.flush()
        const again = await reopened(backend)
        try {
          const b = persistedStore(again, { items: [] as TypedItem[] }, { name: 'types', schema: typesSchema })
          await hydrated(b)
          expect(b.getState().items).toEqual(typedItems())
          expect(b.errors).toEqual([])
        } finally {
          await again.close()
        }
      }),
    )

    test(
      'mappingShapes',
      'round-trips every mapping shape, keeps lazy columns out of state and appends to tables',
      () =>
        run(async (backend) => {
          const empty = {
            ...shapesState(),
            conversations: [],
            folders: [],
            services: {},
            flags: {},
            tags: [],
            files: {},
          }
          const a = persistedStore<ShapesState>(backend, empty, { name: 'shapes', schema: shapesSchema })
          await hydrated(a)
          a.setState(shapesState())
          a.persist.append('events', [
            { name: 'boot', value: 1.5 },
            { name: 'boot', value: 2 },
          ])
          await a.persist.flush()
          const again = await reopened(backend)
          try {
            const b = persistedStore<ShapesState>(again, empty, { name: 'shapes', schema: shapesSchema })
            await hydrated(b)
            expect(b.getState()).toEqual(withoutLazy(shapesState()))
            const content = await readLazyColumn(again, shapesSchema, { table: 'files', key: 'f1', field: 'content' })
            expect(content).toEqual(new Uint8Array([1, 2, 3]))
            expect(await again.query('SELECT name, value FROM events ORDER BY id')).toEqual([
              { name: 'boot', value: 1.5 },
              { name: 'boot', value: 2 },
            ])
            // A file edited without its lazy content keeps the stored content.
            b.setState((s) => ({ files: { f1: { ...(s.files['f1'] as { name: string }), name: 'renamed.txt' } } }))
            await b.persist.flush()
            expect(await readLazyColumn(again, shapesSchema, { table: 'files', key: 'f1', field: 'content' })).toEqual(
              new Uint8Array([1, 2, 3]),
            )
          } finally {
            await again.close()
          }
        }),
    )

    describe.each([
      { where: 'in the row', lazyTable: undefined },
      { where: 'in a lazy table', lazyTable: 'file_bodies' },
    ])('lazy content $where', ({ lazyTable }) => {
      type Files = { files: Record<string, { name: string; content?: Uint8Array }>; tags: number[] }
      const schema = defineSchema({
        state: {
          files: collection({
            table: 'files',
            shape: 'record',
            keyColumn: 'file_id',
            columns: { name: column.text(), content: column.blob({ lazy: true, nullable: true }) },
            ...(lazyTable === undefined ? {} : { lazyTable }),
          }),
          tags: collection({ table: 'tags', value: column.integer({ column: 'tag' }) }),
        },
      })
      const home = lazyTable ?? 'files'

      test('lazyWrites', 'writes and copies lazy content outside state, in the transaction of the tick', () =>
        run(async (backend) => {
          const a = persistedStore<Files>(backend, { files: {}, tags: [] }, { name: 'lazy', schema })
          await hydrated(a)
          a.setState({ tags: [1] })
          await a.persist.flush()
          a.commits.length = 0
          const big = new Uint8Array(300_000).map((_, i) => i % 251)
          a.setState({ files: { f1: { name: 'a.bin' }, f2: { name: 'b.bin' } } })
          a.persist.writeLazy('files', 'f1', { content: big })
          a.persist.copyLazy('files', 'f1', 'f2', ['content'])
          a.persist.writeLazy('files', 'nowhere', { content: new Uint8Array([9]) })
          await a.persist.flush()
          expect(a.commits).toHaveLength(1)
          expect(a.commits[0]?.tables).toEqual({ files: 5 })
          expect(a.getState().files).toEqual({ f1: { name: 'a.bin' }, f2: { name: 'b.bin' } })
          const read = (key: string): MaybePromise<unknown> =>
            readLazyColumn(backend, schema, { table: 'files', key, field: 'content' })
          expectSameBytes(await read('f1'), big)
          expectSameBytes(await read('f2'), big)
          // A key with no row is left alone: no row is made for it.
          expect(await backend.query(`SELECT count(*) AS n FROM files`)).toEqual([{ n: 2 }])
          expect(await backend.query(`SELECT count(*) AS n FROM ${home}`)).toEqual([{ n: 2 }])
          // A value the column cannot hold is refused at once, and nothing is queued.
          expectCode(
            (() => {
              try {
                a.persist.writeLazy('files', 'f1', { content: 'text' })
              } catch (error) {
                return error
              }
              return undefined
            })(),
            'UNSTORABLE_VALUE',
          )
          expect(() => a.persist.writeLazy('files', 'f1', { name: 'x' })).toThrow(/no lazy field/)
          // A ChangeSet from elsewhere may only name lazy columns.
          expectCode(
            await rejection(() =>
              backend.apply({
                store: 'lazy',
                schemaVersion: 1,
                stateVersion: 0,
                tables: [{ table: 'files', lazy: [{ key: ['f1'], columns: ['name'], values: ['x'] }] }],
              }),
            ),
            'INVALID_CHANGESET',
          )
          expectSameBytes(await read('f1'), big)
          // Renaming a file writes its row, and leaves the content where it is.
          a.commits.length = 0
          a.setState((st) => ({ files: { ...st.files, f1: { name: 'renamed.bin' } } }))
          await a.persist.flush()
          expect(a.commits[0]?.tables).toEqual({ files: 1 })
          expectSameBytes(await read('f1'), big)
          // A copy whose source goes in the same tick still gets the content (written just before, too).
          a.setState({ files: { f2: { name: 'b.bin' }, f3: { name: 'c.bin' }, f4: { name: 'd.bin' } } })
          a.persist.copyLazy('files', 'f1', 'f3', ['content'])
          a.persist.writeLazy('files', 'f2', { content: new Uint8Array([4, 2]) })
          a.persist.copyLazy('files', 'f2', 'f4', ['content'])
          await a.persist.flush()
          expectSameBytes(await read('f3'), big)
          expect(await read('f4')).toEqual(new Uint8Array([4, 2]))
          // A source created, written, copied and deleted in one tick never has a row: the copy gets its
          // content. A copy from a row that is nowhere leaves the target alone.
          a.setState({ files: { f2: { name: 'b.bin' }, f5: { name: 'e.bin' } } })
          a.persist.writeLazy('files', 'temp', { content: new Uint8Array([5]) })
          a.persist.copyLazy('files', 'temp', 'f5', ['content'])
          a.persist.copyLazy('files', 'ghost', 'f2', ['content'])
          await a.persist.flush()
          expect(await read('f5')).toEqual(new Uint8Array([5]))
          expect(await read('f2')).toEqual(new Uint8Array([4, 2]))
          a.setState({ files: { f2: { name: 'b.bin' } } })
          a.persist.copyLazy('files', 'ghost', 'f2', ['content'])
          a.persist.writeLazy('files', 'f2', { content: big })
          await a.persist.flush()
          a.persist.copyLazy('files', 'ghost', 'f2', ['content'])
          await a.persist.flush()
          expectSameBytes(await read('f2'), big)
          // A copy of a copy gets the first source's content as it was when copied: even when the middle row
          // never exists (created and dropped in the tick), and when the first source is written after.
          a.setState({ files: { f2: { name: 'b.bin' }, f8: { name: 'h.bin' }, f9: { name: 'i.bin' } } })
          a.persist.copyLazy('files', 'f2', 'middle', ['content'])
          a.persist.copyLazy('files', 'middle', 'f8', ['content'])
          a.persist.writeLazy('files', 'f2', { content: new Uint8Array([8]) })
          a.persist.copyLazy('files', 'f8', 'f9', ['content'])
          await a.persist.flush()
          expectSameBytes(await read('f8'), big)
          expectSameBytes(await read('f9'), big)
          expect(await read('f2')).toEqual(new Uint8Array([8]))
          a.setState({ files: { f2: { name: 'b.bin' } } })
          a.persist.writeLazy('files', 'f2', { content: big })
          await a.persist.flush()
          // Deleted items take their content with them.
          expect(await backend.query(`SELECT count(*) AS n FROM ${home}`)).toEqual([{ n: 1 }])
          // Content held in state is written too (where the schema keeps it), and null clears it.
          a.setState({ files: { f2: { name: 'b.bin' }, f6: { name: 'f.bin', content: new Uint8Array([6]) } } })
          await a.persist.flush()
          expect(await read('f6')).toEqual(new Uint8Array([6]))
          a.setState({ files: { f2: { name: 'b.bin' }, f6: { name: 'f.bin', content: null as never } } })
          await a.persist.flush()
          expect(await read('f6')).toBeNull()
          const again = await reopened(backend)
          try {
            const b = persistedStore<Files>(again, { files: {}, tags: [] }, { name: 'lazy', schema })
            await hydrated(b)
            expect(b.getState().files).toEqual({ f2: { name: 'b.bin' }, f6: { name: 'f.bin' } })
            expectSameBytes(await readLazyColumn(again, schema, { table: 'files', key: 'f2', field: 'content' }), big)
            await b.persist.clearStorage()
            expect(await again.query(`SELECT count(*) AS n FROM ${home}`)).toEqual([{ n: 0 }])
          } finally {
            await again.close()
          }
        }),
      )
    })

    test(
      'unversionedChangeSets',
      'applies a ChangeSet without a state version, keeping the version the store recorded',
      () =>
        run(async (backend) => {
          const empty = {
            ...shapesState(),
            conversations: [],
            folders: [],
            services: {},
            flags: {},
            tags: [],
            files: {},
          }
          const a = persistedStore<ShapesState>(backend, empty, {
            name: 'maintained',
            schema: shapesSchema,
            version: 3,
          })
          await hydrated(a)
          a.setState({ tags: [1] })
          a.persist.append('events', [
            { name: 'old', value: 1 },
            { name: 'new', value: 2 },
          ])
          await a.persist.flush()
          const [oldest] = await backend.query(`SELECT id FROM events WHERE name = 'old'`)
          // A maintenance write (retention, a trim) that does not know the state version.
          await backend.apply({
            store: 'maintained',
            schemaVersion: 1,
            tables: [{ table: 'events', delete: [[oldest?.['id'] ?? null]] }],
          })
          expect(await backend.query('SELECT name FROM events')).toEqual([{ name: 'new' }])
          const again = await reopened(backend)
          try {
            await again.prepare('maintained', shapesSchema.spec)
            expect((await again.load('maintained')).stateVersion).toBe(3)
          } finally {
            await again.close()
          }
        }),
    )

    test(
      'keyValueRows',
      'stores a store without a schema as one row per key and rewrites only the keys that changed',
      () =>
        run(async (backend) => {
          const a = persistedStore(backend, { a: 1, b: { deep: [1, 2] }, c: 'x', fn: () => 1 }, { name: 'plain' })
          await hydrated(a)
          a.setState({ a: 2 })
          await a.persist.flush()
          expect(a.commits.at(-1)?.tables).toEqual({ zs_kv: 3 })
          a.setState({ c: 'y' })
          await a.persist.flush()
          expect(a.commits.at(-1)?.tables).toEqual({ zs_kv: 1 })
          const rows = await backend.query(`SELECT key, value FROM zs_kv WHERE store = 'plain' ORDER BY key`)
          expect(rows).toEqual([
            { key: 'a', value: '2' },
            { key: 'b', value: '{"deep":[1,2]}' },
            { key: 'c', value: '"y"' },
          ])
        }),
    )

    test('atomicity', 'applies a ChangeSet that fails half-way as nothing at all', () =>
      run(async (backend) => {
        await backend.prepare('atomic', shapesSchema.spec)
        const good: ChangeSet = {
          store: 'atomic',
          schemaVersion: 1,
          stateVersion: 0,
          tables: [
            {
              table: 'conversations',
              upsert: [
                { columns: ['id', 'created', 'user_title', 'sort_key', 'extra'], rows: [['c1', 1, null, 'a0', null]] },
              ],
            },
          ],
        }
        await backend.apply(good)
        const bad: ChangeSet = {
          store: 'atomic',
          schemaVersion: 1,
          stateVersion: 0,
          tables: [
            { table: 'conversations', delete: [['c1']] },
            {
              table: 'settings',
              upsert: [{ columns: ['id', 'theme', 'font_size', 'extra'], rows: [[1, 'dark', 12, null]] }],
            },
            // NOT NULL violation in the last table: everything before it must roll back.
            { table: 'tags', upsert: [{ columns: ['tag', 'sort_key'], rows: [[1, null]] }] },
          ],
        }
        expectCode(await rejection(() => backend.apply(bad)), 'WRITE_FAILED')
        const loaded = await backend.load('atomic')
        expect(loaded.tables['conversations']?.rows).toHaveLength(1)
        expect(loaded.tables['settings']?.rows).toHaveLength(0)
      }),
    )

    test(
      'failedWrites',
      'writes the rest when the database refuses a row, reports it, and writes it when it changes',
      () =>
        run(async (backend) => {
          const schema = defineSchema({
            state: {
              users: collection({
                table: 'users',
                key: 'id',
                columns: { id: column.text(), email: column.text() },
                indexes: [{ columns: ['email'], unique: true }],
              }),
            },
          })
          const a = persistedStore(backend, { users: [] as { id: string; email: string }[] }, { name: 'users', schema })
          await hydrated(a)
          a.setState({ users: [{ id: 'u1', email: 'a@x' }] })
          await a.persist.flush()
          a.setState({
            users: [
              { id: 'u1', email: 'a@x' },
              { id: 'u2', email: 'b@x' },
              { id: 'u3', email: 'b@x' },
            ],
          })
          const refused = await rejection(() => a.persist.flush())
          expectCode(refused, 'ROW_REFUSED')
          expect((refused as { path: string }).path).toBe('users[id="u3"]')
          expect(a.errors).toHaveLength(1)
          expect(a.getState().users).toHaveLength(3)
          expect((await backend.load('users')).tables['users']?.rows).toHaveLength(2)
          a.setState((s) => ({ users: s.users.map((u) => (u.id === 'u3' ? { ...u, email: 'c@x' } : u)) }))
          await a.persist.flush()
          expect((await backend.load('users')).tables['users']?.rows).toHaveLength(3)
        }),
    )

    test(
      'arrayOrder',
      'keeps array order through inserts, moves and deletes, writing one row per inserted or moved item',
      () =>
        run(async (backend) => {
          const schema = defineSchema({
            state: { list: collection({ table: 'ordered', key: 'id', columns: { id: column.integer() } }) },
          })
          const a = persistedStore(backend, { list: [] as { id: number }[] }, { name: 'order', schema })
          await hydrated(a)
          a.setState({ list: Array.from({ length: 1000 }, (_, id) => ({ id })) })
          await a.persist.flush()
          let nextId = 1000
          let seed = 7
          const random = (n: number): number => {
            seed = (seed * 1103515245 + 12345) % 2147483648
            return seed % n
          }
          for (let step = 0; step < 300; step++) {
            const list = [...a.getState().list]
            const op = step % 3
            if (op === 0) list.splice(random(list.length + 1), 0, { id: nextId++ })
            else if (op === 1) {
              const [moved] = list.splice(random(list.length), 1)
              list.splice(random(list.length + 1), 0, moved as { id: number })
            } else list.splice(random(list.length), 1)
            const orderChanged =
              list.some((item, i) => item.id !== a.getState().list[i]?.id) || list.length !== a.getState().list.length
            const commitsBefore = a.commits.length
            a.setState({ list })
            await a.persist.flush()
            // A move onto the same place changes nothing and writes nothing; every other step is one row.
            expect(a.commits.length).toBe(commitsBefore + (orderChanged ? 1 : 0))
            if (orderChanged) expect(a.commits.at(-1)?.tables['ordered']).toBe(1)
          }
          a.setState((s) => ({ list: [{ id: nextId++ }, ...s.list] }))
          await a.persist.flush()
          expect(a.commits.at(-1)?.rows).toBe(1)
          const expected = a.getState().list
          const again = await reopened(backend)
          try {
            const b = persistedStore(again, { list: [] as { id: number }[] }, { name: 'order', schema })
            await hydrated(b)
            expect(b.getState().list).toEqual(expected)
          } finally {
            await again.close()
          }
        }),
    )

    test('largeChangeSets', 'saves and loads 100k rows of 10 columns, and deletes them in one ChangeSet', () =>
      run(async (backend) => {
        const schema = defineSchema({
          state: {
            rows: collection({
              table: 'wide',
              key: 'id',
              rest: false,
              columns: {
                id: column.integer(),
                a: column.text(),
                b: column.integer(),
                c: column.real(),
                d: column.boolean(),
                e: column.text(),
                f: column.integer(),
                g: column.text(),
                h: column.json(),
              },
            }),
          },
        })
        const rows = Array.from({ length: 100_000 }, (_, id) => ({
          id,
          a: `a${id}`,
          b: id * 2,
          c: id / 3,
          d: id % 2 === 0,
          e: 'e',
          f: -id - 1,
          g: `g${id % 97}`,
          h: [id],
        }))
        const a = persistedStore(backend, { rows: [] as typeof rows }, { name: 'wide', schema })
        await hydrated(a)
        a.setState({ rows })
        await a.persist.flush()
        expect(a.commits.at(-1)?.rows).toBe(100_000)
        const b = persistedStore(backend, { rows: [] as typeof rows }, { name: 'wide', schema })
        await hydrated(b)
        expect(b.getState().rows).toEqual(rows)
        b.setState({ rows: [] })
        await b.persist.flush()
        expect(b.commits.at(-1)?.rows).toBe(100_000)
        expect(await backend.query('SELECT count(*) AS n FROM wide')).toEqual([{ n: 0 }])
      }),
    )

    test('nestedDeletes', 'deletes nested rows with their parent', () =>
      run(async (backend) => {
        const a = persistedStore<ShapesState>(backend, shapesState(), { name: 'cascade', schema: shapesSchema })
        await hydrated(a)
        a.setState(shapesState())
        await a.persist.flush()
        a.setState((s) => ({ conversations: s.conversations.filter((c) => c.id !== 'c2') }))
        await a.persist.flush()
        expect(a.commits.at(-1)?.rows).toBe(1)
        expect(await backend.query(`SELECT conversation_id, id FROM messages`)).toEqual([
          { conversation_id: 'c1', id: 'm1' },
        ])
        expect(await backend.query(`SELECT conversation_id, message_id, f_id FROM fragments`)).toEqual([
          { conversation_id: 'c1', message_id: 'm1', f_id: 'f1' },
        ])
      }),
    )

    test('clear', 'clears one store, leaving the others', () =>
      run(async (backend) => {
        const a = persistedStore(backend, { n: 1 }, { name: 'first' })
        const b = persistedStore(backend, { n: 2 }, { name: 'second' })
        await Promise.all([hydrated(a), hydrated(b)])
        a.setState({ n: 10 })
        b.setState({ n: 20 })
        await Promise.all([a.persist.flush(), b.persist.flush()])
        await a.persist.clearStorage()
        expect((await backend.load('first')).stateVersion).toBeNull()
        const a2 = persistedStore(backend, { n: 1 }, { name: 'first' })
        const b2 = persistedStore(backend, { n: 2 }, { name: 'second' })
        await Promise.all([hydrated(a2), hydrated(b2)])
        expect(a2.getState().n).toBe(1)
        expect(b2.getState().n).toBe(20)
      }),
    )

    test('concurrentFlushes', 'resolves concurrent flushes once everything set before each is durable', () =>
      run(async (backend) => {
        const a = persistedStore(backend, { n: 0, log: [] as number[] }, { name: 'flushes' })
        await hydrated(a)
        const flushes: Promise<void>[] = []
        for (let i = 1; i <= 20; i++) {
          a.setState((s) => ({ n: i, log: [...s.log, i] }))
          if (i % 3 === 0) flushes.push(a.persist.flush())
        }
        flushes.push(a.persist.flush(), a.persist.flush())
        await Promise.all(flushes)
        const again = await reopened(backend)
        try {
          const b = persistedStore(again, { n: 0, log: [] as number[] }, { name: 'flushes' })
          await hydrated(b)
          expect(b.getState().n).toBe(20)
          expect(b.getState().log).toHaveLength(20)
        } finally {
          await again.close()
        }
      }),
    )

    test('ddlMigrations', 'runs DDL migrations in order, and a failing one changes nothing', () =>
      run(async (backend) => {
        const v1 = defineSchema({
          version: 1,
          state: { notes: collection({ table: 'notes', key: 'id', columns: { id: column.text() } }) },
        })
        const a = persistedStore(
          backend,
          { notes: [] as { id: string; pinned?: boolean }[] },
          { name: 'notes', schema: v1 },
        )
        await hydrated(a)
        a.setState({ notes: [{ id: 'n1' }] })
        await a.persist.flush()

        const broken = defineSchema({
          version: 3,
          migrations: {
            2: 'ALTER TABLE notes ADD COLUMN pinned INTEGER',
            3: ['ALTER TABLE notes ADD COLUMN archived INTEGER', 'THIS IS NOT SQL'],
          },
          state: {
            notes: collection({
              table: 'notes',
              key: 'id',
              columns: {
                id: column.text(),
                pinned: column.boolean({ optional: true }),
                archived: column.boolean({ optional: true }),
              },
            }),
          },
        })
        const failed = persistedStore(backend, { notes: [] as { id: string }[] }, { name: 'notes', schema: broken })
        await hydrationSettled(failed)
        expect(failed.persist.hasHydrated()).toBe(false)
        expect(failed.errors).toHaveLength(1)
        expectCode(failed.errors[0], 'MIGRATION_FAILED')
        const columns = await backend.query(`SELECT name FROM pragma_table_info('notes') ORDER BY cid`)
        expect(columns.map((c) => c['name'])).toEqual(['id', 'sort_key', 'extra'])

        const v2 = defineSchema({
          version: 2,
          migrations: { 2: 'ALTER TABLE notes ADD COLUMN pinned INTEGER CHECK (pinned IN (0, 1))' },
          state: {
            notes: collection({
              table: 'notes',
              key: 'id',
              columns: { id: column.text(), pinned: column.boolean({ optional: true }) },
            }),
          },
        })
        const b = persistedStore(
          backend,
          { notes: [] as { id: string; pinned?: boolean }[] },
          { name: 'notes', schema: v2 },
        )
        await hydrated(b)
        expect(b.getState().notes).toEqual([{ id: 'n1' }])
        b.setState({ notes: [{ id: 'n1', pinned: true }] })
        await b.persist.flush()
        expect(await backend.query('SELECT id, pinned FROM notes')).toEqual([{ id: 'n1', pinned: 1 }])
      }),
    )

    test(
      'newerSchemas',
      'refuses a schema newer than the code and a missing migration step, leaving the data untouched',
      () =>
        run(async (backend) => {
          const newer = defineSchema({
            version: 5,
            state: { notes: collection({ table: 'notes', key: 'id', columns: { id: column.text() } }) },
          })
          const a = persistedStore(backend, { notes: [{ id: 'n1' }] }, { name: 'newer', schema: newer })
          await hydrated(a)
          a.setState({ notes: [{ id: 'n1' }, { id: 'n2' }] })
          await a.persist.flush()

          const older = defineSchema({
            version: 4,
            state: { notes: collection({ table: 'notes', key: 'id', columns: { id: column.text() } }) },
          })
          const b = persistedStore(backend, { notes: [] as { id: string }[] }, { name: 'newer', schema: older })
          await hydrationSettled(b)
          expect(b.persist.hasHydrated()).toBe(false)
          expectCode(b.errors[0], 'SCHEMA_TOO_NEW')
          b.setState({ notes: [] })
          expectCode(await rejection(() => b.persist.flush()), 'NOT_HYDRATED')
          expect(await backend.query('SELECT id FROM notes ORDER BY id')).toEqual([{ id: 'n1' }, { id: 'n2' }])

          const skipping = defineSchema({
            version: 7,
            migrations: { 7: 'SELECT 1' },
            state: { notes: collection({ table: 'notes', key: 'id', columns: { id: column.text() } }) },
          })
          const c = persistedStore(backend, { notes: [] as { id: string }[] }, { name: 'newer', schema: skipping })
          await hydrationSettled(c)
          expectCode(c.errors[0], 'SCHEMA_MISMATCH')
          expect(await backend.query('SELECT id FROM notes ORDER BY id')).toEqual([{ id: 'n1' }, { id: 'n2' }])
        }),
    )

    test(
      'stamps',
      'stamps creation and update times, the state version and when a flag became true, outside the state',
      () =>
        run(async (backend) => {
          type Flags = Record<string, { enabled: boolean; note?: string }>
          const schema = defineSchema({
            state: {
              flags: collection({
                table: 'stamped_flags',
                shape: 'record',
                keyColumn: 'flag',
                columns: { enabled: column.boolean({ since: 'enabled_at' }), note: column.text({ optional: true }) },
                timestamps: true,
                versionColumn: 'version',
              }),
              prefs: singleton({ table: 'stamped_prefs', columns: { theme: column.text() }, timestamps: true }),
            },
          })
          const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5))
          const row = async (flag: string): Promise<Record<string, unknown>> =>
            (await backend.query(`SELECT * FROM stamped_flags WHERE flag = ?`, [flag]))[0] ?? {}
          const initial = { flags: {} as Flags, prefs: { theme: 'light' } }
          const a = persistedStore(backend, initial, { name: 'stamped', schema, version: 3 })
          await hydrated(a)
          const t0 = Date.now()
          a.setState({ flags: { on: { enabled: true }, off: { enabled: false } }, prefs: { theme: 'dark' } })
          await a.persist.flush()
          const t1 = Date.now()
          const on1 = await row('on')
          expect(on1['enabled_at']).toBeGreaterThanOrEqual(t0)
          expect(on1['enabled_at']).toBeLessThanOrEqual(t1)
          expect(on1['created_at']).toBe(on1['updated_at'])
          expect(on1['version']).toBe(3)
          expect((await row('off'))['enabled_at']).toBeNull()
          const [prefs1] = await backend.query(`SELECT created_at, updated_at FROM stamped_prefs`)
          expect(prefs1?.['created_at']).toBeGreaterThanOrEqual(t0)

          await pause()
          const t2 = Date.now()
          a.setState((s) => ({
            flags: { ...s.flags, on: { enabled: true, note: 'still on' }, off: { enabled: true } },
            prefs: { theme: 'light' },
          }))
          await a.persist.flush()
          const on2 = await row('on')
          expect(on2['enabled_at']).toBe(on1['enabled_at'])
          expect(on2['created_at']).toBe(on1['created_at'])
          expect(on2['updated_at']).toBeGreaterThanOrEqual(t2)
          expect((await row('off'))['enabled_at']).toBeGreaterThanOrEqual(t2)
          const [prefs2] = await backend.query(`SELECT created_at, updated_at FROM stamped_prefs`)
          expect(prefs2?.['created_at']).toBe(prefs1?.['created_at'])
          expect(prefs2?.['updated_at']).toBeGreaterThanOrEqual(t2)

          a.setState((s) => ({ flags: { ...s.flags, on: { enabled: false, note: 'still on' } } }))
          await a.persist.flush()
          expect((await row('on'))['enabled_at']).toBeNull()

          const again = await reopened(backend)
          try {
            const b = persistedStore(again, initial, { name: 'stamped', schema, version: 3 })
            await hydrated(b)
            expect(b.getState()).toEqual({
              flags: { on: { enabled: false, note: 'still on' }, off: { enabled: true } },
              prefs: { theme: 'light' },
            })
            const refused: ChangeSet = {
              store: 'stamped',
              schemaVersion: 1,
              stateVersion: 3,
              tables: [
                { table: 'stamped_prefs', upsert: [{ columns: ['id', 'theme', 'updated_at'], rows: [[1, 'x', 0]] }] },
              ],
            }
            expectCode(await rejection(() => again.apply(refused)), 'INVALID_CHANGESET')
          } finally {
            await again.close()
          }
        }),
    )

    test('tableConflicts', 'refuses a table that belongs to another store', () =>
      run(async (backend) => {
        const schema = (): StoreSchema =>
          defineSchema({
            state: { items: collection({ table: 'shared_items', key: 'id', columns: { id: column.text() } }) },
          })
        const a = persistedStore(backend, { items: [{ id: 'x' }] }, { name: 'owner', schema: schema() })
        await hydrated(a)
        const b = persistedStore(backend, { items: [] as { id: string }[] }, { name: 'intruder', schema: schema() })
        await hydrationSettled(b)
        expectCode(b.errors[0], 'TABLE_CONFLICT')
      }),
    )

    test('readOnlyQueries', 'runs queries read-only', () =>
      run(async (backend) => {
        const a = persistedStore(backend, { n: 1 }, { name: 'readonly' })
        await hydrated(a)
        a.setState({ n: 2 })
        await a.persist.flush()
        expectCode(await rejection(() => backend.query(`DELETE FROM zs_kv`)), 'QUERY_FAILED')
        expect(await backend.query(`SELECT count(*) AS n FROM zs_kv WHERE store = ?`, ['readonly'])).toEqual([{ n: 1 }])
      }),
    )

    test(
      'revisions',
      'counts commits in a revision, and refuses a ChangeSet made against an older one, writing nothing',
      () =>
        run(async (backend) => {
          const schema = defineSchema({
            state: { notes: collection({ table: 'rev_notes', key: 'id', columns: { id: column.text() } }) },
          })
          const prepared = await backend.prepare('revs', schema.spec)
          expect(prepared).toEqual({ stateVersion: null, revision: 0 })
          const header = { store: 'revs', schemaVersion: schema.spec.version, stateVersion: 1 }
          const insert = (id: string): ChangeSet['tables'] => [
            { table: 'rev_notes', upsert: [{ columns: ['id', 'sort_key'], rows: [[id, 'a0']] }] },
          ]
          expect(await backend.apply({ ...header, baseRevision: 0, tables: insert('n1') })).toEqual({ revision: 1 })
          expect(await backend.apply({ ...header, tables: insert('n2') })).toEqual({ revision: 2 })
          const stale = await rejection(() => backend.apply({ ...header, baseRevision: 1, tables: insert('n3') }))
          expectCode(stale, 'CONCURRENT_MODIFICATION')
          const loaded = await backend.load('revs')
          expect(loaded.revision).toBe(2)
          expect(loaded.tables['rev_notes']?.rows.map((r) => r[0])).toEqual(['n1', 'n2'])
          await backend.clear('revs')
          expect(await backend.prepare('revs', schema.spec)).toEqual({ stateVersion: null, revision: 3 })
          const again = await reopened(backend)
          try {
            expect(await again.prepare('revs', schema.spec)).toEqual({ stateVersion: null, revision: 3 })
            expect(await again.apply({ ...header, baseRevision: 3, tables: insert('n4') })).toEqual({ revision: 4 })
          } finally {
            await again.close()
          }
        }),
    )

    test(
      'unstorableValues',
      'holds back an unstorable value and leaves out a duplicate, with a typed error naming the path, and writes the rest',
      () =>
        run(async (backend) => {
          const a = persistedStore<ShapesState>(backend, shapesState(), { name: 'bad', schema: shapesSchema })
          await hydrated(a)
          a.setState(shapesState())
          await a.persist.flush()
          const cyclic: Record<string, unknown> = {}
          cyclic['self'] = cyclic
          a.setState((s) => ({
            conversations: s.conversations.map((c, i) =>
              i === 0
                ? { ...c, messages: [{ ...c.messages[0]!, fragments: [{ fId: 'f9', ft: 'content', part: cyclic }] }] }
                : c,
            ),
            tags: [...s.tags, 40],
          }))
          const error = await rejection(() => a.persist.flush())
          expectCode(error, 'UNSTORABLE_VALUE')
          expect((error as { path: string }).path).toBe(
            'conversations[id="c2"].messages[id="m1"].fragments[fId="f9"].part.self',
          )
          // The rest of that set is written; the message keeps what was stored until it changes.
          expect(await backend.query('SELECT tag FROM tags ORDER BY sort_key')).toEqual([
            { tag: 30 },
            { tag: 10 },
            { tag: 20 },
            { tag: 40 },
          ])
          // Not stuck: the next set is written, the first item of a duplicated key kept.
          a.setState({ tags: [1, 2, 1] })
          const duplicate = await rejection(() => a.persist.flush())
          expectCode(duplicate, 'DUPLICATE_KEY')
          expect((duplicate as { path: string }).path).toBe('tags[2]')
          expect(await backend.query('SELECT tag FROM tags ORDER BY sort_key')).toEqual([{ tag: 1 }, { tag: 2 }])
          // Reported once: a later write of the same array does not fail again for it.
          a.setState({ tags: [1, 2, 1, 3] })
          await a.persist.flush()
          expect(await backend.query('SELECT tag FROM tags ORDER BY sort_key')).toEqual([
            { tag: 1 },
            { tag: 2 },
            { tag: 3 },
          ])
          const stored = await backend.query(
            `SELECT f_id FROM fragments WHERE conversation_id = 'c2' ORDER BY sort_key`,
          )
          expect(stored.map((r) => r['f_id'])).not.toContain('f9')
          // Once the held-back part changes into something storable, it is written.
          a.setState(shapesState())
          await a.persist.flush()
          const b = persistedStore<ShapesState>(
            backend,
            { ...shapesState(), conversations: [], tags: [] },
            {
              name: 'bad',
              schema: shapesSchema,
            },
          )
          await hydrated(b)
          expect(b.getState()).toEqual(withoutLazy(shapesState()))
        }),
    )
  })
}
