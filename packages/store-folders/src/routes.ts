import { defineRoute, patchSchema } from '@zustand-sqlite/core'
import type { ApiRoute, JsonSchema } from '@zustand-sqlite/core'
import {
  addConversationToChatFolder,
  createChatFolder,
  deleteChatFolder,
  listChatFolders,
  removeConversationFromChatFolder,
  updateChatFolder,
} from './queries'
import type { ChatFoldersQueryOptions } from './queries'
import { chatFolderRules, idRule } from './rules'

const folderParams = patchSchema({ id: idRule }, { what: 'params', required: ['id'] })
const linkParams = patchSchema({ id: idRule, convId: idRule }, { what: 'params', required: ['id', 'convId'] })
const createBody = patchSchema(chatFolderRules, { what: 'chat-folder', required: ['title'] })
const updateBody = patchSchema(chatFolderRules, { what: 'chat-folder' })
const addBody = patchSchema({ conversationId: idRule }, { what: 'link', required: ['conversationId'] })

/** A `ChatFolderRecord`: the folder (as the store holds it) and its row's times. */
const recordSchema: JsonSchema = {
  type: 'object',
  properties: {
    folder: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        title: { type: 'string' },
        conversationIds: { type: 'array', items: { type: 'string' } },
        color: { type: 'string' },
        isCollapsed: { type: 'boolean' },
      },
      required: ['id', 'title', 'conversationIds'],
    },
    createdAt: { type: 'integer' },
    updatedAt: { type: 'integer' },
  },
  required: ['folder', 'createdAt', 'updatedAt'],
}
const listSchema: JsonSchema = {
  type: 'object',
  properties: { folders: { type: 'array', items: recordSchema }, enableFolders: { type: 'boolean' } },
  required: ['folders', 'enableFolders'],
}

/**
 * The chat folders' six REST routes, at the roadmap's paths, for `@zustand-sqlite/server`'s `routes`: list
 * and create (`GET`/`POST /chat-folders`), update and delete one (`PUT`/`DELETE /chat-folders/{id}`), add a
 * conversation (`POST /chat-folders/{id}/conversations`, `{ conversationId }`) and remove one
 * (`DELETE /chat-folders/{id}/conversations/{convId}`). Each runs the store's own action through this package's
 * query functions, in one transaction; a folder the user does not have is NOT_FOUND.
 *
 * @example
 * ```ts
 * const server = createServerHandler({ authenticate, stores: [], routes: [...chatFoldersRoutes()] })
 * ```
 */
export function chatFoldersRoutes(options: ChatFoldersQueryOptions = {}): ApiRoute[] {
  const tag = 'chat-folders'
  return [
    defineRoute({
      method: 'GET',
      path: '/chat-folders',
      tag,
      summary: 'The folders in display order, and the enableFolders setting',
      response: listSchema,
      handle: ({ backend }) => listChatFolders(backend, options),
    }),
    defineRoute({
      method: 'POST',
      path: '/chat-folders',
      tag,
      summary: 'Creates a folder at the end of the list, with a new id',
      body: createBody,
      status: 201,
      response: recordSchema,
      handle: ({ backend, body }) => createChatFolder(backend, body, options),
    }),
    defineRoute({
      method: 'PUT',
      path: '/chat-folders/{id}',
      tag,
      summary: "Updates a folder's title, color (null removes it) or collapsed state",
      params: folderParams,
      body: updateBody,
      response: recordSchema,
      errors: ['NOT_FOUND'],
      handle: ({ backend, params, body }) => updateChatFolder(backend, params.id, body, options),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/chat-folders/{id}',
      tag,
      summary: 'Deletes a folder and its links; the conversations are not touched',
      params: folderParams,
      status: 204,
      errors: ['NOT_FOUND'],
      handle: ({ backend, params }) => deleteChatFolder(backend, params.id, options),
    }),
    defineRoute({
      method: 'POST',
      path: '/chat-folders/{id}/conversations',
      tag,
      summary: 'Adds a conversation at the end of a folder (once)',
      params: folderParams,
      body: addBody,
      response: recordSchema,
      errors: ['NOT_FOUND'],
      handle: ({ backend, params, body }) =>
        addConversationToChatFolder(backend, params.id, body.conversationId, options),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/chat-folders/{id}/conversations/{convId}',
      tag,
      summary: 'Removes a conversation from a folder (nothing changes when it is not in it)',
      params: linkParams,
      response: recordSchema,
      errors: ['NOT_FOUND'],
      handle: ({ backend, params }) => removeConversationFromChatFolder(backend, params.id, params.convId, options),
    }),
  ]
}
