// Entry of `npm run bench:migration`: the time to move a large big-AGI chats store from its legacy
// storage into SQLite with `migrateStores` (read, import, backup, one transaction, verification, record),
// beside what the app already pays at every start on the legacy storage (its persist hydrating the same
// value), and the size of the database it leaves. Run on the built packages (see run.ts for why).
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import initSqlJs from 'sql.js'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { createSqlJsBackend } from '@zustand-sqlite/backend-sqljs'
import type { Backend } from '@zustand-sqlite/core'
import { migrateStores, stateStorageSource } from '@zustand-sqlite/migrate'
import { chatsLegacy } from '@zustand-sqlite/store-chats'
import { largeChats, MemoryStorage } from '../packages/migrate/test/fixtures/legacyData'
import { hydrateLegacy } from '../packages/migrate/src/rollback'
import { timestamp, writeJson } from './report'

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)))
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3)
const CONVERSATIONS = 300
const MESSAGES_PER_CONVERSATION = 10
const TEXT_BYTES = 2000

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

const text = largeChats(CONVERSATIONS, MESSAGES_PER_CONVERSATION, TEXT_BYTES)
const legacyBytes = Buffer.byteLength(text)
const sqlJs = await initSqlJs()

interface Contender {
  readonly name: string
  readonly open: (file: string) => Backend | Promise<Backend>
}
const contenders: readonly Contender[] = [
  { name: 'better-sqlite3 (WAL, synchronous=NORMAL)', open: (file) => createBetterSqlite3Backend({ filename: file }) },
  { name: 'sql.js (file image)', open: (file) => createSqlJsBackend({ sqlJs, storage: { file } }) },
]

const figures: Record<string, { ms: number[]; bytes: number; rows: number }> = {}
const legacyMs: number[] = []
for (let run = 0; run < RUNS; run++) {
  // Interleaved: one run of each contender, then the next run.
  const storage = new MemoryStorage({ 'app-chats': text })
  const source = stateStorageSource(storage, 'indexedDB')
  let started = performance.now()
  await hydrateLegacy(chatsLegacy, source)
  legacyMs.push(performance.now() - started)

  for (const contender of contenders) {
    const dir = mkdtempSync(join(tmpdir(), 'zs-bench-migration-'))
    const file = join(dir, 'app.db')
    try {
      const backend = await contender.open(file)
      started = performance.now()
      const result = await migrateStores({ backend, stores: [chatsLegacy], sources: { indexedDB: source } })
      await backend.flush()
      const ms = performance.now() - started
      await backend.close()
      if (!result.ok) throw new Error(`${contender.name}: ${JSON.stringify(result.stores)}`)
      const entry = (figures[contender.name] ??= { ms: [], bytes: 0, rows: 0 })
      entry.ms.push(ms)
      entry.bytes = statSync(file).size
      entry.rows = result.rows
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

const legacyMedian = median(legacyMs)
const counts = chatsLegacy.count(
  (await chatsLegacy.import(text, { backend: undefined as never, imported: () => undefined }))!.state,
)
console.log(
  `Migration of app-chats: ${counts['conversations']} conversations, ${counts['messages']} messages, ` +
    `${(legacyBytes / 1024 / 1024).toFixed(2)} MiB of legacy JSON; median of ${RUNS} runs, interleaved`,
)
console.log(`  the app's persist hydrating it (status quo, every start): ${legacyMedian.toFixed(0)} ms`)
const results: Record<string, unknown> = {}
for (const [name, entry] of Object.entries(figures)) {
  const ms = median(entry.ms)
  console.log(
    `  ${name}: ${ms.toFixed(0)} ms once (${(ms / legacyMedian).toFixed(1)}x one legacy hydration), ` +
      `${entry.rows} rows, database ${(entry.bytes / 1024 / 1024).toFixed(2)} MiB ` +
      `(${(entry.bytes / legacyBytes).toFixed(2)}x the legacy JSON, backup included)`,
  )
  results[name] = { medianMs: ms, runsMs: entry.ms, rows: entry.rows, databaseBytes: entry.bytes }
}
const startedAt = new Date().toISOString()
const out = join(repoRoot, 'bench', 'results', `migration-${timestamp(startedAt)}.json`)
writeJson(out, {
  startedAt,
  runs: RUNS,
  dataset: { ...counts, legacyBytes },
  legacyHydrationMs: { medianMs: legacyMedian, runsMs: legacyMs },
  migration: results,
})
console.log(`Results: ${out}`)
