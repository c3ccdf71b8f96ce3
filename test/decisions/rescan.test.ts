import { IMAGE_FORMAT_REASONS } from '../../src/decisions/image-format';
import { ImageScanState, RESCAN_REASONS, RescanDecision, RescanPolicy, RescanReason, decideRescan, formatAge } from '../../src/decisions/rescan';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const NOW = new Date('2026-11-27T03:00:00.000Z');
const EXPIRY = 7 * DAY;

function policy(overrides: Partial<RescanPolicy> = {}): RescanPolicy {
  return { now: NOW, scanExpiryMs: EXPIRY, registryScanType: 'BASIC', ...overrides };
}

/** A moment `ms` before NOW. */
function ago(ms: number): Date {
  return new Date(NOW.getTime() - ms);
}

interface Row {
  readonly situation: string;
  readonly state: ImageScanState;
  readonly action: RescanDecision['action'];
  readonly reason: RescanReason;
  /** Text the detail must contain, when the situation carries some. */
  readonly detailContains?: string[];
}

// The decision table of a basic-scanning registry, one row per situation.
const BASIC_TABLE: Row[] = [
  { situation: 'never scanned (ScanNotFoundException: status undefined)', state: {}, action: 'scan', reason: 'never-scanned' },
  {
    situation: 'COMPLETE, 8 days old with a 7-day expiry',
    state: { status: 'COMPLETE', completedAt: ago(8 * DAY) },
    action: 'scan',
    reason: 'expired',
    detailContains: ['8d', '7d'],
  },
  {
    situation: 'COMPLETE, exactly at the expiry',
    state: { status: 'COMPLETE', completedAt: ago(EXPIRY) },
    action: 'scan',
    reason: 'expired',
  },
  {
    situation: 'COMPLETE, 1 ms before the expiry',
    state: { status: 'COMPLETE', completedAt: ago(EXPIRY - 1) },
    action: 'skip',
    reason: 'fresh',
  },
  {
    situation: 'COMPLETE, 1 ms past the expiry',
    state: { status: 'COMPLETE', completedAt: ago(EXPIRY + 1) },
    action: 'scan',
    reason: 'expired',
  },
  {
    situation: 'COMPLETE, 3 hours old',
    state: { status: 'COMPLETE', completedAt: ago(3 * HOUR) },
    action: 'skip',
    reason: 'fresh',
    detailContains: ['3h', '7d'],
  },
  {
    situation: 'COMPLETE at this very moment (age 0)',
    state: { status: 'COMPLETE', completedAt: NOW },
    action: 'skip',
    reason: 'fresh',
  },
  {
    situation: 'COMPLETE in the future (clock skew)',
    state: { status: 'COMPLETE', completedAt: new Date(NOW.getTime() + 10 * MINUTE) },
    action: 'skip',
    reason: 'fresh',
  },
  {
    situation: 'COMPLETE far in the future (clock skew larger than the expiry)',
    state: { status: 'COMPLETE', completedAt: new Date(NOW.getTime() + 30 * DAY) },
    action: 'skip',
    reason: 'fresh',
  },
  {
    situation: 'COMPLETE without completedAt',
    state: { status: 'COMPLETE' },
    action: 'scan',
    reason: 'complete-without-timestamp',
  },
  {
    situation: 'COMPLETE with an invalid completedAt',
    state: { status: 'COMPLETE', completedAt: new Date('not a date') },
    action: 'scan',
    reason: 'complete-without-timestamp',
  },
  {
    situation: 'FAILED',
    state: { status: 'FAILED', description: 'UnsupportedImageError: the image manifest could not be read' },
    action: 'scan',
    reason: 'failed',
    detailContains: ['UnsupportedImageError: the image manifest could not be read'],
  },
  {
    situation: 'FAILED although an earlier scan completed an hour ago',
    state: { status: 'FAILED', completedAt: ago(HOUR) },
    action: 'scan',
    reason: 'failed',
  },
  { situation: 'LIMIT_EXCEEDED', state: { status: 'LIMIT_EXCEEDED' }, action: 'scan', reason: 'limit-exceeded' },
  { situation: 'IN_PROGRESS', state: { status: 'IN_PROGRESS' }, action: 'skip', reason: 'in-progress', detailContains: ['IN_PROGRESS'] },
  {
    situation: 'IN_PROGRESS with a previous scan far past the expiry',
    state: { status: 'IN_PROGRESS', completedAt: ago(60 * DAY) },
    action: 'skip',
    reason: 'in-progress',
  },
  { situation: 'PENDING', state: { status: 'PENDING' }, action: 'skip', reason: 'in-progress', detailContains: ['PENDING'] },
  {
    situation: 'UNSUPPORTED_IMAGE, with its description',
    state: { status: 'UNSUPPORTED_IMAGE', description: 'The operating system and/or package manager are not supported.' },
    action: 'skip',
    reason: 'unsupported-image',
    detailContains: ['The operating system and/or package manager are not supported.'],
  },
  { situation: 'UNSUPPORTED_IMAGE without a description', state: { status: 'UNSUPPORTED_IMAGE' }, action: 'skip', reason: 'unsupported-image' },
  { situation: 'ACTIVE (continuous enhanced scanning)', state: { status: 'ACTIVE' }, action: 'skip', reason: 'enhanced-scanning' },
  {
    situation: 'SCAN_ELIGIBILITY_EXPIRED',
    state: { status: 'SCAN_ELIGIBILITY_EXPIRED' },
    action: 'skip',
    reason: 'not-scannable',
    detailContains: ['SCAN_ELIGIBILITY_EXPIRED'],
  },
  {
    situation: 'FINDINGS_UNAVAILABLE',
    state: { status: 'FINDINGS_UNAVAILABLE' },
    action: 'skip',
    reason: 'not-scannable',
    detailContains: ['FINDINGS_UNAVAILABLE'],
  },
  { situation: 'IMAGE_ARCHIVED', state: { status: 'IMAGE_ARCHIVED' }, action: 'skip', reason: 'archived', detailContains: ['IMAGE_ARCHIVED'] },
  {
    situation: 'a status ECR may add later',
    state: { status: 'SOMETHING_NEW' },
    action: 'skip',
    reason: 'unknown-status',
    detailContains: ['SOMETHING_NEW'],
  },
  {
    situation: 'a lowercase status (not an ECR value)',
    state: { status: 'complete', completedAt: ago(30 * DAY) },
    action: 'skip',
    reason: 'unknown-status',
    detailContains: ['complete'],
  },
];

describe('decideRescan on a BASIC registry', () => {
  test.each(BASIC_TABLE.map((row) => [row.situation, row] as const))('%s', (_situation, row) => {
    let decision: RescanDecision | undefined;
    expect(() => {
      decision = decideRescan(row.state, policy());
    }).not.toThrow();
    expect(decision).toMatchObject({ action: row.action, reason: row.reason });
    expect(typeof decision!.detail).toBe('string');
    expect(decision!.detail.trim()).not.toBe('');
    for (const text of row.detailContains ?? []) {
      expect(decision!.detail).toContain(text);
    }
  });

  test('the table reaches every reason but enhanced-registry-only ones, and every reason is listed in RESCAN_REASONS', () => {
    const reached = new Set(BASIC_TABLE.map((row) => decideRescan(row.state, policy()).reason));
    for (const reason of reached) {
      expect(RESCAN_REASONS).toContain(reason);
    }
    // 'enhanced-scanning' is also reached by ACTIVE, so the basic table reaches all but: 'out-of-scope', the
    // walk's (rescanScope, after this decision), tested in test/aws/rescan-repository-scope.test.ts; and what the
    // entry is, decided before (image-format.ts, tested in test/decisions/image-format.test.ts).
    expect([...new Set([...reached, 'out-of-scope', ...IMAGE_FORMAT_REASONS])].sort()).toEqual([...RESCAN_REASONS].sort());
  });

  test('RESCAN_REASONS has no duplicates', () => {
    expect(new Set(RESCAN_REASONS).size).toBe(RESCAN_REASONS.length);
  });
});

describe('decideRescan on an ENHANCED registry', () => {
  const states: [string, ImageScanState][] = [
    ['never scanned', {}],
    ['COMPLETE and expired', { status: 'COMPLETE', completedAt: ago(30 * DAY) }],
    ['COMPLETE and fresh', { status: 'COMPLETE', completedAt: ago(HOUR) }],
    ['COMPLETE without completedAt', { status: 'COMPLETE' }],
    ['FAILED', { status: 'FAILED', description: 'scan failed' }],
    ['LIMIT_EXCEEDED', { status: 'LIMIT_EXCEEDED' }],
    ['ACTIVE', { status: 'ACTIVE' }],
    ['IN_PROGRESS', { status: 'IN_PROGRESS' }],
    ['UNSUPPORTED_IMAGE', { status: 'UNSUPPORTED_IMAGE' }],
    ['SCAN_ELIGIBILITY_EXPIRED', { status: 'SCAN_ELIGIBILITY_EXPIRED' }],
    ['an unknown status', { status: 'SOMETHING_NEW' }],
  ];

  test.each(states)('%s: skipped, StartImageScan is never called in enhanced mode', (_label, state) => {
    const decision = decideRescan(state, policy({ registryScanType: 'ENHANCED' }));
    expect(decision.action).toBe('skip');
    expect(decision.reason).toBe('enhanced-scanning');
    expect(decision.detail).not.toBe('');
  });
});

describe('decideRescan inputs', () => {
  const completedAt = new Date('2026-11-20T12:00:00.000Z');
  const state: ImageScanState = { status: 'COMPLETE', completedAt };

  test('`now` is an input: the same state is fresh at one time and expired at another', () => {
    const early = decideRescan(state, policy({ now: new Date(completedAt.getTime() + 6 * DAY) }));
    const late = decideRescan(state, policy({ now: new Date(completedAt.getTime() + 7 * DAY) }));
    expect(early).toMatchObject({ action: 'skip', reason: 'fresh' });
    expect(late).toMatchObject({ action: 'scan', reason: 'expired' });
  });

  test('the wall clock is not read: only policy.now counts', () => {
    jest.useFakeTimers({ now: new Date('2100-01-01T00:00:00.000Z') });
    try {
      const decision = decideRescan(state, policy({ now: new Date(completedAt.getTime() + HOUR) }));
      expect(decision).toMatchObject({ action: 'skip', reason: 'fresh' });
    } finally {
      jest.useRealTimers();
    }
  });

  test('the expiry is an input: a 2-day-old scan is due with a 1-day expiry, not with a 7-day one', () => {
    const now = new Date(completedAt.getTime() + 2 * DAY);
    expect(decideRescan(state, policy({ now, scanExpiryMs: 1 * DAY }))).toMatchObject({ action: 'scan', reason: 'expired' });
    expect(decideRescan(state, policy({ now, scanExpiryMs: 7 * DAY }))).toMatchObject({ action: 'skip', reason: 'fresh' });
  });

  test('the state passed in is not modified', () => {
    const input = { status: 'COMPLETE', completedAt: new Date(completedAt), description: 'x' };
    const copy = { ...input, completedAt: new Date(input.completedAt) };
    decideRescan(input, policy());
    expect(input).toEqual(copy);
  });
});

describe('formatAge', () => {
  test.each<[string, number, string]>([
    ['zero', 0, '0s'],
    ['under a second rounds down', 999, '0s'],
    ['one second', SECOND, '1s'],
    ['59.999 seconds', MINUTE - 1, '59s'],
    ['one minute', MINUTE, '1m'],
    ['seconds are dropped once there are minutes', MINUTE + 30 * SECOND, '1m'],
    ['just under an hour', HOUR - 1, '59m'],
    ['one hour', HOUR, '1h'],
    ['hours and minutes', 5 * HOUR + 2 * MINUTE, '5h 2m'],
    ['just under a day', DAY - 1, '23h 59m'],
    ['one day', DAY, '1d'],
    ['days and hours', 3 * DAY + 4 * HOUR, '3d 4h'],
    ['minutes are dropped once there are days', DAY + HOUR + 59 * MINUTE, '1d 1h'],
    ['days with minutes but no whole hour', 2 * DAY + 59 * MINUTE, '2d'],
    ['the default expiry', 7 * DAY, '7d'],
    ['ten years', 3650 * DAY, '3650d'],
  ])('%s (%i ms) reads %j', (_label, ms, expected) => {
    expect(formatAge(ms)).toBe(expected);
  });
});
