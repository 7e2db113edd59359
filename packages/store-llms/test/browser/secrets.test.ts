/// <reference types="vite/client" />
import initSqlJs from 'sql.js'
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm?url'
import { createStore as createKeyvalStore, get, values } from 'idb-keyval'
import { describe, expect, it } from 'vitest'
import { createSqlJsBackend, indexedDbStorage } from '@zustand-sqlite/backend-sqljs'
import { createSqliteWasmBackend } from '@zustand-sqlite/backend-sqlite-wasm'
import { createLLMsStore, indexedDBSecretKey, openSecret, sealSecret, whenSecretsOpen } from '../../src/browser'

// In Chromium: the page's own WebCrypto and IndexedDB (no fake-indexeddb), as an app runs them.
const run = Math.random().toString(36).slice(2, 8)
const place = { serviceId: 'openai', field: 'oaiKey' }
const API_KEY = 'sk-proj-TESTKEY-in-the-browser-5e6f7a8b9c0d1e2f'

/** Whether `text` holds the key, in clear or as base64 / base64url at any alignment. */
function holdsKey(text: string): boolean {
  const forms = [API_KEY]
  for (let shift = 0; shift < 3; shift++) {
    const base64 = btoa('\u0000'.repeat(shift) + API_KEY)
    const core = base64.slice(Math.ceil((shift * 4) / 3) + 1, base64.length - 4)
    forms.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'))
  }
  return forms.some((form) => text.includes(form))
}

/** A stored value as text: bytes byte for byte, objects field by field. */
function textOf(value: unknown): string {
  if (value instanceof Uint8Array) return Array.from(value, (b) => String.fromCharCode(b)).join('')
  if (value instanceof ArrayBuffer) return textOf(new Uint8Array(value))
  if (typeof value === 'object' && value !== null) return Object.values(value).map(textOf).join('\n')
  return String(value)
}

describe('indexedDBSecretKey in Chromium', () => {
  it('makes a non-extractable AES-GCM key, kept in IndexedDB as a CryptoKey, and reads the same one back', async () => {
    const database = `keys-${run}-1`
    const first = await indexedDBSecretKey({ database })
    expect(first.key).toBeInstanceOf(CryptoKey)
    expect(first.key.extractable).toBe(false)
    expect(first.key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 })
    await expect(crypto.subtle.exportKey('raw', first.key)).rejects.toThrow()
    await expect(crypto.subtle.exportKey('jwk', first.key)).rejects.toThrow()

    const storedEntry = await get<{ id: string; key: CryptoKey }>('app-models', createKeyvalStore(database, 'keys'))
    expect(storedEntry?.id).toBe(first.id)
    expect(storedEntry?.key).toBeInstanceOf(CryptoKey)

    const sealed = await sealSecret(first, API_KEY, place)
    const reloaded = await indexedDBSecretKey({ database })
    expect(reloaded.id).toBe(first.id)
    expect(reloaded).not.toBe(first)
    expect(await openSecret(reloaded, sealed, place)).toEqual({ ok: true, value: API_KEY })
  })

  it('gives tabs asking at once one key', async () => {
    const database = `keys-${run}-2`
    const keys = await Promise.all(Array.from({ length: 4 }, () => indexedDBSecretKey({ database })))
    expect(new Set(keys.map((k) => k.id)).size).toBe(1)
  })
})

describe('the LLMs store on sql.js in the page', () => {
  it('round-trips a key sealed: the image and the journal in IndexedDB never hold it in clear', async () => {
    const sqlJs = initSqlJs({ locateFile: () => wasmUrl })
    const imageDatabase = `llms-${run}`
    const secretKey = indexedDBSecretKey({ database: `keys-${run}-3` })
    const open = () => createSqlJsBackend({ sqlJs, storage: indexedDbStorage({ database: imageDatabase }) })

    const backend = await open()
    const store = createLLMsStore({ backend, secretKey })
    await whenSecretsOpen(store)
    store.getState().createModelsService({ id: 'openai', name: 'OpenAI', initializeSetup: () => ({ oaiKey: '' }) })
    store.getState().updateServiceSettings('openai', { oaiKey: API_KEY })
    await store.persist.flush()
    expect(holdsKey(textOf(backend.database.export()))).toBe(false)
    await backend.close()

    const stored = await values(createKeyvalStore(imageDatabase, 'images'))
    expect(stored.length).toBeGreaterThan(0)
    expect(holdsKey(textOf(stored))).toBe(false)

    const again = createLLMsStore({
      backend: await open(),
      secretKey: indexedDBSecretKey({ database: `keys-${run}-3` }),
    })
    expect(await whenSecretsOpen(again)).toEqual({})
    expect(again.getState().sources[0]?.setup).toEqual({ oaiKey: API_KEY })
    await again.persist.getBackend()?.close()
  })
})

/** Every file of the origin's OPFS, as text byte for byte (the sqlite-wasm pool keeps its files there). */
async function opfsText(directory?: FileSystemDirectoryHandle): Promise<string> {
  const root = directory ?? (await navigator.storage.getDirectory())
  let text = ''
  for await (const handle of (root as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
    if (handle.kind === 'directory') text += await opfsText(handle as FileSystemDirectoryHandle)
    else text += textOf(new Uint8Array(await (await (handle as FileSystemFileHandle).getFile()).arrayBuffer()))
  }
  return text
}

describe('the LLMs store on sqlite-wasm (OPFS) in the page', () => {
  it('round-trips a key sealed: no file of the origin holds it in clear', async () => {
    const worker = (): Worker =>
      new Worker(new URL('../../../backend-sqlite-wasm/src/worker.ts', import.meta.url), { type: 'module' })
    const name = `llms-${run}.db`
    const secretKey = indexedDBSecretKey({ database: `keys-${run}-4` })

    const backend = await createSqliteWasmBackend({ name, worker })
    const store = createLLMsStore({ backend, secretKey })
    await whenSecretsOpen(store)
    store.getState().createModelsService({ id: 'openai', name: 'OpenAI', initializeSetup: () => ({ oaiKey: '' }) })
    store.getState().updateServiceSettings('openai', { oaiKey: API_KEY })
    await store.persist.flush()
    await backend.close()

    const files = await opfsText()
    expect(files).toContain('zs-sealed:v1:')
    expect(holdsKey(files)).toBe(false)

    const again = createLLMsStore({ backend: await createSqliteWasmBackend({ name, worker }), secretKey })
    expect(await whenSecretsOpen(again)).toEqual({})
    expect(again.getState().sources[0]?.setup).toEqual({ oaiKey: API_KEY })
    await again.persist.getBackend()?.close()
  })
})
