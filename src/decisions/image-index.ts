/**
 * What an image index says about the manifests it lists: which are platform images (scanned in
 * their own right, and named by the index's tags and their platform) and which are buildx's
 * attestation manifests (never scanned). Plain module, no AWS client: the walk reads the index's
 * manifest with BatchGetImage and passes the text in.
 *
 * | a `manifests[]` entry of the index                                                          | role          |
 * | ------------------------------------------------------------------------------------------- | ------------- |
 * | `annotations["vnd.docker.reference.type"]` is `attestation-manifest` (buildx 0.10+)         | `attestation` |
 * | otherwise, with a `platform` (os and architecture)                                          | `platform`    |
 * | otherwise (no platform: a nested index, an artifact)                                        | not recorded  |
 *
 * Sources: the OCI image spec (image-index.md: `manifests[].platform`, `annotations`), BuildKit's
 * attestation storage (docs/attestations/attestation-storage.md: an attestation manifest is listed
 * with platform `unknown/unknown` and the annotations `vnd.docker.reference.type` and
 * `vnd.docker.reference.digest`). ECR scans an attestation manifest as an image and the scan
 * FAILS (moby/buildkit#3499), so without these rules each one costs a failed scan per expiry.
 */
import { INDEX_MEDIA_TYPES } from './image-format';

/** What an index says about one manifest it lists. */
export interface IndexChild {
  readonly digest: string;
  readonly role: 'platform' | 'attestation';
  /** `os/architecture[/variant]`, for a platform image. */
  readonly platform?: string;
}

/** A platform image's or attestation's index, as its ledger entry and the walk keep it. */
export interface IndexRef {
  /** The index's digest. */
  readonly digest: string;
  /** The index's tags when it was last read or seen. */
  readonly tags: readonly string[];
  readonly role: IndexChild['role'];
  readonly platform?: string;
}

/** An index's manifest read, or why it could not be. */
export type IndexManifestRead = { readonly children: readonly IndexChild[] } | { readonly problem: string };

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Formats a manifest's `platform` as `os/architecture[/variant]`; undefined without both os and architecture. */
export function platformName(platform: unknown): string | undefined {
  if (!isObject(platform)) return undefined;
  const { os, architecture, variant } = platform;
  if (typeof os !== 'string' || typeof architecture !== 'string' || os === '' || architecture === '') return undefined;
  return [os, architecture, ...(typeof variant === 'string' && variant !== '' ? [variant] : [])].join('/');
}

/**
 * Parses an index manifest (the text BatchGetImage returns) into the manifests it lists, by the
 * table above. A text that is not an index (not JSON, another media type, no `manifests` list)
 * gives a problem, for a counted skip; entries without a valid digest are left out.
 */
export function parseIndexManifest(text: string): IndexManifestRead {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    return { problem: 'the manifest is not JSON' };
  }
  if (!isObject(manifest)) return { problem: 'the manifest is not a JSON object' };
  if (manifest.mediaType !== undefined && !INDEX_MEDIA_TYPES.includes(manifest.mediaType as string)) {
    return { problem: `the manifest's mediaType is ${JSON.stringify(manifest.mediaType)}, not an image index` };
  }
  if (!Array.isArray(manifest.manifests)) return { problem: 'the manifest has no manifests list' };
  const children: IndexChild[] = [];
  for (const entry of manifest.manifests) {
    if (!isObject(entry) || typeof entry.digest !== 'string' || !DIGEST.test(entry.digest)) continue;
    const annotations = isObject(entry.annotations) ? entry.annotations : {};
    if (annotations['vnd.docker.reference.type'] === 'attestation-manifest') {
      children.push({ digest: entry.digest, role: 'attestation' });
      continue;
    }
    const platform = platformName(entry.platform);
    if (platform !== undefined && platform !== 'unknown/unknown') children.push({ digest: entry.digest, role: 'platform', platform });
  }
  return { children };
}

/**
 * How a report names a platform image: its index's first tag and its platform, as users know it
 * ("v1.2 (linux/arm64)"); the index's digest, shortened, when the index has no tag.
 */
export function platformImageLabel(index: Pick<IndexRef, 'digest' | 'tags' | 'platform'>): string {
  const name = index.tags[0] ?? index.digest.slice(0, 19);
  return index.platform ? `${name} (${index.platform})` : name;
}

/** Whether two tag lists hold the same tags, in any order. */
export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((t) => set.has(t));
}
