import { ZustandSqliteError } from '@zustand-sqlite/core'

/**
 * The key that seals the services' credentials: an AES-GCM key of 256 bits for WebCrypto and its id. The id is
 * random, kept with the key, and written beside every value it seals, so that a value sealed with another key is
 * recognised as such without trying to open it. The key itself is never in the database.
 */
export interface SecretKey {
  /** 1 to 64 characters of `A-Z a-z 0-9 _ -`. */
  readonly id: string
  /** AES-GCM, 256 bits, for `encrypt` and `decrypt`; non-extractable from the providers of this package. */
  readonly key: CryptoKey
}

/** A key, or a promise of one (a provider's result, awaited by the store). */
export type SecretKeyOption = SecretKey | PromiseLike<SecretKey>

/** Where a sealed value belongs: a value only opens in the place it was sealed for. */
export interface SecretPlace {
  readonly serviceId: string
  readonly field: string
}

/** Why a sealed value did not open. */
export type OpenFailure =
  /** Not a sealed text of this format. */
  | 'malformed'
  /** Sealed with another key (its id is another): a database copied to another device, a lost key file. */
  | 'other-key'
  /** It does not open with this key: changed, cut, or moved from another service or field. */
  | 'corrupt'

/** What {@link openSecret} made of a sealed text. */
export type OpenResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: OpenFailure; readonly keyId?: string }

const PREFIX = 'zs-sealed:v1:'
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/
const BASE64URL = /^[A-Za-z0-9_-]*$/
const IV_BYTES = 12

/** WebCrypto's `subtle`, in browsers and Node 20; UNSUPPORTED_ENVIRONMENT where there is none (an insecure page). */
export function subtle(): SubtleCrypto {
  const value = globalThis.crypto?.subtle
  if (value === undefined) {
    throw new ZustandSqliteError(
      'UNSUPPORTED_ENVIRONMENT',
      'WebCrypto (crypto.subtle) is not available here: browsers give it to secure contexts (https or localhost) only',
    )
  }
  return value
}

/** Bytes as base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** base64url (padding optional) as bytes; `undefined` for text that is not base64url. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** Whether `id` can be a key's id. */
export function isSecretKeyId(id: unknown): id is string {
  return typeof id === 'string' && KEY_ID.test(id)
}

/** Checks a key given as an option (INVALID_OPTIONS naming `what`), without its value in any message. */
export function checkSecretKey(key: unknown, what: string): SecretKey {
  const candidate = key as Partial<SecretKey> | null | undefined
  const cryptoKey = candidate?.key as Partial<CryptoKey> | undefined
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    !isSecretKeyId(candidate.id) ||
    typeof cryptoKey !== 'object' ||
    cryptoKey === null ||
    (cryptoKey.algorithm as { name?: unknown } | undefined)?.name !== 'AES-GCM' ||
    (cryptoKey.algorithm as { length?: unknown }).length !== 256 ||
    !cryptoKey.usages?.includes('encrypt') ||
    !cryptoKey.usages.includes('decrypt')
  ) {
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      `${what}: expected a SecretKey ({ id, key }, a 256-bit AES-GCM CryptoKey for encrypt and decrypt, from indexedDBSecretKey, fileSecretKey or rawSecretKey)`,
    )
  }
  return candidate as SecretKey
}

/**
 * A key from 32 bytes the app holds (from its own key store, an environment variable, a KMS) and an id for it.
 * The CryptoKey is not extractable. Throws INVALID_OPTIONS for another length or an id outside `A-Z a-z 0-9 _ -`
 * (1 to 64 characters).
 *
 * @example
 * ```ts
 * const secretKey = await rawSecretKey(Buffer.from(process.env.LLM_KEY!, 'base64url'), 'server-2025')
 * const llms = createLLMsStore({ backend, secretKey })
 * ```
 */
export async function rawSecretKey(bytes: Uint8Array | ArrayBuffer, id: string): Promise<SecretKey> {
  const raw = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes
  if (!(raw instanceof Uint8Array) || raw.byteLength !== 32)
    throw new ZustandSqliteError('INVALID_OPTIONS', 'rawSecretKey: the key must be 32 bytes (AES-256)')
  if (!isSecretKeyId(id))
    throw new ZustandSqliteError(
      'INVALID_OPTIONS',
      'rawSecretKey: the id must be 1 to 64 characters of A-Z a-z 0-9 _ -',
    )
  const key = await subtle().importKey('raw', new Uint8Array(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt'])
  return { id, key }
}

/** What the cipher authenticates besides the value: the format, the key's id and the place. */
function additionalData(keyId: string, place: SecretPlace): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify(['zs-sealed', 1, keyId, place.serviceId, place.field]))
}

/**
 * Seals a JSON value for `place` with `secretKey`: `zs-sealed:v1:<key id>:<iv>:<ciphertext>`, base64url, a fresh
 * random 96-bit IV each time, the place authenticated (a value moved to another service or field does not open).
 */
export async function sealSecret(secretKey: SecretKey, value: unknown, place: SecretPlace): Promise<string> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES))
  const plain = new TextEncoder().encode(JSON.stringify(value))
  const sealed = await subtle().encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(secretKey.id, place), tagLength: 128 },
    secretKey.key,
    plain,
  )
  return `${PREFIX}${secretKey.id}:${toBase64Url(iv)}:${toBase64Url(new Uint8Array(sealed))}`
}

/** Whether `text` has the form of a sealed value (not whether it opens). */
export function isSealedText(text: unknown): text is string {
  return typeof text === 'string' && parseSealed(text) !== undefined
}

/** The id of the key a sealed text was sealed with; `undefined` for text that is not a sealed value. */
export function sealedKeyId(text: string): string | undefined {
  return parseSealed(text)?.keyId
}

function parseSealed(
  text: string,
): { keyId: string; iv: Uint8Array<ArrayBuffer>; data: Uint8Array<ArrayBuffer> } | undefined {
  if (!text.startsWith(PREFIX)) return undefined
  const [keyId, iv, data, ...more] = text.slice(PREFIX.length).split(':')
  if (more.length > 0 || !isSecretKeyId(keyId) || iv === undefined || data === undefined) return undefined
  const ivBytes = fromBase64Url(iv)
  const dataBytes = fromBase64Url(data)
  if (ivBytes?.length !== IV_BYTES || dataBytes === undefined || dataBytes.length < 16) return undefined
  return { keyId, iv: ivBytes, data: dataBytes }
}

/**
 * Opens a sealed text made by {@link sealSecret} for `place`. A text sealed with another key is recognised by its
 * key id without trying it; a text that does not authenticate (changed, cut, moved) is `corrupt`. Never throws for
 * the text; nothing of the value is in a failure.
 */
export async function openSecret(secretKey: SecretKey, text: string, place: SecretPlace): Promise<OpenResult> {
  const parsed = parseSealed(text)
  if (parsed === undefined) return { ok: false, reason: 'malformed' }
  if (parsed.keyId !== secretKey.id) return { ok: false, reason: 'other-key', keyId: parsed.keyId }
  let plain: ArrayBuffer
  try {
    plain = await subtle().decrypt(
      { name: 'AES-GCM', iv: parsed.iv, additionalData: additionalData(parsed.keyId, place), tagLength: 128 },
      secretKey.key,
      parsed.data,
    )
  } catch {
    return { ok: false, reason: 'corrupt', keyId: parsed.keyId }
  }
  try {
    return { ok: true, value: JSON.parse(new TextDecoder().decode(plain)) as unknown }
  } catch {
    return { ok: false, reason: 'corrupt', keyId: parsed.keyId }
  }
}
