import type { ImageEvaluation } from '../../src/aws/rescan-repository';
import {
  ImageRow,
  StreamingTable,
  addToSummary,
  emptySummary,
  formatCount,
  formatScanTime,
  formatSeverityCounts,
  formatSummary,
  jsonDocument,
  shortDigest,
  summaryJson,
  toImageRow,
} from '../../src/cli/format';
import { RESCAN_REASONS } from '../../src/decisions/rescan';

const DIGEST = 'sha256:4bd77cffb0da8cbda839ed5caaf5d418f19addc5941776e87261e000d6f96e93';

function evaluation(overrides: Partial<ImageEvaluation> = {}): ImageEvaluation {
  return {
    repositoryName: 'team-a/api',
    imageDigest: DIGEST,
    imageTags: ['v1', 'latest'],
    state: { status: 'COMPLETE', completedAt: new Date('2026-11-01T04:00:00Z'), severityCounts: { HIGH: 5, CRITICAL: 2 } },
    decision: { action: 'scan', reason: 'expired', detail: 'last scanned 14d 8h ago' },
    ...overrides,
  };
}

function row(overrides: Partial<ImageRow> = {}): ImageRow {
  return { ...toImageRow(evaluation(), 'plan'), ...overrides };
}

describe('toImageRow', () => {
  test('carries every field of the schema, for plan without outcome', () => {
    const r = toImageRow(evaluation(), 'plan');
    expect(r).toEqual({
      repositoryName: 'team-a/api',
      imageDigest: DIGEST,
      imageTags: ['v1', 'latest'],
      status: 'COMPLETE',
      lastScanCompletedAt: '2026-11-01T04:00:00.000Z',
      severityCounts: { HIGH: 5, CRITICAL: 2 },
      action: 'scan',
      reason: 'expired',
    });
    expect(Object.keys(r)).not.toContain('outcome');
  });

  test('never scanned: null status, null time, {} counts; scan has outcome null when skipped', () => {
    const r = toImageRow(evaluation({ imageTags: [], state: {}, decision: { action: 'skip', reason: 'enhanced-scanning', detail: '' } }), 'scan');
    expect(r).toMatchObject({ imageTags: [], status: null, lastScanCompletedAt: null, severityCounts: {}, outcome: null });
  });

  test('an invalid completion time is null, not a RangeError', () => {
    expect(toImageRow(evaluation({ state: { status: 'COMPLETE', completedAt: new Date('nonsense') } }), 'plan').lastScanCompletedAt).toBeNull();
  });

  test('scan carries the outcome; the row owns its arrays', () => {
    const source = evaluation({ outcome: 'recently-scanned' });
    const r = toImageRow(source, 'scan');
    expect(r.outcome).toBe('recently-scanned');
    r.imageTags.push('x');
    r.severityCounts.LOW = 1;
    expect(source.imageTags).toEqual(['v1', 'latest']);
    expect(source.state.severityCounts).toEqual({ HIGH: 5, CRITICAL: 2 });
  });
});

describe('summary', () => {
  test('counts rows: skips by reason, due ones by outcome; imagesEvaluated = toScan + skipped', () => {
    const summary = emptySummary('scan', 'BASIC', 7);
    const rows: Partial<ImageRow>[] = [
      { action: 'scan', reason: 'never-scanned', outcome: 'started' },
      { action: 'scan', reason: 'expired', outcome: 'started' },
      { action: 'scan', reason: 'expired', outcome: 'recently-scanned' },
      { action: 'scan', reason: 'failed', outcome: 'quota-exceeded' },
      { action: 'scan', reason: 'failed', outcome: 'unsupported-image' },
      { action: 'scan', reason: 'never-scanned', outcome: 'image-gone' },
      { action: 'skip', reason: 'fresh', outcome: null },
      { action: 'skip', reason: 'fresh', outcome: null },
      { action: 'skip', reason: 'unknown-status', outcome: null },
    ];
    rows.forEach((r) => addToSummary(summary, row(r)));
    expect(summaryJson(summary)).toEqual({
      command: 'scan',
      registryScanType: 'BASIC',
      scanExpiryDays: 7,
      repositoriesListed: 0,
      repositoriesSelected: 0,
      repositoriesGone: 0,
      imagesEvaluated: 9,
      toScan: 6,
      skipped: Object.fromEntries(RESCAN_REASONS.map((r) => [r, r === 'fresh' ? 2 : r === 'unknown-status' ? 1 : 0])),
      scansStarted: 2,
      recentlyScanned: 1,
      quotaExceeded: 1,
      refused: 2,
    });
  });

  test('plan: due rows have no outcome and the scan counts are left out of the JSON', () => {
    const summary = emptySummary('plan', 'ENHANCED', 30);
    addToSummary(summary, row());
    const json = summaryJson(summary);
    expect(json).toMatchObject({ command: 'plan', registryScanType: 'ENHANCED', scanExpiryDays: 30, imagesEvaluated: 1, toScan: 1 });
    for (const key of ['scansStarted', 'recentlyScanned', 'quotaExceeded', 'refused']) expect(json).not.toHaveProperty(key);
    expect(Object.keys(json.skipped as object)).toEqual([...RESCAN_REASONS]);
  });

  test('formatSummary: plan lists non-zero skip reasons; scan adds the scans line; large counts are grouped', () => {
    const plan = emptySummary('plan', 'BASIC', 1);
    Object.assign(plan, { repositoriesListed: 1200, repositoriesSelected: 12, imagesEvaluated: 4210, toScan: 4200 });
    plan.skipped.fresh = 9;
    plan.skipped['in-progress'] = 1;
    expect(formatSummary(plan)).toBe(
      [
        '',
        'Summary (plan; registry scan type BASIC; scan expiry 1 day)',
        '  repositories  1,200 listed, 12 selected',
        '  images        4,210 evaluated: 4,200 to scan, 10 skipped',
        '  skipped       fresh 9, in-progress 1',
        '',
      ].join('\n'),
    );
    const scan = emptySummary('scan', 'BASIC', 7);
    Object.assign(scan, { repositoriesListed: 3, repositoriesSelected: 3, repositoriesGone: 1 });
    Object.assign(scan, { scansStarted: 4, recentlyScanned: 3, quotaExceeded: 2, refused: 1 });
    expect(formatSummary(scan, true)).toBe(
      [
        '',
        'Summary so far, the run failed (scan; registry scan type BASIC; scan expiry 7 days)',
        '  repositories  3 listed, 3 selected, 1 deleted since listed (skipped)',
        '  images        0 evaluated: 0 to scan, 0 skipped',
        '  scans         4 started, 3 recently scanned, 2 refused by a quota, 1 refused (unsupported or gone)',
        '',
      ].join('\n'),
    );
  });
});

describe('jsonDocument', () => {
  test('begin + rows + end is one JSON document, one image per line', () => {
    const summary = emptySummary('plan', 'BASIC', 7);
    const text =
      jsonDocument.begin() + jsonDocument.image(row(), true) + jsonDocument.image(row({ imageTags: [] }), false) + jsonDocument.end(summary);
    const doc = JSON.parse(text);
    expect(doc.images).toHaveLength(2);
    expect(doc.images[1].imageTags).toEqual([]);
    expect(doc.summary).toEqual(summaryJson(summary));
    expect(doc).not.toHaveProperty('error');
    expect(text.split('\n')).toHaveLength(6);
    expect(text.endsWith('}\n')).toBe(true);
  });

  test('no images, and a failed run: still one document, with the error', () => {
    const doc = JSON.parse(jsonDocument.begin() + jsonDocument.end(emptySummary('scan', 'BASIC', 7), { name: 'AccessDeniedException', message: 'no' }));
    expect(doc.images).toEqual([]);
    expect(doc.error).toEqual({ name: 'AccessDeniedException', message: 'no' });
    expect(doc.summary.scansStarted).toBe(0);
  });
});

describe('cells', () => {
  test.each([
    [{}, '-'],
    [{ LOW: 0 }, '-'],
    [{ HIGH: 5, CRITICAL: 2 }, 'CRITICAL 2, HIGH 5'],
    [{ UNDEFINED: 1, INFORMATIONAL: 2, LOW: 3, MEDIUM: 4, HIGH: 0, CRITICAL: 6 }, 'CRITICAL 6, MEDIUM 4, LOW 3, INFORMATIONAL 2, UNDEFINED 1'],
    [{ ZETA: 1, NEW_LEVEL: 2, HIGH: 1 }, 'HIGH 1, NEW_LEVEL 2, ZETA 1'],
  ])('formatSeverityCounts(%j) = %s', (counts, text) => {
    expect(formatSeverityCounts(counts)).toBe(text);
  });

  test('shortDigest, formatScanTime, formatCount', () => {
    expect(shortDigest(DIGEST)).toBe('4bd77cffb0da');
    expect(shortDigest('abc')).toBe('abc');
    expect(formatScanTime('2026-11-14T08:00:59.999Z')).toBe('2026-11-14 08:00Z');
    expect(formatScanTime(null)).toBe('-');
    expect([0, 999, 1000, 4210, 1234567].map(formatCount)).toEqual(['0', '999', '1,000', '4,210', '1,234,567']);
  });
});

describe('StreamingTable', () => {
  test('plan: the repository column fits the longest selected name; rows align under the header; untagged is -', () => {
    const table = new StreamingTable('plan', ['a', 'team-a/long-service-name']);
    const lines = [
      table.header(),
      table.row(row()),
      table.row(row({ repositoryName: 'a', imageTags: [], status: null, lastScanCompletedAt: null, severityCounts: {}, action: 'skip', reason: 'fresh' })),
    ];
    expect(lines.join('')).toBe(
      [
        'REPOSITORY                DIGEST        STATUS             LAST SCAN          ACTION  REASON             FINDINGS             TAGS',
        'team-a/api                4bd77cffb0da  COMPLETE           2026-11-01 04:00Z  scan    expired            CRITICAL 2, HIGH 5   v1,latest',
        'a                         4bd77cffb0da  -                  -                  skip    fresh              -                    -',
        '',
      ].join('\n'),
    );
  });

  test('scan has the OUTCOME column; a wider value widens its column from then on; the last column is never padded', () => {
    const table = new StreamingTable('scan', ['r']);
    expect(table.header()).toBe(
      'REPOSITORY  DIGEST        STATUS             LAST SCAN          ACTION  REASON             OUTCOME            FINDINGS             TAGS\n',
    );
    const wide = table.row(row({ repositoryName: 'r', status: 'SCAN_ELIGIBILITY_EXPIRED', outcome: null, imageTags: ['a'] }));
    const next = table.row(row({ repositoryName: 'r', status: 'COMPLETE', outcome: 'started', imageTags: ['b'] }));
    expect(wide).toContain('SCAN_ELIGIBILITY_EXPIRED  2026-11-01');
    expect(next).toContain('COMPLETE                  2026-11-01');
    expect(next.indexOf('2026-11-01')).toBe(wide.indexOf('2026-11-01'));
    expect(next).toMatch(/ started {12}CRITICAL 2, HIGH 5 {3}b\n$/);
  });
});
