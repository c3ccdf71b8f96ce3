/**
 * One Powertools Metrics instance per handler (CloudWatch embedded metric format on
 * stdout), with the namespace and service the construct sets; names in metric-names.ts.
 */
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names';
import type { ReportTally } from '../aws/report-scan';

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

/** What one invocation of a report function did, besides its tally (../aws/report-scan.ts). */
export interface ReportCounts {
  readonly published: number;
  readonly belowThreshold: number;
  /** Events with no report for another reason, by reason. */
  readonly skipped: Readonly<Record<string, number>>;
  /** Reports due but withheld, by reason. */
  readonly withheld: Readonly<Record<string, number>>;
  readonly rejected: number;
  readonly retries: number;
}

/** The report functions' metrics (report and Inspector report publish the same set), then published. */
export function publishReportMetrics(metrics: Metrics, counts: ReportCounts, tally: ReportTally): void {
  const sum = (byReason: Readonly<Record<string, number>>) => Object.values(byReason).reduce((a, b) => a + b, 0);
  addCounts(metrics, {
    [METRIC.REPORTS_PUBLISHED]: counts.published,
    [METRIC.REPORTS_BELOW_THRESHOLD]: counts.belowThreshold,
    [METRIC.REPORTS_SKIPPED]: sum(counts.skipped),
    [METRIC.REPORTS_WITHHELD]: sum(counts.withheld),
    [METRIC.REPORTS_POSSIBLY_DUPLICATED]: tally.possiblyDuplicated,
    [METRIC.LEDGER_READ_FAILURES]: tally.ledgerReadFailures,
    [METRIC.LEDGER_WRITE_FAILURES]: tally.ledgerWriteFailures,
    [METRIC.LEDGER_ENTRIES_IGNORED]: tally.ledgerEntriesIgnored,
    [METRIC.FINDINGS_IGNORED]: tally.findingsIgnored,
    [METRIC.OWNER_TAG_READS]: tally.ownerTagReads,
    [METRIC.INPUTS_REJECTED]: counts.rejected,
    [METRIC.AWS_RETRIES]: counts.retries,
  });
  addCountsByReason(metrics, METRIC.REPORTS_SKIPPED, counts.skipped);
  addCountsByReason(metrics, METRIC.REPORTS_WITHHELD, counts.withheld);
  metrics.publishStoredMetrics();
}
