import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { checkFileId, checkTrim, historyQuery, selectFileContent, selectHistory, trimHistoryRows } from './sql'
import { WORKSPACE_STATE_VERSION, WORKSPACE_STORE_NAME } from './state'
import type { FileContent, WorkspaceHistoryAction } from './state'
import { workspaceDefinition } from './store'

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

/** Options of {@link listWorkspaceHistory} and of the store's `listHistory`. */
export interface ListWorkspaceHistoryOptions {
  /** At most this many entries. @default 100 */
  readonly limit?: number
  /** Entries older than this entry id (the last `id` of the previous page). */
  readonly beforeId?: number
  /** Only the entries of this file or folder. */
  readonly targetId?: string
}

/** Options of {@link trimWorkspaceHistory} and of the store's `trimHistory`. */
export interface TrimWorkspaceHistoryOptions {
  /** Keep this many newest entries. */
  readonly keep?: number
  /** Delete entries older than this time (milliseconds since the epoch). */
  readonly before?: number
  /** Entries deleted per transaction. @default 10000 */
  readonly batchSize?: number
}

/** Which workspace store a query function reads or writes. */
export interface WorkspaceQueryOptions {
  /** The store's name in the database. @default 'agi-client-workspace' */
  readonly name?: string
}

/**
 * Prepares the workspace's tables (creating them, empty, on a database without them) and refuses, with
 * MIGRATION_FAILED, a workspace recorded at a newer state version than this package knows, as hydration
 * does. Resolves to the store's name.
 */
async function prepareWorkspace(backend: Backend, options: WorkspaceQueryOptions): Promise<string> {
  const { name = WORKSPACE_STORE_NAME } = options
  if (typeof name !== 'string' || name === '')
    throw new ZustandSqliteError('INVALID_OPTIONS', 'a store name must be a non-empty string', { path: 'name' })
  const { stateVersion } = await workspaceDefinition.prepare(backend, { name })
  if (stateVersion !== null && stateVersion > WORKSPACE_STATE_VERSION) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${name}: state version ${stateVersion} is newer than this package knows (${WORKSPACE_STATE_VERSION}); nothing was read or written`,
      { store: name },
    )
  }
  return name
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
export async function readWorkspaceFile(
  backend: Backend,
  id: string,
  options: WorkspaceQueryOptions = {},
): Promise<FileContent> {
  checkFileId(id)
  await prepareWorkspace(backend, options)
  return selectFileContent(backend, id)
}

/**
 * The history of operations, newest first, paged by `beforeId`. Writes no rows (on a database without
 * the workspace's tables, it creates them, empty).
 *
 * @example
 * ```ts
 * const page = await listWorkspaceHistory(backend, { limit: 50 })
 * const next = await listWorkspaceHistory(backend, { limit: 50, beforeId: page.at(-1)?.id })
 * ```
 */
export async function listWorkspaceHistory(
  backend: Backend,
  options: ListWorkspaceHistoryOptions & WorkspaceQueryOptions = {},
): Promise<WorkspaceHistoryEntry[]> {
  const query = historyQuery(options)
  await prepareWorkspace(backend, options)
  return selectHistory(backend, query)
}

/**
 * Deletes old history entries: all but the newest `keep`, and/or those before `before` (an entry goes when
 * either says so). Runs in transactions of `batchSize` entries. Resolves to the number deleted. A store
 * open on the backend trims with `store.getState().trimHistory()`, which also defaults `keep` to the
 * `historyLimit` setting. Never loads the workspace's state: the state version recorded is left as it is.
 *
 * @example
 * ```ts
 * await trimWorkspaceHistory(backend, { keep: 1000 })
 * ```
 */
export async function trimWorkspaceHistory(
  backend: Backend,
  options: TrimWorkspaceHistoryOptions & WorkspaceQueryOptions,
): Promise<number> {
  checkTrim(options)
  const name = await prepareWorkspace(backend, options)
  return trimHistoryRows(backend, name, options)
}
