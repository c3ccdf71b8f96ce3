import { Finding } from '../../src/decisions/findings';
import { LedgerEntry } from '../../src/decisions/ledger';
import { NewsDecision, NewsInput, ReportOnMode, decideNews, scanKey } from '../../src/decisions/report-on';

const NOW = new Date('2026-12-01T03:05:00.000Z');
const LAST_WEEK = new Date('2026-11-24T03:04:00.000Z');
const COMPLETED = new Date('2026-12-01T03:04:11.000Z');
const THIS_SCAN = scanKey('COMPLETE', COMPLETED, 'event-2');

const finding = (id: string, severity: string): Finding => ({ id, severity, packageName: 'openssl', packageVersion: '3.0.1' });
const OPENSSH = finding('CVE-2024-6387', 'CRITICAL');
const NGHTTP2 = finding('CVE-2023-44487', 'HIGH');
const EXPAT = finding('CVE-2023-52425', 'HIGH');

/** An entry whose last report, a week ago, listed `ids`. */
function reportedWeekAgo(ids: string[], counts: Record<string, number> = { CRITICAL: 1, HIGH: 1 }, extra: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    repositoryName: 'team-a/api',
    imageDigest: 'sha256:aa',
    imageTags: ['v1'],
    scan: { status: 'COMPLETE', observedAt: LAST_WEEK, source: 'scan-event', completedAt: LAST_WEEK, severityCounts: counts },
    lastReport: { at: LAST_WEEK, scanKey: scanKey('COMPLETE', LAST_WEEK, 'event-1'), eventId: 'event-1', reason: 'first-report', findingIds: ids, severityCounts: counts },
    version: 3,
    ...extra,
  };
}

function input(overrides: Partial<NewsInput> = {}): NewsInput {
  return {
    reportOn: 'NEW_FINDINGS',
    scanStatus: 'COMPLETE',
    scanKey: THIS_SCAN,
    eventId: 'event-2',
    now: NOW,
    reachedFindings: [OPENSSH, NGHTTP2],
    reachedSeverities: ['CRITICAL', 'HIGH'],
    findingsTruncated: false,
    counts: { CRITICAL: 1, HIGH: 1, MEDIUM: 4 },
    entry: reportedWeekAgo([OPENSSH.id, NGHTTP2.id]),
    ...overrides,
  };
}

interface Row {
  readonly situation: string;
  readonly input: Partial<NewsInput>;
  /** Under NEW_FINDINGS, then under EVERY_SCAN. */
  readonly newFindings: Expected;
  readonly everyScan: Expected;
}
type Expected = { report: true; reason: string; newIds: string[] } | { report: false; reason: string };

const reported = (reason: string, newIds: string[] = []): Expected => ({ report: true, reason, newIds });
const withheld = (reason: string): Expected => ({ report: false, reason });

// The README's table, row by row.
const TABLE: Row[] = [
  {
    situation: 'the same findings a week later',
    input: {},
    newFindings: withheld('not-new'),
    everyScan: reported('every-scan'),
  },
  {
    situation: 'one new CVE',
    input: { reachedFindings: [OPENSSH, NGHTTP2, EXPAT], counts: { CRITICAL: 1, HIGH: 2 } },
    newFindings: reported('new-findings', [EXPAT.id]),
    everyScan: reported('every-scan', [EXPAT.id]),
  },
  {
    situation: 'the ledger has no entry (first report, or the entry is gone)',
    input: { entry: undefined },
    newFindings: reported('first-report', [OPENSSH.id, NGHTTP2.id]),
    everyScan: reported('every-scan', [OPENSSH.id, NGHTTP2.id]),
  },
  {
    situation: 'an entry with scans recorded but no report yet',
    input: { entry: { ...reportedWeekAgo([]), lastReport: undefined } },
    newFindings: reported('first-report', [OPENSSH.id, NGHTTP2.id]),
    everyScan: reported('every-scan', [OPENSSH.id, NGHTTP2.id]),
  },
  {
    situation: 'counts that fall (a finding fixed, the rest reported before)',
    input: { reachedFindings: [OPENSSH], reachedSeverities: ['CRITICAL'], counts: { CRITICAL: 1 } },
    newFindings: withheld('not-new'),
    everyScan: reported('every-scan'),
  },
  {
    situation: 'a severity newly reached because a threshold changed (MEDIUM now evaluated)',
    input: { reachedFindings: [OPENSSH, NGHTTP2, finding('CVE-2025-0001', 'MEDIUM')], reachedSeverities: ['CRITICAL', 'HIGH', 'MEDIUM'] },
    newFindings: reported('new-findings', ['CVE-2025-0001']),
    everyScan: reported('every-scan', ['CVE-2025-0001']),
  },
  {
    situation: 'a finding that rose from MEDIUM (not evaluated, never listed) to HIGH',
    input: { entry: reportedWeekAgo([OPENSSH.id], { CRITICAL: 1 }), reachedFindings: [OPENSSH, NGHTTP2] },
    newFindings: reported('new-findings', [NGHTTP2.id]),
    everyScan: reported('every-scan', [NGHTTP2.id]),
  },
  {
    situation: 'more findings than could be read, a reached count grew, every finding read was listed',
    input: { findingsTruncated: true, counts: { CRITICAL: 1, HIGH: 9 } },
    newFindings: reported('new-findings'),
    everyScan: reported('every-scan'),
  },
  {
    situation: 'more findings than could be read, the counts did not grow',
    input: { findingsTruncated: true },
    newFindings: withheld('not-new'),
    everyScan: reported('every-scan'),
  },
  {
    situation: 'findings could not be read (the image or its scan is gone)',
    input: { reachedFindings: undefined, scanKey: scanKey('COMPLETE', undefined, 'event-2') },
    newFindings: reported('findings-unavailable'),
    everyScan: reported('every-scan'),
  },
  {
    situation: 'a Lambda retry after the report went out (the same scan key)',
    input: { entry: { ...reportedWeekAgo([OPENSSH.id]), lastReport: { ...reportedWeekAgo([]).lastReport!, scanKey: THIS_SCAN, eventId: 'event-2' } } },
    newFindings: withheld('already-reported'),
    everyScan: withheld('already-reported'),
  },
  {
    situation: 'a second event for a scan already reported (same scan key, another event id)',
    input: { entry: { ...reportedWeekAgo([OPENSSH.id]), lastReport: { ...reportedWeekAgo([]).lastReport!, scanKey: THIS_SCAN } }, eventId: 'event-3' },
    newFindings: withheld('already-reported'),
    everyScan: withheld('already-reported'),
  },
  {
    situation: 'a hand-made event with neither id nor time, for a later scan than the last reported one by such an event: its derived id names no scan, the key decides',
    input: {
      entry: { ...reportedWeekAgo([OPENSSH.id, NGHTTP2.id]), lastReport: { ...reportedWeekAgo([OPENSSH.id, NGHTTP2.id]).lastReport!, eventId: 'team-a/service@sha256:1/COMPLETE/no-time' } },
      eventId: 'team-a/service@sha256:1/COMPLETE/no-time',
    },
    newFindings: withheld('not-new'),
    everyScan: reported('every-scan'),
  },
  {
    situation: 'another event holds a live claim on this scan\'s report',
    input: { entry: reportedWeekAgo([], {}, { claim: { id: 'c-1', scanKey: THIS_SCAN, eventId: 'event-9', expiresAt: new Date(NOW.getTime() + 60_000) } }) },
    newFindings: withheld('already-reported'),
    everyScan: withheld('already-reported'),
  },
  {
    situation: 'another event\'s claim on this scan expired without a commit (its holder died): taken over',
    input: { entry: reportedWeekAgo([], {}, { claim: { id: 'c-1', scanKey: THIS_SCAN, eventId: 'event-9', expiresAt: new Date(NOW.getTime() - 1) } }) },
    newFindings: reported('new-findings', [OPENSSH.id, NGHTTP2.id]),
    everyScan: reported('every-scan', [OPENSSH.id, NGHTTP2.id]),
  },
  {
    situation: 'FAILED, no failure reported since the last COMPLETE scan',
    input: { scanStatus: 'FAILED', scanKey: scanKey('FAILED', undefined, 'event-2'), reachedFindings: [], reachedSeverities: [], counts: {} },
    newFindings: reported('newly-failed'),
    everyScan: reported('every-scan'),
  },
  {
    situation: 'FAILED again, the failure reported before and no COMPLETE scan since',
    input: {
      scanStatus: 'FAILED',
      scanKey: scanKey('FAILED', undefined, 'event-2'),
      reachedFindings: [],
      reachedSeverities: [],
      counts: {},
      entry: reportedWeekAgo([], {}, { failureReport: { at: LAST_WEEK, scanKey: 'FAILED#event-1', eventId: 'event-1' } }),
    },
    newFindings: withheld('still-failing'),
    everyScan: reported('every-scan'),
  },
  {
    situation: 'the FAILED event already reported, delivered again',
    input: {
      scanStatus: 'FAILED',
      scanKey: scanKey('FAILED', undefined, 'event-2'),
      reachedFindings: [],
      reachedSeverities: [],
      counts: {},
      entry: reportedWeekAgo([], {}, { failureReport: { at: NOW, scanKey: 'FAILED#event-2', eventId: 'event-2' } }),
    },
    newFindings: withheld('already-reported'),
    everyScan: withheld('already-reported'),
  },
];

function summary(decision: NewsDecision): Expected {
  return decision.report
    ? { report: true, reason: decision.reason, newIds: decision.newFindings.map((f) => f.id) }
    : { report: false, reason: decision.reason };
}

describe.each<[ReportOnMode, keyof Pick<Row, 'newFindings' | 'everyScan'>]>([
  ['NEW_FINDINGS', 'newFindings'],
  ['EVERY_SCAN', 'everyScan'],
])('reportOn %s', (reportOn, column) => {
  test.each(TABLE.map((row) => [row.situation, row] as const))('%s', (_situation, row) => {
    expect(summary(decideNews(input({ ...row.input, reportOn })))).toEqual(row[column]);
  });
});

describe('what a report carries besides the decision', () => {
  test('the time of the previous findings report, for "2 new since the report of ..."', () => {
    const decision = decideNews(input({ reachedFindings: [OPENSSH, NGHTTP2, EXPAT] }));
    expect(decision).toMatchObject({ report: true, previousReportAt: LAST_WEEK, takesOverClaim: false });
  });

  test('a first report has no previous report', () => {
    const decision = decideNews(input({ entry: undefined }));
    expect(decision.report && decision.previousReportAt).toBeUndefined();
  });

  test('a report taken over from a claim on the same scan says so, whether the claim was this event\'s or an expired one', () => {
    const own = reportedWeekAgo([], {}, { claim: { id: 'c-1', scanKey: THIS_SCAN, eventId: 'event-2', expiresAt: new Date(NOW.getTime() + 60_000) } });
    expect(decideNews(input({ entry: own }))).toMatchObject({ report: true, takesOverClaim: true });
  });

  test('a claim on another scan (an older, dead attempt) is not a takeover of this report', () => {
    const old = reportedWeekAgo([], {}, { claim: { id: 'c-1', scanKey: 'COMPLETE@2026-11-10T00:00:00.000Z', eventId: 'event-0', expiresAt: new Date(NOW.getTime() - DAY_MS) } });
    expect(decideNews(input({ entry: old }))).toMatchObject({ report: true, takesOverClaim: false });
  });
});

describe('scanKey', () => {
  test('a COMPLETE scan is known by ECR\'s completion time, the same for every event and retry about it', () => {
    expect(scanKey('COMPLETE', COMPLETED, 'event-2')).toBe('COMPLETE@2026-12-01T03:04:11.000Z');
    expect(scanKey('COMPLETE', COMPLETED, 'event-3')).toBe(scanKey('COMPLETE', COMPLETED, 'event-2'));
  });

  test('a scan without one (FAILED, or findings unreadable) by its event id', () => {
    expect(scanKey('FAILED', undefined, 'event-2')).toBe('FAILED#event-2');
    expect(scanKey('FAILED', undefined, 'event-3')).not.toBe(scanKey('FAILED', undefined, 'event-2'));
  });
});

const DAY_MS = 86_400_000;
