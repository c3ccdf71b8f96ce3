/**
 * The registry summary from a deployed ledger: the discovery marker and the last summary's record
 * read, then every item scanned once (./ledger-scan.ts) and fed to the summary's decision module
 * (../decisions/summary.ts) by kind: image entries, repositories' cached owner tags, accepted risks'
 * match records. The command-line tool and the summary function share it. An item that does not
 * parse is counted and left out, never trusted.
 */
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { LedgerRecords } from './ledger-records';
import { LedgerScanOptions, LedgerScanResult, scanLedger } from './ledger-scan';
import { DiscoveryMarker } from '../decisions/in-use';
import { IMAGE_ENTITY, LEDGER_TTL_ATTRIBUTE, parseLedgerItem, summaryKey } from '../decisions/ledger';
import { PreviousSummary, RegistrySummary, SummaryBuilder, SummaryOptions } from '../decisions/summary';

export interface LedgerSummaryOptions {
  readonly tableName: string;
  /** Seconds the summary's record lives (the ledger's entry TTL). */
  readonly ttlSeconds: number;
  /** Parallel Scan segments. @default 8 */
  readonly segments?: number;
  /** The summary's options, but for what the ledger holds (the marker, the previous summary, the risks' records). */
  readonly summary: Omit<SummaryOptions, 'previous' | 'riskRecords' | 'inUse'> & { readonly inUse: { readonly discoveryOn: boolean; readonly holdMs: number } };
  /** The owner tag key whose cached values count; other keys' caches are left out. @default - any key's */
  readonly ownerTagKey?: string;
  /** Which repositories' images count (the patterns); the others are skipped. @default every repository */
  readonly selects?: (repositoryName: string) => boolean;
  /** Called after each page of the Scan (the command line's progress). */
  readonly onPage?: LedgerScanOptions['onPage'];
  /**
   * Under enhanced scanning, the selected repositories no scanning filter covers (read from ECR by the caller): the
   * summary then has coverage gaps, with the images no longer monitored that the rescan walks recorded.
   * @default - no coverage section
   */
  readonly repositoriesNotCovered?: readonly string[];
}

export interface LedgerSummary {
  readonly summary: RegistrySummary;
  /** What the next summary compares with: write it with writeSummaryRecord once this one is published. */
  readonly next: PreviousSummary;
  readonly scan: LedgerScanResult;
  /** Image items that could not be parsed (another schema, malformed): left out of the figures. */
  readonly itemsIgnored: number;
}

const isoDate = (value: unknown): Date | undefined => {
  if (typeof value !== 'string') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

/** The last summary's record, or undefined when there is none or it cannot be used. */
export function parsePreviousSummary(item: Record<string, unknown> | undefined): PreviousSummary | undefined {
  const at = isoDate(item?.at);
  const repositories = item?.repositories;
  if (!at || typeof repositories !== 'object' || repositories === null || Array.isArray(repositories)) return undefined;
  const kept: Record<string, { critical: number; high: number }> = {};
  for (const [name, value] of Object.entries(repositories as Record<string, unknown>)) {
    const v = value as { critical?: unknown; high?: unknown } | null;
    if (v && Number.isInteger(v.critical) && Number.isInteger(v.high)) kept[name] = { critical: v.critical as number, high: v.high as number };
  }
  return { at, repositories: kept };
}

export async function summarizeLedger(client: DynamoDBDocumentClient, options: LedgerSummaryOptions): Promise<LedgerSummary> {
  const { now } = options.summary;
  const records = new LedgerRecords(client, { tableName: options.tableName, ttlSeconds: options.ttlSeconds });
  const marker: DiscoveryMarker | undefined = options.summary.inUse.discoveryOn ? await records.readDiscoveryMarker() : undefined;
  const previousItem = (await client.send(new GetCommand({ TableName: options.tableName, Key: summaryKey() }))).Item;
  const riskRecords = new Map<string, { lastMatchedAt?: Date; firstCheckedAt?: Date }>();
  const builder = new SummaryBuilder({
    ...options.summary,
    inUse: { ...options.summary.inUse, ...(marker ? { marker } : {}) },
    ...(previousItem ? { previous: parsePreviousSummary(previousItem) } : {}),
    riskRecords,
  });
  let itemsIgnored = 0;
  let imagesNotMonitored = 0;
  const scan = await scanLedger(client, {
    tableName: options.tableName,
    segments: options.segments,
    onPage: options.onPage,
    onItem: (item) => {
      switch (item.entity) {
        case IMAGE_ENTITY: {
          if (options.selects && !options.selects(String(item.repositoryName))) break;
          const read = parseLedgerItem(item, { repositoryName: String(item.repositoryName), imageDigest: String(item.imageDigest) }, now);
          if (read.entry) builder.addImage(read.entry);
          else if (read.ignored !== undefined) itemsIgnored++;
          break;
        }
        case 'repository':
          if (typeof item.repositoryName === 'string' && (options.ownerTagKey === undefined || item.tagKey === options.ownerTagKey)) {
            builder.addOwnerTag(item.repositoryName, typeof item.owner === 'string' ? item.owner : undefined);
          }
          break;
        case 'coverage':
          if (typeof item.repositoryName === 'string' && (!options.selects || options.selects(item.repositoryName)) && Number.isInteger(item.imagesNotMonitored)) {
            imagesNotMonitored += item.imagesNotMonitored as number;
          }
          break;
        case 'accepted-risk':
          if (typeof item.riskKey === 'string') {
            riskRecords.set(item.riskKey, { lastMatchedAt: isoDate(item.lastMatchedAt), firstCheckedAt: isoDate(item.firstCheckedAt) });
          }
          break;
        default:
          // The discovery marker, the scan budget's days, the summary's record: not part of the figures.
          break;
      }
    },
  });
  if (options.repositoriesNotCovered) builder.setCoverage({ repositoriesNotCovered: options.repositoriesNotCovered, imagesNotMonitored });
  return { summary: builder.build(), next: builder.previousForNext(), scan, itemsIgnored };
}

/** Keeps what the next summary compares with; written after this summary was published. */
export async function writeSummaryRecord(
  client: DynamoDBDocumentClient,
  tableName: string,
  next: PreviousSummary,
  ttlSeconds: number,
): Promise<void> {
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: {
        ...summaryKey(),
        entity: 'summary',
        at: next.at.toISOString(),
        repositories: next.repositories,
        [LEDGER_TTL_ATTRIBUTE]: Math.floor(next.at.getTime() / 1000) + ttlSeconds,
      },
    }),
  );
}
