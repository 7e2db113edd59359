import { readStoredState, rules, validatePatch, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, Rules, StoredState } from '@zustand-sqlite/core'
import { deviceSchema } from './schema'
import {
  DEVICE_STATE_VERSION,
  DEVICE_STORE_NAME,
  deviceDefaults,
  generateLocalDeviceId,
  MAX_ID_LENGTH,
  migrateDeviceState,
} from './state'
import type { DeviceState } from './state'

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

interface Current {
  readonly stored: StoredState | null
  readonly device: DeviceState
}

async function current(backend: Backend, name: string): Promise<Current> {
  const stored = await readStoredState(backend, { name, schema: deviceSchema })
  if (stored === null) return { stored, device: deviceDefaults() }
  const migrated = migrateDeviceState({ ...stored.state }, stored.version)
  return { stored, device: { ...deviceDefaults(), ...migrated } }
}

async function record(backend: Backend, device: DeviceState, stored: boolean): Promise<DeviceRecord> {
  if (!stored) return { device, createdAt: null, updatedAt: null }
  const [row] = await backend.query('SELECT created_at, updated_at FROM device WHERE id = 1')
  return {
    device,
    createdAt: typeof row?.['created_at'] === 'number' ? row['created_at'] : null,
    updatedAt: typeof row?.['updated_at'] === 'number' ? row['updated_at'] : null,
  }
}

async function write(backend: Backend, name: string, before: Current, device: DeviceState): Promise<DeviceRecord> {
  await writeStoredState(
    backend,
    { name, schema: deviceSchema, version: DEVICE_STATE_VERSION, previous: before.stored },
    device,
  )
  return record(backend, device, true)
}

/**
 * The stored device record (for `GET /api/device`): the state with defaults for what is missing, and
 * the row's times. Changes no stored data (on a database without the table, it creates it, empty);
 * an id is not generated here.
 *
 * @example
 * ```ts
 * const { device } = await getDevice(backend)
 * ```
 */
export async function getDevice(backend: Backend, options: DeviceQueryOptions = {}): Promise<DeviceRecord> {
  const name = options.name ?? DEVICE_STORE_NAME
  const { stored, device } = await current(backend, name)
  return record(backend, device, stored !== null)
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
  const name = options.name ?? DEVICE_STORE_NAME
  const before = await current(backend, name)
  return write(backend, name, before, { ...before.device, ...checked })
}

/**
 * Resets the device record (for `POST /api/device/reset`): the default state of a device is a fresh
 * id, so a reset issues a new one. Keys the record held beyond the id are dropped.
 *
 * @example
 * ```ts
 * const { device } = await resetDevice(backend)
 * ```
 */
export async function resetDevice(backend: Backend, options: DeviceQueryOptions = {}): Promise<DeviceRecord> {
  const name = options.name ?? DEVICE_STORE_NAME
  const before = await current(backend, name)
  return write(backend, name, before, { ...deviceDefaults(), localDeviceId: generateLocalDeviceId() })
}
