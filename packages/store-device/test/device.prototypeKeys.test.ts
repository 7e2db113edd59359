import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createDeviceStore, getDevice, importLegacyDevice, updateDevice } from '@zustand-sqlite/store-device'
import type { DeviceState } from '@zustand-sqlite/store-device'
import { PROTOTYPE_NAMES, withStoreDatabase } from '../../../test-utils/stores'

/** Names that `Object.prototype` has: ids and keys like any other for the store. */

const withDatabase = withStoreDatabase(createDeviceStore)

const id = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fc.constantFrom('a7f3g9h8k2', 'x'))
/** Unknown keys of the record; `__proto__` is left out: Zustand's `setState` cannot hold it as a key. */
const unknownKey = fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'valueOf', 'deviceName')

describe('the device store with ids and keys that are Object.prototype names', () => {
  it('imports, stores and reloads such a device id with unknown keys of such names', async () => {
    await fc.assert(
      fc.asyncProperty(id, fc.uniqueArray(unknownKey, { maxLength: 3 }), async (deviceId, keys) => {
        const state = Object.fromEntries([['localDeviceId', deviceId], ...keys.map((k) => [k, `${k}!`])])
        const imported = importLegacyDevice(JSON.stringify({ state, version: 1 })) as DeviceState
        expect(Object.getPrototypeOf(imported)).toBe(Object.prototype)
        expect(imported).toStrictEqual(state)
        await withDatabase(async (open, connect) => {
          const store = await open()
          store.setState(imported)
          expect(store.getState().getLocalDeviceId()).toBe(deviceId)
          await store.persist.flush()
          const again = (await open()).getState()
          expect(again.getLocalDeviceId()).toBe(deviceId)
          for (const k of keys)
            expect(Object.hasOwn(again, k) && (again as unknown as Record<string, unknown>)[k]).toBe(`${k}!`)
          expect((await getDevice(connect())).device).toStrictEqual(state)
        })
      }),
      { numRuns: 30 },
    )
  })

  it('updates the device id to such a name with the query functions', async () => {
    await withDatabase(async (open, connect) => {
      for (const name of PROTOTYPE_NAMES) {
        const { device } = await updateDevice(connect(), { localDeviceId: name })
        expect(device).toStrictEqual({ localDeviceId: name })
        expect((await open()).getState().getLocalDeviceId()).toBe(name)
      }
    })
  })
})
