import { collection, column, defineSchema, isPlainObject, singleton } from '@zustand-sqlite/core'
import type { ModelVendorId } from './types'

/**
 * The credentials each vendor's `setup` holds, by vendor id: the fields the app's vendors declare for API keys,
 * access keys and tokens. Any field {@link SECRET_FIELD_NAME} matches is a secret too, whatever the vendor.
 */
export const LLM_SECRET_FIELDS: Readonly<Record<ModelVendorId, readonly string[]>> = {
  alibaba: ['alibabaOaiKey'],
  anthropic: ['anthropicKey'],
  azure: ['azureKey'],
  bedrock: ['bedrockBearerToken', 'bedrockAccessKeyId', 'bedrockSecretAccessKey', 'bedrockSessionToken'],
  cerebras: ['cerebrasKey'],
  cohere: ['cohereKey'],
  deepseek: ['deepseekKey'],
  googleai: ['geminiKey'],
  groq: ['groqKey'],
  localai: ['localAIKey'],
  mistral: ['oaiKey'],
  modular: ['modularKey'],
  moonshot: ['moonshotKey'],
  nvidianim: ['nvidiaKey'],
  openai: ['oaiKey', 'heliKey'],
  openrouter: ['oaiKey'],
  perplexity: ['perplexityKey'],
  sakanaai: ['sakanaKey'],
  togetherai: ['togetherKey'],
  xai: ['xaiKey'],
  zai: ['zaiKey'],
}

/**
 * Setup field names that hold credentials, for every vendor (a vendor or a field the app adds later): names
 * ending in `key`, `keys`, `keyId`, `secret`, `secrets`, `token`, `password`, `passwd`, `passphrase`,
 * `credential(s)`, `auth`, `authorization` or `cookie`, in any case. Anchored at the end so that counts such as
 * `maxTokens` stay plain settings.
 */
export const SECRET_FIELD_NAME =
  /(?:key|keys|keyid|secret|secrets|token|password|passwd|passphrase|credentials?|auth|authorization|cookie)$/i

/** A URL with a password in it (`https://user:password@host`): a host setting that carries a credential. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/?#@\s]*:[^/?#@\s]*@/i

/** Whether `value` holds, at any depth, a field named like a credential or a URL with a password. */
function holdsCredential(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return URL_WITH_PASSWORD.test(value)
  if (depth > 32 || typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) return value.some((item) => holdsCredential(item, depth + 1))
  if (!isPlainObject(value)) return false
  return Object.keys(value).some((name) => SECRET_FIELD_NAME.test(name) || holdsCredential(value[name], depth + 1))
}

/**
 * Whether a setup value is one to seal: anything but `undefined`, `null`, `''` and booleans, which carry no
 * credential (the app's new services start with `oaiKey: ''`).
 */
export function isSealableValue(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && typeof value !== 'boolean'
}

/**
 * The store's marking of secret fields: whether the field `field` of a `vendorId` service's setup, holding
 * `value`, is a credential, sealed at rest. It is when the vendor declares it ({@link LLM_SECRET_FIELDS}), when its
 * name looks like one ({@link SECRET_FIELD_NAME}), or when its value holds a URL with a password or an object with
 * such a field (an OAuth token object). Only values {@link isSealableValue} accepts are sealed: an empty key is
 * kept as the plain setting it is.
 *
 * @example
 * ```ts
 * isSecretSetupField('openai', 'oaiKey', 'sk-...') // true
 * isSecretSetupField('ollama', 'ollamaHost', 'http://user:pw@host:11434') // true
 * isSecretSetupField('openai', 'oaiHost', 'https://api.openai.com') // false
 * ```
 */
export function isSecretSetupField(vendorId: ModelVendorId, field: string, value: unknown): boolean {
  if (!isSealableValue(value)) return false
  const declared = Object.hasOwn(LLM_SECRET_FIELDS, vendorId) ? LLM_SECRET_FIELDS[vendorId] : undefined
  return declared?.includes(field) === true || SECRET_FIELD_NAME.test(field) || holdsCredential(value)
}

/** The fields of a service's setup that are sealed at rest (see {@link isSecretSetupField}), in setup order. */
export function secretSetupFields(service: { readonly vId: ModelVendorId; readonly setup: unknown }): string[] {
  const { setup } = service
  if (!isPlainObject(setup)) return []
  return Object.keys(setup).filter((field) => isSecretSetupField(service.vId, field, setup[field]))
}

/**
 * The LLMs store's tables:
 *
 * - `llm_services`: one row per service, in order (`sort_key`). `setup` holds the service's settings without its
 *   credentials; each credential is a row of `llm_service_secrets` (service id, field, sealed text), deleted with
 *   its service.
 * - `llm_models`: one row per model, in the app's order (models grouped by service), indexed by service.
 *   Capabilities, pricing and parameters are JSON columns; fields a newer app adds go to `extra`.
 * - `llm_model_user_edits`: one row per model the user edited, keyed by model id: the `user*` fields, apart from
 *   what the vendor's listing rewrites.
 * - `llm_model_assignments`: one row per domain with an assignment (a missing one means automatic).
 * - `llm_settings`: one row, `conf_service_id` and in `extra` the keys the app no longer reads (`chatLLMId`, ...).
 */
export const llmsSchema = defineSchema({
  version: 1,
  state: {
    sources: collection({
      table: 'llm_services',
      key: 'id',
      columns: {
        id: column.text(),
        label: column.text(),
        vId: column.text({ column: 'v_id' }),
        setup: column.json(),
        defsV: column.text({ optional: true, column: 'defs_v' }),
      },
      children: {
        sealedSetup: collection({
          table: 'llm_service_secrets',
          shape: 'record',
          parentColumns: ['service_id'],
          keyColumn: 'field',
          value: column.text({ column: 'sealed' }),
        }),
      },
    }),
    llms: collection({
      table: 'llm_models',
      key: 'id',
      columns: {
        id: column.text(),
        sId: column.text({ column: 's_id' }),
        vId: column.text({ column: 'v_id', optional: true }),
        label: column.text({ optional: true }),
        created: column.real({ optional: true }),
        updated: column.real({ optional: true }),
        hidden: column.boolean({ optional: true }),
        contextTokens: column.json({ optional: true }),
        maxOutputTokens: column.json({ optional: true }),
        interfaces: column.json({ optional: true }),
        pricing: column.json({ optional: true }),
        parameterSpecs: column.json({ optional: true }),
        initialParameters: column.json({ optional: true }),
        isUserClone: column.boolean({ optional: true }),
        cloneSourceId: column.text({ optional: true }),
      },
      indexes: [{ columns: ['sId'] }],
    }),
    userEdits: collection({
      table: 'llm_model_user_edits',
      shape: 'record',
      keyColumn: 'model_id',
      columns: {
        userLabel: column.text({ optional: true }),
        userHidden: column.boolean({ optional: true }),
        userStarred: column.boolean({ optional: true }),
        userContextTokens: column.json({ optional: true }),
        userMaxOutputTokens: column.json({ optional: true }),
        userPricing: column.json({ optional: true }),
        userParameters: column.json({ optional: true }),
      },
    }),
    modelAssignments: collection({
      table: 'llm_model_assignments',
      shape: 'record',
      keyColumn: 'domain',
      columns: {
        modelId: column.text({ nullable: true, column: 'model_id' }),
        modelParameters: column.json({ optional: true }),
      },
    }),
  },
  root: singleton({
    table: 'llm_settings',
    columns: { confServiceId: column.text({ nullable: true }) },
  }),
})
