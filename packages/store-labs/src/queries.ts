import { readStoredState, rules, validatePatch, writeStoredState, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, Rules, StoredState } from '@zustand-sqlite/core'
import { migratePersistedUXLabs } from './legacy'
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

const NAME_RULE = rules.string({ minLength: 1, maxLength: 128 })

/** What `updateUXLabs` accepts: flags and experiment configurations to set, and names to remove. */
export interface UXLabsPatch {
  enabledFlags: Record<string, boolean>
  experiments: Record<string, unknown>
  /** Names whose flag and configuration are removed (a known flag goes back to its default). Applied first. */
  remove: string[]
}

/**
 * The rules `updateUXLabs` checks a patch against: flags are booleans, configurations any JSON value,
 * names 1 to 128 characters.
 */
export const uxLabsRules: Rules<UXLabsPatch> = {
  enabledFlags: rules.record(rules.boolean()),
  experiments: rules.record(rules.json()),
  remove: rules.array(NAME_RULE),
}

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
      : migratePersistedUXLabs(stored.state, stored.version)
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
  const persisted = toPersistedUXLabs(labs)
  await writeStoredState(
    backend,
    { name, schema: uxLabsSchema, version: UX_LABS_STATE_VERSION, previous: before.stored },
    persisted,
  )
  // As the next read sees it: a known flag without a row is at its default.
  return record(backend, fromPersistedUXLabs(persisted), true)
}

/**
 * The stored flags (for `GET /api/ux-labs`): the state and each row with its times. Changes no
 * stored data (on a database without the table, it creates it, empty).
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
 * not know). It neither creates tables nor writes. Throws MIGRATION_FAILED when the store was written
 * at a state version newer than this package knows, as the store would fail to hydrate.
 *
 * @example
 * ```ts
 * const useSQLite = await readUXLabsFlag(backend, SQLITE_MIGRATION_FLAG)
 * ```
 */
export async function readUXLabsFlag(
  backend: Backend,
  flag: string,
  options: UXLabsQueryOptions = {},
): Promise<boolean> {
  NAME_RULE(flag, 'flag')
  const name = options.name ?? UX_LABS_STORE_NAME
  const tables = await backend.query(
    `SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('ux_labs', 'zs_stores')`,
  )
  if (tables.length < 2) return flagValue({ enabledFlags: {} }, flag)
  const [store] = await backend.query('SELECT state_version FROM zs_stores WHERE store = ?', [name])
  const version = store?.['state_version']
  if (typeof version === 'number' && version > UX_LABS_STATE_VERSION) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${name} holds state version ${version}, newer than this package knows (${UX_LABS_STATE_VERSION})`,
      { store: name },
    )
  }
  const [row] = await backend.query('SELECT enabled FROM ux_labs WHERE flag_name = ?', [flag])
  const enabled = row?.['enabled']
  return enabled === undefined || enabled === null ? flagValue({ enabledFlags: {} }, flag) : enabled === 1
}

/**
 * Sets flags and experiment configurations (for `PUT /api/ux-labs`), by name, in one transaction that
 * writes one row per name that changed. Other flags stay as they are. Names in `remove` lose their
 * flag and configuration first (their rows are deleted). The patch is checked first: a
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
  for (const field of ['enabledFlags', 'experiments'] as const)
    for (const flag of Object.keys(checked[field] ?? {})) NAME_RULE(flag, `ux-labs.${field}.${flag}`)
  const name = options.name ?? UX_LABS_STORE_NAME
  const before = await current(backend, name)
  const enabledFlags = { ...before.labs.enabledFlags }
  const experiments = { ...before.labs.experiments }
  for (const removed of checked.remove ?? []) {
    delete enabledFlags[removed]
    delete experiments[removed]
  }
  return write(backend, name, before, {
    ...before.labs,
    enabledFlags: { ...enabledFlags, ...checked.enabledFlags },
    experiments: { ...experiments, ...checked.experiments },
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
    ...before.labs,
    enabledFlags: { ...before.labs.enabledFlags, ...UX_LABS_FLAG_DEFAULTS },
    experiments: {},
  })
}
