/**
 * Report: for each `aws.ecr` / `ECR Image Scan` event of a selected repository,
 * decides whether the scan deserves a notification and, if so, publishes a
 * size-safe report to the SNS topic. An event that cannot be parsed, or a
 * publish that fails, throws: Lambda retries the asynchronous invocation and
 * then sends it to the on-failure destination (a dead-letter queue).
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { createLogger } from './logger';
import { METRIC } from './metric-names';
import { addCounts, addCountsByReason, createMetrics } from './metrics';
import { RetryCounter, createEcrClient, createSnsClient } from '../aws/clients';
import { ScanDetails, errorMessage, errorName, readScanDetails } from '../aws/ecr';
import { parseScanEvent } from '../decisions/inputs';
import { decideReport, normalizeCounts } from '../decisions/report';
import { buildReportMessage } from '../decisions/report-message';
import { readReportSettings } from '../decisions/settings';

const logger = createLogger();
const metrics = createMetrics();
const retries = new RetryCounter();
const ecr = retries.attach(createEcrClient());
const sns = retries.attach(createSnsClient());

/** Findings read per report before sorting: ECR returns them in no severity order. */
export const FINDINGS_READ_LIMIT = 5000;

export interface ReportResult {
  readonly published: boolean;
  readonly reason: string;
  readonly messageId?: string;
}

export const handler = async (event: unknown, context?: Context): Promise<ReportResult> => {
  const retriesBefore = retries.total;
  const totals = { published: 0, belowThreshold: 0, rejected: 0, skipped: {} as Record<string, number> };
  try {
    const result = await report(event, context, totals);
    if (result.published) totals.published++;
    else if (result.reason === 'below-threshold') totals.belowThreshold++;
    else totals.skipped[result.reason] = 1;
    return result;
  } finally {
    addCounts(metrics, {
      [METRIC.REPORTS_PUBLISHED]: totals.published,
      [METRIC.REPORTS_BELOW_THRESHOLD]: totals.belowThreshold,
      [METRIC.REPORTS_SKIPPED]: Object.values(totals.skipped).reduce((a, b) => a + b, 0),
      [METRIC.INPUTS_REJECTED]: totals.rejected,
      [METRIC.AWS_RETRIES]: retries.total - retriesBefore,
    });
    addCountsByReason(metrics, METRIC.REPORTS_SKIPPED, totals.skipped);
    metrics.publishStoredMetrics();
  }
};

async function report(event: unknown, context: Context | undefined, totals: { rejected: number }): Promise<ReportResult> {
  if (context) logger.addContext(context);
  logger.resetKeys();
  const settings = readReportSettings(process.env);
  let scan;
  try {
    scan = parseScanEvent(event);
  } catch (error) {
    totals.rejected++;
    logger.error('Malformed scan event: failing this invocation; Lambda retries it, then sends it to the dead-letter queue', {
      error: errorMessage(error),
    });
    throw error;
  }
  logger.appendKeys({ repositoryName: scan.repositoryName, imageDigest: scan.imageDigest });
  if (scan.ignoredTags > 0) {
    logger.warn('Ignored image-tags entries that are not non-empty strings', { ignoredTags: scan.ignoredTags });
  }

  if (!settings.filter.matches(scan.repositoryName)) {
    logger.info('Report skipped: the repository does not match the configured patterns');
    return { published: false, reason: 'repository-not-selected' };
  }
  const { counts, ignored } = normalizeCounts(scan.rawSeverityCounts);
  if (ignored.length > 0) {
    logger.warn('Ignored severity counts that are not non-negative integers', { ignored });
  }
  const decision = decideReport({
    scanStatus: scan.scanStatus,
    counts,
    thresholds: settings.thresholds,
    notifyOnScanFailure: settings.notifyOnScanFailure,
  });
  if (!decision.due) {
    const level = decision.reason === 'unexpected-scan-status' ? 'warn' : 'info';
    logger[level]('No report due', { reason: decision.reason, scanStatus: scan.scanStatus, severityCounts: counts });
    return { published: false, reason: decision.reason };
  }

  let details: ScanDetails | undefined;
  let findingsUnavailableReason: string | undefined;
  try {
    details = await readScanDetails(ecr, scan.repositoryName, scan.imageDigest, FINDINGS_READ_LIMIT);
  } catch (error) {
    const name = errorName(error);
    if (!['ScanNotFoundException', 'ImageNotFoundException', 'RepositoryNotFoundException'].includes(name)) throw error;
    // The image or its scan is gone: the event's counts still deserve a report.
    findingsUnavailableReason = `${name}: ${errorMessage(error)}`;
    logger.warn('Findings unavailable; reporting the counts from the event', { error: findingsUnavailableReason });
  }

  const message = buildReportMessage(
    {
      repositoryName: scan.repositoryName,
      imageDigest: scan.imageDigest,
      imageTags: scan.imageTags,
      scanStatus: scan.scanStatus,
      accountId: scan.accountId,
      region: scan.region,
      counts,
      thresholds: settings.thresholds,
      decision,
      findings: details?.findings ?? [],
      statusDescription: details?.statusDescription,
      scanCompletedAt: details?.completedAt,
      vulnerabilitySourceUpdatedAt: details?.vulnerabilitySourceUpdatedAt,
      findingsUnavailableReason,
    },
    { maxFindings: settings.maxFindings },
  );
  const response = await sns.send(
    new PublishCommand({
      TopicArn: settings.topicArn,
      Subject: message.subject,
      Message: message.snsMessage,
      MessageStructure: 'json',
      MessageAttributes: message.attributes,
    }),
  );
  logger.info('Report published', {
    reason: decision.reason,
    highestSeverity: decision.highestSeverity,
    findingsListed: message.findingsListed,
    findingsOmitted: message.findingsOmitted,
    bytes: message.bytes,
    messageId: response.MessageId,
  });
  return { published: true, reason: decision.reason, messageId: response.MessageId };
}
