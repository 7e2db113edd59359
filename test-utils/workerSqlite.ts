import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import type { AsyncSqlDriver, SqlResult, SqlValue } from '@zustand-sqlite/core'

// better-sqlite3 runs in a worker thread: every statement crosses a thread boundary as a message, and
// the SQL tier sees a truly asynchronous driver, as it would a browser worker or a network client.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.filename)
db.pragma('foreign_keys = ON')
db.pragma('busy_timeout = 5000')
const statements = new Map()
const bind = (params) => params.map((p) => (p instanceof Uint8Array ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p))
parentPort.on('message', ({ id, sql, params, kind }) => {
  try {
    if (kind !== 'run') {
      if (kind === 'close') db.close()
      else db.exec(sql)
      return parentPort.postMessage({ id, rows: [], columns: [], changes: 0 })
    }
    let stmt = statements.get(sql)
    if (stmt === undefined) statements.set(sql, (stmt = db.prepare(sql)))
    if (!stmt.reader) return parentPort.postMessage({ id, rows: [], columns: [], changes: stmt.run(bind(params)).changes })
    const rows = stmt.raw(true).all(bind(params))
    parentPort.postMessage({ id, rows, columns: stmt.columns().map((c) => c.name), changes: 0 })
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message), code: error && error.code } })
  }
})
`

/** An {@link AsyncSqlDriver} over better-sqlite3 running in a worker thread, on the file `filename`. */
export function workerSqliteDriver(filename: string): AsyncSqlDriver {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { filename, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
  })
  const waiting = new Map<number, { resolve: (result: SqlResult) => void; reject: (error: Error) => void }>()
  let nextId = 0
  worker.on('message', (message: SqlResult & { id: number; error?: { message: string; code?: string } }) => {
    const call = waiting.get(message.id)
    waiting.delete(message.id)
    if (message.error === undefined) call?.resolve(message)
    else call?.reject(Object.assign(new Error(message.error.message), { code: message.error.code }))
  })
  const send = (kind: 'run' | 'script' | 'close', sql = '', params: readonly SqlValue[] = []): Promise<SqlResult> =>
    new Promise((resolve, reject) => {
      const id = nextId++
      waiting.set(id, { resolve, reject })
      worker.postMessage({ id, sql, params, kind })
    })
  return {
    name: 'better-sqlite3 (worker)',
    execute: (sql, params) => send('run', sql, params),
    exec: async (sql) => {
      await send('script', sql)
    },
    close: async () => {
      await send('close')
      await worker.terminate()
    },
  }
}
