/**
 * The daily cycle under faults: every AWS request of the three handler bundles goes through
 * the fault-injecting proxy (fault-proxy.ts), which throttles 22% of them, fails 5% with server
 * errors and drops 5% of connections (3% after the service acted), with a fixed seed; two
 * calls are made to fail every attempt and dispatch's listing fails once. The run is dispatch,
 * then the rescan queue fed to the rescan handler as Lambda's event source would, then a
 * scan-complete event for every scan ECR started, delivered to the report handler as
 * EventBridge's asynchronous invocation would.
 *
 * What must hold is read from the emulator directly (its request log and state, never
 * through the proxy) and from the proxy's record of what the clients saw:
 * - every due digest got exactly one StartImageScan that ECR accepted, any other ended in
 *   LimitExceededException (never retried), and no other digest got one;
 * - every rescan message was processed or sits in the dead-letter queue (none does);
 * - every failed invocation and every error logged is an injected fault, by name: no handler
 *   crashed on an error shape it did not expect;
 * - the handlers' logged counts and published metrics match the wire, and every due report
 *   reached the subscriber, more than once only where a Publish that SNS accepted lost its answer.
 * The figures (faults by kind and operation, the SDK's retries) go to test-reports/fault-injection.json.
 */
import { createHash } from 'crypto';
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { Duration } from 'aws-cdk-lib';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { FaultProxy, FaultProxyOptions, FaultRates, ProxiedRequest, drawKey, summarize } from './fault-proxy';
import { Deployment, EmulatorFixture, deploy, recognizeNodeErrors, useEmulator } from './harness';
import { BulkImage, EmulatorRequest, REPO_ROOT } from '../../local/emulator/emulator';
import { Handlers, drainQueue, lambdaContext, receiveNotifications, runQueue } from '../../local/pipeline';
import { SeedScan, scanFindingsResponse } from '../../local/registry';
import { SAMPLE_REGISTRY, SAMPLE_SETTINGS, SampleImage } from '../../local/sample-registry';
import { MAX_ATTEMPTS } from '../../src/aws/clients';
import { ENV } from '../../src/decisions/settings';
import { METRIC, METRICS_NAMESPACE } from '../../src/lambda/metric-names';
import { EmfMetric, LogLine, emfMetrics } from '../aws/helpers';

recognizeNodeErrors();

/**
 * The run's seed: the same seed injects the same faults into the same requests, run after run.
 * On a run of under 200 requests the drawn shares stray a few points from the rates, so the seed
 * is one (the first of 11 to 18 tried) whose drawn shares meet issue 5's floors and whose run
 * covers every check at the end of the test. FAULT_SEED=n runs another (the figures file records which).
 */
const SEED = Number(process.env.FAULT_SEED ?? 16);
/** At least 20% throttling and 5% server errors, as issue 5 asks, plus dropped connections. */
const RATES: FaultRates = { 'throttling': 0.22, 'server-error': 0.05, 'drop': 0.02, 'drop-after-forward': 0.03 };
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
 * Two calls that fail every attempt, whatever the draws, so the run also covers the paths
 * behind an exhausted call: the rescan's read of one image's scan state (its walk fails and
 * SQS delivers the message again) and one report's Publish (Lambda tries the event again).
 * And dispatch, which makes three requests, has its listing fail once.
 */
const exhausted: { rescanDigest?: string; publishDigest?: string } = {};
const exhaust: FaultProxyOptions['script'] = ({ service, operation, body, occurrence }) => {
  if (service === 'ecr' && operation === 'DescribeRepositories' && occurrence === 0) return 'server-error';
  if (occurrence >= MAX_ATTEMPTS) return undefined;
  if (service === 'ecr' && operation === 'DescribeImageScanFindings' && exhausted.rescanDigest) {
    const params = JSON.parse(body);
    // The rescan reads the state with the smallest page; the report reads the findings without maxResults.
    if (params.maxResults === 1 && params.imageId?.imageDigest === exhausted.rescanDigest) return 'server-error';
  }
  if (service === 'sns' && operation === 'Publish' && exhausted.publishDigest && drawKey(body).includes(exhausted.publishDigest)) return 'server-error';
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
 * (about 150 requests in all) and few enough for the ECR client's adaptive rate limiter:
 * throttling that does not ease when the client slows down holds it near 4 requests a second,
 * so every ECR request of the rescan costs about a quarter of a second. FAULT_IMAGES_PER_REPOSITORY=n
 * runs a larger registry (with a longer --testTimeout).
 */
const GENERATED_REPOSITORIES = ['shop/batch-a', 'shop/batch-b', 'shop/batch-c'];
const IMAGES_PER_REPOSITORY = Number(process.env.FAULT_IMAGES_PER_REPOSITORY ?? 8);
/** What each generated repository holds, image by image. */
const IMAGE_KINDS = ['never', 'expired', 'fresh', 'failed', 'never', 'expired', 'failed-today', 'expired'] as const;
/** The report function's concurrent execution environments (each its own bundle instance, as Lambda scales out). */
const REPORT_ENVIRONMENTS = 8;
/** The run takes under a minute, but dayTime() may first wait up to two minutes for midnight to pass. */
const TEST_TIMEOUT_MS = 240_000;
/** Lambda's asynchronous invocation: the first try and two retries. */
const ASYNC_ATTEMPTS = 3;

/** The error names the injected faults produce in the SDK; anything else is a crash on an unexpected shape. */
const INJECTED_ERROR_NAMES = new Set([
  'ThrottlingException', // ECR, SQS
  'RequestThrottled', // SQS
  'Throttling', // SNS
  'ThrottledException', // SNS
  'ServerException', // ECR
  'InternalFailure', // SQS
  'InternalErrorException', // SNS
  'ServiceUnavailable', // all
  'TimeoutError', // a dropped connection: ECONNRESET
]);

const ECR = 'AmazonEC2ContainerRegistry_V20150921';
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
  if (midnight - now.getTime() < 120_000) await new Promise((resolve) => setTimeout(resolve, midnight - now.getTime() + 1000));
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

/** One rescan walk of a repository: its ECR calls, from the first DescribeImages page to the next walk. */
interface Walk {
  readonly repositoryName: string;
  readonly calls: Call[];
}

/** Walks run one at a time (one record after another, one invocation after another), so the calls split cleanly. */
function walks(rescanCalls: readonly Call[]): Walk[] {
  const result: { repositoryName: string; calls: Call[] }[] = [];
  for (const call of rescanCalls) {
    if (call.service !== 'ecr' || call.operation === 'GetRegistryScanningConfiguration') continue;
    // A walk starts with the first DescribeImages page (a continuation's pending digests go by imageIds).
    if (call.operation === 'DescribeImages' && call.params.nextToken === undefined && call.params.imageIds === undefined) {
      result.push({ repositoryName: call.params.repositoryName, calls: [] });
    }
    const walk = result[result.length - 1];
    expect([call.operation, call.params.repositoryName]).toEqual([call.operation, walk.repositoryName]);
    walk.calls.push(call);
  }
  return result;
}

const count = <T>(items: readonly T[], predicate: (item: T) => boolean) => items.filter(predicate).length;
const digestOf = (params: Record<string, any>): string => params.imageId?.imageDigest;

/** Entries of SendMessageBatch requests the emulator accepted: the messages on the queue. */
const enqueued = (requests: readonly EmulatorRequest[]) =>
  requests.filter((r) => r.operation === 'SendMessageBatch' && r.status === 200).reduce((sum, r) => sum + r.params.Entries.length, 0);

/** A log line's error name, when it has one: every such name must be explained by the faults. */
function unexplainedErrors(lines: readonly LogLine[]): LogLine[] {
  return lines.filter((line) => {
    if (line.level !== 'ERROR' && line.level !== 'WARN') return false;
    if (typeof line.message !== 'string') return true;
    if (line.message.startsWith('Rescan failed')) return !INJECTED_ERROR_NAMES.has(String(line.errorName));
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

test('under throttling, server errors and dropped connections, every due digest is scanned once and every message and report accounted for', async () => {
  const started = Date.now();
  const { emulator, sqs, handlers } = fixture();
  const now = await dayTime();
  const { deployment, truth } = await seed(now);
  const { rescanQueueUrl, rescanQueueArn, rescanDeadLetterQueueUrl, scanEventQueueUrl, subscriberQueueUrl } = deployment.infrastructure;
  const p = proxy!;

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
  const reports = new Map<string, AsyncInvocation<Awaited<ReturnType<Handlers['report']>>>>();
  exhausted.publishDigest = events.find((e) => expectedReport(e.detail) !== 'below-threshold')!.detail['image-digest'];
  const environments = [handlers.report, ...Array.from({ length: REPORT_ENVIRONMENTS - 1 }, () => loadEnvironment<Handlers['report']>('report'))];
  await Promise.all(
    environments.map(async (report, e) => {
      for (let i = e; i < events.length; i += environments.length) {
        reports.set(events[i].detail['image-digest'], await invokeAsync(() => report(events[i], lambdaContext('report'))));
      }
    }),
  );
  const reportRequests = p.requests().slice(dispatchRequests.length + rescanRequests.length);
  const notifications = await receiveNotifications(sqs, subscriberQueueUrl);
  const emulatorRequests = await emulator.requests();
  const logs = fixture().logs();
  const reportMetricLines = fixture().metricLines().slice(dispatchMetricLines.length + rescanMetricLines.length);

  // === Figures for the issue note (written even if an assertion below fails).
  const phases = { dispatch: dispatchRequests, rescan: rescanRequests, report: reportRequests };
  figures = {
    seed: SEED,
    rates: RATES,
    images: truth.length,
    seconds: { total: (Date.now() - started) / 1000, rescan: (rescanDone - started) / 1000 },
    total: summarize(p.requests()),
    ...Object.fromEntries(Object.entries(phases).map(([phase, requests]) => [phase, summarize(requests)])),
    invocations: {
      dispatch: { tries: dispatch.errors.length + (dispatch.result ? 1 : 0), failed: dispatch.errors.map(errorNameOf) },
      rescan: {
        invocations: run.invocations,
        recordsDelivered: run.recordsDelivered,
        recordsFailed: run.recordsFailed,
        rejected: rescanRejections.map(errorNameOf),
      },
      report: {
        events: events.length,
        tries: [...reports.values()].reduce((sum, r) => sum + r.errors.length + (r.result ? 1 : 0), 0),
        failedTries: [...reports.values()].flatMap((r) => r.errors.map(errorNameOf)),
      },
    },
    deadLetters: deadLetters.length,
  };

  // === The rescan: exactly one accepted StartImageScan per due digest, nothing for the others.
  const scans = emulatorRequests.filter((r) => r.service === ECR && r.operation === 'StartImageScan');
  const proxiedScans = rescanRequests.filter((r) => r.operation === 'StartImageScan' && r.emulatorStatus !== undefined);
  // The proxy and the emulator agree on what reached ECR.
  expect(proxiedScans.map((r) => `${digestOf(JSON.parse(r.body))} ${r.emulatorStatus}`).sort()).toEqual(
    scans.map((r) => `${digestOf(r.params)} ${r.status}`).sort(),
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

  // === The queue: every message dispatch put there was processed or is in the dead-letter queue.
  const messagesOnQueue = enqueued(emulatorRequests);
  expect(leftOnQueue).toEqual([]);
  // runQueue saw each message at least once; the ones it never deleted are the dead letters.
  const failures = new Map<string, number>();
  for (const id of run.failedMessageIds) failures.set(id, (failures.get(id) ?? 0) + 1);
  const deadLettered = [...failures.values()].filter((n) => n >= deployment.config.maxReceiveCount).length;
  expect(deadLetters.length).toBe(deadLettered);
  // At these rates five attempts carry every call through (a call fails only when all five are
  // faulted, about 0.3% of calls), so only the scripted exhausted read fails a walk, once, and
  // its redelivery finishes: nothing reaches the dead-letter queue.
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

  // === LimitExceededException is an answer: a StartImageScan the client saw refused is never retried.
  for (const call of calls(rescanRequests).filter((c) => c.operation === 'StartImageScan')) {
    const refused = call.attempts.findIndex((a) => !a.fault && a.emulatorCode === 'LimitExceededException');
    if (refused >= 0) expect([digestOf(call.params), refused]).toEqual([digestOf(call.params), call.attempts.length - 1]);
  }

  // === No crash on an unexpected error shape: every failure is an injected fault, by name.
  for (const error of [...dispatch.errors, ...rescanRejections, ...[...reports.values()].flatMap((r) => r.errors)]) {
    expect(INJECTED_ERROR_NAMES).toContain(errorNameOf(error));
  }
  expect(unexplainedErrors(logs)).toEqual([]);

  // === The rescan handler's counts match the wire, walk by walk.
  const rescanLines = logs.filter((l) => l.message === 'Repository rescanned' || (typeof l.message === 'string' && l.message.startsWith('Rescan failed')));
  const rescanWalks = walks(calls(rescanRequests));
  expect(rescanWalks.map((w) => w.repositoryName)).toEqual(rescanLines.map((l) => l.repositoryName));
  rescanWalks.forEach((walk, i) => {
    const line = rescanLines[i];
    const images = truth.filter((t) => t.repositoryName === walk.repositoryName);
    const startCalls = walk.calls.filter((c) => c.operation === 'StartImageScan');
    const failedCalls = walk.calls.filter((c) => c.result === 'failed');
    if (line.message === 'Repository rescanned') {
      const logged = [line.imagesEvaluated, line.due, line.scansStarted, line.recentlyScanned, line.quotaExceeded];
      expect([walk.repositoryName, ...logged, failedCalls.length]).toEqual([
        walk.repositoryName,
        images.length,
        startCalls.length,
        count(startCalls, (c) => c.result === 200),
        count(startCalls, (c) => c.result === 400 && c.errorCode === 'LimitExceededException'),
        0,
        0,
      ]);
      // Every digest's state was read once in the walk, by digest.
      expect(walk.calls.filter((c) => c.operation === 'DescribeImageScanFindings').map((c) => digestOf(c.params)).sort()).toEqual(
        images.map((t) => t.imageDigest).sort(),
      );
    } else {
      // A failed walk: one of its calls ran out of attempts (or retry quota) on an injected fault.
      expect([walk.repositoryName, failedCalls.length > 0]).toEqual([walk.repositoryName, true]);
    }
  });
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

  // === Reports: every due report reached the subscriber, duplicates only where SNS accepted a Publish whose answer was lost.
  expect(events).toHaveLength(startedImages.length);
  const publishes = emulatorRequests.filter((r) => r.service === 'sns' && r.operation === 'Publish' && r.status === 200);
  const publishedDigest = (message: string) => JSON.parse(JSON.parse(message).default).imageDigest as string;
  const byDigest = new Map<string, number>();
  for (const n of notifications) byDigest.set(JSON.parse(n.Message).imageDigest, (byDigest.get(JSON.parse(n.Message).imageDigest) ?? 0) + 1);
  expect(notifications).toHaveLength(publishes.length);
  let duplicates = 0;
  for (const event of events) {
    const digest = event.detail['image-digest'] as string;
    const expected = expectedReport(event.detail);
    const invocation = reports.get(digest)!;
    const lost = reportRequests.filter(
      (r) => r.operation === 'Publish' && r.fault === 'drop-after-forward' && r.emulatorStatus === 200 && publishedDigest(new URLSearchParams(r.body).get('Message')!) === digest,
    ).length;
    const received = byDigest.get(digest) ?? 0;
    if (expected === 'below-threshold') {
      expect([digest, invocation.result, received]).toEqual([digest, { published: false, reason: 'below-threshold' }, 0]);
    } else if (invocation.result) {
      expect([digest, invocation.result.published, invocation.result.reason, received]).toEqual([digest, true, expected, 1 + lost]);
    } else {
      // Every try failed: Lambda sends the event to the on-failure destination; it may still have been published.
      expect([digest, received]).toEqual([digest, lost]);
    }
    duplicates += Math.max(0, received - 1);
  }
  // The report whose Publish failed every attempt: its first invocation failed, Lambda's retry published it.
  const retried = reports.get(exhausted.publishDigest!)!;
  expect([retried.errors.map(errorNameOf), retried.result?.published]).toEqual([[expect.stringMatching(/^(InternalErrorException|ServiceUnavailable)$/)], true]);
  const due = events.filter((e) => expectedReport(e.detail) !== 'below-threshold');
  const publishedLines = logs.filter((l) => l.message === 'Report published');
  expect(publishedLines).toHaveLength(count([...reports.values()], (r) => r.result?.published === true));
  Object.assign(figures, {
    reports: {
      due: due.length,
      reachedSubscriber: count(due, (e) => (byDigest.get(e.detail['image-digest']) ?? 0) > 0),
      duplicates,
      belowThreshold: events.length - due.length,
    },
  });
  expect(count(due, (e) => (byDigest.get(e.detail['image-digest']) ?? 0) > 0)).toBe(
    count(due, (e) => reports.get(e.detail['image-digest'])!.result !== undefined),
  );

  // === Metrics: what each handler published (EMF lines) agrees with its logs and with the wire.
  const published = { dispatch: emfMetrics(dispatchMetricLines), rescan: emfMetrics(rescanMetricLines), report: emfMetrics(reportMetricLines) };
  for (const values of Object.values(published)) {
    expect(values.length).toBeGreaterThan(0);
    expect(new Set(values.map((v) => v.namespace))).toEqual(new Set([METRICS_NAMESPACE]));
  }
  // Every retry the SDK made, as counted at the wire, and no more.
  for (const [phase, requests] of Object.entries(phases)) {
    expect([phase, sumMetric(published[phase as keyof typeof published], METRIC.AWS_RETRIES)]).toEqual([phase, summarize(requests).retries]);
  }
  const listed = dispatchCalls.filter((c) => c.operation === 'DescribeRepositories' && c.result === 200).length;
  expect(sumMetric(published.dispatch, METRIC.REPOSITORIES_LISTED)).toBe(8 * listed);
  expect(sumMetric(published.dispatch, METRIC.REPOSITORIES_DISPATCHED)).toBe(seenSent);
  const rescanned = (key: string) => summaries.reduce((sum, l) => sum + Number(l[key]), 0);
  const skipsOf = (l: LogLine) => Object.values(l.skipped as Record<string, number>).reduce((a, b) => a + b, 0);
  const skippedInLogs = summaries.reduce((sum, l) => sum + skipsOf(l) + Number(l.recentlyScanned) + Number(l.quotaExceeded), 0);
  expect({
    imagesEvaluated: sumMetric(published.rescan, METRIC.IMAGES_EVALUATED),
    scansStarted: sumMetric(published.rescan, METRIC.SCANS_STARTED),
    scansSkipped: sumMetric(published.rescan, METRIC.SCANS_SKIPPED),
    recentlyScanned: sumMetric(published.rescan, METRIC.SCANS_SKIPPED, { reason: 'recently-scanned' }),
    quotaHits: sumMetric(published.rescan, METRIC.QUOTA_HITS),
    continuations: sumMetric(published.rescan, METRIC.CONTINUATIONS),
    inputsRejected: sumMetric(published.rescan, METRIC.INPUTS_REJECTED),
  }).toEqual({
    imagesEvaluated: rescanned('imagesEvaluated'),
    scansStarted: loggedStarts,
    scansSkipped: skippedInLogs,
    recentlyScanned: rescanned('recentlyScanned'),
    quotaHits: 0,
    continuations: 0,
    inputsRejected: 0,
  });
  expect(sumMetric(published.report, METRIC.REPORTS_PUBLISHED)).toBe(count([...reports.values()], (r) => r.result?.published === true));
  expect(sumMetric(published.report, METRIC.REPORTS_BELOW_THRESHOLD)).toBe(count([...reports.values()], (r) => r.result?.reason === 'below-threshold'));
  expect(sumMetric(published.report, METRIC.REPORTS_SKIPPED)).toBe(0);
  Object.assign(figures, {
    metrics: Object.fromEntries(
      Object.entries(published).map(([phase, values]) => [
        phase,
        Object.fromEntries([...new Set(values.filter((v) => !v.dimensions.reason).map((v) => v.name))].map((n) => [n, sumMetric(values, n)])),
      ]),
    ),
  });

  // === The run exercised what it claims to: issue 5's shares of throttling (20%) and server errors
  // (5%) of the requests, drawn (the scripted failures aside), every fault kind in the rescan, throttling and server errors in the report,
  // a scan ECR started whose answer was lost, and a report published twice. With another seed or
  // other request bodies the draws differ; if this fails, pick a SEED that covers them again.
  const total = summarize(p.requests());
  expect(total.scripted).toBe(2 * MAX_ATTEMPTS + 1);
  expect(sumMetric(published.dispatch, METRIC.AWS_RETRIES)).toBeGreaterThan(0);
  expect(total.drawnShares.throttling).toBeGreaterThanOrEqual(0.2);
  expect(total.drawnShares['server-error']).toBeGreaterThanOrEqual(0.05);
  expect(Object.values(summarize(rescanRequests).byKind).every((n) => n > 0)).toBe(true);
  expect(Math.min(summarize(reportRequests).byKind.throttling, summarize(reportRequests).byKind['server-error'])).toBeGreaterThan(0);
  expect(startedUnseen.length).toBeGreaterThan(0);
  expect(duplicates).toBeGreaterThan(0);
}, TEST_TIMEOUT_MS);
