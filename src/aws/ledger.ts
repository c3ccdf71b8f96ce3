/**
 * The ledger's DynamoDB reads and writes (the item's shape and rules: ../decisions/ledger.ts),
 * with the SDK's document client. Reads that fail after the client's retries are reported to the
 * caller, which then acts as if the ledger knew nothing (ECR is asked, or a report counts as new);
 * writes say whether they took effect. Nothing here decides what to report or scan.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mapWithConcurrency } from './concurrency';
import { IndexChild, IndexRef } from '../decisions/image-index';
import {
  ClaimRecord,
  FailureReportRecord,
  IMAGE_ENTITY,
  LEDGER_SCHEMA_VERSION,
  LEDGER_TTL_ATTRIBUTE,
  LedgerRead,
  ReportRecord,
  ScanRecord,
  imageKey,
  parseLedgerItem,
} from '../decisions/ledger';

/** BatchGetItem takes at most 100 keys. */
export const KEYS_PER_BATCH_GET = 100;
/** Rounds of UnprocessedKeys retried before the rest is reported unread. */
const UNPROCESSED_ROUNDS = 5;
/** The attributes the rescan walk reads: not the last report's finding ids. */
const SCAN_VIEW = [
  'pk', 'sk', 'entity', 'schemaVersion', 'repositoryName', 'imageDigest', 'imageTags', 'scan', 'inUse', 'deferredOn', 'index', 'children', 'version', LEDGER_TTL_ATTRIBUTE,
];

export interface LedgerOptions {
  readonly tableName: string;
  /** Seconds an entry lives after each write (its TTL). */
  readonly ttlSeconds: number;
  /** Waits between rounds of UnprocessedKeys; replaced in tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What a batch read returns: one read per digest asked for; `unread` lists the digests DynamoDB did not return. */
export interface BatchRead {
  readonly reads: Map<string, LedgerRead>;
  readonly unread: readonly string[];
}

/** How a write is guarded. */
export type WriteGuard =
  /** Only if the item is still the one read (its `version`, or its absence): the report function's lock. */
  | { readonly kind: 'locked'; readonly read: LedgerRead }
  /** Only if the item holds no later scan observation: writes from ECR answers that need no read. */
  | { readonly kind: 'monotonic' };

export interface EntryWrite {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags?: readonly string[];
  readonly scan?: ScanRecord;
  readonly lastReport?: ReportRecord;
  readonly failureReport?: FailureReportRecord;
  readonly claim?: ClaimRecord;
  /** Attributes to remove: a COMPLETE scan ends the failure report; a commit ends the claim; a started scan ends a deferral. */
  readonly remove?: readonly ('failureReport' | 'claim' | 'deferredOn')[];
}

/** The item as DynamoDB stores it: dates as ISO-8601 strings. */
function stored(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(stored);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, stored(v)]));
  }
  return value;
}

/**
 * The parts of an UpdateItem that set `attributes` on an image's item and make it a bare entry
 * when there is none (its entity, schema, names and a version of 0), with a fresh TTL. Used by the
 * writes that never bump `version`: where an image runs, a deferral, an index's manifests.
 */
export function bareEntryUpdate(
  image: { readonly repositoryName: string; readonly imageDigest: string },
  attributes: Readonly<Record<string, unknown>>,
  ttl: number,
): { UpdateExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, unknown> } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  for (const [name, value] of Object.entries(attributes)) {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new Error(`not a plain attribute name: ${name}`);
    names[`#${name}`] = name;
    values[`:${name}`] = stored(value);
    sets.push(`#${name} = :${name}`);
  }
  return {
    UpdateExpression:
      `SET ${sets.join(', ')}, #entity = :entity, #schemaVersion = :schemaVersion, #repositoryName = :repositoryName, ` +
      '#imageDigest = :imageDigest, #version = if_not_exists(#version, :zero), #ttl = :ttl',
    ExpressionAttributeNames: {
      ...names,
      '#entity': 'entity',
      '#schemaVersion': 'schemaVersion',
      '#repositoryName': 'repositoryName',
      '#imageDigest': 'imageDigest',
      '#version': 'version',
      '#ttl': LEDGER_TTL_ATTRIBUTE,
    },
    ExpressionAttributeValues: {
      ...values,
      ':entity': IMAGE_ENTITY,
      ':schemaVersion': LEDGER_SCHEMA_VERSION,
      ':repositoryName': image.repositoryName,
      ':imageDigest': image.imageDigest,
      ':zero': 0,
      ':ttl': ttl,
    },
  };
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: unknown })?.name === 'ConditionalCheckFailedException';
}

export class Ledger {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly options: LedgerOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /**
   * The entries of up to 100 digests of one repository, eventually consistent, without the
   * finding ids of their last reports (with where they run, for `rescanScope`). Keys DynamoDB leaves unprocessed are asked again with
   * back-off; a request that fails throws, and the caller falls back to ECR.
   */
  public async readMany(repositoryName: string, imageDigests: readonly string[], now: Date): Promise<BatchRead> {
    if (imageDigests.length > KEYS_PER_BATCH_GET) throw new Error(`at most ${KEYS_PER_BATCH_GET} digests per read; got ${imageDigests.length}`);
    const reads = new Map<string, LedgerRead>();
    const digestOf = new Map(imageDigests.map((d) => [imageKey(repositoryName, d).pk, d]));
    let keys: Record<string, unknown>[] = [...new Set(imageDigests)].map((d) => ({ ...imageKey(repositoryName, d) }));
    for (let round = 0; keys.length > 0 && round < UNPROCESSED_ROUNDS; round++) {
      if (round > 0) await this.sleep(50 * 2 ** round * (0.5 + Math.random()));
      const response = await this.client.send(
        new BatchGetCommand({
          RequestItems: {
            [this.options.tableName]: {
              Keys: keys,
              ProjectionExpression: SCAN_VIEW.map((_, i) => `#a${i}`).join(', '),
              ExpressionAttributeNames: Object.fromEntries(SCAN_VIEW.map((name, i) => [`#a${i}`, name])),
            },
          },
        }),
      );
      for (const item of response.Responses?.[this.options.tableName] ?? []) {
        const digest = digestOf.get(item.pk as string);
        if (digest !== undefined) reads.set(digest, parseLedgerItem(item, { repositoryName, imageDigest: digest }, now));
      }
      keys = (response.UnprocessedKeys?.[this.options.tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
    const unread = keys.map((k) => digestOf.get(k.pk as string)).filter((d): d is string => d !== undefined);
    for (const digest of imageDigests) {
      if (!reads.has(digest) && !unread.includes(digest)) reads.set(digest, { exists: false });
    }
    return { reads, unread };
  }

  /** One digest's whole entry, strongly consistent: what the report function decides on. */
  public async read(repositoryName: string, imageDigest: string, now: Date): Promise<LedgerRead> {
    const response = await this.client.send(
      new GetCommand({ TableName: this.options.tableName, Key: imageKey(repositoryName, imageDigest), ConsistentRead: true }),
    );
    return parseLedgerItem(response.Item, { repositoryName, imageDigest }, now);
  }

  /**
   * Writes the given parts of a digest's entry, guarded. Returns false when the guard refused:
   * under `monotonic` the ledger already holds a later observation (nothing to do); under
   * `locked` the item changed since it was read (read again and decide again).
   */
  public async write(change: EntryWrite, guard: WriteGuard, now: Date): Promise<boolean> {
    const names: Record<string, string> = { '#version': 'version', '#ttl': LEDGER_TTL_ATTRIBUTE };
    const values: Record<string, unknown> = {};
    const set: string[] = [];
    const put = (attribute: string, value: unknown) => {
      const n = `#${attribute}`;
      names[n] = attribute;
      values[`:${attribute}`] = stored(value);
      set.push(`${n} = :${attribute}`);
    };
    put('entity', IMAGE_ENTITY);
    put('schemaVersion', LEDGER_SCHEMA_VERSION);
    put('repositoryName', change.repositoryName);
    put('imageDigest', change.imageDigest);
    if (change.imageTags !== undefined) put('imageTags', change.imageTags);
    if (change.scan) put('scan', change.scan);
    if (change.lastReport) put('lastReport', change.lastReport);
    if (change.failureReport) put('failureReport', change.failureReport);
    if (change.claim) put('claim', change.claim);
    values[':expiresAt'] = Math.floor(now.getTime() / 1000) + this.options.ttlSeconds;
    set.push('#ttl = :expiresAt');

    let condition: string;
    if (guard.kind === 'locked') {
      const { read } = guard;
      const raw = read.rawVersion;
      values[':nextVersion'] = (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 ? raw : 0) + 1;
      set.push('#version = :nextVersion');
      if (!read.exists) {
        names['#pk'] = 'pk';
        condition = 'attribute_not_exists(#pk)';
      } else if (raw === undefined) {
        names['#pk'] = 'pk';
        condition = 'attribute_exists(#pk) AND attribute_not_exists(#version)';
      } else {
        values[':readVersion'] = raw;
        condition = '#version = :readVersion';
      }
    } else {
      if (!change.scan) throw new Error('a monotonic write records a scan observation');
      names['#scanMap'] = 'scan';
      names['#observedAt'] = 'observedAt';
      values[':observedAt'] = change.scan.observedAt.toISOString();
      values[':zero'] = 0;
      values[':one'] = 1;
      set.push('#version = if_not_exists(#version, :zero) + :one');
      condition = 'attribute_not_exists(#scanMap.#observedAt) OR #scanMap.#observedAt <= :observedAt';
    }
    // An entry that could not be parsed is replaced so that it parses again: what this write sets, and
    // the walk's unversioned marks removed (a deferral, what an index lists), which the next walk writes again.
    const replacing = guard.kind === 'locked' && guard.read.ignored !== undefined ? (['deferredOn', 'index', 'children'] as const) : [];
    const remove = [...new Set([...(change.remove ?? []), ...replacing])].map((attribute) => {
      names[`#${attribute}`] = attribute;
      return `#${attribute}`;
    });
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: imageKey(change.repositoryName, change.imageDigest),
          UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Marks a digest deferred by the daily scan budget on `day` (budget.ts), creating a bare entry
   * when there is none, without bumping `version` (no part of a report's claim). False when it
   * was already marked that day, so each digest counts once a day among the deferred.
   */
  public async markDeferred(repositoryName: string, imageDigest: string, day: string, now: Date): Promise<boolean> {
    const update = bareEntryUpdate({ repositoryName, imageDigest }, { deferredOn: day }, this.ttl(now));
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: imageKey(repositoryName, imageDigest),
          ...update,
          ConditionExpression: 'attribute_not_exists(#deferredOn) OR #deferredOn <> :deferredOn',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Records what an image index lists (../decisions/image-index.ts): each listed manifest's entry
   * gets the index (its digest, tags, the manifest's role and platform), then the index's entry
   * gets the list and the tags written, so that a walk reads the manifest once and writes again
   * only when the index's tags change. Neither write bumps `version`. A failure part-way leaves
   * the index's entry without the list (or with the old tags): the next walk writes them again.
   */
  public async recordIndex(
    repositoryName: string,
    index: { readonly digest: string; readonly tags: readonly string[] },
    children: readonly IndexChild[],
    now: Date,
    concurrency = 4,
  ): Promise<void> {
    const ttl = this.ttl(now);
    const set = async (imageDigest: string, attributes: Record<string, unknown>) => {
      const update = bareEntryUpdate({ repositoryName, imageDigest }, attributes, ttl);
      await this.client.send(new UpdateCommand({ TableName: this.options.tableName, Key: imageKey(repositoryName, imageDigest), ...update }));
    };
    await mapWithConcurrency(children, concurrency, async (child) => {
      const platform = child.platform ? { platform: child.platform } : {};
      const ref: IndexRef = { digest: index.digest, tags: [...index.tags], role: child.role, ...platform };
      await set(child.digest, { index: ref });
    });
    await set(index.digest, { children: { manifests: children.map((c) => ({ ...c })), tags: [...index.tags] } });
  }

  private ttl(now: Date): number {
    return Math.floor(now.getTime() / 1000) + this.options.ttlSeconds;
  }

  /**
   * Ends a claim: records the report (`commit`) or gives the report back (`release`, after a
   * failed Publish), only if this attempt's claim is still there. False when another attempt
   * took the claim over after it expired.
   */
  public async settleClaim(
    repositoryName: string,
    imageDigest: string,
    claimId: string,
    record: { lastReport?: ReportRecord; failureReport?: FailureReportRecord },
    now: Date,
  ): Promise<boolean> {
    const names: Record<string, string> = { '#claim': 'claim', '#id': 'id', '#version': 'version', '#ttl': LEDGER_TTL_ATTRIBUTE };
    const values: Record<string, unknown> = { ':claimId': claimId, ':one': 1, ':expiresAt': Math.floor(now.getTime() / 1000) + this.options.ttlSeconds };
    const set = ['#version = #version + :one', '#ttl = :expiresAt'];
    for (const [attribute, value] of Object.entries(record)) {
      if (value === undefined) continue;
      names[`#${attribute}`] = attribute;
      values[`:${attribute}`] = stored(value);
      set.push(`#${attribute} = :${attribute}`);
    }
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: imageKey(repositoryName, imageDigest),
          UpdateExpression: `SET ${set.join(', ')} REMOVE #claim`,
          ConditionExpression: '#claim.#id = :claimId',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
