export {
  createDeviceState,
  DEVICE_STATE_VERSION,
  DEVICE_STORE_NAME,
  deviceDefaults,
  deviceLegacyPersistOptions,
  generateLocalDeviceId,
  MAX_ID_LENGTH,
  migrateDeviceState,
} from './state'
export type { DeviceActions, DeviceState, DeviceStore } from './state'
export { deviceSchema } from './schema'
export { createDeviceStore, deviceDefinition } from './store'
export type { DeviceStateOptions, DeviceStoreApi, DeviceStoreOptions } from './store'
export { importLegacyDevice } from './legacy'
export { deviceLegacy } from './legacyStore'
export { deviceRules, getDevice, resetDevice, updateDevice } from './queries'
export type { DeviceQueryOptions, DeviceRecord } from './queries'
