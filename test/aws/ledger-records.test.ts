/**
 * The ledger's items beside the image entries, with the document client mocked: what moto cannot
 * show (UnprocessedKeys, batches past 100 keys, errors that are not condition failures) and the
 * exact requests (update expressions, conditions, TTLs). What the conditions do against a table:
 * test/e2e/relevance.e2e.ts.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchGetCommandInput, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { serviceError } from './helpers';
import { LedgerRecords, OWNER_CACHE_MS } from '../../src/aws/ledger-records';
import type { InUsePlace } from '../../src/decisions/in-use';
import { acceptedRiskRecordKey, discoveryKey, imageKey, repositoryKey } from '../../src/decisions/ledger';

const TABLE = 'EcrScanReporter-Ledger-1ABC';
const NOW = new Date('2026-12-01T03:00:00.000Z');
/** NOW in epoch seconds. */
const NOW_S = 1_796_094_000;
const TTL_SECONDS = 90 * 86_400;
const REPOSITORY = 'team-a/api';
const digest = (n: number) => `sha256:${String(n).padStart(64, '0')}`;

const mock = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const sleeps: number[] = [];
const records = new LedgerRecords(client, { tableName: TABLE, ttlSeconds: TTL_SECONDS, sleep: async (ms) => void sleeps.push(ms) });

const conditionFailed = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
const batchInputs = () => mock.commandCalls(BatchGetCommand).map((c) => c.args[0].input);
const keysOf = (input: BatchGetCommandInput) => (input.RequestItems?.[TABLE].Keys ?? []).map((k) => k.pk as string);

beforeEach(() => {
  mock.reset();
  sleeps.length = 0;
  // 0.5 takes the jitter out of the back-off: 50 ms × 2^round exactly.
  jest.spyOn(Math, 'random').mockReturnValue(0.5);
});

afterEach(() => {
  jest.restoreAllMocks();
});

test('the owner cache lasts a day', () => {
  expect(OWNER_CACHE_MS).toBe(86_400_000);
});

describe('batch reads', () => {
  const images = (count: number) => Array.from({ length: count }, (_, i) => ({ repositoryName: REPOSITORY, imageDigest: digest(i) }));

  test('250 keys: three BatchGetItem requests of 100, 100 and 50 keys, each with the projection', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });

    const places = await records.readPlaces(images(250));

    const inputs = batchInputs();
    expect(inputs.map((i) => keysOf(i).length)).toEqual([100, 100, 50]);
    expect(inputs.flatMap(keysOf)).toEqual(images(250).map((i) => imageKey(i.repositoryName, i.imageDigest).pk));
    for (const input of inputs) {
      expect(input.RequestItems![TABLE].ProjectionExpression).toBe('#a0, #a1, #a2');
      expect(input.RequestItems![TABLE].ExpressionAttributeNames).toEqual({ '#a0': 'pk', '#a1': 'sk', '#a2': 'inUse' });
      // Strongly consistent: the previous invocation of the same discovery wrote these moments ago.
      expect(input.RequestItems![TABLE].ConsistentRead).toBe(true);
      expect(input.RequestItems![TABLE].Keys![0]).toEqual({ pk: expect.stringMatching(/^image#team-a\/api@sha256:/), sk: 'image' });
    }
    expect(places.size).toBe(250);
    expect(sleeps).toEqual([]);
  });

  test('exactly 100 keys: one request', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    await records.readPlaces(images(100));
    expect(batchInputs().map((i) => keysOf(i).length)).toEqual([100]);
  });

  test('no images: no request', async () => {
    expect(await records.readPlaces([])).toEqual(new Map());
    expect(mock.calls()).toHaveLength(0);
  });

  test('UnprocessedKeys are asked again, after the injected sleep, until answered', async () => {
    const keys = [1, 2, 3].map((n) => imageKey(REPOSITORY, digest(n)));
    const item = (n: number) => ({ ...keys[n - 1], inUse: { places: { 'lambda:resize': { kind: 'lambda', name: 'resize', seenAt: '2026-12-01T02:00:00.000Z' } } } });
    mock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [item(1)] }, UnprocessedKeys: { [TABLE]: { Keys: [keys[1], keys[2]] } } })
      .resolvesOnce({ Responses: { [TABLE]: [item(2)] }, UnprocessedKeys: { [TABLE]: { Keys: [keys[2]] } } })
      .resolvesOnce({ Responses: { [TABLE]: [item(3)] }, UnprocessedKeys: {} });

    const places = await records.readPlaces([1, 2, 3].map((n) => ({ repositoryName: REPOSITORY, imageDigest: digest(n) })));

    expect(batchInputs().map(keysOf)).toEqual([keys.map((k) => k.pk), [keys[1].pk, keys[2].pk], [keys[2].pk]]);
    // The retried requests keep the projection.
    expect(batchInputs()[2].RequestItems![TABLE].ProjectionExpression).toBe('#a0, #a1, #a2');
    expect(sleeps).toEqual([100, 200]);
    for (const n of [1, 2, 3]) expect(places.get(`${REPOSITORY}@${digest(n)}`)).toEqual([{ kind: 'lambda', name: 'resize', seenAt: new Date('2026-12-01T02:00:00.000Z') }]);
  });

  test('keys still unprocessed after 5 rounds: an error, after 4 sleeps', async () => {
    const key = imageKey(REPOSITORY, digest(9));
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [key] } } });

    await expect(records.readPlaces([{ repositoryName: REPOSITORY, imageDigest: digest(9) }])).rejects.toThrow('DynamoDB left 1 keys unprocessed after 5 rounds');

    expect(mock).toHaveReceivedCommandTimes(BatchGetCommand, 5);
    expect(sleeps).toEqual([100, 200, 400, 800]);
  });

  test('the rounds are counted per batch of 100: a second batch with unprocessed keys has its own 5', async () => {
    const all = images(150);
    const secondBatchKey = imageKey(REPOSITORY, all[120].imageDigest);
    mock
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [imageKey(REPOSITORY, all[0].imageDigest)] } } })
      .resolvesOnce({ Responses: { [TABLE]: [] } })
      .resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [secondBatchKey] } } });

    await expect(records.readPlaces(all)).rejects.toThrow('DynamoDB left 1 keys unprocessed after 5 rounds');

    expect(batchInputs().map((i) => keysOf(i).length)).toEqual([100, 1, 50, 1, 1, 1, 1]);
    expect(sleeps).toEqual([100, 100, 200, 400, 800]);
  });

  test('a failed request throws as it is', async () => {
    mock.on(BatchGetCommand).rejects(serviceError('ProvisionedThroughputExceededException', 'throughput exceeded'));
    await expect(records.readPlaces(images(1))).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });
});

describe('readPlaces', () => {
  test('maps each item\'s places back to its image, by repository and digest; an image without an item has none', async () => {
    const other = 'team-b/worker';
    mock.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [
          {
            ...imageKey(other, digest(1)),
            inUse: {
              places: {
                'ecs-service:prod/worker': { kind: 'ecs-service', name: 'worker', cluster: 'prod', count: 3, seenAt: '2026-12-01T02:30:00.000Z' },
                'lambda:resize': { kind: 'lambda', name: 'resize', seenAt: '2026-11-30T02:30:00.000Z' },
                // Not a place: left out.
                'bad': { kind: 'eks', name: 'x', seenAt: '2026-12-01T02:30:00.000Z' },
              },
            },
          },
          { ...imageKey(REPOSITORY, digest(1)), inUse: { places: { 'ecs-task:jobs/nightly': { kind: 'ecs-task', name: 'nightly', cluster: 'jobs', count: 1, seenAt: '2026-12-01T01:00:00.000Z' } } } },
          { ...imageKey(REPOSITORY, digest(3)) },
        ],
      },
    });

    const places = await records.readPlaces([
      { repositoryName: REPOSITORY, imageDigest: digest(1) },
      { repositoryName: other, imageDigest: digest(1) },
      { repositoryName: REPOSITORY, imageDigest: digest(2) },
      { repositoryName: REPOSITORY, imageDigest: digest(3) },
    ]);

    expect(places).toEqual(
      new Map<string, InUsePlace[]>([
        [`${REPOSITORY}@${digest(1)}`, [{ kind: 'ecs-task', name: 'nightly', cluster: 'jobs', count: 1, seenAt: new Date('2026-12-01T01:00:00.000Z') }]],
        [
          `${other}@${digest(1)}`,
          [
            { kind: 'ecs-service', name: 'worker', cluster: 'prod', count: 3, seenAt: new Date('2026-12-01T02:30:00.000Z') },
            { kind: 'lambda', name: 'resize', seenAt: new Date('2026-11-30T02:30:00.000Z') },
          ],
        ],
        [`${REPOSITORY}@${digest(2)}`, []],
        [`${REPOSITORY}@${digest(3)}`, []],
      ]),
    );
  });
});

describe('writePlaces', () => {
  test('sets the places, the entry\'s identity and TTL, and creates a version without ever bumping it', async () => {
    mock.on(UpdateCommand).resolves({});
    const places: InUsePlace[] = [
      { kind: 'ecs-service', name: 'api', cluster: 'prod', count: 2, seenAt: NOW },
      { kind: 'lambda', name: 'resize', seenAt: new Date('2026-11-30T03:00:00.000Z') },
    ];

    await records.writePlaces({ repositoryName: REPOSITORY, imageDigest: digest(1) }, places, NOW);

    expect(mock.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: { pk: `image#${REPOSITORY}@${digest(1)}`, sk: 'image' },
        UpdateExpression:
          'SET #inUse = :inUse, #entity = :entity, #schemaVersion = :schemaVersion, #repositoryName = :repositoryName, #imageDigest = :imageDigest, ' +
          '#version = if_not_exists(#version, :zero), #ttl = :ttl',
        ExpressionAttributeNames: {
          '#inUse': 'inUse',
          '#entity': 'entity',
          '#schemaVersion': 'schemaVersion',
          '#repositoryName': 'repositoryName',
          '#imageDigest': 'imageDigest',
          '#version': 'version',
          '#ttl': 'expiresAt',
        },
        ExpressionAttributeValues: {
          ':inUse': {
            places: {
              'ecs-service:prod/api': { kind: 'ecs-service', name: 'api', cluster: 'prod', count: 2, seenAt: '2026-12-01T03:00:00.000Z' },
              'lambda:resize': { kind: 'lambda', name: 'resize', seenAt: '2026-11-30T03:00:00.000Z' },
            },
          },
          ':entity': 'image',
          ':schemaVersion': 1,
          ':repositoryName': REPOSITORY,
          ':imageDigest': digest(1),
          ':zero': 0,
          ':ttl': NOW_S + TTL_SECONDS,
        },
      },
    ]);
    const input = mock.commandCalls(UpdateCommand)[0].args[0].input;
    // No condition: the report function's claim does not depend on the places.
    expect(input.ConditionExpression).toBeUndefined();
    expect(input.UpdateExpression).not.toMatch(/#version \+|ADD/);
  });

  test('no places: an empty map, not a removal', async () => {
    mock.on(UpdateCommand).resolves({});
    await records.writePlaces({ repositoryName: REPOSITORY, imageDigest: digest(1) }, [], NOW);
    expect(mock.commandCalls(UpdateCommand)[0].args[0].input.ExpressionAttributeValues![':inUse']).toEqual({ places: {} });
  });

  test('an error throws', async () => {
    mock.on(UpdateCommand).rejects(serviceError('InternalServerError', 'Internal server error', 500));
    await expect(records.writePlaces({ repositoryName: REPOSITORY, imageDigest: digest(1) }, [], NOW)).rejects.toMatchObject({ name: 'InternalServerError' });
  });
});

describe('the discovery marker', () => {
  const marker = { startedAt: new Date('2026-12-01T02:00:00.000Z'), completedAt: new Date('2026-12-01T02:55:00.000Z') };

  test('written with its counts and TTL, on condition that no newer discovery is recorded', async () => {
    mock.on(PutCommand).resolves({});

    await records.writeDiscoveryMarker(marker, { inUseDigests: 12 }, NOW);

    expect(mock.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: {
          pk: 'discovery',
          sk: 'in-use',
          entity: 'discovery',
          startedAt: '2026-12-01T02:00:00.000Z',
          completedAt: '2026-12-01T02:55:00.000Z',
          inUseDigests: 12,
          expiresAt: NOW_S + TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(#startedAt) OR #startedAt <= :startedAt',
        ExpressionAttributeNames: { '#startedAt': 'startedAt' },
        ExpressionAttributeValues: { ':startedAt': '2026-12-01T02:00:00.000Z' },
      },
    ]);
  });

  test.each([
    ['ConditionalCheckFailedException', conditionFailed()],
    ['an error named ConditionalCheckFailedException', Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' })],
  ])('a newer marker already there (%s): swallowed', async (_label, error) => {
    mock.on(PutCommand).rejects(error);
    await expect(records.writeDiscoveryMarker(marker, {}, NOW)).resolves.toBeUndefined();
  });

  test('any other error throws', async () => {
    mock.on(PutCommand).rejects(serviceError('ProvisionedThroughputExceededException', 'throughput exceeded'));
    await expect(records.writeDiscoveryMarker(marker, {}, NOW)).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException' });
  });

  test('read with GetItem on its key', async () => {
    mock.on(GetCommand).resolves({ Item: { ...discoveryKey(), startedAt: '2026-12-01T02:00:00.000Z', completedAt: '2026-12-01T02:55:00.000Z', inUseDigests: 3 } });

    expect(await records.readDiscoveryMarker()).toEqual(marker);
    expect(mock.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: 'discovery', sk: 'in-use' } }]);
  });

  test.each<[string, Record<string, unknown> | undefined]>([
    ['no item', undefined],
    ['no completedAt', { startedAt: '2026-12-01T02:00:00.000Z' }],
    ['completed before it started', { startedAt: '2026-12-01T02:00:00.000Z', completedAt: '2026-12-01T01:00:00.000Z' }],
    ['a time that is not ISO-8601', { startedAt: 'yesterday', completedAt: '2026-12-01T02:55:00.000Z' }],
  ])('%s: undefined', async (_label, item) => {
    mock.on(GetCommand).resolves(item ? { Item: { ...discoveryKey(), ...item } } : {});
    expect(await records.readDiscoveryMarker()).toBeUndefined();
  });
});

describe('readReportContext', () => {
  const markerItem = { ...discoveryKey(), entity: 'discovery', startedAt: '2026-12-01T02:00:00.000Z', completedAt: '2026-12-01T02:55:00.000Z' };
  const repositoryItem = (fields: Record<string, unknown>) => ({ ...repositoryKey(REPOSITORY), entity: 'repository', repositoryName: REPOSITORY, ...fields });

  test('one BatchGetItem for the marker and the repository\'s cache, without a projection', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [repositoryItem({ tagKey: 'owner', owner: 'team-a', readAt: '2026-11-30T12:00:00.000Z' }), markerItem] } });

    const context = await records.readReportContext(REPOSITORY);

    expect(context).toEqual({
      marker: { startedAt: new Date('2026-12-01T02:00:00.000Z'), completedAt: new Date('2026-12-01T02:55:00.000Z') },
      owner: { tagKey: 'owner', owner: 'team-a', readAt: new Date('2026-11-30T12:00:00.000Z') },
    });
    expect(batchInputs()).toEqual([{ RequestItems: { [TABLE]: { Keys: [{ pk: 'discovery', sk: 'in-use' }, { pk: `repository#${REPOSITORY}`, sk: 'repository' }] } } }]);
  });

  test('a cache of a repository without the tag: no owner field', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [repositoryItem({ tagKey: 'owner', readAt: '2026-11-30T12:00:00.000Z' })] } });

    const context = await records.readReportContext(REPOSITORY);

    expect(context.owner).toStrictEqual({ tagKey: 'owner', readAt: new Date('2026-11-30T12:00:00.000Z') });
    expect(context.marker).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>]>([
    ['no tagKey', { owner: 'team-a', readAt: '2026-11-30T12:00:00.000Z' }],
    ['a tagKey that is not a string', { tagKey: 7, owner: 'team-a', readAt: '2026-11-30T12:00:00.000Z' }],
    ['no readAt', { tagKey: 'owner', owner: 'team-a' }],
    ['a readAt that is no time', { tagKey: 'owner', owner: 'team-a', readAt: 'this morning' }],
    ['a readAt as a number', { tagKey: 'owner', owner: 'team-a', readAt: 1_796_000_000_000 }],
  ])('a cache with %s is ignored', async (_label, fields) => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [repositoryItem(fields), markerItem] } });

    const context = await records.readReportContext(REPOSITORY);

    expect(context).not.toHaveProperty('owner');
    expect(context.marker).toEqual({ startedAt: new Date('2026-12-01T02:00:00.000Z'), completedAt: new Date('2026-12-01T02:55:00.000Z') });
  });

  test('an owner that is not a string is left out of the cache', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [repositoryItem({ tagKey: 'owner', owner: 42, readAt: '2026-11-30T12:00:00.000Z' })] } });
    expect((await records.readReportContext(REPOSITORY)).owner).toStrictEqual({ tagKey: 'owner', readAt: new Date('2026-11-30T12:00:00.000Z') });
  });

  test('a malformed marker is undefined; the cache is still read', async () => {
    mock.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [{ ...markerItem, completedAt: 'soon' }, repositoryItem({ tagKey: 'owner', owner: 'team-a', readAt: '2026-11-30T12:00:00.000Z' })] },
    });

    const context = await records.readReportContext(REPOSITORY);

    expect(context.marker).toBeUndefined();
    expect(context.owner).toEqual({ tagKey: 'owner', owner: 'team-a', readAt: new Date('2026-11-30T12:00:00.000Z') });
  });

  test('neither item: nothing', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] } });
    const context = await records.readReportContext(REPOSITORY);
    expect(context.marker).toBeUndefined();
    expect(context).not.toHaveProperty('owner');
  });

  test('unprocessed keys left after 5 rounds throw (the report counts a failed ledger read)', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [repositoryKey(REPOSITORY)] } } });
    await expect(records.readReportContext(REPOSITORY)).rejects.toThrow('DynamoDB left 1 keys unprocessed after 5 rounds');
  });
});

describe('writeOwner', () => {
  test('puts the cache with the tag\'s value and a TTL of two days', async () => {
    mock.on(PutCommand).resolves({});

    await records.writeOwner(REPOSITORY, { tagKey: 'owner', owner: 'team-a', readAt: NOW }, NOW);

    expect(mock.commandCalls(PutCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Item: {
          pk: `repository#${REPOSITORY}`,
          sk: 'repository',
          entity: 'repository',
          repositoryName: REPOSITORY,
          tagKey: 'owner',
          owner: 'team-a',
          readAt: '2026-12-01T03:00:00.000Z',
          expiresAt: NOW_S + 2 * 86_400,
        },
      },
    ]);
  });

  test('a repository without the tag: no owner attribute', async () => {
    mock.on(PutCommand).resolves({});
    await records.writeOwner(REPOSITORY, { tagKey: 'owner', readAt: NOW }, NOW);
    const item = mock.commandCalls(PutCommand)[0].args[0].input.Item!;
    expect(item).not.toHaveProperty('owner');
    expect(item).toEqual({ ...repositoryKey(REPOSITORY), entity: 'repository', repositoryName: REPOSITORY, tagKey: 'owner', readAt: NOW.toISOString(), expiresAt: 1_796_266_800 });
  });
});

describe('accepted risks', () => {
  test('recordRiskMatch: at most once an hour, conditioned on the last match', async () => {
    mock.on(UpdateCommand).resolves({});

    await records.recordRiskMatch('CVE-2024-3094|team-a/*', NOW);

    expect(mock.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: { pk: 'accepted-risk#CVE-2024-3094|team-a/*', sk: 'accepted-risk' },
        UpdateExpression: 'SET #entity = :entity, #riskKey = :riskKey, #lastMatchedAt = :now, #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#lastMatchedAt) OR #lastMatchedAt < :hourAgo',
        ExpressionAttributeNames: { '#entity': 'entity', '#riskKey': 'riskKey', '#lastMatchedAt': 'lastMatchedAt', '#ttl': 'expiresAt' },
        ExpressionAttributeValues: {
          ':entity': 'accepted-risk',
          ':riskKey': 'CVE-2024-3094|team-a/*',
          ':now': '2026-12-01T03:00:00.000Z',
          ':hourAgo': '2026-12-01T02:00:00.000Z',
          ':ttl': NOW_S + TTL_SECONDS,
        },
      },
    ]);
  });

  test('recordRiskMatch: a match within the hour (ConditionalCheckFailed) is swallowed; other errors throw', async () => {
    mock.on(UpdateCommand).rejectsOnce(conditionFailed()).rejectsOnce(serviceError('InternalServerError', 'Internal server error', 500));
    await expect(records.recordRiskMatch('r', NOW)).resolves.toBeUndefined();
    await expect(records.recordRiskMatch('r', NOW)).rejects.toMatchObject({ name: 'InternalServerError' });
  });

  test('checkRisks: reads every record; writes firstCheckedAt only for a risk never checked', async () => {
    const keys = ['seen', 'checked', 'new'].map(acceptedRiskRecordKey);
    mock.on(BatchGetCommand).resolves({
      Responses: {
        [TABLE]: [
          { ...keys[0], lastMatchedAt: '2026-11-30T00:00:00.000Z', firstCheckedAt: '2026-11-01T00:00:00.000Z' },
          { ...keys[1], firstCheckedAt: '2026-11-20T00:00:00.000Z' },
        ],
      },
    });
    mock.on(UpdateCommand).resolves({});

    const checked = await records.checkRisks(['seen', 'checked', 'new'], NOW);

    expect(checked).toEqual(
      new Map([
        ['seen', { lastMatchedAt: new Date('2026-11-30T00:00:00.000Z'), firstCheckedAt: new Date('2026-11-01T00:00:00.000Z') }],
        ['checked', { firstCheckedAt: new Date('2026-11-20T00:00:00.000Z') }],
        ['new', { firstCheckedAt: NOW }],
      ]),
    );
    expect(checked.get('checked')).not.toHaveProperty('lastMatchedAt');
    expect(batchInputs().map(keysOf)).toEqual([['accepted-risk#seen', 'accepted-risk#checked', 'accepted-risk#new']]);
    expect(batchInputs()[0].RequestItems![TABLE].ProjectionExpression).toBeUndefined();
    expect(mock.commandCalls(UpdateCommand).map((c) => c.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: { pk: 'accepted-risk#new', sk: 'accepted-risk' },
        UpdateExpression: 'SET #entity = :entity, #riskKey = :riskKey, #firstCheckedAt = if_not_exists(#firstCheckedAt, :now), #ttl = :ttl',
        ExpressionAttributeNames: { '#entity': 'entity', '#riskKey': 'riskKey', '#firstCheckedAt': 'firstCheckedAt', '#ttl': 'expiresAt' },
        ExpressionAttributeValues: { ':entity': 'accepted-risk', ':riskKey': 'new', ':now': '2026-12-01T03:00:00.000Z', ':ttl': NOW_S + TTL_SECONDS },
      },
    ]);
  });

  test('checkRisks: a record whose firstCheckedAt is no time counts as never checked', async () => {
    mock.on(BatchGetCommand).resolves({ Responses: { [TABLE]: [{ ...acceptedRiskRecordKey('r'), firstCheckedAt: 'n/a' }] } });
    mock.on(UpdateCommand).resolves({});

    expect(await records.checkRisks(['r'], NOW)).toEqual(new Map([['r', { firstCheckedAt: NOW }]]));
    expect(mock).toHaveReceivedCommandTimes(UpdateCommand, 1);
  });
});
