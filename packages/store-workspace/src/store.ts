import { createStore } from 'zustand/vanilla'
import type { StoreApi } from 'zustand/vanilla'
import { isZustandSqliteError, persistSQLite } from '@zustand-sqlite/core'
import type { Backend, BackendOption, CommitInfo, PersistSQLiteApi, PersistSQLiteOptions } from '@zustand-sqlite/core'
import { trimHistoryRows } from './queries'
import { WORKSPACE_HISTORY_TABLE, workspaceSchema } from './schema'
import {
  createWorkspaceStateCreator,
  mergeWorkspace,
  migrateWorkspace,
  WORKSPACE_STATE_VERSION,
  WORKSPACE_STORE_NAME,
} from './state'
import type { WorkspaceState, WorkspaceStateOptions, WorkspaceStore } from './state'

/** Options of {@link createWorkspaceStore}: where to store, and the `persistSQLite` options a store may tune. */
export interface WorkspaceStoreOptions
  extends
    Pick<
      PersistSQLiteOptions<WorkspaceStore, WorkspaceState>,
      'onRehydrateStorage' | 'skipHydration' | 'writeDelayMs' | 'onError' | 'onCommit'
    >,
    WorkspaceStateOptions {
  /** The backend (or a function returning one, or a promise of one). */
  backend: BackendOption
  /** The store's name in the database. @default 'agi-client-workspace' */
  name?: string
}

/** The workspace store: a Zustand store with `store.persist`. */
export type WorkspaceStoreApi = StoreApi<WorkspaceStore> & {
  persist: PersistSQLiteApi<WorkspaceStore, WorkspaceState>
}

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
  const { backend, name = WORKSPACE_STORE_NAME, now, onCommit, onError, ...tuning } = options
  let sinceTrim = 0
  let trimming = false
  /** The store, once created: the trim after a commit reads its settings and backend. */
  const created: { store?: WorkspaceStoreApi } = {}
  const report = (error: unknown): void => {
    // A trim still running when the app closes the backend is simply not done: the next one catches up.
    if (isZustandSqliteError(error, 'BACKEND_CLOSED')) return
    if (onError !== undefined) onError(error as Parameters<typeof onError>[0])
    else console.error('[zustand-sqlite] workspace history trim failed', error)
  }
  const trimAfter = (info: CommitInfo): void => {
    sinceTrim += info.tables[WORKSPACE_HISTORY_TABLE] ?? 0
    const current = created.store
    if (current === undefined || trimming) return
    const limit = current.getState().getSetting('historyLimit')
    if (sinceTrim < Math.max(1, Math.ceil(limit / 10))) return
    const target = current.persist.getBackend() as Backend
    trimming = true
    sinceTrim = 0
    trimHistoryRows(target, name, { keep: limit })
      .catch(report)
      .finally(() => {
        trimming = false
      })
  }
  const store = createStore<WorkspaceStore>()(
    persistSQLite(createWorkspaceStateCreator(now === undefined ? {} : { now }), {
      ...tuning,
      ...(onError === undefined ? {} : { onError }),
      name,
      backend,
      schema: workspaceSchema,
      version: WORKSPACE_STATE_VERSION,
      migrate: migrateWorkspace,
      merge: mergeWorkspace,
      onCommit: (info) => {
        if (info.tables[WORKSPACE_HISTORY_TABLE] !== undefined) trimAfter(info)
        onCommit?.(info)
      },
    }),
  )
  created.store = store
  return store
}
