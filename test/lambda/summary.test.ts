/**
 * The summary handler with SDK mocks, for what the emulator cannot do: a Scan of several pages
 * per segment, a failed Publish (nothing kept, the invocation fails for EventBridge to retry), and a
 * trend record that cannot be written after the Publish (logged and counted; no second summary).
 */
import { ECRClient, GetRegistryScanningConfigurationCommand } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { LogCapture, captureLogs, fakeContext, invocationMetrics, serviceError } from '../aws/helpers';

process.env.AWS_REGION = 'eu-west-1';
process.env.POWERTOOLS_SERVICE_NAME = 'ecr-scan-reporter';
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

const BASE_ENV = { ...process.env };
const TABLE = 'EcrScanReporter-Ledger-1ABC';
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:Reports';
const snsMock = mockClient(SNSClient);
const ecrMock = mockClient(ECRClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);

type HandlerModule = typeof import('../../src/lambda/summary.lambda');
let handler: HandlerModule['handler'];
let logs: LogCapture;

beforeAll(() => {
  ({ handler } = jest.requireActual<HandlerModule>('../../src/lambda/summary.lambda'));
});

const now = new Date();
const image = (n: number, repositoryName = 'team-a/api') => ({
  pk: `image#${repositoryName}@sha256:${String(n).padStart(64, '0')}`,
  sk: 'image',
  entity: 'image',
  schemaVersion: 1,
  repositoryName,
  imageDigest: `sha256:${String(n).padStart(64, '0')}`,
  imageTags: [`v${n}`],
  scan: { status: 'COMPLETE', observedAt: now.toISOString(), source: 'scan-event', completedAt: now.toISOString(), severityCounts: { CRITICAL: 1 } },
  version: 1,
});

beforeEach(() => {
  process.env = { ...BASE_ENV, TOPIC_ARN, LEDGER_TABLE_NAME: TABLE, REPOSITORY_PATTERN: '^team-a/', SCAN_EXPIRY_SECONDS: '604800' };
  snsMock.reset();
  ecrMock.reset();
  // Basic scanning: no coverage section, and no repository listed.
  ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({ scanningConfiguration: { scanType: 'BASIC', rules: [] } });
  ledgerMock.reset();
  ledgerMock.on(GetCommand).resolves({});
  // Segment 0 has two pages; the other segments one image each, and one of another repository.
  ledgerMock.on(ScanCommand).callsFake(async (input: { Segment: number; ExclusiveStartKey?: unknown }) => {
    if (input.Segment === 0) {
      return input.ExclusiveStartKey
        ? { Items: [image(2)], ConsumedCapacity: { CapacityUnits: 0.5 } }
        : { Items: [image(1)], LastEvaluatedKey: { pk: 'x', sk: 'y' }, ConsumedCapacity: { CapacityUnits: 0.5 } };
    }
    return { Items: input.Segment === 1 ? [image(3), image(4, 'team-b/other')] : [], ConsumedCapacity: { CapacityUnits: 0.5 } };
  });
  ledgerMock.on(PutCommand).resolves({});
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  logs = captureLogs();
});

afterEach(() => logs.restore());

test('every segment read to its last page; only the selected repositories counted; one Publish, then the trend record', async () => {
  const result = await handler({}, fakeContext('EcrScanReporter-SummaryFunction'));

  expect(ledgerMock.commandCalls(ScanCommand).map((c) => c.args[0].input.Segment).sort()).toEqual([0, 0, 1, 2, 3, 4, 5, 6, 7]);
  expect(result).toMatchObject({ messageId: 'm-1', itemsScanned: 4, pages: 9, capacityUnits: 4.5 });
  expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  const message = JSON.parse(snsMock.commandCalls(PublishCommand)[0].args[0].input.Message as string);
  expect(JSON.parse(message.default).images.tracked).toBe(3);
  expect(ledgerMock).toHaveReceivedCommandTimes(PutCommand, 1);
  expect(invocationMetrics(logs.metricLines())).toMatchObject({ SummariesPublished: 1, LedgerItemsScanned: 4, LedgerWriteFailures: 0 });
});

test('a failed Publish fails the invocation (EventBridge retries it) and keeps no trend record', async () => {
  snsMock.on(PublishCommand).rejects(serviceError('AuthorizationErrorException', 'not authorized'));

  await expect(handler({}, fakeContext('EcrScanReporter-SummaryFunction'))).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
  expect(ledgerMock).toHaveReceivedCommandTimes(PutCommand, 0);
  expect(invocationMetrics(logs.metricLines())).toMatchObject({ SummariesPublished: 0 });
});

test('a trend record that cannot be written after the Publish is logged and counted, and the invocation succeeds: no second summary', async () => {
  ledgerMock.on(PutCommand).rejects(serviceError('ProvisionedThroughputExceededException', 'throughput exceeded'));

  const result = await handler({}, fakeContext('EcrScanReporter-SummaryFunction'));

  expect(result.messageId).toBe('m-1');
  expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  expect(logs.lines().filter((l) => l.level === 'WARN' && String(l.message).startsWith('Ledger write of the summary'))).toHaveLength(1);
  expect(invocationMetrics(logs.metricLines())).toMatchObject({ SummariesPublished: 1, LedgerWriteFailures: 1 });
});
