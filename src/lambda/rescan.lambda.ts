/**
 * Rescan: for each queued repository, walks its images and starts a scan for
 * every digest the rescan decision calls due. Records are processed one at a
 * time; a record that throws fails alone (partial batch response) and the
 * queue's redrive policy moves it to the dead-letter queue after maxReceiveCount.
 *
 * Work is bounded by a time budget from the Lambda context. A walk that runs out
 * of time queues a continuation message (the pending digests of the page it was
 * on and the next page's token) and finishes its record; records of the batch not
 * yet started are queued again as they are. Either way the record succeeds, so its
 * receive count only ever counts failures.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLogger } from './logger';
import { METRIC } from './metric-names';
import { addCounts, addCountsByReason, createMetrics } from './metrics';
import { TimeBudget } from './time-budget';
import { RetryCounter, createDynamoDbClient, createEcrClient, createSqsClient, documentClient } from '../aws/clients';
import { errorMessage, errorName, getRegistryScanType } from '../aws/ecr';
import { Ledger } from '../aws/ledger';
import { LedgerRecords } from '../aws/ledger-records';
import { sendMessages } from '../aws/queue';
import { ImageEvaluation, RescanOptions, rescanRepository } from '../aws/rescan-repository';
import { LedgerBudgetCounters, ScanBudget } from '../aws/scan-budget';
import { utcDay } from '../decisions/budget';
import type { DiscoveryMarker } from '../decisions/in-use';
import { MAX_CONTINUATION_PARTS, RescanMessage, parseRescanMessage, rescanMessageBody } from '../decisions/inputs';
import { readRescanSettings } from '../decisions/settings';

const logger = createLogger();
const metrics = createMetrics();
const retries = new RetryCounter();
const ecr = retries.attach(createEcrClient());
const sqs = retries.attach(createSqsClient());
const dynamodb = documentClient(retries.attach(createDynamoDbClient()));
const processor = new BatchProcessor(EventType.SQS);

/** What one invocation did, published as metrics when it ends. */
function emptyTotals() {
  return {
    imagesEvaluated: 0,
    scansStarted: 0,
    scansSkipped: 0,
    quotaHits: 0,
    continuations: 0,
    inputsRejected: 0,
    statusReadsSaved: 0,
    ledgerReadFailures: 0,
    ledgerWriteFailures: 0,
    ledgerEntriesIgnored: 0,
    indexManifestsRead: 0,
    indexManifestsUnread: 0,
    imagesNotMonitored: 0,
    skippedByReason: {} as Record<string, number>,
  };
}

/** Images Amazon Inspector stopped monitoring though they are pulled, gathered per walk and named in one WARN line (at most 50 digests). */
class MonitoringGaps {
  private found: ImageEvaluation[] = [];

  public note(evaluation: ImageEvaluation): void {
    if (evaluation.coverageGap === 'monitoring-expired') this.found.push(evaluation);
  }

  /** Logs the walk's gaps, if any, and returns how many; a continuation's part logs its own. */
  public flush(repositoryName: string): number {
    const found = this.found;
    this.found = [];
    if (found.length > 0) {
      logger.warn('Images not monitored: Amazon Inspector\'s monitoring expired (SCAN_ELIGIBILITY_EXPIRED), though they were pulled within the coverage window', {
        repositoryName,
        images: found.slice(0, 50).map((e) => ({ imageDigest: e.imageDigest, imageTags: e.imageTags.slice(0, 5) })),
        imagesOmitted: Math.max(0, found.length - 50),
      });
    }
    return found.length;
  }
}

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  const budget = new TimeBudget(context);
  const retriesBefore = retries.total;
  const totals = emptyTotals();
  let started = false;
  try {
    // A bad configuration fails the invocation: every record is retried, none is dropped.
    const settings = readRescanSettings(process.env);
    const registryScanType = await getRegistryScanType(ecr);
    const ledger = new Ledger(dynamodb, settings.ledger);
    const records = new LedgerRecords(dynamodb, settings.ledger);
    // The daily scan budget's counters, in the ledger; one budget per UTC day (an invocation may straddle midnight).
    const counters = new LedgerBudgetCounters(dynamodb, settings.ledger.tableName);
    let scanBudget: ScanBudget | undefined;
    const scanBudgetFor = (now: Date) => {
      if (scanBudget?.day !== utcDay(now)) scanBudget = new ScanBudget(counters, settings.dailyScanBudget, now);
      return scanBudget;
    };
    // Where images run is read from the ledger, with the last discovery's marker once per
    // invocation, before the first walk: for rescanScope, and for the budget's order (running first).
    let scope: RescanOptions['scope'] | undefined;
    const scopeOnce = async (): Promise<NonNullable<RescanOptions['scope']>> => {
      if (scope) return scope;
      let marker: DiscoveryMarker | undefined;
      let markerRead = true;
      if (settings.inUse.discoveryOn) {
        try {
          marker = await records.readDiscoveryMarker();
        } catch (error) {
          markerRead = false;
          totals.ledgerReadFailures++;
          logger.warn('Ledger read of the discovery marker failed: where images run is unknown, so every due image is scanned', { errorName: errorName(error), error: errorMessage(error) });
        }
      }
      scope = { config: settings.scope, inUse: settings.inUse, marker, markerRead };
      return scope;
    };

    const recordHandler = async (record: SQSRecord): Promise<void> => {
      logger.appendKeys({ messageId: record.messageId });
      try {
        let message: RescanMessage;
        try {
          message = parseRescanMessage(record.body);
        } catch (error) {
          totals.inputsRejected++;
          logger.error('Malformed rescan message: failing this record; it reaches the dead-letter queue after maxReceiveCount', {
            error: errorMessage(error),
            receiveCount: record.attributes?.ApproximateReceiveCount,
          });
          throw error;
        }
        const { repositoryName, continuation } = message;
        logger.appendKeys({ repositoryName, ...(continuation ? { part: continuation.part } : {}) });
        if (!settings.filter.matches(repositoryName)) {
          logger.info('Repository skipped: it does not match the configured patterns');
          return;
        }
        if (started && budget.exhausted()) {
          // Not started, and no time left: queue it again, unchanged, for another invocation.
          await sendMessages(sqs, settings.queueUrl, [record.body]);
          totals.continuations++;
          logger.info('Record deferred: the time budget is spent, so it is queued again unchanged');
          return;
        }
        started = true;
        try {
          const now = new Date();
          const gaps = new MonitoringGaps();
          const result = await rescanRepository(ecr, repositoryName, {
            now,
            scanExpiryMs: settings.scanExpiryMs,
            registryScanType,
            concurrency: settings.imageConcurrency,
            ledger,
            budget: scanBudgetFor(now),
            readImageIndexes: settings.readImageIndexes,
            // Under enhanced scanning nothing is started: the walk reads the status of recently pulled images, to name those Inspector stopped monitoring.
            ...(registryScanType === 'ENHANCED' ? { coverage: { now, pulledWithinMs: settings.coverageWindowMs }, onImage: (e: ImageEvaluation) => gaps.note(e) } : {}),
            scope: await scopeOnce(),
            log: logger,
            position: continuation,
            shouldStop: () => budget.exhausted(),
          });
          const { continuation: next, ...counts } = result;
          const notMonitored = gaps.flush(repositoryName);
          totals.imagesNotMonitored += notMonitored;
          if (registryScanType === 'ENHANCED') {
            // For the registry summary: a walk's first part sets the repository's count, its continuations add to it.
            try {
              await records.writeCoverage(repositoryName, notMonitored, !continuation, now);
            } catch (error) {
              totals.ledgerWriteFailures++;
              logger.warn('Ledger write of the coverage count failed: the next summary counts this repository as of its last walk', {
                errorName: errorName(error),
                error: errorMessage(error),
              });
            }
          }
          totals.imagesEvaluated += counts.imagesEvaluated;
          totals.scansStarted += counts.scansStarted;
          totals.quotaHits += counts.quotaExceeded;
          totals.statusReadsSaved += counts.statusReadsSaved;
          totals.ledgerReadFailures += counts.ledgerReadFailures;
          totals.ledgerWriteFailures += counts.ledgerWriteFailures;
          totals.ledgerEntriesIgnored += counts.ledgerEntriesIgnored;
          totals.indexManifestsRead += counts.indexManifestsRead;
          totals.indexManifestsUnread += counts.indexManifestsUnread;
          const skipped: Record<string, number> = { ...counts.skipped };
          if (counts.recentlyScanned > 0) skipped['recently-scanned'] = counts.recentlyScanned;
          if (counts.quotaExceeded > 0) skipped['quota-exceeded'] = counts.quotaExceeded;
          for (const [reason, n] of Object.entries(skipped)) {
            totals.scansSkipped += n;
            totals.skippedByReason[reason] = (totals.skippedByReason[reason] ?? 0) + n;
          }
          if (next) {
            const part = (continuation?.part ?? 0) + 1;
            if (part > MAX_CONTINUATION_PARTS) {
              throw new Error(`the walk of ${repositoryName} reached ${MAX_CONTINUATION_PARTS} parts without finishing`);
            }
            const body = rescanMessageBody({
              repositoryName,
              continuation: {
                part,
                ...(next.nextToken ? { nextToken: next.nextToken } : {}),
                ...(next.pendingDigests ? { pendingDigests: [...next.pendingDigests] } : {}),
              },
            });
            await sendMessages(sqs, settings.queueUrl, [body]);
            totals.continuations++;
            logger.info('Repository rescanned in part: the time budget is spent, the walk continues in a new message', {
              registryScanType,
              ...counts,
              nextPart: part,
              pendingDigests: next.pendingDigests?.length ?? 0,
              morePages: next.nextToken !== undefined,
            });
          } else {
            logger.info('Repository rescanned', { registryScanType, ...counts });
          }
        } catch (error) {
          if (errorName(error) === 'RepositoryNotFoundException') {
            // Deleted since dispatch: nothing left to scan, so the message is done.
            logger.warn('Repository skipped: it no longer exists', { error: errorMessage(error) });
            return;
          }
          logger.error('Rescan failed: failing this record so SQS delivers it again', {
            errorName: errorName(error),
            error: errorMessage(error),
            receiveCount: record.attributes?.ApproximateReceiveCount,
          });
          throw error;
        }
      } finally {
        logger.resetKeys();
      }
    };

    return await processPartialResponse(event, recordHandler, processor, {
      context,
      // One repository at a time: concurrency is bounded inside each walk instead.
      processInParallel: false,
      // Report every failed record by id rather than throwing; SQS redrive does the rest.
      throwOnFullBatchFailure: false,
    });
  } finally {
    addCounts(metrics, {
      [METRIC.IMAGES_EVALUATED]: totals.imagesEvaluated,
      [METRIC.SCANS_STARTED]: totals.scansStarted,
      [METRIC.SCANS_SKIPPED]: totals.scansSkipped,
      [METRIC.QUOTA_HITS]: totals.quotaHits,
      [METRIC.CONTINUATIONS]: totals.continuations,
      [METRIC.INPUTS_REJECTED]: totals.inputsRejected,
      [METRIC.STATUS_READS_SAVED]: totals.statusReadsSaved,
      [METRIC.LEDGER_READ_FAILURES]: totals.ledgerReadFailures,
      [METRIC.LEDGER_WRITE_FAILURES]: totals.ledgerWriteFailures,
      [METRIC.LEDGER_ENTRIES_IGNORED]: totals.ledgerEntriesIgnored,
      [METRIC.INDEX_MANIFESTS_READ]: totals.indexManifestsRead,
      [METRIC.INDEX_MANIFESTS_UNREAD]: totals.indexManifestsUnread,
      [METRIC.IMAGES_NOT_MONITORED]: totals.imagesNotMonitored,
      [METRIC.AWS_RETRIES]: retries.total - retriesBefore,
    });
    addCountsByReason(metrics, METRIC.SCANS_SKIPPED, totals.skippedByReason);
    metrics.publishStoredMetrics();
  }
};
