import { defineRoute, patchSchema, rules, ZustandSqliteError } from '@zustand-sqlite/core'
import type { ApiRoute, JsonSchema, Rule } from '@zustand-sqlite/core'
import { decodeBase64, encodeBase64 } from './base64'
import { listWorkspaceHistory } from './queries'
import type { WorkspaceQueryOptions } from './queries'
import { MAX_ID_LENGTH } from './state'
import type { FileContent } from './state'
import { MAX_NAME_LENGTH } from './tree'
import {
  createWorkspaceFile,
  createWorkspaceFolder,
  deleteWorkspaceEntry,
  getWorkspaceFile,
  getWorkspaceTree,
  moveWorkspaceEntry,
  renameWorkspaceEntry,
  writeWorkspaceFile,
} from './treeQueries'

const TAG = 'workspace'

// The rules repeat the store's own checks of names and ids so that a bad request is refused before any
// database is opened, with the field's path, and so that the API description says what is accepted. The
// actions check again: the routes are not the only way in.

const idRule = rules.string({ minLength: 1, maxLength: MAX_ID_LENGTH })
/** A name as `assertName` accepts it: no `/`, no control characters, not `.` or `..`. */
// eslint-disable-next-line no-control-regex
const NAME = /^(?!\.\.?$)[^/\u0000-\u001f\u007f]+$/
const nameRule = rules.string({ minLength: 1, maxLength: MAX_NAME_LENGTH, pattern: NAME })
const mimeRule = rules.string({ minLength: 1, maxLength: 255 })

/** Binary content in a JSON body: padded base64, decoded by the check itself. */
const base64Rule: Rule<Uint8Array> = Object.assign(
  (value: unknown, path: string): Uint8Array => decodeBase64(rules.string()(value, path), path),
  { jsonSchema: { type: 'string', contentEncoding: 'base64' } },
)

const idParams = patchSchema({ id: idRule }, { what: 'params', required: ['id'] })

interface FileBody {
  name: string
  folderId: string | null
  mimeType: string
  text: string
  base64: Uint8Array
}

const createFileBody = patchSchema<FileBody, 'name'>(
  {
    name: nameRule,
    folderId: rules.nullable(idRule),
    mimeType: mimeRule,
    text: rules.string(),
    base64: base64Rule,
  },
  { what: 'body', required: ['name'] },
)

const writeFileBody = patchSchema<Pick<FileBody, 'mimeType' | 'text' | 'base64'>>(
  { mimeType: mimeRule, text: rules.string(), base64: base64Rule },
  { what: 'body' },
)

const createFolderBody = patchSchema(
  { name: nameRule, parentId: rules.nullable(idRule) },
  { what: 'body', required: ['name'] },
)

const moveBody = patchSchema({ folderId: rules.nullable(idRule) }, { what: 'body', required: ['folderId'] })

const renameBody = patchSchema({ name: nameRule }, { what: 'body', required: ['name'] })

const historyQuery = patchSchema(
  { limit: rules.integer({ min: 1, max: 1000 }), beforeId: rules.integer({ min: 0 }), targetId: idRule },
  { what: 'query' },
)

/** The content a body gives, as `text` (a text file) or as `base64` (a binary one): exactly one of them. */
function contentOf(body: { readonly text?: string; readonly base64?: Uint8Array }): FileContent {
  if (body.text !== undefined && body.base64 === undefined) return body.text
  if (body.base64 !== undefined && body.text === undefined) return body.base64
  throw new ZustandSqliteError(
    'INVALID_VALUE',
    'body.text: give the content as `text` (a text file) or as `base64` (a binary file), one of them',
    { path: 'body.text' },
  )
}

/** A file's content in a JSON body: `{ text }` or `{ base64 }`. */
const contentBody = (content: FileContent): { text: string } | { base64: string } =>
  typeof content === 'string' ? { text: content } : { base64: encodeBase64(content) }

const string: JsonSchema = { type: 'string' }
const time: JsonSchema = { type: 'integer', description: 'milliseconds since the epoch' }
const nullableString: JsonSchema = { type: ['string', 'null'] }

const folderSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: string,
    name: string,
    parentId: nullableString,
    path: string,
    createdAt: time,
    updatedAt: time,
  },
  required: ['id', 'name', 'parentId', 'path', 'createdAt', 'updatedAt'],
}

const fileSchema: JsonSchema = {
  type: 'object',
  properties: {
    id: string,
    name: string,
    folderId: nullableString,
    path: string,
    mimeType: string,
    sizeBytes: { type: 'integer' },
    encoding: { enum: ['text', 'binary'] },
    createdAt: time,
    updatedAt: time,
  },
  required: ['id', 'name', 'folderId', 'path', 'mimeType', 'sizeBytes', 'encoding', 'createdAt', 'updatedAt'],
}

const entrySchema: JsonSchema = {
  oneOf: [
    { type: 'object', properties: { kind: { const: 'file' }, file: fileSchema }, required: ['kind', 'file'] },
    { type: 'object', properties: { kind: { const: 'folder' }, folder: folderSchema }, required: ['kind', 'folder'] },
  ],
}

const fileWithContentSchema: JsonSchema = {
  oneOf: [
    { type: 'object', properties: { file: fileSchema, text: string }, required: ['file', 'text'] },
    {
      type: 'object',
      properties: { file: fileSchema, base64: { type: 'string', contentEncoding: 'base64' } },
      required: ['file', 'base64'],
    },
  ],
}

const historySchema: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      id: { type: 'integer' },
      at: time,
      action: {
        enum: ['create-folder', 'create-file', 'write-file', 'rename', 'move', 'copy', 'delete-file', 'delete-folder'],
      },
      targetKind: { enum: ['file', 'folder'] },
      targetId: string,
      path: string,
      details: { type: 'object' },
    },
    required: ['id', 'at', 'action', 'targetKind', 'targetId', 'path'],
  },
}

/**
 * The workspace's HTTP routes, as data for a server to mount (`@zustand-sqlite/server`'s `routes` option),
 * under the tag `workspace`. Each runs a query function of this package on the user's database; file content
 * travels as `text` (a text file) or `base64` (a binary one).
 *
 * - `GET /workspace`: the tree, metadata only (`{ folders, files }`).
 * - `GET /workspace/files/{id}`: a file's metadata and content (`{ file, text }` or `{ file, base64 }`).
 * - `POST /workspace/files`: creates a file (201).
 * - `PUT /workspace/files/{id}`: replaces a file's content.
 * - `POST /workspace/folders`: creates a folder (201).
 * - `POST /workspace/entries/{id}/move`, `POST /workspace/entries/{id}/rename`: a file or folder.
 * - `DELETE /workspace/entries/{id}`: a file, or a folder with everything in it (204).
 * - `GET /workspace/history`: the history of operations, newest first (`limit`, `beforeId`, `targetId`).
 *
 * @example
 * ```ts
 * const server = createServerHandler({ authenticate, stores: [], routes: [...workspaceRoutes()] })
 * ```
 */
export function workspaceRoutes(options: WorkspaceQueryOptions = {}): ApiRoute[] {
  const store: WorkspaceQueryOptions = options.name === undefined ? {} : { name: options.name }
  return [
    defineRoute({
      method: 'GET',
      path: '/workspace',
      tag: TAG,
      summary: 'The folders and files of the workspace, by path, without content',
      response: {
        type: 'object',
        properties: { folders: { type: 'array', items: folderSchema }, files: { type: 'array', items: fileSchema } },
        required: ['folders', 'files'],
      },
      errors: ['MIGRATION_FAILED'],
      handle: ({ backend }) => getWorkspaceTree(backend, store),
    }),
    defineRoute({
      method: 'GET',
      path: '/workspace/files/{id}',
      tag: TAG,
      summary: "A file's metadata and content",
      description: 'The content is `text` for a text file, `base64` for a binary one.',
      params: idParams,
      response: fileWithContentSchema,
      errors: ['INVALID_VALUE', 'NOT_FOUND', 'MIGRATION_FAILED'],
      handle: async ({ backend, params }) => {
        const { file, content } = await getWorkspaceFile(backend, params.id, store)
        return { file, ...contentBody(content) }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/workspace/files',
      tag: TAG,
      summary: 'Creates a file with its content',
      description:
        'The content is given as `text` (a text file) or as `base64` (a binary file), one of them. `folderId` ' +
        'null or left out is the root; `mimeType` left out is guessed from the name.',
      body: createFileBody,
      status: 201,
      response: fileSchema,
      errors: ['INVALID_VALUE', 'NOT_FOUND', 'ALREADY_EXISTS', 'MIGRATION_FAILED'],
      handle: ({ backend, body }) =>
        createWorkspaceFile(
          backend,
          {
            name: body.name,
            content: contentOf(body),
            ...(body.folderId === undefined ? {} : { folderId: body.folderId }),
            ...(body.mimeType === undefined ? {} : { mimeType: body.mimeType }),
          },
          store,
        ),
    }),
    defineRoute({
      method: 'PUT',
      path: '/workspace/files/{id}',
      tag: TAG,
      summary: "Replaces a file's content",
      description:
        'The content is given as `text` or as `base64`, one of them; it may change the file from text to binary. ' +
        '`mimeType` left out keeps the one the file has.',
      params: idParams,
      body: writeFileBody,
      response: fileSchema,
      errors: ['INVALID_VALUE', 'NOT_FOUND', 'MIGRATION_FAILED'],
      handle: ({ backend, params, body }) =>
        writeWorkspaceFile(backend, params.id, contentOf(body), {
          ...store,
          ...(body.mimeType === undefined ? {} : { mimeType: body.mimeType }),
        }),
    }),
    defineRoute({
      method: 'POST',
      path: '/workspace/folders',
      tag: TAG,
      summary: 'Creates a folder',
      description: '`parentId` null or left out is the root.',
      body: createFolderBody,
      status: 201,
      response: folderSchema,
      errors: ['INVALID_VALUE', 'NOT_FOUND', 'ALREADY_EXISTS', 'MIGRATION_FAILED'],
      handle: ({ backend, body }) =>
        createWorkspaceFolder(
          backend,
          { name: body.name, ...(body.parentId === undefined ? {} : { parentId: body.parentId }) },
          store,
        ),
    }),
    defineRoute({
      method: 'POST',
      path: '/workspace/entries/{id}/move',
      tag: TAG,
      summary: 'Moves a file or folder into another folder',
      description: '`folderId` null is the root. The paths below a folder follow it.',
      params: idParams,
      body: moveBody,
      response: entrySchema,
      errors: ['INVALID_VALUE', 'NOT_FOUND', 'ALREADY_EXISTS', 'INVALID_MOVE', 'MIGRATION_FAILED'],
      handle: ({ backend, params, body }) => moveWorkspaceEntry(backend, params.id, body.folderId, store),
    }),
    defineRoute({
      method: 'POST',
      path: '/workspace/entries/{id}/rename',
      tag: TAG,
      summary: 'Renames a file or folder',
      description: 'The paths below a folder follow it.',
      params: idParams,
      body: renameBody,
      response: entrySchema,
      errors: ['INVALID_VALUE', 'NOT_FOUND', 'ALREADY_EXISTS', 'MIGRATION_FAILED'],
      handle: ({ backend, params, body }) => renameWorkspaceEntry(backend, params.id, body.name, store),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/workspace/entries/{id}',
      tag: TAG,
      summary: 'Deletes a file, or a folder with everything in it',
      params: idParams,
      status: 204,
      errors: ['INVALID_VALUE', 'NOT_FOUND', 'MIGRATION_FAILED'],
      handle: async ({ backend, params }) => {
        await deleteWorkspaceEntry(backend, params.id, store)
        return undefined
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/workspace/history',
      tag: TAG,
      summary: 'The history of operations, newest first',
      description:
        'At most `limit` entries (100 when left out); the next page is the one `beforeId` (the last `id` of this ' +
        'one) starts; `targetId` keeps the entries of one file or folder.',
      query: historyQuery,
      response: historySchema,
      errors: ['INVALID_VALUE', 'MIGRATION_FAILED'],
      handle: ({ backend, query }) => listWorkspaceHistory(backend, { ...query, ...store }),
    }),
  ]
}
