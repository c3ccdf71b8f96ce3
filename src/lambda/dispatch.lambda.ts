/**
 * Dispatch: on schedule, lists every repository of the registry, keeps those
 * the patterns select, and puts one rescan message per repository on the queue. Under
 * enhanced scanning, where Amazon Inspector scans and nothing is started, it checks first
 * which selected repositories no scanning filter covers (25 names per
 * BatchGetRepositoryScanningConfiguration), logs them and counts them (`RepositoriesNotCovered`),
 * and queues only the covered ones, whose walk names the images Inspector stopped monitoring.
 *
 * Work is bounded by a time budget from the Lambda context. A registry too large
 * for one invocation (100,000 repositories is a page of 1,000 at a time) continues
 * in an asynchronous invocation of this same function with the next page's token,
 * so Lambda's retries and on-failure destination cover the continuation too.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { createLogger } from './logger';
import { METRIC } from './metric-names';
import { addCounts, createMetrics } from './metrics';
import { TimeBudget } from './time-budget';
import { RetryCounter, createDynamoDbClient, createEcrClient, createLambdaClient, createSqsClient, documentClient } from '../aws/clients';
import { errorMessage, errorName, getRegistryScanType, repositoryPagesFrom, uncoveredRepositories } from '../aws/ecr';
import { LedgerRecords } from '../aws/ledger-records';
import { sendMessages } from '../aws/queue';
import { acceptedRiskKey, expiryOf, unmatchedForACycle } from '../decisions/accepted-risks';
import { DispatchContinuation, MAX_CONTINUATION_PARTS, parseDispatchEvent, rescanMessageBody } from '../decisions/inputs';
import { DispatchSettings, readDispatchSettings } from '../decisions/settings';

const logger = createLogger();
const metrics = createMetrics();
const retries = new RetryCounter();
const ecr = retries.attach(createEcrClient());
const sqs = retries.attach(createSqsClient());
const lambda = retries.attach(createLambdaClient());
const dynamodb = documentClient(retries.attach(createDynamoDbClient()));

/**
 * Accepted risks that held but matched no finding for a whole rescan cycle (a scan expiry and
 * a day, in which every selected image is scanned again): logged by name and counted, once
 * per cycle. A risk matches when it leaves a finding out of a report's decision.
 */
async function checkAcceptedRisks(settings: DispatchSettings, now: Date): Promise<number> {
  if (!settings.ledger) return 0;
  const holding = settings.acceptedRisks.filter((entry) => (expiryOf(entry)?.getTime() ?? 0) > now.getTime());
  if (holding.length === 0) return 0;
  const records = await new LedgerRecords(dynamodb, settings.ledger).checkRisks(holding.map(acceptedRiskKey), now);
  const windowMs = settings.scanExpiryMs + 86_400_000;
  const unmatched = holding.filter((entry) => unmatchedForACycle(records.get(acceptedRiskKey(entry)) ?? {}, now, windowMs));
  for (const entry of unmatched) {
    const record = records.get(acceptedRiskKey(entry));
    logger.warn('Accepted risk matched no finding for a whole rescan cycle: remove it if the finding is gone', {
      findingId: entry.findingId,
      repositoryPattern: entry.repositoryPattern,
      expires: entry.expires,
      lastMatchedAt: record?.lastMatchedAt?.toISOString(),
      firstCheckedAt: record?.firstCheckedAt?.toISOString(),
    });
  }
  return unmatched.length;
}

export interface DispatchResult {
  readonly registryScanType: string;
  readonly repositoriesListed: number;
  readonly repositoriesSelected: number;
  readonly messagesSent: number;
  /** Under enhanced scanning: selected repositories no scanning filter of the registry covers (../decisions/coverage.ts). */
  readonly repositoriesNotCovered?: number;
  /** Present when the listing continues in another invocation: that invocation's part. */
  readonly continuedInPart?: number;
}

/** A context with no deadline, for a direct call without Lambda (the work is never cut short). */
const NO_DEADLINE = { getRemainingTimeInMillis: () => Number.MAX_SAFE_INTEGER / 2 };

export const handler = async (event: unknown, context?: Context): Promise<DispatchResult> => {
  if (context) logger.addContext(context);
  // A warm container's previous invocation may have appended a continuation's part.
  logger.resetKeys();
  const budget = new TimeBudget(context ?? NO_DEADLINE);
  const retriesBefore = retries.total;
  const totals = { listed: 0, selected: 0, sent: 0, continuations: 0, rejected: 0, risksUnmatched: 0, notCovered: 0 };
  try {
    let continuation: DispatchContinuation | undefined;
    try {
      continuation = parseDispatchEvent(event);
    } catch (error) {
      totals.rejected++;
      logger.error('Malformed dispatch continuation: failing this invocation; Lambda retries it, then sends it to the dead-letter queue', {
        error: errorMessage(error),
      });
      throw error;
    }
    if (continuation) logger.appendKeys({ part: continuation.part });
    const settings = readDispatchSettings(process.env);
    if (!continuation) {
      try {
        totals.risksUnmatched = await checkAcceptedRisks(settings, new Date());
      } catch (error) {
        // A check that cannot run must not stop the rescans; the next cycle checks again.
        logger.warn('Accepted risks not checked: the ledger could not be read', { errorName: errorName(error), error: errorMessage(error) });
      }
    }
    const registryScanType = await getRegistryScanType(ecr);
    if (registryScanType === 'ENHANCED' && !continuation) {
      logger.warn(
        'The registry uses enhanced scanning: Amazon Inspector rescans continuously and StartImageScan is not allowed, so no scan is started; ' +
          'the selected repositories are checked for coverage instead: those no filter covers are named here, the others queued for a walk that names their images whose monitoring expired',
      );
    }
    for await (const page of repositoryPagesFrom(ecr, continuation?.nextToken)) {
      totals.listed += page.names.length;
      const selected = page.names.filter((name) => settings.filter.matches(name));
      totals.selected += selected.length;
      if (registryScanType === 'ENHANCED') {
        // Coverage gaps (../decisions/coverage.ts): a selected repository no rule of the registry covers is not scanned at all.
        const notCovered = await uncoveredRepositories(ecr, selected);
        totals.notCovered += notCovered.length;
        if (notCovered.length > 0) {
          logger.warn('Repositories not covered: no enhanced scanning filter of the registry applies, so Amazon Inspector does not scan them', {
            repositories: notCovered,
          });
        }
        // The covered ones: the rescan function reads the status of their recently pulled images (coverage.ts), never starting a scan.
        const uncovered = new Set(notCovered);
        const covered = selected.filter((name) => !uncovered.has(name));
        totals.sent += await sendMessages(sqs, settings.queueUrl, covered.map((repositoryName) => rescanMessageBody({ repositoryName })));
      } else {
        totals.sent += await sendMessages(sqs, settings.queueUrl, selected.map((repositoryName) => rescanMessageBody({ repositoryName })));
      }
      if (page.nextToken !== undefined && budget.exhausted()) {
        const part = (continuation?.part ?? 0) + 1;
        if (part > MAX_CONTINUATION_PARTS) throw new Error(`dispatch reached ${MAX_CONTINUATION_PARTS} parts without finishing`);
        if (!context) throw new Error('dispatch ran out of time without a Lambda context to continue in');
        const next: DispatchContinuation = { nextToken: page.nextToken, part };
        await lambda.send(
          new InvokeCommand({ FunctionName: context.invokedFunctionArn, InvocationType: 'Event', Payload: JSON.stringify({ continuation: next }) }),
        );
        totals.continuations++;
        const result = resultOf(registryScanType, totals, part);
        logger.info('Dispatch continues in another invocation: the time budget is spent', { ...result });
        return result;
      }
    }
    const result = resultOf(registryScanType, totals);
    logger.info('Dispatch finished', { ...result });
    return result;
  } finally {
    addCounts(metrics, {
      [METRIC.REPOSITORIES_LISTED]: totals.listed,
      [METRIC.REPOSITORIES_DISPATCHED]: totals.sent,
      [METRIC.CONTINUATIONS]: totals.continuations,
      [METRIC.INPUTS_REJECTED]: totals.rejected,
      [METRIC.ACCEPTED_RISKS_UNMATCHED]: totals.risksUnmatched,
      [METRIC.REPOSITORIES_NOT_COVERED]: totals.notCovered,
      [METRIC.AWS_RETRIES]: retries.total - retriesBefore,
    });
    metrics.publishStoredMetrics();
  }
};

function resultOf(
  registryScanType: string,
  totals: { listed: number; selected: number; sent: number; notCovered: number },
  continuedInPart?: number,
): DispatchResult {
  return {
    registryScanType,
    repositoriesListed: totals.listed,
    repositoriesSelected: totals.selected,
    messagesSent: totals.sent,
    ...(registryScanType === 'ENHANCED' ? { repositoriesNotCovered: totals.notCovered } : {}),
    ...(continuedInPart !== undefined ? { continuedInPart } : {}),
  };
}
