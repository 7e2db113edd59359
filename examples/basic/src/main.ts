import { mkdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { openAppSettings } from './appSettings'
import { runChats } from './chats'

// `npm start` at the repository root runs this from examples/basic; keep the file at the root's .data/.
const root = resolve(process.env['INIT_CWD'] ?? process.cwd())
const file = process.env['EXAMPLE_DB'] ?? join(root, '.data', 'example.db')
mkdirSync(resolve(file, '..'), { recursive: true })

const backend = createBetterSqlite3Backend({ filename: file })
console.log(`SQLite file: ${relative(process.cwd(), file) || file}`)

console.log('\nSettings stores (device, UI preferences, UX labs):')
const settingsCommits: string[] = []
const settings = await openAppSettings(
  backend,
  (line) => console.log(`  ${line}`),
  (info) => settingsCommits.push(`${info.rows} row(s): ${JSON.stringify(info.tables)}`),
)
console.log(`  Settings commits of this run: ${settingsCommits.join('; ')}`)

console.log('\nChats and chat folders stores:')
const commits: string[] = []
await runChats(
  backend,
  settings.ui.getState().actionCounters['example-runs'] ?? 1,
  (line) => console.log(`  ${line}`),
  (info) => commits.push(`${info.rows} row(s) in ${info.durationMs.toFixed(2)} ms: ${JSON.stringify(info.tables)}`),
)
console.log('  Chats commits of this run:')
for (const line of commits) console.log(`    ${line}`)
await backend.close()
