/**
 * Amazon Inspector's events about ECR images (enhanced scanning), as the Inspector report function
 * reads them: their parsing, and the grouping that turns a burst of finding events into one report
 * per image. Plain module, no AWS client.
 *
 * | event | what it says | what the report function does |
 * | ----- | ------------ | ------------------------------ |
 * | `Inspector2 Scan`, `scan-status` INITIAL_SCAN_COMPLETE | an image's first scan, with counts of CRITICAL, HIGH, MEDIUM and TOTAL (`repository-name` is the repository's ARN) | reports it as a COMPLETE scan: thresholds, the ledger's "new only", the same message |
 * | `Inspector2 Scan`, another status | (none is documented) | a counted skip, `unexpected-scan-status` |
 * | `Inspector2 Finding`, ACTIVE, on an `AWS_ECR_CONTAINER_IMAGE` | one finding created or updated | grouped per image with the batch's other finding events: one report per image, from the image's findings as ECR gives them now |
 * | `Inspector2 Finding`, SUPPRESSED or CLOSED only, for an image | findings suppressed or gone | the ledger records the image's findings now; no report |
 * | `Inspector2 Finding` on another resource (EC2, Lambda) | not an image | a counted skip, `not-an-ecr-image` |
 *
 * Finding events are delivered at least once: within a batch they are deduplicated on
 * `findingArn` (the latest `updatedAt` wins), and across batches the ledger's record of what was
 * reported withholds a repeat (report-on.ts).
 */
import { createHash } from 'crypto';
import { IMAGE_DIGEST, InvalidInputError, ScanEvent, isRepositoryName, preview } from './inputs';

/** The detail-types the Inspector rule delivers. */
export const INSPECTOR_SCAN = 'Inspector2 Scan';
export const INSPECTOR_FINDING = 'Inspector2 Finding';
export const INITIAL_SCAN_COMPLETE = 'INITIAL_SCAN_COMPLETE';
export const ECR_IMAGE_RESOURCE = 'AWS_ECR_CONTAINER_IMAGE';

/** One finding event, as far as a report needs it. */
export interface InspectorFindingEvent {
  readonly eventId: string;
  readonly accountId: string;
  readonly region: string;
  readonly time?: Date;
  readonly findingArn: string;
  /** ACTIVE, SUPPRESSED or CLOSED. */
  readonly status: string;
  readonly vulnerabilityId?: string;
  readonly severity?: string;
  readonly epssScore?: number;
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: string[];
}

export type InspectorEvent =
  | { readonly kind: 'scan'; readonly scan: ScanEvent }
  | { readonly kind: 'finding'; readonly finding: InspectorFindingEvent }
  | { readonly kind: 'not-an-ecr-image'; readonly resourceType: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** "arn:aws:ecr:us-east-2:123456789012:repository/team-a/api" → "team-a/api"; a plain name is taken as it is. */
export function repositoryNameFromArn(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^arn:aws[a-z-]*:ecr:[a-z0-9-]+:\d{12}:repository\/(.+)$/.exec(value);
  const name = match ? match[1] : value;
  return isRepositoryName(name) ? name : undefined;
}

function tags(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new InvalidInputError(`${field} must be a list: ${preview(value)}`);
  return value.filter((t): t is string => typeof t === 'string' && t !== '');
}

function envelope(e: Record<string, unknown>): { accountId: string; region: string; time?: Date; id?: string } {
  const accountId = typeof e.account === 'string' ? e.account : '';
  const region = typeof e.region === 'string' ? e.region : '';
  if (!/^\d{12}$/.test(accountId) || region === '') {
    throw new InvalidInputError(`event account and region are required: ${preview(e.account)} / ${preview(e.region)}`);
  }
  const time = typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time)) ? new Date(e.time) : undefined;
  return { accountId, region, ...(time ? { time } : {}), ...(typeof e.id === 'string' && e.id !== '' ? { id: e.id } : {}) };
}

/** Parses one event of the Inspector rule; anything else is an InvalidInputError naming what is wrong. */
export function parseInspectorEvent(event: unknown): InspectorEvent {
  if (!isObject(event)) throw new InvalidInputError(`event is not an object: ${preview(event)}`);
  const type = event['detail-type'];
  if (event.source !== 'aws.inspector2' || (type !== INSPECTOR_SCAN && type !== INSPECTOR_FINDING)) {
    throw new InvalidInputError(`expected source "aws.inspector2" and detail-type "${INSPECTOR_SCAN}" or "${INSPECTOR_FINDING}"; got ${preview(event.source)} / ${preview(type)}`);
  }
  const d = event.detail;
  if (!isObject(d)) throw new InvalidInputError(`event detail is missing or not an object: ${preview(d)}`);
  const { accountId, region, time, id } = envelope(event);
  if (type === INSPECTOR_SCAN) {
    const repositoryName = repositoryNameFromArn(d['repository-name']);
    if (!repositoryName) throw new InvalidInputError(`detail.repository-name is not an ECR repository ARN or name: ${preview(d['repository-name'])}`);
    const imageDigest = d['image-digest'];
    if (typeof imageDigest !== 'string' || !IMAGE_DIGEST.test(imageDigest)) throw new InvalidInputError(`detail.image-digest is not an image digest: ${preview(imageDigest)}`);
    const status = d['scan-status'];
    if (typeof status !== 'string' || status === '') throw new InvalidInputError(`detail.scan-status is missing: ${preview(status)}`);
    const rawTags = d['image-tags'];
    const imageTags = tags(rawTags, 'detail.image-tags');
    // The event's counts: CRITICAL, HIGH, MEDIUM and TOTAL. TOTAL is no severity; the rest are ECR's names.
    const counts = d['finding-severity-counts'];
    const rawSeverityCounts = isObject(counts) ? Object.fromEntries(Object.entries(counts).filter(([k]) => k !== 'TOTAL')) : counts;
    return {
      kind: 'scan',
      scan: {
        eventId: id ?? `inspector-scan/${repositoryName}@${imageDigest}/${time?.toISOString() ?? 'no-time'}`,
        accountId,
        region,
        ...(time ? { time } : {}),
        repositoryName,
        imageDigest,
        imageTags,
        // The initial scan is complete; any other status is decided as ECR's unexpected ones are.
        scanStatus: status === INITIAL_SCAN_COMPLETE ? 'COMPLETE' : status,
        rawSeverityCounts,
        ignoredTags: Array.isArray(rawTags) ? rawTags.length - imageTags.length : 0,
        enhanced: true,
      },
    };
  }
  const resources = d.resources;
  if (!Array.isArray(resources) || resources.length === 0 || !isObject(resources[0])) {
    throw new InvalidInputError(`detail.resources is not a list of resources: ${preview(resources)}`);
  }
  const resource = resources[0];
  if (resource.type !== ECR_IMAGE_RESOURCE) return { kind: 'not-an-ecr-image', resourceType: String(resource.type) };
  const image = isObject(resource.details) && isObject(resource.details.awsEcrContainerImage) ? resource.details.awsEcrContainerImage : undefined;
  if (!image) throw new InvalidInputError('detail.resources[0].details.awsEcrContainerImage is missing');
  const repositoryName = repositoryNameFromArn(image.repositoryName);
  if (!repositoryName) throw new InvalidInputError(`the finding's image repositoryName is not an ECR repository name: ${preview(image.repositoryName)}`);
  const imageDigest = image.imageHash;
  if (typeof imageDigest !== 'string' || !IMAGE_DIGEST.test(imageDigest)) throw new InvalidInputError(`the finding's imageHash is not an image digest: ${preview(imageDigest)}`);
  const findingArn = d.findingArn;
  if (typeof findingArn !== 'string' || !findingArn.startsWith('arn:')) throw new InvalidInputError(`detail.findingArn is not an ARN: ${preview(findingArn)}`);
  const status = d.status;
  if (status !== 'ACTIVE' && status !== 'SUPPRESSED' && status !== 'CLOSED') {
    throw new InvalidInputError(`detail.status is not ACTIVE, SUPPRESSED or CLOSED: ${preview(status)}`);
  }
  // The docs' samples give updatedAt as "Jan 19, 2023, 10:46:15 PM", with no zone: only an ISO time is taken, else the event's.
  const updatedAt = typeof d.updatedAt === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(d.updatedAt) && !Number.isNaN(Date.parse(d.updatedAt)) ? new Date(d.updatedAt) : time;
  const vulnerability = isObject(d.packageVulnerabilityDetails) ? d.packageVulnerabilityDetails.vulnerabilityId : undefined;
  const epss = isObject(d.epss) && typeof d.epss.score === 'number' && Number.isFinite(d.epss.score) ? d.epss.score : undefined;
  return {
    kind: 'finding',
    finding: {
      eventId: id ?? `inspector-finding/${findingArn}/${updatedAt?.toISOString() ?? 'no-time'}`,
      accountId,
      region,
      ...(updatedAt ? { time: updatedAt } : {}),
      findingArn,
      status,
      ...(typeof vulnerability === 'string' && vulnerability !== '' ? { vulnerabilityId: vulnerability } : {}),
      ...(typeof d.severity === 'string' ? { severity: d.severity } : {}),
      ...(epss !== undefined ? { epssScore: epss } : {}),
      repositoryName,
      imageDigest,
      imageTags: tags(image.imageTags, 'the finding\'s imageTags'),
    },
  };
}

/** The finding events of one image in a batch: one report's worth. */
export interface FindingGroup {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: string[];
  readonly accountId: string;
  readonly region: string;
  /** The latest event's time. */
  readonly time?: Date;
  /** One event per finding (`findingArn`), the latest. */
  readonly findings: readonly InspectorFindingEvent[];
  /** True when no finding of the group is ACTIVE: the ledger is updated, nothing is reported. */
  readonly closedOnly: boolean;
  /** The same for the same findings in the same states, whatever the batch: the report's event id. */
  readonly eventId: string;
  /** EPSS scores by vulnerability id, from the events, for the report's findings. */
  readonly epss: Record<string, number>;
}

/** Groups finding events by image, one per `findingArn` (the latest wins), in the order images first appear. */
export function groupFindingEvents(events: readonly InspectorFindingEvent[]): FindingGroup[] {
  const byImage = new Map<string, Map<string, InspectorFindingEvent>>();
  for (const e of events) {
    const key = `${e.repositoryName}@${e.imageDigest}`;
    const findings = byImage.get(key) ?? new Map<string, InspectorFindingEvent>();
    byImage.set(key, findings);
    const seen = findings.get(e.findingArn);
    if (!seen || (e.time?.getTime() ?? 0) >= (seen.time?.getTime() ?? 0)) findings.set(e.findingArn, e);
  }
  return [...byImage.values()].map((map) => {
    const findings = [...map.values()];
    const latest = findings.reduce((a, b) => ((b.time?.getTime() ?? 0) > (a.time?.getTime() ?? 0) ? b : a));
    const identity = findings.map((f) => `${f.findingArn} ${f.status} ${f.time?.toISOString() ?? ''}`).sort().join('\n');
    const epss: Record<string, number> = {};
    for (const f of findings) if (f.vulnerabilityId && f.epssScore !== undefined) epss[f.vulnerabilityId] = f.epssScore;
    return {
      repositoryName: latest.repositoryName,
      imageDigest: latest.imageDigest,
      imageTags: latest.imageTags,
      accountId: latest.accountId,
      region: latest.region,
      ...(latest.time ? { time: latest.time } : {}),
      findings,
      closedOnly: findings.every((f) => f.status !== 'ACTIVE'),
      eventId: `inspector-findings/${createHash('sha256').update(identity).digest('hex').slice(0, 32)}`,
      epss,
    };
  });
}

/**
 * Which enhanced "scan" a report is about: the set of findings at reached severities. Inspector
 * has no scan to name (it rescans continuously, and ECR's `imageScanCompletedAt` need not move
 * when a finding is added), so the same findings are the same report, whichever event brought them.
 */
export function enhancedScanKey(reachedFindingIds: readonly string[]): string {
  const ids = [...new Set(reachedFindingIds)].sort().join('\n');
  return `ENHANCED#${createHash('sha256').update(ids).digest('hex').slice(0, 32)}`;
}

/** Severities an `Inspector2 Scan` event counts: a threshold on another one needs the image's findings. */
export const EVENT_COUNTED_SEVERITIES: readonly string[] = ['CRITICAL', 'HIGH', 'MEDIUM'];

/**
 * Counts by severity of an image's findings as ECR gives them, the scan's counts for a report: every
 * finding but a CLOSED one. SUPPRESSED findings are counted here because the report takes them off,
 * with accepted risks, where it says what it left out (accepted-risks.ts).
 */
export function findingCounts(findings: readonly { readonly severity: string; readonly status?: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) {
    if (f.status === 'CLOSED') continue;
    counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  }
  return counts;
}
