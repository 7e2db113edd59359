import { isPlainObject, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import type { WorkspaceQueryOptions } from './queries'
import { checkFileId, selectFileContent } from './sql'
import { WORKSPACE_STORE_NAME } from './state'
import type {
  CreateFileInput,
  FileContent,
  WorkspaceEntry,
  WorkspaceFile,
  WorkspaceFolder,
  WorkspaceState,
} from './state'
import { workspaceDefinition } from './store'
import type { WorkspaceStoreApi } from './store'

// The tree's query functions run the store's own actions on the stored data (`workspaceDefinition.update`):
// every check the app's store makes is made here, and one call is one transaction, nothing written when an
// action throws.

/** The whole tree, metadata only: what `GET /workspace` answers. */
export interface WorkspaceTree {
  /** Every folder, by path. */
  readonly folders: readonly WorkspaceFolder[]
  /** Every file, by path; their content is not loaded. */
  readonly files: readonly WorkspaceFile[]
}

/** A file's metadata and its content, read together. */
export interface WorkspaceFileWithContent {
  readonly file: WorkspaceFile
  /** A string for a text file, a `Uint8Array` for a binary one. */
  readonly content: FileContent
}

/** What {@link createWorkspaceFolder} takes. */
export interface CreateWorkspaceFolderInput {
  readonly name: string
  /** The folder to create it in. @default null (the root) */
  readonly parentId?: string | null
}

/** Options of {@link writeWorkspaceFile}. */
export interface WriteWorkspaceFileOptions extends WorkspaceQueryOptions {
  /** The file's new MIME type. @default the one it has */
  readonly mimeType?: string
}

/** The store name of a query's options, checked (INVALID_OPTIONS) before anything is read. */
function storeName(options: WorkspaceQueryOptions): string {
  const { name = WORKSPACE_STORE_NAME } = options
  if (typeof name !== 'string' || name === '')
    throw new ZustandSqliteError('INVALID_OPTIONS', 'a store name must be a non-empty string', { path: 'name' })
  return name
}

const byPath = (a: { readonly path: string }, b: { readonly path: string }): number =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : 0

/** The file or folder `id` of `state`, if any. */
function entryOf(state: Pick<WorkspaceState, 'files' | 'folders'>, id: string): WorkspaceEntry | undefined {
  const file = state.files.find((f) => f.id === id)
  if (file !== undefined) return { kind: 'file', file }
  const folder = state.folders.find((f) => f.id === id)
  return folder === undefined ? undefined : { kind: 'folder', folder }
}

function noEntry(what: string, id: string): never {
  throw new ZustandSqliteError('NOT_FOUND', `workspace: no ${what} ${JSON.stringify(id)}; nothing was changed`, {
    path: id,
  })
}

/** The file `id` of `state`, or NOT_FOUND. */
function fileOf(state: WorkspaceState, id: string): WorkspaceFile {
  const entry = entryOf(state, id)
  return entry?.kind === 'file' ? entry.file : noEntry('file', id)
}

/** The folder `id` of `state`, or NOT_FOUND. */
function folderOf(state: WorkspaceState, id: string): WorkspaceFolder {
  const entry = entryOf(state, id)
  return entry?.kind === 'folder' ? entry.folder : noEntry('folder', id)
}

/**
 * Runs `edit` on a store hydrated from the stored workspace, and writes what its actions changed in one
 * transaction (nothing when it throws). `edit` reads its result with `store.getState()` after the actions:
 * the state is replaced by each change, so one read before them would not hold it.
 */
function editWorkspace<R>(
  backend: Backend,
  options: WorkspaceQueryOptions,
  edit: (store: WorkspaceStoreApi) => R,
): Promise<R> {
  return workspaceDefinition.update(backend, edit, { name: storeName(options) })
}

/**
 * The folders and files of the workspace, each sorted by path, without their content (for `GET /workspace`).
 * Writes no rows (on a database without the workspace's tables, it creates them, empty).
 *
 * @example
 * ```ts
 * const { folders, files } = await getWorkspaceTree(backend)
 * ```
 */
export async function getWorkspaceTree(backend: Backend, options: WorkspaceQueryOptions = {}): Promise<WorkspaceTree> {
  const { state } = await workspaceDefinition.read(backend, { name: storeName(options) })
  return { folders: [...state.folders].sort(byPath), files: [...state.files].sort(byPath) }
}

/**
 * A file's metadata and content (for `GET /workspace/files/{id}`); NOT_FOUND when no such file is stored.
 * Writes no rows. The metadata and the content are two reads: a write by another connection between them
 * shows in the second only (the server handles one user's requests one at a time).
 *
 * @example
 * ```ts
 * const { file, content } = await getWorkspaceFile(backend, fileId)
 * ```
 */
export async function getWorkspaceFile(
  backend: Backend,
  id: string,
  options: WorkspaceQueryOptions = {},
): Promise<WorkspaceFileWithContent> {
  checkFileId(id)
  const { state } = await workspaceDefinition.read(backend, { name: storeName(options) })
  const file = fileOf(state, id)
  return { file, content: await selectFileContent(backend, id) }
}

/**
 * Creates a folder (for `POST /workspace/folders`) with the store's `createFolder`, and returns it. A bad
 * name throws INVALID_VALUE, a name taken in the parent ALREADY_EXISTS, an unknown parent NOT_FOUND; then
 * nothing is written.
 *
 * @example
 * ```ts
 * const docs = await createWorkspaceFolder(backend, { name: 'docs' })
 * const specs = await createWorkspaceFolder(backend, { name: 'specs', parentId: docs.id })
 * ```
 */
export async function createWorkspaceFolder(
  backend: Backend,
  input: CreateWorkspaceFolderInput,
  options: WorkspaceQueryOptions = {},
): Promise<WorkspaceFolder> {
  if (!isPlainObject(input))
    throw new ZustandSqliteError('INVALID_VALUE', 'workspace.input: expected { name, parentId? }', {
      path: 'workspace.input',
    })
  return editWorkspace(backend, options, (store) => {
    const id = store.getState().createFolder(input.name, input.parentId ?? null)
    return folderOf(store.getState(), id)
  })
}

/**
 * Creates (uploads) a file with its content (for `POST /workspace/files`) with the store's `createFile`,
 * and returns its metadata. The content is a string for a text file, a `Uint8Array` for a binary one. A bad
 * name, MIME type or content (over the `maxFileBytes` setting) throws INVALID_VALUE, a name taken
 * ALREADY_EXISTS, an unknown folder NOT_FOUND; then nothing is written.
 *
 * @example
 * ```ts
 * const file = await createWorkspaceFile(backend, { name: 'notes.md', content: '# Notes', folderId: docs.id })
 * ```
 */
export async function createWorkspaceFile(
  backend: Backend,
  input: CreateFileInput,
  options: WorkspaceQueryOptions = {},
): Promise<WorkspaceFile> {
  return editWorkspace(backend, options, (store) => {
    const id = store.getState().createFile(input)
    return fileOf(store.getState(), id)
  })
}

/**
 * Replaces a file's content, and its MIME type when `mimeType` is given (for `PUT /workspace/files/{id}`),
 * with the store's `writeFile`, and returns its metadata. An unknown file throws NOT_FOUND, bad content or
 * MIME type INVALID_VALUE; then nothing is written.
 *
 * @example
 * ```ts
 * const file = await writeWorkspaceFile(backend, fileId, '# Notes\n\nMore.')
 * ```
 */
export async function writeWorkspaceFile(
  backend: Backend,
  id: string,
  content: FileContent,
  options: WriteWorkspaceFileOptions = {},
): Promise<WorkspaceFile> {
  const { mimeType } = options
  return editWorkspace(backend, options, (store) => {
    store.getState().writeFile(id, content, mimeType === undefined ? {} : { mimeType })
    return fileOf(store.getState(), id)
  })
}

/**
 * Moves a file or folder into `folderId` (the root when `null`) with the store's `move`, the paths below a
 * folder following, and returns the entry as it is then (for `POST /workspace/entries/{id}/move`). An unknown
 * entry or folder throws NOT_FOUND, a name taken there ALREADY_EXISTS, a folder moved into its own subtree
 * INVALID_MOVE; then nothing is written.
 *
 * @example
 * ```ts
 * const entry = await moveWorkspaceEntry(backend, fileId, archive.id)
 * ```
 */
export async function moveWorkspaceEntry(
  backend: Backend,
  id: string,
  folderId: string | null,
  options: WorkspaceQueryOptions = {},
): Promise<WorkspaceEntry> {
  return editWorkspace(backend, options, (store) => {
    store.getState().move(id, folderId)
    return entryOf(store.getState(), id) ?? noEntry('file or folder', id)
  })
}

/**
 * Renames a file or folder with the store's `rename`, the paths below a folder following, and returns the
 * entry as it is then (for `POST /workspace/entries/{id}/rename`). An unknown entry throws NOT_FOUND, a bad
 * name INVALID_VALUE, a name taken in its folder ALREADY_EXISTS; then nothing is written.
 *
 * @example
 * ```ts
 * const entry = await renameWorkspaceEntry(backend, folderId, 'archive')
 * ```
 */
export async function renameWorkspaceEntry(
  backend: Backend,
  id: string,
  name: string,
  options: WorkspaceQueryOptions = {},
): Promise<WorkspaceEntry> {
  return editWorkspace(backend, options, (store) => {
    store.getState().rename(id, name)
    return entryOf(store.getState(), id) ?? noEntry('file or folder', id)
  })
}

/**
 * Deletes a file, or a folder with everything in it, with the store's `deleteFile` or `deleteFolder` (for
 * `DELETE /workspace/entries/{id}`), in one transaction. An unknown entry throws NOT_FOUND and nothing is
 * written.
 *
 * @example
 * ```ts
 * await deleteWorkspaceEntry(backend, folderId)
 * ```
 */
export async function deleteWorkspaceEntry(
  backend: Backend,
  id: string,
  options: WorkspaceQueryOptions = {},
): Promise<void> {
  await editWorkspace(backend, options, (store) => {
    const actions = store.getState()
    const entry = entryOf(actions, id) ?? noEntry('file or folder', id)
    if (entry.kind === 'file') actions.deleteFile(id)
    else actions.deleteFolder(id)
  })
}
