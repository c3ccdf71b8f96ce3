import { afterScans, auditScans, dueOn, ecrDayCalls, floorOfDay, indexImages, initialScanStates, ScanState } from '../../local/bench/daily';
import { ECR_SERVICE, LoggedRequest } from '../../local/bench/measure';
import { BenchImage, BenchRegistry, DAY_MS } from '../../local/bench/registry';

const NOW = new Date('2026-11-27T12:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY_MS);

function image(repositoryName: string, n: number, kind: BenchImage['kind'], lastScan: Date | null, tags: string[] = [`t${n}`]): BenchImage {
  return { repositoryName, imageDigest: `sha256:${n}`, tags, pushedAt: NOW, kind, lastScan, due: false };
}

const REGISTRY: BenchRegistry = {
  now: NOW,
  scanExpiryDays: 7,
  seed: 1,
  repositories: [
    { name: 'a', images: [image('a', 0, 'never', null, []), image('a', 1, 'fresh', daysAgo(1)), image('a', 2, 'expired', daysAgo(9), ['x', 'y'])] },
    { name: 'b', images: [image('b', 3, 'failed', daysAgo(2))] },
  ],
};

test('initialScanStates: never scanned, COMPLETE or FAILED with the last scan time', () => {
  expect([...initialScanStates(REGISTRY)]).toEqual([
    ['a@sha256:0', {}],
    ['a@sha256:1', { status: 'COMPLETE', at: daysAgo(1) }],
    ['a@sha256:2', { status: 'COMPLETE', at: daysAgo(9) }],
    ['b@sha256:3', { status: 'FAILED', at: daysAgo(2) }],
  ]);
});

test.each<[string, ScanState, number, boolean]>([
  ['never scanned', {}, 0, true],
  ['FAILED yesterday', { status: 'FAILED', at: daysAgo(1) }, 0, true],
  ['COMPLETE 6.99 days ago', { status: 'COMPLETE', at: daysAgo(6.99) }, 0, false],
  ['COMPLETE exactly 7 days ago', { status: 'COMPLETE', at: daysAgo(7) }, 0, true],
  ['COMPLETE 5 days before, on day 3 of the run', { status: 'COMPLETE', at: daysAgo(5) }, 2, true],
  ['COMPLETE 5 days before, on day 2 of the run', { status: 'COMPLETE', at: daysAgo(5) }, 1, false],
])('dueOn: %s', (_, state, dayOffset, due) => {
  expect(dueOn(new Map([['k', state]]), new Date(NOW.getTime() + dayOffset * DAY_MS), 7).has('k')).toBe(due);
});

test('afterScans: the day\'s scans replace what ECR knew, the rest stay', () => {
  const at = new Date('2026-11-28T12:00:00Z');
  const next = afterScans(initialScanStates(REGISTRY), [{ key: 'a@sha256:0', status: 'FAILED', at }, { key: 'b@sha256:3', status: 'COMPLETE', at }]);
  expect(next.get('a@sha256:0')).toEqual({ status: 'FAILED', at });
  expect(next.get('b@sha256:3')).toEqual({ status: 'COMPLETE', at });
  expect(next.get('a@sha256:1')).toEqual({ status: 'COMPLETE', at: daysAgo(1) });
});

test('floorOfDay: every digest read, the day\'s due scanned, the pages listed', () => {
  expect(floorOfDay(REGISTRY, 2)).toEqual({ statusReads: 4, scans: 2, imageListPages: 2, repositoryListPages: 1, total: 9 });
  expect(floorOfDay(REGISTRY, 0).total).toBe(7);
});

const ecr = (operation: string, params: Record<string, unknown> = {}, status = 200): LoggedRequest => ({
  service: ECR_SERVICE,
  operation,
  params,
  status,
});
const scan = (repositoryName: string, imageId: Record<string, string>, status = 200) => ecr('StartImageScan', { repositoryName, imageId }, status);

describe('auditScans', () => {
  const index = indexImages(REGISTRY);
  const due = new Set(['a@sha256:0', 'a@sha256:2', 'b@sha256:3']);

  test('by digest or by tag; a refused request is an attempt, not a scan; a due digest never asked is missed', () => {
    const audit = auditScans(index, due, [
      scan('a', { imageDigest: 'sha256:0' }),
      scan('a', { imageTag: 'x' }),
      scan('a', { imageTag: 'y' }, 400),
      scan('a', { imageDigest: 'sha256:1' }, 400),
      ecr('DescribeImages'),
      { service: 'AmazonSQS', operation: 'StartImageScan', params: {}, status: 200 },
    ]);
    expect(audit).toEqual({
      requests: 4,
      accepted: ['a@sha256:0', 'a@sha256:2'],
      dueMissed: 1,
      duplicateScans: 0,
      notDueAttempts: 1,
      unknown: 0,
      missedExamples: ['b@sha256:3'],
    });
  });

  test('two accepted scans of one digest in a day are a duplicate; unknown digests are counted apart', () => {
    const audit = auditScans(index, due, [
      scan('a', { imageDigest: 'sha256:2' }),
      scan('a', { imageTag: 'y' }),
      scan('b', { imageDigest: 'sha256:3' }),
      scan('b', { imageDigest: 'sha256:0' }),
    ]);
    expect(audit).toMatchObject({ accepted: ['a@sha256:2', 'b@sha256:3'], duplicateScans: 1, dueMissed: 1, unknown: 1 });
  });
});

test('ecrDayCalls: the cycle and the report function apart and together, errors counted per stage', () => {
  const calls = ecrDayCalls(
    [ecr('DescribeImages'), ecr('StartImageScan', {}, 400), { service: 'AmazonSQS', operation: 'SendMessage', params: {}, status: 200 }],
    [ecr('DescribeImageScanFindings'), ecr('DescribeImages')],
  );
  expect(calls).toEqual({
    total: 4,
    byOperation: { DescribeImageScanFindings: 1, DescribeImages: 2, StartImageScan: 1 },
    refused: { cycle: 1, report: 0 },
    cycle: { total: 2, byOperation: { DescribeImages: 1, StartImageScan: 1 } },
    report: { total: 2, byOperation: { DescribeImageScanFindings: 1, DescribeImages: 1 } },
  });
});
