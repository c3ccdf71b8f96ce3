import { IMAGE_FORMAT_REASONS, ImageFormatFacts, ImageFormatReason, decideImageFormat } from '../../src/decisions/image-format';
import { RESCAN_REASONS } from '../../src/decisions/rescan';

const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const SUBJECT = `sha256:${'5'.repeat(64)}`;

interface Row {
  readonly situation: string;
  readonly entry: ImageFormatFacts;
  /** undefined: an image, left to the scan-state decision. */
  readonly reason: ImageFormatReason | undefined;
  readonly detailContains?: string[];
}

// One row per kind of entry, with the fields DescribeImages gives for it.
const TABLE: Row[] = [
  { situation: 'a Docker image (schema 2)', entry: { imageStatus: 'ACTIVE', imageManifestMediaType: DOCKER_MANIFEST, artifactMediaType: DOCKER_CONFIG, imageTags: ['v1'] }, reason: undefined },
  { situation: 'an OCI image', entry: { imageStatus: 'ACTIVE', imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG }, reason: undefined },
  { situation: 'a platform manifest of an index (untagged OCI image)', entry: { imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG, imageTags: [] }, reason: undefined },
  { situation: 'an entry from before these fields (none of them)', entry: {}, reason: undefined },
  {
    situation: 'an OCI image index (buildx)',
    entry: { imageStatus: 'ACTIVE', imageManifestMediaType: 'application/vnd.oci.image.index.v1+json', imageTags: ['v1.2'] },
    reason: 'image-index',
    detailContains: ['application/vnd.oci.image.index.v1+json', 'platform images'],
  },
  {
    situation: 'a Docker manifest list',
    entry: { imageManifestMediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', imageTags: ['latest'] },
    reason: 'image-index',
  },
  {
    situation: 'a Notation signature (OCI 1.1 referrer)',
    entry: { imageManifestMediaType: OCI_MANIFEST, artifactMediaType: 'application/vnd.cncf.notary.signature', subjectManifestDigest: SUBJECT },
    reason: 'referrer',
    detailContains: [SUBJECT, 'application/vnd.cncf.notary.signature'],
  },
  {
    situation: 'a referrer whose artifact type is an image configuration still refers to another image',
    entry: { imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG, subjectManifestDigest: SUBJECT },
    reason: 'referrer',
  },
  {
    situation: 'a Cosign signature by tag (sha256-<digest>.sig)',
    entry: { imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG, imageTags: [`sha256-${'a'.repeat(64)}.sig`] },
    reason: 'referrer',
    detailContains: ['Cosign'],
  },
  { situation: 'a Cosign attestation by tag (.att)', entry: { imageTags: [`sha256-${'a'.repeat(64)}.att`] }, reason: 'referrer' },
  { situation: 'a Cosign SBOM by tag (.sbom)', entry: { imageTags: [`sha256-${'a'.repeat(64)}.sbom`] }, reason: 'referrer' },
  {
    situation: 'an image with one Cosign-looking tag among ordinary ones is an image',
    entry: { artifactMediaType: OCI_CONFIG, imageTags: ['v1', `sha256-${'a'.repeat(64)}.sig`] },
    reason: undefined,
  },
  { situation: 'a tag that only looks like Cosign (short digest) is an image', entry: { artifactMediaType: OCI_CONFIG, imageTags: ['sha256-abc.sig'] }, reason: undefined },
  {
    situation: 'a Helm chart',
    entry: { imageManifestMediaType: OCI_MANIFEST, artifactMediaType: 'application/vnd.cncf.helm.config.v1+json', imageTags: ['1.0.0'] },
    reason: 'artifact',
    detailContains: ['application/vnd.cncf.helm.config.v1+json'],
  },
  { situation: 'ARCHIVED', entry: { imageStatus: 'ARCHIVED', artifactMediaType: OCI_CONFIG }, reason: 'archived', detailContains: ['ARCHIVED'] },
  { situation: 'ACTIVATING (a restore under way)', entry: { imageStatus: 'ACTIVATING' }, reason: 'archived', detailContains: ['ACTIVATING'] },
  {
    situation: 'an attestation manifest, as the index that lists it says',
    entry: { imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG, indexRole: 'attestation' },
    reason: 'attestation',
    detailContains: ['attestation manifest'],
  },
  { situation: 'a platform image an index lists is an image', entry: { imageManifestMediaType: OCI_MANIFEST, artifactMediaType: OCI_CONFIG, indexRole: 'platform' }, reason: undefined },
  {
    situation: 'an archived index is told as archived: the first rule wins',
    entry: { imageStatus: 'ARCHIVED', imageManifestMediaType: 'application/vnd.oci.image.index.v1+json' },
    reason: 'archived',
  },
];

describe('decideImageFormat', () => {
  test.each(TABLE)('$situation', (row) => {
    const verdict = decideImageFormat(row.entry);
    expect(verdict?.reason).toBe(row.reason);
    for (const text of row.detailContains ?? []) expect(verdict?.detail).toContain(text);
  });

  test('the table reaches every reason, and each is a reason of the rescan decision', () => {
    const reached = new Set(TABLE.map((row) => decideImageFormat(row.entry)?.reason).filter((r) => r !== undefined));
    expect([...reached].sort()).toEqual([...IMAGE_FORMAT_REASONS].sort());
    for (const reason of IMAGE_FORMAT_REASONS) expect(RESCAN_REASONS).toContain(reason);
  });
});
