import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, ChangeSet, SqlValue } from '@zustand-sqlite/core'
import { WORKSPACE_FILE_CONTENT_TABLE, WORKSPACE_FILES_TABLE, WORKSPACE_HISTORY_TABLE, workspaceSchema } from './schema'
import type { FileContent, WorkspaceHistoryAction } from './state'

const DEFAULT_NAME = 'agi-client-workspace'

/** An entry of the history of operations. */
export interface WorkspaceHistoryEntry {
  /** Increasing with every entry. */
  readonly id: number
  /** Milliseconds since the epoch. */
  readonly at: number
  readonly action: WorkspaceHistoryAction
  readonly targetKind: 'file' | 'folder'
  /** The file or folder (for a copy: the copy). */
  readonly targetId: string
  /** Its path after the operation (before it, for a delete). */
  readonly path: string
  /** `from` (the old path of a rename or move, the source of a copy), `sizeBytes`, counts of a recursive delete or copy. */
  readonly details?: Readonly<Record<string, unknown>>
}

/** Options of {@link listWorkspaceHistory}. */
export interface ListWorkspaceHistoryOptions {
  /** At most this many entries. @default 100 */
  readonly limit?: number
  /** Entries older than this entry id (the last `id` of the previous page). */
  readonly beforeId?: number
  /** Only the entries of this file or folder. */
  readonly targetId?: string
}

/** Options of {@link trimWorkspaceHistory}. */
export interface TrimWorkspaceHistoryOptions {
  /** Keep this many newest entries. */
  readonly keep?: number
  /** Delete entries older than this time (milliseconds since the epoch). */
  readonly before?: number
  /** Entries deleted per transaction. @default 10000 */
  readonly batchSize?: number
}

function checkCount(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new ZustandSqliteError('INVALID_OPTIONS', `${name} must be an integer >= ${min}`)
  return value
}

async function hasTable(backend: Backend, table: string): Promise<boolean> {
  const rows = await backend.query(`SELECT 1 AS found FROM sqlite_schema WHERE type = 'table' AND name = ?`, [table])
  return rows.length > 0
}

/**
 * Runs a read on the workspace tables; on a database where `table` does not exist (nothing was ever
 * stored) it gives `[]` instead of failing. The table is looked up only when the read fails, not before
 * every read.
 */
async function readRows(
  backend: Backend,
  table: string,
  sql: string,
  params: readonly SqlValue[],
): Promise<Record<string, SqlValue>[]> {
  try {
    return await backend.query(sql, params)
  } catch (error) {
    if (!(await hasTable(backend, table))) return []
    throw error
  }
}

/**
 * A file's content, read from the database: a string for a text file, a `Uint8Array` for a binary one.
 * Throws NOT_FOUND when no such file is stored. Reads only what is committed: a store's `readFile` flushes
 * first, and is what an app with an open store calls.
 *
 * @example
 * ```ts
 * const text = await readWorkspaceFile(backend, fileId)
 * ```
 */
export async function readWorkspaceFile(backend: Backend, id: string): Promise<FileContent> {
  if (typeof id !== 'string') throw new ZustandSqliteError('INVALID_OPTIONS', 'a file id must be a string')
  const rows = await readRows(
    backend,
    WORKSPACE_FILE_CONTENT_TABLE,
    `SELECT f.encoding, c.content, c.content_binary FROM ${WORKSPACE_FILES_TABLE} f ` +
      `LEFT JOIN ${WORKSPACE_FILE_CONTENT_TABLE} c ON c.id = f.id WHERE f.id = ?`,
    [id],
  )
  const row = rows[0]
  if (row === undefined)
    throw new ZustandSqliteError('NOT_FOUND', `workspace: no file ${JSON.stringify(id)} is stored`, { path: id })
  if (row['encoding'] === 'binary') {
    const bytes = row['content_binary']
    if (!(bytes instanceof Uint8Array)) return new Uint8Array(0)
    // better-sqlite3 returns Buffers; hand back a plain Uint8Array over the same memory.
    return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  const text = row['content']
  return typeof text === 'string' ? text : ''
}

function decodeEntry(row: Record<string, SqlValue>): WorkspaceHistoryEntry {
  const details = typeof row['details'] === 'string' ? (JSON.parse(row['details']) as unknown) : undefined
  return {
    id: Number(row['id']),
    at: Number(row['at']),
    action: row['action'] as WorkspaceHistoryAction,
    targetKind: row['target_kind'] as 'file' | 'folder',
    targetId: String(row['target_id']),
    path: String(row['path']),
    ...(details !== null && typeof details === 'object' ? { details: details as Record<string, unknown> } : {}),
  }
}

/**
 * The history of operations, newest first, paged by `beforeId`. Read-only: an empty database gives `[]`
 * and creates nothing.
 *
 * @example
 * ```ts
 * const page = await listWorkspaceHistory(backend, { limit: 50 })
 * const next = await listWorkspaceHistory(backend, { limit: 50, beforeId: page.at(-1)?.id })
 * ```
 */
export async function listWorkspaceHistory(
  backend: Backend,
  options: ListWorkspaceHistoryOptions = {},
): Promise<WorkspaceHistoryEntry[]> {
  const limit = checkCount(options.limit ?? 100, 'limit', 1)
  const where: string[] = []
  const params: SqlValue[] = []
  if (options.beforeId !== undefined) {
    where.push('id < ?')
    params.push(checkCount(options.beforeId, 'beforeId', 0))
  }
  if (options.targetId !== undefined) {
    where.push('target_id = ?')
    params.push(options.targetId)
  }
  const rows = await readRows(
    backend,
    WORKSPACE_HISTORY_TABLE,
    `SELECT id, at, action, target_kind, target_id, path, details FROM ${WORKSPACE_HISTORY_TABLE}` +
      `${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    [...params, limit],
  )
  return rows.map(decodeEntry)
}

/**
 * @internal Deletes history entries in batches, each one transaction; returns how many. The store must be
 * prepared on `backend`. The ChangeSets carry no state version: a trim leaves the recorded one as it is.
 */
export async function trimHistoryRows(
  backend: Backend,
  name: string,
  options: TrimWorkspaceHistoryOptions,
): Promise<number> {
  const keep = options.keep === undefined ? undefined : checkCount(options.keep, 'keep', 0)
  const before = options.before === undefined ? undefined : checkCount(options.before, 'before', 0)
  const batchSize = checkCount(options.batchSize ?? 10_000, 'batchSize', 1)
  if (keep === undefined && before === undefined) return 0
  // An entry goes when it is older than the newest `keep` (by id, the order entries were written in), or
  // when its time is before `before` (by time, whatever the order of ids).
  let keepAbove = 0
  if (keep !== undefined) {
    const [row] = await backend.query(`SELECT id FROM ${WORKSPACE_HISTORY_TABLE} ORDER BY id DESC LIMIT 1 OFFSET ?`, [
      keep,
    ])
    keepAbove = row === undefined ? 0 : Number(row['id'])
  }
  const condition = before === undefined ? 'id <= ?' : 'id <= ? OR at < ?'
  const params: SqlValue[] = before === undefined ? [keepAbove] : [keepAbove, before]
  let deleted = 0
  for (;;) {
    const rows = await backend.query(
      `SELECT id FROM ${WORKSPACE_HISTORY_TABLE} WHERE ${condition} ORDER BY id LIMIT ?`,
      [...params, batchSize],
    )
    if (rows.length === 0) break
    const changeSet: ChangeSet = {
      store: name,
      schemaVersion: workspaceSchema.spec.version,
      tables: [{ table: WORKSPACE_HISTORY_TABLE, delete: rows.map((r) => [r['id'] as SqlValue]) }],
    }
    await backend.apply(changeSet)
    deleted += rows.length
    if (rows.length < batchSize) break
  }
  return deleted
}

/**
 * Deletes old history entries: all but the newest `keep`, and/or those before `before` (an entry goes when
 * either says so). Runs in transactions of `batchSize` entries. Resolves to the number deleted. A store
 * open on the backend trims with `store.getState().trimHistory()`, which also defaults `keep` to the
 * `historyLimit` setting.
 *
 * @example
 * ```ts
 * await trimWorkspaceHistory(backend, { keep: 1000 })
 * ```
 */
export async function trimWorkspaceHistory(
  backend: Backend,
  options: TrimWorkspaceHistoryOptions & { readonly name?: string },
): Promise<number> {
  const name = options.name ?? DEFAULT_NAME
  // Nothing to trim on a database without history; a trim never loads the workspace's state.
  if (!(await hasTable(backend, WORKSPACE_HISTORY_TABLE))) return 0
  await backend.prepare(name, workspaceSchema.spec)
  return trimHistoryRows(backend, name, options)
}
