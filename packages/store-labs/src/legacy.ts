import { isPlainObject, readPersistEnvelope, ZustandSqliteError } from '@zustand-sqlite/core'
import { toPersistedUXLabs } from './schema'
import type { PersistedUXLabs } from './schema'
import { UX_LABS_FLAG_DEFAULTS, UX_LABS_STATE_VERSION, UX_LABS_STORE_NAME } from './state'
import type { UXLabsState } from './state'

function malformed(problem: string, path: string): never {
  throw new ZustandSqliteError('INVALID_LEGACY_DATA', `${UX_LABS_STORE_NAME}: ${problem}; nothing was imported`, {
    path: `${UX_LABS_STORE_NAME}.${path}`,
    store: UX_LABS_STORE_NAME,
  })
}

/**
 * The migration chain of `app-ux-labs`, called with the stored version (`persist`'s `migrate`):
 *
 * - 0 to 1, as big-AGI 2.0 did: `labsAttachScreenCapture` turns on. (big-AGI has since dropped this
 *   step, so its current release discards a version 0 blob; running it loses nothing.)
 * - 1 to 2: the flat flags become `enabledFlags`, boolean values by name. A value that is not a boolean
 *   (`labsChatBarAlt: 'title'`) goes to `experiments` under its name, so nothing is dropped.
 *
 * Known flags missing from the data take their defaults. A version newer than 2 throws
 * MIGRATION_FAILED; version 2 data without an `enabledFlags` object of booleans, INVALID_LEGACY_DATA.
 */
export function migrateUXLabs(persisted: unknown, version: number): UXLabsState {
  if (!Number.isInteger(version) || version < 0 || version > UX_LABS_STATE_VERSION) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${UX_LABS_STORE_NAME} state version ${version} is not one this package knows (0 to ${UX_LABS_STATE_VERSION})`,
      { store: UX_LABS_STORE_NAME },
    )
  }
  if (!isPlainObject(persisted)) return malformed('the state is not an object', 'state')
  if (version === UX_LABS_STATE_VERSION) {
    const { enabledFlags, experiments = {} } = persisted
    if (!isPlainObject(enabledFlags)) return malformed('enabledFlags is not an object', 'enabledFlags')
    for (const [name, value] of Object.entries(enabledFlags))
      if (typeof value !== 'boolean') malformed(`flag ${name} is not a boolean`, `enabledFlags.${name}`)
    if (!isPlainObject(experiments)) return malformed('experiments is not an object', 'experiments')
    return {
      ...persisted,
      enabledFlags: { ...UX_LABS_FLAG_DEFAULTS, ...(enabledFlags as Record<string, boolean>) },
      experiments,
    }
  }
  const flat: Record<string, unknown> = { ...persisted }
  if (version < 1 && flat['labsAttachScreenCapture'] !== true) flat['labsAttachScreenCapture'] = true
  // Entries, made into records at the end: `record[name] = ...` would lose a flag named `__proto__`.
  const enabledFlags: [string, boolean][] = Object.entries(UX_LABS_FLAG_DEFAULTS)
  const experiments: [string, unknown][] = []
  for (const [name, value] of Object.entries(flat)) {
    if (typeof value === 'boolean') enabledFlags.push([name, value])
    else if (value !== undefined) experiments.push([name, value])
  }
  return { enabledFlags: Object.fromEntries(enabledFlags), experiments: Object.fromEntries(experiments) }
}

/**
 * Imports what big-AGI's labs store left in localStorage (`localStorage.getItem('app-ux-labs')`): the
 * `{ state, version }` envelope of version 0 or 1 (flat flags), or 2 (this package's legacy path), as
 * JSON text or parsed. Runs {@link migrateUXLabs}; every flag is kept, known or not. Returns `null`
 * when there is nothing to import.
 *
 * Throws INVALID_LEGACY_DATA for data that is not an envelope, and MIGRATION_FAILED for a version
 * newer than 2. Nothing is written.
 *
 * @example
 * ```ts
 * const imported = importLegacyUXLabs(localStorage.getItem('app-ux-labs'))
 * if (imported) labsStore.setState(imported)
 * ```
 */
export function importLegacyUXLabs(value: unknown): UXLabsState | null {
  if (value === null || value === undefined) return null
  const { state, version } = readPersistEnvelope(value, UX_LABS_STORE_NAME)
  return migrateUXLabs(state, version)
}

/**
 * Zustand `persist` options of the legacy path: the app's name, version 2 and the migration from the
 * app's flat versions 0 and 1. Actions are never persisted.
 */
export const uxLabsLegacyPersistOptions = {
  name: UX_LABS_STORE_NAME,
  version: UX_LABS_STATE_VERSION,
  partialize: (state: UXLabsState): UXLabsState => ({
    enabledFlags: state.enabledFlags,
    experiments: state.experiments,
  }),
  migrate: migrateUXLabs,
} as const

/**
 * `persistSQLite`'s `migrate` for this store: rows stored at state version 0 or 1 hold the app's flat
 * flags as key/value rows (written there by hand or by an early import); they go through
 * {@link migrateUXLabs}. A version newer than 2 throws MIGRATION_FAILED.
 */
export function migratePersistedUXLabs(persisted: unknown, version: number): PersistedUXLabs {
  // The `flags` collection of the schema loads as {} beside the flat rows: it is not a flag.
  const { flags: _emptyCollection, ...flat } = (persisted ?? {}) as Record<string, unknown>
  return toPersistedUXLabs(migrateUXLabs(flat, version))
}
