/**
 * Coverage gaps under enhanced scanning (Amazon Inspector): what nobody scans although it
 * looks scanned. Plain functions, no AWS client: the callers pass in what
 * `BatchGetRepositoryScanningConfiguration`, `DescribeImages` and `DescribeImageScanFindings`
 * said, so the command-line plan and, later, the weekly summary compute the same gaps.
 *
 * | what ECR says                                                                                       | gap                  |
 * | --------------------------------------------------------------------------------------------------- | -------------------- |
 * | a repository with no applied scan filter, or `scanFrequency` MANUAL, in an ENHANCED registry       | `not-covered`        |
 * | an image whose status is SCAN_ELIGIBILITY_EXPIRED, pulled within the window (or running, if known)  | `monitoring-expired` |
 * | anything in a BASIC registry                                                                        | none: the rescan covers it |
 *
 * Under enhanced scanning "a repository that matches no filter is not scanned at all" (the
 * registry's rules decide, per repository); and Inspector stops monitoring an image after its
 * re-scan duration (14 days by default for new accounts), whether or not the image still runs:
 * its status turns SCAN_ELIGIBILITY_EXPIRED and its findings close. An expired image that
 * nobody pulls any more is what the duration is for, so only a recent pull (or a known
 * running place) makes it a gap.
 */
import type { RegistryScanType } from './rescan';

/** One repository's `RepositoryScanningConfiguration`, as `BatchGetRepositoryScanningConfiguration` gives it. */
export interface RepositoryScanningFacts {
  readonly repositoryName: string;
  /** SCAN_ON_PUSH, CONTINUOUS_SCAN or MANUAL. */
  readonly scanFrequency?: string;
  /** The registry's filters that apply to the repository; none: no rule covers it. */
  readonly appliedScanFilters?: readonly { readonly filter?: string }[];
}

export interface RepositoryGap {
  readonly repositoryName: string;
  readonly kind: 'not-covered';
  /** One human sentence for logs and the plan. */
  readonly detail: string;
}

/** The repository's gap, or undefined when a rule of the registry scans it (or the registry is BASIC). */
export function repositoryCoverageGap(facts: RepositoryScanningFacts, registryScanType: RegistryScanType): RepositoryGap | undefined {
  if (registryScanType !== 'ENHANCED') return undefined;
  const filters = facts.appliedScanFilters ?? [];
  if (filters.length > 0 && facts.scanFrequency !== 'MANUAL') return undefined;
  return {
    repositoryName: facts.repositoryName,
    kind: 'not-covered',
    detail: 'no enhanced scanning filter of the registry covers this repository, so Amazon Inspector never scans its images',
  };
}

/** What a gap of an image is judged on. */
export interface ImageCoverageFacts {
  /** The image's scan status, when it was read; undefined when not read or never scanned. */
  readonly status?: string;
  /** `DescribeImages`' `lastRecordedPullTime`. */
  readonly lastRecordedPullTime?: Date;
  /** Whether the image runs, where that is known (the in-use discovery); undefined when unknown. */
  readonly running?: boolean;
}

export interface CoveragePolicy {
  readonly now: Date;
  /** An expired image pulled at most this long ago is a gap. */
  readonly pulledWithinMs: number;
}

/**
 * Whether the image's status is worth one `DescribeImageScanFindings` call to look for a
 * gap: only an image that runs or was pulled within the window can be one, so the reads stay
 * bounded by the images in use, never by the repository.
 */
export function worthACoverageRead(facts: Omit<ImageCoverageFacts, 'status'>, policy: CoveragePolicy): boolean {
  if (facts.running === true) return true;
  const pulled = facts.lastRecordedPullTime?.getTime();
  return pulled !== undefined && !Number.isNaN(pulled) && policy.now.getTime() - pulled <= policy.pulledWithinMs;
}

/** True when Amazon Inspector no longer monitors an image that is still pulled or runs. */
export function monitoringExpiredGap(facts: ImageCoverageFacts, policy: CoveragePolicy): boolean {
  return facts.status === 'SCAN_ELIGIBILITY_EXPIRED' && worthACoverageRead(facts, policy);
}
