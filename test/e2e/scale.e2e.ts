/**
 * Scale: one repository of 20,000 images (100,000 with SCALE_IMAGES=100000, ECR's current
 * per-repository quota: `npx projen bench:scale`, kept out of CI for its length), walked to the end
 * by the deployed rescan bundle in a child process (local/lambda-process.ts), fed by the
 * real rescan queue, with a 5-second function timeout so that the time budget cuts every
 * invocation short and the walk continues in messages it queues itself.
 *
 * Asserted against the emulator's request log: every digest's scan state read exactly
 * once, a StartImageScan exactly once for each due digest and for no other, no page
 * listed twice, nothing failed or dead-lettered, the logged and published counts equal to
 * what happened. Reported: invocations, and the peak memory of an invocation.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deploy, useEmulator } from './harness';
import { BulkImage, REPO_ROOT } from '../../local/emulator/emulator';
import { LambdaProcess } from '../../local/lambda-process';
import { drainQueue, runDispatch, runQueue } from '../../local/pipeline';

const fixture = useEmulator();

const REPOSITORY = 'scale/app';
/** Images in the repository: 20,000 in CI; `npx projen bench:scale` sets 100,000. A multiple of 1,000 (one page). */
const IMAGES = scaleImages(process.env.SCALE_IMAGES);
/** The rescan function's timeout here: its budget is this less a 1-second reserve. */
const TIMEOUT_SECONDS = 5;
const DAY_MS = 86_400_000;
const ECR_SERVICE = 'AmazonEC2ContainerRegistry_V20150921';

function scaleImages(value: string | undefined): number {
  if (value === undefined || value === '') return 20_000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1000 || n > 100_000 || n % 1000 !== 0) {
    throw new Error(`SCALE_IMAGES must be a multiple of 1,000 from 1,000 to 100,000 (given "${value}")`);
  }
  return n;
}

const digest = (i: number) => `sha256:${(0x5ca1e000000 + i).toString(16).padStart(64, '0')}`;

/** One in ten never scanned and one in ten scanned 10 days ago (both due); the rest scanned 2 days ago. */
function registry(now: Date): { images: BulkImage[]; due: Set<string> } {
  const images: BulkImage[] = [];
  const due = new Set<string>();
  for (let i = 0; i < IMAGES; i++) {
    const kind = i % 10;
    const lastScan = kind === 0 ? null : new Date(now.getTime() - (kind === 1 ? 10 : 2) * DAY_MS);
    if (kind <= 1) due.add(digest(i));
    images.push({ imageDigest: digest(i), tags: i % 4 === 0 ? [] : i % 4 === 1 ? [`build-${i}`] : [`build-${i}`, `sha-${i}`], lastScan });
  }
  return { images, due };
}

const MB = 1024 * 1024;
let rescan: LambdaProcess | undefined;
/** The figures of the run: printed after the test (the harness captures output during it) and kept in test-reports/scale.json. */
let summary: string | undefined;
afterAll(async () => {
  await rescan?.stop();
  // eslint-disable-next-line no-console
  if (summary) console.log(summary);
});

test(`a repository of ${IMAGES.toLocaleString('en')} images is walked to the end across several invocations, every digest once`, async () => {
  const { ecr, sqs, emulator, handlers } = fixture();
  const now = new Date();
  const deployment = await deploy(fixture(), {}, [], now);
  await ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
  const { images, due } = registry(now);
  await emulator.seedImages(REPOSITORY, images);
  await emulator.resetRequests();
  rescan = await LambdaProcess.start('rescan', { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO' });

  await runDispatch(emulator, handlers.dispatch);
  const { rescanQueueUrl, rescanQueueArn, rescanDeadLetterQueueUrl } = deployment.infrastructure;
  const run = await runQueue(sqs, rescanQueueUrl, rescanQueueArn, (event: SQSEvent) => rescan!.invoke<SQSBatchResponse>(event, TIMEOUT_SECONDS), {
    batchSize: deployment.config.batchSize,
    maxInvocations: 1000,
  });

  // Nothing failed, nothing left, nothing dead-lettered; the walk took several invocations.
  expect(run.recordsFailed).toBe(0);
  expect(await drainQueue(sqs, rescanDeadLetterQueueUrl)).toEqual([]);
  expect(run.invocations).toBeGreaterThanOrEqual(3);

  const requests = (await emulator.requests()).filter((r) => r.service === ECR_SERVICE);
  // Every digest's scan state read exactly once.
  const reads = new Map<string, number>();
  for (const r of requests.filter((q) => q.operation === 'DescribeImageScanFindings')) {
    reads.set(r.params.imageId.imageDigest, (reads.get(r.params.imageId.imageDigest) ?? 0) + 1);
  }
  expect(reads.size).toBe(IMAGES);
  expect([...reads.values()].filter((n) => n !== 1)).toEqual([]);
  // A scan started exactly once for each due digest, and for nothing else.
  const scans = requests.filter((q) => q.operation === 'StartImageScan');
  expect(scans.every((q) => q.status === 200)).toBe(true);
  const scanned = scans.map((q) => q.params.imageId.imageDigest as string);
  expect(new Set(scanned).size).toBe(scanned.length);
  expect(new Set(scanned)).toEqual(due);
  // Pages: each listed once (no token repeats); pending digests described by id, at most 100 a call.
  const lists = requests.filter((q) => q.operation === 'DescribeImages' && !q.params.imageIds);
  const tokens = lists.map((q) => q.params.nextToken ?? '(first)');
  expect(new Set(tokens).size).toBe(tokens.length);
  expect(lists.length).toBe(IMAGES / 1000);
  const byId = requests.filter((q) => q.operation === 'DescribeImages' && q.params.imageIds);
  expect(byId.every((q) => q.params.imageIds.length <= 100)).toBe(true);

  // What the function logged and published agrees.
  const lines = rescan.lines();
  const walked = lines.filter((l) => typeof l.message === 'string' && l.message.startsWith('Repository rescanned'));
  expect(walked).toHaveLength(run.invocations);
  expect(walked.reduce((n, l) => n + l.imagesEvaluated, 0)).toBe(IMAGES);
  expect(walked.reduce((n, l) => n + l.scansStarted, 0)).toBe(due.size);
  const metric = (name: string) =>
    lines.filter((l) => l._aws && l[name] !== undefined && !l.reason).reduce((n, l) => n + (l[name] as number), 0);
  expect(metric('ImagesEvaluated')).toBe(IMAGES);
  expect(metric('ScansStarted')).toBe(due.size);
  expect(metric('Continuations')).toBe(run.invocations - 1);

  // Memory: what an invocation holds is bounded by a page, not by the repository.
  const stats = rescan.stats;
  const peakHeap = Math.max(...stats.map((s) => s.peakHeapBytes - s.heapBeforeBytes));
  const retained = stats[stats.length - 1].heapBeforeBytes - stats[0].heapBeforeBytes;
  const maxRssMb = Math.max(...stats.map((s) => s.maxRssKb)) / 1024;
  const figures = {
    images: IMAGES,
    dueImages: due.size,
    timeoutSeconds: TIMEOUT_SECONDS,
    invocations: run.invocations,
    ecrRequests: requests.length,
    peakHeapPerInvocationMb: Number((peakHeap / MB).toFixed(1)),
    heapRetainedAcrossWalkMb: Number((retained / MB).toFixed(1)),
    peakRssMb: Number(maxRssMb.toFixed(0)),
    longestInvocationMs: Math.max(...stats.map((s) => s.durationMs)),
  };
  mkdirSync(join(REPO_ROOT, 'test-reports'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'test-reports', 'scale.json'), JSON.stringify(figures, null, 2));
  summary =
    `scale: ${IMAGES} images (${due.size} due) in ${run.invocations} invocations of the rescan function (${TIMEOUT_SECONDS}-second timeout), ` +
    `${requests.length} ECR requests; peak heap held by one invocation ${figures.peakHeapPerInvocationMb} MB, ` +
    `retained across the walk ${figures.heapRetainedAcrossWalkMb} MB; peak RSS of the function process ${figures.peakRssMb} MB (the function has 256 MB)`;
  expect(peakHeap).toBeLessThan(48 * MB);
  expect(retained).toBeLessThan(8 * MB);
  expect(maxRssMb).toBeLessThan(256);
}, 600_000 * Math.max(1, IMAGES / 20_000));
