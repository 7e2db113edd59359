import { isPlainObject, rules, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { EMPTY_SEALED, publicSetup, setOwn } from './persisted'
import { isSecretSetupField } from './schema'
import { checkSecretKey, openSecret, sealSecret } from './secretKey'
import type { SecretKeyOption } from './secretKey'
import { LLMS_STORE_NAME } from './state'
import type { DModelAssignments, LLMsState } from './state'
import { llmsDefinition } from './store'
import type { LLMsStoreApi } from './store'
import type { DLLM, DModelsService } from './types'

/** Options of the LLMs query functions. */
export interface LLMsQueryOptions {
  /** The LLMs store's name in the database. @default 'app-models' */
  readonly name?: string
}

/** Options of the query functions that open or seal credentials. */
export interface LLMsSecretQueryOptions extends LLMsQueryOptions {
  /** The store's key (see `createLLMsStore`). */
  readonly secretKey: SecretKeyOption
}

/** A stored service, without its credentials. */
export interface ServiceSummary {
  readonly id: string
  readonly label: string
  readonly vId: string
  readonly defsV?: string
  /** Its settings without the credentials (hosts, options). */
  readonly setup: Readonly<Record<string, unknown>>
  /** The setup fields whose credential is stored, sealed (`['oaiKey']`). */
  readonly secretFields: readonly string[]
  readonly modelCount: number
}

/** A service with its credentials opened, and those that could not be. */
export interface ServiceSettings {
  /** The service as the app holds it: its setup with the credentials in clear. */
  readonly service: DModelsService
  /** Fields whose sealed credential did not open (another key, corrupt): absent from `service.setup`. */
  readonly unavailable: readonly string[]
}

const SERVICE_ID = rules.string({ minLength: 1, maxLength: 128 })

function summaryOf(state: LLMsState, service: DModelsService): ServiceSummary {
  const sealed = state.sealedSecrets[service.id] ?? EMPTY_SEALED
  return {
    id: service.id,
    label: service.label,
    vId: service.vId,
    ...(service.defsV === undefined ? {} : { defsV: service.defsV }),
    setup: publicSetup(service),
    secretFields: Object.keys(sealed),
    modelCount: state.llms.reduce((n, llm) => (llm.sId === service.id ? n + 1 : n), 0),
  }
}

function serviceIn(state: LLMsState, serviceId: string, name: string): DModelsService {
  const service = state.sources.find((s) => s.id === serviceId)
  if (service === undefined)
    throw new ZustandSqliteError('NOT_FOUND', `service ${JSON.stringify(serviceId)} is not stored in ${name}`, {
      path: 'serviceId',
      store: name,
    })
  return service
}

/**
 * The stored services, in order, each with its model count, its settings without credentials and the names of its
 * credentials stored sealed (for a settings page, `GET /api/llm-services`). Never a credential, in clear or sealed.
 * Changes no stored data.
 *
 * @example
 * ```ts
 * const services = await listServices(backend)
 * ```
 */
export async function listServices(backend: Backend, options: LLMsQueryOptions = {}): Promise<ServiceSummary[]> {
  const { state } = await llmsDefinition.read(backend, { name: options.name ?? LLMS_STORE_NAME })
  return state.sources.map((service) => summaryOf(state, service))
}

/**
 * A service's models, in the app's order, with the user's edits applied as the app holds them (for
 * `GET /api/llm-services/{id}/models`). Throws NOT_FOUND for a service that is not stored.
 *
 * @example
 * ```ts
 * const models = await listModels(backend, 'openai')
 * ```
 */
export async function listModels(backend: Backend, serviceId: string, options: LLMsQueryOptions = {}): Promise<DLLM[]> {
  const id = SERVICE_ID(serviceId, 'serviceId')
  const name = options.name ?? LLMS_STORE_NAME
  const { state } = await llmsDefinition.read(backend, { name })
  serviceIn(state, id, name)
  return state.llms.filter((llm) => llm.sId === id)
}

/**
 * The model assignments, by domain; a domain that is absent is automatic (for `GET /api/llm-assignments`).
 *
 * @example
 * ```ts
 * const { primaryChat } = await getModelAssignments(backend)
 * ```
 */
export async function getModelAssignments(
  backend: Backend,
  options: LLMsQueryOptions = {},
): Promise<DModelAssignments> {
  const { state } = await llmsDefinition.read(backend, { name: options.name ?? LLMS_STORE_NAME })
  return state.modelAssignments
}

/**
 * A service with its credentials opened with `secretKey`: the one query function whose result holds keys in
 * clear. A credential that does not open (sealed with another key, corrupt) is left out of the setup and listed
 * in `unavailable`. Throws NOT_FOUND for a service that is not stored.
 *
 * @example
 * ```ts
 * const { service, unavailable } = await getServiceSettings(backend, 'openai', { secretKey })
 * ```
 */
export async function getServiceSettings(
  backend: Backend,
  serviceId: string,
  options: LLMsSecretQueryOptions,
): Promise<ServiceSettings> {
  const id = SERVICE_ID(serviceId, 'serviceId')
  const name = options.name ?? LLMS_STORE_NAME
  const key = checkSecretKey(await options.secretKey, 'getServiceSettings: secretKey')
  const { state } = await llmsDefinition.read(backend, { name })
  const service = serviceIn(state, id, name)
  const setup: Record<string, unknown> = { ...(service.setup as Record<string, unknown>) }
  const unavailable: string[] = []
  const sealed = state.sealedSecrets[id] ?? EMPTY_SEALED
  for (const field of Object.keys(sealed)) {
    const opened = await openSecret(key, sealed[field] as string, { serviceId: id, field })
    if (opened.ok) setOwn(setup, field, opened.value)
    else unavailable.push(field)
  }
  return { service: { ...service, setup }, unavailable }
}

/** Checks a settings patch: an object of JSON values. Messages name fields, never values (they may be keys). */
function checkPatch(patch: unknown): Record<string, unknown> {
  if (!isPlainObject(patch))
    throw new ZustandSqliteError('INVALID_VALUE', 'settings: expected an object of settings', { path: 'settings' })
  for (const field of Object.keys(patch)) {
    let json: string | undefined
    try {
      json = JSON.stringify(patch[field])
    } catch {
      json = undefined
    }
    if (json === undefined && patch[field] !== undefined)
      throw new ZustandSqliteError('INVALID_VALUE', `settings.${field}: not a JSON value`, {
        path: `settings.${field}`,
      })
  }
  return patch
}

/**
 * Merges settings into a stored service's setup with the store's own `updateServiceSettings`, in one transaction
 * (for `PUT /api/llm-services/{id}/settings`). Credentials in the patch are sealed with `secretKey` before anything
 * is written, and replace their stored sealed texts; an empty value removes one. Resolves to the service without
 * its credentials. A patch that is not an object of JSON values throws INVALID_VALUE (naming the field, never the
 * value), an unknown service NOT_FOUND; nothing is written then.
 *
 * @example
 * ```ts
 * await updateServiceSettings(backend, 'openai', { oaiKey: 'sk-...', oaiHost: '' }, { secretKey })
 * ```
 */
export async function updateServiceSettings(
  backend: Backend,
  serviceId: string,
  patch: unknown,
  options: LLMsSecretQueryOptions,
): Promise<ServiceSummary> {
  const id = SERVICE_ID(serviceId, 'serviceId')
  const settings = checkPatch(patch)
  const name = options.name ?? LLMS_STORE_NAME
  const key = checkSecretKey(await options.secretKey, 'updateServiceSettings: secretKey')
  return llmsDefinition.update(
    backend,
    async (store: LLMsStoreApi) => {
      const service = serviceIn(store.getState(), id, name)
      const sealed: Record<string, string> = {}
      for (const field of Object.keys(settings))
        if (isSecretSetupField(service.vId, field, settings[field]))
          setOwn(sealed, field, await sealSecret(key, settings[field], { serviceId: id, field }))
      store.getState().updateServiceSettings(id, settings)
      if (Object.keys(sealed).length > 0)
        store.setState((state) => {
          const sealedSecrets = { ...state.sealedSecrets }
          setOwn(sealedSecrets, id, { ...(state.sealedSecrets[id] ?? EMPTY_SEALED), ...sealed })
          return { sealedSecrets }
        })
      return summaryOf(store.getState(), serviceIn(store.getState(), id, name))
    },
    { name },
  )
}
