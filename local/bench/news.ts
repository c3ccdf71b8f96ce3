/**
 * The news of a day, and how the notifications a side sent compare with it. Plain functions, no
 * I/O: test/bench/news.test.ts covers them.
 *
 * The news, per side and per day (the definition the bench prints):
 * - a scan finished that day on that side that is COMPLETE, reaches a threshold (a severity whose
 *   count is at least its threshold: CRITICAL >= 1 or HIGH >= 1 with the defaults), and
 *   - has a finding at a reached severity that the digest's previous COMPLETE scan on that side in
 *     this run did not have (`new-findings`), or
 *   - is the digest's first COMPLETE scan in the run (`first-report`: the run starts with an empty
 *     ledger, so a digest's first report counts as new for the library too);
 * - a FAILED scan whose previous scan on that side in this run was not FAILED, or that is the
 *   digest's first scan in the run (`newly-failed`: failures are reported by default).
 *
 * A notification is about one digest (the library's JSON names it; the Python tool's is
 * attributed to the event it was sent for). Per digest and day:
 * - missed news: the digest's scan was news and no notification about it came that day;
 * - repeats: every notification about a digest whose scan that day was not news, and every
 *   copy after the first about one that was.
 */

/** Severity -> the count at which a report is due (the report function's THRESHOLDS). */
export type Thresholds = Readonly<Record<string, number>>;

export interface FinishedScan {
  /** `repository@digest` (world.ts' digestKey). */
  readonly key: string;
  readonly status: 'COMPLETE' | 'FAILED';
  /** What the scan found (COMPLETE only). */
  readonly findings: readonly { readonly id: string; readonly severity: string }[];
}

/** What the run has seen of a digest on one side, before the day's scans. */
export interface DigestHistory {
  readonly lastStatus: 'COMPLETE' | 'FAILED';
  /** The ids of the findings of its last COMPLETE scan; undefined when it has none in the run. */
  readonly completedIds?: ReadonlySet<string>;
}

export type History = ReadonlyMap<string, DigestHistory>;

export type NewsKind = 'first-report' | 'new-findings' | 'newly-failed';
export const NEWS_KINDS: readonly NewsKind[] = ['first-report', 'new-findings', 'newly-failed'];

/** The severities whose count reaches their threshold. */
export function reachedSeverities(findings: FinishedScan['findings'], thresholds: Thresholds): string[] {
  return Object.entries(thresholds)
    .filter(([severity, threshold]) => findings.filter((f) => f.severity === severity).length >= threshold)
    .map(([severity]) => severity);
}

/** Whether the scan is news, and which kind, given what the run saw of the digest before it. */
export function newsOf(history: History, scan: FinishedScan, thresholds: Thresholds): NewsKind | undefined {
  const before = history.get(scan.key);
  if (scan.status === 'FAILED') return before?.lastStatus === 'FAILED' ? undefined : 'newly-failed';
  const reached = reachedSeverities(scan.findings, thresholds);
  if (reached.length === 0) return undefined;
  if (!before?.completedIds) return 'first-report';
  const known = before.completedIds;
  return scan.findings.some((f) => reached.includes(f.severity) && !known.has(f.id)) ? 'new-findings' : undefined;
}

/** The history after the day's scans (at most one per digest and day: ECR's once-a-day rule). */
export function nextHistory(history: History, scans: readonly FinishedScan[]): Map<string, DigestHistory> {
  const next = new Map(history);
  for (const scan of scans) {
    const before = history.get(scan.key);
    next.set(
      scan.key,
      scan.status === 'COMPLETE'
        ? { lastStatus: 'COMPLETE', completedIds: new Set(scan.findings.map((f) => f.id)) }
        : { lastStatus: 'FAILED', ...(before?.completedIds ? { completedIds: before.completedIds } : {}) },
    );
  }
  return next;
}

/** The day's news, by digest. */
export function newsOfDay(history: History, scans: readonly FinishedScan[], thresholds: Thresholds): Map<string, NewsKind> {
  const news = new Map<string, NewsKind>();
  for (const scan of scans) {
    const kind = newsOf(history, scan, thresholds);
    if (kind) news.set(scan.key, kind);
  }
  return news;
}

export interface NewsTally {
  readonly news: number;
  readonly newsByKind: Record<NewsKind, number>;
  readonly notifications: number;
  readonly missedNews: number;
  readonly repeats: number;
  /** Of the repeats: notifications about a digest whose scan that day was not news. */
  readonly repeatsNotNews: number;
  /** Of the repeats: second and later copies about a digest whose scan was news. */
  readonly repeatsExtraCopies: number;
  /** Missed news by kind. */
  readonly missedByKind: Record<NewsKind, number>;
  /** A few examples, for the log: digests whose news was missed, and digests repeated. */
  readonly examples: { readonly missed: readonly string[]; readonly repeated: readonly string[] };
}

const zeroKinds = (): Record<NewsKind, number> => ({ 'first-report': 0, 'new-findings': 0, 'newly-failed': 0 });

/** Compares the notifications of a day (one digest key each) with its news. */
export function tallyNews(news: ReadonlyMap<string, NewsKind>, notifications: readonly string[], examples = 5): NewsTally {
  const perDigest = new Map<string, number>();
  for (const key of notifications) perDigest.set(key, (perDigest.get(key) ?? 0) + 1);
  const newsByKind = zeroKinds();
  const missedByKind = zeroKinds();
  const missed: string[] = [];
  const repeated: string[] = [];
  let repeatsNotNews = 0;
  let repeatsExtraCopies = 0;
  for (const [key, kind] of news) {
    newsByKind[kind]++;
    if (!perDigest.has(key)) {
      missedByKind[kind]++;
      missed.push(key);
    }
  }
  for (const [key, n] of perDigest) {
    if (news.has(key)) repeatsExtraCopies += n - 1;
    else repeatsNotNews += n;
    if (!news.has(key) || n > 1) repeated.push(key);
  }
  return {
    news: news.size,
    newsByKind,
    notifications: notifications.length,
    missedNews: missed.length,
    repeats: repeatsNotNews + repeatsExtraCopies,
    repeatsNotNews,
    repeatsExtraCopies,
    missedByKind,
    examples: { missed: missed.slice(0, examples), repeated: repeated.slice(0, examples) },
  };
}

/** The day's figures restricted to the digests that run (running.ts): what a side with `reportScope: inUse` is judged on. */
export interface RunningTally extends NewsTally {
  /** The day's news in every image, running or not. */
  readonly allNews: number;
  /** Of the notifications (and of the repeats): those about a digest that does not run. */
  readonly outOfScope: number;
  /** Notifications about a digest that runs. */
  readonly aboutRunning: number;
}

/**
 * Compares the notifications of a day with the news of the digests that run: missed news is news
 * in a running image with no notification; repeats, as in `tallyNews`, are notifications about a
 * digest whose scan was not news in a running image (every notification about one that does not
 * run among them, counted again in `outOfScope`) and every copy after the first.
 */
export function tallyRunning(
  news: ReadonlyMap<string, NewsKind>,
  notifications: readonly string[],
  running: ReadonlySet<string>,
  examples = 5,
): RunningTally {
  const inRunning = new Map([...news].filter(([key]) => running.has(key)));
  const outOfScope = notifications.filter((key) => !running.has(key)).length;
  return {
    ...tallyNews(inRunning, notifications, examples),
    allNews: news.size,
    outOfScope,
    aboutRunning: notifications.length - outOfScope,
  };
}
