import { parseIndexManifest, platformImageLabel, platformName, sameTags } from '../../src/decisions/image-index';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** What buildx 0.10+ pushes for `--platform linux/amd64,linux/arm64/v8` (BuildKit's attestation storage). */
const BUILDX_INDEX = {
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    { mediaType: OCI_MANIFEST, digest: digest('a'), size: 1, platform: { architecture: 'amd64', os: 'linux' } },
    { mediaType: OCI_MANIFEST, digest: digest('b'), size: 1, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    {
      mediaType: OCI_MANIFEST,
      digest: digest('c'),
      size: 1,
      platform: { architecture: 'unknown', os: 'unknown' },
      annotations: { 'vnd.docker.reference.digest': digest('a'), 'vnd.docker.reference.type': 'attestation-manifest' },
    },
  ],
};

describe('parseIndexManifest', () => {
  test('a buildx index: two platform images and an attestation manifest, by the table', () => {
    expect(parseIndexManifest(JSON.stringify(BUILDX_INDEX))).toEqual({
      children: [
        { digest: digest('a'), role: 'platform', platform: 'linux/amd64' },
        { digest: digest('b'), role: 'platform', platform: 'linux/arm64/v8' },
        { digest: digest('c'), role: 'attestation' },
      ],
    });
  });

  test('a Docker manifest list, and an index without mediaType (optional in the OCI spec), parse alike', () => {
    const list = { ...BUILDX_INDEX, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', manifests: BUILDX_INDEX.manifests.slice(0, 1) };
    expect(parseIndexManifest(JSON.stringify(list))).toEqual({ children: [{ digest: digest('a'), role: 'platform', platform: 'linux/amd64' }] });
    const { mediaType: _omitted, ...bare } = BUILDX_INDEX;
    expect(parseIndexManifest(JSON.stringify(bare))).toMatchObject({ children: expect.arrayContaining([{ digest: digest('c'), role: 'attestation' }]) });
  });

  test('entries without a platform, with platform unknown/unknown but no attestation annotation, or without a sha256 digest are left out', () => {
    const manifest = {
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_INDEX, digest: digest('d'), size: 1 },
        { mediaType: OCI_MANIFEST, digest: digest('e'), size: 1, platform: { architecture: 'unknown', os: 'unknown' } },
        { mediaType: OCI_MANIFEST, digest: 'sha512:abc', size: 1, platform: { architecture: 'amd64', os: 'linux' } },
        'not an object',
        { mediaType: OCI_MANIFEST, digest: digest('f'), size: 1, platform: { architecture: 'amd64', os: 'windows' } },
      ],
    };
    expect(parseIndexManifest(JSON.stringify(manifest))).toEqual({ children: [{ digest: digest('f'), role: 'platform', platform: 'windows/amd64' }] });
  });

  test.each([
    ['not JSON', '{', 'not JSON'],
    ['a JSON array', '[]', 'not a JSON object'],
    ['an image manifest', JSON.stringify({ mediaType: OCI_MANIFEST, layers: [] }), 'not an image index'],
    ['an index without manifests', JSON.stringify({ mediaType: OCI_INDEX }), 'no manifests list'],
  ])('%s is a problem, not children', (_name, text, problem) => {
    const read = parseIndexManifest(text);
    expect('problem' in read && read.problem).toContain(problem);
  });
});

describe('naming', () => {
  test('platformName needs os and architecture; a variant is appended', () => {
    expect(platformName({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('linux/arm/v7');
    expect(platformName({ os: 'linux', architecture: 'amd64', variant: '' })).toBe('linux/amd64');
    expect(platformName({ os: 'linux' })).toBeUndefined();
    expect(platformName('linux/amd64')).toBeUndefined();
  });

  test('a platform image is named by the index\'s first tag and its platform; by the index\'s short digest when the index is untagged', () => {
    expect(platformImageLabel({ digest: digest('a'), tags: ['v1.2', 'latest'], platform: 'linux/arm64' })).toBe('v1.2 (linux/arm64)');
    expect(platformImageLabel({ digest: digest('a'), tags: [], platform: 'linux/arm64' })).toBe('sha256:aaaaaaaaaaaa (linux/arm64)');
    expect(platformImageLabel({ digest: digest('a'), tags: ['v1.2'] })).toBe('v1.2');
  });

  test('sameTags ignores order, not content', () => {
    expect(sameTags(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameTags(['a'], ['a', 'b'])).toBe(false);
    expect(sameTags(['a', 'b'], ['a', 'c'])).toBe(false);
    expect(sameTags([], [])).toBe(true);
  });
});
