import { DescribeImageScanFindingsCommand, DescribeImageScanFindingsCommandOutput, DescribeImagesCommand, ECRClient, ImageNotFoundException, ScanNotFoundException } from '@aws-sdk/client-ecr';
import { PublishCommand, PublishCommandInput, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { InvalidInputError } from '../../src/decisions/inputs';
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

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:EcrScanReporter-ReportTopic-1QX7Z3K9L2M4';
const REPOSITORY = 'team-a/service-01';
const BASE_ENV = { ...process.env };

const ecrMock = mockClient(ECRClient);
const snsMock = mockClient(SNSClient);
const ledgerMock = mockClient(DynamoDBDocumentClient);
const TABLE = 'EcrScanReporter-Ledger-1ABC';

type HandlerModule = typeof import('../../src/lambda/report.lambda');
let handler: HandlerModule['handler'];
let logs: LogCapture;

beforeAll(() => {
  // Loaded after the environment above is set: the module creates its logger and clients at load.
  ({ handler } = jest.requireActual<HandlerModule>('../../src/lambda/report.lambda'));
});

const completeEvent = () => loadEventFixture('eventbridge-ecr-image-scan-complete.json');
const failedEvent = () => loadEventFixture('eventbridge-ecr-image-scan-failed.json');
const context = () => fakeContext('EcrScanReporter-ReportFunction');

/** The findings of the fixture, most severe first, then highest score, then id. */
const SORTED_IDS = [
  'CVE-2024-3094',
  'CVE-2024-45490',
  'CVE-2024-6387',
  'CVE-2023-4911',
  'CVE-2024-2961',
  'CVE-2023-5678',
  'CVE-2025-1111',
  'CVE-2011-3374',
  'CVE-2017-18018',
];

function published(): PublishCommandInput[] {
  return snsMock.commandCalls(PublishCommand).map((c) => c.args[0].input);
}

function documentOf(input: PublishCommandInput): Record<string, any> {
  const message = JSON.parse(input.Message as string) as { default: string; email: string };
  expect(typeof message.email).toBe('string');
  return JSON.parse(message.default);
}

beforeEach(() => {
  process.env = {
    ...BASE_ENV,
    TOPIC_ARN,
    REPOSITORY_PATTERN: '^team-a/',
    THRESHOLDS: '{"CRITICAL":1,"HIGH":1}',
    NOTIFY_ON_SCAN_FAILURE: 'true',
    MAX_FINDINGS_PER_REPORT: '20',
    LEDGER_TABLE_NAME: TABLE,
  };
  ecrMock.reset();
  snsMock.reset();
  // An empty ledger: every report is a digest's first (ledger.test.ts covers the rest).
  ledgerMock.reset();
  ledgerMock.on(GetCommand).resolves({});
  ledgerMock.on(UpdateCommand).resolves({});
  const pages = loadSdkFixture<DescribeImageScanFindingsCommandOutput[]>('describe-image-scan-findings-basic-pages.json');
  ecrMock.on(DescribeImageScanFindingsCommand).callsFake(paginatedFake(pages).fake);
  // The report reads the image's last pull (DescribeImages); ../e2e covers it against the emulator.
  ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imagePushedAt: new Date('2026-10-01T00:00:00Z'), lastRecordedPullTime: new Date('2026-11-30T00:00:00Z') }] });
  snsMock.on(PublishCommand).resolves({ MessageId: '94f20ce6-13c5-43a0-9a9e-ca52d816e90b' });
  logs = captureLogs();
});

afterEach(() => {
  logs.restore();
  process.env = { ...BASE_ENV };
});

describe('report handler', () => {
  test('a COMPLETE scan above the threshold publishes one size-safe report with the findings most severe first', async () => {
    const result = await handler(completeEvent(), context());

    // The ledger has no entry for the digest: its first report, where every finding at a reached severity (1 CRITICAL, 4 HIGH) is new.
    expect(result).toEqual({ published: true, reason: 'threshold-reached', messageId: '94f20ce6-13c5-43a0-9a9e-ca52d816e90b', news: 'first-report', newFindings: 5, owner: 'UNOWNED', inUse: 'unknown' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    const input = published()[0];
    expect(input.TopicArn).toBe(TOPIC_ARN);
    expect(input.MessageStructure).toBe('json');
    expect(input.Subject).toBe('ECR scan: CRITICAL 1, HIGH 4 in team-a/service-01:v1.4.2');
    expect((input.Subject as string).length).toBeLessThan(100);
    expect(input.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'report' },
      repository: { DataType: 'String', StringValue: REPOSITORY },
      highestSeverity: { DataType: 'String', StringValue: 'CRITICAL' },
      scanStatus: { DataType: 'String', StringValue: 'COMPLETE' },
      // No owner tag key and no owner rule; the discovery is off in this environment, so where it runs is unknown.
      owner: { DataType: 'String', StringValue: 'UNOWNED' },
      inUse: { DataType: 'String', StringValue: 'unknown' },
      // A first report: every finding at a reached severity is new, and each listed one is named for filter policies.
      newFindings: { DataType: 'Number', StringValue: '5' },
      newFindingIds: { DataType: 'String.Array', StringValue: JSON.stringify(SORTED_IDS.slice(0, 5)) },
    });
    expect(Buffer.byteLength(input.Message as string, 'utf8')).toBeLessThanOrEqual(262_144);

    const document = documentOf(input);
    expect(document).toMatchObject({
      version: 1,
      source: 'cdk-ecr-scan-reporter',
      reason: 'threshold-reached',
      repositoryName: REPOSITORY,
      imageDigest: DIGESTS.report,
      imageTags: ['v1.4.2', 'latest'],
      scanStatus: 'COMPLETE',
      accountId: '123456789012',
      region: 'us-east-1',
      highestSeverity: 'CRITICAL',
      severityCounts: { CRITICAL: 1, HIGH: 4, MEDIUM: 2, LOW: 1, INFORMATIONAL: 1 },
      totalFindings: 9,
      findingsOmitted: 0,
      scanCompletedAt: '2026-11-15T11:58:02.000Z',
      vulnerabilitySourceUpdatedAt: '2026-11-15T06:12:40.000Z',
    });
    expect(document.findings.map((f: { id: string }) => f.id)).toEqual(SORTED_IDS);
    expect(document.findings[0]).toEqual({
      id: 'CVE-2024-3094',
      severity: 'CRITICAL',
      packageName: 'xz-utils',
      packageVersion: '5.6.0-0.2',
      url: 'https://security-tracker.debian.org/tracker/CVE-2024-3094',
      score: 10,
    });
    expect(document.findingsUnavailableReason).toBeUndefined();

    // Both findings pages were read, for this digest only.
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 2);
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, {
      repositoryName: REPOSITORY,
      imageId: { imageDigest: DIGESTS.report },
    });
  });

  test('the report\'s log line carries repositoryName and imageDigest', async () => {
    await handler(completeEvent(), context());
    const line = logs.lines().find((l) => l.message === 'Report published');
    expect(line).toMatchObject({
      level: 'INFO',
      repositoryName: REPOSITORY,
      imageDigest: DIGESTS.report,
      highestSeverity: 'CRITICAL',
      findingsListed: 9,
      messageId: '94f20ce6-13c5-43a0-9a9e-ca52d816e90b',
    });
  });

  test('MAX_FINDINGS_PER_REPORT caps the listed findings, keeping the most severe', async () => {
    process.env.MAX_FINDINGS_PER_REPORT = '3';
    await handler(completeEvent(), context());
    const document = documentOf(published()[0]);
    expect(document.findings.map((f: { id: string }) => f.id)).toEqual(SORTED_IDS.slice(0, 3));
    expect(document.findingsOmitted).toBe(6);
  });

  test('a very long repository name still gives a subject under 100 characters without line breaks', async () => {
    const longName = `team-a/${'very-long-service-name-'.repeat(10)}end`;
    const event = completeEvent();
    event.detail['repository-name'] = longName;

    await handler(event, context());

    const subject = published()[0].Subject as string;
    expect(subject.length).toBeLessThan(100);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject.startsWith('ECR scan: CRITICAL 1, HIGH 4 in team-a/very-long-service-name-')).toBe(true);
  });

  test('below the threshold publishes nothing and reads no findings', async () => {
    const event = completeEvent();
    event.detail['finding-severity-counts'] = { MEDIUM: 7, LOW: 3 };

    const result = await handler(event, context());

    expect(result).toEqual({ published: false, reason: 'below-threshold' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
  });

  test('a COMPLETE scan with no findings (counts {}) publishes nothing', async () => {
    const event = completeEvent();
    event.detail['finding-severity-counts'] = {};
    expect(await handler(event, context())).toEqual({ published: false, reason: 'below-threshold' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  test('a FAILED scan publishes when NOTIFY_ON_SCAN_FAILURE=true: the failure and its reason, no counts, image-tags []', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      registryId: '123456789012',
      repositoryName: REPOSITORY,
      imageId: { imageDigest: DIGESTS.report },
      imageScanStatus: { status: 'FAILED', description: 'UnsupportedImageError: The operating system and/or package manager are not supported.' },
    });
    const event = failedEvent();
    expect(event.detail['image-tags']).toEqual([]);
    expect(event.detail).not.toHaveProperty('finding-severity-counts');

    const result = await handler(event, context());

    expect(result).toMatchObject({ published: true, reason: 'scan-failed' });
    const input = published()[0];
    expect(input.Subject).toBe(`ECR scan: scan FAILED in ${REPOSITORY}@${DIGESTS.report.slice(0, 19)}`);
    // Neither NONE nor a new-findings count of 0: a failed scan has no counts.
    expect(input.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'report' },
      repository: { DataType: 'String', StringValue: REPOSITORY },
      highestSeverity: { DataType: 'String', StringValue: 'UNKNOWN' },
      scanStatus: { DataType: 'String', StringValue: 'FAILED' },
      owner: { DataType: 'String', StringValue: 'UNOWNED' },
      inUse: { DataType: 'String', StringValue: 'unknown' },
    });
    const document = documentOf(input);
    expect(document).toMatchObject({
      reason: 'scan-failed',
      scanStatus: 'FAILED',
      imageTags: [],
      highestSeverity: 'UNKNOWN',
      severityCounts: null,
      evaluations: null,
      totalFindings: null,
      findingsOmitted: null,
      newFindingsCount: null,
      findings: [],
      statusDescription: 'UnsupportedImageError: The operating system and/or package manager are not supported.',
      failure: { reason: 'UnsupportedImageError: The operating system and/or package manager are not supported.' },
      news: 'newly-failed',
    });
    const email = JSON.parse(input.Message as string).email as string;
    expect(email.split('\n')[0]).toBe('The scan FAILED: UnsupportedImageError: The operating system and/or package manager are not supported.');
    expect(email).not.toMatch(/^(CRITICAL|HIGH)\s+\d/m);
    expect(logs.lines().find((l) => l.message === 'Report published')).toMatchObject({ reason: 'scan-failed', highestSeverity: 'UNKNOWN', findingsListed: 0 });
  });

  test('a FAILED scan publishes nothing when NOTIFY_ON_SCAN_FAILURE=false', async () => {
    process.env.NOTIFY_ON_SCAN_FAILURE = 'false';
    const result = await handler(failedEvent(), context());
    expect(result).toEqual({ published: false, reason: 'scan-failed-not-reported' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('a repository the patterns do not select publishes nothing and makes no ECR call', async () => {
    const event = completeEvent();
    event.detail['repository-name'] = 'team-b/web';

    const result = await handler(event, context());

    expect(result).toEqual({ published: false, reason: 'repository-not-selected' });
    expect(ecrMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
    expect(logs.lines().find((l) => l.message.startsWith('Report skipped'))).toMatchObject({ repositoryName: 'team-b/web', imageDigest: DIGESTS.report });
  });

  test('ScanNotFoundException still publishes, with the event\'s counts and findingsUnavailableReason', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ScanNotFoundException({ message: `Image scan does not exist for the image with '{imageDigest:'${DIGESTS.report}'}'`, $metadata: sdkMetadata }));

    const result = await handler(completeEvent(), context());

    expect(result).toMatchObject({ published: true, reason: 'threshold-reached' });
    const document = documentOf(published()[0]);
    expect(document.findingsUnavailableReason).toMatch(/^ScanNotFoundException: Image scan does not exist/);
    expect(document.findings).toEqual([]);
    expect(document.severityCounts).toEqual({ CRITICAL: 1, HIGH: 4, MEDIUM: 2, LOW: 1, INFORMATIONAL: 1 });
    expect(document.totalFindings).toBe(9);
    const email = JSON.parse(published()[0].Message as string).email as string;
    expect(email).toContain('Findings could not be listed: ScanNotFoundException');
  });

  test('ImageNotFoundException (image deleted since the scan) still publishes', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(new ImageNotFoundException({ message: 'The image requested does not exist', $metadata: sdkMetadata }));
    await handler(completeEvent(), context());
    expect(documentOf(published()[0]).findingsUnavailableReason).toBe('ImageNotFoundException: The image requested does not exist');
  });

  test.each([
    serviceError('ThrottlingException', 'Rate exceeded'),
    serviceError('AccessDeniedException', 'not authorized to perform: ecr:DescribeImageScanFindings'),
    serviceError('ServerException', 'internal error', 500),
  ])('another ECR error ($name) throws and publishes nothing', async (error) => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(error);
    await expect(handler(completeEvent(), context())).rejects.toBe(error);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  test('an SNS Publish error throws, so Lambda retries and the on-failure destination keeps the event', async () => {
    const error = Object.assign(new Error('User is not authorized to perform: SNS:Publish'), { name: 'AuthorizationErrorException' });
    snsMock.on(PublishCommand).rejects(error);
    await expect(handler(completeEvent(), context())).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  const malformed: [string, () => unknown][] = [
    ['wrong source', () => ({ ...completeEvent(), 'source': 'aws.inspector2', 'detail-type': 'Inspector2 Scan' })],
    ['missing detail', () => {
      const event = completeEvent();
      delete event.detail;
      return event;
    }],
    ['bad digest', () => {
      const event = completeEvent();
      event.detail['image-digest'] = 'latest';
      return event;
    }],
    ['bad repository name', () => {
      const event = completeEvent();
      event.detail['repository-name'] = 'Team A';
      return event;
    }],
    ['image-tags not a list', () => {
      const event = completeEvent();
      event.detail['image-tags'] = 'latest';
      return event;
    }],
    ['not an object', () => 'ECR Image Scan'],
  ];

  test.each(malformed)('a malformed event (%s) throws InvalidInputError, logs an error and publishes nothing', async (_, event) => {
    await expect(handler(event(), context())).rejects.toBeInstanceOf(InvalidInputError);
    expect(ecrMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
    const errors = logs.lines().filter((l) => l.level === 'ERROR');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/^Malformed scan event/);
    expect(typeof errors[0].error).toBe('string');
  });

  test('a malformed event names the bad field in its error', async () => {
    const event = completeEvent();
    event.detail['image-digest'] = 'latest';
    await expect(handler(event, context())).rejects.toThrow('detail.image-digest is not an image digest: latest');
  });

  test('a missing TOPIC_ARN throws before any AWS call', async () => {
    delete process.env.TOPIC_ARN;
    await expect(handler(completeEvent(), context())).rejects.toThrow('environment variable TOPIC_ARN is not set');
    expect(ecrMock.calls()).toHaveLength(0);
    expect(snsMock.calls()).toHaveLength(0);
  });

  test('the thresholds come from THRESHOLDS', async () => {
    process.env.THRESHOLDS = '{"CRITICAL":2}';
    expect(await handler(completeEvent(), context())).toEqual({ published: false, reason: 'below-threshold' });
    process.env.THRESHOLDS = '{"MEDIUM":2}';
    expect(await handler(completeEvent(), context())).toMatchObject({ published: true, reason: 'threshold-reached' });
    expect(published()[0].Subject).toBe('ECR scan: MEDIUM 2 in team-a/service-01:v1.4.2');
  });
});

describe('report handler metrics', () => {
  const metrics = () => invocationMetrics(logs.metricLines());
  const counts = (reports: number, belowThreshold: number, rejected: number, skipped = 0) => ({
    ReportsPublished: reports,
    ReportsBelowThreshold: belowThreshold,
    ReportsSkipped: skipped,
    InputsRejected: rejected,
    AwsRetries: 0,
    // The ledger's counts: an empty ledger that answered every read and write.
    ReportsWithheld: 0,
    ReportsPossiblyDuplicated: 0,
    LedgerReadFailures: 0,
    LedgerWriteFailures: 0,
    LedgerEntriesIgnored: 0,
    // No accepted risk, no owner tag key: nothing left out, no tag read.
    FindingsIgnored: 0,
    OwnerTagReads: 0,
  });
  const skippedByReason = () =>
    emfMetrics(logs.metricLines())
      .filter((m) => m.dimensions.reason !== undefined)
      .map((m) => [m.name, m.dimensions.reason, m.value]);

  test.each<[string, () => unknown, ReturnType<typeof counts>]>([
    ['a report published', () => completeEvent(), counts(1, 0, 0)],
    ['a FAILED scan reported', () => failedEvent(), counts(1, 0, 0)],
    [
      'below the threshold',
      () => {
        const event = completeEvent();
        event.detail['finding-severity-counts'] = { LOW: 3 };
        return event;
      },
      counts(0, 1, 0),
    ],
    [
      'no counts at all (COMPLETE, nothing found)',
      () => {
        const event = completeEvent();
        delete event.detail['finding-severity-counts'];
        return event;
      },
      counts(0, 1, 0),
    ],
    [
      'a repository not selected',
      () => {
        const event = completeEvent();
        event.detail['repository-name'] = 'team-b/web';
        return event;
      },
      counts(0, 0, 0, 1),
    ],
  ])('%s', async (_label, event, expected) => {
    await handler(event(), context());
    expect(metrics()).toEqual(expected);
  });

  test.each([
    ['repository-not-selected', () => ({ ...completeEvent(), detail: { ...completeEvent().detail, 'repository-name': 'team-b/web' } })],
    ['unexpected-scan-status', () => ({ ...completeEvent(), detail: { ...completeEvent().detail, 'scan-status': 'PENDING' } })],
    [
      'scan-failed-not-reported',
      () => {
        process.env.NOTIFY_ON_SCAN_FAILURE = 'false';
        return failedEvent();
      },
    ],
  ])('an event with no report for reason %s is a counted skip, by reason', async (reason, event) => {
    expect(await handler(event(), context())).toEqual({ published: false, reason });
    expect(metrics()).toEqual(counts(0, 0, 0, 1));
    expect(skippedByReason()).toEqual([['ReportsSkipped', reason, 1]]);
  });

  test('a published report or one below threshold is not counted as skipped', async () => {
    await handler(completeEvent(), context());
    expect(skippedByReason()).toEqual([]);
  });

  test('a malformed event is counted as rejected, and the metrics are published although the handler throws', async () => {
    await expect(handler({ ...completeEvent(), source: 'aws.inspector2' }, context())).rejects.toBeInstanceOf(InvalidInputError);
    expect(metrics()).toEqual(counts(0, 0, 1));
  });

  test('a publish that fails counts nothing as published', async () => {
    snsMock.on(PublishCommand).rejects(Object.assign(new Error('throttled'), { name: 'Throttling' }));
    await expect(handler(completeEvent(), context())).rejects.toMatchObject({ name: 'Throttling' });
    expect(metrics()).toEqual(counts(0, 0, 0));
  });

  test('one metrics line per invocation, in the namespace EcrScanReporter with the service dimension', async () => {
    await handler(completeEvent(), context());
    await handler(completeEvent(), context());

    expect(logs.metricLines()).toHaveLength(2);
    // Each line holds that invocation's counts, not a running total.
    for (const line of logs.metricLines()) expect(line).toMatchObject({ ReportsPublished: 1 });
    for (const metric of emfMetrics(logs.metricLines())) {
      expect(metric).toMatchObject({ namespace: 'EcrScanReporter', unit: 'Count', dimensions: { service: 'ecr-scan-reporter' } });
    }
  });
});
