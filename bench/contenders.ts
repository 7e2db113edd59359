import { statSync } from 'node:fs'
import { persistSQLite, whenHydrated } from '@zustand-sqlite/core'
import { createBetterSqlite3Backend } from '@zustand-sqlite/backend-better-sqlite3'
import { persist } from 'zustand/middleware'
import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import { applyEdit } from './dataset'
import type { ChatState, Edit } from './dataset'
import { openRawDatabase } from './engines'
import { deleteStoredJson, idbJsonStorage, storedJsonLength } from './jsonStorage'
import type { BenchOptions } from './options'
import { chatSchema, RAW_CHAT_DDL } from './schemas'

export type ContenderName = 'NONE' | 'JSON' | 'RAW' | 'LIB'

/** One way of keeping the chat store: the same Zustand store, persisted (or not) in its own way. */
export interface ChatContender {
  readonly name: ContenderName
  readonly store: StoreApi<ChatState>
  /** Applies an edit as an app would; returns (or resolves) once the change is committed. */
  edit(edit: Edit): unknown
  /** Sets a state computed beforehand (the edit applied), and commits it: the cost of persisting alone. */
  commit(next: ChatState, edit: Edit): unknown
  /** What the contender keeps on storage: file or string sizes. */
  storage(): Promise<Record<string, number>>
  close(): Promise<void>
}

/** Commits LIB reported through onCommit, to check that every set is one transaction. */
export interface CommitLog {
  commits: number
  rows: number
  /** Rows of each commit, in order. */
  rowsPerCommit: number[]
}

export interface LibChat extends ChatContender {
  readonly log: CommitLog
}

/** Size of a SQLite file plus its WAL (committed pages may still sit in the WAL). */
export function databaseBytes(file: string): Record<string, number> {
  const size = (path: string): number => {
    try {
      return statSync(path).size
    } catch {
      return 0
    }
  }
  return { databaseFile: size(file), walFile: size(`${file}-wal`) }
}

export function openNone(state: ChatState): ChatContender {
  const store = createStore<ChatState>()(() => state)
  return {
    name: 'NONE',
    store,
    edit: (edit) => store.setState((s) => applyEdit(s, edit)),
    commit: (next) => store.setState(next),
    storage: () => Promise.resolve({}),
    close: () => Promise.resolve(),
  }
}

export async function openJson(name: string, state: ChatState): Promise<ChatContender> {
  const store = createStore<ChatState>()(persist(() => state, { name, storage: idbJsonStorage<ChatState>() }))
  await whenHydrated(store)
  // Zustand 5's persist returns the storage's setItem promise from setState: awaited, the write is committed.
  const written: unknown = store.setState({})
  await written
  return {
    name: 'JSON',
    store,
    edit: (edit): unknown => store.setState((s) => applyEdit(s, edit)),
    commit: (next): unknown => store.setState(next),
    storage: async () => ({ jsonStringLength: await storedJsonLength(name) }),
    close: () => deleteStoredJson(name),
  }
}

const sortKey = (index: number): string => `a${index.toString(36).padStart(6, '0')}`

/**
 * Hand-written SQL on the same engine, settings (`synchronous` as LIB's) and layout as LIB: one prepared
 * UPDATE per edited message, one transaction per set.
 */
export function openRaw(file: string, state: ChatState, synchronous: BenchOptions['synchronous']): ChatContender {
  const db = openRawDatabase(file, synchronous)
  db.exec(RAW_CHAT_DDL)
  const insertConversation = db.prepare(
    'INSERT INTO conversations (id, title, created, updated, sort_key) VALUES (?, ?, ?, ?, ?)',
  )
  const insertMessage = db.prepare(
    'INSERT INTO messages (conversation_id, id, role, text, created, updated, sort_key) VALUES (?, ?, ?, ?, ?, ?, ?)',
  )
  db.transaction(() => {
    state.conversations.forEach((c, i) => {
      insertConversation.run(c.id, c.title, c.created, c.updated, sortKey(i))
      c.messages.forEach((m, j) => insertMessage.run(c.id, m.id, m.role, m.text, m.created, m.updated, sortKey(j)))
    })
  })()
  const store = createStore<ChatState>()(() => state)
  const update = db.prepare('UPDATE messages SET text = ?, updated = ? WHERE conversation_id = ? AND id = ?')
  const write = db.transaction((edit: Edit, next: ChatState) => {
    for (const change of edit.changes) {
      const conversation = next.conversations[change.conversation]!
      update.run(change.text, edit.updated, conversation.id, conversation.messages[change.message]!.id)
    }
  })
  return {
    name: 'RAW',
    store,
    edit: (edit) => {
      store.setState((s) => applyEdit(s, edit))
      write(edit, store.getState())
    },
    commit: (next, edit) => {
      store.setState(next)
      write(edit, next)
    },
    storage: () => Promise.resolve(databaseBytes(file)),
    close: () => {
      db.close()
      return Promise.resolve()
    },
  }
}

/**
 * This library: persistSQLite on better-sqlite3 (a file, WAL); `synchronous` is the run's
 * (BENCH_SYNCHRONOUS), or the backend's default, NORMAL, when not given.
 */
export async function openLib(
  file: string,
  name: string,
  state: ChatState,
  synchronous: BenchOptions['synchronous'] = 'NORMAL',
): Promise<LibChat> {
  const backend = createBetterSqlite3Backend({ filename: file, synchronous })
  const log: CommitLog = { commits: 0, rows: 0, rowsPerCommit: [] }
  const store = createStore<ChatState>()(
    persistSQLite(() => state, {
      name,
      backend,
      schema: chatSchema,
      onCommit: (info) => {
        log.commits++
        log.rows += info.rows
        log.rowsPerCommit.push(info.rows)
      },
    }),
  )
  await whenHydrated(store)
  // Nothing is stored yet: the first write stores the whole dataset.
  store.setState({})
  await store.persist.flush()
  return {
    name: 'LIB',
    store,
    log,
    edit: (edit) => {
      store.setState((s) => applyEdit(s, edit))
      return store.persist.flush()
    },
    commit: (next) => {
      store.setState(next)
      return store.persist.flush()
    },
    storage: () => Promise.resolve(databaseBytes(file)),
    close: async () => {
      await backend.close()
    },
  }
}
