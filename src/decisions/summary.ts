/**
 * The registry summary (weekly by default): the figures a security lead asks for on Monday, computed
 * from ledger entries one at a time, so that a million entries stream through in bounded memory (per
 * repository, per CVE and per top list, never per digest). Plain module, no AWS client: the summary
 * function feeds it the ledger's items, the command-line tool ECR's answers, so both compute the same.
 *
 * | figure | from each image entry (ledger.ts) |
 * | --- | --- |
 * | images tracked | every image entry, except image indexes (`children`) and attestation manifests (`index.role`) |
 * | by highest severity | the last COMPLETE scan's counts (`scan.severityCounts`); no COMPLETE scan: `UNSCANNED` |
 * | scanned in the period | `scan.completedAt` within the period |
 * | in use | in-use.ts's view of `inUse` with the last discovery's marker: running, not running, unknown |
 * | new in the period | `lastReport` within the period with reason `first-report` or `new-findings`: digests that gained findings |
 * | fixed | finding ids the last report listed that a later COMPLETE scan, within the period, no longer has |
 * | top CVEs | `scan.findingIds` (the findings at severities that reached a threshold): images per id, running ones first |
 * | worst repositories | images with a CRITICAL finding, then with a HIGH one, per repository; the trend against the previous summary |
 * | problems | the last scan FAILED, UNSUPPORTED_IMAGE, or deferred by the daily scan budget (`deferredOn`) |
 * | accepted risks | configured entries that expire within `expiringWithinMs`, and those that matched nothing for a cycle |
 * | coverage gaps | given by the caller (coverage.ts computes them from ECR; the ledger does not hold them) |
 */
import { AcceptedRiskEntry, acceptedRiskKey, expiryOf, unmatchedForACycle } from './accepted-risks';
import { DiscoveryMarker, inUseView } from './in-use';
import type { LedgerEntry } from './ledger';
import { OwnerRule, decideOwner } from './owners';
import { SEVERITIES } from './severity';

/** The severities a summary counts images by, worst first, and what an image without a COMPLETE scan is. */
export const SUMMARY_LEVELS = [...SEVERITIES.filter((s) => s !== 'UNDEFINED'), 'NONE', 'UNSCANNED'] as const;
export type SummaryLevel = (typeof SUMMARY_LEVELS)[number];

/** What the previous summary kept for the trend: per repository, its images with CRITICAL and HIGH findings. */
export interface PreviousSummary {
  readonly at: Date;
  readonly repositories: Readonly<Record<string, { readonly critical: number; readonly high: number }>>;
}

export interface SummaryOptions {
  readonly now: Date;
  /** The period the summary covers, ending now (a week for the weekly schedule). */
  readonly periodMs: number;
  readonly inUse: { readonly discoveryOn: boolean; readonly holdMs: number; readonly marker?: DiscoveryMarker };
  /** The configured accepted risks, and what the ledger recorded of their matches (keyed by acceptedRiskKey). */
  readonly acceptedRisks?: readonly AcceptedRiskEntry[];
  readonly riskRecords?: ReadonlyMap<string, { readonly lastMatchedAt?: Date; readonly firstCheckedAt?: Date }>;
  /** How long a risk may go without a match before it is named (a scan expiry and a day). */
  readonly unmatchedWindowMs?: number;
  /** An accepted risk that expires within this is named. @default 14 days */
  readonly expiringWithinMs?: number;
  readonly previous?: PreviousSummary;
  /** Under enhanced scanning, what coverage.ts found; absent: not known (the summary says nothing about coverage). */
  readonly coverage?: { readonly repositoriesNotCovered: readonly string[]; readonly imagesNotMonitored: number };
  /** Entries in each top list. @default 10 */
  readonly top?: number;
  /**
   * How repositories are owned (owners.ts): `repositoryOwners`' rules, after the owner tags the ledger
   * cached (addOwnerTag). @default - owners are not known: the summary names none
   */
  readonly owners?: { readonly rules: readonly OwnerRule[] };
}

export interface SummaryImage {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: readonly string[];
  readonly at: string;
}

export interface SummaryCve {
  readonly id: string;
  /** Images whose last scan has it at a severity that reached its threshold. */
  readonly images: number;
  readonly imagesRunning: number;
}

export interface SummaryRepository {
  readonly repositoryName: string;
  /** The repository's owner where the ledger knows it; null when none does; absent when owners are not known. */
  readonly owner?: string | null;
  readonly images: number;
  /** Images whose highest severity is CRITICAL. */
  readonly critical: number;
  /** Images whose highest severity is HIGH. */
  readonly high: number;
  readonly running: number;
  /** Against the previous summary: the change in `critical` and `high`; null when the previous summary did not list it. */
  readonly trend: { readonly critical: number; readonly high: number } | null;
}

/** The summary's JSON form. Field names are a public contract: add, never rename. */
export interface RegistrySummary {
  readonly version: 1;
  readonly kind: 'summary';
  readonly period: { readonly from: string; readonly to: string };
  readonly images: {
    readonly tracked: number;
    readonly scannedInPeriod: number;
    /** Images by the highest severity of their last COMPLETE scan, every level listed, zeros included. */
    readonly byHighestSeverity: Record<SummaryLevel, number>;
    readonly inUse: { readonly running: number; readonly notRunning: number; readonly unknown: number };
    /** Images with a CRITICAL finding that run. */
    readonly criticalRunning: number;
  };
  /** Digests that gained findings in the period (their first report, or new findings), the latest first. */
  readonly news: { readonly digests: number; readonly latest: SummaryImage[] };
  /** Findings the last report listed that a scan in the period no longer found. */
  readonly fixed: { readonly findings: number; readonly digests: number };
  readonly topCves: SummaryCve[];
  readonly worstRepositories: SummaryRepository[];
  readonly problems: { readonly failed: number; readonly unsupported: number; readonly deferred: number };
  readonly coverage?: { readonly repositoriesNotCovered: string[]; readonly imagesNotMonitored: number };
  readonly acceptedRisks: {
    readonly expiringSoon: { readonly findingId: string; readonly repositoryPattern?: string; readonly expires: string }[];
    readonly unmatched: { readonly findingId: string; readonly repositoryPattern?: string }[];
  };
}

interface RepositoryTally {
  images: number;
  critical: number;
  high: number;
  running: number;
}

const DAY_MS = 86_400_000;

/** The highest severity with a finding in a COMPLETE scan's counts; NONE without one. */
export function highestLevel(counts: Readonly<Record<string, number>>): SummaryLevel {
  for (const level of SUMMARY_LEVELS) {
    if (level !== 'NONE' && level !== 'UNSCANNED' && (counts[level] ?? 0) > 0) return level;
  }
  return 'NONE';
}

/** Builds a summary from ledger entries given one at a time (add), then `build()`. */
export class SummaryBuilder {
  private readonly from: number;
  private readonly top: number;
  private tracked = 0;
  private scannedInPeriod = 0;
  private readonly byLevel = Object.fromEntries(SUMMARY_LEVELS.map((l) => [l, 0])) as Record<SummaryLevel, number>;
  private readonly inUse = { running: 0, notRunning: 0, unknown: 0 };
  private criticalRunning = 0;
  private newDigests = 0;
  private latestNews: SummaryImage[] = [];
  private fixedFindings = 0;
  private fixedDigests = 0;
  private readonly cves = new Map<string, { images: number; imagesRunning: number }>();
  private readonly repositories = new Map<string, RepositoryTally>();
  private readonly ownerTags = new Map<string, string | undefined>();
  private readonly problems = { failed: 0, unsupported: 0, deferred: 0 };
  private coverage: SummaryOptions['coverage'];

  constructor(private readonly options: SummaryOptions) {
    this.coverage = options.coverage;
    this.from = options.now.getTime() - options.periodMs;
    this.top = options.top ?? 10;
  }

  /** Sets the coverage gaps, when the caller learns them while the entries stream in (the command line's walk). */
  public setCoverage(coverage: NonNullable<SummaryOptions['coverage']>): void {
    this.coverage = coverage;
  }

  /** Records a repository's owner tag as the ledger cached it (undefined: the repository has no such tag). */
  public addOwnerTag(repositoryName: string, tagOwner: string | undefined): void {
    this.ownerTags.set(repositoryName, tagOwner);
  }

  public addImage(entry: LedgerEntry): void {
    if (entry.children !== undefined || entry.index?.role === 'attestation') return;
    this.tracked++;
    const scan = entry.scan;
    const inPeriod = (at: Date | undefined) => at !== undefined && at.getTime() > this.from && at.getTime() <= this.options.now.getTime();
    const level: SummaryLevel = scan?.completedAt ? highestLevel(scan.severityCounts) : 'UNSCANNED';
    this.byLevel[level]++;
    if (inPeriod(scan?.completedAt)) this.scannedInPeriod++;

    const view = inUseView({ now: this.options.now, ...this.options.inUse, places: entry.inUse ?? [] });
    const running = view.status === 'running';
    if (running) this.inUse.running++;
    else if (view.status === 'not-running') this.inUse.notRunning++;
    else this.inUse.unknown++;
    if (level === 'CRITICAL' && running) this.criticalRunning++;

    const report = entry.lastReport;
    if (report && inPeriod(report.at) && (report.reason === 'first-report' || report.reason === 'new-findings')) {
      this.newDigests++;
      const { repositoryName, imageDigest } = entry;
      this.latestNews.push({ repositoryName, imageDigest, imageTags: entry.imageTags.slice(0, 5), at: report.at.toISOString() });
      this.latestNews.sort((a, b) => b.at.localeCompare(a.at) || a.imageDigest.localeCompare(b.imageDigest));
      if (this.latestNews.length > this.top) this.latestNews.length = this.top;
    }
    if (report && scan?.status === 'COMPLETE' && scan.completedAt && scan.findingIds && inPeriod(scan.completedAt) && scan.completedAt.getTime() > report.at.getTime()) {
      const now = new Set(scan.findingIds);
      const gone = report.findingIds.filter((id) => !now.has(id)).length;
      if (gone > 0) {
        this.fixedFindings += gone;
        this.fixedDigests++;
      }
    }
    for (const id of new Set(scan?.findingIds ?? [])) {
      const cve = this.cves.get(id) ?? { images: 0, imagesRunning: 0 };
      cve.images++;
      if (running) cve.imagesRunning++;
      this.cves.set(id, cve);
    }
    const repository = this.repositories.get(entry.repositoryName) ?? { images: 0, critical: 0, high: 0, running: 0 };
    repository.images++;
    if (level === 'CRITICAL') repository.critical++;
    if (level === 'HIGH') repository.high++;
    if (running) repository.running++;
    this.repositories.set(entry.repositoryName, repository);

    if (scan?.status === 'FAILED') this.problems.failed++;
    if (scan?.status === 'UNSUPPORTED_IMAGE') this.problems.unsupported++;
    if (entry.deferredOn !== undefined) this.problems.deferred++;
  }

  public build(): RegistrySummary {
    const { now, previous } = this.options;
    const topCves = [...this.cves.entries()]
      .map(([id, c]) => ({ id, ...c }))
      .sort((a, b) => b.imagesRunning - a.imagesRunning || b.images - a.images || a.id.localeCompare(b.id))
      .slice(0, this.top);
    const worstRepositories = [...this.repositories.entries()]
      .filter(([, r]) => r.critical + r.high > 0)
      .sort(([an, a], [bn, b]) => b.critical - a.critical || b.high - a.high || b.running - a.running || an.localeCompare(bn))
      .slice(0, this.top)
      .map(([repositoryName, r]): SummaryRepository => {
        const before = previous?.repositories[repositoryName];
        return {
          repositoryName,
          ...(this.options.owners ? { owner: this.ownerOf(repositoryName, this.options.owners.rules) } : {}),
          images: r.images,
          critical: r.critical,
          high: r.high,
          running: r.running,
          trend: before ? { critical: r.critical - before.critical, high: r.high - before.high } : null,
        };
      });
    return {
      version: 1,
      kind: 'summary',
      period: { from: new Date(this.from).toISOString(), to: now.toISOString() },
      images: {
        tracked: this.tracked,
        scannedInPeriod: this.scannedInPeriod,
        byHighestSeverity: { ...this.byLevel },
        inUse: { ...this.inUse },
        criticalRunning: this.criticalRunning,
      },
      news: { digests: this.newDigests, latest: [...this.latestNews] },
      fixed: { findings: this.fixedFindings, digests: this.fixedDigests },
      topCves,
      worstRepositories,
      problems: { ...this.problems },
      ...(this.coverage
        ? {
          coverage: {
            repositoriesNotCovered: this.coverage.repositoriesNotCovered.slice(0, 50),
            imagesNotMonitored: this.coverage.imagesNotMonitored,
          },
        }
        : {}),
      acceptedRisks: this.risks(),
    };
  }

  /** What the next summary compares against: every repository with CRITICAL or HIGH images, at most 2,000. */
  public previousForNext(): PreviousSummary {
    const repositories: Record<string, { critical: number; high: number }> = {};
    const ranked = [...this.repositories.entries()]
      .filter(([, r]) => r.critical + r.high > 0)
      .sort(([, a], [, b]) => b.critical - a.critical || b.high - a.high);
    for (const [name, r] of ranked.slice(0, 2000)) repositories[name] = { critical: r.critical, high: r.high };
    return { at: this.options.now, repositories };
  }

  private ownerOf(repositoryName: string, rules: readonly OwnerRule[]): string | null {
    return decideOwner({ repositoryName, tagOwner: this.ownerTags.get(repositoryName), rules }).owner ?? null;
  }

  private risks(): RegistrySummary['acceptedRisks'] {
    const now = this.options.now.getTime();
    const within = this.options.expiringWithinMs ?? 14 * DAY_MS;
    const entries = this.options.acceptedRisks ?? [];
    const pattern = (e: AcceptedRiskEntry) => (e.repositoryPattern !== undefined ? { repositoryPattern: e.repositoryPattern } : {});
    const expiringSoon = entries
      .filter((e) => {
        const at = expiryOf(e)?.getTime();
        return at !== undefined && at > now && at - now <= within;
      })
      .map((e) => ({ findingId: e.findingId, ...pattern(e), expires: e.expires }));
    const window = this.options.unmatchedWindowMs;
    const unmatched =
      window === undefined
        ? []
        : entries
          .filter((e) => {
            const at = expiryOf(e)?.getTime();
            const record = this.options.riskRecords?.get(acceptedRiskKey(e));
            return at !== undefined && at > now && record !== undefined && unmatchedForACycle(record, this.options.now, window);
          })
          .map((e) => ({ findingId: e.findingId, ...pattern(e) }));
    return { expiringSoon, unmatched };
  }
}
