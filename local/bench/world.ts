/**
 * The week's world: what a scan of each image digest finds on each simulated day, derived from
 * the seed alone, so every side of the benchmark meets the same world whatever it scans, and a
 * 3-day world is the first three days of the 7-day one. Plain functions, no I/O:
 * test/bench/world.test.ts covers them.
 *
 * - Each digest has explicit findings, vulnerability id -> severity, with stable ids: a finding
 *   keeps its id on every day (not `findingsFor` of local/registry.ts, whose ids follow positions).
 *   Day 1's findings are the registry's mix: a scanned image's severity counts, and for an image
 *   never scanned or last FAILED, a mix drawn from the same list.
 * - From day 2, each morning, a share of the digests (3 % by default) gains 1 or 2 new CVEs
 *   (even odds), each CRITICAL, HIGH, MEDIUM or LOW with the weights below; the rest keep
 *   their findings. Nothing is ever fixed: findings only accumulate.
 * - A scan finished on day d FAILS for a seeded share (2 % by default), decided per digest and day
 *   from a hash, so a digest scanned on the same day by two sides fails on both or on neither.
 */
import { createHash } from 'crypto';
import { BenchRegistry, SEVERITY_MIXES, allImages } from './registry';
import { mulberry32 } from '../random';

export const DEFAULT_GAIN_SHARE = 0.03;
export const DEFAULT_FAIL_SHARE = 0.02;
/** The severities of new CVEs, with their weights. */
export const NEW_CVE_SEVERITIES: readonly (readonly [string, number])[] = [
  ['CRITICAL', 0.2],
  ['HIGH', 0.3],
  ['MEDIUM', 0.3],
  ['LOW', 0.2],
];

/** A vulnerability finding: its id and severity (all a report and the news need). */
export interface Finding {
  readonly id: string;
  readonly severity: string;
}

export interface WorldFinding extends Finding {
  /** The first day a scan finds it; 1 for findings the digest had before the run. */
  readonly since: number;
}

export interface WorldOptions {
  readonly days: number;
  readonly seed: number;
  /** Share of digests that gain new CVEs each day from day 2. @default 0.03 */
  readonly gainShare?: number;
  /** Share of finished scans that FAIL. @default 0.02 */
  readonly failShare?: number;
}

export interface World {
  readonly days: number;
  readonly seed: number;
  readonly gainShare: number;
  readonly failShare: number;
  /** Every finding of every digest (by `digestKey`), the ones of later days included. */
  readonly findings: ReadonlyMap<string, readonly WorldFinding[]>;
  /** Per day (index 1..days; 0 and 1 empty): the digests that gained CVEs that morning. */
  readonly gained: readonly (readonly string[])[];
}

export type ScanOutcome = 'COMPLETE' | 'FAILED';

export function digestKey(repositoryName: string, imageDigest: string): string {
  return `${repositoryName}@${imageDigest}`;
}

/** A number in [0, 1) from a string: a seeded draw that does not depend on the order of draws. */
export function unitHash(text: string): number {
  return parseInt(createHash('sha256').update(text).digest('hex').slice(0, 8), 16) / 2 ** 32;
}

function initialFindings(seed: number, key: string, counts: Record<string, number>): WorldFinding[] {
  const findings: WorldFinding[] = [];
  const used = new Set<string>();
  let n = 0;
  for (const [severity, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i++, n++) {
      // Ids unique within the digest: probe past a collision.
      let id: string;
      for (let probe = 0; ; probe++) {
        id = `CVE-2025-${10_000 + Math.floor(unitHash(`${seed} ${key} ${n} ${probe}`) * 90_000)}`;
        if (!used.has(id)) break;
      }
      used.add(id);
      findings.push({ id, severity, since: 1 });
    }
  }
  return findings;
}

function pick(weights: readonly (readonly [string, number])[], draw: number): string {
  const total = weights.reduce((sum, [, w]) => sum + w, 0);
  let at = draw * total;
  for (const [value, weight] of weights) {
    if (at < weight) return value;
    at -= weight;
  }
  return weights[weights.length - 1][0];
}

export function buildWorld(registry: BenchRegistry, options: WorldOptions): World {
  const gainShare = options.gainShare ?? DEFAULT_GAIN_SHARE;
  const failShare = options.failShare ?? DEFAULT_FAIL_SHARE;
  const images = allImages(registry);
  const findings = new Map<string, WorldFinding[]>();
  for (const image of images) {
    const key = digestKey(image.repositoryName, image.imageDigest);
    const counts =
      image.scan?.kind === 'complete'
        ? image.scan.severityCounts ?? {}
        : SEVERITY_MIXES[Math.floor(unitHash(`${options.seed} mix ${key}`) * SEVERITY_MIXES.length)];
    findings.set(key, initialFindings(options.seed, key, counts));
  }
  // One stream of draws, day by day and image by image in registry order: the same seed gives
  // the same days, and a shorter run is a prefix of a longer one.
  const random = mulberry32(options.seed * 7919 + 17);
  const gained: string[][] = [[], []];
  let next = 1;
  for (let day = 2; day <= options.days; day++) {
    const today: string[] = [];
    for (const image of images) {
      if (random() >= gainShare) continue;
      const key = digestKey(image.repositoryName, image.imageDigest);
      const count = random() < 0.5 ? 1 : 2;
      for (let i = 0; i < count; i++) {
        findings.get(key)!.push({ id: `CVE-2026-${100_000 + next++}`, severity: pick(NEW_CVE_SEVERITIES, random()), since: day });
      }
      today.push(key);
    }
    gained.push(today);
  }
  return { days: options.days, seed: options.seed, gainShare, failShare, findings, gained };
}

/** What a scan of the digest finds on `day`. */
export function findingsOn(world: World, key: string, day: number): WorldFinding[] {
  const all = world.findings.get(key);
  if (!all) throw new Error(`the world has no digest ${key}`);
  return all.filter((f) => f.since <= day);
}

/** Whether a scan of the digest finished on `day` completes or FAILS (the same on every side). */
export function scanOutcome(world: World, key: string, day: number): ScanOutcome {
  return unitHash(`${world.seed} fail ${key} ${day}`) < world.failShare ? 'FAILED' : 'COMPLETE';
}

/** Counts by severity, zeros left out, as ECR gives them. */
export function severityCounts(findings: readonly { severity: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return counts;
}

const PACKAGES = ['openssl', 'glibc', 'zlib', 'curl', 'expat', 'libxml2', 'busybox', 'ncurses', 'sqlite', 'krb5'];
const SCORES: Record<string, number> = { CRITICAL: 9.8, HIGH: 7.5, MEDIUM: 5.3, LOW: 3.1 };

/**
 * The full DescribeImageScanFindings response ECR gives after the scan (timestamps in epoch
 * seconds, as on the wire): COMPLETE with the findings, or FAILED with no findings.
 */
export function findingsResponse(
  accountId: string,
  repositoryName: string,
  imageDigest: string,
  outcome: ScanOutcome,
  findings: readonly Finding[],
  completedAt: Date,
): Record<string, unknown> {
  const base = { registryId: accountId, repositoryName, imageId: { imageDigest } };
  if (outcome === 'FAILED') {
    return { ...base, imageScanStatus: { status: 'FAILED', description: 'Unable to retrieve the image layers.' } };
  }
  const epoch = completedAt.getTime() / 1000;
  return {
    ...base,
    imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
    imageScanFindings: {
      imageScanCompletedAt: epoch,
      vulnerabilitySourceUpdatedAt: epoch - 3600,
      findingSeverityCounts: severityCounts(findings),
      findings: findings.map((f) => ({
        name: f.id,
        uri: `https://nvd.nist.gov/vuln/detail/${f.id}`,
        severity: f.severity,
        attributes: [
          { key: 'package_name', value: PACKAGES[parseInt(f.id.slice(-2), 10) % PACKAGES.length] },
          { key: 'package_version', value: `1.${f.id.length % 7}.${parseInt(f.id.slice(-3), 10) % 13}` },
          { key: 'CVSS3_SCORE', value: String(SCORES[f.severity] ?? 0) },
        ],
      })),
    },
  };
}

/** The `detail` of ECR's "ECR Image Scan" event for the scan (AWS-FACTS.md: zero counts omitted). */
export function scanEventDetail(
  repositoryName: string,
  imageDigest: string,
  imageTags: readonly string[],
  outcome: ScanOutcome,
  findings: readonly Finding[],
): Record<string, unknown> {
  return {
    'scan-status': outcome,
    'repository-name': repositoryName,
    'image-digest': imageDigest,
    'image-tags': [...imageTags],
    ...(outcome === 'COMPLETE' ? { 'finding-severity-counts': severityCounts(findings) } : {}),
  };
}
