import type { Backend } from '../contract/backend'
import type { JsonSchema } from './validation'

/** The outcome of a Standard Schema's `validate`: the value it accepted, or what is wrong with it. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: readonly {
        readonly message: string
        readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined
      }[]
    }

/**
 * A validator in the Standard Schema v1 form (standardschema.dev): zod, valibot, arktype and the rules'
 * own `patchSchema` all are one. Only what a route uses is typed here, so no library is a dependency.
 */
export interface StandardSchemaV1<Output = unknown> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>
    /**
     * The Standard JSON Schema v1 converter (standardschema.dev/json-schema), which zod 4.2+, arktype and
     * `patchSchema` carry: what the API description is generated from.
     */
    readonly jsonSchema?: {
      readonly input: (options: { readonly target: string }) => Record<string, unknown>
    }
    readonly types?: { readonly input: unknown; readonly output: Output } | undefined
  }
}

/** What a Standard Schema accepts. */
export type StandardOutput<S> = S extends StandardSchemaV1<infer O> ? O : undefined

/** The HTTP methods a route may answer. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'

/** What a route's handler is given: the user's database and the request's parts, each checked. */
export interface RouteInput<P, Q, B> {
  /** The database of the user the request comes from: no other user's data is reachable through it. */
  readonly backend: Backend
  readonly userId: string
  /** The path's `{name}` segments, decoded, as `params` accepted them. */
  readonly params: P
  /** The query string, as `query` accepted it (a parameter whose JSON Schema says number is read as one). */
  readonly query: Q
  /** The JSON body, as `body` accepted it. */
  readonly body: B
}

/**
 * One HTTP endpoint of a store, as data: a server mounts it (`@zustand-sqlite/server`'s `routes` option),
 * checks the request's path parameters, query and body with the route's validators before it runs, and
 * describes it in its OpenAPI document from the same validators.
 */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  readonly method: RouteMethod
  /** The path under the server's base path, with `{name}` for a parameter: `/chat-folders/{id}`. */
  readonly path: string
  /** One line, for the API description. */
  readonly summary: string
  readonly description?: string
  /** The group it is listed under (the store's API name: `chat-folders`). */
  readonly tag: string
  /** Checks the path parameters (an object of strings). Without it, the path has none. */
  readonly params?: StandardSchemaV1<P>
  /** Checks the query string (an object of strings, numbers where its JSON Schema says so). */
  readonly query?: StandardSchemaV1<Q>
  /** Checks the JSON body. Without it, a body is refused. */
  readonly body?: StandardSchemaV1<B>
  /** The status of a success: 200, 201 (created) or 204 (no body). @default 200 */
  readonly status?: 200 | 201 | 204
  /** The JSON Schema of a success's body, for the API description. */
  readonly response?: JsonSchema
  /** The library's error codes the route may answer, for the API description (`NOT_FOUND`, ...). */
  readonly errors?: readonly string[]
  /** Runs the request on the user's database; its result is the response's JSON body. */
  readonly handle: (input: RouteInput<P, Q, B>) => Promise<unknown>
}

/**
 * A route, typed from its validators: the handler's `params`, `query` and `body` are what they accept.
 *
 * @example
 * ```ts
 * const getSettings = defineRoute({
 *   method: 'GET',
 *   path: '/settings',
 *   tag: 'settings',
 *   summary: 'The stored settings',
 *   handle: ({ backend }) => getSettings(backend),
 * })
 * ```
 */
export function defineRoute<
  PS extends StandardSchemaV1 | undefined = undefined,
  QS extends StandardSchemaV1 | undefined = undefined,
  BS extends StandardSchemaV1 | undefined = undefined,
>(
  route: Omit<ApiRoute, 'params' | 'query' | 'body' | 'handle'> & {
    readonly params?: PS
    readonly query?: QS
    readonly body?: BS
    readonly handle: (input: RouteInput<StandardOutput<PS>, StandardOutput<QS>, StandardOutput<BS>>) => Promise<unknown>
  },
): ApiRoute {
  return route as ApiRoute
}
