import { validatePatch } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { uiPreferencesRules } from './rules'
import { partializeUIPreferences, UI_PREFERENCES_STORE_NAME } from './state'
import type { PersistedUIPreferences } from './state'
import { uiPreferencesDefinition } from './store'

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

const storeOptions = (
  options: UIPreferencesQueryOptions,
): { name: string; initial?: Partial<PersistedUIPreferences> } => ({
  name: options.name ?? UI_PREFERENCES_STORE_NAME,
  ...(options.initial === undefined ? {} : { initial: options.initial }),
})

/** The preferences with the times of their row (the row belongs to the store: its name is the schema's). */
async function recordOf(
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
  const { state, version } = await uiPreferencesDefinition.read(backend, storeOptions(options))
  return recordOf(backend, partializeUIPreferences(state), version !== null)
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
  const state = await uiPreferencesDefinition.update(
    backend,
    (store) => {
      store.setState(checked)
      return store.getState()
    },
    storeOptions(options),
  )
  return recordOf(backend, partializeUIPreferences(state), true)
}

/**
 * Every setting back to its default (for `POST /api/ui-preferences/reset`), in one write: the store's
 * own `resetPreferences()`, so stored keys this code does not know are kept.
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
  const state = await uiPreferencesDefinition.update(
    backend,
    (store) => {
      store.getState().resetPreferences()
      return store.getState()
    },
    storeOptions(options),
  )
  return recordOf(backend, partializeUIPreferences(state), true)
}
