import { rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import { afterAll, beforeAll } from 'vitest'
import type { ServerHandler } from '@zustand-sqlite/server'

/**
 * Serves `handler` on 127.0.0.1 (a free port, Node's http server through @hono/node-server) for the tests of a
 * file, and closes it, its databases and `dir` after them. `url()` is the server's API URL once it listens.
 */
export function serveForTests(handler: ServerHandler, dir: string, onRequest: () => void = () => undefined) {
  const server = createAdaptorServer({
    fetch: (request: Request) => {
      onRequest()
      return handler.fetch(request)
    },
  })
  let url = ''
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await handler.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return { url: () => url }
}
