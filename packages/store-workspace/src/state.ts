import type { StateCreator } from 'zustand/vanilla'
import { isPlainObject, randomId, replaceAt, rules, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import type { ListWorkspaceHistoryOptions, TrimWorkspaceHistoryOptions, WorkspaceHistoryEntry } from './queries'
import { WORKSPACE_FILES_TABLE, WORKSPACE_HISTORY_TABLE } from './schema'
import { checkTrim, historyQuery, selectFileContent, selectHistory, trimHistoryRows } from './sql'
import { isKnownSetting, workspaceSettingsDefaults, workspaceSettingsRules } from './settings'
import type { WorkspaceSettings } from './settings'
import { assertName, childPath, guessMimeType, subtreeFolderIds, utf8ByteLength } from './tree'

/** The store's name: the app's localStorage key for its workspace store. */
export const WORKSPACE_STORE_NAME = 'agi-client-workspace'
/** The state version: 1 adds files, folders and settings to the app's version 0 (assignments only). */
export const WORKSPACE_STATE_VERSION = 1
/** The longest id accepted for a file given its own id, a workspace, or an assigned file. */
export const MAX_ID_LENGTH = 128

/** A workspace id: in the app, the id of the conversation the workspace belongs to. */
export type WorkspaceId = string

/**
 * Error codes of the workspace besides core's: `ALREADY_EXISTS`, a name taken in its folder (files and
 * folders of one folder cannot share a name); `INVALID_MOVE`, a folder moved into itself or its own
 * subtree. Nothing was written in either case. Check them with `isZustandSqliteError(error, code)`.
 */
export type WorkspaceErrorCode = 'ALREADY_EXISTS' | 'INVALID_MOVE'
/** A file's content: text, or bytes. */
export type FileContent = string | Uint8Array

/** A folder of the tree. `parentId` is `null` at the root. */
export interface WorkspaceFolder {
  readonly id: string
  readonly name: string
  readonly parentId: string | null
  /** `/` and the names from the root down, e.g. `/docs/specs`. */
  readonly path: string
  /** Milliseconds since the epoch. */
  readonly createdAt: number
  readonly updatedAt: number
}

/** A file's metadata. Its content is in the database only: `readFile(id)` loads it. */
export interface WorkspaceFile {
  readonly id: string
  readonly name: string
  /** The folder holding the file; `null` at the root. */
  readonly folderId: string | null
  /** e.g. `/docs/specs/api.md`. */
  readonly path: string
  readonly mimeType: string
  /** Bytes of the content (of its UTF-8 encoding for text). */
  readonly sizeBytes: number
  /** Whether `readFile` returns a string (`text`) or a `Uint8Array` (`binary`). */
  readonly encoding: 'text' | 'binary'
  readonly createdAt: number
  readonly updatedAt: number
}

/** The persisted state. */
export interface WorkspaceState {
  folders: WorkspaceFolder[]
  files: WorkspaceFile[]
  /** Settings that were set, by key (known ones and any other). `getSetting` adds the defaults. */
  settings: Record<string, unknown>
  /** The app's assignments: per workspace (conversation id), the ids of the files assigned to it. */
  liveFilesByWorkspace: Record<WorkspaceId, string[]>
}

/** A file or folder found by path. */
export type WorkspaceEntry =
  | { readonly kind: 'file'; readonly file: WorkspaceFile }
  | { readonly kind: 'folder'; readonly folder: WorkspaceFolder }

/** What `createFile` takes. */
export interface CreateFileInput {
  readonly name: string
  readonly content: FileContent
  /** @default null (the root) */
  readonly folderId?: string | null
  /** @default by the name's extension, else `text/plain` or `application/octet-stream` */
  readonly mimeType?: string
  /** An id of your own (e.g. to keep the id a file had elsewhere). @default a new random id */
  readonly id?: string
}

/** A message as `importAssignmentsFromMessages` reads it: attachment fragments may name a file. */
export interface MessageWithAttachments {
  readonly fragments?: readonly { readonly ft?: unknown; readonly liveFileId?: unknown }[]
}

/** What an operation appends to history, by action. */
export type WorkspaceHistoryAction =
  'create-folder' | 'create-file' | 'write-file' | 'rename' | 'move' | 'copy' | 'delete-file' | 'delete-folder'

/** The operations on the tree, the settings and the assignments. */
export interface WorkspaceActions {
  /** Creates a folder in `parentId` (the root when `null`). Returns its id. */
  createFolder: (name: string, parentId?: string | null) => string
  /** Creates (uploads) a file with its content. Returns its id. */
  createFile: (input: CreateFileInput) => string
  /** Replaces a file's content (and, when given, its MIME type). */
  writeFile: (id: string, content: FileContent, options?: { readonly mimeType?: string }) => void
  /** Renames a file or folder; paths below a folder follow. */
  rename: (id: string, name: string) => void
  /** Moves a file or folder into `folderId` (the root when `null`); paths below a folder follow. */
  move: (id: string, folderId: string | null) => void
  /** Copies a file, or a folder with everything in it, into `folderId`. Returns the copy's id. */
  copy: (id: string, folderId: string | null, options?: { readonly name?: string }) => string
  deleteFile: (id: string) => void
  /** Deletes a folder with everything in it, in one transaction. */
  deleteFolder: (id: string) => void
  /** A file's content, from the database once what was written before is durable. */
  readFile: (id: string) => Promise<FileContent>
  /** The file or folder at `path` (`/docs/a.md`), if any. */
  entryByPath: (path: string) => WorkspaceEntry | undefined
  /** What a folder holds (the root when `null`), folders first, in the order of the `sortBy` setting. */
  listFolder: (folderId: string | null) => { folders: WorkspaceFolder[]; files: WorkspaceFile[] }
  /** The history of operations, newest first. */
  listHistory: (options?: ListWorkspaceHistoryOptions) => Promise<WorkspaceHistoryEntry[]>
  /** Deletes old history entries: beyond `keep` (default: the `historyLimit` setting) or before `before`. */
  trimHistory: (options?: TrimWorkspaceHistoryOptions) => Promise<number>
  getSetting: {
    <K extends keyof WorkspaceSettings>(key: K): WorkspaceSettings[K]
    (key: string): unknown
  }
  /** Sets a setting: a known one is checked (INVALID_VALUE); any other takes a JSON value. */
  setSetting: {
    <K extends keyof WorkspaceSettings>(key: K, value: WorkspaceSettings[K]): void
    <K extends string>(key: K & (K extends keyof WorkspaceSettings ? never : unknown), value: unknown): void
  }
  /** Forgets a setting: a known one is back at its default. */
  resetSetting: (key: string) => void
  /** Drops a workspace's assignments (the app calls it when it deletes a conversation). */
  remove: (workspaceId: WorkspaceId) => void
  /** Adds the files of `source` to `target` (the app calls it when it branches a conversation). */
  copyAssignments: (source: WorkspaceId, target: WorkspaceId) => void
  liveFileAssign: (workspaceId: WorkspaceId, fileId: string) => void
  liveFileUnassign: (workspaceId: WorkspaceId, fileId: string) => void
  liveFileUnassignFromAll: (fileId: string) => void
  /** Assigns the files named by the attachment fragments of `messages` (those that exist). */
  importAssignmentsFromMessages: (workspaceId: WorkspaceId, messages: readonly MessageWithAttachments[]) => void
  /** Adds assignments (as `importLegacyWorkspace` returns them); ids of files that do not exist are skipped. */
  mergeAssignments: (liveFilesByWorkspace: Readonly<Record<WorkspaceId, readonly string[]>>) => void
}

/** The store: state and actions. */
export type WorkspaceStore = WorkspaceState & WorkspaceActions

/** The state of a new workspace. */
export function workspaceDefaults(): WorkspaceState {
  return { folders: [], files: [], settings: {}, liveFilesByWorkspace: {} }
}

/** Options of {@link createWorkspaceState}: the workspace store's own options. */
export interface WorkspaceStateOptions {
  /** The clock of `createdAt`, `updatedAt` and history times. @default Date.now */
  readonly now?: () => number
}

const idRule = rules.string({ minLength: 1, maxLength: MAX_ID_LENGTH })
const mimeRule = rules.string({ minLength: 1, maxLength: 255 })

function notFound(what: string, id: unknown): never {
  throw new ZustandSqliteError('NOT_FOUND', `workspace: no ${what} ${JSON.stringify(id)}; nothing was changed`, {
    path: typeof id === 'string' ? id : String(id),
  })
}

function taken(name: string, folderPath: string): never {
  throw new ZustandSqliteError<WorkspaceErrorCode>(
    'ALREADY_EXISTS',
    `workspace: ${JSON.stringify(childPath(folderPath, name))} already exists; nothing was changed`,
    { path: childPath(folderPath, name) },
  )
}

function invalid(field: string, problem: string): never {
  throw new ZustandSqliteError('INVALID_VALUE', `workspace.${field}: ${problem}; nothing was changed`, {
    path: `workspace.${field}`,
  })
}

/** The content columns of `content`: one set, the other cleared. */
function contentColumns(content: FileContent): { content: string | null; contentBinary: Uint8Array | null } {
  return typeof content === 'string' ? { content, contentBinary: null } : { content: null, contentBinary: content }
}

const CONTENT_FIELDS = ['content', 'contentBinary'] as const

// The changes below are computed on the state a set is made on, never on one read before it: a set made
// while a hydration runs is made again on the hydrated state, and must neither drop the stored entries nor
// break the tree there. A change that no longer applies to that state (its name taken by a stored entry, its
// entry or folder gone) leaves the state as it is.

type Tree = Pick<WorkspaceState, 'folders' | 'files'>
type Change = WorkspaceState | Partial<WorkspaceState>

const folderIn = (s: Tree, id: string): WorkspaceFolder | undefined => s.folders.find((f) => f.id === id)
const fileIn = (s: Tree, id: string): WorkspaceFile | undefined => s.files.find((f) => f.id === id)

/** The path of folder `id` in `s` (`''` for the root, `null`), or `undefined` when `s` has no such folder. */
const folderPathIn = (s: Tree, id: string | null): string | undefined => (id === null ? '' : folderIn(s, id)?.path)

/** Whether `name` is taken in folder `parentId` of `s` by an entry other than `exceptId`. */
function nameTakenIn(s: Tree, parentId: string | null, name: string, exceptId?: string): boolean {
  return (
    s.folders.some((f) => f.parentId === parentId && f.name === name && f.id !== exceptId) ||
    s.files.some((f) => f.folderId === parentId && f.name === name && f.id !== exceptId)
  )
}

/** Whether an entry named `name` can go into folder `parentId` of `s`, still at `parentPath`. */
const fitsIn = (s: Tree, parentId: string | null, parentPath: string, name: string): boolean =>
  folderPathIn(s, parentId) === parentPath && !nameTakenIn(s, parentId, name)

/** `list` with the item `id` changed, or `undefined` when it has none. */
function replaced<T extends { readonly id: string }>(
  list: readonly T[],
  id: string,
  change: (item: T) => T,
): T[] | undefined {
  const i = list.findIndex((item) => item.id === id)
  // A copy noting the one item replaced: a write of it compares that item only (see replaceAt).
  return i < 0 ? undefined : replaceAt(list, i, change(list[i] as T))
}

/**
 * A record's own value at `key` (never one of `Object.prototype`'s: `constructor` is an id like any other).
 * Records keyed by ids are built from entries (`Object.fromEntries`), never by `record[id] = value`, which
 * for the id `__proto__` replaces the record's prototype instead of adding the key.
 */
const own = <V>(record: Readonly<Record<string, V>>, key: string): V | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined

/**
 * New paths for the subtree of folder `rootId` of `s`, the root changed by `rootChange` (its `path` at
 * least): the folders and files whose path changes, as new objects; everything else keeps its reference.
 */
function repath(s: Tree, rootId: string, rootChange: Partial<WorkspaceFolder> & { path: string }, at: number): Tree {
  const ids = subtreeFolderIds(s.folders, rootId)
  const byId = new Map(s.folders.map((f) => [f.id, f]))
  const newPaths = new Map<string, string>()
  for (const id of ids) {
    const folder = byId.get(id) as WorkspaceFolder
    if (id === rootId) newPaths.set(id, rootChange.path)
    else newPaths.set(id, childPath(newPaths.get(folder.parentId as string) as string, folder.name))
  }
  return {
    folders: s.folders.map((f) => {
      const path = newPaths.get(f.id)
      if (path === undefined) return f
      if (f.id === rootId) return { ...f, ...rootChange, updatedAt: at }
      return path === f.path ? f : { ...f, path }
    }),
    files: s.files.map((f) => {
      const folderPath = f.folderId === null ? undefined : newPaths.get(f.folderId)
      if (folderPath === undefined) return f
      const path = childPath(folderPath, f.name)
      return path === f.path ? f : { ...f, path }
    }),
  }
}

/** Entry `id` of `s` renamed to `name`, the paths below a folder following. */
function renamedIn(s: WorkspaceState, id: string, name: string, at: number): Change {
  const file = fileIn(s, id)
  const folder = file === undefined ? folderIn(s, id) : undefined
  const entry = file ?? folder
  if (entry === undefined || entry.name === name) return s
  const parentId = file !== undefined ? file.folderId : (folder as WorkspaceFolder).parentId
  const parentPath = folderPathIn(s, parentId)
  if (parentPath === undefined || nameTakenIn(s, parentId, name, id)) return s
  const path = childPath(parentPath, name)
  if (folder !== undefined) return repath(s, id, { name, path }, at)
  return { files: replaced(s.files, id, (f) => ({ ...f, name, path, updatedAt: at })) as WorkspaceFile[] }
}

/** Entry `id` of `s` moved into folder `folderId`, the paths below a folder following. */
function movedIn(s: WorkspaceState, id: string, folderId: string | null, at: number): Change {
  const file = fileIn(s, id)
  const folder = file === undefined ? folderIn(s, id) : undefined
  const entry = file ?? folder
  const targetPath = folderPathIn(s, folderId)
  if (entry === undefined || targetPath === undefined) return s
  if ((file !== undefined ? file.folderId : (folder as WorkspaceFolder).parentId) === folderId) return s
  if (folder !== undefined && folderId !== null && subtreeFolderIds(s.folders, id).includes(folderId)) return s
  if (nameTakenIn(s, folderId, entry.name, id)) return s
  const path = childPath(targetPath, entry.name)
  if (folder !== undefined) return repath(s, id, { parentId: folderId, path }, at)
  return { files: replaced(s.files, id, (f) => ({ ...f, folderId, path, updatedAt: at })) as WorkspaceFile[] }
}

/** The assignments without `fileIds`, and without workspaces left empty; `current` itself when none had them. */
function unassignedIn(
  current: Record<WorkspaceId, string[]>,
  fileIds: ReadonlySet<string>,
): Record<WorkspaceId, string[]> {
  let changed = false
  const next: [WorkspaceId, string[]][] = []
  for (const [workspaceId, ids] of Object.entries(current)) {
    const kept = ids.filter((id) => !fileIds.has(id))
    if (kept.length !== ids.length) changed = true
    if (kept.length > 0) next.push([workspaceId, kept.length === ids.length ? ids : kept])
  }
  return changed ? Object.fromEntries(next) : current
}

/** The files of `removed` (a set of ids) gone from `s`, with their assignments: nothing when `s` had none. */
function withoutFiles(
  s: WorkspaceState,
  removed: ReadonlySet<string>,
): Partial<Pick<WorkspaceState, 'files' | 'liveFilesByWorkspace'>> {
  if (removed.size === 0) return {}
  const files = s.files.filter((f) => !removed.has(f.id))
  if (files.length === s.files.length) return {}
  return { files, liveFilesByWorkspace: unassignedIn(s.liveFilesByWorkspace, removed) }
}

/** Assignments added to `s`: per workspace, the ids of files `s` has that it does not list yet, appended. */
function assignedIn(s: WorkspaceState, additions: Iterable<readonly [WorkspaceId, readonly string[]]>): Change {
  const existing = new Set(s.files.map((f) => f.id))
  let next: Map<WorkspaceId, string[]> | undefined
  for (const [workspaceId, ids] of additions) {
    const list = (next === undefined ? own(s.liveFilesByWorkspace, workspaceId) : next.get(workspaceId)) ?? []
    const added = [...new Set(ids)].filter((id) => existing.has(id) && !list.includes(id))
    if (added.length === 0) continue
    next ??= new Map(Object.entries(s.liveFilesByWorkspace))
    next.set(workspaceId, [...list, ...added])
  }
  return next === undefined ? s : { liveFilesByWorkspace: Object.fromEntries(next) }
}

/**
 * The workspace state and operations, for `persistSQLite` (the store needs its `writeLazy`, `copyLazy`
 * and `append`: file content and history live in the database only). Every operation checks its input
 * first and throws a typed error having changed nothing (NOT_FOUND, ALREADY_EXISTS, INVALID_MOVE,
 * INVALID_VALUE); otherwise it is one `set()`, written with its content and history entry in one
 * transaction.
 *
 * @example
 * ```ts
 * const store = createStore<WorkspaceStore>()(
 *   persistSQLite(createWorkspaceState(), workspaceDefinition.persistOptions({ backend })),
 * )
 * ```
 */
export function createWorkspaceState(
  options: WorkspaceStateOptions = {},
): StateCreator<WorkspaceStore, [['zustand-sqlite/persist', unknown]], []> {
  const now = options.now ?? Date.now
  return (set, get, api) => {
    const persist = (): typeof api.persist => {
      const found = (api as Partial<typeof api>).persist
      if (found === undefined || typeof found.writeLazy !== 'function')
        throw new ZustandSqliteError(
          'INVALID_OPTIONS',
          'the workspace store needs persistSQLite: file content and history are kept in the database only',
        )
      return found
    }
    const backend = (): Backend => persist().getBackend() as Backend
    const record = (
      action: WorkspaceHistoryAction,
      targetKind: 'file' | 'folder',
      targetId: string,
      path: string,
      at: number,
      details?: Record<string, unknown>,
    ): void => {
      persist().append(WORKSPACE_HISTORY_TABLE, {
        at,
        action,
        targetKind,
        targetId,
        path,
        ...(details === undefined ? {} : { details }),
      })
    }

    // The checks read the state as it is now: an operation is refused, or made, on what the caller sees.
    const folderById = (id: string): WorkspaceFolder | undefined => folderIn(get(), id)
    const fileById = (id: string): WorkspaceFile | undefined => fileIn(get(), id)
    /** The folder `id` (`null`: the root, path ''), or NOT_FOUND. */
    const targetFolder = (id: string | null | undefined): { id: string | null; path: string } => {
      if (id === null || id === undefined) return { id: null, path: '' }
      const folder = typeof id === 'string' ? folderById(id) : undefined
      return folder ?? notFound('folder', id)
    }
    /** The content and its size in bytes (counted once: a pass over a 50 MB string takes a few hundred ms). */
    const checkContent = (content: unknown): { content: FileContent; bytes: number } => {
      if (typeof content !== 'string' && !(content instanceof Uint8Array))
        invalid('content', 'expected a string or a Uint8Array')
      const bytes = typeof content === 'string' ? utf8ByteLength(content) : content.byteLength
      const limit = get().getSetting('maxFileBytes')
      if (bytes > limit) invalid('content', `${bytes} bytes is over the maxFileBytes setting (${limit})`)
      return { content, bytes }
    }
    const checkMime = (mimeType: unknown): string | undefined =>
      mimeType === undefined ? undefined : mimeRule(mimeType, 'workspace.mimeType')

    return {
      ...workspaceDefaults(),

      createFolder: (name, parentId = null) => {
        persist()
        assertName(name)
        const parent = targetFolder(parentId)
        if (nameTakenIn(get(), parent.id, name)) taken(name, parent.path)
        const at = now()
        const folder: WorkspaceFolder = {
          id: randomId(),
          name,
          parentId: parent.id,
          path: childPath(parent.path, name),
          createdAt: at,
          updatedAt: at,
        }
        set((s) => (fitsIn(s, parent.id, parent.path, name) ? { folders: [...s.folders, folder] } : s))
        record('create-folder', 'folder', folder.id, folder.path, at)
        return folder.id
      },

      createFile: (input) => {
        const p = persist()
        if (!isPlainObject(input)) invalid('input', 'expected { name, content, folderId?, mimeType?, id? }')
        const { name, folderId = null, id } = input as CreateFileInput
        assertName(name)
        const { content, bytes } = checkContent((input as CreateFileInput).content)
        const mimeType = checkMime((input as CreateFileInput).mimeType)
        if (id !== undefined) {
          idRule(id, 'workspace.id')
          if (fileById(id) !== undefined || folderById(id) !== undefined)
            throw new ZustandSqliteError<WorkspaceErrorCode>(
              'ALREADY_EXISTS',
              `workspace: the id ${JSON.stringify(id)} is taken; nothing was changed`,
              { path: id },
            )
        }
        const folder = targetFolder(folderId)
        if (nameTakenIn(get(), folder.id, name)) taken(name, folder.path)
        const at = now()
        const binary = typeof content !== 'string'
        const file: WorkspaceFile = {
          id: id ?? randomId(),
          name,
          folderId: folder.id,
          path: childPath(folder.path, name),
          mimeType: mimeType ?? guessMimeType(name, binary),
          sizeBytes: bytes,
          encoding: binary ? 'binary' : 'text',
          createdAt: at,
          updatedAt: at,
        }
        set((s) =>
          fitsIn(s, folder.id, folder.path, name) &&
          fileIn(s, file.id) === undefined &&
          folderIn(s, file.id) === undefined
            ? { files: [...s.files, file] }
            : s,
        )
        // In the tick of the set: written after the row, in its transaction (and left alone without the row).
        p.writeLazy(WORKSPACE_FILES_TABLE, file.id, contentColumns(content))
        record('create-file', 'file', file.id, file.path, at, { sizeBytes: file.sizeBytes })
        return file.id
      },

      writeFile: (id, contentInput, writeOptions = {}) => {
        const p = persist()
        const file = fileById(id) ?? notFound('file', id)
        const { content, bytes } = checkContent(contentInput)
        const mimeType = checkMime(writeOptions.mimeType)
        const at = now()
        const encoding: WorkspaceFile['encoding'] = typeof content === 'string' ? 'text' : 'binary'
        set((s) => {
          const files = replaced(s.files, id, (f) => ({
            ...f,
            mimeType: mimeType ?? f.mimeType,
            sizeBytes: bytes,
            encoding,
            updatedAt: at,
          }))
          return files === undefined ? s : { files }
        })
        p.writeLazy(WORKSPACE_FILES_TABLE, id, contentColumns(content))
        record('write-file', 'file', id, file.path, at, { sizeBytes: bytes })
      },

      rename: (id, name) => {
        persist()
        assertName(name)
        const file = fileById(id)
        const folder = file === undefined ? (folderById(id) ?? notFound('file or folder', id)) : undefined
        const entry = (file ?? folder) as WorkspaceFile | WorkspaceFolder
        const parentId = file !== undefined ? file.folderId : (folder as WorkspaceFolder).parentId
        const parentPath = parentId === null ? '' : (folderById(parentId) as WorkspaceFolder).path
        const unchanged = entry.name === name
        if (!unchanged && nameTakenIn(get(), parentId, name, id)) taken(name, parentPath)
        const at = now()
        // Set even when nothing changes now: made again after a hydration, it renames what was stored.
        set((s) => renamedIn(s, id, name, at))
        if (!unchanged)
          record('rename', file !== undefined ? 'file' : 'folder', id, childPath(parentPath, name), at, {
            from: entry.path,
          })
      },

      move: (id, folderId) => {
        persist()
        const file = fileById(id)
        const folder = file === undefined ? (folderById(id) ?? notFound('file or folder', id)) : undefined
        const target = targetFolder(folderId)
        if (folder !== undefined && target.id !== null && subtreeFolderIds(get().folders, id).includes(target.id)) {
          throw new ZustandSqliteError<WorkspaceErrorCode>(
            'INVALID_MOVE',
            `workspace: ${JSON.stringify(folder.path)} cannot move into ${target.id === id ? 'itself' : `its own subfolder ${JSON.stringify(target.path)}`}; nothing was changed`,
            { path: folder.path },
          )
        }
        const entry = (file ?? folder) as WorkspaceFile | WorkspaceFolder
        const parentId = file !== undefined ? file.folderId : (folder as WorkspaceFolder).parentId
        const unchanged = parentId === target.id
        if (!unchanged && nameTakenIn(get(), target.id, entry.name, id)) taken(entry.name, target.path)
        const at = now()
        // Set even when nothing changes now: made again after a hydration, it moves what was stored.
        set((s) => movedIn(s, id, target.id, at))
        if (!unchanged)
          record('move', file !== undefined ? 'file' : 'folder', id, childPath(target.path, entry.name), at, {
            from: entry.path,
          })
      },

      copy: (id, folderId, copyOptions = {}) => {
        const p = persist()
        const file = fileById(id)
        const folder = file === undefined ? (folderById(id) ?? notFound('file or folder', id)) : undefined
        const target = targetFolder(folderId)
        const entry = (file ?? folder) as WorkspaceFile | WorkspaceFolder
        const name = copyOptions.name ?? entry.name
        assertName(name)
        const ids = folder === undefined ? [] : subtreeFolderIds(get().folders, id)
        if (folder !== undefined && target.id !== null && ids.includes(target.id)) {
          throw new ZustandSqliteError<WorkspaceErrorCode>(
            'INVALID_MOVE',
            `workspace: ${JSON.stringify(folder.path)} cannot be copied into itself; nothing was changed`,
            { path: folder.path },
          )
        }
        if (nameTakenIn(get(), target.id, name)) taken(name, target.path)
        const at = now()
        // The copies are made here, with their ids, so that the content copies below name them; the set
        // only adds them.
        const fits = (s: Tree): boolean => fitsIn(s, target.id, target.path, name)
        if (file !== undefined) {
          const copied: WorkspaceFile = {
            ...file,
            id: randomId(),
            name,
            folderId: target.id,
            path: childPath(target.path, name),
            createdAt: at,
            updatedAt: at,
          }
          set((s) => (fits(s) ? { files: [...s.files, copied] } : s))
          p.copyLazy(WORKSPACE_FILES_TABLE, id, copied.id, CONTENT_FIELDS)
          record('copy', 'file', copied.id, copied.path, at, { from: file.path, sourceId: id })
          return copied.id
        }
        const source = folder as WorkspaceFolder
        const { folders, files } = get()
        const byId = new Map(folders.map((f) => [f.id, f]))
        const copies = new Map<string, WorkspaceFolder>()
        for (const folderIdInTree of ids) {
          const original = byId.get(folderIdInTree) as WorkspaceFolder
          const isRoot = folderIdInTree === id
          const parent = isRoot ? undefined : (copies.get(original.parentId as string) as WorkspaceFolder)
          copies.set(folderIdInTree, {
            id: randomId(),
            name: isRoot ? name : original.name,
            parentId: isRoot ? target.id : (parent as WorkspaceFolder).id,
            path: isRoot ? childPath(target.path, name) : childPath((parent as WorkspaceFolder).path, original.name),
            createdAt: at,
            updatedAt: at,
          })
        }
        const copiedFiles: WorkspaceFile[] = []
        const contentCopies: [string, string][] = []
        for (const f of files) {
          const parent = f.folderId === null ? undefined : copies.get(f.folderId)
          if (parent === undefined) continue
          const copied: WorkspaceFile = {
            ...f,
            id: randomId(),
            folderId: parent.id,
            path: childPath(parent.path, f.name),
            createdAt: at,
            updatedAt: at,
          }
          copiedFiles.push(copied)
          contentCopies.push([f.id, copied.id])
        }
        const root = copies.get(id) as WorkspaceFolder
        set((s) => (fits(s) ? { folders: [...s.folders, ...copies.values()], files: [...s.files, ...copiedFiles] } : s))
        for (const [from, to] of contentCopies) p.copyLazy(WORKSPACE_FILES_TABLE, from, to, CONTENT_FIELDS)
        record('copy', 'folder', root.id, root.path, at, {
          from: source.path,
          sourceId: id,
          folders: copies.size,
          files: copiedFiles.length,
        })
        return root.id
      },

      deleteFile: (id) => {
        persist()
        const file = fileById(id) ?? notFound('file', id)
        const at = now()
        set((s) => (fileIn(s, id) === undefined ? s : withoutFiles(s, new Set([id]))))
        record('delete-file', 'file', id, file.path, at, { sizeBytes: file.sizeBytes })
      },

      deleteFolder: (id) => {
        persist()
        const folder = folderById(id) ?? notFound('folder', id)
        const subtree = (s: Tree): { folders: Set<string>; files: Set<string> } => {
          const folders = new Set(subtreeFolderIds(s.folders, id))
          const files = s.files.filter((f) => f.folderId !== null && folders.has(f.folderId)).map((f) => f.id)
          return { folders, files: new Set(files) }
        }
        const removed = subtree(get())
        const at = now()
        set((s) => {
          if (folderIn(s, id) === undefined) return s
          const inside = subtree(s)
          return {
            ...withoutFiles(s, inside.files),
            folders: s.folders.filter((f) => !inside.folders.has(f.id)),
          }
        })
        record('delete-folder', 'folder', id, folder.path, at, {
          folders: removed.folders.size,
          files: removed.files.size,
        })
      },

      readFile: async (id) => {
        if (fileById(id) === undefined) notFound('file', id)
        // What was set before is written first: the content just given to writeFile comes back.
        await persist().flush()
        return selectFileContent(backend(), id)
      },

      entryByPath: (path) => {
        const file = get().files.find((f) => f.path === path)
        if (file !== undefined) return { kind: 'file', file }
        const folder = get().folders.find((f) => f.path === path)
        return folder === undefined ? undefined : { kind: 'folder', folder }
      },

      listFolder: (folderId) => {
        const parent = targetFolder(folderId)
        const byName = (a: { name: string }, b: { name: string }): number =>
          a.name < b.name ? -1 : a.name > b.name ? 1 : 0
        const order =
          get().getSetting('sortBy') === 'updated'
            ? (a: { name: string; updatedAt: number }, b: { name: string; updatedAt: number }) =>
                b.updatedAt - a.updatedAt || byName(a, b)
            : byName
        return {
          folders: get()
            .folders.filter((f) => f.parentId === parent.id)
            .sort(order),
          files: get()
            .files.filter((f) => f.folderId === parent.id)
            .sort(order),
        }
      },

      listHistory: async (historyOptions = {}) => {
        const query = historyQuery(historyOptions)
        await persist().flush()
        return selectHistory(backend(), query)
      },

      trimHistory: async (trimOptions = {}) => {
        checkTrim(trimOptions)
        await persist().flush()
        return trimHistoryRows(backend(), api.persist.getOptions().name ?? WORKSPACE_STORE_NAME, {
          ...trimOptions,
          keep: trimOptions.keep ?? get().getSetting('historyLimit'),
        })
      },

      getSetting: ((key: string): unknown => {
        const stored = own(get().settings, key)
        if (!isKnownSetting(key)) return stored
        if (stored === undefined) return workspaceSettingsDefaults[key]
        try {
          return workspaceSettingsRules[key](stored, key)
        } catch {
          // A stored value this version cannot use (written by hand, or by another version): the default.
          return workspaceSettingsDefaults[key]
        }
      }) as WorkspaceActions['getSetting'],

      setSetting: ((key: string, value: unknown): void => {
        rules.string({ minLength: 1, maxLength: 255 })(key, 'workspace.settings')
        if (value === undefined || typeof value === 'function' || typeof value === 'symbol')
          invalid(`settings.${key}`, `a setting needs a JSON value, not ${typeof value}; resetSetting forgets one`)
        const checked = isKnownSetting(key)
          ? workspaceSettingsRules[key](value, `workspace.settings.${key}`)
          : rules.json()(value, `workspace.settings.${key}`)
        set((s) => (own(s.settings, key) === checked ? s : { settings: { ...s.settings, [key]: checked } }))
      }) as WorkspaceActions['setSetting'],

      resetSetting: (key) => {
        set((s) => {
          if (!Object.hasOwn(s.settings, key)) return s
          const { [key]: _dropped, ...settings } = s.settings
          return { settings }
        })
      },

      remove: (workspaceId) => {
        set((s) => {
          if (!Object.hasOwn(s.liveFilesByWorkspace, workspaceId)) return s
          const { [workspaceId]: _dropped, ...liveFilesByWorkspace } = s.liveFilesByWorkspace
          return { liveFilesByWorkspace }
        })
      },

      copyAssignments: (source, target) => {
        idRule(target, 'workspace.workspaceId')
        set((s) => assignedIn(s, [[target, own(s.liveFilesByWorkspace, source) ?? []]]))
      },

      liveFileAssign: (workspaceId, fileId) => {
        if (fileById(fileId) === undefined) notFound('file', fileId)
        idRule(workspaceId, 'workspace.workspaceId')
        set((s) => assignedIn(s, [[workspaceId, [fileId]]]))
      },

      liveFileUnassign: (workspaceId, fileId) => {
        set((s) => {
          const list = own(s.liveFilesByWorkspace, workspaceId)
          if (list === undefined || !list.includes(fileId)) return s
          const kept = list.filter((id) => id !== fileId)
          const { [workspaceId]: _dropped, ...others } = s.liveFilesByWorkspace
          return { liveFilesByWorkspace: kept.length > 0 ? { ...others, [workspaceId]: kept } : others }
        })
      },

      liveFileUnassignFromAll: (fileId) => {
        set((s) => {
          const liveFilesByWorkspace = unassignedIn(s.liveFilesByWorkspace, new Set([fileId]))
          return liveFilesByWorkspace === s.liveFilesByWorkspace ? s : { liveFilesByWorkspace }
        })
      },

      importAssignmentsFromMessages: (workspaceId, messages) => {
        idRule(workspaceId, 'workspace.workspaceId')
        const ids: string[] = []
        for (const message of messages) {
          for (const fragment of message.fragments ?? []) {
            if (fragment.ft === 'attachment' && typeof fragment.liveFileId === 'string') ids.push(fragment.liveFileId)
          }
        }
        // Ids of files that do not exist are skipped by the set, on the state it is made on.
        set((s) => assignedIn(s, [[workspaceId, ids]]))
      },

      mergeAssignments: (liveFilesByWorkspace) => {
        if (!isPlainObject(liveFilesByWorkspace)) invalid('liveFilesByWorkspace', 'expected an object of id arrays')
        // Everything is checked first, and merged in one set: all of it or, on a bad entry, none.
        const additions: [WorkspaceId, string[]][] = []
        for (const [workspaceId, ids] of Object.entries(liveFilesByWorkspace)) {
          idRule(workspaceId, 'workspace.workspaceId')
          if (!Array.isArray(ids)) invalid(`liveFilesByWorkspace.${workspaceId}`, 'expected an array of file ids')
          additions.push([
            workspaceId,
            (ids as readonly unknown[]).filter((id): id is string => typeof id === 'string'),
          ])
        }
        set((s) => assignedIn(s, additions))
      },
    }
  }
}

/**
 * Brings state persisted at another version to the current one (`persistSQLite`'s `migrate`): version 0 is
 * the app's (assignments only). A newer version throws MIGRATION_FAILED and nothing is written.
 */
export function migrateWorkspace(persisted: unknown, version: number): WorkspaceState {
  if (version > WORKSPACE_STATE_VERSION || version < 0 || !Number.isInteger(version)) {
    throw new ZustandSqliteError(
      'MIGRATION_FAILED',
      `${WORKSPACE_STORE_NAME}: state version ${version} has no migration to ${WORKSPACE_STATE_VERSION}; nothing was written`,
      { store: WORKSPACE_STORE_NAME },
    )
  }
  const state = isPlainObject(persisted) ? persisted : {}
  return { ...workspaceDefaults(), ...state } as WorkspaceState
}

/**
 * The hydration merge: the stored state over the defaults, minus assignments of files that no longer
 * exist and workspaces left empty (the app's own clean-up at load).
 */
export function mergeWorkspace(persisted: unknown, current: WorkspaceStore): WorkspaceStore {
  const stored = (isPlainObject(persisted) ? persisted : {}) as Partial<WorkspaceState>
  const merged = { ...current, ...stored }
  const existing = new Set((merged.files ?? []).map((f) => f.id))
  const liveFilesByWorkspace: [WorkspaceId, string[]][] = []
  for (const [workspaceId, ids] of Object.entries(merged.liveFilesByWorkspace ?? {})) {
    const kept = Array.isArray(ids) ? ids.filter((id) => existing.has(id)) : []
    if (kept.length > 0) liveFilesByWorkspace.push([workspaceId, kept.length === ids.length ? ids : kept])
  }
  return { ...merged, liveFilesByWorkspace: Object.fromEntries(liveFilesByWorkspace) }
}
