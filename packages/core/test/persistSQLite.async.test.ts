import { describe, expect, it, vi } from 'vitest'
import { isZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, ChangeSet } from '@zustand-sqlite/core'
import { hydrated } from '@zustand-sqlite/core/testing'
import { applies, asyncBackend, bearsStore, memoryBackend, tick } from './helpers'
import type { Bears, Call } from './helpers'

/** `inner` behind promises, counting the applies running at once. */
function countingBackend(inner: Backend, calls: Call[] = []): Backend & { calls: Call[]; mostAtOnce: () => number } {
  const slow = asyncBackend(inner, calls)
  let running = 0
  let most = 0
  return {
    ...slow,
    apply: async (changeSet) => {
      running++
      most = Math.max(most, running)
      try {
        return await slow.apply(changeSet)
      } finally {
        running--
      }
    },
    mostAtOnce: () => most,
  }
}

describe('persistSQLite with an asynchronous backend', () => {
  it('never writes before hydration has finished, and writes what was set meanwhile after it', async () => {
    const inner = memoryBackend()
    const seed = bearsStore(inner)
    seed.setState({ bears: 3, fish: 3 })
    await seed.persist.flush()
    const calls: Call[] = []
    const slow = asyncBackend(inner, calls)
    let release = (): void => undefined
    const loadGate = new Promise<void>((resolve) => (release = resolve))
    const backend: Backend = { ...slow, load: (store) => loadGate.then(() => slow.load(store)) }
    const store = bearsStore(backend, {
      merge: (persisted, current) => ({ ...current, ...(persisted as object), owner: current.owner }),
    })
    expect(store.persist.hasHydrated()).toBe(false)
    store.setState({ owner: 'set during hydration' })
    await tick(20)
    expect(applies(calls)).toEqual([])
    release()
    await store.persist.flush()
    expect(calls.map((c) => c.method)).toEqual(['prepare', 'load', 'apply', 'flush'])
    expect(store.getState()).toMatchObject({ bears: 3, fish: 3, owner: 'set during hydration' })
    expect(await inner.query(`SELECT value FROM zs_kv WHERE key = 'owner'`)).toEqual([
      { value: '"set during hydration"' },
    ])
  })

  it('accepts a backend factory returning a promise', async () => {
    const inner = memoryBackend()
    const store = bearsStore(inner, { backend: () => Promise.resolve(inner) })
    expect(store.persist.getBackend()).toBeUndefined()
    store.getState().addBear()
    await store.persist.flush()
    expect(store.persist.getBackend()).toBe(inner)
    expect(await inner.query(`SELECT value FROM zs_kv WHERE key = 'bears'`)).toEqual([{ value: '1' }])
  })

  it('reports a backend that cannot be created through hydration, writing nothing', async () => {
    const onRehydrate = vi.fn()
    const store = bearsStore(memoryBackend(), {
      backend: () => Promise.reject(new Error('no database here')),
      onRehydrateStorage: () => onRehydrate,
    })
    await tick(5)
    expect(onRehydrate).toHaveBeenCalledWith(undefined, expect.objectContaining({ code: 'HYDRATION_FAILED' }))
    expect(store.persist.hasHydrated()).toBe(false)
  })

  it('retries a failed write with the next set, not in a loop', async () => {
    const inner = memoryBackend()
    const failing: Backend = { ...asyncBackend(inner), apply: () => Promise.reject(new Error('disk full')) }
    const store = bearsStore(failing)
    await hydrated(store)
    store.getState().addBear()
    await tick(50)
    expect(store.errors).toHaveLength(1)
    store.getState().addBear()
    await tick(50)
    expect(store.errors).toHaveLength(2)
  })

  it('finishes hydration with nothing stored when storage is cleared during it', async () => {
    const inner = memoryBackend()
    const seed = bearsStore(inner)
    seed.setState({ bears: 6 })
    await seed.persist.flush()
    const store = bearsStore(asyncBackend(inner))
    await store.persist.clearStorage()
    await hydrated(store)
    expect(store.getState().bears).toBe(0)
    expect((await inner.load('bears')).stateVersion).toBeNull()
    store.getState().addBear()
    await store.persist.flush()
    expect(await inner.query(`SELECT value FROM zs_kv WHERE key = 'bears'`)).toEqual([{ value: '1' }])
  })

  it('replaces the new target with the whole state after setOptions, even with a write in flight', async () => {
    const inner = memoryBackend()
    const other = bearsStore(inner, { name: 'target' })
    other.setState({ bears: 50, owner: 'other' })
    await other.persist.flush()
    const store = bearsStore(asyncBackend(inner))
    await hydrated(store)
    store.setState({ bears: 1 })
    const inFlight = store.persist.flush()
    store.persist.setOptions({ name: 'target' })
    await inFlight
    store.setState({ fish: 2 })
    await store.persist.flush()
    const rows = await inner.query(`SELECT key, value FROM zs_kv WHERE store = 'target' ORDER BY key`)
    expect(rows).toEqual([
      { key: 'bears', value: '1' },
      { key: 'fish', value: '2' },
      { key: 'owner', value: '"nobody"' },
    ])
  })

  it('keeps only the latest of overlapping rehydrations', async () => {
    const inner = memoryBackend()
    const seed = bearsStore(inner)
    seed.setState({ bears: 1 })
    await seed.persist.flush()
    const store = bearsStore(asyncBackend(inner))
    const finished = vi.fn()
    store.persist.onFinishHydration(finished)
    const first = store.persist.rehydrate()
    seed.setState({ bears: 2 })
    await seed.persist.flush()
    const second = store.persist.rehydrate()
    await Promise.all([first, second])
    expect(store.getState().bears).toBe(2)
    expect(finished).toHaveBeenCalledTimes(1)
  })
  it('writes one ChangeSet at a time, and prepares a new target once, after setOptions changed it', async () => {
    const backend = countingBackend(memoryBackend())
    const store = bearsStore(backend)
    await hydrated(store)
    for (let i = 0; i < 3; i++) {
      store.getState().addBear()
      await Promise.resolve()
    }
    await store.persist.flush()
    store.persist.setOptions({ name: 'b' })
    backend.calls.length = 0
    for (let i = 0; i < 3; i++) {
      store.getState().addBear()
      await Promise.resolve()
      await Promise.resolve()
    }
    await store.persist.flush()
    expect(backend.mostAtOnce()).toBe(1)
    expect(backend.calls.filter((c) => c.method === 'prepare')).toHaveLength(1)
    const replaces = applies(backend.calls).filter((c) => (c.args[0] as ChangeSet).replace === true)
    expect(replaces).toHaveLength(1)
    expect(await backend.query(`SELECT value FROM zs_kv WHERE store = 'b' AND key = 'bears'`)).toEqual([{ value: '6' }])
  })

  it('reports a failed prepare of the write path once, as WRITE_FAILED with its cause, and flush rejects with it', async () => {
    const inner = asyncBackend(memoryBackend())
    const cause = new Error('the disk is gone')
    const backend: Backend = {
      ...inner,
      prepare: (name, schema) => (name === 'b' ? Promise.reject(cause) : inner.prepare(name, schema)),
    }
    const store = bearsStore(backend)
    await hydrated(store)
    store.persist.setOptions({ name: 'b' })
    store.getState().addBear()
    const error = await store.persist.flush().catch((e: unknown) => e)
    expect(store.errors).toHaveLength(1)
    expect(isZustandSqliteError(store.errors[0], 'WRITE_FAILED')).toBe(true)
    expect((store.errors[0] as Error).cause).toBe(cause)
    expect(error).toBe(store.errors[0])
  })

  it('makes the sets of a running hydration again on the hydrated state, in order, and writes them', async () => {
    const inner = memoryBackend()
    const seed = bearsStore(inner)
    seed.setState({ bears: 5, owner: 'seed' })
    await seed.persist.flush()
    const merged = vi.fn((persisted: unknown, current: Bears): Bears => ({ ...current, ...(persisted as object) }))
    const store = bearsStore(asyncBackend(inner), { merge: merged })
    store.getState().addBear()
    store.setState({ fish: 2 })
    store.getState().addBear()
    expect(store.getState()).toMatchObject({ bears: 2, fish: 2 })
    await hydrated(store)
    // Merged into the state the sets were made on, then made again: the updaters see the stored bears.
    expect(merged).toHaveBeenCalledWith(
      expect.objectContaining({ bears: 5 }),
      expect.objectContaining({ bears: 0, fish: 0 }),
    )
    expect(store.getState()).toMatchObject({ bears: 7, fish: 2, owner: 'seed' })
    await store.persist.flush()
    expect(bearsStore(inner).getState()).toMatchObject({ bears: 7, fish: 2, owner: 'seed' })
  })

  it('keeps the sets of a hydration that a rehydrate() superseded', async () => {
    const inner = memoryBackend()
    const seed = bearsStore(inner)
    seed.setState({ bears: 5 })
    await seed.persist.flush()
    const store = bearsStore(asyncBackend(inner))
    store.getState().addBear()
    const again = store.persist.rehydrate()
    store.getState().addBear()
    await again
    expect(store.getState().bears).toBe(7)
  })

  it("leaves a failed hydration's sets in memory, where the next hydration merges over them", async () => {
    const inner = memoryBackend()
    const seed = bearsStore(inner)
    seed.setState({ bears: 5 })
    await seed.persist.flush()
    let fail = true
    const slow = asyncBackend(inner)
    const backend: Backend = { ...slow, load: (name) => (fail ? Promise.reject(new Error('busy')) : slow.load(name)) }
    const store = bearsStore(backend)
    store.getState().addBear()
    await tick(10)
    expect(store.persist.hasHydrated()).toBe(false)
    expect(store.getState().bears).toBe(1)
    fail = false
    await store.persist.rehydrate()
    expect(store.getState().bears).toBe(5)
  })
})
