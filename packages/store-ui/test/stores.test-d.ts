import { describe, expectTypeOf, it } from 'vitest'
import { useStore } from 'zustand'
import { devtools, persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import { persistSQLite } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { createDeviceState, createDeviceStore, deviceLegacyPersistOptions } from '@zustand-sqlite/store-device'
import type { DeviceState, DeviceStore } from '@zustand-sqlite/store-device'
import { createUXLabsState, createUXLabsStore, uxLabsLegacyPersistOptions } from '@zustand-sqlite/store-labs'
import type { UXLabsStore } from '@zustand-sqlite/store-labs'
import {
  createUIPreferencesState,
  createUIPreferencesStore,
  uiPreferencesLegacyPersistOptions,
  uiPreferencesSchema,
} from '@zustand-sqlite/store-ui'
import type { CenterMode, PersistedUIPreferences, UIPreferencesStore } from '@zustand-sqlite/store-ui'

// Type tests only: nothing here runs.
declare const backend: Backend

describe('the store packages', () => {
  it('give stores typed for useStore, with store.persist', () => {
    const ui = createUIPreferencesStore({ backend })
    expectTypeOf(useStore(ui, (s) => s.centerMode)).toEqualTypeOf<CenterMode>()
    expectTypeOf(ui.persist.flush).toEqualTypeOf<() => Promise<void>>()
    expectTypeOf(useStore(createUXLabsStore({ backend }), (s) => s.getFlag)).toEqualTypeOf<(name: string) => boolean>()
    expectTypeOf(createDeviceStore({ backend }).getState().getLocalDeviceId()).toBeString()
  })

  it('give state creators that run under Zustand persist with the legacy options', () => {
    const ui = createStore<UIPreferencesStore>()(persist(createUIPreferencesState(), uiPreferencesLegacyPersistOptions))
    expectTypeOf(ui.persist.getOptions().partialize).toEqualTypeOf<
      ((state: UIPreferencesStore) => PersistedUIPreferences) | undefined
    >()
    const labs = createStore<UXLabsStore>()(persist(createUXLabsState(), uxLabsLegacyPersistOptions))
    expectTypeOf(labs.getState().setLabsPreserveLosslessImages).toEqualTypeOf<(enabled: boolean) => void>()
    const device = createStore<DeviceStore>()(persist(createDeviceState(), deviceLegacyPersistOptions))
    expectTypeOf(device.getState().localDeviceId).toBeString()
    expectTypeOf(device.persist.hasHydrated).toEqualTypeOf<() => boolean>()
  })

  it('give state creators that compose with persistSQLite and devtools', () => {
    const ui = createStore<UIPreferencesStore>()(
      devtools(persistSQLite(createUIPreferencesState(), { name: 'app-ui', backend, schema: uiPreferencesSchema })),
    )
    expectTypeOf(ui.getState().setFontSize).toEqualTypeOf<(fontSize: number) => void>()
    expectTypeOf(ui.persist.getBackend()).toEqualTypeOf<Backend | undefined>()
  })

  it('refuse options of the wrong type', () => {
    // @ts-expect-error a backend is required
    createUIPreferencesStore({})
    // @ts-expect-error the device state has no such field
    const wrong: DeviceState = { localDeviceId: 'x', other: 1 }
    expectTypeOf(wrong).toEqualTypeOf<DeviceState>()
  })
})
