export {
  addCostEntry,
  CHAT_GENERATE_METRIC_TYPE,
  createMetricsState,
  createServiceMetricsAggregate,
  MAX_NAME_LENGTH,
  MAX_TYPE_LENGTH,
  METRICS_DAILY_TABLE,
  METRICS_STATE_VERSION,
  METRICS_STORE_NAME,
  METRICS_TABLE,
  metricsDefaults,
  migrateMetrics,
  partializeMetrics,
  PERSIST_METRIC_TYPE,
} from './state'
export type {
  MetricEventRow,
  MetricMetadata,
  MetricsActions,
  MetricsChatGenerateCost_Md,
  MetricsCostCode,
  MetricsState,
  MetricsStore,
  ServiceMetricsAggregate,
} from './state'
export { metricsSchema } from './schema'
export { createMetricsStore, metricsDefinition, recordCommits } from './store'
export type { MetricsStoreApi, MetricsStoreOptions } from './store'
export { importLegacyMetrics, metricsLegacyPersistOptions } from './legacy'
export { metricsLegacy } from './legacyStore'
export type { MetricsImport, MetricsImportProblem } from './legacy'
export { BUCKET_MS, metricPercentiles, metricSeries, metricTotals, topMetricNames } from './queries'
export type {
  MetricBucket,
  MetricPercentiles,
  MetricPercentilesOptions,
  MetricRange,
  MetricSeriesOptions,
  MetricSeriesPoint,
  MetricStats,
  MetricsQueryOptions,
  MetricTotalsOptions,
  TopMetricName,
  TopMetricNamesOptions,
} from './queries'
export { applyMetricsRetention, startMetricsRetention } from './retention'
export type { MetricsRetentionOptions, MetricsRetentionResult, StartMetricsRetentionOptions } from './retention'
export { recordMetric } from './recordMetric'
export type { RecordMetricInput } from './recordMetric'
export { metricsRoutes } from './routes'
