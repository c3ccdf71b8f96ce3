import { ScanStatus } from '@aws-sdk/client-ecr';
import type { ImageEvaluation } from '../../src/aws/rescan-repository';
import {
  COUNT_WIDTH,
  ImageRow,
  JsonDocument,
  SKIP_REASONS,
  StreamingTable,
  TableOutput,
  addToSummary,
  emptySummary,
  fitCell,
  formatCount,
  formatFindingCount,
  formatScanTime,
  formatSummary,
  rowSelection,
  shortDigest,
  summaryJson,
  toImageRow,
} from '../../src/cli/format';
import { INDEX_MEDIA_TYPES, ImageFormatFacts, decideImageFormat } from '../../src/decisions/image-format';
import { ImageScanState, RegistryScanType, decideRescan } from '../../src/decisions/rescan';

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

  test('with --read-image-indexes, a manifest an index lists carries the index; the table names it by the index in TAGS', () => {
    const index = `sha256:${'c'.repeat(64)}`;
    const platform = toImageRow(evaluation({ imageTags: [], imageIndex: { digest: index, tags: ['v1.2'], role: 'platform', platform: 'linux/arm64' } }), 'plan');
    expect(platform.imageIndex).toEqual({ digest: index, tags: ['v1.2'], role: 'platform', platform: 'linux/arm64' });
    const attestation = toImageRow(
      evaluation({ imageTags: [], decision: { action: 'skip', reason: 'attestation', detail: '' }, imageIndex: { digest: index, tags: ['v1.2'], role: 'attestation' } }),
      'plan',
    );
    const table = new StreamingTable('plan', ['team-a/api']);
    expect(table.row(platform).trimEnd()).toMatch(/ {2}v1\.2 \(linux\/arm64\)$/);
    expect(table.row(attestation).trimEnd()).toMatch(/ {2}v1\.2 \(attestation\)$/);
    expect(table.row(toImageRow(evaluation({ imageTags: [] }), 'plan')).trimEnd()).toMatch(/ {2}-$/);
    expect(toImageRow(evaluation(), 'plan')).not.toHaveProperty('imageIndex');
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
      skipped: { 'fresh': 2, 'in-progress': 0, 'unsupported-image': 0, 'image-index': 0, 'referrer': 0, 'artifact': 0, 'attestation': 0, 'archived': 0, 'enhanced-scanning': 0, 'not-scannable': 0, 'unknown-status': 1 },
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
    expect(Object.keys(json.skipped as object)).toEqual([...SKIP_REASONS]);
  });

  test('skipped lists exactly the reasons the rescan and image-format decisions give with action skip, over every status, both scan types and every kind of entry', () => {
    const now = new Date('2026-11-15T12:00:00Z');
    const states: ImageScanState[] = [
      {},
      { status: 'COMPLETE', completedAt: new Date('2026-11-15T00:00:00Z') },
      { status: 'COMPLETE', completedAt: new Date('2026-01-01T00:00:00Z') },
      { status: 'COMPLETE' },
      ...Object.values(ScanStatus).map((status) => ({ status })),
      { status: 'A_STATUS_ECR_ADDS_LATER' },
    ];
    const skipReasons = new Set<string>();
    const scanReasons = new Set<string>();
    for (const registryScanType of ['BASIC', 'ENHANCED'] as RegistryScanType[]) {
      for (const state of states) {
        const decision = decideRescan(state, { now, scanExpiryMs: 7 * 86_400_000, registryScanType });
        (decision.action === 'skip' ? skipReasons : scanReasons).add(decision.reason);
      }
    }
    // What the entry is, decided before its state is read (image-format.ts): every kind it tells apart.
    const entries: ImageFormatFacts[] = [
      { imageStatus: 'ARCHIVED' },
      { imageStatus: 'ACTIVATING' },
      ...INDEX_MEDIA_TYPES.map((imageManifestMediaType) => ({ imageManifestMediaType })),
      { subjectManifestDigest: `sha256:${'a'.repeat(64)}` },
      { imageTags: [`sha256-${'b'.repeat(64)}.sig`] },
      { artifactMediaType: 'application/vnd.cncf.helm.config.v1+json' },
      { indexRole: 'attestation' },
    ];
    for (const entry of entries) {
      const verdict = decideImageFormat(entry);
      if (verdict) skipReasons.add(verdict.reason);
    }
    expect([...skipReasons].sort()).toEqual([...SKIP_REASONS].sort());
    // The reasons of action scan are counted in toScan, never listed as skips.
    expect(SKIP_REASONS.filter((r) => scanReasons.has(r))).toEqual([]);
    expect(scanReasons.size).toBe(5);
  });

  test('a skip reason outside the list (none can come today) is still counted, under its name, so the counts add up', () => {
    const summary = emptySummary('plan', 'BASIC', 7);
    addToSummary(summary, row({ action: 'skip', reason: 'out-of-scope' }));
    expect(summary.skipped).toMatchObject({ 'out-of-scope': 1 });
    expect(Object.values(summary.skipped).reduce((a, b) => a + b, 0)).toBe(summary.imagesEvaluated);
  });

  test('formatSummary: plan lists non-zero skip reasons; scan adds the scans line; large counts are grouped', () => {
    const plan = emptySummary('plan', 'BASIC', 1);
    Object.assign(plan, { repositoriesListed: 1200, repositoriesSelected: 12, imagesEvaluated: 4210, toScan: 4200 });
    plan.skipped.fresh = 9;
    plan.skipped['in-progress'] = 1;
    expect(formatSummary(plan)).toBe(
      [
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
        'Summary so far, the run failed (scan; registry scan type BASIC; scan expiry 7 days)',
        '  repositories  3 listed, 3 selected, 1 deleted since listed (skipped)',
        '  images        0 evaluated: 0 to scan, 0 skipped',
        '  scans         4 started, 3 recently scanned, 2 refused by a quota, 1 refused (unsupported or gone)',
        '',
      ].join('\n'),
    );
  });
});

describe('JsonDocument', () => {
  test('begin + rows + end is one JSON document, one image per line', () => {
    const summary = emptySummary('plan', 'BASIC', 7);
    const doc = new JsonDocument('all');
    const text = doc.begin() + doc.row(row()) + doc.row(row({ imageTags: [] })) + doc.end(summary);
    const parsed = JSON.parse(text);
    expect(parsed.images).toHaveLength(2);
    expect(parsed.images[1].imageTags).toEqual([]);
    expect(parsed.summary).toEqual(summaryJson(summary));
    expect(parsed).not.toHaveProperty('error');
    expect(text.split('\n')).toHaveLength(6);
    expect(text.endsWith('}\n')).toBe(true);
  });

  test('no images, and a failed run: still one document, with the error', () => {
    const doc = new JsonDocument('all');
    const parsed = JSON.parse(doc.begin() + doc.end(emptySummary('scan', 'BASIC', 7), { name: 'AccessDeniedException', message: 'no' }));
    expect(parsed.images).toEqual([]);
    expect(parsed.error).toEqual({ name: 'AccessDeniedException', message: 'no' });
    expect(parsed.summary.scansStarted).toBe(0);
  });

  test("'due' writes only the rows whose action is scan; the first one written opens the list", () => {
    const doc = new JsonDocument('due');
    const parts = [doc.begin(), doc.row(row({ action: 'skip', reason: 'fresh' })), doc.row(row({ imageTags: ['a'] })), doc.row(row({ imageTags: ['b'] }))];
    expect(parts[1]).toBe('');
    const parsed = JSON.parse(parts.join('') + doc.end(emptySummary('plan', 'BASIC', 7)));
    expect(parsed.images.map((i: ImageRow) => i.imageTags)).toEqual([['a'], ['b']]);
  });

  test("'none' (--summary-only): a document with the summary and no images key, also when the run failed", () => {
    const doc = new JsonDocument('none');
    const summary = emptySummary('plan', 'BASIC', 7);
    const text = doc.begin() + doc.row(row()) + doc.row(row({ action: 'skip', reason: 'fresh' })) + doc.end(summary);
    expect(text).toBe(`{"summary":${JSON.stringify(summaryJson(summary))}}\n`);
    const failed = JSON.parse(doc.begin() + doc.end(summary, { name: 'ThrottlingException', message: 'Rate exceeded' }));
    expect(Object.keys(failed)).toEqual(['summary', 'error']);
  });
});

describe('rowSelection', () => {
  test.each([
    [{ onlyDue: false, summaryOnly: false }, 'all'],
    [{ onlyDue: true, summaryOnly: false }, 'due'],
    [{ onlyDue: false, summaryOnly: true }, 'none'],
  ])('%j -> %s', (options, selection) => {
    expect(rowSelection(options)).toBe(selection);
  });
});

describe('cells', () => {
  test.each([
    [0, '-'],
    [1, '1'],
    [999, '999'],
    [1_203, '1,203'],
    [9_999, '9,999'],
    [10_000, '10k'],
    [12_345, '12k'],
    [999_999, '999k'],
    [1_000_000, '1M'],
    [3_456_789, '3M'],
    [2_000_000_000, '2G'],
    [Number.MAX_SAFE_INTEGER, '9P'],
  ])('formatFindingCount(%d) = %s, never wider than the count columns', (n, text) => {
    expect(formatFindingCount(n)).toBe(text);
    expect(text.length).toBeLessThanOrEqual(COUNT_WIDTH);
  });

  test('fitCell pads a short value and cuts a long one to the width, with …', () => {
    expect(fitCell('COMPLETE', 10)).toBe('COMPLETE  ');
    expect(fitCell('UNSUPPORTED_IMAGE', 17)).toBe('UNSUPPORTED_IMAGE');
    expect(fitCell('SCAN_ELIGIBILITY_EXPIRED', 17)).toBe('SCAN_ELIGIBILITY…');
    expect(fitCell('complete-without-timestamp', 17)).toBe('complete-without…');
  });

  test('shortDigest, formatScanTime, formatCount', () => {
    expect(shortDigest(DIGEST)).toBe('4bd77cffb0da');
    expect(shortDigest('abc')).toBe('abc');
    expect(formatScanTime('2026-11-14T08:00:59.999Z')).toBe('2026-11-14 08:00Z');
    expect(formatScanTime(null)).toBe('-');
    expect([0, 999, 1000, 4210, 1234567].map(formatCount)).toEqual(['0', '999', '1,000', '4,210', '1,234,567']);
  });
});

/** Where each column of a table line starts: runs of text separated by two spaces or more (no cell holds two spaces). */
function columnStarts(line: string): number[] {
  return [...line.matchAll(/\S+(?: \S+)*/g)].map((m) => m.index);
}

describe('StreamingTable', () => {
  test('plan: the repository column fits the longest selected name; one column per severity, OTHER the rest; untagged is -', () => {
    const table = new StreamingTable('plan', ['a', 'team-a/long-service-name']);
    const lines = [
      table.header(),
      table.row(row({ severityCounts: { HIGH: 5, CRITICAL: 2, INFORMATIONAL: 3, UNDEFINED: 1, NEW_LEVEL: 2 } })),
      table.row(row({ repositoryName: 'a', imageTags: [], status: null, lastScanCompletedAt: null, severityCounts: {}, action: 'skip', reason: 'fresh' })),
    ];
    expect(lines.join('')).toBe(
      [
        'REPOSITORY                DIGEST        STATUS             LAST SCAN          ACTION  REASON             CRITICAL  HIGH   MEDIUM  LOW    OTHER  TAGS',
        'team-a/api                4bd77cffb0da  COMPLETE           2026-11-01 04:00Z  scan    expired            2         5      -       -      6      v1,latest',
        'a                         4bd77cffb0da  -                  -                  skip    fresh              -         -      -       -      -      -',
        '',
      ].join('\n'),
    );
  });

  test('scan has the OUTCOME column; long and huge values keep every column where the header has it; TAGS is written whole', () => {
    const table = new StreamingTable('scan', ['r']);
    const header = table.header();
    expect(header).toBe(
      'REPOSITORY  DIGEST        STATUS             LAST SCAN          ACTION  REASON             OUTCOME            CRITICAL  HIGH   MEDIUM  LOW    OTHER  TAGS\n',
    );
    const rows = [
      row({ repositoryName: 'r', status: 'SCAN_ELIGIBILITY_EXPIRED', action: 'skip', reason: 'not-scannable', outcome: null, imageTags: ['a'] }),
      row({ repositoryName: 'r', status: 'COMPLETE', lastScanCompletedAt: null, reason: 'complete-without-timestamp', outcome: 'unsupported-image' }),
      row({
        repositoryName: 'r',
        outcome: 'recently-scanned',
        severityCounts: { CRITICAL: 9_999, HIGH: 12_345, MEDIUM: 7_654_321, LOW: 1, UNDEFINED: 40_000, INFORMATIONAL: 1 },
        imageTags: Array.from({ length: 30 }, (_, i) => `release-${i}`),
      }),
      row({ repositoryName: 'r', outcome: 'started', severityCounts: {}, imageTags: [] }),
    ].map((r) => table.row(r));
    for (const line of rows) expect(columnStarts(line)).toEqual(columnStarts(header));
    expect(rows[0]).toContain('  SCAN_ELIGIBILITY…  ');
    expect(rows[1]).toContain('  complete-without…  unsupported-image  ');
    expect(rows[2]).toContain('  9,999     12k    7M      1      40k    release-0,release-1,');
    expect(rows[2].endsWith(',release-29\n')).toBe(true);
  });
});

describe('TableOutput', () => {
  const summary = () => Object.assign(emptySummary('plan', 'BASIC', 7), { imagesEvaluated: 2, toScan: 1 });

  test("'all': the header, every row, a blank line, the summary", () => {
    const output = new TableOutput('plan', ['team-a/api'], 'all');
    const text = output.begin() + output.row(row()) + output.row(row({ action: 'skip', reason: 'fresh' })) + output.end(summary());
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY /);
    expect(lines.slice(1, 3).map((l) => l.includes(' scan ') ? 'scan' : 'skip')).toEqual(['scan', 'skip']);
    expect(lines.slice(3)).toEqual(['', ...formatSummary(summary()).split('\n')]);
  });

  test("'due': the skipped rows are left out, the summary is the same", () => {
    const output = new TableOutput('plan', ['team-a/api'], 'due');
    expect(output.row(row({ action: 'skip', reason: 'fresh' }))).toBe('');
    expect(output.row(row())).toContain(' scan    expired ');
    expect(output.begin()).toMatch(/^REPOSITORY /);
    expect(output.end(summary())).toBe(`\n${formatSummary(summary())}`);
  });

  test("'none': the summary alone, no header, no blank line; a failed run says so", () => {
    const output = new TableOutput('scan', ['team-a/api'], 'none');
    expect(output.begin() + output.row(row()) + output.row(row({ action: 'skip', reason: 'fresh' }))).toBe('');
    expect(output.end(summary())).toBe(formatSummary(summary()));
    expect(output.end(summary(), { name: 'ThrottlingException', message: 'Rate exceeded' })).toMatch(/^Summary so far, the run failed \(plan;/);
  });
});
