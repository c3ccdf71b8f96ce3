/**
 * How `ecr-scan-reporter` writes its results: a table for people, or one JSON
 * document for programs. Both are streamed, one image at a time, so memory stays
 * flat on huge registries. Plain functions: no AWS client, no I/O.
 *
 * ## The JSON document (`--json`)
 *
 * stdout carries exactly one JSON document (one image per line, for `grep`):
 *
 * ```
 * {"images":[
 * {"repositoryName":"team-a/api","imageDigest":"sha256:4bd7…","imageTags":["v1.4.2","latest"],"status":"COMPLETE",
 *  "lastScanCompletedAt":"2026-11-01T04:00:00.000Z","severityCounts":{"CRITICAL":1,"HIGH":6},"action":"scan","reason":"expired"}
 * ],
 * "summary":{"command":"plan","registryScanType":"BASIC","scanExpiryDays":7,"repositoriesListed":20,
 *  "repositoriesSelected":12,"repositoriesGone":0,"imagesEvaluated":108,"toScan":48,"skipped":{"never-scanned":0,…}}}
 * ```
 *
 * `images[]`, one entry per image digest (a digest with many tags appears once):
 * - `repositoryName` (string)
 * - `imageDigest` (string, `sha256:…` in full)
 * - `imageTags` (string[]; `[]` for an untagged image)
 * - `status` (string | null): ECR's `imageScanStatus.status` (COMPLETE, FAILED, IN_PROGRESS, …, or a value ECR adds
 *   later); null when ECR has no scan of the image, and for every image of a registry under enhanced scanning (its
 *   state is not read)
 * - `lastScanCompletedAt` (string | null): ISO-8601 UTC time the last scan completed; null when unknown
 * - `severityCounts` (object): the last scan's finding counts by severity (`{"CRITICAL":1,"HIGH":6}`); `{}` when none
 * - `action` ("scan" | "skip"): the rescan decision
 * - `reason` (string): why, one of never-scanned, expired, complete-without-timestamp, failed, limit-exceeded
 *   (action scan) or fresh, in-progress, unsupported-image, enhanced-scanning, not-scannable, unknown-status (skip)
 * - `outcome` (scan only; string | null): ECR's answer to StartImageScan: started, recently-scanned (already
 *   scanned in the last 24 hours), quota-exceeded (a registry quota), unsupported-image, image-gone (deleted or
 *   archived since it was listed); null when the image was skipped
 *
 * `summary`:
 * - `command` ("plan" | "scan"), `registryScanType` ("BASIC" | "ENHANCED"), `scanExpiryDays` (number)
 * - `repositoriesListed`: repositories in the registry; `repositoriesSelected`: those the patterns select;
 *   `repositoriesGone`: selected ones deleted before their walk (skipped)
 * - `imagesEvaluated` = `toScan` + the sum of `skipped`
 * - `toScan`: images the decision calls due
 * - `skipped`: images skipped, by reason; every skip reason is present, zeros included
 * - scan only: `scansStarted` + `recentlyScanned` + `quotaExceeded` + `refused` = `toScan`, where `refused` counts
 *   the unsupported-image and image-gone answers
 *
 * When the run fails after the document has begun (an AWS error in some repository), the document is still closed,
 * with the summary so far and a top-level `"error":{"name":"…","message":"…"}`, and the exit code is 1. A failure
 * before any image is read (credentials, region, the repository listing) writes nothing to stdout.
 */
import type { Command } from './args';
import type { StartScanOutcome } from '../aws/ecr';
import type { ImageEvaluation } from '../aws/rescan-repository';
import { RESCAN_REASONS, RegistryScanType, RescanReason } from '../decisions/rescan';
import { severityRank } from '../decisions/severity';

/** One image as the JSON document carries it. */
export interface ImageRow {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: string[];
  readonly status: string | null;
  readonly lastScanCompletedAt: string | null;
  readonly severityCounts: Record<string, number>;
  readonly action: 'scan' | 'skip';
  readonly reason: RescanReason;
  /** Present for scan only. */
  readonly outcome?: StartScanOutcome | null;
}

export interface Summary {
  readonly command: Command;
  readonly registryScanType: RegistryScanType;
  readonly scanExpiryDays: number;
  repositoriesListed: number;
  repositoriesSelected: number;
  repositoriesGone: number;
  imagesEvaluated: number;
  toScan: number;
  readonly skipped: Record<RescanReason, number>;
  scansStarted: number;
  recentlyScanned: number;
  quotaExceeded: number;
  refused: number;
}

export function emptySummary(command: Command, registryScanType: RegistryScanType, scanExpiryDays: number): Summary {
  const skipped = Object.fromEntries(RESCAN_REASONS.map((reason) => [reason, 0])) as Record<RescanReason, number>;
  return {
    command,
    registryScanType,
    scanExpiryDays,
    repositoriesListed: 0,
    repositoriesSelected: 0,
    repositoriesGone: 0,
    imagesEvaluated: 0,
    toScan: 0,
    skipped,
    scansStarted: 0,
    recentlyScanned: 0,
    quotaExceeded: 0,
    refused: 0,
  };
}

/** Counts one evaluated image; the summary is made of the rows, so the two always agree. */
export function addToSummary(summary: Summary, row: ImageRow): void {
  summary.imagesEvaluated++;
  if (row.action === 'skip') {
    summary.skipped[row.reason]++;
    return;
  }
  summary.toScan++;
  switch (row.outcome) {
    case 'started':
      summary.scansStarted++;
      break;
    case 'recently-scanned':
      summary.recentlyScanned++;
      break;
    case 'quota-exceeded':
      summary.quotaExceeded++;
      break;
    case 'unsupported-image':
    case 'image-gone':
      summary.refused++;
      break;
    default:
      // plan: nothing was asked of ECR.
      break;
  }
}

function isoOrNull(date: Date | undefined): string | null {
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

export function toImageRow(evaluation: ImageEvaluation, command: Command): ImageRow {
  const row: ImageRow = {
    repositoryName: evaluation.repositoryName,
    imageDigest: evaluation.imageDigest,
    imageTags: [...evaluation.imageTags],
    status: evaluation.state.status ?? null,
    lastScanCompletedAt: isoOrNull(evaluation.state.completedAt),
    severityCounts: { ...(evaluation.state.severityCounts ?? {}) },
    action: evaluation.decision.action,
    reason: evaluation.decision.reason,
  };
  return command === 'scan' ? { ...row, outcome: evaluation.outcome ?? null } : row;
}

/** The summary as the JSON document carries it: the scan counts only for scan. */
export function summaryJson(summary: Summary): Record<string, unknown> {
  const { scansStarted, recentlyScanned, quotaExceeded, refused, ...common } = summary;
  return summary.command === 'scan' ? { ...common, scansStarted, recentlyScanned, quotaExceeded, refused } : common;
}

/** The streamed JSON document, in three parts: {@link begin}, one {@link image} per row, {@link end}. */
export const jsonDocument = {
  begin: (): string => '{"images":[',
  image: (row: ImageRow, first: boolean): string => `${first ? '\n' : ',\n'}${JSON.stringify(row)}`,
  end: (summary: Summary, error?: { name: string; message: string }): string =>
    `\n],\n"summary":${JSON.stringify(summaryJson(summary))}${error ? `,\n"error":${JSON.stringify(error)}` : ''}}\n`,
};

/** "CRITICAL 2, HIGH 5", most severe first, zeros left out; "-" when there is none. */
export function formatSeverityCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => severityRank(a) - severityRank(b) || a.localeCompare(b));
  return entries.length === 0 ? '-' : entries.map(([severity, n]) => `${severity} ${n}`).join(', ');
}

/** "sha256:4bd77cffb0da8c…" → "4bd77cffb0da": 12 hex digits, as `docker images` shows an id. */
export function shortDigest(digest: string): string {
  return digest.replace(/^[a-z0-9]+:/, '').slice(0, 12);
}

/** "2026-11-14T08:00:00.000Z" → "2026-11-14 08:00Z"; "-" for null. */
export function formatScanTime(iso: string | null): string {
  return iso === null ? '-' : `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
}

/** 4210 → "4,210", independent of the locale. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 1 → "1 image", 4210 → "4,210 images". */
export function countOf(n: number, noun: string): string {
  return `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
}

interface Column {
  readonly header: string;
  readonly value: (row: ImageRow) => string;
  /** Width before any row is seen; the columns grow to fit wider values as they come. */
  readonly width?: number;
}

const PLAN_COLUMNS: readonly Column[] = [
  { header: 'REPOSITORY', value: (r) => r.repositoryName },
  { header: 'DIGEST', value: (r) => shortDigest(r.imageDigest), width: 12 },
  { header: 'STATUS', value: (r) => r.status ?? '-', width: 'UNSUPPORTED_IMAGE'.length },
  { header: 'LAST SCAN', value: (r) => formatScanTime(r.lastScanCompletedAt), width: '2026-11-14 08:00Z'.length },
  { header: 'ACTION', value: (r) => r.action },
  { header: 'REASON', value: (r) => r.reason, width: 'unsupported-image'.length },
];
const OUTCOME_COLUMN: Column = { header: 'OUTCOME', value: (r) => r.outcome ?? '-', width: 'unsupported-image'.length };
const END_COLUMNS: readonly Column[] = [
  { header: 'FINDINGS', value: (r) => formatSeverityCounts(r.severityCounts), width: 'CRITICAL 1, HIGH 10'.length },
  { header: 'TAGS', value: (r) => (r.imageTags.length > 0 ? r.imageTags.join(',') : '-') },
];

/**
 * A table written row by row: every column but the last (TAGS, unbounded) is
 * padded to the widest value seen so far, starting from a width that fits the
 * usual values, so rows stay aligned without holding the registry in memory (a
 * rare wider value shifts its row and widens the column from there on). The
 * repository column starts at the longest selected name, known before the walk;
 * the two columns of unbounded width, FINDINGS and TAGS, come last.
 */
export class StreamingTable {
  private readonly columns: readonly Column[];
  private readonly widths: number[];

  constructor(command: Command, repositoryNames: readonly string[]) {
    this.columns = [...PLAN_COLUMNS, ...(command === 'scan' ? [OUTCOME_COLUMN] : []), ...END_COLUMNS];
    const longestName = repositoryNames.reduce((max, name) => Math.max(max, name.length), 0);
    this.widths = this.columns.map((c, i) => Math.max(c.header.length, c.width ?? 0, i === 0 ? longestName : 0));
  }

  public header(): string {
    return this.line(this.columns.map((c) => c.header));
  }

  public row(row: ImageRow): string {
    return this.line(this.columns.map((c) => c.value(row)));
  }

  private line(cells: string[]): string {
    cells.forEach((cell, i) => (this.widths[i] = Math.max(this.widths[i], cell.length)));
    const padded = cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(this.widths[i])));
    return `${padded.join('  ').trimEnd()}\n`;
  }
}

function days(n: number): string {
  return `${n} day${n === 1 ? '' : 's'}`;
}

/** The summary below the table; `incomplete` when the run failed part way (the error follows on stderr). */
export function formatSummary(summary: Summary, incomplete = false): string {
  const skipped = Object.values(summary.skipped).reduce((a, b) => a + b, 0);
  const reasons = Object.entries(summary.skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${formatCount(n)}`);
  const lines = [
    '',
    `${incomplete ? 'Summary so far, the run failed' : 'Summary'} (${summary.command}; registry scan type ${summary.registryScanType}; scan expiry ${days(summary.scanExpiryDays)})`,
    `  repositories  ${formatCount(summary.repositoriesListed)} listed, ${formatCount(summary.repositoriesSelected)} selected` +
      (summary.repositoriesGone > 0 ? `, ${formatCount(summary.repositoriesGone)} deleted since listed (skipped)` : ''),
    `  images        ${formatCount(summary.imagesEvaluated)} evaluated: ${formatCount(summary.toScan)} to scan, ${formatCount(skipped)} skipped`,
  ];
  if (reasons.length > 0) lines.push(`  skipped       ${reasons.join(', ')}`);
  if (summary.command === 'scan') {
    lines.push(
      `  scans         ${formatCount(summary.scansStarted)} started, ${formatCount(summary.recentlyScanned)} recently scanned, ` +
        `${formatCount(summary.quotaExceeded)} refused by a quota, ${formatCount(summary.refused)} refused (unsupported or gone)`,
    );
  }
  return `${lines.join('\n')}\n`;
}
