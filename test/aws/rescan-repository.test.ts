import {
  DescribeImageScanFindingsCommand,
  DescribeImageScanFindingsCommandInput,
  DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommand,
  DescribeImagesCommandOutput,
  ECRClient,
  ImageDetail,
  LimitExceededException,
  ScanNotFoundException,
  StartImageScanCommand,
  StartImageScanCommandInput,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DIGESTS, PER_IMAGE_QUOTA_MESSAGE, loadSdkFixture, paginatedFake, sdkMetadata, serviceError } from './helpers';
import { ImageEvaluation, Log, RescanOptions, rescanRepository } from '../../src/aws/rescan-repository';

const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: 'us-east-1' });
const REPOSITORY = 'team-a/service-01';
const NOW = new Date('2026-11-15T12:00:00Z');
const SEVEN_DAYS_MS = 7 * 86_400_000;

/** Digests the fixture's states make due: never scanned, expired (two), FAILED. */
const DUE = [DIGESTS.multiTag, DIGESTS.untagged, DIGESTS.failed, DIGESTS.recentlyScanned];

function recordingLog() {
  const entries: { level: keyof Log; message: string; extra: Record<string, unknown> }[] = [];
  const at = (level: keyof Log) => (message: string, ...extra: Record<string, unknown>[]) =>
    entries.push({ level, message, extra: Object.assign({}, ...extra) });
  const log: Log = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, entries };
}

/**
 * The repository of the fixtures: three DescribeImages pages (the second repeats
 * the multi-tag digest); DescribeImageScanFindings answers from the states
 * fixture, ScanNotFoundException for the never-scanned digest; StartImageScan
 * succeeds except for the digest scanned in the last 24 hours.
 */
function mockRepository() {
  const pages = loadSdkFixture<DescribeImagesCommandOutput[]>('describe-images-pages.json');
  const states = loadSdkFixture<{ responses: Record<string, DescribeImageScanFindingsCommandOutput> }>(
    'describe-image-scan-findings-states.json',
  ).responses;
  ecrMock.on(DescribeImagesCommand).callsFake(paginatedFake(pages).fake);
  ecrMock.on(DescribeImageScanFindingsCommand).callsFake(async (input: DescribeImageScanFindingsCommandInput) => {
    const digest = input.imageId?.imageDigest as string;
    if (digest === DIGESTS.multiTag) {
      throw new ScanNotFoundException({
        message: `Image scan does not exist for the image with '{imageDigest:'${digest}', imageTag:'null'}' in the repository with name '${REPOSITORY}' in the registry with id '123456789012'`,
        $metadata: sdkMetadata,
      });
    }
    const state = states[digest];
    if (!state) throw new Error(`test: DescribeImageScanFindings was not expected for ${digest}`);
    return state;
  });
  ecrMock.on(StartImageScanCommand).callsFake(async (input: StartImageScanCommandInput) => {
    if (input.imageId?.imageDigest === DIGESTS.recentlyScanned) {
      throw new LimitExceededException({ message: PER_IMAGE_QUOTA_MESSAGE, $metadata: sdkMetadata });
    }
    return { repositoryName: input.repositoryName, imageId: input.imageId, imageScanStatus: { status: 'IN_PROGRESS' } };
  });
}

function options(overrides: Partial<RescanOptions> = {}): RescanOptions & { entries: ReturnType<typeof recordingLog>['entries'] } {
  const { log, entries } = recordingLog();
  return { now: NOW, scanExpiryMs: SEVEN_DAYS_MS, registryScanType: 'BASIC', concurrency: 5, log, entries, ...overrides };
}

const startedDigests = () => ecrMock.commandCalls(StartImageScanCommand).map((c) => c.args[0].input.imageId?.imageDigest);

beforeEach(() => {
  ecrMock.reset();
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

describe('rescanRepository', () => {
  test('starts a scan exactly for the due digests, once each, by digest only, and counts every outcome', async () => {
    mockRepository();
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    const started = Date.now();

    const counts = await rescanRepository(ecr, REPOSITORY, options());

    expect(Date.now() - started).toBeLessThan(1000);
    expect(setTimeoutSpy).not.toHaveBeenCalled();
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 3);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, DUE.length);
    expect([...startedDigests()].sort()).toEqual([...DUE].sort());
    for (const call of ecrMock.commandCalls(StartImageScanCommand)) {
      expect(call.args[0].input).toEqual({ repositoryName: REPOSITORY, imageId: { imageDigest: call.args[0].input.imageId?.imageDigest } });
      expect(Object.keys(call.args[0].input.imageId ?? {})).toEqual(['imageDigest']);
    }
    expect(counts).toEqual({
      imagesEvaluated: 9,
      due: 4,
      scansStarted: 3,
      recentlyScanned: 1,
      quotaExceeded: 0,
      skipped: { 'fresh': 1, 'in-progress': 1, 'unsupported-image': 1, 'unknown-status': 1, 'archived': 1 },
      // Without a ledger (the command-line tool's walk), every state is ECR's.
      statusReadsSaved: 0,
      ledgerReadFailures: 0,
      ledgerWriteFailures: 0,
      ledgerEntriesIgnored: 0,
      indexManifestsRead: 0,
      indexManifestsUnread: 0,
    });
  });

  test('reads scan state with DescribeImageScanFindings (maxResults 1) only for images DescribeImages gave no state for', async () => {
    mockRepository();
    await rescanRepository(ecr, REPOSITORY, options());

    const read = ecrMock.commandCalls(DescribeImageScanFindingsCommand).map((c) => c.args[0].input);
    expect(read.map((i) => i.imageId?.imageDigest).sort()).toEqual(
      [DIGESTS.multiTag, DIGESTS.untagged, DIGESTS.failed, DIGESTS.inProgress, DIGESTS.unknownStatus].sort(),
    );
    for (const input of read) {
      expect(input.maxResults).toBe(1);
      expect(input.repositoryName).toBe(REPOSITORY);
    }
  });

  test('a digest with many tags, repeated on a later page, is evaluated and scanned once', async () => {
    mockRepository();
    const evaluations: ImageEvaluation[] = [];
    await rescanRepository(ecr, REPOSITORY, options({ onImage: (e) => evaluations.push(e) }));

    expect(startedDigests().filter((d) => d === DIGESTS.multiTag)).toHaveLength(1);
    const multi = evaluations.filter((e) => e.imageDigest === DIGESTS.multiTag);
    expect(multi).toHaveLength(1);
    expect(multi[0].imageTags).toEqual(['v1.4.2', 'latest', 'stable']);
    expect(multi[0].decision).toMatchObject({ action: 'scan', reason: 'never-scanned' });
    expect(multi[0].state).toEqual({});
    expect(multi[0].outcome).toBe('started');
  });

  test('an untagged image is addressed by its digest', async () => {
    mockRepository();
    const evaluations: ImageEvaluation[] = [];
    await rescanRepository(ecr, REPOSITORY, options({ onImage: (e) => evaluations.push(e) }));

    const untagged = evaluations.find((e) => e.imageDigest === DIGESTS.untagged);
    expect(untagged).toMatchObject({ imageTags: [], decision: { action: 'scan', reason: 'expired' }, outcome: 'started' });
    expect(ecrMock).toHaveReceivedCommandWith(StartImageScanCommand, { repositoryName: REPOSITORY, imageId: { imageDigest: DIGESTS.untagged } });
  });

  test('onImage gets one evaluation per digest, in page order, with its decision and outcome', async () => {
    mockRepository();
    const evaluations: ImageEvaluation[] = [];
    await rescanRepository(ecr, REPOSITORY, options({ onImage: (e) => evaluations.push(e) }));

    expect(evaluations.map((e) => [e.imageDigest, e.decision.action, e.decision.reason, e.outcome])).toEqual([
      [DIGESTS.multiTag, 'scan', 'never-scanned', 'started'],
      [DIGESTS.untagged, 'scan', 'expired', 'started'],
      [DIGESTS.fresh, 'skip', 'fresh', undefined],
      [DIGESTS.failed, 'scan', 'failed', 'started'],
      [DIGESTS.inProgress, 'skip', 'in-progress', undefined],
      [DIGESTS.unsupported, 'skip', 'unsupported-image', undefined],
      [DIGESTS.unknownStatus, 'skip', 'unknown-status', undefined],
      [DIGESTS.recentlyScanned, 'scan', 'expired', 'recently-scanned'],
      [DIGESTS.archived, 'skip', 'archived', undefined],
    ]);
    for (const e of evaluations) expect(e.repositoryName).toBe(REPOSITORY);
    const fresh = evaluations.find((e) => e.imageDigest === DIGESTS.fresh);
    expect(fresh?.state.severityCounts).toEqual({ HIGH: 2, MEDIUM: 5 });
    expect(fresh?.state.completedAt).toEqual(new Date('2026-11-14T08:00:00Z'));
    const recent = evaluations.find((e) => e.imageDigest === DIGESTS.recentlyScanned);
    expect(recent?.outcomeMessage).toBe(PER_IMAGE_QUOTA_MESSAGE);
  });

  test('LimitExceededException for the per-image quota: counted as recently scanned, no retry, no sleep', async () => {
    mockRepository();
    jest.useFakeTimers({ now: NOW });

    const counts = await rescanRepository(ecr, REPOSITORY, options());

    expect(jest.getTimerCount()).toBe(0);
    expect(startedDigests().filter((d) => d === DIGESTS.recentlyScanned)).toHaveLength(1);
    expect(counts.recentlyScanned).toBe(1);
    expect(counts.quotaExceeded).toBe(0);
    expect(counts.scansStarted).toBe(3);
  });

  test('LimitExceededException for a registry quota is counted as quotaExceeded and logged as a warning, without retry', async () => {
    mockRepository();
    const quota = 'The scan quota per registry has been exceeded for the day.';
    ecrMock.on(StartImageScanCommand).rejects(new LimitExceededException({ message: quota, $metadata: sdkMetadata }));
    const opts = options();

    const counts = await rescanRepository(ecr, REPOSITORY, opts);

    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, DUE.length);
    expect(counts).toMatchObject({ due: 4, scansStarted: 0, recentlyScanned: 0, quotaExceeded: 4 });
    const warnings = opts.entries.filter((e) => e.level === 'warn' && e.message === 'Scan refused by an ECR quota');
    expect(warnings).toHaveLength(4);
    expect(warnings[0].extra).toMatchObject({ repositoryName: REPOSITORY, ecrMessage: quota });
  });

  test('StartImageScan refusals other than quotas are counted as skips by outcome', async () => {
    mockRepository();
    ecrMock
      .on(StartImageScanCommand)
      .rejectsOnce(serviceError('UnsupportedImageTypeException', 'The image is not supported for scanning'))
      .rejectsOnce(serviceError('ImageNotFoundException', 'The image requested does not exist'))
      .resolves({});
    const opts = options({ concurrency: 1 });

    const counts = await rescanRepository(ecr, REPOSITORY, opts);

    expect(counts.due).toBe(4);
    expect(counts.scansStarted).toBe(2);
    expect(counts.skipped).toMatchObject({ 'unsupported-image': 2, 'image-gone': 1 });
  });

  test('an unknown status is logged as a warning naming the image; other skips at debug', async () => {
    mockRepository();
    const opts = options();
    await rescanRepository(ecr, REPOSITORY, opts);

    const unknown = opts.entries.filter((e) => e.message === 'Image skipped' && e.extra.reason === 'unknown-status');
    expect(unknown).toHaveLength(1);
    expect(unknown[0].level).toBe('warn');
    expect(unknown[0].extra).toMatchObject({ repositoryName: REPOSITORY, imageDigest: DIGESTS.unknownStatus, status: 'FUTURE_STATUS' });
    const fresh = opts.entries.find((e) => e.message === 'Image skipped' && e.extra.reason === 'fresh');
    expect(fresh?.level).toBe('debug');
    expect(fresh?.extra.imageDigest).toBe(DIGESTS.fresh);
  });

  test('dryRun decides but starts nothing', async () => {
    mockRepository();
    const evaluations: ImageEvaluation[] = [];

    const counts = await rescanRepository(ecr, REPOSITORY, options({ dryRun: true, onImage: (e) => evaluations.push(e) }));

    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
    expect(counts).toMatchObject({ imagesEvaluated: 9, due: 4, scansStarted: 0, recentlyScanned: 0, quotaExceeded: 0 });
    expect(evaluations.filter((e) => e.decision.action === 'scan').map((e) => e.imageDigest).sort()).toEqual([...DUE].sort());
    expect(evaluations.every((e) => e.outcome === undefined)).toBe(true);
  });

  test('an ENHANCED registry reads no scan state and starts nothing', async () => {
    mockRepository();
    const evaluations: ImageEvaluation[] = [];

    const counts = await rescanRepository(ecr, REPOSITORY, options({ registryScanType: 'ENHANCED', onImage: (e) => evaluations.push(e) }));

    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
    expect(counts).toEqual({
      imagesEvaluated: 9,
      due: 0,
      scansStarted: 0,
      recentlyScanned: 0,
      quotaExceeded: 0,
      skipped: { 'enhanced-scanning': 9 },
      statusReadsSaved: 0,
      ledgerReadFailures: 0,
      ledgerWriteFailures: 0,
      ledgerEntriesIgnored: 0,
      indexManifestsRead: 0,
      indexManifestsUnread: 0,
    });
    expect(evaluations).toHaveLength(9);
  });

  test('never more than `concurrency` ECR requests in flight, and the limit is used', async () => {
    const pages = loadSdkFixture<DescribeImagesCommandOutput[]>('describe-images-pages.json');
    // One page of twelve never-scanned images.
    const images = Array.from({ length: 12 }, (_, i) => ({
      repositoryName: REPOSITORY,
      imageDigest: `sha256:${String(i).padStart(2, '0')}${'ab'.repeat(31)}`,
      imageTags: [`build-${i}`],
    }));
    ecrMock.on(DescribeImagesCommand).resolves({ ...pages[2], imageDetails: images, nextToken: undefined });
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = async <T>(result: () => T): Promise<T> => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise<void>((resolve) => setImmediate(resolve));
        await new Promise<void>((resolve) => setImmediate(resolve));
        return result();
      } finally {
        inFlight--;
      }
    };
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(() =>
      slow(() => {
        throw new ScanNotFoundException({ message: 'Image scan does not exist', $metadata: sdkMetadata });
      }),
    );
    ecrMock.on(StartImageScanCommand).callsFake(() => slow(() => ({ imageScanStatus: { status: 'IN_PROGRESS' } })));

    const counts = await rescanRepository(ecr, REPOSITORY, options({ concurrency: 3 }));

    expect(counts.scansStarted).toBe(12);
    expect(maxInFlight).toBe(3);
    expect(inFlight).toBe(0);
  });

  test('an error reading one image rejects the walk after the requests in flight settle', async () => {
    mockRepository();
    const throttled = serviceError('ThrottlingException', 'Rate exceeded');
    ecrMock.on(DescribeImageScanFindingsCommand, { imageId: { imageDigest: DIGESTS.failed } }).rejects(throttled);

    await expect(rescanRepository(ecr, REPOSITORY, options())).rejects.toMatchObject({ name: 'ThrottlingException' });
    // The third page is never read.
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
  });

  test('an image deleted between listing and its status read is a counted skip, not a failed walk', async () => {
    mockRepository();
    ecrMock
      .on(DescribeImageScanFindingsCommand, { imageId: { imageDigest: DIGESTS.failed } })
      .rejects(serviceError('ImageNotFoundException', 'The image requested does not exist in the specified repository.'));
    const opts = options();

    const counts = await rescanRepository(ecr, REPOSITORY, opts);

    expect(counts.skipped['image-gone']).toBe(1);
    expect(startedDigests()).not.toContain(DIGESTS.failed);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 3);
    expect(opts.entries).toContainEqual({
      level: 'info',
      message: 'Image skipped: deleted since it was listed',
      extra: { repositoryName: REPOSITORY, imageDigest: DIGESTS.failed },
    });
  });

  test('an unexpected StartImageScan error fails the walk', async () => {
    mockRepository();
    ecrMock.on(StartImageScanCommand).rejects(serviceError('AccessDeniedException', 'not authorized to perform: ecr:StartImageScan'));
    await expect(rescanRepository(ecr, REPOSITORY, options())).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('rescanRepository: entries that are not images (../decisions/image-format.ts)', () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const PUSHED = new Date('2026-11-01T00:00:00Z');
  const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
  const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
  /** A buildx push (an index, its two platform images), a Notation signature, a Cosign signature, a Helm chart, a restore under way, and an image archived after the listing. */
  const ENTRIES: Record<string, ImageDetail & { imageDigest: string }> = {
    index: { imageDigest: digest('1'), imageTags: ['v1.2'], imageManifestMediaType: 'application/vnd.oci.image.index.v1+json' },
    amd64: { imageDigest: digest('2'), imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG },
    arm64: { imageDigest: digest('3'), imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG },
    notation: { imageDigest: digest('4'), imageManifestMediaType: OCI_MANIFEST, artifactMediaType: 'application/vnd.cncf.notary.signature', subjectManifestDigest: digest('1') },
    cosign: { imageDigest: digest('5'), imageTags: [`sha256-${'1'.repeat(64)}.sig`], imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG },
    helm: { imageDigest: digest('6'), imageTags: ['1.0.0'], imageManifestMediaType: OCI_MANIFEST, artifactMediaType: 'application/vnd.cncf.helm.config.v1+json' },
    activating: { imageDigest: digest('7'), imageTags: ['old'], imageStatus: 'ACTIVATING', imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG },
    archivedSince: { imageDigest: digest('8'), imageTags: ['gone-cold'], imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG },
  };
  const IMAGES = [ENTRIES.amd64, ENTRIES.arm64, ENTRIES.archivedSince].map((e) => e.imageDigest);

  function mockFormats() {
    const details: ImageDetail[] = Object.values(ENTRIES).map((e) => ({ registryId: '123456789012', repositoryName: REPOSITORY, imagePushedAt: PUSHED, imageStatus: 'ACTIVE', ...e }));
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: details });
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(async (input: DescribeImageScanFindingsCommandInput) => {
      throw new ScanNotFoundException({ message: `Image scan does not exist for the image with '{imageDigest:'${input.imageId?.imageDigest}'}'`, $metadata: sdkMetadata });
    });
    ecrMock.on(StartImageScanCommand).callsFake(async (input: StartImageScanCommandInput) => {
      if (input.imageId?.imageDigest === ENTRIES.archivedSince.imageDigest) {
        throw serviceError('ImageArchivedException', 'The image is archived and cannot be scanned');
      }
      return { repositoryName: input.repositoryName, imageId: input.imageId, imageScanStatus: { status: 'IN_PROGRESS' } };
    });
  }

  test('an index, referrers, an artifact and an archived image are counted skips with no status read and no StartImageScan; the platform images are scanned', async () => {
    mockFormats();
    const evaluations: ImageEvaluation[] = [];

    const counts = await rescanRepository(ecr, REPOSITORY, options({ onImage: (e) => evaluations.push(e) }));

    const readDigests = ecrMock.commandCalls(DescribeImageScanFindingsCommand).map((c) => c.args[0].input.imageId?.imageDigest);
    expect(readDigests.sort()).toEqual([...IMAGES].sort());
    expect(startedDigests().sort()).toEqual([...IMAGES].sort());
    expect(counts).toMatchObject({ imagesEvaluated: 8, due: 3, scansStarted: 2 });
    // ImageArchivedException is its own counted skip, not image-gone.
    expect(counts.skipped).toEqual({ 'image-index': 1, 'referrer': 2, 'artifact': 1, 'archived': 2 });
    const reasonOf = (d: string) => evaluations.find((e) => e.imageDigest === d)?.decision.reason;
    expect(reasonOf(ENTRIES.index.imageDigest)).toBe('image-index');
    expect(reasonOf(ENTRIES.notation.imageDigest)).toBe('referrer');
    expect(reasonOf(ENTRIES.cosign.imageDigest)).toBe('referrer');
    expect(reasonOf(ENTRIES.helm.imageDigest)).toBe('artifact');
    expect(reasonOf(ENTRIES.activating.imageDigest)).toBe('archived');
    expect(evaluations.find((e) => e.imageDigest === ENTRIES.archivedSince.imageDigest)?.outcome).toBe('archived');
  });

  test('with a ledger, only the images\' entries are read, and nothing is written for what is not an image or was archived', async () => {
    mockFormats();
    const asked: string[] = [];
    const written: string[] = [];
    const ledger = {
      readMany: jest.fn(async (_repository: string, digests: readonly string[]) => {
        asked.push(...digests);
        return { reads: new Map(), unread: [] };
      }),
      write: jest.fn(async (entry: { imageDigest: string }) => {
        written.push(entry.imageDigest);
      }),
    };

    await rescanRepository(ecr, REPOSITORY, options({ ledger: ledger as unknown as RescanOptions['ledger'] }));

    expect(asked.sort()).toEqual([...IMAGES].sort());
    // The platform images: IN_PROGRESS once ECR accepted their scans (never scanned before: no status to keep). The
    // image archived since the listing: nothing, as its refusal says nothing of a scan.
    expect(written.sort()).toEqual([ENTRIES.amd64.imageDigest, ENTRIES.arm64.imageDigest].sort());
  });

  test('under enhanced scanning every entry stays enhanced-scanning, as before', async () => {
    mockFormats();
    const counts = await rescanRepository(ecr, REPOSITORY, options({ registryScanType: 'ENHANCED' }));
    expect(counts.skipped).toEqual({ 'enhanced-scanning': 8 });
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 0);
  });
});
