import { isPlainObject, readPersistEnvelope, ZustandSqliteError } from '@zustand-sqlite/core'
import { joinModels, setOwn } from './persisted'
import type { PersistedLLMs } from './persisted'
import { SECRET_FIELD_NAME, secretSetupFields } from './schema'
import { checkSecretKey, sealSecret } from './secretKey'
import type { SecretKeyOption } from './secretKey'
import { LLMS_STATE_VERSION, LLMS_STORE_NAME, collectLLMsGarbage, llmsDefaults, partializeLLMs } from './state'
import type { DModelAssignments, LLMsState, LLMsStore } from './state'
import type { DLLM, DModelConfiguration, DModelsService } from './types'
import { createDModelConfiguration, MODEL_VENDORS, USER_EDIT_FIELDS } from './types'

/** One thing an import changed or left out, with where it was. */
export interface LLMsImportIssue {
  /** Where in the imported state, e.g. `llms[3].created` or `sources[id="openai"]`. */
  readonly path: string
  readonly problem: string
  /** `dropped`: left out; `fixed`: a missing or broken value replaced; `migrated`: changed by a version step. */
  readonly action: 'dropped' | 'fixed' | 'migrated'
}

/** What {@link importLegacyLLMs} did. */
export interface LLMsImportReport {
  /** The state version the value was stored at. */
  readonly version: number
  readonly services: number
  readonly models: number
  readonly assignments: number
  /** Credentials sealed (each a field of a service's setup). */
  readonly sealed: number
  readonly issues: readonly LLMsImportIssue[]
}

/** Options of {@link importLegacyLLMs}. */
export interface ImportLegacyLLMsOptions {
  /** The key the credentials are sealed with: the one the store opens them with. */
  readonly secretKey: SecretKeyOption
}

type Item = Record<string, unknown>
type Note = (path: string, problem: string, action: LLMsImportIssue['action']) => void

const KNOWN_SERVICE_FIELDS: ReadonlySet<string> = new Set(['id', 'label', 'vId', 'setup', 'defsV', 'sealedSetup'])
const KNOWN_MODEL_FIELDS: ReadonlySet<string> = new Set([
  'id',
  'label',
  'created',
  'updated',
  'pubDate',
  'description',
  'hidden',
  'contextTokens',
  'maxOutputTokens',
  'interfaces',
  'benchmark',
  'pricing',
  'parameterSpecs',
  'initialParameters',
  'sId',
  'vId',
  'isUserClone',
  'cloneSourceId',
  'options',
  'isEdited',
  'tmpIsFree',
  'tmpIsVision',
  'trainingDataCutoff',
  ...USER_EDIT_FIELDS,
])
const KNOWN_ROOT_FIELDS: ReadonlySet<string> = new Set([
  'llms',
  'sources',
  'confServiceId',
  'modelAssignments',
  'userEdits',
  'chatLLMId',
  'fastLLMId',
  'funcLLMId',
  'changelog',
])
const CREDENTIAL_DROPPED = 'a credential outside a service setup, which is never stored'

const at = (id: string): string => `[id=${JSON.stringify(id)}]`
const ignore: Note = () => undefined

function unsupported(version: number): never {
  throw new ZustandSqliteError(
    'MIGRATION_FAILED',
    `${LLMS_STORE_NAME} state version ${version} is not one this package can import (0 to ${LLMS_STATE_VERSION})`,
    { store: LLMS_STORE_NAME },
  )
}

/** Whether a field name or a value holds a credential (by its name, at any depth). */
function holdsCredentialName(name: string, value: unknown, depth = 0): boolean {
  if (SECRET_FIELD_NAME.test(name)) return true
  if (depth > 32 || typeof value !== 'object' || value === null) return false
  if (Array.isArray(value)) return value.some((item) => holdsCredentialName('', item, depth + 1))
  return Object.keys(value).some((key) => holdsCredentialName(key, (value as Item)[key], depth + 1))
}

/** Leaves out the unknown fields of `item` that are or hold credentials: only a setup keeps them, sealed. */
function dropCredentials(item: Item, known: ReadonlySet<string>, path: string, note: Note): void {
  for (const field of Object.keys(item)) {
    if (known.has(field) || !holdsCredentialName(field, item[field])) continue
    delete item[field]
    note(`${path}.${field}`, CREDENTIAL_DROPPED, 'dropped')
  }
}

/** The app's version 2 pricing (`{ chatIn, chatOut }`) in its version 3 shape, as its 2 to 3 step makes it. */
function portPricing(llm: Item): boolean {
  const pricing = llm['pricing']
  if (!isPlainObject(pricing) || (!pricing['chatIn'] && !pricing['chatOut'])) return false
  const chat: Item = {}
  if (pricing['chatIn']) chat['input'] = pricing['chatIn']
  if (pricing['chatOut']) chat['output'] = pricing['chatOut']
  const free = (price: unknown): boolean => price === 'free' || price === 0
  chat['_isFree'] = free(chat['input']) && free(chat['output'])
  const { chatIn: _in, chatOut: _out, ...rest } = pricing
  llm['pricing'] = { ...rest, chat }
  return true
}

/** The app's 3 to 4 step: `options` (`llmRef`, `llmTemperature`, `llmResponseTokens`) to parameters. */
function portOptions(llm: Item): boolean {
  if ('initialParameters' in llm) return false
  const initial: Item = {}
  llm['initialParameters'] = initial
  if (!isPlainObject(llm['userParameters'])) llm['userParameters'] = {}
  const options = llm['options']
  if (isPlainObject(options)) {
    if ('llmRef' in options) initial['llmRef'] = options['llmRef']
    if (typeof options['llmTemperature'] === 'number')
      initial['llmTemperature'] = Math.max(0, Math.min(1, options['llmTemperature']))
    if (typeof options['llmResponseTokens'] === 'number') initial['llmResponseTokens'] = options['llmResponseTokens']
  }
  delete llm['options']
  return true
}

/**
 * The app's migrations of `app-models`, on a copy of `state` stored at `version`: 0 to 1 adds `maxOutputTokens`
 * (half the context), 1 to 2 drops `tags` and sets `interfaces` to `['oai-chat']`, 2 to 3 ports the pricing, 3 to
 * 4 turns `options` into parameters, "4B" turns `chatLLMId` and `fastLLMId` into assignments (primary chat and
 * code, fast utility), and 4 to 5 resets the assignments to automatic. Models are joined with their edits first
 * when `state` is in this package's stored shape.
 */
function migrateSteps(state: Item, version: number, note: Note): Item {
  const migrated = structuredClone(state)
  const hasEdits = isPlainObject(migrated['userEdits'])
  const llms = Array.isArray(migrated['llms']) ? joinModels(migrated['llms'], migrated['userEdits']) : []
  if (hasEdits) migrated['userEdits'] = {}
  migrated['llms'] = llms
  llms.forEach((value, i) => {
    if (!isPlainObject(value)) return
    const llm = value as unknown as Item
    const path = `llms[${i}]`
    if (version < 1 && llm['maxOutputTokens'] === undefined) {
      const context = llm['contextTokens']
      llm['maxOutputTokens'] = typeof context === 'number' && context > 0 ? Math.round(context / 2) : null
      note(`${path}.maxOutputTokens`, 'added (half the context), as the app does from version 0', 'migrated')
    }
    if (version < 2) {
      delete llm['tags']
      llm['interfaces'] = ['oai-chat']
    }
    if (version < 3 && portPricing(llm)) note(`${path}.pricing`, 'ported to the version 3 pricing', 'migrated')
    if (version < 4 && portOptions(llm)) note(`${path}.options`, 'turned into initialParameters', 'migrated')
  })
  if (version < 5) {
    const assignments = migrated['modelAssignments']
    if (!isPlainObject(assignments) || Object.keys(assignments).length === 0) {
      // The app's "4B" step: the models chosen before assignments existed become assignments.
      const chat = migrated['chatLLMId']
      const fast = migrated['fastLLMId']
      const pinned: DModelAssignments = {}
      if (typeof chat === 'string' && chat !== '') {
        pinned.primaryChat = createDModelConfiguration('primaryChat', chat)
        pinned.codeApply = createDModelConfiguration('codeApply', chat)
        delete migrated['chatLLMId']
      }
      if (typeof fast === 'string' && fast !== '') {
        pinned.fastUtil = createDModelConfiguration('fastUtil', fast)
        delete migrated['fastLLMId']
      }
      migrated['modelAssignments'] = pinned
    }
    if (Object.keys(migrated['modelAssignments'] as Item).length > 0)
      note('modelAssignments', 'reset to automatic, as the app does from version 4', 'migrated')
    migrated['modelAssignments'] = {}
  }
  return migrated
}

/**
 * The migration of `app-models`, called with the stored version (`persist`'s `migrate`, so only for a version
 * other than 5): the app's steps (see `importLegacyLLMs`), on a copy. Versions outside 0 to 5 throw
 * MIGRATION_FAILED. Credentials stay where they are: a store seals those it finds in clear before it writes them.
 */
export function migrateLLMs(persisted: unknown, version: number): PersistedLLMs {
  if (!Number.isSafeInteger(version) || version < 0 || version > LLMS_STATE_VERSION) unsupported(version)
  return migrateSteps(isPlainObject(persisted) ? persisted : {}, version, ignore) as unknown as PersistedLLMs
}

/** Cleans a migrated state as the store needs it: each part checked, what cannot be kept left out and noted. */
function cleanState(state: Item, note: Note): LLMsState & Item {
  const cleaned: Item = {}
  for (const key of Object.keys(state)) if (!KNOWN_ROOT_FIELDS.has(key)) setOwn(cleaned, key, state[key])
  dropCredentials(cleaned, KNOWN_ROOT_FIELDS, 'state', note)
  for (const key of ['chatLLMId', 'fastLLMId', 'funcLLMId', 'changelog'])
    if (Object.hasOwn(state, key)) setOwn(cleaned, key, state[key])

  const sources: DModelsService[] = []
  const rawSources = state['sources']
  if (rawSources !== undefined && !Array.isArray(rawSources)) note('sources', 'not an array', 'dropped')
  ;(Array.isArray(rawSources) ? rawSources : []).forEach((value: unknown, i) => {
    const path = `sources[${i}]`
    if (!isPlainObject(value) || typeof value['id'] !== 'string' || value['id'] === '')
      return note(path, 'not a service with a string id', 'dropped')
    const id = value['id']
    if (sources.some((s) => s.id === id)) return note(path, `a second service with id ${JSON.stringify(id)}`, 'dropped')
    if (typeof value['vId'] !== 'string' || value['vId'] === '')
      return note(path, 'a service without a vendor (vId)', 'dropped')
    const service = { ...value } as Item
    delete service['sealedSetup']
    dropCredentials(service, KNOWN_SERVICE_FIELDS, `sources${at(id)}`, note)
    if (!isPlainObject(service['setup'])) {
      if (service['setup'] !== undefined) note(`sources${at(id)}.setup`, 'not an object', 'fixed')
      service['setup'] = {}
    }
    if (typeof service['label'] !== 'string') {
      service['label'] = MODEL_VENDORS[value['vId']] ?? value['vId']
      note(`sources${at(id)}.label`, 'not a string', 'fixed')
    }
    if (service['defsV'] !== undefined && typeof service['defsV'] !== 'string') {
      delete service['defsV']
      note(`sources${at(id)}.defsV`, 'not a string', 'dropped')
    }
    sources.push(service as unknown as DModelsService)
  })

  const llms: DLLM[] = []
  const ids = new Set<string>()
  const rawLlms = state['llms']
  if (rawLlms !== undefined && !Array.isArray(rawLlms)) note('llms', 'not an array', 'dropped')
  ;(Array.isArray(rawLlms) ? rawLlms : []).forEach((value: unknown, i) => {
    const path = `llms[${i}]`
    if (!isPlainObject(value) || typeof value['id'] !== 'string' || value['id'] === '')
      return note(path, 'not a model with a string id', 'dropped')
    if (ids.has(value['id'])) return note(path, `a second model with id ${JSON.stringify(value['id'])}`, 'dropped')
    if (typeof value['sId'] !== 'string') return note(path, 'a model without a service (sId)', 'dropped')
    const llm = { ...value } as Item
    if ('_source' in llm) {
      delete llm['_source']
      note(`${path}._source`, 'a copy of the service, with its credentials: never stored', 'dropped')
    }
    dropCredentials(llm, KNOWN_MODEL_FIELDS, path, note)
    const text = (field: string, fallback: string | undefined): void => {
      if (llm[field] === undefined || typeof llm[field] === 'string') return
      if (fallback === undefined) delete llm[field]
      else llm[field] = fallback
      note(`${path}.${field}`, 'not a string', fallback === undefined ? 'dropped' : 'fixed')
    }
    const flag = (field: string): void => {
      if (llm[field] === undefined || typeof llm[field] === 'boolean') return
      delete llm[field]
      note(`${path}.${field}`, 'not a boolean', 'dropped')
    }
    const number = (field: string): void => {
      if (llm[field] === undefined || (typeof llm[field] === 'number' && Number.isFinite(llm[field]))) return
      delete llm[field]
      note(`${path}.${field}`, 'not a number', 'dropped')
    }
    text('label', value['id'])
    text('vId', undefined)
    text('cloneSourceId', undefined)
    text('userLabel', undefined)
    flag('hidden')
    flag('isUserClone')
    flag('userHidden')
    flag('userStarred')
    number('created')
    number('updated')
    ids.add(value['id'])
    llms.push(llm as unknown as DLLM)
  })

  const modelAssignments: Record<string, DModelConfiguration> = {}
  const rawAssignments = state['modelAssignments']
  if (rawAssignments !== undefined && !isPlainObject(rawAssignments))
    note('modelAssignments', 'not an object', 'dropped')
  if (isPlainObject(rawAssignments)) {
    for (const domain of Object.keys(rawAssignments)) {
      const assignment = rawAssignments[domain]
      const modelId = isPlainObject(assignment) ? assignment['modelId'] : undefined
      if (!isPlainObject(assignment) || (typeof modelId !== 'string' && modelId !== null)) {
        note(`modelAssignments.${domain}`, 'not an assignment of a model id or null', 'dropped')
        continue
      }
      setOwn(modelAssignments, domain, assignment)
    }
  }
  let confServiceId = state['confServiceId'] ?? null
  if (confServiceId !== null && typeof confServiceId !== 'string') {
    note('confServiceId', 'not a string', 'fixed')
    confServiceId = null
  }
  return {
    ...cleaned,
    ...llmsDefaults(),
    sources,
    llms,
    modelAssignments,
    confServiceId: confServiceId as string | null,
  } as LLMsState & Item
}

/** The app's clean-up after loading (see `collectLLMsGarbage`), with each change noted. */
function collectGarbage(state: LLMsState & Item, note: Note): LLMsState & Item {
  const services = new Map(state.sources.map((s) => [s.id, s]))
  for (const llm of state.llms) {
    if (!services.has(llm.sId)) note(`llms${at(llm.id)}`, `its service ${JSON.stringify(llm.sId)} is gone`, 'dropped')
    else if (!llm.vId) note(`llms${at(llm.id)}.vId`, "missing: its service's vendor", 'fixed')
  }
  const collected = collectLLMsGarbage(state)
  for (const domain of Object.keys(state.modelAssignments))
    if (!Object.hasOwn(collected.modelAssignments, domain))
      note(`modelAssignments.${domain}`, 'its model is gone: back to automatic', 'dropped')
  return collected
}

/** Parses JSON text without echoing it in the error: a message of the engine's can quote the text, keys and all. */
function parseQuietly(value: unknown): unknown {
  let parsed = value
  for (let depth = 0; typeof parsed === 'string' && depth < 2; depth++) {
    try {
      parsed = JSON.parse(parsed)
    } catch {
      throw new ZustandSqliteError('INVALID_LEGACY_DATA', `${LLMS_STORE_NAME}: not JSON; nothing was imported`, {
        store: LLMS_STORE_NAME,
      })
    }
  }
  return parsed
}

/** The legacy value read as the app reads it: migrated to version 5 and cleaned. */
function readLegacy(value: unknown, note: Note): { state: LLMsState & Item; version: number } {
  const { state, version } = readPersistEnvelope(parseQuietly(value), LLMS_STORE_NAME)
  if (version < 0 || version > LLMS_STATE_VERSION) unsupported(version)
  const migrated = version === LLMS_STATE_VERSION ? state : migrateSteps(state, version, note)
  return { state: collectGarbage(cleanState(migrated, note), note), version }
}

/**
 * The stored shape of a state whose credentials are in clear: each sealed with `secretKey` for its service and
 * field, and taken out of its setup (as `partializeLLMs` stores a state).
 */
export async function sealState(
  state: LLMsState,
  secretKey: SecretKeyOption,
): Promise<{ state: PersistedLLMs; sealed: number }> {
  const key = checkSecretKey(await secretKey, 'secretKey')
  let sealed = 0
  const sealedSecrets: Record<string, Record<string, string>> = {}
  for (const service of state.sources) {
    const setup = service.setup as Item
    for (const field of secretSetupFields(service)) {
      const text = await sealSecret(key, setup[field], { serviceId: service.id, field })
      if (!Object.hasOwn(sealedSecrets, service.id)) setOwn(sealedSecrets, service.id, {})
      setOwn(sealedSecrets[service.id] as Item, field, text)
      sealed++
    }
  }
  return { state: partializeLLMs({ ...state, sealedSecrets }), sealed }
}

/**
 * Imports what the app's models store left in localStorage (`localStorage.getItem('app-models')`): the
 * `{ state, version }` envelope as its JSON text, that text encoded twice (a backup's copy), or parsed, versions 0
 * to 5 (the shapes of the app's version 1 and 2 releases too). Resolves to the state to store, every credential
 * sealed with `secretKey`, and a report; `null` for `null`/`undefined`.
 *
 * The import runs the app's migrations (see `migrateLLMs`) and its clean-up after loading (models whose service is
 * gone, a missing `vId`, assignments of models that are gone), and cleans what the store cannot keep: a service
 * without an id or vendor, a model without an id or service, repeated ids, values of the wrong type. A model's
 * `_source` (a copy of its service, keys included, in version 1 data) and any other credential outside a service's
 * setup are left out. Each change is listed in `report.issues`; unknown keys (`chatLLMId`, ...) are kept.
 *
 * Throws INVALID_LEGACY_DATA for what is not an envelope (its message never quotes the value), MIGRATION_FAILED
 * for a version outside 0 to 5, and INVALID_OPTIONS without a usable key. Nothing is written.
 *
 * @example
 * ```ts
 * const imported = await importLegacyLLMs(localStorage.getItem('app-models'), { secretKey })
 * if (imported) await writeStoredState(backend, { name: 'app-models', schema: llmsSchema, version: 5 }, imported.state)
 * ```
 */
export async function importLegacyLLMs(
  value: unknown,
  options: ImportLegacyLLMsOptions,
): Promise<{ state: PersistedLLMs; report: LLMsImportReport } | null> {
  if (options?.secretKey === undefined)
    throw new ZustandSqliteError('INVALID_OPTIONS', 'importLegacyLLMs: a secretKey is required to seal the credentials')
  if (value === null || value === undefined) return null
  const issues: LLMsImportIssue[] = []
  const { state, version } = readLegacy(value, (path, problem, action) => issues.push({ path, problem, action }))
  const { state: persisted, sealed } = await sealState(state, options.secretKey)
  return {
    state: persisted,
    report: {
      version,
      services: persisted.sources.length,
      models: persisted.llms.length,
      assignments: Object.keys(persisted.modelAssignments).length,
      sealed,
      issues,
    },
  }
}

/** What the legacy `persist` stores of the state: everything but the actions and what this package adds. */
export function partializeLLMsForJson(state: LLMsState): Record<string, unknown> {
  const persisted: Item = {}
  for (const key of Object.keys(state)) {
    const value = (state as unknown as Item)[key]
    if (['sealedSecrets', 'unavailableSecrets', 'secretsOpen'].includes(key) || typeof value === 'function') continue
    setOwn(persisted, key, value)
  }
  return persisted
}

/**
 * Zustand `persist` options of the legacy path: the app's name, version 5, its migrations, a partialize that
 * leaves out what this package adds to the state, and a merge that cleans the stored value as the import does and
 * runs the app's clean-up after loading. Credentials are in clear there, as the app keeps them. Give them a storage
 * (the app keeps `app-models` in localStorage).
 */
export const llmsLegacyPersistOptions = {
  name: LLMS_STORE_NAME,
  version: LLMS_STATE_VERSION,
  migrate: migrateLLMs,
  partialize: partializeLLMsForJson,
  merge: (persisted: unknown, current: LLMsStore): LLMsStore => {
    if (!isPlainObject(persisted)) return current
    const cleaned = collectGarbage(cleanState(persisted, ignore), ignore)
    return { ...current, ...cleaned, secretsOpen: true, sealedSecrets: {}, unavailableSecrets: {} }
  },
} as const
