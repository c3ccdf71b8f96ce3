/**
 * Coverage gaps under enhanced scanning, as `ecr-scan-reporter plan` and the deployed service name them against the
 * emulator: a repository that no scanning filter of the registry covers, and images pulled
 * within the window whose Amazon Inspector monitoring expired (../../src/decisions/coverage.ts).
 * First what the emulator's wrapper answers for BatchGetRepositoryScanningConfiguration and a
 * seeded pull time (local/emulator/server.py), checked against ECR's user guide.
 */
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import {
  BatchGetRepositoryScanningConfigurationCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  PutRegistryScanningConfigurationCommand,
} from '@aws-sdk/client-ecr';
import { Duration } from 'aws-cdk-lib';
import { deploy, rescanCycle, useEmulator } from './harness';
import { runCli } from '../../local/cli-process';
import { lambdaContext, receiveNotifications } from '../../local/pipeline';
import { summaryText } from '../../src/decisions/summary-message';
import { emfMetrics } from '../aws/helpers';

const fixture = useEmulator();
const DAY_MS = 86_400_000;
const digest = (i: number) => `sha256:${(0xc0ffee000 + i).toString(16).padStart(64, '0')}`;

/** The status ECR gives once Inspector's re-scan duration is over. */
const expired = (repositoryName: string, imageDigest: string) => ({
  registryId: fixture().emulator.accountId,
  repositoryName,
  imageId: { imageDigest },
  imageScanStatus: { status: 'SCAN_ELIGIBILITY_EXPIRED', description: 'The image is no longer eligible for scanning: its re-scan duration has passed.' },
});
const active = (repositoryName: string, imageDigest: string) => ({
  registryId: fixture().emulator.accountId,
  repositoryName,
  imageId: { imageDigest },
  imageScanStatus: { status: 'ACTIVE', description: 'Continuous scan is selected for image.' },
});

/** An enhanced registry: one continuous rule for shop/*, one scan-on-push rule that also matches shop/web, nothing for tools/. */
async function seed(now: Date): Promise<void> {
  const { ecr, emulator } = fixture();
  for (const repositoryName of ['shop/web', 'shop/api', 'tools/ci-runner']) await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  await ecr.send(
    new PutRegistryScanningConfigurationCommand({
      scanType: 'ENHANCED',
      rules: [
        { scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: 'shop/*', filterType: 'WILDCARD' }] },
        { scanFrequency: 'SCAN_ON_PUSH', repositoryFilters: [{ filter: 'web', filterType: 'WILDCARD' }] },
      ],
    }),
  );
  const ago = (days: number) => new Date(now.getTime() - days * DAY_MS);
  await emulator.seedImages('shop/web', [
    // Pulled two days ago, monitoring expired: a gap.
    { imageDigest: digest(1), tags: ['v3'], pushedAt: ago(200), lastScan: ago(20), lastRecordedPullTime: ago(2), findings: expired('shop/web', digest(1)) },
    // Expired, last pulled 45 days ago: what the re-scan duration is for, not a gap.
    { imageDigest: digest(2), tags: ['v1'], pushedAt: ago(300), lastScan: ago(60), lastRecordedPullTime: ago(45), findings: expired('shop/web', digest(2)) },
    // Pulled yesterday and monitored.
    { imageDigest: digest(3), tags: ['v4'], pushedAt: ago(10), lastScan: ago(1), lastRecordedPullTime: ago(1), findings: active('shop/web', digest(3)) },
    // Never pulled.
    { imageDigest: digest(4), tags: ['v0'], pushedAt: ago(400), lastScan: ago(90), findings: expired('shop/web', digest(4)) },
  ]);
  await emulator.seedImages('tools/ci-runner', [{ imageDigest: digest(5), tags: ['latest'], pushedAt: ago(5), lastRecordedPullTime: ago(1) }]);
  await emulator.resetRequests();
}

function isolatedEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'coverage-e2e-home-'));
  return { PATH: process.env.PATH, HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extra };
}

test('the emulator applies the registry\'s rules as ECR does, at the time of the call, and reports a seeded pull time', async () => {
  const now = new Date();
  await seed(now);
  const { ecr } = fixture();
  // Created after the rules were put: still under them.
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'shop/late' }));

  const answer = await ecr.send(
    new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: ['shop/web', 'shop/api', 'tools/ci-runner', 'shop/late', 'gone'] }),
  );

  const byName = Object.fromEntries((answer.scanningConfigurations ?? []).map((c) => [c.repositoryName, c]));
  // Both rules match shop/web; the continuous one wins.
  expect(byName['shop/web']).toMatchObject({ scanFrequency: 'CONTINUOUS_SCAN', scanOnPush: false, appliedScanFilters: [{ filter: 'shop/*', filterType: 'WILDCARD' }] });
  expect(byName['shop/late']).toMatchObject({ scanFrequency: 'CONTINUOUS_SCAN' });
  expect(byName['tools/ci-runner']).toMatchObject({ scanFrequency: 'MANUAL', scanOnPush: false, appliedScanFilters: [] });
  expect(answer.failures).toEqual([{ repositoryName: 'gone', failureCode: 'REPOSITORY_NOT_FOUND', failureReason: 'REPOSITORY_NOT_FOUND' }]);

  const images = await ecr.send(new DescribeImagesCommand({ repositoryName: 'shop/web' }));
  const pulled = images.imageDetails?.find((d) => d.imageDigest === digest(1))?.lastRecordedPullTime;
  expect(Math.abs((pulled?.getTime() ?? 0) - (now.getTime() - 2 * DAY_MS))).toBeLessThan(1000);
  expect(images.imageDetails?.find((d) => d.imageDigest === digest(4))?.lastRecordedPullTime).toBeUndefined();
});

test('plan --json names the uncovered repository and the one recently pulled image whose monitoring expired, reading only pulled images', async () => {
  await seed(new Date());

  const result = await runCli(['plan', '--json', '--pulled-within-days', '30'], isolatedEnvironment(fixture().emulator.environment()));

  expect(result.code).toBe(0);
  const document = JSON.parse(result.stdout);
  expect(document.summary).toMatchObject({ registryScanType: 'ENHANCED', imagesEvaluated: 5, toScan: 0 });
  expect(document.summary.coverageGaps).toEqual({ repositoriesNotCovered: ['tools/ci-runner'], monitoringExpired: 1, pulledWithinDays: 30 });
  const gaps = document.images.filter((i: { coverageGap?: string }) => i.coverageGap).map((i: { imageDigest: string }) => i.imageDigest);
  expect(gaps).toEqual([digest(1)]);
  const requests = await fixture().emulator.requests();
  const reads = requests.filter((r) => r.operation === 'DescribeImageScanFindings').map((r) => (r.params as { imageId: { imageDigest: string } }).imageId.imageDigest);
  // The images pulled within 30 days: shop/web's v3 and v4, tools/ci-runner's latest.
  expect(reads.sort()).toEqual([digest(1), digest(3), digest(5)].sort());
  expect(requests.filter((r) => r.operation === 'StartImageScan')).toEqual([]);
  expect(requests.filter((r) => r.operation === 'BatchGetRepositoryScanningConfiguration')).toHaveLength(1);
});

test('the deployed service names the same gaps each cycle: dispatch the uncovered repository, the rescan function the expired image pulled within coverageWindow; nothing is started', async () => {
  const now = new Date();
  const deployment = await deploy(fixture(), { repositoryPattern: '^(shop|tools)/', coverageWindow: Duration.days(30) }, [], now);
  expect(deployment.environment.COVERAGE_WINDOW_SECONDS).toBe(String(30 * 86_400));
  await seed(now);

  const requests = await rescanCycle(fixture(), deployment);

  expect(requests.filter((r) => r.operation === 'StartImageScan')).toEqual([]);
  // The uncovered repository is named by dispatch and not walked; the covered ones are walked, reading only their pulled images.
  const walked = [...new Set(requests.filter((r) => r.operation === 'DescribeImages').map((r) => (r.params as { repositoryName: string }).repositoryName))].sort();
  expect(walked).toEqual(['shop/api', 'shop/web']);
  const reads = requests.filter((r) => r.operation === 'DescribeImageScanFindings').map((r) => (r.params as { imageId: { imageDigest: string } }).imageId.imageDigest);
  expect(reads.sort()).toEqual([digest(1), digest(3)].sort());
  const warnings = fixture().logs().filter((l) => l.level === 'WARN');
  expect(warnings.filter((l) => l.message.startsWith('Repositories not covered')).flatMap((l) => l.repositories as string[])).toEqual(['tools/ci-runner']);
  expect(warnings.filter((l) => l.message.startsWith('Images not monitored'))).toEqual([
    expect.objectContaining({ repositoryName: 'shop/web', images: [{ imageDigest: digest(1), imageTags: ['v3'] }], imagesOmitted: 0 }),
  ]);
  const sums = new Map<string, number>();
  for (const m of emfMetrics(fixture().metricLines()).filter((x) => x.dimensions.reason === undefined)) {
    sums.set(m.name, (sums.get(m.name) ?? 0) + Number(m.value));
  }
  expect(sums.get('ImagesNotMonitored')).toBe(1);
  expect(sums.get('RepositoriesNotCovered')).toBe(1);
  expect(sums.get('ScansStarted')).toBe(0);

  // The weekly summary names the same gaps: the uncovered repository from ECR, the expired image from the walk's record.
  await fixture().handlers.summary({}, lambdaContext('summary'));
  const [summary] = await receiveNotifications(fixture().sqs, deployment.infrastructure.subscriberQueueUrl);
  expect(JSON.parse(summary.Message).coverage).toEqual({ repositoriesNotCovered: ['tools/ci-runner'], imagesNotMonitored: 1 });
  expect(summaryText(JSON.parse(summary.Message))).toContain('Coverage gaps:      1 repository not covered (tools/ci-runner); 1 pulled image no longer monitored');
});
