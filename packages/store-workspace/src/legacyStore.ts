import { defineLegacyStore } from '@zustand-sqlite/core'
import { importLegacyWorkspace, workspaceLegacyPersistOptions } from './legacy'
import type { WorkspaceId, WorkspaceState, WorkspaceStore } from './state'
import { workspaceDefinition } from './store'

/** The state without its actions: what `persistSQLite` stores of it (the definition has no `partialize`). */
const dataOf = (store: WorkspaceStore): WorkspaceState =>
  Object.fromEntries(Object.entries(store).filter(([, value]) => typeof value !== 'function')) as WorkspaceState

/** `held` with the files of `imported` added to each workspace, as `mergeAssignments` adds them. */
function withAssignments(
  held: Readonly<Record<WorkspaceId, string[]>>,
  imported: Readonly<Record<WorkspaceId, string[]>>,
): Record<WorkspaceId, string[]> {
  // By id in a Map, made into a record at the end: a workspace id may be `__proto__`.
  const merged = new Map(Object.entries(held))
  for (const [workspaceId, ids] of Object.entries(imported)) {
    const list = merged.get(workspaceId) ?? []
    merged.set(workspaceId, [...list, ...ids.filter((id) => !list.includes(id))])
  }
  return Object.fromEntries(merged)
}

const count = (state: WorkspaceState): { workspaces: number; assignments: number; files: number; folders: number } => {
  const lists = Object.values(state.liveFilesByWorkspace)
  return {
    workspaces: lists.length,
    assignments: lists.reduce((total, ids) => total + ids.length, 0),
    files: state.files.length,
    folders: state.folders.length,
  }
}

/**
 * How big-AGI kept the workspace before SQLite, for a migration: the `agi-client-workspace` key of
 * localStorage, read by `importLegacyWorkspace` (version 0) and written back, on rollback, with
 * `workspaceLegacyPersistOptions` (version 0, the assignments alone).
 *
 * The app's assignments name live files, which do not survive a reload, and this store drops assignments
 * of files it does not hold when it loads. So the import reads what the workspace already holds on
 * `context.backend` (through `workspaceDefinition.read`) and passes its file ids to the importer: the
 * assignments of other files are dropped and reported in `dangling`. The state imported is what the
 * workspace holds (files, folders, settings, assignments) with the assignments kept added: write it
 * against a `previous` read (`writeStoredState`'s option), or the files' content and the history, which
 * are not in the state, are deleted with the rows. `cleaned` counts the dangling and skipped assignments;
 * `count` reports `workspaces`, `assignments`, `files` and `folders`.
 *
 * @example
 * ```ts
 * const imported = await workspaceLegacy.import(localStorage.getItem('agi-client-workspace'), context)
 * ```
 */
export const workspaceLegacy = defineLegacyStore({
  definition: workspaceDefinition,
  key: workspaceLegacyPersistOptions.name,
  location: 'localStorage',
  import: async (raw, context) => {
    if (raw === null || raw === undefined) return null
    const held = dataOf((await workspaceDefinition.read(context.backend)).state)
    const imported = importLegacyWorkspace(raw, { fileIds: held.files.map((file) => file.id) })
    if (imported === null) return null
    const { liveFilesByWorkspace, dangling, skipped } = imported
    return {
      state: { ...held, liveFilesByWorkspace: withAssignments(held.liveFilesByWorkspace, liveFilesByWorkspace) },
      cleaned: dangling.length + skipped.length,
      report: { dangling, skipped },
    }
  },
  count,
  countLegacy: (state) => {
    const lists = Object.values(state.liveFilesByWorkspace)
    return { workspaces: lists.length, assignments: lists.reduce((total, ids) => total + ids.length, 0) }
  },
  persistOptions: workspaceLegacyPersistOptions,
})
