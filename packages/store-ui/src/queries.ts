import { readStoredState, validatePatch, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, StoredState } from '@zustand-sqlite/core'
import { uiPreferencesRules } from './rules'
import { uiPreferencesSchema } from './schema'
import {
  migrateUIPreferences,
  partializeUIPreferences,
  UI_PREFERENCES_STATE_VERSION,
  UI_PREFERENCES_STORE_NAME,
  uiPreferencesDefaults,
} from './state'
import type { PersistedUIPreferences } from './state'

/** Options of the UI preferences query functions. */
export interface UIPreferencesQueryOptions {
  /** The store's name in the database. @default 'app-ui' */
  readonly name?: string
  /**
   * Defaults to use instead of the built-in ones, as the store's `initial` (a user's language: on a
   * server the built-in default is the server's, or `'en-US'`). Used for settings not stored and by reset.
   */
  readonly initial?: Partial<PersistedUIPreferences>
}

/** The stored preferences as the query functions return them. */
export interface UIPreferencesRecord {
  /** Every persisted setting (defaults for those not stored), plus any unknown keys stored. */
  readonly preferences: PersistedUIPreferences
  /** When the row was first written (ms since the epoch); `null` when nothing is stored. */
  readonly createdAt: number | null
  /** When the row was last written; `null` when nothing is stored. */
  readonly updatedAt: number | null
}

interface Current {
  readonly stored: StoredState | null
  readonly preferences: PersistedUIPreferences
}

const defaults = (options: UIPreferencesQueryOptions): PersistedUIPreferences => ({
  ...partializeUIPreferences(uiPreferencesDefaults()),
  ...options.initial,
})

async function current(backend: Backend, options: UIPreferencesQueryOptions): Promise<Current> {
  const name = options.name ?? UI_PREFERENCES_STORE_NAME
  const stored = await readStoredState(backend, { name, schema: uiPreferencesSchema })
  if (stored === null) return { stored, preferences: defaults(options) }
  return { stored, preferences: { ...defaults(options), ...migrateUIPreferences(stored.state, stored.version) } }
}

async function record(
  backend: Backend,
  preferences: PersistedUIPreferences,
  stored: boolean,
): Promise<UIPreferencesRecord> {
  if (!stored) return { preferences, createdAt: null, updatedAt: null }
  const [row] = await backend.query('SELECT created_at, updated_at FROM ui_preferences WHERE id = 1')
  return {
    preferences,
    createdAt: typeof row?.['created_at'] === 'number' ? row['created_at'] : null,
    updatedAt: typeof row?.['updated_at'] === 'number' ? row['updated_at'] : null,
  }
}

async function write(
  backend: Backend,
  name: string,
  before: Current,
  preferences: PersistedUIPreferences,
): Promise<UIPreferencesRecord> {
  await writeStoredState(
    backend,
    { name, schema: uiPreferencesSchema, version: UI_PREFERENCES_STATE_VERSION, previous: before.stored },
    preferences,
  )
  return record(backend, preferences, true)
}

/**
 * The stored preferences (for `GET /api/ui-preferences`): every setting, with defaults for what is
 * not stored, and the row's times. Changes no stored data (on a database without the table, it
 * creates it, empty).
 *
 * @example
 * ```ts
 * const { preferences } = await getUIPreferences(backend)
 * ```
 */
export async function getUIPreferences(
  backend: Backend,
  options: UIPreferencesQueryOptions = {},
): Promise<UIPreferencesRecord> {
  const { stored, preferences } = await current(backend, options)
  return record(backend, preferences, stored !== null)
}

/**
 * Updates some settings (for `PUT /api/ui-preferences`), in one transaction of one row. The patch is
 * checked first against `uiPreferencesRules`: a wrong type, a value out of range or an unknown
 * setting throws INVALID_VALUE and writes nothing. A record setting (`dismissals`, ...) is replaced
 * whole.
 *
 * @example
 * ```ts
 * await updateUIPreferences(backend, { centerMode: 'wide', fontSize: 16 })
 * ```
 */
export async function updateUIPreferences(
  backend: Backend,
  patch: unknown,
  options: UIPreferencesQueryOptions = {},
): Promise<UIPreferencesRecord> {
  const checked = validatePatch(patch, uiPreferencesRules, { what: 'ui-preferences' })
  const before = await current(backend, options)
  return write(backend, options.name ?? UI_PREFERENCES_STORE_NAME, before, { ...before.preferences, ...checked })
}

/**
 * Every setting back to its default (for `POST /api/ui-preferences/reset`), in one write. Stored keys
 * this code does not know are kept, as the store's `resetPreferences()` keeps them.
 *
 * @example
 * ```ts
 * await resetUIPreferences(backend)
 * ```
 */
export async function resetUIPreferences(
  backend: Backend,
  options: UIPreferencesQueryOptions = {},
): Promise<UIPreferencesRecord> {
  const before = await current(backend, options)
  return write(backend, options.name ?? UI_PREFERENCES_STORE_NAME, before, {
    ...before.preferences,
    ...defaults(options),
  })
}
