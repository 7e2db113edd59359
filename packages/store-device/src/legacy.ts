import { readPersistEnvelope, ZustandSqliteError } from '@zustand-sqlite/core'
import { DEVICE_STORE_NAME, deviceDefaults, migrateDeviceState } from './state'
import type { DeviceState } from './state'

/**
 * Imports what big-AGI's device store left in localStorage (`localStorage.getItem('app-device')`): the
 * `{ state, version }` envelope, as JSON text or parsed. Returns the current state with every stored
 * key kept, or `null` when there is nothing to import (`null` or `undefined`).
 *
 * Throws INVALID_LEGACY_DATA for data that is not an envelope or whose `localDeviceId` is not a
 * string, and MIGRATION_FAILED for a version newer than this package knows. Nothing is written.
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
  if (typeof migrated.localDeviceId !== 'string') {
    throw new ZustandSqliteError(
      'INVALID_LEGACY_DATA',
      `${DEVICE_STORE_NAME}: localDeviceId is not a string; nothing was imported`,
      { path: 'localDeviceId', store: DEVICE_STORE_NAME },
    )
  }
  return migrated
}
