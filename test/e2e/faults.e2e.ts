/**
 * The daily cycle under faults, with the ledger in the path: every AWS request of the three
 * handler bundles (ECR, SQS, SNS and the DynamoDB ledger) goes through the fault-injecting proxy
 * (fault-proxy.ts), which throttles 22% of them, fails 5% with server errors and drops 5% of
 * connections (3% after the service acted), with a fixed seed; seven calls are made to fail every
 * attempt (see `exhaust`) and dispatch's listing fails once. The run is dispatch, then the rescan
 * queue fed to the rescan handler as Lambda's event source would, then a scan-complete event for
 * every scan ECR started, delivered to the report handler as EventBridge's asynchronous
 * invocation would; then every event again, same id (a replay), and a second event with a new id
 * for every scan whose report was due.
 *
 * What must hold is read from the emulator directly (its request log and state, the ledger table
 * included, never through the proxy) and from the proxy's record of what the clients saw:
 * 1. 0 missed due digests and 0 duplicate scans: every due digest got exactly one StartImageScan
 *    that ECR accepted, any other ended in LimitExceededException (never retried), and no other
 *    digest got one;
 * 2. every rescan message was processed or sits in the dead-letter queue (none does);
 * 3. every failed invocation and every error or warning logged is an injected fault, by name, or
 *    a consequence the wire shows (a lost Publish answer, a claim or commit whose answer was lost):
 *    no handler crashed on an error shape it did not expect;
 * 4. the rescan handler's logged counts and published metrics match the wire, the ledger's
 *    included: StatusReadsSaved is 0 (the ledger starts empty), LedgerReadFailures and
 *    LedgerWriteFailures are the DynamoDB calls whose every attempt failed; the ledger then holds
 *    only ECR's own answers, and no report;
 * 5. 0 missed news: every report due under NEW_FINDINGS (on this first cycle every one is news)
 *    reached the subscriber, unless every try of its invocation failed (none does);
 * 6. 0 duplicate reports, except those from lost Publish answers: in the first round each digest's
 *    notifications are 1 + the Publish requests SNS accepted whose answer was lost;
 * 7. the replay and the second events publish nothing more (ReportsWithheld `already-reported`;
 *    for a new event that no completion time ties to the first, `still-failing` if FAILED, and
 *    `not-new` if COMPLETE), except where the ledger could not guard the first report, as its state after each round
 *    shows: the first delivery's ledger read or claim write failed (no claim), or its commit
 *    failed (the claim is taken over); and each such republish is counted;
 * 8. in every round the report handler's metrics agree with the wire: AwsRetries, the ledger's
 *    failures, ReportsPossiblyDuplicated (every Publish attempt that lost its answer, so at least every extra copy), ReportsWithheld;
 * 9. the run exercised what it claims to: the shares of faults, DynamoDB's throttling,
 *    server errors and drops among them.
 * The figures (faults by kind and operation, the SDK's retries, the ledger's failures, replays
 * withheld, duplicates) go to test-reports/fault-injection.json.
 */
import { createHash, randomUUID } from 'crypto';
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, DescribeImageScanFindingsCommand } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Duration } from 'aws-cdk-lib';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { FaultProxy, FaultProxyOptions, FaultRates, ProxiedRequest, drawKey, summarize } from './fault-proxy';
import { Deployment, EmulatorFixture, deploy, recognizeNodeErrors, useEmulator } from './harness';
import { BulkImage, EmulatorRequest, REPO_ROOT } from '../../local/emulator/emulator';
import { Handlers, Notification, drainQueue, lambdaContext, receiveNotifications, runQueue } from '../../local/pipeline';
import { SeedScan, scanFindingsResponse } from '../../local/registry';
import { SAMPLE_REGISTRY, SAMPLE_SETTINGS, SampleImage } from '../../local/sample-registry';
import { MAX_ATTEMPTS, documentClient } from '../../src/aws/clients';
import { ENV } from '../../src/decisions/settings';
import { METRIC, METRICS_NAMESPACE } from '../../src/lambda/metric-names';
import { EmfMetric, LogLine, emfMetrics } from '../aws/helpers';

recognizeNodeErrors();

/**
 * The run's seed: the same seed injects the same faults into the same requests, run after run.
 * A request's draw depends on its body, so a change to what the functions send (a ledger entry
 * gaining a field) reshuffles the draws: with the rates at 22% and 5% (issue 5's floors are 20% and 5%), 21 drew
 * 4.2% server errors once scans below the thresholds recorded their (empty) finding ids. The
 * rates now sit about two standard deviations above the floors on a run of about 540 requests, so
 * the shares meet them with most seeds; the seed only has to cover the checks at the end of the
 * test. 21 and 22 cover them; 23 does not (a scripted ledger failure's invocation failed again
 * later and its Lambda retry recorded the report). FAULT_SEED=n runs another (the figures file
 * records which).
 */
const SEED = Number(process.env.FAULT_SEED ?? 21);
/** At least 20% throttling and 5% server errors, as issue 5 asks, with a margin for the draw, plus dropped connections. */
const RATES: FaultRates = { 'throttling': 0.24, 'server-error': 0.07, 'drop': 0.02, 'drop-after-forward': 0.03 };
/**
 * The writes whose lost answers matter get more drops after forwarding, so the run covers a
 * StartImageScan and a Publish that took effect while the client saw an error. (Dispatch's one
 * SendMessageBatch keeps the base rate: were its answer lost, every repository would be walked
 * twice, which the invariants allow but which doubles the run; this seed does not draw it.)
 */
const OVERRIDES = {
  'ecr:StartImageScan': { 'drop-after-forward': 0.08 },
  'sns:Publish': { 'drop-after-forward': 0.15 },
};

/**
 * Calls that fail every attempt, whatever the draws, so the run also covers the paths behind an
 * exhausted call (each named by what it touches, set once the run knows the digests):
 * - the rescan's read of one image's scan state: its walk fails and SQS delivers the message again;
 * - one report's Publish: Lambda tries the event again (the claim is given back first);
 * - the rescan's ledger read (BatchGetItem) of one repository: the walk reads ECR instead;
 * - one rescan write-back: the entry stays absent;
 * - one report's ledger read (GetItem): the report goes out as if the ledger knew nothing, unclaimed;
 * - one report's claim write: the same, for a FAILED scan;
 * - one report's commit: the report went out, its claim stays, and the replay takes it over.
 * And dispatch, which makes three requests, has its listing fail once.
 */
const exhausted: {
  rescanDigest?: string;
  publishDigest?: string;
  ledgerBatchRepository?: string;
  writeBackDigest?: string;
  ledgerReadDigest?: string;
  claimDigest?: string;
  commitDigest?: string;
} = {};
/** The ledger keys (`pk`) a DynamoDB request names, as the wire carries them. */
function ledgerKeys(params: Record<string, any>): string[] {
  if (params.Key?.pk?.S) return [params.Key.pk.S];
  return Object.values((params.RequestItems ?? {}) as Record<string, { Keys?: { pk?: { S?: string } }[] }>).flatMap((r) => (r.Keys ?? []).map((k) => k.pk?.S ?? ''));
}
/** `image#<repository>@<digest>`: the digest, and the repository. */
const keyDigest = (pk: string) => pk.slice(pk.lastIndexOf('@') + 1);
const keyRepository = (pk: string) => pk.slice(pk.indexOf('#') + 1, pk.lastIndexOf('@'));
/** What a ledger UpdateItem does: claim (before Publish), settle (commit or release after it), or record. */
function ledgerWriteKind(params: Record<string, any>): 'claim' | 'commit' | 'release' | 'record' {
  const values = (params.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  if (values[':claim'] !== undefined) return 'claim';
  if (typeof params.UpdateExpression === 'string' && params.UpdateExpression.includes('REMOVE #claim') && values[':claimId'] !== undefined) {
    return values[':lastReport'] !== undefined || values[':failureReport'] !== undefined ? 'commit' : 'release';
  }
  return 'record';
}

const exhaust: FaultProxyOptions['script'] = ({ service, operation, body, occurrence }) => {
  if (service === 'ecr' && operation === 'DescribeRepositories' && occurrence === 0) return 'server-error';
  if (occurrence >= MAX_ATTEMPTS) return undefined;
  if (service === 'ecr' && operation === 'DescribeImageScanFindings' && exhausted.rescanDigest) {
    const params = JSON.parse(body);
    // The rescan reads the state with the smallest page; the report reads the findings without maxResults.
    if (params.maxResults === 1 && params.imageId?.imageDigest === exhausted.rescanDigest) return 'server-error';
  }
  if (service === 'sns' && operation === 'Publish' && exhausted.publishDigest && drawKey(body).includes(exhausted.publishDigest)) return 'server-error';
  if (service === 'dynamodb') {
    const params = JSON.parse(body);
    const keys = ledgerKeys(params);
    const digest = keys.length === 1 ? keyDigest(keys[0]) : undefined;
    if (operation === 'BatchGetItem' && keys.length > 0 && keys.every((k) => keyRepository(k) === exhausted.ledgerBatchRepository)) return 'server-error';
    if (operation === 'GetItem' && digest === exhausted.ledgerReadDigest) return 'server-error';
    if (operation === 'UpdateItem') {
      const kind = ledgerWriteKind(params);
      if (kind === 'record' && digest === exhausted.writeBackDigest && params.ExpressionAttributeValues?.[':scan']?.M?.source?.S === 'status-read') return 'server-error';
      if (kind === 'claim' && digest === exhausted.claimDigest) return 'server-error';
      if (kind === 'commit' && digest === exhausted.commitDigest) return 'server-error';
    }
  }
  return undefined;
};

let proxy: FaultProxy | undefined;
const fixture = useEmulator({
  handlerEnvironment: async (emulator) => {
    proxy = await FaultProxy.start({ target: emulator.endpoint, seed: SEED, rates: RATES, overrides: OVERRIDES, script: exhaust });
    return { AWS_ENDPOINT_URL: proxy.endpoint };
  },
});
afterAll(async () => proxy?.stop());

const PROPS = {
  repositoryPattern: SAMPLE_SETTINGS.repositoryPattern,
  excludePattern: SAMPLE_SETTINGS.excludePattern,
  scanExpiry: Duration.days(SAMPLE_SETTINGS.scanExpiryDays),
};

/**
 * Generated repositories next to the sample registry, enough images for the rates to matter
 * (about 550 requests in all, the ledger's and the replays' included) and few enough for the ECR
 * client's adaptive rate limiter: throttling that does not ease when the client slows down holds
 * it near 4 requests a second, so every ECR request of the rescan costs about a quarter of a
 * second. FAULT_IMAGES_PER_REPOSITORY=n runs a larger registry (with a longer --testTimeout).
 */
const GENERATED_REPOSITORIES = ['shop/batch-a', 'shop/batch-b', 'shop/batch-c'];
const IMAGES_PER_REPOSITORY = Number(process.env.FAULT_IMAGES_PER_REPOSITORY ?? 8);
/** What each generated repository holds, image by image. */
const IMAGE_KINDS = ['never', 'expired', 'fresh', 'failed', 'never', 'expired', 'failed-today', 'expired'] as const;
/** The report function's concurrent execution environments (each its own bundle instance, as Lambda scales out). */
const REPORT_ENVIRONMENTS = 8;
/** The run takes about a minute and a half, but dayTime() may first wait up to two minutes for midnight to pass. */
const TEST_TIMEOUT_MS = 300_000;
/** Lambda's asynchronous invocation: the first try and two retries. */
const ASYNC_ATTEMPTS = 3;

/** The error names the injected faults produce in the SDK; anything else is a crash on an unexpected shape. */
const INJECTED_ERROR_NAMES = new Set([
  'ThrottlingException', // ECR, SQS, DynamoDB
  'RequestThrottled', // SQS
  'Throttling', // SNS
  'ThrottledException', // SNS
  'ProvisionedThroughputExceededException', // DynamoDB
  'ServerException', // ECR
  'InternalFailure', // SQS
  'InternalErrorException', // SNS
  'InternalServerError', // DynamoDB
  'ServiceUnavailable', // all
  'TimeoutError', // a dropped connection: ECONNRESET
]);

const ECR = 'AmazonEC2ContainerRegistry_V20150921';
const DYNAMODB = 'DynamoDB_20120810';
const DAY_MS = 86_400_000;

type Outcome = 'started' | 'recently-scanned' | 'skip';

/** What must happen to one image. */
interface Truth {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: readonly string[];
  /** StartImageScan's answer on the first run of the day, or skip (not due). */
  readonly outcome: Outcome;
}

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/**
 * "Now" for the seed, kept at least a minute into the local day: an image seeded as scanned a
 * minute ago must be scanned today for moto (which compares local calendar days).
 */
async function dayTime(): Promise<Date> {
  const now = new Date();
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1).getTime();
  // The run must not cross midnight either: wait for the new day if it is close.
  if (midnight - now.getTime() < 150_000) await new Promise((resolve) => setTimeout(resolve, midnight - now.getTime() + 1000));
  const today = new Date();
  const startOfDay = new Date(today.getFullYear(), today.getMonth(), today.getDate()).getTime();
  return new Date(Math.max(today.getTime(), startOfDay + 61_000));
}

/** The generated images of one repository, by IMAGE_KINDS: never scanned, expired, fresh, FAILED days ago, FAILED today. */
function generatedImages(emulator: EmulatorFixture['emulator'], repositoryName: string, now: Date): { images: BulkImage[]; truth: Truth[] } {
  const images: BulkImage[] = [];
  const truth: Truth[] = [];
  for (let i = 0; i < IMAGES_PER_REPOSITORY; i++) {
    const imageDigest = sha256(`${repositoryName} ${i}`);
    const tags = i % 4 === 0 ? [] : i % 4 === 1 ? [`v${i}`] : [`v${i}`, `build-${i}`];
    const kind = IMAGE_KINDS[i % IMAGE_KINDS.length];
    let scan: Exclude<SeedScan, { kind: 'never' }> | undefined;
    let outcome: Outcome;
    if (kind === 'never') {
      outcome = 'started';
    } else if (kind === 'expired') {
      scan = { kind: 'complete', daysAgo: 8 + i, severityCounts: { HIGH: i % 3, MEDIUM: 2 } };
      outcome = 'started';
    } else if (kind === 'fresh') {
      scan = { kind: 'complete', daysAgo: 2, severityCounts: { LOW: 1 } };
      outcome = 'skip';
    } else if (kind === 'failed') {
      scan = { kind: 'status', status: 'FAILED', description: 'Unable to retrieve the image layers.', daysAgo: 3 };
      outcome = 'started';
    } else {
      // Failed a minute ago: due, but ECR refuses a second scan today.
      scan = { kind: 'status', status: 'FAILED', description: 'Unable to retrieve the image layers.', daysAgo: 0 };
      outcome = 'recently-scanned';
    }
    const at = scan && new Date(scan.daysAgo === 0 ? now.getTime() - 60_000 : now.getTime() - scan.daysAgo * DAY_MS);
    images.push({
      imageDigest,
      tags,
      pushedAt: new Date(now.getTime() - (40 + i) * DAY_MS),
      lastScan: at ?? null,
      findings: scan && at ? scanFindingsResponse(emulator.accountId, repositoryName, imageDigest, scan, at) : undefined,
    });
    truth.push({ repositoryName, imageDigest, imageTags: tags, outcome });
  }
  return { images, truth };
}

async function seed(now: Date): Promise<{ deployment: Deployment; truth: Truth[] }> {
  const { emulator, ecr } = fixture();
  const deployment = await deploy(fixture(), PROPS, SAMPLE_REGISTRY, now);
  const truth: Truth[] = deployment.seeded.map((image) => {
    const repository = SAMPLE_REGISTRY.find((r) => r.name === image.repositoryName)!;
    const expected = (image.seed as SampleImage).expected;
    const outcome: Outcome = repository.selected && expected.action === 'scan' ? expected.outcome! : 'skip';
    return { repositoryName: image.repositoryName, imageDigest: image.imageDigest, imageTags: image.imageTags, outcome };
  });
  for (const repositoryName of GENERATED_REPOSITORIES) {
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
    const generated = generatedImages(emulator, repositoryName, now);
    await emulator.seedImages(repositoryName, generated.images);
    truth.push(...generated.truth);
  }
  // The smallest repository's walk is the one that fails once (its one image is read again).
  exhausted.rescanDigest = truth.find((t) => t.repositoryName === 'shop/worker')!.imageDigest;
  // One generated repository's ledger read fails, and one fresh image's write-back in another.
  exhausted.ledgerBatchRepository = 'shop/batch-a';
  exhausted.writeBackDigest = truth.find((t) => t.repositoryName === 'shop/batch-c' && t.outcome === 'skip')!.imageDigest;
  // The SQS client sends a queue's requests to the host of its queue URL, which in AWS is the SQS
  // endpoint: the URL moto made points at the emulator, so give the handlers the proxy's.
  const queueUrl = new URL(deployment.infrastructure.rescanQueueUrl);
  queueUrl.host = new URL(proxy!.endpoint).host;
  process.env[ENV.QUEUE_URL] = queueUrl.toString();
  await emulator.resetRequests();
  proxy!.resetRequests();
  return { deployment, truth };
}

/** The severity counts a scan-complete event carries for the n-th started scan; every ninth scan FAILED instead. */
function scanEventDetail(image: Truth, n: number): Record<string, unknown> {
  const base = { 'repository-name': image.repositoryName, 'image-digest': image.imageDigest, 'image-tags': image.imageTags };
  if (n % 9 === 4) return { ...base, 'scan-status': 'FAILED' };
  const counts = [{ CRITICAL: 1, HIGH: 2, MEDIUM: 4 }, { MEDIUM: 3, LOW: 1 }, { HIGH: 1 }][n % 3];
  return { ...base, 'scan-status': 'COMPLETE', 'finding-severity-counts': counts };
}

/** The report decision for such an event with the default thresholds (CRITICAL 1, HIGH 1) and failures reported. */
function expectedReport(detail: Record<string, any>): string {
  if (detail['scan-status'] === 'FAILED') return 'scan-failed';
  const counts = detail['finding-severity-counts'] as Record<string, number>;
  return (counts.CRITICAL ?? 0) >= 1 || (counts.HIGH ?? 0) >= 1 ? 'threshold-reached' : 'below-threshold';
}

/** A second event for the same scan, as EventBridge would deliver it: a new id, a second later. */
function secondEvent(event: Record<string, any>): Record<string, any> {
  const time = new Date(Date.parse(event.time) + 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { ...event, id: randomUUID(), time };
}

interface AsyncInvocation<R> {
  readonly result?: R;
  /** The rejection of each failed try, in order. */
  readonly errors: unknown[];
}

/** Lambda's asynchronous invocation: a rejected invocation is tried again, ASYNC_ATTEMPTS in all. */
async function invokeAsync<R>(invoke: () => Promise<R>): Promise<AsyncInvocation<R>> {
  const errors: unknown[] = [];
  for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
    try {
      return { result: await invoke(), errors };
    } catch (error) {
      errors.push(error);
    }
  }
  return { errors };
}

/** A fresh instance of a handler bundle: one more execution environment, with its own clients and logger. */
function loadEnvironment<T>(name: string): T {
  let handler: T | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require(join(REPO_ROOT, 'assets', 'lambda', `${name}.lambda`, 'index.js')).handler;
  });
  return handler!;
}

/** The report handler's result (src/lambda/report.lambda.ts ReportResult: local/pipeline's type predates `news`). */
type ReportResult = Awaited<ReturnType<Handlers['report']>> & { readonly news?: string; readonly newFindings?: number };
type ReportInvocation = AsyncInvocation<ReportResult>;

/** Each event to one of the environments (round robin, each environment one event at a time), by digest. */
async function deliver(environments: readonly Handlers['report'][], events: readonly Record<string, any>[]): Promise<Map<string, ReportInvocation>> {
  const invocations = new Map<string, ReportInvocation>();
  await Promise.all(
    environments.map(async (report, e) => {
      for (let i = e; i < events.length; i += environments.length) {
        invocations.set(events[i].detail['image-digest'], await invokeAsync(() => report(events[i], lambdaContext('report')) as Promise<ReportResult>));
      }
    }),
  );
  return invocations;
}

/** One logical SDK call as the proxy saw it: its attempts, and how it ended for the caller. */
interface Call {
  readonly service: string;
  readonly operation: string;
  readonly params: Record<string, any>;
  readonly attempts: ProxiedRequest[];
  /** The HTTP status the caller got, or 'failed' when its last attempt was faulted. */
  readonly result: number | 'failed';
  /** The error code of the emulator's answer to the last attempt, when it was an error. */
  readonly errorCode?: string;
}

function calls(requests: readonly ProxiedRequest[]): Call[] {
  const byId = new Map<string, ProxiedRequest[]>();
  for (const r of requests) byId.set(r.invocationId, [...(byId.get(r.invocationId) ?? []), r]);
  return [...byId.values()].map((attempts) => {
    const last = attempts[attempts.length - 1];
    return {
      service: last.service,
      operation: last.operation,
      params: last.service === 'sns' ? Object.fromEntries(new URLSearchParams(last.body)) : JSON.parse(last.body || '{}'),
      attempts,
      result: last.fault ? 'failed' : last.clientStatus!,
      errorCode: last.emulatorCode,
    };
  });
}

/** One rescan walk of a repository: its ECR and ledger calls, from the first DescribeImages page to the next walk. */
interface Walk {
  readonly repositoryName: string;
  readonly calls: Call[];
  /** The daily scan budget's calls (its day's item): its demand read, claims, settles. */
  readonly budgetCalls: Call[];
}

/**
 * Walks run one at a time (one record after another, one invocation after another), so the calls
 * split cleanly; a ledger call belongs to the walk of the repository its keys name.
 */
function walks(rescanCalls: readonly Call[]): Walk[] {
  const result: Walk[] = [];
  for (const call of rescanCalls) {
    if ((call.service !== 'ecr' && call.service !== 'dynamodb') || call.operation === 'GetRegistryScanningConfiguration') continue;
    // A walk starts with the first DescribeImages page (a continuation's pending digests go by imageIds).
    if (call.operation === 'DescribeImages' && call.params.nextToken === undefined && call.params.imageIds === undefined) {
      result.push({ repositoryName: call.params.repositoryName, calls: [], budgetCalls: [] });
    }
    const walk = result[result.length - 1];
    if (call.service === 'dynamodb') {
      const keys = ledgerKeys(call.params);
      // The discovery marker: read once per invocation, before its first walk, for no walk in particular.
      if (keys.every((k) => k === 'discovery')) continue;
      // The daily scan budget's counters: one item per day, claimed and settled by the walk under way.
      if (keys.every((k) => k.startsWith('scan-budget#'))) {
        walk.budgetCalls.push(call);
        continue;
      }
    }
    const repositories = call.service === 'dynamodb' ? [...new Set(ledgerKeys(call.params).map(keyRepository))] : [call.params.repositoryName];
    expect([call.operation, repositories]).toEqual([call.operation, [walk.repositoryName]]);
    walk.calls.push(call);
  }
  return result;
}

const count = <T>(items: readonly T[], predicate: (item: T) => boolean) => items.filter(predicate).length;
const digestOf = (params: Record<string, any>): string => params.imageId?.imageDigest;
/** The digest a ledger call is about (one key), or undefined. */
const ledgerDigest = (call: Call): string | undefined => {
  const keys = ledgerKeys(call.params);
  return keys.length === 1 ? keyDigest(keys[0]) : undefined;
};
const publishedDigest = (message: string) => JSON.parse(JSON.parse(message).default).imageDigest as string;

/** Entries of SendMessageBatch requests the emulator accepted: the messages on the queue. */
const enqueued = (requests: readonly EmulatorRequest[]) =>
  requests.filter((r) => r.operation === 'SendMessageBatch' && r.status === 200).reduce((sum, r) => sum + r.params.Entries.length, 0);

/** What the wire shows happened to one digest's ledger claims and Publish calls in the report rounds. */
interface LedgerWire {
  /** Publish calls that ended in 200 after an attempt lost its connection: "Publish lost an answer" (one line each). */
  readonly publishLostAnswer: Map<string, number>;
  /** A claim that took effect while its caller did not see it, or a claim never given back (a failed commit or release): the next attempt takes it over. */
  readonly claimLeftBehind: Set<string>;
  /** A commit that took effect while its caller saw an error, so its retry found the claim gone. */
  readonly commitAnswerLost: Set<string>;
}

function ledgerWire(requests: readonly ProxiedRequest[]): LedgerWire {
  const publishLostAnswer = new Map<string, number>();
  const claimLeftBehind = new Set<string>();
  const commitAnswerLost = new Set<string>();
  for (const call of calls(requests)) {
    const tookEffectUnseen = call.attempts.some((a) => a.emulatorStatus === 200) && call.result !== 200;
    if (call.operation === 'Publish' && call.result === 200 && call.attempts.some((a) => a.fault === 'drop' || a.fault === 'drop-after-forward')) {
      const digest = publishedDigest(call.params.Message);
      publishLostAnswer.set(digest, (publishLostAnswer.get(digest) ?? 0) + 1);
    }
    if (call.operation !== 'UpdateItem') continue;
    const digest = ledgerDigest(call)!;
    const kind = ledgerWriteKind(call.params);
    if (kind === 'claim' && tookEffectUnseen) claimLeftBehind.add(digest);
    if ((kind === 'commit' || kind === 'release') && call.result === 'failed' && !call.attempts.some((a) => a.emulatorStatus === 200)) claimLeftBehind.add(digest);
    if (kind === 'commit' && tookEffectUnseen) commitAnswerLost.add(digest);
  }
  return { publishLostAnswer, claimLeftBehind, commitAnswerLost };
}

/**
 * The warnings and errors the injected faults do not explain. Explained: a failed walk, a ledger
 * read or write that failed with an injected error name, and the warnings whose cause the wire
 * shows for that digest (a Publish retried after a lost answer; a claim taken over that an earlier
 * attempt left behind; a commit whose retry found its own claim gone). Everything else is not.
 */
function unexplainedErrors(lines: readonly LogLine[], wire: LedgerWire): LogLine[] {
  return lines.filter((line) => {
    if (line.level !== 'ERROR' && line.level !== 'WARN') return false;
    if (typeof line.message !== 'string') return true;
    const injected = INJECTED_ERROR_NAMES.has(String(line.errorName));
    const digest = String(line.imageDigest);
    if (line.message.startsWith('Rescan failed')) return !injected;
    if (line.message.startsWith('Ledger read failed') || line.message.startsWith('Ledger write failed')) return !injected;
    if (line.message.startsWith('Publish lost an answer and was retried')) return !wire.publishLostAnswer.has(digest);
    if (line.message.startsWith('Report taken over from an earlier attempt')) return !wire.claimLeftBehind.has(digest);
    if (line.message.startsWith('Report published, but its claim was gone at the commit')) return !wire.commitAnswerLost.has(digest);
    return true;
  });
}

const errorNameOf = (error: any): string => (typeof error?.name === 'string' && error.name !== 'Error' ? error.name : `unclassified: ${String(error)}`);

/**
 * The sum of a metric over `values` (EMF lines' metrics), for the dimension values given; by
 * default the metric without a `reason` dimension. A value may be a list (Powertools' EMF).
 */
function sumMetric(values: readonly EmfMetric[], name: string, dimensions: Record<string, string | undefined> = { reason: undefined }): number {
  return values
    .filter((v) => v.name === name && Object.entries(dimensions).every(([k, d]) => v.dimensions[k] === d))
    .flatMap((v) => (Array.isArray(v.value) ? v.value : [v.value]))
    .reduce((sum: number, v) => sum + Number(v), 0);
}

/** The ledger table as the emulator holds it (read directly, not through the proxy), by digest. */
async function ledgerState(tableName: string): Promise<Map<string, Record<string, any>>> {
  const client = documentClient(new DynamoDBClient(fixture().emulator.clientConfig()));
  const items: Record<string, any>[] = [];
  let start: Record<string, any> | undefined;
  try {
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  // The image entries, by digest (the day's scan budget item is the only other kind this run writes).
  return new Map(items.filter((item) => item.entity === 'image').map((item) => [item.imageDigest as string, item]));
}

/** Whether the ledger holds this event's report: its findings report (COMPLETE) or failure report (FAILED), by event id. */
function committed(entry: Record<string, any> | undefined, event: Record<string, any>): boolean {
  const record = event.detail['scan-status'] === 'FAILED' ? entry?.failureReport : entry?.lastReport;
  return record?.eventId === event.id;
}

/** Where the figures for the issue note go. */
const FIGURES_FILE = join(REPO_ROOT, 'test-reports', 'fault-injection.json');
let figures: Record<string, unknown> | undefined;
afterAll(() => {
  if (!figures) return;
  mkdirSync(join(REPO_ROOT, 'test-reports'), { recursive: true });
  writeFileSync(FIGURES_FILE, JSON.stringify(figures, null, 2) + '\n');
  // After the log capture is restored: one summary for the run's output.
  // eslint-disable-next-line no-console
  console.log(`Fault injection (seed ${SEED}), written to ${FIGURES_FILE}:\n${JSON.stringify(figures, null, 2)}`);
});

test('under throttling, server errors and dropped connections, the ledger in the path, every due digest is scanned once and every news reported once', async () => {
  const started = Date.now();
  const { emulator, sqs, handlers } = fixture();
  const now = await dayTime();
  const { deployment, truth } = await seed(now);
  const { rescanQueueUrl, rescanQueueArn, rescanDeadLetterQueueUrl, scanEventQueueUrl, subscriberQueueUrl } = deployment.infrastructure;
  const { ledgerTableName } = deployment.infrastructure;
  const p = proxy!;
  // The construct's default: report only what is new.
  expect(deployment.environment[ENV.REPORT_ON] ?? 'NEW_FINDINGS').toBe('NEW_FINDINGS');
  const logMark = () => fixture().logs().length;
  const metricMark = () => fixture().metricLines().length;

  // --- Dispatch, as the schedule invokes it (asynchronously, so a failure is tried again).
  const dispatch = await invokeAsync(() => handlers.dispatch({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('dispatch')));
  const dispatchRequests = p.requests().slice();
  const dispatchedMessages = enqueued(await emulator.requests());
  const dispatchMetricLines = fixture().metricLines();

  // --- The rescan queue, as Lambda's event source feeds it to the function.
  const rescanRejections: unknown[] = [];
  const rescan = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    try {
      return await handlers.rescan(event, context);
    } catch (error) {
      rescanRejections.push(error);
      throw error;
    }
  };
  const run = await runQueue(sqs, rescanQueueUrl, rescanQueueArn, rescan, { batchSize: deployment.config.batchSize });
  const rescanRequests = p.requests().slice(dispatchRequests.length);
  const rescanMetricLines = fixture().metricLines().slice(dispatchMetricLines.length);
  const emulatorAfterRescan = await emulator.requests();
  const deadLetters = await drainQueue(sqs, rescanDeadLetterQueueUrl);
  const leftOnQueue = await drainQueue(sqs, rescanQueueUrl);
  const ledgerAfterRescan = await ledgerState(ledgerTableName);
  const rescanDone = Date.now();

  // --- A scan-complete event for every scan ECR started, delivered to REPORT_ENVIRONMENTS report environments.
  const startedDigests = new Set(
    emulatorAfterRescan.filter((r) => r.service === ECR && r.operation === 'StartImageScan' && r.status === 200).map((r) => digestOf(r.params)),
  );
  const startedImages = truth.filter((t) => startedDigests.has(t.imageDigest));
  const details = startedImages.map((image, n) => scanEventDetail(image, n));
  const eventBridge = new EventBridgeClient(emulator.clientConfig());
  for (let i = 0; i < details.length; i += 10) {
    const entries = details.slice(i, i + 10).map((detail) => ({ Source: 'aws.ecr', DetailType: 'ECR Image Scan', Detail: JSON.stringify(detail) }));
    expect((await eventBridge.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount).toBe(0);
  }
  eventBridge.destroy();
  const events = (await drainQueue(sqs, scanEventQueueUrl)).map((m) => JSON.parse(m.Body!) as Record<string, any>);
  const dueEvents = events.filter((e) => expectedReport(e.detail) !== 'below-threshold');
  const dueComplete = dueEvents.filter((e) => e.detail['scan-status'] === 'COMPLETE').map((e) => e.detail['image-digest'] as string);
  exhausted.publishDigest = dueEvents[0].detail['image-digest'];
  [exhausted.ledgerReadDigest, exhausted.commitDigest] = dueComplete.filter((d) => d !== exhausted.publishDigest);
  exhausted.claimDigest = dueEvents.find((e) => e.detail['scan-status'] === 'FAILED' && e.detail['image-digest'] !== exhausted.publishDigest)!.detail['image-digest'];
  const environments = [handlers.report, ...Array.from({ length: REPORT_ENVIRONMENTS - 1 }, () => loadEnvironment<Handlers['report']>('report'))];

  // --- Round one: each event once (with Lambda's retries of a failed try).
  const requestMark = () => p.requests().length;
  const reportStart = { requests: requestMark(), logs: logMark(), metrics: metricMark() };
  const reports = await deliver(environments, events);
  const reportRequests = p.requests().slice(reportStart.requests);
  const notifications = await receiveNotifications(sqs, subscriberQueueUrl);
  const ledgerAfterReports = await ledgerState(ledgerTableName);

  // --- The replay: every event again, the same event with the same id, after the first round.
  const replayStart = { requests: requestMark(), logs: logMark(), metrics: metricMark() };
  const replays = await deliver(environments, events);
  const replayRequests = p.requests().slice(replayStart.requests);
  const replayNotifications = await receiveNotifications(sqs, subscriberQueueUrl);
  const ledgerAfterReplay = await ledgerState(ledgerTableName);

  // --- A second event for every due scan, with a new id.
  const secondEvents = dueEvents.map(secondEvent);
  const secondStart = { requests: requestMark(), logs: logMark(), metrics: metricMark(), at: Date.now() };
  const seconds = await deliver(environments, secondEvents);
  const secondRequests = p.requests().slice(secondStart.requests);
  const secondNotifications = await receiveNotifications(sqs, subscriberQueueUrl);

  const emulatorRequests = await emulator.requests();
  const logs = fixture().logs();
  const metricLines = fixture().metricLines();
  const reportMetricLines = metricLines.slice(reportStart.metrics, replayStart.metrics);
  const replayMetricLines = metricLines.slice(replayStart.metrics, secondStart.metrics);
  const secondMetricLines = metricLines.slice(secondStart.metrics);

  // === Figures for the issue note (written even if an assertion below fails).
  const phases = { dispatch: dispatchRequests, rescan: rescanRequests, report: reportRequests, replay: replayRequests, second: secondRequests };
  const dynamodbRequests = p.requests().filter((r) => r.service === 'dynamodb');
  const allReports = { report: reports, replay: replays, second: seconds };
  figures = {
    seed: SEED,
    rates: RATES,
    images: truth.length,
    seconds: { total: (Date.now() - started) / 1000, rescan: (rescanDone - started) / 1000 },
    total: summarize(p.requests()),
    ...Object.fromEntries(Object.entries(phases).map(([phase, requests]) => [phase, summarize(requests)])),
    dynamodb: {
      ...summarize(dynamodbRequests),
      byCode: dynamodbRequests.filter((r) => r.code).reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.code!]: (acc[r.code!] ?? 0) + 1 }), {}),
      answersLostAfterTakingEffect: count(dynamodbRequests, (r) => r.fault === 'drop-after-forward' && r.emulatorStatus === 200),
    },
    invocations: {
      dispatch: { tries: dispatch.errors.length + (dispatch.result ? 1 : 0), failed: dispatch.errors.map(errorNameOf) },
      rescan: {
        invocations: run.invocations,
        recordsDelivered: run.recordsDelivered,
        recordsFailed: run.recordsFailed,
        rejected: rescanRejections.map(errorNameOf),
      },
      ...Object.fromEntries(
        Object.entries(allReports).map(([phase, invocations]) => [
          phase,
          {
            events: invocations.size,
            tries: [...invocations.values()].reduce((sum, r) => sum + r.errors.length + (r.result ? 1 : 0), 0),
            failedTries: [...invocations.values()].flatMap((r) => r.errors.map(errorNameOf)),
          },
        ]),
      ),
    },
    deadLetters: deadLetters.length,
  };

  // === 1. The rescan: exactly one accepted StartImageScan per due digest, nothing for the others.
  const scans = emulatorRequests.filter((r) => r.service === ECR && r.operation === 'StartImageScan');
  const proxiedScans = rescanRequests.filter((r) => r.operation === 'StartImageScan' && r.emulatorStatus !== undefined);
  // The proxy and the emulator agree on what reached ECR, and on what reached DynamoDB.
  expect(proxiedScans.map((r) => `${digestOf(JSON.parse(r.body))} ${r.emulatorStatus}`).sort()).toEqual(
    scans.map((r) => `${digestOf(r.params)} ${r.status}`).sort(),
  );
  expect(dynamodbRequests.filter((r) => r.emulatorStatus !== undefined).map((r) => `${r.operation} ${r.emulatorStatus}`).sort()).toEqual(
    emulatorRequests.filter((r) => r.service === DYNAMODB && r.operation !== 'Scan').map((r) => `${r.operation} ${r.status}`).sort(),
  );
  for (const image of truth) {
    const mine = scans.filter((r) => digestOf(r.params) === image.imageDigest);
    const accepted = count(mine, (r) => r.status === 200);
    const mineProxied = proxiedScans.filter((r) => digestOf(JSON.parse(r.body)) === image.imageDigest);
    const others = mineProxied.filter((r) => r.emulatorStatus !== 200).map((r) => `${r.emulatorStatus} ${r.emulatorCode}`);
    expect([image.repositoryName, image.imageDigest, image.outcome, accepted, new Set(others)]).toEqual([
      image.repositoryName,
      image.imageDigest,
      image.outcome,
      image.outcome === 'started' ? 1 : 0,
      new Set(others.length > 0 ? ['400 LimitExceededException'] : []),
    ]);
    if (image.outcome === 'skip') expect([image.imageDigest, mine]).toEqual([image.imageDigest, []]);
    if (image.outcome === 'recently-scanned') expect([image.imageDigest, mine.length > 0]).toEqual([image.imageDigest, true]);
  }
  // The emulator's state: exactly the started images have a scan from today.
  const lastScans = new Map((await emulator.lastScans()).map((s) => [s.imageDigest, s.lastScan]));
  for (const image of truth.filter((t) => t.outcome === 'started')) {
    expect([image.imageDigest, Date.parse(lastScans.get(image.imageDigest)!) >= now.getTime() - 1000]).toEqual([image.imageDigest, true]);
  }

  // === 2. The queue: every message dispatch put there was processed or is in the dead-letter queue.
  const messagesOnQueue = enqueued(emulatorRequests);
  expect(leftOnQueue).toEqual([]);
  // runQueue saw each message at least once; the ones it never deleted are the dead letters.
  const failures = new Map<string, number>();
  for (const id of run.failedMessageIds) failures.set(id, (failures.get(id) ?? 0) + 1);
  const deadLettered = [...failures.values()].filter((n) => n >= deployment.config.maxReceiveCount).length;
  expect(deadLetters.length).toBe(deadLettered);
  // At these rates five attempts carry nearly every call through (a call fails only when all five
  // are faulted, about 0.3% of calls), so a walk fails only on the scripted exhausted read or such a
  // rare call, once, and its redelivery finishes: nothing reaches the dead-letter queue. (A failed
  // ledger call never fails a walk: its digests are read from ECR, or its write-back is skipped.)
  expect(deadLetters).toEqual([]);
  const workerLines = logs.filter((l) => l.repositoryName === 'shop/worker' && (l.message === 'Repository rescanned' || l.level === 'ERROR'));
  expect(workerLines.map((l) => [l.message, l.errorName])).toEqual([
    ['Rescan failed: failing this record so SQS delivers it again', expect.stringMatching(/^(ServerException|ServiceUnavailable)$/)],
    ['Repository rescanned', undefined],
  ]);
  expect(run.recordsDelivered - run.recordsFailed + deadLetters.length).toBe(messagesOnQueue);
  // Dispatch sent one message per selected repository per successful invocation; any more on the
  // queue are SendMessageBatch requests SQS accepted whose answer was lost (or a failed try's).
  expect(dispatch.result).toEqual({ registryScanType: 'BASIC', repositoriesListed: 8, repositoriesSelected: 6, messagesSent: 6 });
  const dispatchCalls = calls(dispatchRequests);
  const sendCalls = dispatchCalls.filter((c) => c.operation === 'SendMessageBatch');
  const lostAnswers = dispatchRequests.filter((r) => r.operation === 'SendMessageBatch' && r.fault === 'drop-after-forward' && r.emulatorStatus === 200);
  const entries = (r: ProxiedRequest) => JSON.parse(r.body).Entries.length as number;
  const seenSent = sendCalls.filter((c) => c.result === 200).reduce((sum, c) => sum + c.params.Entries.length, 0);
  expect(dispatchedMessages).toBe(seenSent + lostAnswers.reduce((sum, r) => sum + entries(r), 0));
  // The rescan queued nothing itself (no walk ran out of time).
  expect(messagesOnQueue).toBe(dispatchedMessages);
  if (dispatch.errors.length === 0) expect(seenSent).toBe(6);

  // LimitExceededException is an answer: a StartImageScan the client saw refused is never retried.
  for (const call of calls(rescanRequests).filter((c) => c.operation === 'StartImageScan')) {
    const refused = call.attempts.findIndex((a) => !a.fault && a.emulatorCode === 'LimitExceededException');
    if (refused >= 0) expect([digestOf(call.params), refused]).toEqual([digestOf(call.params), call.attempts.length - 1]);
  }

  // === 3. No crash on an unexpected error shape: every failure is an injected fault, by name;
  // every warning is one, or a consequence of one that the wire shows for that digest.
  for (const error of [dispatch.errors, rescanRejections, ...Object.values(allReports).flatMap((m) => [...m.values()].map((r) => r.errors))].flat()) {
    expect(INJECTED_ERROR_NAMES).toContain(errorNameOf(error));
  }
  const reportPhaseRequests = [...reportRequests, ...replayRequests, ...secondRequests];
  const wire = ledgerWire(reportPhaseRequests);
  expect(unexplainedErrors(logs, wire)).toEqual([]);
  // One "Publish lost an answer" warning per Publish call that succeeded after a lost connection.
  const lostAnswerLines = new Map<string, number>();
  for (const l of logs.filter((line) => line.message === 'Publish lost an answer and was retried: subscribers may receive this report more than once')) {
    lostAnswerLines.set(String(l.imageDigest), (lostAnswerLines.get(String(l.imageDigest)) ?? 0) + 1);
  }
  expect(lostAnswerLines).toEqual(wire.publishLostAnswer);

  // === 4. The rescan handler's counts match the wire, walk by walk, the ledger's included.
  const rescanLines = logs.filter((l) => l.message === 'Repository rescanned' || (typeof l.message === 'string' && l.message.startsWith('Rescan failed')));
  const rescanCalls = calls(rescanRequests);
  const rescanWalks = walks(rescanCalls);
  expect(rescanWalks.map((w) => w.repositoryName)).toEqual(rescanLines.map((l) => l.repositoryName));
  const failedLedgerCalls = (walk: Walk, operation: string) => walk.calls.filter((c) => c.service === 'dynamodb' && c.operation === operation && c.result === 'failed');
  const failedBudgetCalls = (walk: Walk, operation: string) => walk.budgetCalls.filter((c) => c.operation === operation && c.result === 'failed');
  /** The scan state a ledger write-back records, when one of its attempts reached DynamoDB and took effect. */
  const writtenScan = (c: Call): Record<string, any> | undefined =>
    c.operation === 'UpdateItem' && c.attempts.some((a) => a.emulatorStatus === 200) ? c.params.ExpressionAttributeValues[':scan'].M : undefined;
  // What the ledger holds for each digest as the walks go, from the write-backs that took effect:
  // the first walk of a repository finds nothing (the ledger starts empty), a walk that SQS delivers
  // again after a failed one finds what that walk wrote back.
  const known = new Map<string, Record<string, any>>();
  let statusReadsSaved = 0;
  rescanWalks.forEach((walk, i) => {
    const line = rescanLines[i];
    const images = truth.filter((t) => t.repositoryName === walk.repositoryName);
    const startCalls = walk.calls.filter((c) => c.operation === 'StartImageScan');
    const failedEcrCalls = walk.calls.filter((c) => c.service === 'ecr' && c.result === 'failed');
    // The ledger was read once for the page (at most 100 digests per BatchGetItem), for every digest
    // (DescribeImages carries no scan state); a walk that failed may have failed before.
    const batchReads = walk.calls.filter((c) => c.operation === 'BatchGetItem');
    const pageDigests = images.map((t) => t.imageDigest).sort();
    expect([walk.repositoryName, batchReads.map((c) => ledgerKeys(c.params).map(keyDigest).sort())]).toEqual([
      walk.repositoryName,
      line.message === 'Repository rescanned' || batchReads.length > 0 ? [pageDigests] : [],
    ]);
    // Digests the walk may decide without ECR: the ledger answered, and knows a COMPLETE scan. The
    // first walk of a repository finds none (the ledger starts empty).
    const fromLedger = batchReads[0]?.result === 200 ? images.filter((t) => known.get(t.imageDigest)?.status?.S === 'COMPLETE').map((t) => t.imageDigest) : [];
    if (line.message === 'Repository rescanned') {
      const logged = [line.imagesEvaluated, line.due, line.scansStarted, line.recentlyScanned, line.quotaExceeded, failedEcrCalls.length];
      expect([walk.repositoryName, ...logged]).toEqual([
        walk.repositoryName,
        images.length,
        startCalls.length,
        count(startCalls, (c) => c.result === 200),
        count(startCalls, (c) => c.result === 400 && c.errorCode === 'LimitExceededException'),
        0,
        0,
      ]);
      // Every other digest's state was read once in the walk, by digest.
      expect(walk.calls.filter((c) => c.operation === 'DescribeImageScanFindings').map((c) => digestOf(c.params)).sort()).toEqual(
        images.map((t) => t.imageDigest).filter((d) => !fromLedger.includes(d)).sort(),
      );
      // The ledger's counts: reads saved as above; what failed after the retries, per digest read and
      // per write-back (the walk went on without the ledger); no entry ignored (all are its own).
      const ledgerCounts = [line.statusReadsSaved, line.ledgerReadFailures, line.ledgerWriteFailures, line.ledgerEntriesIgnored];
      expect([walk.repositoryName, ...ledgerCounts]).toEqual([
        walk.repositoryName,
        fromLedger.length,
        // One per BatchGetItem that failed (its digests were then read from ECR), and per budget read that failed
        // (the page's due digests were then all started); one per write-back, budget claim or settle that failed.
        failedLedgerCalls(walk, 'BatchGetItem').length + failedBudgetCalls(walk, 'GetItem').length,
        failedLedgerCalls(walk, 'UpdateItem').length + failedBudgetCalls(walk, 'UpdateItem').length,
        0,
      ]);
      statusReadsSaved += fromLedger.length;
    } else {
      // A failed walk: one of its ECR calls ran out of attempts (or retry quota) on an injected fault.
      expect([walk.repositoryName, failedEcrCalls.length > 0]).toEqual([walk.repositoryName, true]);
    }
    for (const c of walk.calls) {
      const scan = writtenScan(c);
      if (scan) known.set(ledgerDigest(c)!, scan);
    }
  });
  const succeededWalks = rescanWalks.filter((_, i) => rescanLines[i].message === 'Repository rescanned');
  // The scripted ledger failures happened in walks that finished, so the handler counted them.
  expect(succeededWalks.flatMap((w) => failedLedgerCalls(w, 'BatchGetItem')).map((c) => keyRepository(ledgerKeys(c.params)[0]))).toContain(exhausted.ledgerBatchRepository);
  expect(succeededWalks.flatMap((w) => failedLedgerCalls(w, 'UpdateItem')).map(ledgerDigest)).toContain(exhausted.writeBackDigest);
  // Scans whose 200 never reached the handler: the retry met the daily quota, so the handler
  // counted them as recently scanned although this run started them.
  const startedUnseen = rescanRequests.filter((r) => r.operation === 'StartImageScan' && r.fault === 'drop-after-forward' && r.emulatorStatus === 200);
  const summaries = logs.filter((l) => l.message === 'Repository rescanned');
  const loggedStarts = summaries.reduce((sum, l) => sum + Number(l.scansStarted), 0);
  const failedWalkStarts = rescanWalks
    .filter((_, i) => rescanLines[i].message !== 'Repository rescanned')
    .reduce((sum, w) => sum + count(w.calls, (c) => c.operation === 'StartImageScan' && c.result === 200), 0);
  expect(loggedStarts + failedWalkStarts + startedUnseen.length).toBe(count(startedImages, () => true));
  Object.assign(figures, {
    scansStarted: startedImages.length,
    scansLoggedAsStarted: loggedStarts,
    startsMiscountedAsRecentlyScanned: startedUnseen.length,
  });
  // The ledger after the rescan (the emulator's table) holds exactly the last state each digest's
  // write-backs recorded: only ECR's own answers (a state read, a StartImageScan outcome), and no
  // report, claim or failure report. So on this first cycle every due report is a digest's first: news.
  expect([...ledgerAfterRescan.keys()].sort()).toEqual([...known.keys()].sort());
  for (const [digest, entry] of ledgerAfterRescan) {
    const image = truth.find((t) => t.imageDigest === digest);
    const scan = known.get(digest)!;
    expect([digest, image?.repositoryName, entry.scan?.status, entry.scan?.source, entry.lastReport, entry.failureReport, entry.claim]).toEqual([
      digest,
      entry.repositoryName,
      scan.status.S,
      scan.source.S,
      undefined,
      undefined,
      undefined,
    ]);
    expect(['status-read', 'start-image-scan']).toContain(entry.scan.source);
  }
  // StartImageScan's answers as the ledger records them, walk by walk: the answer the handler saw,
  // IN_PROGRESS for a scan started, LIMIT_EXCEEDED for a refusal (a scan started earlier today,
  // also where this run's own 200 was lost and the retry met the quota).
  for (const walk of rescanWalks) {
    for (const c of walk.calls.filter((w) => w.operation === 'UpdateItem' && w.params.ExpressionAttributeValues[':scan'].M.source.S === 'start-image-scan')) {
      const digest = ledgerDigest(c)!;
      const start = walk.calls.find((w) => w.operation === 'StartImageScan' && digestOf(w.params) === digest)!;
      const answer = start.result === 200 ? 'IN_PROGRESS' : start.errorCode === 'LimitExceededException' ? 'LIMIT_EXCEEDED' : `no write after ${start.result}`;
      expect([digest, c.params.ExpressionAttributeValues[':scan'].M.status.S]).toEqual([digest, answer]);
    }
  }
  expect(ledgerAfterRescan.has(exhausted.writeBackDigest!)).toBe(false);

  // === 5. 0 missed news: every due report of round one reached the subscriber.
  expect(events).toHaveLength(startedImages.length);
  const publishes = emulatorRequests.filter((r) => r.service === 'sns' && r.operation === 'Publish' && r.status === 200);
  const byDigest = (received: readonly Notification[]) => {
    const result = new Map<string, number>();
    for (const n of received) result.set(JSON.parse(n.Message).imageDigest, (result.get(JSON.parse(n.Message).imageDigest) ?? 0) + 1);
    return result;
  };
  const received = byDigest(notifications);
  expect(notifications.length + replayNotifications.length + secondNotifications.length).toBe(publishes.length);
  /** Publish requests SNS accepted for a digest whose answer the proxy dropped: each delivered once more. */
  const acceptedLost = (requests: readonly ProxiedRequest[], digest: string) =>
    count(
      requests,
      (r) => r.operation === 'Publish' && r.fault === 'drop-after-forward' && r.emulatorStatus === 200 && publishedDigest(new URLSearchParams(r.body).get('Message')!) === digest,
    );
  const onFailureDestination = { report: 0, replay: 0, second: 0 };
  for (const event of dueEvents) {
    const digest = event.detail['image-digest'] as string;
    const invocation = reports.get(digest)!;
    // Every try failed: Lambda sends the event to the on-failure destination, counted apart.
    if (!invocation.result) onFailureDestination.report++;
    else expect([digest, (received.get(digest) ?? 0) > 0]).toEqual([digest, true]);
  }
  // The asynchronous invocation's three tries carry every event through at these rates (it would take
  // three exhausted calls), and the scripted failures are each retried or survived: none goes to the
  // on-failure destination with this seed.
  expect(onFailureDestination.report).toBe(0);
  // Each report says why it went out: a digest's first report, or its first failure.
  for (const n of notifications) {
    const event = events.find((e) => e.detail['image-digest'] === JSON.parse(n.Message).imageDigest)!;
    expect([event.detail['image-digest'], JSON.parse(n.Message).news]).toEqual([
      event.detail['image-digest'],
      event.detail['scan-status'] === 'FAILED' ? 'newly-failed' : 'first-report',
    ]);
  }

  // === 6. 0 duplicate reports in round one, except from lost Publish answers.
  let roundOneLostAnswers = 0;
  for (const event of events) {
    const digest = event.detail['image-digest'] as string;
    const expected = expectedReport(event.detail);
    const invocation = reports.get(digest)!;
    const lost = acceptedLost(reportRequests, digest);
    const got = received.get(digest) ?? 0;
    if (expected === 'below-threshold') {
      expect([digest, invocation.result, got]).toEqual([digest, { published: false, reason: 'below-threshold' }, 0]);
    } else if (invocation.result) {
      const news = event.detail['scan-status'] === 'FAILED' ? 'newly-failed' : 'first-report';
      const { published: wasPublished, reason, news: newsReason } = invocation.result;
      expect([digest, wasPublished, reason, newsReason, got]).toEqual([digest, true, expected, news, 1 + lost]);
    } else {
      // Every try failed: it may still have been published by a Publish whose answer was lost.
      expect([digest, got]).toEqual([digest, lost]);
    }
    roundOneLostAnswers += lost;
  }
  // The report whose Publish failed every attempt: its first invocation failed, Lambda's retry published it.
  const retried = reports.get(exhausted.publishDigest!)!;
  expect([retried.errors.map(errorNameOf), retried.result?.published]).toEqual([[expect.stringMatching(/^(InternalErrorException|ServiceUnavailable)$/)], true]);
  const publishedLines = logs.slice(reportStart.logs, replayStart.logs).filter((l) => l.message === 'Report published');
  expect(publishedLines).toHaveLength(count([...reports.values()], (r) => r.result?.published === true));

  // === 7. The replay and the second events publish nothing more, except where the ledger could not
  // guard the first report. Under this design a report can go out again only when:
  // (a) the first delivery's ledger read failed after retries: it decided as if the ledger were
  //     empty and published without a claim, so nothing records the report;
  // (b) its claim write failed after retries: the same;
  // (c) its claim took effect but every attempt's answer was lost, or its commit failed: the claim
  //     stays (its event's id, 3 minutes), and a redelivery of that same event takes it over
  //     (counted as possibly duplicated; another event's delivery waits while the claim lives);
  // (d) the later delivery's own ledger read failed: it cannot see the report, and goes on.
  // (a) to (c) show in the ledger's state (no report for the event after the round: `committed`),
  // (d) on the wire; the test predicts each delivery's outcome from those, never from the logs.
  // Each such report is a digest's first report again; the design counts (c) in
  // ReportsPossiblyDuplicated, and (a), (b), (d) only as the ledger failures that cause them.
  const readFailed = (requests: readonly ProxiedRequest[], digest: string) =>
    calls(requests).some((c) => c.operation === 'GetItem' && c.result === 'failed' && ledgerDigest(c) === digest);
  // What round one left in the ledger, and why, from the wire: every due report the ledger does not
  // hold is explained by a failed read, a failed or unseen claim, or a failed commit of that digest.
  const roundOneCalls = calls(reportRequests);
  for (const event of dueEvents) {
    const digest = event.detail['image-digest'] as string;
    if (committed(ledgerAfterReports.get(digest), event) || !reports.get(digest)!.result) continue;
    const causes = roundOneCalls.filter(
      (c) =>
        c.service === 'dynamodb' &&
        ledgerDigest(c) === digest &&
        ((c.operation === 'GetItem' && c.result === 'failed') ||
          (c.operation === 'UpdateItem' && ['claim', 'commit'].includes(ledgerWriteKind(c.params)) && c.result !== 200)),
    );
    expect([digest, causes.length > 0]).toEqual([digest, true]);
  }
  // The scripted ones: no report recorded after the read or the claim failed; the claim left after the commit failed.
  for (const digest of [exhausted.ledgerReadDigest!, exhausted.claimDigest!, exhausted.commitDigest!]) {
    const event = events.find((e) => e.detail['image-digest'] === digest)!;
    expect([digest, committed(ledgerAfterReports.get(digest), event)]).toEqual([digest, false]);
  }
  expect(ledgerAfterReports.get(exhausted.commitDigest!)?.claim?.eventId).toBe(events.find((e) => e.detail['image-digest'] === exhausted.commitDigest)!.id);
  expect(ledgerAfterReports.get(exhausted.ledgerReadDigest!)?.claim).toBeUndefined();
  expect(ledgerAfterReports.get(exhausted.claimDigest!)?.claim).toBeUndefined();

  const replayReceived = byDigest(replayNotifications);
  const secondReceived = byDigest(secondNotifications);
  const republished: Record<'replay' | 'second', string[]> = { replay: [], second: [] };
  const withheld: Record<'replay' | 'second', Record<string, number>> = { replay: {}, second: {} };
  for (const event of events) {
    const digest = event.detail['image-digest'] as string;
    const invocation = replays.get(digest)!;
    if (!invocation.result) {
      onFailureDestination.replay++;
      continue;
    }
    const got = replayReceived.get(digest) ?? 0;
    const lost = acceptedLost(replayRequests, digest);
    if (expectedReport(event.detail) === 'below-threshold') {
      expect([digest, invocation.result, got]).toEqual([digest, { published: false, reason: 'below-threshold' }, 0]);
      continue;
    }
    const guarded = committed(ledgerAfterReports.get(digest), event) && !readFailed(replayRequests, digest);
    const expectedResult = guarded ? { published: false, reason: 'already-reported' } : { published: true, reason: expectedReport(event.detail) };
    expect([digest, invocation.result.published, invocation.result.reason, got]).toEqual([
      digest,
      expectedResult.published,
      expectedResult.reason,
      (expectedResult.published ? 1 : 0) + lost,
    ]);
    if (invocation.result.published) republished.replay.push(digest);
    else withheld.replay[invocation.result.reason] = (withheld.replay[invocation.result.reason] ?? 0) + 1;
  }
  // ECR's own answer, read directly from the emulator: the completion time it gives with each due scan's findings.
  const completionTimes = new Map<string, Date | undefined>();
  for (const event of secondEvents) {
    const { 'repository-name': repositoryName, 'image-digest': imageDigest } = event.detail;
    const findings = await fixture().ecr.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest }, maxResults: 1 }));
    completionTimes.set(imageDigest, findings.imageScanFindings?.imageScanCompletedAt);
  }
  for (const event of secondEvents) {
    const digest = event.detail['image-digest'] as string;
    const invocation = seconds.get(digest)!;
    if (!invocation.result) {
      onFailureDestination.second++;
      continue;
    }
    const failed = event.detail['scan-status'] === 'FAILED';
    const entry = ledgerAfterReplay.get(digest);
    // A COMPLETE scan is the same scan by the completion time ECR gives with its findings: its
    // report, or a live claim on it, withholds the new event's (already-reported). Where ECR's
    // findings carry no completion time (the emulator still answers some images with their seeded,
    // earlier FAILED scan), nothing ties the two events to one scan: the report on the first event
    // withholds the second as bringing nothing new (not-new). A FAILED scan has no completion time
    // either: its failure report withholds the new event's (still-failing).
    const byCompletion = !failed && completionTimes.get(digest) !== undefined;
    const liveClaim = byCompletion && entry?.claim !== undefined && Date.parse(entry.claim.expiresAt) > secondStart.at;
    const blocked = failed ? entry?.failureReport !== undefined : entry?.lastReport !== undefined || liveClaim;
    const guarded = blocked && !readFailed(secondRequests, digest);
    const reason = failed ? 'still-failing' : byCompletion ? 'already-reported' : 'not-new';
    expect([digest, invocation.result.published, invocation.result.reason, secondReceived.get(digest) ?? 0]).toEqual([
      digest,
      !guarded,
      guarded ? reason : expectedReport(event.detail),
      (guarded ? 0 : 1) + acceptedLost(secondRequests, digest),
    ]);
    if (invocation.result.published) republished.second.push(digest);
    else withheld.second[invocation.result.reason] = (withheld.second[invocation.result.reason] ?? 0) + 1;
  }
  // The three scripted ledger failures of round one each cost one repeat, in the replay; the
  // commit's by taking its claim over.
  expect(republished.replay).toEqual(expect.arrayContaining([exhausted.ledgerReadDigest, exhausted.claimDigest, exhausted.commitDigest]));
  const takeovers = logs.filter((l) => typeof l.message === 'string' && l.message.startsWith('Report taken over from an earlier attempt'));
  expect(takeovers.filter((l) => l.imageDigest === exhausted.commitDigest)).toHaveLength(1);
  expect(onFailureDestination).toEqual({ report: 0, replay: 0, second: 0 });
  // Over the whole run, a due digest's notifications beyond its first are the lost Publish answers
  // and the repeats the ledger could not prevent, exactly.
  let duplicates = 0;
  let duplicatesFromLostAnswers = 0;
  let duplicatesFromLedger = 0;
  for (const event of dueEvents) {
    const digest = event.detail['image-digest'] as string;
    const total = (received.get(digest) ?? 0) + (replayReceived.get(digest) ?? 0) + (secondReceived.get(digest) ?? 0);
    const lost = acceptedLost(reportPhaseRequests, digest);
    const repeats = count([...republished.replay, ...republished.second], (d) => d === digest);
    expect([digest, total]).toEqual([digest, 1 + lost + repeats]);
    duplicates += total - 1;
    duplicatesFromLostAnswers += lost;
    duplicatesFromLedger += repeats;
  }
  expect(duplicates).toBe(duplicatesFromLostAnswers + duplicatesFromLedger);

  // === 8. Metrics: what each handler published (EMF lines) agrees with its logs and with the wire.
  const published = {
    dispatch: emfMetrics(dispatchMetricLines),
    rescan: emfMetrics(rescanMetricLines),
    report: emfMetrics(reportMetricLines),
    replay: emfMetrics(replayMetricLines),
    second: emfMetrics(secondMetricLines),
  };
  for (const values of Object.values(published)) {
    expect(values.length).toBeGreaterThan(0);
    expect(new Set(values.map((v) => v.namespace))).toEqual(new Set([METRICS_NAMESPACE]));
  }
  // Every retry the SDK made, DynamoDB's included, as counted at the wire, and no more.
  for (const [phase, requests] of Object.entries(phases)) {
    expect([phase, sumMetric(published[phase as keyof typeof published], METRIC.AWS_RETRIES)]).toEqual([phase, summarize(requests).retries]);
  }
  const listed = dispatchCalls.filter((c) => c.operation === 'DescribeRepositories' && c.result === 200).length;
  expect(sumMetric(published.dispatch, METRIC.REPOSITORIES_LISTED)).toBe(8 * listed);
  expect(sumMetric(published.dispatch, METRIC.REPOSITORIES_DISPATCHED)).toBe(seenSent);
  const rescanned = (key: string) => summaries.reduce((sum, l) => sum + Number(l[key]), 0);
  const skipsOf = (l: LogLine) => Object.values(l.skipped as Record<string, number>).reduce((a, b) => a + b, 0);
  const skippedInLogs = summaries.reduce((sum, l) => sum + skipsOf(l) + Number(l.recentlyScanned) + Number(l.quotaExceeded), 0);
  const succeededCalls = succeededWalks.flatMap((w) => w.calls);
  expect({
    imagesEvaluated: sumMetric(published.rescan, METRIC.IMAGES_EVALUATED),
    scansStarted: sumMetric(published.rescan, METRIC.SCANS_STARTED),
    scansSkipped: sumMetric(published.rescan, METRIC.SCANS_SKIPPED),
    recentlyScanned: sumMetric(published.rescan, METRIC.SCANS_SKIPPED, { reason: 'recently-scanned' }),
    quotaHits: sumMetric(published.rescan, METRIC.QUOTA_HITS),
    continuations: sumMetric(published.rescan, METRIC.CONTINUATIONS),
    inputsRejected: sumMetric(published.rescan, METRIC.INPUTS_REJECTED),
    statusReadsSaved: sumMetric(published.rescan, METRIC.STATUS_READS_SAVED),
    ledgerReadFailures: sumMetric(published.rescan, METRIC.LEDGER_READ_FAILURES),
    ledgerWriteFailures: sumMetric(published.rescan, METRIC.LEDGER_WRITE_FAILURES),
    ledgerEntriesIgnored: sumMetric(published.rescan, METRIC.LEDGER_ENTRIES_IGNORED),
  }).toEqual({
    imagesEvaluated: rescanned('imagesEvaluated'),
    scansStarted: loggedStarts,
    scansSkipped: skippedInLogs,
    recentlyScanned: rescanned('recentlyScanned'),
    quotaHits: 0,
    continuations: 0,
    inputsRejected: 0,
    // The first cycle: 0 but in a walk delivered again, for what the failed walk wrote back (above).
    statusReadsSaved,
    // The rescan counts each failed BatchGetItem once, and each failed write-back.
    ledgerReadFailures: count(succeededCalls, (c) => c.operation === 'BatchGetItem' && c.result === 'failed'),
    ledgerWriteFailures: count(succeededCalls, (c) => c.operation === 'UpdateItem' && c.result === 'failed'),
    ledgerEntriesIgnored: 0,
  });
  // The report handler, round by round: its outcomes, its ledger failures (one GetItem or UpdateItem
  // call each), and its possible duplicates (each Publish call that lost a connection and each claim
  // taken over; at least every Publish answer SNS accepted and the proxy dropped).
  const ledgerFigures: Record<string, Record<string, number>> = {
    rescan: {
      statusReadsSaved: sumMetric(published.rescan, METRIC.STATUS_READS_SAVED),
      readFailures: sumMetric(published.rescan, METRIC.LEDGER_READ_FAILURES),
      writeFailures: sumMetric(published.rescan, METRIC.LEDGER_WRITE_FAILURES),
    },
  };
  const possiblyDuplicated: Record<string, number> = {};
  const lostPublish: Record<string, Record<string, number>> = {};
  const phaseLogs = {
    report: logs.slice(reportStart.logs, replayStart.logs),
    replay: logs.slice(replayStart.logs, secondStart.logs),
    second: logs.slice(secondStart.logs),
  };
  for (const phase of ['report', 'replay', 'second'] as const) {
    const values = published[phase];
    const results = [...allReports[phase].values()];
    const phaseCalls = calls(phases[phase]);
    const publishCalls = phaseCalls.filter((c) => c.operation === 'Publish');
    const phaseTakeovers = count(phaseLogs[phase], (l) => typeof l.message === 'string' && l.message.startsWith('Report taken over from an earlier attempt'));
    const notPublished = (reason: string) => count(results, (r) => r.result?.published === false && r.result.reason === reason);
    expect({
      phase,
      published: sumMetric(values, METRIC.REPORTS_PUBLISHED),
      belowThreshold: sumMetric(values, METRIC.REPORTS_BELOW_THRESHOLD),
      skipped: sumMetric(values, METRIC.REPORTS_SKIPPED),
      withheld: sumMetric(values, METRIC.REPORTS_WITHHELD),
      alreadyReported: sumMetric(values, METRIC.REPORTS_WITHHELD, { reason: 'already-reported' }),
      stillFailing: sumMetric(values, METRIC.REPORTS_WITHHELD, { reason: 'still-failing' }),
      notNew: sumMetric(values, METRIC.REPORTS_WITHHELD, { reason: 'not-new' }),
      ledgerReadFailures: sumMetric(values, METRIC.LEDGER_READ_FAILURES),
      ledgerWriteFailures: sumMetric(values, METRIC.LEDGER_WRITE_FAILURES),
      ledgerEntriesIgnored: sumMetric(values, METRIC.LEDGER_ENTRIES_IGNORED),
      possiblyDuplicated: sumMetric(values, METRIC.REPORTS_POSSIBLY_DUPLICATED),
    }).toEqual({
      phase,
      published: count(results, (r) => r.result?.published === true),
      belowThreshold: notPublished('below-threshold'),
      skipped: 0,
      withheld: notPublished('already-reported') + notPublished('still-failing') + notPublished('not-new'),
      alreadyReported: notPublished('already-reported'),
      stillFailing: notPublished('still-failing'),
      notNew: notPublished('not-new'),
      // The entry's GetItem, and the BatchGetItem of the discovery marker and the owner cache (report-context.ts).
      ledgerReadFailures: count(phaseCalls, (c) => (c.operation === 'GetItem' || c.operation === 'BatchGetItem') && c.result === 'failed'),
      ledgerWriteFailures: count(phaseCalls, (c) => c.operation === 'UpdateItem' && c.result === 'failed'),
      ledgerEntriesIgnored: 0,
      // Each Publish attempt that lost its connection (the client cannot tell a drop before SNS from one after), and each takeover.
      possiblyDuplicated: publishCalls.reduce((sum, c) => sum + count(c.attempts, (a) => a.fault === 'drop' || a.fault === 'drop-after-forward'), 0) + phaseTakeovers,
    });
    // So at least every extra copy SNS delivered: each accepted Publish attempt whose answer the proxy dropped.
    const lostAccepted = (c: Call) => c.attempts.some((a) => a.fault === 'drop-after-forward' && a.emulatorStatus === 200);
    const copiesLost = count(phases[phase], (r) => r.operation === 'Publish' && r.fault === 'drop-after-forward' && r.emulatorStatus === 200);
    expect(sumMetric(values, METRIC.REPORTS_POSSIBLY_DUPLICATED)).toBeGreaterThanOrEqual(copiesLost);
    possiblyDuplicated[phase] = sumMetric(values, METRIC.REPORTS_POSSIBLY_DUPLICATED);
    lostPublish[phase] = {
      lostPublishAnswers: count(phases[phase], (r) => r.operation === 'Publish' && r.fault === 'drop-after-forward' && r.emulatorStatus === 200),
      reportsWithLostPublishAnswers: count(publishCalls, lostAccepted),
    };
    ledgerFigures[phase] = {
      readFailures: sumMetric(values, METRIC.LEDGER_READ_FAILURES),
      writeFailures: sumMetric(values, METRIC.LEDGER_WRITE_FAILURES),
    };
  }
  // The scripted report-side failures were counted where they happened.
  expect([ledgerFigures.report.readFailures >= 1, ledgerFigures.report.writeFailures >= 2]).toEqual([true, true]);
  Object.assign(figures, {
    ledger: ledgerFigures,
    reports: {
      due: dueEvents.length,
      belowThreshold: events.length - dueEvents.length,
      reachedSubscriber: count(dueEvents, (e) => (received.get(e.detail['image-digest']) ?? 0) > 0),
      missedNews: count(dueEvents, (e) => reports.get(e.detail['image-digest'])!.result !== undefined && (received.get(e.detail['image-digest']) ?? 0) === 0),
      onFailureDestination,
      duplicates: { total: duplicates, fromLostPublishAnswers: duplicatesFromLostAnswers, fromLedgerFailures: duplicatesFromLedger },
      possiblyDuplicated,
      lostPublish,
    },
    replays: {
      sameId: { deliveries: events.length, republished: republished.replay.length, withheld: withheld.replay },
      newId: { deliveries: secondEvents.length, republished: republished.second.length, withheld: withheld.second },
    },
    metrics: Object.fromEntries(
      Object.entries(published).map(([phase, values]) => [
        phase,
        Object.fromEntries([...new Set(values.filter((v) => !v.dimensions.reason).map((v) => v.name))].map((n) => [n, sumMetric(values, n)])),
      ]),
    ),
  });

  // === 9. The run exercised what it claims to: issue 5's shares of throttling (20%) and server errors
  // (5%) of the requests, drawn (the scripted failures aside), every fault kind in the rescan, throttling
  // and server errors in the report, a scan ECR started whose answer was lost, a report published twice,
  // and on DynamoDB, drawn, every throttling and server-error shape and dropped connections, retried.
  // With another seed or other request bodies the draws differ; if this fails, pick a SEED that covers them again.
  const total = summarize(p.requests());
  // The seven exhausted calls of round one, each exhausted once, and dispatch's one failed listing.
  expect(summarize([...dispatchRequests, ...rescanRequests, ...reportRequests]).scripted).toBe(7 * MAX_ATTEMPTS + 1);
  // The replays may meet a scripted call again when its request is new to the script (seen with seed 21: the
  // replay's claim of claimDigest reads a later version of the entry than round one's did): whole calls only.
  expect(summarize([...replayRequests, ...secondRequests]).scripted % MAX_ATTEMPTS).toBe(0);
  expect(sumMetric(published.dispatch, METRIC.AWS_RETRIES)).toBeGreaterThan(0);
  expect(total.drawnShares.throttling).toBeGreaterThanOrEqual(0.2);
  expect(total.drawnShares['server-error']).toBeGreaterThanOrEqual(0.05);
  expect(Object.values(summarize(rescanRequests).byKind).every((n) => n > 0)).toBe(true);
  expect(Math.min(summarize(reportRequests).byKind.throttling, summarize(reportRequests).byKind['server-error'])).toBeGreaterThan(0);
  expect(startedUnseen.length).toBeGreaterThan(0);
  expect(roundOneLostAnswers).toBeGreaterThan(0);
  const drawnDynamoDb = dynamodbRequests.filter((r) => r.fault && !r.scripted);
  expect({
    throttling: count(drawnDynamoDb, (r) => r.fault === 'throttling') > 0,
    serverErrors: count(drawnDynamoDb, (r) => r.fault === 'server-error') > 0,
    drops: count(drawnDynamoDb, (r) => r.fault === 'drop' || r.fault === 'drop-after-forward') > 0,
    codes: [...new Set(drawnDynamoDb.map((r) => r.code).filter(Boolean))].sort(),
    retried: summarize(dynamodbRequests).retries > 0,
  }).toEqual({
    throttling: true,
    serverErrors: true,
    drops: true,
    codes: ['InternalServerError', 'ProvisionedThroughputExceededException', 'ServiceUnavailable', 'ThrottlingException'],
    retried: true,
  });
}, TEST_TIMEOUT_MS);
