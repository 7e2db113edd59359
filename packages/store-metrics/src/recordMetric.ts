import { isPlainObject, ZustandSqliteError } from '@zustand-sqlite/core'
import type { Backend } from '@zustand-sqlite/core'
import { storeOf } from './queries'
import type { MetricsQueryOptions } from './queries'
import { METRICS_TABLE } from './state'
import type { MetricEventRow, MetricMetadata } from './state'
import { metricsDefinition } from './store'

/** What {@link recordMetric} records: the arguments of the store's `record`. */
export interface RecordMetricInput {
  /** At most 64 characters. */
  readonly type: string
  /** At most 256 characters. */
  readonly name: string
  /** A finite number. */
  readonly value: number
  /** Free-form details, stored as JSON. @default none */
  readonly metadata?: MetricMetadata
}

/**
 * Appends one event to the `metrics` table (for `POST /metrics/events`) with the store's own `record`, in
 * one transaction, and resolves to the event as it was stored, with the time the action gave it. It is
 * checked as `record` checks it: a type or name that is not a non-empty string (at most 64 and 256
 * characters), a value that is not a finite number or metadata that is not a plain object throws
 * INVALID_VALUE, metadata JSON cannot hold UNSTORABLE_VALUE, and nothing is written.
 *
 * @example
 * ```ts
 * const event = await recordMetric(backend, { type: 'ui', name: 'drawer-open', value: 1 })
 * const { count } = await metricTotals(backend, { type: 'ui', from: event.timestamp })
 * ```
 */
export async function recordMetric(
  backend: Backend,
  input: RecordMetricInput,
  options: MetricsQueryOptions = {},
): Promise<MetricEventRow> {
  const name = storeOf(options)
  if (!isPlainObject(input))
    throw new ZustandSqliteError(
      'INVALID_VALUE',
      'event: expected { type, name, value, metadata? }; nothing was recorded',
      {
        path: 'event',
      },
    )
  const { type, name: metricName, value, metadata } = input
  return metricsDefinition.update(
    backend,
    (store) => {
      // `record` stamps the event with the time itself and returns nothing: its row is caught on the way to
      // `append`, on this store only (made for this call), so that what is answered is what was stored.
      let recorded: MetricEventRow | undefined
      const { append } = store.persist
      store.persist.append = (table, rows) => {
        append(table, rows)
        if (table === METRICS_TABLE) recorded = rows as MetricEventRow
      }
      store.getState().record(type, metricName, value, metadata)
      // Set: `record` either throws or appends, and this store is made with persistSQLite.
      return recorded as MetricEventRow
    },
    { name },
  )
}
