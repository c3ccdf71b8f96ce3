/**
 * The bad-input catalogue (issue 5, item 4): every odd message and event the handlers can
 * receive, fed to the real bundles against the emulator as Lambda would feed them. "Each
 * gets a clear error or a logged, counted skip. Nothing is lost silently, and no message is
 * retried forever." So each row checks: the log line that names the problem (or the skip),
 * the metrics line, where the input ends up, and that nothing else happened.
 *
 * Where inputs end up:
 * - rescan queue messages: deleted when processed; a rejected one is delivered exactly
 *   maxReceiveCount times (the construct's redrive), then sits in the rescan dead-letter queue;
 * - scan events: sent with PutEvents and matched by the construct's own rule (moto cannot
 *   target Lambda, so the rule targets a queue and the test hands each event to the report
 *   bundle); events the rule does not match never reach the function;
 * - asynchronous invocations (report, dispatch): a failed one is tried 1 + MaximumRetryAttempts
 *   times (the construct's EventInvokeConfig, read from its template), then its record goes to
 *   the on-failure destination, the event dead-letter queue. The emulator has no Lambda, so
 *   `invokeAsync` below plays that part.
 *
 * | Input                                                           | Outcome                                                   |
 * |-----------------------------------------------------------------|-----------------------------------------------------------|
 * | rescan body: not JSON, cut short, JSON array/string/number/null | rejected, error names it, InputsRejected, DLQ after 3     |
 * | `{}`, repositoryName misspelt / 42 / [] / "" / uppercase        | rejected, DLQ after 3                                     |
 * | repositoryName of 257 and of 100,000 characters                 | rejected, DLQ after 3; the value shortened in the log     |
 * | repositoryName of 256 characters                                | accepted: walked, its image scanned                       |
 * | unknown extra fields, top level or in the continuation          | accepted: ignored, processed as without them              |
 * | continuation null / a list; part 0 / 10001 / 1.5 / "2" / absent;| rejected, DLQ after 3                                     |
 * |   nextToken "" / 42; digests not digests / 1001 of them;        |                                                           |
 * |   nothing to resume (part only, or [] and no token)             |                                                           |
 * | continuation at a digest deleted since                          | skip logged, ScansSkipped{reason=image-gone}, deleted     |
 * | continuation with a nextToken ECR does not know                 | "Rescan failed" (InvalidParameterException), DLQ after 3  |
 * | event of another source / detail-type, Inspector2 Scan, no      | the rule does not match: never delivered. Handed to the   |
 * |   scan-status, an empty detail, no detail at all                | function anyway: rejected, 3 attempts, on-failure queue   |
 * | event with an unknown scan-status                               | never delivered; handed to the function: WARN, no retry,  |
 * |                                                                 | counted: ReportsSkipped{reason=unexpected-scan-status}    |
 * | image-tags missing / [] / null                                  | published, the image named by digest in the subject       |
 * | image-tags with non-strings / unknown detail fields             | published, the string tags kept, the rest ignored (WARN)  |
 * | image-tags a string / an object                                 | rejected, 3 attempts, on-failure queue                    |
 * | 1000 tags of 128 characters                                     | published < 256 KB, 50 listed + "950 more", subject < 100 |
 * | emoji / CJK / accented tags                                     | published, subject printable ASCII, tags intact in body   |
 * | finding-severity-counts missing / {} / null / unknown only      | below threshold: ReportsBelowThreshold, nothing published |
 * | counts negative / a string / not an object                      | value ignored with a WARN naming it; decided on the rest  |
 * | unknown severity next to CRITICAL; FAILED with unusable counts  | published                                                 |
 * | repository-name of 256 characters                               | published, subject cut to 99 characters                   |
 * | repository-name missing / 257 characters; a tag as image-digest | rejected, 3 attempts, on-failure queue                    |
 * | dispatch continuation: part 0 / 10001, nextToken "" / absent,   | rejected, InputsRejected, 3 attempts, on-failure queue,   |
 * |   not an object; a nextToken ECR does not know                  | nothing listed or queued                                  |
 * | dispatch event `{}`, a string, a schedule event with extras     | a full dispatch                                           |
 * | ledger entry of another schema version / entity / digest, a     | WARN "Ledger entry ignored", LedgerEntriesIgnored: the    |
 * |   version not a number, a scan in the future or not a map, a     | rescan reads ECR and scans what is due, the report counts |
 * |   last report's finding ids not a list, an index without a      | as first and is published once; the next write replaces it|
 * |   sha256 digest or of an unknown role                           |                                                           |
 * | an image index whose manifest lists nothing readable            | WARN "Index manifest unreadable", IndexManifestsUnread,   |
 * |                                                                 | ScansSkipped{reason=image-index}; the rest walked         |
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutImageCommand } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { useEmulator } from './harness';
import { EmulatorRequest } from '../../local/emulator/emulator';
import {
  Handler,
  Infrastructure,
  QueueRun,
  createInfrastructure,
  drainQueue,
  lambdaContext,
  receiveNotifications,
  runQueue,
} from '../../local/pipeline';
import { SeededImage, SeedRepository, seedRegistry } from '../../local/registry';
import { ServiceConfiguration, resolveEnvironment, synthesizeService } from '../../local/service';
import { EcrScanReporter, EcrScanReporterProps } from '../../src';
import { Ledger } from '../../src/aws/ledger';
import { imageKey } from '../../src/decisions/ledger';
import { SNS_MAX_SUBJECT_LENGTH } from '../../src/decisions/report-message';
import { LogLine, captureLogs, emfMetrics } from '../aws/helpers';

// One deployment for the file: each row cleans up what it touched (checked after each row),
// and rows that change ECR state start from a fresh one.
const fixture = useEmulator({ resetBeforeEach: false });

const PROPS: EcrScanReporterProps = { repositoryPattern: '^shop/' };
const SQS = 'AmazonSQS';
/** A valid repository name of exactly 256 characters, selected by the pattern. */
const NAME_256 = `shop/${'a'.repeat(120)}/${'b'.repeat(130)}`;
const REGISTRY: SeedRepository[] = [
  { name: 'shop/web', images: [{ tags: ['v1'], scan: { kind: 'never' } }] },
  { name: NAME_256, images: [{ tags: ['v1'], scan: { kind: 'never' } }] },
];
const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
/** The ledger's counts of an invocation that used the ledger without trouble (or never reached it). */
const RESCAN_LEDGER = {
  StatusReadsSaved: 0,
  LedgerReadFailures: 0,
  LedgerWriteFailures: 0,
  LedgerEntriesIgnored: 0,
  IndexManifestsRead: 0,
  IndexManifestsUnread: 0,
  ImagesNotMonitored: 0,
};
const REPORT_LEDGER = { ReportsWithheld: 0, ReportsPossiblyDuplicated: 0, LedgerReadFailures: 0, LedgerWriteFailures: 0, LedgerEntriesIgnored: 0 };
/** What the report function counts for owners and accepted risks: none configured here. */
const REPORT_RELEVANCE = { FindingsIgnored: 0, OwnerTagReads: 0 };

/** What the construct configures, synthesized once for the file. */
let config: ServiceConfiguration;
/** MaximumRetryAttempts of the report and dispatch functions' asynchronous invocations. */
let retryAttempts: { report: number; dispatch: number };

interface Deployment {
  readonly infrastructure: Infrastructure;
  readonly seeded: SeededImage[];
  /** The on-failure destination of the asynchronous invocations. */
  readonly eventDeadLetterQueueUrl: string;
}
let deployment: Deployment;

/** Resets the emulator and creates the service in it again: queues, topic, rule, registry, environment. */
async function deployFresh(): Promise<void> {
  const { emulator, ecr, sqs } = fixture();
  await emulator.reset();
  const infrastructure = await createInfrastructure(emulator, {
    maxReceiveCount: config.maxReceiveCount,
    scanEventPattern: config.scanEventPattern,
    ledgerTable: config.ledgerTable,
  });
  const seeded = await seedRegistry(emulator, ecr, REGISTRY, new Date());
  const created = await sqs.send(new CreateQueueCommand({ QueueName: 'event-dead-letter' }));
  deployment = { infrastructure, seeded, eventDeadLetterQueueUrl: created.QueueUrl as string };
  const environments = Object.values(config.environments).map((v) => resolveEnvironment(v, config, infrastructure));
  Object.assign(process.env, ...environments, { POWERTOOLS_LOG_LEVEL: 'INFO' });
  await emulator.resetRequests();
}

beforeAll(async () => {
  expect(NAME_256).toHaveLength(256);
  config = synthesizeService(PROPS);
  const stack = new Stack(new App(), 'Service', { env: { account: '123456789012', region: 'us-east-1' } });
  const reporter = new EcrScanReporter(stack, 'ScanReporter', PROPS);
  const invokeConfigs = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::EventInvokeConfig')) as {
    Properties: { FunctionName: { Ref: string }; MaximumRetryAttempts: number; DestinationConfig: { OnFailure: { Destination: unknown } } };
  }[];
  const attemptsOf = (fn: { node: { defaultChild?: unknown } }) => {
    const found = invokeConfigs.find((c) => c.Properties.FunctionName.Ref === stack.getLogicalId(fn.node.defaultChild as any));
    if (!found) throw new Error('no EventInvokeConfig for the function');
    // The on-failure destination is the event dead-letter queue.
    expect(found.Properties.DestinationConfig.OnFailure.Destination).toEqual({
      'Fn::GetAtt': [stack.getLogicalId(reporter.eventDeadLetterQueue.node.defaultChild as any), 'Arn'],
    });
    return found.Properties.MaximumRetryAttempts;
  };
  retryAttempts = { report: attemptsOf(reporter.reportFunction), dispatch: attemptsOf(reporter.dispatchFunction) };
  await deployFresh();
});

beforeEach(async () => {
  await fixture().emulator.resetRequests();
});

afterEach(async () => {
  // Nothing left anywhere for the next row, and nothing this row did not account for.
  const { sqs, emulator } = fixture();
  const { rescanQueueUrl, rescanDeadLetterQueueUrl, scanEventQueueUrl, subscriberQueueUrl } = deployment.infrastructure;
  for (const url of [rescanQueueUrl, rescanDeadLetterQueueUrl, scanEventQueueUrl, subscriberQueueUrl, deployment.eventDeadLetterQueueUrl]) {
    expect([url, (await drainQueue(sqs, url)).map((m) => m.Body)]).toEqual([url, []]);
  }
  expect(await emulator.takeInvocations()).toEqual([]);
});

const web = () => deployment.seeded.find((i) => i.repositoryName === 'shop/web')!;
const long = () => deployment.seeded.find((i) => i.repositoryName === NAME_256)!;

// ---------------------------------------------------------------------------------------
// Observations shared by the rows.

/**
 * Requests the handlers made: the emulator's log less the test's own traffic (the event
 * source's receives and deletes, PutEvents, and the on-failure records `invokeAsync` sends).
 */
async function handlerRequests(): Promise<EmulatorRequest[]> {
  const eventSource = new Set(['ReceiveMessage', 'DeleteMessageBatch', 'ChangeMessageVisibilityBatch']);
  return (await fixture().emulator.requests()).filter(
    (r) =>
      !(r.service === SQS && eventSource.has(r.operation)) &&
      r.operation !== 'PutEvents' &&
      !(r.service === SQS && r.params.QueueUrl === deployment.eventDeadLetterQueueUrl),
  );
}

const operations = (requests: EmulatorRequest[]) => requests.map((r) => r.operation);

/** The metrics of each invocation that published `name`, in order (lines without a `reason` dimension). */
function perInvocation(name: string): Record<string, unknown>[] {
  return fixture()
    .metricLines()
    .filter((l) => name in l && !('reason' in l))
    .map((line) => Object.fromEntries(emfMetrics([line]).map((m) => [m.name, m.value])));
}

function logLines(level?: string): LogLine[] {
  return fixture()
    .logs()
    .filter((l) => level === undefined || l.level === level);
}

// ---------------------------------------------------------------------------------------
// The rescan queue.

interface QueueOutcome {
  readonly deliveries: number;
  readonly failures: number;
  readonly messageIds: Set<string>;
  /** Bodies in the rescan dead-letter queue afterwards. */
  readonly dead: string[];
  /** Bodies left on the rescan queue afterwards. */
  readonly left: string[];
  readonly requests: EmulatorRequest[];
}

/** Puts one message body on the rescan queue and runs the rescan bundle on it as Lambda's event source would. */
async function rescanMessage(message: string): Promise<QueueOutcome> {
  const { sqs, handlers } = fixture();
  const { rescanQueueUrl, rescanQueueArn, rescanDeadLetterQueueUrl } = deployment.infrastructure;
  await sqs.send(new SendMessageCommand({ QueueUrl: rescanQueueUrl, MessageBody: message }));
  await fixture().emulator.resetRequests();
  // A bound far above maxReceiveCount: a message retried forever fails here rather than hanging.
  const run = await runQueue(sqs, rescanQueueUrl, rescanQueueArn, handlers.rescan, { batchSize: config.batchSize, maxInvocations: 20 });
  const requests = await handlerRequests();
  return {
    deliveries: run.recordsDelivered,
    failures: run.recordsFailed,
    messageIds: new Set(run.failedMessageIds),
    dead: (await drainQueue(sqs, rescanDeadLetterQueueUrl)).map((m) => m.Body as string),
    left: (await drainQueue(sqs, rescanQueueUrl)).map((m) => m.Body as string),
    requests,
  };
}

const body = (value: unknown) => JSON.stringify(value);
const continuationBody = (continuation: unknown) => body({ repositoryName: 'shop/web', continuation });

describe('rescan queue messages that are rejected', () => {
  // All rows travel together with one good message, as they would arrive: one queue, the
  // event source's batches, maxReceiveCount deliveries each. Each row then checks its own
  // message by id; the last test checks the run as a whole.
  const ROWS: [string, string, string | RegExp][] = [
    ['not JSON', 'repositoryName=shop/web', 'message body is not JSON: repositoryName=shop/web'],
    ['JSON cut short', '{"repositoryName": "shop/web"', 'message body is not JSON: {"repositoryName": "shop/web"'],
    ['a JSON array', '[{"repositoryName":"shop/web"}]', 'message body must be a JSON object with repositoryName: [{"repositoryName":"shop/web"}]'],
    ['a JSON string', '"shop/web"', 'message body must be a JSON object with repositoryName: "shop/web"'],
    ['a JSON number', '42', 'message body must be a JSON object with repositoryName: 42'],
    ['JSON null', 'null', 'message body must be a JSON object with repositoryName: null'],
    ['{}', '{}', 'message repositoryName is not a valid ECR repository name: undefined'],
    ['repositoryName misspelt', body({ repository: 'shop/web' }), 'message repositoryName is not a valid ECR repository name: undefined'],
    ['repositoryName a number', body({ repositoryName: 42 }), 'message repositoryName is not a valid ECR repository name: 42'],
    ['repositoryName a list', body({ repositoryName: ['shop/web'] }), 'message repositoryName is not a valid ECR repository name: ["shop/web"]'],
    ['repositoryName empty', body({ repositoryName: '' }), 'message repositoryName is not a valid ECR repository name: '],
    ['repositoryName uppercase', body({ repositoryName: 'Shop/Web' }), 'message repositoryName is not a valid ECR repository name: Shop/Web'],
    [
      'repositoryName of 257 characters',
      body({ repositoryName: `${NAME_256}b` }),
      /^message repositoryName is not a valid ECR repository name: shop\/a{120}\/b{74}\.\.\. \(257 characters\)$/,
    ],
    [
      'repositoryName of 100,000 characters',
      body({ repositoryName: `shop/${'x'.repeat(99_995)}` }),
      /^message repositoryName is not a valid ECR repository name: shop\/x{195}\.\.\. \(100000 characters\)$/,
    ],
    ['continuation null', continuationBody(null), 'message continuation must be an object: null'],
    ['continuation a list', continuationBody([{ part: 1, nextToken: 'tok' }]), 'message continuation must be an object: [{"part":1,"nextToken":"tok"}]'],
    ['continuation part 0', continuationBody({ part: 0, nextToken: 'tok' }), 'continuation.part must be a whole number from 1 to 10000: 0'],
    ['continuation part past the last', continuationBody({ part: 10_001, nextToken: 'tok' }), 'continuation.part must be a whole number from 1 to 10000: 10001'],
    ['continuation part fractional', continuationBody({ part: 1.5, nextToken: 'tok' }), 'continuation.part must be a whole number from 1 to 10000: 1.5'],
    ['continuation part a string', continuationBody({ part: '2', nextToken: 'tok' }), 'continuation.part must be a whole number from 1 to 10000: 2'],
    ['continuation part missing', continuationBody({ nextToken: 'tok' }), 'continuation.part must be a whole number from 1 to 10000: undefined'],
    ['continuation nextToken empty', continuationBody({ part: 1, nextToken: '' }), 'continuation.nextToken must be a non-empty string: '],
    ['continuation nextToken a number', continuationBody({ part: 1, nextToken: 42 }), 'continuation.nextToken must be a non-empty string: 42'],
    [
      'continuation pendingDigests not digests',
      continuationBody({ part: 1, pendingDigests: ['latest', 'v1'] }),
      'continuation.pendingDigests must be a list of at most 1000 image digests: ["latest","v1"]',
    ],
    [
      'continuation pendingDigests 1001 digests',
      continuationBody({ part: 1, pendingDigests: Array.from({ length: 1001 }, (_, i) => digestOf(i)) }),
      /^continuation\.pendingDigests must be a list of at most 1000 image digests: \["sha256:0{64}",.*\.\.\. \(\d+ characters\)$/,
    ],
    [
      'continuation pendingDigests empty, no token',
      continuationBody({ part: 1, pendingDigests: [] }),
      'continuation has nothing to resume: it needs nextToken or pendingDigests: {"part":1,"pendingDigests":[]}',
    ],
    ['continuation with nothing but a part', continuationBody({ part: 3 }), 'continuation has nothing to resume: it needs nextToken or pendingDigests: {"part":3}'],
  ];

  const GOOD = body({ repositoryName: 'shop/web' });
  let idOf: Map<string, string>;
  let run: QueueRun;
  let lines: LogLine[];
  let metricLines: Record<string, unknown>[];
  let dead: string[];
  let left: string[];
  let requests: EmulatorRequest[];

  beforeAll(async () => {
    expect(new Set([GOOD, ...ROWS.map(([, b]) => b)]).size).toBe(ROWS.length + 1);
    const { sqs, handlers, emulator } = fixture();
    const { rescanQueueUrl, rescanQueueArn, rescanDeadLetterQueueUrl } = deployment.infrastructure;
    idOf = new Map();
    for (const message of [...ROWS.slice(0, 10).map(([, b]) => b), GOOD, ...ROWS.slice(10).map(([, b]) => b)]) {
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl: rescanQueueUrl, MessageBody: message }));
      idOf.set(message, sent.MessageId as string);
    }
    await emulator.resetRequests();
    const capture = captureLogs();
    try {
      // A bound far above what maxReceiveCount allows: a message retried forever fails here rather than hanging.
      run = await runQueue(sqs, rescanQueueUrl, rescanQueueArn, handlers.rescan, { batchSize: config.batchSize, maxInvocations: 200 });
    } finally {
      capture.restore();
    }
    lines = capture.lines();
    metricLines = capture.metricLines();
    requests = await handlerRequests();
    dead = (await drainQueue(sqs, rescanDeadLetterQueueUrl)).map((m) => m.Body as string);
    left = (await drainQueue(sqs, rescanQueueUrl)).map((m) => m.Body as string);
  });

  test.each(ROWS)('%s: rejected with an error naming it at each of 3 deliveries, then the dead-letter queue', (_label, message, error) => {
    const id = idOf.get(message)!;
    expect(config.maxReceiveCount).toBe(3);
    // Delivered and failed exactly maxReceiveCount times, then moved aside: once in the dead-letter queue, not left.
    expect(run.failedMessageIds.filter((m) => m === id)).toHaveLength(config.maxReceiveCount);
    expect(dead.filter((b) => b === message)).toHaveLength(1);
    expect(left).not.toContain(message);
    const errors = lines.filter((l) => l.messageId === id);
    expect(errors.map((l) => [l.level, l.message, l.receiveCount])).toEqual(
      ['1', '2', '3'].map((n) => ['ERROR', 'Malformed rescan message: failing this record; it reaches the dead-letter queue after maxReceiveCount', n]),
    );
    for (const line of errors) {
      expect(line.error).toEqual(typeof error === 'string' ? error : expect.stringMatching(error));
      // A log line stays readable whatever the message held.
      expect(JSON.stringify(line).length).toBeLessThan(2000);
    }
  });

  test('the good message among them is processed once, its image scanned', () => {
    expect(run.failedMessageIds).not.toContain(idOf.get(GOOD));
    expect(dead).not.toContain(GOOD);
    expect(lines.filter((l) => l.messageId === idOf.get(GOOD)).map((l) => [l.level, l.message])).toEqual([['INFO', 'Repository rescanned']]);
    expect(requests.filter((r) => r.operation === 'StartImageScan').map((r) => [r.params.repositoryName, r.params.imageId.imageDigest, r.status])).toEqual([
      ['shop/web', web().imageDigest, 200],
    ]);
  });

  test('the run as a whole: every bad delivery failed and was counted as rejected; only the good message was walked', () => {
    expect(run.recordsDelivered).toBe(ROWS.length * config.maxReceiveCount + 1);
    expect(run.recordsFailed).toBe(ROWS.length * config.maxReceiveCount);
    expect(dead).toHaveLength(ROWS.length);
    expect(left).toEqual([]);
    expect(lines.filter((l) => l.level === 'ERROR')).toHaveLength(ROWS.length * config.maxReceiveCount);
    const invocations = metricLines.filter((l) => 'InputsRejected' in l);
    expect(invocations).toHaveLength(run.invocations);
    const total = (name: string) => invocations.reduce((sum, l) => sum + (l[name] as number), 0);
    expect(
      ['InputsRejected', 'ImagesEvaluated', 'ScansStarted', 'ScansSkipped', 'QuotaHits', 'Continuations', 'AwsRetries'].map((n) => [n, total(n)]),
    ).toEqual([
      ['InputsRejected', ROWS.length * config.maxReceiveCount],
      ['ImagesEvaluated', 1],
      ['ScansStarted', 1],
      ['ScansSkipped', 0],
      ['QuotaHits', 0],
      ['Continuations', 0],
      ['AwsRetries', 0],
    ]);
    // The good message's walk: the discovery marker read once before it, its digest's ledger entry read (empty),
    // its state from ECR, the day's scan budget (the day before's demand, the claim, the page's settle), the scan,
    // the scan written back. A bad record costs no call at all.
    expect(operations(requests).filter((o) => o !== 'GetRegistryScanningConfiguration').sort()).toEqual([
      'BatchGetItem',
      'DescribeImageScanFindings',
      'DescribeImages',
      'GetItem',
      'GetItem',
      'StartImageScan',
      'UpdateItem',
      'UpdateItem',
      'UpdateItem',
    ]);
    expect(operations(requests).filter((o) => o === 'GetRegistryScanningConfiguration')).toHaveLength(run.invocations);
  });
});

describe('rescan queue messages that are accepted', () => {
  // These rows scan images: each starts from a registry where nothing was scanned today.
  beforeEach(deployFresh);

  /** The message was processed once and deleted: one delivery, no failure, nothing dead or left. */
  function expectProcessedOnce(outcome: QueueOutcome): void {
    expect([outcome.deliveries, outcome.failures, outcome.dead, outcome.left]).toEqual([1, 0, [], []]);
    expect(logLines('ERROR')).toEqual([]);
  }

  const started = (outcome: QueueOutcome) =>
    outcome.requests.filter((r) => r.operation === 'StartImageScan').map((r) => [r.params.repositoryName, r.params.imageId.imageDigest, r.status]);

  test('a repositoryName of 256 characters: walked and its image scanned', async () => {
    const outcome = await rescanMessage(body({ repositoryName: NAME_256 }));

    expectProcessedOnce(outcome);
    expect(started(outcome)).toEqual([[NAME_256, long().imageDigest, 200]]);
    expect(perInvocation('InputsRejected')).toEqual([
      { ImagesEvaluated: 1, ScansStarted: 1, ScansSkipped: 0, QuotaHits: 0, Continuations: 0, InputsRejected: 0, AwsRetries: 0, ...RESCAN_LEDGER },
    ]);
    expect(logLines().find((l) => l.message === 'Repository rescanned')).toMatchObject({ repositoryName: NAME_256, scansStarted: 1 });
  });

  test.each<[string, string]>([
    ['unknown fields next to repositoryName', body({ repositoryName: 'shop/web', priority: 'high', requestedBy: { team: 'a' } })],
    ['unknown fields inside a continuation', body({ repositoryName: 'shop/web', continuation: { part: 1, pendingDigests: ['PLACEHOLDER'], resumeAt: 7 } })],
  ])('%s: ignored, the message is processed as without them', async (_label, message) => {
    const outcome = await rescanMessage(message.replace('PLACEHOLDER', web().imageDigest));

    expectProcessedOnce(outcome);
    expect(started(outcome)).toEqual([['shop/web', web().imageDigest, 200]]);
    expect(perInvocation('InputsRejected')).toEqual([expect.objectContaining({ ImagesEvaluated: 1, ScansStarted: 1, InputsRejected: 0 })]);
  });

  test('a continuation at a digest deleted since: a logged skip, counted by reason; the message is done', async () => {
    const gone = digestOf(7);
    const outcome = await rescanMessage(continuationBody({ part: 2, pendingDigests: [gone] }));

    expectProcessedOnce(outcome);
    expect(started(outcome)).toEqual([]);
    // Asked for by image id (ImageNotFoundException fails the whole call, then the digest alone is asked for), never by listing the repository.
    expect(outcome.requests.filter((r) => r.operation === 'DescribeImages').map((r) => [r.params.imageIds, r.status])).toEqual([
      [[{ imageDigest: gone }], 400],
      [[{ imageDigest: gone }], 400],
    ]);
    expect(logLines().find((l) => l.message === 'Image skipped: deleted since it was listed')).toMatchObject({
      level: 'INFO',
      repositoryName: 'shop/web',
      imageDigest: gone,
      part: 2,
    });
    expect(perInvocation('InputsRejected')).toEqual([
      { ImagesEvaluated: 1, ScansStarted: 0, ScansSkipped: 1, QuotaHits: 0, Continuations: 0, InputsRejected: 0, AwsRetries: 0, ...RESCAN_LEDGER },
    ]);
    const byReason = emfMetrics(fixture().metricLines()).filter((m) => m.dimensions.reason !== undefined);
    expect(byReason.map((m) => [m.name, m.dimensions.reason, m.value])).toEqual([['ScansSkipped', 'image-gone', 1]]);
  });
});

describe('rescan queue messages that ECR refuses', () => {
  test('a continuation with a nextToken ECR does not know: "Rescan failed" at each delivery, then the dead-letter queue', async () => {
    const message = continuationBody({ part: 4, nextToken: 'bm90LWEtdG9rZW4=' });

    const outcome = await rescanMessage(message);

    expect([outcome.deliveries, outcome.failures, outcome.dead, outcome.left]).toEqual([3, 3, [message], []]);
    const errors = logLines('ERROR');
    expect(errors).toHaveLength(3);
    for (const line of errors) {
      expect(line).toMatchObject({ message: 'Rescan failed: failing this record so SQS delivers it again', errorName: 'InvalidParameterException', part: 4 });
      expect(line.error).toMatch(/nextToken/);
    }
    expect(operations(outcome.requests).filter((o) => o === 'StartImageScan')).toEqual([]);
    // Not a malformed message: not counted as rejected.
    expect(perInvocation('InputsRejected').map((m) => m.InputsRejected)).toEqual([0, 0, 0]);
  });
});

// ---------------------------------------------------------------------------------------
// Scan events and asynchronous invocations.

interface AsyncOutcome {
  readonly attempts: number;
  readonly result?: unknown;
  readonly errors: Error[];
}

/**
 * Lambda's asynchronous invocation as the construct configures it: the handler is tried
 * once and, while it throws, `retries` more times; then the invocation record goes to the
 * on-failure destination (the event dead-letter queue), with the event and the last error.
 */
async function invokeAsync<R>(handler: Handler<unknown, R>, event: unknown, functionName: string, retries: number): Promise<AsyncOutcome> {
  const errors: Error[] = [];
  for (let attempt = 1; attempt <= 1 + retries; attempt++) {
    try {
      return { attempts: attempt, result: await handler(event, lambdaContext(functionName)), errors };
    } catch (error) {
      errors.push(error as Error);
    }
  }
  const last = errors[errors.length - 1];
  const record = {
    version: '1.0',
    requestContext: { functionArn: lambdaContext(functionName).invokedFunctionArn, condition: 'RetriesExhausted', approximateInvokeCount: errors.length },
    requestPayload: event,
    responseContext: { statusCode: 200, functionError: 'Unhandled' },
    responsePayload: { errorType: last.name, errorMessage: last.message },
  };
  await fixture().sqs.send(new SendMessageCommand({ QueueUrl: deployment.eventDeadLetterQueueUrl, MessageBody: JSON.stringify(record) }));
  return { attempts: errors.length, errors };
}

async function putEvent(entry: PutEventsRequestEntry): Promise<void> {
  const eventBridge = new EventBridgeClient(fixture().emulator.clientConfig());
  try {
    const response = await eventBridge.send(new PutEventsCommand({ Entries: [entry] }));
    expect(response.FailedEntryCount).toBe(0);
  } finally {
    eventBridge.destroy();
  }
}

interface EventOutcome {
  /** What the rule delivered, each with the report function's outcome. */
  readonly deliveries: { event: Record<string, any>; outcome: AsyncOutcome }[];
  readonly requests: EmulatorRequest[];
  /** Invocation records in the event dead-letter queue. */
  readonly dead: Record<string, any>[];
}

/** Sends a scan event through the construct's rule and hands whatever the rule delivers to the report bundle. */
async function scanEventThroughRule(entry: PutEventsRequestEntry): Promise<EventOutcome> {
  await putEvent(entry);
  await fixture().emulator.resetRequests();
  const deliveries = [];
  for (const message of await drainQueue(fixture().sqs, deployment.infrastructure.scanEventQueueUrl)) {
    const event = JSON.parse(message.Body as string);
    deliveries.push({ event, outcome: await invokeAsync(fixture().handlers.report, event, 'report', retryAttempts.report) });
  }
  const requests = await handlerRequests();
  const dead = (await drainQueue(fixture().sqs, deployment.eventDeadLetterQueueUrl)).map((m) => JSON.parse(m.Body as string));
  return { deliveries, requests, dead };
}

function ecrEntry(detail: Record<string, unknown>, overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry {
  return { Source: 'aws.ecr', DetailType: 'ECR Image Scan', Detail: JSON.stringify(detail), ...overrides };
}

/** A COMPLETE scan of shop/web:v1 with a CRITICAL finding, changed by `change`. */
function completeDetail(change: (detail: Record<string, any>) => void = () => undefined): Record<string, any> {
  const detail: Record<string, any> = {
    'scan-status': 'COMPLETE',
    'repository-name': 'shop/web',
    'image-digest': web().imageDigest,
    'image-tags': ['v1'],
    'finding-severity-counts': { CRITICAL: 1 },
  };
  change(detail);
  return detail;
}

/** A rejected event: the same error at each attempt, then its record in the on-failure queue; nothing read or published. */
function expectRejectedEvent(outcome: AsyncOutcome, dead: Record<string, any>[], event: unknown, error: string): void {
  const attempts = 1 + retryAttempts.report;
  expect(attempts).toBe(3);
  expect(outcome.attempts).toBe(attempts);
  expect(outcome.errors.map((e) => [e.name, e.message])).toEqual(Array(attempts).fill(['InvalidInputError', error]));
  expect(dead).toEqual([expect.objectContaining({ requestPayload: event, responsePayload: { errorType: 'InvalidInputError', errorMessage: error } })]);
  const errors = logLines('ERROR');
  expect(errors.map((l) => [l.message, l.error])).toEqual(
    Array(attempts).fill(['Malformed scan event: failing this invocation; Lambda retries it, then sends it to the dead-letter queue', error]),
  );
  expect(perInvocation('InputsRejected')).toEqual(Array(attempts).fill({ ReportsPublished: 0, ReportsBelowThreshold: 0, ReportsSkipped: 0, InputsRejected: 1, AwsRetries: 0, ...REPORT_LEDGER, ...REPORT_RELEVANCE }));
}

/** The event as EventBridge would hand it to the function, for an entry the rule did not deliver. */
function eventOf(entry: PutEventsRequestEntry): Record<string, unknown> {
  return {
    'version': '0',
    'id': 'a7c2e3f0-0000-4000-8000-000000000001',
    'detail-type': entry.DetailType,
    'source': entry.Source,
    'account': '123456789012',
    'time': new Date().toISOString(),
    'region': 'us-east-1',
    'resources': [],
    ...(entry.Detail === undefined ? {} : { detail: JSON.parse(entry.Detail) }),
  };
}

const deadEvents = async () => (await drainQueue(fixture().sqs, deployment.eventDeadLetterQueueUrl)).map((m) => JSON.parse(m.Body as string));

describe('scan events the rule does not deliver', () => {
  // They never reach the function in a deployment: the rule matches only aws.ecr / ECR Image
  // Scan with a scan-status of COMPLETE or FAILED. Each row also hands the event to the
  // function directly, as a misdirected invocation would, to show what it would do.
  test.each<[string, () => PutEventsRequestEntry, string]>([
    [
      'another source',
      () => ecrEntry(completeDetail(), { Source: 'my.app' }),
      'expected source "aws.ecr" and detail-type "ECR Image Scan"; got my.app / ECR Image Scan',
    ],
    [
      'another detail-type',
      () => ecrEntry(completeDetail(), { DetailType: 'ECR Image Action' }),
      'expected source "aws.ecr" and detail-type "ECR Image Scan"; got aws.ecr / ECR Image Action',
    ],
    [
      'an enhanced-scanning event (Inspector2 Scan)',
      () =>
        ecrEntry(
          completeDetail((d) => {
            d['scan-status'] = 'INITIAL_SCAN_COMPLETE';
            d['repository-name'] = 'arn:aws:ecr:us-east-1:123456789012:repository/shop/web';
          }),
          { Source: 'aws.inspector2', DetailType: 'Inspector2 Scan' },
        ),
      'expected source "aws.ecr" and detail-type "ECR Image Scan"; got aws.inspector2 / Inspector2 Scan',
    ],
    ['a detail without scan-status', () => ecrEntry(completeDetail((d) => delete d['scan-status'])), 'detail.scan-status is missing: undefined'],
    ['an empty detail', () => ecrEntry({}), 'detail.repository-name is not a valid ECR repository name: undefined'],
  ])('%s: never delivered; handed to the function, rejected at each of 3 attempts, then the on-failure queue', async (_label, entry, error) => {
    const outcome = await scanEventThroughRule(entry());

    expect(outcome.deliveries).toEqual([]);
    expect(outcome.requests).toEqual([]);
    expect(logLines()).toEqual([]);

    const event = eventOf(entry());
    const direct = await invokeAsync(fixture().handlers.report, event, 'report', retryAttempts.report);
    expectRejectedEvent(direct, await deadEvents(), event, error);
    expect(await handlerRequests()).toEqual([]);
  });

  test('an event without detail, handed to the function: rejected at each of 3 attempts, then the on-failure queue', async () => {
    // No detail, no scan-status: the rule cannot match it either.
    const event = eventOf({ Source: 'aws.ecr', DetailType: 'ECR Image Scan' });
    expect(event).not.toHaveProperty('detail');

    const outcome = await invokeAsync(fixture().handlers.report, event, 'report', retryAttempts.report);

    expectRejectedEvent(outcome, await deadEvents(), event, 'event detail is missing or not an object: undefined');
    expect(await handlerRequests()).toEqual([]);
  });

  test('an unknown scan-status: never delivered; handed to the function, a logged and counted skip', async () => {
    const entry = ecrEntry(completeDetail((d) => (d['scan-status'] = 'SOMETHING_NEW')));
    const outcome = await scanEventThroughRule(entry);
    expect(outcome.deliveries).toEqual([]);

    const direct = await invokeAsync(fixture().handlers.report, eventOf(entry), 'report', retryAttempts.report);

    // Not an error: a status ECR may add later must not fail the function or be retried.
    expect(direct).toMatchObject({ attempts: 1, result: { published: false, reason: 'unexpected-scan-status' } });
    expect(logLines('WARN')).toEqual([expect.objectContaining({ message: 'No report due', reason: 'unexpected-scan-status', scanStatus: 'SOMETHING_NEW' })]);
    expect(logLines('ERROR')).toEqual([]);
    expect(operations(await handlerRequests())).toEqual([]);
    // Counted (issue 5: "a clear error or a logged, counted skip"): ReportsSkipped, in total and by reason.
    expect(perInvocation('ReportsSkipped')).toEqual([
      { ReportsPublished: 0, ReportsBelowThreshold: 0, ReportsSkipped: 1, InputsRejected: 0, AwsRetries: 0, ...REPORT_LEDGER, ...REPORT_RELEVANCE },
    ]);
    const byReason = emfMetrics(fixture().metricLines()).filter((m) => m.dimensions.reason !== undefined);
    expect(byReason.map((m) => [m.name, m.dimensions.reason, m.value])).toEqual([['ReportsSkipped', 'unexpected-scan-status', 1]]);
  });
});

describe('scan events the rule delivers, rejected by the report function', () => {
  test.each<[string, (d: Record<string, any>) => void, string]>([
    ['image-tags a string', (d) => (d['image-tags'] = 'v1'), 'detail.image-tags must be a list: v1'],
    ['image-tags an object', (d) => (d['image-tags'] = { 0: 'v1' }), 'detail.image-tags must be a list: {"0":"v1"}'],
    ['repository-name missing', (d) => delete d['repository-name'], 'detail.repository-name is not a valid ECR repository name: undefined'],
    ['repository-name of 257 characters', (d) => (d['repository-name'] = `${NAME_256}b`), `detail.repository-name is not a valid ECR repository name: ${`${NAME_256}b`.slice(0, 200)}... (257 characters)`],
    ['a tag as image-digest', (d) => (d['image-digest'] = 'v1'), 'detail.image-digest is not an image digest: v1'],
  ])('%s: the same named error at each of 3 attempts, then the on-failure queue; nothing published', async (_label, change, error) => {
    const outcome = await scanEventThroughRule(ecrEntry(completeDetail(change)));

    expect(outcome.deliveries).toHaveLength(1);
    expectRejectedEvent(outcome.deliveries[0].outcome, outcome.dead, outcome.deliveries[0].event, error);
    expect(outcome.requests).toEqual([]);
  });
});

describe('scan events the rule delivers, accepted by the report function', () => {
  interface Expected {
    readonly published: boolean;
    readonly reason: string;
    readonly subject?: string | RegExp;
    readonly tags?: string[];
    /** The document's `severityCounts`: null for a FAILED scan, which has none. */
    readonly counts?: Record<string, number> | null;
    /** The `ignored` keys of the WARN line about unusable counts. */
    readonly ignored?: string[];
    /** The number of image-tags entries the WARN line about unusable tags counts. */
    readonly ignoredTags?: number;
  }

  const digestRef = () => `shop/web@${web().imageDigest.slice(0, 19)}`;

  test.each<[string, (d: Record<string, any>) => void, () => Expected]>([
    ['image-tags missing', (d) => delete d['image-tags'], () => ({ published: true, reason: 'threshold-reached', subject: `ECR scan: CRITICAL 1 in ${digestRef()}`, tags: [] })],
    ['image-tags []', (d) => (d['image-tags'] = []), () => ({ published: true, reason: 'threshold-reached', subject: `ECR scan: CRITICAL 1 in ${digestRef()}`, tags: [] })],
    ['image-tags null', (d) => (d['image-tags'] = null), () => ({ published: true, reason: 'threshold-reached', subject: `ECR scan: CRITICAL 1 in ${digestRef()}`, tags: [] })],
    [
      'image-tags with non-string and empty entries',
      (d) => (d['image-tags'] = [42, null, '', { tag: 'x' }, 'v1']),
      () => ({ published: true, reason: 'threshold-reached', subject: 'ECR scan: CRITICAL 1 in shop/web:v1', tags: ['v1'], ignoredTags: 4 }),
    ],
    [
      'unknown fields in the detail',
      (d) => Object.assign(d, { 'scan-engine': 'next', 'image-labels': { team: 'a' } }),
      () => ({ published: true, reason: 'threshold-reached', subject: 'ECR scan: CRITICAL 1 in shop/web:v1', tags: ['v1'] }),
    ],
    ['finding-severity-counts missing', (d) => delete d['finding-severity-counts'], () => ({ published: false, reason: 'below-threshold' })],
    ['finding-severity-counts {}', (d) => (d['finding-severity-counts'] = {}), () => ({ published: false, reason: 'below-threshold' })],
    ['finding-severity-counts null', (d) => (d['finding-severity-counts'] = null), () => ({ published: false, reason: 'below-threshold' })],
    ['an unknown severity only', (d) => (d['finding-severity-counts'] = { SEVERE: 4 }), () => ({ published: false, reason: 'below-threshold' })],
    [
      'an unknown severity next to CRITICAL',
      (d) => (d['finding-severity-counts'] = { SEVERE: 4, CRITICAL: 1 }),
      () => ({ published: true, reason: 'threshold-reached', subject: 'ECR scan: CRITICAL 1 in shop/web:v1', counts: { SEVERE: 4, CRITICAL: 1 } }),
    ],
    [
      'a negative count next to a good one',
      (d) => (d['finding-severity-counts'] = { CRITICAL: -1, HIGH: 2 }),
      () => ({ published: true, reason: 'threshold-reached', subject: 'ECR scan: HIGH 2 in shop/web:v1', counts: { HIGH: 2 }, ignored: ['CRITICAL'] }),
    ],
    [
      'a count sent as a string',
      (d) => (d['finding-severity-counts'] = { CRITICAL: '3' }),
      () => ({ published: false, reason: 'below-threshold', ignored: ['CRITICAL'] }),
    ],
    [
      'counts that are not an object',
      (d) => (d['finding-severity-counts'] = ['CRITICAL', 1]),
      () => ({ published: false, reason: 'below-threshold', ignored: ['(not an object)'] }),
    ],
    [
      'a FAILED scan with unusable counts',
      (d) => Object.assign(d, { 'scan-status': 'FAILED', 'finding-severity-counts': 'n/a' }),
      () => ({ published: true, reason: 'scan-failed', subject: 'ECR scan: scan FAILED in shop/web:v1', counts: null, ignored: ['(not an object)'] }),
    ],
  ])('%s', async (_label, change, expectedOf) => {
    const expected = expectedOf();
    const outcome = await scanEventThroughRule(ecrEntry(completeDetail(change)));

    expect(outcome.deliveries).toHaveLength(1);
    const { outcome: invocation } = outcome.deliveries[0];
    // Decided at the first attempt: no retry, nothing in the on-failure queue.
    expect(invocation).toMatchObject({ attempts: 1, result: { published: expected.published, reason: expected.reason } });
    expect(outcome.dead).toEqual([]);
    expect(logLines('ERROR')).toEqual([]);
    const notifications = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
    expect(operations(outcome.requests).filter((o) => o === 'Publish')).toHaveLength(expected.published ? 1 : 0);
    expect(notifications).toHaveLength(expected.published ? 1 : 0);
    expect(perInvocation('InputsRejected')).toEqual([
      { ReportsPublished: expected.published ? 1 : 0, ReportsBelowThreshold: expected.reason === 'below-threshold' ? 1 : 0, ReportsSkipped: 0, InputsRejected: 0, AwsRetries: 0, ...REPORT_LEDGER, ...REPORT_RELEVANCE },
    ]);
    const warnings = logLines('WARN').filter((l) => l.message === 'Ignored severity counts that are not non-negative integers');
    expect(warnings.map((l) => l.ignored)).toEqual(expected.ignored ? [expected.ignored] : []);
    const tagWarnings = logLines('WARN').filter((l) => l.message === 'Ignored image-tags entries that are not non-empty strings');
    expect(tagWarnings.map((l) => l.ignoredTags)).toEqual(expected.ignoredTags ? [expected.ignoredTags] : []);
    if (expected.published) {
      const [notification] = notifications;
      expect(notification.Subject).toEqual(expected.subject);
      const document = JSON.parse(notification.Message);
      if (expected.tags) expect(document.imageTags).toEqual(expected.tags);
      if (expected.counts !== undefined) expect(document.severityCounts).toEqual(expected.counts);
    } else {
      expect(logLines('INFO').find((l) => l.message === 'No report due')).toMatchObject({ reason: expected.reason });
    }
  });

  test('1000 tags of 128 characters: published within the SNS limits, 50 tags listed and the rest counted', async () => {
    const tags = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}-${'t'.repeat(123)}`);
    expect(tags[999]).toHaveLength(128);

    const outcome = await scanEventThroughRule(ecrEntry(completeDetail((d) => (d['image-tags'] = tags))));

    expect(outcome.deliveries.map((d) => [d.outcome.attempts, d.outcome.result])).toEqual([[1, expect.objectContaining({ published: true })]]);
    const publishes = outcome.requests.filter((r) => r.operation === 'Publish');
    expect(publishes).toHaveLength(1);
    expect(Buffer.byteLength(publishes[0].params.Message, 'utf8')).toBeLessThanOrEqual(262_144);
    const [notification] = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
    expect(notification.Subject!.length).toBeLessThanOrEqual(SNS_MAX_SUBJECT_LENGTH);
    const prefix = 'ECR scan: CRITICAL 1 in shop/web:';
    expect(notification.Subject).toBe(`${prefix}${tags[0].slice(0, SNS_MAX_SUBJECT_LENGTH - prefix.length - 3)}...`);
    const document = JSON.parse(notification.Message);
    expect(document.imageTags).toEqual(tags.slice(0, 50));
    expect(document.imageTagsOmitted).toBe(950);
    expect(JSON.parse(publishes[0].params.Message).email).toContain('and 950 more');
    expect(perInvocation('InputsRejected')).toEqual([{ ReportsPublished: 1, ReportsBelowThreshold: 0, ReportsSkipped: 0, InputsRejected: 0, AwsRetries: 0, ...REPORT_LEDGER, ...REPORT_RELEVANCE }]);
  });

  test('non-ASCII tags (emoji, CJK, accents): published; the subject is printable ASCII under 100 characters; the tags reach the subscriber intact', async () => {
    const tags = ['🚀-release', '版本-1.0', 'café'];

    const outcome = await scanEventThroughRule(ecrEntry(completeDetail((d) => (d['image-tags'] = tags))));

    expect(outcome.deliveries.map((d) => d.outcome.result)).toEqual([expect.objectContaining({ published: true })]);
    const [notification] = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
    expect(notification.Subject).toBe('ECR scan: CRITICAL 1 in shop/web:??-release');
    expect(notification.Subject).toMatch(/^[\x20-\x7e]{1,99}$/);
    expect(JSON.parse(notification.Message).imageTags).toEqual(tags);
    const publish = outcome.requests.find((r) => r.operation === 'Publish')!;
    expect(JSON.parse(publish.params.Message).email).toContain('Tags:        🚀-release, 版本-1.0, café');
    expect(perInvocation('InputsRejected')).toEqual([{ ReportsPublished: 1, ReportsBelowThreshold: 0, ReportsSkipped: 0, InputsRejected: 0, AwsRetries: 0, ...REPORT_LEDGER, ...REPORT_RELEVANCE }]);
  });

  test('a repository-name of 256 characters: published, the subject cut to 99 characters', async () => {
    const outcome = await scanEventThroughRule(
      ecrEntry(completeDetail((d) => Object.assign(d, { 'repository-name': NAME_256, 'image-digest': long().imageDigest }))),
    );

    expect(outcome.deliveries.map((d) => d.outcome.result)).toEqual([expect.objectContaining({ published: true, reason: 'threshold-reached' })]);
    const [notification] = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
    expect(notification.Subject).toHaveLength(SNS_MAX_SUBJECT_LENGTH);
    expect(notification.Subject).toMatch(/^ECR scan: CRITICAL 1 in shop\/a+\.\.\.$/);
    expect(JSON.parse(notification.Message).repositoryName).toBe(NAME_256);
    expect(notification.MessageAttributes?.repository).toEqual({ Type: 'String', Value: NAME_256 });
    expect(perInvocation('InputsRejected')).toEqual([{ ReportsPublished: 1, ReportsBelowThreshold: 0, ReportsSkipped: 0, InputsRejected: 0, AwsRetries: 0, ...REPORT_LEDGER, ...REPORT_RELEVANCE }]);
  });
});

// ---------------------------------------------------------------------------------------
// The dispatch function's own continuation.

describe('dispatch events', () => {
  test.each<[string, unknown, string]>([
    ['part 0', { nextToken: 'tok', part: 0 }, 'continuation.part must be a whole number from 1 to 10000: 0'],
    ['part past the last', { nextToken: 'tok', part: 10_001 }, 'continuation.part must be a whole number from 1 to 10000: 10001'],
    ['nextToken empty', { nextToken: '', part: 2 }, 'continuation.nextToken must be a non-empty string: '],
    ['nextToken missing', { part: 2 }, 'dispatch continuation needs nextToken: {"part":2}'],
    ['not an object', 'tok', 'dispatch continuation must be an object: tok'],
  ])('a malformed continuation (%s): rejected at each of 3 attempts, then the on-failure queue; nothing listed or queued', async (_label, continuation, error) => {
    const event = { continuation };

    const outcome = await invokeAsync(fixture().handlers.dispatch, event, 'dispatch', retryAttempts.dispatch);

    expect(retryAttempts.dispatch).toBe(2);
    expect(outcome.attempts).toBe(3);
    expect(outcome.errors.map((e) => [e.name, e.message])).toEqual(Array(3).fill(['InvalidInputError', error]));
    const dead = (await drainQueue(fixture().sqs, deployment.eventDeadLetterQueueUrl)).map((m) => JSON.parse(m.Body as string));
    expect(dead).toEqual([expect.objectContaining({ requestPayload: event, responsePayload: { errorType: 'InvalidInputError', errorMessage: error } })]);
    expect(logLines('ERROR').map((l) => [l.message, l.error])).toEqual(
      Array(3).fill(['Malformed dispatch continuation: failing this invocation; Lambda retries it, then sends it to the dead-letter queue', error]),
    );
    expect(perInvocation('InputsRejected')).toEqual(
      Array(3).fill({
        RepositoriesListed: 0,
        RepositoriesDispatched: 0,
        Continuations: 0,
        InputsRejected: 1,
        AwsRetries: 0,
        AcceptedRisksUnmatched: 0,
        RepositoriesNotCovered: 0,
      }),
    );
    expect(await handlerRequests()).toEqual([]);
    expect(await drainQueue(fixture().sqs, deployment.infrastructure.rescanQueueUrl)).toEqual([]);
    expect(await fixture().emulator.takeInvocations()).toEqual([]);
  });

  test('a continuation with a nextToken ECR does not know: ECR\'s error at each of 3 attempts, then the on-failure queue; nothing queued', async () => {
    const event = { continuation: { nextToken: 'bm90LWEtdG9rZW4=', part: 2 } };

    const outcome = await invokeAsync(fixture().handlers.dispatch, event, 'dispatch', retryAttempts.dispatch);

    expect(outcome.attempts).toBe(3);
    for (const error of outcome.errors) expect(error).toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/nextToken/) });
    const dead = (await drainQueue(fixture().sqs, deployment.eventDeadLetterQueueUrl)).map((m) => JSON.parse(m.Body as string));
    expect(dead).toEqual([expect.objectContaining({ requestPayload: event, responsePayload: expect.objectContaining({ errorType: 'InvalidParameterException' }) })]);
    expect(operations(await handlerRequests()).filter((o) => o !== 'GetRegistryScanningConfiguration')).toEqual(Array(3).fill('DescribeRepositories'));
    expect(await drainQueue(fixture().sqs, deployment.infrastructure.rescanQueueUrl)).toEqual([]);
    expect(perInvocation('InputsRejected').map((m) => m.InputsRejected)).toEqual([0, 0, 0]);
  });

  test.each<[string, unknown]>([
    ['{}', {}],
    ['a string', 'run now'],
    ['a schedule event with extra fields', { 'source': 'aws.events', 'detail-type': 'Scheduled Event', 'detail': { requestedBy: 'ops' }, 'nextToken': 'x' }],
  ])('%s: a full dispatch of the registry', async (_label, event) => {
    const outcome = await invokeAsync(fixture().handlers.dispatch, event, 'dispatch', retryAttempts.dispatch);

    expect(outcome).toMatchObject({ attempts: 1, result: { repositoriesListed: 2, repositoriesSelected: 2, messagesSent: 2 } });
    const queued = (await drainQueue(fixture().sqs, deployment.infrastructure.rescanQueueUrl)).map((m) => JSON.parse(m.Body as string));
    expect(queued.map((b) => b.repositoryName).sort()).toEqual(['shop/web', NAME_256].sort());
    expect(perInvocation('InputsRejected')).toEqual([
      {
        RepositoriesListed: 2,
        RepositoriesDispatched: 2,
        Continuations: 0,
        InputsRejected: 0,
        AwsRetries: 0,
        AcceptedRisksUnmatched: 0,
        RepositoriesNotCovered: 0,
      },
    ]);
  });
});

// ---------------------------------------------------------------------------------------
// Ledger entries the functions cannot use: malformed, or foreign (another schema, another
// item kind, another digest's), or claiming a scan from the future. Each is a logged,
// counted skip: the function acts as if the ledger had no entry (the rescan reads the state
// from ECR, the report counts as a first report), and its next write replaces the entry.

describe('ledger entries the functions cannot use', () => {
  beforeEach(deployFresh);

  const ledgerClient = () => DynamoDBDocumentClient.from(new DynamoDBClient(fixture().emulator.clientConfig()));
  const at = (ms: number) => new Date(Date.now() + ms).toISOString();
  /** A well-formed entry of shop/web:v1 (COMPLETE two days ago), changed by `change`. */
  const entry = (change: Record<string, unknown>): Record<string, unknown> => ({
    ...imageKey('shop/web', web().imageDigest),
    entity: 'image',
    schemaVersion: 1,
    repositoryName: 'shop/web',
    imageDigest: web().imageDigest,
    imageTags: ['v1'],
    scan: { status: 'COMPLETE', observedAt: at(-2 * 86_400_000), source: 'scan-event', completedAt: at(-2 * 86_400_000), severityCounts: {} },
    version: 3,
    ...change,
  });
  const ROWS: [string, Record<string, unknown>, RegExp][] = [
    ['written by a later schema version', { schemaVersion: 2 }, /^schemaVersion is 2; this version of cdk-ecr-scan-reporter reads 1$/],
    ['another kind of item at an image key', { entity: 'summary' }, /^entity is "summary", not "image"$/],
    ['another digest\'s entry under this digest\'s key', { imageDigest: digestOf(99) }, /not the digest it is keyed by$/],
    ['a version that is not a number', { version: 'three' }, /^version is not a whole number: "three"$/],
    ['a scan completed in the future (a "fresh" entry that no ECR answer gave)', { scan: { status: 'COMPLETE', observedAt: at(86_400_000), source: 'scan-event', completedAt: at(86_400_000), severityCounts: {} } }, /^scan.observedAt is in the future/],
    ['a scan that is a string', { scan: 'COMPLETE' }, /^scan is not a map$/],
    // What an image index lists (image-index.ts), as the walk writes it: an entry that claims a bad one says nothing.
    ['an index that names no digest', { index: { digest: 'latest', tags: ['v1'], role: 'attestation' } }, /^index.digest is not a sha256 digest: "latest"$/],
    ['an index role this version does not know', { index: { digest: digestOf(98), tags: ['v1'], role: 'signature' } }, /^index.role is not platform or attestation: "signature"$/],
  ];
  // The walk reads entries without the last report (its projection), so this one only the report function sees.
  const BAD_REPORT: [string, Record<string, unknown>, RegExp] = [
    'a last report whose finding ids are not a list',
    { lastReport: { at: at(-86_400_000), scanKey: 'k', eventId: 'e', reason: 'first-report', findingIds: 'CVE-1', severityCounts: {} } },
    /^lastReport.findingIds is not a list of strings$/,
  ];

  async function putEntry(item: Record<string, unknown>): Promise<void> {
    const client = ledgerClient();
    await client.send(new PutCommand({ TableName: deployment.infrastructure.ledgerTableName, Item: item }));
    client.destroy();
  }

  async function readEntry() {
    const client = ledgerClient();
    const ledger = new Ledger(client, { tableName: deployment.infrastructure.ledgerTableName, ttlSeconds: 90 * 86_400 });
    const read = await ledger.read('shop/web', web().imageDigest, new Date());
    client.destroy();
    return read;
  }

  test.each(ROWS)('%s: the rescan reads the state from ECR, scans what is due, and replaces the entry', async (_label, change, problem) => {
    await putEntry(entry(change));
    const outcome = await rescanMessage(body({ repositoryName: 'shop/web' }));

    expect([outcome.deliveries, outcome.failures, outcome.dead, outcome.left]).toEqual([1, 0, [], []]);
    // ECR says never scanned (the seed), whatever the entry said: read, then scanned.
    expect(outcome.requests.filter((r) => r.operation === 'DescribeImageScanFindings').map((r) => r.params.imageId.imageDigest)).toEqual([web().imageDigest]);
    expect(outcome.requests.filter((r) => r.operation === 'StartImageScan').map((r) => [r.params.imageId.imageDigest, r.status])).toEqual([[web().imageDigest, 200]]);
    const warnings = logLines('WARN').filter((l) => l.message === 'Ledger entry ignored: reading the state from ECR');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ repositoryName: 'shop/web', imageDigest: web().imageDigest, problem: expect.stringMatching(problem) });
    expect(perInvocation('InputsRejected')).toEqual([
      {
        ImagesEvaluated: 1,
        ScansStarted: 1,
        ScansSkipped: 0,
        QuotaHits: 0,
        Continuations: 0,
        InputsRejected: 0,
        AwsRetries: 0,
        ...RESCAN_LEDGER,
        LedgerEntriesIgnored: 1,
      },
    ]);
    expect(logLines('ERROR')).toEqual([]);
    // The walk's write replaced the entry with the scan it started.
    expect((await readEntry()).entry?.scan).toMatchObject({ status: 'IN_PROGRESS', source: 'start-image-scan' });
  });

  test.each([...ROWS, BAD_REPORT])('%s: the report counts as the digest\'s first, is published once, and its record replaces the entry', async (_label, change, problem) => {
    await putEntry(entry(change));
    const outcome = await scanEventThroughRule(ecrEntry(completeDetail()));

    expect(outcome.deliveries.map((d) => [d.outcome.attempts, d.outcome.result])).toEqual([[1, expect.objectContaining({ published: true })]]);
    expect(outcome.dead).toEqual([]);
    expect(await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl)).toHaveLength(1);
    const warnings = logLines('WARN').filter((l) => l.message === 'Ledger entry ignored: deciding as if the ledger had none');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ repositoryName: 'shop/web', problem: expect.stringMatching(problem) });
    expect(perInvocation('InputsRejected')).toEqual([{ ReportsPublished: 1, ReportsBelowThreshold: 0, ReportsSkipped: 0, InputsRejected: 0, AwsRetries: 0, ...REPORT_LEDGER, ...REPORT_RELEVANCE, LedgerEntriesIgnored: 1 }]);
    expect(logLines('ERROR')).toEqual([]);
    const after = await readEntry();
    expect(after.ignored).toBeUndefined();
    expect(after.entry?.lastReport).toMatchObject({ eventId: outcome.deliveries[0].event.id });
  });
});

describe('image index manifests the rescan cannot use', () => {
  beforeEach(deployFresh);

  test('an index whose manifest lists nothing it can read: a logged, counted skip (IndexManifestsUnread), the index skipped, the rest walked', async () => {
    const broken = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: 'none' });
    const put = await fixture().ecr.send(new PutImageCommand({ repositoryName: 'shop/web', imageManifest: broken, imageTag: 'multi' }));
    const index = put.image?.imageId?.imageDigest as string;
    await fixture().emulator.resetRequests();

    const outcome = await rescanMessage(body({ repositoryName: 'shop/web' }));

    expect([outcome.deliveries, outcome.failures, outcome.dead, outcome.left]).toEqual([1, 0, [], []]);
    expect(outcome.requests.filter((r) => r.operation === 'BatchGetImage').map((r) => r.params.imageIds)).toEqual([[{ imageDigest: index }]]);
    expect(outcome.requests.filter((r) => r.operation === 'StartImageScan').map((r) => r.params.imageId.imageDigest)).toEqual([web().imageDigest]);
    const warnings = logLines('WARN').filter((l) => l.message === 'Index manifest unreadable: its manifests are taken for images');
    expect(warnings).toEqual([expect.objectContaining({ repositoryName: 'shop/web', imageDigest: index, problem: 'the manifest has no manifests list' })]);
    expect(perInvocation('InputsRejected')).toEqual([
      {
        ImagesEvaluated: 2,
        ScansStarted: 1,
        ScansSkipped: 1,
        QuotaHits: 0,
        Continuations: 0,
        InputsRejected: 0,
        AwsRetries: 0,
        ...RESCAN_LEDGER,
        IndexManifestsUnread: 1,
      },
    ]);
    const byReason = emfMetrics(fixture().metricLines()).filter((m) => m.dimensions.reason !== undefined);
    expect(byReason.map((m) => [m.name, m.dimensions.reason, m.value])).toEqual([['ScansSkipped', 'image-index', 1]]);
    expect(logLines('ERROR')).toEqual([]);
  });
});
