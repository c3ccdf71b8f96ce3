/**
 * The week of the benchmark in the result document: one record per side and simulated day, a
 * summary per side, the issue's targets judged (measured, never asserted), and the Markdown.
 * Plain functions, no I/O: test/bench/week-report.test.ts covers them.
 */
import type { EcrDayCalls, OperationCounts } from './daily';
import { DynamoDbCalls, ON_DEMAND_PRICES } from './dynamodb-cost';
import type { Floor } from './measure';
import type { NewsKind, RunningTally } from './news';
import type { Target } from './report';
import type { Signals } from './signals';

/** The news definition, as printed with the results (news.ts has the same in code). */
export const NEWS_DEFINITION =
  'news: the day\'s finished scans on that side that are COMPLETE, reach a threshold (CRITICAL >= 1 or HIGH >= 1) and have a finding ' +
  'at a reached severity that the digest\'s previous COMPLETE scan on that side in this run did not have, or that are the digest\'s ' +
  'first COMPLETE scan in the run (the run starts with an empty ledger, so a first report counts as new); plus FAILED scans whose ' +
  'previous scan in the run was not FAILED (failures are reported by default). missed news: news with no notification about that ' +
  'digest that day. repeats: notifications about a digest whose scan that day was not news, and every copy after the first.';

export const ITEM_SIZE_NOTE =
  'DynamoDB cost at on-demand prices: a BatchGetItem key 0.5 RRU and a strongly consistent GetItem 1 RRU per 4 KB of the item, ' +
  'an UpdateItem 1 WRU per 1 KB; each item priced at its size at the end of the day (measured with DynamoDB\'s size rule: ' +
  'the largest ledger item is in the table), a key with no item as one unit.';

export interface DayRecord {
  readonly day: number;
  /** ECR's and the handlers' time when the day's cycle started. */
  readonly simulatedAt: string;
  /** Digests of the world that gained new CVEs that morning (the same on every side). */
  readonly digestsGainingCves: number;
  /** Digests due at the start of the day, by the side's own scan history. */
  readonly due: number;
  readonly ecrCalls: EcrDayCalls;
  readonly statelessFloor: Floor;
  /** ecrCalls.total / statelessFloor.total (null when the floor is 0). */
  readonly callsToFloor: number | null;
  /** The cycle's calls only (without the report function's findings reads) / the floor. */
  readonly cycleCallsToFloor: number | null;
  readonly dynamodbCalls: DynamoDbCalls & { readonly cycle: DynamoDbCalls; readonly report: DynamoDbCalls };
  /** ECS calls of the day, by operation: the in-use discovery's (none when it does not run). */
  readonly ecsCalls?: OperationCounts;
  /** Lambda calls of the day, by operation: the discovery's ListFunctions and GetFunction, and the functions' asynchronous Invoke of themselves. */
  readonly lambdaCalls?: OperationCounts;
  readonly scans: {
    /** StartImageScan requests, every attempt. */
    readonly requests: number;
    /** Digests whose scan ECR accepted: the scans ECR finished that day. */
    readonly started: number;
    readonly finishedComplete: number;
    readonly finishedFailed: number;
    /** Due digests no StartImageScan reached. */
    readonly dueMissed: number;
    /** Digests with two accepted StartImageScan in the day. */
    readonly duplicateScans: number;
    readonly notDueAttempts: number;
  };
  /** Notifications the subscriber queue received. */
  readonly notifications: number;
  /** The library's notifications by their `news` field. */
  readonly notificationsByNews?: Record<string, number>;
  readonly news: number;
  readonly newsByKind: Record<NewsKind, number>;
  readonly missedNews: number;
  readonly missedByKind: Record<NewsKind, number>;
  readonly repeats: number;
  readonly repeatsNotNews: number;
  readonly repeatsExtraCopies: number;
  /** The same day against the news of the digests that run (running.ts); absent when the week has no workloads. */
  readonly runningImages?: RunningDay;
  /** Scan events whose report invocation threw. */
  readonly reportErrors: number;
  /** What the report function did with the events (outcome and error messages, by count). */
  readonly report: Record<string, unknown>;
  /** The handlers' metrics and WARN/ERROR log lines of the day, summed. */
  readonly signals?: Signals;
  /** The ledger at the end of the day. */
  readonly ledgerItems?: { readonly count: number; readonly maxBytes: number; readonly medianBytes: number };
  readonly wallSeconds: Record<string, number>;
  readonly examples: { readonly missedNews: readonly string[]; readonly repeated: readonly string[]; readonly dueMissed: readonly string[] };
}

/** A day against the news in running images: the tally, with the running digests and how many of them were scanned that day. */
export interface RunningDay extends RunningTally {
  readonly digests: number;
  readonly scansFinished: number;
}

export interface WeekSettings {
  readonly days: number;
  readonly scanExpiryDays: number;
  readonly gainShare: number;
  readonly failShare: number;
  readonly thresholds: Record<string, number>;
  /** The Python tool's CRITICAL, HIGH, MEDIUM and LOW variables. */
  readonly pythonThresholds: Record<string, string>;
  readonly prices: typeof ON_DEMAND_PRICES;
  readonly newsDefinition: string;
  readonly costNote: string;
  /** The week's workloads (running.ts), seeded on every side; absent in results from before them. */
  readonly workloads?: {
    readonly repositoryShare: number;
    readonly repositories: number;
    readonly runningDigests: number;
    readonly ecsServices: number;
    readonly ecsTasks: number;
    readonly lambdaFunctions: number;
  };
}

export interface WeekSide {
  readonly key: string;
  readonly name: string;
  readonly days: readonly DayRecord[];
}

export interface WeekSummary {
  readonly days: number;
  /** From day 2: the largest calls / floor, and its day. */
  readonly maxCallsToFloorFromDay2: { readonly ratio: number | null; readonly day: number | null };
  readonly maxCycleCallsToFloorFromDay2: number | null;
  readonly ecrCalls: number;
  readonly statelessFloor: number;
  readonly notifications: number;
  readonly news: number;
  readonly missedNews: number;
  readonly repeats: number;
  readonly dueMissed: number;
  readonly duplicateScans: number;
  readonly reportErrors: number;
  readonly dynamodbCalls: number;
  readonly dynamodbCostUsd: number;
  /** 30 days at the average cost of day 2 on (day 1 fills an empty ledger), or of day 1 for a 1-day run. */
  readonly dynamodbCostPerMonthUsd: number;
  /** The in-use discovery's calls (and any asynchronous Invoke), apart from ECR's. */
  readonly ecsCalls: number;
  readonly lambdaCalls: number;
  /** The week against the news in running images, when the days have it. */
  readonly runningImages?: RunningSummary;
}

/** The week's totals against the news in running images (RunningDay, added up). */
export interface RunningSummary {
  readonly news: number;
  readonly allNews: number;
  readonly notifications: number;
  readonly aboutRunning: number;
  readonly outOfScope: number;
  readonly missedNews: number;
  readonly repeats: number;
  readonly scansFinished: number;
  /** Scan events the report function withheld as out of scope (its outcome `not published: out-of-scope`). */
  readonly withheldOutOfScope: number;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export function summarizeWeek(days: readonly DayRecord[]): WeekSummary {
  const later = days.filter((d) => d.day >= 2);
  let worst: { ratio: number | null; day: number | null } = { ratio: null, day: null };
  for (const d of later) {
    if (d.callsToFloor !== null && (worst.ratio === null || d.callsToFloor > worst.ratio)) worst = { ratio: d.callsToFloor, day: d.day };
  }
  const cycle = later.map((d) => d.cycleCallsToFloor).filter((r): r is number => r !== null);
  const steady = later.length > 0 ? later : days;
  return {
    days: days.length,
    maxCallsToFloorFromDay2: worst,
    maxCycleCallsToFloorFromDay2: cycle.length > 0 ? Math.max(...cycle) : null,
    ecrCalls: sum(days.map((d) => d.ecrCalls.total)),
    statelessFloor: sum(days.map((d) => d.statelessFloor.total)),
    notifications: sum(days.map((d) => d.notifications)),
    news: sum(days.map((d) => d.news)),
    missedNews: sum(days.map((d) => d.missedNews)),
    repeats: sum(days.map((d) => d.repeats)),
    dueMissed: sum(days.map((d) => d.scans.dueMissed)),
    duplicateScans: sum(days.map((d) => d.scans.duplicateScans)),
    reportErrors: sum(days.map((d) => d.reportErrors)),
    dynamodbCalls: sum(days.map((d) => d.dynamodbCalls.total)),
    dynamodbCostUsd: sum(days.map((d) => d.dynamodbCalls.costUsd)),
    dynamodbCostPerMonthUsd: steady.length === 0 ? 0 : (30 * sum(steady.map((d) => d.dynamodbCalls.costUsd))) / steady.length,
    ecsCalls: sum(days.map((d) => d.ecsCalls?.total ?? 0)),
    lambdaCalls: sum(days.map((d) => d.lambdaCalls?.total ?? 0)),
    ...(days.length > 0 && days.every((d) => d.runningImages) ? { runningImages: summarizeRunning(days) } : {}),
  };
}

/** Scan events the report function withheld as out of scope that day. */
export function withheldOutOfScope(day: DayRecord): number {
  const outcomes = (day.report.outcomes ?? {}) as Record<string, number>;
  return outcomes['not published: out-of-scope'] ?? 0;
}

export function summarizeRunning(days: readonly DayRecord[]): RunningSummary {
  const of = (pick: (r: RunningDay) => number) => sum(days.map((d) => (d.runningImages ? pick(d.runningImages) : 0)));
  return {
    news: of((r) => r.news),
    allNews: of((r) => r.allNews),
    notifications: of((r) => r.notifications),
    aboutRunning: of((r) => r.aboutRunning),
    outOfScope: of((r) => r.outOfScope),
    missedNews: of((r) => r.missedNews),
    repeats: of((r) => r.repeats),
    scansFinished: of((r) => r.scansFinished),
    withheldOutOfScope: sum(days.map(withheldOutOfScope)),
  };
}

/** The side with reportScope inUse is judged on the news in running images; the others on all news. */
const judgedOnRunning = (side: WeekSide) => side.key === 'inUse';

/** The figures a side is judged on, per day: the running-images tally for the inUse side, the whole day's otherwise. */
function judgedTally(side: WeekSide, d: DayRecord) {
  const r = judgedOnRunning(side) ? d.runningImages : undefined;
  return r
    ? { news: r.news, notifications: r.notifications, missedNews: r.missedNews, repeats: r.repeats, missedExamples: r.examples.missed }
    : { news: d.news, notifications: d.notifications, missedNews: d.missedNews, repeats: d.repeats, missedExamples: d.examples.missedNews };
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ratioText = (r: number | null) => (r === null ? '—' : r.toFixed(3));
const usd = (n: number) => (n === 0 ? '$0' : n < 0.01 ? `$${n.toPrecision(2)}` : `$${n.toFixed(2)}`);

/** The issue's targets for the week, judged on the measured days (never asserted). */
export function judgeWeekTargets(sides: readonly WeekSide[]): Target[] {
  const targets: Target[] = [];
  const library = sides.find((s) => s.key === 'library');
  if (library) {
    const later = library.days.filter((d) => d.day >= 2);
    const s = summarizeWeek(library.days);
    targets.push({
      target: "from day 2, this library's ECR calls per day at most 0.2 × the stateless floor",
      met: later.length === 0 ? null : later.every((d) => d.callsToFloor !== null && d.callsToFloor <= 0.2),
      measured:
        later.length === 0
          ? 'needs --days 2 or more'
          : `${later.map((d) => `day ${d.day} ${ratioText(d.callsToFloor)}`).join(', ')}; the cycle alone at most ${ratioText(s.maxCycleCallsToFloorFromDay2)} ` +
            '(the rest are the report function\'s findings reads)',
    });
    targets.push({
      target: 'this library: notifications equal to the news, 0 missed, 0 repeats',
      met: s.notifications === s.news && s.missedNews === 0 && s.repeats === 0,
      measured: `${int(s.notifications)} notifications for ${int(s.news)} news, ${int(s.missedNews)} missed, ${int(s.repeats)} repeats` +
        (s.reportErrors > 0 ? `; ${int(s.reportErrors)} report invocations failed` : ''),
    });
  }
  for (const side of sides.filter((x) => x.key === 'library' || x.key === 'everyScan' || x.key === 'inUse')) {
    const s = summarizeWeek(side.days);
    targets.push({
      target: `${side.name}: 0 due digests missed and 0 duplicate scans, every day`,
      met: s.dueMissed === 0 && s.duplicateScans === 0,
      measured: `${int(s.dueMissed)} missed, ${int(s.duplicateScans)} duplicate scans over ${s.days} day(s)`,
    });
  }
  for (const side of sides.filter((x) => x.key !== 'library')) {
    const s = summarizeWeek(side.days);
    const r = s.runningImages;
    if (judgedOnRunning(side) && r) {
      targets.push({
        target: `${side.name}: as measured, against the news in running images`,
        met: null,
        measured: `${int(r.notifications)} notifications for ${int(r.news)} news in running images (${int(r.allNews)} news in all images), ` +
          `${int(r.missedNews)} missed, ${int(r.repeats)} repeats (${int(r.outOfScope)} about images that do not run); ` +
          `${int(r.withheldOutOfScope)} reports withheld as out of scope; from day 2 ECR calls at most ${ratioText(s.maxCallsToFloorFromDay2.ratio)} × the floor` +
          (s.dueMissed > 0 ? `; ${int(s.dueMissed)} due digests missed` : '') +
          (s.reportErrors > 0 ? `; ${int(s.reportErrors)} report invocations failed` : ''),
      });
      continue;
    }
    targets.push({
      target: `${side.name}: as measured`,
      met: null,
      measured: `${int(s.notifications)} notifications for ${int(s.news)} news, ${int(s.missedNews)} missed, ${int(s.repeats)} repeats; ` +
        `from day 2 ECR calls at most ${ratioText(s.maxCallsToFloorFromDay2.ratio)} × the floor` +
        (s.dueMissed > 0 ? `; ${int(s.dueMissed)} due digests missed` : '') +
        (s.reportErrors > 0 ? `; ${int(s.reportErrors)} report invocations failed` : ''),
    });
  }
  return targets;
}

/** Operations as `Name n, Name n`. */
function operations(byOperation: Record<string, number>): string {
  const entries = Object.entries(byOperation);
  return entries.length === 0 ? '—' : entries.map(([op, n]) => `${op} ${int(n)}`).join(', ');
}

/** One side's days: the figures, then the calls by operation. */
export function dayTable(side: WeekSide): string {
  const running = judgedOnRunning(side) && side.days.every((d) => d.runningImages);
  const rows = [
    '| day | due | ECR calls (cycle + report) | stateless floor | calls ÷ floor (cycle only) | scans started (FAILED) | due missed | duplicate scans | ' +
      `DynamoDB calls | RRU | WRU | DynamoDB cost | ${running ? 'news in running images (in all images)' : 'news'} | notifications | missed news | repeats |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const d of side.days) {
    const t = judgedTally(side, d);
    const news = running ? `${int(t.news)} (${int(d.runningImages!.allNews)})` : int(t.news);
    rows.push(
      `| ${d.day} | ${int(d.due)} | ${int(d.ecrCalls.total)} (${int(d.ecrCalls.cycle.total)} + ${int(d.ecrCalls.report.total)}) | ${int(d.statelessFloor.total)} | ` +
        `${ratioText(d.callsToFloor)} (${ratioText(d.cycleCallsToFloor)}) | ${int(d.scans.started)} (${int(d.scans.finishedFailed)}) | ${int(d.scans.dueMissed)} | ` +
        `${int(d.scans.duplicateScans)} | ${int(d.dynamodbCalls.total)} | ${d.dynamodbCalls.readRequestUnits.toLocaleString('en-US')} | ` +
        `${int(d.dynamodbCalls.writeRequestUnits)} | ${usd(d.dynamodbCalls.costUsd)} | ${news} | ${int(t.notifications)} | ${int(t.missedNews)} | ${int(t.repeats)} |`,
    );
  }
  const ops = ['', '| day | ECR, cycle | ECR, report function | DynamoDB |', '|---:|---|---|---|'];
  for (const d of side.days) {
    ops.push(`| ${d.day} | ${operations(d.ecrCalls.cycle.byOperation)} | ${operations(d.ecrCalls.report.byOperation)} | ${operations(d.dynamodbCalls.byOperation)} |`);
  }
  return [...rows, ...ops].join('\n');
}

/** Lines worth a reader's attention: handler warnings, failed invocations, ledger problems. */
export function sideNotes(side: WeekSide): string[] {
  const notes: string[] = [];
  for (const d of side.days) {
    const logs = Object.entries(d.signals?.logs ?? {});
    if (logs.length > 0) notes.push(`day ${d.day}: ${logs.map(([line, n]) => `${int(n)} × ${line}`).join('; ')}`);
    const errors = (d.report.errorMessages ?? {}) as Record<string, number>;
    if (d.reportErrors > 0) notes.push(`day ${d.day}: ${int(d.reportErrors)} report invocation(s) failed: ${Object.entries(errors).map(([m, n]) => `${int(n)} × ${m}`).join('; ')}`);
    const ledger = Object.entries(d.signals?.metrics ?? {}).filter(([name, n]) => /^Ledger.*Failures|^LedgerEntriesIgnored|^ReportsPossiblyDuplicated/.test(name) && n > 0);
    if (ledger.length > 0) notes.push(`day ${d.day}: ${ledger.map(([name, n]) => `${name} ${int(n)}`).join(', ')}`);
    const t = judgedTally(side, d);
    if (t.missedNews > 0) notes.push(`day ${d.day}: missed news${judgedOnRunning(side) ? ' in running images' : ''}, e.g. ${t.missedExamples.join(', ')}`);
    if (d.scans.dueMissed > 0) notes.push(`day ${d.day}: due digests missed, e.g. ${d.examples.dueMissed.join(', ')}`);
  }
  return notes;
}

/**
 * Why a run no longer than the scan expiry cannot tell NEW_FINDINGS from EVERY_SCAN on findings:
 * the library rescans a digest once per expiry, so no digest it scanned COMPLETE in the run is
 * scanned again before day expiry + 1.
 */
export function horizonNote(settings: Pick<WeekSettings, 'days' | 'scanExpiryDays'>): string | undefined {
  if (settings.days > settings.scanExpiryDays) return undefined;
  return `Note: with a ${settings.scanExpiryDays}-day scan expiry, this library scans no digest COMPLETE twice before day ${settings.scanExpiryDays + 1}, ` +
    'so in this run its news are first reports and new failures, NEW_FINDINGS and EVERY_SCAN differ only on repeated failures, and the ' +
    'world\'s new CVEs reach its news only when a digest is rescanned. The Python tool rescans by push time every day, so its news include ' +
    `new CVEs from day 2. Run --days ${2 * settings.scanExpiryDays} or more to see the library's second scans.`;
}

const perDay = (total: number, days: number) => (days === 0 ? '0' : (total / days).toFixed(1));

/**
 * The side with reportScope inUse next to the library's (every image): per day, the news in running
 * images and in all images, each side's notifications, what the inUse side missed, repeated and
 * withheld as out of scope, and the discovery's ECS and Lambda calls on both. Undefined when the week
 * has no inUse side, or its days have no running-images figures.
 */
export function inUseSection(sides: readonly WeekSide[], settings: Pick<WeekSettings, 'workloads'>): string | undefined {
  const inUse = sides.find((x) => x.key === 'inUse');
  if (!inUse || inUse.days.length === 0 || !inUse.days.every((d) => d.runningImages)) return undefined;
  const library = sides.find((x) => x.key === 'library');
  const libraryDay = (day: number) => library?.days.find((d) => d.day === day);
  const pair = (a: number | undefined, b: number) => (library ? `${a === undefined ? '—' : int(a)} / ${int(b)}` : int(b));
  const w = settings.workloads;
  const parts = [
    `### ${inUse.name}, next to ${library ? library.name : 'every image'}`,
    '',
    (w
      ? `Workloads, the same on every side: ${int(w.runningDigests)} digests run in ${int(w.repositories)} repositories ` +
        `(${(w.repositoryShare * 100).toFixed(0)} % of them, drawn from the seed): ${int(w.ecsServices)} ECS services with ${int(w.ecsTasks)} tasks, ` +
        `${int(w.lambdaFunctions)} Lambda image functions, each naming its image by digest. `
      : '') +
      'News in running images: the day\'s news (the definition above) of the digests that run. For the inUse side, missed: news in a running ' +
      'image with no notification; repeats: notifications about a digest whose scan was not news in a running image (those about images that do ' +
      'not run among them) and every copy after the first. ECS and Lambda calls are the in-use discovery\'s (and any asynchronous Invoke), ' +
      'not in the ECR calls.',
    '',
    '| day | running digests scanned | news in running images | news in all images | library: notifications (about running images) | ' +
      'inUse: notifications | inUse: missed | inUse: repeats (about images that do not run) | inUse: withheld out of scope | ' +
      `ECR calls${library ? ', library / inUse' : ''} | ECS calls${library ? ', library / inUse' : ''} | Lambda calls${library ? ', library / inUse' : ''} |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const d of inUse.days) {
    const r = d.runningImages!;
    const l = libraryDay(d.day);
    parts.push(
      `| ${d.day} | ${int(r.scansFinished)} | ${int(r.news)} | ${int(r.allNews)} | ` +
        `${l ? `${int(l.notifications)} (${l.runningImages ? int(l.runningImages.aboutRunning) : '—'})` : '—'} | ` +
        `${int(r.notifications)} | ${int(r.missedNews)} | ${int(r.repeats)} (${int(r.outOfScope)}) | ${int(withheldOutOfScope(d))} | ` +
        `${pair(l?.ecrCalls.total, d.ecrCalls.total)} | ${pair(l ? l.ecsCalls?.total ?? 0 : undefined, d.ecsCalls?.total ?? 0)} | ` +
        `${pair(l ? l.lambdaCalls?.total ?? 0 : undefined, d.lambdaCalls?.total ?? 0)} |`,
    );
  }
  const s = summarizeWeek(inUse.days);
  const r = s.runningImages!;
  const ls = library ? summarizeWeek(library.days) : undefined;
  const lr = ls?.runningImages;
  parts.push(
    `| week | ${int(r.scansFinished)} | ${int(r.news)} | ${int(r.allNews)} | ${ls ? `${int(ls.notifications)} (${lr ? int(lr.aboutRunning) : '—'})` : '—'} | ` +
      `${int(r.notifications)} | ${int(r.missedNews)} | ${int(r.repeats)} (${int(r.outOfScope)}) | ${int(r.withheldOutOfScope)} | ` +
      `${pair(ls?.ecrCalls, s.ecrCalls)} | ${pair(ls?.ecsCalls, s.ecsCalls)} | ${pair(ls?.lambdaCalls, s.lambdaCalls)} |`,
  );
  const n = inUse.days.length;
  parts.push(
    '',
    `reportScope inUse: ${perDay(r.notifications, n)} notifications a day against ${perDay(r.news, n)} news in running images ` +
      `(${perDay(r.allNews, n)} news in all images); ${int(r.missedNews)} missed, ${int(r.repeats)} repeats over ${n} day(s)` +
      (ls ? `. ${library!.name}: ${perDay(ls.notifications, library!.days.length)} notifications a day for ${perDay(ls.news, library!.days.length)} news.` : '.'),
  );
  const ops = (label: string, counts: OperationCounts | undefined) => (counts && counts.total > 0 ? `${label} ${operations(counts.byOperation)}` : undefined);
  const first = inUse.days[0];
  const discovery = [ops('ECS', first.ecsCalls), ops('Lambda', first.lambdaCalls)].filter((x): x is string => x !== undefined);
  if (discovery.length > 0) parts.push('', `The inUse side's day ${first.day} calls outside ECR: ${discovery.join('; ')}.`);
  return parts.join('\n');
}

export function renderWeek(sides: readonly WeekSide[], settings: WeekSettings, targets: readonly Target[]): string {
  const p = settings.prices;
  const parts = [
    `## The week: ${settings.days} simulated day(s)`,
    '',
    `Each day: the clocks d-1 days ahead; the daily cycle; ECR finishes every scan it accepted that day (${(settings.failShare * 100).toFixed(0)} % FAILED, ` +
      `seeded); the events go through the rule to the report function. From day 2, ${(settings.gainShare * 100).toFixed(0)} % of the digests gain 1 or 2 new CVEs each morning. ` +
      `Thresholds ${JSON.stringify(settings.thresholds)}; the Python tool's reporter with CRITICAL=${settings.pythonThresholds.CRITICAL}, HIGH=${settings.pythonThresholds.HIGH}, ` +
      `MEDIUM=${settings.pythonThresholds.MEDIUM} and LOW=${settings.pythonThresholds.LOW} (so high they never trigger: the library's defaults).`,
    '',
    `Definitions. ${settings.newsDefinition} The stateless floor of a day: one status read per digest, one StartImageScan per digest due that day, one list page per 1,000 images ` +
      'of a repository and the repository list pages.',
    '',
    `${settings.costNote} Prices: ${p.region}, ${p.tableClass} table class, $${p.usdPerMillionReadRequestUnits} per million RRU and $${p.usdPerMillionWriteRequestUnits} per million WRU ` +
      `(in effect since ${p.effectiveSince}, checked ${p.checkedOn}; ${p.source}).`,
  ];
  const note = horizonNote(settings);
  if (note) parts.push('', note);
  for (const side of sides) {
    const s = summarizeWeek(side.days);
    const r = judgedOnRunning(side) ? s.runningImages : undefined;
    const largest = Math.max(0, ...side.days.map((d) => d.ledgerItems?.maxBytes ?? 0));
    parts.push('', `### ${side.name}`, '', dayTable(side), '');
    const reports = r
      ? `${int(r.notifications)} notifications for ${int(r.news)} news in running images, ${int(r.allNews)} in all images ` +
        `(${int(r.missedNews)} missed, ${int(r.repeats)} repeats)`
      : `${int(s.notifications)} notifications for ${int(s.news)} news (${int(s.missedNews)} missed, ${int(s.repeats)} repeats)`;
    parts.push(
      `Week: ${int(s.ecrCalls)} ECR calls against a floor of ${int(s.statelessFloor)}; ${reports}; DynamoDB ${int(s.dynamodbCalls)} calls, ${usd(s.dynamodbCostUsd)}` +
        (s.dynamodbCalls > 0 ? ` (about ${usd(s.dynamodbCostPerMonthUsd)} a month at this rate${largest > 0 ? `; largest ledger item ${int(largest)} bytes` : ''})` : '') +
        '.',
    );
    const notes = sideNotes(side);
    if (notes.length > 0) parts.push('', ...notes.slice(0, 20).map((n) => `- ${n}`), ...(notes.length > 20 ? [`- ... and ${notes.length - 20} more in the JSON`] : []));
  }
  const inUse = inUseSection(sides, settings);
  if (inUse) parts.push('', inUse);
  const mark = (m: boolean | null) => (m === null ? 'measured' : m ? 'met' : '**not met**');
  parts.push('', '### The week\'s targets', '', '| target | result | measured |', '|---|---|---|', ...targets.map((t) => `| ${t.target} | ${mark(t.met)} | ${t.measured} |`));
  return parts.join('\n');
}
