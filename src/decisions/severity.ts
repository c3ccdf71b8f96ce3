/**
 * The severities ECR reports, most severe first. The order is the ranking used
 * everywhere: thresholds, the highest severity of a scan, the order of findings.
 */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

export type Severity = (typeof SEVERITIES)[number];

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** 0 for CRITICAL … 5 for UNDEFINED; severities ECR may add later rank after all known ones. */
export function severityRank(value: string): number {
  const index = (SEVERITIES as readonly string[]).indexOf(value);
  return index === -1 ? SEVERITIES.length : index;
}
