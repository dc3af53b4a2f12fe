/**
 * metrics/: Prometheus metrics (prom-client, one Registry per process role, never the global one),
 * the cheap DNS query counters the hot path bumps, and the `/metrics` listener.
 */
export { DnsQueryStats, type QueryCount } from './dns-query-stats.ts';
export { OverwatchMetrics, type OverwatchMetricsSource, type RuntimeInfo } from './overwatch-metrics.ts';
export { startMetricsServer, type MetricsServer } from './metrics-server.ts';
