import { readPersistEnvelope, ZustandSqliteError } from '@zustand-sqlite/core'
import { DEVICE_STORE_NAME, deviceDefaults, MAX_ID_LENGTH, migrateDeviceState } from './state'
import type { DeviceState } from './state'

/** What big-AGI's device id function returns while rendering on the server. */
const SSR_PLACEHOLDER_ID = 'ssr-dummy-device-id'

/**
 * Imports what big-AGI's device store left in localStorage (`localStorage.getItem('app-device')`): the
 * `{ state, version }` envelope, as JSON text or parsed. Returns the current state with every stored
 * key kept, or `null` when there is nothing to import (`null` or `undefined`). An empty id, or the
 * app's server-rendering placeholder `'ssr-dummy-device-id'`, comes back as `''`: no id yet, and the
 * store generates one.
 *
 * Throws INVALID_LEGACY_DATA for data that is not an envelope or whose `localDeviceId` is not a
 * string of at most 64 characters, and MIGRATION_FAILED for a version newer than this package knows.
 * Nothing is written.
 *
 * @example
 * ```ts
 * const imported = importLegacyDevice(localStorage.getItem('app-device'))
 * if (imported) store.setState(imported)
 * ```
 */
export function importLegacyDevice(value: unknown): DeviceState | null {
  if (value === null || value === undefined) return null
  const { state, version } = readPersistEnvelope(value, DEVICE_STORE_NAME)
  const migrated = { ...deviceDefaults(), ...migrateDeviceState(state, version) }
  const id: unknown = migrated.localDeviceId
  if (typeof id !== 'string' || id.length > MAX_ID_LENGTH) {
    throw new ZustandSqliteError(
      'INVALID_LEGACY_DATA',
      `${DEVICE_STORE_NAME}.localDeviceId: expected a string of at most ${MAX_ID_LENGTH} characters; nothing was imported`,
      { path: `${DEVICE_STORE_NAME}.localDeviceId`, store: DEVICE_STORE_NAME },
    )
  }
  // The app's server-rendering placeholder is the same on every device: it is no id of this one.
  return id === SSR_PLACEHOLDER_ID ? { ...migrated, localDeviceId: '' } : migrated
}
