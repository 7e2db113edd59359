import { isPromiseLike, isZustandSqliteError, whenHydrated, ZustandSqliteError } from '@zustand-sqlite/core'
import type { PersistedStoreApi } from '@zustand-sqlite/core'
import { EMPTY_SEALED, holdsSecretAt, setOwn, sharePublicSetup } from './persisted'
import type { PersistedLLMs, SealedFields } from './persisted'
import { isSecretSetupField, secretSetupFields } from './schema'
import { checkSecretKey, openSecret, sealSecret } from './secretKey'
import type { OpenResult, SecretKey, SecretKeyOption } from './secretKey'
import type { LLMsState, LLMsStore } from './state'
import type { DModelsServiceId } from './types'

type Store = PersistedStoreApi<LLMsStore, PersistedLLMs>

/** The credentials that could not be opened, by service id (the state's `unavailableSecrets`). */
export type UnavailableSecrets = Readonly<Record<DModelsServiceId, readonly string[]>>

/** Where a credential is, for error paths: `sources[id="openai"].setup.oaiKey`. */
export function secretPath(serviceId: string, field: string): string {
  return `sources[id=${JSON.stringify(serviceId)}].setup.${field}`
}

/** The SECRET_UNAVAILABLE error of a credential that did not open; it names the service and field, never a value. */
export function unavailableError(
  store: string,
  serviceId: string,
  field: string,
  result: Exclude<OpenResult, { ok: true }>,
  keyId: string | undefined,
  cause?: unknown,
): ZustandSqliteError {
  const why =
    result.reason === 'other-key'
      ? `it was sealed with another key (id ${JSON.stringify(result.keyId)}${keyId === undefined ? '' : `, this store's key is ${JSON.stringify(keyId)}`}): a database from another device, or a lost key`
      : result.reason === 'malformed'
        ? 'the stored text is not a sealed value'
        : keyId === undefined
          ? 'the secret key could not be loaded'
          : 'it does not open with this key: the sealed text was changed, cut, or moved from another service or field'
  return new ZustandSqliteError(
    'SECRET_UNAVAILABLE',
    `${store}: the credential ${JSON.stringify(field)} of service ${JSON.stringify(serviceId)} cannot be opened: ${why}. The service loads without it; its sealed value stays stored until a new one is entered`,
    { store, path: secretPath(serviceId, field), ...(cause === undefined ? {} : { cause }) },
  )
}

/** A value as JSON text, `undefined` for one JSON cannot hold (it is then never sealed, nor stored). */
function jsonOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value)
  } catch {
    return undefined
  }
}

const placeKey = (serviceId: string, field: string, text = ''): string => `${serviceId}\u0000${field}\u0000${text}`

function sameUnavailable(a: UnavailableSecrets, b: UnavailableSecrets): boolean {
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  return keys.every((k) => {
    const x = a[k] as readonly string[]
    const y = Object.hasOwn(b, k) ? b[k] : undefined
    return y !== undefined && x.length === y.length && x.every((f, i) => f === y[i])
  })
}

/**
 * Keeps a store's credentials sealed at rest. WebCrypto is asynchronous and a store writes synchronously from its
 * state, so the state holds each credential in clear (the app reads keys synchronously) and, in `sealedSecrets`,
 * the sealed text that is stored for it; `partializeLLMs` writes only the sealed texts. On every change:
 *
 * - a credential whose sealed text does not hold its value (new, or changed) is sealed; when that resolves and
 *   the value is still the same, its sealed text is set, and that change writes it;
 * - a stored sealed text without a value in the state (after hydration, after another tab's commit) is opened and
 *   its value put into the setup (which writes nothing: the service's stored row does not change); one that does
 *   not open is listed in `unavailableSecrets` and reported as SECRET_UNAVAILABLE, and stays stored.
 *
 * `store.persist.flush()` waits for the sealing in flight before it writes. `secretsOpen` is set once the store
 * has hydrated and no sealed text waits to be opened.
 */
export function attachSecretsVault(store: Store, secretKey: SecretKeyOption, name: string): void {
  let loadedKey: SecretKey | undefined
  const key: Promise<SecretKey> = Promise.resolve(secretKey).then((k) => (loadedKey = checkSecretKey(k, 'secretKey')))
  key.catch(() => undefined)

  /** Values of the sealed texts this store sealed or opened, by place and text, as JSON. */
  const opened = new Map<string, string>()
  /** Sealed texts that did not open, by place and text. */
  const failed = new Set<string>()
  const opening = new Set<string>()
  /** The value being sealed for each place, as JSON. */
  const sealing = new Map<string, string>()
  /** Values that could not be sealed, by place: not tried again until they change. */
  const sealFailures = new Map<string, { readonly json: string; readonly error: ZustandSqliteError }>()
  const inFlight = new Set<Promise<void>>()

  const report = (error: ZustandSqliteError): void => {
    const { onError } = store.persist.getOptions()
    try {
      if (onError !== undefined) onError(error)
      else console.error(error.message)
    } catch (thrown) {
      console.error('[zustand-sqlite] onError threw', thrown instanceof Error ? thrown.message : thrown)
    }
  }

  const track = (task: Promise<void>): void => {
    inFlight.add(task)
    void task.finally(() => inFlight.delete(task))
  }

  const seal = (serviceId: string, field: string, json: string): void => {
    const place = placeKey(serviceId, field)
    if (sealing.get(place) === json || sealFailures.get(place)?.json === json) return
    sealing.set(place, json)
    track(
      (async () => {
        try {
          const text = await sealSecret(await key, JSON.parse(json), { serviceId, field })
          opened.set(placeKey(serviceId, field, text), json)
          sealFailures.delete(place)
          store.setState((state) => {
            const service = state.sources.find((s) => s.id === serviceId)
            const value = (service?.setup as Record<string, unknown> | undefined)?.[field]
            if (service === undefined || !isSecretSetupField(service.vId, field, value) || jsonOf(value) !== json)
              return state
            const own = state.sealedSecrets[serviceId] ?? EMPTY_SEALED
            if (own[field] === text) return state
            const next: Record<string, string> = { ...own }
            setOwn(next, field, text)
            const sealedSecrets = { ...state.sealedSecrets }
            setOwn(sealedSecrets, serviceId, next)
            return { sealedSecrets }
          })
        } catch (error) {
          const typed = new ZustandSqliteError(
            'SECRET_UNAVAILABLE',
            `${name}: the credential ${JSON.stringify(field)} of service ${JSON.stringify(serviceId)} could not be sealed, so it is not stored (${isZustandSqliteError(error) ? error.code : 'the secret key could not be loaded'})`,
            { store: name, path: secretPath(serviceId, field), cause: error },
          )
          sealFailures.set(place, { json, error: typed })
          report(typed)
        } finally {
          if (sealing.get(place) === json) sealing.delete(place)
        }
      })(),
    )
  }

  const open = (serviceId: string, field: string, text: string): void => {
    const place = placeKey(serviceId, field, text)
    if (opening.has(place)) return
    opening.add(place)
    void (async () => {
      let result: OpenResult
      let cause: unknown
      try {
        result = await openSecret(await key, text, { serviceId, field })
      } catch (error) {
        cause = error
        result = { ok: false, reason: 'corrupt' }
      }
      if (result.ok) {
        const value = result.value
        opened.set(place, jsonOf(value) as string)
        putValues(serviceId, new Map([[field, { text, value }]]))
      } else {
        failed.add(place)
        report(unavailableError(name, serviceId, field, result, loadedKey?.id, cause))
      }
    })().finally(() => {
      opening.delete(place)
      reconcile()
    })
  }

  /** Puts opened values into a service's setup, where their sealed text is still the stored one. */
  const putValues = (serviceId: string, values: ReadonlyMap<string, { text: string; value: unknown }>): void =>
    store.setState((state) => {
      const index = state.sources.findIndex((s) => s.id === serviceId)
      const service = state.sources[index]
      if (service === undefined) return state
      const sealed = state.sealedSecrets[serviceId] ?? EMPTY_SEALED
      let setup: Record<string, unknown> | undefined
      for (const [field, { text, value }] of values) {
        if (sealed[field] !== text || holdsSecretAt(service, field)) continue
        setOwn((setup ??= { ...(service.setup as Record<string, unknown>) }), field, value)
      }
      if (setup === undefined) return state
      sharePublicSetup(setup, service.setup, service.vId)
      const sources = state.sources.slice()
      sources[index] = { ...service, setup }
      return { sources }
    })

  let running = false
  let again = false

  const pass = (): void => {
    const state: LLMsState = store.getState()
    const unavailable: Record<string, string[]> = {}
    let waiting = false
    for (const service of state.sources) {
      const sealed: SealedFields = state.sealedSecrets[service.id] ?? EMPTY_SEALED
      for (const field of secretSetupFields(service)) {
        const json = jsonOf((service.setup as Record<string, unknown>)[field])
        const text = sealed[field]
        if (json === undefined) continue
        if (text === undefined || opened.get(placeKey(service.id, field, text)) !== json) seal(service.id, field, json)
      }
      let known: Map<string, { text: string; value: unknown }> | undefined
      for (const field of Object.keys(sealed)) {
        if (holdsSecretAt(service, field)) continue
        const text = sealed[field] as string
        const place = placeKey(service.id, field, text)
        const json = opened.get(place)
        if (json !== undefined) (known ??= new Map()).set(field, { text, value: JSON.parse(json) })
        else if (failed.has(place)) (unavailable[service.id] ??= []).push(field)
        else {
          waiting = true
          open(service.id, field, text)
        }
      }
      if (known !== undefined) {
        waiting = true
        putValues(service.id, known)
      }
    }
    const secretsOpen = store.persist.hasHydrated() && !waiting
    if (state.secretsOpen !== secretsOpen || !sameUnavailable(state.unavailableSecrets, unavailable))
      store.setState({ secretsOpen, unavailableSecrets: unavailable })
  }

  /** Brings the sealed texts and the values in clear together; re-entered by its own sets, it runs once more. */
  const reconcile = (): void => {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      do {
        again = false
        pass()
      } while (again)
    } finally {
      running = false
    }
  }

  store.subscribe(() => reconcile())
  store.persist.onFinishHydration(() => reconcile())

  const flush = store.persist.flush.bind(store.persist)
  store.persist.flush = async () => {
    while (inFlight.size > 0) await Promise.allSettled([...inFlight])
    await flush()
    const state = store.getState()
    for (const service of state.sources) {
      for (const field of secretSetupFields(service)) {
        const failure = sealFailures.get(placeKey(service.id, field))
        const value = jsonOf((service.setup as Record<string, unknown>)[field])
        if (failure !== undefined && failure.json === value) throw failure.error
      }
    }
  }
  reconcile()
}

/**
 * Resolves once a store's stored credentials are open: it has hydrated, and each sealed credential was opened (its
 * value is in its service's setup) or found unavailable. Resolves to the unavailable ones, by service id (the
 * state's `unavailableSecrets`). A hydration that fails does not resolve it (see `whenHydrated`).
 *
 * @example
 * ```ts
 * const unavailable = await whenSecretsOpen(llmsStore)
 * for (const [serviceId, fields] of Object.entries(unavailable)) askForKeys(serviceId, fields)
 * ```
 */
export async function whenSecretsOpen(store: Store): Promise<UnavailableSecrets> {
  await whenHydrated(store)
  const state = store.getState()
  if (state.secretsOpen) return state.unavailableSecrets
  return new Promise((resolve) => {
    const stop = store.subscribe((next) => {
      if (!next.secretsOpen) return
      stop()
      resolve(next.unavailableSecrets)
    })
  })
}

/** Whether an option is a promise of a key (checked when it resolves) rather than a key (checked at once). */
export function isKeyPromise(option: SecretKeyOption): option is PromiseLike<SecretKey> {
  return isPromiseLike(option)
}
