/**
 * Scan-complete events against the emulator: sent with PutEvents (source aws.ecr), matched
 * by the construct's own rule pattern, delivered to the report bundle, published to the
 * real SNS topic and received by an SQS subscriber as any subscriber would receive them.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Deployment, deploy, useEmulator } from './harness';
import { deliverScanEvents, receiveNotifications } from '../../local/pipeline';
import { findingsFor } from '../../local/registry';
import { SAMPLE_REGISTRY, SAMPLE_SETTINGS } from '../../local/sample-registry';
import { imageKey } from '../../src/decisions/ledger';
import { SNS_MAX_SUBJECT_LENGTH } from '../../src/decisions/report-message';

const fixture = useEmulator();
const PROPS = { repositoryPattern: SAMPLE_SETTINGS.repositoryPattern, excludePattern: SAMPLE_SETTINGS.excludePattern };

function image(deployment: Deployment, repositoryName: string, tag: string) {
  const found = deployment.seeded.find((i) => i.repositoryName === repositoryName && i.imageTags.includes(tag));
  if (!found) throw new Error(`no seeded image ${repositoryName}:${tag}`);
  return found;
}

/** The findings the sample registry seeded for an image (local/registry.ts), as ECR lists them. */
function seededFindings(deployment: Deployment, repositoryName: string, tag: string): { name: string; severity: string }[] {
  const seeded = image(deployment, repositoryName, tag);
  const scan = seeded.seed.scan as { severityCounts?: Record<string, number> };
  return findingsFor(scan.severityCounts ?? {}, `${repositoryName} ${seeded.imageDigest}`) as { name: string; severity: string }[];
}

async function sendScanEvent(detail: Record<string, unknown>, overrides: { source?: string; detailType?: string } = {}) {
  const eventBridge = new EventBridgeClient(fixture().emulator.clientConfig());
  try {
    const response = await eventBridge.send(
      new PutEventsCommand({
        Entries: [{ Source: overrides.source ?? 'aws.ecr', DetailType: overrides.detailType ?? 'ECR Image Scan', Detail: JSON.stringify(detail) }],
      }),
    );
    expect(response.FailedEntryCount).toBe(0);
  } finally {
    eventBridge.destroy();
  }
}

function completeEvent(deployment: Deployment, repositoryName: string, tag: string, counts: Record<string, number>) {
  const seeded = image(deployment, repositoryName, tag);
  return {
    'scan-status': 'COMPLETE',
    'repository-name': repositoryName,
    'image-digest': seeded.imageDigest,
    'image-tags': seeded.imageTags,
    'finding-severity-counts': counts,
  };
}

test('a scan above the thresholds reaches the subscriber with subject, JSON form, email text and attributes', async () => {
  const deployment = await deploy(fixture(), PROPS, SAMPLE_REGISTRY, new Date());
  const target = image(deployment, 'shop/web', 'v1.3.0');
  await sendScanEvent(completeEvent(deployment, 'shop/web', 'v1.3.0', { CRITICAL: 1, HIGH: 3, MEDIUM: 7, LOW: 2 }));

  const deliveries = await deliverScanEvents(fixture().sqs, deployment.infrastructure.scanEventQueueUrl, fixture().handlers.report);

  expect(deliveries).toHaveLength(1);
  // The event arrived as EventBridge sends it, account included.
  expect(deliveries[0].event).toMatchObject({ 'source': 'aws.ecr', 'detail-type': 'ECR Image Scan', 'account': '123456789012', 'region': 'us-east-1' });
  expect(deliveries[0].result).toMatchObject({ published: true, reason: 'threshold-reached' });

  const notifications = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
  expect(notifications).toHaveLength(1);
  const [notification] = notifications;
  expect(notification.Subject).toBe('ECR scan: CRITICAL 1, HIGH 3 in shop/web:v1.3.0');
  expect(notification.Subject!.length).toBeLessThanOrEqual(SNS_MAX_SUBJECT_LENGTH);
  // The digest's first report: every finding at a reached severity (1 CRITICAL, 3 HIGH) is new, and named.
  const reached = seededFindings(deployment, 'shop/web', 'v1.3.0').filter((f) => ['CRITICAL', 'HIGH'].includes(f.severity));
  expect(notification.MessageAttributes).toEqual({
    kind: { Type: 'String', Value: 'report' },
    repository: { Type: 'String', Value: 'shop/web' },
    highestSeverity: { Type: 'String', Value: 'CRITICAL' },
    scanStatus: { Type: 'String', Value: 'COMPLETE' },
    // Nobody owns shop/web; no discovery ran yet, so where it runs is unknown.
    owner: { Type: 'String', Value: 'UNOWNED' },
    inUse: { Type: 'String', Value: 'unknown' },
    newFindings: { Type: 'Number', Value: '4' },
    newFindingIds: { Type: 'String.Array', Value: expect.any(String) },
  });
  expect(JSON.parse(notification.MessageAttributes!.newFindingIds.Value).sort()).toEqual(reached.map((f) => f.name).sort());

  // An SQS subscriber gets the JSON document (MessageStructure json, key "default").
  const document = JSON.parse(notification.Message);
  expect(document).toMatchObject({
    version: 1,
    source: 'cdk-ecr-scan-reporter',
    repositoryName: 'shop/web',
    imageDigest: target.imageDigest,
    imageTags: ['v1.3.0'],
    scanStatus: 'COMPLETE',
    accountId: '123456789012',
    region: 'us-east-1',
    highestSeverity: 'CRITICAL',
    severityCounts: { CRITICAL: 1, HIGH: 3, MEDIUM: 7, LOW: 2 },
    totalFindings: 13,
    findingsOmitted: 0,
  });
  // The findings were read from ECR (the seeded DescribeImageScanFindings), worst first.
  expect(document.findings).toHaveLength(13);
  expect(document.findings.map((f: { severity: string }) => f.severity)).toEqual([
    'CRITICAL',
    ...Array(3).fill('HIGH'),
    ...Array(7).fill('MEDIUM'),
    ...Array(2).fill('LOW'),
  ]);
  expect(document.findings[0]).toEqual({
    id: expect.stringMatching(/^CVE-2026-\d+$/),
    severity: 'CRITICAL',
    packageName: expect.any(String),
    packageVersion: expect.any(String),
    url: expect.stringMatching(/^https:\/\/nvd\.nist\.gov\/vuln\/detail\/CVE-2026-\d+$/),
    score: 9.8,
  });
  expect(document.consoleUrl).toContain(`/ecr/repositories/private/123456789012/shop/web/_/image/${target.imageDigest}/scan-results`);

  // On the wire: one Publish with both forms; the email form is readable text.
  const publishes = (await fixture().emulator.requests()).filter((r) => r.service === 'sns' && r.operation === 'Publish');
  expect(publishes).toHaveLength(1);
  expect(publishes[0].params.MessageStructure).toBe('json');
  const forms = JSON.parse(publishes[0].params.Message);
  expect(Object.keys(forms).sort()).toEqual(['default', 'email']);
  expect(JSON.parse(forms.default)).toEqual(document);
  expect(forms.email).toContain('shop/web');
  expect(forms.email).toContain('CRITICAL');
  expect(forms.email).toContain(document.findings[0].id);
  expect(forms.email).not.toMatch(/^\s*\{/);
});

test('a scan below the thresholds publishes nothing', async () => {
  const deployment = await deploy(fixture(), PROPS, SAMPLE_REGISTRY, new Date());
  await sendScanEvent(completeEvent(deployment, 'shop/web', 'v1.4.1', { HIGH: 0, MEDIUM: 5 } as Record<string, number>));

  const deliveries = await deliverScanEvents(fixture().sqs, deployment.infrastructure.scanEventQueueUrl, fixture().handlers.report);

  expect(deliveries.map((d) => d.result)).toEqual([{ published: false, reason: 'below-threshold' }]);
  expect(await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl)).toEqual([]);
});

test('custom thresholds from the props reach the report handler', async () => {
  const deployment = await deploy(fixture(), { ...PROPS, thresholds: { critical: 1, high: 5, medium: 3 } }, SAMPLE_REGISTRY, new Date());
  await sendScanEvent(completeEvent(deployment, 'shop/web', 'v1.4.1', { HIGH: 2, MEDIUM: 5 }));

  await deliverScanEvents(fixture().sqs, deployment.infrastructure.scanEventQueueUrl, fixture().handlers.report);

  const notifications = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
  expect(notifications.map((n) => n.Subject)).toEqual(['ECR scan: MEDIUM 5 in shop/web:v1.4.1']);
});

test('a FAILED scan is reported by default', async () => {
  const deployment = await deploy(fixture(), PROPS, SAMPLE_REGISTRY, new Date());
  const failed = image(deployment, 'shop/api', '2026.11.20');
  await sendScanEvent({ 'scan-status': 'FAILED', 'repository-name': 'shop/api', 'image-digest': failed.imageDigest, 'image-tags': ['2026.11.20'] });

  const deliveries = await deliverScanEvents(fixture().sqs, deployment.infrastructure.scanEventQueueUrl, fixture().handlers.report);

  expect(deliveries.map((d) => d.result?.reason)).toEqual(['scan-failed']);
  const notifications = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
  expect(notifications.map((n) => n.Subject)).toEqual(['ECR scan: scan FAILED in shop/api:2026.11.20']);
  const document = JSON.parse(notifications[0].Message);
  // A failed scan has no counts, which is not zero counts: null, and the failure with ECR's reason instead.
  expect(document).toMatchObject({
    scanStatus: 'FAILED',
    statusDescription: 'Unable to retrieve the image layers.',
    failure: { reason: 'Unable to retrieve the image layers.' },
    highestSeverity: 'UNKNOWN',
    severityCounts: null,
    evaluations: null,
    totalFindings: null,
    findingsOmitted: null,
    newFindingsCount: null,
    findings: [],
  });
  expect(notifications[0].MessageAttributes?.scanStatus).toEqual({ Type: 'String', Value: 'FAILED' });
  expect(notifications[0].MessageAttributes?.highestSeverity).toEqual({ Type: 'String', Value: 'UNKNOWN' });
  expect(notifications[0].MessageAttributes).not.toHaveProperty('newFindings');

  // The email form: the failure and its reason first, the image, and no severity rows such as "CRITICAL 0 1".
  const publishes = (await fixture().emulator.requests()).filter((r) => r.service === 'sns' && r.operation === 'Publish');
  expect(publishes).toHaveLength(1);
  const email = JSON.parse(publishes[0].params.Message).email as string;
  expect(email.split('\n')[0]).toBe('The scan FAILED: Unable to retrieve the image layers.');
  expect(email).toContain('No findings are known for this image until a scan completes');
  expect(email).toContain(`Digest:      ${failed.imageDigest}`);
  expect(email).not.toMatch(/^(CRITICAL|HIGH|MEDIUM|LOW)\s+\d/m);
  expect(email).not.toContain('Threshold');
});

test('with notifyOnScanFailure false, a FAILED scan is delivered and recorded in the ledger, and nothing is published for it', async () => {
  const deployment = await deploy(fixture(), { ...PROPS, notifyOnScanFailure: false }, SAMPLE_REGISTRY, new Date());
  const failed = image(deployment, 'shop/api', '2026.11.20');
  await sendScanEvent({ 'scan-status': 'FAILED', 'repository-name': 'shop/api', 'image-digest': failed.imageDigest, 'image-tags': [] });
  await sendScanEvent(completeEvent(deployment, 'shop/web', 'v1.3.0', { CRITICAL: 1 }));

  const deliveries = await deliverScanEvents(fixture().sqs, deployment.infrastructure.scanEventQueueUrl, fixture().handlers.report);

  expect(deliveries.map((d) => [d.event.detail['scan-status'], d.result?.reason])).toEqual([
    ['FAILED', 'scan-failed-not-reported'],
    ['COMPLETE', 'threshold-reached'],
  ]);
  const notifications = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
  expect(notifications.map((n) => n.Subject)).toEqual(['ECR scan: CRITICAL 1 in shop/web:v1.3.0']);
  // The next walk reads that digest's state from ECR (FAILED is not a state the ledger decides on) and scans it again.
  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(fixture().emulator.clientConfig()));
  const entry = await dynamodb.send(new GetCommand({ TableName: deployment.infrastructure.ledgerTableName, Key: imageKey('shop/api', failed.imageDigest) }));
  expect(entry.Item?.scan).toMatchObject({ status: 'FAILED', source: 'scan-event' });
  dynamodb.destroy();
});

test('events of repositories outside the patterns, other sources and other detail-types publish nothing', async () => {
  const deployment = await deploy(fixture(), PROPS, SAMPLE_REGISTRY, new Date());
  await sendScanEvent(completeEvent(deployment, 'tools/ci-runner', 'v2', { CRITICAL: 2 }));
  await sendScanEvent(completeEvent(deployment, 'shop/web-legacy', '2019', { CRITICAL: 9 }));
  await sendScanEvent(completeEvent(deployment, 'shop/web', 'v1.3.0', { CRITICAL: 1 }), { source: 'my.app' });
  await sendScanEvent(completeEvent(deployment, 'shop/web', 'v1.3.0', { CRITICAL: 1 }), { detailType: 'ECR Image Action' });

  const deliveries = await deliverScanEvents(fixture().sqs, deployment.infrastructure.scanEventQueueUrl, fixture().handlers.report);

  // The rule lets only aws.ecr / ECR Image Scan through; the handler's filter drops the rest.
  expect(deliveries.map((d) => [d.event.detail['repository-name'], d.result])).toEqual([
    ['tools/ci-runner', { published: false, reason: 'repository-not-selected' }],
    ['shop/web-legacy', { published: false, reason: 'repository-not-selected' }],
  ]);
  expect(await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl)).toEqual([]);
  expect((await fixture().emulator.requests()).filter((r) => r.operation === 'Publish')).toEqual([]);
});
