import { isPlainObject, readPersistEnvelope, ZustandSqliteError } from '@zustand-sqlite/core'
import { MAX_ID_LENGTH, WORKSPACE_STORE_NAME } from './state'
import type { WorkspaceId, WorkspaceState } from './state'

/** The version of the app's `agi-client-workspace`: it never set one. */
const LEGACY_VERSION = 0

/** Options of {@link importLegacyWorkspace}. */
export interface ImportLegacyWorkspaceOptions {
  /**
   * The ids of the files that exist (the workspace store's files). When given, assignments of other ids
   * are dropped and reported in `dangling`. @default none: every id is kept (and the store drops the ones
   * without a file when it merges or loads them)
   */
  readonly fileIds?: Iterable<string>
}

/** An assignment of a file that is not among the `fileIds` given: dropped. */
export interface DanglingAssignment {
  readonly workspaceId: WorkspaceId
  readonly fileId: string
}

/** Something of the data that was left out, with where it was and why. */
export interface SkippedAssignment {
  /** e.g. `liveFilesByWorkspace["c1"][2]`. */
  readonly path: string
  readonly reason: string
}

/** What {@link importLegacyWorkspace} returns. */
export interface WorkspaceImport {
  /** The assignments to merge (`store.getState().mergeAssignments(imported.liveFilesByWorkspace)`). */
  readonly liveFilesByWorkspace: Record<WorkspaceId, string[]>
  /** Assignments of files not among `options.fileIds`. */
  readonly dangling: DanglingAssignment[]
  /** Entries that could not be read, and workspaces left empty. */
  readonly skipped: SkippedAssignment[]
}

function unknownVersion(version: number, outcome: string): never {
  throw new ZustandSqliteError(
    'MIGRATION_FAILED',
    `${WORKSPACE_STORE_NAME}: the app's workspace store has version ${LEGACY_VERSION}, this data has ${version}; ${outcome}`,
    { store: WORKSPACE_STORE_NAME },
  )
}

/**
 * Imports what big-AGI's workspace store left in localStorage (`localStorage.getItem('agi-client-workspace')`):
 * the `{ state, version }` envelope of version 0 (the app never versioned it), as JSON text, text encoded
 * twice, or parsed. Returns `null` when there is nothing to import (`null` or `undefined`).
 *
 * The app's assignments name LiveFile ids. Its live files hold browser file handles, which do not survive a
 * reload, so the app itself drops the assignments of files that are gone at every load, then the workspaces
 * left empty; this importer does the same with `options.fileIds` (the files the workspace store has, e.g.
 * files created with their old ids) and reports each one dropped in `dangling`. An entry that is not an
 * array of ids, an id that is not a non-empty string of at most 128 characters, and an empty workspace are
 * left out and reported in `skipped`; an id repeated within a workspace is kept once.
 *
 * Throws INVALID_LEGACY_DATA for data that is not an envelope or whose `liveFilesByWorkspace` is not an
 * object, and MIGRATION_FAILED for a version other than 0. Nothing is written.
 *
 * @example
 * ```ts
 * const imported = importLegacyWorkspace(localStorage.getItem('agi-client-workspace'), {
 *   fileIds: workspace.getState().files.map((f) => f.id),
 * })
 * if (imported) workspace.getState().mergeAssignments(imported.liveFilesByWorkspace)
 * ```
 */
export function importLegacyWorkspace(
  value: unknown,
  options: ImportLegacyWorkspaceOptions = {},
): WorkspaceImport | null {
  if (value === null || value === undefined) return null
  const { state, version } = readPersistEnvelope(value, WORKSPACE_STORE_NAME)
  if (version !== LEGACY_VERSION) unknownVersion(version, 'nothing was imported')
  const raw = state['liveFilesByWorkspace'] ?? {}
  if (!isPlainObject(raw)) {
    throw new ZustandSqliteError(
      'INVALID_LEGACY_DATA',
      `${WORKSPACE_STORE_NAME}.liveFilesByWorkspace: expected an object of id arrays; nothing was imported`,
      { path: `${WORKSPACE_STORE_NAME}.liveFilesByWorkspace`, store: WORKSPACE_STORE_NAME },
    )
  }
  const existing = options.fileIds === undefined ? undefined : new Set(options.fileIds)
  // Entries, made into a record at the end: `record[id] = ...` would lose the id `__proto__`.
  const liveFilesByWorkspace: [WorkspaceId, string[]][] = []
  const dangling: DanglingAssignment[] = []
  const skipped: SkippedAssignment[] = []
  for (const [workspaceId, ids] of Object.entries(raw)) {
    const at = `liveFilesByWorkspace[${JSON.stringify(workspaceId)}]`
    if (workspaceId === '' || workspaceId.length > MAX_ID_LENGTH) {
      skipped.push({ path: at, reason: 'not a workspace id' })
      continue
    }
    if (!Array.isArray(ids)) {
      skipped.push({ path: at, reason: 'not an array of file ids' })
      continue
    }
    const kept = new Set<string>()
    ids.forEach((id: unknown, i) => {
      if (typeof id !== 'string' || id === '' || id.length > MAX_ID_LENGTH)
        skipped.push({ path: `${at}[${i}]`, reason: 'not a file id' })
      else if (existing !== undefined && !existing.has(id)) dangling.push({ workspaceId, fileId: id })
      else kept.add(id)
    })
    if (kept.size === 0) skipped.push({ path: at, reason: 'no file left: the workspace is dropped' })
    else liveFilesByWorkspace.push([workspaceId, [...kept]])
  }
  return { liveFilesByWorkspace: Object.fromEntries(liveFilesByWorkspace), dangling, skipped }
}

/** What the app's workspace store persisted: the assignments alone. */
export type LegacyWorkspaceState = Pick<WorkspaceState, 'liveFilesByWorkspace'>

/**
 * Zustand `persist` options of the app's workspace store: its name, version 0 and its state, the
 * assignments alone (files, folders and settings exist only in SQLite). A rollback writes the assignments
 * with them, where the app reads them. `migrate` only refuses another version (a newer build's data),
 * reporting MIGRATION_FAILED through `onRehydrateStorage` instead of Zustand's silent fall back to the
 * defaults.
 */
export const workspaceLegacyPersistOptions = {
  name: WORKSPACE_STORE_NAME,
  version: LEGACY_VERSION,
  partialize: (state: WorkspaceState): LegacyWorkspaceState => ({ liveFilesByWorkspace: state.liveFilesByWorkspace }),
  migrate: (_persisted: unknown, version: number): LegacyWorkspaceState => unknownVersion(version, 'nothing was read'),
} as const
