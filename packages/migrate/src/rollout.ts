import { isPlainObject, randomId, ZustandSqliteError } from '@zustand-sqlite/core'

/** The flag that gates the switch of an app's stores to SQLite: the same name as the UX labs store's flag. */
export const SQLITE_MIGRATION_FLAG = 'sqlite-migration'

/** The percentages of devices a rollout moves through, one stage after the other. */
export const ROLLOUT_STAGES = [5, 25, 75, 100] as const

/**
 * A storage read and written synchronously, which does not depend on the SQLite database it gates:
 * `localStorage` in a browser, or any object with these three methods (a file-backed shim on Node).
 */
export interface SyncStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

/** Options of {@link createRollout}. */
export interface RolloutOptions {
  /**
   * Where the rollout record is kept. Without it and without `globalThis.localStorage`, `createRollout`
   * throws INVALID_OPTIONS.
   * @default globalThis.localStorage
   */
  readonly storage?: SyncStorage
  /**
   * The flag's name. It also names the record's key (see {@link rolloutRecordKey}), and goes into the bucket's
   * hash, so that the devices of the first 5% of one flag are not the first 5% of every flag.
   * @default 'sqlite-migration'
   */
  readonly flag?: string
  /**
   * The device's id, hashed into its bucket.
   * @default a random id, made on the first start and kept in the record
   */
  readonly deviceId?: string
  /**
   * The percentage of devices on SQLite, from 0 to 100 (fractions allowed: 0.5 is one device in 200).
   * @default the last value given to `setPercentage` (on this device), else 0
   */
  readonly percentage?: number
  /**
   * Sends every device back to legacy storage, rolling back those whose data was moved to SQLite.
   * @default false
   */
  readonly killSwitch?: boolean
}

/** Why a {@link RolloutDecision} chose its storage. */
export type RolloutReason =
  /** `killSwitch` is on. */
  | 'kill-switch'
  /** The user's labs flag (`setOverride`) chose. */
  | 'override'
  /** The data was moved to SQLite on an earlier start: it stays there whatever the percentage. */
  | 'migrated'
  /** The device's bucket is below the percentage. */
  | 'in-rollout'
  /** The device's bucket is at or above the percentage, or the rollout record cannot be used. */
  | 'not-in-rollout'

/** Which storage this start uses, and what must happen before the stores are created. */
export interface RolloutDecision {
  readonly storage: 'sqlite' | 'legacy'
  readonly reason: RolloutReason
  /** The device's bucket, in [0, 100): stable per device and flag. */
  readonly bucket: number
  /** The percentage the decision was taken with. */
  readonly percentage: number
  /** SQLite was chosen and the data has not been moved yet: migrate before creating the stores. */
  readonly migrate: boolean
  /** Legacy storage was chosen and the data lives in SQLite: roll back before creating the stores. */
  readonly rollback: boolean
}

/** The rollout record: what is kept in the storage, as JSON, under {@link rolloutRecordKey}. */
export interface RolloutRecord {
  /** The device's id (the option, or the random id made on the first start). */
  readonly deviceId: string
  /** The data lives in SQLite: set by `markMigrated`, cleared by `markRolledBack`. */
  readonly migrated: boolean
  /** When the data was last moved to SQLite (ms), `null` if never. */
  readonly migratedAt: number | null
  /** When the data was last moved back to legacy storage (ms), `null` if never. */
  readonly rolledBackAt: number | null
  /** The user's labs flag: `true` forces SQLite, `false` legacy storage, `null` follows the rollout. */
  readonly override: boolean | null
  /** The last percentage given to `setPercentage`, `null` if none. */
  readonly percentage: number | null
}

/** The rollout of one flag on this device. */
export interface Rollout {
  readonly flag: string
  readonly deviceId: string
  /** The storage that holds the record (the option, or `localStorage`), for the app's own startup keys. */
  readonly storage: SyncStorage
  /** The device's bucket, in [0, 100). */
  readonly bucket: number
  /**
   * The storage of this start. Synchronous, and it never throws: the first call's decision is kept, and
   * returned by every later call of this object, whatever is changed in between. When the record cannot be
   * read (the storage throws), or the device id made on this first start cannot be kept, it returns legacy
   * storage with neither migration nor rollback, and logs why: a rollout that cannot remember a device cannot
   * keep it on SQLite from one start to the next.
   */
  decide(): RolloutDecision
  /** Keeps a fetched percentage (0 to 100) for the next start. Throws INVALID_OPTIONS for another value. */
  setPercentage(percentage: number): void
  /**
   * Keeps the user's labs flag for the next start: `true` forces SQLite, `false` legacy storage, `null` follows
   * the rollout. Throws INVALID_OPTIONS for another value.
   */
  setOverride(value: boolean | null): void
  /** Records that the data now lives in SQLite (called by the migration once it is verified). */
  markMigrated(): void
  /** Records that the data is back in legacy storage. */
  markRolledBack(): void
  /** The record as last read or written by this object. */
  readonly state: RolloutRecord
}

const RECORD_KEY_PREFIX = 'zustand-sqlite:rollout:'

/**
 * The key of a flag's rollout record in its storage.
 *
 * @example
 * ```ts
 * rolloutRecordKey('sqlite-migration') // 'zustand-sqlite:rollout:sqlite-migration'
 * ```
 */
export function rolloutRecordKey(flag: string): string {
  return RECORD_KEY_PREFIX + flag
}

const utf8 = new TextEncoder()

/**
 * The bucket of a device for a flag, in [0, 100): the 32-bit FNV-1a hash of the UTF-8 of `${flag}:${deviceId}`,
 * mixed by murmur3's finaliser (FNV-1a alone leaves ids that differ in their last character close together),
 * divided by 2^32 and scaled to 100. The same on every platform and every start.
 *
 * @example
 * ```ts
 * const inFirstStage = rolloutBucket(deviceId, SQLITE_MIGRATION_FLAG) < ROLLOUT_STAGES[0]
 * ```
 */
export function rolloutBucket(deviceId: string, flag: string): number {
  let hash = 0x811c9dc5
  for (const byte of utf8.encode(`${flag}:${deviceId}`)) hash = Math.imul(hash ^ byte, 0x01000193)
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
  hash ^= hash >>> 16
  return ((hash >>> 0) / 2 ** 32) * 100
}

function badOption(path: string, message: string): never {
  throw new ZustandSqliteError('INVALID_OPTIONS', `${path}: ${message}`, { path })
}

const isPercentage = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 100

const isLabel = (value: unknown): value is string => typeof value === 'string' && value !== ''

const isTime = (value: unknown): value is number | null =>
  value === null || (typeof value === 'number' && Number.isFinite(value))

const emptyRecord = (deviceId: string): RolloutRecord => ({
  deviceId,
  migrated: false,
  migratedAt: null,
  rolledBackAt: null,
  override: null,
  percentage: null,
})

/**
 * The record held by `raw`, or `undefined` when there is none or it is corrupt (not JSON, or a field of the
 * wrong type), with the device id when one can be read from it. A corrupt record never counts as migrated.
 */
function parseRecord(raw: unknown): { record: RolloutRecord | undefined; deviceId: string | undefined } {
  if (typeof raw !== 'string') return { record: undefined, deviceId: undefined }
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return { record: undefined, deviceId: undefined }
  }
  if (!isPlainObject(value)) return { record: undefined, deviceId: undefined }
  const { deviceId, migrated, migratedAt, rolledBackAt, override, percentage } = value as Record<string, unknown>
  const id = isLabel(deviceId) ? deviceId : undefined
  const valid =
    id !== undefined &&
    typeof migrated === 'boolean' &&
    isTime(migratedAt) &&
    isTime(rolledBackAt) &&
    (override === null || typeof override === 'boolean') &&
    (percentage === null || isPercentage(percentage))
  return valid
    ? { record: { deviceId: id, migrated, migratedAt, rolledBackAt, override, percentage }, deviceId: id }
    : { record: undefined, deviceId: id }
}

/** A storage whose every call throws `error`: `localStorage` itself could not be reached. */
function unreachable(error: unknown): SyncStorage {
  const fail = (): never => {
    throw error
  }
  return { getItem: fail, setItem: fail, removeItem: fail }
}

function checkOptions(options: RolloutOptions): void {
  const { storage, flag, deviceId, percentage, killSwitch } = options
  if (
    storage !== undefined &&
    (typeof storage !== 'object' ||
      storage === null ||
      typeof storage.getItem !== 'function' ||
      typeof storage.setItem !== 'function')
  )
    badOption('storage', 'must have getItem and setItem methods')
  if (flag !== undefined && !isLabel(flag)) badOption('flag', 'must be a non-empty string')
  if (deviceId !== undefined && !isLabel(deviceId)) badOption('deviceId', 'must be a non-empty string')
  if (percentage !== undefined && !isPercentage(percentage))
    badOption('percentage', `must be a number from 0 to 100, not ${String(percentage)}`)
  if (killSwitch !== undefined && typeof killSwitch !== 'boolean') badOption('killSwitch', 'must be a boolean')
}

function defaultStorage(): SyncStorage {
  let storage: SyncStorage | undefined
  try {
    storage = (globalThis as { localStorage?: SyncStorage }).localStorage
  } catch (error) {
    // Browsers throw on the mere access when site data is blocked: a storage failure, not a missing option.
    return unreachable(error)
  }
  if (storage === undefined || storage === null)
    badOption('storage', 'there is no globalThis.localStorage here: pass a synchronous storage')
  return storage
}

interface DecisionInput {
  readonly usable: boolean
  readonly killSwitch: boolean
  readonly override: boolean | null
  readonly migrated: boolean
  readonly bucket: number
  readonly percentage: number
}

function decideFrom(input: DecisionInput): RolloutDecision {
  const { usable, killSwitch, override, migrated, bucket, percentage } = input
  const legacy = (reason: RolloutReason, rollback: boolean): RolloutDecision => ({
    storage: 'legacy',
    reason,
    bucket,
    percentage,
    migrate: false,
    rollback,
  })
  const sqlite = (reason: RolloutReason, migrate: boolean): RolloutDecision => ({
    storage: 'sqlite',
    reason,
    bucket,
    percentage,
    migrate,
    rollback: false,
  })
  if (killSwitch) return legacy('kill-switch', usable && migrated)
  if (!usable) return legacy('not-in-rollout', false)
  if (override === true) return sqlite('override', !migrated)
  if (override === false) return legacy('override', migrated)
  if (migrated) return sqlite('migrated', false)
  if (bucket < percentage) return sqlite('in-rollout', true)
  return legacy('not-in-rollout', false)
}

/**
 * The rollout of a flag on this device, read once from its synchronous storage: create it at startup, before
 * any store, and create the stores on the storage `decide()` returns. The decision, in order: the kill switch
 * sends everyone to legacy storage (rolling back a migrated device); the user's override forces SQLite or
 * legacy storage; a migrated device stays on SQLite when the percentage goes down; a device whose bucket is
 * below the percentage moves to SQLite; any other stays on legacy storage.
 *
 * Throws INVALID_OPTIONS for an invalid option, or when there is no storage. A corrupt record does not throw:
 * it counts as empty (its device id kept when readable), never as migrated. The mutators throw
 * LEGACY_STORAGE_FAILED when the storage throws; `decide()` never throws.
 *
 * @example
 * ```ts
 * const rollout = createRollout({ percentage: remoteConfig.sqlitePercentage })
 * const decision = rollout.decide()
 * if (decision.rollback) await rollBackToLegacy()
 * if (decision.migrate) await migrateToSQLite().then(() => rollout.markMigrated())
 * const stores = decision.storage === 'sqlite' ? createSQLiteStores() : createLegacyStores()
 * fetchRemoteConfig().then((config) => rollout.setPercentage(config.sqlitePercentage))
 * ```
 */
export function createRollout(options: RolloutOptions = {}): Rollout {
  checkOptions(options)
  const { flag = SQLITE_MIGRATION_FLAG, killSwitch = false } = options
  const storage = options.storage ?? defaultStorage()
  const key = rolloutRecordKey(flag)

  let stored: ReturnType<typeof parseRecord> | undefined
  let usable = true
  try {
    stored = parseRecord(storage.getItem(key))
  } catch (error) {
    usable = false
    console.warn(`[zustand-sqlite] the rollout record "${key}" cannot be read: legacy storage this start`, error)
  }
  const deviceId = options.deviceId ?? stored?.deviceId ?? randomId()
  let state = stored?.record === undefined ? emptyRecord(deviceId) : { ...stored.record, deviceId }
  if (usable && options.deviceId === undefined && stored?.deviceId === undefined) {
    try {
      storage.setItem(key, JSON.stringify(state))
    } catch (error) {
      usable = false
      console.warn(`[zustand-sqlite] the rollout record "${key}" cannot be written: legacy storage this start`, error)
    }
  }
  const bucket = rolloutBucket(deviceId, flag)
  const atStart = state

  let decision: RolloutDecision | undefined
  const decide = (): RolloutDecision =>
    (decision ??= decideFrom({
      usable,
      killSwitch,
      override: atStart.override,
      migrated: atStart.migrated,
      bucket,
      percentage: options.percentage ?? atStart.percentage ?? 0,
    }))

  const failed = (doing: string, cause: unknown): ZustandSqliteError =>
    new ZustandSqliteError('LEGACY_STORAGE_FAILED', `could not ${doing} the rollout record "${key}"`, { cause })

  // Read, changed and written back at once: another tab may have changed the record since this one started.
  const update = (change: Partial<RolloutRecord>): void => {
    let raw: string | null
    try {
      raw = storage.getItem(key)
    } catch (cause) {
      throw failed('read', cause)
    }
    const current = parseRecord(raw).record ?? emptyRecord(deviceId)
    const next: RolloutRecord = { ...current, ...change, deviceId }
    try {
      storage.setItem(key, JSON.stringify(next))
    } catch (cause) {
      throw failed('write', cause)
    }
    state = next
  }

  return {
    flag,
    deviceId,
    storage,
    bucket,
    decide,
    setPercentage: (percentage) => {
      if (!isPercentage(percentage))
        badOption('percentage', `must be a number from 0 to 100, not ${String(percentage)}`)
      update({ percentage })
    },
    setOverride: (value) => {
      if (value !== null && typeof value !== 'boolean') badOption('override', 'must be true, false or null')
      update({ override: value })
    },
    markMigrated: () => update({ migrated: true, migratedAt: Date.now() }),
    markRolledBack: () => update({ migrated: false, rolledBackAt: Date.now() }),
    get state() {
      return state
    },
  }
}
