/**
 * Accepted risks: findings a team has decided to live with, for a reason and until a date. While
 * an entry holds, the findings it names count neither towards the thresholds nor as new, and the
 * report says how many it left out and until when. From its expiry date on, it ignores nothing.
 * Amazon Inspector's SUPPRESSED findings (enhanced scanning) are left out the same way. Plain
 * module, no AWS client.
 *
 * | entry | a finding is left out when |
 * |---|---|
 * | `findingId` only | its id is `findingId`, in every selected repository, before 00:00 UTC of `expires` |
 * | with `repositoryPattern` | the same, in repositories whose name the pattern matches |
 * | past `expires` | never: the synth warns about it, and reports count the finding again |
 * | an Inspector finding with status SUPPRESSED | always (Inspector's suppression rules decide) |
 */
import { Finding } from './findings';
import { SeverityCounts } from './report';

/** An accepted risk, as the construct's `acceptedRisks` gives it and the report function's environment carries it. */
export interface AcceptedRiskEntry {
  readonly findingId: string;
  readonly reason: string;
  /** `YYYY-MM-DD` or a full ISO-8601 time: the entry ignores nothing from then on. */
  readonly expires: string;
  readonly repositoryPattern?: string;
}

/** CVE ids (CVE-2024-3094) and GitHub advisories (GHSA-xxxx-xxxx-xxxx): the ids ECR and Inspector report. */
const FINDING_ID = /^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3})$/;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
/** A reason must say something. */
export const MIN_REASON_LENGTH = 3;
export const MAX_REASON_LENGTH = 300;

/** When the entry stops ignoring, or undefined when `expires` cannot be read. */
export function expiryOf(entry: Pick<AcceptedRiskEntry, 'expires'>): Date | undefined {
  if (typeof entry.expires !== 'string' || !DATE.test(entry.expires)) return undefined;
  const at = new Date(entry.expires.length === 10 ? `${entry.expires}T00:00:00Z` : entry.expires);
  if (Number.isNaN(at.getTime())) return undefined;
  // new Date('2027-02-31'), with or without a time, rolls over to March: the date part must read back as written.
  const date = entry.expires.slice(0, 10);
  const day = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== date) return undefined;
  return at;
}

/** The problems with one entry, each naming the entry and the fix; none when it is fine. */
export function acceptedRiskProblems(entry: AcceptedRiskEntry, index: number, patternProblem: (value: string) => string | undefined): string[] {
  const name = `acceptedRisks[${index}]`;
  const problems: string[] = [];
  if (typeof entry.findingId !== 'string' || !FINDING_ID.test(entry.findingId)) {
    problems.push(`${name}.findingId must be a CVE id such as CVE-2024-3094 or a GitHub advisory id such as GHSA-jfh8-c2jp-5v3q (given ${JSON.stringify(entry.findingId)})`);
  }
  const reason = typeof entry.reason === 'string' ? entry.reason.trim() : '';
  if (reason.length < MIN_REASON_LENGTH || reason.length > MAX_REASON_LENGTH) {
    problems.push(
      `${name}.reason is required: say why the risk is accepted, in ${MIN_REASON_LENGTH} to ${MAX_REASON_LENGTH} characters, for example "not reachable: the service never parses untrusted XML" (given ${JSON.stringify(entry.reason)})`,
    );
  }
  if (expiryOf(entry) === undefined) {
    problems.push(`${name}.expires must be a date such as "2027-03-31" (the entry ignores nothing from 00:00 UTC that day) or an ISO-8601 time (given ${JSON.stringify(entry.expires)})`);
  }
  if (entry.repositoryPattern !== undefined) {
    const problem = patternProblem(entry.repositoryPattern);
    if (problem) problems.push(problem.replace(/^repositoryPattern/, `${name}.repositoryPattern`));
  }
  return problems;
}

/** The environment's form: a JSON list of entries, validated by the construct. */
export function parseAcceptedRisks(json: string | undefined): AcceptedRiskEntry[] {
  if (json === undefined || json === '') return [];
  const value: unknown = JSON.parse(json);
  if (!Array.isArray(value)) throw new Error('accepted risks must be a JSON list');
  return value.map((raw, i) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`acceptedRisks[${i}] must be an object: ${JSON.stringify(raw)}`);
    const entry = raw as AcceptedRiskEntry;
    const problems = acceptedRiskProblems(entry, i, (pattern) => {
      try {
        new RegExp(pattern);
        return undefined;
      } catch (error) {
        return `repositoryPattern is not a regular expression: ${(error as Error).message}`;
      }
    });
    if (problems.length > 0) throw new Error(problems.join('; '));
    const { findingId, reason, expires, repositoryPattern } = entry;
    return { findingId, reason, expires, ...(repositoryPattern !== undefined ? { repositoryPattern } : {}) };
  });
}

/** The entry's key in the ledger, for the record of when it last matched. */
export function acceptedRiskKey(entry: Pick<AcceptedRiskEntry, 'findingId' | 'repositoryPattern'>): string {
  return `${entry.findingId}#${entry.repositoryPattern ?? '*'}`;
}

/** Whether the entry holds now for this repository. */
export function entryHolds(entry: AcceptedRiskEntry, repositoryName: string, now: Date): boolean {
  const expires = expiryOf(entry);
  if (!expires || now.getTime() >= expires.getTime()) return false;
  return entry.repositoryPattern === undefined || new RegExp(entry.repositoryPattern).test(repositoryName);
}

/** A finding as the ignore rule sees it: Inspector's status when enhanced scanning gave one. */
export interface RiskFinding extends Finding {
  readonly status?: string;
}

export interface AppliedRisk {
  readonly findingId: string;
  readonly reason: string;
  readonly expires?: string;
  readonly source: 'accepted-risk' | 'inspector-suppressed';
  readonly findings: number;
  /** The entry, for its match record; absent for Inspector suppressions. */
  readonly entry?: AcceptedRiskEntry;
}

export interface RiskOutcome {
  /** The findings that still count. */
  readonly kept: RiskFinding[];
  /** The findings left out. */
  readonly ignored: RiskFinding[];
  /** One row per entry (or per suppressed id) that left something out. */
  readonly applied: AppliedRisk[];
  /** The counts less the findings left out (never below 0). */
  readonly counts: SeverityCounts;
}

/**
 * Leaves out the findings that accepted risks (or Inspector's suppressions) cover, and takes
 * them off the counts. The counts come from the scan (the event or ECR's summary); findings that
 * were not read (over the read limit) cannot be matched, so their counts stay.
 */
export function applyAcceptedRisks(
  entries: readonly AcceptedRiskEntry[],
  repositoryName: string,
  findings: readonly RiskFinding[],
  counts: SeverityCounts,
  now: Date,
): RiskOutcome {
  const holding = entries.filter((e) => entryHolds(e, repositoryName, now));
  const kept: RiskFinding[] = [];
  const ignored: RiskFinding[] = [];
  const applied = new Map<string, AppliedRisk & { findings: number }>();
  for (const finding of findings) {
    const entry = holding.find((e) => e.findingId === finding.id);
    const suppressed = finding.status === 'SUPPRESSED';
    if (!entry && !suppressed) {
      kept.push(finding);
      continue;
    }
    ignored.push(finding);
    const key = entry ? `risk:${acceptedRiskKey(entry)}` : `suppressed:${finding.id}`;
    const known = applied.get(key);
    if (known) {
      applied.set(key, { ...known, findings: known.findings + 1 });
    } else if (entry) {
      applied.set(key, { findingId: entry.findingId, reason: entry.reason, expires: entry.expires, source: 'accepted-risk', findings: 1, entry });
    } else {
      applied.set(key, { findingId: finding.id, reason: 'suppressed in Amazon Inspector', source: 'inspector-suppressed', findings: 1 });
    }
  }
  const less: Record<string, number> = { ...counts };
  for (const finding of ignored) {
    if (less[finding.severity] !== undefined) less[finding.severity] = Math.max(0, less[finding.severity] - 1);
  }
  const adjusted = Object.fromEntries(Object.entries(less).filter(([, n]) => n > 0));
  return { kept, ignored, applied: [...applied.values()], counts: adjusted };
}

/** Entries past their expiry, for the synth-time warning. */
export function expiredEntries(entries: readonly AcceptedRiskEntry[], now: Date): AcceptedRiskEntry[] {
  return entries.filter((e) => {
    const expires = expiryOf(e);
    return expires !== undefined && now.getTime() >= expires.getTime();
  });
}

/**
 * Whether an entry matched nothing for a whole rescan cycle: it holds, and neither its last match
 * nor (never matched) the first check of it is within `windowMs` (a scan expiry and a day, the
 * time in which every selected image is scanned again).
 */
export function unmatchedForACycle(record: { lastMatchedAt?: Date; firstCheckedAt?: Date }, now: Date, windowMs: number): boolean {
  const since = record.lastMatchedAt ?? record.firstCheckedAt;
  return since !== undefined && now.getTime() - since.getTime() > windowMs;
}
