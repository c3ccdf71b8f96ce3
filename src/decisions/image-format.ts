/**
 * What an ECR image entry is, before any scan state is read: an image that basic scanning
 * can scan, or something it cannot (an image index, a referrer such as a signature, a
 * non-image artifact, an archived image). Plain function, no AWS client: the walk passes
 * the `DescribeImages` entry's fields in.
 *
 * | the entry (`DescribeImages`' ImageDetail)                                                   | decision            |
 * | ------------------------------------------------------------------------------------------- | ------------------- |
 * | `imageStatus` ARCHIVED or ACTIVATING (the archive storage class, since November 2025)       | skip `archived`     |
 * | `imageManifestMediaType` an OCI image index or a Docker manifest list                       | skip `image-index`  |
 * | `subjectManifestDigest` set: an OCI 1.1 referrer (Notation, ECR managed signing, SBOMs, …)  | skip `referrer`     |
 * | every tag in Cosign's `sha256-<digest>.sig`, `.att` or `.sbom` form                         | skip `referrer`     |
 * | `artifactMediaType` set and not an image configuration (a Helm chart, a WASM module, …)     | skip `artifact`     |
 * | listed by an index the walk read as a buildx attestation manifest (`indexRole`)              | skip `attestation`  |
 * | anything else                                                                               | an image: no verdict |
 *
 * An index is never scanned itself: each of its platform manifests is an entry of its own
 * (untagged), and those are scanned as images. ECR answers StartImageScan on an index with
 * UnsupportedImageTypeException ("An artifact with media type
 * 'application/vnd.oci.image.index.v1+json' cannot be scanned"), which these rules spare.
 *
 * buildx's attestation manifests look like any OCI image in `DescribeImages` (an image manifest
 * with an image configuration); only the index that lists them says what they are
 * (`vnd.docker.reference.type: attestation-manifest`). The walk reads index manifests
 * (image-index.ts) and passes what the index says as `indexRole`; an attestation listed by an
 * index it has not read yet is taken for an image.
 */

/** The fields of an ECR image entry the rules read. */
export interface ImageFormatFacts {
  /** `imageStatus`: ACTIVE, ARCHIVED or ACTIVATING; absent from older answers, which means ACTIVE. */
  readonly imageStatus?: string;
  /** `imageManifestMediaType`: the manifest's media type. */
  readonly imageManifestMediaType?: string;
  /** `artifactMediaType`: the artifact type, else the config's media type. */
  readonly artifactMediaType?: string;
  /** `subjectManifestDigest`: set on a referrer, to the digest it refers to. */
  readonly subjectManifestDigest?: string;
  /** `imageTags`. */
  readonly imageTags?: readonly string[];
  /** What an index that lists this manifest says it is (image-index.ts); absent when no index read lists it. */
  readonly indexRole?: 'platform' | 'attestation';
}

/** The reasons these rules give; each is a skip reason of the rescan decision's list too (RESCAN_REASONS). */
export const IMAGE_FORMAT_REASONS = ['archived', 'image-index', 'referrer', 'artifact', 'attestation'] as const;

export type ImageFormatReason = (typeof IMAGE_FORMAT_REASONS)[number];

export interface ImageFormatVerdict {
  readonly reason: ImageFormatReason;
  /** One human sentence for logs and the command-line plan. */
  readonly detail: string;
}

/** Manifest media types of an index (OCI image spec, media-types.md; Docker's manifest list, schema 2). */
export const INDEX_MEDIA_TYPES: readonly string[] = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];

/** The configuration media types of a container image, OCI and Docker: what ECR's scanners read. */
export const IMAGE_CONFIG_MEDIA_TYPES: readonly string[] = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];

/** Cosign's tag-based signatures, attestations and SBOMs: `sha256-<64 hex>.sig` (cosign's triangulation). */
const COSIGN_TAG = /^sha256-[0-9a-f]{64}\.(sig|att|sbom)$/;

/**
 * Returns why basic scanning cannot scan the entry, or undefined when it is an image
 * (which the scan-state decision, decideRescan, then decides).
 */
export function decideImageFormat(facts: ImageFormatFacts): ImageFormatVerdict | undefined {
  if (facts.imageStatus === 'ARCHIVED' || facts.imageStatus === 'ACTIVATING') {
    return {
      reason: 'archived',
      detail: `the image is ${facts.imageStatus} (archive storage class); archived images cannot be scanned until restored`,
    };
  }
  if (facts.imageManifestMediaType !== undefined && INDEX_MEDIA_TYPES.includes(facts.imageManifestMediaType)) {
    return {
      reason: 'image-index',
      detail: `an image index (${facts.imageManifestMediaType}); its platform images are scanned in their own right`,
    };
  }
  if (facts.subjectManifestDigest) {
    return {
      reason: 'referrer',
      detail: `a referrer of ${facts.subjectManifestDigest}${facts.artifactMediaType ? ` (${facts.artifactMediaType})` : ''}, not an image`,
    };
  }
  const tags = facts.imageTags ?? [];
  if (tags.length > 0 && tags.every((tag) => COSIGN_TAG.test(tag))) {
    return { reason: 'referrer', detail: `a Cosign signature, attestation or SBOM (tag ${tags[0]}), not an image` };
  }
  if (facts.artifactMediaType !== undefined && !IMAGE_CONFIG_MEDIA_TYPES.includes(facts.artifactMediaType)) {
    return { reason: 'artifact', detail: `an artifact of type ${facts.artifactMediaType}, not a container image` };
  }
  if (facts.indexRole === 'attestation') {
    return { reason: 'attestation', detail: 'an attestation manifest of an image index (buildx provenance or SBOM), not an image' };
  }
  return undefined;
}
