/**
 * The ECR reads and writes the handlers and the command-line tool share. Every
 * list is paginated with the SDK's paginators; errors are told apart by name,
 * so any error shape the SDK produces is classified or rethrown, never misread.
 */
import {
  BatchGetImageCommand,
  BatchGetRepositoryScanningConfigurationCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  ImageDetail,
  StartImageScanCommand,
  paginateDescribeImageScanFindings,
  paginateDescribeImages,
  paginateDescribeRepositories,
} from '@aws-sdk/client-ecr';
import { RepositoryScanningFacts, repositoryCoverageGap } from '../decisions/coverage';
import { Finding, fromBasicFinding, fromEnhancedFinding } from '../decisions/findings';
import { INDEX_MEDIA_TYPES } from '../decisions/image-format';
import { ImageScanState, RegistryScanType } from '../decisions/rescan';

/** ECR's largest page for the list and describe calls. */
export const PAGE_SIZE = 1000;

export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { name?: unknown; Code?: unknown; code?: unknown };
    for (const candidate of [e.name, e.Code, e.code]) {
      if (typeof candidate === 'string' && candidate !== '' && candidate !== 'Error') return candidate;
    }
  }
  return 'UnknownError';
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null) {
    const e = error as { message?: unknown; Message?: unknown };
    for (const candidate of [e.message, e.Message]) {
      if (typeof candidate === 'string') return candidate;
    }
  }
  return String(error);
}

export async function getRegistryScanType(ecr: ECRClient): Promise<RegistryScanType> {
  const response = await ecr.send(new GetRegistryScanningConfigurationCommand({}));
  return response.scanningConfiguration?.scanType === 'ENHANCED' ? 'ENHANCED' : 'BASIC';
}

/** BatchGetRepositoryScanningConfiguration takes at most this many repository names per call. */
export const SCANNING_CONFIGURATION_NAMES_PER_CALL = 25;

/**
 * Each repository's scanning configuration under the registry's rules, 25 names a call. A
 * repository deleted since it was listed is left out (ECR lists it under `failures`).
 */
export async function repositoryScanningConfigurations(ecr: ECRClient, repositoryNames: readonly string[]): Promise<RepositoryScanningFacts[]> {
  const facts: RepositoryScanningFacts[] = [];
  for (let start = 0; start < repositoryNames.length; start += SCANNING_CONFIGURATION_NAMES_PER_CALL) {
    const repositoryNamesChunk = repositoryNames.slice(start, start + SCANNING_CONFIGURATION_NAMES_PER_CALL);
    const response = await ecr.send(new BatchGetRepositoryScanningConfigurationCommand({ repositoryNames: repositoryNamesChunk }));
    for (const configuration of response.scanningConfigurations ?? []) {
      if (!configuration.repositoryName) continue;
      facts.push({
        repositoryName: configuration.repositoryName,
        scanFrequency: configuration.scanFrequency,
        appliedScanFilters: (configuration.appliedScanFilters ?? []).map((f) => ({ filter: f.filter })),
      });
    }
  }
  return facts;
}

/** One DescribeRepositories page: its names, and the token of the page after it. */
export interface RepositoryPage {
  readonly names: string[];
  readonly nextToken?: string;
}

/** The registry's repositories, page by page, from the start or from `startingToken`. */
export async function* repositoryPagesFrom(ecr: ECRClient, startingToken?: string): AsyncGenerator<RepositoryPage> {
  for await (const page of paginateDescribeRepositories({ client: ecr, pageSize: PAGE_SIZE, startingToken }, {})) {
    const names = (page.repositories ?? []).map((r) => r.repositoryName).filter((n): n is string => typeof n === 'string');
    yield { names, nextToken: page.nextToken };
  }
}

/** Repository names of the registry, page by page. */
export async function* repositoryNamePages(ecr: ECRClient): AsyncGenerator<string[]> {
  for await (const page of repositoryPagesFrom(ecr)) yield page.names;
}

/** One DescribeImages page: one entry per digest, and the token of the page after it. */
export interface ImagePage {
  readonly images: ImageDetail[];
  readonly nextToken?: string;
}

/**
 * A repository's images, one entry per digest (DescribeImages lists each digest
 * once, with all its tags), page by page from the start or from `startingToken`.
 * Memory stays flat: only the current and the previous page's digests are kept,
 * to drop a digest that a page boundary repeats.
 */
export async function* imagePagesFrom(ecr: ECRClient, repositoryName: string, startingToken?: string): AsyncGenerator<ImagePage> {
  let previous = new Set<string>();
  const pages = paginateDescribeImages({ client: ecr, pageSize: PAGE_SIZE, startingToken }, { repositoryName });
  for await (const page of pages) {
    const current = new Set<string>();
    const images: ImageDetail[] = [];
    for (const image of page.imageDetails ?? []) {
      if (!image.imageDigest || previous.has(image.imageDigest) || current.has(image.imageDigest)) continue;
      current.add(image.imageDigest);
      images.push(image);
    }
    previous = current;
    yield { images, nextToken: page.nextToken };
  }
}

/** A repository's images, one entry per digest, page by page. */
export async function* imagePages(ecr: ECRClient, repositoryName: string): AsyncGenerator<ImageDetail[]> {
  for await (const page of imagePagesFrom(ecr, repositoryName)) yield page.images;
}

/** DescribeImages accepts at most this many image ids per call. */
export const IMAGE_IDS_PER_CALL = 100;

/**
 * The details of the given digests, in their order, by DescribeImages with image ids (at
 * most 100 per call); `missing` lists the digests ECR no longer has. DescribeImages fails
 * the whole call with ImageNotFoundException when one id is gone, so that case falls back
 * to one call per digest.
 */
export async function describeImagesByDigest(
  ecr: ECRClient,
  repositoryName: string,
  imageDigests: readonly string[],
): Promise<{ images: ImageDetail[]; missing: string[] }> {
  if (imageDigests.length > IMAGE_IDS_PER_CALL) throw new Error(`at most ${IMAGE_IDS_PER_CALL} digests per call; got ${imageDigests.length}`);
  if (imageDigests.length === 0) return { images: [], missing: [] };
  const describe = async (digests: readonly string[]) =>
    (await ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: digests.map((imageDigest) => ({ imageDigest })) }))).imageDetails ?? [];
  let details: ImageDetail[];
  try {
    details = await describe(imageDigests);
  } catch (error) {
    if (errorName(error) !== 'ImageNotFoundException') throw error;
    details = [];
    for (const digest of imageDigests) {
      try {
        details.push(...(await describe([digest])));
      } catch (inner) {
        if (errorName(inner) !== 'ImageNotFoundException') throw inner;
      }
    }
  }
  const byDigest = new Map(details.map((d) => [d.imageDigest, d]));
  const images: ImageDetail[] = [];
  const missing: string[] = [];
  for (const digest of imageDigests) {
    const image = byDigest.get(digest);
    if (image) images.push(image);
    else missing.push(digest);
  }
  return { images, missing };
}

/**
 * The manifests of up to 100 image indexes, by digest, with one BatchGetImage call (asking for the
 * index media types, so ECR returns each index as pushed). A digest ECR could not return is in
 * `failures`, with ECR's failure code. BatchGetImage counts as a pull: it moves the index's
 * `lastRecordedPullTime` unless the caller is registered as a pull-time update exclusion, as the
 * construct registers the rescan function's role.
 */
export async function batchGetIndexManifests(
  ecr: ECRClient,
  repositoryName: string,
  imageDigests: readonly string[],
): Promise<{ manifests: Map<string, string>; failures: Map<string, string> }> {
  if (imageDigests.length > IMAGE_IDS_PER_CALL) throw new Error(`at most ${IMAGE_IDS_PER_CALL} digests per call; got ${imageDigests.length}`);
  const manifests = new Map<string, string>();
  const failures = new Map<string, string>();
  if (imageDigests.length === 0) return { manifests, failures };
  const response = await ecr.send(
    new BatchGetImageCommand({
      repositoryName,
      imageIds: imageDigests.map((imageDigest) => ({ imageDigest })),
      acceptedMediaTypes: [...INDEX_MEDIA_TYPES],
    }),
  );
  for (const image of response.images ?? []) {
    const digest = image.imageId?.imageDigest;
    if (digest && typeof image.imageManifest === 'string') manifests.set(digest, image.imageManifest);
  }
  for (const failure of response.failures ?? []) {
    const digest = failure.imageId?.imageDigest;
    if (digest && !manifests.has(digest)) failures.set(digest, failure.failureCode ?? 'unknown failure');
  }
  for (const digest of imageDigests) if (!manifests.has(digest) && !failures.has(digest)) failures.set(digest, 'not returned');
  return { manifests, failures };
}

/** Under enhanced scanning, the names among `repositoryNames` that no scanning filter of the registry covers (coverage.ts). */
export async function uncoveredRepositories(ecr: ECRClient, repositoryNames: readonly string[]): Promise<string[]> {
  return (await repositoryScanningConfigurations(ecr, repositoryNames)).filter((facts) => repositoryCoverageGap(facts, 'ENHANCED')).map((f) => f.repositoryName);
}

function nonEmptyCounts(counts: Record<string, number> | undefined): Record<string, number> | undefined {
  return counts && Object.keys(counts).length > 0 ? { ...counts } : undefined;
}

/**
 * The scan state DescribeImages itself gives for an image, when it gives one: the scan summary
 * older scanning puts there. Undefined when only DescribeImageScanFindings can tell (AWS native
 * basic scanning, enhanced scanning). What the entry is (archived, an index, a referrer) is not a
 * scan state: ../decisions/image-format.ts decides that, before any state is read.
 */
export function scanStateFromDetail(image: ImageDetail): ImageScanState | undefined {
  if (image.imageScanStatus?.status) {
    return {
      status: image.imageScanStatus.status,
      description: image.imageScanStatus.description,
      completedAt: image.imageScanFindingsSummary?.imageScanCompletedAt,
      severityCounts: nonEmptyCounts(image.imageScanFindingsSummary?.findingSeverityCounts),
    };
  }
  return undefined;
}

/**
 * One image's scan state from DescribeImageScanFindings with the smallest page, where
 * ScanNotFoundException means never scanned.
 */
export async function readScanStatus(ecr: ECRClient, repositoryName: string, imageDigest: string): Promise<ImageScanState> {
  try {
    const response = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageDigest }, maxResults: 1 }));
    return {
      status: response.imageScanStatus?.status,
      description: response.imageScanStatus?.description,
      completedAt: response.imageScanFindings?.imageScanCompletedAt,
      severityCounts: nonEmptyCounts(response.imageScanFindings?.findingSeverityCounts),
    };
  } catch (error) {
    if (errorName(error) === 'ScanNotFoundException') return {};
    throw error;
  }
}

/**
 * The scan state of one image: from the DescribeImages summary when ECR put it
 * there (older scanning), else from DescribeImageScanFindings with the smallest
 * page, where ScanNotFoundException means never scanned.
 */
export async function readScanState(ecr: ECRClient, repositoryName: string, image: ImageDetail): Promise<ImageScanState> {
  return scanStateFromDetail(image) ?? readScanStatus(ecr, repositoryName, image.imageDigest as string);
}

export type StartScanOutcome =
  /** ECR accepted the scan. */
  | 'started'
  /** LimitExceededException for the per-image quota: the image was scanned in the last 24 hours. */
  | 'recently-scanned'
  /** LimitExceededException for another quota, e.g. the registry's daily scan quota. */
  | 'quota-exceeded'
  /** UnsupportedImageTypeException: an image index, an artifact, or an OS ECR cannot scan. */
  | 'unsupported-image'
  /** ImageArchivedException: archived since it was listed. */
  | 'archived'
  /** ImageNotFoundException: deleted since it was listed. */
  | 'image-gone';

export interface StartScanResult {
  readonly outcome: StartScanOutcome;
  readonly message?: string;
}

/**
 * Calls StartImageScan once. LimitExceededException is an answer, not a fault:
 * no sleeping and no retry (the ECR client's EcrRetryStrategy does not retry it
 * either, although the SDK's default strategies would, as throttling).
 */
export async function startScan(ecr: ECRClient, repositoryName: string, imageDigest: string): Promise<StartScanResult> {
  try {
    await ecr.send(new StartImageScanCommand({ repositoryName, imageId: { imageDigest } }));
    return { outcome: 'started' };
  } catch (error) {
    const name = errorName(error);
    const message = errorMessage(error);
    switch (name) {
      case 'LimitExceededException':
        // "The scan quota per image has been exceeded. Wait and retry the scan later."
        return { outcome: /per image/i.test(message) ? 'recently-scanned' : 'quota-exceeded', message };
      case 'UnsupportedImageTypeException':
        return { outcome: 'unsupported-image', message };
      case 'ImageArchivedException':
        return { outcome: 'archived', message };
      case 'ImageNotFoundException':
        return { outcome: 'image-gone', message };
      default:
        throw error;
    }
  }
}

export interface ScanDetails {
  readonly status?: string;
  readonly statusDescription?: string;
  readonly completedAt?: Date;
  readonly vulnerabilitySourceUpdatedAt?: Date;
  /** Findings read, at most `limit`. */
  readonly findings: Finding[];
  /** True when more findings exist than were read. */
  readonly truncated: boolean;
  /** Amazon Inspector's in-use data for the image (enhanced findings' `awsEcrContainerImage`), when it gives some. */
  readonly inspectorInUse?: { readonly inUseCount?: number; readonly lastInUseAt?: Date };
}

/**
 * Reads an image's findings for a report, basic and enhanced, following pages
 * until `limit` findings are read (ECR returns them in no useful order, so a
 * report sorts what it read).
 */
export async function readScanDetails(
  ecr: ECRClient,
  repositoryName: string,
  imageDigest: string,
  limit: number,
): Promise<ScanDetails> {
  const findings: Finding[] = [];
  let status: string | undefined;
  let statusDescription: string | undefined;
  let completedAt: Date | undefined;
  let vulnerabilitySourceUpdatedAt: Date | undefined;
  let truncated = false;
  let inspectorInUse: { inUseCount?: number; lastInUseAt?: Date } | undefined;
  const pages = paginateDescribeImageScanFindings(
    { client: ecr, pageSize: PAGE_SIZE },
    { repositoryName, imageId: { imageDigest } },
  );
  for await (const page of pages) {
    status ??= page.imageScanStatus?.status;
    statusDescription ??= page.imageScanStatus?.description;
    completedAt ??= page.imageScanFindings?.imageScanCompletedAt;
    vulnerabilitySourceUpdatedAt ??= page.imageScanFindings?.vulnerabilitySourceUpdatedAt;
    findings.push(...(page.imageScanFindings?.findings ?? []).map(fromBasicFinding));
    // A CLOSED finding (fixed, or its package gone) is no finding of the image any more.
    findings.push(...(page.imageScanFindings?.enhancedFindings ?? []).filter((f) => f.status !== 'CLOSED').map(fromEnhancedFinding));
    for (const finding of page.imageScanFindings?.enhancedFindings ?? []) {
      const image = finding.resources?.find((r) => r.details?.awsEcrContainerImage)?.details?.awsEcrContainerImage;
      if (!image || (image.inUseCount === undefined && image.lastInUseAt === undefined)) continue;
      // Every finding of an image carries the same image details; the largest count and the latest time win.
      inspectorInUse = {
        inUseCount: Math.max(inspectorInUse?.inUseCount ?? 0, image.inUseCount ?? 0),
        ...(image.lastInUseAt || inspectorInUse?.lastInUseAt
          ? { lastInUseAt: new Date(Math.max(image.lastInUseAt?.getTime() ?? 0, inspectorInUse?.lastInUseAt?.getTime() ?? 0)) }
          : {}),
      };
    }
    if (findings.length >= limit) {
      truncated = findings.length > limit || page.nextToken !== undefined;
      findings.length = limit;
      break;
    }
  }
  return { status, statusDescription, completedAt, vulnerabilitySourceUpdatedAt, findings, truncated, ...(inspectorInUse ? { inspectorInUse } : {}) };
}
