import {
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeImagesCommandOutput,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  RepositoryNotFoundException,
  ScanNotFoundException,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DIGESTS, LogCapture, captureLogs, fakeContext, loadEventFixture, loadSdkFixture, sdkMetadata, serviceError } from '../aws/helpers';

// What the construct sets (src/decisions/settings.ts ENV), before the handler module loads.
process.env.AWS_REGION = 'us-east-1';
process.env.POWERTOOLS_SERVICE_NAME = 'ecr-scan-reporter';
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

const BASE_ENV = { ...process.env };
const ecrMock = mockClient(ECRClient);

type HandlerModule = typeof import('../../src/lambda/rescan.lambda');
let handler: HandlerModule['handler'];
let logs: LogCapture;

beforeAll(() => {
  // Loaded after the environment above is set: the module creates its logger and client at load.
  ({ handler } = jest.requireActual<HandlerModule>('../../src/lambda/rescan.lambda'));
});

const batch = () => loadEventFixture<SQSEvent>('sqs-rescan-batch.json');
const [GOOD, MALFORMED, BAD_NAME] = batch().Records.map((r) => r.messageId);
const context = () => fakeContext('EcrScanReporter-RescanFunction');

/** A record like the fixture's first one, for another repository. */
function recordFor(repositoryName: string, messageId: string): SQSRecord {
  return { ...batch().Records[0], messageId, body: JSON.stringify({ repositoryName }) };
}

const describedRepositories = () => ecrMock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input.repositoryName);

beforeEach(() => {
  process.env = {
    ...BASE_ENV,
    REPOSITORY_PATTERN: '^team-a/',
    EXCLUDE_PATTERN: '-sandbox$',
    SCAN_EXPIRY_SECONDS: String(7 * 86_400),
    IMAGE_CONCURRENCY: '5',
    RESCAN_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/RescanQueue',
  };
  ecrMock.reset();
  ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-basic.json'));
  // Every repository holds the same two images: one never scanned (due), one IN_PROGRESS per its summary (skipped).
  const page = loadSdkFixture<DescribeImagesCommandOutput[]>('describe-images-single-page.json')[0];
  ecrMock.on(DescribeImagesCommand).resolves(page);
  ecrMock
    .on(DescribeImageScanFindingsCommand)
    .rejects(new ScanNotFoundException({ message: 'Image scan does not exist for the image', $metadata: sdkMetadata }));
  ecrMock.on(StartImageScanCommand).resolves({ imageScanStatus: { status: 'IN_PROGRESS' } });
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  process.env = { ...BASE_ENV };
});

describe('rescan handler', () => {
  test('a malformed body and a bad repository name fail alone; the good record is processed', async () => {
    const response = await handler(batch(), context());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: MALFORMED }, { itemIdentifier: BAD_NAME }] });
    expect(describedRepositories()).toEqual(['team-a/worker-01']);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 1);
    expect(ecrMock).toHaveReceivedCommandWith(StartImageScanCommand, {
      repositoryName: 'team-a/worker-01',
      imageId: { imageDigest: DIGESTS.other },
    });
    const rescanned = logs.lines().filter((l) => l.message === 'Repository rescanned');
    expect(rescanned).toHaveLength(1);
    expect(rescanned[0]).toMatchObject({ level: 'INFO', repositoryName: 'team-a/worker-01', messageId: GOOD, imagesEvaluated: 2, scansStarted: 1 });
  });

  test('the malformed records are logged at error level, naming the problem and the message', async () => {
    await handler(batch(), context());

    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(2);
    const malformed = errors.find((l) => l.messageId === MALFORMED);
    expect(malformed?.message).toMatch(/^Malformed rescan message/);
    expect(malformed?.error).toBe('message body is not JSON: repositoryName=team-a/service-02');
    expect(malformed?.receiveCount).toBe('3');
    const badName = errors.find((l) => l.messageId === BAD_NAME);
    expect(badName?.message).toMatch(/^Malformed rescan message/);
    expect(badName?.error).toBe('message repositoryName is not a valid ECR repository name: Team-A/Service_03!');
  });

  test('the structured log lines of a walk carry repositoryName and imageDigest', async () => {
    await handler({ Records: [recordFor('team-a/worker-01', 'm-1')] }, context());

    const started = logs.lines().filter((l) => l.message === 'Scan started');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ level: 'DEBUG', repositoryName: 'team-a/worker-01', imageDigest: DIGESTS.other, messageId: 'm-1' });
    const skipped = logs.lines().filter((l) => l.message === 'Image skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ repositoryName: 'team-a/worker-01', imageDigest: DIGESTS.inProgress, reason: 'in-progress' });
  });

  test('keys of one record do not leak into the next record\'s log lines', async () => {
    // The good record (first) appends its repositoryName; the malformed one after it has none.
    await handler(batch(), context());

    const malformed = logs.lines().filter((l) => l.messageId === MALFORMED);
    expect(malformed.length).toBeGreaterThan(0);
    for (const line of malformed) expect(line).not.toHaveProperty('repositoryName');
    const badName = logs.lines().filter((l) => l.messageId === BAD_NAME);
    for (const line of badName) expect(line).not.toHaveProperty('repositoryName');
  });

  test('a record whose walk throws (DescribeImages ThrottlingException) fails alone', async () => {
    ecrMock.on(DescribeImagesCommand, { repositoryName: 'team-a/worker-02' }).rejects(serviceError('ThrottlingException', 'Rate exceeded'));
    const started = Date.now();

    const response = await handler(
      { Records: [recordFor('team-a/worker-01', 'm-1'), recordFor('team-a/worker-02', 'm-2'), recordFor('team-a/worker-03', 'm-3')] },
      context(),
    );

    expect(Date.now() - started).toBeLessThan(5000);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(describedRepositories()).toEqual(['team-a/worker-01', 'team-a/worker-02', 'team-a/worker-03']);
    expect(ecrMock.commandCalls(StartImageScanCommand).map((c) => c.args[0].input.repositoryName)).toEqual(['team-a/worker-01', 'team-a/worker-03']);
    const failed = logs.lines().filter((l) => l.level === 'ERROR');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ messageId: 'm-2', repositoryName: 'team-a/worker-02', errorName: 'ThrottlingException', error: 'Rate exceeded' });
  });

  test('RepositoryNotFoundException means the repository is gone: the record is done, not failed', async () => {
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'team-a/worker-02' })
      .rejects(
        new RepositoryNotFoundException({
          message: "The repository with name 'team-a/worker-02' does not exist in the registry with id '123456789012'",
          $metadata: sdkMetadata,
        }),
      );

    const response = await handler({ Records: [recordFor('team-a/worker-02', 'm-2')] }, context());

    expect(response).toEqual({ batchItemFailures: [] });
    const warning = logs.lines().filter((l) => l.message === 'Repository skipped: it no longer exists');
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatchObject({ level: 'WARN', repositoryName: 'team-a/worker-02' });
    expect(logs.lines().filter((l) => l.level === 'ERROR')).toHaveLength(0);
  });

  test('a repository the patterns do not select is skipped without any image request', async () => {
    const response = await handler({ Records: [recordFor('team-b/web', 'm-1'), recordFor('team-a/api-sandbox', 'm-2')] }, context());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
  });

  test('when every record fails, all are reported as failures rather than thrown', async () => {
    ecrMock.on(DescribeImagesCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));
    const event: SQSEvent = { Records: [batch().Records[1], batch().Records[2], recordFor('team-a/worker-01', 'm-3')] };

    const response = await handler(event, context());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: MALFORMED }, { itemIdentifier: BAD_NAME }, { itemIdentifier: 'm-3' }] });
  });

  test('an ENHANCED registry: the message is done without walking the repository or starting anything', async () => {
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-enhanced.json'));

    const response = await handler({ Records: [recordFor('team-a/worker-01', 'm-1')] }, context());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
    expect(logs.lines().find((l) => l.message === 'Repository skipped: the registry uses enhanced scanning')).toMatchObject({
      repositoryName: 'team-a/worker-01',
    });
  });

  test('a bad configuration fails the whole invocation, so no record is dropped', async () => {
    process.env.IMAGE_CONCURRENCY = '0';
    await expect(handler(batch(), context())).rejects.toThrow('environment variable IMAGE_CONCURRENCY must be an integer from 1 to 50; got "0"');
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('a GetRegistryScanningConfiguration error fails the whole invocation', async () => {
    ecrMock.on(GetRegistryScanningConfigurationCommand).rejects(serviceError('AccessDeniedException', 'not authorized'));
    await expect(handler(batch(), context())).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
  });
});
