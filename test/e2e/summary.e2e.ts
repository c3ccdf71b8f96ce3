/**
 * The registry summary through the deployed service, against the emulator's DynamoDB and SNS: a
 * ledger seeded with known truth (images of three selected repositories, one of a repository the
 * patterns leave out, an owner tag cached, the last discovery's marker), the summary function run
 * as its schedule runs it, and the one message the topic's subscriber receives, every figure checked;
 * then a second run a week later, whose trend compares with the first.
 */
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Deployment, deploy, useEmulator } from './harness';
import { runCli } from '../../local/cli-process';
import { lambdaContext, receiveNotifications } from '../../local/pipeline';
import { LedgerRecords } from '../../src/aws/ledger-records';
import { storedInUse } from '../../src/decisions/in-use';
import { imageKey, repositoryKey, summaryKey } from '../../src/decisions/ledger';

const fixture = useEmulator();
const DAY = 86_400_000;
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

interface Seed {
  readonly repositoryName: string;
  readonly counts?: Record<string, number>;
  readonly ids?: string[];
  readonly completedDaysAgo?: number;
  readonly running?: boolean;
  readonly reportedDaysAgo?: number;
  readonly status?: string;
}

/** A queue subscribed to the topic with a filter policy; its URL. */
async function filteredQueue(deployment: Deployment, name: string, policy: Record<string, unknown>): Promise<string> {
  const { sqs, emulator } = fixture();
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  const sns = new SNSClient(emulator.clientConfig());
  await sns.send(new SubscribeCommand({ TopicArn: deployment.infrastructure.topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { FilterPolicy: JSON.stringify(policy) } }));
  sns.destroy();
  return url;
}

function documents(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(fixture().emulator.clientConfig()));
}

async function seedLedger(deployment: Deployment, now: Date, seeds: readonly Seed[]): Promise<void> {
  const client = documents();
  const table = deployment.infrastructure.ledgerTableName;
  const iso = (daysAgo: number) => new Date(now.getTime() - daysAgo * DAY).toISOString();
  const items = seeds.map((s, i) => {
    const imageDigest = digest(i + 1);
    const completed = s.completedDaysAgo !== undefined;
    return {
      ...imageKey(s.repositoryName, imageDigest),
      entity: 'image',
      schemaVersion: 1,
      repositoryName: s.repositoryName,
      imageDigest,
      imageTags: [`v${i + 1}`],
      scan: {
        status: s.status ?? 'COMPLETE',
        observedAt: iso(s.completedDaysAgo ?? 1),
        source: 'scan-event',
        ...(completed ? { completedAt: iso(s.completedDaysAgo as number) } : {}),
        severityCounts: s.counts ?? {},
        ...(s.ids ? { findingIds: s.ids } : {}),
      },
      ...(s.reportedDaysAgo !== undefined
        ? { lastReport: { at: iso(s.reportedDaysAgo), scanKey: 'k', eventId: `e${i}`, reason: 'first-report', findingIds: s.ids ?? [], severityCounts: s.counts ?? {} } }
        : {}),
      ...(s.running ? { inUse: storedInUse([{ kind: 'ecs-service', name: 'api', cluster: 'prod', count: 2, seenAt: new Date(now.getTime() - 1800_000) }]) } : {}),
      version: 1,
      expiresAt: Math.floor(now.getTime() / 1000) + 90 * 86_400,
    };
  });
  items.push({ ...repositoryKey('shop/api'), entity: 'repository', repositoryName: 'shop/api', tagKey: 'team', owner: 'payments', readAt: now.toISOString() } as never);
  for (let start = 0; start < items.length; start += 25) {
    await client.send(new BatchWriteCommand({ RequestItems: { [table]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) } }));
  }
  await new LedgerRecords(client, { tableName: table, ttlSeconds: 90 * 86_400 }).writeDiscoveryMarker(
    { startedAt: new Date(now.getTime() - 2 * 3600_000), completedAt: new Date(now.getTime() - 3600_000) },
    {},
    now,
  );
  client.destroy();
}

const SEEDS: Seed[] = [
  { repositoryName: 'shop/api', counts: { CRITICAL: 1, HIGH: 2 }, ids: ['CVE-2026-0001', 'CVE-2026-0002'], completedDaysAgo: 1, running: true, reportedDaysAgo: 1 },
  { repositoryName: 'shop/api', counts: { CRITICAL: 1 }, ids: ['CVE-2026-0001'], completedDaysAgo: 3 },
  { repositoryName: 'shop/web', counts: { HIGH: 1 }, ids: ['CVE-2026-0002'], completedDaysAgo: 2, running: true, reportedDaysAgo: 2 },
  { repositoryName: 'shop/web', counts: {}, completedDaysAgo: 10 },
  { repositoryName: 'shop/jobs', status: 'FAILED' },
  // Left out by the patterns: the discovery records running images of any repository.
  { repositoryName: 'legacy/app', counts: { CRITICAL: 5 }, ids: ['CVE-2026-0009'], completedDaysAgo: 1, running: true },
];

test('one summary message with the known figures, kind=summary; the next week\'s summary shows the trend', async () => {
  const now = new Date();
  const deployment = await deploy(fixture(), { repositoryPattern: '^shop/', ownerTagKey: 'team' }, [], now);
  expect(deployment.environment.SUMMARY_PERIOD_SECONDS).toBe(String(7 * 86_400));
  await seedLedger(deployment, now, SEEDS);
  // Filter policies on `kind`: reports say `report`, so a policy can take the summary alone or leave it out.
  const summariesOnly = await filteredQueue(deployment, 'summaries-only', { kind: ['summary'] });
  const reportsOnly = await filteredQueue(deployment, 'reports-only', { kind: ['report'] });

  const result = await fixture().handlers.summary({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('summary'));

  // Six images, the owner cache, the marker: every item read once.
  expect(result).toMatchObject({ itemsScanned: 8, messageId: expect.any(String) });
  // The read units the Scan's pages report, as DynamoDB counts them (the emulator sizes each page's items): 8 small
  // items are under 4 KB per segment, so each segment that read any costs 0.5.
  expect(result.capacityUnits).toBeGreaterThanOrEqual(0.5);
  expect(result.capacityUnits).toBeLessThanOrEqual(8 * 0.5);
  const notifications = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
  expect(notifications).toHaveLength(1);
  const [notification] = notifications;
  expect(notification.MessageAttributes?.kind).toEqual({ Type: 'String', Value: 'summary' });
  expect(await receiveNotifications(fixture().sqs, summariesOnly)).toHaveLength(1);
  expect(await receiveNotifications(fixture().sqs, reportsOnly)).toEqual([]);
  expect(notification.Subject).toMatch(/^ECR summary \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}: 2 critical images, 1 running, 2 new$/);
  const summary = JSON.parse(notification.Message);
  expect(summary.images).toEqual({
    tracked: 5,
    scannedInPeriod: 3,
    byHighestSeverity: { CRITICAL: 2, HIGH: 1, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, NONE: 1, UNSCANNED: 1 },
    inUse: { running: 2, notRunning: 3, unknown: 0 },
    criticalRunning: 1,
  });
  expect(summary.news.digests).toBe(2);
  // Running images first: CVE-2026-0002 runs in both its images.
  expect(summary.topCves).toEqual([
    { id: 'CVE-2026-0002', images: 2, imagesRunning: 2 },
    { id: 'CVE-2026-0001', images: 2, imagesRunning: 1 },
  ]);
  expect(summary.worstRepositories).toEqual([
    { repositoryName: 'shop/api', owner: 'payments', images: 2, critical: 2, high: 0, running: 1, trend: null },
    { repositoryName: 'shop/web', owner: null, images: 2, critical: 0, high: 1, running: 1, trend: null },
  ]);
  expect(summary.problems).toEqual({ failed: 1, unsupported: 0, deferred: 0 });

  // The command line reads the same ledger and computes the same figures (read-only: the record stays the function's).
  const home = mkdtempSync(join(tmpdir(), 'summary-e2e-home-'));
  const cli = await runCli(
    ['summary', '--ledger-table', deployment.infrastructure.ledgerTableName, '--repository-pattern', '^shop/', '--format', 'json'],
    { PATH: process.env.PATH, HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...fixture().emulator.environment() },
  );
  expect(cli.code).toBe(0);
  const fromCli = JSON.parse(cli.stdout);
  for (const part of ['images', 'news', 'fixed', 'topCves', 'problems'] as const) expect([part, fromCli[part]]).toEqual([part, summary[part]]);
  expect(fromCli.worstRepositories.map((r: { repositoryName: string; owner: string | null }) => [r.repositoryName, r.owner])).toEqual([['shop/api', 'payments'], ['shop/web', null]]);

  // A week later, one more critical image in shop/web: the trend against the record the first run kept.
  const client = documents();
  const record = (await client.send(new GetCommand({ TableName: deployment.infrastructure.ledgerTableName, Key: summaryKey() }))).Item;
  expect(record?.repositories).toEqual({ 'shop/api': { critical: 2, high: 0 }, 'shop/web': { critical: 0, high: 1 } });
  client.destroy();
  await seedLedger(deployment, now, [...SEEDS, { repositoryName: 'shop/web', counts: { CRITICAL: 1 }, ids: ['CVE-2026-0003'], completedDaysAgo: 1 }]);
  await fixture().handlers.summary({}, lambdaContext('summary'));
  const [second] = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
  const repositories = JSON.parse(second.Message).worstRepositories as { repositoryName: string; trend: unknown }[];
  const trend = Object.fromEntries(repositories.map((r) => [r.repositoryName, r.trend]));
  expect(trend).toEqual({ 'shop/api': { critical: 0, high: 0 }, 'shop/web': { critical: 1, high: 0 } });
});
