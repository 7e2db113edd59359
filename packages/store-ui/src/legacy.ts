import { isZustandSqliteError, readPersistEnvelope, validatePatch, ZustandSqliteError } from '@zustand-sqlite/core'
import { uiPreferencesRules } from './rules'
import { migrateUIPreferences, UI_PREFERENCES_STORE_NAME, uiPreferencesDefaults } from './state'
import type { PersistedUIPreferences } from './state'

/**
 * Imports what big-AGI's UI store left in localStorage (`localStorage.getItem('app-ui')`): the
 * `{ state, version }` envelope of any version from 0 to 3, as JSON text or parsed. Runs the app's
 * migration chain, fills settings the data lacks with defaults, and keeps every other key (stale ones
 * such as `zenMode` or `enterToSend` included). Returns `null` when there is nothing to import.
 *
 * One step beyond the app's chain: `renderMarkdown`, which the app replaced by `disableMarkdown`
 * without a version bump, becomes `disableMarkdown: !renderMarkdown` when `disableMarkdown` is absent.
 *
 * Throws INVALID_LEGACY_DATA for data that is not an envelope or holds a setting of the wrong type
 * (the path is named), and MIGRATION_FAILED for a version newer than 3. Nothing is written.
 *
 * @example
 * ```ts
 * const imported = importLegacyUIPreferences(localStorage.getItem('app-ui'))
 * if (imported) uiStore.setState(imported)
 * ```
 */
export function importLegacyUIPreferences(value: unknown): PersistedUIPreferences | null {
  if (value === null || value === undefined) return null
  const { state, version } = readPersistEnvelope(value, UI_PREFERENCES_STORE_NAME)
  const migrated: Record<string, unknown> = { ...migrateUIPreferences(state, version) }
  if (migrated['disableMarkdown'] === undefined && typeof migrated['renderMarkdown'] === 'boolean')
    migrated['disableMarkdown'] = !migrated['renderMarkdown']
  const known: Record<string, unknown> = {}
  for (const key of Object.keys(uiPreferencesRules)) if (migrated[key] !== undefined) known[key] = migrated[key]
  try {
    validatePatch(known, uiPreferencesRules, { what: UI_PREFERENCES_STORE_NAME })
  } catch (error) {
    if (!isZustandSqliteError(error, 'INVALID_VALUE')) throw error
    throw new ZustandSqliteError(
      'INVALID_LEGACY_DATA',
      `${error.message.replace(/^\[zustand-sqlite\] \w+: /, '')}; nothing was imported`,
      { store: UI_PREFERENCES_STORE_NAME, cause: error, ...(error.path === undefined ? {} : { path: error.path }) },
    )
  }
  // A development build of the app persisted aixInspector; it is never persisted here.
  const { aixInspector: _developmentOnly, ...persisted } = { ...uiPreferencesDefaults(), ...migrated }
  return persisted as PersistedUIPreferences
}
