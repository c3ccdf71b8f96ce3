import { Environment, readDiscoverySettings, readDispatchSettings, readReportSettings, readRescanSettings } from '../../src/decisions/settings';

// Variable names are written literally: they are the contract with the construct.
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/EcrScanReporter-RescanQueue';
const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:EcrScanReporter-Topic';
const TABLE = 'EcrScanReporter-Ledger-1ABC';
const DAY_MS = 86_400_000;

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  return '(did not throw)';
}

describe('readDispatchSettings', () => {
  test('valid: queue URL and a filter that selects every repository', () => {
    const settings = readDispatchSettings({ RESCAN_QUEUE_URL: QUEUE_URL });
    expect(settings.queueUrl).toBe(QUEUE_URL);
    expect(settings.filter.matches('anything/at/all')).toBe(true);
  });

  test('the patterns select repositories', () => {
    const settings = readDispatchSettings({ RESCAN_QUEUE_URL: QUEUE_URL, REPOSITORY_PATTERN: '^team/', EXCLUDE_PATTERN: '-sandbox$' });
    expect(settings.filter.matches('team/api')).toBe(true);
    expect(settings.filter.matches('team/api-sandbox')).toBe(false);
    expect(settings.filter.matches('other/api')).toBe(false);
  });

  test('empty patterns mean "not set"', () => {
    const settings = readDispatchSettings({ RESCAN_QUEUE_URL: QUEUE_URL, REPOSITORY_PATTERN: '', EXCLUDE_PATTERN: '' });
    expect(settings.filter.matches('any/repo')).toBe(true);
  });

  test.each<[string, Environment]>([
    ['missing', {}],
    ['empty', { RESCAN_QUEUE_URL: '' }],
  ])('queue URL %s: throws naming RESCAN_QUEUE_URL', (_label, env) => {
    expect(message(() => readDispatchSettings(env))).toMatch(/RESCAN_QUEUE_URL is not set/);
  });

  test('an invalid pattern throws quoting it', () => {
    expect(message(() => readDispatchSettings({ RESCAN_QUEUE_URL: QUEUE_URL, REPOSITORY_PATTERN: '^team/(' }))).toMatch(
      /repositoryPattern is not a valid JavaScript regular expression.*"\^team\/\("/,
    );
    expect(message(() => readDispatchSettings({ RESCAN_QUEUE_URL: QUEUE_URL, EXCLUDE_PATTERN: '[' }))).toContain('excludePattern');
  });
});

describe('readRescanSettings', () => {
  test('the rescan queue URL is required: a walk out of time queues its continuation there', () => {
    expect(message(() => readRescanSettings({}))).toBe(
      'environment variable RESCAN_QUEUE_URL is not set; it is set by the EcrScanReporter construct',
    );
    expect(readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE }).queueUrl).toBe(QUEUE_URL);
  });

  test('defaults when unset: 7-day expiry, 5 images at once, every repository', () => {
    const settings = readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE });
    expect(settings.scanExpiryMs).toBe(7 * DAY_MS);
    expect(settings.imageConcurrency).toBe(5);
    expect(settings.dailyScanBudget).toBe(100_000);
    expect(settings.filter.matches('x/y')).toBe(true);
  });

  test.each([['1', 1], ['60000', 60_000], ['100000', 100_000]])('DAILY_SCAN_BUDGET=%s', (raw, expected) => {
    expect(readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, DAILY_SCAN_BUDGET: raw }).dailyScanBudget).toBe(expected);
  });

  test.each(['0', '100001', '1e5', 'lots'])('DAILY_SCAN_BUDGET=%j throws quoting the value', (raw) => {
    const text = message(() => readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, DAILY_SCAN_BUDGET: raw }));
    expect(text).toContain('DAILY_SCAN_BUDGET must be an integer from 1 to 100000');
    expect(text).toContain(JSON.stringify(raw));
  });

  test('empty values fall back to the defaults', () => {
    const settings = readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, SCAN_EXPIRY_SECONDS: '', IMAGE_CONCURRENCY: '' });
    expect(settings.scanExpiryMs).toBe(7 * DAY_MS);
    expect(settings.imageConcurrency).toBe(5);
  });

  test.each<[string, number]>([
    ['86400', 1 * DAY_MS],
    ['172800', 2 * DAY_MS],
    ['1209600', 14 * DAY_MS],
    ['315360000', 3650 * DAY_MS],
  ])('SCAN_EXPIRY_SECONDS=%s gives %i ms', (raw, expectedMs) => {
    expect(readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, SCAN_EXPIRY_SECONDS: raw }).scanExpiryMs).toBe(expectedMs);
  });

  test.each([
    ['86399', 'one second under a day'],
    ['3600', 'an hour'],
    ['0', 'zero'],
    ['-86400', 'negative'],
    ['315360001', 'over ten years'],
    ['abc', 'not a number'],
    ['86400.5', 'fractional'],
    ['7d', 'a duration string'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
  ])('SCAN_EXPIRY_SECONDS=%j (%s) throws quoting the value', (raw) => {
    const text = message(() => readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, SCAN_EXPIRY_SECONDS: raw }));
    expect(text).toContain('SCAN_EXPIRY_SECONDS must be an integer from 86400 to 315360000');
    expect(text).toContain(JSON.stringify(raw));
  });

  test.each<[string, number]>([
    ['1', 1],
    ['12', 12],
    ['50', 50],
  ])('IMAGE_CONCURRENCY=%s', (raw, expected) => {
    expect(readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, IMAGE_CONCURRENCY: raw }).imageConcurrency).toBe(expected);
  });

  test.each(['0', '51', '-1', 'five', '2.5'])('IMAGE_CONCURRENCY=%j throws quoting the value', (raw) => {
    const text = message(() => readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, IMAGE_CONCURRENCY: raw }));
    expect(text).toContain('IMAGE_CONCURRENCY must be an integer from 1 to 50');
    expect(text).toContain(JSON.stringify(raw));
  });

  test('patterns are read too', () => {
    const settings = readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, REPOSITORY_PATTERN: '^prod/' });
    expect(settings.filter.matches('prod/api')).toBe(true);
    expect(settings.filter.matches('dev/api')).toBe(false);
  });

  test('an invalid pattern throws', () => {
    expect(message(() => readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, EXCLUDE_PATTERN: '(' }))).toContain('excludePattern is not a valid JavaScript regular expression');
  });
});

describe('readReportSettings', () => {
  test('valid environment as the construct writes it', () => {
    const settings = readReportSettings({
      TOPIC_ARN,
      THRESHOLDS: '{"CRITICAL":1,"HIGH":2,"MEDIUM":10}',
      NOTIFY_ON_SCAN_FAILURE: 'false',
      MAX_FINDINGS_PER_REPORT: '50',
      REPOSITORY_PATTERN: '^team/',
      REPORT_ON: 'EVERY_SCAN',
      SCAN_EXPIRY_SECONDS: String(60 * 86_400),
      LEDGER_TABLE_NAME: TABLE,
    });
    expect(settings.topicArn).toBe(TOPIC_ARN);
    expect(settings.thresholds).toEqual({ CRITICAL: 1, HIGH: 2, MEDIUM: 10 });
    expect(settings.notifyOnScanFailure).toBe(false);
    expect(settings.maxFindings).toBe(50);
    expect(settings.reportOn).toBe('EVERY_SCAN');
    // Entries live 3 scan expiries after a write: 180 days here.
    expect(settings.ledger).toEqual({ tableName: TABLE, ttlSeconds: 180 * 86_400 });
    expect(settings.filter.matches('team/a')).toBe(true);
    expect(settings.filter.matches('other/a')).toBe(false);
  });

  test('defaults when unset: CRITICAL 1 and HIGH 1, failures reported, 20 findings', () => {
    const settings = readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE });
    expect(settings.thresholds).toEqual({ CRITICAL: 1, HIGH: 1 });
    expect(settings.notifyOnScanFailure).toBe(true);
    expect(settings.maxFindings).toBe(20);
    expect(settings.reportOn).toBe('NEW_FINDINGS');
    // 3 x 7 days is under the 90-day floor.
    expect(settings.ledger).toEqual({ tableName: TABLE, ttlSeconds: 90 * 86_400 });
    expect(settings.filter.matches('x')).toBe(true);
  });

  test('empty THRESHOLDS and MAX_FINDINGS_PER_REPORT fall back to the defaults', () => {
    const settings = readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE, THRESHOLDS: '', MAX_FINDINGS_PER_REPORT: '' });
    expect(settings.thresholds).toEqual({ CRITICAL: 1, HIGH: 1 });
    expect(settings.maxFindings).toBe(20);
  });

  test.each<[string, boolean]>([
    ['true', true],
    ['false', false],
  ])('NOTIFY_ON_SCAN_FAILURE=%s', (raw, expected) => {
    expect(readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE, NOTIFY_ON_SCAN_FAILURE: raw }).notifyOnScanFailure).toBe(expected);
  });

  test.each(['yes', 'TRUE', 'False', '1', '0', ' true'])('NOTIFY_ON_SCAN_FAILURE=%j throws quoting the value', (raw) => {
    const text = message(() => readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE, NOTIFY_ON_SCAN_FAILURE: raw }));
    expect(text).toContain('NOTIFY_ON_SCAN_FAILURE must be "true" or "false"');
    expect(text).toContain(JSON.stringify(raw));
  });

  test.each<[string, Environment]>([
    ['missing', {}],
    ['empty', { TOPIC_ARN: '' }],
  ])('TOPIC_ARN %s: throws naming it', (_label, env) => {
    expect(message(() => readReportSettings(env))).toMatch(/TOPIC_ARN is not set/);
  });

  test.each<[string, Environment]>([
    ['missing', { TOPIC_ARN }],
    ['empty', { TOPIC_ARN, LEDGER_TABLE_NAME: '' }],
  ])('LEDGER_TABLE_NAME %s: throws naming it, for the report and the rescan function', (_label, env) => {
    expect(message(() => readReportSettings(env))).toBe('environment variable LEDGER_TABLE_NAME is not set; it is set by the EcrScanReporter construct');
    expect(message(() => readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: env.LEDGER_TABLE_NAME }))).toBe(
      'environment variable LEDGER_TABLE_NAME is not set; it is set by the EcrScanReporter construct',
    );
  });

  test.each(['new_findings', 'ALL', 'EVERY SCAN'])('REPORT_ON=%j throws naming the choices', (raw) => {
    expect(message(() => readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE, REPORT_ON: raw }))).toBe(
      `environment variable REPORT_ON must be one of NEW_FINDINGS, EVERY_SCAN; got ${JSON.stringify(raw)}`,
    );
  });

  test.each<[string, string]>([
    ['{"critical":1}', 'unknown severity "critical"'],
    ['not json', 'thresholds must be a JSON object'],
    ['[1]', 'thresholds must be a JSON object'],
    ['{"HIGH":-1}', 'threshold for HIGH must be a non-negative integer'],
  ])('THRESHOLDS=%j throws: %s', (raw, expected) => {
    expect(message(() => readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE, THRESHOLDS: raw }))).toContain(expected);
  });

  test.each<[string, number]>([
    ['0', 0],
    ['1000', 1000],
  ])('MAX_FINDINGS_PER_REPORT=%s is accepted', (raw, expected) => {
    expect(readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE, MAX_FINDINGS_PER_REPORT: raw }).maxFindings).toBe(expected);
  });

  test.each(['-1', '1001', 'twenty', '2.5'])('MAX_FINDINGS_PER_REPORT=%j throws quoting the value', (raw) => {
    const text = message(() => readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE, MAX_FINDINGS_PER_REPORT: raw }));
    expect(text).toContain('MAX_FINDINGS_PER_REPORT must be an integer from 0 to 1000');
    expect(text).toContain(JSON.stringify(raw));
  });
});

describe('strict parsing', () => {
  test.each(['0x15180', '8.64e4', ' 86400 ', '+86400'])('SCAN_EXPIRY_SECONDS %j is refused: digits only', (raw) => {
    expect(() => readRescanSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, SCAN_EXPIRY_SECONDS: raw })).toThrow(
      `environment variable SCAN_EXPIRY_SECONDS must be an integer from 86400 to 315360000; got ${JSON.stringify(raw)}`,
    );
  });

  test('an empty NOTIFY_ON_SCAN_FAILURE means "not set", like every other variable', () => {
    expect(readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE, NOTIFY_ON_SCAN_FAILURE: '' }).notifyOnScanFailure).toBe(true);
  });

  test('default thresholds are a fresh object each time, so a caller cannot change the next invocation\'s', () => {
    const first = readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE });
    (first.thresholds as Record<string, number>).CRITICAL = 99;
    expect(readReportSettings({ TOPIC_ARN, LEDGER_TABLE_NAME: TABLE }).thresholds).toEqual({ CRITICAL: 1, HIGH: 1 });
  });
});

const HOUR_MS = 3_600_000;
const RISK = { findingId: 'CVE-2024-3094', reason: 'not reachable: the service never parses untrusted XML', expires: '2027-03-31' };
const RESCAN: Environment = { RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE };
const REPORT: Environment = { TOPIC_ARN, LEDGER_TABLE_NAME: TABLE };

describe('the in-use settings: IN_USE_DISCOVERY and IN_USE_HOLD_SECONDS', () => {
  const readers: Array<[string, (env: Environment) => { inUse: { discoveryOn: boolean; holdMs: number } }, Environment]> = [
    ['rescan', readRescanSettings, RESCAN],
    ['report', readReportSettings, REPORT],
    ['discovery', readDiscoverySettings, { LEDGER_TABLE_NAME: TABLE }],
  ];

  describe.each(readers)('%s function', (_name, read, base) => {
    test('unset: the discovery is off, the hold two days and an hour', () => {
      expect(read(base).inUse).toEqual({ discoveryOn: false, holdMs: 49 * HOUR_MS });
    });

    test('as the construct writes them', () => {
      expect(read({ ...base, IN_USE_DISCOVERY: 'true', IN_USE_HOLD_SECONDS: '1213200' }).inUse).toEqual({ discoveryOn: true, holdMs: 1_213_200_000 });
      expect(read({ ...base, IN_USE_DISCOVERY: 'false' }).inUse.discoveryOn).toBe(false);
    });

    test('empty values mean "not set"', () => {
      expect(read({ ...base, IN_USE_DISCOVERY: '', IN_USE_HOLD_SECONDS: '' }).inUse).toEqual({ discoveryOn: false, holdMs: 49 * HOUR_MS });
    });

    test.each(['yes', 'TRUE', '1', 'on'])('IN_USE_DISCOVERY=%j throws naming the variable', (raw) => {
      expect(message(() => read({ ...base, IN_USE_DISCOVERY: raw }))).toBe(`environment variable IN_USE_DISCOVERY must be "true" or "false"; got ${JSON.stringify(raw)}`);
    });

    test.each<[string, number]>([
      ['3600', HOUR_MS],
      ['34560000', 400 * DAY_MS],
    ])('IN_USE_HOLD_SECONDS=%s is accepted', (raw, holdMs) => {
      expect(read({ ...base, IN_USE_HOLD_SECONDS: raw }).inUse.holdMs).toBe(holdMs);
    });

    test.each(['3599', '34560001', '0', '-3600', '49h', '1e5', '176400.5'])('IN_USE_HOLD_SECONDS=%j throws naming the variable', (raw) => {
      expect(message(() => read({ ...base, IN_USE_HOLD_SECONDS: raw }))).toBe(
        `environment variable IN_USE_HOLD_SECONDS must be an integer from 3600 to 34560000; got ${JSON.stringify(raw)}`,
      );
    });
  });

  test('the discovery needs the ledger table', () => {
    expect(message(() => readDiscoverySettings({ IN_USE_DISCOVERY: 'true' }))).toBe('environment variable LEDGER_TABLE_NAME is not set; it is set by the EcrScanReporter construct');
    const settings = readDiscoverySettings({ LEDGER_TABLE_NAME: TABLE, SCAN_EXPIRY_SECONDS: String(60 * 86_400) });
    expect(settings.ledger).toEqual({ tableName: TABLE, ttlSeconds: 180 * 86_400 });
  });
});

describe('the scopes: RESCAN_SCOPE (rescan function) and REPORT_SCOPE (report function)', () => {
  const cases: Array<[string, 'RESCAN_SCOPE' | 'REPORT_SCOPE', (env: Environment) => { scope: unknown }, Environment]> = [
    ['rescan', 'RESCAN_SCOPE', readRescanSettings, RESCAN],
    ['report', 'REPORT_SCOPE', readReportSettings, REPORT],
  ];

  describe.each(cases)('%s function', (_name, variable, read, base) => {
    test.each<[string | undefined, unknown]>([
      [undefined, { kind: 'all' }],
      ['', { kind: 'all' }],
      ['all', { kind: 'all' }],
      ['in-use', { kind: 'in-use' }],
      ['pulled-within:90', { kind: 'pulled-within', pulledWithinDays: 90 }],
      ['in-use-or-pulled-within:30', { kind: 'in-use-or-pulled-within', pulledWithinDays: 30 }],
    ])(`${variable}=%j`, (raw, expected) => {
      expect(read({ ...base, [variable]: raw }).scope).toEqual(expected);
    });

    test.each(['recent', 'pulled-within:0', 'in-use:1'])(`${variable}=%j throws naming the variable`, (raw) => {
      expect(message(() => read({ ...base, [variable]: raw }))).toBe(
        `environment variable ${variable} is not valid: an image scope must be all, in-use, pulled-within:DAYS or in-use-or-pulled-within:DAYS with DAYS from 1 to 3650; got ${JSON.stringify(raw)}`,
      );
    });
  });

  test('each function reads its own scope only', () => {
    expect(readRescanSettings({ ...RESCAN, REPORT_SCOPE: 'in-use' }).scope).toEqual({ kind: 'all' });
    expect(readReportSettings({ ...REPORT, RESCAN_SCOPE: 'in-use' }).scope).toEqual({ kind: 'all' });
  });
});

describe('owners: OWNER_TAG_KEY and REPOSITORY_OWNERS (report function)', () => {
  test('unset: no tag key and no rules', () => {
    const settings = readReportSettings(REPORT);
    expect(settings.ownerTagKey).toBeUndefined();
    expect(settings.ownerRules).toEqual([]);
  });

  test('as the construct writes them', () => {
    const settings = readReportSettings({ ...REPORT, OWNER_TAG_KEY: 'owner', REPOSITORY_OWNERS: '[{"pattern":"^team-a/","owner":"team-a"},{"pattern":"^team-b/","owner":"Team B"}]' });
    expect(settings.ownerTagKey).toBe('owner');
    expect(settings.ownerRules).toEqual([
      { pattern: '^team-a/', owner: 'team-a' },
      { pattern: '^team-b/', owner: 'Team B' },
    ]);
  });

  test('an empty OWNER_TAG_KEY means "not set"', () => {
    expect('ownerTagKey' in readReportSettings({ ...REPORT, OWNER_TAG_KEY: '' })).toBe(false);
  });

  test.each<[string, string, string | RegExp]>([
    ['not JSON', 'team-a', /^environment variable REPOSITORY_OWNERS is not valid: .*not valid JSON/],
    ['an object', '{"pattern":"^a","owner":"a"}', 'environment variable REPOSITORY_OWNERS is not valid: repository owners must be a JSON list'],
    [
      'an owner named UNOWNED',
      '[{"pattern":"^a","owner":"UNOWNED"}]',
      'environment variable REPOSITORY_OWNERS is not valid: repositoryOwners[0].owner must not be "UNOWNED", which marks reports that nobody owns; choose another name',
    ],
    ['a bad pattern', '[{"pattern":"[","owner":"a"}]', /^environment variable REPOSITORY_OWNERS is not valid: Invalid regular expression/],
  ])('REPOSITORY_OWNERS %s throws naming the variable', (_label, raw, expected) => {
    expect(() => readReportSettings({ ...REPORT, REPOSITORY_OWNERS: raw })).toThrow(expected);
  });
});

describe('accepted risks: ACCEPTED_RISKS (report and dispatch functions)', () => {
  test('unset: none, and dispatch needs no ledger', () => {
    expect(readReportSettings(REPORT).acceptedRisks).toEqual([]);
    const dispatch = readDispatchSettings({ RESCAN_QUEUE_URL: QUEUE_URL });
    expect(dispatch.acceptedRisks).toEqual([]);
    expect(dispatch.ledger).toBeUndefined();
    expect(dispatch.scanExpiryMs).toBe(7 * DAY_MS);
  });

  test('as the construct writes them, in the report function', () => {
    const scoped = { ...RISK, findingId: 'GHSA-jfh8-c2jp-5v3q', repositoryPattern: '^team-a/' };
    expect(readReportSettings({ ...REPORT, ACCEPTED_RISKS: JSON.stringify([RISK, scoped]) }).acceptedRisks).toEqual([RISK, scoped]);
  });

  test('dispatch checks them once per cycle: it reads the ledger, and the cycle is the scan expiry', () => {
    const settings = readDispatchSettings({
      RESCAN_QUEUE_URL: QUEUE_URL,
      ACCEPTED_RISKS: JSON.stringify([RISK]),
      LEDGER_TABLE_NAME: TABLE,
      SCAN_EXPIRY_SECONDS: String(14 * 86_400),
    });
    expect(settings.acceptedRisks).toEqual([RISK]);
    expect(settings.ledger).toEqual({ tableName: TABLE, ttlSeconds: 90 * 86_400 });
    expect(settings.scanExpiryMs).toBe(14 * DAY_MS);
  });

  test('dispatch with accepted risks but no ledger table throws naming it', () => {
    expect(message(() => readDispatchSettings({ RESCAN_QUEUE_URL: QUEUE_URL, ACCEPTED_RISKS: JSON.stringify([RISK]) }))).toBe(
      'environment variable LEDGER_TABLE_NAME is not set; it is set by the EcrScanReporter construct',
    );
  });

  test.each<[string, string, string | RegExp]>([
    ['not JSON', 'CVE-2024-3094', /^environment variable ACCEPTED_RISKS is not valid: .*not valid JSON/],
    ['an object', JSON.stringify(RISK), 'environment variable ACCEPTED_RISKS is not valid: accepted risks must be a JSON list'],
    [
      'a bad finding id',
      JSON.stringify([{ ...RISK, findingId: 'CVE-24-1' }]),
      'environment variable ACCEPTED_RISKS is not valid: acceptedRisks[0].findingId must be a CVE id such as CVE-2024-3094 or a GitHub advisory id such as GHSA-jfh8-c2jp-5v3q (given "CVE-24-1")',
    ],
    ['an impossible date', JSON.stringify([{ ...RISK, expires: '2027-02-31' }]), /^environment variable ACCEPTED_RISKS is not valid: acceptedRisks\[0\]\.expires must be a date such as "2027-03-31".*\(given "2027-02-31"\)$/],
    ['a bad pattern', JSON.stringify([{ ...RISK, repositoryPattern: '(' }]), /^environment variable ACCEPTED_RISKS is not valid: acceptedRisks\[0\]\.repositoryPattern is not a regular expression: /],
  ])('%s throws naming the variable, in both functions', (_label, raw, expected) => {
    expect(() => readReportSettings({ ...REPORT, ACCEPTED_RISKS: raw })).toThrow(expected);
    expect(() => readDispatchSettings({ RESCAN_QUEUE_URL: QUEUE_URL, LEDGER_TABLE_NAME: TABLE, ACCEPTED_RISKS: raw })).toThrow(expected);
  });
});

describe('CHAT_NOTIFICATIONS (report function)', () => {
  test.each<[string | undefined, boolean]>([
    [undefined, false],
    ['', false],
    ['false', false],
    ['true', true],
  ])('%j: chat %s', (raw, expected) => {
    expect(readReportSettings({ ...REPORT, CHAT_NOTIFICATIONS: raw }).chat).toBe(expected);
  });

  test.each(['yes', 'True', 'slack'])('%j throws naming the variable', (raw) => {
    expect(message(() => readReportSettings({ ...REPORT, CHAT_NOTIFICATIONS: raw }))).toBe(`environment variable CHAT_NOTIFICATIONS must be "true" or "false"; got ${JSON.stringify(raw)}`);
  });
});
