/**
 * Reports under enhanced scanning, end to end: Amazon Inspector's events (the shapes of the ECR and
 * Inspector user guides) put on the emulator's EventBridge, through the construct's two rules to
 * the Inspector queue, read in batches by the Inspector report bundle, which reads the image's
 * enhanced findings from ECR, decides with the ledger and publishes to the topic.
 *
 * - An initial scan above the thresholds makes one report; SUPPRESSED findings do not count.
 * - A burst of finding events for one image makes one report, naming what is new, with fix,
 *   exploit and EPSS; the same burst delivered again makes none.
 * - Finding events that only close findings update the ledger and report nothing.
 * - A finding on an EC2 instance, or one outside the patterns, is skipped; a malformed event
 *   fails alone and reaches the dead-letter queue.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Deployment, deploy, useEmulator } from './harness';
import { InspectorOutcome, drainQueue, receiveNotifications, runQueue } from '../../local/pipeline';
import { SeedRepository } from '../../local/registry';
import { imageKey } from '../../src/decisions/ledger';
import { loadEventFixture } from '../aws/helpers';

const fixture = useEmulator();
const REGISTRY: SeedRepository[] = [
  { name: 'shop/api', images: [{ tags: ['v1.2'], scan: { kind: 'never' } }] },
  { name: 'sandbox/tmp', images: [{ tags: ['x'], scan: { kind: 'never' } }] },
];

interface SeedFinding {
  readonly id: string;
  readonly severity: string;
  readonly status?: string;
  readonly fixAvailable?: string;
  readonly exploitAvailable?: string;
}

/** What ECR's DescribeImageScanFindings answers under enhanced scanning for the image: its enhanced findings. */
async function seedEnhancedFindings(deployment: Deployment, findings: readonly SeedFinding[], at: Date): Promise<void> {
  const image = deployment.seeded.find((i) => i.repositoryName === 'shop/api')!;
  const counts: Record<string, number> = {};
  for (const f of findings) if ((f.status ?? 'ACTIVE') === 'ACTIVE') counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  await fixture().emulator.seedImageScan(image.repositoryName, image.imageDigest, at, {
    registryId: fixture().emulator.accountId,
    repositoryName: image.repositoryName,
    imageId: { imageDigest: image.imageDigest },
    imageScanStatus: { status: 'ACTIVE', description: 'Continuous scan is selected for image.' },
    imageScanFindings: {
      imageScanCompletedAt: at.getTime() / 1000,
      findingSeverityCounts: counts,
      enhancedFindings: findings.map((f) => ({
        awsAccountId: fixture().emulator.accountId,
        findingArn: `arn:aws:inspector2:us-east-1:${fixture().emulator.accountId}:finding/${f.id}`,
        severity: f.severity,
        status: f.status ?? 'ACTIVE',
        score: 7.5,
        title: `${f.id} - openssl`,
        type: 'PACKAGE_VULNERABILITY',
        ...(f.fixAvailable ? { fixAvailable: f.fixAvailable } : {}),
        ...(f.exploitAvailable ? { exploitAvailable: f.exploitAvailable } : {}),
        packageVulnerabilityDetails: {
          vulnerabilityId: f.id,
          sourceUrl: `https://nvd.nist.gov/vuln/detail/${f.id}`,
          vulnerablePackages: [{ name: 'openssl', version: '3.0.1' }],
        },
        resources: [
          {
            type: 'AWS_ECR_CONTAINER_IMAGE',
            id: `arn:aws:ecr:us-east-1:${fixture().emulator.accountId}:repository/shop/api/${image.imageDigest}`,
            details: { awsEcrContainerImage: { repositoryName: 'shop/api', imageHash: image.imageDigest, imageTags: ['v1.2'], registry: fixture().emulator.accountId } },
          },
        ],
      })),
    },
  });
}

/** The user guides' sample events, pointed at this registry's image. */
function scanEvent(deployment: Deployment, counts: Record<string, number>): Record<string, any> {
  const image = deployment.seeded.find((i) => i.repositoryName === 'shop/api')!;
  const event = loadEventFixture('eventbridge-inspector2-scan.json');
  event.detail['repository-name'] = `arn:aws:ecr:us-east-1:${fixture().emulator.accountId}:repository/shop/api`;
  event.detail['image-digest'] = image.imageDigest;
  event.detail['image-tags'] = ['v1.2'];
  event.detail['finding-severity-counts'] = counts;
  return event;
}
function findingEvent(deployment: Deployment, id: string, status: string, epss?: number, repositoryName = 'shop/api'): Record<string, any> {
  const image = deployment.seeded.find((i) => i.repositoryName === repositoryName)!;
  const event = loadEventFixture('eventbridge-inspector2-finding-ecr.json');
  event.detail.findingArn = `arn:aws:inspector2:us-east-1:${fixture().emulator.accountId}:finding/${id}`;
  event.detail.status = status;
  event.detail.packageVulnerabilityDetails.vulnerabilityId = id;
  event.detail.updatedAt = new Date().toISOString();
  if (epss === undefined) delete event.detail.epss;
  else event.detail.epss = { score: epss };
  const details = event.detail.resources[0].details.awsEcrContainerImage;
  details.repositoryName = repositoryName;
  details.imageHash = image.imageDigest;
  details.imageTags = image.imageTags;
  return event;
}

async function putEvents(events: readonly Record<string, any>[]): Promise<void> {
  const client = new EventBridgeClient(fixture().emulator.clientConfig());
  try {
    for (const e of events) {
      const result = await client.send(
        new PutEventsCommand({ Entries: [{ Source: e.source, DetailType: e['detail-type'], Detail: JSON.stringify(e.detail), Resources: e.resources, Time: new Date() }] }),
      );
      expect(result.FailedEntryCount).toBe(0);
    }
  } finally {
    client.destroy();
  }
}

/** Lambda's event source on the Inspector queue: the batch the rules filled, handed over at once. */
async function runInspector(deployment: Deployment) {
  const { infrastructure, config } = deployment;
  const outcomes: InspectorOutcome[] = [];
  const run = await runQueue(
    fixture().sqs,
    infrastructure.inspectorEventQueueUrl,
    infrastructure.inspectorEventQueueArn,
    async (event, context) => {
      const result = await fixture().handlers.inspectorReport(event, context);
      outcomes.push(...result.outcomes);
      return result;
    },
    { batchSize: config.inspectorBatchSize!, functionName: 'inspector-report' },
  );
  return { run, outcomes };
}

/** What an SQS subscriber receives: the JSON document. */
const documentOf = (n: { Message: string }) => JSON.parse(n.Message);
/** The email text of the last report published, from the emulator's request log. */
async function lastEmailText(): Promise<string> {
  const publishes = (await fixture().emulator.requests()).filter((r) => r.service === 'sns' && r.operation === 'Publish' && r.status === 200);
  return JSON.parse(publishes[publishes.length - 1].params.Message).email as string;
}

describe('reports under enhanced scanning (Amazon Inspector)', () => {
  test('an initial scan, a burst of finding events, the same burst again, and findings closed: two reports in all', async () => {
    const deployment = await deploy(fixture(), { repositoryPattern: '^shop/' }, REGISTRY, new Date());
    expect(deployment.config.inspectorEventPatterns).toHaveLength(2);
    const { subscriberQueueUrl } = deployment.infrastructure;
    await drainQueue(fixture().sqs, subscriberQueueUrl);

    // 1. The initial scan: one HIGH (fix available, exploit known), one MEDIUM, and a CRITICAL that is SUPPRESSED.
    const first: SeedFinding[] = [
      { id: 'CVE-2026-1001', severity: 'HIGH', fixAvailable: 'YES', exploitAvailable: 'YES' },
      { id: 'CVE-2026-1002', severity: 'MEDIUM', fixAvailable: 'NO' },
      { id: 'CVE-2026-1003', severity: 'CRITICAL', status: 'SUPPRESSED' },
    ];
    await seedEnhancedFindings(deployment, first, new Date());
    await putEvents([scanEvent(deployment, { CRITICAL: 1, HIGH: 1, MEDIUM: 1, TOTAL: 3 })]);
    const initial = await runInspector(deployment);
    expect(initial.run.recordsFailed).toBe(0);
    expect(initial.outcomes.map((o) => [o.records, o.outcome.published, o.outcome.news])).toEqual([[1, true, 'first-report']]);
    const [report] = await receiveNotifications(fixture().sqs, subscriberQueueUrl);
    const doc = documentOf(report);
    // The suppressed CRITICAL left out: the report is about the HIGH, and lists what counts, most severe first.
    expect(doc.highestSeverity).toBe('HIGH');
    expect(doc.findings.map((f: { id: string }) => f.id)).toEqual(['CVE-2026-1001', 'CVE-2026-1002']);
    expect(doc.findings[0]).toMatchObject({ fixAvailable: 'YES', exploitAvailable: 'YES' });
    expect(await lastEmailText()).toContain('CVE-2026-1001 openssl 3.0.1 (score 7.5, fix available, exploit available)');

    // 2. A burst: two new HIGH findings and an update of the first, in one batch: one report, naming the two.
    const second: SeedFinding[] = [...first, { id: 'CVE-2026-2001', severity: 'HIGH' }, { id: 'CVE-2026-2002', severity: 'HIGH', fixAvailable: 'PARTIAL' }];
    await seedEnhancedFindings(deployment, second, new Date());
    const burst = [
      findingEvent(deployment, 'CVE-2026-2001', 'ACTIVE', 0.42),
      findingEvent(deployment, 'CVE-2026-2002', 'ACTIVE', 0.07),
      findingEvent(deployment, 'CVE-2026-1001', 'ACTIVE', 0.91),
    ];
    await putEvents(burst);
    await fixture().emulator.resetRequests();
    const bursted = await runInspector(deployment);
    // What the burst cost ECR: one DescribeImageScanFindings page for the group (its findings, read once and
    // reused by the report), and the one DescribeImages of every report (the image's last pull).
    const ecrCalls = (await fixture().emulator.requests()).filter((r) => r.service === 'AmazonEC2ContainerRegistry_V20150921').map((r) => r.operation);
    expect(ecrCalls.sort()).toEqual(['DescribeImageScanFindings', 'DescribeImages']);
    expect(bursted.outcomes.map((o) => [o.records, o.outcome.published, o.outcome.news, o.outcome.newFindings])).toEqual([[3, true, 'new-findings', 2]]);
    const notifications = await receiveNotifications(fixture().sqs, subscriberQueueUrl);
    expect(notifications).toHaveLength(1);
    const news = documentOf(notifications[0]);
    expect(news).toMatchObject({ news: 'new-findings', newFindingsCount: 2 });
    expect(JSON.parse(notifications[0].MessageAttributes!.newFindingIds.Value).sort()).toEqual(['CVE-2026-2001', 'CVE-2026-2002']);
    const text = await lastEmailText();
    expect(text).toContain('CVE-2026-2001 openssl 3.0.1 (score 7.5, EPSS 0.42)');
    expect(text).toContain('CVE-2026-2002 openssl 3.0.1 (score 7.5, fix available for some packages, EPSS 0.07)');

    // 3. The same burst delivered again (at least once): nothing new, nothing sent.
    await putEvents(burst);
    const again = await runInspector(deployment);
    expect(again.outcomes.map((o) => [o.outcome.published, o.outcome.withheld])).toEqual([[false, 'already-reported']]);
    expect(await receiveNotifications(fixture().sqs, subscriberQueueUrl)).toEqual([]);

    // 4. Two findings closed: the ledger records the image's findings now, and nothing is reported.
    const third: SeedFinding[] = first;
    await seedEnhancedFindings(deployment, third, new Date());
    await putEvents([findingEvent(deployment, 'CVE-2026-2001', 'CLOSED'), findingEvent(deployment, 'CVE-2026-2002', 'CLOSED')]);
    const closed = await runInspector(deployment);
    expect(closed.outcomes.map((o) => [o.records, o.outcome.published, o.outcome.reason])).toEqual([[2, false, 'findings-closed']]);
    expect(await receiveNotifications(fixture().sqs, subscriberQueueUrl)).toEqual([]);
    const image = deployment.seeded.find((i) => i.repositoryName === 'shop/api')!;
    const client = DynamoDBDocumentClient.from(new DynamoDBClient(fixture().emulator.clientConfig()));
    const entry = (await client.send(new GetCommand({ TableName: deployment.infrastructure.ledgerTableName, Key: imageKey('shop/api', image.imageDigest), ConsistentRead: true }))).Item;
    // The image's counts as ECR gives them now, as the ledger records a scan's: the suppressed CRITICAL among them.
    expect(entry?.scan).toMatchObject({ status: 'COMPLETE', source: 'scan-event' });
    expect(entry?.scan.severityCounts).toEqual({ CRITICAL: 1, HIGH: 1, MEDIUM: 1 });
    client.destroy();
  });

  test('findings on an EC2 instance never reach the queue; one outside the patterns is skipped; a malformed record fails alone', async () => {
    const deployment = await deploy(fixture(), { repositoryPattern: '^shop/' }, REGISTRY, new Date());
    const { infrastructure } = deployment;
    await putEvents([loadEventFixture('eventbridge-inspector2-finding-ec2.json'), findingEvent(deployment, 'CVE-2026-3001', 'ACTIVE', undefined, 'sandbox/tmp')]);
    // The rule's pattern (resources.type AWS_ECR_CONTAINER_IMAGE) keeps the EC2 finding out.
    const outside = await runInspector(deployment);
    expect(outside.run.recordsDelivered).toBe(1);
    expect(outside.outcomes.map((o) => [o.repositoryName, o.outcome.reason])).toEqual([['sandbox/tmp', 'repository-not-selected']]);
    await fixture().emulator.resetRequests();

    // A record the rules would never send: refused, failed alone, and moved to the dead-letter queue after maxReceiveCount.
    await fixture().sqs.send(new SendMessageCommand({ QueueUrl: infrastructure.inspectorEventQueueUrl, MessageBody: JSON.stringify({ 'source': 'aws.inspector2', 'detail-type': 'Inspector2 Finding', 'detail': {} }) }));
    const bad = await runInspector(deployment);
    expect(bad.run.recordsFailed).toBe(deployment.config.maxReceiveCount);
    expect(await drainQueue(fixture().sqs, infrastructure.inspectorDeadLetterQueueUrl)).toHaveLength(1);
    // Refused before any call to ECR.
    expect((await fixture().emulator.requests()).filter((r) => r.operation === 'DescribeImageScanFindings')).toEqual([]);
  });

  test('a threshold on LOW, which the initial scan event does not count, is decided on the image\'s findings', async () => {
    const deployment = await deploy(fixture(), { repositoryPattern: '^shop/', thresholds: { critical: 1, high: 1, low: 1 } }, REGISTRY, new Date());
    await drainQueue(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
    await seedEnhancedFindings(deployment, [{ id: 'CVE-2026-4001', severity: 'LOW' }, { id: 'CVE-2026-4002', severity: 'LOW', status: 'SUPPRESSED' }], new Date());
    // The event's counts: no CRITICAL, HIGH or MEDIUM, so by them alone nothing would be due.
    await putEvents([scanEvent(deployment, { CRITICAL: 0, HIGH: 0, MEDIUM: 0, TOTAL: 2 })]);
    const { outcomes } = await runInspector(deployment);
    expect(outcomes.map((o) => [o.outcome.published, o.outcome.reason])).toEqual([[true, 'threshold-reached']]);
    const [report] = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
    // One LOW: the suppressed one does not count.
    expect(documentOf(report).severityCounts).toEqual({ LOW: 1 });
  });
});
