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
const IMAGE_DIGEST = /^[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+$/;

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}... (${text.length} characters)` : text;
}

export function isRepositoryName(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 2 && value.length <= 256 && REPOSITORY_NAME.test(value);
}

/** The rescan queue's message: one repository to walk. */
export interface RescanMessage {
  readonly repositoryName: string;
}

export function rescanMessageBody(message: RescanMessage): string {
  return JSON.stringify({ repositoryName: message.repositoryName });
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
  const { repositoryName } = parsed as Record<string, unknown>;
  if (!isRepositoryName(repositoryName)) {
    throw new InvalidInputError(`message repositoryName is not a valid ECR repository name: ${preview(repositoryName)}`);
  }
  return { repositoryName };
}

/** The fields of an `aws.ecr` / `ECR Image Scan` event the report uses. */
export interface ScanEvent {
  readonly accountId: string;
  readonly region: string;
  readonly time?: Date;
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: string[];
  readonly scanStatus: string;
  /** `finding-severity-counts` as sent: may be absent; normalized by the report decision. */
  readonly rawSeverityCounts: unknown;
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
  const imageTags = ((rawTags as unknown[] | undefined | null) ?? []).filter((t): t is string => typeof t === 'string' && t !== '');
  const accountId = typeof e.account === 'string' ? e.account : '';
  const region = typeof e.region === 'string' ? e.region : '';
  if (!/^\d{12}$/.test(accountId) || region === '') {
    throw new InvalidInputError(`event account and region are required: ${preview(e.account)} / ${preview(e.region)}`);
  }
  const time = typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time)) ? new Date(e.time) : undefined;
  return { accountId, region, time, repositoryName, imageDigest, imageTags, scanStatus, rawSeverityCounts: d['finding-severity-counts'] };
}
