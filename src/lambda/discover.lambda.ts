/**
 * Discover: on the rescan schedule, finds where this registry's image digests run in this
 * account and region (ECS tasks and services, Lambda functions; ../aws/discovery.ts) and records
 * it on their ledger entries; when the walk is done, it writes the marker that tells readers
 * how recent the view is (../decisions/in-use.ts).
 *
 * An account too large for one invocation continues, as dispatch does, in an asynchronous
 * invocation of this function with the position and the discovery's start time; each
 * invocation writes what it saw before it hands over, so nothing seen is lost to a timeout.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { Context } from 'aws-lambda';
import { createLogger } from './logger';
import { METRIC } from './metric-names';
import { addCounts, createMetrics } from './metrics';
import { TimeBudget } from './time-budget';
import { RetryCounter, createDynamoDbClient, createEcrClient, createEcsClient, createLambdaClient, documentClient } from '../aws/clients';
import { mapWithConcurrency } from '../aws/concurrency';
import { DiscoveryPosition, discoverInUse } from '../aws/discovery';
import { errorMessage } from '../aws/ecr';
import { LedgerRecords } from '../aws/ledger-records';
import { mergePlaces } from '../decisions/in-use';
import { DiscoverContinuation, MAX_CONTINUATION_PARTS, parseDiscoverEvent } from '../decisions/inputs';
import { readDiscoverySettings } from '../decisions/settings';

const logger = createLogger();
const metrics = createMetrics();
const retries = new RetryCounter();
const ecr = retries.attach(createEcrClient());
const ecs = retries.attach(createEcsClient());
const lambda = retries.attach(createLambdaClient());
const dynamodb = documentClient(retries.attach(createDynamoDbClient()));

export interface DiscoverResult {
  readonly inUseDigests: number;
  readonly clusters: number;
  readonly services: number;
  readonly tasks: number;
  readonly functions: number;
  readonly imagesElsewhere: number;
  /** Present when the discovery continues in another invocation: that invocation's part. */
  readonly continuedInPart?: number;
  /** Present when this invocation finished the discovery. */
  readonly completedAt?: string;
}

/** A context with no deadline, for a direct call without Lambda. */
const NO_DEADLINE = { getRemainingTimeInMillis: () => Number.MAX_SAFE_INTEGER / 2 };

/** `arn:aws:lambda:us-east-1:123456789012:function:name`: this registry's account and region. */
function registryOf(context: Context | undefined): { accountId: string; region: string } {
  const [, , , region, accountId] = (context?.invokedFunctionArn ?? '').split(':');
  const envRegion = process.env.AWS_REGION;
  if (!accountId || !/^\d{12}$/.test(accountId)) throw new Error('discovery needs a Lambda context whose invokedFunctionArn names the account');
  return { accountId, region: envRegion || region };
}

export const handler = async (event: unknown, context?: Context): Promise<DiscoverResult> => {
  if (context) logger.addContext(context);
  // A warm container's logger keeps the keys of its last invocation (a continuation's part).
  logger.resetKeys();
  const budget = new TimeBudget(context ?? NO_DEADLINE);
  const retriesBefore = retries.total;
  const totals = { rejected: 0, continuations: 0, inUse: 0, workloads: 0, writeFailures: 0 };
  try {
    let continuation: DiscoverContinuation | undefined;
    try {
      continuation = parseDiscoverEvent(event);
    } catch (error) {
      totals.rejected++;
      logger.error('Malformed discovery continuation: failing this invocation; Lambda retries it, then sends it to the dead-letter queue', { error: errorMessage(error) });
      throw error;
    }
    if (continuation) logger.appendKeys({ part: continuation.part });
    const settings = readDiscoverySettings(process.env);
    const records = new LedgerRecords(dynamodb, settings.ledger);
    const startedAt = continuation?.startedAt ?? new Date();
    const now = new Date();
    const marker = await records.readDiscoveryMarker();
    const position: DiscoveryPosition | undefined = continuation
      ? {
        phase: continuation.phase,
        ...(continuation.clustersToken ? { clustersToken: continuation.clustersToken } : {}),
        ...(continuation.clustersListed !== undefined ? { clustersListed: continuation.clustersListed } : {}),
        ...(continuation.pendingClusters ? { pendingClusters: continuation.pendingClusters } : {}),
        ...(continuation.functionsMarker ? { functionsMarker: continuation.functionsMarker } : {}),
      }
      : undefined;
    const shouldStop = () => budget.exhausted();
    const walk = await discoverInUse({ ecs, lambda, ecr, log: logger }, { registry: registryOf(context), now, position, shouldStop });

    // What this invocation saw, merged into what the ledger holds (an earlier part of this discovery, or the last one).
    const refs = [...walk.places.keys()].map((ref) => {
      const at = ref.lastIndexOf('@');
      return { repositoryName: ref.slice(0, at), imageDigest: ref.slice(at + 1) };
    });
    const stored = await records.readPlaces(refs);
    await mapWithConcurrency(refs, 5, async (image) => {
      const ref = `${image.repositoryName}@${image.imageDigest}`;
      await records.writePlaces(image, mergePlaces(stored.get(ref) ?? [], walk.places.get(ref) ?? [], marker), now);
    });
    totals.inUse = refs.length;
    totals.workloads = walk.counts.tasks + walk.counts.functions;
    const base = {
      inUseDigests: refs.length,
      clusters: walk.counts.clusters,
      services: walk.counts.services,
      tasks: walk.counts.tasks,
      functions: walk.counts.functions,
      imagesElsewhere: walk.counts.imagesElsewhere,
    };
    if (walk.continuation) {
      const part = (continuation?.part ?? 0) + 1;
      if (part > MAX_CONTINUATION_PARTS) throw new Error(`discovery reached ${MAX_CONTINUATION_PARTS} parts without finishing`);
      if (!context) throw new Error('discovery ran out of time without a Lambda context to continue in');
      const next = { ...walk.continuation, startedAt: startedAt.toISOString(), part };
      await lambda.send(new InvokeCommand({ FunctionName: context.invokedFunctionArn, InvocationType: 'Event', Payload: JSON.stringify({ continuation: next }) }));
      totals.continuations++;
      logger.info('Discovery continues in another invocation: the time budget is spent', { ...base, part });
      return { ...base, continuedInPart: part };
    }
    const completedAt = new Date();
    await records.writeDiscoveryMarker({ startedAt, completedAt }, {}, completedAt);
    logger.info('Discovery finished', { ...base, startedAt: startedAt.toISOString() });
    return { ...base, completedAt: completedAt.toISOString() };
  } finally {
    addCounts(metrics, {
      [METRIC.IN_USE_DIGESTS]: totals.inUse,
      [METRIC.WORKLOADS_READ]: totals.workloads,
      [METRIC.CONTINUATIONS]: totals.continuations,
      [METRIC.INPUTS_REJECTED]: totals.rejected,
      [METRIC.AWS_RETRIES]: retries.total - retriesBefore,
    });
    metrics.publishStoredMetrics();
  }
};
