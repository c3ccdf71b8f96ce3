/**
 * The benchmark's registry: generated from a seed, so both sides get the same digests, tags,
 * push times and last scans, and every image's truth (due or not) is known before either
 * side runs.
 *
 * The mix, per image (deterministic for a given seed):
 * - last scan: never scanned 15 %; fresh, a COMPLETE scan 0 to 5 whole days ago 45 % (about
 *   one image in thirteen was scanned today, as scan-on-push does); expired, a COMPLETE scan 9 to 90
 *   days ago 30 %; FAILED 2 to 30 days ago 10 %. With a 7-day expiry no image sits near the
 *   boundary, and every due image was last scanned on an earlier calendar day, so ECR (and the
 *   emulator's once-per-day rule) accepts a scan of it today.
 * - tags: untagged 15 %, one tag 60 %, two to four tags 25 %.
 * - push time: half the scanned images were scanned on push (pushed a minute before their first
 *   scan), the rest were pushed 1 to 60 days before their last scan; never-scanned images were
 *   pushed 0 to 120 days ago. Push times only matter to the Python tool, which decides on them.
 * - listing order: seed order, which is unrelated to age.
 */
import { createHash } from 'crypto';
import { mulberry32 } from '../random';
import { SeedScan, scanFindingsResponse } from '../registry';

export const DAY_MS = 86_400_000;

export type ScanKind = 'never' | 'fresh' | 'expired' | 'failed';

export interface BenchImage {
  readonly repositoryName: string;
  readonly imageDigest: string;
  /** [] for an untagged image. */
  readonly tags: readonly string[];
  readonly pushedAt: Date;
  readonly kind: ScanKind;
  /** The last scan (COMPLETE or FAILED); null when never scanned. */
  readonly lastScan: Date | null;
  /** What the seed tells the emulator about the last scan; absent when never scanned. */
  readonly scan?: Exclude<SeedScan, { kind: 'never' }>;
  /** The truth: never scanned, FAILED, or completed at least the expiry ago. */
  readonly due: boolean;
}

export interface BenchRepository {
  readonly name: string;
  readonly images: readonly BenchImage[];
}

export interface BenchRegistry {
  readonly repositories: readonly BenchRepository[];
  /** The moment "days ago" is measured from. */
  readonly now: Date;
  readonly scanExpiryDays: number;
  readonly seed: number;
}

export interface RegistryShape {
  readonly repositories: number;
  readonly imagesPerRepository: number;
  /** Default 7, both sides' default. */
  readonly scanExpiryDays?: number;
  /** Default 1. */
  readonly seed?: number;
}

/** The severity counts a scanned image of the mix has (one of these, seeded); the week's world starts from them too. */
export const SEVERITY_MIXES: readonly Record<string, number>[] = [
  {},
  { LOW: 1 },
  { MEDIUM: 1, LOW: 1 },
  { HIGH: 1 },
  { CRITICAL: 1, HIGH: 1, MEDIUM: 1 },
];

/** Whether an image with this last scan is due at `now`, by the issue's definition. */
export function isDue(kind: ScanKind, lastScan: Date | null, now: Date, scanExpiryDays: number): boolean {
  if (kind === 'never' || kind === 'failed') return true;
  return lastScan !== null && now.getTime() - lastScan.getTime() >= scanExpiryDays * DAY_MS;
}

export function buildRegistry(shape: RegistryShape, now: Date): BenchRegistry {
  const seed = shape.seed ?? 1;
  const scanExpiryDays = shape.scanExpiryDays ?? 7;
  const random = mulberry32(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const width = String(shape.repositories).length;
  const repositories: BenchRepository[] = [];
  for (let r = 0; r < shape.repositories; r++) {
    const name = `team-${String(r % 20).padStart(2, '0')}/service-${String(r).padStart(width, '0')}`;
    const images: BenchImage[] = [];
    for (let i = 0; i < shape.imagesPerRepository; i++) {
      const imageDigest = `sha256:${createHash('sha256').update(`bench ${seed} ${name} ${i}`).digest('hex')}`;
      const t = random();
      const tags = t < 0.15 ? [] : t < 0.75 ? [`build-${i}`] : [`build-${i}`, `release-${i}`, `sha-${imageDigest.slice(7, 14)}`, `env-${i}`].slice(0, int(2, 4));
      const k = random();
      const kind: ScanKind = k < 0.15 ? 'never' : k < 0.6 ? 'fresh' : k < 0.9 ? 'expired' : 'failed';
      let lastScan: Date | null = null;
      let scan: BenchImage['scan'];
      if (kind !== 'never') {
        const daysAgo = kind === 'fresh' ? int(0, 5) : kind === 'expired' ? int(9, 90) : int(2, 30);
        // "0 days ago" is a minute ago: today, so ECR refuses another scan of it today.
        lastScan = new Date(daysAgo === 0 ? now.getTime() - 60_000 : now.getTime() - daysAgo * DAY_MS);
        scan =
          kind === 'failed'
            ? { kind: 'status', status: 'FAILED', description: 'Unable to retrieve the image layers.', daysAgo }
            : { kind: 'complete', daysAgo, severityCounts: SEVERITY_MIXES[int(0, SEVERITY_MIXES.length - 1)] };
      }
      const pushedAt =
        lastScan === null
          ? new Date(now.getTime() - Math.floor(random() * 120 * DAY_MS))
          : random() < 0.5
            ? new Date(lastScan.getTime() - 60_000)
            : new Date(lastScan.getTime() - int(1, 60) * DAY_MS);
      images.push({ repositoryName: name, imageDigest, tags, pushedAt, kind, lastScan, scan, due: isDue(kind, lastScan, now, scanExpiryDays) });
    }
    repositories.push({ name, images });
  }
  return { repositories, now, scanExpiryDays, seed };
}

/** The DescribeImageScanFindings response the emulator answers for an image, or undefined when never scanned. */
export function findingsOf(image: BenchImage, accountId: string): Record<string, unknown> | undefined {
  if (!image.scan || !image.lastScan) return undefined;
  return scanFindingsResponse(accountId, image.repositoryName, image.imageDigest, image.scan, image.lastScan);
}

export function allImages(registry: BenchRegistry): BenchImage[] {
  return registry.repositories.flatMap((r) => [...r.images]);
}

export interface RegistrySummary {
  readonly repositories: number;
  readonly images: number;
  /** ListImages entries: one per tag, one per untagged digest. */
  readonly imageIds: number;
  readonly due: number;
  readonly byKind: Record<ScanKind, number>;
  readonly untagged: number;
  readonly multiTag: number;
  /** Scanned today: ECR refuses another scan of these today. */
  readonly scannedToday: number;
}

export function summarize(registry: BenchRegistry): RegistrySummary {
  const images = allImages(registry);
  const byKind: Record<ScanKind, number> = { never: 0, fresh: 0, expired: 0, failed: 0 };
  for (const image of images) byKind[image.kind]++;
  return {
    repositories: registry.repositories.length,
    images: images.length,
    imageIds: images.reduce((n, i) => n + Math.max(1, i.tags.length), 0),
    due: images.filter((i) => i.due).length,
    byKind,
    untagged: images.filter((i) => i.tags.length === 0).length,
    multiTag: images.filter((i) => i.tags.length > 1).length,
    scannedToday: images.filter((i) => i.scan?.daysAgo === 0).length,
  };
}
