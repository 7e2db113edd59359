import { decodeText, encodeText, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend, ChangeSet, QueryRow, SqlValue } from '@zustand-sqlite/core'
import type { ListWorkspaceHistoryOptions, TrimWorkspaceHistoryOptions, WorkspaceHistoryEntry } from './queries'
import { WORKSPACE_FILE_CONTENT_TABLE, WORKSPACE_FILES_TABLE, WORKSPACE_HISTORY_TABLE, workspaceSchema } from './schema'
import type { FileContent, WorkspaceHistoryAction } from './state'

// The SQL over the workspace's own tables, once: the store's actions run it on their prepared backend, and
// the query functions after preparing the store through its definition. Text columns hold strings in their
// stored form (see encodeText): ids bound are encoded, text read is decoded.

function checkCount(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw new ZustandSqliteError('INVALID_OPTIONS', `${name} must be an integer >= ${min}`)
  return value
}

/** @internal Throws INVALID_OPTIONS for an id that is not a string, before anything is read. */
export function checkFileId(id: unknown): asserts id is string {
  if (typeof id !== 'string') throw new ZustandSqliteError('INVALID_OPTIONS', 'a file id must be a string')
}

/**
 * @internal A file's stored content: a string for a text file, a `Uint8Array` for a binary one, empty when
 * it was never written. Throws NOT_FOUND when no such file is stored.
 */
export async function selectFileContent(backend: Backend, id: string): Promise<FileContent> {
  const [row] = await backend.query(
    `SELECT f.encoding, c.content, c.content_binary FROM ${WORKSPACE_FILES_TABLE} f ` +
      `LEFT JOIN ${WORKSPACE_FILE_CONTENT_TABLE} c ON c.id = f.id WHERE f.id = ?`,
    [encodeText(id)],
  )
  if (row === undefined)
    throw new ZustandSqliteError('NOT_FOUND', `workspace: no file ${JSON.stringify(id)} is stored`, { path: id })
  if (row['encoding'] === 'binary') {
    const bytes = row['content_binary']
    if (!(bytes instanceof Uint8Array)) return new Uint8Array(0)
    // better-sqlite3 returns Buffers; hand back a plain Uint8Array over the same memory.
    return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  const text = row['content']
  return typeof text === 'string' ? decodeText(text) : ''
}

function decodeEntry(row: QueryRow): WorkspaceHistoryEntry {
  const details = typeof row['details'] === 'string' ? (JSON.parse(row['details']) as unknown) : undefined
  return {
    id: Number(row['id']),
    at: Number(row['at']),
    action: row['action'] as WorkspaceHistoryAction,
    targetKind: row['target_kind'] as 'file' | 'folder',
    targetId: decodeText(String(row['target_id'])),
    path: decodeText(String(row['path'])),
    ...(details !== null && typeof details === 'object' ? { details: details as Record<string, unknown> } : {}),
  }
}

/** @internal The statement of a page of history, its options checked (INVALID_OPTIONS). */
export function historyQuery(options: ListWorkspaceHistoryOptions): { sql: string; params: SqlValue[] } {
  const limit = checkCount(options.limit ?? 100, 'limit', 1)
  const where: string[] = []
  const params: SqlValue[] = []
  if (options.beforeId !== undefined) {
    where.push('id < ?')
    params.push(checkCount(options.beforeId, 'beforeId', 0))
  }
  if (options.targetId !== undefined) {
    where.push('target_id = ?')
    params.push(encodeText(options.targetId))
  }
  return {
    sql:
      `SELECT id, at, action, target_kind, target_id, path, details FROM ${WORKSPACE_HISTORY_TABLE}` +
      `${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
    params: [...params, limit],
  }
}

/** @internal A page of history, newest first, by a statement of {@link historyQuery}. */
export async function selectHistory(
  backend: Backend,
  query: { sql: string; params: SqlValue[] },
): Promise<WorkspaceHistoryEntry[]> {
  return (await backend.query(query.sql, query.params)).map(decodeEntry)
}

/** What a trim deletes, its options checked. */
interface Trim {
  readonly keep: number | undefined
  readonly before: number | undefined
  readonly batchSize: number
}

/** @internal The options of a trim, checked (INVALID_OPTIONS). */
export function checkTrim(options: TrimWorkspaceHistoryOptions): Trim {
  return {
    keep: options.keep === undefined ? undefined : checkCount(options.keep, 'keep', 0),
    before: options.before === undefined ? undefined : checkCount(options.before, 'before', 0),
    batchSize: checkCount(options.batchSize ?? 10_000, 'batchSize', 1),
  }
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
  const { keep, before, batchSize } = checkTrim(options)
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
