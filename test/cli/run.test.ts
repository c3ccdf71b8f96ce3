/**
 * `ecr-scan-reporter plan` and `scan` end to end in process: main() with the
 * real ECR client (createEcrClient, EcrRetryStrategy) whose `send` is replaced
 * by aws-sdk-client-mock serving test/fixtures/cli/registry.json.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Writable } from 'stream';
import {
  BatchGetRepositoryScanningConfigurationCommand,
  DescribeImageScanFindingsCommand,
  DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommand,
  DescribeImagesCommandInput,
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { D, NOW, REGISTRY_QUOTA_MESSAGE, digest, mockLargeRegistry, mockRegistry, runCli } from './helpers';
import { createEcrClient } from '../../src/aws/clients';
import { KEYS_PER_BATCH_GET } from '../../src/aws/ledger';
import * as rescan from '../../src/aws/rescan-repository';
import { SKIP_REASONS } from '../../src/cli/format';
import { main } from '../../src/cli/main';
import { chooseRegion, excludeHint, stderrLog } from '../../src/cli/run';
import { PER_IMAGE_QUOTA_MESSAGE, serviceError } from '../aws/helpers';

const ecrMock = mockClient(ECRClient);

/** Selects the three team repositories of the fixture registry (of five listed). */
const TEAMS = ['--repository-pattern', '^team-', '--exclude-pattern', 'legacy'];
const ROW_KEYS = ['repositoryName', 'imageDigest', 'imageTags', 'status', 'lastScanCompletedAt', 'severityCounts', 'action', 'reason'];
/** summary.skipped: every skip reason, zeros included, and nothing else. */
const skippedWith = (counts: Record<string, number>) => Object.fromEntries(SKIP_REASONS.map((r) => [r, counts[r] ?? 0]));
/** The digests StartImageScan was called for, sorted (within a page, requests run concurrently). */
const startedDigests = () => ecrMock.commandCalls(StartImageScanCommand).map((c) => c.args[0].input.imageId?.imageDigest).sort();
const sorted = (...digests: string[]) => [...digests].sort();
const describedRepositories = () => ecrMock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input.repositoryName);

beforeEach(() => {
  ecrMock.reset();
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('plan', () => {
  test('prints one row per digest of the selected repositories, then the summary; reads only; nothing on stderr', async () => {
    mockRegistry(ecrMock);

    const { code, stdout, stderr } = await runCli(['plan', ...TEAMS]);

    expect(stdout).toBe(
      [
        'REPOSITORY     DIGEST        STATUS             LAST SCAN          ACTION  REASON             CRITICAL  HIGH   MEDIUM  LOW    OTHER  TAGS',
        'team-a/api     e4dbfe368633  -                  -                  scan    never-scanned      -         -      -       -      -      v2.0.0,latest,stable',
        'team-a/api     0fce2ae3032d  COMPLETE           2026-11-01 04:00Z  scan    expired            2         5      -       -      -      -',
        'team-a/api     10856c3ed444  COMPLETE           2026-11-14 08:00Z  skip    fresh              -         -      3       1      -      v1.9.0',
        'team-a/api     84d6dc1e64ce  FAILED             -                  scan    failed             -         -      -       -      -      build-42',
        'team-a/worker  50f78b480f46  COMPLETE           2026-10-20 06:00Z  scan    expired            -         -      -       -      -      v1',
        'team-a/worker  f360f576f504  IN_PROGRESS        -                  skip    in-progress        -         -      -       -      -      v2',
        'team-a/worker  74d2dbf6afc8  -                  -                  skip    image-index        -         -      -       -      -      multi-arch',
        'team-b/web     3fab4a9a5272  UNSUPPORTED_IMAGE  -                  skip    unsupported-image  -         -      -       -      -      prod',
        'team-b/web     4deb08bd73b5  COMPLETE           2026-11-02 19:00Z  scan    expired            -         1      -       -      -      canary',
        '',
        'Summary (plan; registry scan type BASIC; scan expiry 7 days)',
        '  repositories  5 listed, 3 selected',
        '  images        9 evaluated: 5 to scan, 4 skipped',
        '  skipped       fresh 1, in-progress 1, unsupported-image 1, image-index 1',
        '',
      ].join('\n'),
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 2);
    expect(describedRepositories()).toEqual(['team-a/api', 'team-a/api', 'team-a/worker', 'team-b/web']);
  });

  test('--json: exactly one JSON document on stdout, every field of every image as the schema says', async () => {
    mockRegistry(ecrMock);

    const { code, stdout, stderr } = await runCli(['plan', '--json', ...TEAMS]);

    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.startsWith('{"images":[\n')).toBe(true);
    expect(stdout.endsWith('}\n')).toBe(true);
    const doc = JSON.parse(stdout);
    expect(Object.keys(doc)).toEqual(['images', 'summary']);
    expect(doc.images).toHaveLength(9);
    for (const image of doc.images) expect(Object.keys(image)).toEqual(ROW_KEYS);
    const byDigest = Object.fromEntries(doc.images.map((i: { imageDigest: string }) => [i.imageDigest, i]));

    // Never scanned, three tags on one digest: listed once.
    expect(byDigest[D.api200]).toEqual({
      repositoryName: 'team-a/api',
      imageDigest: D.api200,
      imageTags: ['v2.0.0', 'latest', 'stable'],
      status: null,
      lastScanCompletedAt: null,
      severityCounts: {},
      action: 'scan',
      reason: 'never-scanned',
    });
    // Untagged; its state came from the DescribeImages summary.
    expect(byDigest[D.apiUntagged]).toEqual({
      repositoryName: 'team-a/api',
      imageDigest: D.apiUntagged,
      imageTags: [],
      status: 'COMPLETE',
      lastScanCompletedAt: '2026-11-01T04:00:00.000Z',
      severityCounts: { HIGH: 5, CRITICAL: 2 },
      action: 'scan',
      reason: 'expired',
    });
    // State from DescribeImageScanFindings.
    expect(byDigest[D.api190]).toMatchObject({ status: 'COMPLETE', lastScanCompletedAt: '2026-11-14T08:00:00.000Z', severityCounts: { MEDIUM: 3, LOW: 1 }, action: 'skip', reason: 'fresh' });
    expect(byDigest[D.apiBuild42]).toMatchObject({ status: 'FAILED', lastScanCompletedAt: null, severityCounts: {}, action: 'scan', reason: 'failed' });
    // COMPLETE with no findings at all: {} counts, not null.
    expect(byDigest[D.workerV1]).toMatchObject({ status: 'COMPLETE', lastScanCompletedAt: '2026-10-20T06:00:00.000Z', severityCounts: {}, reason: 'expired' });
    expect(byDigest[D.workerV2]).toMatchObject({ status: 'IN_PROGRESS', action: 'skip', reason: 'in-progress' });
    expect(byDigest[D.webProd]).toMatchObject({ repositoryName: 'team-b/web', imageTags: ['prod'], status: 'UNSUPPORTED_IMAGE', action: 'skip', reason: 'unsupported-image' });
    expect(byDigest[D.tmpX]).toBeUndefined();

    expect(doc.summary).toEqual({
      command: 'plan',
      registryScanType: 'BASIC',
      scanExpiryDays: 7,
      repositoriesListed: 5,
      repositoriesSelected: 3,
      repositoriesGone: 0,
      imagesEvaluated: 9,
      toScan: 5,
      skipped: skippedWith({ 'fresh': 1, 'in-progress': 1, 'unsupported-image': 1, 'image-index': 1 }),
    });
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
  });

  test('the options reach rescanRepository: dry run, the expiry in ms, the concurrency, one `now`, one repository at a time', async () => {
    mockRegistry(ecrMock);
    const spy = jest.spyOn(rescan, 'rescanRepository');

    const { code, stdout } = await runCli(['plan', '--json', '--scan-expiry-days', '30', '--concurrency', '2', '--repository-pattern', '^team-a/(api|worker)$']);

    expect(code).toBe(0);
    expect(spy.mock.calls.map((c) => c[1])).toEqual(['team-a/api', 'team-a/worker']);
    for (const [, , options] of spy.mock.calls) {
      expect(options).toMatchObject({ now: NOW, scanExpiryMs: 30 * 86_400_000, registryScanType: 'BASIC', concurrency: 2, dryRun: true });
    }
    // 30 days: the scans of 2026-11-01 and 2026-10-20 are now fresh.
    const doc = JSON.parse(stdout);
    expect(doc.images.find((i: { imageDigest: string }) => i.imageDigest === D.apiUntagged).reason).toBe('fresh');
    expect(doc.images.find((i: { imageDigest: string }) => i.imageDigest === D.workerV1).reason).toBe('fresh');
    expect(doc.summary).toMatchObject({ scanExpiryDays: 30, repositoriesSelected: 2, imagesEvaluated: 7, toScan: 2 });
  });

  test('no pattern: every repository; the sandbox is walked too', async () => {
    mockRegistry(ecrMock, { gone: ['team-a/legacy'] });
    const { stdout } = await runCli(['plan', '--json']);
    const doc = JSON.parse(stdout);
    expect(doc.summary).toMatchObject({ repositoriesListed: 5, repositoriesSelected: 5, repositoriesGone: 1, imagesEvaluated: 10, toScan: 6 });
    expect(doc.images.map((i: { repositoryName: string }) => i.repositoryName)).toContain('sandbox/tmp');
  });
});

describe('scan', () => {
  test('starts the due scans, once per digest, and shows what ECR answered for each', async () => {
    mockRegistry(ecrMock);

    const { code, stdout, stderr } = await runCli(['scan', ...TEAMS]);

    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        'REPOSITORY     DIGEST        STATUS             LAST SCAN          ACTION  REASON             OUTCOME            CRITICAL  HIGH   MEDIUM  LOW    OTHER  TAGS',
        'team-a/api     e4dbfe368633  -                  -                  scan    never-scanned      started            -         -      -       -      -      v2.0.0,latest,stable',
        'team-a/api     0fce2ae3032d  COMPLETE           2026-11-01 04:00Z  scan    expired            started            2         5      -       -      -      -',
        'team-a/api     10856c3ed444  COMPLETE           2026-11-14 08:00Z  skip    fresh              -                  -         -      3       1      -      v1.9.0',
        'team-a/api     84d6dc1e64ce  FAILED             -                  scan    failed             started            -         -      -       -      -      build-42',
        'team-a/worker  50f78b480f46  COMPLETE           2026-10-20 06:00Z  scan    expired            recently-scanned   -         -      -       -      -      v1',
        'team-a/worker  f360f576f504  IN_PROGRESS        -                  skip    in-progress        -                  -         -      -       -      -      v2',
        'team-a/worker  74d2dbf6afc8  -                  -                  skip    image-index        -                  -         -      -       -      -      multi-arch',
        'team-b/web     3fab4a9a5272  UNSUPPORTED_IMAGE  -                  skip    unsupported-image  -                  -         -      -       -      -      prod',
        'team-b/web     4deb08bd73b5  COMPLETE           2026-11-02 19:00Z  scan    expired            quota-exceeded     -         1      -       -      -      canary',
        '',
        'Summary (scan; registry scan type BASIC; scan expiry 7 days)',
        '  repositories  5 listed, 3 selected',
        '  images        9 evaluated: 5 to scan, 4 skipped',
        '  skipped       fresh 1, in-progress 1, unsupported-image 1, image-index 1',
        '  scans         3 started, 1 recently scanned, 1 refused by a quota, 0 refused (unsupported or gone)',
        '',
      ].join('\n'),
    );
    // The registry quota is a warning on stderr; the other answers are in the table only.
    expect(stderr).toBe(
      `ecr-scan-reporter: warning: Scan refused by an ECR quota (repositoryName=team-b/web, imageDigest=${D.webCanary}, ecrMessage="${REGISTRY_QUOTA_MESSAGE}")\n`,
    );
    expect(startedDigests()).toEqual(sorted(D.api200, D.apiUntagged, D.apiBuild42, D.workerV1, D.webCanary));
    for (const call of ecrMock.commandCalls(StartImageScanCommand)) {
      expect(Object.keys(call.args[0].input.imageId ?? {})).toEqual(['imageDigest']);
    }
  });

  test('--json: each image has its outcome (null when skipped); the summary adds the scan counts, which add up to toScan', async () => {
    mockRegistry(ecrMock);

    const { code, stdout } = await runCli(['scan', '--json', ...TEAMS]);

    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    for (const image of doc.images) expect(Object.keys(image)).toEqual([...ROW_KEYS, 'outcome']);
    expect(doc.images.map((i: { imageDigest: string; outcome: string | null }) => [i.imageDigest, i.outcome])).toEqual([
      [D.api200, 'started'],
      [D.apiUntagged, 'started'],
      [D.api190, null],
      [D.apiBuild42, 'started'],
      [D.workerV1, 'recently-scanned'],
      [D.workerV2, null],
      [D.workerIndex, null],
      [D.webProd, null],
      [D.webCanary, 'quota-exceeded'],
    ]);
    const s = doc.summary;
    expect(s).toEqual({
      command: 'scan',
      registryScanType: 'BASIC',
      scanExpiryDays: 7,
      repositoriesListed: 5,
      repositoriesSelected: 3,
      repositoriesGone: 0,
      imagesEvaluated: 9,
      toScan: 5,
      skipped: skippedWith({ 'fresh': 1, 'in-progress': 1, 'unsupported-image': 1, 'image-index': 1 }),
      scansStarted: 3,
      recentlyScanned: 1,
      quotaExceeded: 1,
      refused: 0,
    });
    expect(s.scansStarted + s.recentlyScanned + s.quotaExceeded + s.refused).toBe(s.toScan);
  });

  test('the per-image quota message is what makes recently-scanned; an image deleted before its scan is image-gone, counted as refused', async () => {
    mockRegistry(ecrMock);
    ecrMock.on(StartImageScanCommand, { imageId: { imageDigest: D.apiBuild42 } }).rejects(serviceError('ImageNotFoundException', 'The image requested does not exist'));

    const { stdout } = await runCli(['scan', '--json', '--repository-pattern', '^team-a/']);

    const doc = JSON.parse(stdout);
    const outcome = (d: string) => doc.images.find((i: { imageDigest: string }) => i.imageDigest === d).outcome;
    expect(outcome(D.apiBuild42)).toBe('image-gone');
    expect(outcome(D.workerV1)).toBe('recently-scanned');
    expect(PER_IMAGE_QUOTA_MESSAGE).toMatch(/per image/);
    expect(doc.summary).toMatchObject({ scansStarted: 2, recentlyScanned: 1, quotaExceeded: 0, refused: 1 });
  });
});

/** Where each column of a table line starts: runs of text separated by two spaces or more (no cell holds two spaces). */
function columnStarts(line: string): number[] {
  return [...line.matchAll(/\S+(?: \S+)*/g)].map((m) => m.index);
}

/** The table of a text output: the header and the rows, up to the blank line before the summary. */
function tableLines(stdout: string): string[] {
  return stdout.slice(0, stdout.indexOf('\n\nSummary')).split('\n');
}

describe('the table', () => {
  test.each(['plan', 'scan'])(
    '%s over repositories with very different finding counts: every row\'s columns start at the header\'s offsets, TAGS last',
    async (command) => {
      mockRegistry(ecrMock, { fixture: 'findings-registry.json' });

      const { code, stdout } = await runCli([command]);

      expect(code).toBe(0);
      const [header, ...rows] = tableLines(stdout);
      expect(rows).toHaveLength(11);
      const starts = columnStarts(header);
      expect(starts).toHaveLength(command === 'scan' ? 13 : 12);
      for (const row of rows) expect({ row, starts: columnStarts(row) }).toEqual({ row, starts });
      expect(header.endsWith('  TAGS')).toBe(true);
      // What the fixture makes of the columns: tens of thousands, none, and values longer than their column.
      const cells = (digestKey: string) => rows.find((r) => r.includes(digest(digestKey).slice(7, 19)))!;
      expect(cells('debian-11')).toMatch(/ 120 +1,503 +9,874 +48k +1,200 +11,bullseye$/);
      expect(cells('api-3.1.0')).toMatch(/ - +1 +- +- +- +v3\.1\.0,latest$/);
      expect(cells('etl-eligibility')).toContain('  SCAN_ELIGIBILITY…  ');
      expect(cells('etl-no-time')).toContain('  complete-without…  ');
    },
  );

  test('--json carries the values the table cuts or shortens, whole', async () => {
    mockRegistry(ecrMock, { fixture: 'findings-registry.json' });
    const doc = JSON.parse((await runCli(['plan', '--json'])).stdout);
    const image = (key: string) => doc.images.find((i: { imageDigest: string }) => i.imageDigest === digest(key));
    expect(image('debian-11').severityCounts).toEqual({ CRITICAL: 120, HIGH: 1503, MEDIUM: 9874, LOW: 48211, INFORMATIONAL: 1200 });
    expect(image('etl-eligibility')).toMatchObject({ status: 'SCAN_ELIGIBILITY_EXPIRED', reason: 'not-scannable' });
    expect(image('etl-no-time')).toMatchObject({ status: 'COMPLETE', lastScanCompletedAt: null, reason: 'complete-without-timestamp' });
  });
});

describe('--only-due and --summary-only', () => {
  /** The summary part of a text output. */
  const summaryText = (stdout: string) => stdout.slice(stdout.indexOf('Summary'));

  test.each(['plan', 'scan'])('%s --only-due: the header and the due rows only; the summary counts every image', async (command) => {
    mockRegistry(ecrMock);
    const full = await runCli([command, ...TEAMS]);
    ecrMock.reset();
    mockRegistry(ecrMock);

    const { code, stdout, stderr } = await runCli([command, '--only-due', ...TEAMS]);

    expect(code).toBe(0);
    const [header, ...rows] = tableLines(stdout);
    expect(header).toBe(tableLines(full.stdout)[0]);
    expect(rows).toEqual(tableLines(full.stdout).slice(1).filter((row) => /^\S+ +\S+ +\S+ +(\S+ \S+|-) +scan /.test(row)));
    expect(rows).toHaveLength(5);
    expect(summaryText(stdout)).toBe(summaryText(full.stdout));
    expect(summaryText(stdout)).toContain('9 evaluated: 5 to scan, 4 skipped');
    expect(stderr).toBe(full.stderr);
  });

  test('scan --only-due starts the same scans as scan', async () => {
    mockRegistry(ecrMock);
    await runCli(['scan', '--only-due', ...TEAMS]);
    expect(startedDigests()).toEqual(sorted(D.api200, D.apiUntagged, D.apiBuild42, D.workerV1, D.webCanary));
  });

  test.each(['plan', 'scan'])('%s --json --only-due: images are the due ones, with every field; the summary is the whole run\'s', async (command) => {
    mockRegistry(ecrMock);
    const full = JSON.parse((await runCli([command, '--json', ...TEAMS])).stdout);
    ecrMock.reset();
    mockRegistry(ecrMock);

    const doc = JSON.parse((await runCli([command, '--json', '--only-due', ...TEAMS])).stdout);

    expect(doc.images).toEqual(full.images.filter((i: { action: string }) => i.action === 'scan'));
    const due = [D.api200, D.apiUntagged, D.apiBuild42, D.workerV1, D.webCanary];
    expect(doc.images.map((i: { imageDigest: string }) => i.imageDigest)).toEqual(due);
    expect(doc.summary).toEqual(full.summary);
  });

  test.each(['plan', 'scan'])('%s --summary-only: the summary alone, no header, no rows, no blank line', async (command) => {
    mockRegistry(ecrMock);
    const full = await runCli([command, ...TEAMS]);
    ecrMock.reset();
    mockRegistry(ecrMock);

    const { code, stdout } = await runCli([command, '--summary-only', ...TEAMS]);

    expect(code).toBe(0);
    expect(stdout).toBe(summaryText(full.stdout));
    expect(stdout.startsWith(`Summary (${command}; registry scan type BASIC; scan expiry 7 days)\n`)).toBe(true);
  });

  test.each(['plan', 'scan'])('%s --json --summary-only: a document of the summary only, with no images key', async (command) => {
    mockRegistry(ecrMock);
    const full = JSON.parse((await runCli([command, '--json', ...TEAMS])).stdout);
    ecrMock.reset();
    mockRegistry(ecrMock);

    const { stdout } = await runCli([command, '--json', '--summary-only', ...TEAMS]);

    const doc = JSON.parse(stdout);
    expect(Object.keys(doc)).toEqual(['summary']);
    expect(doc.summary).toEqual(full.summary);
    expect(stdout.endsWith('}\n')).toBe(true);
  });

  test('--json --summary-only, a run that fails part way: the summary so far and the error', async () => {
    mockRegistry(ecrMock);
    ecrMock.on(DescribeImagesCommand, { repositoryName: 'team-b/web' }).rejects(serviceError('ThrottlingException', 'Rate exceeded'));

    const { code, stdout } = await runCli(['plan', '--json', '--summary-only', ...TEAMS]);

    expect(code).toBe(1);
    const doc = JSON.parse(stdout);
    expect(Object.keys(doc)).toEqual(['summary', 'error']);
    expect(doc.summary).toMatchObject({ imagesEvaluated: 7, toScan: 4 });
    expect(doc.error).toEqual({ name: 'ThrottlingException', message: 'Rate exceeded' });
  });
});

describe('a registry under enhanced scanning', () => {
  test('plan lists every image as skip enhanced-scanning, reads no scan state, and says why on stderr', async () => {
    mockRegistry(ecrMock, { scanType: 'ENHANCED' });

    const { code, stdout, stderr } = await runCli(['plan', '--json', ...TEAMS]);

    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.images).toHaveLength(9);
    for (const image of doc.images) {
      expect(image).toMatchObject({ status: null, lastScanCompletedAt: null, severityCounts: {}, action: 'skip', reason: 'enhanced-scanning' });
    }
    expect(doc.summary).toMatchObject({ registryScanType: 'ENHANCED', imagesEvaluated: 9, toScan: 0, skipped: skippedWith({ 'enhanced-scanning': 9 }) });
    // Every selected repository under a rule, and no image with a recorded pull: no gap.
    expect(doc.summary.coverageGaps).toEqual({ repositoriesNotCovered: [], monitoringExpired: 0, pulledWithinDays: 30 });
    expect(stderr).toBe(
      'ecr-scan-reporter: the registry uses enhanced scanning: Amazon Inspector rescans continuously, so every image is skipped (enhanced-scanning)\n',
    );
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
  });

  test('plan names the coverage gaps: repositories no filter covers, and images pulled within the window whose monitoring expired', async () => {
    mockRegistry(ecrMock, { scanType: 'ENHANCED', notCovered: ['team-b/web'] });
    const DAY = 86_400_000;
    const pulledAgo = (days: number) => new Date(NOW.getTime() - days * DAY);
    const entries = {
      expiredPulled: { imageDigest: digest('expired-pulled'), imageTags: ['v3'], lastRecordedPullTime: pulledAgo(2) },
      expiredOld: { imageDigest: digest('expired-old'), imageTags: ['v1'], lastRecordedPullTime: pulledAgo(45) },
      activePulled: { imageDigest: digest('active-pulled'), imageTags: ['v4'], lastRecordedPullTime: pulledAgo(1) },
      neverPulled: { imageDigest: digest('never-pulled'), imageTags: ['v0'] },
    };
    ecrMock.on(DescribeImagesCommand).callsFake(async (input: { repositoryName?: string }) => ({
      imageDetails: input.repositoryName === 'team-a/api' ? Object.values(entries).map((e) => ({ repositoryName: 'team-a/api', imagePushedAt: pulledAgo(90), ...e })) : [],
    }));
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(async (input: { imageId?: { imageDigest?: string } }) => ({
      imageScanStatus: { status: input.imageId?.imageDigest === entries.activePulled.imageDigest ? 'ACTIVE' : 'SCAN_ELIGIBILITY_EXPIRED' },
    }));

    const json = await runCli(['plan', '--json', '--pulled-within-days', '30', ...TEAMS]);
    ecrMock.resetHistory();
    const text = await runCli(['plan', '--pulled-within-days', '30', ...TEAMS]);

    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.summary.coverageGaps).toEqual({ repositoriesNotCovered: ['team-b/web'], monitoringExpired: 1, pulledWithinDays: 30 });
    const byDigest = Object.fromEntries(doc.images.map((i: { imageDigest: string }) => [i.imageDigest, i]));
    expect(byDigest[entries.expiredPulled.imageDigest]).toMatchObject({ status: 'SCAN_ELIGIBILITY_EXPIRED', reason: 'enhanced-scanning', coverageGap: 'monitoring-expired' });
    expect(byDigest[entries.activePulled.imageDigest]).toMatchObject({ status: 'ACTIVE' });
    expect(byDigest[entries.activePulled.imageDigest]).not.toHaveProperty('coverageGap');
    // Outside the window, or never pulled: not worth a status read, and no gap.
    expect(byDigest[entries.expiredOld.imageDigest]).toMatchObject({ status: null });
    expect(byDigest[entries.expiredOld.imageDigest]).not.toHaveProperty('coverageGap');
    expect(byDigest[entries.neverPulled.imageDigest]).toMatchObject({ status: null });
    // Only the images pulled within the window are read: two calls, never one per image.
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 2);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
    expect(text.stdout).toContain(
      '  coverage gaps 1 repository no enhanced scanning filter covers (team-b/web); 1 image pulled within 30 days whose monitoring expired\n',
    );
  });

  test('a window outside 1 to 3650 days is refused (exit 2)', async () => {
    mockRegistry(ecrMock, { scanType: 'ENHANCED' });
    const { code, stderr } = await runCli(['plan', '--pulled-within-days', '0', ...TEAMS]);
    expect(code).toBe(2);
    expect(stderr).toContain('--pulled-within-days must be a whole number from 1 to 3650 (given "0")');
  });

  test('scan starts nothing, walks nothing, and says why on stderr; exit 0', async () => {
    mockRegistry(ecrMock, { scanType: 'ENHANCED' });

    const { code, stdout, stderr } = await runCli(['scan', '--json', ...TEAMS]);

    expect(code).toBe(0);
    const doc = JSON.parse(stdout);
    expect(doc.images).toEqual([]);
    expect(doc.summary).toMatchObject({ command: 'scan', registryScanType: 'ENHANCED', repositoriesSelected: 3, imagesEvaluated: 0, scansStarted: 0 });
    expect(stderr).toBe(
      'ecr-scan-reporter: the registry uses enhanced scanning: Amazon Inspector rescans continuously and StartImageScan is not allowed, ' +
        'so no scan was started; run plan to list the images\n',
    );
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
  });
});

describe('repositories', () => {
  test('one deleted since it was listed is a logged skip, counted; the others are done', async () => {
    mockRegistry(ecrMock, { gone: ['team-a/worker'] });

    const { code, stdout, stderr } = await runCli(['scan', ...TEAMS]);

    expect(code).toBe(0);
    expect(stderr).toContain(
      "ecr-scan-reporter: skipped the repository team-a/worker: it was deleted since it was listed (The repository with name 'team-a/worker' does not exist in the registry with id '123456789012')\n",
    );
    expect(stdout).toContain('  repositories  5 listed, 3 selected, 1 deleted since listed (skipped)\n');
    expect(stdout).not.toContain('team-a/worker ');
    expect(describedRepositories()).toEqual(['team-a/api', 'team-a/api', 'team-a/worker', 'team-b/web']);
    expect(startedDigests()).toEqual(sorted(D.api200, D.apiUntagged, D.apiBuild42, D.webCanary));
  });

  test('when the patterns select nothing, stderr says so and the document is still whole', async () => {
    mockRegistry(ecrMock);

    const { code, stdout, stderr } = await runCli(['plan', '--json', '--repository-pattern', '^nothing$']);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ images: [], summary: { repositoriesListed: 5, repositoriesSelected: 0, imagesEvaluated: 0 } });
    expect(stderr).toBe('ecr-scan-reporter: no repository selected (5 listed); check --repository-pattern and --exclude-pattern\n');
  });

  test('an empty registry: no repository selected, no pattern to blame', async () => {
    mockRegistry(ecrMock);
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
    const { code, stderr } = await runCli(['plan']);
    expect(code).toBe(0);
    expect(stderr).toBe('ecr-scan-reporter: no repository selected (0 listed)\n');
  });
});

/** The events of a run that show progress: stderr lines that are not logs. */
function progressLines(stderr: string): string[] {
  return stderr.split(/\n|\r\x1b\[K/).filter((line) => /^ecr-scan-reporter: (repository \d|listing|reading)/.test(line));
}

describe('progress', () => {
  test('a long run writes progress lines to stderr at the interval, never to stdout; --json stays one document', async () => {
    mockRegistry(ecrMock);

    // Every read of the clock moves it 1 s; a line at most every 3 s.
    const { stdout, stderr } = await runCli(['scan', '--json', ...TEAMS], { tickMs: 1_000, progressIntervalMs: 3_000 });

    expect(JSON.parse(stdout).summary.scansStarted).toBe(3);
    expect(stdout).not.toMatch(/evaluated|listing/);
    const lines = progressLines(stderr);
    expect(lines).toEqual([
      'ecr-scan-reporter: repository 1/3, 1 image evaluated, 1 to scan, 1 scan started',
      'ecr-scan-reporter: repository 1/3, 4 images evaluated, 3 to scan, 3 scans started',
      'ecr-scan-reporter: repository 2/3, 7 images evaluated, 4 to scan, 3 scans started',
    ]);
  });

  test('listing a large registry shows progress too', async () => {
    mockRegistry(ecrMock);
    const { stderr } = await runCli(['plan', '--json', ...TEAMS], { tickMs: 1_000, progressIntervalMs: 1_000 });
    expect(progressLines(stderr).slice(0, 2)).toEqual([
      'ecr-scan-reporter: listing repositories: 3 listed, 2 selected',
      'ecr-scan-reporter: listing repositories: 5 listed, 3 selected',
    ]);
  });

  test('under enhanced scanning, reading the scanning configurations of many repositories shows progress, 25 a call', async () => {
    const repositories = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`team-a/service-${String(i).padStart(2, '0')}`, 1]));
    mockLargeRegistry(ecrMock, repositories);
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: '123456789012', scanningConfiguration: { scanType: 'ENHANCED', rules: [] } });
    ecrMock.on(BatchGetRepositoryScanningConfigurationCommand).callsFake(async (input: { repositoryNames?: string[] }) => ({
      scanningConfigurations: (input.repositoryNames ?? []).map((repositoryName) => ({ repositoryName, scanFrequency: 'MANUAL', appliedScanFilters: [] })),
      failures: [],
    }));

    const { code, stdout, stderr } = await runCli(['plan', '--json'], { tickMs: 1_000, progressIntervalMs: 1_000 });

    expect(code).toBe(0);
    expect(JSON.parse(stdout).summary.coverageGaps.repositoriesNotCovered).toHaveLength(60);
    expect(ecrMock).toHaveReceivedCommandTimes(BatchGetRepositoryScanningConfigurationCommand, 3);
    expect(progressLines(stderr).filter((l) => l.includes('scanning configurations'))).toEqual([
      'ecr-scan-reporter: reading scanning configurations: 25/60 repositories',
      'ecr-scan-reporter: reading scanning configurations: 50/60 repositories',
      'ecr-scan-reporter: reading scanning configurations: 60/60 repositories',
    ]);
  });

  test('a short run prints no progress', async () => {
    mockRegistry(ecrMock);
    const { stderr } = await runCli(['plan', ...TEAMS], { tickMs: 1, progressIntervalMs: 3_000 });
    expect(stderr).toBe('');
  });

  test('on a terminal the line is rewritten in place and erased before any other output, and at the end', async () => {
    mockRegistry(ecrMock);

    const { events, stdout } = await runCli(['scan', ...TEAMS], { tty: true, tickMs: 1_000, progressIntervalMs: 2_000 });

    let showing = false;
    let shown = 0;
    for (const event of events) {
      if (event === 'err:\r\x1b[K') {
        showing = false;
      } else if (event.startsWith('err:\r\x1b[K')) {
        expect(event).not.toContain('\n');
        showing = true;
        shown++;
      } else {
        // A table row, the summary or a log line never lands after a progress line on the same terminal line.
        expect(showing).toBe(false);
      }
    }
    expect(shown).toBeGreaterThanOrEqual(3);
    expect(showing).toBe(false);
    expect(stdout).not.toContain('\x1b');
  });
});

describe('logs', () => {
  test('info and debug of the walk only with --verbose, on stderr', async () => {
    mockRegistry(ecrMock);

    const quiet = await runCli(['plan', '--repository-pattern', '^team-a/api$']);
    const verbose = await runCli(['plan', '--verbose', '--repository-pattern', '^team-a/api$']);

    expect(quiet.stderr).toBe('');
    expect(verbose.stderr).toBe(
      `ecr-scan-reporter: debug: Image skipped (repositoryName=team-a/api, imageDigest=${D.api190}, reason=fresh, ` +
        'detail="last scanned 1d 4h ago, within the expiry of 7d", status=COMPLETE)\n',
    );
    expect(verbose.stdout).toBe(quiet.stdout);
  });

  test('an unknown status is a warning even without --verbose', async () => {
    mockRegistry(ecrMock);
    ecrMock
      .on(DescribeImageScanFindingsCommand, { imageId: { imageDigest: D.api200 } })
      // A status and a severity ECR may add later.
      .resolves({ imageScanStatus: { status: 'QUANTUM_PENDING' }, imageScanFindings: { findingSeverityCounts: { NEW_LEVEL: 3 } } } as unknown as DescribeImageScanFindingsCommandOutput);

    const { stderr, stdout } = await runCli(['plan', '--repository-pattern', '^team-a/api$']);

    expect(stderr).toMatch(/^ecr-scan-reporter: warning: Image skipped \(repositoryName=team-a\/api, imageDigest=sha256:e4dbfe\w+, reason=unknown-status, detail="unknown scan status \\"QUANTUM_PENDING\\"; left alone", status=QUANTUM_PENDING\)\n$/);
    // The unknown severity is added up under OTHER.
    expect(stdout).toContain('team-a/api  e4dbfe368633  QUANTUM_PENDING    -                  skip    unknown-status     -         -      -       -      3      v2.0.0');
  });
});

describe('AWS errors', () => {
  test('an AWS error before the walk: name and message on stderr, nothing on stdout, exit 1', async () => {
    mockRegistry(ecrMock);
    ecrMock.on(DescribeRepositoriesCommand).rejects(serviceError('AccessDeniedException', 'User is not authorized to perform: ecr:DescribeRepositories'));

    const { code, stdout, stderr } = await runCli(['plan', '--json']);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'ecr-scan-reporter: AWS error while listing the repositories: AccessDeniedException: User is not authorized to perform: ecr:DescribeRepositories; ' +
        'the identity lacks an ECR permission (ecr-scan-reporter --help lists the ones needed)\n',
    );
  });

  test('an AWS error in one repository: the JSON document is closed with the summary so far and the error; stderr says how to go on', async () => {
    mockRegistry(ecrMock);
    ecrMock
      .on(DescribeImagesCommand, { repositoryName: 'team-a/worker' })
      .rejects(serviceError('AccessDeniedException', 'not authorized by the repository policy'));

    const { code, stdout, stderr } = await runCli(['scan', '--json', ...TEAMS]);

    expect(code).toBe(1);
    const doc = JSON.parse(stdout);
    expect(doc.images.map((i: { repositoryName: string }) => i.repositoryName)).toEqual(['team-a/api', 'team-a/api', 'team-a/api', 'team-a/api']);
    expect(doc.summary).toMatchObject({ imagesEvaluated: 4, scansStarted: 3 });
    expect(doc.error).toEqual({ name: 'AccessDeniedException', message: 'not authorized by the repository policy' });
    expect(stderr).toBe(
      'ecr-scan-reporter: AWS error while walking the repository team-a/worker: AccessDeniedException: not authorized by the repository policy; ' +
        "the identity lacks an ECR permission (ecr-scan-reporter --help lists the ones needed); to go on without this repository, pass --exclude-pattern '(?:legacy)|^team-a/worker$'\n",
    );
    expect(ecrMock).not.toHaveReceivedCommandWith(DescribeImagesCommand, { repositoryName: 'team-b/web' });
  });

  test('throttling that outlasts the retries stops the run: the table ends with the summary so far, no exclusion hint', async () => {
    mockRegistry(ecrMock);
    ecrMock.on(DescribeImagesCommand, { repositoryName: 'team-b/web' }).rejects(serviceError('ThrottlingException', 'Rate exceeded'));

    const { code, stdout, stderr } = await runCli(['plan', ...TEAMS]);

    expect(code).toBe(1);
    expect(stdout).toContain('\nSummary so far, the run failed (plan; registry scan type BASIC; scan expiry 7 days)\n');
    expect(stdout).toContain('  images        7 evaluated: 4 to scan, 3 skipped\n');
    expect(stderr).toBe('ecr-scan-reporter: AWS error while walking the repository team-b/web: ThrottlingException: Rate exceeded\n');
  });

  test('a bug prints its stack, exit 1', async () => {
    mockRegistry(ecrMock);
    ecrMock.on(DescribeImagesCommand).callsFake(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'imageDetails')");
    });

    const { code, stderr } = await runCli(['plan', ...TEAMS]);

    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^ecr-scan-reporter: unexpected error while walking the repository team-a\/api \(a bug in ecr-scan-reporter; please report it with what follows\):\nTypeError: Cannot read properties/,
    );
    expect(stderr).toContain('\n    at ');
    expect(stderr).not.toContain('--exclude-pattern');
  });

  test('excludeHint escapes the name and keeps the exclusions given', () => {
    expect(excludeHint('team.a/api', undefined)).toBe("; to go on without this repository, pass --exclude-pattern '^team\\.a/api$'");
    expect(excludeHint('x', 'a|b')).toBe("; to go on without this repository, pass --exclude-pattern '(?:a|b)|^x$'");
  });
});

describe('the AWS configuration, resolved by the real SDK before any request', () => {
  const saved = { ...process.env };
  let dir: string;
  let files = 0;

  /** A fresh config file (the SDK caches files by path, so each test gets its own). */
  function configFile(text: string): string {
    const file = join(dir, `config-${++files}`);
    writeFileSync(file, text);
    process.env.AWS_CONFIG_FILE = file;
    return file;
  }

  const real = { createEcrClient: (config: object) => createEcrClient(config) };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cli-aws-config-'));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith('AWS_')) delete process.env[key];
    process.env.AWS_CONFIG_FILE = join(dir, 'no-config');
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'no-credentials');
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    mockRegistry(ecrMock);
  });

  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  test('no credentials anywhere: says how to provide them; no request is made; exit 1', async () => {
    process.env.AWS_REGION = 'us-east-1';

    const { code, stdout, stderr } = await runCli(['plan', '--json'], real);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'ecr-scan-reporter: could not load AWS credentials (Could not load credentials from any providers). ' +
        'Provide them with a profile: --profile NAME or AWS_PROFILE=NAME (for IAM Identity Center, run `aws sso login --profile NAME` first), ' +
        'or with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)\n',
    );
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('no region anywhere: says to pass --region or set AWS_REGION; exit 1', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

    const { code, stderr } = await runCli(['scan'], real);

    expect(code).toBe(1);
    expect(stderr).toBe(
      'ecr-scan-reporter: no AWS region is set: pass --region REGION (e.g. --region us-east-1) or set AWS_REGION, or set a region in your profile (~/.aws/config)\n',
    );
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('--profile: the region and credentials of that profile are used', async () => {
    configFile(['[profile dev]', 'region = eu-west-1', 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'aws_secret_access_key = secret', ''].join('\n'));

    const { code, configs } = await runCli(['plan', '--profile', 'dev', ...TEAMS], real);

    expect(code).toBe(0);
    expect(configs).toEqual([{ region: undefined, profile: 'dev' }]);
    const client = ecrMock.commandCalls(GetRegistryScanningConfigurationCommand)[0].thisValue as ECRClient;
    expect(await client.config.region()).toBe('eu-west-1');
    expect((await client.config.credentials()).accessKeyId).toBe('AKIAIOSFODNN7EXAMPLE');
  });

  test('a profile without a region: the message names the profile', async () => {
    configFile(['[profile dev]', 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE', 'aws_secret_access_key = secret', ''].join('\n'));

    const { code, stderr } = await runCli(['plan', '--profile', 'dev'], real);

    expect(code).toBe(1);
    expect(stderr).toBe(
      'ecr-scan-reporter: no AWS region is set: pass --region REGION (e.g. --region us-east-1) or set AWS_REGION, or add region = ... to the profile "dev" in ~/.aws/config\n',
    );
  });

  test('a profile that does not exist is a credentials problem naming the profile', async () => {
    const { code, stderr } = await runCli(['plan', '--profile', 'nope', '--region', 'us-east-1'], real);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ecr-scan-reporter: could not load AWS credentials for the profile "nope" \(.+\)\. Provide them with a profile: /);
  });

  test('AWS_DEFAULT_REGION is used when AWS_REGION is not set; AWS_REGION and --region come first', async () => {
    const withDefault = await runCli(['plan', ...TEAMS], { env: { AWS_DEFAULT_REGION: 'eu-central-1' } });
    const withBoth = await runCli(['plan', ...TEAMS], { env: { AWS_DEFAULT_REGION: 'eu-central-1', AWS_REGION: 'eu-west-3' } });
    const withFlag = await runCli(['plan', '--region', 'ap-south-1', ...TEAMS], { env: { AWS_DEFAULT_REGION: 'eu-central-1', AWS_REGION: 'eu-west-3' } });

    expect(withDefault.configs).toEqual([{ region: 'eu-central-1', profile: undefined }]);
    // Left to the SDK, which reads AWS_REGION itself.
    expect(withBoth.configs).toEqual([{ region: undefined, profile: undefined }]);
    expect(withFlag.configs).toEqual([{ region: 'ap-south-1', profile: undefined }]);
  });

  test.each([
    [['--region', 'moon-1'], {}, '"moon-1" (from --region)'],
    [['--region', 'eu_west'], {}, '"eu_west" (from --region)'],
    [[], { AWS_REGION: 'moon-1' }, '"moon-1" (from AWS_REGION)'],
    [[], { AWS_DEFAULT_REGION: 'us-east' }, '"us-east" (from AWS_DEFAULT_REGION)'],
  ])('an invalid region name %j %j is refused before any request, exit 1', async (flags, env, quoted) => {
    Object.assign(process.env, env);
    process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';

    const { code, stdout, stderr } = await runCli(['plan', ...flags], { ...real, env });

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `ecr-scan-reporter: ${quoted} is not an AWS region name; region names look like us-east-1 or eu-west-2: pass a valid one with --region or AWS_REGION\n`,
    );
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('a well-formed region that does not exist: the DNS failure names the region and the endpoint host, no stack, exit 1', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    // What the SDK's Node.js HTTP handler rejects with when the host does not resolve.
    const enotfound = Object.assign(new Error('getaddrinfo ENOTFOUND api.ecr.us-east-9.amazonaws.com'), {
      errno: -3008,
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname: 'api.ecr.us-east-9.amazonaws.com',
      $metadata: { attempts: 1, totalRetryDelay: 0 },
    });
    ecrMock.on(GetRegistryScanningConfigurationCommand).rejects(enotfound);

    const { code, stdout, stderr } = await runCli(['scan', '--region', 'us-east-9'], real);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'ecr-scan-reporter: cannot find the ECR endpoint host api.ecr.us-east-9.amazonaws.com while reading the registry scanning configuration (ENOTFOUND): ' +
        'check that the region "us-east-9" (from --region) exists and is spelled right (--region or AWS_REGION), and that this machine can resolve DNS names\n',
    );
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
  });
});

describe('stdout', () => {
  test('a reader that goes away (`| head`) stops the run quietly, exit 0', async () => {
    mockRegistry(ecrMock);
    let onError: ((error: Error) => void) | undefined;
    const written: string[] = [];
    const stdout = {
      write(chunk: string) {
        written.push(chunk);
        // The reader closes after the header: the next write fails with EPIPE, as Node.js reports it.
        if (written.length === 2) onError?.(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        return true;
      },
      on(_event: 'error', listener: (error: Error) => void) {
        onError = listener;
      },
    };
    const stderr: string[] = [];

    const code = await main(['scan', ...TEAMS], {
      createEcrClient: (config) => createEcrClient({ ...config, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
      stdout,
      stderr: { write: (chunk: string) => stderr.push(chunk) },
      env: {},
      now: () => NOW,
      clock: () => 0,
    });

    expect(code).toBe(0);
    expect(stderr).toEqual([]);
    expect(written).toHaveLength(2);
    expect(describedRepositories()).toEqual(['team-a/api']);
    // The first page's scans were already under way; nothing after it.
    expect(startedDigests()).toEqual(sorted(D.api200, D.apiUntagged));
  });

  /**
   * A stdout whose reader goes away after `writes` writes, as a pipe's does: the next write fails
   * with EPIPE, which marks the stream at once (errored) and emits 'error' a tick later.
   */
  function closingStdout(writes: number) {
    const chunks: string[] = [];
    let calls = 0;
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (++calls > writes) {
          callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }));
          return;
        }
        chunks.push(chunk.toString());
        callback();
      },
    });
    return { stream, chunks };
  }

  const quietDeps = (stdout: Writable, stderr: string[]) => ({
    createEcrClient: (config: object) => createEcrClient({ ...config, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    stdout,
    stderr: { write: (chunk: string) => stderr.push(chunk) },
    env: {},
    now: () => NOW,
    clock: () => 0,
  });

  test('a pipe that closes (`plan | head -3`): the walk starts no more ECR work, nothing on stderr, exit 0', async () => {
    // 2,500 + 2,500 never-scanned images: a whole walk would cost 5,000 DescribeImageScanFindings calls.
    mockLargeRegistry(ecrMock, { 'big/one': 2_500, 'big/two': 2_500 });
    const { stream, chunks } = closingStdout(3);
    const stderr: string[] = [];

    const code = await main(['plan'], quietDeps(stream, stderr));

    expect(code).toBe(0);
    expect(stderr).toEqual([]);
    expect(chunks).toHaveLength(3);
    expect(chunks[0]).toMatch(/^REPOSITORY /);
    // The 100 images under way when the pipe closed (the walk evaluates them 100 at a time), and not one more.
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand).length).toBeLessThanOrEqual(KEYS_PER_BATCH_GET);
    expect(describedRepositories()).toEqual(['big/one']);
  });

  test('a pipe that closes while the walk reads states from the listing alone: it stops within the first page', async () => {
    // Every state is in the DescribeImages entries: the walk of a page never waits for I/O, so the
    // 'error' event of the failed write would come only after the page; the failed write is seen at once.
    mockLargeRegistry(ecrMock, { 'big/one': 3_000, 'big/two': 3_000 }, true);
    const { stream } = closingStdout(3);
    const stderr: string[] = [];

    const code = await main(['scan', '--json'], quietDeps(stream, stderr));

    expect(code).toBe(0);
    expect(stderr).toEqual([]);
    expect(describedRepositories()).toEqual(['big/one']);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    // Fresh images: nothing was due, so nothing was started either.
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
  });

  test('another stdout error is not swallowed', async () => {
    mockRegistry(ecrMock);
    let onError: ((error: Error) => void) | undefined;
    const stdout = { write: () => true, on: (_e: 'error', l: (error: Error) => void) => (onError = l) };
    await main(['plan'], {
      createEcrClient: (config) => createEcrClient({ ...config, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
      stdout,
      stderr: { write: () => true },
      env: {},
      now: () => NOW,
      clock: () => 0,
    });
    expect(() => onError?.(Object.assign(new Error('disk full'), { code: 'ENOSPC' }))).toThrow('disk full');
  });

  test('a slow reader: the walk waits for stdout to drain after each group of rows, and leaves no listener behind', async () => {
    mockRegistry(ecrMock);
    const chunks: string[] = [];
    let waits = 0;
    const stdout = new Writable({
      highWaterMark: 64,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        setImmediate(callback);
      },
    });
    const once = stdout.once.bind(stdout);
    jest.spyOn(stdout, 'once').mockImplementation((event, listener) => {
      if (event === 'drain') waits++;
      return once(event, listener);
    });

    const code = await main(['plan', '--json', ...TEAMS], {
      createEcrClient: (config) => createEcrClient({ ...config, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
      stdout,
      stderr: { write: () => true },
      env: {},
      now: () => NOW,
      clock: () => 0,
    });
    await new Promise<void>((resolve) => stdout.end(resolve));

    expect(code).toBe(0);
    // One wait per group of rows, here one per page (team-a/api has two, the other repositories one): the buffer is
    // drained when each repository ends, so the wait between repositories has nothing left to wait for.
    expect(ecrMock.commandCalls(DescribeImagesCommand)).toHaveLength(4);
    expect(waits).toBe(4);
    expect(JSON.parse(chunks.join('')).images).toHaveLength(9);
    for (const event of ['drain', 'close']) expect(stdout.listenerCount(event)).toBe(0);
  });

  test('a reader that stops reading holds the walk back: no next page is asked for while stdout is full', async () => {
    // Every state is in the listing, so the walk needs no I/O of its own between pages: only stdout can hold it.
    mockLargeRegistry(ecrMock, { 'big/one': 3_000 }, true);
    let reading = false;
    const held: (() => void)[] = [];
    const chunks: string[] = [];
    const stdout = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        if (reading) setImmediate(callback);
        else held.push(callback);
      },
    });
    const stderr: string[] = [];
    const run = main(['plan'], quietDeps(stdout, stderr));

    await new Promise((resolve) => setTimeout(resolve, 200));
    // The first page of 1,000 was listed; its first rows filled the buffer; the walk waits.
    expect(ecrMock.commandCalls(DescribeImagesCommand)).toHaveLength(1);
    expect(held.length).toBe(1);

    reading = true;
    held.splice(0).forEach((callback) => callback());
    expect(await run).toBe(0);
    expect(stderr).toEqual([]);
    expect(ecrMock.commandCalls(DescribeImagesCommand)).toHaveLength(3);
    expect(chunks.join('').split('\n').filter((line) => line.startsWith('big/one'))).toHaveLength(3_000);
  });

  test('repository names in the JSON are as listed, whatever the input paging', async () => {
    mockRegistry(ecrMock);
    const { stdout } = await runCli(['plan', '--json', '--repository-pattern', 'web']);
    const inputs = ecrMock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input as DescribeImagesCommandInput);
    expect(inputs).toEqual([{ repositoryName: 'team-b/web', maxResults: 1000 }]);
    expect(JSON.parse(stdout).images.map((i: { repositoryName: string }) => i.repositoryName)).toEqual(['team-b/web', 'team-b/web']);
  });
});

describe('stderrLog', () => {
  test('fields as key=value, quoted only when needed, undefined left out; info and debug only when verbose', () => {
    const lines: string[] = [];
    const quiet = stderrLog((line) => lines.push(line), false);
    quiet.debug('dropped');
    quiet.info('dropped');
    quiet.warn('Scan refused', { repositoryName: 'team-a/api', count: 3, nested: { a: [1] }, missing: undefined }, { note: 'two words' });
    quiet.error('Bare');
    const verbose = stderrLog((line) => lines.push(line), true);
    verbose.info('Shown', { ok: true });
    verbose.debug('Shown too');
    expect(lines).toEqual([
      'warning: Scan refused (repositoryName=team-a/api, count=3, nested={"a":[1]}, note="two words")',
      'error: Bare',
      'info: Shown (ok=true)',
      'debug: Shown too',
    ]);
  });
});

describe('chooseRegion', () => {
  test('names where the region comes from', () => {
    expect(chooseRegion({ region: 'eu-west-1' }, { AWS_REGION: 'us-east-1' })).toEqual({ region: 'eu-west-1', source: '--region' });
    expect(chooseRegion({}, { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'eu-west-1' })).toEqual({ source: 'AWS_REGION' });
    expect(chooseRegion({}, { AWS_DEFAULT_REGION: 'eu-west-1' })).toEqual({ region: 'eu-west-1', source: 'AWS_DEFAULT_REGION' });
    expect(chooseRegion({ profile: 'dev' }, { AWS_PROFILE: 'ops' })).toEqual({ source: 'the profile "dev"' });
    expect(chooseRegion({}, { AWS_PROFILE: 'ops' })).toEqual({ source: 'the profile "ops"' });
    expect(chooseRegion({}, {})).toEqual({ source: 'the default profile' });
  });
});

describe('--daily-scan-budget', () => {
  test('plan defers the due images beyond the budget, in the budget\'s order, and counts them; scan starts exactly that many', async () => {
    mockRegistry(ecrMock);
    const unbudgeted = JSON.parse((await runCli(['plan', '--json', ...TEAMS])).stdout);
    const due: number = unbudgeted.summary.toScan;
    expect(due).toBeGreaterThan(2);

    const json = await runCli(['plan', '--json', '--daily-scan-budget', '2', ...TEAMS]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    // Deferred images are still due: toScan is unchanged, and the budget's count is part of it.
    expect(doc.summary.toScan).toBe(due);
    expect(doc.summary.budget).toEqual({ dailyScanBudget: 2, deferred: due - 2 });
    const deferred = doc.images.filter((i: { deferredTier?: string }) => i.deferredTier !== undefined);
    expect(deferred).toHaveLength(due - 2);
    expect(deferred.every((i: { action: string }) => i.action === 'scan')).toBe(true);
    // No image is pulled in this registry and the CLI knows nothing of where images run: every due one is in the last tier.
    expect(new Set(deferred.map((i: { deferredTier: string }) => i.deferredTier))).toEqual(new Set(['other']));

    // The order within a page is tested on the walk (test/aws/rescan-repository-budget.test.ts).
    const text = await runCli(['plan', '--daily-scan-budget', '2', ...TEAMS]);
    expect(text.stdout.split('\n').filter((line) => / defer +/.test(line))).toHaveLength(due - 2);
    expect(text.stdout).toContain(`  budget        ${due - 2} due images deferred beyond the budget of 2 scans\n`);

    ecrMock.resetHistory();
    const scan = await runCli(['scan', '--json', '--daily-scan-budget', '2', ...TEAMS]);
    expect(scan.code).toBe(0);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 2);
    const scanned = JSON.parse(scan.stdout);
    expect(scanned.summary.budget).toEqual({ dailyScanBudget: 2, deferred: due - 2 });
    const unstarted = scanned.images.filter((i: { deferredTier?: string; outcome: unknown }) => i.deferredTier !== undefined && i.outcome === null);
    expect(unstarted).toHaveLength(due - 2);
  });
});
