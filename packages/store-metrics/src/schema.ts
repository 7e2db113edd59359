import { collection, column, defineSchema, table } from '@zustand-sqlite/core'

/**
 * The metrics tables: the aggregates of the state in `service_metrics` (one row per service), and two tables
 * that are not mirrored in state: the append-only event log `metrics`, and `metrics_daily`, where retention
 * folds old events into one row per UTC day, type and name.
 *
 * - `metrics` is the roadmap's table with `timestamp` as INTEGER milliseconds (not `DATETIME`), so that range
 *   and bucket arithmetic is integer arithmetic. `id` is the row id, assigned by SQLite. `value` is NOT NULL:
 *   `record` refuses anything but a finite number.
 * - `metrics_type_name_ts_idx` (`metric_type, metric_name, timestamp, value`) covers every query of one type and name
 *   over a time range, and groups by name without a sort; it replaces the roadmap's `(metric_type, metric_name)`,
 *   of which it is a superset. `metrics_timestamp_idx` serves retention (oldest first) and queries over all
 *   names of a type within a short range.
 * - `metrics_daily` is keyed by `(metric_type, metric_name, day)`, `day` being the UTC midnight in ms, and is
 *   `WITHOUT ROWID`: rows are small and always found by that key.
 *
 * ```sql
 * CREATE TABLE service_metrics (service_id TEXT NOT NULL, total_costs REAL NOT NULL, total_savings REAL NOT NULL,
 *   total_input_tokens INTEGER NOT NULL, total_output_tokens INTEGER NOT NULL, usage_count INTEGER NOT NULL,
 *   first_usage_date INTEGER NOT NULL, last_usage_date INTEGER NOT NULL, free_usages INTEGER NOT NULL,
 *   no_pricing_usages INTEGER NOT NULL, no_token_usages INTEGER NOT NULL, partial_message_usages INTEGER NOT NULL,
 *   partial_price_usages INTEGER NOT NULL, extra TEXT, PRIMARY KEY (service_id)) STRICT
 * CREATE TABLE metrics (id INTEGER, metric_type TEXT NOT NULL, metric_name TEXT NOT NULL, value REAL NOT NULL,
 *   metadata TEXT, timestamp INTEGER NOT NULL, PRIMARY KEY (id)) STRICT
 * CREATE INDEX metrics_type_name_ts_idx ON metrics (metric_type, metric_name, timestamp, value)
 * CREATE INDEX metrics_timestamp_idx ON metrics (timestamp)
 * CREATE TABLE metrics_daily (metric_type TEXT NOT NULL, metric_name TEXT NOT NULL, day INTEGER NOT NULL,
 *   count INTEGER NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL,
 *   PRIMARY KEY (metric_type, metric_name, day)) STRICT, WITHOUT ROWID
 * ```
 */
export const metricsSchema = defineSchema({
  version: 1,
  state: {
    serviceMetrics: collection({
      table: 'service_metrics',
      shape: 'record',
      keyColumn: 'service_id',
      columns: {
        totalCosts: column.real(),
        totalSavings: column.real(),
        totalInputTokens: column.integer(),
        totalOutputTokens: column.integer(),
        usageCount: column.integer(),
        firstUsageDate: column.integer(),
        lastUsageDate: column.integer(),
        freeUsages: column.integer(),
        noPricingUsages: column.integer(),
        noTokenUsages: column.integer(),
        partialMessageUsages: column.integer(),
        partialPriceUsages: column.integer(),
      },
    }),
  },
  tables: {
    metrics: table({
      columns: {
        id: column.integer({ optional: true }),
        type: column.text({ column: 'metric_type' }),
        name: column.text({ column: 'metric_name' }),
        value: column.real(),
        metadata: column.json({ optional: true }),
        timestamp: column.integer(),
      },
      primaryKey: ['id'],
      indexes: [
        { columns: ['metric_type', 'metric_name', 'timestamp', 'value'], name: 'metrics_type_name_ts_idx' },
        { columns: ['timestamp'], name: 'metrics_timestamp_idx' },
      ],
    }),
    metrics_daily: table({
      columns: {
        type: column.text({ column: 'metric_type' }),
        name: column.text({ column: 'metric_name' }),
        day: column.integer(),
        count: column.integer(),
        sum: column.real(),
        min: column.real(),
        max: column.real(),
      },
      primaryKey: ['type', 'name', 'day'],
      withoutRowid: true,
    }),
  },
})
