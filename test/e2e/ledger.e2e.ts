/**
 * The ledger end to end: the handler bundles against the emulator's DynamoDB, ECR, SNS and
 * EventBridge, configured from the construct's template.
 *
 * - Reports: with default props the same findings on a digest's second scan send nothing, one
 *   new CVE sends one report that names it, a replayed event sends nothing, and EVERY_SCAN sends
 *   every time (once per scan).
 * - Rescans: a second cycle reads no state the ledger knows; a digest the ledger knows to be
 *   expired is scanned without a read; a ledger that is empty, stale or wrong in the "older"
 *   direction costs ECR calls, never a missed due digest or a second scan.
 * - The adapter's guards, as moto's DynamoDB evaluates them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { Duration } from 'aws-cdk-lib';
import { Deployment, deploy, rescanCycle, useEmulator } from './harness';
import { EmulatorRequest } from '../../local/emulator/emulator';
import { deliverScanEvents, drainQueue, lambdaContext, receiveNotifications } from '../../local/pipeline';
import { SeedRepository } from '../../local/registry';
import { SAMPLE_REGISTRY, SAMPLE_SETTINGS, SampleImage } from '../../local/sample-registry';
import { EcrScanReporterProps, ReportOn } from '../../src';
import { Ledger } from '../../src/aws/ledger';
import { ScanRecord, imageKey } from '../../src/decisions/ledger';

const fixture = useEmulator();
const ECR = 'AmazonEC2ContainerRegistry_V20150921';
const DAY = 86_400_000;

const SAMPLE_PROPS: EcrScanReporterProps = {
  repositoryPattern: SAMPLE_SETTINGS.repositoryPattern,
  excludePattern: SAMPLE_SETTINGS.excludePattern,
  scanExpiry: Duration.days(SAMPLE_SETTINGS.scanExpiryDays),
};

/** A document client of the test's own, straight to the emulator. */
function ledgerClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(fixture().emulator.clientConfig()), { marshallOptions: { removeUndefinedValues: true } });
}

function ledgerOf(deployment: Deployment): Ledger {
  return new Ledger(ledgerClient(), { tableName: deployment.infrastructure.ledgerTableName, ttlSeconds: 90 * 86_400 });
}

const ecrCalls = (requests: readonly EmulatorRequest[], operation: string) => requests.filter((r) => r.service === ECR && r.operation === operation);
const digestOf = (r: EmulatorRequest) => r.params.imageId?.imageDigest as string;

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

const ONE_IMAGE: SeedRepository[] = [{ name: 'shop/api', images: [{ tags: ['v2.3.1'], scan: { kind: 'never' } }] }];

interface Finding {
  readonly id: string;
  readonly severity: string;
}

/** What ECR finishes a scan with: the findings (explicit ids, so a CVE keeps its id from scan to scan) at `completedAt`. */
async function finishScan(deployment: Deployment, findings: readonly Finding[], completedAt: Date): Promise<Record<string, number>> {
  const [image] = deployment.seeded;
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  await fixture().emulator.seedImageScan(image.repositoryName, image.imageDigest, completedAt, {
    registryId: fixture().emulator.accountId,
    repositoryName: image.repositoryName,
    imageId: { imageDigest: image.imageDigest },
    imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
    imageScanFindings: {
      imageScanCompletedAt: completedAt.getTime() / 1000,
      vulnerabilitySourceUpdatedAt: completedAt.getTime() / 1000 - 3600,
      findingSeverityCounts: counts,
      findings: findings.map((f) => ({ name: f.id, severity: f.severity, uri: `https://nvd.nist.gov/vuln/detail/${f.id}`, attributes: [{ key: 'package_name', value: 'openssl' }] })),
    },
  });
  return counts;
}

/** ECR's `ECR Image Scan` event for the scan, through the construct's rule; returns the events as the rule delivered them. */
async function scanEvents(deployment: Deployment, counts: Record<string, number>, time: Date, copies = 1): Promise<Record<string, any>[]> {
  const [image] = deployment.seeded;
  const detail = { 'scan-status': 'COMPLETE', 'repository-name': image.repositoryName, 'image-digest': image.imageDigest, 'image-tags': image.imageTags, 'finding-severity-counts': counts };
  const eventBridge = new EventBridgeClient(fixture().emulator.clientConfig());
  try {
    const entries = Array.from({ length: copies }, () => ({ Source: 'aws.ecr', DetailType: 'ECR Image Scan', Detail: JSON.stringify(detail), Time: time }));
    expect((await eventBridge.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount).toBe(0);
  } finally {
    eventBridge.destroy();
  }
  return (await drainQueue(fixture().sqs, deployment.infrastructure.scanEventQueueUrl)).map((m) => JSON.parse(m.Body!));
}

async function report(event: Record<string, any>) {
  return fixture().handlers.report(event, lambdaContext('report'));
}

async function notifications(deployment: Deployment) {
  const received = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
  return received.map((n) => ({ ...n, document: JSON.parse(n.Message) }));
}

const OPENSSH = { id: 'CVE-2024-6387', severity: 'CRITICAL' };
const NGHTTP2 = { id: 'CVE-2023-44487', severity: 'HIGH' };
const EXPAT = { id: 'CVE-2023-52425', severity: 'HIGH' };
const ZLIB = { id: 'CVE-2022-37434', severity: 'MEDIUM' };

describe('reports with default props (ReportOn.NEW_FINDINGS)', () => {
  test('the first report goes out; the same findings on the next scan send nothing; one new CVE sends one report that names it', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), {}, ONE_IMAGE, now);
    const weekAgo = new Date(now.getTime() - 14 * DAY);

    // Scan 1, two weeks ago: the digest's first report.
    const [first] = await scanEvents(deployment, await finishScan(deployment, [OPENSSH, NGHTTP2, ZLIB], weekAgo), weekAgo);
    expect(await report(first)).toMatchObject({ published: true, news: 'first-report', newFindings: 2 });
    const [firstReport] = await notifications(deployment);
    expect(firstReport.document).toMatchObject({ news: 'first-report', newFindingsCount: 2 });

    // Scan 2, a week later: the same findings.
    const lastWeek = new Date(now.getTime() - 7 * DAY);
    const [second] = await scanEvents(deployment, await finishScan(deployment, [OPENSSH, NGHTTP2, ZLIB], lastWeek), lastWeek);
    expect(await report(second)).toEqual({ published: false, reason: 'not-new' });
    expect(await notifications(deployment)).toEqual([]);

    // Scan 3, today: one new HIGH.
    const [third] = await scanEvents(deployment, await finishScan(deployment, [OPENSSH, NGHTTP2, EXPAT, ZLIB], now), now);
    expect(await report(third)).toMatchObject({ published: true, news: 'new-findings', newFindings: 1 });
    const received = await notifications(deployment);
    expect(received).toHaveLength(1);
    expect(received[0].document.newFindings.map((f: { id: string }) => f.id)).toEqual([EXPAT.id]);
    expect(received[0].Subject).toBe('ECR scan: 1 new, CRITICAL 1, HIGH 2 in shop/api:v2.3.1');
    expect(received[0].MessageAttributes).toMatchObject({
      newFindings: { Type: 'Number', Value: '1' },
      newFindingIds: { Type: 'String.Array', Value: JSON.stringify([EXPAT.id]) },
    });
    // "since the report of": when the first report went out (in this test, moments ago).
    expect(Date.parse(received[0].document.previousReportAt)).toBeGreaterThanOrEqual(now.getTime());
    expect(received[0].document.previousReportAt <= new Date().toISOString()).toBe(true);

    // The ledger recorded every scan: the last one's time and counts, and what was reported.
    const stored = (await ledgerClient().send(new GetCommand({ TableName: deployment.infrastructure.ledgerTableName, Key: imageKey('shop/api', deployment.seeded[0].imageDigest) }))).Item!;
    expect(stored.scan).toMatchObject({ status: 'COMPLETE', source: 'scan-event', completedAt: now.toISOString(), severityCounts: { CRITICAL: 1, HIGH: 2, MEDIUM: 1 } });
    expect([...stored.lastReport.findingIds].sort()).toEqual([OPENSSH.id, NGHTTP2.id, EXPAT.id].sort());
    // The last scan's findings at or above the thresholds, as ECR listed them (the MEDIUM one is not).
    expect([...stored.scan.findingIds].sort()).toEqual([OPENSSH.id, NGHTTP2.id, EXPAT.id].sort());
    expect(stored.imageTags).toEqual(['v2.3.1']);
    expect(stored.claim).toBeUndefined();
  });

  test('a replayed event, a Lambda retry after the report went out, and a second event for the same scan send nothing', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), {}, ONE_IMAGE, now);
    const counts = await finishScan(deployment, [OPENSSH, NGHTTP2], now);
    const [event, secondEvent] = await scanEvents(deployment, counts, now, 2);
    expect(event.id).not.toBe(secondEvent.id);

    expect(await report(event)).toMatchObject({ published: true });
    expect(await report(event)).toEqual({ published: false, reason: 'already-reported' });
    expect(await report(secondEvent)).toEqual({ published: false, reason: 'already-reported' });
    expect(await notifications(deployment)).toHaveLength(1);
    const withheld = fixture()
      .metricLines()
      .filter((l: any) => l.reason === 'already-reported')
      .map((l: any) => l.ReportsWithheld);
    expect(withheld).toEqual([1, 1]);
  });

  test('EVERY_SCAN sends every scan, the same findings too, but each scan once', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), { reportOn: ReportOn.EVERY_SCAN }, ONE_IMAGE, now);
    const lastWeek = new Date(now.getTime() - 7 * DAY);

    // Each event is handled before ECR finishes the next scan: the report reads the scan's findings from ECR.
    const [first] = await scanEvents(deployment, await finishScan(deployment, [OPENSSH, NGHTTP2], lastWeek), lastWeek);
    expect(await report(first)).toMatchObject({ published: true, news: 'every-scan' });
    const [second] = await scanEvents(deployment, await finishScan(deployment, [OPENSSH, NGHTTP2], now), now);
    expect(await report(second)).toMatchObject({ published: true, news: 'every-scan', newFindings: 0 });
    expect(await report(second)).toEqual({ published: false, reason: 'already-reported' });
    expect(await notifications(deployment)).toHaveLength(2);
  });

  test('an emptied ledger costs one repeat of the report, then nothing more', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), {}, ONE_IMAGE, now);
    const lastWeek = new Date(now.getTime() - 7 * DAY);
    const [first] = await scanEvents(deployment, await finishScan(deployment, [OPENSSH], lastWeek), lastWeek);
    expect(await report(first)).toMatchObject({ published: true });

    await emptyLedger(deployment);
    const [second] = await scanEvents(deployment, await finishScan(deployment, [OPENSSH], now), now);
    expect(await report(second)).toMatchObject({ published: true, news: 'first-report' });
    const later = new Date(now.getTime() + 1000);
    const [third] = await scanEvents(deployment, await finishScan(deployment, [OPENSSH], later), later);
    expect(await report(third)).toEqual({ published: false, reason: 'not-new' });
    expect(await notifications(deployment)).toHaveLength(2);
  });
});

async function emptyLedger(deployment: Deployment): Promise<void> {
  const table = deployment.infrastructure.ledgerTableName;
  const client = ledgerClient();
  for (const item of (await client.send(new ScanCommand({ TableName: table }))).Items ?? []) {
    await client.send(new DeleteCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk } }));
  }
}

// ---------------------------------------------------------------------------------------------
// Rescans
// ---------------------------------------------------------------------------------------------

const cycle = (deployment: Deployment) => rescanCycle(fixture(), deployment);

/** The sample's selected images that the stateless rule calls due, and the ones ECR accepts a scan of today. */
function truth(deployment: Deployment) {
  const selected = new Set(SAMPLE_REGISTRY.filter((r) => r.selected).map((r) => r.name));
  const images = deployment.seeded.filter((i) => selected.has(i.repositoryName)).map((i) => ({ ...i, expected: (i.seed as SampleImage).expected }));
  return {
    images,
    due: images.filter((i) => i.expected.action === 'scan').map((i) => i.imageDigest),
    started: images.filter((i) => i.expected.outcome === 'started').map((i) => i.imageDigest),
  };
}

/** Every scan the cycle started, finished as ECR would: its event through the rule to the report function. */
async function finishStartedScans(deployment: Deployment, requests: readonly EmulatorRequest[], now: Date): Promise<void> {
  const started = ecrCalls(requests, 'StartImageScan').filter((r) => r.status === 200);
  const eventBridge = new EventBridgeClient(fixture().emulator.clientConfig());
  try {
    for (const call of started) {
      const image = deployment.seeded.find((i) => i.imageDigest === digestOf(call))!;
      await fixture().emulator.seedImageScan(image.repositoryName, image.imageDigest, now, {
        registryId: fixture().emulator.accountId,
        repositoryName: image.repositoryName,
        imageId: { imageDigest: image.imageDigest },
        imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
        imageScanFindings: { imageScanCompletedAt: now.getTime() / 1000, findingSeverityCounts: { LOW: 1 }, findings: [] },
      });
      const detail = { 'scan-status': 'COMPLETE', 'repository-name': image.repositoryName, 'image-digest': image.imageDigest, 'image-tags': image.imageTags, 'finding-severity-counts': { LOW: 1 } };
      await eventBridge.send(new PutEventsCommand({ Entries: [{ Source: 'aws.ecr', DetailType: 'ECR Image Scan', Detail: JSON.stringify(detail), Time: now }] }));
    }
  } finally {
    eventBridge.destroy();
  }
  const deliveries = await deliverScanEvents(fixture().sqs, deployment.infrastructure.scanEventQueueUrl, fixture().handlers.report);
  expect(deliveries.map((d) => d.result?.reason)).toEqual(started.map(() => 'below-threshold'));
}

describe('rescans with the ledger', () => {
  test('an empty ledger (the first cycle): exactly the stateless calls, every digest read; the second cycle reads only what the ledger does not know', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), SAMPLE_PROPS, SAMPLE_REGISTRY, now);
    const { images, due, started } = truth(deployment);

    const first = await cycle(deployment);
    expect(ecrCalls(first, 'DescribeImageScanFindings').map(digestOf).sort()).toEqual(images.map((i) => i.imageDigest).sort());
    expect(ecrCalls(first, 'StartImageScan').map(digestOf).sort()).toEqual([...due].sort());
    expect(ecrCalls(first, 'StartImageScan').filter((r) => r.status === 200).map(digestOf).sort()).toEqual([...started].sort());
    await finishStartedScans(deployment, first, new Date());

    // The same day again: the scans the first cycle started finished COMPLETE, the fresh digests were
    // written back, and the UNSUPPORTED_IMAGE digest is decided from the ledger too (asked again once per
    // scan expiry); only the one ECR refused (LIMIT_EXCEEDED in the ledger) is read again.
    const second = await cycle(deployment);
    const readAgain = ecrCalls(second, 'DescribeImageScanFindings').map(digestOf).sort();
    const refused = images.find((i) => i.expected.outcome === 'recently-scanned')!.imageDigest;
    expect(readAgain).toEqual([refused]);
    // The refused one is FAILED in ECR (a minute ago): due, and refused again; nothing else is scanned.
    expect(ecrCalls(second, 'StartImageScan').map(digestOf)).toEqual([refused]);
    const rescanned = fixture().logs().filter((l) => l.message === 'Repository rescanned');
    const saved = fixture().metricLines().filter((l: any) => l.StatusReadsSaved !== undefined).map((l: any) => l.StatusReadsSaved);
    expect(saved[saved.length - 1]).toBe(images.length - 1);
    expect(rescanned.length).toBeGreaterThan(0);
  });

  test('a digest the ledger knows to be expired is scanned without a status read; a fresh one is skipped without one', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), SAMPLE_PROPS, SAMPLE_REGISTRY, now);
    const { images } = truth(deployment);
    const ledger = ledgerOf(deployment);
    const expired = images.find((i) => i.expected.reason === 'expired')!;
    const fresh = images.find((i) => i.expected.reason === 'fresh')!;
    // The entries ECR's own answers would have left: the scans' real completion times.
    const complete = (daysAgo: number): ScanRecord => ({
      status: 'COMPLETE',
      observedAt: new Date(now.getTime() - daysAgo * DAY),
      source: 'scan-event',
      completedAt: new Date(now.getTime() - daysAgo * DAY),
      severityCounts: {},
    });
    const seedDays = (i: typeof expired) => (i.seed.scan as { daysAgo: number }).daysAgo;
    for (const image of [expired, fresh]) {
      expect(await ledger.write({ repositoryName: image.repositoryName, imageDigest: image.imageDigest, scan: complete(seedDays(image)) }, { kind: 'monotonic' }, now)).toBe(true);
    }

    const requests = await cycle(deployment);
    const read = ecrCalls(requests, 'DescribeImageScanFindings').map(digestOf);
    expect(read).not.toContain(expired.imageDigest);
    expect(read).not.toContain(fresh.imageDigest);
    expect(ecrCalls(requests, 'StartImageScan').filter((r) => digestOf(r) === expired.imageDigest).map((r) => r.status)).toEqual([200]);
    expect(ecrCalls(requests, 'StartImageScan').map(digestOf)).not.toContain(fresh.imageDigest);
    // The walk wrote the scan it started back: the next cycle reads its outcome from ECR unless its event arrives first.
    const entry = await ledger.read(expired.repositoryName, expired.imageDigest, new Date());
    expect(entry.entry?.scan).toMatchObject({ status: 'IN_PROGRESS', source: 'start-image-scan' });
  });

  test('a ledger stale or wrong in the "older" direction costs ECR calls, never a missed due digest or a second scan', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), SAMPLE_PROPS, SAMPLE_REGISTRY, now);
    const { images, due } = truth(deployment);
    const ledger = ledgerOf(deployment);
    const stale = (status: string): ScanRecord => ({ status, observedAt: new Date(now.getTime() - 30 * DAY), source: 'start-image-scan', severityCounts: {} });
    const older = (daysAgo: number): ScanRecord => ({
      status: 'COMPLETE',
      observedAt: new Date(now.getTime() - daysAgo * DAY),
      source: 'scan-event',
      completedAt: new Date(now.getTime() - daysAgo * DAY),
      severityCounts: {},
    });
    // Every digest gets a wrong entry: an old IN_PROGRESS, FAILED or LIMIT_EXCEEDED (stale), or a COMPLETE scan
    // older than ECR's (a later scan whose event was lost): 20 days for every scanned image.
    const wrong = images.map((image, n) => {
      const scanned = image.seed.scan.kind !== 'never';
      const scan = scanned && n % 2 === 0 ? older(20) : stale(['IN_PROGRESS', 'FAILED', 'LIMIT_EXCEEDED'][n % 3]);
      return { image, scan };
    });
    for (const { image, scan } of wrong) {
      await ledger.write({ repositoryName: image.repositoryName, imageDigest: image.imageDigest, scan }, { kind: 'monotonic' }, now);
    }

    const requests = await cycle(deployment);
    const attempts = ecrCalls(requests, 'StartImageScan');
    const accepted = attempts.filter((r) => r.status === 200).map(digestOf);
    // No due digest missed: every one got a StartImageScan.
    for (const digest of due) expect([digest, attempts.some((r) => digestOf(r) === digest)]).toEqual([digest, true]);
    // No second scan of any digest.
    expect(new Set(accepted).size).toBe(accepted.length);
    // The stale entries were read from ECR: no status read was saved for them.
    const staleDigests = wrong.filter((w) => w.scan.status !== 'COMPLETE').map((w) => w.image.imageDigest);
    for (const digest of staleDigests) expect(ecrCalls(requests, 'DescribeImageScanFindings').map(digestOf)).toContain(digest);
    // The only extra work: digests whose older entry made them look expired got a StartImageScan instead of a read
    // (ECR refused the one scanned today; the others were scanned early). Nothing else was scanned beyond the truth.
    const olderButFresh = wrong.filter((w) => w.scan.status === 'COMPLETE' && !due.includes(w.image.imageDigest)).map((w) => w.image.imageDigest);
    expect(olderButFresh.length).toBeGreaterThan(0);
    expect(attempts.map(digestOf).filter((d) => !due.includes(d)).sort()).toEqual([...olderButFresh].sort());
    for (const digest of olderButFresh) expect(ecrCalls(requests, 'DescribeImageScanFindings').map(digestOf)).not.toContain(digest);
  });
});

// ---------------------------------------------------------------------------------------------
// The adapter's guards, as DynamoDB (moto) evaluates them
// ---------------------------------------------------------------------------------------------

describe('the ledger adapter against DynamoDB', () => {
  const REPOSITORY = 'shop/api';
  const DIGEST = `sha256:${'e'.repeat(64)}`;
  const at = (ms: number) => new Date(Date.UTC(2026, 11, 1, 3) + ms);
  const scan = (status: string, ms: number): ScanRecord => ({ status, observedAt: at(ms), source: 'status-read', severityCounts: {}, ...(status === 'COMPLETE' ? { completedAt: at(ms) } : {}) });

  async function table(): Promise<{ ledger: Ledger; deployment: Deployment }> {
    const deployment = await deploy(fixture(), {}, [], new Date());
    return { ledger: ledgerOf(deployment), deployment };
  }

  test('monotonic: a later observation replaces, an older one is refused', async () => {
    const { ledger } = await table();
    const key = { repositoryName: REPOSITORY, imageDigest: DIGEST };
    expect(await ledger.write({ ...key, scan: scan('IN_PROGRESS', 0) }, { kind: 'monotonic' }, at(0))).toBe(true);
    expect(await ledger.write({ ...key, scan: scan('COMPLETE', 60_000) }, { kind: 'monotonic' }, at(0))).toBe(true);
    expect(await ledger.write({ ...key, scan: scan('FAILED', 30_000) }, { kind: 'monotonic' }, at(0))).toBe(false);
    const read = await ledger.read(REPOSITORY, DIGEST, at(120_000));
    expect(read.entry).toMatchObject({ scan: { status: 'COMPLETE' }, version: 2 });
  });

  test('locked: the write takes only while the item is the one read (absent, or the same version)', async () => {
    const { ledger } = await table();
    const key = { repositoryName: REPOSITORY, imageDigest: DIGEST };
    const absent = await ledger.read(REPOSITORY, DIGEST, at(0));
    expect(await ledger.write({ ...key, scan: scan('COMPLETE', 0) }, { kind: 'locked', read: absent }, at(0))).toBe(true);
    // A second writer that read "absent" too is refused.
    expect(await ledger.write({ ...key, scan: scan('COMPLETE', 0) }, { kind: 'locked', read: absent }, at(0))).toBe(false);
    const v1 = await ledger.read(REPOSITORY, DIGEST, at(1000));
    expect(v1.entry?.version).toBe(1);
    expect(await ledger.write({ ...key, claim: { id: 'c-1', scanKey: 'k', eventId: 'e', expiresAt: at(60_000) } }, { kind: 'locked', read: v1 }, at(0))).toBe(true);
    expect(await ledger.write({ ...key, claim: { id: 'c-2', scanKey: 'k', eventId: 'e2', expiresAt: at(60_000) } }, { kind: 'locked', read: v1 }, at(0))).toBe(false);
  });

  test('a claim is settled only by the attempt that holds it; settling removes it', async () => {
    const { ledger } = await table();
    const key = { repositoryName: REPOSITORY, imageDigest: DIGEST };
    await ledger.write({ ...key, scan: scan('COMPLETE', 0), claim: { id: 'c-1', scanKey: 'k', eventId: 'e', expiresAt: at(60_000) } }, { kind: 'locked', read: { exists: false } }, at(0));
    expect(await ledger.settleClaim(REPOSITORY, DIGEST, 'c-2', {}, at(0))).toBe(false);
    const lastReport = { at: at(1000), scanKey: 'k', eventId: 'e', reason: 'first-report', findingIds: ['CVE-1'], severityCounts: { HIGH: 1 } };
    expect(await ledger.settleClaim(REPOSITORY, DIGEST, 'c-1', { lastReport }, at(0))).toBe(true);
    const read = await ledger.read(REPOSITORY, DIGEST, at(2000));
    expect(read.entry?.claim).toBeUndefined();
    expect(read.entry?.lastReport).toEqual(lastReport);
    expect(await ledger.settleClaim(REPOSITORY, DIGEST, 'c-1', {}, at(0))).toBe(false);
  });

  test('a malformed item is replaced by a locked write on its raw version, and is then usable', async () => {
    const { ledger, deployment } = await table();
    await ledgerClient().send(
      new PutCommand({ TableName: deployment.infrastructure.ledgerTableName, Item: { ...imageKey(REPOSITORY, DIGEST), entity: 'image', schemaVersion: 1, repositoryName: REPOSITORY, imageDigest: DIGEST, version: 'seven', scan: 'garbage' } }),
    );
    const read = await ledger.read(REPOSITORY, DIGEST, at(0));
    expect(read).toMatchObject({ exists: true, rawVersion: 'seven', ignored: 'version is not a whole number: "seven"' });
    expect(await ledger.write({ repositoryName: REPOSITORY, imageDigest: DIGEST, scan: scan('COMPLETE', 0) }, { kind: 'locked', read }, at(0))).toBe(true);
    expect((await ledger.read(REPOSITORY, DIGEST, at(1000))).entry).toMatchObject({ version: 1, scan: { status: 'COMPLETE' } });
  });

  test('BatchGetItem reads 100 digests of one repository in one call, each as written', async () => {
    const { ledger } = await table();
    const digests = Array.from({ length: 100 }, (_, i) => `sha256:${String(i).padStart(64, '0')}`);
    for (const imageDigest of digests.slice(0, 60)) {
      await ledger.write({ repositoryName: REPOSITORY, imageDigest, scan: scan('COMPLETE', 0) }, { kind: 'monotonic' }, at(0));
    }
    await fixture().emulator.resetRequests();
    const { reads, unread } = await ledger.readMany(REPOSITORY, digests, at(1000));
    expect((await fixture().emulator.requests()).filter((r) => r.operation === 'BatchGetItem')).toHaveLength(1);
    expect(unread).toEqual([]);
    expect(digests.filter((d) => reads.get(d)?.entry?.scan?.status === 'COMPLETE')).toEqual(digests.slice(0, 60));
    expect(digests.filter((d) => reads.get(d)?.exists === false)).toEqual(digests.slice(60));
  });
});
