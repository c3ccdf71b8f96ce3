/**
 * The walk with a ledger, with the ledger scripted: what it decides from an entry, what it reads
 * from ECR instead, what it writes back, and that a ledger which fails or leaves keys unread
 * costs reads, never a decision. Against moto's DynamoDB: test/e2e/ledger.e2e.ts.
 */
import {
  DescribeImageScanFindingsCommand,
  DescribeImageScanFindingsCommandInput,
  DescribeImagesCommand,
  ECRClient,
  ImageDetail,
  LimitExceededException,
  ScanNotFoundException,
  StartImageScanCommand,
  StartImageScanCommandInput,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { PER_IMAGE_QUOTA_MESSAGE, sdkMetadata, serviceError } from './helpers';
import type { BatchRead, EntryWrite, Ledger, WriteGuard } from '../../src/aws/ledger';
import { Log, RescanOptions, rescanRepository } from '../../src/aws/rescan-repository';
import { LedgerRead, ScanRecord } from '../../src/decisions/ledger';

const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: 'us-east-1' });
const REPOSITORY = 'team-a/service-01';
const NOW = new Date('2026-12-01T03:00:00.250Z');
const DAY = 86_400_000;
const digest = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
const image = (n: number): ImageDetail => ({ repositoryName: REPOSITORY, imageDigest: digest(n), imageTags: [`v${n}`] });

/** ECR's answers per digest: a completion `daysAgo`, FAILED, or never scanned (ScanNotFoundException); StartImageScan accepts unless told. */
interface EcrTruth {
  readonly state: { daysAgo: number } | 'FAILED' | 'never';
  readonly refusesScan?: boolean;
  /** When DescribeImages says the image was pushed; absent when the test does not care. */
  readonly pushedDaysAgo?: number;
}

function mockEcr(truth: Record<number, EcrTruth>): void {
  ecrMock.on(DescribeImagesCommand).resolves({
    imageDetails: Object.entries(truth).map(([n, t]) => ({
      ...image(Number(n)),
      ...(t.pushedDaysAgo === undefined ? {} : { imagePushedAt: new Date(NOW.getTime() - t.pushedDaysAgo * DAY) }),
    })),
  });
  ecrMock.on(DescribeImageScanFindingsCommand).callsFake(async (input: DescribeImageScanFindingsCommandInput) => {
    const n = Number(input.imageId!.imageDigest!.slice(7));
    const { state } = truth[n];
    if (state === 'never') throw new ScanNotFoundException({ message: 'Image scan does not exist', $metadata: sdkMetadata });
    if (state === 'FAILED') return { imageScanStatus: { status: 'FAILED', description: 'Unable to retrieve the image layers.' } };
    const completedAt = new Date(NOW.getTime() - state.daysAgo * DAY);
    return { imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { imageScanCompletedAt: completedAt, findingSeverityCounts: { HIGH: 1 } } };
  });
  ecrMock.on(StartImageScanCommand).callsFake(async (input: StartImageScanCommandInput) => {
    const n = Number(input.imageId!.imageDigest!.slice(7));
    if (truth[n].refusesScan) throw new LimitExceededException({ message: PER_IMAGE_QUOTA_MESSAGE, $metadata: sdkMetadata });
    return { imageScanStatus: { status: 'IN_PROGRESS' } };
  });
}

/** An entry the ledger holds for a digest: a COMPLETE scan `daysAgo`, or another status. */
function entry(n: number, scan: Partial<ScanRecord> & { status: string }): LedgerRead {
  return {
    exists: true,
    rawVersion: 2,
    entry: {
      repositoryName: REPOSITORY,
      imageDigest: digest(n),
      imageTags: [`v${n}`],
      scan: { observedAt: new Date(NOW.getTime() - DAY), source: 'scan-event', severityCounts: {}, ...scan },
      version: 2,
    },
  };
}
const completeDaysAgo = (n: number, daysAgo: number) => entry(n, { status: 'COMPLETE', completedAt: new Date(NOW.getTime() - daysAgo * DAY) });

class ScriptedLedger implements Pick<Ledger, 'readMany' | 'write' | 'markDeferred' | 'recordIndex'> {
  public readonly batches: string[][] = [];
  public readonly writes: { change: EntryWrite; guard: WriteGuard }[] = [];
  public failReads = false;
  public unread: string[] = [];
  public failWrites = false;
  public readonly deferrals: { imageDigest: string; day: string }[] = [];

  constructor(private readonly entries: Record<string, LedgerRead> = {}) {}

  public async readMany(_repositoryName: string, digests: readonly string[]): Promise<BatchRead> {
    this.batches.push([...digests]);
    if (this.failReads) throw serviceError('ProvisionedThroughputExceededException', 'throughput exceeded');
    const reads = new Map<string, LedgerRead>();
    for (const d of digests) if (!this.unread.includes(d)) reads.set(d, this.entries[d] ?? { exists: false });
    return { reads, unread: digests.filter((d) => this.unread.includes(d)) };
  }

  public async write(change: EntryWrite, guard: WriteGuard): Promise<boolean> {
    this.writes.push({ change, guard });
    if (this.failWrites) throw serviceError('InternalServerError', 'Internal server error', 500);
    return true;
  }

  public async markDeferred(_repositoryName: string, imageDigest: string, day: string): Promise<boolean> {
    if (this.failWrites) throw serviceError('InternalServerError', 'Internal server error', 500);
    const already = this.deferrals.some((d) => d.imageDigest === imageDigest && d.day === day);
    this.deferrals.push({ imageDigest, day });
    return !already;
  }

  public async recordIndex(): Promise<void> {
    throw new Error('these walks read no image index');
  }
}

const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const options = (ledger: ScriptedLedger, overrides: Partial<RescanOptions> = {}): RescanOptions => ({
  now: NOW,
  scanExpiryMs: 7 * DAY,
  registryScanType: 'BASIC',
  concurrency: 3,
  log: quiet,
  ledger,
  ...overrides,
});
const read = () => ecrMock.commandCalls(DescribeImageScanFindingsCommand).map((c) => Number(c.args[0].input.imageId!.imageDigest!.slice(7))).sort();
const scanned = () => ecrMock.commandCalls(StartImageScanCommand).map((c) => Number(c.args[0].input.imageId!.imageDigest!.slice(7))).sort();
const written = (ledger: ScriptedLedger) =>
  ledger.writes
    .map((w) => [Number(w.change.imageDigest.slice(7)), w.change.scan?.status, w.change.scan?.source, w.guard.kind])
    .sort((a, b) => Number(a[0]) - Number(b[0]));

beforeEach(() => ecrMock.reset());

test('decided from the ledger where it knows: fresh skipped and expired scanned, neither read from ECR', async () => {
  mockEcr({ 1: { state: { daysAgo: 2 } }, 2: { state: { daysAgo: 9 } } });
  const ledger = new ScriptedLedger({ [digest(1)]: completeDaysAgo(1, 2), [digest(2)]: completeDaysAgo(2, 9) });

  const counts = await rescanRepository(ecr, REPOSITORY, options(ledger));

  expect(read()).toEqual([]);
  expect(scanned()).toEqual([2]);
  expect(counts).toMatchObject({ imagesEvaluated: 2, due: 1, scansStarted: 1, statusReadsSaved: 2, skipped: { fresh: 1 } });
  // The scan it started is written back, to the second below, as StartImageScan's answer.
  expect(written(ledger)).toEqual([[2, 'IN_PROGRESS', 'start-image-scan', 'monotonic']]);
  expect(ledger.writes[0].change.scan!.observedAt).toEqual(new Date('2026-12-01T03:00:00.000Z'));
});

test('what the ledger lacks or shows in another status is read from ECR, decided as without it, and written back', async () => {
  mockEcr({ 1: { state: 'never' }, 2: { state: { daysAgo: 3 } }, 3: { state: 'FAILED' }, 4: { state: { daysAgo: 1 } } });
  const ledger = new ScriptedLedger({
    [digest(2)]: entry(2, { status: 'IN_PROGRESS', source: 'start-image-scan' }),
    [digest(3)]: entry(3, { status: 'FAILED' }),
    [digest(4)]: entry(4, { status: 'LIMIT_EXCEEDED', source: 'start-image-scan' }),
  });

  const counts = await rescanRepository(ecr, REPOSITORY, options(ledger));

  expect(read()).toEqual([1, 2, 3, 4]);
  expect(scanned()).toEqual([1, 3]);
  expect(counts.statusReadsSaved).toBe(0);
  expect(written(ledger)).toEqual([
    [1, 'IN_PROGRESS', 'start-image-scan', 'monotonic'],
    [2, 'COMPLETE', 'status-read', 'monotonic'],
    [3, 'IN_PROGRESS', 'start-image-scan', 'monotonic'],
    [4, 'COMPLETE', 'status-read', 'monotonic'],
  ]);
  // A COMPLETE state read from ECR ends any failure report; the write carries ECR's completion time.
  const digest2 = ledger.writes.find((w) => w.change.imageDigest === digest(2))!.change;
  expect(digest2.remove).toEqual(['failureReport', 'deferredOn']);
  expect(digest2.scan!.completedAt).toEqual(new Date(NOW.getTime() - 3 * DAY));
});

test('an image ECR cannot scan (UNSUPPORTED_IMAGE, an attestation manifest) costs one status read per scan expiry, not one per cycle', async () => {
  // ECR would still say UNSUPPORTED_IMAGE; the ledger says so too, 2 days ago for 1 and 8 days ago for 2.
  mockEcr({ 1: { state: 'never' }, 2: { state: 'never' } });
  ecrMock.on(DescribeImageScanFindingsCommand).resolves({ imageScanStatus: { status: 'UNSUPPORTED_IMAGE', description: 'UnsupportedImageError' } });
  const unsupported = (n: number, daysAgo: number) => entry(n, { status: 'UNSUPPORTED_IMAGE', observedAt: new Date(NOW.getTime() - daysAgo * DAY), source: 'status-read' });
  const ledger = new ScriptedLedger({ [digest(1)]: unsupported(1, 2), [digest(2)]: unsupported(2, 8) });

  const counts = await rescanRepository(ecr, REPOSITORY, options(ledger));

  // 1 is decided from the ledger; 2's observation is a scan expiry old, so ECR is asked again and the answer written back.
  expect(read()).toEqual([2]);
  expect(scanned()).toEqual([]);
  expect(counts).toMatchObject({ imagesEvaluated: 2, statusReadsSaved: 1, skipped: { 'unsupported-image': 2 } });
  expect(written(ledger)).toEqual([[2, 'UNSUPPORTED_IMAGE', 'status-read', 'monotonic']]);
});

test('a digest pushed again after the scan the ledger holds (deleted, then pushed) is read from ECR, not taken as fresh', async () => {
  // The ledger's COMPLETE scan of 3 days ago went with the deleted image: ECR has none for the new push.
  mockEcr({ 1: { state: 'never', pushedDaysAgo: 1 }, 2: { state: { daysAgo: 3 }, pushedDaysAgo: 30 } });
  const ledger = new ScriptedLedger({ [digest(1)]: completeDaysAgo(1, 3), [digest(2)]: completeDaysAgo(2, 3) });

  const counts = await rescanRepository(ecr, REPOSITORY, options(ledger));

  expect(read()).toEqual([1]);
  expect(scanned()).toEqual([1]);
  expect(counts).toMatchObject({ imagesEvaluated: 2, due: 1, scansStarted: 1, statusReadsSaved: 1, skipped: { fresh: 1 } });
  expect(written(ledger)).toEqual([[1, 'IN_PROGRESS', 'start-image-scan', 'monotonic']]);
});

test('an expired entry whose scan ECR refuses (a later scan the ledger missed): recorded as LIMIT_EXCEEDED, so the next walk reads it', async () => {
  mockEcr({ 1: { state: { daysAgo: 0 }, refusesScan: true } });
  const ledger = new ScriptedLedger({ [digest(1)]: completeDaysAgo(1, 10) });

  const counts = await rescanRepository(ecr, REPOSITORY, options(ledger));

  expect(read()).toEqual([]);
  expect(scanned()).toEqual([1]);
  expect(counts).toMatchObject({ recentlyScanned: 1, scansStarted: 0 });
  expect(written(ledger)).toEqual([[1, 'LIMIT_EXCEEDED', 'start-image-scan', 'monotonic']]);
  // What the ledger knew of the last COMPLETE scan stays with it.
  expect(ledger.writes[0].change.scan!.completedAt).toEqual(new Date(NOW.getTime() - 10 * DAY));
});

test('an entry that could not be parsed is read from ECR, counted, and replaced exactly (a locked write on the item read)', async () => {
  mockEcr({ 1: { state: { daysAgo: 2 } } });
  const ignored: LedgerRead = { exists: true, ignored: 'schemaVersion is 2; this version of cdk-ecr-scan-reporter reads 1', rawVersion: 9 };
  const ledger = new ScriptedLedger({ [digest(1)]: ignored });
  const warnings: Record<string, unknown>[] = [];

  const log: Log = { ...quiet, warn: (message, ...extra) => warnings.push({ message, ...Object.assign({}, ...extra) }) };

  const counts = await rescanRepository(ecr, REPOSITORY, options(ledger, { log }));

  expect(read()).toEqual([1]);
  expect(counts.ledgerEntriesIgnored).toBe(1);
  expect(written(ledger)).toEqual([[1, 'COMPLETE', 'status-read', 'locked']]);
  expect(ledger.writes[0].guard).toEqual({ kind: 'locked', read: ignored });
  expect(warnings).toEqual([expect.objectContaining({ message: 'Ledger entry ignored: reading the state from ECR', problem: ignored.ignored })]);
});

test('a ledger read that fails costs reads: every digest read from ECR, the failed read counted once, the decisions unchanged', async () => {
  mockEcr({ 1: { state: { daysAgo: 2 } }, 2: { state: { daysAgo: 9 } } });
  const ledger = new ScriptedLedger({ [digest(1)]: completeDaysAgo(1, 2), [digest(2)]: completeDaysAgo(2, 9) });
  ledger.failReads = true;

  const counts = await rescanRepository(ecr, REPOSITORY, options(ledger));

  expect(read()).toEqual([1, 2]);
  expect(scanned()).toEqual([2]);
  expect(counts).toMatchObject({ ledgerReadFailures: 1, statusReadsSaved: 0 });
});

test('keys DynamoDB left unprocessed are read from ECR and counted', async () => {
  mockEcr({ 1: { state: { daysAgo: 2 } }, 2: { state: { daysAgo: 2 } } });
  const ledger = new ScriptedLedger({ [digest(1)]: completeDaysAgo(1, 2), [digest(2)]: completeDaysAgo(2, 2) });
  ledger.unread = [digest(2)];

  const counts = await rescanRepository(ecr, REPOSITORY, options(ledger));

  expect(read()).toEqual([2]);
  expect(counts).toMatchObject({ ledgerReadFailures: 1, statusReadsSaved: 1 });
});

test('a write-back that fails is counted, never fatal: the walk goes on', async () => {
  mockEcr({ 1: { state: 'never' }, 2: { state: { daysAgo: 1 } } });
  const ledger = new ScriptedLedger();
  ledger.failWrites = true;

  const counts = await rescanRepository(ecr, REPOSITORY, options(ledger));

  expect(scanned()).toEqual([1]);
  expect(counts).toMatchObject({ imagesEvaluated: 2, scansStarted: 1, ledgerWriteFailures: 2 });
});

test('one ledger read per 100 digests, each just before they are evaluated; none under enhanced scanning or for states DescribeImages gave', async () => {
  const digests = Array.from({ length: 250 }, (_, i) => i + 1);
  mockEcr(Object.fromEntries(digests.map((n) => [n, { state: { daysAgo: 1 } }])));
  const ledger = new ScriptedLedger();

  await rescanRepository(ecr, REPOSITORY, options(ledger));
  expect(ledger.batches.map((b) => b.length)).toEqual([100, 100, 50]);
  expect(ledger.batches.flat()).toEqual(digests.map(digest));

  const enhanced = new ScriptedLedger();
  await rescanRepository(ecr, REPOSITORY, options(enhanced, { registryScanType: 'ENHANCED' }));
  expect(enhanced.batches).toEqual([]);

  ecrMock.on(DescribeImagesCommand).resolves({
    imageDetails: [{ ...image(1), imageScanStatus: { status: 'COMPLETE' }, imageScanFindingsSummary: { imageScanCompletedAt: new Date(NOW.getTime() - DAY) } }],
  });
  const summarized = new ScriptedLedger();
  await rescanRepository(ecr, REPOSITORY, options(summarized));
  expect(summarized.batches).toEqual([]);
});

test('a walk told to stop evaluates a prefix and reads the ledger only for the chunks it starts', async () => {
  const digests = Array.from({ length: 250 }, (_, i) => i + 1);
  mockEcr(Object.fromEntries(digests.map((n) => [n, { state: { daysAgo: 1 } }])));
  const ledger = new ScriptedLedger();
  let evaluated = 0;

  const stopAt100 = { concurrency: 1, onImage: () => evaluated++, shouldStop: () => evaluated >= 100 };

  const result = await rescanRepository(ecr, REPOSITORY, options(ledger, stopAt100));

  expect(ledger.batches.map((b) => b.length)).toEqual([100]);
  expect(result.imagesEvaluated).toBe(100);
  expect(result.continuation?.pendingDigests).toHaveLength(150);
});
