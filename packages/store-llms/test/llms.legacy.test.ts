import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import { createJSONStorage, persist } from 'zustand/middleware'
import { readStoredState, writeStoredState } from '@zustand-sqlite/core'
import {
  createLLMsState,
  createLLMsStore,
  importLegacyLLMs,
  isSealedText,
  llmsLegacyPersistOptions,
  llmsSchema,
  migrateLLMs,
  partializeLLMsForJson,
  whenSecretsOpen,
} from '@zustand-sqlite/store-llms'
import type { LLMsImportReport, LLMsStore, PersistedLLMs } from '@zustand-sqlite/store-llms'
import { databaseOn, engines, failure, memoryLocalStorage } from '../../../test-utils/backends'
import { fixture, KEYS, keysIn, LEGACY_FIXTURES, testKey } from './helpers'

const stored = { name: 'app-models', schema: llmsSchema }

async function imported(name: string): Promise<{ state: PersistedLLMs; report: LLMsImportReport }> {
  const result = await importLegacyLLMs(fixture(name), { secretKey: testKey() })
  if (result === null) throw new Error('nothing imported')
  return result
}

const setupOf = (state: { sources: { id: string; setup: unknown }[] }, id: string): unknown =>
  state.sources.find((s) => s.id === id)?.setup

/** A store on the legacy path, hydrated from `value` as the app's `persist` reads it from localStorage. */
async function legacyStore(value: string): Promise<LLMsStore> {
  const { storage } = memoryLocalStorage({ 'app-models': value })
  const errors: unknown[] = []
  const store = createStore<LLMsStore>()(
    persist(createLLMsState(), {
      ...llmsLegacyPersistOptions,
      storage: createJSONStorage(() => storage),
      skipHydration: true,
      onRehydrateStorage: () => (_state, error) => void (error === undefined || errors.push(error)),
    }),
  )
  await store.persist.rehydrate()
  expect(errors).toEqual([])
  return store.getState()
}

describe('importLegacyLLMs', () => {
  it.each(LEGACY_FIXTURES)('imports %s with every credential sealed, none in clear', async (name) => {
    const { state, report } = await imported(name)
    const text = JSON.stringify({ state, report })
    expect(keysIn(text)).toEqual([])
    const sealedTexts = state.sources.flatMap((s) => Object.values(s.sealedSetup))
    expect(sealedTexts.length).toBe(report.sealed)
    expect(sealedTexts.every((t) => isSealedText(t))).toBe(true)
    expect(report.services).toBe(state.sources.length)
    expect(report.models).toBe(state.llms.length)
  })

  it('version 0: adds maxOutputTokens, drops tags, sets interfaces, turns options into parameters, and moves the chosen models (4B) before resetting them (5)', async () => {
    const { state, report } = await imported('app-models.v0.json')
    expect(report.version).toBe(0)
    expect(state.llms.map((l) => [l.id, l.maxOutputTokens, l.vId])).toEqual([
      ['openai-gpt-4', 4096, 'openai'],
      ['openai-gpt-3.5-turbo', 2049, 'openai'],
      ['openai-gpt-3.5-turbo-0301', 2049, 'openai'],
    ])
    expect(state.llms[0]).not.toHaveProperty('tags')
    expect(state.llms[0]).not.toHaveProperty('options')
    expect(state.llms[0]).toMatchObject({
      interfaces: ['oai-chat'],
      initialParameters: { llmRef: 'gpt-4', llmTemperature: 0.5, llmResponseTokens: 1024 },
    })
    expect(state.userEdits).toEqual({
      'openai-gpt-4': { userParameters: {} },
      'openai-gpt-3.5-turbo': { userParameters: {} },
      'openai-gpt-3.5-turbo-0301': { userParameters: {} },
    })
    expect(state.modelAssignments).toEqual({})
    expect(state).not.toHaveProperty('chatLLMId')
    expect(state).not.toHaveProperty('fastLLMId')
    expect(state['funcLLMId']).toBeNull()
    expect(setupOf(state, 'openai')).toEqual({ oaiOrg: '', oaiHost: '', heliKey: '', moderationCheck: false })
    expect(Object.keys(state.sources[0]!.sealedSetup)).toEqual(['oaiKey'])
    expect(report.issues).toContainEqual({
      path: 'modelAssignments',
      problem: 'reset to automatic, as the app does from version 4',
      action: 'migrated',
    })
  })

  it('version 1: clamps the temperature of the old options to 0..1', async () => {
    const { state } = await imported('app-models.v1.json')
    expect(state.llms.find((l) => l.id === 'openai-gpt-3.5-turbo-16k')?.initialParameters).toEqual({
      llmRef: 'gpt-3.5-turbo-16k',
      llmTemperature: 1,
      llmResponseTokens: 2048,
    })
    expect(state.sources.map((s) => [s.id, Object.keys(s.sealedSetup)])).toEqual([
      ['openai', ['oaiKey']],
      ['anthropic', ['anthropicKey']],
      ['ollama', []],
    ])
    expect(state['funcLLMId']).toBe('openai-gpt-4-1106-preview')
  })

  it('version 2: ports pricing to version 3, keeps interfaces, seals a host with a password', async () => {
    const { state } = await imported('app-models.v2.json')
    const gpt = state.llms.find((l) => l.id === 'openai-gpt-4o-2024-05-13')!
    expect(gpt.pricing).toEqual({ chat: { input: 5, output: 15, _isFree: false } })
    expect(gpt.interfaces).toEqual(['oai-chat', 'oai-chat-vision', 'oai-chat-fn', 'oai-chat-json'])
    expect(gpt).toMatchObject({ isEdited: true, tmpIsVision: true, trainingDataCutoff: 'Oct 2023' })
    // As the app: a price of 0 in and out is not ported.
    expect(state.llms.find((l) => l.id.endsWith(':free'))?.pricing).toEqual({ chatIn: 0, chatOut: 0 })
    expect(setupOf(state, 'ollama')).toEqual({ ollamaJson: false })
    expect(Object.keys(state.sources.find((s) => s.id === 'ollama')!.sealedSetup)).toEqual(['ollamaHost'])
  })

  it('versions 3 and 4: options into parameters, user edits apart, assignments reset to automatic', async () => {
    const v3 = await imported('app-models.v3.json')
    expect(v3.state.llms[0]?.initialParameters).toEqual({ llmRef: 'gpt-4o-mini', llmTemperature: 0.7 })
    expect(v3.state.llms[1]?.pricing).toEqual({
      chat: { input: 0.8, output: 4, cache: { cType: 'ant-bp', read: 0.08, write: 1, duration: 300 } },
    })
    expect(v3.state.modelAssignments).toEqual({})
    expect(v3.state).not.toHaveProperty('chatLLMId')

    const v4 = await imported('app-models.v4.json')
    expect(v4.state.modelAssignments).toEqual({})
    expect(v4.state.userEdits).toEqual({
      'openai-o3-mini': { userStarred: true, userParameters: { llmVndOaiReasoningEffort: 'high' } },
      'openai-gpt-4o': { userLabel: 'My GPT', userHidden: false },
    })
    expect(setupOf(v4.state, 'bedrock')).toEqual({
      bedrockBearerToken: '',
      bedrockRegion: 'us-east-1',
      bedrockSessionToken: '',
      csf: false,
    })
    expect(Object.keys(v4.state.sources.find((s) => s.id === 'bedrock')!.sealedSetup)).toEqual([
      'bedrockAccessKeyId',
      'bedrockSecretAccessKey',
    ])
  })

  it('version 5: taken as it is, clones, tiers, pins and stale keys included, nothing reported', async () => {
    const { state, report } = await imported('app-models.v5.json')
    expect(report).toMatchObject({ version: 5, services: 4, models: 7, assignments: 3, sealed: 3, issues: [] })
    expect(state.llms.map((l) => l.id)[0]).toBe('anthropic-claude-sonnet-4-5::thinking')
    expect(state.modelAssignments.codeApply).toEqual({
      mct: 'model-parametric',
      domainId: 'codeApply',
      modelId: 'anthropic-claude-sonnet-4-5::thinking',
      modelParameters: { llmVndAntThinkingBudget: 8192 },
    })
    expect(state.modelAssignments.imageCaption?.modelId).toBeNull()
    expect(state['chatLLMId']).toBe('openai-gpt-4o')
    expect(state['changelog']).toHaveLength(1)
    expect(state.userEdits['anthropic-claude-sonnet-4-5']).toEqual({
      userStarred: true,
      userContextTokens: 1000000,
      userParameters: { llmVndAntWebSearch: 'auto' },
    })
  })

  it('messy data: cleans what cannot be kept, reports each, and keeps no stray credential', async () => {
    const { state, report } = await imported('app-models.v5-messy.json')
    expect(state.sources.map((s) => [s.id, s.label, s.setup])).toEqual([
      ['openai', 'OpenAI', { oaiHost: '' }],
      ['groq', 'Groq', {}],
    ])
    expect(state.llms.map((l) => [l.id, l.vId])).toEqual([
      ['openai-gpt-5', 'openai'],
      ['groq-llama-3.3-70b', 'groq'],
    ])
    expect(state.llms[0]).not.toHaveProperty('hidden')
    expect(state.userEdits).toEqual({})
    expect(state.confServiceId).toBeNull()
    expect(Object.keys(state.modelAssignments)).toEqual(['codeApply'])
    expect(report.issues.map((i) => `${i.action} ${i.path}`)).toEqual([
      'dropped sources[1]',
      'dropped sources[id="groq"].backupApiKey',
      'fixed sources[id="groq"].setup',
      'fixed sources[id="groq"].label',
      'dropped sources[3]',
      'dropped sources[4]',
      'dropped llms[0]._source',
      'dropped llms[0].userLabel',
      'dropped llms[0].hidden',
      'dropped llms[1]',
      'dropped llms[3]',
      'dropped llms[4]',
      'dropped llms[5]',
      'dropped llms[6].debugAccessToken',
      'dropped modelAssignments.fastUtil',
      'fixed confServiceId',
      'fixed llms[id="openai-gpt-5"].vId',
      'dropped llms[id="orphan-model"]',
      'dropped modelAssignments.primaryChat',
    ])
    expect(report.issues.every((i) => keysIn(i.problem + i.path).length === 0)).toBe(true)
  })

  it('refuses what it cannot read with typed errors that never quote the value', async () => {
    const secretKey = testKey()
    const notJson = `{"state":{"sources":[{"setup":{"oaiKey":"${KEYS.openai}"`
    for (const value of [notJson, KEYS.openai, JSON.stringify(KEYS.openai), '{"state":1,"version":5}']) {
      const error = await failure(() => importLegacyLLMs(value, { secretKey }))
      expect(error).toMatchObject({ code: 'INVALID_LEGACY_DATA' })
      // Not even the first characters an engine's JSON error quotes.
      expect(String((error as Error).message)).not.toMatch(/sk-|TESTKEY/)
      expect((error as Error).cause).toBeUndefined()
    }
    expect(await failure(() => importLegacyLLMs(fixture('app-models.v6-future.json'), { secretKey }))).toMatchObject({
      code: 'MIGRATION_FAILED',
    })
    expect(await failure(() => importLegacyLLMs(fixture('app-models.v5.json'), {} as never))).toMatchObject({
      code: 'INVALID_OPTIONS',
    })
    expect(await importLegacyLLMs(null, { secretKey })).toBeNull()
    expect(() => migrateLLMs({}, 6)).toThrow(expect.objectContaining({ code: 'MIGRATION_FAILED' }))
  })
})

describe.each(engines.filter((e) => e.name !== 'an asynchronous engine'))('imported state on $name', (engine) => {
  const db = databaseOn(engine)

  it.each(LEGACY_FIXTURES)('%s is stored as imported, and a store opens its keys', async (name) => {
    const backend = await db.open()
    const { state } = await imported(name)
    await writeStoredState(backend, { ...stored, version: 5 }, state)
    expect((await readStoredState(backend, stored))?.state).toEqual(state)

    const store = createLLMsStore({ backend, secretKey: testKey() })
    expect(await whenSecretsOpen(store)).toEqual({})
    // The keys opened are the legacy value's, in clear, as the app's own store would hold them.
    const legacy = await legacyStore(fixture(name))
    expect(store.getState().sources.map((s) => [s.id, s.setup])).toEqual(legacy.sources.map((s) => [s.id, s.setup]))
    expect(store.getState().llms).toEqual(legacy.llms)
  })
})

describe('llmsLegacyPersistOptions', () => {
  it.each(LEGACY_FIXTURES)('the app’s persist reads %s as the import does, keys in clear', async (name) => {
    const legacy = await legacyStore(fixture(name))
    const { state } = await imported(name)
    expect(legacy.llms.map((l) => l.id)).toEqual(state.llms.map((l) => l.id))
    expect(legacy.sources.map((s) => s.id)).toEqual(state.sources.map((s) => s.id))
    expect(legacy.modelAssignments).toEqual(state.modelAssignments)
    const written = partializeLLMsForJson(legacy)
    expect(Object.keys(written)).not.toContain('sealedSecrets')
    expect(Object.keys(written)).not.toContain('secretsOpen')
  })
})
