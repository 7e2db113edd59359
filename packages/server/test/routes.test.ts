import { readdirSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineRoute, patchSchema, rules } from '@zustand-sqlite/core'
import type { ApiRoute } from '@zustand-sqlite/core'
import { chatFoldersDefinition, chatFoldersRoutes } from '@zustand-sqlite/store-folders'
import { uxLabsRoutes } from '@zustand-sqlite/store-labs'
import { uiPreferencesRoutes, uiPreferencesRules } from '@zustand-sqlite/store-ui'
import { routeServer } from './routeServer'

// The roadmap's REST routes of the UI preferences, chat folders and UX labs, mounted from the store packages'
// route sets, through the server's Fetch API handler; hostile clients; the OpenAPI document generated from the
// routes' validators; an app's own route validated by zod.

/** An app's own route, with a zod body: any Standard Schema library validates and describes a route. */
const noteRoute = defineRoute({
  method: 'POST',
  path: '/notes',
  tag: 'notes',
  summary: 'Echoes a note',
  body: z.object({ note: z.string().min(1), pinned: z.boolean().optional() }),
  status: 201,
  handle: async ({ body, userId }) => ({ note: body.note, pinned: body.pinned ?? false, by: userId }),
})

const { call, make, replace, current, openApi } = routeServer({
  stores: [chatFoldersDefinition],
  routes: [...uiPreferencesRoutes(), ...chatFoldersRoutes(), ...uxLabsRoutes(), noteRoute],
})

describe('ui-preferences', () => {
  it('reads defaults, updates a patch, and resets', async () => {
    const first = await call('GET', '/api/ui-preferences')
    expect(first.status).toBe(200)
    expect(first.body.preferences.centerMode).toBe('full')
    expect(first.body.createdAt).toBeNull()

    const put = await call('PUT', '/api/ui-preferences', { body: { centerMode: 'wide', fontSize: 16 } })
    expect(put.status).toBe(200)
    expect(put.body.preferences).toMatchObject({ centerMode: 'wide', fontSize: 16 })
    expect(typeof put.body.updatedAt).toBe('number')
    expect((await call('GET', '/api/ui-preferences')).body.preferences).toMatchObject({ centerMode: 'wide' })

    const reset = await call('POST', '/api/ui-preferences/reset')
    expect(reset.status).toBe(200)
    expect(reset.body.preferences).toMatchObject({ centerMode: 'full', fontSize: first.body.preferences.fontSize })
  })

  it('refuses a bad patch with the path of the field, and writes nothing', async () => {
    await call('PUT', '/api/ui-preferences', { body: { centerMode: 'wide' } })
    const cases: [unknown, string][] = [
      [{ fontSize: 100 }, 'body.fontSize'],
      [{ centerMode: 'huge' }, 'body.centerMode'],
      [{ dismissals: { a: 'yes' } }, 'body.dismissals.a'],
      [{ isAdmin: true }, 'body.isAdmin'],
      [['centerMode'], 'body'],
    ]
    for (const [patch, path] of cases) {
      const response = await call('PUT', '/api/ui-preferences', { body: patch })
      expect(response.status, JSON.stringify(patch)).toBe(400)
      expect(response.body).toMatchObject({ code: 'INVALID_VALUE', path })
    }
    const malformed = await call('PUT', '/api/ui-preferences', { raw: '{"centerMode": ' })
    expect(malformed.status).toBe(400)
    expect(malformed.body.code).toBe('INVALID_REQUEST')
    expect((await call('GET', '/api/ui-preferences')).body.preferences.centerMode).toBe('wide')
  })

  it('refuses a 50 MB body with 413 before reading it, and writes nothing', async () => {
    const huge = JSON.stringify({ dismissals: { a: true }, pad: 'x'.repeat(50 * 1024 * 1024) })
    const response = await call('PUT', '/api/ui-preferences', { raw: huge })
    expect(response.status).toBe(413)
    expect(response.body.code).toBe('PAYLOAD_TOO_LARGE')
    expect((await call('GET', '/api/ui-preferences')).body.createdAt).toBeNull()
  })

  it('keeps each user to their own preferences', async () => {
    await call('PUT', '/api/ui-preferences', { body: { themeMode: 'dark' } })
    const bob = await call('GET', '/api/ui-preferences', { token: 'bob' })
    expect(bob.body.preferences.themeMode).toBe('system')
    expect(bob.body.createdAt).toBeNull()
  })
})

describe('authentication and routing', () => {
  it('answers 401 without a token or with a wrong one, before anything is read', async () => {
    for (const token of [null, 'mallory', '']) {
      for (const [method, path] of [
        ['GET', '/api/ui-preferences'],
        ['POST', '/api/chat-folders'],
        ['DELETE', '/api/chat-folders/x'],
        ['PUT', '/api/ux-labs/flags/x'],
      ] as const) {
        const response = await call(method, path, { token, ...(method === 'GET' ? {} : { body: { title: 'x' } }) })
        expect(response.status, `${method} ${path} ${token}`).toBe(401)
        expect(response.body.code).toBe('UNAUTHORIZED')
      }
    }
    // No user's database was opened.
    expect(readdirSync(current.dataDir)).toEqual([])
  })

  it('answers 404 for an unknown path and 405 for a method the path does not have', async () => {
    expect((await call('GET', '/api/nothing-here')).status).toBe(404)
    expect((await call('GET', '/api/chat-folders/a/b/c/d')).status).toBe(404)
    const wrongMethod = await call('DELETE', '/api/ui-preferences')
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.body.message).toContain('GET, PUT')
  })

  it('refuses routes that collide, use reserved paths or malformed segments', () => {
    const route = (path: string, method: ApiRoute['method'] = 'GET'): ApiRoute =>
      defineRoute({ method, path, tag: 't', summary: 's', handle: async () => null })
    const invalid = (routes: ApiRoute[]) => () => make({ routes })
    expect(invalid([route('/a/{id}'), route('/a/{other}')])).toThrow(/same method and path/)
    expect(invalid([route('/sync/x')])).toThrow(/server's own/)
    expect(invalid([route('/openapi.json')])).toThrow(/server's own/)
    expect(invalid([route('/a/../b')])).not.toThrow()
    expect(invalid([route('/a/{id')])).toThrow(/neither a name nor/)
    expect(invalid([route('no-slash')])).toThrow(/must start with/)
    expect(invalid([route('/a/{id}'), route('/a/{id}', 'PUT')])).not.toThrow()
  })

  it('prefers a literal segment over a parameter, and reads query numbers as its validator describes them', async () => {
    const seen: unknown[] = []
    const routes = [
      defineRoute({
        method: 'GET',
        path: '/things/{id}',
        tag: 't',
        summary: 'one',
        params: patchSchema({ id: rules.string({ maxLength: 10 }) }, { what: 'params', required: ['id'] }),
        handle: async ({ params }) => ({ id: params.id }),
      }),
      defineRoute({
        method: 'GET',
        path: '/things/latest',
        tag: 't',
        summary: 'latest',
        query: patchSchema({ limit: rules.integer({ min: 1, max: 50 }), q: rules.string() }, { what: 'query' }),
        handle: async ({ query }) => {
          seen.push(query)
          return 'latest'
        },
      }),
    ]
    await replace({ routes })
    expect((await call('GET', '/api/things/latest?limit=5&q=12')).body).toBe('latest')
    // `limit` is an integer to the validator, `q` a string: each arrives as its schema says.
    expect(seen).toEqual([{ limit: 5, q: '12' }])
    expect((await call('GET', '/api/things/abc')).body).toEqual({ id: 'abc' })
    expect((await call('GET', '/api/things/a%20b%2Fc')).body).toEqual({ id: 'a b/c' })
    const badQuery = await call('GET', '/api/things/latest?limit=abc')
    expect(badQuery).toMatchObject({ status: 400, body: { code: 'INVALID_VALUE', path: 'query.limit' } })
    const longId = await call('GET', '/api/things/abcdefghijklmnop')
    expect(longId).toMatchObject({ status: 400, body: { code: 'INVALID_VALUE', path: 'params.id' } })
  })
})

describe('chat-folders', () => {
  it('runs the six routes', async () => {
    const created = await call('POST', '/api/chat-folders', { body: { title: 'Work', color: '#407cf8' } })
    expect(created.status).toBe(201)
    const id: string = created.body.folder.id
    expect(created.body.folder).toMatchObject({ title: 'Work', color: '#407cf8', conversationIds: [] })
    await call('POST', '/api/chat-folders', { body: { title: 'Home' } })

    const renamed = await call('PUT', `/api/chat-folders/${id}`, {
      body: { title: 'Archive', color: null, isCollapsed: true },
    })
    expect(renamed.status).toBe(200)
    expect(renamed.body.folder).toEqual({ id, title: 'Archive', conversationIds: [], isCollapsed: true })

    const added = await call('POST', `/api/chat-folders/${id}/conversations`, { body: { conversationId: 'c1' } })
    await call('POST', `/api/chat-folders/${id}/conversations`, { body: { conversationId: 'c2' } })
    expect(added.body.folder.conversationIds).toEqual(['c1'])
    const removed = await call('DELETE', `/api/chat-folders/${id}/conversations/c1`)
    expect(removed.body.folder.conversationIds).toEqual(['c2'])

    const list = await call('GET', '/api/chat-folders')
    expect(list.body.folders.map((f: any) => f.folder.title)).toEqual(['Archive', 'Home'])
    expect(list.body.enableFolders).toBe(false)

    const deleted = await call('DELETE', `/api/chat-folders/${id}`)
    expect(deleted.status).toBe(204)
    expect(deleted.body).toBeUndefined()
    expect((await call('GET', '/api/chat-folders')).body.folders.map((f: any) => f.folder.title)).toEqual(['Home'])
    expect((await call('DELETE', `/api/chat-folders/${id}`)).body.code).toBe('NOT_FOUND')
  })

  it('writes through the same database the sync routes read', async () => {
    const { body } = await call('POST', '/api/chat-folders', { body: { title: 'Synced' } })
    const rows = await call('GET', '/api/sync/app-folders')
    expect(JSON.stringify(rows.body)).toContain(body.folder.id)
  })

  it("never reaches another user's folder, whatever the path or body say", async () => {
    const { body } = await call('POST', '/api/chat-folders', { body: { title: 'Alice only' } })
    const id: string = body.folder.id
    await call('POST', `/api/chat-folders/${id}/conversations`, { body: { conversationId: 'c1' } })
    const before = (await call('GET', '/api/chat-folders')).body

    const bob = { token: 'bob' }
    const attempts = [
      await call('PUT', `/api/chat-folders/${id}`, { ...bob, body: { title: 'Mine now' } }),
      await call('DELETE', `/api/chat-folders/${id}`, bob),
      await call('POST', `/api/chat-folders/${id}/conversations`, { ...bob, body: { conversationId: 'x' } }),
      await call('DELETE', `/api/chat-folders/${id}/conversations/c1`, bob),
    ]
    for (const attempt of attempts) expect(attempt).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } })
    expect((await call('GET', '/api/chat-folders', bob)).body.folders).toEqual([])
    // A body naming another user changes nothing: the user is the token's.
    const created = await call('POST', '/api/chat-folders', { ...bob, body: { title: 'x', userId: 'alice' } })
    expect(created).toMatchObject({ status: 400, body: { code: 'INVALID_VALUE', path: 'body.userId' } })
    expect((await call('GET', '/api/chat-folders')).body).toEqual(before)
  })

  it('keeps injected and traversing identifiers as plain strings', async () => {
    const { body } = await call('POST', '/api/chat-folders', { body: { title: "x'); DROP TABLE chat_folders; --" } })
    const id: string = body.folder.id
    const sneaky = "c1'; DELETE FROM chat_folders; --"
    const added = await call('POST', `/api/chat-folders/${id}/conversations`, { body: { conversationId: sneaky } })
    expect(added.body.folder.conversationIds).toEqual([sneaky])
    const removed = await call('DELETE', `/api/chat-folders/${id}/conversations/${encodeURIComponent(sneaky)}`)
    expect(removed.body.folder.conversationIds).toEqual([])
    for (const path of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', encodeURIComponent("' OR 1=1 --")]) {
      const response = await call('PUT', `/api/chat-folders/${path}`, { body: { title: 'y' } })
      expect(response).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } })
    }
    const tooLong = await call('PUT', `/api/chat-folders/${'a'.repeat(200)}`, { body: { title: 'y' } })
    expect(tooLong).toMatchObject({ status: 400, body: { path: 'params.id' } })
    const proto = await call('POST', '/api/chat-folders', { raw: '{"title":"p","__proto__":{"isAdmin":true}}' })
    expect(proto).toMatchObject({ status: 400, body: { path: 'body.__proto__' } })
    const list = (await call('GET', '/api/chat-folders')).body.folders
    expect(list.map((f: any) => f.folder.title)).toEqual(["x'); DROP TABLE chat_folders; --"])
  })

  it('refuses a folder without a title, or with a wrong type', async () => {
    expect((await call('POST', '/api/chat-folders', { body: {} })).body).toMatchObject({ path: 'body.title' })
    expect((await call('POST', '/api/chat-folders', { body: { title: 3 } })).body).toMatchObject({
      code: 'INVALID_VALUE',
      path: 'body.title',
    })
    expect((await call('GET', '/api/chat-folders')).body.folders).toEqual([])
  })
})

describe('ux-labs', () => {
  it('lists, sets flags and experiments, reads one flag, and resets', async () => {
    const first = await call('GET', '/api/ux-labs')
    expect(first.status).toBe(200)
    expect(first.body.rows).toEqual([])

    const set = await call('PUT', '/api/ux-labs/flags/sqlite-migration', { body: { enabled: true } })
    expect(set.body).toEqual({ name: 'sqlite-migration', enabled: true })
    expect((await call('GET', '/api/ux-labs/flags/sqlite-migration')).body.enabled).toBe(true)
    expect((await call('GET', '/api/ux-labs/flags/never-set')).body).toEqual({ name: 'never-set', enabled: false })

    const put = await call('PUT', '/api/ux-labs', {
      body: { enabledFlags: { 'my-flag': true }, experiments: { beam: { n: 3 } } },
    })
    expect(put.body.labs.enabledFlags).toMatchObject({ 'sqlite-migration': true, 'my-flag': true })
    expect(put.body.labs.experiments).toEqual({ beam: { n: 3 } })
    expect(put.body.rows.map((r: any) => r.name)).toEqual(expect.arrayContaining(['my-flag', 'sqlite-migration']))

    const reset = await call('POST', '/api/ux-labs/reset')
    expect(reset.body.labs.experiments).toEqual({})
    expect(reset.body.labs.enabledFlags['sqlite-migration']).toBe(false)
    // A flag this code does not know is kept by a reset.
    expect(reset.body.labs.enabledFlags['my-flag']).toBe(true)
  })

  it('refuses a flag that is not a boolean', async () => {
    const response = await call('PUT', '/api/ux-labs/flags/x', { body: { enabled: 'yes' } })
    expect(response).toMatchObject({ status: 400, body: { code: 'INVALID_VALUE', path: 'body.enabled' } })
    const patch = await call('PUT', '/api/ux-labs', { body: { enabledFlags: { x: 1 } } })
    expect(patch).toMatchObject({ status: 400, body: { path: 'body.enabledFlags.x' } })
    expect((await call('GET', '/api/ux-labs')).body.rows).toEqual([])
  })
})

describe("an app's own route with a zod body", () => {
  it("runs with what zod accepted, and answers zod's issue with its path", async () => {
    const ok = await call('POST', '/api/notes', { body: { note: 'hi' } })
    expect(ok).toEqual({ status: 201, body: { note: 'hi', pinned: false, by: 'alice' } })
    const bad = await call('POST', '/api/notes', { body: { note: '', pinned: 'no' } })
    expect(bad.status).toBe(400)
    expect(bad.body.code).toBe('INVALID_VALUE')
    expect(bad.body.path).toMatch(/^body\.(note|pinned)$/)
  })
})

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document, served without authentication', async () => {
    expect((await openApi()).openapi).toBe('3.1.0')
  })

  it("describes the roadmap's routes from the validators that check them", async () => {
    const { body: doc } = await call('GET', '/api/openapi.json', { token: null })
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(operations).toEqual(
      expect.arrayContaining([
        'GET /api/ui-preferences',
        'PUT /api/ui-preferences',
        'POST /api/ui-preferences/reset',
        'GET /api/chat-folders',
        'POST /api/chat-folders',
        'PUT /api/chat-folders/{id}',
        'DELETE /api/chat-folders/{id}',
        'POST /api/chat-folders/{id}/conversations',
        'DELETE /api/chat-folders/{id}/conversations/{convId}',
        'GET /api/ux-labs',
        'PUT /api/ux-labs/flags/{name}',
        'POST /api/sync/{store}',
      ]),
    )
    const putUi = doc.paths['/api/ui-preferences'].put
    const uiBody = putUi.requestBody.content['application/json'].schema
    expect(Object.keys(uiBody.properties).sort()).toEqual(Object.keys(uiPreferencesRules).sort())
    expect(uiBody.properties.fontSize).toEqual({ type: 'integer', minimum: 8, maximum: 48 })
    expect(uiBody.additionalProperties).toBe(false)

    const create = doc.paths['/api/chat-folders'].post
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['title'])
    expect(create.responses['201']).toBeDefined()
    const link = doc.paths['/api/chat-folders/{id}/conversations/{convId}'].delete
    expect(link.parameters.map((p: any) => [p.in, p.name, p.schema.maxLength])).toEqual([
      ['path', 'id', 128],
      ['path', 'convId', 128],
    ])
    expect(link.responses['404']).toBeDefined()
    expect(doc.paths['/api/chat-folders/{id}'].delete.responses['204']).toEqual({ description: 'Done' })

    // zod's own JSON Schema, through the Standard JSON Schema interface.
    const notes = doc.paths['/api/notes'].post.requestBody.content['application/json'].schema
    expect(notes.properties.note).toMatchObject({ type: 'string', minLength: 1 })
    expect(notes.required).toEqual(['note'])
    expect(new Set(operations.map((o) => o))).toHaveProperty('size', operations.length)
  })

  it('is not served when turned off, and says how requests authenticate when told', async () => {
    await replace({ openapi: false })
    expect((await call('GET', '/api/openapi.json')).status).toBe(404)
    await replace({
      openapi: { title: 'Chat API', version: '2.0.0', securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    })
    const doc = await openApi()
    expect(doc.info).toEqual({ title: 'Chat API', version: '2.0.0' })
    expect(doc.security).toEqual([{ bearer: [] }])
  })
})
