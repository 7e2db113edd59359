import 'fake-indexeddb/auto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fileSecretKey, indexedDBSecretKey, openSecret, rawSecretKey, sealSecret } from '@zustand-sqlite/store-llms'
import { failure } from '../../../test-utils/backends'
import { KEYS, keysIn } from './helpers'

const place = { serviceId: 'openai', field: 'oaiKey' }

describe('fileSecretKey', () => {
  const dirs: string[] = []
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'zs-key-'))
    dirs.push(dir)
    return dir
  }
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('makes the key once, readable by its owner only, and reads the same key back', async () => {
    const path = join(tempDir(), 'secrets', 'app-models.key')
    const first = await fileSecretKey(path)
    if (process.platform !== 'win32') {
      expect(statSync(path).mode & 0o777).toBe(0o600)
      expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700)
    }
    const second = await fileSecretKey(path)
    expect(second.id).toBe(first.id)
    const sealed = await sealSecret(first, KEYS.openai, place)
    expect(await openSecret(second, sealed, place)).toEqual({ ok: true, value: KEYS.openai })
    await expect(crypto.subtle.exportKey('raw', first.key)).rejects.toThrow()
  })

  it('gives two callers racing to make it the same key', async () => {
    const path = join(tempDir(), 'app-models.key')
    const keys = await Promise.all(Array.from({ length: 8 }, () => fileSecretKey(path)))
    expect(new Set(keys.map((k) => k.id)).size).toBe(1)
  })

  it('refuses a file that is not a key file, never quoting it, and changes nothing', async () => {
    const path = join(tempDir(), 'app-models.key')
    writeFileSync(path, KEYS.openai)
    const error = await failure(() => fileSecretKey(path))
    expect(error).toMatchObject({ code: 'INVALID_OPTIONS' })
    expect(keysIn(String((error as Error).message))).toEqual([])
    expect(readFileSync(path, 'utf8')).toBe(KEYS.openai)
  })
})

describe('rawSecretKey', () => {
  it('takes 32 bytes and an id, non-extractable; refuses other lengths and ids', async () => {
    const key = await rawSecretKey(new Uint8Array(32).fill(1), 'app-key')
    expect(key.id).toBe('app-key')
    expect(key.key.extractable).toBe(false)
    expect(await failure(() => rawSecretKey(new Uint8Array(16), 'app-key'))).toMatchObject({ code: 'INVALID_OPTIONS' })
    expect(await failure(() => rawSecretKey(new Uint8Array(32), 'a:b'))).toMatchObject({ code: 'INVALID_OPTIONS' })
  })
})

describe('indexedDBSecretKey (fake IndexedDB; the browser tests run it in Chromium)', () => {
  it('makes a non-extractable key once per name, the same for concurrent callers', async () => {
    const database = `keys-${Math.random().toString(36).slice(2)}`
    const keys = await Promise.all([indexedDBSecretKey({ database }), indexedDBSecretKey({ database })])
    expect(keys[0].id).toBe(keys[1].id)
    expect((await indexedDBSecretKey({ database })).id).toBe(keys[0].id)
    expect((await indexedDBSecretKey({ database, name: 'another' })).id).not.toBe(keys[0].id)
    await expect(crypto.subtle.exportKey('raw', keys[0].key)).rejects.toThrow()
    const sealed = await sealSecret(keys[0], KEYS.openai, place)
    expect(await openSecret(keys[1], sealed, place)).toEqual({ ok: true, value: KEYS.openai })
  })
})
