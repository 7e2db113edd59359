import { defineStore, isZustandSqliteError } from '@zustand-sqlite/core'
import type { CommitInfo, PersistedStoreApi, StoreOptions } from '@zustand-sqlite/core'
import { WORKSPACE_HISTORY_TABLE, workspaceSchema } from './schema'
import { trimHistoryRows } from './sql'
import {
  createWorkspaceState,
  mergeWorkspace,
  migrateWorkspace,
  WORKSPACE_STATE_VERSION,
  WORKSPACE_STORE_NAME,
} from './state'
import type { WorkspaceState, WorkspaceStateOptions, WorkspaceStore } from './state'

/** Options of {@link createWorkspaceStore}: where to store, the `persistSQLite` options a store may tune, and `now`. */
export type WorkspaceStoreOptions = StoreOptions<WorkspaceStore, WorkspaceState> & WorkspaceStateOptions

/** The workspace store: a Zustand store with `store.persist`. */
export type WorkspaceStoreApi = PersistedStoreApi<WorkspaceStore, WorkspaceState>

/**
 * Keeps the history of `store` to its `historyLimit` setting: once a tenth of it was written since the last
 * trim, the oldest entries are deleted after the commit, in the background. Wraps the store's `onCommit`.
 */
function trimHistoryAfterCommits(store: WorkspaceStoreApi, onCommit: ((info: CommitInfo) => void) | undefined): void {
  let sinceTrim = 0
  let trimming = false
  const report = (error: unknown): void => {
    // A trim still running when the app closes the backend is simply not done: the next one catches up.
    if (isZustandSqliteError(error, 'BACKEND_CLOSED')) return
    const { onError } = store.persist.getOptions()
    if (onError !== undefined) onError(error as Parameters<typeof onError>[0])
    else console.error('[zustand-sqlite] workspace history trim failed', error)
  }
  const trimAfter = (info: CommitInfo): void => {
    sinceTrim += info.tables[WORKSPACE_HISTORY_TABLE] ?? 0
    const backend = store.persist.getBackend()
    if (trimming || backend === undefined) return
    const limit = store.getState().getSetting('historyLimit')
    if (sinceTrim < Math.max(1, Math.ceil(limit / 10))) return
    trimming = true
    sinceTrim = 0
    trimHistoryRows(backend, info.store, { keep: limit })
      .catch(report)
      .finally(() => {
        trimming = false
      })
  }
  // Only `onCommit` changes: the store keeps its name, backend and schema, so nothing is retargeted.
  store.persist.setOptions({
    onCommit: (info) => {
      if (info.tables[WORKSPACE_HISTORY_TABLE] !== undefined) trimAfter(info)
      onCommit?.(info)
    },
  })
}

/**
 * The workspace store, defined once: name `agi-client-workspace`, `workspaceSchema` (the tree, the files'
 * content in a table of its own, settings, assignments and history), state version 1 with the migration
 * from the app's version 0. `create` makes the store and keeps its history trimmed; `prepare` serves the
 * query functions, which read and trim the workspace's tables with SQL.
 */
export const workspaceDefinition = defineStore<WorkspaceStore, WorkspaceState, WorkspaceStateOptions>({
  name: WORKSPACE_STORE_NAME,
  schema: workspaceSchema,
  version: WORKSPACE_STATE_VERSION,
  migrate: migrateWorkspace,
  merge: mergeWorkspace,
  state: createWorkspaceState,
  setup: (store, options) => trimHistoryAfterCommits(store, options.onCommit),
})

/**
 * A workspace store persisted with `persistSQLite`: the folder tree and the files' metadata in state,
 * the files' content in the database only (`readFile` loads it), one history row per operation. Each
 * operation is one transaction with its content and history. With a synchronous backend it has
 * hydrated when this returns.
 *
 * History is kept to the `historyLimit` setting (1000 by default): once a tenth of it was written since
 * the last trim, the oldest entries are deleted after the commit.
 *
 * @example
 * ```ts
 * const workspace = createWorkspaceStore({ backend })
 * const docs = workspace.getState().createFolder('docs')
 * const id = workspace.getState().createFile({ name: 'notes.md', content: '# Notes', folderId: docs })
 * const text = await workspace.getState().readFile(id)
 * ```
 */
export function createWorkspaceStore(options: WorkspaceStoreOptions): WorkspaceStoreApi {
  return workspaceDefinition.create(options)
}
