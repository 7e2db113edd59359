// Entry of `npm run bench:server`: a bounded load on a @zustand-sqlite/server on 127.0.0.1. CLIENTS clients, each
// a user of its own with a chat folders store on @zustand-sqlite/backend-http, make WRITES writes each, all at once;
// each write is timed from its set() until its flush() resolved (the server committed it). Then every user's
// database is read back: no write may be lost. Run on the built packages (see run.ts for why).
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createAdaptorServer } from '@hono/node-server'
import { createHttpBackend } from '@zustand-sqlite/backend-http'
import { createServerHandler } from '@zustand-sqlite/server'
import { chatFoldersDefinition, createChatFoldersStore, listChatFolders } from '@zustand-sqlite/store-folders'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { timestamp, writeJson } from './report'

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)))
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 20)
const WRITES = Number(process.env['BENCH_WRITES'] ?? 200)

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number

const dir = mkdtempSync(join(tmpdir(), 'zs-bench-server-'))
const handler = createServerHandler({
  authenticate: (request) => request.headers.get('authorization')?.replace(/^Bearer /, ''),
  stores: [chatFoldersDefinition],
  dataDir: dir,
})
const server = createAdaptorServer({ fetch: handler.fetch })
await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`

try {
  const latencies: number[] = []
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      const store = createChatFoldersStore({
        backend: createHttpBackend({ url, headers: { authorization: `Bearer client-${client}` } }),
      })
      await new Promise<void>((done) =>
        store.persist.hasHydrated() ? done() : store.persist.onFinishHydration(() => done()),
      )
      for (let write = 0; write < WRITES; write++) {
        const at = performance.now()
        store.getState().createFolder(`Folder ${write}`)
        await store.persist.flush()
        latencies.push(performance.now() - at)
      }
    }),
  )
  const totalMs = performance.now() - started

  // Every user's database, read on the server's side: WRITES folders each.
  let lost = 0
  for (let client = 0; client < CLIENTS; client++) {
    const backend = createBetterSqlite3Backend({ filename: join(dir, `user-client-${client}.db`) })
    const { folders } = await listChatFolders(backend)
    lost += WRITES - folders.length
    await backend.close()
  }

  latencies.sort((a, b) => a - b)
  const writes = CLIENTS * WRITES
  const summary = {
    clients: CLIENTS,
    writesPerClient: WRITES,
    writes,
    lost,
    totalMs,
    writesPerSecond: (writes / totalMs) * 1000,
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99) },
  }
  console.log(
    `Server load: ${CLIENTS} clients x ${WRITES} writes (one folder each, set() until flush() resolved), ` +
      `127.0.0.1, better-sqlite3 file per user (WAL)`,
  )
  console.log(
    `  ${writes} writes in ${(totalMs / 1000).toFixed(1)} s (${summary.writesPerSecond.toFixed(0)}/s), lost: ${lost}; ` +
      `latency p50 ${summary.latencyMs.p50.toFixed(1)} ms, p90 ${summary.latencyMs.p90.toFixed(1)} ms, ` +
      `p99 ${summary.latencyMs.p99.toFixed(1)} ms`,
  )
  const startedAt = new Date().toISOString()
  const out = join(repoRoot, 'bench', 'results', `server-load-${timestamp(startedAt)}.json`)
  writeJson(out, { startedAt, ...summary })
  console.log(`Results: ${out}`)
  if (lost !== 0) process.exitCode = 1
} finally {
  await new Promise<void>((done) => server.close(() => done()))
  await handler.close()
  rmSync(dir, { recursive: true, force: true })
}
