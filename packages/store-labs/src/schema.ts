import { collection, column, defineSchema } from '@zustand-sqlite/core'
import { UX_LABS_FLAG_DEFAULTS } from './state'
import type { UXLabsState } from './state'

/** One row of `ux_labs` as the state maps onto it: a flag's value and its experiment's configuration. */
export interface UXLabsFlagEntry {
  /** Absent for an experiment without a flag of the same name. */
  enabled?: boolean
  /** Absent when the experiment has no configuration. */
  config?: unknown
}

/**
 * What `persistSQLite` stores: one entry per name found in `enabledFlags` or `experiments`, and any
 * other top-level key of the state as it is (a key/value row), so unknown keys survive.
 */
export interface PersistedUXLabs {
  flags: Record<string, UXLabsFlagEntry>
  [key: string]: unknown
}

/**
 * The UX labs table, as the roadmap gives it: one row per flag, `enabled_at` stamped when the flag
 * turns on (NULL while off), `updated_at` on every write of the row. `enabled` is NULL for an
 * experiment configuration without a flag.
 *
 * ```sql
 * CREATE TABLE ux_labs (flag_name TEXT NOT NULL, enabled INTEGER CHECK (enabled IN (0, 1)),
 *   config_data TEXT, enabled_at INTEGER, updated_at INTEGER NOT NULL, PRIMARY KEY (flag_name)) STRICT
 * ```
 */
export const uxLabsSchema = defineSchema({
  version: 1,
  state: {
    flags: collection({
      table: 'ux_labs',
      shape: 'record',
      keyColumn: 'flag_name',
      columns: {
        enabled: column.boolean({ optional: true, since: 'enabled_at' }),
        config: column.json({ optional: true, column: 'config_data' }),
      },
      rest: false,
      timestamps: { updated: 'updated_at' },
    }),
  },
})

/** The state as rows: `persistSQLite`'s `partialize` for this store. Actions are left out. */
export function toPersistedUXLabs(state: UXLabsState): PersistedUXLabs {
  const others: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(state)) {
    if (key !== 'enabledFlags' && key !== 'experiments' && key !== 'flags' && typeof value !== 'function')
      others[key] = value
  }
  const flags: Record<string, UXLabsFlagEntry> = {}
  for (const [name, enabled] of Object.entries(state.enabledFlags)) flags[name] = { enabled }
  for (const [name, config] of Object.entries(state.experiments)) {
    if (config !== undefined) flags[name] = { ...flags[name], config }
  }
  return { ...others, flags }
}

/** Rows back into the state, known flags that have no row taking their defaults. */
export function fromPersistedUXLabs(persisted: PersistedUXLabs): UXLabsState {
  const { flags, ...others } = persisted
  const enabledFlags: Record<string, boolean> = { ...UX_LABS_FLAG_DEFAULTS }
  const experiments: Record<string, unknown> = {}
  for (const [name, entry] of Object.entries(flags)) {
    if (entry.enabled !== undefined) enabledFlags[name] = entry.enabled
    if (entry.config !== undefined) experiments[name] = entry.config
  }
  return { ...others, enabledFlags, experiments }
}
