import { timingSafeEqual } from 'node:crypto'
import { createAdaptorServer } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import { createServerHandler } from '@zustand-sqlite/server'
import { chatsDefinition } from '@zustand-sqlite/store-chats'
import { deviceDefinition } from '@zustand-sqlite/store-device'
import { chatFoldersDefinition, chatFoldersRoutes } from '@zustand-sqlite/store-folders'
import { uxLabsDefinition, uxLabsRoutes } from '@zustand-sqlite/store-labs'
import { metricsDefinition, metricsRoutes } from '@zustand-sqlite/store-metrics'
import { uiPreferencesDefinition, uiPreferencesRoutes } from '@zustand-sqlite/store-ui'
import { workspaceDefinition, workspaceRoutes } from '@zustand-sqlite/store-workspace'

// A zustand-sqlite server for the app's stores, their sync routes and REST routes: one SQLite file per user under ZS_DATA_DIR, each request
// authenticated by a bearer token of ZS_TOKENS ("user:token,user:token"), on Node's http server.
//
//   ZS_TOKENS=alice:secret-a,bob:secret-b npm start -w examples/server
//   curl -H 'authorization: Bearer secret-a' http://127.0.0.1:8787/api/ui-preferences
//   curl http://127.0.0.1:8787/api/openapi.json

const port = Number(process.env['PORT'] ?? 8787)
const host = process.env['HOST'] ?? '127.0.0.1'
const dataDir = process.env['ZS_DATA_DIR'] ?? '.data/server'

/** `user:token` pairs; a token is at least 8 characters, a user id a name of letters, digits, `-` and `_`. */
function parseTokens(text: string): Map<string, string> {
  const byToken = new Map<string, string>()
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.indexOf(':')
    const user = pair.slice(0, at)
    const token = pair.slice(at + 1)
    if (at <= 0 || !/^[A-Za-z0-9_-]{1,64}$/.test(user) || token.length < 8)
      throw new Error(`ZS_TOKENS: "${pair.slice(0, 20)}..." is not user:token (a token of 8 characters or more)`)
    byToken.set(token, user)
  }
  return byToken
}

const tokens = parseTokens(process.env['ZS_TOKENS'] ?? '')
if (tokens.size === 0) {
  console.error('Set ZS_TOKENS to the users and their bearer tokens, e.g. ZS_TOKENS=alice:secret-a,bob:secret-b')
  process.exit(1)
}

/** The user of a bearer token, compared in constant time with each known token. */
function userOf(request: Request): string | undefined {
  const given = Buffer.from((request.headers.get('authorization') ?? '').replace(/^Bearer /, ''), 'utf8')
  let user: string | undefined
  for (const [token, id] of tokens) {
    const known = Buffer.from(token, 'utf8')
    if (known.length === given.length && timingSafeEqual(known, given)) user = id
  }
  return user
}

const server = createServerHandler({
  authenticate: userOf,
  stores: [
    uiPreferencesDefinition,
    uxLabsDefinition,
    deviceDefinition,
    chatsDefinition,
    chatFoldersDefinition,
    metricsDefinition,
    workspaceDefinition,
  ],
  routes: [
    ...uiPreferencesRoutes(),
    ...uxLabsRoutes(),
    ...chatFoldersRoutes(),
    ...metricsRoutes(),
    ...workspaceRoutes(),
  ],
  openapi: {
    title: 'zustand-sqlite example server',
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
  },
  dataDir,
})

const http = createAdaptorServer({ fetch: server.fetch })
http.listen(port, host, () => {
  const { port: bound } = http.address() as AddressInfo
  console.log(`zustand-sqlite server listening on http://${host}:${bound}/api (data in ${dataDir})`)
})

const stop = (): void => {
  http.close(() => void server.close().then(() => process.exit(0)))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
