/**
 * What a report reads besides its scan, with the ledger scripted and ECR mocked: the owner cache
 * and when it is read again, the tag read and what it writes back, and every read that fails
 * (ledger, tags, the cache write, DescribeImages) costing a warning and a count, never the report.
 * The happy paths against moto: test/e2e/relevance.e2e.ts.
 */
import { DescribeImagesCommand, ECRClient, ECRServiceException, ImageNotFoundException, ListTagsForResourceCommand, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DIGESTS, sdkMetadata, serviceError } from './helpers';
import type { CachedOwner, LedgerRecords } from '../../src/aws/ledger-records';
import { ContextTally, readReportContext, repositoryArn } from '../../src/aws/report-context';
import type { Log } from '../../src/aws/rescan-repository';
import type { DiscoveryMarker } from '../../src/decisions/in-use';
import type { ReportSettings } from '../../src/decisions/settings';

const ecrMock = mockClient(ECRClient);
const NOW = new Date('2026-12-01T03:05:00.000Z');
const HOUR = 3600_000;
const REPOSITORY = 'team-a/service-01';
const IMAGE = { repositoryName: REPOSITORY, imageDigest: DIGESTS.report, accountId: '123456789012', region: 'us-east-1' };
const ARN = 'arn:aws:ecr:us-east-1:123456789012:repository/team-a/service-01';
const MARKER: DiscoveryMarker = { startedAt: new Date('2026-12-01T02:00:00.000Z'), completedAt: new Date('2026-12-01T02:04:00.000Z') };
const PULLED = new Date('2026-11-30T10:00:00.000Z');
const PUSHED = new Date('2026-10-01T00:00:00.000Z');
const RULES = [{ pattern: '^team-a/', owner: 'team-a' }];

type Settings = Pick<ReportSettings, 'ownerTagKey' | 'ownerRules' | 'inUse'>;
const settings = (overrides: Partial<Settings> = {}): Settings => ({
  ownerTagKey: 'owner',
  ownerRules: RULES,
  inUse: { discoveryOn: true, holdMs: 49 * HOUR },
  ...overrides,
});

/** The ledger's two calls, scripted and recorded. */
class ScriptedRecords implements Pick<LedgerRecords, 'readReportContext' | 'writeOwner'> {
  public readonly reads: string[] = [];
  public readonly ownerWrites: { repositoryName: string; cached: CachedOwner; now: Date }[] = [];
  public context: { marker?: DiscoveryMarker; owner?: CachedOwner } | Error = {};
  public writeError?: Error;

  public async readReportContext(repositoryName: string): Promise<{ marker?: DiscoveryMarker; owner?: CachedOwner }> {
    this.reads.push(repositoryName);
    if (this.context instanceof Error) throw this.context;
    return this.context;
  }

  public async writeOwner(repositoryName: string, cached: CachedOwner, now: Date): Promise<void> {
    this.ownerWrites.push({ repositoryName, cached, now });
    if (this.writeError) throw this.writeError;
  }
}

let records: ScriptedRecords;
let tally: ContextTally;
let lines: { level: string; message: string; extra: Record<string, unknown> }[];
const log: Log = {
  debug: (message, ...extra) => lines.push({ level: 'DEBUG', message, extra: Object.assign({}, ...extra) }),
  info: (message, ...extra) => lines.push({ level: 'INFO', message, extra: Object.assign({}, ...extra) }),
  warn: (message, ...extra) => lines.push({ level: 'WARN', message, extra: Object.assign({}, ...extra) }),
  error: (message, ...extra) => lines.push({ level: 'ERROR', message, extra: Object.assign({}, ...extra) }),
};
const deps = (withRecords = true) => ({ ecr: new ECRClient({ region: 'us-east-1' }), ...(withRecords ? { records } : {}), log, now: () => NOW });
const warnings = () => lines.filter((l) => l.level === 'WARN').map((l) => [l.message, l.extra]);
const tagReads = () => ecrMock.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input);
const cachedOwner = (owner: string | undefined, ageMs: number, tagKey = 'owner'): CachedOwner => ({
  tagKey,
  readAt: new Date(NOW.getTime() - ageMs),
  ...(owner !== undefined ? { owner } : {}),
});

beforeEach(() => {
  ecrMock.reset();
  records = new ScriptedRecords();
  tally = { ledgerReadFailures: 0, ledgerWriteFailures: 0, ownerTagReads: 0 };
  lines = [];
  ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'cost-center', Value: '4711' }, { Key: 'owner', Value: 'team-payments' }] });
  ecrMock.on(DescribeImagesCommand).resolves({
    imageDetails: [{ repositoryName: REPOSITORY, imageDigest: DIGESTS.report, imagePushedAt: PUSHED, lastRecordedPullTime: PULLED }],
  });
});

describe('repositoryArn', () => {
  test.each([
    ['us-east-1', 'arn:aws:ecr:us-east-1:123456789012:repository/team-a/service-01'],
    ['eu-central-1', 'arn:aws:ecr:eu-central-1:123456789012:repository/team-a/service-01'],
    ['cn-north-1', 'arn:aws-cn:ecr:cn-north-1:123456789012:repository/team-a/service-01'],
    ['cn-northwest-1', 'arn:aws-cn:ecr:cn-northwest-1:123456789012:repository/team-a/service-01'],
    ['us-gov-west-1', 'arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/team-a/service-01'],
    ['us-gov-east-1', 'arn:aws-us-gov:ecr:us-gov-east-1:123456789012:repository/team-a/service-01'],
  ])('%s: %s', (region, arn) => {
    expect(repositoryArn(region, '123456789012', REPOSITORY)).toBe(arn);
  });
});

describe('the owner: the tag, cached for a day', () => {
  test('a fresh cache of the tag key: its owner, without ListTagsForResource or a write', async () => {
    records.context = { marker: MARKER, owner: cachedOwner('team-cache', 23 * HOUR) };

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context).toEqual({ owner: { owner: 'team-cache', source: 'tag' }, marker: MARKER, ledgerRead: true, lastPulledAt: PULLED, pushedAt: PUSHED });
    expect(records.reads).toEqual([REPOSITORY]);
    expect(ecrMock).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 0);
    expect(records.ownerWrites).toEqual([]);
    expect(tally).toEqual({ ledgerReadFailures: 0, ledgerWriteFailures: 0, ownerTagReads: 0 });
    expect(warnings()).toEqual([]);
  });

  test('a fresh cache that says the repository has no such tag: the rules decide, the tag is not read', async () => {
    records.context = { owner: cachedOwner(undefined, HOUR) };

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context.owner).toEqual({ owner: 'team-a', source: 'pattern' });
    expect(context.marker).toBeUndefined();
    expect(ecrMock).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 0);
    expect(tally.ownerTagReads).toBe(0);
  });

  test.each<[string, CachedOwner | undefined]>([
    ['no cache', undefined],
    ['a cache exactly a day old', cachedOwner('team-cache', 24 * HOUR)],
    ['a cache older than a day', cachedOwner('team-cache', 30 * HOUR)],
    ['a fresh cache of another tag key', cachedOwner('team-cache', HOUR, 'team')],
  ])('%s: the tag is read with the repository\'s ARN and the cache written with what was read', async (_label, owner) => {
    records.context = { marker: MARKER, ...(owner ? { owner } : {}) };

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context).toEqual({ owner: { owner: 'team-payments', source: 'tag' }, marker: MARKER, ledgerRead: true, lastPulledAt: PULLED, pushedAt: PUSHED });
    expect(tagReads()).toEqual([{ resourceArn: ARN }]);
    expect(records.ownerWrites).toEqual([{ repositoryName: REPOSITORY, cached: { tagKey: 'owner', readAt: NOW, owner: 'team-payments' }, now: NOW }]);
    expect(tally).toEqual({ ledgerReadFailures: 0, ledgerWriteFailures: 0, ownerTagReads: 1 });
    expect(warnings()).toEqual([]);
  });

  test('a cache read a millisecond less than a day ago is still used', async () => {
    records.context = { owner: cachedOwner('team-cache', 24 * HOUR - 1) };
    expect((await readReportContext(deps(), settings(), IMAGE, tally)).owner).toEqual({ owner: 'team-cache', source: 'tag' });
    expect(ecrMock).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 0);
  });

  test('a repository without the tag: the rules decide, and the cache records that the tag is absent', async () => {
    ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'Owner', Value: 'case-differs' }] });

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context.owner).toEqual({ owner: 'team-a', source: 'pattern' });
    expect(records.ownerWrites).toEqual([{ repositoryName: REPOSITORY, cached: { tagKey: 'owner', readAt: NOW }, now: NOW }]);
    expect(records.ownerWrites[0].cached).not.toHaveProperty('owner');
    expect(tally.ownerTagReads).toBe(1);
  });

  test('a repository with no tags at all (no tags field): no rule matching either, nobody owns it', async () => {
    ecrMock.on(ListTagsForResourceCommand).resolves({});

    const context = await readReportContext(deps(), settings({ ownerRules: [{ pattern: '^team-b/', owner: 'team-b' }] }), IMAGE, tally);

    expect(context.owner).toEqual({ source: 'none' });
    expect(records.ownerWrites.map((w) => w.cached)).toEqual([{ tagKey: 'owner', readAt: NOW }]);
  });

  test.each<[string, string, string]>([
    ['aws-cn', 'cn-north-1', 'arn:aws-cn:ecr:cn-north-1:123456789012:repository/team-a/service-01'],
    ['aws-us-gov', 'us-gov-west-1', 'arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/team-a/service-01'],
  ])('the %s partition: the ARN is that partition\'s', async (_partition, region, arn) => {
    await readReportContext(deps(), settings(), { ...IMAGE, region, accountId: '123456789012' }, tally);
    expect(tagReads()).toEqual([{ resourceArn: arn }]);
  });

  test('without a ledger the tag is read every time and nothing is cached', async () => {
    const context = await readReportContext(deps(false), settings(), IMAGE, tally);

    expect(context).toEqual({ owner: { owner: 'team-payments', source: 'tag' }, ledgerRead: true, lastPulledAt: PULLED, pushedAt: PUSHED });
    expect(tagReads()).toEqual([{ resourceArn: ARN }]);
    expect(records.reads).toEqual([]);
    expect(records.ownerWrites).toEqual([]);
    expect(tally).toEqual({ ledgerReadFailures: 0, ledgerWriteFailures: 0, ownerTagReads: 1 });
  });

  test('no owner tag key: the rules decide, no tag read, no cache write', async () => {
    records.context = { marker: MARKER, owner: cachedOwner('team-cache', HOUR) };

    const context = await readReportContext(deps(), settings({ ownerTagKey: undefined }), IMAGE, tally);

    expect(context.owner).toEqual({ owner: 'team-a', source: 'pattern' });
    expect(context.marker).toEqual(MARKER);
    expect(records.reads).toEqual([REPOSITORY]);
    expect(ecrMock).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 0);
    expect(records.ownerWrites).toEqual([]);
  });
});

describe('an owner tag value that is not an owner name', () => {
  test.each<[string, string]>([
    ['UNOWNED, the attribute of reports nobody owns', 'UNOWNED'],
    ['characters a filter policy cannot hold', 'team payments!'],
    ['a leading dash', '-team-a'],
    ['empty', ''],
    ['longer than 128 characters', `t${'x'.repeat(128)}`],
  ])('%s: ignored with a warning, the rules decide', async (_label, value) => {
    ecrMock.on(ListTagsForResourceCommand).resolves({ tags: [{ Key: 'owner', Value: value }] });

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context.owner).toEqual({ owner: 'team-a', source: 'pattern' });
    expect(warnings()).toEqual([['Owner tag value is not a valid owner name: ignored', { tagKey: 'owner', tagValue: value }]]);
    // The cache keeps the value as read: the next report decides the same way without reading the tag.
    expect(records.ownerWrites.map((w) => w.cached)).toEqual([{ tagKey: 'owner', readAt: NOW, owner: value }]);
  });

  test('an invalid value from the cache: the same warning, the rules decide', async () => {
    records.context = { owner: cachedOwner('UNOWNED', HOUR) };

    const context = await readReportContext(deps(), settings({ ownerRules: [] }), IMAGE, tally);

    expect(context.owner).toEqual({ source: 'none' });
    expect(warnings()).toEqual([['Owner tag value is not a valid owner name: ignored', { tagKey: 'owner', tagValue: 'UNOWNED' }]]);
    expect(ecrMock).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 0);
  });
});

describe('reads and writes that fail never stop the report', () => {
  test('the tags cannot be read: the rules decide, a warning, nothing cached', async () => {
    ecrMock.on(ListTagsForResourceCommand).rejects(serviceError('AccessDeniedException', 'not authorized to perform: ecr:ListTagsForResource'));

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context).toEqual({ owner: { owner: 'team-a', source: 'pattern' }, ledgerRead: true, lastPulledAt: PULLED, pushedAt: PUSHED });
    expect(warnings()).toEqual([
      [
        'Repository tags could not be read: the owner comes from repositoryOwners, if any',
        { errorName: 'AccessDeniedException', error: 'not authorized to perform: ecr:ListTagsForResource' },
      ],
    ]);
    expect(records.ownerWrites).toEqual([]);
    // The attempt is counted: it is a request to ECR all the same.
    expect(tally).toEqual({ ledgerReadFailures: 0, ledgerWriteFailures: 0, ownerTagReads: 1 });
  });

  test('the cache cannot be written: counted, with a warning; the owner read is still used', async () => {
    records.writeError = serviceError('ProvisionedThroughputExceededException', 'throughput exceeded');

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context.owner).toEqual({ owner: 'team-payments', source: 'tag' });
    expect(records.ownerWrites).toHaveLength(1);
    expect(tally).toEqual({ ledgerReadFailures: 0, ledgerWriteFailures: 1, ownerTagReads: 1 });
    expect(warnings()).toEqual([
      ['Ledger write failed: the owner tag is read again next time', { errorName: 'ProvisionedThroughputExceededException', error: 'throughput exceeded' }],
    ]);
  });

  test('the ledger\'s context cannot be read: ledgerRead false, counted, no marker; the tag is read without the cache', async () => {
    records.context = serviceError('InternalServerError', 'Internal server error', 500);

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context).toEqual({ owner: { owner: 'team-payments', source: 'tag' }, ledgerRead: false, lastPulledAt: PULLED, pushedAt: PUSHED });
    expect(context).not.toHaveProperty('marker');
    expect(tally).toEqual({ ledgerReadFailures: 1, ledgerWriteFailures: 0, ownerTagReads: 1 });
    expect(tagReads()).toEqual([{ resourceArn: ARN }]);
    expect(warnings()).toEqual([
      ['Ledger read failed: the report goes on without the owner cache and the discovery marker', { errorName: 'InternalServerError', error: 'Internal server error' }],
    ]);
  });

  test('the discovery off and no owner tag key: the ledger is not read at all', async () => {
    records.context = serviceError('InternalServerError', 'would fail', 500);

    const off = settings({ ownerTagKey: undefined, inUse: { discoveryOn: false, holdMs: 49 * HOUR } });
    const context = await readReportContext(deps(), off, IMAGE, tally);

    expect(context).toEqual({ owner: { owner: 'team-a', source: 'pattern' }, ledgerRead: true, lastPulledAt: PULLED, pushedAt: PUSHED });
    expect(records.reads).toEqual([]);
    expect(ecrMock).toHaveReceivedCommandTimes(ListTagsForResourceCommand, 0);
    expect(tally).toEqual({ ledgerReadFailures: 0, ledgerWriteFailures: 0, ownerTagReads: 0 });
    expect(warnings()).toEqual([]);
  });

  test('the discovery off but an owner tag key set: the ledger is read for the cache', async () => {
    records.context = { owner: cachedOwner('team-cache', HOUR) };

    const context = await readReportContext(deps(), settings({ inUse: { discoveryOn: false, holdMs: 49 * HOUR } }), IMAGE, tally);

    expect(records.reads).toEqual([REPOSITORY]);
    expect(context.owner).toEqual({ owner: 'team-cache', source: 'tag' });
  });
});

describe('the last pull: DescribeImages, never BatchGetImage', () => {
  test('asks for the image by digest and returns its last pull and push', async () => {
    const context = await readReportContext(deps(), settings({ ownerTagKey: undefined }), IMAGE, tally);

    expect(ecrMock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: REPOSITORY, imageIds: [{ imageDigest: DIGESTS.report }] },
    ]);
    expect(context.lastPulledAt).toEqual(PULLED);
    expect(context.pushedAt).toEqual(PUSHED);
    // The only ECR call: no image manifest read (BatchGetImage would count as a pull).
    expect(ecrMock.calls().map((c) => c.args[0].constructor.name)).toEqual(['DescribeImagesCommand']);
  });

  test('an image never pulled: no lastPulledAt field', async () => {
    const neverPulled = { repositoryName: REPOSITORY, imageDigest: DIGESTS.report, imagePushedAt: PUSHED };
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [neverPulled] });

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context).toEqual({ owner: { owner: 'team-payments', source: 'tag' }, ledgerRead: true, pushedAt: PUSHED });
    expect(context).not.toHaveProperty('lastPulledAt');
  });

  test.each([
    ['ImageNotFoundException', new ImageNotFoundException({ message: 'The image with imageId {imageDigest:...} does not exist', $metadata: sdkMetadata })],
    ['RepositoryNotFoundException', new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: sdkMetadata })],
  ])('%s (deleted since the scan): no pull times and no warning', async (_name, error) => {
    ecrMock.on(DescribeImagesCommand).rejects(error);

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context).toEqual({ owner: { owner: 'team-payments', source: 'tag' }, ledgerRead: true });
    expect(context).not.toHaveProperty('lastPulledAt');
    expect(context).not.toHaveProperty('pushedAt');
    expect(lines).toEqual([]);
  });

  const throttled = new ECRServiceException({
    name: 'ThrottlingException',
    message: 'Rate exceeded',
    $fault: 'client',
    $metadata: { httpStatusCode: 400, requestId: 'd1c5e0a4-7f2b-4c8e-9b1a-5e6f7a8b9c0d', attempts: 5, totalRetryDelay: 9_400 },
  });
  test.each<[string, Error]>([
    ['AccessDeniedException', serviceError('AccessDeniedException', 'not authorized to perform: ecr:DescribeImages')],
    ['ThrottlingException', throttled],
    ['ServerException', serviceError('ServerException', 'Internal error', 500)],
  ])('%s (after the SDK\'s retries): a warning, no pull times, the report goes on', async (name, error) => {
    ecrMock.on(DescribeImagesCommand).rejects(error);

    const context = await readReportContext(deps(), settings(), IMAGE, tally);

    expect(context).toEqual({ owner: { owner: 'team-payments', source: 'tag' }, ledgerRead: true });
    expect(warnings()).toEqual([
      ['The image\'s last pull could not be read: the report goes on without it', { errorName: name, error: error.message }],
    ]);
    expect(tally).toEqual({ ledgerReadFailures: 0, ledgerWriteFailures: 0, ownerTagReads: 1 });
  });
});
