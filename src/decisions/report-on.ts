/**
 * Which scans are reported: every scan that reaches a threshold (`EVERY_SCAN`, the behaviour
 * before the ledger), or only those that bring something new (`NEW_FINDINGS`, the default).
 * Runs after the threshold decision (report.ts) has called a report due, with the digest's
 * ledger entry as it was before this scan. Plain module, no AWS client.
 *
 * | situation | NEW_FINDINGS | EVERY_SCAN |
 * |---|---|---|
 * | the same scan was already reported (a Lambda retry, a second delivery of the event, a second event for the scan) | withheld: `already-reported` | withheld: `already-reported` |
 * | another attempt holds a live claim on this scan's report | withheld: `already-reported` | withheld: `already-reported` |
 * | a hand-made event with neither `id` nor `time` | known by its scan's key only (the id derived for it names no scan), then as the rows below | the same |
 * | COMPLETE, thresholds reached, the ledger has no earlier findings report of the digest (first report, or the entry is gone) | reported: `first-report`, every finding at a reached severity is new | reported |
 * | COMPLETE, a finding at a reached severity that the last report did not list (a new CVE, or a severity newly reached because a finding rose or a threshold changed) | reported: `new-findings`, those are new | reported |
 * | COMPLETE, more findings than could be read (5,000), and a reached severity's count grew since the last report | reported: `new-findings` (what is new cannot all be named) | reported |
 * | COMPLETE, every finding at a reached severity was listed by the last report (the same findings, counts that fell, findings that disappeared) | withheld: `not-new` | reported |
 * | COMPLETE, findings could not be read (the image or its scan is gone) | reported: the counts alone cannot tell what is new | reported |
 * | FAILED, failures reported, and no failure reported since the last COMPLETE scan | reported: `newly-failed` | reported |
 * | FAILED again, with no COMPLETE scan since the failure report | withheld: `still-failing` | reported |
 *
 * Scans below every threshold, FAILED scans when failures are not reported, and repositories
 * outside the patterns never reach this rule (report.ts and the handler send nothing for them).
 */
import { Finding } from './findings';
import { eventIdNamesScan } from './inputs';
import { ClaimRecord, LedgerEntry } from './ledger';
import { SeverityCounts } from './report';

/** The values of the construct's `ReportOn` enum, as the report function's environment carries them. */
export type ReportOnMode = 'NEW_FINDINGS' | 'EVERY_SCAN';
export const REPORT_ON_MODES: readonly ReportOnMode[] = ['NEW_FINDINGS', 'EVERY_SCAN'];

export type NewsReason = 'first-report' | 'new-findings' | 'every-scan' | 'newly-failed' | 'findings-unavailable';
/**
 * Why a report due by the thresholds was not sent. `out-of-scope` (the image is outside
 * `reportScope`) and `accepted-risks` (only accepted risks reached a threshold) are decided
 * before this rule, by scope.ts and accepted-risks.ts; `attestation` (the digest is a buildx
 * attestation manifest, as the index that lists it says: ECR's scan of one fails, which is no news
 * about any image) by the report function, from the digest's ledger entry.
 */
export type WithheldReason = 'already-reported' | 'not-new' | 'still-failing' | 'out-of-scope' | 'accepted-risks' | 'attestation';
export const WITHHELD_REASONS: readonly WithheldReason[] = ['already-reported', 'not-new', 'still-failing', 'out-of-scope', 'accepted-risks', 'attestation'];

/**
 * Which scan a report is about. A COMPLETE scan is known by ECR's `imageScanCompletedAt`, the
 * same for every event and every retry about it; a scan without one (FAILED, or findings that
 * could not be read) by its event's id, the same for every retry and redelivery of that event.
 */
export function scanKey(scanStatus: string, completedAt: Date | undefined, eventId: string): string {
  return completedAt ? `${scanStatus}@${completedAt.toISOString()}` : `${scanStatus}#${eventId}`;
}

export interface NewsInput {
  readonly reportOn: ReportOnMode;
  /** COMPLETE or FAILED: the threshold decision only calls these due. */
  readonly scanStatus: string;
  readonly scanKey: string;
  readonly eventId: string;
  readonly now: Date;
  /** The findings read from ECR at the severities that reached their thresholds; undefined when none could be read. */
  readonly reachedFindings?: readonly Finding[];
  /** Severities whose count reached the threshold. */
  readonly reachedSeverities: readonly string[];
  /** True when ECR holds more findings than were read. */
  readonly findingsTruncated: boolean;
  readonly counts: SeverityCounts;
  /** The digest's entry before this scan; undefined when the ledger has none (or could not be read). */
  readonly entry?: LedgerEntry;
}

export type NewsDecision =
  | {
    readonly report: true;
    readonly reason: NewsReason;
    /** The reached findings that the last report did not list (all of them for a first report). */
    readonly newFindings: readonly Finding[];
    /** When the last findings report went out, for "2 new since the report of ...". */
    readonly previousReportAt?: Date;
    /** An earlier attempt's claim on this same report expired without a commit: it may have published. */
    readonly takesOverClaim: boolean;
  }
  | { readonly report: false; readonly reason: WithheldReason };

function liveClaim(claim: ClaimRecord | undefined, now: Date): boolean {
  return claim !== undefined && claim.expiresAt.getTime() > now.getTime();
}

export function decideNews(input: NewsInput): NewsDecision {
  const { entry } = input;
  // The same scan: its key, or the same event (a replay after a later scan moved ECR's completion
  // time). An id derived from an event with neither id nor time names no scan, so only keys count.
  const idNamesScan = eventIdNamesScan(input.eventId);
  const sameScan = (key: string | undefined, id: string | undefined) => key === input.scanKey || (idNamesScan && id === input.eventId);
  if (sameScan(entry?.lastReport?.scanKey, entry?.lastReport?.eventId) || sameScan(entry?.failureReport?.scanKey, entry?.failureReport?.eventId)) {
    return { report: false, reason: 'already-reported' };
  }
  const claim = entry?.claim;
  // A claim by this same event is a dead attempt's (Lambda retries only after an attempt ended):
  // take it over. Another event's live claim on this scan is in flight: leave the report to it.
  if (claim && claim.eventId !== input.eventId && claim.scanKey === input.scanKey && liveClaim(claim, input.now)) {
    return { report: false, reason: 'already-reported' };
  }
  const takesOverClaim = claim !== undefined && claim.scanKey === input.scanKey;
  const previousReportAt = entry?.lastReport?.at;
  const reported = (reason: NewsReason, newFindings: readonly Finding[]): NewsDecision => ({
    report: true,
    reason,
    newFindings,
    takesOverClaim,
    ...(previousReportAt ? { previousReportAt } : {}),
  });

  if (input.scanStatus === 'FAILED') {
    if (input.reportOn === 'NEW_FINDINGS' && entry?.failureReport) return { report: false, reason: 'still-failing' };
    return reported(input.reportOn === 'EVERY_SCAN' ? 'every-scan' : 'newly-failed', []);
  }

  const findings = input.reachedFindings;
  const last = entry?.lastReport;
  const listed = new Set(last?.findingIds ?? []);
  const fresh = findings ? findings.filter((f) => !listed.has(f.id)) : [];
  if (input.reportOn === 'EVERY_SCAN') return reported('every-scan', last ? fresh : findings ?? []);
  if (!findings) return reported('findings-unavailable', []);
  if (!last) return reported('first-report', findings);
  if (fresh.length > 0) return reported('new-findings', fresh);
  const grew = input.reachedSeverities.some((s) => (input.counts[s] ?? 0) > (last.severityCounts[s] ?? 0));
  if (input.findingsTruncated && grew) return reported('new-findings', []);
  return { report: false, reason: 'not-new' };
}
