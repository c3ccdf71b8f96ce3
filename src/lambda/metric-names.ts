/**
 * The CloudWatch metrics the handlers publish (Powertools Metrics, embedded metric format),
 * named once for the handlers, the construct's alarms and dashboard, and the README.
 * Every metric has the dimension `service` (the Powertools service name); skip metrics
 * published with a `reason` dimension say so.
 */
export const METRICS_NAMESPACE = 'EcrScanReporter';

/** The Powertools service name, also the `service` dimension of every metric. */
export const SERVICE_NAME = 'ecr-scan-reporter';

export const METRIC = {
  /** Dispatch: repositories listed from the registry. */
  REPOSITORIES_LISTED: 'RepositoriesListed',
  /** Dispatch: repositories put on the rescan queue. */
  REPOSITORIES_DISPATCHED: 'RepositoriesDispatched',
  /** Dispatch and rescan: continuations sent because the time budget ran out. */
  CONTINUATIONS: 'Continuations',
  /** Rescan: image digests whose scan state was read and decided. */
  IMAGES_EVALUATED: 'ImagesEvaluated',
  /** Rescan: StartImageScan calls ECR accepted. */
  SCANS_STARTED: 'ScansStarted',
  /** Rescan: images not scanned, with dimension `reason` (fresh, in-progress, recently-scanned, ...). */
  SCANS_SKIPPED: 'ScansSkipped',
  /** Rescan: StartImageScan refused by a registry quota (not the per-image 24-hour one). */
  QUOTA_HITS: 'QuotaHits',
  /** All handlers: AWS requests the SDK retried (throttling, 5xx, network). */
  AWS_RETRIES: 'AwsRetries',
  /** All handlers: messages or events refused as malformed (they go to a dead-letter queue). */
  INPUTS_REJECTED: 'InputsRejected',
  /** Report: reports published to the topic. */
  REPORTS_PUBLISHED: 'ReportsPublished',
  /** Report: completed scans whose counts stayed below every threshold. */
  REPORTS_BELOW_THRESHOLD: 'ReportsBelowThreshold',
  /**
   * Report: scan events with no report for another reason, with dimension `reason`
   * (repository-not-selected, scan-failed-not-reported, unexpected-scan-status).
   */
  REPORTS_SKIPPED: 'ReportsSkipped',
} as const;
