import 'fake-indexeddb/auto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createStore as createIdbStore, get, set } from 'idb-keyval'
import initSqlJs from 'sql.js'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { collection, column, defineSchema, persistSQLite } from '@zustand-sqlite/core'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'
import type { ImageStorage, SqlJsBackend } from '@zustand-sqlite/backend-sqljs'

const sqlJs = initSqlJs()
let keys = 0
const freshKey = (): string => `sqljs-test-${++keys}`
const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  vi.useRealTimers()
})

/** The image in IndexedDB without the journal: as a custom storage stores it, the whole image per durable write. */
const imageOnly = (storage: ImageStorage): ImageStorage => ({
  name: storage.name,
  read: () => storage.read(),
  write: (image, expected) => storage.write(image, expected),
})

type Counter = { n: number }
const counterStore = (backend: SqlJsBackend, onError?: (e: unknown) => void) =>
  createStore<Counter>()(persistSQLite(() => ({ n: 0 }), { name: 'counter', backend, ...(onError ? { onError } : {}) }))

/** Records whether the image is exported while a set() is running. */
function watchExports(backend: SqlJsBackend) {
  let inSet = false
  let exportsInSet = 0
  const original = backend.database.export.bind(backend.database)
  backend.database.export = () => {
    if (inSet) exportsInSet++
    return original()
  }
  return {
    set: (fn: () => void) => {
      inSet = true
      try {
        fn()
      } finally {
        inSet = false
      }
    },
    get exportsInSet() {
      return exportsInSet
    },
  }
}

describe('createSqlJsBackend', () => {
  it('hydrates synchronously once open', async () => {
    const key = freshKey()
    const first = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }) })
    const a = counterStore(first)
    a.setState({ n: 5 })
    await a.persist.flush()
    await first.close()
    const second = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }) })
    const b = counterStore(second)
    expect(b.persist.hasHydrated()).toBe(true)
    expect(b.getState().n).toBe(5)
  })

  it('never exports inside set(), and coalesces exports to one per flush interval (storage without a journal)', async () => {
    const backend = await createSqlJsBackend({
      sqlJs,
      storage: imageOnly(indexedDbStorage({ key: freshKey() })),
      flushIntervalMs: 50,
    })
    const store = counterStore(backend)
    const watch = watchExports(backend)
    const exportsBefore = backend.exportCount
    const started = Date.now()
    for (let i = 1; i <= 100; i++) {
      watch.set(() => store.setState({ n: i }))
      await tick(2)
    }
    const elapsed = Date.now() - started
    await tick(80)
    expect(watch.exportsInSet).toBe(0)
    const exports = backend.exportCount - exportsBefore
    expect(exports).toBeGreaterThanOrEqual(1)
    expect(exports).toBeLessThanOrEqual(2 + Math.ceil(elapsed / 50))
    await backend.close()
  })

  it('makes everything durable on flush(), without waiting for the interval', async () => {
    const key = freshKey()
    const backend = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 60_000 })
    const store = counterStore(backend)
    store.setState({ n: 42 })
    await store.persist.flush()
    // A second copy, opened while the first is still open, sees the stored image.
    const other = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 60_000 })
    expect(counterStore(other).getState().n).toBe(42)
  })

  it('stores what is committed but not yet exported when it closes', async () => {
    const key = freshKey()
    const backend = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 60_000 })
    const store = counterStore(backend)
    store.setState({ n: 11 })
    await tick()
    expect(backend.exportCount).toBe(0)
    await backend.close()
    expect(backend.exportCount).toBe(1)
    const reopened = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }) })
    expect(counterStore(reopened).getState().n).toBe(11)
  })

  it('flushes when the page is hidden', async () => {
    const target = new EventTarget()
    const doc = { visibilityState: 'visible' }
    vi.stubGlobal('addEventListener', target.addEventListener.bind(target))
    vi.stubGlobal('removeEventListener', target.removeEventListener.bind(target))
    vi.stubGlobal('document', doc)
    try {
      const key = freshKey()
      const backend = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 60_000 })
      const store = counterStore(backend)
      store.setState({ n: 7 })
      await tick()
      target.dispatchEvent(new Event('visibilitychange'))
      await tick(10)
      expect(backend.exportCount).toBe(0)
      doc.visibilityState = 'hidden'
      target.dispatchEvent(new Event('visibilitychange'))
      await tick(10)
      expect(backend.exportCount).toBe(1)
      store.setState({ n: 8 })
      await tick()
      // Leaving the page exports whatever the visibility says.
      doc.visibilityState = 'visible'
      target.dispatchEvent(new Event('pagehide'))
      await tick(10)
      expect(backend.exportCount).toBe(2)
      const reopened = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }) })
      expect(counterStore(reopened).getState().n).toBe(8)
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('keeps foreign keys on and statements working after each export (storage without a journal)', async () => {
    const schema = defineSchema({
      state: {
        parents: collection({
          table: 'parents',
          key: 'id',
          columns: { id: column.text() },
          children: { kids: collection({ table: 'kids', key: 'id', columns: { id: column.text() } }) },
        }),
      },
    })
    const backend = await createSqlJsBackend({ sqlJs, storage: imageOnly(indexedDbStorage({ key: freshKey() })) })
    type S = { parents: { id: string; kids: { id: string }[] }[] }
    const store = createStore<S>()(
      persistSQLite(() => ({ parents: [] as S['parents'] }), { name: 'fk', backend, schema }),
    )
    for (let i = 0; i < 3; i++) {
      store.setState((s) => ({ parents: [...s.parents, { id: `p${i}`, kids: [{ id: 'k' }] }] }))
      await store.persist.flush()
      expect(await backend.query('SELECT foreign_keys FROM pragma_foreign_keys')).toEqual([{ foreign_keys: 1 }])
    }
    expect(backend.exportCount).toBe(3)
    expect(await backend.query('SELECT count(*) AS n FROM kids')).toEqual([{ n: 3 }])
  })

  it('refuses a stored image that is not a database and leaves it untouched', async () => {
    const key = freshKey()
    const idb = createIdbStore('zustand-sqlite', 'images')
    const garbage = new Uint8Array(4096).fill(0x42)
    await set(key, garbage, idb)
    await expect(createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }) })).rejects.toMatchObject({
      code: 'CORRUPT_DATABASE',
    })
    expect(await get(key, idb)).toEqual(garbage)

    const dir = mkdtempSync(join(tmpdir(), 'zs-sqljs-'))
    dirs.push(dir)
    const file = join(dir, 'image.sqlite')
    writeFileSync(file, 'not a database'.repeat(100))
    const before = readFileSync(file)
    await expect(createSqlJsBackend({ sqlJs, storage: { file } })).rejects.toMatchObject({ code: 'CORRUPT_DATABASE' })
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('refuses to overwrite an image another tab stored since it loaded, keeping the other tab’s data', async () => {
    const key = freshKey()
    const tabA = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 60_000 })
    const tabB = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 60_000 })
    const a = counterStore(tabA)
    const errorsB: unknown[] = []
    const b = counterStore(tabB, (e) => errorsB.push(e))
    a.setState({ n: 1 })
    await a.persist.flush()
    b.setState({ n: 2 })
    await expect(b.persist.flush()).rejects.toMatchObject({ code: 'CONCURRENT_MODIFICATION' })
    const reopened = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }) })
    expect(counterStore(reopened).getState().n).toBe(1)
  })

  it('refuses the same for a file image changed by another process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zs-sqljs-'))
    dirs.push(dir)
    const file = join(dir, 'image.sqlite')
    const first = await createSqlJsBackend({ sqlJs, storage: { file }, flushIntervalMs: 60_000 })
    const a = counterStore(first, () => undefined)
    a.setState({ n: 1 })
    await a.persist.flush()
    const second = await createSqlJsBackend({ sqlJs, storage: { file }, flushIntervalMs: 60_000 })
    const b = counterStore(second)
    b.setState({ n: 2 })
    await b.persist.flush()
    a.setState({ n: 3 })
    await expect(a.persist.flush()).rejects.toMatchObject({ code: 'CONCURRENT_MODIFICATION' })
    const reopened = await createSqlJsBackend({ sqlJs, storage: { file } })
    expect(counterStore(reopened).getState().n).toBe(2)
  })

  it('does not export when a second copy only opens the stored image', async () => {
    const key = freshKey()
    const first = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 5 })
    const a = counterStore(first)
    a.setState({ n: 1 })
    await a.persist.flush()
    const second = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }), flushIntervalMs: 5 })
    expect(counterStore(second).getState().n).toBe(1)
    await tick(30)
    expect(second.exportCount).toBe(0)
    // So the first copy is still the last writer and keeps writing.
    a.setState({ n: 2 })
    await a.persist.flush()
  })

  it('overwrites an image that was stored without a token', async () => {
    const key = freshKey()
    const seed = await createSqlJsBackend({ sqlJs, storage: 'memory' })
    const s = counterStore(seed)
    s.setState({ n: 9 })
    await s.persist.flush()
    const idb = createIdbStore('zustand-sqlite', 'images')
    await set(key, seed.database.export(), idb)
    const backend = await createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ key }) })
    const store = counterStore(backend)
    expect(store.getState().n).toBe(9)
    store.setState({ n: 10 })
    await store.persist.flush()
  })

  it('asks where to keep the image when there is no IndexedDB', async () => {
    vi.stubGlobal('indexedDB', undefined)
    try {
      await expect(createSqlJsBackend({ sqlJs })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' })
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('keeps nothing with memory storage', async () => {
    const backend = await createSqlJsBackend({ sqlJs, storage: 'memory' })
    const store = counterStore(backend)
    store.setState({ n: 3 })
    await store.persist.flush()
    const again = await createSqlJsBackend({ sqlJs, storage: 'memory' })
    expect(counterStore(again).getState().n).toBe(0)
  })
})
