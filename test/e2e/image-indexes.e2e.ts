/**
 * Image indexes through the deployed service, against the emulator: the rescan function (with the
 * construct's environment, `readImageIndexes` on by default) reads a buildx index's manifest once,
 * keeps what it lists in the ledger, scans only its platform images, and follows a tag added to
 * the index without reading it again; the report function names a platform image by the index's
 * tag and platform, and withholds the FAILED scan of an attestation manifest.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutImageCommand } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Pushed, REPOSITORY, pushRegistry } from './buildx-registry';
import { Deployment, deploy, rescanCycle, useEmulator } from './harness';
import { EmulatorRequest } from '../../local/emulator/emulator';
import { deliverScanEvents, receiveNotifications } from '../../local/pipeline';
import { imageKey } from '../../src/decisions/ledger';

const fixture = useEmulator();
const ECR = 'AmazonEC2ContainerRegistry_V20150921';

const cycle = (deployment: Deployment) => rescanCycle(fixture(), deployment);

const ecrCalls = (requests: readonly EmulatorRequest[], operation: string) => requests.filter((r) => r.service === ECR && r.operation === operation);
const digestsOf = (requests: readonly EmulatorRequest[], operation: string) =>
  ecrCalls(requests, operation)
    .map((r) => r.params.imageId?.imageDigest as string)
    .sort();

async function entry(deployment: Deployment, imageDigest: string): Promise<Record<string, any> | undefined> {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient(fixture().emulator.clientConfig()));
  try {
    const key = imageKey(REPOSITORY, imageDigest);
    return (await client.send(new GetCommand({ TableName: deployment.infrastructure.ledgerTableName, Key: key, ConsistentRead: true }))).Item;
  } finally {
    client.destroy();
  }
}

async function sendScanEvent(detail: Record<string, unknown>): Promise<void> {
  const eventBridge = new EventBridgeClient(fixture().emulator.clientConfig());
  try {
    const response = await eventBridge.send(new PutEventsCommand({ Entries: [{ Source: 'aws.ecr', DetailType: 'ECR Image Scan', Detail: JSON.stringify(detail) }] }));
    expect(response.FailedEntryCount).toBe(0);
  } finally {
    eventBridge.destroy();
  }
}

describe('image indexes through the deployed service', () => {
  let deployment: Deployment;
  let pushed: Pushed;

  beforeEach(async () => {
    deployment = await deploy(fixture(), { repositoryPattern: '^shop/buildx$' }, [], new Date());
    expect(deployment.environment.READ_IMAGE_INDEXES).toBe('true');
    pushed = await pushRegistry(fixture().ecr);
  });

  test('the index is read once and what it lists is kept; only its platform images (and the plain image) are scanned; a tag added to it reaches them without a read', async () => {
    const first = await cycle(deployment);

    expect(digestsOf(first, 'StartImageScan')).toEqual([pushed.amd64, pushed.arm64, pushed.plain].sort());
    expect(ecrCalls(first, 'BatchGetImage').map((r) => r.params.imageIds)).toEqual([[{ imageDigest: pushed.index }]]);
    // No call refused: not the index, not the attestation, not a referrer.
    expect(ecrCalls(first, 'StartImageScan').filter((r) => r.status !== 200)).toEqual([]);
    expect(await entry(deployment, pushed.index)).toMatchObject({
      children: {
        tags: ['v1.2'],
        manifests: [
          { digest: pushed.amd64, role: 'platform', platform: 'linux/amd64' },
          { digest: pushed.arm64, role: 'platform', platform: 'linux/arm64' },
          { digest: pushed.attestation, role: 'attestation' },
        ],
      },
    });
    expect((await entry(deployment, pushed.arm64))?.index).toEqual({ digest: pushed.index, tags: ['v1.2'], role: 'platform', platform: 'linux/arm64' });
    expect((await entry(deployment, pushed.attestation))?.index).toEqual({ digest: pushed.index, tags: ['v1.2'], role: 'attestation' });

    // The next cycle: nothing read again, nothing scanned (the scans are in progress or done).
    const second = await cycle(deployment);
    expect(ecrCalls(second, 'BatchGetImage')).toEqual([]);
    expect(digestsOf(second, 'StartImageScan')).toEqual([]);

    // `latest` now names the same index too: its platform images' entries follow, without a manifest read.
    await fixture().ecr.send(new PutImageCommand({ repositoryName: REPOSITORY, imageManifest: pushed.indexManifest, imageTag: 'latest' }));
    const third = await cycle(deployment);
    expect(ecrCalls(third, 'BatchGetImage')).toEqual([]);
    expect((await entry(deployment, pushed.amd64))?.index).toMatchObject({ digest: pushed.index, role: 'platform', platform: 'linux/amd64' });
    expect([...(await entry(deployment, pushed.amd64))?.index.tags].sort()).toEqual(['latest', 'v1.2']);
    expect([...(await entry(deployment, pushed.index))?.children.tags].sort()).toEqual(['latest', 'v1.2']);
  });

  test('a platform image\'s report names it by the index\'s tag and platform; an attestation manifest\'s FAILED scan is withheld', async () => {
    await cycle(deployment);
    const completedAt = new Date();
    await fixture().emulator.seedImageScan(REPOSITORY, pushed.arm64, completedAt, {
      registryId: fixture().emulator.accountId,
      repositoryName: REPOSITORY,
      imageId: { imageDigest: pushed.arm64 },
      imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
      imageScanFindings: {
        imageScanCompletedAt: completedAt.getTime() / 1000,
        findingSeverityCounts: { CRITICAL: 1 },
        findings: [{ name: 'CVE-2026-1111', severity: 'CRITICAL', uri: 'https://nvd.nist.gov/vuln/detail/CVE-2026-1111', attributes: [{ key: 'package_name', value: 'openssl' }] }],
      },
    });
    // ECR's events for a platform image carry no tags (it has none), as for the attestation manifest a buildx push
    // scanned on push: its scan FAILS.
    await sendScanEvent({ 'scan-status': 'COMPLETE', 'repository-name': REPOSITORY, 'image-digest': pushed.arm64, 'image-tags': [], 'finding-severity-counts': { CRITICAL: 1 } });
    await sendScanEvent({ 'scan-status': 'FAILED', 'repository-name': REPOSITORY, 'image-digest': pushed.attestation, 'image-tags': [] });

    const deliveries = await deliverScanEvents(fixture().sqs, deployment.infrastructure.scanEventQueueUrl, fixture().handlers.report);

    const byDigest = new Map(deliveries.map((d) => [d.event.detail['image-digest'] as string, d]));
    expect(byDigest.get(pushed.arm64)?.result).toMatchObject({ published: true, reason: 'threshold-reached' });
    expect(byDigest.get(pushed.attestation)?.result).toEqual({ published: false, reason: 'attestation' });
    const notifications = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
    expect(notifications).toHaveLength(1);
    const [notification] = notifications;
    expect(notification.Subject).toBe('ECR scan: CRITICAL 1 in shop/buildx:v1.2 (linux/arm64)');
    const message = JSON.parse(notification.Message) as Record<string, any>;
    expect(message.imageTags).toEqual([]);
    expect(message.imageIndex).toEqual({ digest: pushed.index, tags: ['v1.2'], platform: 'linux/arm64', label: 'v1.2 (linux/arm64)' });
    // The FAILED scan is still recorded on the attestation's entry.
    expect((await entry(deployment, pushed.attestation))?.scan).toMatchObject({ status: 'FAILED', source: 'scan-event' });
  });
});
