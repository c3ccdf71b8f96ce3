import {
  BUDGET_PULL_WINDOW_MS,
  BudgetCandidate,
  DAILY_BASIC_SCAN_QUOTA,
  SCAN_TIERS,
  allowancesFor,
  compareForBudget,
  previousUtcDay,
  scanTier,
  tierAllowances,
  utcDay,
} from '../../src/decisions/budget';

const NOW = new Date('2026-12-03T06:00:00Z');
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe('utcDay and previousUtcDay', () => {
  test.each([
    ['2026-12-03T00:00:00.000Z', '2026-12-03', '2026-12-02'],
    ['2026-12-03T23:59:59.999Z', '2026-12-03', '2026-12-02'],
    ['2026-03-01T10:00:00Z', '2026-03-01', '2026-02-28'],
    ['2028-03-01T10:00:00Z', '2028-03-01', '2028-02-29'],
    ['2027-01-01T00:30:00Z', '2027-01-01', '2026-12-31'],
  ])('%s is %s, after %s', (at, day, before) => {
    expect(utcDay(new Date(at))).toBe(day);
    expect(previousUtcDay(day)).toBe(before);
  });
});

describe('scanTier: the rule table', () => {
  test.each<[string, Partial<BudgetCandidate>, string]>([
    ['deferred yesterday', { deferredOn: '2026-12-02' }, 'carried'],
    ['deferred a week ago, and running', { deferredOn: '2026-11-26', inUse: 'running' }, 'carried'],
    ['deferred today (a second walk the same day): not carried yet', { deferredOn: '2026-12-03', inUse: 'running' }, 'in-use'],
    ['running', { inUse: 'running', lastPulledAt: ago(400 * DAY) }, 'in-use'],
    ['not running, pulled an hour ago', { inUse: 'not-running', lastPulledAt: ago(3600_000) }, 'pulled'],
    ['unknown, pulled exactly 30 days ago', { inUse: 'unknown', lastPulledAt: ago(BUDGET_PULL_WINDOW_MS) }, 'pulled'],
    ['pulled 30 days and a second ago', { lastPulledAt: ago(BUDGET_PULL_WINDOW_MS + 1000) }, 'other'],
    ['never pulled, never scanned', {}, 'other'],
  ])('%s: %s', (_what, candidate, tier) => {
    expect(scanTier({ imageDigest: 'sha256:a', ...candidate }, NOW)).toBe(tier);
  });
});

describe('compareForBudget: the order due digests get scans in', () => {
  test('tiers first, then within each tier as the table says, then by digest', () => {
    const candidates: BudgetCandidate[] = [
      { imageDigest: 'sha256:other-scanned-1d', lastScanAt: ago(DAY) },
      { imageDigest: 'sha256:other-never-scanned' },
      { imageDigest: 'sha256:other-scanned-30d', lastScanAt: ago(30 * DAY) },
      { imageDigest: 'sha256:pulled-5d', lastPulledAt: ago(5 * DAY), lastScanAt: ago(400 * DAY) },
      { imageDigest: 'sha256:pulled-1h', lastPulledAt: ago(3600_000) },
      { imageDigest: 'sha256:running-not-pulled', inUse: 'running' },
      { imageDigest: 'sha256:running-pulled-2d', inUse: 'running', lastPulledAt: ago(2 * DAY) },
      { imageDigest: 'sha256:carried-yesterday', deferredOn: '2026-12-02' },
      { imageDigest: 'sha256:carried-last-week', deferredOn: '2026-11-26' },
      { imageDigest: 'sha256:b-twin', lastScanAt: ago(10 * DAY) },
      { imageDigest: 'sha256:a-twin', lastScanAt: ago(10 * DAY) },
    ];
    const order = [...candidates].sort(compareForBudget(NOW)).map((c) => c.imageDigest.replace('sha256:', ''));
    expect(order).toEqual([
      'carried-last-week',
      'carried-yesterday',
      'running-pulled-2d',
      'running-not-pulled',
      'pulled-1h',
      'pulled-5d',
      'other-never-scanned',
      'other-scanned-30d',
      'a-twin',
      'b-twin',
      'other-scanned-1d',
    ]);
  });

  test('the order is the same whatever order the digests come in', () => {
    const candidates: BudgetCandidate[] = Array.from({ length: 40 }, (_, i) => ({
      imageDigest: `sha256:${String(i).padStart(2, '0')}`,
      ...(i % 5 === 0 ? { deferredOn: `2026-11-${String(10 + (i % 7)).padStart(2, '0')}` } : {}),
      ...(i % 3 === 0 ? { inUse: 'running' as const } : {}),
      ...(i % 4 === 0 ? { lastPulledAt: ago((i % 9) * DAY) } : {}),
      ...(i % 2 === 0 ? { lastScanAt: ago((i % 11) * DAY) } : {}),
    }));
    const once = [...candidates].sort(compareForBudget(NOW)).map((c) => c.imageDigest);
    const reversed = [...candidates].reverse().sort(compareForBudget(NOW)).map((c) => c.imageDigest);
    expect(reversed).toEqual(once);
    expect(new Set(once).size).toBe(40);
  });
});

describe('tierAllowances: each tier\'s share of the day, from the day before', () => {
  test.each<[string, number, Record<string, number>, Record<string, number>]>([
    ['no history: all to the last tier', 100, {}, { 'carried': 0, 'in-use': 0, 'pulled': 0, 'other': 100 }],
    ['demand within the budget: each tier its demand, the rest to the last', 100, { 'carried': 10, 'in-use': 20, 'pulled': 30 }, { 'carried': 10, 'in-use': 20, 'pulled': 30, 'other': 40 }],
    ['demand beyond the budget: in tier order', 100, { 'carried': 30, 'in-use': 90, 'pulled': 50, 'other': 500 }, { 'carried': 30, 'in-use': 70, 'pulled': 0, 'other': 0 }],
    ['carried alone beyond the budget', 50, { carried: 80 }, { 'carried': 50, 'in-use': 0, 'pulled': 0, 'other': 0 }],
    ['negative or fractional counts (a hand-edited item) are read as whole and at least 0', 10, { 'carried': -5, 'in-use': 2.7 }, { 'carried': 0, 'in-use': 2, 'pulled': 0, 'other': 8 }],
  ])('%s', (_what, budget, demand, expected) => {
    const allowances = tierAllowances(budget, demand);
    expect(allowances).toEqual(expected);
    expect(Object.values(allowances).reduce((a, b) => a + b, 0)).toBe(budget);
  });

  test('the quota is ECR\'s 100,000', () => {
    expect(DAILY_BASIC_SCAN_QUOTA).toBe(100_000);
  });
});

test('a tier draws on its own allowance, then on those after it, never on those before it', () => {
  expect(allowancesFor('carried')).toEqual(SCAN_TIERS);
  expect(allowancesFor('in-use')).toEqual(['in-use', 'pulled', 'other']);
  expect(allowancesFor('pulled')).toEqual(['pulled', 'other']);
  expect(allowancesFor('other')).toEqual(['other']);
});
