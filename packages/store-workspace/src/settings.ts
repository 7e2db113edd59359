import { rules } from '@zustand-sqlite/core'
import type { Rules } from '@zustand-sqlite/core'

/**
 * The largest `maxFileBytes`: SQLite's default limit on one value and on one row (SQLITE_MAX_LENGTH,
 * 1,000,000,000 bytes), less room for the row's other columns.
 */
export const MAX_STORABLE_BYTES = 999_000_000

/** The workspace settings this package knows, with their types. Other keys may be stored too. */
export interface WorkspaceSettings {
  /** Files larger than this many bytes are refused by `createFile` and `writeFile`. */
  maxFileBytes: number
  /** How many history entries `trimHistory()` keeps, and the store keeps as it writes. */
  historyLimit: number
  /** The order of `listFolder`: by name, or newest change first. */
  sortBy: 'name' | 'updated'
}

/** The values of settings that were never set. */
export const workspaceSettingsDefaults: Readonly<WorkspaceSettings> = Object.freeze({
  maxFileBytes: 100 * 1024 * 1024,
  historyLimit: 1000,
  sortBy: 'name',
})

/** The rules `setSetting` checks known settings against (INVALID_VALUE naming the setting). */
export const workspaceSettingsRules: Rules<WorkspaceSettings> = {
  maxFileBytes: rules.integer({ min: 0, max: MAX_STORABLE_BYTES }),
  historyLimit: rules.integer({ min: 0, max: 10_000_000 }),
  sortBy: rules.oneOf('name', 'updated'),
}

/** True for the name of a setting this package knows. */
export function isKnownSetting(key: string): key is keyof WorkspaceSettings {
  return Object.prototype.hasOwnProperty.call(workspaceSettingsRules, key)
}
