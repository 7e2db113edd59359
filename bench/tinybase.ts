// TinyBase, the peer of P1 (bench/targets/peers.ts): the chat as two TinyBase tables, `conversations` and
// `messages` (one row per conversation / message), saved to a SQLite file by TinyBase's own SQLite persister in
// tabular mode. TinyBase 6 ships no persister for better-sqlite3, but it exports the one its SQLite persisters are
// made of, createCustomSqlitePersister, over a plain "run this SQL" callback: given better-sqlite3, it runs on the
// same engine as LIB, on a connection with LIB's settings (WAL, synchronous=NORMAL). The chat goes in one of two
// ways (TinyBaseFill): all at once before auto-save starts, or as changes once auto-save runs.
import Database from 'better-sqlite3'
import { createStore } from 'tinybase'
import type { Row, Store, Tables } from 'tinybase'
import { createCustomSqlitePersister } from 'tinybase/persisters'
import type { DatabaseExecuteCommand, DpcTabular, Persister, Persists } from 'tinybase/persisters'
import { databaseBytes } from './contenders'
import type { ChatState, Conversation, Message } from './dataset'
import { openRawDatabase } from './engines'
import type { BenchOptions } from './options'
import type { MessageAppend, MessageAt, MessageEdit } from './replaceEdits'

/** Tabular mode: each Store table to the SQLite table of the same name, a column per cell, the row id in `_id`. */
const TABULAR: DpcTabular = {
  mode: 'tabular',
  tables: {
    load: { conversations: 'conversations', messages: 'messages' },
    save: { conversations: 'conversations', messages: 'messages' },
  },
}

/** Prepared statements kept per SQL text, as LIB's backend keeps its own: the peer does not pay for preparing. */
const STATEMENT_CACHE_SIZE = 64

/** Persister.getStatus() values (a const enum in TinyBase's types, which isolatedModules cannot read). */
const IDLE = 0

/**
 * TinyBase's SQLite persister over a better-sqlite3 connection. TinyBase 6 writes numbered placeholders (`$1`,
 * `$2`, ...), which better-sqlite3 takes as named ones, so the values are bound by number.
 *
 * @example
 * ```ts
 * const config: DpcTabular = { mode: 'tabular', tables: { save: { messages: 'messages' } } }
 * const persister = createBetterSqlite3TinyBasePersister(createStore(), new Database(file), config, console.warn)
 * await persister.startAutoSave()
 * ```
 */
export function createBetterSqlite3TinyBasePersister(
  store: Store,
  db: Database.Database,
  config: DpcTabular,
  onIgnoredError: (error: unknown) => void,
): Persister {
  const statements = new Map<string, Database.Statement>()
  const prepare = (sql: string): Database.Statement => {
    let statement = statements.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear()
      statements.set(sql, statement)
    }
    return statement
  }
  const execute: DatabaseExecuteCommand = (sql, params = []) => {
    const statement = prepare(sql)
    const values: Record<number, unknown> = {}
    params.forEach((value: unknown, index) => (values[index + 1] = value))
    if (statement.reader) return Promise.resolve(statement.all(values) as Record<string, unknown>[])
    statement.run(values)
    return Promise.resolve([])
  }
  return createCustomSqlitePersister(
    store,
    config,
    execute,
    // better-sqlite3 reports no changes made by other connections; auto-load (not used here) would poll.
    () => undefined,
    () => undefined,
    undefined,
    onIgnoredError,
    () => undefined,
    1 as Persists.StoreOnly,
    db,
  )
}

const conversationRow = (c: Conversation): Row => ({ title: c.title, created: c.created, updated: c.updated })

/** A message row names its conversation. */
const messageRow = (conversationId: string, m: Message): Row => ({
  conversation_id: conversationId,
  role: m.role,
  text: m.text,
  created: m.created,
  updated: m.updated,
})

/** The chat as TinyBase tables: row ids are the conversation and message ids. */
export function chatTables(state: ChatState): Tables {
  const conversations: Tables[string] = {}
  const messages: Tables[string] = {}
  for (const c of state.conversations) {
    conversations[c.id] = conversationRow(c)
    for (const m of c.messages) messages[m.id] = messageRow(c.id, m)
  }
  return { conversations, messages }
}

/**
 * How the chat goes into TinyBase before the timed operations:
 * - `bulk`: `setTables` with the whole chat, then `startAutoSave`, whose first save is a full save: each table in
 *   one INSERT of every row, so it fails past SQLite's limit of bound values (~5.4k messages).
 * - `changes`: `startAutoSave` on the empty store (its first save writes nothing), then the chat set in store
 *   transactions of {@link FILL_BATCH} conversations, each saved by auto-save as a change (one statement per row).
 */
export type TinyBaseFill = 'bulk' | 'changes'

/**
 * Conversations per store transaction when filling by changes: 10,000 messages, one change save each. The whole chat
 * in one transaction also saves a row a statement, but holds every row's pending upsert at once: at 1M messages it
 * took 51 s and 2.7 GiB of heap, against 35 s and 1.3 GiB in batches of this size (30 s in batches ten times larger).
 */
export const FILL_BATCH = 1_000

/** TinyBase's save failed (it reports through onIgnoredError, and its promise still resolves). */
export class TinyBaseSaveError extends Error {
  readonly code = 'TINYBASE_SAVE_FAILED'
}

/** The chat in TinyBase, auto-saved; each change resolves once the save it started has finished. */
export interface TinyBaseChat {
  readonly store: Store
  /** Milliseconds from the first row set to the end of the save that wrote the last (see {@link TinyBaseFill}). */
  readonly writeMs: number
  /** Saves that wrote the chat: the full save of `bulk`, or one change save per batch of `changes`. */
  readonly fillSaves: number
  edit(edit: MessageEdit): Promise<void>
  append(append: MessageAppend): Promise<void>
  token(at: MessageAt, word: string): Promise<void>
  /** Saves run and errors reported since the store was opened. */
  saves(): number
  errors(): readonly string[]
  /** What the file holds, read through a connection of its own: messages, and the text of one. */
  stored(messageId: string): { messages: number; text: string | undefined }
  storage(): Record<string, number>
  close(): Promise<void>
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error))

/** Reads the messages table of a TinyBase file through a read-only connection (committed data only). */
function readStored(file: string, messageId: string): { messages: number; text: string | undefined } {
  const db = new Database(file, { readonly: true })
  try {
    const { count } = db.prepare('SELECT count(*) AS count FROM messages').get() as { count: number }
    const row = db.prepare('SELECT text FROM messages WHERE _id = ?').get(messageId) as { text: string } | undefined
    return { messages: count, text: row?.text }
  } finally {
    db.close()
  }
}

/**
 * The chat `state` in TinyBase, persisted to `file` and filled as `fill` says; every change after is saved alone,
 * one transaction per change. Rejects with a {@link TinyBaseSaveError} when a save of the fill reports an error or
 * the file is left without every message.
 */
export async function openTinyBase(
  file: string,
  state: ChatState,
  fill: TinyBaseFill,
  synchronous: BenchOptions['synchronous'] = 'NORMAL',
): Promise<TinyBaseChat> {
  const db = openRawDatabase(file, synchronous)
  const errors: string[] = []
  const store = createStore()
  const persister = createBetterSqlite3TinyBasePersister(store, db, TABULAR, (error) => errors.push(messageOf(error)))
  let waiting: (() => void)[] = []
  persister.addStatusListener((_, status) => {
    if (status !== IDLE) return
    const resolve = waiting
    waiting = []
    for (const r of resolve) r()
  })
  // A change saves from the store's did-finish-transaction listener: the status is Saving once the change returns.
  const saved = (): Promise<void> =>
    persister.getStatus() === IDLE ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve))
  const close = async (): Promise<void> => {
    await persister.destroy()
    db.close()
  }
  const saves = (): number => persister.getStats().saves ?? 0
  let started = performance.now()
  let savesBefore = 0
  try {
    if (fill === 'bulk') {
      store.setTables(chatTables(state))
      await persister.startAutoSave()
    } else {
      await persister.startAutoSave()
      savesBefore = saves()
      started = performance.now()
      for (let i = 0; i < state.conversations.length && errors.length === 0; i += FILL_BATCH) {
        store.transaction(() => {
          for (const c of state.conversations.slice(i, i + FILL_BATCH)) {
            store.setRow('conversations', c.id, conversationRow(c))
            for (const m of c.messages) store.setRow('messages', m.id, messageRow(c.id, m))
          }
        })
        await saved()
      }
    }
  } catch (error) {
    await close()
    throw error
  }
  const writeMs = performance.now() - started
  const expected = state.conversations.reduce((sum, c) => sum + c.messages.length, 0)
  const written = errors.length === 0 ? readStored(file, '').messages : 0
  if (errors.length > 0 || written !== expected) {
    await close()
    throw new TinyBaseSaveError(errors[0] ?? `the saves of the chat wrote ${written} of ${expected} messages`)
  }
  const idAt = (at: MessageAt): string => state.conversations[at.conversation]?.messages[at.message]?.id as string
  return {
    store,
    writeMs,
    fillSaves: saves() - savesBefore,
    edit: (edit) => {
      store.setPartialRow('messages', idAt(edit), { text: edit.text, updated: edit.updated })
      return saved()
    },
    append: ({ conversation, message }) => {
      store.setRow('messages', message.id, messageRow(state.conversations[conversation]?.id as string, message))
      return saved()
    },
    token: (at, word) => {
      store.setCell('messages', idAt(at), 'text', (text) => `${String(text)} ${word}`)
      return saved()
    },
    saves,
    errors: () => errors,
    stored: (messageId) => readStored(file, messageId),
    storage: () => databaseBytes(file),
    close,
  }
}
