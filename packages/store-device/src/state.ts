import type { StateCreator } from 'zustand/vanilla'
import { randomId, ZustandSqliteError } from '@zustand-sqlite/core'

/** The persisted state of the device store: big-AGI's `app-device`. */
export interface DeviceState {
  /** This browser's (or process's) device id: 10 characters, generated once; `''` until then. */
  localDeviceId: string
}

/** The device store's actions. */
export interface DeviceActions {
  /**
   * The device id, generated and stored on first use (big-AGI's `deviceGetGlobalDeviceId`): every call
   * returns the same id, across restarts once it is written.
   */
  getLocalDeviceId: () => string
}

/** State and actions of the device store. */
export type DeviceStore = DeviceState & DeviceActions

/** The store's name, in the database and (for the legacy path) in localStorage. */
export const DEVICE_STORE_NAME = 'app-device'
/** The state version: big-AGI's `app-device` is at 1 and was never migrated. */
export const DEVICE_STATE_VERSION = 1

/** The longest device id accepted from an update or an import. */
export const MAX_ID_LENGTH = 64

/** The state of a device that has no id yet. */
export function deviceDefaults(): DeviceState {
  return { localDeviceId: '' }
}

/**
 * A new device id in big-AGI's format: 6 random URL-safe characters, then the last 4 characters of
 * the time in base 36. Random characters come from `crypto.getRandomValues`.
 *
 * @example
 * ```ts
 * generateLocalDeviceId() // 'a7f3g9h8k2'
 * ```
 */
export function generateLocalDeviceId(now: number = Date.now()): string {
  return randomId(6) + now.toString(36).slice(-4)
}

/**
 * The device store's state and actions, on their own: for `persistSQLite` (see `createDeviceStore` and
 * `deviceDefinition`) or for Zustand's `persist` on the legacy path (with `deviceLegacyPersistOptions`).
 *
 * @example
 * ```ts
 * const useDeviceStore = create<DeviceStore>()(persist(createDeviceState(), deviceLegacyPersistOptions))
 * ```
 */
export function createDeviceState(): StateCreator<DeviceStore, [], [], DeviceStore> {
  return (set, get) => ({
    ...deviceDefaults(),
    getLocalDeviceId: () => {
      // Decided on the state the set is made on: called while the store hydrates, the set is made again
      // on the hydrated state, where a stored id wins; with none stored, the id made here is kept.
      let made: string | undefined
      set((state) => (state.localDeviceId !== '' ? state : { localDeviceId: (made ??= generateLocalDeviceId()) }))
      return get().localDeviceId
    },
  })
}

/**
 * Brings state persisted at an older version to the current one: `persist`'s `migrate`. Version 0
 * has the same shape as 1 (the store never changed), so it is kept as it is, unknown keys included.
 * A version newer than this package knows throws MIGRATION_FAILED.
 */
export function migrateDeviceState(persisted: unknown, version: number): DeviceState {
  if (version > DEVICE_STATE_VERSION || version < 0 || !Number.isInteger(version)) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${DEVICE_STORE_NAME} state version ${version} is not one this package knows (0 to ${DEVICE_STATE_VERSION})`,
      { store: DEVICE_STORE_NAME },
    )
  }
  return persisted as DeviceState
}

/** Zustand `persist` options of the legacy path: big-AGI's own, plus the migration of version 0. */
export const deviceLegacyPersistOptions = {
  name: DEVICE_STORE_NAME,
  version: DEVICE_STATE_VERSION,
  migrate: migrateDeviceState,
} as const
