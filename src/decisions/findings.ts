/**
 * One shape for a vulnerability finding, whether ECR returned it from basic
 * scanning (`imageScanFindings.findings`) or enhanced scanning
 * (`imageScanFindings.enhancedFindings`), and the order reports list them in.
 */
import { severityRank } from './severity';

export interface Finding {
  /** The vulnerability id, e.g. CVE-2024-3094. */
  readonly id: string;
  readonly severity: string;
  readonly packageName?: string;
  readonly packageVersion?: string;
  /** A link to the advisory. */
  readonly url?: string;
  /** CVSS base score when ECR gives one. */
  readonly score?: number;
  /** Amazon Inspector's status of the finding (ACTIVE, SUPPRESSED, CLOSED), under enhanced scanning. */
  readonly status?: string;
  /** Under enhanced scanning: whether a package update fixes it (YES, NO, PARTIAL), as Inspector says. */
  readonly fixAvailable?: string;
  /** Under enhanced scanning: whether an exploit is known (YES, NO), as Inspector says. */
  readonly exploitAvailable?: string;
  /** The EPSS score (0 to 1, the probability of exploitation in 30 days), from Amazon Inspector's finding events. */
  readonly epssScore?: number;
}

interface Attribute {
  readonly key?: string;
  readonly value?: string;
}

/** The fields we read of a basic `ImageScanFinding`. */
export interface BasicFindingLike {
  readonly name?: string;
  readonly uri?: string;
  readonly severity?: string;
  readonly attributes?: readonly Attribute[];
}

/** The fields we read of an `EnhancedImageScanFinding`. */
export interface EnhancedFindingLike {
  readonly title?: string;
  readonly severity?: string;
  readonly score?: number;
  readonly status?: string;
  readonly fixAvailable?: string;
  readonly exploitAvailable?: string;
  readonly packageVulnerabilityDetails?: {
    readonly vulnerabilityId?: string;
    readonly sourceUrl?: string;
    readonly vulnerablePackages?: readonly { readonly name?: string; readonly version?: string }[];
  };
}

function attribute(attributes: readonly Attribute[] | undefined, key: string): string | undefined {
  return attributes?.find((a) => a.key === key)?.value;
}

function parseScore(value: string | number | undefined): number | undefined {
  const score = typeof value === 'number' ? value : value === undefined ? NaN : Number.parseFloat(value);
  return Number.isFinite(score) ? score : undefined;
}

export function fromBasicFinding(f: BasicFindingLike): Finding {
  return {
    id: f.name ?? '(unnamed finding)',
    severity: f.severity ?? 'UNDEFINED',
    packageName: attribute(f.attributes, 'package_name'),
    packageVersion: attribute(f.attributes, 'package_version'),
    url: f.uri,
    score: parseScore(attribute(f.attributes, 'CVSS3_SCORE')) ?? parseScore(attribute(f.attributes, 'CVSS2_SCORE')),
  };
}

export function fromEnhancedFinding(f: EnhancedFindingLike): Finding {
  const details = f.packageVulnerabilityDetails;
  const pkg = details?.vulnerablePackages?.[0];
  return {
    id: details?.vulnerabilityId ?? f.title ?? '(unnamed finding)',
    severity: f.severity ?? 'UNDEFINED',
    packageName: pkg?.name,
    packageVersion: pkg?.version,
    url: details?.sourceUrl,
    score: parseScore(f.score),
    ...(f.status ? { status: f.status } : {}),
    ...(f.fixAvailable ? { fixAvailable: f.fixAvailable } : {}),
    ...(f.exploitAvailable ? { exploitAvailable: f.exploitAvailable } : {}),
  };
}

/** Most severe first, then highest score, then id: the order a reader triages in. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    (b.score ?? -1) - (a.score ?? -1) ||
    a.id.localeCompare(b.id)
  );
}
