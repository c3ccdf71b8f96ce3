/**
 * What matters, end to end (issue 12): the handler bundles against the emulator's ECS, Lambda,
 * ECR, DynamoDB, SNS and SQS, configured from the construct's template.
 *
 * - In use: the discovery finds the digests that ECS services, ECS tasks and Lambda functions
 *   run, with read-only calls only (never BatchGetImage), across invocations when out of time;
 *   a report names where its image runs; `reportScope` and `rescanScope` leave out what does not.
 * - Owners: a repository tag (read once, cached) or a pattern rule; `addOwnerSubscription`'s
 *   filter policy, as the construct synthesizes it, delivers only that owner's reports.
 * - Accepted risks: a finding accepted until a future date neither triggers nor counts as new;
 *   past its expiry it does. Dispatch names an entry that matched nothing for a cycle.
 * - Chat: the published message's `https` form validates against the documented schema.
 */
import * as fs from 'fs';
import * as path from 'path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TagResourceCommand } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import Ajv from 'ajv';
import { App, Stack, aws_sns_subscriptions as subscriptions, aws_sqs as sqs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Deployment, deploy, useEmulator } from './harness';
import { EmulatorRequest } from '../../local/emulator/emulator';
import { closeWorkloadClients, createImageFunction, imageUri, runEcsService, runEcsTask } from '../../local/emulator/workloads';
import { drainQueue, lambdaContext, receiveNotifications, runDiscovery, runDispatch, runQueue } from '../../local/pipeline';
import { SeedRepository } from '../../local/registry';
import { synthesizeService } from '../../local/service';
import { EcrScanReporter, EcrScanReporterProps, ImageScope } from '../../src';
import { acceptedRiskRecordKey, discoveryKey, imageKey } from '../../src/decisions/ledger';

const fixture = useEmulator();
afterAll(() => closeWorkloadClients());
const DAY = 86_400_000;

function ledgerClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(fixture().emulator.clientConfig()), { marshallOptions: { removeUndefinedValues: true } });
}

async function item(deployment: Deployment, key: { pk: string; sk: string }) {
  return (await ledgerClient().send(new GetCommand({ TableName: deployment.infrastructure.ledgerTableName, Key: key }))).Item;
}

interface Finding {
  readonly id: string;
  readonly severity: string;
}
const OPENSSH = { id: 'CVE-2024-6387', severity: 'CRITICAL' };
const NGHTTP2 = { id: 'CVE-2023-44487', severity: 'HIGH' };
const EXPAT = { id: 'CVE-2023-52425', severity: 'HIGH' };

/** ECR finishes a scan of the image with these findings at `completedAt`, and sends its event through the rule; returns the event delivered. */
interface Image {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: readonly string[];
}

async function scanned(deployment: Deployment, image: Image, findings: readonly Finding[], completedAt: Date) {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  await fixture().emulator.seedImageScan(image.repositoryName, image.imageDigest, completedAt, {
    registryId: fixture().emulator.accountId,
    repositoryName: image.repositoryName,
    imageId: { imageDigest: image.imageDigest },
    imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
    imageScanFindings: {
      imageScanCompletedAt: completedAt.getTime() / 1000,
      findingSeverityCounts: counts,
      findings: findings.map((f) => ({ name: f.id, severity: f.severity, uri: `https://nvd.nist.gov/vuln/detail/${f.id}`, attributes: [{ key: 'package_name', value: 'openssl' }] })),
    },
  });
  const detail = { 'scan-status': 'COMPLETE', 'repository-name': image.repositoryName, 'image-digest': image.imageDigest, 'image-tags': image.imageTags, 'finding-severity-counts': counts };
  const eventBridge = new EventBridgeClient(fixture().emulator.clientConfig());
  try {
    const sent = await eventBridge.send(new PutEventsCommand({ Entries: [{ Source: 'aws.ecr', DetailType: 'ECR Image Scan', Detail: JSON.stringify(detail), Time: completedAt }] }));
    expect(sent.FailedEntryCount).toBe(0);
  } finally {
    eventBridge.destroy();
  }
  const [message] = await drainQueue(fixture().sqs, deployment.infrastructure.scanEventQueueUrl);
  return JSON.parse(message.Body!) as Record<string, unknown>;
}

const report = (event: Record<string, unknown>) => fixture().handlers.report(event, lambdaContext('report'));
const discover = (timeoutSeconds?: number) => runDiscovery(fixture().emulator, fixture().handlers.discover, { timeoutSeconds });

async function notifications(queueUrl: string) {
  return (await receiveNotifications(fixture().sqs, queueUrl)).map((n) => ({ ...n, document: JSON.parse(n.Message) }));
}

const REGISTRY: SeedRepository[] = [
  { name: 'shop/payments-api', images: [{ tags: ['v1.2'], scan: { kind: 'never' } }, { tags: ['v1.1'], scan: { kind: 'never' } }] },
  { name: 'shop/resize', images: [{ tags: ['v3'], scan: { kind: 'never' } }] },
  { name: 'shop/batch', images: [{ tags: ['nightly'], scan: { kind: 'never' } }] },
];

/** Workloads: payments-api v1.2 in an ECS service (2 tasks), resize in a Lambda function, batch in tasks outside a service; payments-api v1.1 runs nowhere. */
async function runWorkloads(deployment: Deployment) {
  const endpoint = fixture().emulator.endpoint;
  const [running, idle, resize, batch] = deployment.seeded;
  await runEcsService(endpoint, { cluster: 'prod', service: 'payments-api', tasks: 2, image: imageUri(running.repositoryName, 'v1.2') });
  await createImageFunction(endpoint, { functionName: 'resize-images', imageUri: imageUri(resize.repositoryName, 'v3') });
  await runEcsTask(endpoint, { cluster: 'jobs', family: 'nightly-batch', count: 1, image: imageUri(batch.repositoryName, batch.imageDigest) });
  return { running, idle, resize, batch };
}

/** The discovery's calls to ECS, Lambda and ECR (its ledger writes are DynamoDB's). */
const workloadCalls = (requests: readonly EmulatorRequest[]) => requests.filter((r) => !r.service.startsWith('DynamoDB'));

describe('in use', () => {
  test('the discovery records where each digest runs, with read-only calls; a report names the ECS service, the Lambda function or "Not running"', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), {}, REGISTRY, now);
    const { running, idle, resize } = await runWorkloads(deployment);
    await fixture().emulator.resetRequests();

    const [result] = await discover();
    expect(result).toMatchObject({ inUseDigests: 3, tasks: 3, functions: 1 });
    expect(result.completedAt).toBeDefined();
    const requests = await fixture().emulator.requests();
    // Never BatchGetImage (it would move lastRecordedPullTime); every ECS, Lambda and ECR call is a read.
    expect(requests.filter((r) => r.operation === 'BatchGetImage')).toEqual([]);
    const calls = [...new Set(workloadCalls(requests).map((r) => r.operation))].sort();
    expect(calls.filter((op) => !/^(List|Describe|Get)/.test(op))).toEqual([]);
    expect(calls).toEqual(expect.arrayContaining(['ListClusters', 'ListServices', 'DescribeServices', 'ListTasks', 'DescribeTasks', 'ListFunctions', 'GetFunction']));

    const stored = await item(deployment, imageKey(running.repositoryName, running.imageDigest));
    expect(Object.values(stored!.inUse.places)).toEqual([expect.objectContaining({ kind: 'ecs-service', name: 'payments-api', cluster: 'prod', count: 2 })]);
    expect(await item(deployment, discoveryKey())).toMatchObject({ startedAt: expect.any(String), completedAt: result.completedAt });

    // A report of the running digest names its service, in the text, the JSON and the attribute.
    expect(await report(await scanned(deployment, running, [OPENSSH], now))).toMatchObject({ published: true, inUse: 'running' });
    expect(await report(await scanned(deployment, resize, [OPENSSH], now))).toMatchObject({ published: true, inUse: 'running' });
    expect(await report(await scanned(deployment, idle, [OPENSSH], now))).toMatchObject({ published: true, inUse: 'not-running' });
    const [ofRunning, ofResize, ofIdle] = await notifications(deployment.infrastructure.subscriberQueueUrl);
    expect(ofRunning.document.inUse).toMatchObject({
      status: 'running',
      places: [{ kind: 'ecs-service', name: 'payments-api', cluster: 'prod', count: 2 }],
      summary: expect.stringMatching(/^Running in: ECS service payments-api \(cluster prod, 2 tasks\)\./),
    });
    expect(ofRunning.MessageAttributes).toMatchObject({ inUse: { Type: 'String', Value: 'running' } });
    expect(JSON.parse(ofRunning.Message).inUse.summary).toContain('ECS service payments-api');
    expect(ofResize.document.inUse.summary).toMatch(/^Running in: Lambda resize-images\./);
    expect(ofIdle.document.inUse).toMatchObject({ status: 'not-running', places: [] });
    expect(ofIdle.document.inUse.summary).toMatch(/^Not running/);
    expect(ofIdle.MessageAttributes).toMatchObject({ inUse: { Type: 'String', Value: 'not-running' } });
  });

  test('an account too large for one invocation: the discovery continues in invocations of itself and finds the same', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), {}, REGISTRY, now);
    const { running, batch } = await runWorkloads(deployment);
    await runEcsService(fixture().emulator.endpoint, { cluster: 'staging', service: 'payments-api', tasks: 1, image: imageUri(running.repositoryName, 'v1.2') });

    // A 1-second budget: each invocation walks one cluster, or one page of functions, and hands over.
    const results = await discover(1);
    expect(results.length).toBeGreaterThanOrEqual(4);
    expect(results.slice(0, -1).every((r) => r.continuedInPart !== undefined && r.completedAt === undefined)).toBe(true);
    expect(results[results.length - 1].completedAt).toBeDefined();
    const places = (await item(deployment, imageKey(running.repositoryName, running.imageDigest)))!.inUse.places;
    expect(Object.values(places).map((p: any) => `${p.cluster}/${p.name}:${p.count}`).sort()).toEqual(['prod/payments-api:2', 'staging/payments-api:1']);
    expect(Object.values((await item(deployment, imageKey(batch.repositoryName, batch.imageDigest)))!.inUse.places)).toEqual([
      expect.objectContaining({ kind: 'ecs-task', name: 'nightly-batch', cluster: 'jobs', count: 1 }),
    ]);
  });

  test('reportScope ImageScope.inUse(): the digest that runs is reported, the one that does not is withheld, and reported once it runs', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), { reportScope: ImageScope.inUse() }, REGISTRY, now);
    const { running, idle } = await runWorkloads(deployment);

    // Before any discovery, where images run is unknown: reported, never missed.
    expect(await report(await scanned(deployment, idle, [OPENSSH], new Date(now.getTime() - 2 * DAY)))).toMatchObject({ published: true, inUse: 'unknown' });
    await discover();
    expect(await report(await scanned(deployment, running, [OPENSSH], now))).toMatchObject({ published: true, inUse: 'running' });
    expect(await report(await scanned(deployment, idle, [OPENSSH, NGHTTP2], new Date(now.getTime() - DAY)))).toEqual({ published: false, reason: 'out-of-scope' });
    const received = await notifications(deployment.infrastructure.subscriberQueueUrl);
    expect(received.map((n) => [n.document.imageDigest, n.document.inUse.status])).toEqual([
      [idle.imageDigest, 'unknown'],
      [running.imageDigest, 'running'],
    ]);
    expect(fixture().metricLines().some((l: any) => l.reason === 'out-of-scope' && l.ReportsWithheld === 1)).toBe(true);

    // It starts running: its next scan reports what is new since its last report (NGHTTP2), although that came in while out of scope.
    await runEcsService(fixture().emulator.endpoint, { cluster: 'prod', service: 'payments-canary', tasks: 1, image: imageUri(idle.repositoryName, 'v1.1') });
    await discover();
    expect(await report(await scanned(deployment, idle, [OPENSSH, NGHTTP2], now))).toMatchObject({ published: true, news: 'new-findings', newFindings: 1, inUse: 'running' });
    const [late] = await notifications(deployment.infrastructure.subscriberQueueUrl);
    expect(late.document.newFindings.map((f: { id: string }) => f.id)).toEqual([NGHTTP2.id]);
  });

  test('rescanScope ImageScope.inUse(): of two never-scanned digests, only the one that runs is scanned; without a discovery, both are', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), { rescanScope: ImageScope.inUse() }, REGISTRY.slice(0, 1), now);
    const endpoint = fixture().emulator.endpoint;
    const [running, idle] = deployment.seeded;
    await runEcsService(endpoint, { cluster: 'prod', service: 'payments-api', tasks: 1, image: imageUri(running.repositoryName, 'v1.2') });

    const cycle = async () => {
      await fixture().emulator.resetRequests();
      await runDispatch(fixture().emulator, fixture().handlers.dispatch);
      const { rescanQueueUrl, rescanQueueArn } = deployment.infrastructure;
      await runQueue(fixture().sqs, rescanQueueUrl, rescanQueueArn, fixture().handlers.rescan, { batchSize: 5 });
      return (await fixture().emulator.requests()).filter((r) => r.operation === 'StartImageScan').map((r) => r.params.imageId.imageDigest);
    };
    // No discovery yet: use unknown, so both are scanned.
    expect((await cycle()).sort()).toEqual([running.imageDigest, idle.imageDigest].sort());
    await discover();
    // A day later both are due again (seeded as scanned and expired), and only the running one is scanned.
    const tenDaysAgo = new Date(now.getTime() - 10 * DAY);
    for (const image of [running, idle]) await fixture().emulator.seedImageScan(image.repositoryName, image.imageDigest, tenDaysAgo);
    expect(await cycle()).toEqual([running.imageDigest]);
    expect(fixture().metricLines().some((l: any) => l.reason === 'out-of-scope' && l.ScansSkipped === 1)).toBe(true);
  });
});

/** The topic's subscriptions as the construct synthesizes them for `addOwnerSubscription`: their filter policies. */
function ownerFilterPolicies(owners: readonly string[]): Record<string, unknown>[] {
  const stack = new Stack(new App(), 'Owners');
  const reporter = new EcrScanReporter(stack, 'ScanReporter', { ownerTagKey: 'team' });
  owners.forEach((owner, i) => reporter.addOwnerSubscription(owner, new subscriptions.SqsSubscription(new sqs.Queue(stack, `Queue${i}`))));
  reporter.addUnownedSubscription(new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Unowned')));
  return Object.values(Template.fromStack(stack).findResources('AWS::SNS::Subscription')).map((s: any) => s.Properties.FilterPolicy);
}

describe('owners', () => {
  test('addOwnerSubscription delivers only that owner\'s reports: owner from the repository tag (read once, cached), else the pattern rule', async () => {
    const now = new Date();
    const props: EcrScanReporterProps = { ownerTagKey: 'team', repositoryOwners: [{ repositoryPattern: '^shop/', owner: 'team-shop' }] };
    const deployment = await deploy(fixture(), props, REGISTRY, now);
    const [payments, , resize] = deployment.seeded;
    const arn = `arn:aws:ecr:us-east-1:${fixture().emulator.accountId}:repository/${payments.repositoryName}`;
    await fixture().ecr.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'team', Value: 'team-payments' }] }));

    // The filter policies as the construct writes them, on queues subscribed to the emulator's topic.
    const [paymentsPolicy, shopPolicy, unownedPolicy] = ownerFilterPolicies(['team-payments', 'team-shop']);
    expect(paymentsPolicy).toEqual({ owner: ['team-payments'] });
    expect(unownedPolicy).toEqual({ owner: ['UNOWNED'] });
    const snsClient = new SNSClient(fixture().emulator.clientConfig());
    const queueFor = async (name: string, policy: Record<string, unknown>) => {
      const url = (await fixture().sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
      const queueArn = (await fixture().sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
      await snsClient.send(new SubscribeCommand({ TopicArn: deployment.infrastructure.topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { FilterPolicy: JSON.stringify(policy) } }));
      return url;
    };
    const paymentsQueue = await queueFor('team-payments', paymentsPolicy);
    const shopQueue = await queueFor('team-shop', shopPolicy);
    const unownedQueue = await queueFor('unowned', unownedPolicy);
    snsClient.destroy();
    await fixture().emulator.resetRequests();

    expect(await report(await scanned(deployment, payments, [OPENSSH], now))).toMatchObject({ published: true, owner: 'team-payments' });
    expect(await report(await scanned(deployment, resize, [OPENSSH], now))).toMatchObject({ published: true, owner: 'team-shop' });
    const [second] = deployment.seeded.slice(1, 2);
    expect(await report(await scanned(deployment, second, [OPENSSH], now))).toMatchObject({ published: true, owner: 'team-payments' });

    const toPayments = await notifications(paymentsQueue);
    expect(toPayments.map((n) => n.document.repositoryName)).toEqual([payments.repositoryName, payments.repositoryName]);
    expect(toPayments[0].document.owner).toBe('team-payments');
    expect(toPayments[0].MessageAttributes).toMatchObject({ owner: { Type: 'String', Value: 'team-payments' } });
    expect((await notifications(shopQueue)).map((n) => n.document.repositoryName)).toEqual([resize.repositoryName]);
    expect(await notifications(unownedQueue)).toEqual([]);
    // The subscriber without a filter policy receives every report, as before owners.
    expect(await notifications(deployment.infrastructure.subscriberQueueUrl)).toHaveLength(3);
    // Tags read once per repository: the second report of payments-api used the ledger's cache.
    const tagReads = (await fixture().emulator.requests()).filter((r) => r.operation === 'ListTagsForResource').map((r) => r.params.resourceArn);
    expect(tagReads).toEqual([arn, `arn:aws:ecr:us-east-1:${fixture().emulator.accountId}:repository/${resize.repositoryName}`]);
  });
});

describe('accepted risks', () => {
  const accepted = (expires: string): EcrScanReporterProps => ({
    acceptedRisks: [{ findingId: NGHTTP2.id, reason: 'HTTP/2 is not exposed: the service sits behind an ALB', expires }],
  });

  test('an accepted CVE with a future expiry neither triggers nor counts as new; past its expiry, it does', async () => {
    const now = new Date();
    const future = new Date(now.getTime() + 30 * DAY).toISOString().slice(0, 10);
    const deployment = await deploy(fixture(), accepted(future), REGISTRY.slice(1, 2), now);
    const [image] = deployment.seeded;

    // Only the accepted HIGH reaches a threshold: nothing is reported.
    expect(await report(await scanned(deployment, image, [NGHTTP2], new Date(now.getTime() - 3 * DAY)))).toEqual({ published: false, reason: 'accepted-risks' });
    expect(await notifications(deployment.infrastructure.subscriberQueueUrl)).toEqual([]);
    // A new CRITICAL: reported, the accepted HIGH left out of the counts and of what is new.
    const twoDaysAgo = new Date(now.getTime() - 2 * DAY);
    expect(await report(await scanned(deployment, image, [NGHTTP2, OPENSSH], twoDaysAgo))).toMatchObject({ published: true, newFindings: 1 });
    const [first] = await notifications(deployment.infrastructure.subscriberQueueUrl);
    expect(first.document.severityCounts).toEqual({ CRITICAL: 1 });
    expect(first.document.findings.map((f: { id: string }) => f.id)).toEqual([OPENSSH.id]);
    expect(first.document.acceptedRisks).toEqual({
      ignoredCount: 1,
      entries: [{ findingId: NGHTTP2.id, reason: 'HTTP/2 is not exposed: the service sits behind an ALB', expires: future, source: 'accepted-risk', findings: 1 }],
    });
    expect(JSON.parse(first.Message).acceptedRisks.ignoredCount).toBe(1);
    // The same scan findings again: nothing new.
    expect(await report(await scanned(deployment, image, [NGHTTP2, OPENSSH], new Date(now.getTime() - DAY)))).toEqual({ published: false, reason: 'not-new' });
    // The match is recorded, for dispatch's check of entries that match nothing.
    expect(await item(deployment, acceptedRiskRecordKey(`${NGHTTP2.id}#*`))).toMatchObject({ lastMatchedAt: expect.any(String) });

    // Past its expiry (the construct's environment with yesterday's date): the CVE counts, and is new.
    const yesterday = new Date(now.getTime() - DAY).toISOString().slice(0, 10);
    process.env.ACCEPTED_RISKS = synthesizeService(accepted(yesterday)).environments.report.ACCEPTED_RISKS as string;
    expect(await report(await scanned(deployment, image, [NGHTTP2, OPENSSH], now))).toMatchObject({ published: true, news: 'new-findings', newFindings: 1 });
    const [expired] = await notifications(deployment.infrastructure.subscriberQueueUrl);
    expect(expired.document.newFindings.map((f: { id: string }) => f.id)).toEqual([NGHTTP2.id]);
    expect(expired.document.severityCounts).toEqual({ CRITICAL: 1, HIGH: 1 });
    expect(expired.document.acceptedRisks).toBeUndefined();
  });

  test('dispatch logs and counts an accepted risk that matched nothing for a whole rescan cycle', async () => {
    const now = new Date();
    const future = new Date(now.getTime() + 30 * DAY).toISOString().slice(0, 10);
    const deployment = await deploy(fixture(), accepted(future), REGISTRY.slice(1, 2), now);
    // The first check writes when it first looked; nothing is unmatched yet.
    await runDispatch(fixture().emulator, fixture().handlers.dispatch);
    expect(fixture().metricLines().map((l: any) => l.AcceptedRisksUnmatched)).toEqual([0]);
    const record = await item(deployment, acceptedRiskRecordKey(`${NGHTTP2.id}#*`));
    expect(record).toMatchObject({ firstCheckedAt: expect.any(String) });

    // Nine days on without a match (7-day expiry and a day): named and counted.
    const nineDaysAgo = new Date(now.getTime() - 9 * DAY).toISOString();
    const TableName = deployment.infrastructure.ledgerTableName;
    await ledgerClient().send(new PutCommand({ TableName, Item: { ...record, firstCheckedAt: nineDaysAgo } }));
    await runDispatch(fixture().emulator, fixture().handlers.dispatch);
    expect(fixture().metricLines().map((l: any) => l.AcceptedRisksUnmatched)).toEqual([0, 1]);
    expect(fixture().logs().filter((l) => l.message?.startsWith('Accepted risk matched no finding'))).toEqual([expect.objectContaining({ findingId: NGHTTP2.id, expires: future })]);
  });
});

describe('chat', () => {
  test('with chatNotifications, the published message carries the chat form for HTTPS subscribers, valid against the documented schema', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), { chatNotifications: true }, REGISTRY.slice(0, 1), now);
    await fixture().emulator.resetRequests();
    expect(await report(await scanned(deployment, deployment.seeded[0], [OPENSSH, NGHTTP2, EXPAT], now))).toMatchObject({ published: true });
    const [publish] = (await fixture().emulator.requests()).filter((r) => r.operation === 'Publish');
    const message = JSON.parse(publish.params.Message as string);
    expect(Object.keys(message).sort()).toEqual(['default', 'email', 'https']);
    const chat = JSON.parse(message.https);
    const schema = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'chat', 'custom-notification.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    const valid = validate(chat);
    expect(valid ? [] : validate.errors).toEqual([]);
    expect(chat).toMatchObject({ version: '1.0', source: 'custom', content: { textType: 'client-markdown' } });
    expect(chat.content.description).toContain(OPENSSH.id);
    // The SQS subscriber still gets the JSON document.
    const [received] = await notifications(deployment.infrastructure.subscriberQueueUrl);
    expect(received.document.source).toBe('cdk-ecr-scan-reporter');
  });

  test('without chatNotifications, the message has no https key: HTTPS subscribers get the JSON document, as before', async () => {
    const now = new Date();
    const deployment = await deploy(fixture(), {}, REGISTRY.slice(0, 1), now);
    await fixture().emulator.resetRequests();
    expect(await report(await scanned(deployment, deployment.seeded[0], [OPENSSH], now))).toMatchObject({ published: true });
    const [publish] = (await fixture().emulator.requests()).filter((r) => r.operation === 'Publish');
    expect(Object.keys(JSON.parse(publish.params.Message as string)).sort()).toEqual(['default', 'email']);
  });
});
