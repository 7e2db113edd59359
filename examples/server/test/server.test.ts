import { spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { hydrated } from '@zustand-sqlite/core/testing'
import { createHttpBackend } from '@zustand-sqlite/backend-http'
import { createUIPreferencesStore } from '@zustand-sqlite/store-ui'

// The example server as `npm start -w examples/server` runs it, in a child process on a free port, and the UI
// preferences store of an app kept on it through the HTTP backend.

const root = fileURLToPath(new URL('../../../', import.meta.url))
const children: ChildProcess[] = []
const dirs: string[] = []

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Starts the example server and resolves to its API URL once it listens. */
function start(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/server/src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', ZS_TOKENS: 'alice:alice-token-1,bob:bob-token-22', ZS_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const found = /listening on (http:\/\/\S+\/api)/.exec(output)
      if (found?.[1] !== undefined) resolve({ url: found[1], child })
    })
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.on('exit', (code) => reject(new Error(`the server exited (${String(code)}): ${output}`)))
  })
}

const stopped = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.on('exit', () => resolve())
    child.kill('SIGTERM')
  })

describe('the example server', () => {
  it('keeps each user their stores across a restart, and answers 401 to a wrong token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zs-example-server-'))
    dirs.push(dataDir)
    const first = await start(dataDir)
    const alice = { authorization: 'Bearer alice-token-1' }
    const ui = createUIPreferencesStore({ backend: createHttpBackend({ url: first.url, headers: alice }) })
    await hydrated(ui)
    ui.getState().setThemeMode('dark')
    ui.getState().setPreferredLanguage('fr-FR')
    await ui.persist.flush()

    const wrong = await fetch(`${first.url}/sync/app-ui`, { headers: { authorization: 'Bearer alice-token-2' } })
    expect(wrong.status).toBe(401)
    const bob = createUIPreferencesStore({
      backend: createHttpBackend({ url: first.url, headers: { authorization: 'Bearer bob-token-22' } }),
    })
    await hydrated(bob)
    expect(bob.getState().themeMode).not.toBe('dark')

    await stopped(first.child)
    const second = await start(dataDir)
    const again = createUIPreferencesStore({ backend: createHttpBackend({ url: second.url, headers: alice }) })
    await hydrated(again)
    expect(again.getState().themeMode).toBe('dark')
    expect(again.getState().preferredLanguage).toBe('fr-FR')
    expect(
      readdirSync(dataDir)
        .filter((f) => f.endsWith('.db'))
        .sort(),
    ).toEqual(['user-alice.db', 'user-bob.db'])
  })

  it("serves the stores' REST routes on the same data as the sync routes, and their OpenAPI document", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zs-example-server-'))
    dirs.push(dataDir)
    const { url } = await start(dataDir)
    const alice = { authorization: 'Bearer alice-token-1' }
    const ui = createUIPreferencesStore({ backend: createHttpBackend({ url, headers: alice }) })
    await hydrated(ui)
    ui.getState().setThemeMode('dark')
    await ui.persist.flush()

    // The store's write, read through REST; a REST write, read by the store after a rehydration.
    const read = (await (await fetch(`${url}/ui-preferences`, { headers: alice })).json()) as {
      preferences: { themeMode: string }
    }
    expect(read.preferences.themeMode).toBe('dark')
    const put = await fetch(`${url}/ui-preferences`, {
      method: 'PUT',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ fontSize: 18 }),
    })
    expect(put.status).toBe(200)
    await ui.persist.rehydrate()
    expect(ui.getState().fontSize).toBe(18)
    expect(ui.getState().themeMode).toBe('dark')

    const folder = await fetch(`${url}/chat-folders`, {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'From curl' }),
    })
    expect(folder.status).toBe(201)

    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
      paths: Record<string, unknown>
      security: unknown
    }
    for (const path of [
      '/api/ui-preferences',
      '/api/chat-folders/{id}',
      '/api/ux-labs',
      '/api/metrics/events',
      '/api/workspace',
    ])
      expect(Object.keys(doc.paths)).toContain(path)
    expect(doc.security).toEqual([{ bearer: [] }])
  })

  it('refuses to start without tokens', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'examples/server/src/main.ts'], {
      cwd: root,
      env: { ...process.env, PORT: '0', ZS_TOKENS: '' },
      encoding: 'utf8',
    })
    expect(result.status).toBe(1)
    expect(result.stderr).toContain('ZS_TOKENS')
  })
})
