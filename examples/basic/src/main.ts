import { mkdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import type { CommitInfo } from '@zustand-sqlite/core'
import { createWorkspaceStore } from '@zustand-sqlite/store-workspace'
import { openAppSettings } from './appSettings'
import { runChats } from './chats'
import { runWorkspace } from './workspace'

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
const workspaceCommits: CommitInfo[] = []
const workspace = createWorkspaceStore({ backend, onCommit: (info) => workspaceCommits.push(info) })
const run = settings.ui.getState().actionCounters['example-runs'] ?? 1
const { conversationId } = await runChats(
  backend,
  run,
  (line) => console.log(`  ${line}`),
  (info) => commits.push(`${info.rows} row(s) in ${info.durationMs.toFixed(2)} ms: ${JSON.stringify(info.tables)}`),
  // A deleted conversation takes its file assignments with it.
  (ids) => ids.forEach((id) => workspace.getState().remove(id)),
)
console.log('  Chats commits of this run:')
for (const line of commits) console.log(`    ${line}`)

console.log('\nWorkspace store:')
await runWorkspace(workspace, workspaceCommits, conversationId, run, (line) => console.log(`  ${line}`))
await workspace.persist.flush()
await backend.close()
