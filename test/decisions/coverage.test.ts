import { CoveragePolicy, ImageCoverageFacts, monitoringExpiredGap, repositoryCoverageGap, worthACoverageRead } from '../../src/decisions/coverage';

const DAY = 86_400_000;
const NOW = new Date('2026-12-02T08:00:00Z');
const POLICY: CoveragePolicy = { now: NOW, pulledWithinMs: 30 * DAY };
const ago = (ms: number) => new Date(NOW.getTime() - ms);

describe('repositoryCoverageGap', () => {
  test.each([
    ['a CONTINUOUS_SCAN rule applies', { scanFrequency: 'CONTINUOUS_SCAN', appliedScanFilters: [{ filter: 'prod-*' }] }, false],
    ['a SCAN_ON_PUSH rule applies', { scanFrequency: 'SCAN_ON_PUSH', appliedScanFilters: [{ filter: 'prod' }] }, false],
    ['no filter applies (MANUAL, none)', { scanFrequency: 'MANUAL', appliedScanFilters: [] }, true],
    ['no filter listed at all', {}, true],
    ['MANUAL even with a filter listed', { scanFrequency: 'MANUAL', appliedScanFilters: [{ filter: 'x' }] }, true],
  ])('ENHANCED: %s', (_, facts, gap) => {
    const verdict = repositoryCoverageGap({ repositoryName: 'team-a/api', ...facts }, 'ENHANCED');
    expect(verdict !== undefined).toBe(gap);
    if (gap) expect(verdict).toMatchObject({ repositoryName: 'team-a/api', kind: 'not-covered', detail: expect.stringContaining('never scans') });
  });

  test('BASIC: never a gap, the rescan covers every repository it selects', () => {
    expect(repositoryCoverageGap({ repositoryName: 'r', scanFrequency: 'MANUAL', appliedScanFilters: [] }, 'BASIC')).toBeUndefined();
  });
});

describe('monitoringExpiredGap and worthACoverageRead', () => {
  test.each([
    ['expired, pulled 2 days ago', { status: 'SCAN_ELIGIBILITY_EXPIRED', lastRecordedPullTime: ago(2 * DAY) }, true, true],
    ['expired, pulled exactly 30 days ago', { status: 'SCAN_ELIGIBILITY_EXPIRED', lastRecordedPullTime: ago(30 * DAY) }, true, true],
    ['expired, pulled 30 days and 1 ms ago', { status: 'SCAN_ELIGIBILITY_EXPIRED', lastRecordedPullTime: ago(30 * DAY + 1) }, false, false],
    ['expired, never pulled', { status: 'SCAN_ELIGIBILITY_EXPIRED' }, false, false],
    ['expired, never pulled, but running', { status: 'SCAN_ELIGIBILITY_EXPIRED', running: true }, true, true],
    ['ACTIVE, pulled yesterday: monitored', { status: 'ACTIVE', lastRecordedPullTime: ago(DAY) }, false, true],
    ['not read yet, pulled yesterday', { lastRecordedPullTime: ago(DAY) }, false, true],
    ['an invalid pull time', { status: 'SCAN_ELIGIBILITY_EXPIRED', lastRecordedPullTime: new Date('nope') }, false, false],
  ] as [string, ImageCoverageFacts, boolean, boolean][])('%s', (_, facts, gap, read) => {
    expect(monitoringExpiredGap(facts, POLICY)).toBe(gap);
    expect(worthACoverageRead(facts, POLICY)).toBe(read);
  });
});
