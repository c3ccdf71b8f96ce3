/**
 * The daily cycle against the emulator: the dispatch bundle lists the registry and fills
 * the real rescan queue; the rescan bundle, fed by that queue as Lambda's event source
 * would, calls StartImageScan. Checked against the emulator's own state and request log.
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { Duration } from 'aws-cdk-lib';
import { useEmulator, deploy, Deployment } from './harness';
import { drainQueue, lambdaContext, runQueue } from '../../local/pipeline';
import { SAMPLE_REGISTRY, SAMPLE_SETTINGS, SampleImage } from '../../local/sample-registry';

const fixture = useEmulator();

const PROPS = {
  repositoryPattern: SAMPLE_SETTINGS.repositoryPattern,
  excludePattern: SAMPLE_SETTINGS.excludePattern,
  scanExpiry: Duration.days(SAMPLE_SETTINGS.scanExpiryDays),
};

const ECR_SERVICE = 'AmazonEC2ContainerRegistry_V20150921';

/** The sample's images with their digests once seeded. */
function images(deployment: Deployment) {
  return deployment.seeded.map((image) => ({
    ...image,
    expected: (image.seed as SampleImage).expected,
    selected: SAMPLE_REGISTRY.find((r) => r.name === image.repositoryName)!.selected,
  }));
}

async function dailyCycle(deployment: Deployment) {
  const { handlers, sqs } = fixture();
  const dispatched = await handlers.dispatch({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('dispatch'));
  const run = await runQueue(sqs, deployment.infrastructure.rescanQueueUrl, deployment.infrastructure.rescanQueueArn, handlers.rescan, {
    batchSize: deployment.config.batchSize,
  });
  return { dispatched, run };
}

async function startImageScanCalls() {
  return (await fixture().emulator.requests()).filter((r) => r.service === ECR_SERVICE && r.operation === 'StartImageScan');
}

test('dispatch puts one message per selected repository on the rescan queue', async () => {
  const now = new Date();
  const deployment = await deploy(fixture(), PROPS, SAMPLE_REGISTRY, now);

  const result = await fixture().handlers.dispatch({}, lambdaContext('dispatch'));

  expect(result).toEqual({ registryScanType: 'BASIC', repositoriesListed: 5, repositoriesSelected: 3, messagesSent: 3 });
  const bodies = (await drainQueue(fixture().sqs, deployment.infrastructure.rescanQueueUrl)).map((m) => JSON.parse(m.Body!));
  expect(bodies.map((b) => b.repositoryName).sort()).toEqual(['shop/api', 'shop/web', 'shop/worker']);
  for (const body of bodies) expect(Object.keys(body)).toEqual(['repositoryName']);
});

test('rescan starts a scan for exactly the due digests, once each, and touches nothing else', async () => {
  const now = new Date();
  const deployment = await deploy(fixture(), PROPS, SAMPLE_REGISTRY, now);
  const before = new Map((await fixture().emulator.lastScans()).map((s) => [s.imageDigest, s.lastScan]));

  const { run } = await dailyCycle(deployment);

  expect(run).toMatchObject({ recordsDelivered: 3, recordsFailed: 0 });
  const calls = await startImageScanCalls();
  const due = images(deployment).filter((i) => i.selected && i.expected.action === 'scan');
  // One StartImageScan per due digest, addressed by digest alone, and no other.
  expect(calls.map((c) => `${c.params.repositoryName}@${c.params.imageId.imageDigest}`).sort()).toEqual(
    due.map((i) => `${i.repositoryName}@${i.imageDigest}`).sort(),
  );
  for (const call of calls) expect(Object.keys(call.params.imageId)).toEqual(['imageDigest']);
  // ECR accepted those expected to start and refused the one scanned moments ago.
  for (const image of due) {
    const call = calls.find((c) => c.params.imageId.imageDigest === image.imageDigest)!;
    expect([image.repositoryName, image.imageTags, call.status]).toEqual([
      image.repositoryName,
      image.imageTags,
      image.expected.outcome === 'started' ? 200 : 400,
    ]);
  }

  // The emulator's state: a new scan for every started image, nothing else changed.
  const after = new Map((await fixture().emulator.lastScans()).map((s) => [s.imageDigest, s.lastScan]));
  for (const image of images(deployment)) {
    const started = image.selected && image.expected.outcome === 'started';
    if (started) {
      expect(after.get(image.imageDigest)).not.toBe(before.get(image.imageDigest));
      expect(Date.parse(after.get(image.imageDigest)!)).toBeGreaterThanOrEqual(now.getTime() - 1000);
    } else {
      expect([image.repositoryName, image.imageTags, after.get(image.imageDigest)]).toEqual([
        image.repositoryName,
        image.imageTags,
        before.get(image.imageDigest),
      ]);
    }
  }

  // Unselected repositories were never read.
  const touched = (await fixture().emulator.requests()).filter((r) => r.service === ECR_SERVICE && r.params.repositoryName);
  expect(new Set(touched.map((r) => r.params.repositoryName))).toEqual(new Set(['shop/web', 'shop/api', 'shop/worker']));

  // Nothing left behind, nothing dead-lettered.
  expect(await drainQueue(fixture().sqs, deployment.infrastructure.rescanQueueUrl)).toEqual([]);
  expect(await drainQueue(fixture().sqs, deployment.infrastructure.rescanDeadLetterQueueUrl)).toEqual([]);

  // The handler's own counts agree.
  const summaries = fixture().logs().filter((l) => l.message === 'Repository rescanned');
  expect(summaries.map((l) => [l.repositoryName, l.imagesEvaluated, l.due, l.scansStarted, l.recentlyScanned]).sort()).toEqual([
    ['shop/api', 4, 2, 1, 1],
    ['shop/web', 4, 3, 3, 0],
    ['shop/worker', 1, 1, 1, 0],
  ]);
});

test('a second run on the same day starts nothing new and loses nothing', async () => {
  const deployment = await deploy(fixture(), PROPS, SAMPLE_REGISTRY, new Date());
  await dailyCycle(deployment);
  const afterFirst = await fixture().emulator.lastScans();
  await fixture().emulator.resetRequests();
  const firstRunLines = fixture().logs().length;

  const { dispatched, run } = await dailyCycle(deployment);

  expect(dispatched.messagesSent).toBe(3);
  expect(run).toMatchObject({ recordsDelivered: 3, recordsFailed: 0 });
  const calls = await startImageScanCalls();
  // Images scanned today for the first time now read as fresh; those whose state still says
  // expired or FAILED are tried once and refused with LimitExceededException.
  expect(calls.filter((c) => c.status === 200)).toEqual([]);
  const retried = images(deployment).filter((i) => i.selected && i.expected.action === 'scan' && i.expected.reason !== 'never-scanned');
  expect(calls.map((c) => c.params.imageId.imageDigest).sort()).toEqual(retried.map((i) => i.imageDigest).sort());
  expect(await fixture().emulator.lastScans()).toEqual(afterFirst);

  const summaries = fixture()
    .logs()
    .slice(firstRunLines)
    .filter((l) => l.message === 'Repository rescanned');
  expect(summaries.map((l) => [l.repositoryName, l.scansStarted, l.recentlyScanned, l.quotaExceeded]).sort()).toEqual([
    ['shop/api', 0, 2, 0],
    ['shop/web', 0, 2, 0],
    ['shop/worker', 0, 0, 0],
  ]);
  expect(await drainQueue(fixture().sqs, deployment.infrastructure.rescanQueueUrl)).toEqual([]);
  expect(await drainQueue(fixture().sqs, deployment.infrastructure.rescanDeadLetterQueueUrl)).toEqual([]);
});

test('a poison message ends in the dead-letter queue after maxReceiveCount; the rest of its batch succeeds', async () => {
  const deployment = await deploy(fixture(), { ...PROPS, maxReceiveCount: 2 }, SAMPLE_REGISTRY, new Date());
  const { sqs, handlers } = fixture();
  const { rescanQueueUrl, rescanQueueArn, rescanDeadLetterQueueUrl } = deployment.infrastructure;
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: rescanQueueUrl,
      Entries: [
        { Id: 'good-1', MessageBody: JSON.stringify({ repositoryName: 'shop/web' }) },
        { Id: 'poison-json', MessageBody: '{"repositoryName": "shop/api"' },
        { Id: 'poison-type', MessageBody: JSON.stringify({ repositoryName: ['shop/api'] }) },
        { Id: 'good-2', MessageBody: JSON.stringify({ repositoryName: 'shop/worker' }) },
      ],
    }),
  );

  const run = await runQueue(sqs, rescanQueueUrl, rescanQueueArn, handlers.rescan, { batchSize: 10 });

  expect(deployment.config.maxReceiveCount).toBe(2);
  // Each poison message was delivered maxReceiveCount times, then moved aside by the redrive policy.
  expect(run.recordsFailed).toBe(4);
  expect(new Set(run.failedMessageIds).size).toBe(2);
  const dead = await drainQueue(sqs, rescanDeadLetterQueueUrl);
  expect(dead.map((m) => m.Body).sort()).toEqual(['{"repositoryName": "shop/api"', JSON.stringify({ repositoryName: ['shop/api'] })].sort());
  expect(await drainQueue(sqs, rescanQueueUrl)).toEqual([]);

  // The good messages of the same batch were processed once each.
  const started = (await startImageScanCalls()).filter((c) => c.status === 200).map((c) => c.params.repositoryName);
  expect(started.sort()).toEqual(['shop/web', 'shop/web', 'shop/web', 'shop/worker']);
  const errors = fixture().logs().filter((l) => l.level === 'ERROR');
  expect(errors.length).toBe(4);
  for (const line of errors) expect(line.message).toMatch(/^Malformed rescan message/);
});
