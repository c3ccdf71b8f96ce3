/**
 * Work that always finishes, end to end with the deployed bundles: when the time budget
 * from the Lambda context is spent, dispatch continues in an asynchronous invocation of
 * itself (the emulator records it) and rescan in messages it queues on its own queue. The
 * scale test covers one huge repository; these cover the extremes of the mechanism.
 */
import { Duration } from 'aws-cdk-lib';
import { deploy, useEmulator } from './harness';
import { drainQueue, runDispatch, runQueue } from '../../local/pipeline';
import { SAMPLE_REGISTRY, SAMPLE_SETTINGS, SampleImage } from '../../local/sample-registry';

const fixture = useEmulator();
const ECR_SERVICE = 'AmazonEC2ContainerRegistry_V20150921';

test('a registry of more than one page of repositories is dispatched over several invocations, each repository once', async () => {
  const { sqs, emulator, handlers } = fixture();
  const deployment = await deploy(fixture(), { repositoryPattern: '^team-' }, [], new Date());
  const names = Array.from({ length: 1_205 }, (_, i) => `team-${String(i).padStart(4, '0')}/app`);
  await emulator.seedRepositories([...names, 'other/app']);
  await emulator.resetRequests();

  // A 1-second timeout leaves no budget after the 1-second reserve: every invocation lists one page, then continues.
  const results = await runDispatch(emulator, handlers.dispatch, { timeoutSeconds: 1 });

  expect(results).toEqual([
    { registryScanType: 'BASIC', repositoriesListed: 1000, repositoriesSelected: expect.any(Number), messagesSent: expect.any(Number), continuedInPart: 1 },
    { registryScanType: 'BASIC', repositoriesListed: 206, repositoriesSelected: expect.any(Number), messagesSent: expect.any(Number) },
  ]);
  expect(results.reduce((n, r) => n + r.messagesSent, 0)).toBe(names.length);
  const queued = (await drainQueue(sqs, deployment.infrastructure.rescanQueueUrl)).map((m) => JSON.parse(m.Body!).repositoryName);
  expect(queued.sort()).toEqual(names);
  // The continuation went through Lambda's asynchronous Invoke with the page position.
  const invokes = (await emulator.requests()).filter((r) => r.operation === 'Invoke');
  expect(invokes).toHaveLength(1);
  expect(invokes[0].params).toMatchObject({
    functionName: 'arn:aws:lambda:us-east-1:123456789012:function:dispatch',
    invocationType: 'Event',
    payload: { continuation: { nextToken: expect.any(String), part: 1 } },
  });
  const lists = (await emulator.requests()).filter((r) => r.service === ECR_SERVICE && r.operation === 'DescribeRepositories');
  expect(lists.map((r) => r.params.nextToken === undefined)).toEqual([true, false]);
  const metrics = fixture().metricLines().filter((l) => l.Continuations !== undefined);
  expect(metrics.map((l) => [l.RepositoriesListed, l.RepositoriesDispatched, l.Continuations])).toEqual([
    [1000, results[0].messagesSent, 1],
    [206, results[1].messagesSent, 0],
  ]);
}, 120_000);

test('with no time budget at all, every invocation still evaluates one image, and the cycle ends with each due digest scanned once', async () => {
  const { sqs, emulator, handlers } = fixture();
  const props = {
    repositoryPattern: SAMPLE_SETTINGS.repositoryPattern,
    excludePattern: SAMPLE_SETTINGS.excludePattern,
    scanExpiry: Duration.days(SAMPLE_SETTINGS.scanExpiryDays),
  };
  const deployment = await deploy(fixture(), props, SAMPLE_REGISTRY, new Date());
  const { rescanQueueUrl, rescanQueueArn, rescanDeadLetterQueueUrl } = deployment.infrastructure;

  await runDispatch(emulator, handlers.dispatch);
  const run = await runQueue(sqs, rescanQueueUrl, rescanQueueArn, handlers.rescan, { batchSize: deployment.config.batchSize, timeoutSeconds: 1 });

  const selected = deployment.seeded.filter((i) => SAMPLE_REGISTRY.find((r) => r.name === i.repositoryName)!.selected);
  expect(run.recordsFailed).toBe(0);
  // One image per invocation: the walk's first image always runs, nothing else starts.
  expect(run.invocations).toBe(selected.length);
  const requests = (await emulator.requests()).filter((r) => r.service === ECR_SERVICE);
  const scans = requests.filter((r) => r.operation === 'StartImageScan').map((r) => r.params.imageId.imageDigest);
  const due = selected.filter((i) => (i.seed as SampleImage).expected.action === 'scan').map((i) => i.imageDigest);
  expect(scans.sort()).toEqual(due.sort());
  const evaluated = fixture()
    .logs()
    .filter((l) => typeof l.message === 'string' && l.message.startsWith('Repository rescanned'))
    .reduce((n, l) => n + (l.imagesEvaluated as number), 0);
  expect(evaluated).toBe(selected.length);
  // Records that could not start were queued again unchanged, and continuations carried the rest.
  const deferred = fixture().logs().filter((l) => l.message === 'Record deferred: the time budget is spent, so it is queued again unchanged');
  expect(deferred.length).toBeGreaterThan(0);
  expect(await drainQueue(sqs, rescanQueueUrl)).toEqual([]);
  expect(await drainQueue(sqs, rescanDeadLetterQueueUrl)).toEqual([]);
});
