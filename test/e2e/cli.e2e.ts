/**
 * The command-line tool as a user runs it: `bin/ecr-scan-reporter` (the shim and its
 * bundle) in a child process, configured only by the standard AWS environment variables,
 * against the emulator.
 */
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { useEmulator } from './harness';
import { runCli } from '../../local/cli-process';
import { SeededImage, seedRegistry } from '../../local/registry';
import { SAMPLE_REGISTRY, SAMPLE_SETTINGS, SampleImage } from '../../local/sample-registry';
import { SUMMARY_LEVELS, highestLevel } from '../../src/decisions/summary';

const fixture = useEmulator();
const DAY_MS = 86_400_000;
const FILTER_ARGS = [`--repository-pattern=${SAMPLE_SETTINGS.repositoryPattern}`, `--exclude-pattern=${SAMPLE_SETTINGS.excludePattern}`];

/** An environment with nothing from this machine's AWS setup: no profile, no config files. */
function isolatedEnvironment(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'cli-e2e-home-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

/** The tool in a child process, asynchronously (local/cli-process.ts), as the demo runs it. */
const run = (args: string[], env: NodeJS.ProcessEnv) => runCli(args, env);

async function seed(): Promise<{ now: Date; seeded: SeededImage[] }> {
  const now = new Date();
  const seeded = await seedRegistry(fixture().emulator, fixture().ecr, SAMPLE_REGISTRY, now);
  await fixture().emulator.resetRequests();
  return { now, seeded };
}

const selected = (seeded: SeededImage[]) => seeded.filter((i) => SAMPLE_REGISTRY.find((r) => r.name === i.repositoryName)!.selected);

test('plan --json prints the documented schema with the registry\'s truth, and starts nothing', async () => {
  const { now, seeded } = await seed();

  const result = await run(['plan', ...FILTER_ARGS, '--json'], isolatedEnvironment(fixture().emulator.environment()));

  expect(result.code).toBe(0);
  const document = JSON.parse(result.stdout);
  expect(Object.keys(document).sort()).toEqual(['images', 'summary']);
  const expectedImages = selected(seeded);
  expect(document.images).toHaveLength(expectedImages.length);
  for (const image of expectedImages) {
    const row = document.images.find((r: { imageDigest: string }) => r.imageDigest === image.imageDigest);
    const sample = image.seed as SampleImage;
    const scan = sample.scan;
    expect(Object.keys(row).sort()).toEqual(
      ['action', 'imageDigest', 'imageTags', 'lastScanCompletedAt', 'reason', 'repositoryName', 'severityCounts', 'status'].sort(),
    );
    expect(row).toMatchObject({
      repositoryName: image.repositoryName,
      imageTags: image.imageTags,
      action: sample.expected.action,
      reason: sample.expected.reason,
      status: scan.kind === 'never' ? null : scan.kind === 'complete' ? 'COMPLETE' : scan.status,
      severityCounts: scan.kind === 'complete' ? scan.severityCounts ?? {} : {},
    });
    if (scan.kind === 'complete') {
      const expectedAt = scan.daysAgo === 0 ? now.getTime() - 60_000 : now.getTime() - scan.daysAgo * DAY_MS;
      // The wire carries whole seconds at most to the millisecond: allow the rounding.
      expect(Math.abs(Date.parse(row.lastScanCompletedAt) - expectedAt)).toBeLessThan(1000);
    } else {
      expect(row.lastScanCompletedAt).toBeNull();
    }
  }
  expect(document.summary).toMatchObject({
    command: 'plan',
    registryScanType: 'BASIC',
    scanExpiryDays: 7,
    repositoriesListed: 5,
    repositoriesSelected: 3,
    imagesEvaluated: 9,
    toScan: 6,
  });
  // Only reasons that can be skips, zeros included.
  expect(document.summary.skipped).toEqual({
    'fresh': 2,
    'in-progress': 0,
    'unsupported-image': 1,
    'image-index': 0,
    'referrer': 0,
    'artifact': 0,
    'attestation': 0,
    'archived': 0,
    'enhanced-scanning': 0,
    'not-scannable': 0,
    'unknown-status': 0,
  });
  // Read-only: not one StartImageScan reached the emulator.
  expect((await fixture().emulator.requests()).filter((r) => r.operation === 'StartImageScan')).toEqual([]);
});

test('plan prints a table row per digest and a summary; progress and logs stay off stdout', async () => {
  const { seeded } = await seed();

  const result = await run(['plan', ...FILTER_ARGS], isolatedEnvironment(fixture().emulator.environment()));

  expect(result.code).toBe(0);
  const lines = result.stdout.split('\n');
  for (const image of selected(seeded)) {
    const row = lines.filter((line) => line.includes(image.imageDigest.slice(7, 19)));
    expect(row).toHaveLength(1);
    expect(row[0]).toContain(image.repositoryName);
    expect(row[0]).toContain((image.seed as SampleImage).expected.reason);
  }
  expect(result.stdout).toContain('9 evaluated: 6 to scan, 3 skipped');
  expect(result.stdout).not.toContain('tools/ci-runner');
});

test('scan starts the due scans, says what ECR refused, and a second scan starts nothing', async () => {
  const { seeded } = await seed();
  const env = isolatedEnvironment(fixture().emulator.environment());

  const first = await run(['scan', ...FILTER_ARGS, '--json'], env);

  expect(first.code).toBe(0);
  const document = JSON.parse(first.stdout);
  const due = selected(seeded).filter((i) => (i.seed as SampleImage).expected.action === 'scan');
  for (const image of selected(seeded)) {
    const row = document.images.find((r: { imageDigest: string }) => r.imageDigest === image.imageDigest);
    expect([image.repositoryName, image.imageTags, row.outcome]).toEqual([
      image.repositoryName,
      image.imageTags,
      (image.seed as SampleImage).expected.outcome ?? null,
    ]);
  }
  expect(document.summary).toMatchObject({ command: 'scan', toScan: 6, scansStarted: 5, recentlyScanned: 1, quotaExceeded: 0, refused: 0 });
  const calls = (await fixture().emulator.requests()).filter((r) => r.operation === 'StartImageScan');
  expect(calls.map((c) => c.params.imageId.imageDigest).sort()).toEqual(due.map((i) => i.imageDigest).sort());

  await fixture().emulator.resetRequests();
  const second = await run(['scan', ...FILTER_ARGS], env);

  expect(second.code).toBe(0);
  const again = (await fixture().emulator.requests()).filter((r) => r.operation === 'StartImageScan');
  expect(again.filter((c) => c.status === 200)).toEqual([]);
  expect(second.stdout).toMatch(/0 started, 4 recently scanned/);
});

test('missing credentials: a clear error and a non-zero exit, nothing on stdout', async () => {
  const env = isolatedEnvironment({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: fixture().emulator.endpoint });

  const result = await run(['plan'], env);

  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe('');
  expect(result.stderr).toMatch(/credentials/i);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(await fixture().emulator.requests()).toEqual([]);
});

test('an unknown region: a clear error naming the region', async () => {
  const { AWS_REGION: _r, AWS_DEFAULT_REGION: _d, AWS_ENDPOINT_URL: _e, ...credentials } = fixture().emulator.environment();

  const malformed = await run(['plan', '--region', 'moon_base'], isolatedEnvironment(credentials));
  const nonexistent = await run(['plan'], isolatedEnvironment({ ...credentials, AWS_REGION: 'us-east-9' }));

  expect(malformed.code).not.toBe(0);
  expect(malformed.stderr).toContain('moon_base');
  expect(nonexistent.code).not.toBe(0);
  expect(nonexistent.stderr).toContain('us-east-9');
  for (const result of [malformed, nonexistent]) {
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }
});

test('a bad pattern: exit 2 with the pattern quoted and the fix named, before any request', async () => {
  const result = await run(['plan', '--repository-pattern', '(shop'], isolatedEnvironment(fixture().emulator.environment()));

  expect(result.code).toBe(2);
  expect(result.stderr).toContain('"(shop"');
  expect(result.stderr).toMatch(/escape/);
  expect(await fixture().emulator.requests()).toEqual([]);
});

test('summary from ECR: the selected images by highest severity as JSON, text and markdown; --fail-on is a gate (exit 3); --github-step-summary appends the markdown', async () => {
  const { seeded } = await seed();
  const env = isolatedEnvironment(fixture().emulator.environment());

  const json = await run(['summary', ...FILTER_ARGS, '--format', 'json'], env);

  expect(json.code).toBe(0);
  const summary = JSON.parse(json.stdout);
  const expected: Record<string, number> = Object.fromEntries(SUMMARY_LEVELS.map((l) => [l, 0]));
  for (const image of selected(seeded)) {
    const scan = (image.seed as SampleImage).scan;
    expected[scan.kind === 'complete' ? highestLevel(scan.severityCounts ?? {}) : 'UNSCANNED']++;
  }
  expect(summary.images.tracked).toBe(selected(seeded).length);
  expect(summary.images.byHighestSeverity).toEqual(expected);
  expect(json.stderr).toContain('summarized from ECR');
  expect((await fixture().emulator.requests()).filter((r) => r.operation === 'StartImageScan')).toEqual([]);

  const text = await run(['summary', ...FILTER_ARGS], env);
  expect(text.code).toBe(0);
  expect(text.stdout).toContain(`Images tracked:     ${selected(seeded).length}`);

  // The gate: the sample has critical images among the selected ones.
  expect(expected.CRITICAL).toBeGreaterThan(0);
  const gate = await run(['summary', ...FILTER_ARGS, '--fail-on', 'CRITICAL'], env);
  expect(gate.code).toBe(3);
  expect(gate.stderr).toContain(`gate reached: ${expected.CRITICAL} image${expected.CRITICAL === 1 ? '' : 's'} with CRITICAL findings or worse`);

  const stepSummary = join(mkdtempSync(join(tmpdir(), 'cli-e2e-step-')), 'summary.md');
  const markdown = await run(['summary', ...FILTER_ARGS, '--format', 'markdown', '--github-step-summary'], { ...env, GITHUB_STEP_SUMMARY: stepSummary });
  expect(markdown.code).toBe(0);
  expect(markdown.stdout).toMatch(/^## ECR registry summary, /);
  expect(readFileSync(stepSummary, 'utf8')).toBe(markdown.stdout);
});
