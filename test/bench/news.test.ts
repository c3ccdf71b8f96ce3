import { DigestHistory, FinishedScan, History, newsOf, newsOfDay, nextHistory, reachedSeverities, tallyNews } from '../../local/bench/news';

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
