import { DigestHistory, FinishedScan, History, newsOf, newsOfDay, nextHistory, reachedSeverities, tallyNews, tallyRunning } from '../../local/bench/news';

const THRESHOLDS = { CRITICAL: 1, HIGH: 1 };
const c1 = { id: 'CVE-1', severity: 'CRITICAL' };
const h2 = { id: 'CVE-2', severity: 'HIGH' };
const h3 = { id: 'CVE-3', severity: 'HIGH' };
const m4 = { id: 'CVE-4', severity: 'MEDIUM' };
const l5 = { id: 'CVE-5', severity: 'LOW' };

const complete = (key: string, ...findings: FinishedScan['findings']): FinishedScan => ({ key, status: 'COMPLETE', findings });
const failed = (key: string): FinishedScan => ({ key, status: 'FAILED', findings: [] });
const seen = (lastStatus: DigestHistory['lastStatus'], ...ids: string[]): DigestHistory => ({
  lastStatus,
  ...(ids.length > 0 || lastStatus === 'COMPLETE' ? { completedIds: new Set(ids) } : {}),
});

test.each<[string, DigestHistory | undefined, FinishedScan, string | undefined]>([
  ['first COMPLETE scan in the run, at a threshold', undefined, complete('a', h2), 'first-report'],
  ['first COMPLETE scan, below every threshold', undefined, complete('a', m4, l5), undefined],
  ['first COMPLETE scan after a FAILED one in the run', seen('FAILED'), complete('a', c1), 'first-report'],
  ['the same findings again', seen('COMPLETE', 'CVE-2'), complete('a', h2), undefined],
  ['a new HIGH next to a known one', seen('COMPLETE', 'CVE-2'), complete('a', h2, h3), 'new-findings'],
  ['a new CRITICAL where the last scan had only a HIGH', seen('COMPLETE', 'CVE-2'), complete('a', c1, h2), 'new-findings'],
  ['a new MEDIUM only: not at a reached severity', seen('COMPLETE', 'CVE-2'), complete('a', h2, m4), undefined],
  ['a HIGH reached for the first time after a scan below threshold', seen('COMPLETE', 'CVE-4'), complete('a', h2, m4), 'new-findings'],
  ['findings that disappeared', seen('COMPLETE', 'CVE-1', 'CVE-2'), complete('a', h2), undefined],
  ['the same findings after a FAILED scan in between', seen('FAILED', 'CVE-2'), complete('a', h2), undefined],
  ['a first FAILED scan', undefined, failed('a'), 'newly-failed'],
  ['FAILED after COMPLETE', seen('COMPLETE', 'CVE-2'), failed('a'), 'newly-failed'],
  ['FAILED again', seen('FAILED', 'CVE-2'), failed('a'), undefined],
])('%s', (_, before, scan, expected) => {
  const history: History = new Map(before ? [['a', before]] : []);
  expect(newsOf(history, scan, THRESHOLDS)).toBe(expected);
});

test('reachedSeverities: the severities at or above their thresholds only', () => {
  expect(reachedSeverities([c1, m4, l5], THRESHOLDS)).toEqual(['CRITICAL']);
  expect(reachedSeverities([h2], { CRITICAL: 1, HIGH: 2 })).toEqual([]);
  expect(reachedSeverities([h2, h3], { CRITICAL: 1, HIGH: 2 })).toEqual(['HIGH']);
  expect(reachedSeverities([l5], { ...THRESHOLDS, LOW: 1 })).toEqual(['LOW']);
});

test('nextHistory: a COMPLETE scan replaces the known ids; a FAILED one keeps them and records the failure', () => {
  const before: History = new Map([['a', seen('COMPLETE', 'CVE-1')], ['b', seen('COMPLETE', 'CVE-2')]]);
  const after = nextHistory(before, [complete('a', h2, h3), failed('b'), failed('c')]);
  expect(after.get('a')).toEqual({ lastStatus: 'COMPLETE', completedIds: new Set(['CVE-2', 'CVE-3']) });
  expect(after.get('b')).toEqual({ lastStatus: 'FAILED', completedIds: new Set(['CVE-2']) });
  expect(after.get('c')).toEqual({ lastStatus: 'FAILED' });
  expect(before.get('a')).toEqual(seen('COMPLETE', 'CVE-1')); // not changed in place
});

test('newsOfDay: one entry per digest whose scan is news', () => {
  const history: History = new Map([['b', seen('COMPLETE', 'CVE-2')]]);
  expect([...newsOfDay(history, [complete('a', c1), complete('b', h2), failed('c'), complete('d', l5)], THRESHOLDS)]).toEqual([
    ['a', 'first-report'],
    ['c', 'newly-failed'],
  ]);
});

describe('tallyNews', () => {
  const news = new Map([
    ['a', 'first-report'],
    ['b', 'new-findings'],
    ['c', 'newly-failed'],
  ] as const);

  test('one notification per news: nothing missed, nothing repeated', () => {
    expect(tallyNews(news, ['c', 'a', 'b'])).toMatchObject({
      news: 3,
      newsByKind: { 'first-report': 1, 'new-findings': 1, 'newly-failed': 1 },
      notifications: 3,
      missedNews: 0,
      repeats: 0,
    });
  });

  test('a news without notification is missed; a notification about no news and a second copy are repeats', () => {
    const tally = tallyNews(news, ['a', 'a', 'b', 'x', 'y', 'x']);
    expect(tally).toEqual({
      news: 3,
      newsByKind: { 'first-report': 1, 'new-findings': 1, 'newly-failed': 1 },
      notifications: 6,
      missedNews: 1,
      repeats: 4,
      repeatsNotNews: 3,
      repeatsExtraCopies: 1,
      missedByKind: { 'first-report': 0, 'new-findings': 0, 'newly-failed': 1 },
      examples: { missed: ['c'], repeated: ['a', 'x', 'y'] },
    });
  });

  test('no news and no notifications', () => {
    expect(tallyNews(new Map(), [])).toMatchObject({ news: 0, notifications: 0, missedNews: 0, repeats: 0 });
  });
});

describe('tallyRunning: the news of the digests that run', () => {
  const news = new Map([
    ['run-a', 'first-report'],
    ['run-b', 'new-findings'],
    ['idle-c', 'newly-failed'],
    ['idle-d', 'first-report'],
  ] as const);
  const running = new Set(['run-a', 'run-b', 'run-e']);

  test('a side that reports on running images only: every news in them notified, none missed or repeated', () => {
    expect(tallyRunning(news, ['run-b', 'run-a'], running)).toMatchObject({
      news: 2,
      allNews: 4,
      notifications: 2,
      aboutRunning: 2,
      outOfScope: 0,
      missedNews: 0,
      repeats: 0,
    });
  });

  test('a side that reports on every image: its notifications about images that do not run are repeats, counted as out of scope', () => {
    expect(tallyRunning(news, ['run-a', 'run-b', 'idle-c', 'idle-d'], running)).toMatchObject({
      news: 2,
      allNews: 4,
      notifications: 4,
      aboutRunning: 2,
      outOfScope: 2,
      missedNews: 0,
      repeats: 2,
      repeatsNotNews: 2,
    });
  });

  test('missed: news in a running image with no notification; a running image notified without news is a repeat', () => {
    const tally = tallyRunning(news, ['run-a', 'run-a', 'run-e'], running);
    expect(tally).toMatchObject({
      news: 2,
      notifications: 3,
      aboutRunning: 3,
      outOfScope: 0,
      missedNews: 1,
      missedByKind: { 'first-report': 0, 'new-findings': 1, 'newly-failed': 0 },
      repeats: 2,
      repeatsNotNews: 1,
      repeatsExtraCopies: 1,
      examples: { missed: ['run-b'], repeated: ['run-a', 'run-e'] },
    });
  });

  test('nothing runs: no news in running images, every notification out of scope', () => {
    expect(tallyRunning(news, ['idle-c'], new Set())).toMatchObject({ news: 0, allNews: 4, notifications: 1, outOfScope: 1, missedNews: 0, repeats: 1 });
  });
});
