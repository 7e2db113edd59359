import { defineStore, ZustandSqliteError } from '@zustand-sqlite/core'
import type { PersistedStoreApi, StoreOptions } from '@zustand-sqlite/core'
import { migrateLLMs } from './legacy'
import type { PersistedLLMs } from './persisted'
import { llmsSchema } from './schema'
import { checkSecretKey } from './secretKey'
import type { SecretKeyOption } from './secretKey'
import { createLLMsState, LLMS_STATE_VERSION, LLMS_STORE_NAME, mergeLLMs, partializeLLMs } from './state'
import type { LLMsStateOptions, LLMsStore } from './state'
import { attachSecretsVault, isKeyPromise } from './vault'

/** Options of {@link createLLMsStore}: where to store, the `persistSQLite` options a store may tune, and the key. */
export type LLMsStoreOptions = StoreOptions<LLMsStore, PersistedLLMs> &
  LLMsStateOptions & {
    /**
     * The key that seals the credentials at rest, or a promise of one: `indexedDBSecretKey()` in a browser,
     * `fileSecretKey(path)` on Node, `rawSecretKey(bytes, id)` for a key the app holds. Required: there is no way
     * to store a credential in clear.
     */
    readonly secretKey: SecretKeyOption
  }

/** The LLMs store: a Zustand store with `store.persist`. */
export type LLMsStoreApi = PersistedStoreApi<LLMsStore, PersistedLLMs>

function requireKey(secretKey: SecretKeyOption | undefined, what: string): SecretKeyOption {
  if (secretKey === undefined || secretKey === null)
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `${what}: \`secretKey\` is required: the store seals API keys at rest, and has no way to store them in clear`,
    )
  return isKeyPromise(secretKey) ? secretKey : checkSecretKey(secretKey, `${what}: secretKey`)
}

/**
 * The LLMs store, defined once: name `app-models`, `llmsSchema`, state version 5 with the app's migrations,
 * partialize (credentials out, sealed texts in, user edits apart) and merge (with the app's clean-up after
 * loading). `create` makes the store and keeps its credentials sealed (it needs `secretKey`); `read` and `update`
 * serve the query functions, which never see a credential in clear unless they open it with a key.
 */
export const llmsDefinition = defineStore<LLMsStore, PersistedLLMs, LLMsStateOptions>({
  name: LLMS_STORE_NAME,
  schema: llmsSchema,
  version: LLMS_STATE_VERSION,
  partialize: partializeLLMs,
  merge: mergeLLMs,
  migrate: migrateLLMs,
  state: (options) => createLLMsState(options),
  setup: (store, options) =>
    attachSecretsVault(store, requireKey(options.secretKey, 'llms store'), options.name ?? LLMS_STORE_NAME),
})

/**
 * An LLMs store persisted with `persistSQLite`: one row per service and per model, the user's edits of a model in
 * a row of their own, one row per assignment; each API key sealed (AES-GCM, 256 bits) under `secretKey`, which is
 * kept outside the database. The state holds the keys in clear, as the app reads them; only their sealed texts are
 * written. With a synchronous backend the store has hydrated when this returns; its keys are opened right after
 * (`whenSecretsOpen`). Throws INVALID_OPTIONS without a `secretKey`.
 *
 * @example
 * ```ts
 * const llms = createLLMsStore({ backend, secretKey: indexedDBSecretKey() })
 * await whenSecretsOpen(llms)
 * const service = llms.getState().createModelsService({ id: 'openai', name: 'OpenAI' })
 * llms.getState().updateServiceSettings(service.id, { oaiKey: 'sk-...' })
 * await llms.persist.flush() // resolves once the key is sealed and written
 * ```
 */
export function createLLMsStore(options: LLMsStoreOptions): LLMsStoreApi {
  requireKey(options?.secretKey, 'createLLMsStore')
  return llmsDefinition.create(options)
}
