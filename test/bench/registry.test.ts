import { DAY_MS, buildRegistry, isDue, summarize } from '../../local/bench/registry';
import { mulberry32 as prng } from '../../local/random';

const NOW = new Date('2026-11-27T12:00:00Z');

test('the same seed gives the same registry, another seed another one', () => {
  const a = buildRegistry({ repositories: 5, imagesPerRepository: 20 }, NOW);
  const b = buildRegistry({ repositories: 5, imagesPerRepository: 20 }, NOW);
  const c = buildRegistry({ repositories: 5, imagesPerRepository: 20, seed: 2 }, NOW);
  expect(b).toEqual(a);
  expect(c.repositories[0].images.map((i) => i.imageDigest)).not.toEqual(a.repositories[0].images.map((i) => i.imageDigest));
});

test('shape: repositories x images, every digest unique, repository names unique', () => {
  const registry = buildRegistry({ repositories: 12, imagesPerRepository: 30 }, NOW);
  expect(registry.repositories).toHaveLength(12);
  expect(new Set(registry.repositories.map((r) => r.name)).size).toBe(12);
  const digests = registry.repositories.flatMap((r) => r.images.map((i) => i.imageDigest));
  expect(digests).toHaveLength(360);
  expect(new Set(digests).size).toBe(360);
  for (const digest of digests) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
});

test('the mix has every kind the issue names, near the documented shares', () => {
  const summary = summarize(buildRegistry({ repositories: 40, imagesPerRepository: 100 }, NOW));
  const share = (n: number) => n / summary.images;
  expect(share(summary.byKind.never)).toBeCloseTo(0.15, 1);
  expect(share(summary.byKind.fresh)).toBeCloseTo(0.45, 1);
  expect(share(summary.byKind.expired)).toBeCloseTo(0.3, 1);
  expect(share(summary.byKind.failed)).toBeCloseTo(0.1, 1);
  expect(share(summary.untagged)).toBeCloseTo(0.15, 1);
  expect(share(summary.multiTag)).toBeCloseTo(0.25, 1);
  expect(summary.scannedToday).toBeGreaterThan(0);
  expect(summary.due).toBe(summary.byKind.never + summary.byKind.expired + summary.byKind.failed);
});

test('truth and timing: due images were last scanned on an earlier day, nothing sits near the expiry, pushes precede scans', () => {
  const registry = buildRegistry({ repositories: 20, imagesPerRepository: 50 }, NOW);
  for (const image of registry.repositories.flatMap((r) => r.images)) {
    const age = image.lastScan ? (NOW.getTime() - image.lastScan.getTime()) / DAY_MS : undefined;
    switch (image.kind) {
      case 'never':
        expect(image.lastScan).toBeNull();
        expect(image.scan).toBeUndefined();
        expect(image.due).toBe(true);
        break;
      case 'fresh':
        expect(age).toBeLessThanOrEqual(5);
        expect(image.scan?.kind).toBe('complete');
        expect(image.due).toBe(false);
        break;
      case 'expired':
        expect(age).toBeGreaterThanOrEqual(9);
        expect(image.scan?.kind).toBe('complete');
        expect(image.due).toBe(true);
        break;
      case 'failed':
        expect(age).toBeGreaterThanOrEqual(2);
        expect(image.scan).toMatchObject({ kind: 'status', status: 'FAILED' });
        expect(image.due).toBe(true);
        break;
    }
    if (image.lastScan) expect(image.pushedAt.getTime()).toBeLessThan(image.lastScan.getTime());
    expect(image.pushedAt.getTime()).toBeLessThanOrEqual(NOW.getTime());
    expect(new Set(image.tags).size).toBe(image.tags.length);
  }
});

test.each([
  ['never', null, true],
  ['failed', 3, true],
  ['expired', 7, true],
  ['fresh', 6.99, false],
  ['fresh', 0, false],
] as const)('isDue(%s, %s days ago) is %s with a 7-day expiry', (kind, daysAgo, due) => {
  const lastScan = daysAgo === null ? null : new Date(NOW.getTime() - daysAgo * DAY_MS);
  expect(isDue(kind, lastScan, NOW, 7)).toBe(due);
});

test('prng is seeded and stays in [0, 1)', () => {
  const a = prng(42);
  const b = prng(42);
  const values = Array.from({ length: 1000 }, () => a());
  expect(values).toEqual(Array.from({ length: 1000 }, () => b()));
  expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
  expect(Math.max(...values)).toBeLessThan(1);
});
