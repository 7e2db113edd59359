import { describe, expect, it } from 'vitest'
import type { Backend, CommitInfo } from '@zustand-sqlite/core'
import {
  createLLMsStore,
  getModelAssignments,
  getServiceSettings,
  listModels,
  listServices,
  updateServiceSettings,
  whenSecretsOpen,
} from '@zustand-sqlite/store-llms'
import type { LLMsStoreApi } from '@zustand-sqlite/store-llms'
import { databaseOn, engines, failure } from '../../../test-utils/backends'
import { KEYS, keysIn, model, testKey } from './helpers'

async function seeded(backend: Backend): Promise<LLMsStoreApi> {
  const store = createLLMsStore({ backend, secretKey: testKey() })
  await whenSecretsOpen(store)
  const s = store.getState()
  s.createModelsService({ id: 'openai', name: 'OpenAI', initializeSetup: () => ({ oaiKey: '', oaiHost: '' }) })
  s.updateServiceSettings('openai', { oaiKey: KEYS.openai, oaiOrg: 'org-1' })
  s.createModelsService({
    id: 'ollama',
    name: 'Ollama',
    initializeSetup: () => ({ ollamaHost: 'http://localhost:11434' }),
  })
  s.setServiceLLMs('openai', [model('gpt', 'openai', 'openai'), model('o3', 'openai', 'openai')], true, false)
  s.setServiceLLMs('ollama', [model('llama', 'ollama', 'ollama')], true, false)
  s.updateLLM('o3', { userLabel: 'Reasoner', userParameters: { llmVndOaiEffort: 'high' } })
  s.assignDomainModelId('primaryChat', 'o3')
  await store.persist.flush()
  return store
}

describe.each(engines)('LLMs query functions on $name', (engine) => {
  const db = databaseOn(engine)

  it('list services with their model counts and the names of their sealed keys, never a key', async () => {
    const backend = await db.open()
    expect(await listServices(backend)).toEqual([])
    await seeded(backend)
    const services = await listServices(backend)
    expect(services).toEqual([
      {
        id: 'openai',
        label: 'OpenAI',
        vId: 'openai',
        setup: { oaiHost: '', oaiOrg: 'org-1' },
        secretFields: ['oaiKey'],
        modelCount: 2,
      },
      {
        id: 'ollama',
        label: 'Ollama',
        vId: 'ollama',
        setup: { ollamaHost: 'http://localhost:11434' },
        secretFields: [],
        modelCount: 1,
      },
    ])
    expect(keysIn(JSON.stringify(services))).toEqual([])
  })

  it('list a service’s models with the user’s edits, and the assignments', async () => {
    const backend = await db.open()
    await seeded(backend)
    const models = await listModels(backend, 'openai')
    expect(models.map((m) => [m.id, m.userLabel])).toEqual([
      ['gpt', undefined],
      ['o3', 'Reasoner'],
    ])
    expect(models[1]?.userParameters).toEqual({ llmVndOaiEffort: 'high' })
    expect(await failure(() => listModels(backend, 'nope'))).toMatchObject({ code: 'NOT_FOUND', path: 'serviceId' })
    expect(await failure(() => listModels(backend, ''))).toMatchObject({ code: 'INVALID_VALUE' })
    expect(await getModelAssignments(backend)).toEqual({
      primaryChat: { mct: 'model-parametric', domainId: 'primaryChat', modelId: 'o3' },
    })
  })

  it('getServiceSettings opens the keys with the store’s key; another key leaves them unavailable', async () => {
    const backend = await db.open()
    await seeded(backend)
    expect(await getServiceSettings(backend, 'openai', { secretKey: testKey() })).toEqual({
      service: {
        id: 'openai',
        label: 'OpenAI',
        vId: 'openai',
        setup: { oaiHost: '', oaiOrg: 'org-1', oaiKey: KEYS.openai },
      },
      unavailable: [],
    })
    const elsewhere = await getServiceSettings(backend, 'openai', { secretKey: testKey('someone-else', 3) })
    expect(elsewhere.unavailable).toEqual(['oaiKey'])
    expect(elsewhere.service.setup).toEqual({ oaiHost: '', oaiOrg: 'org-1' })
    expect(await failure(() => getServiceSettings(backend, 'nope', { secretKey: testKey() }))).toMatchObject({
      code: 'NOT_FOUND',
    })
  })

  it('updateServiceSettings seals keys before writing, with the store’s own action, in one transaction', async () => {
    const backend = await db.open()
    const live = await seeded(backend)
    const commits: CommitInfo[] = []
    const summary = await updateServiceSettings(
      backend,
      'ollama',
      { ollamaHost: `https://me:${KEYS.hostPassword}@box:11434`, csf: true },
      { secretKey: testKey() },
    )
    expect(summary).toMatchObject({ id: 'ollama', setup: { csf: true }, secretFields: ['ollamaHost'] })
    expect(keysIn(JSON.stringify(summary))).toEqual([])
    const opened = await getServiceSettings(backend, 'ollama', { secretKey: testKey() })
    expect(opened.service.setup).toEqual({ ollamaHost: `https://me:${KEYS.hostPassword}@box:11434`, csf: true })

    // A new key replaces the sealed one; an empty value removes it.
    await updateServiceSettings(backend, 'openai', { oaiKey: KEYS.newKey }, { secretKey: testKey() })
    expect((await getServiceSettings(backend, 'openai', { secretKey: testKey() })).service.setup).toMatchObject({
      oaiKey: KEYS.newKey,
    })
    const emptied = await updateServiceSettings(backend, 'openai', { oaiKey: '' }, { secretKey: testKey() })
    expect(emptied).toMatchObject({ setup: { oaiKey: '' }, secretFields: [] })

    // A fresh store (or a live one, after rehydrate) sees what was written, keys opened.
    await live.persist.rehydrate()
    await whenSecretsOpen(live)
    expect(live.getState().sources.find((s) => s.id === 'ollama')?.setup).toMatchObject({
      ollamaHost: `https://me:${KEYS.hostPassword}@box:11434`,
    })
    const store = createLLMsStore({ backend, secretKey: testKey(), onCommit: (c) => void commits.push(c) })
    await whenSecretsOpen(store)
    expect(store.getState().sources.find((s) => s.id === 'openai')?.setup).toMatchObject({ oaiKey: '' })
    await store.persist.flush()
    expect(commits).toEqual([])
  })

  it('refuses a bad patch or service, naming the field and never the value; nothing is written', async () => {
    const backend = await db.open()
    await seeded(backend)
    const before = await listServices(backend)
    const secretKey = testKey()
    const bad = await failure(() =>
      updateServiceSettings(backend, 'openai', { oaiKey: KEYS.newKey, broken: 1n }, { secretKey }),
    )
    expect(bad).toMatchObject({ code: 'INVALID_VALUE', path: 'settings.broken' })
    expect(keysIn(JSON.stringify(bad) + String((bad as Error).message))).toEqual([])
    expect(await failure(() => updateServiceSettings(backend, 'openai', 'x', { secretKey }))).toMatchObject({
      code: 'INVALID_VALUE',
    })
    expect(await failure(() => updateServiceSettings(backend, 'nope', { a: 1 }, { secretKey }))).toMatchObject({
      code: 'NOT_FOUND',
    })
    expect(
      await failure(() => updateServiceSettings(backend, 'openai', { a: 1 }, { secretKey: { id: 'x' } as never })),
    ).toMatchObject({ code: 'INVALID_OPTIONS' })
    expect(await listServices(backend)).toEqual(before)
  })
})
