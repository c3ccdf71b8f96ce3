/**
 * The walk in parts: a time budget stops it, its continuation resumes it, and across all
 * parts every digest is evaluated and scanned exactly once. No SDK mock here: the mock
 * records every call, which makes walks of thousands of images slow.
 */
import { ECRClient, ScanNotFoundException } from '@aws-sdk/client-ecr';
import { sdkMetadata, serviceError } from './helpers';
import { Log, RescanOptions, rescanRepository } from '../../src/aws/rescan-repository';

const REPOSITORY = 'team-a/service-01';
const NOW = new Date('2026-11-15T12:00:00Z');
const SILENT: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function options(overrides: Partial<RescanOptions> = {}): RescanOptions {
  return { now: NOW, scanExpiryMs: 7 * 86_400_000, registryScanType: 'BASIC', concurrency: 5, log: SILENT, ...overrides };
}

/**
 * A repository held in memory and served as ECR does: DescribeImages in pages of at most
 * maxResults with offset tokens, or by image ids (ImageNotFoundException for the whole call
 * when one id is gone); every image never scanned, so every digest is due. Served by a
 * middleware on a real client rather than the mock, which records every call and makes
 * walks of thousands of images slow.
 */
function fakeRepository(count: number) {
  let digests = Array.from({ length: count }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
  const calls = {
    statusReads: 0,
    listTokens: [] as (string | undefined)[],
    idChunks: [] as number[],
    started: [] as string[],
  };
  const detail = (imageDigest: string) => ({ imageDigest, repositoryName: REPOSITORY, imageTags: [`t-${imageDigest.slice(-6)}`] });
  const answer = (commandName: string, input: any): unknown => {
    switch (commandName) {
      case 'DescribeImagesCommand': {
        if (input.imageIds) {
          calls.idChunks.push(input.imageIds.length);
          const gone = input.imageIds.find((id: { imageDigest: string }) => !digests.includes(id.imageDigest));
          if (gone) throw serviceError('ImageNotFoundException', `image ${gone.imageDigest} not found`);
          return { imageDetails: input.imageIds.map((id: { imageDigest: string }) => detail(id.imageDigest)) };
        }
        calls.listTokens.push(input.nextToken);
        const start = input.nextToken ? Number(input.nextToken) : 0;
        const end = start + (input.maxResults ?? 100);
        return { imageDetails: digests.slice(start, end).map(detail), nextToken: end < digests.length ? String(end) : undefined };
      }
      case 'DescribeImageScanFindingsCommand':
        calls.statusReads++;
        throw new ScanNotFoundException({ message: 'no scan', $metadata: sdkMetadata });
      case 'StartImageScanCommand':
        calls.started.push(input.imageId.imageDigest);
        return { imageScanStatus: { status: 'IN_PROGRESS' } };
      default:
        throw new Error(`test: unexpected ${commandName}`);
    }
  };
  const client = new ECRClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const output = { $metadata: {}, ...(answer(context.commandName as string, args.input) as object) };
      return { output: output as any, response: {} };
    },
    { step: 'initialize', name: 'fakeRepository' },
  );
  return {
    client,
    calls,
    all: () => [...digests],
    remove: (digest: string) => (digests = digests.filter((d) => d !== digest)),
    /** A stop condition true once `n` images have had their scan state read since it was made. */
    stopAfter: (n: number) => {
      const base = calls.statusReads;
      return () => calls.statusReads - base >= n;
    },
  };
}

describe('rescanRepository in parts (time budget and continuation)', () => {
  test.each([
    // images, images per part before the budget says stop, concurrency
    [1200, 1, 1],
    [2500, 7, 3],
    [2500, 999, 5],
    [2500, 1000, 5],
    [2500, 1600, 4],
    [1000, 250, 5],
    [3, 2, 5],
  ])('%i images, stopping after about %i per part, %i in flight: every digest evaluated and scanned exactly once', async (count, perPart, concurrency) => {
    const repository = fakeRepository(count);
    const evaluated: string[] = [];
    let position: RescanOptions['position'];
    let parts = 0;
    for (;;) {
      parts++;
      expect(parts).toBeLessThan(count + 10);
      let inPart = 0;
      const result = await rescanRepository(
        repository.client,
        REPOSITORY,
        options({
          concurrency,
          position,
          shouldStop: repository.stopAfter(perPart),
          onImage: (e) => {
            inPart++;
            evaluated.push(e.imageDigest);
          },
        }),
      );
      // Every part makes progress, and says where the next one resumes.
      expect(result.imagesEvaluated).toBeGreaterThan(0);
      expect(result.imagesEvaluated).toBe(inPart);
      if (!result.continuation) break;
      expect(result.continuation.pendingDigests?.length ?? 0).toBeLessThanOrEqual(1000);
      // The continuation must survive a trip through an SQS message body.
      position = JSON.parse(JSON.stringify(result.continuation));
    }
    expect(evaluated).toEqual(repository.all());
    expect(repository.calls.started).toEqual(repository.all());
    if (perPart < count) expect(parts).toBeGreaterThan(1);
  });

  test('a continuation carries the unevaluated rest of the page and the next page token; nothing is re-listed', async () => {
    const repository = fakeRepository(2500);
    const first = await rescanRepository(repository.client, REPOSITORY, options({ concurrency: 1, shouldStop: repository.stopAfter(300) }));
    expect(first.imagesEvaluated).toBe(300);
    expect(first.continuation).toEqual({ nextToken: '1000', pendingDigests: expect.any(Array) });
    expect(first.continuation!.pendingDigests).toHaveLength(700);
    repository.calls.listTokens.length = 0;

    const second = await rescanRepository(repository.client, REPOSITORY, options({ position: first.continuation }));
    expect(second.imagesEvaluated).toBe(2200);
    expect(second.continuation).toBeUndefined();
    // 700 pending digests by id, 100 per call, then the two pages after the token.
    expect(repository.calls.idChunks).toEqual([100, 100, 100, 100, 100, 100, 100]);
    expect(repository.calls.listTokens).toEqual(['1000', '2000']);
  });

  test('a pending digest deleted before the next part is a counted skip, and the rest of its chunk is still evaluated', async () => {
    const repository = fakeRepository(50);
    const first = await rescanRepository(repository.client, REPOSITORY, options({ concurrency: 1, shouldStop: repository.stopAfter(10) }));
    const gone = first.continuation!.pendingDigests![5];
    repository.remove(gone);

    const second = await rescanRepository(repository.client, REPOSITORY, options({ position: first.continuation }));

    expect(first.continuation!.nextToken).toBeUndefined();
    expect(second.imagesEvaluated).toBe(40);
    expect(second.skipped).toEqual({ 'image-gone': 1 });
    expect(second.scansStarted).toBe(39);
    expect(repository.calls.started).not.toContain(gone);
  });

  test('stopping right after a full page resumes at the next page with no pending digests', async () => {
    const repository = fakeRepository(2500);
    const first = await rescanRepository(repository.client, REPOSITORY, options({ concurrency: 5, shouldStop: repository.stopAfter(1000) }));
    expect(first.imagesEvaluated).toBe(1000);
    expect(first.continuation).toEqual({ nextToken: '1000' });
  });

  test('with no stop condition the walk finishes in one part, as the command-line tool runs it', async () => {
    const repository = fakeRepository(2500);
    const result = await rescanRepository(repository.client, REPOSITORY, options());
    expect(result.imagesEvaluated).toBe(2500);
    expect(result.continuation).toBeUndefined();
  });
});
