import fc from 'fast-check'
import initSqlJs from 'sql.js'
import { describe, expect, it } from 'vitest'
import type { Backend } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import { collectLLMsGarbage, createLLMsStore, MODEL_DOMAINS, whenSecretsOpen } from '@zustand-sqlite/store-llms'
import type { LLMsStore, SecretKey } from '@zustand-sqlite/store-llms'
import { KEYS, model, testKey } from './helpers'

/** One random action, as data: indexes are taken modulo the length of what they point into. */
interface Action {
  kind: number
  a: number
  b: number
  flag: boolean
  text: string
}

const action: fc.Arbitrary<Action> = fc.record({
  kind: fc.nat({ max: 24 }),
  a: fc.nat({ max: 1000 }),
  b: fc.nat({ max: 1000 }),
  flag: fc.boolean(),
  text: fc.string({ maxLength: 8 }),
})

const VENDORS = [
  { id: 'openai', name: 'OpenAI', initializeSetup: () => ({ oaiKey: '', oaiHost: '' }) },
  { id: 'anthropic', name: 'Anthropic' },
  { id: 'ollama', name: 'Ollama', initializeSetup: () => ({ ollamaHost: 'http://localhost:11434' }) },
]
const SECRETS = ['', KEYS.openai, KEYS.anthropic, KEYS.newKey, `http://u:${KEYS.hostPassword}@h`]

const pick = <T>(list: readonly T[], index: number): T | undefined =>
  list.length === 0 ? undefined : list[index % list.length]

function apply(s: LLMsStore, { kind, a, b, flag, text }: Action): void {
  const service = pick(s.sources, a)
  const llm = pick(s.llms, b)
  const sId = service?.id ?? 'missing'
  const id = llm?.id ?? 'missing'
  const domain = pick(MODEL_DOMAINS, a) as (typeof MODEL_DOMAINS)[number]
  switch (kind) {
    case 0:
    case 1:
      s.createModelsService(pick(VENDORS, b) as (typeof VENDORS)[number])
      break
    case 2:
      s.removeService(sId)
      break
    case 3:
    case 4: {
      const field = service?.vId === 'anthropic' ? 'anthropicKey' : service?.vId === 'ollama' ? 'ollamaHost' : 'oaiKey'
      s.updateServiceSettings(sId, { [field]: pick(SECRETS, b) as string, ...(flag ? { csf: true } : {}) })
      break
    }
    case 5: {
      const count = (b % 3) + 1
      const models = Array.from({ length: count }, (_, i) =>
        model(`${sId}-m${(a + i) % 4}`, sId, service?.vId ?? 'openai'),
      )
      s.setServiceLLMs(sId, models, flag, b % 2 === 0)
      break
    }
    case 6:
      s.removeLLM(id)
      break
    case 7:
      s.updateLLM(
        id,
        flag ? { userLabel: text } : { userHidden: b % 2 === 0, userContextTokens: b % 3 === 0 ? null : b },
      )
      break
    case 8:
      s.updateLLMUserParameters(id, { llmTemperature: (b % 10) / 10 })
      break
    case 9:
      s.deleteLLMUserParameter(id, 'llmTemperature')
      break
    case 10:
      s.resetLLMUserParameters(id)
      break
    case 11:
      s.userCloneLLM(id, text, `v${b % 3}`)
      break
    case 12:
      s.removeCustomModels(sId)
      break
    case 13:
      s.rerankLLMsByServices(flag ? s.sources.map((x) => x.id).reverse() : s.sources.map((x) => x.id))
      break
    case 14:
      s.setServiceModelsHidden(sId, flag)
      break
    case 15:
      s.resetServiceVisibility(sId)
      break
    case 16:
      s.resetServiceUserParameters(sId)
      break
    case 17:
      s.assignDomainModelId(domain, flag ? id : null)
      break
    case 18:
      s.assignDomainModelAutoIfStale(domain, flag)
      break
    case 19:
      s.updateServiceLabel(sId, text, flag)
      break
    case 20:
      s.stampServiceDefs(sId, text)
      break
    case 21:
      s.setConfServiceId(flag ? sId : null)
      break
    case 22:
      s.updateLLM(id, { userPricing: { chat: { input: b, output: [{ upTo: null, price: a }] } }, userStarred: flag })
      break
    case 23:
      s.importServicesAppend([{ id: `imported-${b % 3}`, label: text, vId: 'openai', setup: { oaiKey: KEYS.openai2 } }])
      break
    default:
      s.assignDomainModelAuto(domain)
  }
}

/** What the app works with, credentials in clear included: what a reload must give back. */
function appState(state: LLMsStore): unknown {
  const { llms, sources, modelAssignments, confServiceId } = state
  return structuredClone({ llms, sources, modelAssignments, confServiceId })
}

const sqlJs = initSqlJs()
const engines: { name: string; open: () => Backend | Promise<Backend>; runs: number }[] = [
  { name: 'better-sqlite3', open: () => createBetterSqlite3Backend({ filename: ':memory:' }), runs: 120 },
  { name: 'sql.js', open: () => createSqlJsBackend({ sqlJs, storage: 'memory' }), runs: 40 },
]

describe.each(engines)('LLMs store on $name: random action sequences', ({ open, runs }) => {
  it('reload to exactly the state the app held, keys opened', async () => {
    const secretKey: SecretKey = await testKey()
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(action, { maxLength: 8 }), { minLength: 1, maxLength: 6 }),
        async (batches) => {
          const backend = await open()
          try {
            const store = createLLMsStore({
              backend,
              secretKey,
              onError: (e) => {
                throw e
              },
            })
            for (const batch of batches) {
              for (const a of batch) apply(store.getState(), a)
              await store.persist.flush()
            }
            // Taken before the second store opens (its commits would reach the first one), after the app's clean-up at
            // hydration (models of a service that is gone, assignments of a model that is gone).
            const expected = appState(collectLLMsGarbage(store.getState()))
            const again = createLLMsStore({ backend, secretKey })
            expect(await whenSecretsOpen(again)).toEqual({})
            expect(appState(again.getState())).toEqual(expected)
          } finally {
            await backend.close()
          }
        },
      ),
      { numRuns: runs },
    )
  })
})
