import { defineRoute, patchSchema, rules } from '@zustand-sqlite/core'
import type { ApiRoute, JsonSchema } from '@zustand-sqlite/core'
import { getUXLabs, readUXLabsFlag, resetUXLabs, updateUXLabs, uxLabsRules } from './queries'
import type { UXLabsQueryOptions } from './queries'

const patch = patchSchema(uxLabsRules, { what: 'ux-labs' })
const flagParams = patchSchema(
  { name: rules.string({ minLength: 1, maxLength: 128 }) },
  { what: 'params', required: ['name'] },
)
const flagBody = patchSchema({ enabled: rules.boolean() }, { what: 'flag', required: ['enabled'] })

const timestamp: JsonSchema = { anyOf: [{ type: 'integer' }, { type: 'null' }] }
/** A `UXLabsRecord`: the flags and experiments, and the stored rows with their times. */
const recordSchema: JsonSchema = {
  type: 'object',
  properties: {
    labs: {
      type: 'object',
      properties: {
        enabledFlags: { type: 'object', additionalProperties: { type: 'boolean' } },
        experiments: { type: 'object', additionalProperties: {} },
      },
    },
    rows: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          enabled: { anyOf: [{ type: 'boolean' }, { type: 'null' }] },
          enabledAt: timestamp,
          updatedAt: { type: 'integer' },
        },
      },
    },
  },
  required: ['labs', 'rows'],
}
const flagSchema: JsonSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, enabled: { type: 'boolean' } },
  required: ['name', 'enabled'],
}

/**
 * The UX labs' REST routes, for `@zustand-sqlite/server`'s `routes`: `GET /ux-labs` (the flags,
 * {@link getUXLabs}), `PUT /ux-labs` (flags and experiments to set, names to remove: {@link updateUXLabs}),
 * `GET` and `PUT /ux-labs/flags/{name}` (one flag: {@link readUXLabsFlag}, and `{ enabled }` to set it) and
 * `POST /ux-labs/reset` ({@link resetUXLabs}).
 *
 * @example
 * ```ts
 * const server = createServerHandler({ authenticate, stores: [], routes: [...uxLabsRoutes()] })
 * ```
 */
export function uxLabsRoutes(options: UXLabsQueryOptions = {}): ApiRoute[] {
  const tag = 'ux-labs'
  const errors = ['MIGRATION_FAILED']
  return [
    defineRoute({
      method: 'GET',
      path: '/ux-labs',
      tag,
      summary: 'The flags and experiments, and the stored rows with their times',
      response: recordSchema,
      errors,
      handle: ({ backend }) => getUXLabs(backend, options),
    }),
    defineRoute({
      method: 'PUT',
      path: '/ux-labs',
      tag,
      summary: 'Sets flags and experiment configurations, and removes names, in one write',
      body: patch,
      response: recordSchema,
      errors,
      handle: ({ backend, body }) => updateUXLabs(backend, body, options),
    }),
    defineRoute({
      method: 'GET',
      path: '/ux-labs/flags/{name}',
      tag,
      summary: "One flag's value (its default when not stored)",
      params: flagParams,
      response: flagSchema,
      errors,
      handle: async ({ backend, params }) => ({
        name: params.name,
        enabled: await readUXLabsFlag(backend, params.name, options),
      }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/ux-labs/flags/{name}',
      tag,
      summary: 'Turns one flag on or off',
      params: flagParams,
      body: flagBody,
      response: flagSchema,
      errors,
      handle: async ({ backend, params, body }) => {
        const { labs } = await updateUXLabs(backend, { enabledFlags: { [params.name]: body.enabled } }, options)
        return { name: params.name, enabled: labs.enabledFlags[params.name] === true }
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/ux-labs/reset',
      tag,
      summary: 'Known flags back to their defaults and experiments emptied; unknown flags are kept',
      response: recordSchema,
      errors,
      handle: ({ backend }) => resetUXLabs(backend, options),
    }),
  ]
}
