/**
 * Seeds the emulator with a registry whose truth is known: repositories, images with
 * their tags (several, one, or none), and each image's last scan (never, completed N days
 * ago with given severity counts, FAILED, or another status such as UNSUPPORTED_IMAGE).
 *
 * What the seed does in moto, per image:
 * - PutImage of a manifest whose config and layer digests are unique to the image (moto
 *   derives the image digest from the manifest, so identical manifests would be one image),
 *   once per tag, or once without a tag for an untagged image;
 * - for a scanned image: its last scan time and the full DescribeImageScanFindings
 *   response ECR would give (server.py's seed).
 */
import { createHash } from 'crypto';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { Emulator } from './emulator/emulator';

const DAY_MS = 86_400_000;

export type SeedScan =
  /** ECR has no scan of the image (DescribeImageScanFindings: ScanNotFoundException). */
  | { readonly kind: 'never' }
  /** A completed scan `daysAgo` whole days ago (0: a moment ago, so StartImageScan is refused today). */
  | { readonly kind: 'complete'; readonly daysAgo: number; readonly severityCounts?: Record<string, number> }
  /** Any other status, e.g. FAILED or UNSUPPORTED_IMAGE, reported `daysAgo` days ago. */
  | { readonly kind: 'status'; readonly status: string; readonly description: string; readonly daysAgo: number };

export interface SeedImage {
  /** Tags of the digest; [] for an untagged image. */
  readonly tags: readonly string[];
  readonly scan: SeedScan;
}

export interface SeedRepository {
  readonly name: string;
  readonly images: readonly SeedImage[];
}

export interface SeededImage {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: readonly string[];
  readonly seed: SeedImage;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** A Docker v2 manifest unique to (repository, index). */
function manifest(repositoryName: string, index: number): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1469, digest: sha256(`config ${repositoryName} ${index}`) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 3_370_706, digest: sha256(`layer ${repositoryName} ${index}`) }],
  });
}

const PACKAGES = ['openssl', 'glibc', 'zlib', 'curl', 'expat', 'libxml2', 'busybox', 'ncurses', 'sqlite', 'krb5'];
const SCORES: Record<string, number> = { CRITICAL: 9.8, HIGH: 7.5, MEDIUM: 5.3, LOW: 3.1, INFORMATIONAL: 0, UNDEFINED: 0 };

/** Basic-scan findings matching the counts, as ECR lists them (CVE name, severity, package, CVSS3). */
export function findingsFor(counts: Record<string, number>, seed: string): Record<string, unknown>[] {
  const findings: Record<string, unknown>[] = [];
  let n = 0;
  for (const [severity, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i++, n++) {
      const id = 10_000 + (parseInt(createHash('sha256').update(`${seed} ${n}`).digest('hex').slice(0, 6), 16) % 89_999);
      const name = `CVE-2026-${id}`;
      findings.push({
        name,
        uri: `https://nvd.nist.gov/vuln/detail/${name}`,
        severity,
        attributes: [
          { key: 'package_name', value: PACKAGES[n % PACKAGES.length] },
          { key: 'package_version', value: `1.${n % 7}.${n % 13}` },
          { key: 'CVSS3_SCORE', value: String(SCORES[severity] ?? 0) },
        ],
      });
    }
  }
  return findings;
}

/** The DescribeImageScanFindings response ECR would give for the seeded scan (timestamps in epoch seconds, as on the wire). */
export function scanFindingsResponse(
  accountId: string,
  repositoryName: string,
  imageDigest: string,
  scan: Exclude<SeedScan, { kind: 'never' }>,
  at: Date,
): Record<string, unknown> {
  const epoch = at.getTime() / 1000;
  const base = { registryId: accountId, repositoryName, imageId: { imageDigest } };
  if (scan.kind === 'complete') {
    const counts = scan.severityCounts ?? {};
    return {
      ...base,
      imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
      imageScanFindings: {
        imageScanCompletedAt: epoch,
        vulnerabilitySourceUpdatedAt: epoch - 3600,
        findingSeverityCounts: counts,
        findings: findingsFor(counts, `${repositoryName} ${imageDigest}`),
      },
    };
  }
  return { ...base, imageScanStatus: { status: scan.status, description: scan.description } };
}

/**
 * Creates the repositories and images in the emulator and seeds each image's scan.
 * `now` anchors "days ago". Returns every image with its digest, in seed order.
 */
export async function seedRegistry(
  emulator: Emulator,
  ecr: ECRClient,
  repositories: readonly SeedRepository[],
  now: Date,
): Promise<SeededImage[]> {
  const seeded: SeededImage[] = [];
  for (const repository of repositories) {
    await ecr.send(new CreateRepositoryCommand({ repositoryName: repository.name }));
    for (const [index, image] of repository.images.entries()) {
      const imageManifest = manifest(repository.name, index);
      let imageDigest: string | undefined;
      for (const imageTag of image.tags.length > 0 ? image.tags : [undefined]) {
        const response = await ecr.send(new PutImageCommand({ repositoryName: repository.name, imageManifest, imageTag }));
        imageDigest = response.image?.imageId?.imageDigest;
      }
      if (!imageDigest) throw new Error(`the emulator returned no digest for an image of ${repository.name}`);
      if (image.scan.kind !== 'never') {
        const at = new Date(image.scan.daysAgo === 0 ? now.getTime() - 60_000 : now.getTime() - image.scan.daysAgo * DAY_MS);
        const findings = scanFindingsResponse(emulator.accountId, repository.name, imageDigest, image.scan, at);
        await emulator.seedImageScan(repository.name, imageDigest, at, findings);
      }
      seeded.push({ repositoryName: repository.name, imageDigest, imageTags: [...image.tags], seed: image });
    }
  }
  return seeded;
}
