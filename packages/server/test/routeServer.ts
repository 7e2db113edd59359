import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Validator } from '@seriousme/openapi-schema-validator'
import { afterEach, beforeEach, expect } from 'vitest'
import { createServerHandler } from '@zustand-sqlite/server'
import type { ServerHandler, ServerHandlerOptions } from '@zustand-sqlite/server'

/** Bearer tokens of the REST route tests and their users; any other token is not authenticated. */
export const TOKENS: Readonly<Record<string, string>> = { alice: 'alice', bob: 'bob' }

/** A response: its status and its JSON body (`undefined` when it has none). */
export interface Answer {
  status: number
  body: any
}

/** What a test sends: the bearer token (`null`: none; default `alice`), a JSON body, or a raw one. */
export interface CallOptions {
  token?: string | null
  body?: unknown
  raw?: string
}

/**
 * A server for each test of the file, on a temporary data directory, authenticating `Bearer <token>` by
 * {@link TOKENS}; `options` are the rest of its options. `make` makes another (with other options) for a test
 * that needs it; `call` sends to the current one.
 */
export function routeServer(options: Omit<ServerHandlerOptions, 'authenticate' | 'dataDir'>) {
  const current = { server: undefined as unknown as ServerHandler, dataDir: '' }
  const make = (extra: Partial<ServerHandlerOptions> = {}): ServerHandler =>
    createServerHandler({
      authenticate: (request) => TOKENS[(request.headers.get('authorization') ?? '').replace(/^Bearer /, '')],
      dataDir: current.dataDir,
      ...options,
      ...extra,
    })
  beforeEach(() => {
    current.dataDir = mkdtempSync(join(tmpdir(), 'zs-routes-'))
    current.server = make()
  })
  afterEach(async () => {
    await current.server.close()
    rmSync(current.dataDir, { recursive: true, force: true })
  })
  const call = async (method: string, path: string, call: CallOptions = {}): Promise<Answer> => {
    const headers: Record<string, string> = {}
    const token = call.token === undefined ? 'alice' : call.token
    if (token !== null) headers['authorization'] = `Bearer ${token}`
    const body = call.raw ?? (call.body === undefined ? undefined : JSON.stringify(call.body))
    if (body !== undefined) headers['content-type'] = 'application/json'
    const response = await current.server.fetch(
      new Request(`http://127.0.0.1${path}`, { method, headers, ...(body === undefined ? {} : { body }) }),
    )
    const text = await response.text()
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) }
  }
  /** Replaces the current server by one made with `extra` (the current one closed first). */
  const replace = async (extra: Partial<ServerHandlerOptions>): Promise<void> => {
    await current.server.close()
    current.server = make(extra)
  }
  /** The server's OpenAPI document, asked without a token and checked valid as OpenAPI 3.1. */
  const openApi = async (): Promise<any> => {
    const { status, body } = await call('GET', '/api/openapi.json', { token: null })
    expect(status).toBe(200)
    const result = await new Validator().validate(body)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    return body
  }
  return { call, make, replace, current, openApi }
}
