import { Environment, readDispatchSettings, readReportSettings, readRescanSettings } from '../../src/decisions/settings';

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
    expect(settings.filter.matches('x/y')).toBe(true);
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
