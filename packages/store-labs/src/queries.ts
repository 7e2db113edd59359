import { readStoredState, rules, validatePatch, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, Rules, StoredState } from '@zustand-sqlite/core'
import { migrateUXLabs } from './legacy'
import { fromPersistedUXLabs, toPersistedUXLabs, uxLabsSchema } from './schema'
import type { PersistedUXLabs } from './schema'
import { flagValue, UX_LABS_FLAG_DEFAULTS, UX_LABS_STATE_VERSION, UX_LABS_STORE_NAME, uxLabsDefaults } from './state'
import type { UXLabsState } from './state'

/** Options of the UX labs query functions. */
export interface UXLabsQueryOptions {
  /** The store's name in the database. @default 'app-ux-labs' */
  readonly name?: string
}

/** One stored row of `ux_labs`. */
export interface UXLabsFlagRecord {
  readonly name: string
  /** `null` for an experiment configuration without a flag. */
  readonly enabled: boolean | null
  /** When the flag last turned on (ms since the epoch); `null` while it is off. */
  readonly enabledAt: number | null
  readonly updatedAt: number
}

/** The stored flags as the query functions return them. */
export interface UXLabsRecord {
  /** The state: every stored flag, known flags that are not stored at their defaults, experiments. */
  readonly labs: UXLabsState
  /** The stored rows, by name order. */
  readonly rows: readonly UXLabsFlagRecord[]
}

/** What `updateUXLabs` accepts: flags and experiment configurations to set, by name. */
export interface UXLabsPatch {
  enabledFlags: Record<string, boolean>
  experiments: Record<string, unknown>
}

/** The rules `updateUXLabs` checks a patch against: flags are booleans, configurations any JSON value. */
export const uxLabsRules: Rules<UXLabsPatch> = {
  enabledFlags: rules.record(rules.boolean()),
  experiments: rules.record(rules.json()),
}

const NAME_RULE = rules.string({ minLength: 1, maxLength: 128 })

interface Current {
  readonly stored: StoredState | null
  readonly labs: UXLabsState
}

async function current(backend: Backend, name: string): Promise<Current> {
  const stored = await readStoredState(backend, { name, schema: uxLabsSchema })
  if (stored === null) return { stored, labs: uxLabsDefaults() }
  const persisted =
    stored.version === UX_LABS_STATE_VERSION
      ? (stored.state as unknown as PersistedUXLabs)
      : toPersistedUXLabs(migrateUXLabs(stored.state, stored.version))
  return { stored, labs: fromPersistedUXLabs(persisted) }
}

async function record(backend: Backend, labs: UXLabsState, stored: boolean): Promise<UXLabsRecord> {
  if (!stored) return { labs, rows: [] }
  const rows = await backend.query('SELECT flag_name, enabled, enabled_at, updated_at FROM ux_labs ORDER BY flag_name')
  return {
    labs,
    rows: rows.map((row) => ({
      name: String(row['flag_name']),
      enabled: row['enabled'] === null ? null : row['enabled'] === 1,
      enabledAt: typeof row['enabled_at'] === 'number' ? row['enabled_at'] : null,
      updatedAt: Number(row['updated_at']),
    })),
  }
}

async function write(backend: Backend, name: string, before: Current, labs: UXLabsState): Promise<UXLabsRecord> {
  await writeStoredState(
    backend,
    { name, schema: uxLabsSchema, version: UX_LABS_STATE_VERSION, previous: before.stored },
    toPersistedUXLabs(labs),
  )
  return record(backend, labs, true)
}

/**
 * The stored flags (for `GET /api/ux-labs`): the state and each row with its times. Reads only.
 *
 * @example
 * ```ts
 * const { labs } = await getUXLabs(backend)
 * ```
 */
export async function getUXLabs(backend: Backend, options: UXLabsQueryOptions = {}): Promise<UXLabsRecord> {
  const { stored, labs } = await current(backend, options.name ?? UX_LABS_STORE_NAME)
  return record(backend, labs, stored !== null)
}

/**
 * The value of one flag, read straight from the database: before any store exists, before React
 * renders, on a server. A flag that is not stored has its default (`false` for one this code does
 * not know). It neither creates tables nor writes.
 *
 * @example
 * ```ts
 * const useSQLite = await readUXLabsFlag(backend, SQLITE_MIGRATION_FLAG)
 * ```
 */
export async function readUXLabsFlag(backend: Backend, flag: string): Promise<boolean> {
  NAME_RULE(flag, 'flag')
  const tables = await backend.query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'ux_labs'`)
  const rows = tables.length === 0 ? [] : await backend.query('SELECT enabled FROM ux_labs WHERE flag_name = ?', [flag])
  const enabled = rows[0]?.['enabled']
  return enabled === undefined || enabled === null ? flagValue({ enabledFlags: {} }, flag) : enabled === 1
}

/**
 * Sets flags and experiment configurations (for `PUT /api/ux-labs`), by name, in one transaction that
 * writes one row per name that changed. Other flags stay as they are. The patch is checked first: a
 * flag that is not a boolean, a configuration JSON cannot hold, or another field throws INVALID_VALUE
 * and writes nothing.
 *
 * @example
 * ```ts
 * await updateUXLabs(backend, { enabledFlags: { 'sqlite-migration': true } })
 * ```
 */
export async function updateUXLabs(
  backend: Backend,
  patch: unknown,
  options: UXLabsQueryOptions = {},
): Promise<UXLabsRecord> {
  const checked = validatePatch(patch, uxLabsRules, { what: 'ux-labs' })
  for (const [field, values] of Object.entries(checked))
    for (const flag of Object.keys(values)) NAME_RULE(flag, `ux-labs.${field}.${flag}`)
  const name = options.name ?? UX_LABS_STORE_NAME
  const before = await current(backend, name)
  return write(backend, name, before, {
    enabledFlags: { ...before.labs.enabledFlags, ...checked.enabledFlags },
    experiments: { ...before.labs.experiments, ...checked.experiments },
  })
}

/**
 * Known flags back to their defaults and experiments emptied (for `POST /api/ux-labs/reset`); flags
 * this code does not know are kept, as the store's `resetFlags()` keeps them.
 *
 * @example
 * ```ts
 * await resetUXLabs(backend)
 * ```
 */
export async function resetUXLabs(backend: Backend, options: UXLabsQueryOptions = {}): Promise<UXLabsRecord> {
  const name = options.name ?? UX_LABS_STORE_NAME
  const before = await current(backend, name)
  return write(backend, name, before, {
    enabledFlags: { ...before.labs.enabledFlags, ...UX_LABS_FLAG_DEFAULTS },
    experiments: {},
  })
}
