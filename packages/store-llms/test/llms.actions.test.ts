import { describe, expect, it } from 'vitest'
import { createStore } from 'zustand/vanilla'
import {
  collectLLMsGarbage,
  createLLMsState,
  mergeLLMs,
  partializeLLMs,
  secretSetupFields,
  isSecretSetupField,
} from '@zustand-sqlite/store-llms'
import type { LLMsStore } from '@zustand-sqlite/store-llms'
import { KEYS, model } from './helpers'

const openai = { id: 'openai', name: 'OpenAI', initializeSetup: () => ({ oaiKey: '', oaiOrg: '', oaiHost: '' }) }
const anthropic = { id: 'anthropic', name: 'Anthropic' }

function store() {
  const s = createStore<LLMsStore>()(createLLMsState())
  return { s, get: s.getState }
}

describe('services', () => {
  it('creates services with the app’s ids and labels, and makes the first the configured one', () => {
    const { get } = store()
    const a = get().createModelsService(openai)
    const b = get().createModelsService(openai)
    const c = get().createModelsService(anthropic)
    expect([a.id, b.id, c.id]).toEqual(['openai', 'openai-1', 'anthropic'])
    expect([a.label, b.label, c.label]).toEqual(['OpenAI', 'OpenAI #2', 'Anthropic'])
    expect(a.setup).toEqual({ oaiKey: '', oaiOrg: '', oaiHost: '' })
    expect(c.setup).toEqual({})
    expect(get().confServiceId).toBe('openai')
    // The highest number plus one, whatever the labels in between.
    get().updateServiceLabel('openai-1', 'OpenAI #7')
    expect(get().createModelsService(openai).label).toBe('OpenAI #8')
  })

  it('labels: at most 32 characters, the vendor’s name for an empty one unless allowed', () => {
    const { get } = store()
    get().createModelsService(openai)
    get().updateServiceLabel('openai', 'x'.repeat(40))
    expect(get().sources[0]?.label).toBe('x'.repeat(32))
    get().updateServiceLabel('openai', '   ')
    expect(get().sources[0]?.label).toBe('OpenAI')
    get().updateServiceLabel('openai', '', true)
    expect(get().sources[0]?.label).toBe('')
  })

  it('imports services add-only: known vendors, new ids; the first becomes the configured one', () => {
    const { get } = store()
    get().createModelsService(anthropic)
    get().setConfServiceId(null)
    const result = get().importServicesAppend([
      { id: 'openai', label: '', vId: 'openai', setup: { oaiKey: KEYS.openai }, defsV: 'x' },
      { id: 'anthropic', label: 'Again', vId: 'anthropic', setup: {} },
      { id: 'future', label: 'Future', vId: 'a-vendor-from-the-future', setup: {} },
      { id: '', label: 'No id', vId: 'openai', setup: {} },
      { id: 'openai', label: 'Twice', vId: 'openai', setup: {} },
      { id: 'groq', label: 'Groq', vId: 'groq', setup: 'broken' as never },
    ])
    expect(result).toEqual({ added: 2, skipped: 4 })
    expect(get().sources.map((s) => [s.id, s.label])).toEqual([
      ['anthropic', 'Anthropic'],
      ['openai', 'OpenAI'],
      ['groq', 'Groq'],
    ])
    expect(get().sources[1]).toEqual({ id: 'openai', label: 'OpenAI', vId: 'openai', setup: { oaiKey: KEYS.openai } })
    expect(get().sources[2]?.setup).toEqual({})
    expect(get().confServiceId).toBe('openai')
  })

  it('removes a service with its models, their assignments and its sealed texts', () => {
    const { s, get } = store()
    get().createModelsService(openai)
    get().createModelsService(anthropic)
    get().setServiceLLMs('openai', [model('gpt', 'openai', 'openai')], true, false)
    get().setServiceLLMs('anthropic', [model('claude', 'anthropic', 'anthropic')], true, false)
    get().assignDomainModelId('primaryChat', 'gpt')
    get().assignDomainModelId('fastUtil', 'claude')
    s.setState({ sealedSecrets: { openai: { oaiKey: 'sealed' } }, unavailableSecrets: { openai: ['oaiKey'] } })
    get().removeService('openai')
    expect(get().sources.map((x) => x.id)).toEqual(['anthropic'])
    expect(get().llms.map((x) => x.id)).toEqual(['claude'])
    expect(Object.keys(get().modelAssignments)).toEqual(['fastUtil'])
    expect(get().sealedSecrets).toEqual({})
    expect(get().unavailableSecrets).toEqual({})
  })

  it('merges settings; an emptied key drops its sealed text at once, a new one keeps it until sealed', () => {
    const { s, get } = store()
    get().createModelsService(openai)
    get().updateServiceSettings('openai', { oaiKey: KEYS.openai, oaiHost: 'https://example.test' })
    expect(get().sources[0]?.setup).toEqual({ oaiKey: KEYS.openai, oaiOrg: '', oaiHost: 'https://example.test' })
    s.setState({ sealedSecrets: { openai: { oaiKey: 'sealed-before' } } })
    get().updateServiceSettings('openai', { oaiKey: KEYS.newKey })
    expect(get().sealedSecrets).toEqual({ openai: { oaiKey: 'sealed-before' } })
    get().updateServiceSettings('openai', { oaiKey: '' })
    expect(get().sealedSecrets).toEqual({})
    get().updateServiceSettings('missing', { oaiKey: KEYS.openai })
    expect(get().sources).toHaveLength(1)
    get().stampServiceDefs('openai', 'v7')
    expect(get().sources[0]?.defsV).toBe('v7')
  })

  it('sets the first OpenRouter service’s key', () => {
    const { get } = store()
    get().setOpenRouterKey(KEYS.openai)
    expect(get().sources).toEqual([])
    get().createModelsService({ id: 'openrouter', name: 'OpenRouter' })
    get().setOpenRouterKey(KEYS.openai)
    expect(get().sources[0]?.setup).toEqual({ oaiKey: KEYS.openai })
  })
})

describe('models', () => {
  it('setServiceLLMs keeps user edits and clones, drops stale parameters, and prunes assignments', () => {
    const { get } = store()
    get().createModelsService(openai)
    get().createModelsService(anthropic)
    get().setServiceLLMs('anthropic', [model('claude', 'anthropic', 'anthropic')], true, false)
    get().setServiceLLMs(
      'openai',
      [model('gpt-a', 'openai', 'openai'), model('gpt-b', 'openai', 'openai')],
      true,
      false,
    )
    get().updateLLM('gpt-a', { userLabel: 'Mine', userStarred: true, userHidden: true, userContextTokens: null })
    get().updateLLMUserParameters('gpt-a', { llmVndOaiEffort: 'high', llmTopP: 0.9, llmTemperature: 0.2 })
    get().updateLLMUserParameters('gpt-a', { llmVndGone: 1 })
    expect(get().userCloneLLM('gpt-a', 'Clone', 'fast')).toBe('gpt-a::fast')
    expect(get().userCloneLLM('gpt-a', 'Clone', 'fast')).toBeNull()
    expect(get().userCloneLLM('missing', 'Clone', 'x')).toBeNull()
    get().assignDomainModelId('primaryChat', 'gpt-b')
    get().assignDomainModelId('codeApply', 'gpt-a')
    get().assignDomainModelId('imageCaption', null)
    get().updateLLM('gpt-a', { userPricing: { chat: { input: 2, output: 8 } } })

    // The new listing: gpt-b is gone, gpt-c is new, and effort no longer allows 'high'.
    const relisted = model('gpt-a', 'openai', 'openai', {
      label: 'GPT A v2',
      parameterSpecs: [{ paramId: 'llmVndOaiEffort', enumValues: ['low', 'medium'] }, { paramId: 'llmTopP' }],
    })
    get().setServiceLLMs('openai', [relisted, model('gpt-c', 'openai', 'openai')], true, false)
    const ids = get().llms.map((l) => l.id)
    expect(ids).toEqual(['gpt-a::fast', 'gpt-a', 'gpt-c', 'claude'])
    const a = get().llms[1]!
    expect(a).toMatchObject({ label: 'GPT A v2', userLabel: 'Mine', userStarred: true, userHidden: true })
    expect(a.userContextTokens).toBeNull()
    expect(a.userPricing).toEqual({ chat: { input: 2, output: 8 } })
    expect(a.userParameters).toEqual({ llmTopP: 0.9, llmTemperature: 0.2 })
    // The clone copies the user's settings, not the star or the label, and names its source.
    expect(get().llms[0]).toMatchObject({
      label: 'Clone',
      isUserClone: true,
      cloneSourceId: 'gpt-a',
      userStarred: false,
    })
    expect(get().llms[0]?.userLabel).toBeUndefined()
    expect(get().modelAssignments).toEqual({
      codeApply: { mct: 'model-parametric', domainId: 'codeApply', modelId: 'gpt-a' },
    })

    // Without keeping edits, or keeping missing models.
    get().setServiceLLMs('openai', [model('gpt-a', 'openai', 'openai')], false, true)
    expect(get().llms.map((l) => l.id)).toEqual(['gpt-a::fast', 'gpt-c', 'gpt-a', 'claude'])
    expect(get().llms[2]?.userLabel).toBeUndefined()
  })

  it('removes, reranks, hides, resets and updates as the app does', () => {
    const { get } = store()
    get().setServiceLLMs('openai', [model('a', 'openai', 'openai'), model('b', 'openai', 'openai')], true, false)
    get().setServiceLLMs('anthropic', [model('c', 'anthropic', 'anthropic')], true, false)
    expect(get().llms.map((l) => l.id)).toEqual(['c', 'a', 'b'])
    get().rerankLLMsByServices(['openai', 'anthropic'])
    expect(get().llms.map((l) => l.id)).toEqual(['a', 'b', 'c'])
    const before = get().llms
    get().rerankLLMsByServices(['openai', 'anthropic'])
    expect(get().llms).toBe(before)

    get().setServiceModelsHidden('openai', true)
    expect(get().llms.map((l) => l.userHidden)).toEqual([true, true, undefined])
    get().resetServiceVisibility('openai')
    expect(get().llms.every((l) => !('userHidden' in l))).toBe(true)

    get().updateLLMs([
      { id: 'a', partial: { userLabel: 'A', userParameters: { llmTopP: 1 } } },
      { id: 'c', partial: { userLabel: 'C' } },
    ])
    get().userCloneLLM('a', 'A clone', 'v')
    get().updateLLM('a::v', { userParameters: { llmTopP: 0.5 } })
    get().deleteLLMUserParameter('a', 'llmTopP')
    expect(get().llms.find((l) => l.id === 'a')?.userParameters).toEqual({})
    get().resetLLMUserParameters('a')
    expect('userParameters' in get().llms.find((l) => l.id === 'a')!).toBe(false)
    get().resetServiceUserParameters('openai')
    expect(get().llms.find((l) => l.id === 'a')?.userLabel).toBeUndefined()
    expect(get().llms.find((l) => l.id === 'a::v')?.userParameters).toEqual({ llmTopP: 0.5 })
    expect(get().llms.find((l) => l.id === 'c')?.userLabel).toBe('C')

    get().assignDomainModelId('primaryChat', 'a::v')
    get().removeCustomModels('openai')
    expect(get().llms.map((l) => l.id)).toEqual(['a', 'b', 'c'])
    expect(get().modelAssignments).toEqual({})
    get().assignDomainModelId('fastUtil', 'b')
    get().removeLLM('b')
    expect(get().modelAssignments).toEqual({})
  })

  it('assignments: automatic when removed, when stale, or when hidden if asked', () => {
    const { get } = store()
    get().setServiceLLMs(
      'openai',
      [model('a', 'openai', 'openai', { hidden: true }), model('b', 'openai', 'openai')],
      true,
      false,
    )
    get().assignDomainModelId('primaryChat', 'a')
    get().assignDomainModelId('fastUtil', 'b')
    get().assignDomainModelId('imageCaption', undefined)
    expect(Object.keys(get().modelAssignments)).toEqual(['primaryChat', 'fastUtil'])
    get().assignDomainModelAutoIfStale('primaryChat', false)
    expect(get().modelAssignments.primaryChat?.modelId).toBe('a')
    get().assignDomainModelAutoIfStale('primaryChat', true)
    expect(get().modelAssignments.primaryChat).toBeUndefined()
    get().assignDomainModelAuto('fastUtil')
    expect(get().modelAssignments).toEqual({})
    const before = get().modelAssignments
    get().assignDomainModelAuto('fastUtil')
    expect(get().modelAssignments).toBe(before)
  })
})

describe('what is persisted', () => {
  it('takes credentials out of setups, user edits out of models, and keeps stale keys', () => {
    const { s, get } = store()
    get().createModelsService(openai)
    get().updateServiceSettings('openai', { oaiKey: KEYS.openai, oaiHost: 'https://proxy.test' })
    get().setServiceLLMs('openai', [model('gpt', 'openai', 'openai')], true, false)
    get().updateLLM('gpt', { userLabel: 'Mine', userHidden: false })
    s.setState({ chatLLMId: 'old', sealedSecrets: { openai: { oaiKey: 'zs-sealed:v1:...' } } } as never)
    const persisted = partializeLLMs(get())
    expect(JSON.stringify(persisted)).not.toContain(KEYS.openai)
    expect(persisted.sources[0]).toEqual({
      id: 'openai',
      label: 'OpenAI',
      vId: 'openai',
      setup: { oaiOrg: '', oaiHost: 'https://proxy.test' },
      sealedSetup: { oaiKey: 'zs-sealed:v1:...' },
    })
    expect(persisted.llms[0]).not.toHaveProperty('userLabel')
    expect(persisted.userEdits).toEqual({ gpt: { userLabel: 'Mine', userHidden: false } })
    expect(persisted['chatLLMId']).toBe('old')
    expect(Object.keys(persisted)).not.toContain('sealedSecrets')
    expect(Object.values(persisted).some((v) => typeof v === 'function')).toBe(false)
    // Unchanged parts are the same objects from one call to the next: a change writes its own rows only.
    const again = partializeLLMs(get())
    expect(again.sources).toBe(persisted.sources)
    expect(again.llms).toBe(persisted.llms)
    get().updateLLM('gpt', { userStarred: true })
    expect(partializeLLMs(get()).sources).toBe(persisted.sources)
  })

  it('merge joins edits back, keeps a credential in clear when its sealed text is the stored one, and collects garbage', () => {
    const { get } = store()
    const current = {
      ...get(),
      sources: [{ id: 'openai', label: 'OpenAI', vId: 'openai', setup: { oaiKey: KEYS.openai, oaiHost: '' } }],
      sealedSecrets: { openai: { oaiKey: 'T1' } },
    }
    const persisted = {
      sources: [
        { id: 'openai', label: 'OpenAI', vId: 'openai', setup: { oaiHost: '' }, sealedSetup: { oaiKey: 'T1' } },
        { id: 'anthropic', label: 'Anthropic', vId: 'anthropic', setup: {}, sealedSetup: { anthropicKey: 'T2' } },
      ],
      llms: [model('gpt', 'openai', ''), model('orphan', 'gone', 'x')],
      userEdits: { gpt: { userLabel: 'Mine' } },
      modelAssignments: { primaryChat: { mct: 'model-parametric', domainId: 'primaryChat', modelId: 'orphan' } },
      confServiceId: 'openai',
      chatLLMId: 'stale',
    }
    const merged = mergeLLMs(persisted, current)
    expect(merged.sources[0]?.setup).toEqual({ oaiHost: '', oaiKey: KEYS.openai })
    expect(merged.sources[1]?.setup).toEqual({})
    expect(merged.sealedSecrets).toEqual({ openai: { oaiKey: 'T1' }, anthropic: { anthropicKey: 'T2' } })
    expect(merged.secretsOpen).toBe(false)
    expect(merged.llms.map((l) => [l.id, l.vId, l.userLabel])).toEqual([['gpt', 'openai', 'Mine']])
    expect(merged.modelAssignments).toEqual({})
    expect((merged as unknown as Record<string, unknown>)['chatLLMId']).toBe('stale')
    // Another sealed text stored: the credential in clear is not this one any more.
    const replaced = mergeLLMs(
      { ...persisted, sources: [{ ...persisted.sources[0], sealedSetup: { oaiKey: 'T9' } }] },
      current,
    )
    expect(replaced.sources[0]?.setup).toEqual({ oaiHost: '' })
    expect(collectLLMsGarbage(merged)).toBe(merged)
  })
})

describe('secret fields', () => {
  it('marks declared fields, credential-like names, URLs with a password and objects holding credentials', () => {
    expect(isSecretSetupField('openai', 'oaiKey', KEYS.openai)).toBe(true)
    expect(isSecretSetupField('bedrock', 'bedrockSecretAccessKey', KEYS.bedrockSecret)).toBe(true)
    expect(isSecretSetupField('a-new-vendor', 'apiKey', 'k')).toBe(true)
    expect(isSecretSetupField('a-new-vendor', 'clientSecret', 'k')).toBe(true)
    expect(isSecretSetupField('a-new-vendor', 'refreshToken', 'k')).toBe(true)
    expect(isSecretSetupField('ollama', 'ollamaHost', `http://me:${KEYS.hostPassword}@box:11434`)).toBe(true)
    expect(isSecretSetupField('openrouter', 'oauth', { access_token: 'x' })).toBe(true)
    expect(isSecretSetupField('ollama', 'ollamaHost', 'http://box:11434')).toBe(false)
    expect(isSecretSetupField('openai', 'oaiHost', 'https://api.openai.com')).toBe(false)
    expect(isSecretSetupField('openai', 'maxTokens', 4096)).toBe(false)
    // An empty key, a flag: nothing to seal.
    expect(isSecretSetupField('openai', 'oaiKey', '')).toBe(false)
    expect(isSecretSetupField('openai', 'hasKey', true)).toBe(false)
    expect(
      secretSetupFields({ vId: 'openai', setup: { oaiKey: KEYS.openai, oaiOrg: 'org', heliKey: '', oaiHost: '' } }),
    ).toEqual(['oaiKey'])
  })
})
