import { afterEach, describe, expect, it, vi } from 'vitest'
import { randomId } from '@zustand-sqlite/core'
import { SQLITE_MIGRATION_FLAG as LABS_FLAG } from '@zustand-sqlite/store-labs'
import {
  createRollout,
  ROLLOUT_STAGES,
  rolloutBucket,
  rolloutRecordKey,
  SQLITE_MIGRATION_FLAG,
} from '@zustand-sqlite/migrate'
import type { RolloutOptions, SyncStorage } from '@zustand-sqlite/migrate'

const KEY = rolloutRecordKey(SQLITE_MIGRATION_FLAG)

/** A synchronous storage over a Map, as localStorage would be. */
function memoryStorage(entries: Record<string, string> = {}): SyncStorage & { map: Map<string, string> } {
  const map = new Map(Object.entries(entries))
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  }
}

/** What `action` throws, or `undefined`. */
function thrown(action: () => unknown): { code?: string; path?: string } | undefined {
  try {
    action()
  } catch (error) {
    return error as { code?: string; path?: string }
  }
  return undefined
}

/** The first of the ids `device-0`, `device-1`, ... whose bucket passes `test`. */
function idWithBucket(test: (bucket: number) => boolean): string {
  for (let i = 0; ; i++) if (test(rolloutBucket(`device-${i}`, SQLITE_MIGRATION_FLAG))) return `device-${i}`
}

const start = (storage: SyncStorage, options: Omit<RolloutOptions, 'storage'> = {}) =>
  createRollout({ storage, ...options })

afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('rolloutBucket', () => {
  it('gives the same bucket for the same id and flag, on every call and every rollout', () => {
    const storage = memoryStorage()
    const first = start(storage)
    const again = start(storage)
    const elsewhere = start(memoryStorage(), { deviceId: first.deviceId })
    expect(again.deviceId).toBe(first.deviceId)
    expect(again.bucket).toBe(first.bucket)
    expect(elsewhere.bucket).toBe(first.bucket)
    expect(first.bucket).toBe(rolloutBucket(first.deviceId, SQLITE_MIGRATION_FLAG))
    expect(rolloutBucket('device-1', SQLITE_MIGRATION_FLAG)).toBe(rolloutBucket('device-1', SQLITE_MIGRATION_FLAG))
  })

  it('is a fixed function of the UTF-8 of flag:id (FNV-1a, murmur3 finaliser)', () => {
    expect(rolloutBucket('device-1', 'sqlite-migration')).toBe(47.92567868717015)
    expect(rolloutBucket('device-2', 'sqlite-migration')).toBe(61.359701212495565)
    expect(rolloutBucket('device-1', 'other-flag')).toBe(19.582625711336732)
    expect(rolloutBucket('é', 'sqlite-migration')).toBe(17.203273996710777)
  })

  it('spreads 100k random ids evenly: every stage, and every whole percentage, within 1 point', () => {
    const ids = Array.from({ length: 100_000 }, () => randomId())
    const storage = memoryStorage()
    for (const percentage of ROLLOUT_STAGES) {
      const joined = ids.filter((deviceId) => start(storage, { deviceId, percentage }).decide().storage === 'sqlite')
      expect(Math.abs((joined.length / ids.length) * 100 - percentage)).toBeLessThanOrEqual(1)
    }
    const buckets = ids.map((id) => rolloutBucket(id, SQLITE_MIGRATION_FLAG))
    expect(buckets.every((b) => b >= 0 && b < 100)).toBe(true)
    for (let percentage = 1; percentage <= 99; percentage++) {
      const share = (buckets.filter((b) => b < percentage).length / ids.length) * 100
      expect(Math.abs(share - percentage), `${percentage}%`).toBeLessThanOrEqual(1)
    }
  })

  it('spreads ids that differ only in their last characters as evenly', () => {
    const buckets = Array.from({ length: 100_000 }, (_, i) => rolloutBucket(`device-${i}`, SQLITE_MIGRATION_FLAG))
    for (let percentage = 1; percentage <= 99; percentage++) {
      const share = (buckets.filter((b) => b < percentage).length / buckets.length) * 100
      expect(Math.abs(share - percentage), `${percentage}%`).toBeLessThanOrEqual(1)
    }
  })

  it('draws the buckets of two flags independently', () => {
    const ids = Array.from({ length: 100_000 }, () => randomId())
    const both = ids.filter((id) => rolloutBucket(id, 'flag-a') < 25 && rolloutBucket(id, 'flag-b') < 25)
    expect(Math.abs((both.length / ids.length) * 100 - 6.25)).toBeLessThanOrEqual(0.5)
  })
})

describe('createRollout: the decision', () => {
  it('uses the flag of the UX labs store', () => {
    expect(SQLITE_MIGRATION_FLAG).toBe(LABS_FLAG)
    expect(start(memoryStorage()).flag).toBe('sqlite-migration')
  })

  it('makes a device id once and keeps it in the record', () => {
    const storage = memoryStorage()
    const first = start(storage)
    expect(JSON.parse(storage.map.get(KEY)!)).toMatchObject({ deviceId: first.deviceId, migrated: false })
    expect(start(storage).deviceId).toBe(first.deviceId)
    expect(start(memoryStorage()).deviceId).not.toBe(first.deviceId)
    expect(start(storage, { deviceId: 'my-device' }).deviceId).toBe('my-device')
  })

  it('moves a device whose bucket is below the percentage, and only those', () => {
    const inside = idWithBucket((b) => b < 25)
    const outside = idWithBucket((b) => b >= 25)
    expect(start(memoryStorage(), { deviceId: inside, percentage: 25 }).decide()).toEqual({
      storage: 'sqlite',
      reason: 'in-rollout',
      bucket: rolloutBucket(inside, SQLITE_MIGRATION_FLAG),
      percentage: 25,
      migrate: true,
      rollback: false,
    })
    expect(start(memoryStorage(), { deviceId: outside, percentage: 25 }).decide()).toMatchObject({
      storage: 'legacy',
      reason: 'not-in-rollout',
      percentage: 25,
      migrate: false,
      rollback: false,
    })
    expect(start(memoryStorage(), { deviceId: inside }).decide()).toMatchObject({ storage: 'legacy', percentage: 0 })
    expect(start(memoryStorage(), { deviceId: outside, percentage: 100 }).decide().storage).toBe('sqlite')
  })

  it('keeps a migrated device on SQLite when the percentage drops to 0', () => {
    const storage = memoryStorage()
    const deviceId = idWithBucket((b) => b < 5)
    const joining = start(storage, { deviceId, percentage: 5 })
    expect(joining.decide()).toMatchObject({ storage: 'sqlite', migrate: true })
    joining.markMigrated()
    expect(joining.state).toMatchObject({ migrated: true, migratedAt: expect.any(Number) })
    expect(start(storage, { deviceId, percentage: 0 }).decide()).toMatchObject({
      storage: 'sqlite',
      reason: 'migrated',
      percentage: 0,
      migrate: false,
      rollback: false,
    })
    expect(start(memoryStorage(), { deviceId, percentage: 0 }).decide().storage).toBe('legacy')
  })

  it('sends everyone back with the kill switch: migrated devices roll back, the others do not', () => {
    const migratedStorage = memoryStorage()
    start(migratedStorage).markMigrated()
    expect(start(migratedStorage, { percentage: 100, killSwitch: true }).decide()).toMatchObject({
      storage: 'legacy',
      reason: 'kill-switch',
      migrate: false,
      rollback: true,
    })
    const fresh = memoryStorage()
    expect(start(fresh, { percentage: 100, killSwitch: true }).decide()).toMatchObject({
      storage: 'legacy',
      reason: 'kill-switch',
      migrate: false,
      rollback: false,
    })
    const overridden = memoryStorage()
    start(overridden).setOverride(true)
    expect(start(overridden, { killSwitch: true }).decide()).toMatchObject({ storage: 'legacy', reason: 'kill-switch' })
  })

  it('follows the override both ways from the next start, and the rollout again after null', () => {
    const storage = memoryStorage()
    const deviceId = idWithBucket((b) => b >= 50)
    const first = start(storage, { deviceId, percentage: 0 })
    first.setOverride(true)
    expect(first.decide()).toMatchObject({ storage: 'legacy', reason: 'not-in-rollout' })
    expect(first.state.override).toBe(true)

    const forced = start(storage, { deviceId, percentage: 0 })
    expect(forced.decide()).toMatchObject({ storage: 'sqlite', reason: 'override', migrate: true, rollback: false })
    forced.markMigrated()
    expect(start(storage, { deviceId, percentage: 0 }).decide()).toMatchObject({
      storage: 'sqlite',
      reason: 'override',
      migrate: false,
    })

    start(storage, { deviceId }).setOverride(false)
    const refused = start(storage, { deviceId, percentage: 100 })
    expect(refused.decide()).toMatchObject({ storage: 'legacy', reason: 'override', migrate: false, rollback: true })
    refused.markRolledBack()
    expect(refused.state).toMatchObject({ migrated: false, rolledBackAt: expect.any(Number) })
    expect(start(storage, { deviceId, percentage: 100 }).decide()).toMatchObject({
      storage: 'legacy',
      reason: 'override',
      rollback: false,
    })

    start(storage, { deviceId }).setOverride(null)
    expect(start(storage, { deviceId, percentage: 100 }).decide()).toMatchObject({
      storage: 'sqlite',
      reason: 'in-rollout',
      migrate: true,
    })
  })

  it('takes the decision once: a new percentage counts from the next start', () => {
    const storage = memoryStorage()
    const deviceId = idWithBucket((b) => b >= 5)
    const rollout = start(storage, { deviceId })
    const decision = rollout.decide()
    expect(decision).toMatchObject({ storage: 'legacy', percentage: 0 })
    rollout.setPercentage(100)
    rollout.setOverride(true)
    expect(rollout.decide()).toBe(decision)
    expect(rollout.state).toMatchObject({ percentage: 100, override: true })
    rollout.setOverride(null)

    const next = start(storage, { deviceId })
    expect(next.decide()).toMatchObject({ storage: 'sqlite', reason: 'in-rollout', percentage: 100 })
    expect(start(storage, { deviceId, percentage: 5 }).decide()).toMatchObject({ storage: 'legacy', percentage: 5 })
  })

  it('reads the record again before each change, keeping what another tab wrote', () => {
    const storage = memoryStorage()
    const tabA = start(storage)
    const tabB = start(storage)
    tabA.markMigrated()
    tabB.setPercentage(25)
    expect(JSON.parse(storage.map.get(KEY)!)).toMatchObject({ migrated: true, percentage: 25 })
  })

  it('keeps one record per flag', () => {
    const storage = memoryStorage()
    start(storage).markMigrated()
    const other = start(storage, { flag: 'other-flag' })
    expect(other.decide().reason).not.toBe('migrated')
    expect(storage.map.has(rolloutRecordKey('other-flag'))).toBe(true)
    expect(other.bucket).toBe(rolloutBucket(other.deviceId, 'other-flag'))
  })
})

describe('createRollout: options and storage', () => {
  it('refuses a percentage that is not a finite number from 0 to 100', () => {
    const storage = memoryStorage()
    for (const percentage of [-1, 100.5, Number.NaN, Infinity, '50' as never]) {
      expect(thrown(() => start(storage, { percentage }))).toMatchObject({
        code: 'INVALID_OPTIONS',
        path: 'percentage',
      })
    }
    const rollout = start(storage)
    const before = storage.map.get(KEY)
    expect(thrown(() => rollout.setPercentage(-5))).toMatchObject({ code: 'INVALID_OPTIONS', path: 'percentage' })
    expect(thrown(() => rollout.setOverride('yes' as never))).toMatchObject({ code: 'INVALID_OPTIONS' })
    expect(storage.map.get(KEY)).toBe(before)
    expect(start(storage, { percentage: 0.5 }).decide().percentage).toBe(0.5)
  })

  it('refuses other invalid options', () => {
    expect(thrown(() => createRollout({ storage: {} as never }))).toMatchObject({
      code: 'INVALID_OPTIONS',
      path: 'storage',
    })
    expect(thrown(() => start(memoryStorage(), { flag: '' }))).toMatchObject({ code: 'INVALID_OPTIONS', path: 'flag' })
    expect(thrown(() => start(memoryStorage(), { deviceId: '' }))).toMatchObject({ code: 'INVALID_OPTIONS' })
    expect(thrown(() => start(memoryStorage(), { killSwitch: 1 as never }))).toMatchObject({ code: 'INVALID_OPTIONS' })
  })

  it('uses globalThis.localStorage by default, and refuses to start without a storage', () => {
    const local = memoryStorage()
    vi.stubGlobal('localStorage', local)
    const rollout = createRollout()
    expect(rollout.storage).toBe(local)
    expect(JSON.parse(local.map.get(KEY)!)).toMatchObject({ deviceId: rollout.deviceId })
    vi.stubGlobal('localStorage', undefined)
    expect(thrown(() => createRollout())).toMatchObject({ code: 'INVALID_OPTIONS', path: 'storage' })
  })

  it('treats a corrupt record as empty, keeping its device id, and never as migrated', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    for (const raw of ['{not json', 'null', '[1]', '42', '"text"']) {
      const storage = memoryStorage({ [KEY]: raw })
      const rollout = start(storage, { percentage: 0 })
      expect(rollout.decide()).toMatchObject({ storage: 'legacy', reason: 'not-in-rollout', rollback: false })
      expect(JSON.parse(storage.map.get(KEY)!)).toEqual({
        deviceId: rollout.deviceId,
        migrated: false,
        migratedAt: null,
        rolledBackAt: null,
        override: null,
        percentage: null,
      })
    }
    const wrongShapes = [
      { deviceId: 'kept', migrated: 'yes', migratedAt: null, rolledBackAt: null, override: null, percentage: null },
      { deviceId: 'kept', migrated: true },
      { deviceId: 'kept', migrated: true, migratedAt: 1, rolledBackAt: null, override: null, percentage: 250 },
      { deviceId: 'kept', migrated: true, migratedAt: '1', rolledBackAt: null, override: null, percentage: null },
      { deviceId: 'kept', migrated: true, migratedAt: 1, rolledBackAt: null, override: 'on', percentage: null },
    ]
    for (const record of wrongShapes) {
      const storage = memoryStorage({ [KEY]: JSON.stringify(record) })
      const rollout = start(storage, { killSwitch: true })
      expect(rollout.deviceId).toBe('kept')
      expect(rollout.state.migrated).toBe(false)
      expect(rollout.decide()).toMatchObject({ storage: 'legacy', reason: 'kill-switch', rollback: false })
      expect(start(storage, { percentage: 0 }).decide()).toMatchObject({ storage: 'legacy', reason: 'not-in-rollout' })
      rollout.setPercentage(10)
      expect(JSON.parse(storage.map.get(KEY)!)).toMatchObject({ deviceId: 'kept', migrated: false, percentage: 10 })
    }
    expect(warn).not.toHaveBeenCalled()
  })

  it('decides legacy storage, without throwing, when the record cannot be read; the mutators throw', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const broken: SyncStorage = {
      getItem: () => {
        throw new Error('SecurityError')
      },
      setItem: () => {
        throw new Error('SecurityError')
      },
      removeItem: () => {},
    }
    const rollout = start(broken, { deviceId: idWithBucket((b) => b < 50), percentage: 100 })
    expect(rollout.decide()).toMatchObject({
      storage: 'legacy',
      reason: 'not-in-rollout',
      migrate: false,
      rollback: false,
    })
    expect(start(broken, { killSwitch: true }).decide()).toMatchObject({ reason: 'kill-switch', rollback: false })
    expect(warn).toHaveBeenCalled()
    for (const mutate of [
      () => rollout.setPercentage(5),
      () => rollout.setOverride(true),
      () => rollout.markMigrated(),
      () => rollout.markRolledBack(),
    ]) {
      expect(thrown(mutate)).toMatchObject({ code: 'LEGACY_STORAGE_FAILED' })
    }
  })

  it('decides legacy storage when localStorage itself cannot be reached', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    vi.stubGlobal('localStorage', undefined)
    Object.defineProperty(globalThis, 'localStorage', {
      configurable: true,
      get: () => {
        throw new Error('SecurityError: access denied')
      },
    })
    const rollout = createRollout({ percentage: 100 })
    expect(rollout.decide()).toMatchObject({ storage: 'legacy', rollback: false })
    expect(thrown(() => rollout.markMigrated())).toMatchObject({ code: 'LEGACY_STORAGE_FAILED' })
  })

  it('decides legacy storage when the device id made on this start cannot be written (quota)', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const full = memoryStorage()
    full.setItem = () => {
      throw new Error('QuotaExceededError')
    }
    const rollout = start(full, { percentage: 100 })
    expect(rollout.decide()).toMatchObject({ storage: 'legacy', reason: 'not-in-rollout', migrate: false })
    expect(thrown(() => rollout.markMigrated())).toMatchObject({ code: 'LEGACY_STORAGE_FAILED' })
  })

  it('still reads a full storage: a migrated device stays on SQLite, and changes throw', () => {
    const storage = memoryStorage()
    start(storage).markMigrated()
    storage.setItem = () => {
      throw new Error('QuotaExceededError')
    }
    const rollout = start(storage)
    expect(rollout.decide()).toMatchObject({ storage: 'sqlite', reason: 'migrated' })
    expect(thrown(() => rollout.setPercentage(50))).toMatchObject({ code: 'LEGACY_STORAGE_FAILED' })
    expect(rollout.state.percentage).toBe(null)
  })
})
