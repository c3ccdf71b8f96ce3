/**
 * The summary at scale: a ledger of 10,000 image entries (SUMMARY_ENTRIES sets more; `npx projen
 * bench:summary` runs 200,000, kept out of CI for its length) in the emulator's DynamoDB, read by the
 * deployed summary bundle in a child process (local/lambda-process.ts), as its schedule runs it.
 *
 * The entries are shaped as the functions write them, with a mix chosen to be heavier than the
 * benchmark's world (whose largest entry was 936 bytes): 200 repositories; per image two tags; 2 %
 * FAILED, 1 % UNSUPPORTED_IMAGE, 1 % never scanned and deferred by the budget; of the scanned ones,
 * 30 % with only MEDIUM and LOW findings, 40 % with 1 to 10 findings at CRITICAL or HIGH (their ids
 * kept in the scan and in the last report, as the report function keeps them), 25 % with 11 to 40,
 * 5 % with 41 to 120, ids drawn from 5,000 CVEs with a skew; 20 % of the images running.
 *
 * Asserted: every item read once across the parallel segments, each page within DynamoDB's 1 MB and
 * charged the read units its items' sizes give (sized here by the benchmark's own rule,
 * local/bench/dynamodb-cost.ts, against the emulator's), the function's total equal to the pages' sum,
 * and the published figures equal to the ledger's truth. Reported (test-reports/summary-scale.json):
 * pages, items and units per full page, the run's cost at on-demand prices, the same computed for a
 * million entries from the measured per-page figures, and the invocation's duration, CPU and memory.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deploy, useEmulator } from './harness';
import { AttributeValue, ON_DEMAND_PRICES, costOf, itemSizeBytes } from '../../local/bench/dynamodb-cost';
import { REPO_ROOT } from '../../local/emulator/emulator';
import { LambdaProcess } from '../../local/lambda-process';
import { receiveNotifications } from '../../local/pipeline';
import { mulberry32 } from '../../local/random';
import { LedgerRecords } from '../../src/aws/ledger-records';
import { scanLedger } from '../../src/aws/ledger-scan';
import { storedInUse } from '../../src/decisions/in-use';
import { imageKey } from '../../src/decisions/ledger';

const fixture = useEmulator();

/** Image entries in the ledger: 10,000 in CI; `npx projen bench:summary` sets 200,000. */
const ENTRIES = summaryEntries(process.env.SUMMARY_ENTRIES);
const REPOSITORIES = 200;
const CVES = 5000;
const DAY = 86_400_000;
const MB = 1024 * 1024;
/** DynamoDB's "1 MB" of a Scan page, read as 1,048,576 bytes: no page may hold more. */
const PAGE_LIMIT_BYTES = 1024 * 1024;
/**
 * moto reads the 1 MB as 1,000,000 bytes, and ends a page before the item that would cross it; so the emulator's
 * pages are up to 4.6 % smaller than DynamoDB's may be. Their cost is not: it is charged per byte read.
 */
const EMULATOR_PAGE_BYTES = 1_000_000;
const MILLION = 1_000_000;

function summaryEntries(value: string | undefined): number {
  if (value === undefined || value === '') return 10_000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1000 || n > 1_000_000) throw new Error(`SUMMARY_ENTRIES must be a whole number from 1,000 to 1,000,000 (given "${value}")`);
  return n;
}

const digest = (i: number) => `sha256:${(0x5e11a000000 + i).toString(16).padStart(64, '0')}`;
const cveId = (n: number) => `CVE-20${20 + (n % 7)}-${String(10000 + n).padStart(5, '0')}`;

interface Truth {
  tracked: number;
  scannedInPeriod: number;
  byHighestSeverity: Record<string, number>;
  running: number;
  criticalRunning: number;
  problems: { failed: number; unsupported: number; deferred: number };
  cves: Map<string, { images: number; imagesRunning: number }>;
}

/** The ledger's image items, and what a summary of them must say. */
function ledger(now: Date): { items: Record<string, unknown>[]; truth: Truth } {
  const random = mulberry32(14);
  const iso = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY).toISOString();
  const truth: Truth = {
    tracked: 0,
    scannedInPeriod: 0,
    byHighestSeverity: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, NONE: 0, UNSCANNED: 0 },
    running: 0,
    criticalRunning: 0,
    problems: { failed: 0, unsupported: 0, deferred: 0 },
    cves: new Map(),
  };
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < ENTRIES; i++) {
    const r = i % REPOSITORIES;
    const repositoryName = `team-${String(r % 25).padStart(2, '0')}/service-${String(r).padStart(3, '0')}`;
    const imageDigest = digest(i);
    const running = random() < 0.2;
    const kind = random();
    const base = {
      ...imageKey(repositoryName, imageDigest),
      entity: 'image',
      schemaVersion: 1,
      repositoryName,
      imageDigest,
      imageTags: [`build-${1000 + i}`, `sha-${(i * 2654435761 % 0xfffffff).toString(16).padStart(7, '0')}`],
      ...(running ? { inUse: storedInUse([{ kind: 'ecs-service', name: `svc-${r}`, cluster: 'prod', count: 2, seenAt: new Date(now.getTime() - 1800_000) }]) } : {}),
      version: 3,
      expiresAt: Math.floor(now.getTime() / 1000) + 90 * 86_400,
    };
    truth.tracked++;
    if (running) truth.running++;
    if (kind < 0.04) {
      // Never completed: FAILED, UNSUPPORTED_IMAGE, or deferred by the budget before any scan.
      const status = kind < 0.02 ? 'FAILED' : kind < 0.03 ? 'UNSUPPORTED_IMAGE' : undefined;
      if (status === 'FAILED') truth.problems.failed++;
      if (status === 'UNSUPPORTED_IMAGE') truth.problems.unsupported++;
      if (!status) truth.problems.deferred++;
      truth.byHighestSeverity.UNSCANNED++;
      items.push({
        ...base,
        ...(status
          ? { scan: { status, observedAt: iso(1), source: 'scan-event', severityCounts: {}, description: 'The scan could not be completed.' } }
          : { deferredOn: iso(0).slice(0, 10) }),
      });
      continue;
    }
    const completedDaysAgo = 1 + Math.floor(random() * 20);
    if (completedDaysAgo < 7) truth.scannedInPeriod++;
    const mix = random();
    // Findings at CRITICAL or HIGH: none (30 %), 1 to 10 (40 %), 11 to 40 (25 %), 41 to 120 (5 %).
    const within = (from: number, count: number) => from + Math.floor(random() * count);
    const severe = mix < 0.3 ? 0 : mix < 0.7 ? within(1, 10) : mix < 0.95 ? within(11, 30) : within(41, 80);
    const ids = new Set<string>();
    while (ids.size < severe) ids.add(cveId(Math.floor(CVES * random() ** 3)));
    const critical = Math.floor(severe * 0.2);
    const severityCounts: Record<string, number> = { MEDIUM: 3 + (i % 20), LOW: 5 + (i % 30) };
    if (critical > 0) severityCounts.CRITICAL = critical;
    if (severe - critical > 0) severityCounts.HIGH = severe - critical;
    const level = critical > 0 ? 'CRITICAL' : severe > 0 ? 'HIGH' : 'MEDIUM';
    truth.byHighestSeverity[level]++;
    if (level === 'CRITICAL' && running) truth.criticalRunning++;
    for (const id of ids) {
      const cve = truth.cves.get(id) ?? { images: 0, imagesRunning: 0 };
      cve.images++;
      if (running) cve.imagesRunning++;
      truth.cves.set(id, cve);
    }
    const findingIds = [...ids];
    items.push({
      ...base,
      scan: { status: 'COMPLETE', observedAt: iso(completedDaysAgo), source: 'scan-event', completedAt: iso(completedDaysAgo), severityCounts, findingIds },
      ...(severe > 0
        ? { lastReport: { at: iso(completedDaysAgo + 30), scanKey: `complete:${iso(completedDaysAgo + 30)}`, eventId: `e-${i}`, reason: 'first-report', findingIds, severityCounts } }
        : {}),
    });
  }
  return { items, truth };
}

/** A seeded item's attribute in DynamoDB's JSON form, to size it as DynamoDB does (strings, numbers, lists and maps only). */
function attribute(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (Array.isArray(value)) return { L: value.map(attribute) };
  if (value !== null && typeof value === 'object') return { M: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, attribute(v)])) };
  throw new Error(`no attribute form for ${JSON.stringify(value)}`);
}

async function seed(client: DynamoDBDocumentClient, table: string, items: readonly Record<string, unknown>[]): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let start = 0; start < items.length; start += 25) batches.push(items.slice(start, start + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      const batch = batches[next++];
      const response = await client.send(new BatchWriteCommand({ RequestItems: { [table]: batch.map((Item) => ({ PutRequest: { Item } })) } }));
      if (Object.keys(response.UnprocessedItems ?? {}).length > 0) throw new Error('the emulator left items unprocessed');
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

let summaryFunction: LambdaProcess | undefined;
/** The figures of the run: printed after the test (the harness captures output during it) and kept in test-reports/summary-scale.json. */
let report: string | undefined;
afterAll(async () => {
  await summaryFunction?.stop();
  // eslint-disable-next-line no-console
  if (report) console.log(report);
});

test(`a ledger of ${ENTRIES.toLocaleString('en')} entries is summarized in one invocation: every item read once, each page charged by its size, every figure true`, async () => {
  const { emulator } = fixture();
  const now = new Date();
  const deployment = await deploy(fixture(), {}, [], now);
  const table = deployment.infrastructure.ledgerTableName;
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(emulator.clientConfig()));
  const { items, truth } = ledger(now);
  await seed(client, table, items);
  // The discovery's marker, so that "running" is known; it is one more item the Scan reads.
  await new LedgerRecords(client, { tableName: table, ttlSeconds: 90 * 86_400 }).writeDiscoveryMarker(
    { startedAt: new Date(now.getTime() - 2 * 3600_000), completedAt: new Date(now.getTime() - 3600_000) },
    {},
    now,
  );
  const sizes = new Map(items.map((item) => [`${item.pk}|${item.sk}`, itemSizeBytes(attribute(item).M)]));
  const itemsInTable = items.length + 1;

  // The pages, read with the function's own Scan (8 segments): each item once, each page within 1 MB, each page
  // charged ceil(bytes / 4 KB) x 0.5 of the whole items it read, as DynamoDB charges an eventually consistent Scan.
  const seen = new Set<string>();
  const pages: { items: number; bytes: number; units: number }[] = [];
  let pageBytes = 0;
  let pageItems = 0;
  const scan = await scanLedger(client, {
    tableName: table,
    onItem: (item) => {
      const key = `${item.pk}|${item.sk}`;
      expect(seen.has(key)).toBe(false);
      seen.add(key);
      pageBytes += sizes.get(key) ?? 0;
      pageItems++;
    },
    onPage: (page) => {
      // Items and their page arrive in one synchronous run (ledger-scan.ts), so no other segment's items are in between.
      expect(page.items).toBe(pageItems);
      pages.push({ items: pageItems, bytes: pageBytes, units: page.capacityUnits ?? Number.NaN });
      pageBytes = 0;
      pageItems = 0;
    },
  });
  client.destroy();
  expect(seen.size).toBe(itemsInTable);
  expect(scan.items).toBe(itemsInTable);
  // The marker is not in `sizes`: it is small, so it can add at most one 4 KB unit to its page.
  for (const page of pages) {
    expect(page.bytes).toBeLessThanOrEqual(PAGE_LIMIT_BYTES);
    expect(page.units - Math.ceil(page.bytes / 4096) * 0.5).toBeGreaterThanOrEqual(0);
    expect(page.units - Math.ceil(page.bytes / 4096) * 0.5).toBeLessThanOrEqual(0.5);
  }
  // A full page: one that ended because the next item would not fit. At 10,000 entries each segment holds more than one.
  const largest = Math.max(...sizes.values());
  const fullPages = pages.filter((p) => p.bytes > EMULATOR_PAGE_BYTES - largest);
  expect(fullPages.length).toBeGreaterThanOrEqual(8);

  // The deployed bundle, as the schedule runs it.
  summaryFunction = await LambdaProcess.start('summary', { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' });
  const result = await summaryFunction.invoke<{ itemsScanned: number; pages: number; capacityUnits: number; bytes: number }>(
    { 'source': 'aws.events', 'detail-type': 'Scheduled Event' },
    900,
  );
  expect(result.itemsScanned).toBe(itemsInTable);
  expect(result.pages).toBe(pages.length);
  expect(result.capacityUnits).toBe(pages.reduce((n, p) => n + p.units, 0));

  const notifications = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
  expect(notifications).toHaveLength(1);
  const summary = JSON.parse(notifications[0].Message);
  expect(summary.images).toEqual({
    tracked: truth.tracked,
    scannedInPeriod: truth.scannedInPeriod,
    byHighestSeverity: truth.byHighestSeverity,
    inUse: { running: truth.running, notRunning: truth.tracked - truth.running, unknown: 0 },
    criticalRunning: truth.criticalRunning,
  });
  expect(summary.problems).toEqual(truth.problems);
  const topCves = [...truth.cves.entries()]
    .map(([id, c]) => ({ id, ...c }))
    .sort((a, b) => b.imagesRunning - a.imagesRunning || b.images - a.images || a.id.localeCompare(b.id))
    .slice(0, 10);
  expect(summary.topCves).toEqual(topCves);
  expect(summary.worstRepositories).toHaveLength(10);

  // The figures: measured per page, then computed for a million entries of the same mix from them.
  const stats = summaryFunction.stats[0];
  const tableBytes = [...sizes.values()].reduce((n, s) => n + s, 0);
  const units = result.capacityUnits;
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const perFullPage = fullPages.length > 0
    ? { pages: fullPages.length, medianItems: median(fullPages.map((p) => p.items)), medianUnits: median(fullPages.map((p) => p.units)) }
    : undefined;
  const unitsPerEntry = units / itemsInTable;
  const figures = {
    entries: ENTRIES,
    segments: 8,
    meanItemBytes: Math.round(tableBytes / ENTRIES),
    largestItemBytes: largest,
    pages: pages.length,
    fullPages: perFullPage,
    readRequestUnits: units,
    costUsd: costOf(units, 0),
    million: {
      pages: perFullPage ? Math.ceil((MILLION / perFullPage.medianItems)) + 8 : undefined,
      readRequestUnits: Math.round(unitsPerEntry * MILLION),
      costUsd: Number(costOf(unitsPerEntry * MILLION, 0).toFixed(4)),
    },
    prices: `${ON_DEMAND_PRICES.region} on-demand, $${ON_DEMAND_PRICES.usdPerMillionReadRequestUnits} per million read request units (checked ${ON_DEMAND_PRICES.checkedOn})`,
    invocation: {
      durationMs: stats.durationMs,
      cpuMs: stats.cpuMs,
      peakHeapMb: Number(((stats.peakHeapBytes - stats.heapBeforeBytes) / MB).toFixed(1)),
      peakRssMb: Math.round(stats.maxRssKb / 1024),
    },
    messageBytes: result.bytes,
  };
  mkdirSync(join(REPO_ROOT, 'test-reports'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'test-reports', 'summary-scale.json'), JSON.stringify(figures, null, 2));
  report =
    `summary-scale: ${ENTRIES} entries (mean ${figures.meanItemBytes} B, largest ${figures.largestItemBytes} B) in ${pages.length} pages of 8 segments, ` +
    `${units} read units ($${figures.costUsd.toFixed(6)}); full pages: ${perFullPage ? `${perFullPage.medianItems} items, ${perFullPage.medianUnits} units (median of ${perFullPage.pages})` : 'none'}; ` +
    `a million entries: ${figures.million.readRequestUnits} units, $${figures.million.costUsd}; invocation ${stats.durationMs} ms (CPU ${stats.cpuMs} ms), ` +
    `peak heap ${figures.invocation.peakHeapMb} MB, RSS ${figures.invocation.peakRssMb} MB`;
  // What the function holds grows with repositories and CVEs, not with entries.
  expect(stats.peakHeapBytes - stats.heapBeforeBytes).toBeLessThan(96 * MB);
}, 300_000 * Math.max(1, ENTRIES / 10_000));
