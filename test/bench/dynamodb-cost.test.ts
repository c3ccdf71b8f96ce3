import {
  DYNAMODB_SERVICE,
  NO_CALLS,
  addCalls,
  costOf,
  dynamodbCalls,
  itemSizeBytes,
  keyOf,
  requestUnits,
  valueBytes,
} from '../../local/bench/dynamodb-cost';
import { LoggedRequest } from '../../local/bench/measure';

test('itemSizeBytes: names plus values, by DynamoDB\'s rule', () => {
  const item = {
    pk: { S: 'image#a@b' }, // 2 + 9
    version: { N: '12' }, // 7 + 2
    scan: { M: { status: { S: 'COMPLETE' } } }, // 4 + 3 + 1 + 6 + 8
    tags: { L: [{ S: 'x' }, { S: 'yz' }] }, // 4 + 3 + (1 + 1) + (1 + 2)
    flag: { BOOL: true }, // 4 + 1
  };
  expect(itemSizeBytes(item)).toBe(11 + 9 + 22 + 12 + 5);
});

test.each([
  [{ S: 'héllo' }, 6],
  [{ N: '1000' }, 2],
  [{ N: '-123.45' }, 4],
  [{ N: '0.5' }, 2],
  [{ NULL: true }, 1],
  [{ SS: ['ab', 'c'] }, 3],
  [{ M: {} }, 3],
])('valueBytes(%j) is %s', (value, bytes) => {
  expect(valueBytes(value)).toBe(bytes);
});

test('valueBytes refuses what is not an attribute value', () => {
  expect(() => valueBytes({ X: 1 })).toThrow(/not a DynamoDB attribute value/);
});

test('keyOf names a key the same whatever the order of its attributes', () => {
  expect(keyOf({ sk: { S: 'image' }, pk: { S: 'image#a@b' } })).toBe('pk=image#a@b|sk=image');
  expect(keyOf(undefined)).toBe('');
});

const KEY_A = { pk: { S: 'a' }, sk: { S: 'image' } };
const KEY_B = { pk: { S: 'b' }, sk: { S: 'image' } };
const KEY_C = { pk: { S: 'c' }, sk: { S: 'image' } };
const SIZES = new Map([
  [keyOf(KEY_A), 100],
  [keyOf(KEY_C), 9000],
  [keyOf(KEY_B), 1500],
]);
const sizeOf = (key: string) => SIZES.get(key);
const dynamo = (operation: string, params: Record<string, unknown>, status = 200): LoggedRequest => ({
  service: DYNAMODB_SERVICE,
  operation,
  params,
  status,
});

test.each<[string, LoggedRequest, { read: number; write: number }]>([
  ['a strongly consistent GetItem of a 100-byte item', dynamo('GetItem', { Key: KEY_A, ConsistentRead: true }), { read: 1, write: 0 }],
  ['an eventually consistent GetItem of a 9,000-byte item', dynamo('GetItem', { Key: KEY_C }), { read: 1.5, write: 0 }],
  ['a GetItem of a missing item', dynamo('GetItem', { Key: { pk: { S: 'none' } }, ConsistentRead: true }), { read: 1, write: 0 }],
  [
    'a BatchGetItem of three keys, one missing, one of 9,000 bytes',
    dynamo('BatchGetItem', { RequestItems: { ledger: { Keys: [KEY_A, { pk: { S: 'none' }, sk: { S: 'image' } }, KEY_C] } } }),
    { read: 0.5 * (1 + 1 + 3), write: 0 },
  ],
  ['an UpdateItem of a 1,500-byte item', dynamo('UpdateItem', { Key: KEY_B }), { read: 0, write: 2 }],
  ['an UpdateItem whose condition failed, on a missing item', dynamo('UpdateItem', { Key: { pk: { S: 'none' } } }, 400), { read: 0, write: 1 }],
  ['a PutItem of a 100-byte item', dynamo('PutItem', { Item: { ...KEY_A, extra: { S: 'x' } } }), { read: 0, write: 1 }],
  ['a DescribeTable', dynamo('DescribeTable', {}), { read: 0, write: 0 }],
])('requestUnits: %s', (_, request, units) => {
  expect(requestUnits(request, sizeOf)).toEqual(units);
});

test('costOf: a million of each at US East on-demand prices', () => {
  expect(costOf(1e6, 0)).toBeCloseTo(0.125, 10);
  expect(costOf(0, 1e6)).toBeCloseTo(0.625, 10);
  expect(costOf(2, 4)).toBeCloseTo((2 * 0.125 + 4 * 0.625) / 1e6, 15);
});

test('dynamodbCalls counts DynamoDB requests only, by operation, with their units and cost; addCalls adds two', () => {
  const calls = dynamodbCalls(
    [
      dynamo('BatchGetItem', { RequestItems: { ledger: { Keys: [KEY_A, KEY_B] } } }),
      dynamo('GetItem', { Key: KEY_A, ConsistentRead: true }),
      dynamo('UpdateItem', { Key: KEY_A }),
      dynamo('UpdateItem', { Key: KEY_B }),
      { service: 'AmazonSQS', operation: 'SendMessage', params: {}, status: 200 },
    ],
    sizeOf,
  );
  expect(calls).toEqual({
    total: 4,
    byOperation: { BatchGetItem: 1, GetItem: 1, UpdateItem: 2 },
    readRequestUnits: 2,
    writeRequestUnits: 3,
    costUsd: costOf(2, 3),
  });
  expect(addCalls(calls, calls)).toEqual({
    total: 8,
    byOperation: { BatchGetItem: 2, GetItem: 2, UpdateItem: 4 },
    readRequestUnits: 4,
    writeRequestUnits: 6,
    costUsd: 2 * costOf(2, 3),
  });
  expect(addCalls(NO_CALLS, calls)).toEqual(calls);
});
