/**
 * Today's image formats against the emulator, with the real SDK: a buildx-style push (an OCI
 * index of two platform images and an attestation manifest), a Notation signature (an OCI 1.1
 * referrer), a Cosign signature (by tag), a Helm chart and an archived image. First what the
 * emulator's wrapper answers (local/emulator/server.py, _patch_ecr_formats), checked against
 * ECR's API reference; then the rescan walk over that registry (../../src/aws/rescan-repository.ts).
 */
import { BatchGetImageCommand, DescribeImagesCommand, DescribeImageScanFindingsCommand, ImageDetail, StartImageScanCommand, UpdateImageStorageClassCommand } from '@aws-sdk/client-ecr';
import { DOCKER_CONFIG, DOCKER_MANIFEST, HELM_CONFIG, NOTATION, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST, REPOSITORY, pushRegistry as pushTo, sha256 } from './buildx-registry';
import { useEmulator } from './harness';
import { EmulatorRequest } from '../../local/emulator/emulator';
import { ImageEvaluation, RescanOptions, rescanRepository } from '../../src/aws/rescan-repository';

const fixture = useEmulator();
const pushRegistry = () => pushTo(fixture().ecr);

async function listed(filter?: { imageStatus: 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING' | 'ANY' }): Promise<Map<string, ImageDetail>> {
  const response = await fixture().ecr.send(new DescribeImagesCommand({ repositoryName: REPOSITORY, ...(filter ? { filter } : {}) }));
  return new Map((response.imageDetails ?? []).map((d) => [d.imageDigest as string, d]));
}

describe('the emulator answers as ECR does for indexes, referrers and archived images', () => {
  test('DescribeImages gives imageManifestMediaType, artifactMediaType, subjectManifestDigest and imageStatus; an index\'s digest is its manifest\'s', async () => {
    const pushed = await pushRegistry();
    const details = await listed();

    expect(details.get(pushed.index)).toMatchObject({ imageManifestMediaType: OCI_INDEX, imageStatus: 'ACTIVE', imageTags: ['v1.2'] });
    expect(details.get(pushed.index)?.artifactMediaType).toBeUndefined();
    expect(details.get(pushed.amd64)).toMatchObject({ imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG, imageStatus: 'ACTIVE' });
    expect(details.get(pushed.amd64)?.imageTags).toBeUndefined();
    expect(details.get(pushed.notation)).toMatchObject({ artifactMediaType: NOTATION, subjectManifestDigest: pushed.index });
    expect(details.get(pushed.helm)).toMatchObject({ artifactMediaType: HELM_CONFIG });
    expect(details.get(pushed.plain)).toMatchObject({ imageManifestMediaType: DOCKER_MANIFEST, artifactMediaType: DOCKER_CONFIG });
    // ECR's imageDigest of a manifest without layers: the sha256 of the manifest itself.
    expect(pushed.index).toBe(sha256(pushed.indexManifest));
  });

  test('DescribeImages lists only ACTIVE images unless filter.imageStatus asks; by digest it gives any status', async () => {
    const pushed = await pushRegistry();

    expect((await listed()).has(pushed.archived)).toBe(false);
    expect((await listed({ imageStatus: 'ACTIVE' })).has(pushed.archived)).toBe(false);
    const archived = await listed({ imageStatus: 'ARCHIVED' });
    expect([...archived.keys()]).toEqual([pushed.archived]);
    expect(archived.get(pushed.archived)?.imageStatus).toBe('ARCHIVED');
    expect(archived.get(pushed.archived)?.lastArchivedAt).toBeInstanceOf(Date);
    expect((await listed({ imageStatus: 'ANY' })).size).toBe(9);
    const byId = new DescribeImagesCommand({ repositoryName: REPOSITORY, imageIds: [{ imageDigest: pushed.archived }] });
    const byDigest = await fixture().ecr.send(byId);
    expect(byDigest.imageDetails?.[0]?.imageStatus).toBe('ARCHIVED');
  });

  test('StartImageScan: UnsupportedImageTypeException for an index and a non-image artifact, ImageArchivedException when archived or restoring', async () => {
    const pushed = await pushRegistry();
    const scan = (imageDigest: string) => fixture().ecr.send(new StartImageScanCommand({ repositoryName: REPOSITORY, imageId: { imageDigest } }));

    await expect(scan(pushed.index)).rejects.toMatchObject({
      name: 'UnsupportedImageTypeException',
      message: `An artifact with media type '${OCI_INDEX}' cannot be scanned. For more information, see the Amazon ECR documentation.`,
    });
    await expect(scan(pushed.helm)).rejects.toMatchObject({ name: 'UnsupportedImageTypeException', message: expect.stringContaining(HELM_CONFIG) });
    await expect(scan(pushed.archived)).rejects.toMatchObject({ name: 'ImageArchivedException' });
    const restore = await fixture().ecr.send(
      new UpdateImageStorageClassCommand({ repositoryName: REPOSITORY, imageId: { imageDigest: pushed.archived }, targetStorageClass: 'STANDARD' }),
    );
    expect(restore.imageStatus).toBe('ACTIVATING');
    await expect(scan(pushed.archived)).rejects.toMatchObject({ name: 'ImageArchivedException' });
    expect((await listed({ imageStatus: 'ACTIVATING' })).get(pushed.archived)?.lastActivatedAt).toBeInstanceOf(Date);
    await expect(scan(pushed.amd64)).resolves.toMatchObject({ imageScanStatus: { status: 'IN_PROGRESS' } });
  });

  test('a restore completes 20 minutes later on ECR\'s clock, and the image is listed again', async () => {
    const pushed = await pushRegistry();
    await fixture().ecr.send(new UpdateImageStorageClassCommand({ repositoryName: REPOSITORY, imageId: { imageDigest: pushed.archived }, targetStorageClass: 'STANDARD' }));
    await fixture().emulator.setClock(19 * 60_000);
    expect((await listed()).has(pushed.archived)).toBe(false);
    await fixture().emulator.setClock(20 * 60_000);
    expect((await listed()).get(pushed.archived)?.imageStatus).toBe('ACTIVE');
  });
});

describe('the emulator answers as ECR does for an index\'s manifest and an attestation\'s scan', () => {
  test('BatchGetImage returns an index as pushed, with its media type, records a pull of it, and names a digest it lacks in its failure', async () => {
    const pushed = await pushRegistry();
    const missing = sha256('never pushed');
    const before = (await listed()).get(pushed.index)?.lastRecordedPullTime;

    const response = await fixture().ecr.send(
      new BatchGetImageCommand({
        repositoryName: REPOSITORY,
        imageIds: [{ imageDigest: pushed.index }, { imageDigest: missing }],
        acceptedMediaTypes: [OCI_INDEX],
      }),
    );

    expect(response.images).toHaveLength(1);
    expect(response.images?.[0]).toMatchObject({
      imageId: { imageDigest: pushed.index },
      imageManifest: pushed.indexManifest,
      imageManifestMediaType: OCI_INDEX,
    });
    expect(response.failures).toEqual([{ imageId: { imageDigest: missing }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
    // BatchGetImage counts as a pull (containers-roadmap #2390): the index's pull time moved, its platform images' did not.
    expect(before).toBeUndefined();
    const after = await listed();
    expect(after.get(pushed.index)?.lastRecordedPullTime).toBeInstanceOf(Date);
    expect(after.get(pushed.arm64)?.lastRecordedPullTime).toBeUndefined();
  });

  test('an attestation manifest\'s scan is taken and FAILS, without findings; a platform image\'s completes', async () => {
    const pushed = await pushRegistry();
    const ecr = fixture().ecr;
    for (const digest of [pushed.attestation, pushed.arm64]) {
      await ecr.send(new StartImageScanCommand({ repositoryName: REPOSITORY, imageId: { imageDigest: digest } }));
    }
    const status = async (imageDigest: string) =>
      ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: REPOSITORY, imageId: { imageDigest } }));

    const attestation = await status(pushed.attestation);
    expect(attestation.imageScanStatus?.status).toBe('FAILED');
    expect(attestation.imageScanFindings).toBeUndefined();
    expect((await status(pushed.arm64)).imageScanStatus?.status).toBe('COMPLETE');
  });
});

/** The digests of the requests of one operation, sorted. */
const digestsOf = (requests: readonly EmulatorRequest[], operation: string) =>
  requests
    .filter((r) => r.operation === operation)
    .map((r) => (r.params as { imageId: { imageDigest: string } }).imageId.imageDigest)
    .sort();

describe('the rescan walk over today\'s formats', () => {
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  /** The command-line tool's walk (no ledger) of the repository under basic scanning, with a 7-day expiry. */
  const walk = (extra: Partial<RescanOptions>) =>
    rescanRepository(fixture().ecr, REPOSITORY, { now: new Date(), scanExpiryMs: 7 * 86_400_000, registryScanType: 'BASIC', concurrency: 5, log: quiet, ...extra });

  test('the platform images are scanned; the index, the referrers and the chart are counted skips with no status read and no StartImageScan; the archived image is not listed', async () => {
    const pushed = await pushRegistry();
    await fixture().emulator.resetRequests();
    const evaluations: ImageEvaluation[] = [];

    const counts = await walk({ onImage: (e) => evaluations.push(e) });

    const requests = await fixture().emulator.requests();
    // Without index reads, the attestation manifest is scanned too: DescribeImages cannot tell it from an image
    // (only the index says what it is), and ECR takes the scan and fails it. The next test reads the index.
    const scanned = [pushed.amd64, pushed.arm64, pushed.attestation, pushed.plain].sort();
    expect(digestsOf(requests, 'StartImageScan')).toEqual(scanned);
    expect(digestsOf(requests, 'DescribeImageScanFindings')).toEqual(scanned);
    // No refused call: the only 400s are the status reads of never-scanned images (ScanNotFoundException).
    expect(requests.filter((r) => r.status >= 400 && r.operation !== 'DescribeImageScanFindings')).toEqual([]);
    expect(requests.filter((r) => r.operation === 'StartImageScan').every((r) => r.status === 200)).toBe(true);
    expect(counts).toMatchObject({ imagesEvaluated: 8, due: 4, scansStarted: 4 });
    expect(counts.skipped).toEqual({ 'image-index': 1, 'referrer': 2, 'artifact': 1 });
    const reasons = Object.fromEntries(evaluations.map((e) => [e.imageDigest, e.decision.reason]));
    expect(reasons).toEqual({
      [pushed.amd64]: 'never-scanned',
      [pushed.arm64]: 'never-scanned',
      [pushed.attestation]: 'never-scanned',
      [pushed.plain]: 'never-scanned',
      [pushed.index]: 'image-index',
      [pushed.notation]: 'referrer',
      [pushed.cosign]: 'referrer',
      [pushed.helm]: 'artifact',
    });
  });

  test('with index reads: one BatchGetImage of the index; its attestation manifest is a counted skip with no status read and no StartImageScan; its platform images carry its tags', async () => {
    const pushed = await pushRegistry();
    await fixture().emulator.resetRequests();
    const evaluations = new Map<string, ImageEvaluation>();

    const counts = await walk({ readImageIndexes: true, onImage: (e) => evaluations.set(e.imageDigest, e) });

    const requests = await fixture().emulator.requests();
    const scanned = [pushed.amd64, pushed.arm64, pushed.plain].sort();
    expect(digestsOf(requests, 'StartImageScan')).toEqual(scanned);
    expect(digestsOf(requests, 'DescribeImageScanFindings')).toEqual(scanned);
    const reads = requests.filter((r) => r.operation === 'BatchGetImage');
    expect(reads.map((r) => r.params)).toEqual([{ repositoryName: REPOSITORY, imageIds: [{ imageDigest: pushed.index }], acceptedMediaTypes: [OCI_INDEX, 'application/vnd.docker.distribution.manifest.list.v2+json'] }]);
    expect(counts).toMatchObject({ imagesEvaluated: 8, due: 3, scansStarted: 3, indexManifestsRead: 1, indexManifestsUnread: 0 });
    expect(counts.skipped).toEqual({ 'image-index': 1, 'referrer': 2, 'artifact': 1, 'attestation': 1 });
    expect(evaluations.get(pushed.attestation)?.decision).toMatchObject({ action: 'skip', reason: 'attestation' });
    expect(evaluations.get(pushed.arm64)?.imageIndex).toEqual({ digest: pushed.index, tags: ['v1.2'], role: 'platform', platform: 'linux/arm64' });
    expect(evaluations.get(pushed.amd64)?.imageIndex).toEqual({ digest: pushed.index, tags: ['v1.2'], role: 'platform', platform: 'linux/amd64' });
    expect(evaluations.get(pushed.plain)?.imageIndex).toBeUndefined();
  });

  test('a walk resumed by digest (a continuation) gets an archived image from DescribeImages with its status, and skips it without StartImageScan', async () => {
    const pushed = await pushRegistry();
    await fixture().emulator.resetRequests();

    // Archived since a walk listed it and stopped (its continuation holds both digests).
    const counts = await walk({ concurrency: 1, position: { pendingDigests: [pushed.plain, pushed.archived] } });

    expect(counts.skipped).toEqual({ archived: 1 });
    expect(counts.scansStarted).toBe(1);
    const scans = (await fixture().emulator.requests()).filter((r) => r.operation === 'StartImageScan');
    expect(scans.map((r) => (r.params as { imageId: { imageDigest: string } }).imageId.imageDigest)).toEqual([pushed.plain]);
  });
});
