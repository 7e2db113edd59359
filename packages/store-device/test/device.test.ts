import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { hydrated } from '@zustand-sqlite/core/testing'
import type { Backend } from '@zustand-sqlite/core'
import {
  createDeviceState,
  createDeviceStore,
  deviceLegacyPersistOptions,
  generateLocalDeviceId,
  getDevice,
  importLegacyDevice,
  resetDevice,
  updateDevice,
} from '@zustand-sqlite/store-device'
import type { DeviceStore } from '@zustand-sqlite/store-device'
import { databaseOn, engines, memoryLocalStorage } from '../../../test-utils/backends'

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

/** big-AGI's id format: 6 characters of nanoid's alphabet, then 4 of base 36. */
const ID_FORMAT = /^[A-Za-z0-9_-]{6}[0-9a-z]{4}$/

async function codeOf(action: () => unknown): Promise<string | undefined> {
  try {
    await action()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}

describe('generateLocalDeviceId', () => {
  it('makes 10 characters in the app format, ending with the time in base 36', () => {
    const ids = new Set(Array.from({ length: 200 }, () => generateLocalDeviceId(1_700_000_000_000)))
    expect(ids.size).toBe(200)
    for (const id of ids) {
      expect(id).toMatch(ID_FORMAT)
      expect(id.slice(6)).toBe((1_700_000_000_000).toString(36).slice(-4))
    }
  })
})

describe('importLegacyDevice', () => {
  it('imports every historic version, keeping unknown keys', () => {
    expect(importLegacyDevice(fixture('app-device.v0.json'))).toEqual({ localDeviceId: 'Xy3_-Q1a2b' })
    expect(importLegacyDevice(fixture('app-device.v1.json'))).toEqual({ localDeviceId: 'a7f3g9h812' })
    // The server-rendering placeholder is no id: it comes back empty, for the store to generate one.
    expect(importLegacyDevice(JSON.parse(fixture('app-device.v1-stale.json')))).toEqual({
      localDeviceId: '',
      deviceName: 'Old laptop',
      syncEnabled: true,
    })
    expect(importLegacyDevice(null)).toBeNull()
    expect(importLegacyDevice(undefined)).toBeNull()
  })

  it('refuses a version with no migration path and data that is not an envelope', async () => {
    expect(await codeOf(() => importLegacyDevice(fixture('app-device.v2-unknown.json')))).toBe('MIGRATION_FAILED')
    expect(await codeOf(() => importLegacyDevice(fixture('app-device.v1-bad-id.json')))).toBe('INVALID_LEGACY_DATA')
    const tooLong = { state: { localDeviceId: 'x'.repeat(65) }, version: 1 }
    expect(await codeOf(() => importLegacyDevice(tooLong))).toBe('INVALID_LEGACY_DATA')
    expect(await codeOf(() => importLegacyDevice('{"state":'))).toBe('INVALID_LEGACY_DATA')
    expect(await codeOf(() => importLegacyDevice({ localDeviceId: 'no-envelope' }))).toBe('INVALID_LEGACY_DATA')
  })

  it('is the migration of the legacy path too: Zustand persist reads a version 0 blob', () => {
    const { map: storage, storage: localStorage } = memoryLocalStorage({ 'app-device': fixture('app-device.v0.json') })
    const useDevice = createStore<DeviceStore>()(
      persist(createDeviceState(), {
        ...deviceLegacyPersistOptions,
        storage: createJSONStorage(() => localStorage),
      }),
    )
    expect(useDevice.getState().getLocalDeviceId()).toBe('Xy3_-Q1a2b')
    expect(JSON.parse(storage.get('app-device') ?? '{}')).toEqual({
      state: { localDeviceId: 'Xy3_-Q1a2b' },
      version: 1,
    })
  })
})

describe.each(engines)('device store on $name', (engine) => {
  const { open, closeAll } = databaseOn(engine)

  it('generates the id once, stores it, and finds it again after a restart', async () => {
    const first = createDeviceStore({ backend: await open() })
    await hydrated(first)
    const id = first.getState().localDeviceId
    expect(id).toMatch(ID_FORMAT)
    expect(first.getState().getLocalDeviceId()).toBe(id)
    await first.persist.flush()
    await closeAll()

    const second = createDeviceStore({ backend: await open() })
    await hydrated(second)
    expect(second.getState().localDeviceId).toBe(id)
    expect(second.getState().getLocalDeviceId()).toBe(id)
  })

  it('keeps the stored id when getLocalDeviceId() was called while the store hydrated', async () => {
    const backend = await open()
    await updateDevice(backend, { localDeviceId: 'stored-id1' })
    // A backend given as a promise: the store hydrates after create() returns, whatever the engine.
    const store = createDeviceStore({ backend: () => Promise.resolve(backend), generateId: false })
    expect(store.persist.hasHydrated()).toBe(false)
    expect(store.getState().getLocalDeviceId()).toMatch(ID_FORMAT)
    await hydrated(store)
    expect(store.getState().localDeviceId).toBe('stored-id1')
    await store.persist.flush()
    expect((await getDevice(backend)).device.localDeviceId).toBe('stored-id1')
  })

  it('keeps the id getLocalDeviceId() returned while the store hydrated, when none was stored', async () => {
    const backend = await open()
    const store = createDeviceStore({ backend: () => Promise.resolve(backend) })
    const id = store.getState().getLocalDeviceId()
    await hydrated(store)
    expect(store.getState().localDeviceId).toBe(id)
    await store.persist.flush()
    expect((await getDevice(backend)).device.localDeviceId).toBe(id)
  })

  it('stores an imported legacy record with its unknown keys, and an id where it had none', async () => {
    const first = createDeviceStore({ backend: await open() })
    await hydrated(first)
    const imported = importLegacyDevice(fixture('app-device.v1-stale.json'))
    if (imported === null) throw new Error('expected a record')
    first.setState(imported)
    const id = first.getState().localDeviceId
    expect(id).toMatch(ID_FORMAT)
    await first.persist.flush()
    await closeAll()

    const backend = await open()
    const second = createDeviceStore({ backend })
    await hydrated(second)
    expect(second.getState()).toMatchObject({ localDeviceId: id, deviceName: 'Old laptop', syncEnabled: true })
    const [row] = await backend.query('SELECT local_device_id, extra FROM device')
    expect(row).toEqual({
      local_device_id: id,
      extra: JSON.stringify({ deviceName: 'Old laptop', syncEnabled: true }),
    })
  })

  it('leaves the id empty until it is asked for, with generateId: false', async () => {
    const store = createDeviceStore({ backend: await open(), generateId: false })
    await hydrated(store)
    expect(store.getState().localDeviceId).toBe('')
    const id = store.getState().getLocalDeviceId()
    expect(id).toMatch(ID_FORMAT)
    await store.persist.flush()
    expect((await getDevice(store.persist.getBackend() as Backend)).device.localDeviceId).toBe(id)
  })

  it('does not make an id over a record it could not load, and leaves the record as it was', async () => {
    const backend = await open()
    await updateDevice(backend, { localDeviceId: 'keep-me-01' })
    // A newer app wrote version 2 of the state.
    const { writeStoredState } = await import('@zustand-sqlite/core')
    const { deviceSchema } = await import('@zustand-sqlite/store-device')
    await writeStoredState(
      backend,
      { name: 'app-device', schema: deviceSchema, version: 2 },
      { localDeviceId: 'v2-id' },
    )
    const errors: unknown[] = []
    const store = createDeviceStore({ backend, onError: (e) => errors.push(e) })
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(store.persist.hasHydrated()).toBe(false)
    expect(store.getState().localDeviceId).toBe('')
    expect((errors[0] as { code?: string }).code).toBe('MIGRATION_FAILED')
    expect(await codeOf(() => getDevice(backend))).toBe('MIGRATION_FAILED')
    expect(await backend.query('SELECT local_device_id FROM device')).toEqual([{ local_device_id: 'v2-id' }])
  })

  it('gets, updates and resets the record through the query functions', async () => {
    const backend = await open()
    expect(await getDevice(backend)).toEqual({ device: { localDeviceId: '' }, createdAt: null, updatedAt: null })

    const before = Date.now()
    const updated = await updateDevice(backend, { localDeviceId: 'abcdef1234' })
    expect(updated.device).toEqual({ localDeviceId: 'abcdef1234' })
    expect(updated.createdAt).toBeGreaterThanOrEqual(before)
    expect(await getDevice(backend)).toEqual(updated)

    const reset = await resetDevice(backend)
    expect(reset.device.localDeviceId).toMatch(ID_FORMAT)
    expect(reset.device.localDeviceId).not.toBe('abcdef1234')
    expect(reset.createdAt).toBe(updated.createdAt)

    const store = createDeviceStore({ backend })
    await hydrated(store)
    expect(store.getState().localDeviceId).toBe(reset.device.localDeviceId)
  })

  it('drops the keys a record held beyond the id when it is reset', async () => {
    const first = createDeviceStore({ backend: await open() })
    await hydrated(first)
    first.setState({ localDeviceId: 'abcdef1234', deviceName: 'Old laptop' } as Partial<DeviceStore>)
    await first.persist.flush()
    await closeAll()

    const backend = await open()
    expect((await getDevice(backend)).device).toEqual({ localDeviceId: 'abcdef1234', deviceName: 'Old laptop' })
    const reset = await resetDevice(backend)
    expect(Object.keys(reset.device)).toEqual(['localDeviceId'])
    expect(reset.device.localDeviceId).toMatch(ID_FORMAT)
    expect(await getDevice(backend)).toEqual(reset)
    expect(await backend.query('SELECT extra FROM device')).toEqual([{ extra: null }])
  })

  it('runs concurrent query functions one after another, each returning what it wrote', async () => {
    const backend = await open()
    const [first, reset, last] = await Promise.all([
      updateDevice(backend, { localDeviceId: 'first-id01' }),
      resetDevice(backend),
      updateDevice(backend, { localDeviceId: 'last-id-01' }),
    ])
    expect(first.device).toEqual({ localDeviceId: 'first-id01' })
    expect(reset.device.localDeviceId).toMatch(ID_FORMAT)
    expect(reset.device.localDeviceId).not.toBe('first-id01')
    expect(last.device).toEqual({ localDeviceId: 'last-id-01' })
    expect(await getDevice(backend)).toEqual(last)
  })

  it('refuses a bad update with INVALID_VALUE and writes nothing', async () => {
    const backend = await open()
    const stored = await updateDevice(backend, { localDeviceId: 'abcdef1234' })
    for (const patch of [{ localDeviceId: 42 }, { localDeviceId: '' }, { other: 'x' }, 'abc', null]) {
      expect(await codeOf(() => updateDevice(backend, patch))).toBe('INVALID_VALUE')
    }
    expect(await getDevice(backend)).toEqual(stored)
  })
})
