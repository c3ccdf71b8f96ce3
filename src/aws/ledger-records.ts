/**
 * The ledger's items beside the image entries (../decisions/ledger.ts has their keys): where
 * images run (written on the image items by the in-use discovery), the marker of the last
 * completed discovery, repositories' cached owner tags, and when each accepted risk last
 * matched. Same table, same document client as ./ledger.ts. Nothing here decides anything.
 */
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KEYS_PER_BATCH_GET, bareEntryUpdate, isConditionFailure } from './ledger';
import { DiscoveryMarker, InUsePlace, parseDiscoveryMarker, parseInUse, storedInUse } from '../decisions/in-use';
import {
  LEDGER_TTL_ATTRIBUTE,
  LedgerKey,
  acceptedRiskRecordKey,
  coverageKey,
  discoveryKey,
  imageKey,
  repositoryKey,
} from '../decisions/ledger';

const UNPROCESSED_ROUNDS = 5;
/** A repository's owner tag is read again after this. */
export const OWNER_CACHE_MS = 24 * 3600_000;

export interface ImageRef {
  readonly repositoryName: string;
  readonly imageDigest: string;
}

/** A repository's cached owner tag. */
export interface CachedOwner {
  /** The tag key it was read for: a cache of another key is not used. */
  readonly tagKey: string;
  /** The tag's value; absent when the repository has no such tag. */
  readonly owner?: string;
  readonly readAt: Date;
}

export interface RiskRecord {
  readonly lastMatchedAt?: Date;
  readonly firstCheckedAt?: Date;
}

const isoDate = (value: unknown): Date | undefined => {
  if (typeof value !== 'string') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
};

export class LedgerRecords {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: { readonly tableName: string; readonly ttlSeconds: number; readonly sleep?: (ms: number) => Promise<void> },
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private ttl(now: Date, seconds = this.options.ttlSeconds): number {
    return Math.floor(now.getTime() / 1000) + seconds;
  }

  /** Items by key (pk), eventually consistent; keys left unprocessed after retries throw. */
  private async batchGet(keys: readonly LedgerKey[], projection?: readonly string[], consistent = false): Promise<Map<string, Record<string, any>>> {
    const items = new Map<string, Record<string, unknown>>();
    for (let start = 0; start < keys.length; start += KEYS_PER_BATCH_GET) {
      let pending: Record<string, unknown>[] = keys.slice(start, start + KEYS_PER_BATCH_GET).map((k) => ({ ...k }));
      for (let round = 0; pending.length > 0; round++) {
        if (round >= UNPROCESSED_ROUNDS) throw new Error(`DynamoDB left ${pending.length} keys unprocessed after ${UNPROCESSED_ROUNDS} rounds`);
        if (round > 0) await this.sleep(50 * 2 ** round * (0.5 + Math.random()));
        const response = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.options.tableName]: {
                Keys: pending,
                ...(consistent ? { ConsistentRead: true } : {}),
                ...(projection
                  ? {
                    ProjectionExpression: projection.map((_, i) => `#a${i}`).join(', '),
                    ExpressionAttributeNames: Object.fromEntries(projection.map((name, i) => [`#a${i}`, name])),
                  }
                  : {}),
              },
            },
          }),
        );
        for (const item of response.Responses?.[this.options.tableName] ?? []) items.set(`${item.pk}|${item.sk}`, item);
        pending = (response.UnprocessedKeys?.[this.options.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return items;
  }

  /** The places stored for each image (the discovery merges what it saw into them). */
  public async readPlaces(images: readonly ImageRef[]): Promise<Map<string, InUsePlace[]>> {
    const keys = images.map((i) => imageKey(i.repositoryName, i.imageDigest));
    // Strongly consistent: an earlier invocation of the same discovery wrote these moments ago, and a stale read would drop its places.
    const items = await this.batchGet(keys, ['pk', 'sk', 'inUse'], true);
    return new Map(images.map((image, i) => [`${image.repositoryName}@${image.imageDigest}`, parseInUse(items.get(`${keys[i].pk}|${keys[i].sk}`)?.inUse)]));
  }

  /**
   * Stores where an image runs, on its ledger item, creating a bare entry when there is none.
   * `version` is left as it is: the report function's claim does not depend on it.
   */
  public async writePlaces(image: ImageRef, places: readonly InUsePlace[], now: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: imageKey(image.repositoryName, image.imageDigest),
        ...bareEntryUpdate(image, { inUse: storedInUse(places) }, this.ttl(now)),
      }),
    );
  }

  /**
   * Records, under enhanced scanning, how many of a repository's images the walk found no longer monitored: the
   * first part of a walk sets the count, a continuation's part adds to it. For the registry summary.
   */
  public async writeCoverage(repositoryName: string, imagesNotMonitored: number, firstPart: boolean, now: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: coverageKey(repositoryName),
        UpdateExpression: firstPart
          ? 'SET #entity = :entity, #repositoryName = :repositoryName, #n = :n, #at = :at, #ttl = :ttl'
          : 'SET #entity = :entity, #repositoryName = :repositoryName, #at = :at, #ttl = :ttl ADD #n :n',
        ExpressionAttributeNames: { '#entity': 'entity', '#repositoryName': 'repositoryName', '#n': 'imagesNotMonitored', '#at': 'at', '#ttl': LEDGER_TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':entity': 'coverage', ':repositoryName': repositoryName, ':n': imagesNotMonitored, ':at': now.toISOString(), ':ttl': this.ttl(now) },
      }),
    );
  }

  public async readDiscoveryMarker(): Promise<DiscoveryMarker | undefined> {
    const response = await this.client.send(new GetCommand({ TableName: this.options.tableName, Key: discoveryKey() }));
    return parseDiscoveryMarker(response.Item);
  }

  /** Records a completed discovery; an older one never replaces a newer. */
  public async writeDiscoveryMarker(marker: DiscoveryMarker, counts: Record<string, number>, now: Date): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...discoveryKey(),
            entity: 'discovery',
            startedAt: marker.startedAt.toISOString(),
            completedAt: marker.completedAt.toISOString(),
            ...counts,
            [LEDGER_TTL_ATTRIBUTE]: this.ttl(now),
          },
          ConditionExpression: 'attribute_not_exists(#startedAt) OR #startedAt <= :startedAt',
          ExpressionAttributeNames: { '#startedAt': 'startedAt' },
          ExpressionAttributeValues: { ':startedAt': marker.startedAt.toISOString() },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** What a report needs besides the image's entry, in one request: the discovery marker and the repository's cached owner. */
  public async readReportContext(repositoryName: string): Promise<{ marker?: DiscoveryMarker; owner?: CachedOwner }> {
    const marker = discoveryKey();
    const repository = repositoryKey(repositoryName);
    const items = await this.batchGet([marker, repository]);
    const cached = items.get(`${repository.pk}|${repository.sk}`);
    const readAt = isoDate(cached?.readAt);
    const owner: CachedOwner | undefined =
      cached && typeof cached.tagKey === 'string' && readAt
        ? { tagKey: cached.tagKey, readAt, ...(typeof cached.owner === 'string' ? { owner: cached.owner } : {}) }
        : undefined;
    return { marker: parseDiscoveryMarker(items.get(`${marker.pk}|${marker.sk}`)), ...(owner ? { owner } : {}) };
  }

  public async writeOwner(repositoryName: string, cached: CachedOwner, now: Date): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: {
          ...repositoryKey(repositoryName),
          entity: 'repository',
          repositoryName,
          tagKey: cached.tagKey,
          ...(cached.owner !== undefined ? { owner: cached.owner } : {}),
          readAt: cached.readAt.toISOString(),
          // Kept a little longer than it is used, so an expired cache is replaced, not missing.
          [LEDGER_TTL_ATTRIBUTE]: this.ttl(now, (2 * OWNER_CACHE_MS) / 1000),
        },
      }),
    );
  }

  /** Records that an accepted risk matched, at most once an hour per risk. */
  public async recordRiskMatch(riskKey: string, now: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: acceptedRiskRecordKey(riskKey),
          UpdateExpression: 'SET #entity = :entity, #riskKey = :riskKey, #lastMatchedAt = :now, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#lastMatchedAt) OR #lastMatchedAt < :hourAgo',
          ExpressionAttributeNames: { '#entity': 'entity', '#riskKey': 'riskKey', '#lastMatchedAt': 'lastMatchedAt', '#ttl': LEDGER_TTL_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':entity': 'accepted-risk',
            ':riskKey': riskKey,
            ':now': now.toISOString(),
            ':hourAgo': new Date(now.getTime() - 3600_000).toISOString(),
            ':ttl': this.ttl(now),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Each risk's record; a risk never checked before gets its first check now. */
  public async checkRisks(riskKeys: readonly string[], now: Date): Promise<Map<string, RiskRecord>> {
    const keys = riskKeys.map(acceptedRiskRecordKey);
    const items = await this.batchGet(keys);
    const records = new Map<string, RiskRecord>();
    for (const [i, riskKey] of riskKeys.entries()) {
      const item = items.get(`${keys[i].pk}|${keys[i].sk}`);
      const lastMatchedAt = isoDate(item?.lastMatchedAt);
      let firstCheckedAt = isoDate(item?.firstCheckedAt);
      if (!firstCheckedAt) {
        firstCheckedAt = now;
        await this.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: keys[i],
            UpdateExpression: 'SET #entity = :entity, #riskKey = :riskKey, #firstCheckedAt = if_not_exists(#firstCheckedAt, :now), #ttl = :ttl',
            ExpressionAttributeNames: { '#entity': 'entity', '#riskKey': 'riskKey', '#firstCheckedAt': 'firstCheckedAt', '#ttl': LEDGER_TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':entity': 'accepted-risk', ':riskKey': riskKey, ':now': now.toISOString(), ':ttl': this.ttl(now) },
          }),
        );
      }
      records.set(riskKey, { ...(lastMatchedAt ? { lastMatchedAt } : {}), firstCheckedAt });
    }
    return records;
  }
}
