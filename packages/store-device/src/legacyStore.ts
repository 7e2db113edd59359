import { defineLegacyStore } from '@zustand-sqlite/core'
import { importLegacyDevice } from './legacy'
import { deviceLegacyPersistOptions } from './state'
import { deviceDefinition } from './store'

/**
 * How big-AGI kept the device id before SQLite, for a migration: the `app-device` key of localStorage,
 * read by `importLegacyDevice` (versions 0 and 1) and written back, on rollback, with
 * `deviceLegacyPersistOptions` (version 1). `count` reports `settings`: the keys stored (`localDeviceId`
 * and any other) and `ids`: 1 when the device has an id, 0 when it has none yet.
 *
 * @example
 * ```ts
 * const imported = await deviceLegacy.import(localStorage.getItem('app-device'), context)
 * ```
 */
export const deviceLegacy = defineLegacyStore({
  definition: deviceDefinition,
  key: deviceLegacyPersistOptions.name,
  location: 'localStorage',
  import: (raw) => {
    const state = importLegacyDevice(raw)
    return state === null ? null : { state, cleaned: 0 }
  },
  count: (state) => ({ settings: Object.keys(state).length, ids: state.localDeviceId === '' ? 0 : 1 }),
  persistOptions: deviceLegacyPersistOptions,
})
