import { isPlainObject } from '@zustand-sqlite/core'
import { isSealableValue, secretSetupFields } from './schema'
import type {
  DLLM,
  DLLMId,
  DLLMUserEdits,
  DModelConfiguration,
  DModelDomainId,
  DModelsService,
  DModelsServiceId,
} from './types'
import { MODEL_DOMAINS, USER_EDIT_FIELDS } from './types'

/** Sealed texts of one service's secret fields, by field. */
export type SealedFields = Readonly<Record<string, string>>

/** A service as stored: its setup without credentials, and each credential sealed, by field. */
export type PersistedModelsService = Omit<DModelsService, 'setup'> & {
  setup: Record<string, unknown>
  sealedSetup: SealedFields
}

/** A model as stored in `llm_models`: without the user's edits, which are rows of their own. */
export type PersistedLLM = Omit<DLLM, keyof DLLMUserEdits>

/**
 * What the LLMs store persists: services without their credentials (sealed in `sealedSetup`), models without the
 * user's edits, the edits by model id, the assignments by domain, `confServiceId`, and any key the app no longer
 * reads (`chatLLMId`, ...), kept as it is.
 */
export interface PersistedLLMs {
  sources: PersistedModelsService[]
  llms: PersistedLLM[]
  userEdits: Record<DLLMId, DLLMUserEdits>
  modelAssignments: Partial<Record<DModelDomainId, DModelConfiguration>>
  confServiceId: DModelsServiceId | null
  [staleKey: string]: unknown
}

type Item = Record<string, unknown>

/** Sets an own property, also for keys such as `__proto__` that come from data. */
export function setOwn(object: Item, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true })
}

/** A service without sealed credentials. */
export const EMPTY_SEALED: SealedFields = Object.freeze({})

// A service's setup without its credentials, by setup object: an unchanged setup gives the same object, so the
// service's row is not written again (rows are compared field by field, by reference).
const publicSetups = new WeakMap<object, Record<string, unknown>>()

/** A service's setup without its secret fields (see `isSecretSetupField`); the same object when it has none. */
export function publicSetup(service: Pick<DModelsService, 'vId' | 'setup'>): Record<string, unknown> {
  const setup = service.setup as Item
  if (!isPlainObject(setup)) return setup
  const known = publicSetups.get(setup)
  if (known !== undefined) return known
  const secret = secretSetupFields(service)
  let result: Item = setup
  if (secret.length > 0) {
    result = {}
    for (const field of Object.keys(setup)) if (!secret.includes(field)) setOwn(result, field, setup[field])
  }
  publicSetups.set(setup, result)
  return result
}

/**
 * Records that `next` differs from `previous` in secret fields only: its public part is `previous`'s, the same
 * object, so that putting an opened or a new key into a setup does not write the service's row again.
 */
export function sharePublicSetup(next: object, previous: object, vId: string): void {
  const before = publicSetup({ vId, setup: previous as Item })
  if (publicSetups.has(next)) return
  const computed = publicSetup({ vId, setup: next as Item })
  publicSetups.set(next, sameEntries(computed, before) ? before : computed)
}

function sameEntries(a: Item, b: Item): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
}

/** Whether a setup holds a value to seal at `field` (it holds a credential there in clear). */
export function holdsSecretAt(service: Pick<DModelsService, 'vId' | 'setup'>, field: string): boolean {
  const setup = service.setup as Item
  return isPlainObject(setup) && Object.hasOwn(setup, field) && isSealableValue(setup[field])
}

const storedServices = new WeakMap<
  DModelsService,
  { sealed: SealedFields | undefined; setup: object; result: PersistedModelsService }
>()

function persistService(service: DModelsService, sealed: SealedFields | undefined): PersistedModelsService {
  const known = storedServices.get(service)
  const setup = publicSetup(service)
  if (known !== undefined && known.sealed === sealed && known.setup === setup) return known.result
  const result = { ...service, setup, sealedSetup: sealed ?? EMPTY_SEALED } as PersistedModelsService
  storedServices.set(service, { sealed, setup, result })
  return result
}

const storedModels = new WeakMap<DLLM, { model: PersistedLLM; edits: DLLMUserEdits | undefined }>()

/** A model split into what the vendor's listing gives and the user's edits (`undefined`: none). */
export function splitModel(llm: DLLM): { model: PersistedLLM; edits: DLLMUserEdits | undefined } {
  const known = storedModels.get(llm)
  if (known !== undefined) return known
  let edits: Item | undefined
  let model: Item = llm as unknown as Item
  for (const field of USER_EDIT_FIELDS) {
    if (!Object.hasOwn(llm, field)) continue
    if (model === (llm as unknown as Item)) model = { ...model }
    delete model[field]
    if (llm[field] !== undefined) setOwn((edits ??= {}), field, llm[field])
  }
  const split = { model: model as PersistedLLM, edits: edits as DLLMUserEdits | undefined }
  storedModels.set(llm, split)
  return split
}

const storedLists = new WeakMap<readonly DLLM[], { llms: PersistedLLM[]; userEdits: Record<DLLMId, DLLMUserEdits> }>()

/** The models as stored: each split from its edits, and the edits by model id. */
export function persistModels(llms: readonly DLLM[]): {
  llms: PersistedLLM[]
  userEdits: Record<DLLMId, DLLMUserEdits>
} {
  const known = storedLists.get(llms)
  if (known !== undefined) return known
  const userEdits: Record<DLLMId, DLLMUserEdits> = {}
  const models = llms.map((llm) => {
    const { model, edits } = splitModel(llm)
    if (edits !== undefined) setOwn(userEdits, llm.id, edits)
    return model
  })
  const result = { llms: models, userEdits }
  storedLists.set(llms, result)
  return result
}

const storedServiceLists = new WeakMap<
  readonly DModelsService[],
  { sealed: object; result: PersistedModelsService[] }
>()

/** The services as stored: credentials out of each setup, the sealed texts of `sealedSecrets` beside them. */
export function persistServices(
  sources: readonly DModelsService[],
  sealedSecrets: Readonly<Record<DModelsServiceId, SealedFields>>,
): PersistedModelsService[] {
  const known = storedServiceLists.get(sources)
  if (known !== undefined && known.sealed === sealedSecrets) return known.result
  const result = sources.map((service) => persistService(service, sealedOf(sealedSecrets, service.id)))
  storedServiceLists.set(sources, { sealed: sealedSecrets, result })
  return result
}

function sealedOf(
  sealedSecrets: Readonly<Record<DModelsServiceId, SealedFields>>,
  serviceId: string,
): SealedFields | undefined {
  return Object.hasOwn(sealedSecrets, serviceId) ? sealedSecrets[serviceId] : undefined
}

/** Models joined with their stored edits, as the app keeps them. */
export function joinModels(llms: readonly unknown[], userEdits: unknown): DLLM[] {
  const edits = isPlainObject(userEdits) ? userEdits : {}
  return llms.map((llm) => {
    const model = llm as DLLM
    if (!isPlainObject(llm) || typeof model.id !== 'string' || !Object.hasOwn(edits, model.id)) return model
    const own = edits[model.id]
    return isPlainObject(own) ? ({ ...model, ...own } as DLLM) : model
  })
}

/**
 * Assignments that name a model that is gone are dropped (the domain goes back to automatic); "no model"
 * (`modelId: null`) stays. Returns the same object when nothing is dropped. As in the app, only the domains it
 * knows are checked; an assignment of a domain a newer app added is kept as it is.
 */
export function pruneStaleAssignments(
  llms: readonly DLLM[],
  assignments: Partial<Record<DModelDomainId, DModelConfiguration>>,
): Partial<Record<DModelDomainId, DModelConfiguration>> {
  let ids: Set<string> | undefined
  let result: Partial<Record<DModelDomainId, DModelConfiguration>> | undefined
  for (const domain of MODEL_DOMAINS) {
    if (!Object.hasOwn(assignments, domain)) continue
    const assignment = assignments[domain]
    if (assignment === undefined || assignment === null || assignment.modelId === null) continue
    ids ??= new Set(llms.map((l) => l.id))
    if (ids.has(assignment.modelId)) continue
    result ??= { ...assignments }
    delete result[domain]
  }
  return result ?? assignments
}
