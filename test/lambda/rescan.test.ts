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
import { SQSClient, SendMessageBatchCommand, SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { MAX_CONTINUATION_PARTS } from '../../src/decisions/inputs';
import {
  DIGESTS,
  LogCapture,
  captureLogs,
  emfMetrics,
  fakeContext,
  invocationMetrics,
  loadEventFixture,
  loadSdkFixture,
  paginatedFake,
  sdkMetadata,
  serviceError,
} from '../aws/helpers';

// What the construct sets (src/decisions/settings.ts ENV), before the handler module loads.
process.env.AWS_REGION = 'us-east-1';
process.env.POWERTOOLS_SERVICE_NAME = 'ecr-scan-reporter';
process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';

const BASE_ENV = { ...process.env };
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/RescanQueue';
const ecrMock = mockClient(ECRClient);
const sqsMock = mockClient(SQSClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);
const TABLE = 'EcrScanReporter-Ledger-1ABC';
/** The ledger's counts of an invocation that used no entry: an empty ledger, or none read. */
const LEDGER_ZEROS = {
  StatusReadsSaved: 0,
  LedgerReadFailures: 0,
  LedgerWriteFailures: 0,
  LedgerEntriesIgnored: 0,
  IndexManifestsRead: 0,
  IndexManifestsUnread: 0,
  ImagesNotMonitored: 0,
};

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
    RESCAN_QUEUE_URL: QUEUE_URL,
    LEDGER_TABLE_NAME: TABLE,
  };
  ecrMock.reset();
  sqsMock.reset();
  // An empty ledger (the first cycle after deployment): every state is read from ECR and written back.
  ledgerMock.reset();
  ledgerMock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
  ledgerMock.on(UpdateCommand).resolves({});
  // No scan budget item yet: yesterday's demand is none.
  ledgerMock.on(GetCommand).resolves({});
  sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
    Successful: (input.Entries ?? []).map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}`, MD5OfMessageBody: '0'.repeat(32) })),
    Failed: [],
  }));
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

  test('an ENHANCED registry: nothing started; the status of each image pulled within the coverage window is read, and those whose monitoring expired are named and counted', async () => {
    process.env.COVERAGE_WINDOW_SECONDS = String(30 * 86_400);
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-enhanced.json'));
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
    const digest = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
    ecrMock.on(DescribeImagesCommand).resolves({
      imageDetails: [
        { imageDigest: digest(1), imageTags: ['v3'], lastRecordedPullTime: daysAgo(2) },
        { imageDigest: digest(2), imageTags: ['v4'], lastRecordedPullTime: daysAgo(1) },
        { imageDigest: digest(3), imageTags: ['v1'], lastRecordedPullTime: daysAgo(45) },
        { imageDigest: digest(4), imageTags: ['v0'] },
      ],
    });
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(async (input: { imageId: { imageDigest: string } }) => ({
      imageScanStatus: { status: input.imageId.imageDigest === digest(1) ? 'SCAN_ELIGIBILITY_EXPIRED' : 'ACTIVE' },
    }));

    const response = await handler({ Records: [recordFor('team-a/worker-01', 'm-1')] }, context());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
    const read = ecrMock.commandCalls(DescribeImageScanFindingsCommand).map((c) => c.args[0].input.imageId?.imageDigest).sort();
    expect(read).toEqual([digest(1), digest(2)]);
    const warned = logs.lines().filter((l) => l.message.startsWith('Images not monitored'));
    expect(warned).toEqual([expect.objectContaining({ level: 'WARN', repositoryName: 'team-a/worker-01', images: [{ imageDigest: digest(1), imageTags: ['v3'] }], imagesOmitted: 0 })]);
    expect(invocationMetrics(logs.metricLines())).toMatchObject({ ImagesNotMonitored: 1, ImagesEvaluated: 4, ScansStarted: 0 });
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

/** A context with `ms` left: 1 second or less leaves nothing after the 1-second minimum reserve. */
function contextWithRemaining(ms: number): Context {
  return { ...context(), getRemainingTimeInMillis: () => ms };
}

/** Every SendMessageBatch entry the handler sent, in order, with its queue. */
function sentMessages(): { queueUrl?: string; body: string }[] {
  return sqsMock
    .commandCalls(SendMessageBatchCommand)
    .flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => ({ queueUrl: c.args[0].input.QueueUrl, body: e.MessageBody as string })));
}

function recordWithBody(body: string, messageId: string): SQSRecord {
  return { ...batch().Records[0], messageId, body };
}

/**
 * The fixture's three DescribeImages pages, or, for image ids, the fixture's details of those
 * digests; `inputs` records a copy of every DescribeImages input in order (the SDK's
 * paginator reuses and changes one input object).
 */
function serveImagePages() {
  const pages = loadSdkFixture<DescribeImagesCommandOutput[]>('describe-images-pages.json');
  const byDigest = new Map(pages.flatMap((p) => p.imageDetails ?? []).map((d) => [d.imageDigest, d]));
  const listing = paginatedFake(pages);
  const inputs: Record<string, unknown>[] = [];
  ecrMock.on(DescribeImagesCommand).callsFake((input: { imageIds?: { imageDigest: string }[]; nextToken?: string }) => {
    inputs.push(JSON.parse(JSON.stringify(input)));
    if (!input.imageIds) return listing.fake(input);
    return { imageDetails: input.imageIds.map((id) => byDigest.get(id.imageDigest)).filter((d) => d !== undefined) };
  });
  return { pages, inputs };
}

describe('rescan handler under a time budget', () => {
  test('no time left: the walk evaluates one image, queues exactly one continuation with the rest of the page, and the record succeeds', async () => {
    const response = await handler({ Records: [recordFor('team-a/worker-01', 'm-1')] }, contextWithRemaining(1000));

    expect(response).toEqual({ batchItemFailures: [] });
    // The first image of the page (never scanned) was evaluated and scanned; the second was not read.
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 1);
    expect(ecrMock).toHaveReceivedCommandWith(StartImageScanCommand, { imageId: { imageDigest: DIGESTS.other } });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
    expect(sentMessages()).toEqual([
      {
        queueUrl: QUEUE_URL,
        body: JSON.stringify({ repositoryName: 'team-a/worker-01', continuation: { part: 1, pendingDigests: [DIGESTS.inProgress] } }),
      },
    ]);
    const line = logs.lines().find((l) => l.message.startsWith('Repository rescanned in part'));
    expect(line).toMatchObject({ level: 'INFO', repositoryName: 'team-a/worker-01', nextPart: 1, pendingDigests: 1, morePages: false, imagesEvaluated: 1 });
    expect(logs.lines().filter((l) => l.message === 'Repository rescanned')).toHaveLength(0);
  });

  test('stopped on a page with pages after it: the continuation carries the rest of the page and the next page\'s token', async () => {
    const { pages, inputs } = serveImagePages();

    await handler({ Records: [recordFor('team-a/worker-01', 'm-1')] }, contextWithRemaining(500));

    // Only the first page was listed.
    expect(inputs).toEqual([{ repositoryName: 'team-a/worker-01', maxResults: 1000 }]);
    const [first, ...rest] = pages[0].imageDetails!.map((d) => d.imageDigest);
    expect(first).toBe(DIGESTS.multiTag);
    expect(sentMessages().map((m) => m.body)).toEqual([
      JSON.stringify({ repositoryName: 'team-a/worker-01', continuation: { part: 1, nextToken: pages[0].nextToken, pendingDigests: rest } }),
    ]);
  });

  test('a continuation record resumes: its pending digests by image id first, then the pages from its token', async () => {
    const { pages, inputs } = serveImagePages();
    const continuation = { part: 3, nextToken: pages[0].nextToken, pendingDigests: [DIGESTS.untagged, DIGESTS.fresh] };

    const response = await handler({ Records: [recordWithBody(JSON.stringify({ repositoryName: 'team-a/worker-01', continuation }), 'm-1')] }, context());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(inputs).toEqual([
      { repositoryName: 'team-a/worker-01', imageIds: [{ imageDigest: DIGESTS.untagged }, { imageDigest: DIGESTS.fresh }] },
      { repositoryName: 'team-a/worker-01', nextToken: pages[0].nextToken, maxResults: 1000 },
      { repositoryName: 'team-a/worker-01', nextToken: pages[1].nextToken, maxResults: 1000 },
    ]);
    // The walk finished: nothing queued.
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
    const done = logs.lines().filter((l) => l.message === 'Repository rescanned');
    expect(done).toHaveLength(1);
    // 2 pending, then pages 2 and 3 as listed (page 2 repeats a digest of page 1, which this part cannot know was evaluated before).
    expect(done[0]).toMatchObject({ repositoryName: 'team-a/worker-01', part: 3, imagesEvaluated: 2 + 3 + 4 });
  });

  test('a continuation that runs out of time again queues part + 1, with the same token', async () => {
    const { pages, inputs } = serveImagePages();
    const continuation = { part: 41, nextToken: pages[0].nextToken, pendingDigests: [DIGESTS.untagged, DIGESTS.fresh] };

    await handler({ Records: [recordWithBody(JSON.stringify({ repositoryName: 'team-a/worker-01', continuation }), 'm-1')] }, contextWithRemaining(1000));

    expect(sentMessages().map((m) => JSON.parse(m.body))).toEqual([
      { repositoryName: 'team-a/worker-01', continuation: { part: 42, nextToken: pages[0].nextToken, pendingDigests: [DIGESTS.fresh] } },
    ]);
    // Only the pending digests were read, one evaluated: no page.
    expect(inputs).toEqual([{ repositoryName: 'team-a/worker-01', imageIds: [{ imageDigest: DIGESTS.untagged }, { imageDigest: DIGESTS.fresh }] }]);
  });

  test(`a continuation at part ${MAX_CONTINUATION_PARTS} that still does not finish fails its record instead of continuing`, async () => {
    const continuation = { part: MAX_CONTINUATION_PARTS, pendingDigests: [DIGESTS.other, DIGESTS.inProgress] };
    ecrMock.on(DescribeImagesCommand).resolves(loadSdkFixture<DescribeImagesCommandOutput[]>('describe-images-single-page.json')[0]);

    const response = await handler(
      { Records: [recordWithBody(JSON.stringify({ repositoryName: 'team-a/worker-01', continuation }), 'm-last')] },
      contextWithRemaining(1000),
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-last' }] });
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      message: 'Rescan failed: failing this record so SQS delivers it again',
      messageId: 'm-last',
      part: MAX_CONTINUATION_PARTS,
      error: `the walk of team-a/worker-01 reached ${MAX_CONTINUATION_PARTS} parts without finishing`,
    });
  });

  test('records not started when the budget is spent are queued again unchanged, and succeed; a malformed one still fails', async () => {
    const continuationBody = JSON.stringify({ repositoryName: 'team-a/worker-03', continuation: { part: 2, nextToken: 'tok-7' } });
    const event: SQSEvent = {
      Records: [
        recordFor('team-a/worker-01', 'm-1'),
        recordFor('team-a/worker-02', 'm-2'),
        recordWithBody('{"repositoryName": 42}', 'm-bad'),
        recordWithBody(continuationBody, 'm-3'),
        recordFor('team-b/web', 'm-not-selected'),
      ],
    };

    const response = await handler(event, contextWithRemaining(1000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad' }] });
    // Only the first record was walked.
    expect(describedRepositories()).toEqual(['team-a/worker-01']);
    expect(sentMessages().map((m) => m.body)).toEqual([
      JSON.stringify({ repositoryName: 'team-a/worker-01', continuation: { part: 1, pendingDigests: [DIGESTS.inProgress] } }),
      JSON.stringify({ repositoryName: 'team-a/worker-02' }),
      continuationBody,
    ]);
    expect(sentMessages().every((m) => m.queueUrl === QUEUE_URL)).toBe(true);
    const deferred = logs.lines().filter((l) => l.message.startsWith('Record deferred'));
    expect(deferred.map((l) => l.messageId)).toEqual(['m-2', 'm-3']);
    expect(invocationMetrics(logs.metricLines())).toMatchObject({ Continuations: 3, InputsRejected: 1 });
  });

  test.each<[string, () => void]>([
    [
      'SQS refuses every entry',
      () =>
        sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => ({
          Successful: [],
          Failed: (input.Entries ?? []).map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })),
        })),
    ],
    ['the request fails', () => sqsMock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }))],
  ])('a continuation that cannot be queued (%s) fails the record, so SQS delivers it again', async (_label, breakSqs) => {
    breakSqs();

    const response = await handler({ Records: [recordFor('team-a/worker-01', 'm-1')] }, contextWithRemaining(1000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: 'Rescan failed: failing this record so SQS delivers it again', messageId: 'm-1' });
    expect(invocationMetrics(logs.metricLines())).toMatchObject({ Continuations: 0 });
  });

  test('a deferred record that cannot be queued again fails, so SQS delivers it again', async () => {
    let calls = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      calls++;
      // The first send (the first record's continuation) succeeds; the deferral's does not.
      if (calls === 1) return { Successful: [{ Id: '0', MessageId: 'ok', MD5OfMessageBody: '0'.repeat(32) }], Failed: [] };
      return { Successful: [], Failed: (input.Entries ?? []).map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'try again' })) };
    });

    const response = await handler({ Records: [recordFor('team-a/worker-01', 'm-1'), recordFor('team-a/worker-02', 'm-2')] }, contextWithRemaining(1000));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(describedRepositories()).toEqual(['team-a/worker-01']);
  });
});

describe('rescan handler metrics', () => {
  const emf = () => emfMetrics(logs.metricLines());

  test('one EMF line per invocation with every count, zeros included, in the namespace EcrScanReporter', async () => {
    // The fixture batch: one good record (2 images: one scan started, one IN_PROGRESS), two malformed.
    await handler(batch(), context());

    expect(invocationMetrics(logs.metricLines())).toEqual({
      ImagesEvaluated: 2,
      ScansStarted: 1,
      ScansSkipped: 1,
      QuotaHits: 0,
      Continuations: 0,
      InputsRejected: 2,
      AwsRetries: 0,
      ...LEDGER_ZEROS,
    });
    for (const metric of emf()) {
      expect(metric).toMatchObject({ namespace: 'EcrScanReporter', unit: 'Count' });
      expect(metric.dimensions.service).toBe('ecr-scan-reporter');
    }
    expect(logs.metricLines().filter((l) => l.ImagesEvaluated !== undefined)).toHaveLength(1);
  });

  test('ScansSkipped is also published per reason, with a `reason` dimension, summing to the total', async () => {
    const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000);
    const image = (n: number, extra: Record<string, unknown> = {}) => ({
      registryId: '123456789012',
      repositoryName: 'team-a/worker-01',
      imageDigest: `sha256:${String(n).padStart(64, '0')}`,
      imageStatus: 'ACTIVE',
      ...extra,
    });
    const status = (value: string, completedAt?: Date) => ({
      imageScanStatus: { status: value, description: 'as ECR says' },
      ...(completedAt ? { imageScanFindingsSummary: { imageScanCompletedAt: completedAt, findingSeverityCounts: {} } } : {}),
    });
    ecrMock.on(DescribeImagesCommand).resolves({
      imageDetails: [
        image(1), // never scanned: started
        image(2, status('IN_PROGRESS')),
        image(3, status('UNSUPPORTED_IMAGE')),
        image(4, { imageStatus: 'ARCHIVED' }),
        image(5, status('COMPLETE', daysAgo(1))),
        image(6, status('COMPLETE', daysAgo(2))),
        image(7, status('COMPLETE', daysAgo(30))), // expired, refused: scanned in the last 24 hours
        image(8), // never scanned, refused by a registry quota
        image(9, status('SOMETHING_NEW')),
        image(10, status('PENDING')),
      ],
    } as DescribeImagesCommandOutput);
    ecrMock
      .on(StartImageScanCommand, { imageId: { imageDigest: image(7).imageDigest } })
      .rejects(serviceError('LimitExceededException', 'The scan quota per image has been exceeded. Wait and retry the scan later.'));
    ecrMock
      .on(StartImageScanCommand, { imageId: { imageDigest: image(8).imageDigest } })
      .rejects(serviceError('LimitExceededException', 'The daily scan quota of the registry has been exceeded.'));

    await handler({ Records: [recordFor('team-a/worker-01', 'm-1')] }, context());

    const byReason = emf().filter((m) => m.dimensions.reason !== undefined);
    expect(byReason.map((m) => [m.name, m.dimensions.reason, m.value, m.unit]).sort()).toEqual([
      ['ScansSkipped', 'archived', 1, 'Count'],
      ['ScansSkipped', 'fresh', 2, 'Count'],
      ['ScansSkipped', 'in-progress', 2, 'Count'],
      ['ScansSkipped', 'quota-exceeded', 1, 'Count'],
      ['ScansSkipped', 'recently-scanned', 1, 'Count'],
      ['ScansSkipped', 'unknown-status', 1, 'Count'],
      ['ScansSkipped', 'unsupported-image', 1, 'Count'],
    ]);
    for (const metric of byReason) {
      expect(metric.namespace).toBe('EcrScanReporter');
      expect(metric.dimensions).toEqual({ service: 'ecr-scan-reporter', reason: metric.dimensions.reason });
    }
    expect(invocationMetrics(logs.metricLines())).toEqual({
      ImagesEvaluated: 10,
      ScansStarted: 1,
      ScansSkipped: 9,
      QuotaHits: 1,
      Continuations: 0,
      InputsRejected: 0,
      AwsRetries: 0,
      ...LEDGER_ZEROS,
    });
  });

  test('a budget spent counts the continuation and the deferred records', async () => {
    await handler({ Records: [recordFor('team-a/worker-01', 'm-1'), recordFor('team-a/worker-02', 'm-2')] }, contextWithRemaining(1000));
    expect(invocationMetrics(logs.metricLines())).toEqual({
      ImagesEvaluated: 1,
      ScansStarted: 1,
      ScansSkipped: 0,
      QuotaHits: 0,
      Continuations: 2,
      InputsRejected: 0,
      AwsRetries: 0,
      ...LEDGER_ZEROS,
    });
    expect(emf().filter((m) => m.dimensions.reason !== undefined)).toEqual([]);
  });

  test('metrics are published even when the invocation fails (bad configuration)', async () => {
    process.env.IMAGE_CONCURRENCY = '0';
    await expect(handler(batch(), context())).rejects.toThrow(/IMAGE_CONCURRENCY/);
    expect(invocationMetrics(logs.metricLines())).toEqual({
      ImagesEvaluated: 0,
      ScansStarted: 0,
      ScansSkipped: 0,
      QuotaHits: 0,
      Continuations: 0,
      InputsRejected: 0,
      AwsRetries: 0,
      ...LEDGER_ZEROS,
    });
  });

  test('each invocation publishes its own counts, not a running total', async () => {
    await handler(batch(), context());
    const first = logs.metricLines().length;
    await handler({ Records: [recordFor('team-a/worker-01', 'm-9')] }, context());
    expect(invocationMetrics(logs.metricLines().slice(first))).toMatchObject({ ImagesEvaluated: 2, InputsRejected: 0 });
  });
});
