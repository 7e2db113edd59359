import { defineRoute, patchSchema } from '@zustand-sqlite/core'
import type { ApiRoute, JsonSchema } from '@zustand-sqlite/core'
import { getUIPreferences, resetUIPreferences, updateUIPreferences } from './queries'
import type { UIPreferencesQueryOptions } from './queries'
import { uiPreferencesRules } from './rules'

const patch = patchSchema(uiPreferencesRules, { what: 'ui-preferences' })

const timestamp: JsonSchema = { anyOf: [{ type: 'integer' }, { type: 'null' }] }
/** A `UIPreferencesRecord`: every setting (with stored keys this code does not know), and the row's times. */
const recordSchema: JsonSchema = {
  type: 'object',
  properties: {
    preferences: { ...patch.jsonSchema, additionalProperties: true },
    createdAt: timestamp,
    updatedAt: timestamp,
  },
  required: ['preferences', 'createdAt', 'updatedAt'],
}

/**
 * The UI preferences' REST routes, at the roadmap's paths, for `@zustand-sqlite/server`'s `routes`:
 * `GET /ui-preferences` ({@link getUIPreferences}), `PUT /ui-preferences` (a patch of settings,
 * {@link updateUIPreferences}) and `POST /ui-preferences/reset` ({@link resetUIPreferences}). Each answers the
 * `UIPreferencesRecord`; a patch is checked against `uiPreferencesRules` before anything is read.
 *
 * @example
 * ```ts
 * const server = createServerHandler({ authenticate, stores: [], routes: [...uiPreferencesRoutes()] })
 * ```
 */
export function uiPreferencesRoutes(options: UIPreferencesQueryOptions = {}): ApiRoute[] {
  const tag = 'ui-preferences'
  return [
    defineRoute({
      method: 'GET',
      path: '/ui-preferences',
      tag,
      summary: 'The stored UI preferences, defaults for the settings not stored',
      response: recordSchema,
      errors: ['MIGRATION_FAILED'],
      handle: ({ backend }) => getUIPreferences(backend, options),
    }),
    defineRoute({
      method: 'PUT',
      path: '/ui-preferences',
      tag,
      summary: 'Updates some settings in one write; a record setting is replaced whole',
      body: patch,
      response: recordSchema,
      errors: ['MIGRATION_FAILED'],
      handle: ({ backend, body }) => updateUIPreferences(backend, body, options),
    }),
    defineRoute({
      method: 'POST',
      path: '/ui-preferences/reset',
      tag,
      summary: 'Every setting back to its default; stored keys this code does not know are kept',
      response: recordSchema,
      errors: ['MIGRATION_FAILED'],
      handle: ({ backend }) => resetUIPreferences(backend, options),
    }),
  ]
}
