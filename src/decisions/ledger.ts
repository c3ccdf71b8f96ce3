/**
 * The ledger: what ECR last said about each image digest and what was last reported about it,
 * one DynamoDB item per repository and digest in the table the construct creates. This module is
 * the item's shape, its parsing (an item that does not parse is ignored, never trusted), and the
 * rules that read it: whether the rescan walk may decide a digest without asking ECR, and how a
 * new observation merges into what the ledger knew. Plain module, no AWS client.
 *
 * Why this design (docs/ledger.md has the long form):
 * - One item per digest (`pk` = `image#<repository>@<digest>`, `sk` = `image`). The walk reads
 *   100 of them per BatchGetItem, the report function one per event, and every question the
 *   functions ask is about one digest. The table's key is a generic `pk`/`sk` pair, so later
 *   kinds of item (in-use records, owners, summaries) fit in the same table without a new one.
 * - Every fact comes from one of ECR's own answers: a scan event, DescribeImageScanFindings, or
 *   StartImageScan. ECR's completion times only move forward, so a ledger that missed an answer
 *   is wrong only in the "older" direction, and a write never moves an entry back in time
 *   (`scan.observedAt` guards it).
 * - A TTL (`expiresAt`) drops entries that nothing has written for a while: the entries of
 *   deleted images. An entry past its TTL that DynamoDB has not deleted yet is read as absent.
 */
import { IndexChild, IndexRef } from './image-index';
import { InUsePlace, parseInUse } from './in-use';
import { SeverityCounts } from './report';

export const LEDGER_SCHEMA_VERSION = 1;
/** The table's key attributes and its TTL attribute: the construct creates the table with these. */
export const LEDGER_PARTITION_KEY = 'pk';
export const LEDGER_SORT_KEY = 'sk';
export const LEDGER_TTL_ATTRIBUTE = 'expiresAt';
/** The `entity` of an image digest's item. */
export const IMAGE_ENTITY = 'image';

/** A ledger entry is dropped this long after its last write, or 3 scan expiries, whichever is longer. */
export const MIN_ENTRY_TTL_DAYS = 90;
/** A completion time further in the future than this is not believed (clock skew allows a little). */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

export interface LedgerKey {
  readonly pk: string;
  readonly sk: string;
}

export function imageKey(repositoryName: string, imageDigest: string): LedgerKey {
  return { pk: `${IMAGE_ENTITY}#${repositoryName}@${imageDigest}`, sk: IMAGE_ENTITY };
}

/** The marker of the last completed in-use discovery (in-use.ts): one item per reporter. */
export function discoveryKey(): LedgerKey {
  return { pk: 'discovery', sk: 'in-use' };
}

/** A repository's cached owner tag (owners.ts), read once a day. */
export function repositoryKey(repositoryName: string): LedgerKey {
  return { pk: `repository#${repositoryName}`, sk: 'repository' };
}

/** When an accepted risk (accepted-risks.ts, `acceptedRiskKey`) last matched a finding. */
export function acceptedRiskRecordKey(riskKey: string): LedgerKey {
  return { pk: `accepted-risk#${riskKey}`, sk: 'accepted-risk' };
}

/** The daily scan budget's counters for one UTC day (budget.ts, ../aws/scan-budget.ts). */
export function budgetKey(day: string): LedgerKey {
  return { pk: `scan-budget#${day}`, sk: 'scan-budget' };
}

/** Under enhanced scanning, a repository's images whose monitoring expired at its last walk (coverage.ts), for the summary. */
export function coverageKey(repositoryName: string): LedgerKey {
  return { pk: `coverage#${repositoryName}`, sk: 'coverage' };
}

/** What the last registry summary kept for the next one's trend (summary.ts): one item per reporter. */
export function summaryKey(): LedgerKey {
  return { pk: 'summary', sk: 'summary' };
}

/** Seconds an entry lives after its last write: 3 scan expiries, at least 90 days. */
export function entryTtlSeconds(scanExpiryMs: number): number {
  return Math.max(MIN_ENTRY_TTL_DAYS * 86_400, Math.ceil((3 * scanExpiryMs) / 1000));
}

/** Where a scan state came from: always one of ECR's own answers. */
export type ScanSource = 'scan-event' | 'status-read' | 'start-image-scan';

/** What ECR last said about a digest's scan. */
export interface ScanRecord {
  /** `imageScanStatus.status` (COMPLETE, FAILED, IN_PROGRESS, UNSUPPORTED_IMAGE, LIMIT_EXCEEDED, ...). */
  readonly status: string;
  /** When ECR said it: the event's time, or the time of the read or the StartImageScan answer. */
  readonly observedAt: Date;
  readonly source: ScanSource;
  /** The end of the last COMPLETE scan; kept when a later scan FAILED. */
  readonly completedAt?: Date;
  /** The last COMPLETE scan's counts by severity (ECR omits zeros). */
  readonly severityCounts: SeverityCounts;
  /**
   * The ids of the last COMPLETE scan's findings at the severities that reached their thresholds,
   * when known: [] when none reached a threshold, absent when the findings were not read.
   */
  readonly findingIds?: readonly string[];
  /** `imageScanStatus.description`, when ECR gave one. */
  readonly description?: string;
}

/** The last report of a digest's findings. */
export interface ReportRecord {
  readonly at: Date;
  /** Which scan it reported (see `scanKey` in report-on.ts). */
  readonly scanKey: string;
  /** The scan event that led to it. */
  readonly eventId: string;
  readonly reason: string;
  /** Ids of the findings at the severities that reached their thresholds: what the report listed. */
  readonly findingIds: readonly string[];
  /** The scan's counts, for the rule on findings that could not all be read. */
  readonly severityCounts: SeverityCounts;
}

/** The last report of a FAILED scan; removed once a COMPLETE scan is recorded. */
export interface FailureReportRecord {
  readonly at: Date;
  readonly scanKey: string;
  readonly eventId: string;
}

/** A report function's claim on a report: written before Publish, removed by the commit after it. */
export interface ClaimRecord {
  /** Unique per attempt: only the attempt that wrote the claim commits or releases it. */
  readonly id: string;
  readonly scanKey: string;
  readonly eventId: string;
  /** After this, another event may take the report over (its holder is taken to be dead). */
  readonly expiresAt: Date;
}

export interface LedgerEntry {
  readonly repositoryName: string;
  readonly imageDigest: string;
  /** The tags last seen with the digest. */
  readonly imageTags: readonly string[];
  readonly scan?: ScanRecord;
  readonly lastReport?: ReportRecord;
  readonly failureReport?: FailureReportRecord;
  readonly claim?: ClaimRecord;
  /**
   * Where the in-use discovery saw the digest run (in-use.ts); [] when it never did. Only the
   * discovery writes it, and without bumping `version`: it is no part of a report's claim.
   * Absent when the discovery never saw it.
   */
  readonly inUse?: readonly InUsePlace[];
  /**
   * The UTC day (YYYY-MM-DD) the daily scan budget last deferred the digest (budget.ts): it comes
   * first on a later day. Removed when a scan of it starts or a COMPLETE scan of it is recorded; written
   * without bumping `version`.
   */
  readonly deferredOn?: string;
  /**
   * On a platform image or an attestation manifest: the image index that lists it, as the rescan walk
   * last read it (image-index.ts), with the index's tags then. Written by the walk without bumping
   * `version`. When several indexes list the same manifest, the one read last.
   */
  readonly index?: IndexRef;
  /**
   * On an image index: the manifests it lists, recorded once its manifest was read (a digest's
   * manifest never changes), and the index's tags when they were written onto those manifests'
   * entries. Written without bumping `version`.
   */
  readonly children?: { readonly manifests: readonly IndexChild[]; readonly tags: readonly string[] };
  /** Bumped by every write: the optimistic lock of the report function's claim. */
  readonly version: number;
}

/**
 * One read of a digest's item: the entry when it parsed, why it was ignored when it did not, and
 * the raw `version` attribute either way, so a write can replace exactly the item that was read.
 */
export interface LedgerRead {
  readonly exists: boolean;
  readonly entry?: LedgerEntry;
  /** Set when the item exists but cannot be used; the functions then act as if it were absent. */
  readonly ignored?: string;
  /** The item's `version` attribute as stored (any type), or undefined when it has none. */
  readonly rawVersion?: unknown;
}

export const ABSENT: LedgerRead = { exists: false };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function date(value: unknown, field: string): Date {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new Error(`${field} is not an ISO-8601 time: ${JSON.stringify(value)}`);
  }
  return new Date(value);
}

function optionalDate(value: unknown, field: string): Date | undefined {
  return value === undefined ? undefined : date(value, field);
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${field} is not a non-empty string: ${JSON.stringify(value)}`);
  return value;
}

function strings(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new Error(`${field} is not a list of strings`);
  return value as string[];
}

function counts(value: unknown, field: string): SeverityCounts {
  if (value === undefined) return {};
  if (!isObject(value)) throw new Error(`${field} is not a map of counts`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`${field}.${k} is not a whole number: ${JSON.stringify(v)}`);
  }
  return value as SeverityCounts;
}

const SOURCES: readonly ScanSource[] = ['scan-event', 'status-read', 'start-image-scan'];

function parseScan(value: unknown, now: Date): ScanRecord | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new Error('scan is not a map');
  const source = value.source;
  if (!SOURCES.includes(source as ScanSource)) throw new Error(`scan.source is not one of ${SOURCES.join(', ')}: ${JSON.stringify(source)}`);
  const observedAt = date(value.observedAt, 'scan.observedAt');
  const completedAt = optionalDate(value.completedAt, 'scan.completedAt');
  for (const [field, at] of [['scan.observedAt', observedAt], ['scan.completedAt', completedAt]] as const) {
    if (at && at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) throw new Error(`${field} is in the future: ${at.toISOString()}`);
  }
  return {
    status: text(value.status, 'scan.status'),
    observedAt,
    source: source as ScanSource,
    ...(completedAt ? { completedAt } : {}),
    severityCounts: counts(value.severityCounts, 'scan.severityCounts'),
    ...(value.findingIds !== undefined ? { findingIds: strings(value.findingIds, 'scan.findingIds') } : {}),
    ...(typeof value.description === 'string' ? { description: value.description } : {}),
  };
}

function parseReport(value: unknown): ReportRecord | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new Error('lastReport is not a map');
  return {
    at: date(value.at, 'lastReport.at'),
    scanKey: text(value.scanKey, 'lastReport.scanKey'),
    eventId: text(value.eventId, 'lastReport.eventId'),
    reason: text(value.reason, 'lastReport.reason'),
    findingIds: strings(value.findingIds, 'lastReport.findingIds'),
    severityCounts: counts(value.severityCounts, 'lastReport.severityCounts'),
  };
}

function parseFailureReport(value: unknown): FailureReportRecord | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new Error('failureReport is not a map');
  return { at: date(value.at, 'failureReport.at'), scanKey: text(value.scanKey, 'failureReport.scanKey'), eventId: text(value.eventId, 'failureReport.eventId') };
}

function parseClaim(value: unknown): ClaimRecord | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) throw new Error('claim is not a map');
  return {
    id: text(value.id, 'claim.id'),
    scanKey: text(value.scanKey, 'claim.scanKey'),
    eventId: text(value.eventId, 'claim.eventId'),
    expiresAt: date(value.expiresAt, 'claim.expiresAt'),
  };
}

function deferredOnOf(value: unknown): { deferredOn?: string } {
  if (value === undefined) return {};
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new Error(`deferredOn is not a day (YYYY-MM-DD): ${JSON.stringify(value)}`);
  }
  return { deferredOn: value };
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

function indexOf(value: unknown): { index?: IndexRef } {
  if (value === undefined) return {};
  if (!isObject(value)) throw new Error('index is not a map');
  if (typeof value.digest !== 'string' || !DIGEST.test(value.digest)) throw new Error(`index.digest is not a sha256 digest: ${JSON.stringify(value.digest)}`);
  if (value.role !== 'platform' && value.role !== 'attestation') throw new Error(`index.role is not platform or attestation: ${JSON.stringify(value.role)}`);
  if (value.platform !== undefined && typeof value.platform !== 'string') throw new Error('index.platform is not a string');
  return {
    index: {
      digest: value.digest,
      tags: value.tags === undefined ? [] : strings(value.tags, 'index.tags'),
      role: value.role,
      ...(typeof value.platform === 'string' ? { platform: value.platform } : {}),
    },
  };
}

function childrenOf(value: unknown): { children?: LedgerEntry['children'] } {
  if (value === undefined) return {};
  if (!isObject(value)) throw new Error('children is not a map');
  if (!Array.isArray(value.manifests)) throw new Error('children.manifests is not a list');
  const manifests = value.manifests.map((m: unknown, i: number): IndexChild => {
    if (!isObject(m) || typeof m.digest !== 'string' || !DIGEST.test(m.digest)) throw new Error(`children.manifests[${i}].digest is not a sha256 digest`);
    if (m.role !== 'platform' && m.role !== 'attestation') throw new Error(`children.manifests[${i}].role is not platform or attestation: ${JSON.stringify(m.role)}`);
    return { digest: m.digest, role: m.role, ...(typeof m.platform === 'string' ? { platform: m.platform } : {}) };
  });
  return { children: { manifests, tags: value.tags === undefined ? [] : strings(value.tags, 'children.tags') } };
}

function inUseOf(value: unknown): { inUse?: InUsePlace[] } {
  const places = parseInUse(value);
  return places.length > 0 ? { inUse: places } : {};
}

/**
 * Reads a ledger item (as the DynamoDB document client returns it) for the digest it was asked
 * for. An item past its TTL is absent; an item that does not parse, that another schema wrote, or
 * that names another digest is ignored, with the reason. Attributes a projection left out are
 * simply absent.
 */
export function parseLedgerItem(item: unknown, expected: { repositoryName: string; imageDigest: string }, now: Date): LedgerRead {
  if (item === undefined || item === null) return ABSENT;
  if (!isObject(item)) return { exists: true, ignored: 'the item is not a map' };
  const rawVersion = item.version;
  const ignore = (reason: string): LedgerRead => ({ exists: true, ignored: reason, rawVersion });
  const ttl = item[LEDGER_TTL_ATTRIBUTE];
  if (typeof ttl === 'number' && ttl * 1000 <= now.getTime()) return { exists: true, rawVersion };
  if (item.entity !== IMAGE_ENTITY) return ignore(`entity is ${JSON.stringify(item.entity)}, not "${IMAGE_ENTITY}"`);
  if (item.schemaVersion !== LEDGER_SCHEMA_VERSION) {
    return ignore(`schemaVersion is ${JSON.stringify(item.schemaVersion)}; this version of cdk-ecr-scan-reporter reads ${LEDGER_SCHEMA_VERSION}`);
  }
  if (item.repositoryName !== expected.repositoryName || item.imageDigest !== expected.imageDigest) {
    return ignore(`the item names ${JSON.stringify(item.repositoryName)} @ ${JSON.stringify(item.imageDigest)}, not the digest it is keyed by`);
  }
  if (typeof rawVersion !== 'number' || !Number.isInteger(rawVersion) || rawVersion < 0) {
    return ignore(`version is not a whole number: ${JSON.stringify(rawVersion)}`);
  }
  try {
    const entry: LedgerEntry = {
      repositoryName: expected.repositoryName,
      imageDigest: expected.imageDigest,
      imageTags: item.imageTags === undefined ? [] : strings(item.imageTags, 'imageTags'),
      scan: parseScan(item.scan, now),
      lastReport: parseReport(item.lastReport),
      failureReport: parseFailureReport(item.failureReport),
      claim: parseClaim(item.claim),
      ...inUseOf(item.inUse),
      ...deferredOnOf(item.deferredOn),
      ...indexOf(item.index),
      ...childrenOf(item.children),
      version: rawVersion,
    };
    return { exists: true, entry, rawVersion };
  } catch (error) {
    return ignore((error as Error).message);
  }
}

/**
 * What the rescan walk makes of a digest's entry: a scan state it can decide on without asking
 * ECR, or a reason to read the state from ECR as the stateless walk does.
 *
 * | entry | the walk |
 * |---|---|
 * | COMPLETE with a completion time | decides on it: `fresh` while younger than `scanExpiry`, else due (no status read; StartImageScan's LimitExceededException still guards the 24-hour rule) |
 * | COMPLETE, but the image was pushed after that scan completed | reads the state from ECR: the digest was deleted and pushed again, and its scan went with the deleted image |
 * | UNSUPPORTED_IMAGE, observed less than `recheckMs` (the scan expiry) ago, and not pushed since | decides on it: skipped `unsupported-image`, without a status read. A digest's content never changes, so what ECR cannot scan it still cannot; once per scan expiry the walk asks again, in case ECR has learnt to |
 * | absent, expired by its TTL, ignored, or any other status (IN_PROGRESS, FAILED, LIMIT_EXCEEDED, UNSUPPORTED_IMAGE older than that, ...) | reads the state from ECR, and writes it back |
 */
export type LedgerVerdict =
  | { readonly use: { readonly status: 'COMPLETE'; readonly completedAt: Date; readonly severityCounts: SeverityCounts } }
  | { readonly use: { readonly status: 'UNSUPPORTED_IMAGE'; readonly description?: string } }
  | { readonly read: 'absent' | 'ignored' | 'not-complete' | 'pushed-after-scan' };

/** When an UNSUPPORTED_IMAGE entry may be decided on: the walk's time, and how long such an observation holds. */
export interface RecheckPolicy {
  readonly now: Date;
  readonly recheckMs: number;
}

/**
 * The walk's verdict on a digest's entry, given the image's push time from `DescribeImages`.
 *
 * ECR's completion times only move forward while an image lives; deleting it deletes its scan,
 * and the same digest pushed again has none. The entry outlives the image (its TTL), so a push
 * later than the recorded scan sends the walk to ECR, at the cost of one read.
 */
export function ledgerVerdict(read: LedgerRead, imagePushedAt?: Date, recheck?: RecheckPolicy): LedgerVerdict {
  if (read.ignored !== undefined) return { read: 'ignored' };
  const scan = read.entry?.scan;
  if (!scan) return { read: 'absent' };
  if (scan.status === 'UNSUPPORTED_IMAGE' && recheck) {
    const recent = recheck.now.getTime() - scan.observedAt.getTime() < recheck.recheckMs;
    const pushedSince = imagePushedAt !== undefined && imagePushedAt.getTime() > scan.observedAt.getTime();
    if (recent && !pushedSince) return { use: { status: 'UNSUPPORTED_IMAGE', ...(scan.description ? { description: scan.description } : {}) } };
  }
  if (scan.status !== 'COMPLETE' || !scan.completedAt) return { read: 'not-complete' };
  if (imagePushedAt && imagePushedAt.getTime() > scan.completedAt.getTime()) return { read: 'pushed-after-scan' };
  return { use: { status: 'COMPLETE', completedAt: scan.completedAt, severityCounts: scan.severityCounts } };
}

/**
 * A new observation merged into what the ledger knew. The later observation wins, but the last
 * COMPLETE scan's time, counts and finding ids survive a later FAILED, IN_PROGRESS or other
 * status. Undefined when the observation is older than what the ledger has: it is dropped.
 */
export function mergeScan(known: ScanRecord | undefined, observed: ScanRecord): ScanRecord | undefined {
  if (known && observed.observedAt.getTime() < known.observedAt.getTime()) return undefined;
  if (observed.status === 'COMPLETE' || !known?.completedAt) return observed;
  return {
    ...observed,
    completedAt: known.completedAt,
    severityCounts: known.severityCounts,
    ...(known.findingIds ? { findingIds: known.findingIds } : {}),
  };
}
