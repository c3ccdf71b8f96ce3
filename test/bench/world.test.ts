import { BenchImage, BenchRegistry } from '../../local/bench/registry';
import {
  buildWorld,
  digestKey,
  findingsOn,
  findingsResponse,
  scanEventDetail,
  scanOutcome,
  severityCounts,
  unitHash,
} from '../../local/bench/world';

const NOW = new Date('2026-11-27T12:00:00Z');

function image(n: number, scan?: BenchImage['scan']): BenchImage {
  return {
    repositoryName: 'team/app',
    imageDigest: `sha256:${String(n).padStart(64, '0')}`,
    tags: [`v${n}`],
    pushedAt: NOW,
    kind: scan ? (scan.kind === 'complete' ? 'fresh' : 'failed') : 'never',
    lastScan: scan ? NOW : null,
    scan,
    due: !scan,
  };
}

/** 300 images: the first scanned with CRITICAL 1 and HIGH 2, the others never scanned. */
const REGISTRY: BenchRegistry = {
  now: NOW,
  scanExpiryDays: 7,
  seed: 1,
  repositories: [
    {
      name: 'team/app',
      images: [
        image(0, { kind: 'complete', daysAgo: 1, severityCounts: { CRITICAL: 1, HIGH: 2 } }),
        image(1, { kind: 'status', status: 'FAILED', description: 'x', daysAgo: 2 }),
        ...Array.from({ length: 298 }, (_, i) => image(i + 2)),
      ],
    },
  ],
};
const FIRST = digestKey('team/app', REGISTRY.repositories[0].images[0].imageDigest);

test('day 1 is the registry: a scanned image keeps its counts, with ids unique within the digest', () => {
  const world = buildWorld(REGISTRY, { days: 3, seed: 1 });
  const day1 = findingsOn(world, FIRST, 1);
  expect(severityCounts(day1)).toEqual({ CRITICAL: 1, HIGH: 2 });
  expect(new Set(day1.map((f) => f.id)).size).toBe(3);
  for (const f of day1) {
    expect(f.id).toMatch(/^CVE-2025-\d{5}$/);
    expect(f.since).toBe(1);
  }
  expect(world.gained[0]).toEqual([]);
  expect(world.gained[1]).toEqual([]);
});

test('the same seed gives the same world; a shorter run is a prefix of a longer one', () => {
  const three = buildWorld(REGISTRY, { days: 3, seed: 1 });
  const seven = buildWorld(REGISTRY, { days: 7, seed: 1 });
  expect(buildWorld(REGISTRY, { days: 3, seed: 1 })).toEqual(three);
  expect(seven.gained.slice(0, 4)).toEqual(three.gained);
  for (const [key, findings] of three.findings) expect(seven.findings.get(key)!.filter((f) => f.since <= 3)).toEqual(findings);
  expect(buildWorld(REGISTRY, { days: 3, seed: 2 }).gained).not.toEqual(three.gained);
});

test('each day from day 2, the digests that gain get 1 or 2 new CVEs found from that day on, and keep the rest', () => {
  const world = buildWorld(REGISTRY, { days: 5, seed: 1, gainShare: 0.5 });
  for (let day = 2; day <= 5; day++) {
    expect(world.gained[day].length).toBeGreaterThan(100); // about half of 300
    expect(world.gained[day].length).toBeLessThan(200);
    for (const key of world.gained[day]) {
      const added = findingsOn(world, key, day).filter((f) => f.since === day);
      expect(added.length === 1 || added.length === 2).toBe(true);
      for (const f of added) {
        expect(f.id).toMatch(/^CVE-2026-1\d{5}$/);
        expect(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']).toContain(f.severity);
      }
      // What the digest had the day before is still there, with the same ids.
      expect(findingsOn(world, key, day).slice(0, findingsOn(world, key, day - 1).length)).toEqual(findingsOn(world, key, day - 1));
    }
  }
  const ids = [...world.findings.values()].flat().filter((f) => f.since > 1).map((f) => f.id);
  expect(new Set(ids).size).toBe(ids.length);
});

test('a gain share of 0 keeps every digest as it was', () => {
  const world = buildWorld(REGISTRY, { days: 4, seed: 1, gainShare: 0 });
  expect(world.gained.flat()).toEqual([]);
  expect(findingsOn(world, FIRST, 4)).toEqual(findingsOn(world, FIRST, 1));
});

test('scanOutcome: the same for the same digest and day, FAILED for about the fail share', () => {
  const world = buildWorld(REGISTRY, { days: 2, seed: 1, failShare: 0.25 });
  const keys = [...world.findings.keys()];
  const failed = keys.filter((k) => scanOutcome(world, k, 1) === 'FAILED');
  expect(keys.map((k) => scanOutcome(world, k, 1))).toEqual(keys.map((k) => scanOutcome(world, k, 1)));
  expect(failed.length).toBeGreaterThan(45);
  expect(failed.length).toBeLessThan(105);
  expect(keys.filter((k) => scanOutcome(buildWorld(REGISTRY, { days: 2, seed: 1, failShare: 0 }), k, 1) === 'FAILED')).toEqual([]);
});

test('unitHash is a stable number in [0, 1)', () => {
  expect(unitHash('a')).toBe(unitHash('a'));
  expect(unitHash('a')).not.toBe(unitHash('b'));
  expect(unitHash('a')).toBeGreaterThanOrEqual(0);
  expect(unitHash('a')).toBeLessThan(1);
});

test('findingsResponse: COMPLETE with the findings and counts, FAILED without findings', () => {
  const findings = [
    { id: 'CVE-2026-100001', severity: 'HIGH' },
    { id: 'CVE-2025-12345', severity: 'LOW' },
  ];
  const at = new Date('2026-12-02T00:00:10Z');
  const complete = findingsResponse('123456789012', 'team/app', 'sha256:ab', 'COMPLETE', findings, at) as any;
  expect(complete.imageScanStatus).toEqual({ status: 'COMPLETE', description: 'The scan was completed successfully.' });
  expect(complete.imageScanFindings.imageScanCompletedAt).toBe(at.getTime() / 1000);
  expect(complete.imageScanFindings.findingSeverityCounts).toEqual({ HIGH: 1, LOW: 1 });
  expect(complete.imageScanFindings.findings.map((f: any) => [f.name, f.severity])).toEqual([
    ['CVE-2026-100001', 'HIGH'],
    ['CVE-2025-12345', 'LOW'],
  ]);
  expect(complete.imageScanFindings.findings[0].attributes).toContainEqual({ key: 'CVSS3_SCORE', value: '7.5' });
  expect(findingsResponse('123456789012', 'team/app', 'sha256:ab', 'FAILED', findings, at)).toEqual({
    registryId: '123456789012',
    repositoryName: 'team/app',
    imageId: { imageDigest: 'sha256:ab' },
    imageScanStatus: { status: 'FAILED', description: 'Unable to retrieve the image layers.' },
  });
});

test('scanEventDetail: counts for a COMPLETE scan (zeros left out), none for FAILED, tags as given', () => {
  expect(scanEventDetail('team/app', 'sha256:ab', ['v1', 'latest'], 'COMPLETE', [{ id: 'a', severity: 'CRITICAL' }])).toEqual({
    'scan-status': 'COMPLETE',
    'repository-name': 'team/app',
    'image-digest': 'sha256:ab',
    'image-tags': ['v1', 'latest'],
    'finding-severity-counts': { CRITICAL: 1 },
  });
  expect(scanEventDetail('team/app', 'sha256:ab', [], 'COMPLETE', [])).toMatchObject({ 'image-tags': [], 'finding-severity-counts': {} });
  expect(scanEventDetail('team/app', 'sha256:ab', [], 'FAILED', [{ id: 'a', severity: 'CRITICAL' }])).not.toHaveProperty('finding-severity-counts');
});
