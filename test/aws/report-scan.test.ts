/**
 * One scan event through reportScan with a scripted ledger: the paths the emulator cannot make
 * happen on demand (a ledger that fails, a claim that loses a race, a Publish that fails or
 * loses its answer, a commit that finds its claim taken over). The happy paths run end to end
 * in test/e2e/ledger.e2e.ts.
 */
import { DescribeImageScanFindingsCommand, DescribeImageScanFindingsCommandOutput, DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DIGESTS, loadEventFixture, loadSdkFixture, paginatedFake, serviceError } from './helpers';
import type { EntryWrite, Ledger, WriteGuard } from '../../src/aws/ledger';
import { LedgerContentionError, ReportDeps, emptyTally, reportScan } from '../../src/aws/report-scan';
import type { Log } from '../../src/aws/rescan-repository';
import { parseScanEvent } from '../../src/decisions/inputs';
import { ABSENT, LedgerEntry, LedgerRead } from '../../src/decisions/ledger';
import { ReportSettings, readReportSettings } from '../../src/decisions/settings';

const ecrMock = mockClient(ECRClient);
const snsMock = mockClient(SNSClient);
const NOW = new Date('2026-12-01T03:05:00.000Z');
const REPOSITORY = 'team-a/service-01';

const settings = (overrides: Record<string, string> = {}): ReportSettings =>
  readReportSettings({ TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:t', LEDGER_TABLE_NAME: 'Ledger', REPOSITORY_PATTERN: '^team-a/', ...overrides });
const event = (change: (e: Record<string, any>) => void = () => undefined) => {
  const e = loadEventFixture('eventbridge-ecr-image-scan-complete.json');
  change(e);
  return parseScanEvent(e);
};

/** A ledger whose answers the test scripts; it records every call. */
class ScriptedLedger implements Pick<Ledger, 'read' | 'write' | 'settleClaim'> {
  public readonly reads: LedgerRead[] = [];
  public readonly writes: { change: EntryWrite; guard: WriteGuard }[] = [];
  public readonly settles: { claimId: string; record: Record<string, unknown> }[] = [];
  public readAnswers: Array<LedgerRead | Error> = [];
  public writeAnswers: Array<boolean | Error> = [];
  public settleAnswers: Array<boolean | Error> = [];

  public async read(): Promise<LedgerRead> {
    const answer = this.readAnswers.length > 1 ? this.readAnswers.shift()! : this.readAnswers[0] ?? ABSENT;
    if (answer instanceof Error) throw answer;
    this.reads.push(answer);
    return answer;
  }

  public async write(change: EntryWrite, guard: WriteGuard): Promise<boolean> {
    this.writes.push({ change, guard });
    const answer = this.writeAnswers.length > 1 ? this.writeAnswers.shift()! : this.writeAnswers[0] ?? true;
    if (answer instanceof Error) throw answer;
    return answer;
  }

  public async settleClaim(_repositoryName: string, _imageDigest: string, claimId: string, record: Record<string, unknown>): Promise<boolean> {
    this.settles.push({ claimId, record });
    const answer = this.settleAnswers.shift() ?? true;
    if (answer instanceof Error) throw answer;
    return answer;
  }
}

let ledger: ScriptedLedger;
let lost: { total: number };
let lines: { level: string; message: string; extra: Record<string, unknown> }[];
const log: Log = {
  debug: (message, ...extra) => lines.push({ level: 'DEBUG', message, extra: Object.assign({}, ...extra) }),
  info: (message, ...extra) => lines.push({ level: 'INFO', message, extra: Object.assign({}, ...extra) }),
  warn: (message, ...extra) => lines.push({ level: 'WARN', message, extra: Object.assign({}, ...extra) }),
  error: (message, ...extra) => lines.push({ level: 'ERROR', message, extra: Object.assign({}, ...extra) }),
};
let ids = 0;
const deps = (): ReportDeps => ({
  ecr: new ECRClient({ region: 'us-east-1' }),
  sns: new SNSClient({ region: 'us-east-1' }),
  lostAnswers: lost,
  ledger,
  log,
  now: () => NOW,
  newId: () => `claim-${++ids}`,
});
const dynamoError = (name: string) => serviceError(name, `${name} (injected)`, name === 'InternalServerError' ? 500 : 400);

/** An entry whose last report listed the fixture's reached findings already. */
function reportedEntry(version = 2): LedgerRead {
  const entry: LedgerEntry = {
    repositoryName: REPOSITORY,
    imageDigest: DIGESTS.report,
    imageTags: ['v1.4.2'],
    lastReport: {
      at: new Date('2026-11-24T03:05:00.000Z'),
      scanKey: 'COMPLETE@2026-11-24T03:04:00.000Z',
      eventId: 'older-event',
      reason: 'first-report',
      findingIds: ['CVE-2024-3094', 'CVE-2024-45490', 'CVE-2024-6387', 'CVE-2023-4911', 'CVE-2024-2961'],
      severityCounts: { CRITICAL: 1, HIGH: 4 },
    },
    version,
  };
  return { exists: true, entry, rawVersion: version };
}

beforeEach(() => {
  ids = 0;
  ecrMock.reset();
  snsMock.reset();
  ledger = new ScriptedLedger();
  lost = { total: 0 };
  lines = [];
  const pages = loadSdkFixture<DescribeImageScanFindingsCommandOutput[]>('describe-image-scan-findings-basic-pages.json');
  ecrMock.on(DescribeImageScanFindingsCommand).callsFake(paginatedFake(pages).fake);
  // The report reads the image's last pull (DescribeImages); ../e2e covers it against the emulator.
  ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imagePushedAt: new Date('2026-10-01T00:00:00Z'), lastRecordedPullTime: new Date('2026-11-30T00:00:00Z') }] });
  snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
});

describe('the ledger never stops a report', () => {
  test('a ledger that cannot be read: reported as the digest\'s first report, without a claim, the failure counted', async () => {
    ledger.readAnswers = [dynamoError('ProvisionedThroughputExceededException')];
    const tally = emptyTally();

    const outcome = await reportScan(deps(), event(), settings(), tally);

    expect(outcome).toMatchObject({ published: true, news: 'first-report' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(ledger.writes).toEqual([]);
    expect(ledger.settles).toEqual([]);
    expect(tally).toEqual({
      possiblyDuplicated: 0,
      ledgerReadFailures: 1,
      ledgerWriteFailures: 0,
      ledgerEntriesIgnored: 0,
      findingsIgnored: 0,
      ownerTagReads: 0,
    });
    expect(lines.filter((l) => l.level === 'WARN').map((l) => [l.message, l.extra.errorName])).toEqual([
      ['Ledger read failed: going on without it', 'ProvisionedThroughputExceededException'],
    ]);
  });

  test('a claim that cannot be written: published anyway, nothing settled, the failure counted', async () => {
    ledger.writeAnswers = [dynamoError('InternalServerError')];
    const tally = emptyTally();

    expect(await reportScan(deps(), event(), settings(), tally)).toMatchObject({ published: true });
    expect(ledger.writes).toHaveLength(1);
    expect(ledger.writes[0].change.claim).toMatchObject({ id: 'claim-1' });
    expect(ledger.settles).toEqual([]);
    expect(tally.ledgerWriteFailures).toBe(1);
  });

  test('a commit that fails after Publish: the report stands, the failure counted (the next report may repeat it)', async () => {
    ledger.settleAnswers = [dynamoError('ThrottlingException')];
    const tally = emptyTally();

    expect(await reportScan(deps(), event(), settings(), tally)).toMatchObject({ published: true });
    expect(tally.ledgerWriteFailures).toBe(1);
  });
});

describe('exactly one report per scan', () => {
  test('the claim is conditioned on the entry as read, and the commit records what was reported and removes the claim', async () => {
    ledger.readAnswers = [{ exists: true, entry: { ...reportedEntry().entry!, lastReport: undefined }, rawVersion: 7 }];

    await reportScan(deps(), event(), settings(), emptyTally());

    expect(ledger.writes).toHaveLength(1);
    const { change, guard } = ledger.writes[0];
    expect(guard).toEqual({ kind: 'locked', read: ledger.reads[0] });
    expect(change).toMatchObject({
      repositoryName: REPOSITORY,
      imageDigest: DIGESTS.report,
      imageTags: ['v1.4.2', 'latest'],
      scan: { status: 'COMPLETE', source: 'scan-event', severityCounts: { CRITICAL: 1, HIGH: 4, MEDIUM: 2, LOW: 1, INFORMATIONAL: 1 }, findingIds: expect.any(Array) },
      claim: { id: 'claim-1', eventId: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae', expiresAt: new Date(NOW.getTime() + 3 * 60_000) },
      remove: ['failureReport', 'deferredOn'],
    });
    expect(ledger.settles).toEqual([
      {
        claimId: 'claim-1',
        record: {
          lastReport: {
            at: NOW,
            scanKey: change.claim!.scanKey,
            eventId: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae',
            reason: 'first-report',
            findingIds: expect.any(Array),
            severityCounts: { CRITICAL: 1, HIGH: 4, MEDIUM: 2, LOW: 1, INFORMATIONAL: 1 },
          },
        },
      },
    ]);
    // The ids of the findings at the reached severities (1 CRITICAL, 4 HIGH), each once.
    expect([...(ledger.settles[0].record.lastReport as { findingIds: string[] }).findingIds].sort()).toEqual(
      ['CVE-2024-3094', 'CVE-2024-45490', 'CVE-2024-6387', 'CVE-2023-4911', 'CVE-2024-2961'].sort(),
    );
    // The scan is known by ECR's completion time, the same for every event about it.
    expect(change.claim!.scanKey).toMatch(/^COMPLETE@\d{4}-\d{2}-\d{2}T/);
  });

  test('the entry changed between the read and the claim: read again and decided again', async () => {
    ledger.readAnswers = [ABSENT, reportedEntry(1)];
    ledger.writeAnswers = [false, true];

    const outcome = await reportScan(deps(), event(), settings(), emptyTally());

    // The second read shows the same findings already reported: withheld, recorded on the entry as read.
    expect(outcome).toEqual({ published: false, reason: 'not-new', withheld: 'not-new' });
    expect(ledger.reads).toHaveLength(2);
    expect(ledger.writes.map((w) => [w.change.claim !== undefined, w.guard.kind])).toEqual([
      [true, 'locked'],
      [false, 'locked'],
    ]);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  test('an entry that changes in every round: nothing published, an error Lambda retries', async () => {
    ledger.writeAnswers = [false];
    await expect(reportScan(deps(), event(), settings(), emptyTally())).rejects.toBeInstanceOf(LedgerContentionError);
    expect(ledger.reads).toHaveLength(3);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  test('a Publish that fails gives the claim back and fails the invocation, so Lambda\'s retry reports it', async () => {
    snsMock.on(PublishCommand).rejects(serviceError('InternalErrorException', 'try again', 500));

    await expect(reportScan(deps(), event(), settings(), emptyTally())).rejects.toMatchObject({ name: 'InternalErrorException' });
    expect(ledger.settles).toEqual([{ claimId: 'claim-1', record: {} }]);
  });

  test('each Publish attempt that lost its answer is counted as a possible extra copy', async () => {
    snsMock.on(PublishCommand).callsFake(() => {
      lost.total += 2;
      return { MessageId: 'm-2' };
    });
    const tally = emptyTally();

    expect(await reportScan(deps(), event(), settings(), tally)).toMatchObject({ published: true, messageId: 'm-2' });
    expect(tally.possiblyDuplicated).toBe(2);
    expect(lines.find((l) => l.message.startsWith('Publish lost an answer'))).toMatchObject({ level: 'WARN' });
  });

  test('a Publish that lost an answer and then failed: possibly published, the claim given back, the failure thrown', async () => {
    snsMock.on(PublishCommand).callsFake(() => {
      lost.total++;
      throw serviceError('TimeoutError', 'socket hang up', 500);
    });
    const tally = emptyTally();

    await expect(reportScan(deps(), event(), settings(), tally)).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(tally.possiblyDuplicated).toBe(1);
    expect(ledger.settles).toEqual([{ claimId: 'claim-1', record: {} }]);
  });

  test('a report taken over from a dead attempt\'s claim (this same event, retried by Lambda) is counted as possibly duplicated', async () => {
    const fixtureEvent = event();
    // The scan key of the fixture's scan, as a first attempt claims it.
    await reportScan(deps(), fixtureEvent, settings(), emptyTally());
    const scanKey = ledger.writes[0].change.claim!.scanKey;
    ledger = new ScriptedLedger();
    snsMock.resetHistory();
    // That attempt died after its claim: Lambda's retry finds the claim, by the same event, still live.
    const dead = reportedEntry(4);
    ledger.readAnswers = [
      { ...dead, entry: { ...dead.entry!, lastReport: undefined, claim: { id: 'claim-0', scanKey, eventId: fixtureEvent.eventId, expiresAt: new Date(NOW.getTime() + 60_000) } } },
    ];
    const tally = emptyTally();

    expect(await reportScan(deps(), fixtureEvent, settings(), tally)).toMatchObject({ published: true });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(tally.possiblyDuplicated).toBe(1);
    expect(lines.find((l) => l.message.startsWith('Report taken over from an earlier attempt'))).toMatchObject({ level: 'WARN', extra: { scanKey } });
  });

  test('a claim whose write took effect but lost its answer (the retry then failed the condition) is this attempt\'s: no takeover, one report', async () => {
    const entry = reportedEntry(2);
    const withOurClaim = (claimId: string): LedgerRead => ({
      ...entry,
      rawVersion: 3,
      entry: { ...entry.entry!, lastReport: undefined, version: 3, claim: { id: claimId, scanKey: 'k', eventId: 'e', expiresAt: new Date(NOW.getTime() + 60_000) } },
    });
    ledger.readAnswers = [{ ...entry, entry: { ...entry.entry!, lastReport: undefined } }, withOurClaim('claim-1')];
    ledger.writeAnswers = [false];
    const tally = emptyTally();

    expect(await reportScan(deps(), event(), settings(), tally)).toMatchObject({ published: true, news: 'first-report' });
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(ledger.writes).toHaveLength(1);
    expect(ledger.settles.map((s) => s.claimId)).toEqual(['claim-1']);
    expect(tally.possiblyDuplicated).toBe(0);
  });

  test('a commit that finds its claim taken over: the report stands, a warning says so', async () => {
    ledger.settleAnswers = [false];
    expect(await reportScan(deps(), event(), settings(), emptyTally())).toMatchObject({ published: true });
    expect(lines.find((l) => l.message.startsWith('Report published, but its claim was gone at the commit'))).toMatchObject({ level: 'WARN' });
  });
});

describe('every event is recorded, reported or not', () => {
  test('below the thresholds: recorded without a read, only if the ledger holds nothing later; the failure report ends', async () => {
    const outcome = await reportScan(deps(), event((e) => (e.detail['finding-severity-counts'] = { LOW: 2 })), settings(), emptyTally());

    expect(outcome).toEqual({ published: false, reason: 'below-threshold' });
    expect(ledger.reads).toEqual([]);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ledger.writes).toEqual([
      {
        guard: { kind: 'monotonic' },
        change: expect.objectContaining({
          // No finding at or above a threshold: the ids at reached severities are known to be none.
          scan: { status: 'COMPLETE', observedAt: new Date('2026-11-15T11:58:05Z'), source: 'scan-event', completedAt: new Date('2026-11-15T11:58:05Z'), severityCounts: { LOW: 2 }, findingIds: [] },
          remove: ['failureReport', 'deferredOn'],
        }),
      },
    ]);
  });

  test('below the thresholds, an event without a time (hand-made): recorded without a completion time, so the walk asks ECR rather than trust this run\'s clock', async () => {
    const outcome = await reportScan(
      deps(),
      event((e) => {
        e.detail['finding-severity-counts'] = { LOW: 2 };
        delete e.time;
      }),
      settings(),
      emptyTally(),
    );

    expect(outcome).toEqual({ published: false, reason: 'below-threshold' });
    expect(ledger.writes).toHaveLength(1);
    expect(ledger.writes[0].change.scan).toEqual({ status: 'COMPLETE', observedAt: NOW, source: 'scan-event', severityCounts: { LOW: 2 }, findingIds: [] });
  });

  test('a FAILED scan not reported: merged into the entry as read, so the last COMPLETE scan\'s time and counts stay', async () => {
    const completedAt = new Date('2026-11-10T03:00:00.000Z');
    ledger.readAnswers = [
      { exists: true, rawVersion: 1, entry: { ...reportedEntry(1).entry!, scan: { status: 'COMPLETE', observedAt: completedAt, source: 'scan-event', completedAt, severityCounts: { HIGH: 2 } } } },
    ];
    const failed = event((e) => {
      e.detail['scan-status'] = 'FAILED';
      delete e.detail['finding-severity-counts'];
    });

    expect(await reportScan(deps(), failed, settings({ NOTIFY_ON_SCAN_FAILURE: 'false' }), emptyTally())).toEqual({ published: false, reason: 'scan-failed-not-reported' });
    expect(ledger.writes).toHaveLength(1);
    expect(ledger.writes[0].guard.kind).toBe('locked');
    expect(ledger.writes[0].change.scan).toEqual({ status: 'FAILED', observedAt: new Date('2026-11-15T11:58:05Z'), source: 'scan-event', completedAt, severityCounts: { HIGH: 2 } });
    expect(ledger.writes[0].change.remove).toEqual([]);
  });

  test('a repository outside the patterns: recorded, nothing read or published', async () => {
    const other = event((e) => (e.detail['repository-name'] = 'team-b/web'));
    expect(await reportScan(deps(), other, settings(), emptyTally())).toEqual({ published: false, reason: 'repository-not-selected' });
    expect(ledger.writes.map((w) => [w.change.repositoryName, w.guard.kind])).toEqual([['team-b/web', 'monotonic']]);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(snsMock).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  test('an unexpected scan status is not recorded: the ledger keeps only what the rules know', async () => {
    const odd = event((e) => (e.detail['scan-status'] = 'PENDING'));
    expect(await reportScan(deps(), odd, settings(), emptyTally())).toEqual({ published: false, reason: 'unexpected-scan-status' });
    expect(ledger.writes).toEqual([]);
  });
});
