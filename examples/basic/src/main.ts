import { mkdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { openAppSettings } from './appSettings'
import { createChatStore } from './chatStore'

// `npm start` at the repository root runs this from examples/basic; keep the file at the root's .data/.
const root = resolve(process.env['INIT_CWD'] ?? process.cwd())
const file = process.env['EXAMPLE_DB'] ?? join(root, '.data', 'example.db')
mkdirSync(resolve(file, '..'), { recursive: true })

const backend = createBetterSqlite3Backend({ filename: file })
console.log(`SQLite file: ${relative(process.cwd(), file) || file}`)

console.log('\nSettings stores (device, UI preferences, UX labs):')
const settingsCommits: string[] = []
await openAppSettings(
  backend,
  (line) => console.log(`  ${line}`),
  (info) => settingsCommits.push(`${info.rows} row(s): ${JSON.stringify(info.tables)}`),
)
console.log(`  Settings commits of this run: ${settingsCommits.join('; ')}`)

console.log('\nChat store:')
const commits: string[] = []
const store = createChatStore(backend, (info) =>
  commits.push(`${info.rows} row(s) in ${info.durationMs.toFixed(2)} ms: ${JSON.stringify(info.tables)}`),
)

// better-sqlite3 is synchronous: the stored state is already here, no loading step.
const before = store.getState()
if (before.runs === 0) {
  console.log('First run: nothing stored yet. Run `npm start` again to see this state come back.')
} else {
  console.log(
    `Welcome back: run #${before.runs + 1}. Found ${before.conversations.length} conversation(s) from earlier runs:`,
  )
  for (const c of before.conversations.slice(0, 5)) {
    const last = c.messages.at(-1)
    console.log(`  - ${c.title} (${c.messages.length} messages)${last ? `, last: "${last.text}"` : ''}`)
  }
}

const { countRun, newConversation, appendMessage, editMessage } = store.getState()
countRun()
const id = newConversation(`Conversation of run #${before.runs + 1}`)
appendMessage(id, { id: 'm1', role: 'user', text: 'What does persistSQLite write?', created: Date.now() })
appendMessage(id, { id: 'm2', role: 'assistant', text: 'Only', created: Date.now() })
await store.persist.flush()

// A streamed answer: each token is one set; each flush commits one row.
for (const token of [' the', ' rows', ' that', ' changed.']) {
  const message = store.getState().conversations[0]?.messages.find((m) => m.id === 'm2')
  editMessage(id, 'm2', `${message?.text ?? ''}${token}`)
  await store.persist.flush()
}

console.log('\nCommits of this run:')
for (const line of commits) console.log(`  ${line}`)
const after = store.getState()
console.log(`\nStored: ${after.conversations.length} conversation(s), run count ${after.runs}.`)
await backend.close()
