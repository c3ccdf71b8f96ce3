/**
 * The discover handler with every client mocked (ECS, Lambda, ECR, the ledger's document client)
 * and the clock held: input rejected before any call, what it writes and in which order, how it
 * hands over to an invocation of itself when out of time, and its metrics. Against moto:
 * test/e2e/relevance.e2e.ts.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { AccessDeniedException, ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { InvalidInputError, MAX_CONTINUATION_PARTS, parseDiscoverEvent } from '../../src/decisions/inputs';
import { discoveryKey, imageKey } from '../../src/decisions/ledger';
import { ACCOUNT, D, HOST, REGION, World, clusterArn, serveWorld } from '../aws/discovery-world';
import { LogCapture, captureLogs, fakeContext, invocationMetrics, loadEventFixture, sdkMetadata } from '../aws/helpers';

// What the construct sets (src/decisions/settings.ts ENV), before the handler module loads.
process.env.AWS_REGION = REGION;
process.env.POWERTOOLS_SERVICE_NAME = 'ecr-scan-reporter';
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

const TABLE = 'EcrScanReporter-Ledger-1ABC';
const BASE_ENV = { ...process.env };
const FUNCTION_NAME = 'EcrScanReporter-DiscoverFunction';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION_NAME}`;
const NOW = new Date('2026-12-01T03:00:00.000Z');
/** When the writes are done in the tests that let time pass. */
const LATER = new Date('2026-12-01T03:04:00.000Z');
/** NOW in epoch seconds. */
const NOW_S = 1_796_094_000;
/** The ledger's TTL with the default scan expiry (7 days): 90 days. */
const TTL_SECONDS = 90 * 86_400;

const ecsMock = mockClient(ECSClient);
const lambdaMock = mockClient(LambdaClient);
const ecrMock = mockClient(ECRClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);

type HandlerModule = typeof import('../../src/lambda/discover.lambda');
let handler: HandlerModule['handler'];
let logs: LogCapture;
/** The requests that write, in order, across the ledger and Lambda. */
let writes: string[];

beforeAll(() => {
  // Loaded after the environment above is set: the module creates its logger and clients at load.
  ({ handler } = jest.requireActual<HandlerModule>('../../src/lambda/discover.lambda'));
});

/** A context with `ms` left: 1 second or less leaves nothing after the 1-second minimum reserve. */
function context(ms = 60_000, invokedFunctionArn = FUNCTION_ARN): Context {
  return { ...fakeContext(FUNCTION_NAME), invokedFunctionArn, getRemainingTimeInMillis: () => ms };
}

/** Two clusters (a service of two tasks; a task outside a service) and a page of functions. */
const WORLD: World = {
  clusterPages: [['prod', 'jobs']],
  clusters: {
    prod: {
      servicePages: [[{ name: 'api', taskDefinition: 'api:3' }]],
      taskPages: [
        [
          { id: 't1', group: 'service:api', taskDefinition: 'api:3', containers: [{ image: `${HOST}/team-a/api:v1`, imageDigest: D(1) }] },
          { id: 't2', group: 'service:api', taskDefinition: 'api:3', containers: [{ image: `${HOST}/team-a/api:v1`, imageDigest: D(1) }] },
        ],
      ],
    },
    jobs: { taskPages: [[{ id: 't3', group: 'family:batch', taskDefinition: 'batch:4', containers: [{ image: `${HOST}/team-b/batch`, imageDigest: D(2) }] }]] },
  },
  taskDefinitions: { 'api:3': [`${HOST}/team-a/api:v1`] },
  tags: { 'team-a/api:v1': D(1) },
  functionPages: [
    [
      { name: 'resize', packageType: 'Image', code: { ResolvedImageUri: `${HOST}/team-a/resize@${D(3)}` } },
      { name: 'legacy', packageType: 'Zip' },
    ],
  ],
};

const LAST_MARKER = { ...discoveryKey(), entity: 'discovery', startedAt: '2026-11-30T03:00:00.000Z', completedAt: '2026-11-30T03:10:00.000Z', inUseDigests: 2 };

beforeEach(() => {
  // Only Date is held: the SDK mocks and Powertools still need real timers.
  jest.useFakeTimers({
    now: NOW,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  process.env = { ...BASE_ENV, LEDGER_TABLE_NAME: TABLE, IN_USE_DISCOVERY: 'true' };
  ecsMock.reset();
  lambdaMock.reset();
  ecrMock.reset();
  ledgerMock.reset();
  writes = [];
  serveWorld(WORLD, { ecs: ecsMock, lambda: lambdaMock, ecr: ecrMock });
  lambdaMock.on(InvokeCommand).callsFake(async () => {
    writes.push('Invoke');
    return { StatusCode: 202 };
  });
  ledgerMock.on(GetCommand).resolves({ Item: LAST_MARKER });
  ledgerMock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
  ledgerMock.on(UpdateCommand).callsFake(async (input: { Key: { pk: string } }) => {
    writes.push(`Update ${input.Key.pk}`);
    return {};
  });
  ledgerMock.on(PutCommand).callsFake(async (input: { Item: { pk: string } }) => {
    writes.push(`Put ${input.Item.pk}`);
    return {};
  });
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  jest.useRealTimers();
  process.env = { ...BASE_ENV };
});

const scheduled = () => loadEventFixture('eventbridge-scheduled-event.json');
const placeWrites = () => ledgerMock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
const markerWrites = () => ledgerMock.commandCalls(PutCommand).map((c) => c.args[0].input);
const invocations = () => lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input);
const placesWritten = () =>
  Object.fromEntries(placeWrites().map((input) => [input.Key!.pk as string, (input.ExpressionAttributeValues![':inUse'] as { places: Record<string, unknown> }).places]));
const noAwsCall = () => {
  expect(ecsMock.calls()).toHaveLength(0);
  expect(lambdaMock.calls()).toHaveLength(0);
  expect(ecrMock.calls()).toHaveLength(0);
  expect(ledgerMock.calls()).toHaveLength(0);
};

describe('a malformed continuation', () => {
  const valid = { part: 2, startedAt: '2026-12-01T02:00:00.000Z', phase: 'ecs' };
  test.each<[string, unknown, string]>([
    ['not an object', 'ecs', 'discovery continuation must be an object: ecs'],
    ['part 0', { ...valid, part: 0 }, 'continuation.part must be a whole number from 1 to 10000: 0'],
    ['startedAt missing', { ...valid, startedAt: undefined }, 'continuation.startedAt must be an ISO-8601 time: undefined'],
    ['startedAt an impossible time', { ...valid, startedAt: '2026-13-01T00:00:00Z' }, 'continuation.startedAt must be an ISO-8601 time: 2026-13-01T00:00:00Z'],
    ['phase unknown', { ...valid, phase: 'eks' }, 'continuation.phase must be "ecs" or "lambda": eks'],
    ['pendingClusters holding a number', { ...valid, pendingClusters: [1] }, 'continuation.pendingClusters must be a list of at most 100 cluster ARNs: [1]'],
    ['clustersListed a string', { ...valid, clustersListed: 'true' }, 'continuation.clustersListed must be a boolean: true'],
    ['clustersToken empty', { ...valid, clustersToken: '' }, 'continuation.clustersToken must be a non-empty string: '],
    ['functionsMarker an object', { ...valid, phase: 'lambda', functionsMarker: { marker: 'x' } }, 'continuation.functionsMarker must be a non-empty string: {"marker":"x"}'],
  ])('%s: rejected before any AWS call, logged, counted and thrown', async (_label, continuation, message) => {
    const error = await handler({ continuation }, context()).then(
      () => undefined,
      (e: Error) => e,
    );

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error?.message).toBe(message);
    noAwsCall();
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'Malformed discovery continuation: failing this invocation; Lambda retries it, then sends it to the dead-letter queue',
      error: message,
    });
    expect(invocationMetrics(logs.metricLines())).toEqual({ InUseDigests: 0, WorkloadsRead: 0, Continuations: 0, InputsRejected: 1, AwsRetries: 0 });
  });
});

describe('a discovery in one invocation', () => {
  test('writes the merged places of each digest seen, then the marker; its counts in the result', async () => {
    // The writes take time: the marker's end is when they are done.
    ledgerMock.on(UpdateCommand).callsFake(async (input: { Key: { pk: string } }) => {
      writes.push(`Update ${input.Key.pk}`);
      jest.setSystemTime(LATER);
      return {};
    });
    ledgerMock.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [
          {
            ...imageKey('team-a/api', D(1)),
            inUse: {
              places: {
                // Seen by the last discovery: replaced by what this one saw.
                'ecs-service:prod/api': { kind: 'ecs-service', name: 'api', cluster: 'prod', count: 5, seenAt: '2026-11-30T03:05:00.000Z' },
                // Seen by the last discovery only: kept until the next completes.
                'lambda:api-canary': { kind: 'lambda', name: 'api-canary', seenAt: '2026-11-30T03:06:00.000Z' },
                // Older than the last discovery's start: dropped.
                'ecs-service:old/api': { kind: 'ecs-service', name: 'api', cluster: 'old', count: 1, seenAt: '2026-11-29T03:05:00.000Z' },
              },
            },
          },
        ],
      },
    });

    const result = await handler(scheduled(), context());

    expect(result).toEqual({
      inUseDigests: 3,
      clusters: 2,
      services: 1,
      tasks: 3,
      functions: 1,
      imagesElsewhere: 0,
      completedAt: LATER.toISOString(),
    });
    expect(ledgerMock.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([{ TableName: TABLE, Key: discoveryKey() }]);
    const keys = ledgerMock.commandCalls(BatchGetCommand).flatMap((c) => c.args[0].input.RequestItems![TABLE].Keys!.map((k) => k.pk));
    expect([...keys].sort()).toEqual([imageKey('team-a/api', D(1)).pk, imageKey('team-a/resize', D(3)).pk, imageKey('team-b/batch', D(2)).pk]);
    expect(placesWritten()).toEqual({
      [imageKey('team-a/api', D(1)).pk]: {
        'ecs-service:prod/api': { kind: 'ecs-service', name: 'api', cluster: 'prod', count: 2, seenAt: NOW.toISOString() },
        'lambda:api-canary': { kind: 'lambda', name: 'api-canary', seenAt: '2026-11-30T03:06:00.000Z' },
      },
      [imageKey('team-b/batch', D(2)).pk]: { 'ecs-task:jobs/batch': { kind: 'ecs-task', name: 'batch', cluster: 'jobs', count: 1, seenAt: NOW.toISOString() } },
      [imageKey('team-a/resize', D(3)).pk]: { 'lambda:resize': { kind: 'lambda', name: 'resize', seenAt: NOW.toISOString() } },
    });
    // The places' TTL runs from the walk; the marker's from its completion.
    for (const input of placeWrites()) expect(input.ExpressionAttributeValues![':ttl']).toBe(NOW_S + TTL_SECONDS);
    expect(writes.slice(0, 3).every((w) => w.startsWith('Update image#'))).toBe(true);
    expect(writes).toHaveLength(4);
    expect(writes[3]).toBe('Put discovery');
    expect(markerWrites()).toEqual([
      {
        TableName: TABLE,
        Item: {
          pk: 'discovery',
          sk: 'in-use',
          entity: 'discovery',
          startedAt: NOW.toISOString(),
          completedAt: LATER.toISOString(),
          expiresAt: NOW_S + 4 * 60 + TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(#startedAt) OR #startedAt <= :startedAt',
        ExpressionAttributeNames: { '#startedAt': 'startedAt' },
        ExpressionAttributeValues: { ':startedAt': NOW.toISOString() },
      },
    ]);
    expect(lambdaMock).toHaveReceivedCommandTimes(InvokeCommand, 0);
    const finished = logs.lines().filter((l) => l.message === 'Discovery finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ level: 'INFO', inUseDigests: 3, clusters: 2, tasks: 3, functions: 1, startedAt: NOW.toISOString(), function_name: FUNCTION_NAME });
  });

  test('metrics: digests, workloads (tasks and functions), no continuation, nothing rejected, in the namespace EcrScanReporter', async () => {
    await handler(scheduled(), context());

    expect(invocationMetrics(logs.metricLines())).toEqual({ InUseDigests: 3, WorkloadsRead: 4, Continuations: 0, InputsRejected: 0, AwsRetries: 0 });
    expect(logs.metricLines()).toHaveLength(1);
    expect(logs.metricLines()[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'EcrScanReporter', Dimensions: [['service']] }] },
      service: 'ecr-scan-reporter',
    });
  });

  test('the registry\'s account is the one of the context\'s invokedFunctionArn; its region AWS_REGION', async () => {
    const other = '210987654321';
    serveWorld(
      {
        ...WORLD,
        clusterPages: [['prod']],
        clusters: {
          prod: {
            taskPages: [
              [
                {
                  id: 't1',
                  group: 'service:api',
                  taskDefinition: 'api:3',
                  containers: [
                    { image: `${other}.dkr.ecr.${REGION}.amazonaws.com/team-a/api:v1`, imageDigest: D(7) },
                    { image: `${HOST}/team-a/api:v1`, imageDigest: D(1) },
                    { image: `${other}.dkr.ecr.us-east-1.amazonaws.com/team-a/api:v1`, imageDigest: D(8) },
                  ],
                },
              ],
            ],
          },
        },
        functionPages: [[]],
      },
      { ecs: ecsMock, lambda: lambdaMock, ecr: ecrMock },
    );

    // An ARN of another region: the function's region is AWS_REGION all the same.
    const result = await handler(scheduled(), context(60_000, `arn:aws:lambda:us-east-1:${other}:function:${FUNCTION_NAME}`));

    expect(result).toMatchObject({ inUseDigests: 1, tasks: 1, imagesElsewhere: 2 });
    expect(Object.keys(placesWritten())).toEqual([imageKey('team-a/api', D(7)).pk]);
  });

  test('a walk that fails: no places, no marker, the error thrown, metrics published', async () => {
    ecsMock.on(ListClustersCommand).rejects(new AccessDeniedException({ message: 'not authorized to perform: ecs:ListClusters', $metadata: sdkMetadata }));

    await expect(handler(scheduled(), context())).rejects.toMatchObject({ name: 'AccessDeniedException' });

    expect(writes).toEqual([]);
    expect(invocationMetrics(logs.metricLines())).toEqual({ InUseDigests: 0, WorkloadsRead: 0, Continuations: 0, InputsRejected: 0, AwsRetries: 0 });
  });

  test('no Lambda context: an error naming it, before any ECS or Lambda call', async () => {
    await expect(handler(scheduled())).rejects.toThrow('discovery needs a Lambda context whose invokedFunctionArn names the account');

    expect(ecsMock.calls()).toHaveLength(0);
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(writes).toEqual([]);
  });

  test('a context whose ARN names no account: the same error', async () => {
    await expect(handler(scheduled(), context(60_000, 'arn:aws:lambda:eu-west-1::function:x'))).rejects.toThrow(
      'discovery needs a Lambda context whose invokedFunctionArn names the account',
    );
    expect(ecsMock.calls()).toHaveLength(0);
  });
});

describe('out of time', () => {
  test('writes what it saw, invokes itself asynchronously with the position, startedAt and part 1, and writes no marker', async () => {
    const result = await handler(scheduled(), context(1000));

    // The first cluster is always walked; the budget is spent before the second.
    expect(result).toEqual({ inUseDigests: 1, clusters: 1, services: 1, tasks: 2, functions: 0, imagesElsewhere: 0, continuedInPart: 1 });
    expect(Object.keys(placesWritten())).toEqual([imageKey('team-a/api', D(1)).pk]);
    expect(writes).toEqual([`Update ${imageKey('team-a/api', D(1)).pk}`, 'Invoke']);
    expect(markerWrites()).toEqual([]);
    expect(invocations()).toHaveLength(1);
    const [invocation] = invocations();
    expect(invocation).toMatchObject({ FunctionName: FUNCTION_ARN, InvocationType: 'Event' });
    const payload = JSON.parse(invocation.Payload as string);
    expect(payload).toEqual({
      continuation: { phase: 'ecs', pendingClusters: [clusterArn('jobs')], clustersListed: true, startedAt: NOW.toISOString(), part: 1 },
    });
    // What the next invocation reads from it.
    expect(parseDiscoverEvent(payload)).toEqual({ phase: 'ecs', pendingClusters: [clusterArn('jobs')], clustersListed: true, startedAt: NOW, part: 1 });
    expect(logs.lines().find((l) => l.message === 'Discovery continues in another invocation: the time budget is spent')).toMatchObject({
      level: 'INFO',
      part: 1,
      inUseDigests: 1,
    });
    expect(invocationMetrics(logs.metricLines())).toEqual({ InUseDigests: 1, WorkloadsRead: 2, Continuations: 1, InputsRejected: 0, AwsRetries: 0 });
  });

  test('a continuation resumes where the last left off, carries its startedAt and continues in part + 1', async () => {
    const startedAt = '2026-12-01T02:00:00.000Z';
    const result = await handler({ continuation: { part: 4, startedAt, phase: 'ecs', pendingClusters: [clusterArn('prod'), clusterArn('jobs')], clustersListed: true } }, context(1000));

    expect(ecsMock).toHaveReceivedCommandTimes(ListClustersCommand, 0);
    expect(result.continuedInPart).toBe(5);
    expect(JSON.parse(invocations()[0].Payload as string)).toEqual({
      continuation: { phase: 'ecs', pendingClusters: [clusterArn('jobs')], clustersListed: true, startedAt, part: 5 },
    });
    // The continuation's part is on its log lines.
    expect(logs.lines().find((l) => l.message.startsWith('Discovery continues'))).toMatchObject({ part: 5 });
  });

  test('the last part finishes the discovery: the marker has the first part\'s startedAt', async () => {
    const startedAt = '2026-12-01T02:00:00.000Z';
    const result = await handler({ continuation: { part: 3, startedAt, phase: 'lambda' } }, context());

    expect(ecsMock.calls()).toHaveLength(0);
    expect(lambdaMock.commandCalls(ListFunctionsCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined]);
    expect(result).toEqual({ inUseDigests: 1, clusters: 0, services: 0, tasks: 0, functions: 1, imagesElsewhere: 0, completedAt: NOW.toISOString() });
    expect(markerWrites().map((m) => [m.Item, m.ExpressionAttributeValues])).toEqual([
      [
        { pk: 'discovery', sk: 'in-use', entity: 'discovery', startedAt, completedAt: NOW.toISOString(), expiresAt: NOW_S + TTL_SECONDS },
        { ':startedAt': startedAt },
      ],
    ]);
    expect(logs.lines().find((l) => l.message === 'Discovery finished')).toMatchObject({ startedAt, part: 3 });
    expect(invocationMetrics(logs.metricLines())).toEqual({ InUseDigests: 1, WorkloadsRead: 1, Continuations: 0, InputsRejected: 0, AwsRetries: 0 });
  });

  test('a continuation\'s part is not on the lines of the next invocation, which is not one', async () => {
    await handler({ continuation: { part: 3, startedAt: '2026-12-01T02:00:00.000Z', phase: 'lambda' } }, context());
    logs.restore();
    logs = captureLogs();

    await handler(scheduled(), context());

    const finished = logs.lines().find((l) => l.message === 'Discovery finished');
    expect(finished).toMatchObject({ startedAt: NOW.toISOString() });
    expect(finished).not.toHaveProperty('part');
  });

  test(`part ${MAX_CONTINUATION_PARTS} still not done: an error instead of another invocation, and no marker`, async () => {
    await expect(
      handler({ continuation: { part: MAX_CONTINUATION_PARTS, startedAt: '2026-12-01T02:00:00.000Z', phase: 'ecs', pendingClusters: [clusterArn('prod'), clusterArn('jobs')] } }, context(1000)),
    ).rejects.toThrow(`discovery reached ${MAX_CONTINUATION_PARTS} parts without finishing`);

    expect(lambdaMock).toHaveReceivedCommandTimes(InvokeCommand, 0);
    expect(markerWrites()).toEqual([]);
    // What it saw is written all the same.
    expect(Object.keys(placesWritten())).toEqual([imageKey('team-a/api', D(1)).pk]);
  });

  test('an invocation that fails fails the discovery (Lambda retries it); not counted as a continuation', async () => {
    lambdaMock.on(InvokeCommand).rejects(Object.assign(new Error('not authorized to perform: lambda:InvokeFunction'), { name: 'AccessDeniedException' }));

    await expect(handler(scheduled(), context(1000))).rejects.toMatchObject({ name: 'AccessDeniedException' });

    expect(markerWrites()).toEqual([]);
    expect(invocationMetrics(logs.metricLines())).toEqual({ InUseDigests: 1, WorkloadsRead: 2, Continuations: 0, InputsRejected: 0, AwsRetries: 0 });
  });
});
