import {
  AcceptedRiskEntry,
  MAX_REASON_LENGTH,
  MIN_REASON_LENGTH,
  RiskFinding,
  acceptedRiskKey,
  acceptedRiskProblems,
  applyAcceptedRisks,
  entryHolds,
  expiredEntries,
  expiryOf,
  parseAcceptedRisks,
  unmatchedForACycle,
} from '../../src/decisions/accepted-risks';
import { RepositoryFilter } from '../../src/decisions/repository-filter';

const NOW = new Date('2026-12-01T03:05:00.000Z');
const DAY_MS = 86_400_000;
const REASON = 'not reachable: the service never parses untrusted XML';

const finding = (id: string, severity: string, extra: Partial<RiskFinding> = {}): RiskFinding => ({ id, severity, packageName: 'libxml2', packageVersion: '2.9.14', ...extra });
const XZ = finding('CVE-2024-3094', 'CRITICAL');
const LIBXML = finding('CVE-2024-25062', 'HIGH');
const ADVISORY = finding('GHSA-jfh8-c2jp-5v3q', 'HIGH');
const OPENSSH = finding('CVE-2024-6387', 'HIGH');

const risk = (findingId: string, extra: Partial<AcceptedRiskEntry> = {}): AcceptedRiskEntry => ({ findingId, reason: REASON, expires: '2027-03-31', ...extra });

/** The problems with one entry, repository patterns checked as the construct checks them. */
const problemsOf = (entry: Partial<AcceptedRiskEntry>, index = 0) =>
  acceptedRiskProblems(entry as AcceptedRiskEntry, index, (value) => RepositoryFilter.problem('repositoryPattern', value));

describe('applyAcceptedRisks: the module comment\'s table', () => {
  interface Row {
    readonly situation: string;
    readonly entries: AcceptedRiskEntry[];
    readonly repositoryName: string;
    readonly findings: RiskFinding[];
    readonly now?: Date;
    readonly ignoredIds: string[];
  }
  const TABLE: Row[] = [
    // `findingId` only: its id, in every selected repository, before 00:00 UTC of `expires`.
    { situation: 'findingId only: left out in one repository', entries: [risk(XZ.id)], repositoryName: 'team-a/api', findings: [XZ, LIBXML], ignoredIds: [XZ.id] },
    { situation: 'findingId only: left out in any other repository too', entries: [risk(XZ.id)], repositoryName: 'base-images/debian', findings: [XZ, LIBXML], ignoredIds: [XZ.id] },
    { situation: 'findingId only: a GitHub advisory id', entries: [risk(ADVISORY.id)], repositoryName: 'team-a/web', findings: [ADVISORY, LIBXML], ignoredIds: [ADVISORY.id] },
    { situation: 'findingId only: other findings are kept', entries: [risk(OPENSSH.id)], repositoryName: 'team-a/api', findings: [XZ, LIBXML], ignoredIds: [] },
    {
      situation: 'findingId only: the last second before the expiry date',
      entries: [risk(XZ.id, { expires: '2026-12-01' })],
      repositoryName: 'team-a/api',
      findings: [XZ],
      now: new Date('2026-11-30T23:59:59.999Z'),
      ignoredIds: [XZ.id],
    },
    {
      situation: 'findingId only: the id must match exactly (no prefix, no case folding)',
      entries: [risk('CVE-2024-309'), risk('CVE-2024-30940')],
      repositoryName: 'team-a/api',
      findings: [XZ, finding('cve-2024-3094', 'HIGH')],
      ignoredIds: [],
    },

    // with `repositoryPattern`: the same, in repositories whose name the pattern matches.
    { situation: 'repositoryPattern: a matching repository', entries: [risk(XZ.id, { repositoryPattern: '^team-a/' })], repositoryName: 'team-a/api', findings: [XZ, LIBXML], ignoredIds: [XZ.id] },
    { situation: 'repositoryPattern: another repository keeps the finding', entries: [risk(XZ.id, { repositoryPattern: '^team-a/' })], repositoryName: 'team-b/api', findings: [XZ, LIBXML], ignoredIds: [] },
    { situation: 'repositoryPattern: unanchored, matches inside the name', entries: [risk(XZ.id, { repositoryPattern: 'legacy' })], repositoryName: 'team-b/legacy-api', findings: [XZ], ignoredIds: [XZ.id] },

    // past `expires`: never.
    { situation: 'past expires: from 00:00 UTC of the expiry date', entries: [risk(XZ.id, { expires: '2026-12-01' })], repositoryName: 'team-a/api', findings: [XZ], ignoredIds: [] },
    { situation: 'past expires: long ago', entries: [risk(XZ.id, { expires: '2025-01-01' })], repositoryName: 'team-a/api', findings: [XZ], ignoredIds: [] },
    { situation: 'past expires: an ISO-8601 time a minute ago', entries: [risk(XZ.id, { expires: '2026-12-01T03:04:00Z' })], repositoryName: 'team-a/api', findings: [XZ], ignoredIds: [] },
    { situation: 'past expires: with a matching repositoryPattern', entries: [risk(XZ.id, { expires: '2026-06-30', repositoryPattern: '^team-a/' })], repositoryName: 'team-a/api', findings: [XZ], ignoredIds: [] },
    { situation: 'an unreadable expiry holds nothing', entries: [risk(XZ.id, { expires: '2027-02-31' })], repositoryName: 'team-a/api', findings: [XZ], ignoredIds: [] },

    // an Inspector finding with status SUPPRESSED: always.
    { situation: 'SUPPRESSED: left out with no accepted risk', entries: [], repositoryName: 'team-a/api', findings: [finding(XZ.id, 'CRITICAL', { status: 'SUPPRESSED' }), LIBXML], ignoredIds: [XZ.id] },
    { situation: 'SUPPRESSED: left out even next to an expired entry', entries: [risk(XZ.id, { expires: '2025-01-01' })], repositoryName: 'team-a/api', findings: [finding(XZ.id, 'CRITICAL', { status: 'SUPPRESSED' })], ignoredIds: [XZ.id] },
    { situation: 'ACTIVE and CLOSED Inspector findings count', entries: [], repositoryName: 'team-a/api', findings: [finding(XZ.id, 'CRITICAL', { status: 'ACTIVE' }), finding(LIBXML.id, 'HIGH', { status: 'CLOSED' })], ignoredIds: [] },
  ];

  test.each(TABLE.map((row) => [row.situation, row] as const))('%s', (_situation, row) => {
    const outcome = applyAcceptedRisks(row.entries, row.repositoryName, row.findings, {}, row.now ?? NOW);
    expect(outcome.ignored.map((f) => f.id)).toEqual(row.ignoredIds);
    expect(outcome.kept.map((f) => f.id)).toEqual(row.findings.map((f) => f.id).filter((id) => !row.ignoredIds.includes(id)));
  });
});

describe('applyAcceptedRisks: what the report says and counts', () => {
  test('one row per entry, with its reason and expiry, and the counts less the findings left out', () => {
    const entry = risk(XZ.id);
    const outcome = applyAcceptedRisks([entry], 'team-a/api', [XZ, LIBXML], { CRITICAL: 1, HIGH: 1, MEDIUM: 3 }, NOW);
    expect(outcome).toEqual({
      kept: [LIBXML],
      ignored: [XZ],
      applied: [{ findingId: XZ.id, reason: REASON, expires: '2027-03-31', source: 'accepted-risk', findings: 1, entry }],
      counts: { HIGH: 1, MEDIUM: 3 },
    });
  });

  test('one id in two packages is one row of two findings, and two off the counts', () => {
    const twice = [finding(LIBXML.id, 'HIGH', { packageName: 'libxml2' }), finding(LIBXML.id, 'HIGH', { packageName: 'libxml2-utils' })];
    const outcome = applyAcceptedRisks([risk(LIBXML.id)], 'team-a/api', twice, { HIGH: 3 }, NOW);
    expect(outcome.applied).toEqual([expect.objectContaining({ findingId: LIBXML.id, findings: 2 })]);
    expect(outcome.counts).toEqual({ HIGH: 1 });
  });

  test('Inspector suppressions are a row per id, with their own reason and no expiry', () => {
    const suppressed = [finding(XZ.id, 'CRITICAL', { status: 'SUPPRESSED' }), finding(OPENSSH.id, 'HIGH', { status: 'SUPPRESSED' }), finding(OPENSSH.id, 'HIGH', { status: 'SUPPRESSED' })];
    const outcome = applyAcceptedRisks([], 'team-a/api', suppressed, { CRITICAL: 1, HIGH: 2 }, NOW);
    expect(outcome.applied).toEqual([
      { findingId: XZ.id, reason: 'suppressed in Amazon Inspector', source: 'inspector-suppressed', findings: 1 },
      { findingId: OPENSSH.id, reason: 'suppressed in Amazon Inspector', source: 'inspector-suppressed', findings: 2 },
    ]);
    expect(outcome.counts).toEqual({});
  });

  test('a finding both accepted and suppressed is the accepted risk\'s, for its match record', () => {
    const entry = risk(XZ.id);
    const outcome = applyAcceptedRisks([entry], 'team-a/api', [finding(XZ.id, 'CRITICAL', { status: 'SUPPRESSED' })], { CRITICAL: 1 }, NOW);
    expect(outcome.applied).toEqual([expect.objectContaining({ source: 'accepted-risk', entry })]);
  });

  test('of two entries for one id that both hold, the first listed takes the finding', () => {
    const scoped = risk(XZ.id, { repositoryPattern: '^team-a/', reason: 'team A rebuilt without xz' });
    const everywhere = risk(XZ.id);
    const outcome = applyAcceptedRisks([scoped, everywhere], 'team-a/api', [XZ], { CRITICAL: 1 }, NOW);
    expect(outcome.applied.map((a) => a.entry)).toEqual([scoped]);
  });

  test('counts never go below 0, and a severity the counts lack is left alone', () => {
    const outcome = applyAcceptedRisks([risk(XZ.id), risk(LIBXML.id)], 'team-a/api', [XZ, LIBXML], { CRITICAL: 0, LOW: 2 }, NOW);
    expect(outcome.counts).toEqual({ LOW: 2 });
  });

  test('findings not read (over the read limit) cannot be matched: their counts stay', () => {
    const outcome = applyAcceptedRisks([risk(XZ.id)], 'team-a/api', [XZ], { CRITICAL: 5, HIGH: 40 }, NOW);
    expect(outcome.counts).toEqual({ CRITICAL: 4, HIGH: 40 });
  });

  test('nothing accepted: every finding kept, the counts as given', () => {
    expect(applyAcceptedRisks([], 'team-a/api', [XZ, LIBXML], { CRITICAL: 1, HIGH: 1 }, NOW)).toEqual({ kept: [XZ, LIBXML], ignored: [], applied: [], counts: { CRITICAL: 1, HIGH: 1 } });
  });
});

describe('entryHolds', () => {
  test.each<[string, boolean, AcceptedRiskEntry, string, Date]>([
    ['before its expiry date, any repository', true, risk(XZ.id), 'x/y', NOW],
    ['at 00:00 UTC of its expiry date', false, risk(XZ.id, { expires: '2026-12-01' }), 'x/y', new Date('2026-12-01T00:00:00.000Z')],
    ['a millisecond before', true, risk(XZ.id, { expires: '2026-12-01' }), 'x/y', new Date('2026-11-30T23:59:59.999Z')],
    ['an expiry time with an offset, just before', true, risk(XZ.id, { expires: '2026-12-01T05:00:00+02:00' }), 'x/y', new Date('2026-12-01T02:59:59Z')],
    ['an expiry time with an offset, at it', false, risk(XZ.id, { expires: '2026-12-01T05:00:00+02:00' }), 'x/y', new Date('2026-12-01T03:00:00Z')],
    ['a pattern that matches', true, risk(XZ.id, { repositoryPattern: '^team-a/' }), 'team-a/api', NOW],
    ['a pattern that does not', false, risk(XZ.id, { repositoryPattern: '^team-a/' }), 'team-b/api', NOW],
    ['an unreadable expiry', false, risk(XZ.id, { expires: 'someday' }), 'x/y', NOW],
  ])('%s: %s', (_label, expected, entry, repositoryName, now) => {
    expect(entryHolds(entry, repositoryName, now)).toBe(expected);
  });
});

describe('expiryOf', () => {
  test.each<[string, string]>([
    ['2027-03-31', '2027-03-31T00:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
    ['2027-03-31T12:00Z', '2027-03-31T12:00:00.000Z'],
    ['2027-03-31T12:00:30Z', '2027-03-31T12:00:30.000Z'],
    ['2027-03-31T12:00:30.250Z', '2027-03-31T12:00:30.250Z'],
    ['2027-03-31T12:00:00+02:00', '2027-03-31T10:00:00.000Z'],
    ['2027-03-31T22:00:00-05:00', '2027-04-01T03:00:00.000Z'],
  ])('%j: %s', (expires, at) => {
    expect(expiryOf({ expires })?.toISOString()).toBe(at);
  });

  test.each([
    ['2027-02-31', 'a day February does not have (new Date would roll it over to March)'],
    ['2027-02-29', 'February 29 in a common year'],
    ['2027-04-31', 'April 31'],
    ['2027-02-31T00:00:00Z', 'an impossible day with a time'],
    ['2027-04-31T10:00+02:00', 'an impossible day with a time and an offset'],
    ['2027-13-01', 'month 13'],
    ['2027-00-10', 'month 0'],
    ['2027-03-00', 'day 0'],
    ['2027-3-31', 'no leading zero'],
    ['31/03/2027', 'day first'],
    ['2027-03-31T12:00:00', 'a time without a zone'],
    ['2027-03-31T25:00Z', 'hour 25'],
    ['2027-03-31 12:00Z', 'a space instead of T'],
    ['next year', 'words'],
    ['', 'empty'],
  ])('%j (%s): unreadable', (expires) => {
    expect(expiryOf({ expires })).toBeUndefined();
  });

  test('a value that is not a string (from JavaScript or JSON): unreadable', () => {
    expect(expiryOf({ expires: 20270331 as unknown as string })).toBeUndefined();
    expect(expiryOf({} as { expires: string })).toBeUndefined();
  });
});

describe('acceptedRiskProblems: each naming the entry and the fix', () => {
  const FINDING_ID = (given: string) =>
    `acceptedRisks[0].findingId must be a CVE id such as CVE-2024-3094 or a GitHub advisory id such as GHSA-jfh8-c2jp-5v3q (given ${given})`;
  const REASON_PROBLEM = (given: string) =>
    `acceptedRisks[0].reason is required: say why the risk is accepted, in 3 to 300 characters, for example "not reachable: the service never parses untrusted XML" (given ${given})`;
  const EXPIRES = (given: string) =>
    `acceptedRisks[0].expires must be a date such as "2027-03-31" (the entry ignores nothing from 00:00 UTC that day) or an ISO-8601 time (given ${given})`;

  test.each(['CVE-2024-3094', 'CVE-2021-44228', 'CVE-2024-1234567', 'GHSA-jfh8-c2jp-5v3q', 'GHSA-2345-6789-cfgh'])('findingId %j is fine', (findingId) => {
    expect(problemsOf(risk(findingId))).toEqual([]);
  });

  test.each<[string, unknown]>([
    ['lower case', 'cve-2024-3094'],
    ['a two-digit year', 'CVE-24-3094'],
    ['a three-digit number', 'CVE-2024-309'],
    ['a space before it', ' CVE-2024-3094'],
    ['two parts of an advisory', 'GHSA-jfh8-c2jp'],
    ['an advisory in upper case', 'GHSA-JFH8-C2JP-5V3Q'],
    ['an advisory with letters GitHub never uses', 'GHSA-abcd-efgh-ijkl'],
    ['an Amazon Linux advisory', 'ALAS2-2024-2500'],
    ['empty', ''],
    ['missing', undefined],
    ['a number', 3094],
  ])('findingId %s', (_label, findingId) => {
    expect(problemsOf({ ...risk('CVE-2024-3094'), findingId: findingId as string })).toEqual([FINDING_ID(JSON.stringify(findingId) ?? 'undefined')]);
  });

  test.each(['n/a', 'abc', 'x'.repeat(MAX_REASON_LENGTH), '  not used in production  '])('reason %j is fine', (reason) => {
    expect(problemsOf(risk(XZ.id, { reason }))).toEqual([]);
  });

  test.each<[string, unknown]>([
    ['empty', ''],
    ['spaces only', '     '],
    ['two characters', 'ok'],
    ['two characters padded with spaces', '  ok  '],
    ['over 300 characters', 'x'.repeat(MAX_REASON_LENGTH + 1)],
    ['missing', undefined],
    ['a number', 42],
  ])('reason %s', (_label, reason) => {
    expect(problemsOf({ ...risk(XZ.id), reason: reason as string })).toEqual([REASON_PROBLEM(JSON.stringify(reason) ?? 'undefined')]);
  });

  test('the reason limits', () => {
    expect([MIN_REASON_LENGTH, MAX_REASON_LENGTH]).toEqual([3, 300]);
  });

  test.each(['2027-02-31', '2027-02-31T00:00:00Z', '2027-13-01', '31/03/2027', 'never', ''])('expires %j', (expires) => {
    expect(problemsOf(risk(XZ.id, { expires }))).toEqual([EXPIRES(JSON.stringify(expires))]);
  });

  test('expires missing', () => {
    expect(problemsOf({ findingId: XZ.id, reason: REASON })).toEqual([EXPIRES('undefined')]);
  });

  test('a bad repositoryPattern: the pattern check\'s problem, named for the entry', () => {
    expect(problemsOf(risk(XZ.id, { repositoryPattern: '(team' }), 3)).toEqual([
      expect.stringMatching(/^acceptedRisks\[3\]\.repositoryPattern is not a valid JavaScript regular expression: .*\(given "\(team"\)/),
    ]);
    expect(problemsOf(risk(XZ.id, { repositoryPattern: '' }))).toEqual(['acceptedRisks[0].repositoryPattern must not be empty; omit it to select every repository (given "")']);
  });

  test('every problem of an entry, in field order', () => {
    const problems = problemsOf({ findingId: 'XZ', reason: '', expires: '2027-02-31', repositoryPattern: '[' }, 7);
    expect(problems.map((p) => p.split(' ')[0])).toEqual([
      'acceptedRisks[7].findingId',
      'acceptedRisks[7].reason',
      'acceptedRisks[7].expires',
      'acceptedRisks[7].repositoryPattern',
    ]);
  });
});

describe('parseAcceptedRisks: the environment\'s form', () => {
  test.each([undefined, ''])('%j: none', (json) => {
    expect(parseAcceptedRisks(json)).toEqual([]);
  });

  test('entries as the construct writes them; other fields dropped', () => {
    const json = JSON.stringify([risk(XZ.id), { ...risk(LIBXML.id, { repositoryPattern: '^team-a/' }), note: 'extra' }]);
    expect(parseAcceptedRisks(json)).toEqual([risk(XZ.id), risk(LIBXML.id, { repositoryPattern: '^team-a/' })]);
  });

  test.each<[string, string, RegExp]>([
    ['not JSON', 'CVE-2024-3094', /not valid JSON/],
    ['an object', JSON.stringify(risk(XZ.id)), /^accepted risks must be a JSON list$/],
    ['a bad entry', JSON.stringify([risk(XZ.id), risk('XZ')]), /^acceptedRisks\[1\]\.findingId must be a CVE id/],
    ['two problems of an entry, joined', JSON.stringify([{ findingId: 'XZ', reason: REASON, expires: 'never' }]), /^acceptedRisks\[0\]\.findingId must .*; acceptedRisks\[0\]\.expires must /],
    ['a pattern that is not a regular expression', JSON.stringify([risk(XZ.id, { repositoryPattern: '(' })]), /^acceptedRisks\[0\]\.repositoryPattern is not a regular expression: Invalid regular expression/],
  ])('%s throws', (_label, json, expected) => {
    expect(() => parseAcceptedRisks(json)).toThrow(expected);
  });
});

describe('acceptedRiskKey: the ledger\'s record of an entry', () => {
  test.each<[AcceptedRiskEntry, string]>([
    [risk(XZ.id), 'CVE-2024-3094#*'],
    [risk(XZ.id, { repositoryPattern: '^team-a/' }), 'CVE-2024-3094#^team-a/'],
  ])('%j is %j', (entry, key) => {
    expect(acceptedRiskKey(entry)).toBe(key);
  });

  test('the reason and the expiry are not part of it: renewing an entry keeps its record', () => {
    expect(acceptedRiskKey(risk(XZ.id, { reason: 'renewed', expires: '2028-01-01' }))).toBe(acceptedRiskKey(risk(XZ.id)));
  });
});

describe('expiredEntries: the synth warning\'s list', () => {
  test('entries at or past their expiry, in order; live and unreadable ones left out', () => {
    const entries = [
      risk(XZ.id, { expires: '2026-01-01' }),
      risk(LIBXML.id),
      risk(OPENSSH.id, { expires: '2026-12-01T03:05:00.000Z' }),
      risk(ADVISORY.id, { expires: 'soon' }),
    ];
    expect(expiredEntries(entries, NOW).map((e) => e.findingId)).toEqual([XZ.id, OPENSSH.id]);
  });

  test('none', () => {
    expect(expiredEntries([risk(XZ.id)], NOW)).toEqual([]);
  });
});

describe('unmatchedForACycle', () => {
  const WINDOW = 8 * DAY_MS;
  const ago = (ms: number) => new Date(NOW.getTime() - ms);

  test.each<[string, boolean, { lastMatchedAt?: Date; firstCheckedAt?: Date }]>([
    ['matched within the cycle', false, { lastMatchedAt: ago(DAY_MS), firstCheckedAt: ago(100 * DAY_MS) }],
    ['matched exactly a cycle ago', false, { lastMatchedAt: ago(WINDOW) }],
    ['last matched longer ago than a cycle', true, { lastMatchedAt: ago(WINDOW + 1), firstCheckedAt: ago(100 * DAY_MS) }],
    ['never matched, first checked longer ago than a cycle', true, { firstCheckedAt: ago(WINDOW + 1) }],
    ['never matched, first checked within the cycle (a new entry)', false, { firstCheckedAt: ago(DAY_MS) }],
    ['never matched nor checked', false, {}],
  ])('%s: %s', (_label, expected, record) => {
    expect(unmatchedForACycle(record, NOW, WINDOW)).toBe(expected);
  });
});
