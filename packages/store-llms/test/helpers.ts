import { readFileSync } from 'node:fs'
import { rawSecretKey } from '@zustand-sqlite/store-llms'
import type { DLLM, SecretKey } from '@zustand-sqlite/store-llms'

/** Credentials of the tests: each must never be found in a database file, a ChangeSet, an export or a message. */
export const KEYS = {
  openai: 'sk-proj-TESTKEY-0penai-c0ffee-4f1d9a2b7e3c5d6a',
  anthropic: 'sk-ant-api03-TESTKEY-4nthropic-b0a7c1e2d3f4a5b6',
  openai2: 'sk-proj-TESTKEY-second-0penai-9e8d7c6b5a4f3e2d',
  bedrockSecret: 'TESTKEY-bedrock-secret-access-key-Zq7Wx9Yv',
  hostPassword: 'TESTKEY-h0st-passw0rd-Lk3Jh5Gf',
  newKey: 'sk-proj-TESTKEY-rotated-n3w-key-11aa22bb33cc44dd',
  /** Credentials the messy fixture holds outside a setup: never stored. */
  strayModel: 'TESTKEY-stray-token-in-a-model',
  strayService: 'TESTKEY-stray-key-on-a-service',
} as const

/** Every test credential, to search outputs for. */
export const ALL_KEYS: readonly string[] = Object.values(KEYS)

/** A test fixture file's text. */
/** The fixtures of big-AGI's `app-models` the importer reads: every version, and a messy one. */
export const LEGACY_FIXTURES = [
  'app-models.v0.json',
  'app-models.v1.json',
  'app-models.v2.json',
  'app-models.v3.json',
  'app-models.v4.json',
  'app-models.v5.json',
  'app-models.v5-messy.json',
] as const

export const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')

/** The key of the tests: fixed bytes, so that runs are comparable. */
export function testKey(id = 'test-key-1', seed = 7): Promise<SecretKey> {
  return rawSecretKey(
    Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + seed) & 255),
    id,
  )
}

/** A model of a service, as the app's listing makes it. */
export function model(id: string, sId: string, vId: string, extra: Partial<DLLM> = {}): DLLM {
  return {
    id,
    label: id.toUpperCase(),
    created: 1717000000,
    description: `The ${id} model`,
    hidden: false,
    contextTokens: 128000,
    maxOutputTokens: 16384,
    interfaces: ['oai-chat', 'oai-chat-fn'],
    parameterSpecs: [{ paramId: 'llmVndOaiEffort', enumValues: ['low', 'medium', 'high'] }, { paramId: 'llmTopP' }],
    initialParameters: { llmRef: id, llmTemperature: 0.5 },
    sId,
    vId,
    ...extra,
  }
}

/**
 * The forms a key would take in stored text if it were only encoded: itself, and its base64 and base64url at each
 * of the three alignments it can have inside a longer encoded text (the characters that depend on its neighbours
 * cut off).
 */
function encodedForms(key: string): string[] {
  const forms = [key]
  for (let shift = 0; shift < 3; shift++) {
    const base64 = Buffer.from('\u0000'.repeat(shift) + key, 'latin1').toString('base64')
    const start = Math.ceil((shift * 4) / 3) + 1
    const core = base64.slice(start, base64.length - 4)
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  return forms
}

const FORMS = new Map(ALL_KEYS.map((key) => [key, encodedForms(key)]))

/** The test credentials `text` holds, in clear or only encoded (base64, base64url). */
export function keysIn(text: string): string[] {
  return ALL_KEYS.filter((key) => (FORMS.get(key) as string[]).some((form) => text.includes(form)))
}

/** Bytes as text for searching (latin1 keeps every byte). */
export const bytesText = (bytes: Uint8Array): string => Buffer.from(bytes).toString('latin1')
