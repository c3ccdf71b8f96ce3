/**
 * Inspector report: Amazon Inspector's events about ECR images (enhanced scanning), from the
 * Inspector event queue in batches (up to 100 records, gathered for up to a minute), reported as
 * the report function reports basic scans (../aws/report-scan.ts): the same thresholds, ledger,
 * message and attributes. What each event does: ../decisions/inspector-events.ts.
 *
 * - `Inspector2 Scan` (the initial scan): one report per event, from the event's counts, or from
 *   the image's findings when a threshold is set on a severity the event does not count.
 * - `Inspector2 Finding`: the batch's finding events are grouped per image, so a burst makes one
 *   report. Each group's counts come from the image's findings as ECR gives them now
 *   (DescribeImageScanFindings, read once and handed to the report). A group with no ACTIVE
 *   finding updates the ledger and reports nothing.
 *
 * A record that cannot be parsed fails alone (partial batch response) and reaches the dead-letter
 * queue after the queue's maxReceiveCount; a group or scan that fails fails its records.
 */
import { randomUUID } from 'crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLogger } from './logger';
import { createMetrics, publishReportMetrics } from './metrics';
import { createReportClients } from '../aws/clients';
import { ScanDetails, errorMessage, errorName, readScanDetails } from '../aws/ecr';
import { Ledger } from '../aws/ledger';
import { LedgerRecords } from '../aws/ledger-records';
import { FINDINGS_READ_LIMIT, ReportOutcome, ReportScanOptions, emptyTally, reportScan } from '../aws/report-scan';
import type { ScanEvent } from '../decisions/inputs';
import {
  EVENT_COUNTED_SEVERITIES,
  FindingGroup,
  InspectorFindingEvent,
  findingCounts,
  groupFindingEvents,
  parseInspectorEvent,
} from '../decisions/inspector-events';
import { readReportSettings } from '../decisions/settings';

const logger = createLogger();
const metrics = createMetrics();
const { retries, lostAnswers, ecr, sns, dynamodb } = createReportClients();

/** Errors that mean the image or its findings are gone: a counted skip, not a failure. */
const GONE = ['ScanNotFoundException', 'ImageNotFoundException', 'RepositoryNotFoundException'];

/** What one scan event or finding group came to. */
export interface InspectorOutcome {
  readonly repositoryName: string;
  readonly imageDigest: string;
  /** The queue records it came from. */
  readonly records: number;
  readonly outcome: ReportOutcome;
}

export interface InspectorReportResult extends SQSBatchResponse {
  /** What each scan event and finding group came to, in order: for tests and the local demo. */
  readonly outcomes: readonly InspectorOutcome[];
}

export const handler = async (event: SQSEvent, context?: Context): Promise<InspectorReportResult> => {
  const retriesBefore = retries.total;
  const tally = emptyTally();
  const totals = { published: 0, belowThreshold: 0, rejected: 0, skipped: {} as Record<string, number>, withheld: {} as Record<string, number> };
  const failures = new Set<string>();
  const outcomes: InspectorOutcome[] = [];
  const count = (outcome: ReportOutcome) => {
    if (outcome.published) totals.published++;
    else if (outcome.withheld) totals.withheld[outcome.withheld] = (totals.withheld[outcome.withheld] ?? 0) + 1;
    else if (outcome.reason === 'below-threshold') totals.belowThreshold++;
    else totals.skipped[outcome.reason] = (totals.skipped[outcome.reason] ?? 0) + 1;
  };
  try {
    if (context) logger.addContext(context);
    // A bad configuration fails the invocation: every record is retried, none is dropped.
    const settings = readReportSettings(process.env);
    const ledger = new Ledger(dynamodb, settings.ledger);
    const records = new LedgerRecords(dynamodb, settings.ledger);
    const deps = { ecr, sns, lostAnswers, ledger, records, log: logger, now: () => new Date(), newId: randomUUID };

    const scans: { record: SQSRecord; scan: ScanEvent }[] = [];
    const findings: { record: SQSRecord; finding: InspectorFindingEvent }[] = [];
    for (const record of event.Records) {
      try {
        const parsed = parseInspectorEvent(JSON.parse(record.body));
        if (parsed.kind === 'scan') {
          scans.push({ record, scan: parsed.scan });
        } else if (parsed.kind === 'finding') {
          findings.push({ record, finding: parsed.finding });
        } else {
          totals.skipped['not-an-ecr-image'] = (totals.skipped['not-an-ecr-image'] ?? 0) + 1;
          logger.info('Inspector event skipped: its finding is not about an ECR image', { messageId: record.messageId, resourceType: parsed.resourceType });
        }
      } catch (error) {
        totals.rejected++;
        failures.add(record.messageId);
        logger.error('Malformed Inspector event: failing this record; it reaches the dead-letter queue after maxReceiveCount', {
          messageId: record.messageId,
          error: errorMessage(error),
          receiveCount: record.attributes?.ApproximateReceiveCount,
        });
      }
    }

    /** The image's findings, or undefined when they are gone (the report then says so). */
    const readDetails = async (repositoryName: string, imageDigest: string): Promise<ScanDetails | undefined> => {
      try {
        return await readScanDetails(ecr, repositoryName, imageDigest, FINDINGS_READ_LIMIT);
      } catch (error) {
        if (GONE.includes(errorName(error))) return undefined;
        throw error;
      }
    };
    const run = async (key: { repositoryName: string; imageDigest: string }, ids: readonly string[], work: () => Promise<ReportOutcome>) => {
      logger.appendKeys({ repositoryName: key.repositoryName, imageDigest: key.imageDigest });
      try {
        const outcome = await work();
        count(outcome);
        outcomes.push({ ...key, records: ids.length, outcome });
      } catch (error) {
        ids.forEach((id) => failures.add(id));
        logger.error('Inspector report failed: failing its records so SQS delivers them again', { errorName: errorName(error), error: errorMessage(error) });
      } finally {
        logger.removeKeys(['repositoryName', 'imageDigest']);
      }
    };

    for (const { record, scan } of scans) {
      await run(scan, [record.messageId], async () => {
        // The event counts CRITICAL, HIGH and MEDIUM only: a threshold on another severity needs the findings.
        const needsFindings = scan.scanStatus === 'COMPLETE' && settings.filter.matches(scan.repositoryName) &&
          Object.keys(settings.thresholds).some((s) => !EVENT_COUNTED_SEVERITIES.includes(s));
        const options: ReportScanOptions = {};
        let counted = scan;
        if (needsFindings) {
          const details = await readDetails(scan.repositoryName, scan.imageDigest);
          if (details) {
            counted = { ...scan, rawSeverityCounts: findingCounts(details.findings) };
            Object.assign(options, { details });
          }
        }
        return reportScan(deps, counted, settings, tally, options);
      });
    }

    for (const group of groupFindingEvents(findings.map((f) => f.finding))) {
      const ofGroup = findings.filter((f) => f.finding.repositoryName === group.repositoryName && f.finding.imageDigest === group.imageDigest);
      const ids = ofGroup.map((f) => f.record.messageId);
      await run(group, ids, () => reportGroup(group));
    }

    async function reportGroup(group: FindingGroup): Promise<ReportOutcome> {
      if (!settings.filter.matches(group.repositoryName)) {
        logger.info('Report skipped: the repository does not match the configured patterns', { findingEvents: group.findings.length });
        return { published: false, reason: 'repository-not-selected' };
      }
      const details = await readDetails(group.repositoryName, group.imageDigest);
      if (!details) {
        logger.info('Report skipped: the image or its findings are gone', { findingEvents: group.findings.length });
        return { published: false, reason: 'image-gone' };
      }
      const counts = findingCounts(details.findings);
      if (group.closedOnly) {
        // Findings suppressed or closed: what ECR gives now is recorded; nothing is reported.
        try {
          await ledger.write(
            {
              repositoryName: group.repositoryName,
              imageDigest: group.imageDigest,
              imageTags: group.imageTags,
              scan: {
                status: 'COMPLETE',
                observedAt: group.time ?? deps.now(),
                source: 'scan-event',
                ...(details.completedAt ? { completedAt: details.completedAt } : {}),
                severityCounts: counts,
              },
            },
            { kind: 'monotonic' },
            deps.now(),
          );
        } catch (error) {
          tally.ledgerWriteFailures++;
          logger.warn('Ledger write failed: going on without it', { errorName: errorName(error), error: errorMessage(error) });
        }
        logger.info('No report: the finding events only suppress or close findings', { findingEvents: group.findings.length, severityCounts: counts });
        return { published: false, reason: 'findings-closed' };
      }
      const scan: ScanEvent = {
        eventId: group.eventId,
        accountId: group.accountId,
        region: group.region,
        ...(group.time ? { time: group.time } : {}),
        repositoryName: group.repositoryName,
        imageDigest: group.imageDigest,
        imageTags: group.imageTags,
        scanStatus: 'COMPLETE',
        rawSeverityCounts: counts,
        ignoredTags: 0,
        enhanced: true,
      };
      logger.info('Finding events grouped into one report decision', { findingEvents: group.findings.length, severityCounts: counts });
      return reportScan(deps, scan, settings, tally, { details, epss: group.epss });
    }

    return { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })), outcomes };
  } finally {
    publishReportMetrics(
      metrics,
      {
        published: totals.published,
        belowThreshold: totals.belowThreshold,
        skipped: totals.skipped,
        withheld: totals.withheld,
        rejected: totals.rejected,
        retries: retries.total - retriesBefore,
      },
      tally,
    );
  }
};
