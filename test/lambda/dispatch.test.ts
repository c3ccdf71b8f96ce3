import {
  BatchGetRepositoryScanningConfigurationCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoriesCommandOutput,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient, SendMessageBatchCommand, SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { InvalidInputError, MAX_CONTINUATION_PARTS } from '../../src/decisions/inputs';
import {
  LogCapture,
  captureLogs,
  fakeContext,
  invocationMetrics,
  loadEventFixture,
  loadSdkFixture,
  paginatedFake,
  serviceError,
} from '../aws/helpers';

// What the construct sets (src/decisions/settings.ts ENV), before the handler module loads.
process.env.AWS_REGION = 'us-east-1';
process.env.POWERTOOLS_SERVICE_NAME = 'ecr-scan-reporter';
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/EcrScanReporter-RescanQueue-6Yb2kQpLx0aV';
const BASE_ENV = { ...process.env };

const ecrMock = mockClient(ECRClient);
const sqsMock = mockClient(SQSClient);
const lambdaMock = mockClient(LambdaClient);

type HandlerModule = typeof import('../../src/lambda/dispatch.lambda');
let handler: HandlerModule['handler'];
let logs: LogCapture;
/** The DescribeRepositories fake of the current test; `inputs` holds a copy of each request. */
let listing: ReturnType<typeof paginatedFake<DescribeRepositoriesCommandOutput>>;

beforeAll(() => {
  // Loaded after the environment above is set: the module creates its logger and clients at load.
  ({ handler } = jest.requireActual<HandlerModule>('../../src/lambda/dispatch.lambda'));
});

beforeEach(() => {
  process.env = { ...BASE_ENV, RESCAN_QUEUE_URL: QUEUE_URL, REPOSITORY_PATTERN: '^team-a/', EXCLUDE_PATTERN: '-sandbox$' };
  ecrMock.reset();
  sqsMock.reset();
  lambdaMock.reset();
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202 });
  ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-basic.json'));
  const pages = loadSdkFixture<DescribeRepositoriesCommandOutput[]>('describe-repositories-pages.json');
  listing = paginatedFake(pages);
  ecrMock.on(DescribeRepositoriesCommand).callsFake(listing.fake);
  sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
    Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}`, MD5OfMessageBody: '0'.repeat(32) })),
    Failed: [],
  }));
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  process.env = { ...BASE_ENV };
});

const event = () => loadEventFixture('eventbridge-scheduled-event.json');
const sentBodies = () =>
  sqsMock.commandCalls(SendMessageBatchCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.MessageBody as string)));

describe('dispatch handler', () => {
  test('lists repositories across pages and sends one message per selected repository, in batches of 10', async () => {
    const result = await handler(event(), fakeContext('EcrScanReporter-DispatchFunction'));

    expect(result).toEqual({ registryScanType: 'BASIC', repositoriesListed: 21, repositoriesSelected: 16, messagesSent: 16 });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 3);
    const batches = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    // Page 1 selects 12 (10 + 2), page 2 selects 3, page 3 selects 1.
    expect(batches.map((b) => b.Entries?.length)).toEqual([10, 2, 3, 1]);
    for (const batch of batches) expect(batch.QueueUrl).toBe(QUEUE_URL);
    expect(sentBodies()).toEqual([
      ...Array.from({ length: 12 }, (_, i) => ({ repositoryName: `team-a/service-${String(i + 1).padStart(2, '0')}` })),
      { repositoryName: 'team-a/worker-01' },
      { repositoryName: 'team-a/worker-02' },
      { repositoryName: 'team-a/worker-03' },
      { repositoryName: 'team-a/batch' },
    ]);
    // The body is exactly {"repositoryName": ...}, nothing else.
    const first = sqsMock.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries?.[0].MessageBody;
    expect(first).toBe('{"repositoryName":"team-a/service-01"}');
  });

  test('without patterns every repository is dispatched', async () => {
    delete process.env.REPOSITORY_PATTERN;
    delete process.env.EXCLUDE_PATTERN;

    const result = await handler(event(), fakeContext('EcrScanReporter-DispatchFunction'));

    expect(result).toEqual({ registryScanType: 'BASIC', repositoriesListed: 21, repositoriesSelected: 21, messagesSent: 21 });
    expect(sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([10, 4, 5, 2]);
    expect(sentBodies()).toContainEqual({ repositoryName: 'team-a/demo-sandbox' });
    expect(sentBodies()).toContainEqual({ repositoryName: 'tools/ci-runner' });
  });

  test('the exclude pattern wins over the repository pattern', async () => {
    process.env.EXCLUDE_PATTERN = '^team-a/service-|sandbox';
    const result = await handler(event(), fakeContext('EcrScanReporter-DispatchFunction'));
    expect(result.repositoriesSelected).toBe(4);
    expect(sentBodies()).toEqual([
      { repositoryName: 'team-a/worker-01' },
      { repositoryName: 'team-a/worker-02' },
      { repositoryName: 'team-a/worker-03' },
      { repositoryName: 'team-a/batch' },
    ]);
  });

  test('a page with no selected repository sends no empty batch', async () => {
    process.env.REPOSITORY_PATTERN = '^tools/';
    const result = await handler(event(), fakeContext('EcrScanReporter-DispatchFunction'));
    expect(result).toEqual({ registryScanType: 'BASIC', repositoriesListed: 21, repositoriesSelected: 1, messagesSent: 1 });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
    for (const call of sqsMock.commandCalls(SendMessageBatchCommand)) expect(call.args[0].input.Entries?.length).toBeGreaterThan(0);
  });

  test('an ENHANCED registry names and counts the selected repositories no scanning filter covers, 25 per call, and queues the covered ones for the coverage walk', async () => {
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-enhanced.json'));
    const notCovered = ['team-a/worker-02', 'team-a/worker-03'];
    ecrMock.on(BatchGetRepositoryScanningConfigurationCommand).callsFake(async (input: { repositoryNames?: string[] }) => {
      if ((input.repositoryNames ?? []).length > 25) throw new Error('at most 25 names per call');
      return {
        scanningConfigurations: (input.repositoryNames ?? []).map((repositoryName) =>
          notCovered.includes(repositoryName)
            ? { repositoryName, scanFrequency: 'MANUAL', appliedScanFilters: [] }
            : { repositoryName, scanFrequency: 'CONTINUOUS_SCAN', appliedScanFilters: [{ filter: '*', filterType: 'WILDCARD' }] },
        ),
        failures: [],
      };
    });

    const result = await handler(event(), fakeContext('EcrScanReporter-DispatchFunction'));

    expect(result).toEqual({ registryScanType: 'ENHANCED', repositoriesListed: 21, repositoriesSelected: 16, messagesSent: 14, repositoriesNotCovered: 2 });
    const queued = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.MessageBody as string).repositoryName));
    expect(queued).toHaveLength(14);
    for (const name of notCovered) expect(queued).not.toContain(name);
    const asked = ecrMock.commandCalls(BatchGetRepositoryScanningConfigurationCommand).flatMap((c) => c.args[0].input.repositoryNames ?? []);
    // Only the selected repositories are asked about, each once.
    expect(asked).toHaveLength(16);
    expect(new Set(asked).size).toBe(16);
    expect(logs.lines().filter((l) => l.level === 'WARN' && /^The registry uses enhanced scanning/.test(l.message))).toHaveLength(1);
    const named = logs.lines().filter((l) => l.message.startsWith('Repositories not covered')).flatMap((l) => l.repositories as string[]);
    expect(named.sort()).toEqual(notCovered);
    expect(invocationMetrics(logs.metricLines())).toMatchObject({ RepositoriesNotCovered: 2, RepositoriesDispatched: 14 });
  });

  test('a missing RESCAN_QUEUE_URL throws a clear error before any AWS call', async () => {
    delete process.env.RESCAN_QUEUE_URL;

    await expect(handler(event(), fakeContext('EcrScanReporter-DispatchFunction'))).rejects.toThrow(
      'environment variable RESCAN_QUEUE_URL is not set; it is set by the EcrScanReporter construct',
    );
    expect(ecrMock.calls()).toHaveLength(0);
    expect(sqsMock.calls()).toHaveLength(0);
  });

  test('an invalid pattern throws before any AWS call', async () => {
    process.env.REPOSITORY_PATTERN = '^team-(a';
    await expect(handler(event(), fakeContext('EcrScanReporter-DispatchFunction'))).rejects.toThrow(/repositoryPattern is not a valid JavaScript regular expression/);
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('messages that cannot be sent fail the invocation', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
      Successful: [],
      Failed: (input.Entries ?? []).map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'Service unavailable' })),
    }));
    await expect(handler(event(), fakeContext('EcrScanReporter-DispatchFunction'))).rejects.toThrow(/10 of 12 messages could not be sent/);
  });

  test('a DescribeRepositories error fails the invocation', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(serviceError('AccessDeniedException', 'not authorized to perform: ecr:DescribeRepositories'));
    await expect(handler(event(), fakeContext('EcrScanReporter-DispatchFunction'))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });

  test('logs the counts as one structured line', async () => {
    await handler(event(), fakeContext('EcrScanReporter-DispatchFunction'));
    const finished = logs.lines().filter((l) => l.message === 'Dispatch finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({
      level: 'INFO',
      registryScanType: 'BASIC',
      repositoriesListed: 21,
      repositoriesSelected: 16,
      messagesSent: 16,
      function_name: 'EcrScanReporter-DispatchFunction',
    });
  });

  test('works without a context', async () => {
    const result = await handler(event());
    expect(result.messagesSent).toBe(16);
  });
});

const FUNCTION_NAME = 'EcrScanReporter-DispatchFunction';
const PAGES = loadSdkFixture<DescribeRepositoriesCommandOutput[]>('describe-repositories-pages.json');
const [TOKEN_1, TOKEN_2] = PAGES.map((p) => p.nextToken);

/** A context with `ms` left: 1 second or less leaves nothing after the 1-second minimum reserve. */
function contextWithRemaining(ms: number): Context {
  return { ...fakeContext(FUNCTION_NAME), getRemainingTimeInMillis: () => ms };
}

const invocations = () => lambdaMock.commandCalls(InvokeCommand).map((c) => c.args[0].input);

describe('dispatch handler under a time budget', () => {
  test('budget spent with a page left: exactly one asynchronous invocation of itself with the next page\'s token, part 1', async () => {
    const context = contextWithRemaining(1000);

    const result = await handler(event(), context);

    // Page 1 was listed and its 12 selected repositories sent; nothing after it.
    expect(result).toEqual({ registryScanType: 'BASIC', repositoriesListed: 14, repositoriesSelected: 12, messagesSent: 12, continuedInPart: 1 });
    expect(listing.inputs.map((i) => i.nextToken)).toEqual([undefined]);
    expect(sentBodies()).toHaveLength(12);
    expect(invocations()).toEqual([
      {
        FunctionName: context.invokedFunctionArn,
        InvocationType: 'Event',
        Payload: JSON.stringify({ continuation: { nextToken: TOKEN_1, part: 1 } }),
      },
    ]);
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:123456789012:function:EcrScanReporter-DispatchFunction');
    const line = logs.lines().find((l) => l.message.startsWith('Dispatch continues in another invocation'));
    expect(line).toMatchObject({ level: 'INFO', continuedInPart: 1, messagesSent: 12 });
  });

  test('a continuation event starts from its token and continues in part + 1', async () => {
    const result = await handler({ continuation: { nextToken: TOKEN_1, part: 4 } }, contextWithRemaining(1000));

    expect(listing.inputs.map((i) => i.nextToken)).toEqual([TOKEN_1]);
    expect(result).toEqual({ registryScanType: 'BASIC', repositoriesListed: 5, repositoriesSelected: 3, messagesSent: 3, continuedInPart: 5 });
    expect(sentBodies()).toEqual([{ repositoryName: 'team-a/worker-01' }, { repositoryName: 'team-a/worker-02' }, { repositoryName: 'team-a/worker-03' }]);
    expect(invocations().map((i) => JSON.parse(i.Payload as string))).toEqual([{ continuation: { nextToken: TOKEN_2, part: 5 } }]);
    // The continuation's part is on its log lines.
    expect(logs.lines().find((l) => l.message.startsWith('Dispatch continues'))).toMatchObject({ part: 4 });
  });

  test('a continuation with time enough finishes the listing without invoking anything', async () => {
    const result = await handler({ continuation: { nextToken: TOKEN_1, part: 1 } }, fakeContext(FUNCTION_NAME));

    expect(listing.inputs.map((i) => i.nextToken)).toEqual([TOKEN_1, TOKEN_2]);
    expect(result).toEqual({ registryScanType: 'BASIC', repositoriesListed: 7, repositoriesSelected: 4, messagesSent: 4 });
    expect(lambdaMock).toHaveReceivedCommandTimes(InvokeCommand, 0);
  });

  test('budget spent on the last page: no invocation, the dispatch is finished', async () => {
    const result = await handler({ continuation: { nextToken: TOKEN_2, part: 2 } }, contextWithRemaining(1000));

    expect(result).toEqual({ registryScanType: 'BASIC', repositoriesListed: 2, repositoriesSelected: 1, messagesSent: 1 });
    expect(lambdaMock).toHaveReceivedCommandTimes(InvokeCommand, 0);
  });

  test(`a continuation at part ${MAX_CONTINUATION_PARTS} that still has pages left fails instead of continuing`, async () => {
    await expect(handler({ continuation: { nextToken: TOKEN_1, part: MAX_CONTINUATION_PARTS } }, contextWithRemaining(1000))).rejects.toThrow(
      `dispatch reached ${MAX_CONTINUATION_PARTS} parts without finishing`,
    );
    expect(lambdaMock).toHaveReceivedCommandTimes(InvokeCommand, 0);
  });

  test('an invocation that fails fails the dispatch, so Lambda retries it', async () => {
    lambdaMock.on(InvokeCommand).rejects(Object.assign(new Error('not authorized to perform: lambda:InvokeFunction'), { name: 'AccessDeniedException' }));

    await expect(handler(event(), contextWithRemaining(1000))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(lambdaMock).toHaveReceivedCommandTimes(InvokeCommand, 1);
    expect(invocationMetrics(logs.metricLines())).toMatchObject({ Continuations: 0, RepositoriesDispatched: 12 });
  });

  test.each<[string, unknown, string]>([
    ['part 0', { nextToken: TOKEN_1, part: 0 }, 'continuation.part must be a whole number from 1 to 10000: 0'],
    ['part too big', { nextToken: TOKEN_1, part: 10_001 }, 'continuation.part must be a whole number from 1 to 10000: 10001'],
    ['empty token', { nextToken: '', part: 2 }, 'continuation.nextToken must be a non-empty string: '],
    ['no token', { part: 2 }, 'dispatch continuation needs nextToken: {"part":2}'],
    ['not an object', 'next', 'dispatch continuation must be an object: next'],
  ])('a malformed continuation (%s) is rejected before any AWS call, logged and counted', async (_label, continuation, message) => {
    const error = await handler({ continuation }, fakeContext(FUNCTION_NAME)).then(
      () => undefined,
      (e: Error) => e,
    );

    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error?.message).toBe(message);
    expect(ecrMock.calls()).toHaveLength(0);
    expect(sqsMock.calls()).toHaveLength(0);
    expect(lambdaMock.calls()).toHaveLength(0);
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'Malformed dispatch continuation: failing this invocation; Lambda retries it, then sends it to the dead-letter queue',
      error: message,
    });
    expect(invocationMetrics(logs.metricLines())).toEqual({
      RepositoriesListed: 0,
      RepositoriesDispatched: 0,
      Continuations: 0,
      InputsRejected: 1,
      AwsRetries: 0,
      AcceptedRisksUnmatched: 0,
      RepositoriesNotCovered: 0,
    });
  });
});

describe('dispatch handler metrics', () => {
  test('a full dispatch: listed, dispatched, no continuation, nothing rejected, in the namespace EcrScanReporter', async () => {
    await handler(event(), fakeContext(FUNCTION_NAME));

    expect(invocationMetrics(logs.metricLines())).toEqual({
      RepositoriesListed: 21,
      RepositoriesDispatched: 16,
      Continuations: 0,
      InputsRejected: 0,
      AwsRetries: 0,
      AcceptedRisksUnmatched: 0,
      RepositoriesNotCovered: 0,
    });
    const [line] = logs.metricLines();
    expect(line).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'EcrScanReporter', Dimensions: [['service']] }] },
      service: 'ecr-scan-reporter',
    });
    expect(logs.metricLines()).toHaveLength(1);
  });

  test('a dispatch that continues counts its continuation and only what it dispatched itself', async () => {
    await handler(event(), contextWithRemaining(1000));
    expect(invocationMetrics(logs.metricLines())).toEqual({
      RepositoriesListed: 14,
      RepositoriesDispatched: 12,
      Continuations: 1,
      InputsRejected: 0,
      AwsRetries: 0,
      AcceptedRisksUnmatched: 0,
      RepositoriesNotCovered: 0,
    });
  });

  test('metrics are published even when the dispatch fails', async () => {
    ecrMock.on(DescribeRepositoriesCommand).rejects(serviceError('AccessDeniedException', 'not authorized'));
    await expect(handler(event(), fakeContext(FUNCTION_NAME))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(invocationMetrics(logs.metricLines())).toEqual({
      RepositoriesListed: 0,
      RepositoriesDispatched: 0,
      Continuations: 0,
      InputsRejected: 0,
      AwsRetries: 0,
      AcceptedRisksUnmatched: 0,
      RepositoriesNotCovered: 0,
    });
  });
});
