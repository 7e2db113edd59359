import { defineLegacyStore, isPlainObject } from '@zustand-sqlite/core'
import type { LegacyStore } from '@zustand-sqlite/core'
import { importLegacyLLMs, llmsLegacyPersistOptions, partializeLLMsForJson } from './legacy'
import { EMPTY_SEALED, setOwn } from './persisted'
import type { PersistedLLMs } from './persisted'
import { checkSecretKey, openSecret, sealSecret } from './secretKey'
import type { SecretKeyOption } from './secretKey'
import { LLMS_STORE_NAME } from './state'
import type { LLMsStore } from './state'
import { llmsDefinition } from './store'
import { unavailableError } from './vault'

/** Options of {@link createLLMsLegacy}. */
export interface LLMsLegacyOptions {
  /** The key the migration seals the credentials with, and a rollback opens them with: the store's key. */
  readonly secretKey: SecretKeyOption
}

/** The place a migration's backup of `app-models` is sealed for (no service has an empty id). */
export const BACKUP_PLACE = 'migration-backup'

const lengthOf = (value: unknown): number => (Array.isArray(value) ? value.length : 0)

/**
 * How big-AGI kept the models and services before SQLite, for a migration: the `app-models` key of localStorage,
 * read by `importLegacyLLMs` (versions 0 to 5), every credential sealed with `secretKey` so that the migration
 * stores none in clear. On rollback, `toLegacy` opens them again and the legacy value holds them in clear, as the
 * app reads it (version 5, `llmsLegacyPersistOptions`); a credential that does not open fails the rollback of this
 * store (SECRET_UNAVAILABLE) rather than lose it. `cleaned` counts the issues of the import's report; `count`
 * reports `services` and `models`.
 *
 * @example
 * ```ts
 * const secretKey = indexedDBSecretKey()
 * await migrateStores({ backend, stores: [uiPreferencesLegacy, createLLMsLegacy({ secretKey }), chatsLegacy] })
 * const llms = createLLMsStore({ backend, secretKey })
 * ```
 */
export function createLLMsLegacy(
  options: LLMsLegacyOptions,
): LegacyStore<LLMsStore, PersistedLLMs, Record<string, unknown>> {
  const { secretKey } = options
  return defineLegacyStore<LLMsStore, PersistedLLMs, Record<string, unknown>>({
    definition: llmsDefinition,
    key: LLMS_STORE_NAME,
    location: 'localStorage',
    import: async (raw) => {
      const imported = await importLegacyLLMs(raw, { secretKey })
      if (imported === null) return null
      return { state: imported.state, cleaned: imported.report.issues.length, report: imported.report }
    },
    count: (state) => ({ services: lengthOf(state.sources), models: lengthOf(state.llms) }),
    countLegacy: (state) => ({
      services: lengthOf(isPlainObject(state) ? state['sources'] : undefined),
      models: lengthOf(isPlainObject(state) ? state['llms'] : undefined),
    }),
    toLegacy: async (state) => {
      const key = checkSecretKey(await secretKey, 'toLegacy: secretKey')
      const sources = await Promise.all(
        state.sources.map(async (service) => {
          const sealed = state.sealedSecrets[service.id] ?? EMPTY_SEALED
          const fields = Object.keys(sealed)
          if (fields.length === 0) return service
          const setup: Record<string, unknown> = { ...(service.setup as Record<string, unknown>) }
          for (const field of fields) {
            const opened = await openSecret(key, sealed[field] as string, { serviceId: service.id, field })
            if (!opened.ok) throw unavailableError(LLMS_STORE_NAME, service.id, field, opened, key.id)
            if (!Object.hasOwn(setup, field) || setup[field] === undefined) setOwn(setup, field, opened.value)
          }
          return { ...service, setup }
        }),
      )
      return partializeLLMsForJson({ ...state, sources })
    },
    // The legacy text holds every key in clear: the migration's backup keeps it sealed whole.
    backup: async (text) =>
      sealSecret(checkSecretKey(await secretKey, 'backup: secretKey'), text, { serviceId: '', field: BACKUP_PLACE }),
    persistOptions: llmsLegacyPersistOptions,
  })
}
