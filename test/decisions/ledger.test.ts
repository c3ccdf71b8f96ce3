import {
  ABSENT,
  LedgerRead,
  ScanRecord,
  entryTtlSeconds,
  imageKey,
  ledgerVerdict,
  mergeScan,
  parseLedgerItem,
} from '../../src/decisions/ledger';

const NOW = new Date('2026-12-01T03:00:00.000Z');
const DAY = 86_400_000;
const REPOSITORY = 'team-a/payments-api';
const DIGEST = 'sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945';
const EXPECTED = { repositoryName: REPOSITORY, imageDigest: DIGEST };
const iso = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

/** A whole item as the report function writes it, after a report. */
function item(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...imageKey(REPOSITORY, DIGEST),
    entity: 'image',
    schemaVersion: 1,
    repositoryName: REPOSITORY,
    imageDigest: DIGEST,
    imageTags: ['v2.3.1', 'latest'],
    scan: {
      status: 'COMPLETE',
      observedAt: iso(-2 * DAY),
      source: 'scan-event',
      completedAt: iso(-2 * DAY),
      severityCounts: { CRITICAL: 1, HIGH: 3 },
    },
    lastReport: {
      at: iso(-2 * DAY + 5000),
      scanKey: `COMPLETE@${iso(-2 * DAY)}`,
      eventId: 'e-1',
      reason: 'first-report',
      findingIds: ['CVE-2024-6387', 'CVE-2023-44487'],
      severityCounts: { CRITICAL: 1, HIGH: 3 },
    },
    version: 4,
    expiresAt: Math.floor(NOW.getTime() / 1000) + 90 * 86_400,
    ...overrides,
  };
}

describe('imageKey and the TTL', () => {
  test('one item per repository and digest, under a generic pk/sk key', () => {
    expect(imageKey(REPOSITORY, DIGEST)).toEqual({ pk: `image#${REPOSITORY}@${DIGEST}`, sk: 'image' });
    expect(imageKey('team-b/payments-api', DIGEST)).not.toEqual(imageKey(REPOSITORY, DIGEST));
  });

  test.each([
    [7, 90],
    [30, 90],
    [31, 93],
    [365, 1095],
  ])('a scan expiry of %i days keeps an entry %i days after its last write', (expiryDays, ttlDays) => {
    expect(entryTtlSeconds(expiryDays * DAY)).toBe(ttlDays * 86_400);
  });
});

describe('parseLedgerItem', () => {
  test('a whole entry parses, times as Dates, the raw version kept', () => {
    const read = parseLedgerItem(item(), EXPECTED, NOW);
    expect(read).toEqual({
      exists: true,
      rawVersion: 4,
      entry: {
        repositoryName: REPOSITORY,
        imageDigest: DIGEST,
        imageTags: ['v2.3.1', 'latest'],
        scan: {
          status: 'COMPLETE',
          observedAt: new Date(iso(-2 * DAY)),
          source: 'scan-event',
          completedAt: new Date(iso(-2 * DAY)),
          severityCounts: { CRITICAL: 1, HIGH: 3 },
        },
        lastReport: {
          at: new Date(iso(-2 * DAY + 5000)),
          scanKey: `COMPLETE@${iso(-2 * DAY)}`,
          eventId: 'e-1',
          reason: 'first-report',
          findingIds: ['CVE-2024-6387', 'CVE-2023-44487'],
          severityCounts: { CRITICAL: 1, HIGH: 3 },
        },
        failureReport: undefined,
        claim: undefined,
        version: 4,
      },
    });
  });

  test('the rescan walk\'s projection (no lastReport) parses too', () => {
    const { lastReport: _left, ...projected } = item();
    expect(parseLedgerItem(projected, EXPECTED, NOW).entry?.lastReport).toBeUndefined();
    expect(parseLedgerItem(projected, EXPECTED, NOW).entry?.scan?.status).toBe('COMPLETE');
  });

  test('a deferral by the daily scan budget is read as its day', () => {
    expect(parseLedgerItem(item({ deferredOn: '2026-11-30' }), EXPECTED, NOW).entry?.deferredOn).toBe('2026-11-30');
    expect(parseLedgerItem(item(), EXPECTED, NOW).entry).not.toHaveProperty('deferredOn');
  });

  test('what an image index lists, and the index of a listed manifest, are read as written (image-index.ts)', () => {
    const index = `sha256:${'c'.repeat(64)}`;
    const child = `sha256:${'d'.repeat(64)}`;
    const listed = parseLedgerItem(item({ children: { manifests: [{ digest: child, role: 'platform', platform: 'linux/arm64' }, { digest: index, role: 'attestation' }], tags: ['v1.2'] } }), EXPECTED, NOW);
    expect(listed.entry?.children).toEqual({ manifests: [{ digest: child, role: 'platform', platform: 'linux/arm64' }, { digest: index, role: 'attestation' }], tags: ['v1.2'] });
    const platform = parseLedgerItem(item({ index: { digest: index, tags: ['v1.2'], role: 'platform', platform: 'linux/arm64' } }), EXPECTED, NOW);
    expect(platform.entry?.index).toEqual({ digest: index, tags: ['v1.2'], role: 'platform', platform: 'linux/arm64' });
    expect(parseLedgerItem(item({ index: { digest: index, role: 'attestation' } }), EXPECTED, NOW).entry?.index).toEqual({ digest: index, tags: [], role: 'attestation' });
    expect(parseLedgerItem(item(), EXPECTED, NOW).entry).not.toHaveProperty('index');
  });

  test('no item is absent', () => {
    expect(parseLedgerItem(undefined, EXPECTED, NOW)).toEqual(ABSENT);
    expect(parseLedgerItem(null, EXPECTED, NOW)).toEqual(ABSENT);
  });

  test('an item past its TTL, not yet deleted by DynamoDB, is read as absent (but exists, so a write replaces it)', () => {
    const read = parseLedgerItem(item({ expiresAt: Math.floor(NOW.getTime() / 1000) - 1 }), EXPECTED, NOW);
    expect(read).toEqual({ exists: true, rawVersion: 4 });
    expect(ledgerVerdict(read)).toEqual({ read: 'absent' });
  });

  // Each row: an item the functions cannot trust, and the reason they log. They act as if it were absent.
  test.each<[string, Record<string, unknown> | string, RegExp]>([
    ['not a map', 'a string', /^the item is not a map$/],
    ['another entity', item({ entity: 'summary' }), /^entity is "summary", not "image"$/],
    ['another schema version', item({ schemaVersion: 2 }), /^schemaVersion is 2; this version of cdk-ecr-scan-reporter reads 1$/],
    ['no schema version', item({ schemaVersion: undefined }), /^schemaVersion is undefined/],
    ['another digest than its key', item({ imageDigest: 'sha256:' + 'a'.repeat(64) }), /names "team-a\/payments-api" @ "sha256:a+", not the digest it is keyed by/],
    ['another repository than its key', item({ repositoryName: 'team-b/x' }), /names "team-b\/x"/],
    ['a version that is not a whole number', item({ version: '4' }), /^version is not a whole number: "4"$/],
    ['a negative version', item({ version: -1 }), /^version is not a whole number: -1$/],
    ['a scan that is not a map', item({ scan: 'COMPLETE' }), /^scan is not a map$/],
    ['a scan from an unknown source', item({ scan: { ...(item().scan as object), source: 'guess' } }), /^scan.source is not one of scan-event, status-read, start-image-scan: "guess"$/],
    ['a scan observed at no time', item({ scan: { ...(item().scan as object), observedAt: 'yesterday' } }), /^scan.observedAt is not an ISO-8601 time: "yesterday"$/],
    ['a completion time as a number', item({ scan: { ...(item().scan as object), completedAt: 1_764_558_000 } }), /^scan.completedAt is not an ISO-8601 time: 1764558000$/],
    ['a completion time in the future', item({ scan: { ...(item().scan as object), completedAt: iso(DAY) } }), /^scan.completedAt is in the future: 2026-12-02T03:00:00.000Z$/],
    ['an observation in the future', item({ scan: { ...(item().scan as object), observedAt: iso(10 * 60_000) } }), /^scan.observedAt is in the future/],
    ['no scan status', item({ scan: { ...(item().scan as object), status: '' } }), /^scan.status is not a non-empty string: ""$/],
    ['a negative count', item({ scan: { ...(item().scan as object), severityCounts: { HIGH: -1 } } }), /^scan.severityCounts.HIGH is not a whole number: -1$/],
    ['scan finding ids that are not a list', item({ scan: { ...(item().scan as object), findingIds: 'CVE-1' } }), /^scan.findingIds is not a list of strings$/],
    ['finding ids that are not a list', item({ lastReport: { ...(item().lastReport as object), findingIds: 'CVE-1' } }), /^lastReport.findingIds is not a list of strings$/],
    ['finding ids that are not strings', item({ lastReport: { ...(item().lastReport as object), findingIds: [1, 2] } }), /^lastReport.findingIds is not a list of strings$/],
    ['a report at no time', item({ lastReport: { ...(item().lastReport as object), at: null } }), /^lastReport.at is not an ISO-8601 time: null$/],
    ['tags that are not strings', item({ imageTags: [7] }), /^imageTags is not a list of strings$/],
    ['a claim without an id', item({ claim: { scanKey: 'k', eventId: 'e', expiresAt: iso(60_000) } }), /^claim.id is not a non-empty string/],
    ['a failure report that is not a map', item({ failureReport: true }), /^failureReport is not a map$/],
    ['a deferral on no day', item({ deferredOn: '2026-12-01T00:00:00Z' }), /^deferredOn is not a day \(YYYY-MM-DD\): "2026-12-01T00:00:00Z"$/],
    ['a deferral on an impossible day', item({ deferredOn: '2026-13-01' }), /^deferredOn is not a day/],
    ['an index that is not a map', item({ index: 'sha256:x' }), /^index is not a map$/],
    ['an index without a sha256 digest', item({ index: { digest: 'latest', role: 'platform' } }), /^index.digest is not a sha256 digest: "latest"$/],
    ['an index role that is not known', item({ index: { digest: `sha256:${'c'.repeat(64)}`, role: 'signature' } }), /^index.role is not platform or attestation: "signature"$/],
    ['index tags that are not strings', item({ index: { digest: `sha256:${'c'.repeat(64)}`, role: 'platform', tags: [1] } }), /^index.tags is not a list of strings$/],
    ['listed manifests that are not a list', item({ children: { manifests: 'all', tags: [] } }), /^children.manifests is not a list$/],
    ['a listed manifest without a digest', item({ children: { manifests: [{ role: 'platform' }] } }), /^children.manifests\[0\].digest is not a sha256 digest$/],
  ])('%s: ignored, with the reason', (_label, raw, reason) => {
    const read = parseLedgerItem(raw, EXPECTED, NOW);
    expect(read.exists).toBe(true);
    expect(read.entry).toBeUndefined();
    expect(read.ignored).toMatch(reason);
    expect(ledgerVerdict(read)).toEqual({ read: 'ignored' });
  });

  test('an ignored item keeps its raw version, whatever its type, so a write can replace exactly it', () => {
    expect(parseLedgerItem(item({ version: '4' }), EXPECTED, NOW).rawVersion).toBe('4');
    expect(parseLedgerItem(item({ version: undefined, entity: 'x' }), EXPECTED, NOW).rawVersion).toBeUndefined();
  });

  test('a completion time a few minutes ahead (clock skew) is still believed', () => {
    const read = parseLedgerItem(item({ scan: { ...(item().scan as object), observedAt: iso(60_000), completedAt: iso(60_000) } }), EXPECTED, NOW);
    expect(read.ignored).toBeUndefined();
  });
});

describe('ledgerVerdict: what the walk may decide without asking ECR', () => {
  const withScan = (scan: Record<string, unknown> | undefined): LedgerRead =>
    parseLedgerItem(item({ scan: scan === undefined ? undefined : { observedAt: iso(-DAY), source: 'status-read', severityCounts: {}, ...scan } }), EXPECTED, NOW);

  test.each<[string, LedgerRead, ReturnType<typeof ledgerVerdict>]>([
    ['COMPLETE with a completion time: decided on it', withScan({ status: 'COMPLETE', completedAt: iso(-3 * DAY), severityCounts: { HIGH: 1 } }), {
      use: { status: 'COMPLETE', completedAt: new Date(iso(-3 * DAY)), severityCounts: { HIGH: 1 } },
    }],
    ['COMPLETE without a completion time: read', withScan({ status: 'COMPLETE' }), { read: 'not-complete' }],
    ['IN_PROGRESS (a scan the walk started): read', withScan({ status: 'IN_PROGRESS', source: 'start-image-scan' }), { read: 'not-complete' }],
    ['FAILED: read', withScan({ status: 'FAILED', completedAt: iso(-9 * DAY) }), { read: 'not-complete' }],
    ['LIMIT_EXCEEDED (ECR refused a scan the ledger called due): read', withScan({ status: 'LIMIT_EXCEEDED' }), { read: 'not-complete' }],
    ['UNSUPPORTED_IMAGE, without a recheck policy: read', withScan({ status: 'UNSUPPORTED_IMAGE' }), { read: 'not-complete' }],
    ['an unknown status: read', withScan({ status: 'QUANTUM_PENDING' }), { read: 'not-complete' }],
    ['an entry without a scan (only a report): read', withScan(undefined), { read: 'absent' }],
    ['no entry: read', ABSENT, { read: 'absent' }],
  ])('%s', (_label, read, verdict) => {
    expect(ledgerVerdict(read)).toEqual(verdict);
  });

  test('UNSUPPORTED_IMAGE is decided on while younger than the recheck (the scan expiry) and the image was not pushed since; then read again', () => {
    const recheck = { now: NOW, recheckMs: 7 * DAY };
    const unsupported = (observedDaysAgo: number) =>
      withScan({ status: 'UNSUPPORTED_IMAGE', observedAt: iso(-observedDaysAgo * DAY), description: 'The operating system is not supported.' });
    expect(ledgerVerdict(unsupported(1), undefined, recheck)).toEqual({ use: { status: 'UNSUPPORTED_IMAGE', description: 'The operating system is not supported.' } });
    expect(ledgerVerdict(unsupported(6.9), new Date(iso(-30 * DAY)), recheck)).toHaveProperty('use');
    expect(ledgerVerdict(unsupported(7), undefined, recheck)).toEqual({ read: 'not-complete' });
    // Pushed again after the observation: the digest was deleted and pushed back, so ECR is asked.
    expect(ledgerVerdict(unsupported(2), new Date(iso(-1 * DAY)), recheck)).toEqual({ read: 'not-complete' });
    // Other statuses are not decided on, whatever their age.
    expect(ledgerVerdict(withScan({ status: 'FAILED', observedAt: iso(-1 * DAY) }), undefined, recheck)).toEqual({ read: 'not-complete' });
  });

  test('an image pushed after the recorded scan completed (deleted and pushed again) is read from ECR; one pushed before is decided on', () => {
    const read = withScan({ status: 'COMPLETE', completedAt: iso(-3 * DAY), severityCounts: {} });
    expect(ledgerVerdict(read, new Date(iso(-1 * DAY)))).toEqual({ read: 'pushed-after-scan' });
    expect(ledgerVerdict(read, new Date(iso(-4 * DAY)))).toEqual({ use: { status: 'COMPLETE', completedAt: new Date(iso(-3 * DAY)), severityCounts: {} } });
    expect(ledgerVerdict(read, new Date(iso(-3 * DAY)))).toHaveProperty('use');
  });
});

describe('mergeScan: an observation into what the ledger knew', () => {
  const complete = (daysAgo: number, counts = { HIGH: 2 }): ScanRecord => ({
    status: 'COMPLETE',
    observedAt: new Date(NOW.getTime() - daysAgo * DAY),
    source: 'scan-event',
    completedAt: new Date(NOW.getTime() - daysAgo * DAY),
    severityCounts: counts,
  });
  const other = (status: string, daysAgo: number): ScanRecord => ({ status, observedAt: new Date(NOW.getTime() - daysAgo * DAY), source: 'start-image-scan', severityCounts: {} });

  test('nothing known: the observation', () => {
    expect(mergeScan(undefined, other('IN_PROGRESS', 0))).toEqual(other('IN_PROGRESS', 0));
  });

  test('a later COMPLETE replaces everything', () => {
    expect(mergeScan(complete(8), complete(0, { HIGH: 5 }))).toEqual(complete(0, { HIGH: 5 }));
  });

  test('a later FAILED or IN_PROGRESS keeps the last COMPLETE scan\'s time, counts and finding ids', () => {
    expect(mergeScan(complete(8), other('FAILED', 0))).toEqual({ ...other('FAILED', 0), completedAt: complete(8).completedAt, severityCounts: { HIGH: 2 } });
    expect(mergeScan({ ...complete(8), findingIds: ['CVE-1'] }, other('FAILED', 0))?.findingIds).toEqual(['CVE-1']);
    expect(mergeScan(complete(8), other('IN_PROGRESS', 0))?.completedAt).toEqual(complete(8).completedAt);
  });

  test('an older observation is dropped: the ledger never goes back in time', () => {
    expect(mergeScan(complete(0), complete(8))).toBeUndefined();
    expect(mergeScan(other('IN_PROGRESS', 0), other('FAILED', 1))).toBeUndefined();
  });

  test('an observation at the same moment replaces (the same answer written twice)', () => {
    expect(mergeScan(complete(2), complete(2, { HIGH: 3 }))).toEqual(complete(2, { HIGH: 3 }));
  });
});
