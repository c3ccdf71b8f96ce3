/**
 * The week of the benchmark in the result document: one record per side and simulated day, a
 * summary per side, the issue's targets judged (measured, never asserted), and the Markdown.
 * Plain functions, no I/O: test/bench/week-report.test.ts covers them.
 */
import type { EcrDayCalls } from './daily';
import { DynamoDbCalls, ON_DEMAND_PRICES } from './dynamodb-cost';
import type { Floor } from './measure';
import type { NewsKind } from './news';
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
  };
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
  for (const side of sides.filter((x) => x.key === 'library' || x.key === 'everyScan')) {
    const s = summarizeWeek(side.days);
    targets.push({
      target: `${side.name}: 0 due digests missed and 0 duplicate scans, every day`,
      met: s.dueMissed === 0 && s.duplicateScans === 0,
      measured: `${int(s.dueMissed)} missed, ${int(s.duplicateScans)} duplicate scans over ${s.days} day(s)`,
    });
  }
  for (const side of sides.filter((x) => x.key !== 'library')) {
    const s = summarizeWeek(side.days);
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
  const rows = [
    '| day | due | ECR calls (cycle + report) | stateless floor | calls ÷ floor (cycle only) | scans started (FAILED) | due missed | duplicate scans | ' +
      'DynamoDB calls | RRU | WRU | DynamoDB cost | news | notifications | missed news | repeats |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const d of side.days) {
    rows.push(
      `| ${d.day} | ${int(d.due)} | ${int(d.ecrCalls.total)} (${int(d.ecrCalls.cycle.total)} + ${int(d.ecrCalls.report.total)}) | ${int(d.statelessFloor.total)} | ` +
        `${ratioText(d.callsToFloor)} (${ratioText(d.cycleCallsToFloor)}) | ${int(d.scans.started)} (${int(d.scans.finishedFailed)}) | ${int(d.scans.dueMissed)} | ` +
        `${int(d.scans.duplicateScans)} | ${int(d.dynamodbCalls.total)} | ${d.dynamodbCalls.readRequestUnits.toLocaleString('en-US')} | ` +
        `${int(d.dynamodbCalls.writeRequestUnits)} | ${usd(d.dynamodbCalls.costUsd)} | ${int(d.news)} | ${int(d.notifications)} | ${int(d.missedNews)} | ${int(d.repeats)} |`,
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
    if (d.missedNews > 0) notes.push(`day ${d.day}: missed news, e.g. ${d.examples.missedNews.join(', ')}`);
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
    const largest = Math.max(0, ...side.days.map((d) => d.ledgerItems?.maxBytes ?? 0));
    parts.push('', `### ${side.name}`, '', dayTable(side), '');
    parts.push(
      `Week: ${int(s.ecrCalls)} ECR calls against a floor of ${int(s.statelessFloor)}; ${int(s.notifications)} notifications for ${int(s.news)} news ` +
        `(${int(s.missedNews)} missed, ${int(s.repeats)} repeats); DynamoDB ${int(s.dynamodbCalls)} calls, ${usd(s.dynamodbCostUsd)}` +
        (s.dynamodbCalls > 0 ? ` (about ${usd(s.dynamodbCostPerMonthUsd)} a month at this rate${largest > 0 ? `; largest ledger item ${int(largest)} bytes` : ''})` : '') +
        '.',
    );
    const notes = sideNotes(side);
    if (notes.length > 0) parts.push('', ...notes.slice(0, 20).map((n) => `- ${n}`), ...(notes.length > 20 ? [`- ... and ${notes.length - 20} more in the JSON`] : []));
  }
  const mark = (m: boolean | null) => (m === null ? 'measured' : m ? 'met' : '**not met**');
  parts.push('', '### The week\'s targets', '', '| target | result | measured |', '|---|---|---|', ...targets.map((t) => `| ${t.target} | ${mark(t.met)} | ${t.measured} |`));
  return parts.join('\n');
}
