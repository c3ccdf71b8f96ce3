/**
 * The fault-injecting proxy itself (fault-proxy.ts), against the emulator and the real SDK
 * clients: the faults are reproducible from the seed, each fault shape is parsed by the SDK
 * into the error the real service gives and classified as the retry strategies need (DynamoDB's
 * by the plain client and the document client alike, and retried by the handlers' settings), and
 * a request dropped after forwarding really took effect while the client saw a network error.
 */
import {
  CreateTableCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException as DynamoDbThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isThrottlingError, isTransientError } from '@smithy/core/retry';
import { FAULT_KINDS, FaultKind, FaultProxy, FaultProxyOptions, FaultRates, drawFault, drawKey, summarize } from './fault-proxy';
import { recognizeNodeErrors, useEmulator } from './harness';
import { drainQueue } from '../../local/pipeline';
import { MAX_ATTEMPTS, RetryCounter, createEcrClient, documentClient } from '../../src/aws/clients';
import { errorName, startScan } from '../../src/aws/ecr';
import { Ledger } from '../../src/aws/ledger';
import { ABSENT, LEDGER_PARTITION_KEY, LEDGER_SORT_KEY } from '../../src/decisions/ledger';

recognizeNodeErrors();
const fixture = useEmulator();

const NO_FAULTS: FaultRates = { 'throttling': 0, 'server-error': 0, 'drop': 0, 'drop-after-forward': 0 };
const ONLY = (kind: FaultKind): FaultRates => ({ ...NO_FAULTS, [kind]: 1 });

const proxies: FaultProxy[] = [];
async function proxy(options: Omit<FaultProxyOptions, 'target'>): Promise<FaultProxy> {
  const started = await FaultProxy.start({ target: fixture().emulator.endpoint, ...options });
  proxies.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

/** SDK client configuration through a proxy, with one attempt so each fault reaches the caller. */
function through(p: FaultProxy, maxAttempts = 1) {
  return { ...fixture().emulator.clientConfig(), endpoint: p.endpoint, maxAttempts };
}

async function settled<T>(promise: Promise<T>): Promise<{ value?: T; error?: any }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

test('the draws take the configured shares of requests', async () => {
  const rates: FaultRates = { 'throttling': 0.2, 'server-error': 0.06, 'drop': 0.03, 'drop-after-forward': 0.03 };
  const counts: Record<string, number> = {};
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const kind = drawFault(i / n, rates) ?? 'none';
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  const expected = { 'throttling': 4000, 'server-error': 1200, 'drop': 600, 'drop-after-forward': 600, 'none': 13_600 };
  for (const [kind, count] of Object.entries(expected)) expect([kind, Math.abs(counts[kind] - count) <= 1]).toEqual([kind, true]);
  await expect(FaultProxy.start({ target: 'http://127.0.0.1:1', seed: 1, rates: { ...rates, throttling: 0.95 } })).rejects.toThrow(/more than 1/);
});

test('a request is drawn for by its content, whatever the time or the local port it quotes', () => {
  const publish = (at: string) => new URLSearchParams({ Action: 'Publish', Message: JSON.stringify({ default: JSON.stringify({ scanCompletedAt: at }) }) }).toString();
  expect(drawKey(publish('2026-11-27T10:00:00.000Z'))).toBe(drawKey(publish('2026-11-28T23:59:59.999Z')));
  expect(drawKey(publish('2026-11-27T10:00:00.000Z'))).toContain('"scanCompletedAt\\":\\"<time>');
  expect(drawKey('{"QueueUrl":"http://127.0.0.1:40001/123456789012/rescan"}')).toBe(drawKey('{"QueueUrl":"http://127.0.0.1:40002/123456789012/rescan"}'));
  expect(drawKey('{"repositoryName":"shop/web"}')).not.toBe(drawKey('{"repositoryName":"shop/api"}'));
  // A ledger write carries its TTL in Unix seconds and a claim's id, both made for the run.
  const claimWrite = (pk: string, ttl: number, id: string) =>
    JSON.stringify({ Key: { pk: { S: pk } }, ExpressionAttributeValues: { ':expiresAt': { N: String(ttl) }, ':claim': { M: { id: { S: id } } } } });
  const [a, b] = ['7d3f4a52-0a8e-4c8e-9a57-3f0a39b0d1c2', 'c61f0e7e-5b1d-4f55-8f3c-2a9f4d6b7e81'];
  expect(drawKey(claimWrite('image#shop/web@sha256:ab', 1780000000, a))).toBe(drawKey(claimWrite('image#shop/web@sha256:ab', 1780086400, b)));
  expect(drawKey(claimWrite('image#shop/web@sha256:ab', 1780000000, a))).not.toBe(drawKey(claimWrite('image#shop/api@sha256:ab', 1780000000, a)));
  // Other numbers stay: a count, a version, a digest's digits.
  expect(drawKey('{":nextVersion":{"N":"2"},"n":"1780000000.5"}')).toBe('{":nextVersion":{"N":"2"},"n":"1780000000.5"}');
});

test('the same seed injects the same faults into the same requests, whatever their order; another seed does not', async () => {
  const rates: FaultRates = { 'throttling': 0.2, 'server-error': 0.06, 'drop': 0.03, 'drop-after-forward': 0.03 };
  const names = Array.from({ length: 150 }, (_, i) => `repository-${i}`);
  const run = async (seed: number, order: string[]) => {
    const p = await proxy({ seed, rates });
    const ecr = new ECRClient(through(p));
    try {
      for (const name of order) await settled(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })));
    } finally {
      ecr.destroy();
    }
    const byName = new Map(p.requests().map((r) => [JSON.parse(r.body).repositoryNames[0] as string, `${r.fault ?? 'none'} ${r.code ?? ''}`]));
    return names.map((name) => byName.get(name));
  };

  const first = await run(20261127, names);
  const reversed = await run(20261127, [...names].reverse());
  const otherSeed = await run(7, names);

  expect(reversed).toEqual(first);
  expect(otherSeed).not.toEqual(first);
  // About the configured shares, and every kind present.
  const kinds = first.map((f) => f!.split(' ')[0]);
  for (const kind of FAULT_KINDS) expect(kinds).toContain(kind);
  const throttled = kinds.filter((k) => k === 'throttling').length;
  expect(throttled).toBeGreaterThanOrEqual(15);
  expect(throttled).toBeLessThanOrEqual(45);
});

/**
 * What the SDK must make of each injected error: its name, status, fault side and retry class,
 * and for DynamoDB the client's modeled error class (ServiceUnavailable is not in its model: the
 * service's base exception).
 */
const EXPECTED_ERRORS: Record<string, { name: string; status: number; fault: 'client' | 'server'; throttling: boolean; modeled?: new (...args: any[]) => Error }> = {
  'ecr ThrottlingException': { name: 'ThrottlingException', status: 400, fault: 'client', throttling: true },
  'ecr ServerException': { name: 'ServerException', status: 500, fault: 'server', throttling: false },
  'ecr ServiceUnavailable': { name: 'ServiceUnavailable', status: 503, fault: 'server', throttling: false },
  'sqs RequestThrottled': { name: 'RequestThrottled', status: 403, fault: 'client', throttling: true },
  'sqs ThrottlingException': { name: 'ThrottlingException', status: 400, fault: 'client', throttling: true },
  'sqs InternalFailure': { name: 'InternalFailure', status: 500, fault: 'server', throttling: false },
  'sqs ServiceUnavailable': { name: 'ServiceUnavailable', status: 503, fault: 'server', throttling: false },
  'sns Throttling': { name: 'Throttling', status: 400, fault: 'client', throttling: true },
  'sns Throttled': { name: 'ThrottledException', status: 429, fault: 'client', throttling: true },
  'sns InternalError': { name: 'InternalErrorException', status: 500, fault: 'server', throttling: false },
  'sns ServiceUnavailable': { name: 'ServiceUnavailable', status: 503, fault: 'server', throttling: false },
  'dynamodb ProvisionedThroughputExceededException': {
    name: 'ProvisionedThroughputExceededException',
    status: 400,
    fault: 'client',
    throttling: true,
    modeled: ProvisionedThroughputExceededException,
  },
  'dynamodb ThrottlingException': { name: 'ThrottlingException', status: 400, fault: 'client', throttling: true, modeled: DynamoDbThrottlingException },
  'dynamodb InternalServerError': { name: 'InternalServerError', status: 500, fault: 'server', throttling: false, modeled: InternalServerError },
  'dynamodb ServiceUnavailable': { name: 'ServiceUnavailable', status: 503, fault: 'server', throttling: false, modeled: DynamoDBServiceException },
};

/** A table for the DynamoDB calls, keyed as the ledger is (pk, sk), made directly in the emulator. */
async function createTable(name: string): Promise<void> {
  const direct = new DynamoDBClient(fixture().emulator.clientConfig());
  await direct.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [
        { AttributeName: LEDGER_PARTITION_KEY, KeyType: 'HASH' },
        { AttributeName: LEDGER_SORT_KEY, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: LEDGER_PARTITION_KEY, AttributeType: 'S' },
        { AttributeName: LEDGER_SORT_KEY, AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  direct.destroy();
}

/** A GetItem by the plain DynamoDB client and an UpdateItem by the document client over it, the ledger's two ways in. */
function dynamoDbCalls(client: DynamoDBClient, table: string) {
  const document = documentClient(client);
  return {
    get: (i: number) => client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: `k${i}` }, sk: { S: 'image' } } })),
    update: (i: number) =>
      document.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: `k${i}`, sk: 'image' },
          UpdateExpression: 'SET #n = :n',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':n': i },
        }),
      ),
  };
}

/** One call per index to each service through `p`; each call's body differs, so each gets its own draw. */
async function callEachService(p: FaultProxy, calls: number) {
  const { emulator } = fixture();
  const direct = { sqs: new SQSClient(emulator.clientConfig()), sns: new SNSClient(emulator.clientConfig()) };
  const queueUrl = (await direct.sqs.send(new CreateQueueCommand({ QueueName: 'faults' }))).QueueUrl!;
  const topicArn = (await direct.sns.send(new CreateTopicCommand({ Name: 'faults' }))).TopicArn!;
  direct.sqs.destroy();
  direct.sns.destroy();
  await createTable('faults');
  const ecr = new ECRClient(through(p));
  const sqs = new SQSClient(through(p));
  const sns = new SNSClient(through(p));
  const dynamodb = new DynamoDBClient(through(p));
  const ddb = dynamoDbCalls(dynamodb, 'faults');
  const results: { service: string; operation: string; error?: any }[] = [];
  try {
    for (let i = 0; i < calls; i++) {
      results.push({ service: 'ecr', operation: 'DescribeRepositories', ...(await settled(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [`r${i}`] })))) });
      results.push({ service: 'sqs', operation: 'SendMessage', ...(await settled(sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `m${i}` })))) });
      results.push({ service: 'sns', operation: 'Publish', ...(await settled(sns.send(new PublishCommand({ TopicArn: topicArn, Message: `m${i}` })))) });
      results.push({ service: 'dynamodb', operation: 'GetItem', ...(await settled(ddb.get(i))) });
      results.push({ service: 'dynamodb', operation: 'UpdateItem', ...(await settled(ddb.update(i))) });
    }
  } finally {
    ecr.destroy();
    sqs.destroy();
    sns.destroy();
    dynamodb.destroy();
  }
  return results;
}

test.each(['throttling', 'server-error'] as const)('each %s shape reaches the SDK as the real service error, classified for retry', async (kind) => {
  const p = await proxy({ seed: 11, rates: ONLY(kind) });

  const results = await callEachService(p, 16);

  const records = p.requests();
  expect(records).toHaveLength(results.length);
  const seen = new Set<string>();
  results.forEach((result, i) => {
    const record = records[i];
    const key = `${record.service} ${record.code}`;
    seen.add(key);
    const expected = EXPECTED_ERRORS[key];
    expect([key, expected]).toEqual([key, expect.anything()]);
    const error = result.error;
    expect([key, error?.name, error?.$metadata?.httpStatusCode, error?.$fault, errorName(error)]).toEqual([
      key,
      expected.name,
      expected.status,
      expected.fault,
      expected.name,
    ]);
    // What the retry strategies decide on: throttling (longer back-off, rate limiter) or transient.
    // No model marks these errors retryable ($retryable is unset): the SDK goes by name and status.
    expect(error.$retryable).toBeUndefined();
    expect([key, isThrottlingError(error), expected.throttling || isTransientError(error)]).toEqual([key, expected.throttling, true]);
    expect(error.message).not.toBe('UnknownError');
    expect(record.emulatorStatus).toBeUndefined();
    expect([key, record.operation]).toEqual([key, result.operation]);
    if (expected.modeled) {
      // The plain client and the document client both throw DynamoDB's own error classes.
      const classes = [error instanceof expected.modeled, error instanceof DynamoDBServiceException];
      expect([key, result.operation, ...classes]).toEqual([key, result.operation, true, true]);
    }
    if (key === 'dynamodb ProvisionedThroughputExceededException') {
      // The modeled member, read or write by the operation, naming the table.
      const access = result.operation === 'GetItem' ? 'Read' : 'Write';
      expect(error.ThrottlingReasons).toEqual([{ reason: `Table${access}KeyRangeThroughputExceeded`, resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/faults' }]);
    }
  });
  // Every variant of the kind was produced.
  const variants = Object.keys(EXPECTED_ERRORS).filter((k) => EXPECTED_ERRORS[k].throttling === (kind === 'throttling'));
  expect([...seen].sort()).toEqual(variants.sort());
  // None of these requests reached the emulator.
  expect((await fixture().emulator.requests()).filter((r) => ['DescribeRepositories', 'SendMessage', 'Publish', 'GetItem', 'UpdateItem'].includes(r.operation))).toEqual([]);
});

test('a dropped connection is a transient network error, and the request never reached the service', async () => {
  const p = await proxy({ seed: 3, rates: ONLY('drop') });

  const results = await callEachService(p, 2);

  for (const result of results) {
    // Node's "socket hang up", which the SDK's HTTP handler names TimeoutError.
    const { error } = result;
    expect([result.service, error?.name, error?.code, error?.message, isTransientError(error), isThrottlingError(error)]).toEqual([
      result.service,
      'TimeoutError',
      'ECONNRESET',
      'socket hang up',
      true,
      false,
    ]);
    expect(errorName(error)).toBe('TimeoutError');
  }
  expect(p.requests().every((r) => r.fault === 'drop' && r.emulatorStatus === undefined)).toBe(true);
  const reached = await fixture().emulator.requests();
  expect(reached.filter((r) => ['DescribeRepositories', 'SendMessage', 'Publish', 'GetItem', 'UpdateItem'].includes(r.operation))).toEqual([]);
});

test.each(['throttling', 'server-error'] as const)('each DynamoDB %s shape is retried by the ledger\'s client settings, plain and through the document client', async (kind) => {
  await createTable('retries');
  // Every call's first attempt gets a fault of the kind (a variant drawn per request); its retry passes.
  const p = await proxy({ seed: 12, rates: ONLY(kind), script: (r) => (r.service === 'dynamodb' && r.occurrence === 0 ? undefined : null) });
  // As the handlers make it (src/aws/clients.ts createDynamoDbClient): standard retry, 5 attempts.
  const retries = new RetryCounter();
  const client = retries.attach(new DynamoDBClient({ ...through(p, MAX_ATTEMPTS), retryMode: 'standard' }));
  const ddb = dynamoDbCalls(client, 'retries');
  const outcomes: { operation: string; value?: any; error?: any }[] = [];
  try {
    for (let i = 0; i < 8; i++) {
      outcomes.push({ operation: 'GetItem', ...(await settled(ddb.get(i))) });
      outcomes.push({ operation: 'UpdateItem', ...(await settled(ddb.update(i))) });
    }
  } finally {
    client.destroy();
  }

  // Every call succeeded at its second attempt, after the first drew the fault.
  for (const outcome of outcomes) {
    expect([outcome.operation, outcome.error?.name, outcome.value?.$metadata?.attempts]).toEqual([outcome.operation, undefined, 2]);
  }
  const chains = new Map<string, string[]>();
  for (const r of p.requests()) chains.set(r.invocationId, [...(chains.get(r.invocationId) ?? []), `${r.attempt} ${r.code ?? r.clientStatus}`]);
  expect([...chains.values()]).toHaveLength(outcomes.length);
  for (const chain of chains.values()) expect(chain).toEqual([expect.stringMatching(/^1 [A-Za-z]+$/), '2 200']);
  // Both variants of the kind were retried, and the retry counter saw every retry the wire did.
  const variants = new Set(p.requests().filter((r) => r.fault).map((r) => r.code));
  const expected = Object.keys(EXPECTED_ERRORS).filter((k) => k.startsWith('dynamodb ') && EXPECTED_ERRORS[k].throttling === (kind === 'throttling'));
  expect([...variants].map((code) => `dynamodb ${code}`).sort()).toEqual(expected.sort());
  expect(retries.total).toBe(summarize(p.requests()).retries);
  expect(retries.total).toBe(outcomes.length);
  // The writes took effect once each.
  const direct = documentClient(new DynamoDBClient(fixture().emulator.clientConfig()));
  for (let i = 0; i < 8; i++) expect((await direct.send(new GetCommand({ TableName: 'retries', Key: { pk: `k${i}`, sk: 'image' } }))).Item?.n).toBe(i);
  direct.destroy();
});

test('drop after forward: a ledger claim took effect, the client saw a network error, and its retry fails the condition', async () => {
  await createTable('ledger');
  const p = await proxy({ seed: 1, rates: NO_FAULTS, script: (r) => (r.operation === 'UpdateItem' && r.occurrence === 0 ? 'drop-after-forward' : null) });
  const client = new DynamoDBClient({ ...through(p, MAX_ATTEMPTS), retryMode: 'standard' });
  const ledger = new Ledger(documentClient(client), { tableName: 'ledger', ttlSeconds: 86_400 });
  const now = new Date('2026-11-27T10:00:00.000Z');
  const digest = `sha256:${'cd'.repeat(32)}`;
  const claim = { id: 'claim-1', scanKey: 'COMPLETE@2026-11-27T09:59:00.000Z', eventId: 'event-1', expiresAt: new Date(now.getTime() + 180_000) };
  const scan = { status: 'COMPLETE', observedAt: now, source: 'scan-event' as const, completedAt: now, severityCounts: { HIGH: 1 } };

  // The report function's claim: only if the entry is still absent, as it was read.
  const written = await ledger.write({ repositoryName: 'shop/web', imageDigest: digest, scan, claim }, { kind: 'locked', read: ABSENT }, now);

  // The first attempt wrote the claim; its retry met it, so the write reads as "the entry changed".
  expect(p.requests().map((r) => [r.operation, r.attempt, r.fault, r.emulatorStatus, r.emulatorCode, r.clientStatus])).toEqual([
    ['UpdateItem', 1, 'drop-after-forward', 200, undefined, undefined],
    ['UpdateItem', 2, undefined, 400, 'ConditionalCheckFailedException', 400],
  ]);
  expect(written).toBe(false);
  const read = await ledger.read('shop/web', digest, now);
  client.destroy();
  expect(read.entry?.claim).toEqual(claim);
  expect((await fixture().emulator.requests()).filter((r) => r.operation === 'UpdateItem').map((r) => r.status)).toEqual([200, 400]);
});

test('drop after forward: StartImageScan took effect, the client saw a network error, and its retry ends in LimitExceededException', async () => {
  const { ecr: direct, emulator } = fixture();
  await direct.send(new CreateRepositoryCommand({ repositoryName: 'shop/faults' }));
  const digest = `sha256:${'ab'.repeat(32)}`;
  await emulator.seedImages('shop/faults', [{ imageDigest: digest, tags: ['v1'] }]);
  // The first StartImageScan is forwarded and then its connection dropped; everything else passes.
  const p = await proxy({ seed: 1, rates: NO_FAULTS, script: (r) => (r.operation === 'StartImageScan' && r.occurrence === 0 ? 'drop-after-forward' : null) });
  const ecr = createEcrClient(through(p, MAX_ATTEMPTS));

  const result = await startScan(ecr, 'shop/faults', digest);
  ecr.destroy();

  // The handlers' own client retried the network error; ECR refused the second scan of the day.
  expect(p.requests().map((r) => [r.operation, r.attempt, r.fault, r.emulatorStatus, r.emulatorCode, r.clientStatus])).toEqual([
    ['StartImageScan', 1, 'drop-after-forward', 200, undefined, undefined],
    ['StartImageScan', 2, undefined, 400, 'LimitExceededException', 400],
  ]);
  const calls = (await emulator.requests()).filter((r) => r.operation === 'StartImageScan');
  expect(calls.map((c) => c.status)).toEqual([200, 400]);
  expect((await emulator.lastScans()).find((s) => s.imageDigest === digest)?.lastScan).not.toBeNull();
  // So startScan reports "recently scanned" for a scan its own first attempt started.
  expect(result.outcome).toBe('recently-scanned');
});

test('drop after forward: a retried SNS Publish is delivered twice', async () => {
  const { sqs: direct, emulator } = fixture();
  const sns = new SNSClient(emulator.clientConfig());
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'reports' }))).TopicArn!;
  const queueUrl = (await direct.send(new CreateQueueCommand({ QueueName: 'subscriber' }))).QueueUrl!;
  const queueArn = (await direct.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  sns.destroy();
  const p = await proxy({ seed: 1, rates: NO_FAULTS, script: (r) => (r.operation === 'Publish' && r.occurrence === 0 ? 'drop-after-forward' : null) });
  // As the report handler's client: standard retry, 5 attempts (src/aws/clients.ts).
  const client = new SNSClient({ ...through(p, MAX_ATTEMPTS), retryMode: 'standard' });

  const published = await client.send(new PublishCommand({ TopicArn: topicArn, Message: 'report' }));
  client.destroy();

  expect(published.MessageId).toEqual(expect.any(String));
  expect(p.requests().map((r) => [r.operation, r.attempt, r.fault, r.emulatorStatus])).toEqual([
    ['Publish', 1, 'drop-after-forward', 200],
    ['Publish', 2, undefined, 200],
  ]);
  const delivered = await drainQueue(direct, queueUrl);
  expect(delivered.map((m) => JSON.parse(m.Body!).Message)).toEqual(['report', 'report']);
});

test('the summary counts calls, retries and faults from the wire', async () => {
  // Server errors only: their back-off is short. Every call gets up to 5 attempts.
  const p = await proxy({ seed: 5, rates: { ...NO_FAULTS, 'server-error': 0.4 } });
  const ecr = new ECRClient({ ...through(p, 5), retryMode: 'standard' });
  const outcomes = [];
  for (let i = 0; i < 30; i++) outcomes.push(await settled(ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [`r${i}`] }))));
  ecr.destroy();

  const summary = summarize(p.requests());
  const requests = p.requests();
  expect(summary.calls).toBe(30);
  expect(summary.requests).toBe(requests.length);
  expect(summary.retries).toBe(requests.length - 30);
  expect(summary.retries).toBe(requests.filter((r) => r.attempt > 1).length);
  expect(summary.byKind['server-error']).toBe(requests.filter((r) => r.fault).length);
  expect(summary.byOperation).toEqual({ 'ecr:DescribeRepositories': { 'server-error': summary.byKind['server-error'] } });
  // A call failed only when all its attempts were faulted; the SDK reported how many it made.
  const failed = outcomes.filter((o) => o.error?.$fault === 'server');
  expect(summary.callsFailed['ecr:DescribeRepositories'] ?? 0).toBe(failed.length);
  for (const o of failed) expect(o.error.$metadata.attempts).toBe(5);
  // Each call's attempts are numbered 1, 2, ... in order.
  const chains = new Map<string, number[]>();
  for (const r of requests) chains.set(r.invocationId, [...(chains.get(r.invocationId) ?? []), r.attempt]);
  for (const attempts of chains.values()) expect(attempts).toEqual(attempts.map((_, i) => i + 1));
});
