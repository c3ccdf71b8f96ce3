/**
 * Dispatch: on schedule, lists every repository of the registry, keeps those
 * the patterns select, and puts one rescan message per repository on the queue.
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
import { RetryCounter, createEcrClient, createLambdaClient, createSqsClient } from '../aws/clients';
import { errorMessage, getRegistryScanType, repositoryPagesFrom } from '../aws/ecr';
import { sendMessages } from '../aws/queue';
import { DispatchContinuation, MAX_CONTINUATION_PARTS, parseDispatchEvent, rescanMessageBody } from '../decisions/inputs';
import { readDispatchSettings } from '../decisions/settings';

const logger = createLogger();
const metrics = createMetrics();
const retries = new RetryCounter();
const ecr = retries.attach(createEcrClient());
const sqs = retries.attach(createSqsClient());
const lambda = retries.attach(createLambdaClient());

export interface DispatchResult {
  readonly registryScanType: string;
  readonly repositoriesListed: number;
  readonly repositoriesSelected: number;
  readonly messagesSent: number;
  /** Present when the listing continues in another invocation: that invocation's part. */
  readonly continuedInPart?: number;
}

/** A context with no deadline, for a direct call without Lambda (the work is never cut short). */
const NO_DEADLINE = { getRemainingTimeInMillis: () => Number.MAX_SAFE_INTEGER / 2 };

export const handler = async (event: unknown, context?: Context): Promise<DispatchResult> => {
  if (context) logger.addContext(context);
  const budget = new TimeBudget(context ?? NO_DEADLINE);
  const retriesBefore = retries.total;
  const totals = { listed: 0, selected: 0, sent: 0, continuations: 0, rejected: 0 };
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
    const registryScanType = await getRegistryScanType(ecr);
    if (registryScanType === 'ENHANCED') {
      logger.warn('The registry uses enhanced scanning: Amazon Inspector rescans continuously and StartImageScan is not allowed, so nothing is dispatched');
      return { registryScanType, repositoriesListed: 0, repositoriesSelected: 0, messagesSent: 0 };
    }
    for await (const page of repositoryPagesFrom(ecr, continuation?.nextToken)) {
      totals.listed += page.names.length;
      const selected = page.names.filter((name) => settings.filter.matches(name));
      totals.selected += selected.length;
      totals.sent += await sendMessages(sqs, settings.queueUrl, selected.map((repositoryName) => rescanMessageBody({ repositoryName })));
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
      [METRIC.AWS_RETRIES]: retries.total - retriesBefore,
    });
    metrics.publishStoredMetrics();
  }
};

function resultOf(registryScanType: string, totals: { listed: number; selected: number; sent: number }, continuedInPart?: number): DispatchResult {
  return {
    registryScanType,
    repositoriesListed: totals.listed,
    repositoriesSelected: totals.selected,
    messagesSent: totals.sent,
    ...(continuedInPart !== undefined ? { continuedInPart } : {}),
  };
}
