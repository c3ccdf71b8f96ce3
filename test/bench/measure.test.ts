import { ECR_SERVICE, LoggedRequest, countCalls, floorOf, judge, median, ratio } from '../../local/bench/measure';
import { BenchImage, BenchRegistry } from '../../local/bench/registry';

const NOW = new Date('2026-11-27T12:00:00Z');

function image(repositoryName: string, n: number, due: boolean, tags: string[] = [`t${n}`]): BenchImage {
  return {
    repositoryName,
    imageDigest: `sha256:${String(n).padStart(64, '0')}`,
    tags,
    pushedAt: NOW,
    kind: due ? 'never' : 'fresh',
    lastScan: due ? null : NOW,
    due,
  };
}

function registry(sizes: Record<string, { due: number; notDue: number }>): BenchRegistry {
  let n = 0;
  return {
    now: NOW,
    scanExpiryDays: 7,
    seed: 1,
    repositories: Object.entries(sizes).map(([name, { due, notDue }]) => ({
      name,
      images: [
        ...Array.from({ length: due }, () => image(name, n++, true)),
        ...Array.from({ length: notDue }, () => image(name, n++, false)),
      ],
    })),
  };
}

const ecr = (operation: string, params: Record<string, unknown> = {}, status = 200): LoggedRequest => ({
  service: ECR_SERVICE,
  operation,
  params,
  status,
});
const scan = (img: BenchImage, status = 200, byTag = false) =>
  ecr('StartImageScan', { repositoryName: img.repositoryName, imageId: byTag ? { imageTag: img.tags[0] } : { imageDigest: img.imageDigest } }, status);

describe('floorOf', () => {
  test('one status read per digest, one scan per due digest, one list page per 1,000 images of a repository, the repository pages', () => {
    const floor = floorOf(registry({ a: { due: 3, notDue: 2 }, b: { due: 0, notDue: 1 } }));
    expect(floor).toEqual({ statusReads: 6, scans: 3, imageListPages: 2, repositoryListPages: 1, total: 12 });
  });

  test('a repository of 2,500 images takes three pages; an empty one still one', () => {
    const floor = floorOf(registry({ big: { due: 0, notDue: 2500 }, empty: { due: 0, notDue: 0 } }));
    expect(floor.imageListPages).toBe(4);
    expect(floor.total).toBe(2500 + 0 + 4 + 1);
  });
});

describe('countCalls', () => {
  test('counts ECR requests only, by operation, errors apart, per image and over the floor', () => {
    const requests = [
      ecr('DescribeRepositories'),
      ecr('DescribeImages'),
      ecr('DescribeImageScanFindings'),
      ecr('DescribeImageScanFindings', {}, 400),
      ecr('StartImageScan', {}, 400),
      { service: 'AmazonSQS', operation: 'ReceiveMessage', params: {}, status: 200 },
    ];
    const floor = { statusReads: 2, scans: 0, imageListPages: 1, repositoryListPages: 1, total: 4 };
    const counts = countCalls(requests, 2, floor);
    expect(counts.total).toBe(5);
    expect(counts.byOperation).toEqual({ DescribeImageScanFindings: 2, DescribeImages: 1, DescribeRepositories: 1, StartImageScan: 1 });
    expect(counts.refusedByOperation).toEqual({ DescribeImageScanFindings: 1, StartImageScan: 1 });
    expect(counts.perImage).toBe(2.5);
    expect(counts.overFloor).toBeCloseTo(0.25);
  });
});

describe('judge', () => {
  const reg = registry({ a: { due: 3, notDue: 2 } });
  const [d0, d1, d2, n0] = reg.repositories[0].images;

  test('every due digest scanned once, nothing else: nothing missed, nothing needless', () => {
    expect(judge(reg, [scan(d0), scan(d1), scan(d2)])).toEqual({
      due: 3, missed: 0, started: 3, scanRequests: 3, needless: 0, needlessNotDue: 0, needlessRepeats: 0, unknown: 0,
    });
  });

  test('a due digest never asked is missed; one only refused is not missed but not started', () => {
    const c = judge(reg, [scan(d0), scan(d1, 400)]);
    expect(c.missed).toBe(1);
    expect(c.started).toBe(1);
    expect(c.needless).toBe(0);
  });

  test('per-tag and retried requests on a due digest, and any on a digest not due, are needless', () => {
    const c = judge(reg, [scan(d0), scan(d0, 400), scan(d0, 400, true), scan(d1), scan(d2), scan(n0, 400), scan(n0, 400)]);
    expect(c).toMatchObject({ missed: 0, started: 3, scanRequests: 7, needlessRepeats: 2, needlessNotDue: 2, needless: 4 });
  });

  test('a request naming no known image counts as needless and unknown', () => {
    const c = judge(reg, [ecr('StartImageScan', { repositoryName: 'a', imageId: { imageDigest: 'sha256:nope' } })]);
    expect(c).toMatchObject({ unknown: 1, needless: 1, missed: 3 });
  });

  test('the same digest in another repository is another image', () => {
    const two = registry({ a: { due: 1, notDue: 0 }, b: { due: 0, notDue: 0 } });
    const img = two.repositories[0].images[0];
    const c = judge(two, [ecr('StartImageScan', { repositoryName: 'b', imageId: { imageDigest: img.imageDigest } })]);
    expect(c).toMatchObject({ missed: 1, unknown: 1 });
  });
});

test('median and ratio', () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([])).toBeNaN();
  expect(ratio(1, 4)).toBe(0.25);
  expect(ratio(1, 0)).toBeNull();
});
