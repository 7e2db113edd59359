import { ZustandSqliteError } from '@zustand-sqlite/core'
import type { ApiRoute, JsonSchema, StandardSchemaV1 } from '@zustand-sqlite/core'
import { HttpError } from './http'

/** A route ready to match: its path's segments, literal or `{name}`. */
export interface CompiledRoute {
  readonly route: ApiRoute
  readonly segments: readonly ({ readonly literal: string } | { readonly param: string })[]
  /** Query parameters read as numbers: those the query validator's JSON Schema says are numeric. */
  readonly numericQuery: ReadonlySet<string>
}

const LITERAL = /^[A-Za-z0-9._~-]+$/
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/
/** Paths the server answers itself. */
const RESERVED = new Set(['sync', 'openapi.json'])

/**
 * Checks the routes once, when the server is made: a path of literal segments and `{name}` parameters, no
 * method and path twice, nothing under the server's own paths. INVALID_OPTIONS otherwise.
 */
export function compileRoutes(routes: readonly ApiRoute[]): CompiledRoute[] {
  const seen = new Set<string>()
  return routes.map((route) => {
    const bad = (problem: string): never => {
      throw new ZustandSqliteError('INVALID_OPTIONS', `route ${route.method} ${route.path}: ${problem}`, {
        path: 'routes',
      })
    }
    if (!['GET', 'POST', 'PUT', 'DELETE'].includes(route.method)) bad('the method is not GET, POST, PUT or DELETE')
    if (typeof route.handle !== 'function') bad('it has no handle function')
    if (!route.path.startsWith('/')) bad('the path must start with /')
    const parts = route.path.slice(1).split('/')
    const segments = parts.map((part): CompiledRoute['segments'][number] => {
      const param = PARAM.exec(part)?.[1]
      if (param !== undefined) return { param }
      if (!LITERAL.test(part)) bad(`segment ${JSON.stringify(part)} is neither a name nor {param}`)
      return { literal: part }
    })
    if (RESERVED.has(parts[0] ?? '')) bad(`/${parts[0]} is the server's own`)
    // Two routes differing only in their parameters' names would be the same route.
    const shape = `${route.method} /${segments.map((s) => ('param' in s ? '{}' : s.literal)).join('/')}`
    if (seen.has(shape)) bad('another route has the same method and path')
    seen.add(shape)
    return { route, segments, numericQuery: numericProperties(route.query) }
  })
}

/** The path's parameters when `compiled` matches the path's segments (still percent-encoded), else undefined. */
function matchPath(compiled: CompiledRoute, parts: readonly string[]): Record<string, string> | undefined {
  if (compiled.segments.length !== parts.length) return undefined
  const params: Record<string, string> = {}
  for (const [i, segment] of compiled.segments.entries()) {
    const part = parts[i] as string
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined
      continue
    }
    let value: string
    try {
      value = decodeURIComponent(part)
    } catch {
      return undefined
    }
    if (value === '') return undefined
    Object.defineProperty(params, segment.param, { value, enumerable: true, writable: true, configurable: true })
  }
  return params
}

/**
 * The route for a method and path (segments under the base path): 404 when no route has the path, 405 when
 * routes have it but not for this method. Literal segments win over parameters (`/a/reset` before `/a/{id}`).
 */
export function findRoute(
  routes: readonly CompiledRoute[],
  method: string,
  parts: readonly string[],
): { compiled: CompiledRoute; params: Record<string, string> } {
  const matches = routes
    .map((compiled) => ({ compiled, params: matchPath(compiled, parts) }))
    .filter((m): m is { compiled: CompiledRoute; params: Record<string, string> } => m.params !== undefined)
  if (matches.length === 0) throw new HttpError(404, 'NOT_FOUND', 'no such route')
  const literals = (m: (typeof matches)[number]) => m.compiled.segments.filter((s) => 'literal' in s).length
  const forMethod = matches.filter((m) => m.compiled.route.method === method).sort((a, b) => literals(b) - literals(a))
  const found = forMethod[0]
  if (found === undefined) {
    const allowed = [...new Set(matches.map((m) => m.compiled.route.method))]
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed here (${allowed.join(', ')})`)
  }
  return { compiled: found.compiled, params: found.params }
}

/** A validator's JSON Schema (Standard JSON Schema v1), `{}` when it has none; without `$schema`. */
export function jsonSchemaOfValidator(schema: StandardSchemaV1 | undefined): JsonSchema {
  const convert = schema?.['~standard'].jsonSchema
  if (convert === undefined) return {}
  const { $schema: _, ...rest } = convert.input({ target: 'draft-2020-12' })
  return rest
}

const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/

/** Whether a property's JSON Schema says it is a number (alone, or beside null in an `anyOf`). */
function isNumeric(schema: unknown): boolean {
  if (schema === null || typeof schema !== 'object') return false
  const { type, anyOf } = schema as { type?: unknown; anyOf?: unknown }
  if (type === 'integer' || type === 'number') return true
  return Array.isArray(anyOf) && anyOf.some(isNumeric)
}

/** The properties a query validator's JSON Schema says are numbers: read once, when the routes are compiled. */
function numericProperties(schema: StandardSchemaV1 | undefined): ReadonlySet<string> {
  const properties = (jsonSchemaOfValidator(schema)['properties'] ?? {}) as Record<string, unknown>
  return new Set(Object.keys(properties).filter((name) => isNumeric(properties[name])))
}

/**
 * The query string as an object: one string per name (a repeated name keeps its last), read as a number where
 * the name is in `numeric` and the text is a plain decimal number.
 */
export function queryObject(search: URLSearchParams, numeric: ReadonlySet<string>): Record<string, unknown> {
  const query: Record<string, unknown> = {}
  for (const [name, text] of search) {
    Object.defineProperty(query, name, {
      value: numeric.has(name) && NUMBER.test(text) ? Number(text) : text,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return query
}

/** The part of an issue's path as text. */
const keyOf = (key: PropertyKey | { readonly key: PropertyKey }): string =>
  String(typeof key === 'object' && key !== null ? key.key : key)

/**
 * What `schema` accepts of `value`; 400 INVALID_VALUE naming the first issue (`body.title`) otherwise. Without
 * a schema, `undefined`: an input a route does not declare is not read.
 */
export async function checkInput(
  where: 'params' | 'query' | 'body',
  schema: StandardSchemaV1 | undefined,
  value: unknown,
): Promise<unknown> {
  if (schema === undefined) return undefined
  const result = await schema['~standard'].validate(value)
  if (result.issues === undefined) return result.value
  const [issue] = result.issues
  const path = [where, ...(issue?.path ?? []).map(keyOf)].join('.')
  throw new HttpError(400, 'INVALID_VALUE', `${path}: ${issue?.message ?? 'refused'}`, path)
}
