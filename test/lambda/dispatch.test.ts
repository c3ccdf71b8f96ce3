import {
  DescribeRepositoriesCommand,
  DescribeRepositoriesCommandOutput,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { SQSClient, SendMessageBatchCommand, SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { LogCapture, captureLogs, fakeContext, loadEventFixture, loadSdkFixture, paginatedFake, serviceError } from '../aws/helpers';

// What the construct sets (src/decisions/settings.ts ENV), before the handler module loads.
process.env.AWS_REGION = 'us-east-1';
process.env.POWERTOOLS_SERVICE_NAME = 'ecr-scan-reporter';
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/EcrScanReporter-RescanQueue-6Yb2kQpLx0aV';
const BASE_ENV = { ...process.env };

const ecrMock = mockClient(ECRClient);
const sqsMock = mockClient(SQSClient);

type HandlerModule = typeof import('../../src/lambda/dispatch.lambda');
let handler: HandlerModule['handler'];
let logs: LogCapture;

beforeAll(() => {
  // Loaded after the environment above is set: the module creates its logger and clients at load.
  ({ handler } = jest.requireActual<HandlerModule>('../../src/lambda/dispatch.lambda'));
});

beforeEach(() => {
  process.env = { ...BASE_ENV, RESCAN_QUEUE_URL: QUEUE_URL, REPOSITORY_PATTERN: '^team-a/', EXCLUDE_PATTERN: '-sandbox$' };
  ecrMock.reset();
  sqsMock.reset();
  ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-basic.json'));
  const pages = loadSdkFixture<DescribeRepositoriesCommandOutput[]>('describe-repositories-pages.json');
  ecrMock.on(DescribeRepositoriesCommand).callsFake(paginatedFake(pages).fake);
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

  test('an ENHANCED registry lists and sends nothing, with a warning', async () => {
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-enhanced.json'));

    const result = await handler(event(), fakeContext('EcrScanReporter-DispatchFunction'));

    expect(result).toEqual({ registryScanType: 'ENHANCED', repositoriesListed: 0, repositoriesSelected: 0, messagesSent: 0 });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 0);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
    expect(logs.lines().filter((l) => l.level === 'WARN' && /enhanced scanning/.test(l.message))).toHaveLength(1);
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
