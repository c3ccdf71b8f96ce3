/**
 * The walk with a daily scan budget (../../src/decisions/budget.ts), ECR mocked and the ledger
 * scripted: exactly as many scans as granted, in the budget's order, the rest deferred and
 * marked; yesterday's deferrals first; refused scans given back; a budget that fails starts
 * everything. Against moto's DynamoDB, with the rescan function: test/e2e/budget.e2e.ts.
 */
import { DescribeImagesCommand, ECRClient, ImageDetail, LimitExceededException, StartImageScanCommand, StartImageScanCommandInput } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { PER_IMAGE_QUOTA_MESSAGE, sdkMetadata, serviceError } from './helpers';
import type { BatchRead, EntryWrite, Ledger } from '../../src/aws/ledger';
import { ImageEvaluation, Log, RescanOptions, rescanRepository } from '../../src/aws/rescan-repository';
import { BudgetCounters, MemoryBudgetCounters, ScanBudget } from '../../src/aws/scan-budget';
import { LedgerRead } from '../../src/decisions/ledger';

const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: 'us-east-1' });
const REPOSITORY = 'team-a/service-01';
const NOW = new Date('2026-12-03T03:00:00Z');
const DAY = 86_400_000;
/** Names end in a letter or a digit other than 0: the padding is cut back off by `nameOf`. */
const digest = (name: string) => `sha256:${name.padEnd(64, '0')}`;
const nameOf = (d: string) => d.slice(7).replace(/0+$/, '');

/** An image whose last scan completed `scannedDaysAgo` (expired with the 7-day expiry), or never; pulled `pulledDaysAgo`. */
interface Img {
  readonly name: string;
  readonly scannedDaysAgo?: number;
  readonly pulledDaysAgo?: number;
  readonly refuses?: boolean;
}

function listing(images: readonly Img[]): ImageDetail[] {
  return images.map((i) => ({
    repositoryName: REPOSITORY,
    imageDigest: digest(i.name),
    imageTags: [i.name],
    imagePushedAt: new Date(NOW.getTime() - 500 * DAY),
    ...(i.pulledDaysAgo !== undefined ? { lastRecordedPullTime: new Date(NOW.getTime() - i.pulledDaysAgo * DAY) } : {}),
    ...(i.scannedDaysAgo !== undefined
      ? {
        imageScanStatus: { status: 'COMPLETE' },
        imageScanFindingsSummary: { imageScanCompletedAt: new Date(NOW.getTime() - i.scannedDaysAgo * DAY), findingSeverityCounts: {} },
      }
      : { imageScanStatus: { status: 'FAILED' } }),
  }));
}

function mockEcr(images: readonly Img[]): void {
  ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: listing(images) });
  ecrMock.on(StartImageScanCommand).callsFake(async (input: StartImageScanCommandInput) => {
    const name = nameOf(input.imageId!.imageDigest!);
    if (images.find((i) => i.name === name)?.refuses) throw new LimitExceededException({ message: PER_IMAGE_QUOTA_MESSAGE, $metadata: sdkMetadata });
    return { imageScanStatus: { status: 'IN_PROGRESS' } };
  });
}

class ScriptedLedger implements Pick<Ledger, 'readMany' | 'write' | 'markDeferred' | 'recordIndex'> {
  public readonly writes: EntryWrite[] = [];
  public readonly deferrals: { name: string; day: string }[] = [];
  constructor(private readonly entries: Record<string, { deferredOn?: string; running?: boolean }> = {}) {}

  public async readMany(_repositoryName: string, digests: readonly string[]): Promise<BatchRead> {
    const reads = new Map<string, LedgerRead>();
    for (const d of digests) {
      const e = this.entries[nameOf(d)];
      if (!e) {
        reads.set(d, { exists: false });
        continue;
      }
      reads.set(d, {
        exists: true,
        rawVersion: 1,
        entry: {
          repositoryName: REPOSITORY,
          imageDigest: d,
          imageTags: [],
          version: 1,
          ...(e.deferredOn ? { deferredOn: e.deferredOn } : {}),
          ...(e.running ? { inUse: [{ kind: 'lambda' as const, name: 'fn', seenAt: new Date(NOW.getTime() - 3600_000) }] } : {}),
        },
      });
    }
    return { reads, unread: [] };
  }
  public async write(change: EntryWrite): Promise<boolean> {
    this.writes.push(change);
    return true;
  }
  public async markDeferred(_repositoryName: string, imageDigest: string, day: string): Promise<boolean> {
    const already = this.deferrals.some((d) => d.name === nameOf(imageDigest) && d.day === day);
    this.deferrals.push({ name: nameOf(imageDigest), day });
    return !already;
  }
  public async recordIndex(): Promise<void> {
    throw new Error('these walks read no image index');
  }
}

const quiet: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const withDiscovery = {
  config: { kind: 'all' } as const,
  inUse: { discoveryOn: true, holdMs: 49 * 3600_000 },
  marker: { startedAt: new Date(NOW.getTime() - 2 * 3600_000), completedAt: new Date(NOW.getTime() - 3600_000) },
  markerRead: true,
};
type Options = RescanOptions & { evaluations: ImageEvaluation[] };
function options(ledger: ScriptedLedger, budget: ScanBudget | undefined, overrides: Partial<RescanOptions> = {}): Options {
  const evaluations: ImageEvaluation[] = [];
  return {
    now: NOW,
    scanExpiryMs: 7 * DAY,
    registryScanType: 'BASIC',
    concurrency: 3,
    log: quiet,
    ledger,
    budget,
    scope: withDiscovery,
    onImage: (e) => evaluations.push(e),
    evaluations,
    ...overrides,
  };
}
const started = () => ecrMock.commandCalls(StartImageScanCommand).map((c) => nameOf(c.args[0].input.imageId!.imageDigest!));

beforeEach(() => ecrMock.reset());

describe('the walk with a daily scan budget', () => {
  const images: Img[] = [
    { name: 'a1', scannedDaysAgo: 8 },
    { name: 'a2', scannedDaysAgo: 30 },
    { name: 'a3' }, // last scan FAILED: due
    { name: 'a4', scannedDaysAgo: 9, pulledDaysAgo: 1 },
    { name: 'a5', scannedDaysAgo: 10, pulledDaysAgo: 20 },
    { name: 'a6', scannedDaysAgo: 8 }, // running
    { name: 'a7', scannedDaysAgo: 8 }, // deferred yesterday
    { name: 'a8', scannedDaysAgo: 2 }, // fresh: not due, not counted
    { name: 'a9', scannedDaysAgo: 12, pulledDaysAgo: 40 },
  ];
  const entries = { a6: { running: true }, a7: { deferredOn: '2026-12-02' } };

  test('exactly the budget starts, in the stated order; the rest are deferred, counted and marked', async () => {
    mockEcr(images);
    const ledger = new ScriptedLedger(entries);
    const counters = new MemoryBudgetCounters();
    const opts = options(ledger, new ScanBudget(counters, 4, NOW));
    const result = await rescanRepository(ecr, REPOSITORY, opts);

    // carried (a7), in use (a6), pulled most recently (a4, then a5); then a9 (pulled 40 days ago: other), a2, a1 by oldest scan.
    expect(started()).toEqual(['a7', 'a6', 'a4', 'a5']);
    expect(result.scansStarted).toBe(4);
    expect(result.due).toBe(8);
    expect(result.skipped).toEqual({ 'fresh': 1, 'deferred-budget': 4 });
    expect(ledger.deferrals.map((d) => d.name).sort()).toEqual(['a1', 'a2', 'a3', 'a9']);
    expect(ledger.deferrals.every((d) => d.day === '2026-12-03')).toBe(true);
    // Evaluations in page order, each deferred one with its tier.
    expect(opts.evaluations.map((e) => nameOf(e.imageDigest))).toEqual(images.map((i) => i.name));
    expect(opts.evaluations.filter((e) => e.deferred).map((e) => [nameOf(e.imageDigest), e.deferred!.tier])).toEqual([
      ['a1', 'other'],
      ['a2', 'other'],
      ['a3', 'other'],
      ['a9', 'other'],
    ]);
    // The carried digest's mark is removed with its scan's write-back; the others had none.
    const a7 = ledger.writes.find((w) => nameOf(w.imageDigest) === 'a7');
    expect(a7?.remove).toContain('deferredOn');
    expect(ledger.writes.find((w) => nameOf(w.imageDigest) === 'a6')?.remove ?? []).not.toContain('deferredOn');
    // The day's counters: 4 claimed, the demand by tier, 4 deferred.
    expect(await counters.claimed('2026-12-03')).toEqual({ other: 4 });
    expect(counters.deferred('2026-12-03')).toBe(4);
    expect(await counters.demand('2026-12-03')).toEqual({ 'carried': 1, 'in-use': 1, 'pulled': 2, 'other': 4 });
  });

  test('the next day, yesterday\'s deferrals come first, and their allowance holds against a repository walked before them', async () => {
    const counters = new MemoryBudgetCounters();
    // Yesterday 3 digests were deferred (carried today) and 10 others were due.
    await counters.add('2026-12-02', { demand: { carried: 0, other: 13 }, deferred: 3 });
    await counters.add('2026-12-02', { demand: { carried: 3 } });
    const budget = new ScanBudget(counters, 5, NOW);
    // Another repository's walk, of never-pulled images, came first and took what it could.
    expect(await budget.claim('other', 50)).toEqual({ granted: 2, from: { other: 2 } });

    mockEcr([{ name: 'b1', scannedDaysAgo: 8 }, { name: 'b2', scannedDaysAgo: 8 }, { name: 'b3', scannedDaysAgo: 8 }, { name: 'b4', scannedDaysAgo: 99 }]);
    const ledger = new ScriptedLedger({ b1: { deferredOn: '2026-12-02' }, b2: { deferredOn: '2026-12-01' }, b3: { deferredOn: '2026-12-02' } });
    const result = await rescanRepository(ecr, REPOSITORY, options(ledger, budget));
    expect(started()).toEqual(['b2', 'b1', 'b3']);
    expect(result.skipped['deferred-budget']).toBe(1);
    expect(ledger.deferrals.map((d) => d.name)).toEqual(['b4']);
  });

  test('a granted scan ECR refuses (scanned in the last 24 hours) goes back to the budget', async () => {
    mockEcr([{ name: 'c1', scannedDaysAgo: 8, refuses: true }, { name: 'c2', scannedDaysAgo: 9 }, { name: 'c3', scannedDaysAgo: 10 }]);
    const counters = new MemoryBudgetCounters();
    const result = await rescanRepository(ecr, REPOSITORY, options(new ScriptedLedger(), new ScanBudget(counters, 2, NOW)));
    // Oldest scan first: c3, c2 granted; c1 deferred. Had c1 been granted and refused, its scan would be given back.
    expect(started()).toEqual(['c3', 'c2']);
    expect(result.skipped['deferred-budget']).toBe(1);

    ecrMock.reset();
    mockEcr([{ name: 'c1', scannedDaysAgo: 30, refuses: true }, { name: 'c2', scannedDaysAgo: 9 }]);
    const more = new MemoryBudgetCounters();
    const again = await rescanRepository(ecr, REPOSITORY, options(new ScriptedLedger(), new ScanBudget(more, 1, NOW)));
    expect(started()).toEqual(['c1']);
    expect(again.recentlyScanned).toBe(1);
    expect(await more.claimed('2026-12-03')).toEqual({ other: 0 });
  });

  test('counters that fail start every due digest, as without a budget, and the failure is counted', async () => {
    mockEcr(images);
    const failing: BudgetCounters = {
      demand: async () => {
        throw serviceError('InternalServerError', 'Internal server error', 500);
      },
      claimIfAtMost: async () => false,
      claimed: async () => ({}),
      add: async () => undefined,
    };
    const result = await rescanRepository(ecr, REPOSITORY, options(new ScriptedLedger(entries), new ScanBudget(failing, 1, NOW)));
    expect(result.scansStarted).toBe(8);
    expect(result.skipped['deferred-budget']).toBeUndefined();
    // The day before's demand could not be read: a read failure, once for the page.
    expect(result.ledgerReadFailures).toBe(1);
    expect(result.ledgerWriteFailures).toBe(0);

    // A claim that cannot be written: a write failure.
    ecrMock.reset();
    mockEcr(images);
    const unwritable: BudgetCounters = {
      ...failing,
      demand: async () => ({}),
      claimIfAtMost: async () => {
        throw serviceError('InternalServerError', 'Internal server error', 500);
      },
    };
    const again = await rescanRepository(ecr, REPOSITORY, options(new ScriptedLedger(entries), new ScanBudget(unwritable, 1, NOW)));
    expect(again.scansStarted).toBe(8);
    expect([again.ledgerReadFailures, again.ledgerWriteFailures]).toEqual([0, 1]);
  });

  test('a dry run takes the grants but starts and marks nothing', async () => {
    mockEcr(images);
    const ledger = new ScriptedLedger(entries);
    const opts = options(ledger, new ScanBudget(new MemoryBudgetCounters(), 4, NOW), { dryRun: true });
    const result = await rescanRepository(ecr, REPOSITORY, opts);
    expect(started()).toEqual([]);
    expect(result.skipped['deferred-budget']).toBe(4);
    expect(ledger.deferrals).toEqual([]);
    expect(opts.evaluations.filter((e) => e.deferred).map((e) => nameOf(e.imageDigest))).toEqual(['a1', 'a2', 'a3', 'a9']);
  });

  test('the order holds across a page of 1,000, not only within 100 digests', async () => {
    // 1,000 expired images; the 10 pulled most recently are at the end of the page.
    const page: Img[] = Array.from({ length: 1000 }, (_, i) => ({ name: `p${i}x`, scannedDaysAgo: 8, ...(i >= 990 ? { pulledDaysAgo: (1000 - i) / 10 } : {}) }));
    mockEcr(page);
    await rescanRepository(ecr, REPOSITORY, options(new ScriptedLedger(), new ScanBudget(new MemoryBudgetCounters(), 10, NOW)));
    expect(started()).toEqual(['p999x', 'p998x', 'p997x', 'p996x', 'p995x', 'p994x', 'p993x', 'p992x', 'p991x', 'p990x']);
  });
});
