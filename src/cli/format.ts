/**
 * How `ecr-scan-reporter` writes its results: a table for people, or one JSON
 * document for programs. Both are streamed, one image at a time, so memory stays
 * flat on huge registries. Plain functions and classes: no AWS client, no I/O.
 *
 * Which rows are written: every image (the default), only those whose action is scan
 * (`--only-due`), or none (`--summary-only`). The summary always counts every image.
 *
 * ## The table
 *
 * Every column has a width fixed before the first row (the repository column's is the
 * longest selected name, known before the walk), so every row's columns start where the
 * header's do, for the whole output, without holding the registry in memory. TAGS comes
 * last and is never padded. The widths fit every value of basic scanning; a rarer, longer
 * value (a status of enhanced scanning or one ECR adds later, the reason
 * complete-without-timestamp) is cut to its column with "…", and a finding count of 10,000
 * or more is shortened (12k). The JSON document carries every value whole.
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
 *  "repositoriesSelected":12,"repositoriesGone":0,"imagesEvaluated":108,"toScan":48,
 *  "skipped":{"fresh":57,"in-progress":2,"unsupported-image":1,"image-index":0,"referrer":0,"artifact":0,"attestation":0,"archived":0,
 *   "enhanced-scanning":0,"not-scannable":0,"unknown-status":0}}}
 * ```
 *
 * `images[]`, one entry per image digest (a digest with many tags appears once). With `--only-due`,
 * only the entries whose action is scan. With `--summary-only` the document has no `images` at all
 * (`{"summary":{…}}`), so that an empty list never reads as an empty registry.
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
 *   (action scan) or fresh, in-progress, unsupported-image, image-index, referrer, artifact, attestation (with
 *   --read-image-indexes), archived, enhanced-scanning, not-scannable, unknown-status (skip)
 * - `imageIndex` (with --read-image-indexes, for a manifest an image index lists): {`digest`, `tags` (the index's),
 *   `role` ("platform" | "attestation"), `platform` (`os/architecture[/variant]`, for a platform image)}; the table's
 *   TAGS column then names a platform image by its index, "v1.2 (linux/arm64)"
 * - `outcome` (scan only; string | null): ECR's answer to StartImageScan: started, recently-scanned (already
 *   scanned in the last 24 hours), quota-exceeded (a registry quota), unsupported-image, archived (archived since
 *   it was listed), image-gone (deleted since it was listed); null when the image was skipped
 *
 * `summary`, counting every image whichever rows were written:
 * - `command` ("plan" | "scan"), `registryScanType` ("BASIC" | "ENHANCED"), `scanExpiryDays` (number)
 * - `repositoriesListed`: repositories in the registry; `repositoriesSelected`: those the patterns select;
 *   `repositoriesGone`: selected ones deleted before their walk (skipped)
 * - `imagesEvaluated` = `toScan` + the sum of `skipped`
 * - `toScan`: images the decision calls due
 * - `skipped`: images skipped, by reason: exactly the skip reasons ({@link SKIP_REASONS}: fresh, in-progress,
 *   unsupported-image, image-index, referrer, artifact, attestation, archived, enhanced-scanning, not-scannable,
 *   unknown-status), zeros included. The reasons of action
 *   scan are not there (those images are `toScan`), nor StartImageScan's refusals (answers to due images, below)
 * - scan only: `scansStarted` + `recentlyScanned` + `quotaExceeded` + `refused` = `toScan`, where `refused` counts
 *   the unsupported-image, archived and image-gone answers
 * - with --daily-scan-budget only: `budget` {`dailyScanBudget`, `deferred`}: the due images beyond the budget, part of
 *   `toScan`, each with `"deferredTier"` (carried, in-use, pulled, other: ../decisions/budget.ts) in `images[]` and
 *   ACTION defer in the table; a deferred image has outcome null
 * - plan under enhanced scanning only: `coverageGaps` {`repositoriesNotCovered` (string[]: selected repositories no
 *   scanning filter covers), `monitoringExpired` (images pulled within `pulledWithinDays` whose monitoring expired,
 *   each with `"coverageGap":"monitoring-expired"` in `images[]`), `pulledWithinDays`} (../decisions/coverage.ts)
 *
 * When the run fails after the document has begun (an AWS error in some repository), the document is still closed,
 * with the summary so far and a top-level `"error":{"name":"…","message":"…"}`, and the exit code is 1. A failure
 * before any image is read (credentials, region, the repository listing) writes nothing to stdout. When stdout's
 * reader goes away (`| head`), the run stops with exit code 0 and writes nothing more: nobody is left to read it.
 */
import type { Command } from './args';
import type { StartScanOutcome } from '../aws/ecr';
import type { ImageEvaluation } from '../aws/rescan-repository';
import type { ScanTier } from '../decisions/budget';
import { platformImageLabel } from '../decisions/image-index';
import { RegistryScanType, RescanReason } from '../decisions/rescan';

/**
 * The reasons a run of this tool can count as skips: those decideRescan returns with action
 * skip (test/cli/format.test.ts checks the list against it). The walk's own skip, out-of-scope,
 * needs a rescanScope, which the tool does not take; StartImageScan's refusals are answers to
 * due images, counted in `toScan` and `refused`.
 */
export const SKIP_REASONS = [
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
] as const satisfies readonly RescanReason[];

export type SkipReason = (typeof SKIP_REASONS)[number];

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
  /** Present only under enhanced scanning, for an image pulled recently whose monitoring expired. */
  readonly coverageGap?: 'monitoring-expired';
  /** Present only with --daily-scan-budget, for a due image beyond it: the budget's tier it was in (../decisions/budget.ts). */
  readonly deferredTier?: ScanTier;
  /** Present only with --read-image-indexes, for a manifest an index lists: the index, its tags, the manifest's role and platform. */
  readonly imageIndex?: { readonly digest: string; readonly tags: string[]; readonly role: 'platform' | 'attestation'; readonly platform?: string };
}

/** Under enhanced scanning (plan only): what Amazon Inspector does not scan although it looks scanned. */
export interface CoverageGaps {
  /** Selected repositories that no scanning filter of the registry covers, in the walk's order. */
  readonly repositoriesNotCovered: string[];
  /** Images pulled within `pulledWithinDays` whose monitoring expired (SCAN_ELIGIBILITY_EXPIRED). */
  monitoringExpired: number;
  readonly pulledWithinDays: number;
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
  readonly skipped: Record<SkipReason, number>;
  scansStarted: number;
  recentlyScanned: number;
  quotaExceeded: number;
  refused: number;
  /** Present only for plan under enhanced scanning. */
  coverageGaps?: CoverageGaps;
  /** Present only with --daily-scan-budget: the budget, and the due images beyond it (part of `toScan`). */
  budget?: { readonly dailyScanBudget: number; deferred: number };
}

export function emptySummary(command: Command, registryScanType: RegistryScanType, scanExpiryDays: number): Summary {
  const skipped = Object.fromEntries(SKIP_REASONS.map((reason) => [reason, 0])) as Record<SkipReason, number>;
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
  if (row.coverageGap === 'monitoring-expired' && summary.coverageGaps) summary.coverageGaps.monitoringExpired++;
  if (row.action === 'skip') {
    // Never outside SKIP_REASONS here; were one to come, it is counted under its own name, so the sum still holds.
    const skipped: Record<string, number> = summary.skipped;
    skipped[row.reason] = (skipped[row.reason] ?? 0) + 1;
    return;
  }
  summary.toScan++;
  if (row.deferredTier && summary.budget) summary.budget.deferred++;
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
    case 'archived':
    case 'image-gone':
      summary.refused++;
      break;
    default:
      // plan: nothing was asked of ECR.
      break;
  }
}

/** A manifest an index lists, in the TAGS column: a platform image as "v1.2 (linux/arm64)", an attestation as "v1.2 (attestation)". */
function indexLabel(index: NonNullable<ImageRow['imageIndex']>): string {
  return index.role === 'attestation' ? `${platformImageLabel({ ...index, platform: undefined })} (attestation)` : platformImageLabel(index);
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
    ...(evaluation.coverageGap ? { coverageGap: evaluation.coverageGap } : {}),
    ...(evaluation.deferred ? { deferredTier: evaluation.deferred.tier } : {}),
    ...(evaluation.imageIndex
      ? {
        imageIndex: {
          digest: evaluation.imageIndex.digest,
          tags: [...evaluation.imageIndex.tags],
          role: evaluation.imageIndex.role,
          ...(evaluation.imageIndex.platform ? { platform: evaluation.imageIndex.platform } : {}),
        },
      }
      : {}),
  };
  return command === 'scan' ? { ...row, outcome: evaluation.outcome ?? null } : row;
}

/** The summary as the JSON document carries it: the scan counts only for scan. */
export function summaryJson(summary: Summary): Record<string, unknown> {
  const { scansStarted, recentlyScanned, quotaExceeded, refused, ...common } = summary;
  return summary.command === 'scan' ? { ...common, scansStarted, recentlyScanned, quotaExceeded, refused } : common;
}

/** Which rows a run writes: every image, the due ones (`--only-due`), or none (`--summary-only`). */
export type RowSelection = 'all' | 'due' | 'none';

export function rowSelection(options: { readonly onlyDue: boolean; readonly summaryOnly: boolean }): RowSelection {
  if (options.summaryOnly) return 'none';
  return options.onlyDue ? 'due' : 'all';
}

function selects(selection: RowSelection, row: ImageRow): boolean {
  return selection === 'all' || (selection === 'due' && row.action === 'scan');
}

/** The error a failed run's output ends with. */
export interface RunFailure {
  readonly name: string;
  readonly message: string;
}

/**
 * What a run writes on stdout, in three parts: {@link Printer.begin} once, {@link Printer.row}
 * for each image (an empty string for a row not selected), {@link Printer.end} once, with the summary.
 */
export interface Printer {
  begin(): string;
  row(row: ImageRow): string;
  end(summary: Summary, failure?: RunFailure): string;
}

/** The JSON document (`--json`), streamed. */
export class JsonDocument implements Printer {
  private written = 0;

  constructor(private readonly selection: RowSelection) {}

  public begin(): string {
    return this.selection === 'none' ? '{' : '{"images":[';
  }

  public row(row: ImageRow): string {
    if (!selects(this.selection, row)) return '';
    return `${this.written++ === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
  }

  public end(summary: Summary, failure?: RunFailure): string {
    const rest = `"summary":${JSON.stringify(summaryJson(summary))}${failure ? `,\n"error":${JSON.stringify(failure)}` : ''}}\n`;
    return this.selection === 'none' ? rest : `\n],\n${rest}`;
  }
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

/** The widest finding count: "9,999", then "999k"; even Number.MAX_SAFE_INTEGER is "9P". */
export const COUNT_WIDTH = 5;

/** A finding count in at most {@link COUNT_WIDTH} characters: "-" for none, "1,203", then "12k", "3M", …, rounded down. */
export function formatFindingCount(n: number): string {
  if (!(n > 0)) return '-';
  if (n < 10_000) return formatCount(n);
  const units = ['k', 'M', 'G', 'T', 'P'];
  let unit = 0;
  let value = n / 1000;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  // Down, so that "12k" never claims more findings than there are.
  return `${Math.floor(value)}${units[unit]}`;
}

/** The severities with a column each; the rest (INFORMATIONAL, UNDEFINED, any ECR adds) are added up under OTHER. */
const SEVERITY_COLUMNS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;

function otherFindings(counts: Record<string, number>): number {
  return Object.entries(counts)
    .filter(([severity, n]) => !(SEVERITY_COLUMNS as readonly string[]).includes(severity) && n > 0)
    .reduce((sum, [, n]) => sum + n, 0);
}

/** Fits a value to its column: padded, or cut with "…" when longer (the module's comment says which values can be). */
export function fitCell(value: string, width: number): string {
  return value.length <= width ? value.padEnd(width) : `${value.slice(0, width - 1)}…`;
}

interface Column {
  readonly header: string;
  readonly value: (row: ImageRow) => string;
  /** The width of every cell of the column: the longest value it is meant to hold. */
  readonly width: number;
}

const BEFORE_OUTCOME: readonly Column[] = [
  { header: 'DIGEST', value: (r) => shortDigest(r.imageDigest), width: 12 },
  // The longest status of basic scanning; those of enhanced scanning (SCAN_ELIGIBILITY_EXPIRED, …) are cut.
  { header: 'STATUS', value: (r) => r.status ?? '-', width: 'UNSUPPORTED_IMAGE'.length },
  { header: 'LAST SCAN', value: (r) => formatScanTime(r.lastScanCompletedAt), width: '2026-11-14 08:00Z'.length },
  // "defer": due, but beyond --daily-scan-budget.
  { header: 'ACTION', value: (r) => (r.deferredTier ? 'defer' : r.action), width: 'ACTION'.length },
  // Every reason but complete-without-timestamp (an ECR anomaly, COMPLETE with no time), which is cut.
  { header: 'REASON', value: (r) => r.reason, width: 'unsupported-image'.length },
];
// The longest StartScanOutcome.
const OUTCOME: Column = { header: 'OUTCOME', value: (r) => r.outcome ?? '-', width: 'unsupported-image'.length };
const FINDINGS: readonly Column[] = [
  ...SEVERITY_COLUMNS.map((severity) => ({
    header: severity,
    value: (r: ImageRow) => formatFindingCount(r.severityCounts[severity] ?? 0),
    width: Math.max(severity.length, COUNT_WIDTH),
  })),
  { header: 'OTHER', value: (r) => formatFindingCount(otherFindings(r.severityCounts)), width: COUNT_WIDTH },
];

/**
 * The table's header and rows, each column at a width fixed before the first row, so that every
 * row lines up with the header whatever comes later; TAGS, last, is written whole.
 */
export class StreamingTable {
  private readonly columns: readonly Column[];

  constructor(command: Command, repositoryNames: readonly string[]) {
    const longestName = repositoryNames.reduce((max, name) => Math.max(max, name.length), 'REPOSITORY'.length);
    this.columns = [
      { header: 'REPOSITORY', value: (r) => r.repositoryName, width: longestName },
      ...BEFORE_OUTCOME,
      ...(command === 'scan' ? [OUTCOME] : []),
      ...FINDINGS,
    ];
  }

  public header(): string {
    return this.line(
      this.columns.map((c) => c.header),
      'TAGS',
    );
  }

  public row(row: ImageRow): string {
    return this.line(
      this.columns.map((c) => c.value(row)),
      row.imageTags.length > 0 ? row.imageTags.join(',') : row.imageIndex ? indexLabel(row.imageIndex) : '-',
    );
  }

  private line(cells: string[], tags: string): string {
    return `${cells.map((cell, i) => fitCell(cell, this.columns[i].width)).join('  ')}  ${tags}\n`;
  }
}

/** The table (the default output), streamed: the header, the selected rows, a blank line and the summary; only the summary for `none`. */
export class TableOutput implements Printer {
  private readonly table: StreamingTable;

  constructor(
    command: Command,
    repositoryNames: readonly string[],
    private readonly selection: RowSelection,
  ) {
    this.table = new StreamingTable(command, repositoryNames);
  }

  public begin(): string {
    return this.selection === 'none' ? '' : this.table.header();
  }

  public row(row: ImageRow): string {
    return selects(this.selection, row) ? this.table.row(row) : '';
  }

  public end(summary: Summary, failure?: RunFailure): string {
    return `${this.selection === 'none' ? '' : '\n'}${formatSummary(summary, failure !== undefined)}`;
  }
}

function days(n: number): string {
  return `${n} day${n === 1 ? '' : 's'}`;
}

/** The summary (below the table, after a blank line); `incomplete` when the run failed part way (the error follows on stderr). */
export function formatSummary(summary: Summary, incomplete = false): string {
  const skipped = Object.values(summary.skipped).reduce((a, b) => a + b, 0);
  const reasons = Object.entries(summary.skipped)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `${reason} ${formatCount(n)}`);
  const lines = [
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
  if (summary.budget) {
    lines.push(`  budget        ${countOf(summary.budget.deferred, 'due image')} deferred beyond the budget of ${countOf(summary.budget.dailyScanBudget, 'scan')}`);
  }
  const gaps = summary.coverageGaps;
  if (gaps) {
    const names = gaps.repositoriesNotCovered;
    const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? `, and ${formatCount(names.length - 10)} more (--json lists them all)` : '');
    lines.push(
      `  coverage gaps ${formatCount(names.length)} ${names.length === 1 ? 'repository' : 'repositories'} no enhanced scanning filter covers${names.length > 0 ? ` (${shown})` : ''}; ` +
        `${countOf(gaps.monitoringExpired, 'image')} pulled within ${days(gaps.pulledWithinDays)} whose monitoring expired`,
    );
  }
  return `${lines.join('\n')}\n`;
}
