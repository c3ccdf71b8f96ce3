/**
 * The ledger adapter where moto cannot go: BatchGetItem's UnprocessedKeys (DynamoDB returns them
 * under throttling; moto never does) and errors that are not condition failures. What the
 * conditions do is proven against moto's DynamoDB in test/e2e/ledger.e2e.ts.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchGetCommandInput, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { serviceError } from './helpers';
import { Ledger } from '../../src/aws/ledger';
import { imageKey } from '../../src/decisions/ledger';

const TABLE = 'Ledger';
const REPOSITORY = 'team-a/api';
const NOW = new Date('2026-12-01T03:00:00.000Z');
const digest = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
const stored = (n: number) => ({
  ...imageKey(REPOSITORY, digest(n)),
  entity: 'image',
  schemaVersion: 1,
  repositoryName: REPOSITORY,
  imageDigest: digest(n),
  scan: { status: 'COMPLETE', observedAt: '2026-11-29T03:00:00.000Z', source: 'scan-event', completedAt: '2026-11-29T03:00:00.000Z', severityCounts: {} },
  version: 1,
});

const mock = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const sleeps: number[] = [];
const ledger = new Ledger(client, { tableName: TABLE, ttlSeconds: 90 * 86_400, sleep: async (ms) => void sleeps.push(ms) });

beforeEach(() => {
  mock.reset();
  sleeps.length = 0;
});

const keysOf = (input: BatchGetCommandInput) => (input.RequestItems?.[TABLE].Keys ?? []).map((k) => k.pk as string);

describe('readMany', () => {
  test('one BatchGetItem for up to 100 digests, without the last report\'s finding ids; each digest read or absent', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [stored(1)] } });
    const { reads, unread } = await ledger.readMany(REPOSITORY, [digest(1), digest(2)], NOW);

    expect(mock).toHaveReceivedCommandTimes(BatchGetCommand, 1);
    const input = mock.commandCalls(BatchGetCommand)[0].args[0].input;
    expect(keysOf(input)).toEqual([imageKey(REPOSITORY, digest(1)).pk, imageKey(REPOSITORY, digest(2)).pk]);
    const projected = Object.values(input.RequestItems![TABLE].ExpressionAttributeNames!);
    expect(projected).toContain('scan');
    expect(projected).not.toContain('lastReport');
    expect(input.RequestItems![TABLE].ConsistentRead).toBeUndefined();
    expect(reads.get(digest(1))?.entry?.scan?.status).toBe('COMPLETE');
    expect(reads.get(digest(2))).toEqual({ exists: false });
    expect(unread).toEqual([]);
  });

  test('UnprocessedKeys are asked again with growing back-off until DynamoDB answers them', async () => {
    const all = [1, 2, 3].map((n) => imageKey(REPOSITORY, digest(n)));
    mock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [stored(1)] }, UnprocessedKeys: { [TABLE]: { Keys: [all[1], all[2]] } } })
      .resolvesOnce({ Responses: { [TABLE]: [stored(2)] }, UnprocessedKeys: { [TABLE]: { Keys: [all[2]] } } })
      .resolvesOnce({ Responses: { [TABLE]: [stored(3)] } });

    const { reads, unread } = await ledger.readMany(REPOSITORY, [digest(1), digest(2), digest(3)], NOW);

    expect(mock.commandCalls(BatchGetCommand).map((c) => keysOf(c.args[0].input).length)).toEqual([3, 2, 1]);
    expect([...reads.keys()].sort()).toEqual([digest(1), digest(2), digest(3)]);
    expect(unread).toEqual([]);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]).toBeGreaterThan(sleeps[0] / 3);
  });

  test('keys still unprocessed after 5 rounds are reported unread, not absent: the walk reads them from ECR', async () => {
    const key = imageKey(REPOSITORY, digest(9));
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [key] } } });

    const { reads, unread } = await ledger.readMany(REPOSITORY, [digest(9)], NOW);

    expect(mock).toHaveReceivedCommandTimes(BatchGetCommand, 5);
    expect(unread).toEqual([digest(9)]);
    expect(reads.has(digest(9))).toBe(false);
  });

  test('a failed request throws (the caller counts it and asks ECR)', async () => {
    mock.on(BatchGetCommand).rejects(serviceError('ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.'));
    await expect(ledger.readMany(REPOSITORY, [digest(1)], NOW)).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });

  test('more than 100 digests is a programming error', async () => {
    await expect(ledger.readMany(REPOSITORY, Array.from({ length: 101 }, (_, i) => digest(i)), NOW)).rejects.toThrow('at most 100 digests per read; got 101');
  });
});

describe('write', () => {
  const change = { repositoryName: REPOSITORY, imageDigest: digest(1), scan: { status: 'IN_PROGRESS', observedAt: NOW, source: 'start-image-scan' as const, severityCounts: {} } };

  test('a refused condition is an answer: false', async () => {
    mock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    expect(await ledger.write(change, { kind: 'monotonic' }, NOW)).toBe(false);
  });

  test('any other error throws', async () => {
    mock.on(UpdateCommand).rejects(serviceError('InternalServerError', 'Internal server error', 500));
    await expect(ledger.write(change, { kind: 'monotonic' }, NOW)).rejects.toMatchObject({ name: 'InternalServerError' });
  });

  test('the TTL is set from the time of the write', async () => {
    mock.on(UpdateCommand).resolves({});
    await ledger.write(change, { kind: 'monotonic' }, NOW);
    const input = mock.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.ExpressionAttributeValues![':expiresAt']).toBe(Math.floor(NOW.getTime() / 1000) + 90 * 86_400);
    expect(input.ExpressionAttributeValues![':scan']).toEqual({ status: 'IN_PROGRESS', observedAt: NOW.toISOString(), source: 'start-image-scan', severityCounts: {} });
  });

  test('replacing an entry that could not be parsed removes the walk\'s unversioned marks too, so that it parses again; a usable entry keeps them', async () => {
    mock.on(UpdateCommand).resolves({});
    await ledger.write({ ...change, remove: ['failureReport'] }, { kind: 'locked', read: { exists: true, rawVersion: 2, ignored: 'index.role is not platform or attestation: "signature"' } }, NOW);
    await ledger.write(change, { kind: 'locked', read: { exists: true, rawVersion: 2, entry: { repositoryName: REPOSITORY, imageDigest: digest(1), imageTags: [], version: 2 } } }, NOW);
    const [replaced, kept] = mock.commandCalls(UpdateCommand).map((c) => c.args[0].input);
    expect(replaced.UpdateExpression).toMatch(/ REMOVE #failureReport, #deferredOn, #index, #children$/);
    expect(replaced.ExpressionAttributeNames).toMatchObject({ '#deferredOn': 'deferredOn', '#index': 'index', '#children': 'children' });
    expect(kept.UpdateExpression).not.toContain('REMOVE');
  });

  test('a monotonic write without a scan observation is a programming error', async () => {
    await expect(ledger.write({ repositoryName: REPOSITORY, imageDigest: digest(1) }, { kind: 'monotonic' }, NOW)).rejects.toThrow('a monotonic write records a scan observation');
  });
});
