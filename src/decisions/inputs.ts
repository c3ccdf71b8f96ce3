/**
 * What the handlers accept, checked before anything acts on it: the rescan
 * queue's message body and the EventBridge scan event. A bad input throws an
 * `InvalidInputError` whose message says what is wrong; the handler fails that
 * one record (or event) with a log line, and the queue's redrive or the
 * function's on-failure destination keeps it.
 */

export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

// ECR's repository name rule (CreateRepository API reference), 2 to 256 characters.
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const IMAGE_DIGEST = /^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/;

export function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}... (${text.length} characters)` : text;
}

export function isRepositoryName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 2 && value.length <= 256 && REPOSITORY_NAME.test(value);
}

/**
 * Where a walk that ran out of time resumes: the digests of a page already read but not
 * yet evaluated, then the page after `nextToken`. Absent `nextToken`: no page is left after
 * the pending digests.
 */
export interface RescanContinuation {
  /** DescribeImages' token for the next page to read. */
  readonly nextToken?: string;
  /** Digests listed but not yet evaluated, in page order. */
  readonly pendingDigests?: string[];
  /** 1 for the first continuation of a walk, then 2, 3, ...; at most `MAX_CONTINUATION_PARTS`. */
  readonly part: number;
}

/** The rescan queue's message: one repository to walk, from the start or from a continuation. */
export interface RescanMessage {
  readonly repositoryName: string;
  readonly continuation?: RescanContinuation;
}

/**
 * A walk (or a dispatch) continues at most this many times. Each part makes progress, so
 * only a bug could reach it; the message then fails and ends in the dead-letter queue
 * instead of continuing forever. 100,000 images (ECR's per-repository quota) took 243 parts with a
 * 5-second timeout in the scale benchmark (docs/performance.md).
 */
export const MAX_CONTINUATION_PARTS = 10_000;

/** The most digests a continuation carries: one DescribeImages page. */
export const MAX_PENDING_DIGESTS = 1000;

export function rescanMessageBody(message: RescanMessage): string {
  const { repositoryName, continuation } = message;
  return JSON.stringify(continuation ? { repositoryName, continuation } : { repositoryName });
}

function parsePart(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_CONTINUATION_PARTS) {
    throw new InvalidInputError(`${where}.part must be a whole number from 1 to ${MAX_CONTINUATION_PARTS}: ${preview(value)}`);
  }
  return value;
}

function parseNextToken(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new InvalidInputError(`${where}.nextToken must be a non-empty string: ${preview(value)}`);
  }
  return value;
}

function parseContinuation(value: unknown): RescanContinuation {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`message continuation must be an object: ${preview(value)}`);
  }
  const c = value as Record<string, unknown>;
  const part = parsePart(c.part, 'continuation');
  const nextToken = parseNextToken(c.nextToken, 'continuation');
  let pendingDigests: string[] | undefined;
  if (c.pendingDigests !== undefined) {
    const list = c.pendingDigests;
    if (!Array.isArray(list) || list.length > MAX_PENDING_DIGESTS || !list.every((d) => typeof d === 'string' && IMAGE_DIGEST.test(d))) {
      throw new InvalidInputError(`continuation.pendingDigests must be a list of at most ${MAX_PENDING_DIGESTS} image digests: ${preview(list)}`);
    }
    pendingDigests = list as string[];
  }
  if (nextToken === undefined && (pendingDigests === undefined || pendingDigests.length === 0)) {
    throw new InvalidInputError(`continuation has nothing to resume: it needs nextToken or pendingDigests: ${preview(value)}`);
  }
  return { part, ...(nextToken !== undefined ? { nextToken } : {}), ...(pendingDigests ? { pendingDigests } : {}) };
}

export function parseRescanMessage(body: string): RescanMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidInputError(`message body is not JSON: ${preview(body)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidInputError(`message body must be a JSON object with repositoryName: ${preview(body)}`);
  }
  const { repositoryName, continuation } = parsed as Record<string, unknown>;
  if (!isRepositoryName(repositoryName)) {
    throw new InvalidInputError(`message repositoryName is not a valid ECR repository name: ${preview(repositoryName)}`);
  }
  return continuation === undefined ? { repositoryName } : { repositoryName, continuation: parseContinuation(continuation) };
}

/** Dispatch's own continuation: the DescribeRepositories page to list next. */
export interface DispatchContinuation {
  readonly nextToken: string;
  readonly part: number;
}

/**
 * The dispatch function's event: the schedule's event (any other content is ignored, so a
 * test invocation with `{}` runs a full dispatch), or `{"continuation": {...}}` sent by
 * dispatch itself when a registry is too large for one invocation.
 */
export function parseDispatchEvent(event: unknown): DispatchContinuation | undefined {
  if (typeof event !== 'object' || event === null || !('continuation' in event)) return undefined;
  const value = (event as { continuation: unknown }).continuation;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`dispatch continuation must be an object: ${preview(value)}`);
  }
  const c = value as Record<string, unknown>;
  const part = parsePart(c.part, 'continuation');
  const nextToken = parseNextToken(c.nextToken, 'continuation');
  if (nextToken === undefined) throw new InvalidInputError(`dispatch continuation needs nextToken: ${preview(value)}`);
  return { nextToken, part };
}

/** The in-use discovery's own continuation: where the walk resumes, and when this discovery started. */
export interface DiscoverContinuation {
  readonly startedAt: Date;
  readonly part: number;
  readonly phase: 'ecs' | 'lambda';
  readonly clustersToken?: string;
  readonly clustersListed?: boolean;
  readonly pendingClusters?: readonly string[];
  readonly functionsMarker?: string;
}

/** Clusters a continuation carries at most: one ListClusters page. */
const MAX_PENDING_CLUSTERS = 100;

/**
 * The discovery function's event: the schedule's event (anything else starts a discovery), or
 * `{"continuation": {...}}` sent by the function itself when the account is too large for one
 * invocation.
 */
export function parseDiscoverEvent(event: unknown): DiscoverContinuation | undefined {
  if (typeof event !== 'object' || event === null || !('continuation' in event)) return undefined;
  const value = (event as { continuation: unknown }).continuation;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`discovery continuation must be an object: ${preview(value)}`);
  }
  const c = value as Record<string, unknown>;
  const part = parsePart(c.part, 'continuation');
  const startedAt = typeof c.startedAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(c.startedAt) ? new Date(c.startedAt) : undefined;
  if (!startedAt || Number.isNaN(startedAt.getTime())) throw new InvalidInputError(`continuation.startedAt must be an ISO-8601 time: ${preview(c.startedAt)}`);
  if (c.phase !== 'ecs' && c.phase !== 'lambda') throw new InvalidInputError(`continuation.phase must be "ecs" or "lambda": ${preview(c.phase)}`);
  const text = (v: unknown, field: string): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v === '') throw new InvalidInputError(`continuation.${field} must be a non-empty string: ${preview(v)}`);
    return v;
  };
  const pending = c.pendingClusters;
  if (pending !== undefined && (!Array.isArray(pending) || pending.length > MAX_PENDING_CLUSTERS || !pending.every((a) => typeof a === 'string' && a !== ''))) {
    throw new InvalidInputError(`continuation.pendingClusters must be a list of at most ${MAX_PENDING_CLUSTERS} cluster ARNs: ${preview(pending)}`);
  }
  if (c.clustersListed !== undefined && typeof c.clustersListed !== 'boolean') throw new InvalidInputError(`continuation.clustersListed must be a boolean: ${preview(c.clustersListed)}`);
  const clustersToken = text(c.clustersToken, 'clustersToken');
  const functionsMarker = text(c.functionsMarker, 'functionsMarker');
  return {
    startedAt,
    part,
    phase: c.phase,
    ...(clustersToken ? { clustersToken } : {}),
    ...(c.clustersListed !== undefined ? { clustersListed: c.clustersListed } : {}),
    ...(pending ? { pendingClusters: pending as string[] } : {}),
    ...(functionsMarker ? { functionsMarker } : {}),
  };
}

/** The fields of an `aws.ecr` / `ECR Image Scan` event the report uses. */
export interface ScanEvent {
  /** EventBridge's event id: the same for every retry and redelivery of one event. */
  readonly eventId: string;
  readonly accountId: string;
  readonly region: string;
  readonly time?: Date;
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: string[];
  readonly scanStatus: string;
  /** `finding-severity-counts` as sent: may be absent; normalized by the report decision. */
  readonly rawSeverityCounts: unknown;
  /** Entries of `image-tags` dropped because they were not non-empty strings (the handler logs them). */
  readonly ignoredTags: number;
  /** From Amazon Inspector (enhanced scanning, inspector-events.ts): the report is known by its findings, not a scan time. */
  readonly enhanced?: boolean;
}

/** How the id derived for an event with neither an id nor a time ends. */
const NO_TIME = 'no-time';

/**
 * Whether an event id can tell one scan from another: EventBridge's own ids and those derived from
 * an event's time can; one derived from an event with neither id nor time says only the digest and
 * the status, so the ledger must not match a scan on it (report-on.ts).
 */
export function eventIdNamesScan(eventId: string): boolean {
  return !eventId.endsWith(`/${NO_TIME}`);
}

export function parseScanEvent(event: unknown): ScanEvent {
  if (typeof event !== 'object' || event === null) {
    throw new InvalidInputError(`event is not an object: ${preview(event)}`);
  }
  const e = event as Record<string, unknown>;
  if (e.source !== 'aws.ecr' || e['detail-type'] !== 'ECR Image Scan') {
    throw new InvalidInputError(
      `expected source "aws.ecr" and detail-type "ECR Image Scan"; got ${preview(e.source)} / ${preview(e['detail-type'])}`,
    );
  }
  const detail = e.detail;
  if (typeof detail !== 'object' || detail === null) {
    throw new InvalidInputError(`event detail is missing or not an object: ${preview(detail)}`);
  }
  const d = detail as Record<string, unknown>;
  const repositoryName = d['repository-name'];
  if (!isRepositoryName(repositoryName)) {
    throw new InvalidInputError(`detail.repository-name is not a valid ECR repository name: ${preview(repositoryName)}`);
  }
  const imageDigest = d['image-digest'];
  if (typeof imageDigest !== 'string' || !IMAGE_DIGEST.test(imageDigest)) {
    throw new InvalidInputError(`detail.image-digest is not an image digest: ${preview(imageDigest)}`);
  }
  const scanStatus = d['scan-status'];
  if (typeof scanStatus !== 'string' || scanStatus === '') {
    throw new InvalidInputError(`detail.scan-status is missing: ${preview(scanStatus)}`);
  }
  const rawTags = d['image-tags'];
  if (rawTags !== undefined && rawTags !== null && !Array.isArray(rawTags)) {
    throw new InvalidInputError(`detail.image-tags must be a list: ${preview(rawTags)}`);
  }
  const tagEntries = (rawTags as unknown[] | undefined | null) ?? [];
  const imageTags = tagEntries.filter((t): t is string => typeof t === 'string' && t !== '');
  const accountId = typeof e.account === 'string' ? e.account : '';
  const region = typeof e.region === 'string' ? e.region : '';
  if (!/^\d{12}$/.test(accountId) || region === '') {
    throw new InvalidInputError(`event account and region are required: ${preview(e.account)} / ${preview(e.region)}`);
  }
  const time = typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time)) ? new Date(e.time) : undefined;
  // An event without an id (a hand-made invocation) is known by what it says.
  const eventId = typeof e.id === 'string' && e.id !== '' ? e.id : `${repositoryName}@${imageDigest}/${scanStatus}/${time?.toISOString() ?? NO_TIME}`;
  return {
    eventId,
    accountId,
    region,
    time,
    repositoryName,
    imageDigest,
    imageTags,
    scanStatus,
    rawSeverityCounts: d['finding-severity-counts'],
    ignoredTags: tagEntries.length - imageTags.length,
  };
}
