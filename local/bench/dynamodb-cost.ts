/**
 * DynamoDB calls and what they cost at on-demand prices, from the emulator's request log. Plain
 * functions, no I/O: test/bench/dynamodb-cost.test.ts covers them.
 *
 * Request units, as the on-demand pricing page defines them
 * (https://aws.amazon.com/dynamodb/pricing/on-demand/):
 * - a strongly consistent read of an item up to 4 KB is 1 read request unit (RRU), an eventually
 *   consistent one 0.5; larger items take one more unit per 4 KB. GetItem reads one item;
 *   BatchGetItem is priced as one read per key (its keys are eventually consistent unless
 *   ConsistentRead says otherwise). A key with no item is priced as a read of a small item
 *   (DynamoDB charges a GetItem of a missing item the minimum read; for BatchGetItem the bench
 *   assumes the same per key, an upper bound);
 * - a standard write of an item up to 1 KB is 1 write request unit (WRU), one more per 1 KB.
 *   UpdateItem, PutItem and DeleteItem are writes; a write whose condition failed is charged too.
 * The size of an item: its size at the end of the day, by DynamoDB's rule (`itemSizeBytes`), so
 * an item that grew during the day is priced at its final size; the projection of a read does
 * not make it cheaper (DynamoDB prices the whole item).
 */
import type { LoggedRequest } from './measure';

export const DYNAMODB_SERVICE = 'DynamoDB_20120810';

/**
 * On-demand prices used for the cost. US East (N. Virginia), Standard table class, in effect since
 * the on-demand price cut of 2024-11-01; looked up 2026-12-01 (AWS's on-demand pricing page for
 * the unit definitions; the figures as published after the cut).
 */
export const ON_DEMAND_PRICES = {
  region: 'us-east-1',
  tableClass: 'Standard',
  usdPerMillionReadRequestUnits: 0.125,
  usdPerMillionWriteRequestUnits: 0.625,
  effectiveSince: '2024-11-01',
  checkedOn: '2026-12-01',
  source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
} as const;

const READ_UNIT_BYTES = 4096;
const WRITE_UNIT_BYTES = 1024;
const WRITES = new Set(['UpdateItem', 'PutItem', 'DeleteItem']);

/** An attribute value in DynamoDB's JSON form ({"S": ...}, {"N": ...}, {"M": {...}}, ...). */
export type AttributeValue = Record<string, any>;

function utf8(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Bytes of a number: about 1 per 2 significant digits, plus 1 (the developer guide's rule). */
function numberBytes(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** The size DynamoDB counts for one attribute value (its name not included). */
export function valueBytes(value: AttributeValue): number {
  if ('S' in value) return utf8(value.S);
  if ('N' in value) return numberBytes(String(value.N));
  if ('B' in value) return typeof value.B === 'string' ? Buffer.from(value.B, 'base64').length : value.B.length;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('SS' in value) return (value.SS as string[]).reduce((n, s) => n + utf8(s), 0);
  if ('NS' in value) return (value.NS as string[]).reduce((n, s) => n + numberBytes(s), 0);
  // Lists and maps: 3 bytes, plus 1 per element, plus the elements (and a map's names).
  if ('L' in value) return 3 + (value.L as AttributeValue[]).reduce((n, v) => n + 1 + valueBytes(v), 0);
  if ('M' in value) return 3 + Object.entries(value.M as Record<string, AttributeValue>).reduce((n, [k, v]) => n + 1 + utf8(k) + valueBytes(v), 0);
  throw new Error(`not a DynamoDB attribute value: ${JSON.stringify(value).slice(0, 80)}`);
}

/** The size of an item: each attribute's name and value. */
export function itemSizeBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((n, [name, value]) => n + utf8(name) + valueBytes(value), 0);
}

/** The key of an item as the log shows it (`pk` value, or the whole key), to look its size up. */
export function keyOf(key: Record<string, AttributeValue> | undefined): string {
  if (!key) return '';
  return Object.entries(key)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, v]) => `${name}=${v.S ?? v.N ?? JSON.stringify(v)}`)
    .join('|');
}

export interface RequestUnits {
  readonly read: number;
  readonly write: number;
}

/** The request units of one logged request; `sizeOf` gives an item's size by `keyOf`, undefined when it does not exist. */
export function requestUnits(request: LoggedRequest, sizeOf: (key: string) => number | undefined): RequestUnits {
  const units = (key: Record<string, AttributeValue> | undefined, unitBytes: number) => Math.max(1, Math.ceil((sizeOf(keyOf(key)) ?? 0) / unitBytes));
  const p = request.params;
  switch (request.operation) {
    case 'GetItem':
      return { read: units(p.Key, READ_UNIT_BYTES) * (p.ConsistentRead ? 1 : 0.5), write: 0 };
    case 'BatchGetItem': {
      let read = 0;
      const tables = (p.RequestItems ?? {}) as Record<string, { Keys?: Record<string, AttributeValue>[]; ConsistentRead?: boolean }>;
      for (const table of Object.values(tables)) {
        for (const key of table.Keys ?? []) read += units(key, READ_UNIT_BYTES) * (table.ConsistentRead ? 1 : 0.5);
      }
      return { read, write: 0 };
    }
    default:
      return WRITES.has(request.operation) ? { read: 0, write: units(p.Key ?? p.Item, WRITE_UNIT_BYTES) } : { read: 0, write: 0 };
  }
}

export interface DynamoDbCalls {
  readonly total: number;
  readonly byOperation: Record<string, number>;
  readonly readRequestUnits: number;
  readonly writeRequestUnits: number;
  readonly costUsd: number;
}

export function costOf(readRequestUnits: number, writeRequestUnits: number, prices = ON_DEMAND_PRICES): number {
  return (readRequestUnits * prices.usdPerMillionReadRequestUnits + writeRequestUnits * prices.usdPerMillionWriteRequestUnits) / 1e6;
}

export function dynamodbCalls(requests: readonly LoggedRequest[], sizeOf: (key: string) => number | undefined): DynamoDbCalls {
  const byOperation: Record<string, number> = {};
  let total = 0;
  let read = 0;
  let write = 0;
  for (const r of requests) {
    if (r.service !== DYNAMODB_SERVICE) continue;
    total++;
    byOperation[r.operation] = (byOperation[r.operation] ?? 0) + 1;
    const u = requestUnits(r, sizeOf);
    read += u.read;
    write += u.write;
  }
  return {
    total,
    byOperation: Object.fromEntries(Object.entries(byOperation).sort(([a], [b]) => a.localeCompare(b))),
    readRequestUnits: read,
    writeRequestUnits: write,
    costUsd: costOf(read, write),
  };
}

/** Sums of two days' or two stages' calls. */
export function addCalls(a: DynamoDbCalls, b: DynamoDbCalls): DynamoDbCalls {
  const byOperation: Record<string, number> = { ...a.byOperation };
  for (const [op, n] of Object.entries(b.byOperation)) byOperation[op] = (byOperation[op] ?? 0) + n;
  return {
    total: a.total + b.total,
    byOperation: Object.fromEntries(Object.entries(byOperation).sort(([x], [y]) => x.localeCompare(y))),
    readRequestUnits: a.readRequestUnits + b.readRequestUnits,
    writeRequestUnits: a.writeRequestUnits + b.writeRequestUnits,
    costUsd: a.costUsd + b.costUsd,
  };
}

export const NO_CALLS: DynamoDbCalls = { total: 0, byOperation: {}, readRequestUnits: 0, writeRequestUnits: 0, costUsd: 0 };
