import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { readStoredState, writeStoredState } from '@zustand-sqlite/core'
import type { Backend, CommitInfo, ZustandSqliteError } from '@zustand-sqlite/core'
import {
  createLLMsStore,
  getModelAssignments,
  getServiceSettings,
  importLegacyLLMs,
  isSealedText,
  listModels,
  listServices,
  llmsDefinition,
  llmsSchema,
  openSecret,
  sealedKeyId,
  sealSecret,
  updateServiceSettings,
  whenSecretsOpen,
} from '@zustand-sqlite/store-llms'
import type { LLMsStore, LLMsStoreApi, PersistedLLMs, SecretKey, SecretKeyOption } from '@zustand-sqlite/store-llms'
import { engines, tempDatabase } from '../../../test-utils/backends'
import { bytesText, fixture, KEYS, keysIn, model, testKey } from './helpers'

const stored = { name: 'app-models', schema: llmsSchema }

/** Everything a run printed, through every console method. */
let printed: string[] = []
beforeEach(() => {
  printed = []
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      printed.push(args.map((a) => (a instanceof Error ? `${a.message} ${String(a.cause)}` : String(a))).join(' '))
    })
})
afterEach(() => {
  vi.restoreAllMocks()
})

/** What a store reports: its commits (ChangeSets included) and errors, as text. */
function recorder() {
  const commits: CommitInfo[] = []
  const errors: ZustandSqliteError[] = []
  return {
    commits,
    errors,
    options: {
      onCommit: (info: CommitInfo) => void commits.push(info),
      onError: (e: ZustandSqliteError) => void errors.push(e),
    },
    text: () => JSON.stringify(commits) + errors.map((e) => `${e.message} ${e.path} ${String(e.cause)}`).join('\n'),
  }
}

async function openStore(backend: Backend, secretKey: SecretKeyOption, options: object = {}): Promise<LLMsStoreApi> {
  const store = createLLMsStore({ backend, secretKey, ...options })
  await whenSecretsOpen(store)
  return store
}

function populate(s: LLMsStore): void {
  s.createModelsService({ id: 'openai', name: 'OpenAI', initializeSetup: () => ({ oaiKey: '', oaiHost: '' }) })
  s.updateServiceSettings('openai', { oaiKey: KEYS.openai })
  s.createModelsService({ id: 'openai', name: 'OpenAI' })
  s.updateServiceSettings('openai-1', { oaiKey: KEYS.openai2 })
  s.createModelsService({ id: 'anthropic', name: 'Anthropic' })
  s.updateServiceSettings('anthropic', { anthropicKey: KEYS.anthropic })
  s.importServicesAppend([
    {
      id: 'bedrock',
      label: 'AWS',
      vId: 'bedrock',
      setup: { bedrockSecretAccessKey: KEYS.bedrockSecret, bedrockRegion: 'eu-west-1' },
    },
    { id: 'ollama', label: 'Home', vId: 'ollama', setup: { ollamaHost: `https://me:${KEYS.hostPassword}@box:11434` } },
  ])
  s.setServiceLLMs('openai', [model('gpt', 'openai', 'openai')], true, false)
  s.setServiceLLMs('anthropic', [model('claude', 'anthropic', 'anthropic')], true, false)
  s.assignDomainModelId('primaryChat', 'claude')
}

const setupOf = (store: LLMsStoreApi, id: string): unknown => store.getState().sources.find((s) => s.id === id)?.setup

/** Every file of the database's directory (the database, its -wal and -shm, an image, a journal), as text. */
function filesText(file: string): string {
  const dir = dirname(file)
  return readdirSync(dir)
    .map((name) => bytesText(readFileSync(join(dir, name))))
    .join('\n')
}

const otherKey = (): Promise<SecretKey> => testKey('another-device', 99)

describe.each(engines)('keys sealed at rest on $name', (engine) => {
  let db: ReturnType<typeof tempDatabase>
  const backends: Backend[] = []
  const connect = async (): Promise<Backend> => {
    const backend = await engine.open(db.file)
    backends.push(backend)
    return backend
  }
  beforeEach(() => {
    db = tempDatabase()
  })
  afterEach(async () => {
    for (const backend of backends.splice(0)) await backend.close()
    db.remove()
  })

  it('never puts a key in clear in the database file, its WAL, a ChangeSet, a read, a query result or a message', async () => {
    const backend = await connect()
    const run = recorder()
    const store = await openStore(backend, testKey(), run.options)
    populate(store.getState())
    await store.persist.flush()
    store.getState().updateServiceSettings('openai', { oaiKey: KEYS.newKey })
    await store.persist.flush()
    const legacy = await importLegacyLLMs(fixture('app-models.v5.json'), { secretKey: testKey() })

    const reads = JSON.stringify([
      await readStoredState(backend, stored),
      (await llmsDefinition.read(backend)).state,
      await listServices(backend),
      await listModels(backend, 'openai'),
      await getModelAssignments(backend),
      await updateServiceSettings(backend, 'anthropic', { anthropicKey: KEYS.anthropic }, { secretKey: testKey() }),
      legacy,
    ])
    expect(keysIn(filesText(db.file))).toEqual([])
    expect(keysIn(reads)).toEqual([])
    expect(keysIn(run.text())).toEqual([])
    expect(run.commits.length).toBeGreaterThan(0)
    expect(run.errors).toEqual([])

    // A restart with another key: every credential is unavailable, reported by name, never by value.
    await store.persist.flush()
    const elsewhere = await openStore(await connect(), otherKey(), run.options)
    expect(run.errors.map((e) => [e.code, e.path])).toContainEqual([
      'SECRET_UNAVAILABLE',
      'sources[id="openai"].setup.oaiKey',
    ])
    expect(keysIn(run.text())).toEqual([])
    expect(keysIn(JSON.stringify(elsewhere.getState()))).toEqual([])
    for (const b of backends.splice(0)) await b.close()
    expect(keysIn(filesText(db.file))).toEqual([])
    expect(keysIn(printed.join('\n'))).toEqual([])
    // The one query whose result holds keys in clear is the one that opens them.
    expect((await getServiceSettings(await connect(), 'openai', { secretKey: testKey() })).service.setup).toMatchObject(
      { oaiKey: KEYS.newKey },
    )
  })

  it('a restart with the key gives every credential back, hosts with passwords included', async () => {
    const store = await openStore(await connect(), testKey())
    populate(store.getState())
    await store.persist.flush()
    const before = structuredClone(store.getState().sources)
    for (const b of backends.splice(0)) await b.close()
    const again = await openStore(await connect(), testKey())
    expect(again.getState().sources).toEqual(before)
    expect(setupOf(again, 'ollama')).toEqual({ ollamaHost: `https://me:${KEYS.hostPassword}@box:11434` })
    expect(setupOf(again, 'bedrock')).toEqual({
      bedrockSecretAccessKey: KEYS.bedrockSecret,
      bedrockRegion: 'eu-west-1',
    })
  })

  it('a key sealed with another key loads without it, listed and reported, and stays stored until a new one is entered', async () => {
    const first = await openStore(await connect(), testKey())
    populate(first.getState())
    await first.persist.flush()
    const original = (await readStoredState(await connect(), stored))?.state as unknown as PersistedLLMs
    const sealedAnthropic = original.sources.find((s) => s.id === 'anthropic')?.sealedSetup

    const errors: ZustandSqliteError[] = []
    const second = await openStore(await connect(), otherKey(), {
      onError: (e: ZustandSqliteError) => void errors.push(e),
    })
    const unavailable = second.getState().unavailableSecrets
    expect(unavailable).toEqual({
      openai: ['oaiKey'],
      'openai-1': ['oaiKey'],
      anthropic: ['anthropicKey'],
      bedrock: ['bedrockSecretAccessKey'],
      ollama: ['ollamaHost'],
    })
    expect(setupOf(second, 'openai')).toEqual({ oaiHost: '' })
    expect(errors).toHaveLength(5)
    expect(errors[0]).toMatchObject({ code: 'SECRET_UNAVAILABLE', store: 'app-models' })
    expect(errors[0]?.message).toMatch(
      /sealed with another key \(id "test-key-1", this store's key is "another-device"\)/,
    )

    // Other changes are written; the unavailable sealed texts stay as they were.
    second.getState().updateLLM('gpt', { userStarred: true })
    second.getState().updateServiceSettings('openai', { oaiKey: KEYS.newKey })
    await second.persist.flush()
    expect(second.getState().unavailableSecrets).toEqual({
      'openai-1': ['oaiKey'],
      anthropic: ['anthropicKey'],
      bedrock: ['bedrockSecretAccessKey'],
      ollama: ['ollamaHost'],
    })
    const after = (await readStoredState(await connect(), stored))?.state as unknown as PersistedLLMs
    expect(after.sources.find((s) => s.id === 'anthropic')?.sealedSetup).toEqual(sealedAnthropic)
    const openaiSealed = after.sources.find((s) => s.id === 'openai')?.sealedSetup['oaiKey'] as string
    expect(sealedKeyId(openaiSealed)).toBe('another-device')
    expect(await openSecret(await otherKey(), openaiSealed, { serviceId: 'openai', field: 'oaiKey' })).toEqual({
      ok: true,
      value: KEYS.newKey,
    })
  })

  it('a corrupt or moved sealed text does not open; the others do', async () => {
    const backend = await connect()
    const store = await openStore(backend, testKey())
    populate(store.getState())
    await store.persist.flush()
    const previous = await readStoredState(backend, stored)
    const persisted = previous?.state as unknown as PersistedLLMs
    const bySource = (id: string) => persisted.sources.find((s) => s.id === id)!
    const openaiText = bySource('openai').sealedSetup['oaiKey'] as string
    const anthropicText = bySource('anthropic').sealedSetup['anthropicKey'] as string
    // Moved: openai's sealed key put in openai-1's place. Cut, and changed by one character.
    const flipped = anthropicText.slice(0, -3) + (anthropicText.at(-3) === 'A' ? 'B' : 'A') + anthropicText.slice(-2)
    const edit = (id: string, sealedSetup: Record<string, string>) => ({ ...bySource(id), sealedSetup })
    const tampered = {
      ...persisted,
      sources: [
        edit('openai', { oaiKey: openaiText }),
        edit('openai-1', { oaiKey: openaiText }),
        edit('anthropic', { anthropicKey: flipped }),
        edit('bedrock', { bedrockSecretAccessKey: 'not a sealed value' }),
        edit('ollama', { ollamaHost: openaiText.slice(0, 40) }),
      ],
    }
    await writeStoredState(backend, { ...stored, version: 5, previous }, tampered)
    for (const b of backends.splice(0)) await b.close()
    const errors: ZustandSqliteError[] = []
    const again = await openStore(await connect(), testKey(), {
      onError: (e: ZustandSqliteError) => void errors.push(e),
    })
    expect(setupOf(again, 'openai')).toMatchObject({ oaiKey: KEYS.openai })
    expect(again.getState().unavailableSecrets).toEqual({
      'openai-1': ['oaiKey'],
      anthropic: ['anthropicKey'],
      bedrock: ['bedrockSecretAccessKey'],
      ollama: ['ollamaHost'],
    })
    expect(errors.map((e) => e.message.includes('moved from another service'))).toContain(true)
    expect(errors.map((e) => e.message.includes('not a sealed value'))).toContain(true)
  })
})

describe('sealing in flight', () => {
  let db: ReturnType<typeof tempDatabase>
  let backend: Backend
  beforeEach(async () => {
    db = tempDatabase()
    backend = await engines[0]!.open(db.file)
  })
  afterEach(async () => {
    await backend.close()
    db.remove()
  })

  it('keeps the previous sealed value stored until the new one is sealed; flush resolves once it is written', async () => {
    const store = await openStore(backend, testKey())
    populate(store.getState())
    await store.persist.flush()
    const sealedOf = async () =>
      ((await readStoredState(backend, stored))?.state as unknown as PersistedLLMs).sources[0]?.sealedSetup['oaiKey']
    const before = await sealedOf()

    const encrypt = crypto.subtle.encrypt.bind(crypto.subtle)
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const spy = vi.spyOn(crypto.subtle, 'encrypt').mockImplementation(async (...args) => {
      await gate
      return encrypt(...args)
    })
    store.getState().updateServiceSettings('openai', { oaiKey: KEYS.newKey, oaiHost: 'https://proxy.test' })
    expect(store.getState().sealedSecrets['openai']?.['oaiKey']).toBe(before)
    const flushed = store.persist.flush()
    let done = false
    void flushed.then(() => (done = true))
    // The service's other settings are written at once; its key is still the previous sealed value.
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(done).toBe(false)
    expect(await sealedOf()).toBe(before)
    const written = (await readStoredState(backend, stored))?.state as unknown as PersistedLLMs
    expect(written.sources[0]?.setup).toEqual({ oaiHost: 'https://proxy.test' })

    release()
    await flushed
    spy.mockRestore()
    const after = await sealedOf()
    expect(after).not.toBe(before)
    expect(await openSecret(await testKey(), after as string, { serviceId: 'openai', field: 'oaiKey' })).toEqual({
      ok: true,
      value: KEYS.newKey,
    })
  })

  it('an emptied key is removed from the database at the next write, without waiting for a sealing', async () => {
    const store = await openStore(backend, testKey())
    populate(store.getState())
    await store.persist.flush()
    store.getState().updateServiceSettings('anthropic', { anthropicKey: '' })
    await store.persist.flush()
    const persisted = (await readStoredState(backend, stored))?.state as unknown as PersistedLLMs
    expect(persisted.sources.find((s) => s.id === 'anthropic')).toMatchObject({
      setup: { anthropicKey: '' },
      sealedSetup: {},
    })
  })

  it('a key that cannot be loaded: nothing is stored in clear, flush rejects and onError is told (SECRET_UNAVAILABLE)', async () => {
    const errors: ZustandSqliteError[] = []
    const missing = Promise.reject(new Error('the key file is gone'))
    const store = createLLMsStore({ backend, secretKey: missing, onError: (e) => void errors.push(e) })
    store.getState().createModelsService({ id: 'openai', name: 'OpenAI' })
    store.getState().updateServiceSettings('openai', { oaiKey: KEYS.openai, oaiHost: 'h' })
    await expect(store.persist.flush()).rejects.toMatchObject({ code: 'SECRET_UNAVAILABLE' })
    expect(errors.map((e) => e.code)).toEqual(['SECRET_UNAVAILABLE'])
    const persisted = (await readStoredState(backend, stored))?.state as unknown as PersistedLLMs
    expect(persisted.sources[0]).toMatchObject({ setup: { oaiHost: 'h' }, sealedSetup: {} })
    expect(keysIn(filesText(db.file))).toEqual([])
  })

  it('another store on the same database takes in a new key from its commit, opened', async () => {
    const a = await openStore(backend, testKey())
    populate(a.getState())
    await a.persist.flush()
    const b = await openStore(backend, testKey())
    expect(setupOf(b, 'openai')).toMatchObject({ oaiKey: KEYS.openai })
    a.getState().updateServiceSettings('openai', { oaiKey: KEYS.newKey })
    await a.persist.flush()
    await vi.waitFor(() => expect(setupOf(b, 'openai')).toMatchObject({ oaiKey: KEYS.newKey }))
    expect(b.getState().secretsOpen).toBe(true)
  })
})

describe('sealed values', () => {
  it('name their key, take a fresh IV each time, and open only with that key in that place', async () => {
    const key = await testKey()
    const place = { serviceId: 'openai', field: 'oaiKey' }
    const a = await sealSecret(key, KEYS.openai, place)
    const b = await sealSecret(key, KEYS.openai, place)
    expect(a).toMatch(/^zs-sealed:v1:test-key-1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/)
    expect(a).not.toBe(b)
    expect(isSealedText(a)).toBe(true)
    expect(isSealedText(KEYS.openai)).toBe(false)
    expect(await openSecret(key, a, place)).toEqual({ ok: true, value: KEYS.openai })
    expect(await openSecret(key, a, { serviceId: 'openai-1', field: 'oaiKey' })).toMatchObject({
      ok: false,
      reason: 'corrupt',
    })
    expect(await openSecret(key, a, { serviceId: 'openai', field: 'heliKey' })).toMatchObject({
      ok: false,
      reason: 'corrupt',
    })
    expect(await openSecret(await testKey('test-key-1', 8), a, place)).toMatchObject({ ok: false, reason: 'corrupt' })
    expect(await openSecret(key, 'zs-sealed:v1:x:y', place)).toEqual({ ok: false, reason: 'malformed' })
    // Another key's value is recognised by its id, without trying to open it.
    const decrypt = vi.spyOn(crypto.subtle, 'decrypt')
    expect(await openSecret(await otherKey(), a, place)).toEqual({
      ok: false,
      reason: 'other-key',
      keyId: 'test-key-1',
    })
    expect(decrypt).not.toHaveBeenCalled()
    // JSON values, not only strings.
    const token = { access_token: 'a', expires: 3600 }
    expect(await openSecret(key, await sealSecret(key, token, place), place)).toEqual({ ok: true, value: token })
  })
})
