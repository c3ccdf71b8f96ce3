/**
 * The whole ledger, read for the registry summary (../decisions/summary.ts): a parallel Scan
 * (`TotalSegments` segments, each paged by DynamoDB at 1 MB), eventually consistent, with a
 * projection that leaves out the report claims. Items are handed to `onItem` as they arrive, so
 * memory is the summary's, never the table's. Nothing here decides anything.
 *
 * Cost: a Scan is charged on the size of the items it reads, whatever the projection: 0.5 read
 * request units per 4 KB, eventually consistent. docs/ledger.md states what a million entries cost.
 */
import { DynamoDBDocumentClient, ScanCommand, ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { LEDGER_TTL_ATTRIBUTE } from '../decisions/ledger';

/** The attributes the summary reads, of every kind of item. */
export const SUMMARY_VIEW = [
  'pk', 'sk', 'entity', 'schemaVersion', 'repositoryName', 'imageDigest', 'imageTags', 'scan', 'lastReport', 'inUse', 'deferredOn', 'index', 'children', 'version',
  LEDGER_TTL_ATTRIBUTE, 'tagKey', 'owner', 'readAt', 'riskKey', 'lastMatchedAt', 'firstCheckedAt', 'imagesNotMonitored',
];

export interface LedgerScanOptions {
  readonly tableName: string;
  /** Parallel segments (1 to 1,000,000). @default 8 */
  readonly segments?: number;
  /** Called with each item, in no particular order; segments run concurrently. */
  readonly onItem: (item: Record<string, unknown>) => void;
  /** Called after each page, with its segment and the read units DynamoDB says it consumed. */
  readonly onPage?: (page: { readonly segment: number; readonly items: number; readonly capacityUnits?: number }) => void;
}

export interface LedgerScanResult {
  readonly items: number;
  readonly pages: number;
  /** Read capacity units consumed, as DynamoDB reported them (ReturnConsumedCapacity TOTAL); undefined when it did not. */
  readonly capacityUnits?: number;
}

export async function scanLedger(client: DynamoDBDocumentClient, options: LedgerScanOptions): Promise<LedgerScanResult> {
  const segments = options.segments ?? 8;
  if (!Number.isInteger(segments) || segments < 1 || segments > 1_000_000) throw new Error(`segments must be a whole number from 1 to 1000000; got ${segments}`);
  const names = Object.fromEntries(SUMMARY_VIEW.map((name, i) => [`#a${i}`, name]));
  let items = 0;
  let pages = 0;
  let capacity: number | undefined;
  const walk = async (segment: number) => {
    let start: Record<string, unknown> | undefined;
    do {
      const response: ScanCommandOutput = await client.send(
        new ScanCommand({
          TableName: options.tableName,
          Segment: segment,
          TotalSegments: segments,
          ProjectionExpression: Object.keys(names).join(', '),
          ExpressionAttributeNames: names,
          ReturnConsumedCapacity: 'TOTAL',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const page = response.Items ?? [];
      for (const item of page) options.onItem(item);
      items += page.length;
      pages++;
      const units = response.ConsumedCapacity?.CapacityUnits;
      if (units !== undefined) capacity = (capacity ?? 0) + units;
      options.onPage?.({ segment, items: page.length, ...(units !== undefined ? { capacityUnits: units } : {}) });
      start = response.LastEvaluatedKey;
    } while (start);
  };
  await Promise.all(Array.from({ length: segments }, (_, segment) => walk(segment)));
  return { items, pages, ...(capacity !== undefined ? { capacityUnits: capacity } : {}) };
}
