/**
 * The CloudWatch metrics the handlers publish (Powertools Metrics, embedded metric format),
 * named once for the handlers, the construct's alarms and dashboard, and docs/operations.md.
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
  /** Rescan: digests decided from the ledger, without a DescribeImageScanFindings call. */
  STATUS_READS_SAVED: 'StatusReadsSaved',
  /** All handlers: AWS requests the SDK retried (throttling, 5xx, network). */
  AWS_RETRIES: 'AwsRetries',
  /** All handlers: messages or events refused as malformed (they go to a dead-letter queue). */
  INPUTS_REJECTED: 'InputsRejected',
  /** Report: reports published to the topic. */
  REPORTS_PUBLISHED: 'ReportsPublished',
  /** Report: completed scans whose counts stayed below every threshold. */
  REPORTS_BELOW_THRESHOLD: 'ReportsBelowThreshold',
  /**
   * Report and Inspector report: scan events with no report for another reason, with dimension `reason`
   * (repository-not-selected, scan-failed-not-reported, unexpected-scan-status; from the Inspector report
   * function also findings-closed, image-gone, not-an-ecr-image).
   */
  REPORTS_SKIPPED: 'ReportsSkipped',
  /**
   * Report: reports due by the thresholds but not sent, with dimension `reason`: not-new (every
   * finding at a reached severity was reported before), still-failing, already-reported (a retry,
   * a second delivery, or a second event for one scan), out-of-scope, accepted-risks, attestation
   * (a buildx attestation manifest's scan, which ECR fails).
   */
  REPORTS_WITHHELD: 'ReportsWithheld',
  /**
   * Report: possible extra copies of reports: each Publish attempt that lost its answer (SNS may
   * have delivered it before the SDK sent it again), and each report taken over from an attempt
   * that died after claiming it.
   */
  REPORTS_POSSIBLY_DUPLICATED: 'ReportsPossiblyDuplicated',
  /**
   * Rescan and report: ledger read requests that failed after retries, or a BatchGetItem that left keys unread
   * (ECR was asked instead, or the report counted as new).
   */
  LEDGER_READ_FAILURES: 'LedgerReadFailures',
  /** Rescan and report: ledger writes that failed after retries (the work went on without them). */
  LEDGER_WRITE_FAILURES: 'LedgerWriteFailures',
  /** Rescan and report: ledger entries that could not be used (malformed, or another schema's), treated as absent. */
  LEDGER_ENTRIES_IGNORED: 'LedgerEntriesIgnored',
  /** Discovery: image digests of this registry seen running (ECS, Lambda) by one discovery invocation. */
  IN_USE_DIGESTS: 'InUseDigests',
  /** Discovery: ECS tasks and Lambda functions read. */
  WORKLOADS_READ: 'WorkloadsRead',
  /** Report: findings left out as accepted risks or Inspector suppressions. */
  FINDINGS_IGNORED: 'FindingsIgnored',
  /** Dispatch: accepted risks that held but matched no finding for a whole rescan cycle (the log names them). */
  ACCEPTED_RISKS_UNMATCHED: 'AcceptedRisksUnmatched',
  /** Dispatch, under enhanced scanning: selected repositories no scanning filter of the registry covers (the log names them). */
  REPOSITORIES_NOT_COVERED: 'RepositoriesNotCovered',
  /** Rescan, with `readImageIndexes`: image index manifests read with BatchGetImage (once per index digest). */
  INDEX_MANIFESTS_READ: 'IndexManifestsRead',
  /** Rescan, with `readImageIndexes`: index manifests that could not be read or parsed (the log says why); what they list was taken for images. */
  INDEX_MANIFESTS_UNREAD: 'IndexManifestsUnread',
  /** Rescan, under enhanced scanning: images pulled within `coverageWindow` whose Amazon Inspector monitoring expired (the log names them). */
  IMAGES_NOT_MONITORED: 'ImagesNotMonitored',
  /** Summary: registry summaries published to the topic. */
  SUMMARIES_PUBLISHED: 'SummariesPublished',
  /** Summary: ledger items the summary's Scan read. */
  LEDGER_ITEMS_SCANNED: 'LedgerItemsScanned',
  /** Report: owner tags read from ECR (once a day per repository; the ledger caches them). */
  OWNER_TAG_READS: 'OwnerTagReads',
} as const;
