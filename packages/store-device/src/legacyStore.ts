import { defineLegacyStore, readPersistEnvelope } from '@zustand-sqlite/core'
import { importLegacyDevice } from './legacy'
import { DEVICE_STORE_NAME, deviceLegacyPersistOptions } from './state'
import { deviceDefinition } from './store'

/**
 * How big-AGI kept the device id before SQLite, for a migration: the `app-device` key of localStorage,
 * read by `importLegacyDevice` (versions 0 and 1) and written back, on rollback, with
 * `deviceLegacyPersistOptions` (version 1). `cleaned` is 1 when the stored id was the app's server-rendering placeholder. `count` reports `settings`: the keys stored (`localDeviceId`
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
    if (state === null) return null
    // The app's server-rendering placeholder id, read as no id: one thing cleaned.
    const stored = readPersistEnvelope(raw, DEVICE_STORE_NAME).state['localDeviceId']
    return { state, cleaned: typeof stored === 'string' && stored !== '' && state.localDeviceId === '' ? 1 : 0 }
  },
  count: (state) => ({ settings: Object.keys(state).length, ids: state.localDeviceId === '' ? 0 : 1 }),
  persistOptions: deviceLegacyPersistOptions,
})
