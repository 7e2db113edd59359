import type { StateCreator } from 'zustand/vanilla'
import { isPlainObject, returningSet } from '@zustand-sqlite/core'
import {
  EMPTY_SEALED,
  holdsSecretAt,
  joinModels,
  persistModels,
  persistServices,
  pruneStaleAssignments,
  setOwn,
  sharePublicSetup,
} from './persisted'
import type { PersistedLLMs, SealedFields } from './persisted'
import { isSecretSetupField, secretSetupFields } from './schema'
import type { SecretKeyOption } from './secretKey'
import type {
  DLLM,
  DLLMId,
  DModelConfiguration,
  DModelDomainId,
  DModelParameterValues,
  DModelsService,
  DModelsServiceId,
  ModelVendor,
} from './types'
import { createDModelConfiguration, isLLMHidden, MODEL_VENDORS } from './types'

/** The store's name, in the database and (for the legacy path) in localStorage. */
export const LLMS_STORE_NAME = 'app-models'
/** The state version: the app's `app-models` is at 5 (assignments default to automatic). */
export const LLMS_STATE_VERSION = 5
/** The longest service label the app keeps. */
export const MAX_SERVICE_LABEL_LENGTH = 32

/** Model assignments by domain: a domain without one uses the model picked automatically. */
export type DModelAssignments = Partial<Record<DModelDomainId, DModelConfiguration>>

/** The state of the LLMs store: the app's, plus what this package keeps of the sealed credentials. */
export interface LLMsState {
  /** Every model, grouped by service, in the order the app shows them. */
  llms: DLLM[]
  /** The configured services (the app's name for them is still `sources`), their setups holding keys in clear. */
  sources: DModelsService[]
  /** The service the models dialog shows. */
  confServiceId: DModelsServiceId | null
  modelAssignments: DModelAssignments
  /**
   * The sealed text of each credential of each service, as stored (by service id, then field): what is written
   * in place of the keys. A key entered and not sealed yet keeps the previous sealed text here until it is.
   */
  sealedSecrets: Readonly<Record<DModelsServiceId, SealedFields>>
  /**
   * The credentials that could not be opened, by service id: sealed with another key (a database copied from
   * another device, a lost key file) or corrupt. The service has no value for those fields; the sealed text
   * stays stored until the user enters a new key. Not persisted.
   */
  unavailableSecrets: Readonly<Record<DModelsServiceId, readonly string[]>>
  /**
   * `true` once every stored credential was opened or found unavailable. A store with a secret key starts
   * `false` and turns `true` after hydrating and opening. Not persisted. See `whenSecretsOpen`.
   */
  secretsOpen: boolean
}

/** The LLMs store's actions: the app's, with the same names and arguments. */
export interface LLMsActions {
  /**
   * Replaces a service's models with a new listing. With `keepUserEdits`, each model listed again keeps the
   * user's edits (label, visibility, star, context and output tokens, pricing, parameters; parameters the new
   * listing no longer has, or enum values it no longer allows, are dropped). The user's clones stay, first; with
   * `keepMissing`, models no longer listed stay too. Assignments of models that are gone are dropped.
   */
  setServiceLLMs: (
    serviceId: DModelsServiceId,
    llms: readonly DLLM[],
    keepUserEdits: boolean,
    keepMissing: boolean,
  ) => void
  removeLLM: (id: DLLMId) => void
  /** Removes the user's clones of a service's models. */
  removeCustomModels: (serviceId: DModelsServiceId) => void
  /** Orders the models by their service's place in `serviceIdOrder` (others last), keeping their order within. */
  rerankLLMsByServices: (serviceIdOrder: readonly DModelsServiceId[]) => void
  updateLLM: (id: DLLMId, partial: Partial<DLLM>) => void
  updateLLMs: (updates: readonly { id: DLLMId; partial: Partial<DLLM> }[]) => void
  updateLLMUserParameters: (id: DLLMId, partial: DModelParameterValues) => void
  deleteLLMUserParameter: (id: DLLMId, parameterId: string) => void
  resetLLMUserParameters: (id: DLLMId) => void
  /** Removes the user's parameters and labels of a service's models (clones excepted). */
  resetServiceUserParameters: (serviceId: DModelsServiceId) => void
  /** Removes the user's visibility choices of a service's models. */
  resetServiceVisibility: (serviceId: DModelsServiceId) => void
  setServiceModelsHidden: (serviceId: DModelsServiceId, hidden: boolean) => void
  /**
   * A copy of a model with the id `<sourceId>::<variant>`, labelled `label`, placed first among its service's
   * models. Returns its id, or `null` when the model is not there or the clone exists.
   */
  userCloneLLM: (sourceId: DLLMId, label: string, variant: string) => DLLMId | null
  /**
   * Adds a service of `vendor` (`openai`, then `openai-1`, ...; labelled `OpenAI`, then `OpenAI #2`, ...) with the
   * vendor's initial setup, and makes it the configured one when none is. Returns it.
   */
  createModelsService: (vendor: ModelVendor) => DModelsService
  /**
   * Adds services from a backup, never replacing one: a service whose id is taken, without an id, or of a vendor
   * the app does not know is skipped. Returns how many were added and skipped.
   */
  importServicesAppend: (services: readonly DModelsService[]) => { added: number; skipped: number }
  /** Removes a service, its models, their assignments and its sealed credentials. */
  removeService: (id: DModelsServiceId) => void
  /** Sets a service's label, cut to 32 characters; an empty one becomes the vendor's name unless `allowEmpty`. */
  updateServiceLabel: (id: DModelsServiceId, label: string, allowEmpty?: boolean) => void
  /**
   * Merges settings into a service's setup. Credentials are held in clear in the state and sealed before they are
   * stored; until a new key is sealed, the previous sealed one stays stored. An empty value removes the stored one.
   */
  updateServiceSettings: <TSettings extends object = Record<string, unknown>>(
    id: DModelsServiceId,
    partialSettings: Partial<TSettings>,
  ) => void
  stampServiceDefs: (id: DModelsServiceId, defsV: string) => void
  setConfServiceId: (id: DModelsServiceId | null) => void
  /** Sets the key of the first OpenRouter service (its OAuth sign-in). */
  setOpenRouterKey: (key: string) => void
  /** Removes a domain's assignment: its model is picked automatically. */
  assignDomainModelAuto: (domainId: DModelDomainId) => void
  /**
   * Removes a domain's assignment when its model is gone or, with `alsoWhenInvisible`, hidden. "No model" stays.
   */
  assignDomainModelAutoIfStale: (domainId: DModelDomainId, alsoWhenInvisible: boolean) => void
  /** Assigns a model to a domain; `null` or `undefined` makes the domain automatic (the app's way). */
  assignDomainModelId: (domainId: DModelDomainId, llmId: DLLMId | null | undefined) => void
}

/** State and actions of the LLMs store. */
export type LLMsStore = LLMsState & LLMsActions

/** Options of {@link createLLMsState}. */
export interface LLMsStateOptions {
  /**
   * The key that seals the credentials (see `createLLMsStore`, where it is required). Given here, the state starts
   * with `secretsOpen: false`, for the store to open them. @default none: a state without sealed credentials
   */
  readonly secretKey?: SecretKeyOption
}

/** The model ids of a clone: `<sourceId>::<variant>`. */
export function getDLLMCloneId(sourceId: DLLMId, variant: string): DLLMId {
  return `${sourceId}::${variant}`
}

// Parameters every model takes without declaring them: they survive a new listing.
const IMPLICIT_PARAMETERS: ReadonlySet<string> = new Set(['llmResponseTokens', 'llmTemperature'])

/** The user's parameters a new listing still allows: declared by the model (or implicit), enum values allowed. */
function keptUserParameters(parameters: DModelParameterValues, llm: DLLM): DModelParameterValues {
  const kept: DModelParameterValues = {}
  const specs = Array.isArray(llm.parameterSpecs) ? llm.parameterSpecs : []
  for (const [id, value] of Object.entries(parameters)) {
    if (!IMPLICIT_PARAMETERS.has(id)) {
      const spec = specs.find((s) => s.paramId === id)
      if (spec === undefined) continue
      if (typeof value === 'string' && spec.enumValues !== undefined && spec.enumValues.length > 0) {
        if (!spec.enumValues.includes(value)) continue
      }
    }
    setOwn(kept, id, value)
  }
  return kept
}

/** The state of a store without services. */
export function llmsDefaults(): LLMsState {
  return {
    llms: [],
    sources: [],
    confServiceId: null,
    modelAssignments: {},
    sealedSecrets: {},
    unavailableSecrets: {},
    secretsOpen: true,
  }
}

const TRANSIENT = new Set(['sealedSecrets', 'unavailableSecrets', 'secretsOpen'])
const MAPPED = new Set(['llms', 'sources', 'confServiceId', 'modelAssignments', 'userEdits'])

/**
 * What is stored of the state: the services with their credentials taken out of their setups and only their
 * sealed texts kept (from `sealedSecrets`, of services that exist), the models without the user's edits and the
 * edits by model id, the assignments, `confServiceId`, and the keys the app no longer reads. Never a credential in
 * clear. Unchanged parts are the same objects from one call to the next, so a change writes only its own rows.
 */
export function partializeLLMs(state: LLMsState): PersistedLLMs {
  const { llms, userEdits } = persistModels(state.llms)
  const persisted: PersistedLLMs = {
    sources: persistServices(state.sources, state.sealedSecrets ?? {}),
    llms,
    userEdits,
    modelAssignments: state.modelAssignments ?? {},
    confServiceId: state.confServiceId ?? null,
  }
  for (const key of Object.keys(state)) {
    const value = (state as unknown as Record<string, unknown>)[key]
    if (MAPPED.has(key) || TRANSIENT.has(key) || typeof value === 'function' || value === undefined) continue
    setOwn(persisted, key, value)
  }
  return persisted
}

/**
 * The app's clean-up after loading: models whose service is gone (or has no vendor) are dropped, a model without
 * `vId` takes its service's, and assignments of models that are gone are dropped. The same state when nothing
 * changes.
 */
export function collectLLMsGarbage<S extends LLMsState>(state: S): S {
  const services = new Map(state.sources.map((s) => [s.id, s]))
  let changed = false
  const llms: DLLM[] = []
  for (const llm of state.llms) {
    const service = services.get(llm.sId)
    if (service === undefined || !service.vId) {
      changed = true
      continue
    }
    if (llm.vId) llms.push(llm)
    else {
      changed = true
      llms.push({ ...llm, vId: service.vId })
    }
  }
  const nextLlms = changed ? llms : state.llms
  const modelAssignments = pruneStaleAssignments(nextLlms, state.modelAssignments)
  if (!changed && modelAssignments === state.modelAssignments) return state
  return { ...state, llms: nextLlms, modelAssignments }
}

/**
 * The LLMs store's merge: the stored services, models (joined with their edits), assignments, `confServiceId`
 * and other keys replace the state's, then the app's clean-up runs ({@link collectLLMsGarbage}). A credential the
 * state holds in clear stays when its sealed text is the one stored (a `rehydrate()`, another tab's commit of
 * something else); a stored one that differs is left out of the setup, to be opened (`secretsOpen` is then
 * `false`).
 */
export function mergeLLMs<S extends LLMsState>(persisted: unknown, current: S): S {
  if (!isPlainObject(persisted)) return current
  const { sources: storedSources, llms: storedLlms, userEdits, modelAssignments, confServiceId, ...others } = persisted
  const here = new Map(current.sources.map((s) => [s.id, s]))
  const sealedSecrets: Record<DModelsServiceId, SealedFields> = {}
  let closed = false
  const sources = (Array.isArray(storedSources) ? storedSources : []).map((value): DModelsService => {
    if (!isPlainObject(value)) return value as unknown as DModelsService
    const { sealedSetup, ...fields } = value
    const service = fields as unknown as DModelsService
    const sealed = isPlainObject(sealedSetup) ? (sealedSetup as SealedFields) : EMPTY_SEALED
    if (Object.keys(sealed).length > 0) setOwn(sealedSecrets, service.id, sealed)
    const mine = here.get(service.id)
    const mySealed = current.sealedSecrets[service.id] ?? EMPTY_SEALED
    let setup = isPlainObject(service.setup) ? service.setup : {}
    if (mine !== undefined && isPlainObject(mine.setup)) {
      let kept: Record<string, unknown> | undefined
      for (const field of secretSetupFields(mine))
        if (sealed[field] === mySealed[field]) setOwn((kept ??= { ...setup }), field, mine.setup[field])
      if (kept !== undefined) {
        sharePublicSetup(kept, setup, service.vId)
        setup = kept
      }
    }
    sharePublicSetup(setup, setup, service.vId)
    for (const field of Object.keys(sealed)) if (!holdsSecretAt({ vId: service.vId, setup }, field)) closed = true
    return setup === service.setup ? service : { ...service, setup }
  })
  const llms = joinModels(Array.isArray(storedLlms) ? storedLlms : [], userEdits)
  for (const key of TRANSIENT) delete others[key]
  const merged: S = {
    ...current,
    ...(others as Partial<S>),
    sources,
    llms,
    modelAssignments: (isPlainObject(modelAssignments) ? modelAssignments : {}) as DModelAssignments,
    confServiceId: typeof confServiceId === 'string' ? confServiceId : null,
    sealedSecrets,
    secretsOpen: current.secretsOpen && !closed,
  }
  return collectLLMsGarbage(merged)
}

/** The next label of a vendor's service: its name, then `Name #2`, `Name #3` (one past the highest). */
function nextServiceLabel(vendor: ModelVendor, services: readonly DModelsService[]): string {
  const same = services.filter((s) => s.vId === vendor.id)
  if (same.length === 0) return vendor.name
  let highest = 1
  for (const s of same) {
    const match = / #(\d+)$/.exec(s.label)
    if (match !== null) highest = Math.max(highest, Number.parseInt(match[1] as string, 10))
  }
  return `${vendor.name} #${highest + 1}`
}

function nextServiceId(vendorId: string, services: readonly DModelsService[]): DModelsServiceId {
  const taken = new Set(services.map((s) => s.id))
  let id = vendorId
  for (let n = 1; taken.has(id); n++) id = `${vendorId}-${n}`
  return id
}

/** A record without `key`; the same record when it has none. */
function without<V>(record: Readonly<Record<string, V>>, key: string): Readonly<Record<string, V>> {
  if (!Object.hasOwn(record, key)) return record
  const next: Record<string, V> = {}
  for (const k of Object.keys(record)) if (k !== key) setOwn(next, k, record[k])
  return next
}

/**
 * The change `updateServiceSettings` makes: the settings merged into the setup. A key the user empties, or a
 * field that no longer holds a credential, drops its sealed text at once; a new key keeps the previous sealed text
 * until the new one is sealed.
 */
function settingsChange(state: LLMsState, id: DModelsServiceId, partial: unknown): LLMsState | Partial<LLMsState> {
  const index = state.sources.findIndex((s) => s.id === id)
  const service = state.sources[index]
  if (service === undefined || !isPlainObject(partial)) return state
  const setup: Record<string, unknown> = { ...(isPlainObject(service.setup) ? service.setup : {}) }
  for (const field of Object.keys(partial)) setOwn(setup, field, partial[field])
  // A new key alone leaves the service's stored row as it is: only its sealed text is written, once sealed.
  if (isPlainObject(service.setup)) sharePublicSetup(setup, service.setup, service.vId)
  const sources = state.sources.slice()
  sources[index] = { ...service, setup }
  const own = Object.hasOwn(state.sealedSecrets, id) ? (state.sealedSecrets[id] as SealedFields) : EMPTY_SEALED
  let sealed = own
  for (const field of Object.keys(partial))
    if (!isSecretSetupField(service.vId, field, setup[field])) sealed = without(sealed, field)
  if (sealed === own) return { sources }
  const sealedSecrets = without(state.sealedSecrets, id)
  return {
    sources,
    sealedSecrets: Object.keys(sealed).length === 0 ? sealedSecrets : { ...sealedSecrets, ...entry(id, sealed) },
  }
}

/** `{ [key]: value }` as an own property, whatever the key. */
function entry<V>(key: string, value: V): Record<string, V> {
  const record: Record<string, V> = {}
  setOwn(record, key, value)
  return record
}

/**
 * The LLMs store's state and actions, on their own: for `persistSQLite` (see `createLLMsStore`, which seals the
 * credentials) or for Zustand's `persist` on the legacy path (with `llmsLegacyPersistOptions`, credentials in
 * clear as the app keeps them). Every action computes its change from the state `set` hands it, so that one
 * called during an asynchronous hydration is made again on the stored state.
 *
 * @example
 * ```ts
 * const useModelsStore = create<LLMsStore>()(persist(createLLMsState(), llmsLegacyPersistOptions))
 * ```
 */
export function createLLMsState(options: LLMsStateOptions = {}): StateCreator<LLMsStore, [], [], LLMsStore> {
  return (set) => {
    /** Sets what `change` makes of the state and returns what it computed (see `returningSet`). */
    const setReturning = returningSet<LLMsStore>(set)

    /** Sets `llms` to what `edit` makes of each model (the same list when no model changes). */
    const editModels = (edit: (llm: DLLM) => DLLM, prune = false): void =>
      set((state) => {
        let changed = false
        const llms = state.llms.map((llm) => {
          const next = edit(llm)
          if (next !== llm) changed = true
          return next
        })
        if (!changed) return state
        return prune ? { llms, modelAssignments: pruneStaleAssignments(llms, state.modelAssignments) } : { llms }
      })

    const keepModels = (keep: (llm: DLLM) => boolean): void =>
      set((state) => {
        const llms = state.llms.filter(keep)
        if (llms.length === state.llms.length) return state
        return { llms, modelAssignments: pruneStaleAssignments(llms, state.modelAssignments) }
      })

    const editService = (id: DModelsServiceId, edit: (service: DModelsService) => DModelsService): void =>
      set((state) => {
        const index = state.sources.findIndex((s) => s.id === id)
        const service = state.sources[index]
        if (service === undefined) return state
        const next = edit(service)
        if (next === service) return state
        const sources = state.sources.slice()
        sources[index] = next
        return { sources }
      })

    const withoutFields = (llm: DLLM, fields: readonly (keyof DLLM)[]): DLLM => {
      if (!fields.some((f) => Object.hasOwn(llm, f))) return llm
      const next = { ...llm }
      for (const f of fields) delete next[f]
      return next
    }

    return {
      ...llmsDefaults(),
      secretsOpen: options.secretKey === undefined,

      setServiceLLMs: (serviceId, updated, keepUserEdits, keepMissing) =>
        set((state) => {
          const others = state.llms.filter((llm) => llm.sId !== serviceId)
          const previous = state.llms.filter((llm) => llm.sId === serviceId)
          const consumed = new Set<DLLMId>()
          const merged = updated.map((llm): DLLM => {
            const existing = previous.find((m) => m.id === llm.id)
            if (existing === undefined) return llm
            consumed.add(existing.id)
            if (!keepUserEdits) return llm
            const result: DLLM = { ...llm }
            if (existing.userLabel !== undefined) result.userLabel = existing.userLabel
            if (existing.userHidden !== undefined) result.userHidden = existing.userHidden
            if (existing.userStarred !== undefined) result.userStarred = existing.userStarred
            if (existing.userContextTokens !== undefined) result.userContextTokens = existing.userContextTokens
            if (existing.userMaxOutputTokens !== undefined) result.userMaxOutputTokens = existing.userMaxOutputTokens
            if (existing.userPricing !== undefined) result.userPricing = existing.userPricing
            if (existing.userParameters !== undefined)
              result.userParameters = keptUserParameters(existing.userParameters, llm)
            return result
          })
          const clones = previous.filter((llm) => llm.isUserClone === true && !consumed.has(llm.id))
          const missing = keepMissing ? previous.filter((llm) => llm.isUserClone !== true && !consumed.has(llm.id)) : []
          const llms = [...clones, ...missing, ...merged, ...others]
          return { llms, modelAssignments: pruneStaleAssignments(llms, state.modelAssignments) }
        }),

      removeLLM: (id) => keepModels((llm) => llm.id !== id),

      removeCustomModels: (serviceId) => keepModels((llm) => !(llm.sId === serviceId && llm.isUserClone === true)),

      rerankLLMsByServices: (serviceIdOrder) =>
        set((state) => {
          const rank = new Map(serviceIdOrder.map((id, i) => [id, i]))
          const at = (llm: DLLM): number => rank.get(llm.sId) ?? Number.MAX_SAFE_INTEGER
          const llms = [...state.llms].sort((a, b) => at(a) - at(b))
          return llms.every((llm, i) => llm === state.llms[i]) ? state : { llms }
        }),

      updateLLM: (id, partial) => editModels((llm) => (llm.id === id ? { ...llm, ...partial } : llm)),

      updateLLMs: (updates) => {
        const byId = new Map(updates.map((u) => [u.id, u.partial]))
        editModels((llm) => {
          const partial = byId.get(llm.id)
          return partial === undefined ? llm : { ...llm, ...partial }
        })
      },

      updateLLMUserParameters: (id, partial) =>
        editModels((llm) => (llm.id === id ? { ...llm, userParameters: { ...llm.userParameters, ...partial } } : llm)),

      deleteLLMUserParameter: (id, parameterId) =>
        editModels((llm) => {
          if (llm.id !== id || llm.userParameters === undefined) return llm
          const userParameters: DModelParameterValues = {}
          for (const [key, value] of Object.entries(llm.userParameters))
            if (key !== parameterId) setOwn(userParameters, key, value)
          return { ...llm, userParameters }
        }),

      resetLLMUserParameters: (id) =>
        editModels((llm) => (llm.id === id ? withoutFields(llm, ['userParameters']) : llm)),

      resetServiceUserParameters: (serviceId) =>
        editModels((llm) =>
          llm.sId !== serviceId || llm.isUserClone === true ? llm : withoutFields(llm, ['userParameters', 'userLabel']),
        ),

      resetServiceVisibility: (serviceId) =>
        editModels((llm) => (llm.sId === serviceId ? withoutFields(llm, ['userHidden']) : llm)),

      setServiceModelsHidden: (serviceId, hidden) =>
        editModels((llm) => (llm.sId === serviceId ? { ...llm, userHidden: hidden } : llm)),

      userCloneLLM: (sourceId, label, variant) =>
        setReturning((state) => {
          const source = state.llms.find((llm) => llm.id === sourceId)
          const id = getDLLMCloneId(sourceId, variant)
          if (source === undefined || state.llms.some((llm) => llm.id === id)) return [state, null]
          const clone: DLLM = { ...source, id, label, userStarred: false, isUserClone: true, cloneSourceId: source.id }
          delete clone.userLabel
          if (source.userPricing !== undefined) clone.userPricing = { ...source.userPricing }
          if (source.userParameters !== undefined) clone.userParameters = { ...source.userParameters }
          const llms = state.llms.slice()
          llms.splice(
            Math.max(
              0,
              state.llms.findIndex((llm) => llm.sId === source.sId),
            ),
            0,
            clone,
          )
          return [{ llms }, id]
        }),

      createModelsService: (vendor) =>
        setReturning((state) => {
          const setup = vendor.initializeSetup?.() ?? {}
          const service: DModelsService = {
            id: nextServiceId(vendor.id, state.sources),
            label: nextServiceLabel(vendor, state.sources),
            vId: vendor.id,
            setup: isPlainObject(setup) ? { ...setup } : {},
          }
          return [{ sources: [...state.sources, service], confServiceId: state.confServiceId ?? service.id }, service]
        }),

      importServicesAppend: (services) =>
        setReturning((state) => {
          const added: DModelsService[] = []
          let skipped = 0
          for (const service of services) {
            const valid =
              isPlainObject(service) &&
              typeof service.id === 'string' &&
              service.id !== '' &&
              typeof service.vId === 'string' &&
              Object.hasOwn(MODEL_VENDORS, service.vId)
            if (!valid || state.sources.some((s) => s.id === service.id) || added.some((s) => s.id === service.id)) {
              skipped++
              continue
            }
            added.push({
              id: service.id,
              label: (typeof service.label === 'string' && service.label) || (MODEL_VENDORS[service.vId] as string),
              vId: service.vId,
              setup: isPlainObject(service.setup) ? { ...service.setup } : {},
            })
          }
          if (added.length === 0) return [state, { added: 0, skipped }]
          return [
            {
              sources: [...state.sources, ...added],
              confServiceId: state.confServiceId ?? (added[0] as DModelsService).id,
            },
            { added: added.length, skipped },
          ]
        }),

      removeService: (id) =>
        set((state) => {
          const sources = state.sources.filter((s) => s.id !== id)
          const llms = state.llms.filter((llm) => llm.sId !== id)
          if (sources.length === state.sources.length && llms.length === state.llms.length) return state
          return {
            sources,
            llms,
            modelAssignments: pruneStaleAssignments(llms, state.modelAssignments),
            sealedSecrets: without(state.sealedSecrets, id),
            unavailableSecrets: without(state.unavailableSecrets, id),
          }
        }),

      updateServiceLabel: (id, label, allowEmpty = false) =>
        editService(id, (service) => {
          let next = label
          if (!allowEmpty && next.trim() === '') next = MODEL_VENDORS[service.vId] ?? next
          if (next.length > MAX_SERVICE_LABEL_LENGTH) next = next.slice(0, MAX_SERVICE_LABEL_LENGTH)
          return next === service.label ? service : { ...service, label: next }
        }),

      updateServiceSettings: (id, partialSettings) => set((state) => settingsChange(state, id, partialSettings)),

      stampServiceDefs: (id, defsV) =>
        editService(id, (service) => (service.defsV === defsV ? service : { ...service, defsV })),

      setConfServiceId: (id) => set((state) => (state.confServiceId === id ? state : { confServiceId: id })),

      setOpenRouterKey: (key) =>
        set((state) => {
          const service = state.sources.find((s) => s.vId === 'openrouter')
          return service === undefined ? state : settingsChange(state, service.id, { oaiKey: key })
        }),

      assignDomainModelAuto: (domainId) =>
        set((state) => {
          if (!Object.hasOwn(state.modelAssignments, domainId)) return state
          const { [domainId]: _removed, ...rest } = state.modelAssignments
          return { modelAssignments: rest }
        }),

      assignDomainModelAutoIfStale: (domainId, alsoWhenInvisible) =>
        set((state) => {
          const existing = Object.hasOwn(state.modelAssignments, domainId)
            ? state.modelAssignments[domainId]
            : undefined
          if (existing === undefined || existing.modelId === null) return state
          const llm = state.llms.find((l) => l.id === existing.modelId)
          if (llm !== undefined && (!alsoWhenInvisible || !isLLMHidden(llm))) return state
          const { [domainId]: _removed, ...rest } = state.modelAssignments
          return { modelAssignments: rest }
        }),

      assignDomainModelId: (domainId, llmId) =>
        set((state) => {
          if (!llmId) {
            if (!Object.hasOwn(state.modelAssignments, domainId)) return state
            const { [domainId]: _removed, ...rest } = state.modelAssignments
            return { modelAssignments: rest }
          }
          return {
            modelAssignments: { ...state.modelAssignments, [domainId]: createDModelConfiguration(domainId, llmId) },
          }
        }),
    }
  }
}
