import type { ApiRoute, JsonSchema } from '@zustand-sqlite/core'
import { STATUS_OF } from './http'
import { jsonSchemaOfValidator } from './restRoutes'

/** What the OpenAPI document says of the API itself. */
export interface OpenApiOptions {
  /** @default 'zustand-sqlite server' */
  readonly title?: string
  /** The API's version. @default '1.0.0' */
  readonly version?: string
  readonly description?: string
  /**
   * How requests authenticate, as OpenAPI security schemes (`{ bearer: { type: 'http', scheme: 'bearer' } }`);
   * every operation then requires one of them. @default none described
   */
  readonly securitySchemes?: Readonly<Record<string, JsonSchema>>
}

const ERROR_BODY: JsonSchema = {
  type: 'object',
  properties: {
    code: { type: 'string', description: "The library's error code, or an HTTP one (UNAUTHORIZED, NOT_FOUND, ...)" },
    message: { type: 'string' },
    path: { type: 'string', description: 'Where in the request the problem is' },
    store: { type: 'string' },
  },
  required: ['code', 'message'],
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
})

/** `/chat-folders/{id}/conversations` → `ChatFoldersByIdConversations`, for an operation id. */
const pascalPath = (path: string): string =>
  path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => {
      const param = /^\{(.+)\}$/.exec(part)?.[1]
      const words = (param ?? part).split(/[^A-Za-z0-9]+/).filter((w) => w !== '')
      const name = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')
      return param === undefined ? name : `By${name}`
    })
    .join('')

/** OpenAPI parameters of one location from a validator's JSON Schema of an object. */
function parametersOf(where: 'path' | 'query', schema: JsonSchema, names?: readonly string[]): unknown[] {
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>
  const required = new Set((schema['required'] ?? []) as string[])
  const listed = names ?? Object.keys(properties)
  return listed.map((name) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: properties[name] ?? { type: 'string' },
  }))
}

/** The statuses an operation may answer besides its success, by status, with the codes that give each. */
function errorStatuses(route: ApiRoute): Map<number, Set<string>> {
  const statuses = new Map<number, Set<string>>()
  const add = (status: number, code: string) => {
    const codes = statuses.get(status) ?? new Set<string>()
    codes.add(code)
    statuses.set(status, codes)
  }
  add(401, 'UNAUTHORIZED')
  if (route.params !== undefined || route.query !== undefined || route.body !== undefined) add(400, 'INVALID_VALUE')
  if (route.body !== undefined) {
    add(400, 'INVALID_REQUEST')
    add(413, 'PAYLOAD_TOO_LARGE')
  }
  for (const code of route.errors ?? []) add(STATUS_OF[code] ?? 500, code)
  add(503, 'DATABASE_BUSY')
  return statuses
}

/** The OpenAPI operation of a route, from its validators. */
function operationOf(route: ApiRoute): Record<string, unknown> {
  const pathNames = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string)
  const parameters = [
    ...parametersOf('path', jsonSchemaOfValidator(route.params), pathNames),
    ...(route.query === undefined ? [] : parametersOf('query', jsonSchemaOfValidator(route.query))),
  ]
  const status = route.status ?? 200
  const responses: Record<string, unknown> = {
    [status]:
      status === 204
        ? { description: 'Done' }
        : { description: 'Done', content: { 'application/json': { schema: route.response ?? {} } } },
  }
  for (const [code, codes] of errorStatuses(route)) responses[code] = errorResponse([...codes].join(', '))
  return {
    operationId: `${route.method.toLowerCase()}${pascalPath(route.path)}`,
    summary: route.summary,
    ...(route.description === undefined ? {} : { description: route.description }),
    tags: [route.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchemaOfValidator(route.body) } },
          },
        }),
    responses,
  }
}

/** The sync routes, which check ChangeSets against the server's schema of each store (not a validator's). */
function syncPaths(basePath: string): Record<string, unknown> {
  const store = { name: 'store', in: 'path', required: true, schema: { type: 'string' } }
  const key = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 } }
  const changeSet = { content: { 'application/json': { schema: { type: 'object' } } }, required: true }
  const ok = (description: string) => ({
    description,
    content: { 'application/json': { schema: { type: 'object' } } },
  })
  const errors = {
    '400': errorResponse('INVALID_CHANGESET, INVALID_REQUEST'),
    '401': errorResponse('UNAUTHORIZED'),
    '404': errorResponse('NOT_FOUND'),
    '412': errorResponse('CONCURRENT_MODIFICATION'),
    '413': errorResponse('PAYLOAD_TOO_LARGE'),
  }
  const tags = ['sync']
  return {
    [`${basePath}/sync`]: {
      post: {
        operationId: 'postSync',
        tags,
        summary: "Applies several stores' ChangeSets in one transaction",
        parameters: [key],
        requestBody: changeSet,
        responses: { '200': ok('The results, one per ChangeSet'), ...errors },
      },
    },
    [`${basePath}/sync/{store}`]: {
      get: {
        operationId: 'getSyncByStore',
        tags,
        summary: "The store's rows",
        parameters: [store],
        responses: { '200': ok('The rows, values in the JSON wire form'), ...errors },
      },
      post: {
        operationId: 'postSyncByStore',
        tags,
        summary: 'Applies a ChangeSet, its baseRevision the precondition',
        parameters: [store, key],
        requestBody: changeSet,
        responses: { '200': ok("The store's new revision"), ...errors },
      },
      delete: {
        operationId: 'deleteSyncByStore',
        tags,
        summary: 'Clears the store',
        parameters: [store],
        responses: { '204': { description: 'Cleared' }, ...errors },
      },
    },
    [`${basePath}/sync/{store}/record`]: {
      get: {
        operationId: 'getSyncByStoreRecord',
        tags,
        summary: "The store's record and the server's schema version",
        parameters: [store],
        responses: { '200': ok('The record'), ...errors },
      },
    },
  }
}

/**
 * The OpenAPI 3.1 document of a server: its sync routes and every REST route, each described from its own
 * validators (Standard JSON Schema), so the description cannot drift from what is checked.
 */
export function openApiDocument(
  basePath: string,
  routes: readonly ApiRoute[],
  options: OpenApiOptions = {},
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = syncPaths(basePath) as Record<string, Record<string, unknown>>
  for (const route of routes) {
    const path = `${basePath}${route.path}`
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operationOf(route) }
  }
  const schemes = options.securitySchemes ?? {}
  return {
    openapi: '3.1.0',
    info: {
      title: options.title ?? 'zustand-sqlite server',
      version: options.version ?? '1.0.0',
      ...(options.description === undefined ? {} : { description: options.description }),
    },
    paths,
    components: {
      schemas: { Error: ERROR_BODY },
      ...(Object.keys(schemes).length > 0 ? { securitySchemes: schemes } : {}),
    },
    ...(Object.keys(schemes).length > 0 ? { security: Object.keys(schemes).map((name) => ({ [name]: [] })) } : {}),
  }
}
