/**
 * One Powertools Metrics instance per handler (CloudWatch embedded metric format on
 * stdout), with the namespace and service the construct sets; names in metric-names.ts.
 */
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, SERVICE_NAME } from './metric-names';

export { MetricUnit };

export function createMetrics(): Metrics {
  return new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME,
  });
}

/** Adds counts as Count metrics, zeros included, so alarms and graphs see every invocation. */
export function addCounts(metrics: Metrics, counts: Record<string, number>): void {
  for (const [name, value] of Object.entries(counts)) metrics.addMetric(name, MetricUnit.Count, value);
}

/** Publishes one metric per reason with an extra `reason` dimension. */
export function addCountsByReason(metrics: Metrics, name: string, byReason: Record<string, number>): void {
  for (const [reason, value] of Object.entries(byReason)) {
    const single = metrics.singleMetric();
    single.addDimension('reason', reason);
    single.addMetric(name, MetricUnit.Count, value);
  }
}
