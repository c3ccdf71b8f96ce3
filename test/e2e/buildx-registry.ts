/**
 * A registry as today's tools push it, for the e2e tests of image formats and indexes: what
 * `docker buildx build --platform linux/amd64,linux/arm64 --push` pushes (an OCI index of two
 * platform images and an attestation manifest, BuildKit's attestation storage), a Notation
 * signature (an OCI 1.1 referrer of the index), a Cosign signature by tag, a Helm chart, an
 * archived image and a plain Docker image.
 */
import { createHash } from 'crypto';
import { CreateRepositoryCommand, ECRClient, PutImageCommand, UpdateImageStorageClassCommand } from '@aws-sdk/client-ecr';

export const REPOSITORY = 'shop/buildx';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const NOTATION = 'application/vnd.cncf.notary.signature';
export const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';

export const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const blob = (mediaType: string, seed: string) => ({ mediaType, digest: sha256(seed), size: 1024 });

/** An image manifest with layers unique to `seed` (the emulator's digest of a manifest with layers is of its layers). */
interface ManifestOptions {
  readonly mediaType?: string;
  readonly config?: string;
  readonly layer?: string;
  readonly artifactType?: string;
  readonly subject?: string;
}

export function imageManifest(seed: string, options: ManifestOptions = {}): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: options.mediaType ?? OCI_MANIFEST,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    config: blob(options.config ?? OCI_CONFIG, `${seed} config`),
    layers: [blob(options.layer ?? 'application/vnd.oci.image.layer.v1.tar+gzip', `${seed} layer`)],
    ...(options.subject ? { subject: { mediaType: OCI_INDEX, digest: options.subject, size: 1024 } } : {}),
  });
}

export interface Pushed {
  readonly amd64: string;
  readonly arm64: string;
  readonly attestation: string;
  readonly index: string;
  readonly notation: string;
  readonly cosign: string;
  readonly helm: string;
  readonly archived: string;
  readonly plain: string;
  /** The index's manifest as pushed. */
  readonly indexManifest: string;
}

export async function push(ecr: ECRClient, imageManifestText: string, imageTag?: string): Promise<string> {
  const response = await ecr.send(new PutImageCommand({ repositoryName: REPOSITORY, imageManifest: imageManifestText, imageTag }));
  const digest = response.image?.imageId?.imageDigest;
  if (!digest) throw new Error('PutImage returned no digest');
  return digest;
}

/** What `docker buildx build --platform linux/amd64,linux/arm64 --push` and the signing tools push, in that order. */
export async function pushRegistry(ecr: ECRClient): Promise<Pushed> {
  await ecr.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
  const amd64 = await push(ecr, imageManifest('amd64'));
  const arm64 = await push(ecr, imageManifest('arm64'));
  // BuildKit's attestation storage: an image manifest of in-toto layers, listed with platform unknown/unknown.
  const attestation = await push(ecr, imageManifest('provenance', { layer: 'application/vnd.in-toto+json' }));
  const indexText = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { mediaType: OCI_MANIFEST, digest: amd64, size: 1024, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: OCI_MANIFEST, digest: arm64, size: 1024, platform: { architecture: 'arm64', os: 'linux' } },
      {
        mediaType: OCI_MANIFEST,
        digest: attestation,
        size: 1024,
        platform: { architecture: 'unknown', os: 'unknown' },
        annotations: { 'vnd.docker.reference.digest': amd64, 'vnd.docker.reference.type': 'attestation-manifest' },
      },
    ],
  });
  const index = await push(ecr, indexText, 'v1.2');
  const notation = await push(ecr, imageManifest('notation', { artifactType: NOTATION, config: 'application/vnd.oci.empty.v1+json', subject: index }));
  const cosign = await push(ecr, imageManifest('cosign', { layer: 'application/vnd.dev.cosign.simplesigning.v1+json' }), `${index.replace(':', '-')}.sig`);
  const helm = await push(ecr, imageManifest('chart', { config: HELM_CONFIG, layer: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' }), '1.0.0');
  const archived = await push(ecr, imageManifest('old', { mediaType: DOCKER_MANIFEST, config: DOCKER_CONFIG }), 'v0.9');
  const plain = await push(ecr, imageManifest('plain', { mediaType: DOCKER_MANIFEST, config: DOCKER_CONFIG }), 'v1.1');
  await ecr.send(new UpdateImageStorageClassCommand({ repositoryName: REPOSITORY, imageId: { imageDigest: archived }, targetStorageClass: 'ARCHIVE' }));
  return { amd64, arm64, attestation, index, notation, cosign, helm, archived, plain, indexManifest: indexText };
}
