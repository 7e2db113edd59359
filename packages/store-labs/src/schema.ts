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
  const others = Object.entries(state).filter(
    ([key, value]) => key !== 'enabledFlags' && key !== 'experiments' && key !== 'flags' && typeof value !== 'function',
  )
  // By name in a Map, made into a record at the end: a flag may be named `__proto__` or `constructor`, and
  // `record[name]` would read or replace what `Object.prototype` holds under that name.
  const flags = new Map<string, UXLabsFlagEntry>()
  for (const [name, enabled] of Object.entries(state.enabledFlags)) flags.set(name, { enabled })
  for (const [name, config] of Object.entries(state.experiments)) {
    if (config !== undefined) flags.set(name, { ...flags.get(name), config })
  }
  return { ...Object.fromEntries(others), flags: Object.fromEntries(flags) }
}

/** Rows back into the state, known flags that have no row taking their defaults. */
export function fromPersistedUXLabs(persisted: PersistedUXLabs): UXLabsState {
  const { flags, ...others } = persisted
  const enabledFlags: [string, boolean][] = Object.entries(UX_LABS_FLAG_DEFAULTS)
  const experiments: [string, unknown][] = []
  for (const [name, entry] of Object.entries(flags)) {
    if (entry.enabled !== undefined) enabledFlags.push([name, entry.enabled])
    if (entry.config !== undefined) experiments.push([name, entry.config])
  }
  return { ...others, enabledFlags: Object.fromEntries(enabledFlags), experiments: Object.fromEntries(experiments) }
}
