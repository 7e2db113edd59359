import { decodeText, encodeText, rules, validatePatch } from '@zustand-sqlite/core'
import type { Backend, Rules } from '@zustand-sqlite/core'
import { fromPersistedUXLabs, toPersistedUXLabs } from './schema'
import { flagValue, UX_LABS_STATE_VERSION, UX_LABS_STORE_NAME } from './state'
import type { UXLabsState, UXLabsStore } from './state'
import { uxLabsDefinition } from './store'

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

/** The state as the next read sees it: actions left out, a known flag without a row at its default. */
const labsOf = (state: UXLabsStore): UXLabsState => fromPersistedUXLabs(toPersistedUXLabs(state))

/**
 * The flags with the rows of the store's own table, by name order (of the names as stored: see encodeText);
 * none when nothing is stored.
 */
async function recordOf(backend: Backend, labs: UXLabsState, stored: boolean): Promise<UXLabsRecord> {
  if (!stored) return { labs, rows: [] }
  const rows = await backend.query('SELECT flag_name, enabled, enabled_at, updated_at FROM ux_labs ORDER BY flag_name')
  return {
    labs,
    rows: rows.map((row) => ({
      name: decodeText(String(row['flag_name'])),
      enabled: row['enabled'] === null ? null : row['enabled'] === 1,
      enabledAt: typeof row['enabled_at'] === 'number' ? row['enabled_at'] : null,
      updatedAt: Number(row['updated_at']),
    })),
  }
}

/**
 * The stored flags (for `GET /api/ux-labs`): the state as the store would hydrate it (migrated from
 * version 0 or 1 if stored so) and each row with its times. Changes no stored data (on a database
 * without the table, it creates it, empty).
 *
 * @example
 * ```ts
 * const { labs } = await getUXLabs(backend)
 * ```
 */
export async function getUXLabs(backend: Backend, options: UXLabsQueryOptions = {}): Promise<UXLabsRecord> {
  const { state, version } = await uxLabsDefinition.read(backend, { name: options.name ?? UX_LABS_STORE_NAME })
  return recordOf(backend, labsOf(state), version !== null)
}

/**
 * The value of one flag, read from the database before any store exists: before React renders, on a
 * server. A flag that is not stored has its default (`false` for one this code does not know). It
 * prepares the store's tables as a store would (on a new database it creates the empty `ux_labs`
 * table) and writes no flag. Flags stored at this package's state version are read with one query of
 * the flag's row; flags stored at an older version go through the store's migration, and a newer
 * version throws MIGRATION_FAILED, as the store would fail to hydrate.
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
  const { stateVersion } = await uxLabsDefinition.prepare(backend, { name })
  if (stateVersion === null) return flagValue({ enabledFlags: {} }, flag)
  // Rows of another version are not this version's rows: the store's migrate reads (or refuses) them.
  if (stateVersion !== UX_LABS_STATE_VERSION)
    return flagValue((await uxLabsDefinition.read(backend, { name })).state, flag)
  // The name as the column holds it (see encodeText): a name with a lone surrogate is stored escaped.
  const [row] = await backend.query('SELECT enabled FROM ux_labs WHERE flag_name = ?', [encodeText(flag)])
  const enabled = row?.['enabled']
  return enabled === undefined || enabled === null ? flagValue({ enabledFlags: {} }, flag) : enabled === 1
}

/**
 * Sets flags and experiment configurations (for `PUT /api/ux-labs`), by name, with the store's own
 * `setFlag` and `setExperiment`, in one transaction that writes one row per name that changed. Other
 * flags stay as they are. Names in `remove` lose their flag and configuration first (their rows are
 * deleted). The patch is checked first: a flag that is not a boolean, a configuration JSON cannot
 * hold, or another field throws INVALID_VALUE and writes nothing.
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
  const removed = new Set(checked.remove)
  const labs = await uxLabsDefinition.update(
    backend,
    (store) => {
      // The store has no action that removes a flag (its setters only set one): the flags without them.
      store.setState((state) =>
        Object.keys(state.enabledFlags).some((name) => removed.has(name))
          ? {
              enabledFlags: Object.fromEntries(
                Object.entries(state.enabledFlags).filter(([name]) => !removed.has(name)),
              ),
            }
          : state,
      )
      for (const name of removed) store.getState().setExperiment(name, undefined)
      for (const [name, enabled] of Object.entries(checked.enabledFlags ?? {})) store.getState().setFlag(name, enabled)
      for (const [name, config] of Object.entries(checked.experiments ?? {}))
        store.getState().setExperiment(name, config)
      return labsOf(store.getState())
    },
    { name: options.name ?? UX_LABS_STORE_NAME },
  )
  return recordOf(backend, labs, true)
}

/**
 * Known flags back to their defaults and experiments emptied (for `POST /api/ux-labs/reset`): the
 * store's own `resetFlags()`, so flags this code does not know are kept.
 *
 * @example
 * ```ts
 * await resetUXLabs(backend)
 * ```
 */
export async function resetUXLabs(backend: Backend, options: UXLabsQueryOptions = {}): Promise<UXLabsRecord> {
  const labs = await uxLabsDefinition.update(
    backend,
    (store) => {
      store.getState().resetFlags()
      return labsOf(store.getState())
    },
    { name: options.name ?? UX_LABS_STORE_NAME },
  )
  return recordOf(backend, labs, true)
}
