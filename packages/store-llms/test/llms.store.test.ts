import { describe, expect, it } from 'vitest'
import { readStoredState, whenHydrated } from '@zustand-sqlite/core'
import type { Backend, CommitInfo } from '@zustand-sqlite/core'
import { createLLMsStore, llmsDefinition, llmsSchema, whenSecretsOpen } from '@zustand-sqlite/store-llms'
import type { LLMsStore, LLMsStoreApi } from '@zustand-sqlite/store-llms'
import { databaseOn, engines, failure } from '../../../test-utils/backends'
import { KEYS, model, testKey } from './helpers'

/** What the app works with: everything a reload must give back (credentials in clear included). */
function appState(state: LLMsStore): unknown {
  const { llms, sources, modelAssignments, confServiceId } = state
  const stale = Object.fromEntries(
    Object.entries(state).filter(
      ([k, v]) =>
        typeof v !== 'function' &&
        ![
          'llms',
          'sources',
          'modelAssignments',
          'confServiceId',
          'sealedSecrets',
          'unavailableSecrets',
          'secretsOpen',
        ].includes(k),
    ),
  )
  return structuredClone({ llms, sources, modelAssignments, confServiceId, stale })
}

async function open(backend: Backend, commits?: CommitInfo[]): Promise<LLMsStoreApi> {
  const store = createLLMsStore({
    backend,
    secretKey: testKey(),
    onError: (error) => {
      throw error
    },
    ...(commits === undefined ? {} : { onCommit: (info: CommitInfo) => void commits.push(info) }),
  })
  await whenSecretsOpen(store)
  return store
}

/** A store as a user of the app leaves it: two vendors, keys, models, edits, a clone, assignments. */
function populate(s: LLMsStore): void {
  const openai = s.createModelsService({
    id: 'openai',
    name: 'OpenAI',
    initializeSetup: () => ({ oaiKey: '', oaiHost: '' }),
  })
  s.updateServiceSettings(openai.id, { oaiKey: KEYS.openai, oaiOrg: 'org-123' })
  const anthropic = s.createModelsService({ id: 'anthropic', name: 'Anthropic' })
  s.updateServiceSettings(anthropic.id, { anthropicKey: KEYS.anthropic, csf: true })
  s.createModelsService({
    id: 'ollama',
    name: 'Ollama',
    initializeSetup: () => ({ ollamaHost: 'http://localhost:11434' }),
  })
  s.setServiceLLMs(
    'openai',
    [model('gpt-4o', 'openai', 'openai'), model('o3', 'openai', 'openai', { hidden: true })],
    true,
    false,
  )
  s.setServiceLLMs(
    'anthropic',
    [
      model('claude', 'anthropic', 'anthropic', {
        pricing: {
          chat: {
            input: [
              { upTo: 200000, price: 3 },
              { upTo: null, price: 6 },
            ],
            output: 15,
          },
        },
      }),
    ],
    true,
    false,
  )
  s.setServiceLLMs('ollama', [model('llama', 'ollama', 'ollama', { contextTokens: null })], true, false)
  s.updateLLM('gpt-4o', { userLabel: 'GPT', userStarred: true, userMaxOutputTokens: 4096 })
  s.updateLLMUserParameters('claude', { llmTemperature: 0.3 })
  s.userCloneLLM('gpt-4o', 'GPT (precise)', 'precise')
  s.assignDomainModelId('primaryChat', 'claude')
  s.assignDomainModelId('imageCaption', 'gpt-4o::precise')
  s.rerankLLMsByServices(['anthropic', 'openai', 'ollama'])
}

describe.each(engines)('the LLMs store on $name', (engine) => {
  const db = databaseOn(engine)

  it('stores services, models, edits, clones and assignments, and a restart gives them back with the keys', async () => {
    const backend = await db.open()
    const store = await open(backend)
    populate(store.getState())
    await store.persist.flush()
    const before = appState(store.getState())
    await db.closeAll()

    const again = await open(await db.open())
    expect(appState(again.getState())).toEqual(before)
    expect(again.getState().sources.find((s) => s.id === 'openai')?.setup).toMatchObject({ oaiKey: KEYS.openai })
    expect(again.getState().unavailableSecrets).toEqual({})
  })

  it('writes each change as its own rows, and nothing when the keys are opened at hydration', async () => {
    const commits: CommitInfo[] = []
    const backend = await db.open()
    const store = await open(backend, commits)
    populate(store.getState())
    await store.persist.flush()
    commits.length = 0

    store.getState().updateLLM('o3', { userStarred: true })
    await store.persist.flush()
    store.getState().assignDomainModelId('fastUtil', 'o3')
    await store.persist.flush()
    store.getState().updateServiceLabel('ollama', 'Home')
    await store.persist.flush()
    store.getState().updateServiceSettings('openai', { oaiKey: KEYS.newKey })
    await store.persist.flush()
    expect(commits.map((c) => c.tables)).toEqual([
      { llm_model_user_edits: 1 },
      { llm_model_assignments: 1 },
      { llm_services: 1 },
      { llm_service_secrets: 1 },
    ])

    commits.length = 0
    await db.closeAll()
    const again = await open(await db.open(), commits)
    expect(again.getState().sources[0]?.setup).toMatchObject({ oaiKey: KEYS.newKey })
    await again.persist.flush()
    expect(commits).toEqual([])
  })

  it('keeps keys the app no longer reads, and unknown fields of models and services', async () => {
    const backend = await db.open()
    const store = await open(backend)
    populate(store.getState())
    store.setState({ chatLLMId: 'gpt-4o', changelog: [{ at: 1, sId: 'openai' }] } as Partial<LLMsStore>)
    store.getState().updateLLM('gpt-4o', { firstSeen: '20250101' } as never)
    await store.persist.flush()
    const stored = await readStoredState(backend, { name: 'app-models', schema: llmsSchema })
    expect(stored?.state).toMatchObject({ chatLLMId: 'gpt-4o', changelog: [{ at: 1, sId: 'openai' }] })
    await db.closeAll()
    const again = await open(await db.open())
    expect(again.getState()).toMatchObject({ chatLLMId: 'gpt-4o' })
    expect(again.getState().llms.find((l) => l.id === 'gpt-4o')).toMatchObject({ firstSeen: '20250101' })
  })

  it('runs the app’s clean-up at hydration: orphan models, missing vId, stale assignments', async () => {
    const backend = await db.open()
    const store = await open(backend)
    populate(store.getState())
    await store.persist.flush()
    // Stored by another writer: a model of a service that is gone, one without vId, an assignment to it.
    await llmsDefinition.update(backend, (s) =>
      s.setState((state) => ({
        llms: [...state.llms, model('orphan', 'gone', 'openai'), { ...model('novid', 'openai', 'openai'), vId: '' }],
        modelAssignments: {
          ...state.modelAssignments,
          fastUtil: { mct: 'model-parametric', domainId: 'fastUtil', modelId: 'orphan' },
        },
      })),
    )
    await db.closeAll()
    const again = await open(await db.open())
    const ids = again.getState().llms.map((l) => l.id)
    expect(ids).not.toContain('orphan')
    expect(again.getState().llms.find((l) => l.id === 'novid')?.vId).toBe('openai')
    expect(again.getState().modelAssignments.fastUtil).toBeUndefined()
    expect(again.getState().modelAssignments.primaryChat?.modelId).toBe('claude')
  })
})

describe('createLLMsStore', () => {
  const db = databaseOn(engines[0]!)

  it('refuses to start without a key (INVALID_OPTIONS): there is no way to store keys in clear', async () => {
    const backend = await db.open()
    const missing = await failure(() => createLLMsStore({ backend } as never))
    expect(missing).toMatchObject({ code: 'INVALID_OPTIONS' })
    expect((missing as Error).message).toMatch(/`secretKey` is required/)
    expect(
      await failure(() => createLLMsStore({ backend, secretKey: { id: 'x', key: 'raw' } as never })),
    ).toMatchObject({
      code: 'INVALID_OPTIONS',
    })
    const aes128 = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, ['encrypt', 'decrypt'])
    expect(await failure(() => createLLMsStore({ backend, secretKey: { id: 'short', key: aes128 } }))).toMatchObject({
      code: 'INVALID_OPTIONS',
    })
    expect(await failure(() => llmsDefinition.create({ backend }))).toMatchObject({ code: 'INVALID_OPTIONS' })
  })

  it('hydrates on a synchronous backend inside create, and opens the keys right after', async () => {
    const backend = await db.open()
    const first = await open(backend)
    populate(first.getState())
    await first.persist.flush()
    const second = createLLMsStore({ backend, secretKey: await testKey() })
    expect(second.persist.hasHydrated()).toBe(true)
    expect(second.getState().secretsOpen).toBe(false)
    expect(second.getState().sources.map((s) => s.id)).toEqual(['openai', 'anthropic', 'ollama'])
    await whenHydrated(second)
    expect(await whenSecretsOpen(second)).toEqual({})
    expect(second.getState().secretsOpen).toBe(true)
    expect(second.getState().sources[1]?.setup).toMatchObject({ anthropicKey: KEYS.anthropic })
  })
})
