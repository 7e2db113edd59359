/**
 * Sections of the app's data that hold model services, whose `setup` carries API keys: the export-all
 * file's `models` (`{ sources }`), the models store's `sources` (its services, by their old name) and
 * `llms`, a service's `setup`, and a flash backup's `storage` (every store's value, `app-models` among
 * them). None belongs to a conversation.
 */
const CREDENTIAL_SECTIONS: ReadonlySet<string> = new Set(['models', 'sources', 'services', 'llms', 'setup', 'storage'])

/**
 * Names of credentials: the services' `oaiKey`, `anthropicKey`, `bedrockAccessKeyId`,
 * `bedrockSecretAccessKey`, `bedrockSessionToken`, and the usual `apiKey`, `secret`, `password`, ...
 */
const CREDENTIAL_NAME =
  /(?:key|keys|keyid|secret|secrets|token|tokens|password|passwd|passphrase|credentials?|authorization)$/i

const isCredentialName = (name: string): boolean => CREDENTIAL_SECTIONS.has(name) || CREDENTIAL_NAME.test(name)

/** Whether `value` holds, at any depth, a field named like a credential. */
function holdsCredential(value: unknown, seen: Set<object>): boolean {
  if (typeof value !== 'object' || value === null || seen.has(value)) return false
  seen.add(value)
  if (Array.isArray(value)) return value.some((item) => holdsCredential(item, seen))
  const object = value as Record<string, unknown>
  return Object.keys(object).some((name) => isCredentialName(name) || holdsCredential(object[name], seen))
}

/**
 * The fields of an imported item, other than `known` ones, that are or may hold credentials. Those
 * fields would be kept as they are (in the `extra` column): an import leaves them out instead, since a
 * key stored in a chat would end up in every copy of the database.
 */
export function credentialFields(item: Record<string, unknown>, known: ReadonlySet<string>): string[] {
  return Object.keys(item).filter(
    (name) => !known.has(name) && (isCredentialName(name) || holdsCredential(item[name], new Set())),
  )
}
