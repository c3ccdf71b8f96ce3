/**
 * The report decision: does a finished scan deserve a notification?
 *
 * A report is due when any evaluated severity's count reaches its threshold
 * (count >= threshold), or when the scan FAILED and failures are reported.
 * Plain function, no AWS client.
 */
import { SEVERITIES, Severity, isSeverity, severityRank } from './severity';

/** Thresholds by severity; a severity without one is not evaluated. */
export type Thresholds = Partial<Record<Severity, number>>;

/** Severity counts as ECR sends them (`finding-severity-counts`), normalized. */
export type SeverityCounts = Record<string, number>;

export interface NormalizedCounts {
  /** Non-negative integer counts, by severity name as ECR sent it. */
  readonly counts: SeverityCounts;
  /** Keys whose value was not a non-negative integer, or repeated a severity, for a log line. */
  readonly ignored: string[];
}

/**
 * `finding-severity-counts` may be absent, `{}` (zero counts are omitted), or, from
 * other producers, odd. Anything not a non-negative integer is dropped and named.
 */
export function normalizeCounts(raw: unknown): NormalizedCounts {
  const counts: SeverityCounts = {};
  const ignored: string[] = [];
  if (raw === undefined || raw === null) return { counts, ignored };
  if (typeof raw !== 'object' || Array.isArray(raw)) return { counts, ignored: ['(not an object)'] };
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const severity = key.toUpperCase();
    // A second spelling of the same severity ("high" next to "HIGH") is named, not merged.
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && !(severity in counts)) {
      counts[severity] = value;
    } else {
      ignored.push(key);
    }
  }
  return { counts, ignored };
}

export interface Evaluation {
  readonly severity: Severity;
  readonly count: number;
  readonly threshold: number;
  readonly breached: boolean;
}

export type ReportReason =
  | 'threshold-reached'
  | 'below-threshold'
  | 'scan-failed'
  | 'scan-failed-not-reported'
  | 'unexpected-scan-status';

export interface ReportDecision {
  readonly due: boolean;
  readonly reason: ReportReason;
  /** One row per severity that has a threshold, most severe first. */
  readonly evaluations: Evaluation[];
  /** The most severe level with at least one finding, or NONE. */
  readonly highestSeverity: Severity | 'NONE';
  /** Total findings over all severities, unknown ones included. */
  readonly totalFindings: number;
}

export interface ReportInput {
  /** `scan-status` of the event: COMPLETE or FAILED. */
  readonly scanStatus: string;
  readonly counts: SeverityCounts;
  readonly thresholds: Thresholds;
  readonly notifyOnScanFailure: boolean;
}

export function decideReport(input: ReportInput): ReportDecision {
  const evaluations: Evaluation[] = SEVERITIES.filter((s) => input.thresholds[s] !== undefined).map((severity) => {
    const count = input.counts[severity] ?? 0;
    const threshold = input.thresholds[severity] as number;
    return { severity, count, threshold, breached: count >= threshold };
  });
  const highestSeverity: Severity | 'NONE' = SEVERITIES.find((s) => (input.counts[s] ?? 0) > 0) ?? 'NONE';
  const totalFindings = Object.values(input.counts).reduce((sum, n) => sum + n, 0);
  const base = { evaluations, highestSeverity, totalFindings };

  switch (input.scanStatus) {
    case 'COMPLETE':
      return evaluations.some((e) => e.breached)
        ? { ...base, due: true, reason: 'threshold-reached' }
        : { ...base, due: false, reason: 'below-threshold' };
    case 'FAILED':
      return input.notifyOnScanFailure
        ? { ...base, due: true, reason: 'scan-failed' }
        : { ...base, due: false, reason: 'scan-failed-not-reported' };
    default:
      return { ...base, due: false, reason: 'unexpected-scan-status' };
  }
}

/** Severities present in counts, most severe first, unknown names last (alphabetically). */
export function orderedSeverityNames(counts: SeverityCounts, thresholds: Thresholds): string[] {
  const names = new Set<string>([...Object.keys(counts), ...Object.keys(thresholds)]);
  return [...names].sort((a, b) => severityRank(a) - severityRank(b) || a.localeCompare(b));
}

/**
 * Parses thresholds from configuration (`{"CRITICAL":1,"HIGH":1}`): keys must be
 * severities, values non-negative integers. Throws with the offending entry.
 */
export function parseThresholds(json: string): Thresholds {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`thresholds must be a JSON object such as {"CRITICAL":1}; got ${JSON.stringify(json)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`thresholds must be a JSON object such as {"CRITICAL":1}; got ${JSON.stringify(json)}`);
  }
  const thresholds: Thresholds = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!isSeverity(key)) {
      throw new Error(`unknown severity ${JSON.stringify(key)} in thresholds; use one of ${SEVERITIES.join(', ')}`);
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw new Error(`threshold for ${key} must be a non-negative integer; got ${JSON.stringify(value)}`);
    }
    thresholds[key] = value;
  }
  return thresholds;
}
