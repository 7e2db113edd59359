import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import type { StoreApi } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite, singleton } from '@zustand-sqlite/core'
import type { PersistSQLiteOptions } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { applies, bearsCreator, bearsStore, codeOf, memoryBackend, recordingBackend, tick } from './helpers'
import type { Bears, Call } from './helpers'

describe('persistSQLite with a synchronous backend', () => {
  it('hydrates inside createStore, so the first state read is the stored one', async () => {
    const backend = memoryBackend()
    const a = bearsStore(backend)
    a.getState().addBear()
    a.getState().setOwner('alice')
    await a.persist.flush()
    const seen: number[] = []
    const b = createStore<Bears>()(
      persistSQLite(
        (set, get, api) => {
          const state = bearsCreator(set, get, api)
          seen.push(state.bears)
          return state
        },
        { name: 'bears', backend },
      ),
    )
    expect(b.persist.hasHydrated()).toBe(true)
    expect(b.getState()).toMatchObject({ bears: 1, owner: 'alice' })
    expect(typeof b.getState().addBear).toBe('function')
    expect(seen).toEqual([0])
  })

  it('behaves like zustand persist for the same store code: callbacks, merge, actions kept', async () => {
    const memory = new Map<string, string>()
    const storage = createJSONStorage<{ bears: number; owner: string }>(() => ({
      getItem: (k) => memory.get(k) ?? null,
      setItem: (k, v) => void memory.set(k, v),
      removeItem: (k) => void memory.delete(k),
    }))
    const backend = memoryBackend()
    const run = async (make: (log: string[]) => StoreApi<Bears>, settle: () => Promise<void>) => {
      const log: string[] = []
      const first = make(log)
      first.getState().addBear()
      first.getState().addBear()
      first.getState().setOwner('bob')
      await settle()
      const second = make(log)
      return { log, state: second.getState() }
    }
    const options = (log: string[]) => ({
      name: 'bears',
      version: 2,
      partialize: (s: Bears) => ({ bears: s.bears, owner: s.owner }),
      onRehydrateStorage: (s: Bears) => {
        log.push(`before:${s.bears}`)
        return (after?: Bears, error?: unknown) => log.push(`after:${after?.bears}:${String(error)}`)
      },
    })
    const zustand = await run(
      (log) => createStore<Bears>()(persist(bearsCreator, { ...options(log), storage })),
      () => Promise.resolve(),
    )
    // Synchronous backends hydrate in create() as localStorage does; writes go out at the end of the tick.
    const ours = await run(
      (log) => createStore<Bears>()(persistSQLite(bearsCreator, { ...options(log), backend })),
      () => tick(),
    )
    expect(ours.log).toEqual(zustand.log)
    expect(JSON.stringify(ours.state)).toEqual(JSON.stringify(zustand.state))
    expect(ours.state.fish).toBe(0)
    expect(typeof ours.state.addBear).toBe('function')
  })

  it('writes nothing after hydration for a set that changes nothing, actions in a singleton row included', async () => {
    const schema = defineSchema({ root: singleton({ table: 'bears_row', columns: { bears: column.integer() } }) })
    const backend = memoryBackend()
    bearsStore(backend, { schema }).setState({ bears: 2 })
    await tick()
    const calls: Call[] = []
    const store = bearsStore(recordingBackend(backend, calls), { schema })
    store.setState((s) => s)
    store.setState({ owner: store.getState().owner })
    await store.persist.flush()
    expect(applies(calls)).toEqual([])
  })

  it('writes only the persisted keys, and nothing when only unpersisted keys change', async () => {
    const calls: Call[] = []
    const backend = recordingBackend(memoryBackend(), calls)
    const store = bearsStore(backend, { partialize: (s) => ({ bears: s.bears }) })
    store.getState().addBear()
    await store.persist.flush()
    expect(applies(calls)).toHaveLength(1)
    store.setState({ fish: 5, owner: 'x' })
    await store.persist.flush()
    expect(applies(calls)).toHaveLength(1)
    expect(await backend.query(`SELECT key FROM zs_kv`)).toEqual([{ key: 'bears' }])
  })

  it('writes nothing until flush() with writeDelayMs: Infinity, then everything in one transaction', async () => {
    const calls: Call[] = []
    const backend = recordingBackend(memoryBackend(), calls)
    const store = bearsStore(backend, { writeDelayMs: Infinity })
    store.getState().addBear()
    await tick(20)
    store.getState().addBear()
    store.setState({ fish: 4 })
    await tick(20)
    expect(applies(calls)).toEqual([])
    await store.persist.flush()
    expect(applies(calls)).toHaveLength(1)
    expect(bearsStore(backend).getState()).toMatchObject({ bears: 2, fish: 4 })
  })

  it('writes all the sets of one tick as one transaction, and sets within writeDelayMs as one', async () => {
    const calls: Call[] = []
    const backend = recordingBackend(memoryBackend(), calls)
    const store = bearsStore(backend)
    for (let i = 0; i < 10; i++) store.getState().addBear()
    expect(applies(calls)).toHaveLength(0)
    await tick()
    expect(applies(calls)).toHaveLength(1)

    const delayed = bearsStore(recordingBackend(memoryBackend(), calls), { name: 'delayed', writeDelayMs: 30 })
    const before = applies(calls).length
    delayed.getState().addBear()
    await tick(5)
    delayed.getState().addBear()
    await tick(5)
    delayed.getState().addBear()
    expect(applies(calls).length).toBe(before)
    await tick(60)
    expect(applies(calls).length).toBe(before + 1)
  })

  it('calls migrate with the stored state and version, and writes the result in one transaction', async () => {
    const backend = memoryBackend()
    const v0 = bearsStore(backend, { version: 0 })
    v0.setState({ bears: 3 })
    await v0.persist.flush()
    const migrate = vi.fn((state: unknown, version: number) => {
      const old = state as { bears: number }
      return { ...old, bears: old.bears * 10, migratedFrom: version }
    })
    const commits: string[] = []
    const v1 = bearsStore(backend, { version: 1, migrate, onCommit: (c) => commits.push(c.reason) })
    expect(migrate).toHaveBeenCalledTimes(1)
    expect(migrate.mock.calls[0]?.[0]).toMatchObject({ bears: 3, owner: 'nobody' })
    expect(migrate.mock.calls[0]?.[1]).toBe(0)
    expect(v1.getState().bears).toBe(30)
    expect(commits).toEqual(['migration'])
    expect((await backend.load('bears')).stateVersion).toBe(1)
    const again = bearsStore(backend, { version: 1, migrate })
    expect(migrate).toHaveBeenCalledTimes(1)
    expect(again.getState().bears).toBe(30)
  })

  it('waits for an async migrate before finishing hydration', async () => {
    const backend = memoryBackend()
    const v0 = bearsStore(backend)
    v0.setState({ bears: 2 })
    await v0.persist.flush()
    const v1 = bearsStore(backend, {
      version: 1,
      migrate: async (state) => {
        await tick(5)
        return { ...(state as object), bears: 20 }
      },
    })
    expect(v1.persist.hasHydrated()).toBe(false)
    await hydrated(v1)
    expect(v1.getState().bears).toBe(20)
    expect((await backend.load('bears')).stateVersion).toBe(1)
  })

  it('leaves stored data untouched and writes nothing when migrate throws or is missing', async () => {
    const backend = memoryBackend()
    const v0 = bearsStore(backend)
    v0.setState({ bears: 7, owner: 'keep' })
    await v0.persist.flush()
    const before = await backend.query(`SELECT key, value FROM zs_kv ORDER BY key`)

    const after = vi.fn()
    const throwing = bearsStore(backend, {
      version: 1,
      migrate: () => {
        throw new Error('boom')
      },
      onRehydrateStorage: () => after,
    })
    expect(throwing.persist.hasHydrated()).toBe(false)
    expect(after).toHaveBeenCalledWith(undefined, expect.objectContaining({ code: 'MIGRATION_FAILED' }))
    expect(codeOf(throwing.errors[0])).toBe('MIGRATION_FAILED')
    expect(throwing.getState().bears).toBe(0)
    throwing.getState().addBear()
    await tick()
    await expect(throwing.persist.flush()).rejects.toMatchObject({ code: 'NOT_HYDRATED' })

    const missing = bearsStore(backend, { version: 1 })
    expect(codeOf(missing.errors[0])).toBe('MIGRATION_FAILED')
    missing.getState().addBear()
    await tick()
    expect(await backend.query(`SELECT key, value FROM zs_kv ORDER BY key`)).toEqual(before)
    expect((await backend.load('bears')).stateVersion).toBe(0)

    // A deliberate reset: clear, then hydrate again.
    await missing.persist.clearStorage()
    await missing.persist.rehydrate()
    expect(missing.persist.hasHydrated()).toBe(true)
    missing.getState().addBear()
    await missing.persist.flush()
    expect((await backend.load('bears')).stateVersion).toBe(1)
  })

  it('rolls the migration rewrite back whole when it fails, and migrates again next time', async () => {
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
    type Users = { users: { id: string; email: string }[] }
    const backend = memoryBackend()
    const make = (options: Partial<PersistSQLiteOptions<Users, unknown>>) => {
      const errors: unknown[] = []
      const store = createStore<Users>()(
        persistSQLite(() => ({ users: [] }), {
          name: 'users',
          backend,
          schema,
          onError: (e) => errors.push(e),
          ...options,
        }),
      )
      return Object.assign(store, { errors })
    }
    const v0 = make({})
    v0.setState({
      users: [
        { id: 'a', email: 'a@x' },
        { id: 'b', email: 'b@x' },
      ],
    })
    await v0.persist.flush()
    // The migration lowercases ids and adds a user whose email clashes: the unique index refuses the rewrite.
    const migrate = vi.fn((state: unknown) => {
      const s = state as Users
      return { users: [...s.users.map((u) => ({ ...u, email: u.email.toUpperCase() })), { id: 'c', email: 'A@X' }] }
    })
    const failing = make({ version: 1, migrate })
    expect(failing.persist.hasHydrated()).toBe(false)
    expect(codeOf(failing.errors[0])).toBe('WRITE_FAILED')
    expect(await backend.query('SELECT id, email FROM users ORDER BY id')).toEqual([
      { id: 'a', email: 'a@x' },
      { id: 'b', email: 'b@x' },
    ])
    expect((await backend.load('users')).stateVersion).toBe(0)
    const fixed = make({
      version: 1,
      migrate: (state) => ({ users: (state as Users).users.map((u) => ({ ...u, email: u.email.toUpperCase() })) }),
    })
    expect(fixed.persist.hasHydrated()).toBe(true)
    expect(await backend.query('SELECT id, email FROM users ORDER BY id')).toEqual([
      { id: 'a', email: 'A@X' },
      { id: 'b', email: 'B@X' },
    ])
  })

  it('reports a stored value that cannot be decoded as CORRUPT_DATABASE and never writes over it', async () => {
    const backend = memoryBackend()
    const a = bearsStore(backend)
    a.getState().addBear()
    await a.persist.flush()
    // Damage one stored value behind the library's back.
    ;(backend.driver as { exec(sql: string): void }).exec(`UPDATE zs_kv SET value = '{not json' WHERE key = 'bears'`)
    const onRehydrate = vi.fn()
    const b = bearsStore(backend, { onRehydrateStorage: () => onRehydrate })
    expect(b.persist.hasHydrated()).toBe(false)
    expect(onRehydrate).toHaveBeenCalledWith(undefined, expect.objectContaining({ code: 'CORRUPT_DATABASE' }))
    b.getState().addBear()
    b.getState().setOwner('defaults must not win')
    await tick()
    expect(await backend.query(`SELECT value FROM zs_kv WHERE key = 'bears'`)).toEqual([{ value: '{not json' }])
    expect(await backend.query(`SELECT value FROM zs_kv WHERE key = 'owner'`)).toEqual([{ value: '"nobody"' }])
  })

  it('does not hydrate or write with skipHydration until rehydrate() is called', async () => {
    const calls: Call[] = []
    const backend = recordingBackend(memoryBackend(), calls)
    const seed = bearsStore(backend)
    seed.setState({ bears: 5 })
    await seed.persist.flush()
    calls.length = 0
    const store = bearsStore(backend, {
      skipHydration: true,
      merge: (persisted, current) => ({ ...current, ...(persisted as object), owner: current.owner }),
    })
    expect(calls).toEqual([])
    expect(store.getState().bears).toBe(0)
    store.setState({ owner: 'early' })
    await tick()
    expect(applies(calls)).toEqual([])
    await expect(store.persist.flush()).rejects.toMatchObject({ code: 'NOT_HYDRATED' })
    await store.persist.rehydrate()
    expect(store.getState()).toMatchObject({ bears: 5, owner: 'early' })
    await store.persist.flush()
    expect(await backend.query(`SELECT value FROM zs_kv WHERE key = 'owner'`)).toEqual([{ value: '"early"' }])
  })

  it('re-reads the database on rehydrate(), after writing pending changes, and notifies listeners', async () => {
    const backend = memoryBackend()
    const a = bearsStore(backend)
    a.setState({ bears: 1 })
    await a.persist.flush()
    const b = bearsStore(backend)
    a.setState({ bears: 9 })
    await a.persist.flush()
    const started = vi.fn()
    const finished = vi.fn()
    const stopStarted = b.persist.onHydrate(started)
    b.persist.onFinishHydration(finished)
    await b.persist.rehydrate()
    expect(b.getState()).toMatchObject({ bears: 9, owner: 'nobody' })
    expect(started).toHaveBeenCalledTimes(1)
    expect(finished).toHaveBeenCalledWith(expect.objectContaining({ bears: 9 }))
    stopStarted()
    // a's commit reaches b (one backend tells of its commits), and b's change not written yet is written
    // first, on top of it: both are kept.
    a.setState({ fish: 5 })
    await a.persist.flush()
    expect(b.getState()).toMatchObject({ fish: 5 })
    b.setState({ owner: 'b' })
    await b.persist.rehydrate()
    expect(started).toHaveBeenCalledTimes(1)
    expect(finished).toHaveBeenCalledTimes(2)
    expect(b.getState()).toMatchObject({ bears: 9, fish: 5, owner: 'b' })
    expect(bearsStore(backend).getState()).toMatchObject({ bears: 9, fish: 5, owner: 'b' })
  })

  it('clears storage but not memory, and writes everything again with the next set', async () => {
    const backend = memoryBackend()
    const store = bearsStore(backend)
    store.setState({ bears: 4, owner: 'x' })
    await store.persist.flush()
    await store.persist.clearStorage()
    expect(await backend.query(`SELECT count(*) AS n FROM zs_kv`)).toEqual([{ n: 0 }])
    expect(store.getState().bears).toBe(4)
    store.setState({ fish: 1 })
    await store.persist.flush()
    expect(await backend.query(`SELECT key FROM zs_kv ORDER BY key`)).toEqual([
      { key: 'bears' },
      { key: 'fish' },
      { key: 'owner' },
    ])
  })

  it('moves the whole state to a new name after setOptions and the next set, replacing what that name held', async () => {
    const backend = memoryBackend()
    const other = bearsStore(backend, { name: 'renamed' })
    other.setState({ bears: 100, fish: 100 })
    await other.persist.flush()
    const store = bearsStore(backend, { partialize: (s) => ({ bears: s.bears }) })
    store.setState({ bears: 2 })
    store.persist.setOptions({ name: 'renamed' })
    expect(store.persist.getOptions().name).toBe('renamed')
    // The pending set went to the old name before the switch.
    expect(await backend.query(`SELECT value FROM zs_kv WHERE store = 'bears'`)).toEqual([{ value: '2' }])
    store.setState({ bears: 3 })
    await store.persist.flush()
    expect(await backend.query(`SELECT key, value FROM zs_kv WHERE store = 'renamed'`)).toEqual([
      { key: 'bears', value: '3' },
    ])
  })

  it('reads another target after setOptions and rehydrate, without writing over it', async () => {
    const backend = memoryBackend()
    const other = bearsStore(backend, { name: 'profile-b' })
    other.setState({ bears: 42, owner: 'b' })
    await other.persist.flush()
    const store = bearsStore(backend, { name: 'profile-a' })
    store.setState({ bears: 1, owner: 'a' })
    await store.persist.flush()
    store.persist.setOptions({ name: 'profile-b' })
    await store.persist.rehydrate()
    expect(store.getState()).toMatchObject({ bears: 42, owner: 'b' })
    expect(await backend.query(`SELECT value FROM zs_kv WHERE store = 'profile-b' AND key = 'bears'`)).toEqual([
      { value: '42' },
    ])
  })

  it('keeps the options when setOptions is given invalid ones', () => {
    const store = bearsStore(memoryBackend())
    expect(() => store.persist.setOptions({ writeDelayMs: -5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(store.persist.getOptions().writeDelayMs).toBe(0)
  })

  it('writes one row when one entity among thousands changes', async () => {
    const schema = defineSchema({
      state: {
        conversations: collection({
          table: 'conversations',
          key: 'id',
          columns: { id: column.text(), title: column.text() },
          children: {
            messages: collection({ table: 'messages', key: 'id', columns: { id: column.text(), text: column.text() } }),
          },
        }),
      },
    })
    type Chat = { conversations: { id: string; title: string; messages: { id: string; text: string }[] }[] }
    const conversations = Array.from({ length: 2000 }, (_, c) => ({
      id: `c${c}`,
      title: `chat ${c}`,
      messages: Array.from({ length: 10 }, (_, m) => ({ id: `m${m}`, text: `message ${m} of ${c}` })),
    }))
    const commits: { rows: number; tables: Record<string, number> }[] = []
    const store = createStore<Chat>()(
      persistSQLite(() => ({ conversations }), {
        name: 'chat',
        backend: memoryBackend(),
        schema,
        onCommit: (c) => commits.push(c),
      }),
    )
    store.setState({ conversations: [...conversations] })
    await store.persist.flush()
    expect(commits.at(-1)?.rows).toBe(22_000)
    store.setState((s) => ({
      conversations: s.conversations.map((c) =>
        c.id === 'c1234'
          ? { ...c, messages: c.messages.map((m) => (m.id === 'm7' ? { ...m, text: 'edited' } : m)) }
          : c,
      ),
    }))
    await store.persist.flush()
    expect(commits.at(-1)).toMatchObject({ rows: 1, tables: { messages: 1 } })
  })

  it('reports commits to onCommit with store, backend, tables, rows and duration', async () => {
    const infos: unknown[] = []
    const store = bearsStore(memoryBackend(), { onCommit: (info) => infos.push(info) })
    store.getState().addBear()
    await store.persist.flush()
    expect(infos).toEqual([
      expect.objectContaining({
        store: 'bears',
        backend: 'better-sqlite3',
        reason: 'write',
        rows: 3,
        tables: { zs_kv: 3 },
      }),
    ])
    expect((infos[0] as { durationMs: number }).durationMs).toBeGreaterThanOrEqual(0)
  })

  it('refuses invalid options at creation with INVALID_OPTIONS', () => {
    const make = (options: object) => () =>
      createStore<object>()(persistSQLite(() => ({}), options as PersistSQLiteOptions<object>))
    expect(make({ backend: memoryBackend() })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    expect(make({ name: 'x' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    expect(make({ name: 'x', backend: memoryBackend(), writeDelayMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
    expect(make({ name: 'x', backend: memoryBackend(), version: 1.5 })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTIONS' }),
    )
  })

  it('appends to append-only tables in the same transaction as the state, and refuses bad rows at once', async () => {
    const schema = defineSchema({
      tables: {
        events: {
          kind: 'table',
          columns: { id: column.integer({ optional: true }), name: column.text(), value: column.real() },
          primaryKey: ['id'],
        },
      },
    })
    const calls: Call[] = []
    const backend = recordingBackend(memoryBackend(), calls)
    const store = createStore<{ count: number }>()(
      persistSQLite(() => ({ count: 0 }), { name: 'events', backend, schema }),
    )
    store.setState({ count: 1 })
    store.persist.append('events', { name: 'a', value: 1 })
    store.persist.append('events', [{ name: 'b', value: 2 }])
    await store.persist.flush()
    expect(applies(calls)).toHaveLength(1)
    expect(await backend.query('SELECT id, name, value FROM events')).toEqual([
      { id: 1, name: 'a', value: 1 },
      { id: 2, name: 'b', value: 2 },
    ])
    expect(() => store.persist.append('events', { name: 'c', value: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'UNSTORABLE_VALUE', path: 'events[0].value' }),
    )
    expect(() => store.persist.append('nope', {})).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }))
    expect(() => store.persist.append('events', { name: 'd', value: 1, unknown: true })).toThrow(
      expect.objectContaining({ code: 'UNSTORABLE_VALUE', path: 'events[0].unknown' }),
    )
    // Memory does not hold the events.
    expect(store.getState()).toEqual({ count: 1 })
  })
})

describe('persistSQLite with several connections to one database', () => {
  let dir: string | undefined
  const file = (): string => join((dir ??= mkdtempSync(join(tmpdir(), 'zs-connections-'))), 'app.db')
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
    dir = undefined
  })

  it('puts the whole state back when another connection cleared the store, so the next reader finds it', async () => {
    const a = bearsStore(createBetterSqlite3Backend({ filename: file() }))
    const b = bearsStore(createBetterSqlite3Backend({ filename: file() }))
    a.setState({ bears: 1, owner: 'a' })
    await a.persist.flush()
    await b.persist.clearStorage()
    a.setState({ fish: 2 })
    await a.persist.flush()
    const reader = bearsStore(createBetterSqlite3Backend({ filename: file() }))
    expect(reader.getState()).toMatchObject({ bears: 1, fish: 2, owner: 'a' })
    expect(a.errors).toEqual([])
  })

  it('makes the store hold its whole state when another connection wrote since, reading what it wrote', async () => {
    const calls: Call[] = []
    const a = bearsStore(recordingBackend(createBetterSqlite3Backend({ filename: file() }), calls))
    const b = bearsStore(createBetterSqlite3Backend({ filename: file() }))
    a.setState({ bears: 1 })
    await a.persist.flush()
    b.setState({ owner: 'b', fish: 7 })
    await b.persist.flush()
    calls.length = 0
    a.setState({ bears: 2 })
    await a.persist.flush()
    // The apply made against the revision a knew is refused, the store is loaded again, and the rows
    // that differ from a's state are written: b's two rows and a's own.
    expect(calls.map((c) => c.method)).toEqual(['apply', 'load', 'apply', 'flush'])
    const rewrite = applies(calls)[1]?.args[0] as { kv?: { set?: unknown[] } }
    expect(rewrite.kv?.set).toHaveLength(3)
    expect(bearsStore(createBetterSqlite3Backend({ filename: file() })).getState()).toMatchObject({
      bears: 2,
      fish: 0,
      owner: 'nobody',
    })
  })
})
