import { NO_CALLS, ON_DEMAND_PRICES } from '../../local/bench/dynamodb-cost';
import { tallyRunning } from '../../local/bench/news';
import {
  DayRecord,
  WeekSide,
  dayTable,
  horizonNote,
  inUseSection,
  judgeWeekTargets,
  renderWeek,
  sideNotes,
  summarizeWeek,
} from '../../local/bench/week-report';

interface DayFigures {
  ecr: number;
  report?: number;
  floor: number;
  news?: number;
  notifications?: number;
  missed?: number;
  repeats?: number;
  dueMissed?: number;
  costUsd?: number;
}

function day(n: number, f: DayFigures): DayRecord {
  const report = f.report ?? 0;
  const total = f.ecr + report;
  const zero = { 'first-report': 0, 'new-findings': 0, 'newly-failed': 0 };
  return {
    day: n,
    simulatedAt: `2026-12-0${n}T10:00:00.000Z`,
    digestsGainingCves: 0,
    due: 10,
    ecrCalls: {
      total,
      byOperation: { StartImageScan: f.ecr, DescribeImageScanFindings: report },
      refused: { cycle: 0, report: 0 },
      cycle: { total: f.ecr, byOperation: { StartImageScan: f.ecr } },
      report: { total: report, byOperation: report > 0 ? { DescribeImageScanFindings: report } : {} },
    },
    statelessFloor: { statusReads: f.floor - 12, scans: 10, imageListPages: 1, repositoryListPages: 1, total: f.floor },
    callsToFloor: total / f.floor,
    cycleCallsToFloor: f.ecr / f.floor,
    dynamodbCalls: {
      ...NO_CALLS,
      total: 3,
      byOperation: { UpdateItem: 3 },
      writeRequestUnits: 3,
      costUsd: f.costUsd ?? 0,
      cycle: NO_CALLS,
      report: NO_CALLS,
    },
    scans: { requests: 10, started: 10, finishedComplete: 9, finishedFailed: 1, dueMissed: f.dueMissed ?? 0, duplicateScans: 0, notDueAttempts: 0 },
    notifications: f.notifications ?? 0,
    news: f.news ?? 0,
    newsByKind: zero,
    missedNews: f.missed ?? 0,
    missedByKind: zero,
    repeats: f.repeats ?? 0,
    repeatsNotNews: f.repeats ?? 0,
    repeatsExtraCopies: 0,
    reportErrors: 0,
    report: {},
    wallSeconds: {},
    examples: { missedNews: f.missed ? ['repo@sha256:1'] : [], repeated: [], dueMissed: [] },
  };
}

const LIBRARY: WeekSide = {
  key: 'library',
  name: 'this library',
  days: [
    day(1, { ecr: 120, floor: 100, news: 5, notifications: 5, costUsd: 0.5 }),
    day(2, { ecr: 10, report: 5, floor: 100, news: 1, notifications: 1, costUsd: 0.1 }),
    day(3, { ecr: 18, report: 2, floor: 100, costUsd: 0.3 }),
  ],
};

test('summarizeWeek: totals, the worst day from day 2 on, and a month at the day-2-on rate', () => {
  const s = summarizeWeek(LIBRARY.days);
  expect(s).toMatchObject({
    days: 3,
    maxCallsToFloorFromDay2: { ratio: 0.2, day: 3 },
    maxCycleCallsToFloorFromDay2: 0.18,
    ecrCalls: 155,
    statelessFloor: 300,
    notifications: 6,
    news: 6,
    missedNews: 0,
    repeats: 0,
    dueMissed: 0,
    dynamodbCalls: 9,
  });
  expect(s.dynamodbCostUsd).toBeCloseTo(0.9);
  expect(s.dynamodbCostPerMonthUsd).toBeCloseTo(30 * 0.2);
  expect(summarizeWeek([LIBRARY.days[0]])).toMatchObject({ maxCallsToFloorFromDay2: { ratio: null, day: null }, maxCycleCallsToFloorFromDay2: null });
  expect(summarizeWeek([LIBRARY.days[0]]).dynamodbCostPerMonthUsd).toBeCloseTo(15);
});

describe('judgeWeekTargets', () => {
  test('met: at most 0.2 from day 2 (day 1 not judged), notifications equal to the news', () => {
    const targets = judgeWeekTargets([LIBRARY]);
    expect(targets.map((t) => [t.target, t.met])).toEqual([
      ["from day 2, this library's ECR calls per day at most 0.2 × the stateless floor", true],
      ['this library: notifications equal to the news, 0 missed, 0 repeats', true],
      ['this library: 0 due digests missed and 0 duplicate scans, every day', true],
    ]);
    expect(targets[0].measured).toBe("day 2 0.150, day 3 0.200; the cycle alone at most 0.180 (the rest are the report function's findings reads)");
  });

  test('not met: one day over 0.2, a missed news, a repeat, a due digest missed', () => {
    const side: WeekSide = {
      ...LIBRARY,
      days: [LIBRARY.days[0], day(2, { ecr: 21, floor: 100, news: 2, notifications: 2, missed: 1, repeats: 1, dueMissed: 1 })],
    };
    const targets = judgeWeekTargets([side]);
    expect(targets.map((t) => t.met)).toEqual([false, false, false]);
    expect(targets[1].measured).toBe('7 notifications for 7 news, 1 missed, 1 repeats');
    expect(targets[2].measured).toBe('1 missed, 0 duplicate scans over 2 day(s)');
  });

  test('a 1-day run cannot judge the day-2 target; the other sides are measured, not judged', () => {
    const targets = judgeWeekTargets([
      { ...LIBRARY, days: [LIBRARY.days[0]] },
      { key: 'everyScan', name: 'EVERY_SCAN', days: [day(1, { ecr: 120, floor: 100, news: 5, notifications: 9, repeats: 4 })] },
      { key: 'python', name: 'Python', days: [day(1, { ecr: 300, floor: 100, news: 5, notifications: 3, missed: 2 })] },
    ]);
    expect(targets.map((t) => [t.target, t.met])).toEqual([
      ["from day 2, this library's ECR calls per day at most 0.2 × the stateless floor", null],
      ['this library: notifications equal to the news, 0 missed, 0 repeats', true],
      ['this library: 0 due digests missed and 0 duplicate scans, every day', true],
      ['EVERY_SCAN: 0 due digests missed and 0 duplicate scans, every day', true],
      ['EVERY_SCAN: as measured', null],
      ['Python: as measured', null],
    ]);
    expect(targets[0].measured).toBe('needs --days 2 or more');
    expect(targets[5].measured).toBe('3 notifications for 5 news, 2 missed, 0 repeats; from day 2 ECR calls at most — × the floor');
  });
});

test('dayTable: one row per day with the figures, then the calls by operation', () => {
  const lines = dayTable(LIBRARY).split('\n');
  expect(lines[2]).toBe('| 1 | 10 | 120 (120 + 0) | 100 | 1.200 (1.200) | 10 (1) | 0 | 0 | 3 | 0 | 3 | $0.50 | 5 | 5 | 0 | 0 |');
  expect(lines[3]).toBe('| 2 | 10 | 15 (10 + 5) | 100 | 0.150 (0.100) | 10 (1) | 0 | 0 | 3 | 0 | 3 | $0.10 | 1 | 1 | 0 | 0 |');
  expect(lines).toContain('| 2 | StartImageScan 10 | DescribeImageScanFindings 5 | UpdateItem 3 |');
  expect(lines).toContain('| 1 | StartImageScan 120 | — | UpdateItem 3 |');
});

test('sideNotes: warnings, failed reports, ledger failures and missed news, per day', () => {
  const noisy: DayRecord = {
    ...day(2, { ecr: 10, floor: 100, news: 1, missed: 1 }),
    signals: { metrics: { LedgerWriteFailures: 2, ReportsPublished: 5 }, logs: { 'WARN: Ledger write failed: going on without it': 2 } },
    reportErrors: 1,
    report: { errorMessages: { 'KeyError: 0': 1 } },
  };
  expect(sideNotes({ ...LIBRARY, days: [noisy] })).toEqual([
    'day 2: 2 × WARN: Ledger write failed: going on without it',
    'day 2: 1 report invocation(s) failed: 1 × KeyError: 0',
    'day 2: LedgerWriteFailures 2',
    'day 2: missed news, e.g. repo@sha256:1',
  ]);
});

test('horizonNote: only for a run no longer than the scan expiry', () => {
  expect(horizonNote({ days: 7, scanExpiryDays: 7 })).toMatch(/^Note: with a 7-day scan expiry, this library scans no digest COMPLETE twice before day 8/);
  expect(horizonNote({ days: 7, scanExpiryDays: 7 })).toContain('Run --days 14 or more');
  expect(horizonNote({ days: 8, scanExpiryDays: 7 })).toBeUndefined();
});

describe('the side with reportScope inUse', () => {
  const RUNNING = new Set(['r@sha256:1', 'r@sha256:2']);
  const NEWS = new Map([['r@sha256:1', 'first-report'], ['r@sha256:2', 'newly-failed'], ['i@sha256:3', 'first-report'], ['i@sha256:4', 'new-findings']] as const);
  /** A day whose notifications are about `keys`, with the running-images tally, the discovery's calls and the out-of-scope withholdings. */
  const withRunning = (n: number, keys: string[], withheld: number, ecs: number): DayRecord => ({
    ...day(n, { ecr: 10, report: 2, floor: 100, news: NEWS.size, notifications: keys.length }),
    ecsCalls: { total: ecs, byOperation: { ListClusters: 1, ListTasks: ecs - 1 } },
    lambdaCalls: { total: 2, byOperation: { GetFunction: 1, ListFunctions: 1 } },
    runningImages: { ...tallyRunning(NEWS, keys, RUNNING), digests: 2, scansFinished: 2 },
    report: { outcomes: { 'published: threshold-reached': keys.length, ...(withheld > 0 ? { 'not published: out-of-scope': withheld } : {}) } },
  });
  const LIB: WeekSide = {
    key: 'library',
    name: 'this library',
    days: [withRunning(1, ['r@sha256:1', 'r@sha256:2', 'i@sha256:3', 'i@sha256:4'], 0, 4), withRunning(2, ['r@sha256:1', 'r@sha256:2', 'i@sha256:3', 'i@sha256:4'], 0, 4)],
  };
  const IN_USE: WeekSide = {
    key: 'inUse',
    name: 'this library, reportScope ImageScope.inUse()',
    days: [withRunning(1, ['r@sha256:1', 'r@sha256:2'], 2, 4), withRunning(2, ['r@sha256:1'], 2, 5)],
  };
  const SETTINGS = { workloads: { repositoryShare: 0.2, repositories: 1, runningDigests: 2, ecsServices: 1, ecsTasks: 3, lambdaFunctions: 1 } };

  test('summarizeWeek adds up the running-images tally, the out-of-scope withholdings and the ECS and Lambda calls', () => {
    expect(summarizeWeek(IN_USE.days)).toMatchObject({
      ecsCalls: 9,
      lambdaCalls: 4,
      runningImages: {
        news: 4, allNews: 8, notifications: 3, aboutRunning: 3, outOfScope: 0, missedNews: 1, repeats: 0, scansFinished: 4, withheldOutOfScope: 4,
      },
    });
    expect(summarizeWeek(LIBRARY.days)).not.toHaveProperty('runningImages');
    expect(summarizeWeek(LIBRARY.days)).toMatchObject({ ecsCalls: 0, lambdaCalls: 0 });
  });

  test('dayTable: its news columns are the news in running images (all images in brackets); the other sides\' are unchanged', () => {
    const lines = dayTable(IN_USE).split('\n');
    expect(lines[0]).toContain('| news in running images (in all images) | notifications | missed news | repeats |');
    expect(lines[2]).toMatch(/\| 2 \(4\) \| 2 \| 0 \| 0 \|$/);
    expect(lines[3]).toMatch(/\| 2 \(4\) \| 1 \| 1 \| 0 \|$/);
    expect(dayTable(LIB).split('\n')[0]).toMatch(/\| news \| notifications \| missed news \| repeats \|$/);
    expect(dayTable(LIB).split('\n')[2]).toMatch(/\| 4 \| 4 \| 0 \| 0 \|$/);
  });

  test('sideNotes: its missed news are the running images\'', () => {
    expect(sideNotes(IN_USE)).toEqual(['day 2: missed news in running images, e.g. r@sha256:2']);
  });

  test('judgeWeekTargets: scans judged as the library\'s; reports measured against the news in running images', () => {
    const targets = judgeWeekTargets([LIB, IN_USE]);
    expect(targets.map((t) => [t.target, t.met])).toEqual([
      ["from day 2, this library's ECR calls per day at most 0.2 × the stateless floor", true],
      ['this library: notifications equal to the news, 0 missed, 0 repeats', true],
      ['this library: 0 due digests missed and 0 duplicate scans, every day', true],
      ['this library, reportScope ImageScope.inUse(): 0 due digests missed and 0 duplicate scans, every day', true],
      ['this library, reportScope ImageScope.inUse(): as measured, against the news in running images', null],
    ]);
    expect(targets[4].measured).toBe(
      '3 notifications for 4 news in running images (8 news in all images), 1 missed, 0 repeats (0 about images that do not run); ' +
        '4 reports withheld as out of scope; from day 2 ECR calls at most 0.120 × the floor',
    );
  });

  test('inUseSection: per day next to the library, the week, and the sentence per day', () => {
    const section = inUseSection([LIB, IN_USE], SETTINGS)!;
    const lines = section.split('\n');
    expect(lines[0]).toBe('### this library, reportScope ImageScope.inUse(), next to this library');
    expect(lines[2]).toMatch(/^Workloads, the same on every side: 2 digests run in 1 repositories \(20 % of them, drawn from the seed\): 1 ECS services with 3 tasks, 1 Lambda/);
    const header = lines.findIndex((l) => l.startsWith('| day |'));
    expect(lines[header + 2]).toBe('| 1 | 2 | 2 | 4 | 4 (2) | 2 | 0 | 0 (0) | 2 | 12 / 12 | 4 / 4 | 2 / 2 |');
    expect(lines[header + 3]).toBe('| 2 | 2 | 2 | 4 | 4 (2) | 1 | 1 | 0 (0) | 2 | 12 / 12 | 4 / 5 | 2 / 2 |');
    expect(lines[header + 4]).toBe('| week | 4 | 4 | 8 | 8 (4) | 3 | 1 | 0 (0) | 4 | 24 / 24 | 8 / 9 | 4 / 4 |');
    for (const line of lines.slice(header, header + 5)) expect(line.split('|').length).toBe(lines[header].split('|').length);
    expect(section).toContain(
      'reportScope inUse: 1.5 notifications a day against 2.0 news in running images (4.0 news in all images); 1 missed, 0 repeats over 2 day(s). ' +
        'this library: 4.0 notifications a day for 4.0 news.',
    );
    expect(section).toContain("The inUse side's day 1 calls outside ECR: ECS ListClusters 1, ListTasks 3; Lambda GetFunction 1, ListFunctions 1.");
  });

  test('inUseSection: without the library, one column per figure; without the inUse side, nothing', () => {
    const lines = inUseSection([IN_USE], {})!.split('\n');
    expect(lines[0]).toBe('### this library, reportScope ImageScope.inUse(), next to every image');
    expect(lines).toContain('| 1 | 2 | 2 | 4 | — | 2 | 0 | 0 (0) | 2 | 12 | 4 | 2 |');
    expect(inUseSection([LIB], SETTINGS)).toBeUndefined();
    expect(inUseSection([{ ...IN_USE, days: [day(1, { ecr: 1, floor: 1 })] }], SETTINGS)).toBeUndefined();
  });

  test('renderWeek prints the section before the targets, only with the inUse side', () => {
    const settings = {
      days: 2,
      scanExpiryDays: 7,
      gainShare: 0.03,
      failShare: 0.02,
      thresholds: { CRITICAL: 1 },
      pythonThresholds: { CRITICAL: '1', HIGH: '1', MEDIUM: '1', LOW: '1' },
      prices: ON_DEMAND_PRICES,
      newsDefinition: 'news: x.',
      costNote: 'cost.',
      ...SETTINGS,
    };
    const text = renderWeek([LIB, IN_USE], settings, judgeWeekTargets([LIB, IN_USE]));
    const section = text.indexOf('### this library, reportScope ImageScope.inUse(), next to');
    expect(section).toBeGreaterThan(text.indexOf('### this library, reportScope ImageScope.inUse()\n'));
    expect(section).toBeLessThan(text.indexOf("### The week's targets"));
    expect(renderWeek([LIB], settings, [])).not.toContain('next to');
  });
});
