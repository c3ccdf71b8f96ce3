/**
 * The rescan decision: given what ECR says about one image digest's last scan,
 * should we call StartImageScan for it now?
 *
 * Plain function, no AWS client: the callers read the state (DescribeImages
 * summary when present, else DescribeImageScanFindings) and pass `now` in.
 * What the entry is (an image index, a referrer, an archived image) is decided
 * before, without a state read: image-format.ts, whose reasons are listed here too.
 */

/** Whether the registry uses basic scanning (StartImageScan allowed) or enhanced (Amazon Inspector; not allowed). */
export type RegistryScanType = 'BASIC' | 'ENHANCED';

/** What ECR knows of an image's last scan. */
export interface ImageScanState {
  /**
   * `imageScanStatus.status` as ECR returns it; `undefined` when ECR has no scan
   * for the image (DescribeImageScanFindings threw ScanNotFoundException).
   */
  readonly status?: string;
  /** `imageScanFindingsSummary.imageScanCompletedAt`, the end of the last completed scan. */
  readonly completedAt?: Date;
  /** `imageScanStatus.description`, for logs. */
  readonly description?: string;
  /**
   * `findingSeverityCounts` of the last completed scan, when ECR returned any. Not part of
   * the decision; the command-line plan shows it.
   */
  readonly severityCounts?: Record<string, number>;
}

export interface RescanPolicy {
  /** The time of this evaluation; passed in at each invocation. */
  readonly now: Date;
  /** A completed scan older than this is due again. */
  readonly scanExpiryMs: number;
  /** The registry's scanning mode (GetRegistryScanningConfiguration). */
  readonly registryScanType: RegistryScanType;
}

export type RescanReason =
  | 'never-scanned'
  | 'expired'
  | 'complete-without-timestamp'
  | 'failed'
  | 'limit-exceeded'
  | 'fresh'
  | 'in-progress'
  | 'unsupported-image'
  | 'image-index'
  | 'referrer'
  | 'artifact'
  | 'attestation'
  | 'archived'
  | 'enhanced-scanning'
  | 'not-scannable'
  | 'unknown-status'
  | 'out-of-scope';

/** Every reason, for counters that must list zeros too. */
export const RESCAN_REASONS: readonly RescanReason[] = [
  'never-scanned',
  'expired',
  'complete-without-timestamp',
  'failed',
  'limit-exceeded',
  'fresh',
  'in-progress',
  'unsupported-image',
  'image-index',
  'referrer',
  'artifact',
  'attestation',
  'archived',
  'enhanced-scanning',
  'not-scannable',
  'unknown-status',
  'out-of-scope',
];

export interface RescanDecision {
  readonly action: 'scan' | 'skip';
  readonly reason: RescanReason;
  /** One human sentence for logs and the command-line plan. */
  readonly detail: string;
}

const scan = (reason: RescanReason, detail: string): RescanDecision => ({ action: 'scan', reason, detail });
const skip = (reason: RescanReason, detail: string): RescanDecision => ({ action: 'skip', reason, detail });

export function decideRescan(state: ImageScanState, policy: RescanPolicy): RescanDecision {
  if (policy.registryScanType === 'ENHANCED') {
    return skip('enhanced-scanning', 'the registry uses enhanced scanning; Amazon Inspector rescans continuously and StartImageScan is not allowed');
  }
  switch (state.status) {
    case undefined:
      return scan('never-scanned', 'ECR has no scan of this image');
    case 'COMPLETE': {
      if (!state.completedAt || Number.isNaN(state.completedAt.getTime())) {
        return scan('complete-without-timestamp', 'the last scan is COMPLETE but has no completion time, so its age is unknown');
      }
      const ageMs = policy.now.getTime() - state.completedAt.getTime();
      if (ageMs >= policy.scanExpiryMs) {
        return scan('expired', `last scanned ${formatAge(ageMs)} ago, at or past the expiry of ${formatAge(policy.scanExpiryMs)}`);
      }
      return skip('fresh', `last scanned ${formatAge(Math.max(ageMs, 0))} ago, within the expiry of ${formatAge(policy.scanExpiryMs)}`);
    }
    case 'FAILED':
      return scan('failed', `the last scan FAILED${state.description ? ` (${state.description})` : ''}`);
    case 'LIMIT_EXCEEDED':
      // ECR refused the last scan for a quota; the image has no fresh result. If the
      // quota still holds, StartImageScan answers LimitExceededException, counted as such.
      return scan('limit-exceeded', 'the last scan was refused for a quota; trying again');
    case 'IN_PROGRESS':
    case 'PENDING':
      return skip('in-progress', `a scan is ${state.status}`);
    case 'UNSUPPORTED_IMAGE':
      return skip('unsupported-image', `ECR cannot scan this image${state.description ? `: ${state.description}` : ''}`);
    case 'ACTIVE':
      return skip('enhanced-scanning', 'the image is under continuous enhanced scanning (ACTIVE); StartImageScan is not allowed');
    case 'IMAGE_ARCHIVED':
      return skip('archived', 'ECR reports IMAGE_ARCHIVED: archived images cannot be scanned until restored');
    case 'SCAN_ELIGIBILITY_EXPIRED':
    case 'FINDINGS_UNAVAILABLE':
      return skip('not-scannable', `ECR reports ${state.status}; StartImageScan cannot change that`);
    default:
      return skip('unknown-status', `unknown scan status ${JSON.stringify(state.status)}; left alone`);
  }
}

/** "3d 4h", "5h 2m", "40s": enough precision for a log line. */
export function formatAge(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  if (days > 0) return hours > 0 ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return minutes > 0 ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes > 0) return `${minutes}m`;
  return `${seconds}s`;
}
