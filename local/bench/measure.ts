/**
 * What the benchmark computes from the emulator's request log and the registry's known truth.
 * Plain functions, no I/O: test/bench/measure.test.ts covers them.
 */
import { BenchRegistry, allImages } from './registry';

/** The X-Amz-Target prefix of ECR requests in the emulator's log. */
export const ECR_SERVICE = 'AmazonEC2ContainerRegistry_V20150921';
/** The service names of ECS and Lambda requests in the emulator's log: the in-use discovery's calls, and asynchronous invocations. */
export const ECS_SERVICE = 'AmazonEC2ContainerServiceV20141113';
export const LAMBDA_SERVICE = 'lambda';
/** ECR's largest page for DescribeRepositories, DescribeImages and ListImages. */
export const ECR_PAGE = 1000;

/** One request of the emulator's log (local/emulator/server.py). */
export interface LoggedRequest {
  readonly service: string;
  readonly operation: string;
  readonly params: Record<string, any>;
  readonly status: number | null;
}

/**
 * The fewest ECR calls a daily cycle can make on this registry, by the definition:
 * one status read per digest, one StartImageScan per due digest, and one list call per page
 * of 1,000 images. A page never spans two repositories, so image pages are counted per
 * repository (at least one each), plus the pages of the repository list itself.
 */
export interface Floor {
  readonly statusReads: number;
  readonly scans: number;
  readonly imageListPages: number;
  readonly repositoryListPages: number;
  readonly total: number;
}

export function floorOf(registry: BenchRegistry): Floor {
  const images = allImages(registry);
  const statusReads = images.length;
  const scans = images.filter((i) => i.due).length;
  const imageListPages = registry.repositories.reduce((n, r) => n + Math.max(1, Math.ceil(r.images.length / ECR_PAGE)), 0);
  const repositoryListPages = Math.max(1, Math.ceil(registry.repositories.length / ECR_PAGE));
  return { statusReads, scans, imageListPages, repositoryListPages, total: statusReads + scans + imageListPages + repositoryListPages };
}

export interface CallCounts {
  /** ECR requests that reached the emulator, every attempt counted (SDK retries included). */
  readonly total: number;
  readonly byOperation: Record<string, number>;
  /** Of those, the ones ECR answered with an error, by operation. */
  readonly refusedByOperation: Record<string, number>;
  readonly perImage: number;
  /** total / floor - 1: 0.05 is 5 % over the floor. */
  readonly overFloor: number;
}

export function ecrRequests(requests: readonly LoggedRequest[]): LoggedRequest[] {
  return requests.filter((r) => r.service === ECR_SERVICE);
}

export function countCalls(requests: readonly LoggedRequest[], images: number, floor: Floor): CallCounts {
  const ecr = ecrRequests(requests);
  const byOperation: Record<string, number> = {};
  const refusedByOperation: Record<string, number> = {};
  for (const r of ecr) {
    byOperation[r.operation] = (byOperation[r.operation] ?? 0) + 1;
    if (r.status !== 200) refusedByOperation[r.operation] = (refusedByOperation[r.operation] ?? 0) + 1;
  }
  return {
    total: ecr.length,
    byOperation: sortKeys(byOperation),
    refusedByOperation: sortKeys(refusedByOperation),
    perImage: images === 0 ? 0 : ecr.length / images,
    overFloor: floor.total === 0 ? 0 : ecr.length / floor.total - 1,
  };
}

/**
 * The decisions, judged against the truth. A StartImageScan request is attributed to a digest
 * by its imageDigest, or by its tag when it names only a tag.
 */
export interface Correctness {
  /** Digests that are due. */
  readonly due: number;
  /** Due digests that no StartImageScan reached. */
  readonly missed: number;
  /** Due digests for which ECR accepted a scan. */
  readonly started: number;
  /** StartImageScan requests (every HTTP attempt). */
  readonly scanRequests: number;
  /** Requests beyond the first on each due digest, plus every request on a digest that is not due. */
  readonly needless: number;
  /** Of those: requests on digests that were not due. */
  readonly needlessNotDue: number;
  /** Of those: second and later requests on a due digest (one per tag, retries). */
  readonly needlessRepeats: number;
  /** Requests that named no digest of the registry. */
  readonly unknown: number;
}

export function judge(registry: BenchRegistry, requests: readonly LoggedRequest[]): Correctness {
  const images = allImages(registry);
  const byDigest = new Map(images.map((i) => [`${i.repositoryName}@${i.imageDigest}`, i]));
  const byTag = new Map(images.flatMap((i) => i.tags.map((t) => [`${i.repositoryName}:${t}`, i] as const)));
  const attempts = new Map<string, number>();
  const accepted = new Set<string>();
  let scanRequests = 0;
  let unknown = 0;
  for (const r of ecrRequests(requests)) {
    if (r.operation !== 'StartImageScan') continue;
    scanRequests++;
    const repositoryName = r.params.repositoryName as string;
    const id = (r.params.imageId ?? {}) as { imageDigest?: string; imageTag?: string };
    const image = id.imageDigest ? byDigest.get(`${repositoryName}@${id.imageDigest}`) : byTag.get(`${repositoryName}:${id.imageTag}`);
    if (!image) {
      unknown++;
      continue;
    }
    const key = `${image.repositoryName}@${image.imageDigest}`;
    attempts.set(key, (attempts.get(key) ?? 0) + 1);
    if (r.status === 200) accepted.add(key);
  }
  let missed = 0;
  let started = 0;
  let needlessNotDue = 0;
  let needlessRepeats = 0;
  for (const image of images) {
    const key = `${image.repositoryName}@${image.imageDigest}`;
    const n = attempts.get(key) ?? 0;
    if (image.due) {
      if (n === 0) missed++;
      if (accepted.has(key)) started++;
      needlessRepeats += Math.max(0, n - 1);
    } else {
      needlessNotDue += n;
    }
  }
  return {
    due: images.filter((i) => i.due).length,
    missed,
    started,
    scanRequests,
    needless: needlessNotDue + needlessRepeats + unknown,
    needlessNotDue,
    needlessRepeats,
    unknown,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** a / b, or null when b is 0 (a ratio that means nothing is not printed as Infinity). */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}
