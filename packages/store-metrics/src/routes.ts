import { defineRoute, patchSchema, rules } from '@zustand-sqlite/core'
import type { ApiRoute, JsonSchema } from '@zustand-sqlite/core'
import { metricSeries, metricTotals, topMetricNames } from './queries'
import type { MetricsQueryOptions } from './queries'
import { recordMetric } from './recordMetric'
import { MAX_NAME_LENGTH, MAX_TYPE_LENGTH } from './state'

const TAG = 'metrics'

// The rules repeat the checks of `record` and of the query functions so that a bad request is refused before
// any database is opened, with the field's path, and so that the API description says what is accepted.

const typeRule = rules.string({ minLength: 1, maxLength: MAX_TYPE_LENGTH })
const nameRule = rules.string({ minLength: 1, maxLength: MAX_NAME_LENGTH })
/** A time in ms since the epoch; `integer` in its JSON Schema, so a query string's value is read as a number. */
const timeRule = rules.integer()

const eventBody = patchSchema(
  { type: typeRule, name: nameRule, value: rules.number(), metadata: rules.record(rules.json()) },
  { what: 'body', required: ['type', 'name', 'value'] },
)

const totalsQuery = patchSchema(
  { type: typeRule, name: nameRule, from: timeRule, to: timeRule },
  { what: 'query', required: ['type'] },
)

const seriesQuery = patchSchema(
  {
    type: typeRule,
    name: nameRule,
    from: timeRule,
    to: timeRule,
    bucket: rules.oneOf('minute', 'hour', 'day'),
  },
  { what: 'query', required: ['type', 'from', 'to', 'bucket'] },
)

const topQuery = patchSchema(
  {
    type: typeRule,
    by: rules.oneOf('count', 'sum'),
    limit: rules.integer({ min: 1, max: 1000 }),
    from: timeRule,
    to: timeRule,
  },
  { what: 'query', required: ['type', 'by', 'limit'] },
)

const number: JsonSchema = { type: 'number' }
const numberOrNull: JsonSchema = { type: ['number', 'null'] }
const statsProperties = {
  count: { type: 'integer' },
  sum: number,
  min: numberOrNull,
  max: numberOrNull,
  avg: numberOrNull,
}
const statsRequired = ['count', 'sum', 'min', 'max', 'avg']

const eventSchema: JsonSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    name: { type: 'string' },
    value: number,
    metadata: { type: 'object' },
    timestamp: { type: 'integer', description: 'milliseconds since the epoch' },
  },
  required: ['type', 'name', 'value', 'timestamp'],
}

const statsSchema: JsonSchema = { type: 'object', properties: statsProperties, required: statsRequired }

const seriesSchema: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: { start: { type: 'integer', description: 'the bucket start, ms since the epoch' }, ...statsProperties },
    required: ['start', ...statsRequired],
  },
}

const topSchema: JsonSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: { name: { type: 'string' }, count: { type: 'integer' }, sum: number },
    required: ['name', 'count', 'sum'],
  },
}

const RANGE = '`from` (inclusive) and `to` (exclusive) are times in ms since the epoch.'

/**
 * The metrics store's HTTP routes, as data for a server to mount (`@zustand-sqlite/server`'s `routes`
 * option), under the tag `metrics`. Each runs a query function of this package on the user's database.
 *
 * - `POST /metrics/events`: records an event (201), as the store's `record` does.
 * - `GET /metrics/totals`: count, sum, min, max and average of a type (and name) over a range.
 * - `GET /metrics/series`: the same per minute, hour or day bucket.
 * - `GET /metrics/top`: the names of a type with the most events or the largest sum.
 *
 * @example
 * ```ts
 * const server = createServerHandler({ authenticate, stores: [], routes: [...metricsRoutes()] })
 * ```
 */
export function metricsRoutes(options: MetricsQueryOptions = {}): ApiRoute[] {
  const store: MetricsQueryOptions = options.store === undefined ? {} : { store: options.store }
  return [
    defineRoute({
      method: 'POST',
      path: '/metrics/events',
      tag: TAG,
      summary: 'Records an event',
      description: 'The event is stamped with the time it is recorded, which the response gives.',
      body: eventBody,
      status: 201,
      response: eventSchema,
      errors: ['INVALID_VALUE', 'UNSTORABLE_VALUE', 'MIGRATION_FAILED'],
      handle: ({ backend, body }) => recordMetric(backend, body, store),
    }),
    defineRoute({
      method: 'GET',
      path: '/metrics/totals',
      tag: TAG,
      summary: 'Count, sum, min, max and average of the values of a metric type (and name) over a range',
      description: `${RANGE} Events folded into daily rollups by retention count too.`,
      query: totalsQuery,
      response: statsSchema,
      errors: ['INVALID_VALUE', 'MIGRATION_FAILED'],
      handle: ({ backend, query }) => metricTotals(backend, { ...query, ...store }),
    }),
    defineRoute({
      method: 'GET',
      path: '/metrics/series',
      tag: TAG,
      summary: 'The statistics of a metric type (and name) per time bucket, oldest first',
      description: `${RANGE} Buckets are aligned on UTC; buckets without events are left out.`,
      query: seriesQuery,
      response: seriesSchema,
      errors: ['INVALID_VALUE', 'MIGRATION_FAILED'],
      handle: ({ backend, query }) => metricSeries(backend, { ...query, ...store }),
    }),
    defineRoute({
      method: 'GET',
      path: '/metrics/top',
      tag: TAG,
      summary: 'The names of a metric type with the most events or the largest sum',
      description: `${RANGE} Ties are broken by name.`,
      query: topQuery,
      response: topSchema,
      errors: ['INVALID_VALUE', 'MIGRATION_FAILED'],
      handle: ({ backend, query }) => topMetricNames(backend, { ...query, ...store }),
    }),
  ]
}
