import { rules, validatePatch } from '@zustand-sqlite/core'
import type { Backend, Rules } from '@zustand-sqlite/core'
import { DEVICE_STORE_NAME, deviceDefaults, MAX_ID_LENGTH } from './state'
import type { DeviceState, DeviceStore } from './state'
import { deviceDefinition } from './store'

/** Options of the device query functions. */
export interface DeviceQueryOptions {
  /** The store's name in the database. @default 'app-device' */
  readonly name?: string
}

/** The device record as the query functions return it. */
export interface DeviceRecord {
  readonly device: DeviceState
  /** When the row was first written (ms since the epoch); `null` when nothing is stored. */
  readonly createdAt: number | null
  /** When the row was last written; `null` when nothing is stored. */
  readonly updatedAt: number | null
}

/** What `updateDevice` accepts: an id of 1 to 64 characters. */
export const deviceRules: Rules<DeviceState> = {
  localDeviceId: rules.string({ minLength: 1, maxLength: MAX_ID_LENGTH }),
}

/** The persisted record of a state: every key but the action. */
function deviceOf(state: DeviceStore): DeviceState {
  const { getLocalDeviceId: _action, ...device } = state
  return device
}

/** The record with the times of its row (the row belongs to the store: its name is the schema's). */
async function recordOf(backend: Backend, device: DeviceState, stored: boolean): Promise<DeviceRecord> {
  if (!stored) return { device, createdAt: null, updatedAt: null }
  const [row] = await backend.query('SELECT created_at, updated_at FROM device WHERE id = 1')
  return {
    device,
    createdAt: typeof row?.['created_at'] === 'number' ? row['created_at'] : null,
    updatedAt: typeof row?.['updated_at'] === 'number' ? row['updated_at'] : null,
  }
}

/**
 * The stored device record (for `GET /api/device`): the state as the store would hydrate it, with
 * defaults for what is missing, and the row's times. Changes no stored data (on a database without the
 * table, it creates it, empty); an id is not generated here.
 *
 * @example
 * ```ts
 * const { device } = await getDevice(backend)
 * ```
 */
export async function getDevice(backend: Backend, options: DeviceQueryOptions = {}): Promise<DeviceRecord> {
  const { state, version } = await deviceDefinition.read(backend, { name: options.name ?? DEVICE_STORE_NAME })
  return recordOf(backend, deviceOf(state), version !== null)
}

/**
 * Updates fields of the device record (for `PUT /api/device`), in one transaction of one row. The
 * patch is checked first: a wrong type or an unknown field throws INVALID_VALUE and writes nothing.
 *
 * @example
 * ```ts
 * await updateDevice(backend, { localDeviceId: 'a7f3g9h8k2' })
 * ```
 */
export async function updateDevice(
  backend: Backend,
  patch: unknown,
  options: DeviceQueryOptions = {},
): Promise<DeviceRecord> {
  const checked = validatePatch(patch, deviceRules, { what: 'device' })
  const device = await deviceDefinition.update(
    backend,
    (store) => {
      // The store has no action that sets the id: the app's own store sets it with setState too.
      store.setState(checked)
      return deviceOf(store.getState())
    },
    { name: options.name ?? DEVICE_STORE_NAME },
  )
  return recordOf(backend, device, true)
}

/**
 * Resets the device record (for `POST /api/device/reset`): the default state of a device is a fresh
 * id, so a reset issues a new one, with the store's own `getLocalDeviceId()`. Keys the record held
 * beyond the id are dropped.
 *
 * @example
 * ```ts
 * const { device } = await resetDevice(backend)
 * ```
 */
export async function resetDevice(backend: Backend, options: DeviceQueryOptions = {}): Promise<DeviceRecord> {
  const device = await deviceDefinition.update(
    backend,
    (store) => {
      // Replaced whole, the action kept, so that no other key survives; the action then makes the id.
      store.setState((state) => ({ ...deviceDefaults(), getLocalDeviceId: state.getLocalDeviceId }), true)
      store.getState().getLocalDeviceId()
      return deviceOf(store.getState())
    },
    { name: options.name ?? DEVICE_STORE_NAME },
  )
  return recordOf(backend, device, true)
}
