/**
 * The daily scan budget end to end, against the emulator's ECR and DynamoDB: a cycle of the
 * deployed rescan function whose budget runs out halfway starts exactly the budget and defers
 * the rest, marked in the ledger; the next day the deferred digests come first; the counters'
 * conditions hold under concurrent claims as moto's DynamoDB evaluates them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Deployment, deploy, rescanCycle, useEmulator } from './harness';
import { EmulatorRequest } from '../../local/emulator/emulator';
import { SeedRepository } from '../../local/registry';
import { Ledger } from '../../src/aws/ledger';
import { rescanRepository } from '../../src/aws/rescan-repository';
import { LedgerBudgetCounters, ScanBudget } from '../../src/aws/scan-budget';
import { utcDay } from '../../src/decisions/budget';
import { budgetKey, imageKey } from '../../src/decisions/ledger';

const fixture = useEmulator();
const ECR = 'AmazonEC2ContainerRegistry_V20150921';
const DAY = 86_400_000;

function documents(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(fixture().emulator.clientConfig()), { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * Two repositories of expired images (scanned 8 to 13 days ago), none pulled, walked in one cycle;
 * and budget/gamma, left out of the cycle, for the next day's walk.
 */
const REGISTRY: SeedRepository[] = [
  { name: 'budget/gamma', images: [8, 20, 30].map((daysAgo, i) => ({ tags: [`g${i}`], scan: { kind: 'complete' as const, daysAgo } })) },
  { name: 'budget/alpha', images: [8, 9, 10, 11].map((daysAgo, i) => ({ tags: [`a${i}`], scan: { kind: 'complete' as const, daysAgo } })) },
  { name: 'budget/beta', images: [12, 13, 9, 8].map((daysAgo, i) => ({ tags: [`b${i}`], scan: { kind: 'complete' as const, daysAgo } })) },
];

const cycle = (deployment: Deployment) => rescanCycle(fixture(), deployment);

const startedDigests = (requests: readonly EmulatorRequest[]) =>
  requests.filter((r) => r.service === ECR && r.operation === 'StartImageScan' && r.status === 200).map((r) => r.params.imageId?.imageDigest as string);

describe('the daily scan budget', () => {
  test('a budget of 3 that runs out halfway through a cycle starts exactly 3 scans; the other 5 due digests are deferred, counted and marked; the next day a deferred digest comes first', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), { repositoryPattern: '^budget/(alpha|beta)$', dailyScanBudget: 3 }, REGISTRY, now);
    expect(deployment.environment.DAILY_SCAN_BUDGET).toBe('3');

    const requests = await cycle(deployment);
    const started = startedDigests(requests);
    expect(started).toHaveLength(3);
    // Not one refused by ECR: the budget, not the quota, stopped the rest.
    expect(requests.filter((r) => r.service === ECR && r.operation === 'StartImageScan' && r.status !== 200)).toEqual([]);

    const client = documents();
    const table = deployment.infrastructure.ledgerTableName;
    const today = utcDay(now);
    const item = async (repositoryName: string, imageDigest: string) =>
      (await client.send(new GetCommand({ TableName: table, Key: imageKey(repositoryName, imageDigest), ConsistentRead: true }))).Item;
    const deferred: { repositoryName: string; imageDigest: string }[] = [];
    for (const image of deployment.seeded.filter((i) => i.repositoryName !== 'budget/gamma')) {
      const entry = await item(image.repositoryName, image.imageDigest);
      if (started.includes(image.imageDigest)) {
        expect(entry?.deferredOn).toBeUndefined();
      } else {
        expect(entry).toMatchObject({ deferredOn: today, entity: 'image', version: expect.any(Number) });
        deferred.push(image);
      }
    }
    expect(deferred).toHaveLength(5);
    const day = (await client.send(new GetCommand({ TableName: table, Key: budgetKey(today), ConsistentRead: true }))).Item;
    expect(day).toMatchObject({ entity: 'scan-budget', day: today, claimedOther: 3, demandOther: 8, deferred: 5 });
    // In each repository (one page each), the oldest last scans got the scans the budget let it have.
    const seedOf = (digest: string) => deployment.seeded.find((i) => i.imageDigest === digest)!;
    const daysAgo = (digest: string) => (seedOf(digest).seed.scan as { daysAgo: number }).daysAgo;
    for (const repositoryName of ['budget/alpha', 'budget/beta']) {
      const mine = started.filter((d) => seedOf(d).repositoryName === repositoryName).map(daysAgo);
      const theirs = deferred.filter((d) => d.repositoryName === repositoryName).map((d) => daysAgo(d.imageDigest));
      for (const s of mine) for (const d of theirs) expect(s).toBeGreaterThanOrEqual(d);
    }

    // The next day: budget/gamma has one digest deferred today, scanned 8 days ago, and two due with older scans.
    // With one scan left, the deferred digest gets it, though the oldest last scan would otherwise come first.
    const ledger = new Ledger(client, { tableName: table, ttlSeconds: 90 * 86_400 });
    const gamma = deployment.seeded.filter((i) => i.repositoryName === 'budget/gamma');
    const [carried, ...older] = gamma;
    expect(await ledger.markDeferred(carried.repositoryName, carried.imageDigest, today, now)).toBe(true);
    const tomorrow = new Date(now.getTime() + DAY);
    const budget = new ScanBudget(new LedgerBudgetCounters(client, table), 1, tomorrow);
    // Today's demand (8 due digests, all in the last tier) sizes tomorrow's allowances.
    expect(await budget.allowancesToday()).toEqual({ 'carried': 0, 'in-use': 0, 'pulled': 0, 'other': 1 });
    await fixture().emulator.resetRequests();
    const result = await rescanRepository(fixture().ecr, 'budget/gamma', {
      now: tomorrow,
      scanExpiryMs: 7 * DAY,
      registryScanType: 'BASIC',
      concurrency: 2,
      ledger,
      budget,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    expect(startedDigests(await fixture().emulator.requests())).toEqual([carried.imageDigest]);
    expect(result.skipped['deferred-budget']).toBe(2);
    // The started digest's mark is gone with its scan's write-back; the two deferred now are marked with tomorrow.
    expect((await item(carried.repositoryName, carried.imageDigest))?.deferredOn).toBeUndefined();
    for (const image of older) expect((await item(image.repositoryName, image.imageDigest))?.deferredOn).toBe(utcDay(tomorrow));
  });

  test('concurrent claims against DynamoDB never grant more than the budget between them, and each digest is marked once a day', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), { repositoryPattern: '^budget/' }, REGISTRY, now);
    const client = documents();
    const table = deployment.infrastructure.ledgerTableName;
    const counters = new LedgerBudgetCounters(client, table);
    const walks = Array.from({ length: 6 }, () => new ScanBudget(counters, 25, now));
    const grants = await Promise.all(walks.flatMap((b, i) => [b.claim('other', 4 + i), b.claim('in-use', 3), b.claim('carried', 2)]));
    expect(grants.reduce((sum, g) => sum + g.granted, 0)).toBe(25);
    expect((await counters.claimed(utcDay(now))).other).toBe(25);

    const ledger = new Ledger(client, { tableName: table, ttlSeconds: 90 * 86_400 });
    const [image] = deployment.seeded;
    expect(await ledger.markDeferred(image.repositoryName, image.imageDigest, utcDay(now), now)).toBe(true);
    expect(await ledger.markDeferred(image.repositoryName, image.imageDigest, utcDay(now), now)).toBe(false);
    const tomorrow = new Date(now.getTime() + DAY);
    expect(await ledger.markDeferred(image.repositoryName, image.imageDigest, utcDay(tomorrow), tomorrow)).toBe(true);
    // A bare entry: no scan, version 0, readable by the walk as an entry that knows only its deferral.
    const read = await ledger.read(image.repositoryName, image.imageDigest, now);
    expect(read.entry).toMatchObject({ deferredOn: utcDay(tomorrow), version: 0 });
    expect(read.entry?.scan).toBeUndefined();
  });
});
