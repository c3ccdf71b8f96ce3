/**
 * Report: for each `aws.ecr` / `ECR Image Scan` event, records the scan in the ledger and, when
 * the thresholds and the report-on rule call for it, publishes one size-safe report to the SNS
 * topic (../aws/report-scan.ts does the work). An event that cannot be parsed, or a publish that
 * fails, throws: Lambda retries the asynchronous invocation and then sends it to the on-failure
 * destination (a dead-letter queue).
 */
import { randomUUID } from 'crypto';
import type { Context } from 'aws-lambda';
import { createLogger } from './logger';
import { createMetrics, publishReportMetrics } from './metrics';
import { createReportClients } from '../aws/clients';
import { errorMessage } from '../aws/ecr';
import { Ledger } from '../aws/ledger';
import { LedgerRecords } from '../aws/ledger-records';
import { ReportOutcome, emptyTally, reportScan } from '../aws/report-scan';
import { parseScanEvent } from '../decisions/inputs';
import { readReportSettings } from '../decisions/settings';

const logger = createLogger();
const metrics = createMetrics();
const { retries, lostAnswers, ecr, sns, dynamodb } = createReportClients();

export { FINDINGS_READ_LIMIT } from '../aws/report-scan';

export interface ReportResult {
  readonly published: boolean;
  readonly reason: string;
  readonly messageId?: string;
  /** For a report: why it went out (first-report, new-findings, newly-failed, every-scan, findings-unavailable). */
  readonly news?: string;
  /** For a report: how many findings at reached severities are new. */
  readonly newFindings?: number;
  /** For a report: its `owner` attribute (UNOWNED when nobody owns the repository). */
  readonly owner?: string;
  /** For a report: its `inUse` attribute (running, not-running, unknown). */
  readonly inUse?: string;
}

export const handler = async (event: unknown, context?: Context): Promise<ReportResult> => {
  const retriesBefore = retries.total;
  let rejected = 0;
  let outcome: ReportOutcome | undefined;
  const tally = emptyTally();
  try {
    if (context) logger.addContext(context);
    logger.resetKeys();
    const settings = readReportSettings(process.env);
    let scan;
    try {
      scan = parseScanEvent(event);
    } catch (error) {
      rejected++;
      logger.error('Malformed scan event: failing this invocation; Lambda retries it, then sends it to the dead-letter queue', {
        error: errorMessage(error),
      });
      throw error;
    }
    logger.appendKeys({ repositoryName: scan.repositoryName, imageDigest: scan.imageDigest, eventId: scan.eventId });
    if (scan.ignoredTags > 0) {
      logger.warn('Ignored image-tags entries that are not non-empty strings', { ignoredTags: scan.ignoredTags });
    }
    const ledger = new Ledger(dynamodb, settings.ledger);
    const records = new LedgerRecords(dynamodb, settings.ledger);
    const deps = { ecr, sns, lostAnswers, ledger, records, log: logger, now: () => new Date(), newId: randomUUID };
    outcome = await reportScan(deps, scan, settings, tally);
    const { published, reason, messageId, news, newFindings, owner, inUse } = outcome;
    return {
      published,
      reason,
      ...(messageId ? { messageId } : {}),
      ...(news ? { news, newFindings } : {}),
      ...(owner ? { owner } : {}),
      ...(inUse ? { inUse } : {}),
    };
  } finally {
    const o = outcome;
    const skipped = o && !o.published && !o.withheld && o.reason !== 'below-threshold' ? { [o.reason]: 1 } : {};
    publishReportMetrics(
      metrics,
      {
        published: o?.published ? 1 : 0,
        belowThreshold: o?.reason === 'below-threshold' ? 1 : 0,
        skipped,
        withheld: o?.withheld ? { [o.withheld]: 1 } : {},
        rejected,
        retries: retries.total - retriesBefore,
      },
      tally,
    );
  }
};
