/**
 * Walks one repository: every image digest once, its scan state read, the
 * rescan decision applied, and StartImageScan called for the due ones (unless
 * `dryRun`). Shared by the rescan handler and the command-line tool.
 *
 * A walk can stop early (`shouldStop`, the handler's time budget) and say where to
 * resume (`continuation`); a later walk given that position evaluates exactly the
 * digests not yet evaluated, so no digest is evaluated twice and none is skipped.
 */
import { ECRClient, ImageDetail } from '@aws-sdk/client-ecr';
import { mapWithConcurrency } from './concurrency';
import {
  IMAGE_IDS_PER_CALL,
  StartScanOutcome,
  describeImagesByDigest,
  errorName,
  imagePagesFrom,
  readScanState,
  startScan,
} from './ecr';
import { ImageScanState, RegistryScanType, RescanDecision, decideRescan } from '../decisions/rescan';

/** The logging calls used here; Powertools' Logger and a console adapter both fit. */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface ImageEvaluation {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly imageTags: string[];
  readonly state: ImageScanState;
  readonly decision: RescanDecision;
  /** What StartImageScan answered; absent for skips and dry runs. */
  readonly outcome?: StartScanOutcome;
  readonly outcomeMessage?: string;
}

export interface RescanOptions {
  readonly now: Date;
  readonly scanExpiryMs: number;
  readonly registryScanType: RegistryScanType;
  /** ECR requests in flight at once for this repository. */
  readonly concurrency: number;
  /** Decide only; never call StartImageScan. */
  readonly dryRun?: boolean;
  readonly log: Log;
  /** Called once per digest, in page order. */
  readonly onImage?: (evaluation: ImageEvaluation) => void;
  /** Where to resume a walk that stopped early. @default - the first page */
  readonly position?: WalkPosition;
  /**
   * Checked before each image is started (after the first, so every walk makes
   * progress); once true, the walk finishes the images in flight and returns a
   * `continuation`. @default - never stops early
   */
  readonly shouldStop?: () => boolean;
}

/** Where a walk resumes: pending digests of a page already read, then the page after `nextToken`. */
export interface WalkPosition {
  /** The token of the next DescribeImages page; absent: no page is left after `pendingDigests`. */
  readonly nextToken?: string;
  /** Digests listed but not yet evaluated, in page order. */
  readonly pendingDigests?: readonly string[];
}

export interface RescanCounts {
  imagesEvaluated: number;
  /** Digests the decision called due. */
  due: number;
  scansStarted: number;
  /** Due, but StartImageScan answered that the image was scanned in the last 24 hours. */
  recentlyScanned: number;
  /** Due, but a registry quota refused the scan. */
  quotaExceeded: number;
  /** Skipped images by reason: the decision's reasons and StartImageScan's refusals. */
  skipped: Record<string, number>;
}

export interface RescanResult extends RescanCounts {
  /** Present when the walk stopped early: where the next walk resumes. */
  continuation?: WalkPosition;
}

function emptyCounts(): RescanCounts {
  return { imagesEvaluated: 0, due: 0, scansStarted: 0, recentlyScanned: 0, quotaExceeded: 0, skipped: {} };
}

export async function rescanRepository(ecr: ECRClient, repositoryName: string, options: RescanOptions): Promise<RescanResult> {
  const counts = emptyCounts();
  const skip = (reason: string) => (counts.skipped[reason] = (counts.skipped[reason] ?? 0) + 1);
  const policy = { now: options.now, scanExpiryMs: options.scanExpiryMs, registryScanType: options.registryScanType };

  const evaluate = async (image: ImageDetail): Promise<ImageEvaluation> => {
    const imageDigest = image.imageDigest as string;
    const keys = { repositoryName, imageDigest };
    const imageTags = image.imageTags ?? [];
    let state: ImageScanState;
    try {
      // Under enhanced scanning nothing can be started, so the state is not worth a request.
      state = options.registryScanType === 'ENHANCED' ? {} : await readScanState(ecr, repositoryName, image);
    } catch (error) {
      if (errorName(error) !== 'ImageNotFoundException') throw error;
      counts.imagesEvaluated++;
      skip('image-gone');
      options.log.info('Image skipped: deleted since it was listed', keys);
      const decision: RescanDecision = { action: 'skip', reason: 'not-scannable', detail: 'the image was deleted since it was listed' };
      return { repositoryName, imageDigest, imageTags, state: {}, decision };
    }
    const decision = decideRescan(state, policy);
    const base = { repositoryName, imageDigest, imageTags, state, decision };
    counts.imagesEvaluated++;
    if (decision.action === 'skip') {
      skip(decision.reason);
      const level = decision.reason === 'unknown-status' ? 'warn' : 'debug';
      options.log[level]('Image skipped', { ...keys, reason: decision.reason, detail: decision.detail, status: state.status });
      return base;
    }
    counts.due++;
    if (options.dryRun) return base;
    const started = await startScan(ecr, repositoryName, imageDigest);
    switch (started.outcome) {
      case 'started':
        counts.scansStarted++;
        options.log.debug('Scan started', { ...keys, reason: decision.reason, detail: decision.detail });
        break;
      case 'recently-scanned':
        counts.recentlyScanned++;
        options.log.debug('Scan refused: scanned in the last 24 hours', { ...keys, reason: decision.reason, ecrMessage: started.message });
        break;
      case 'quota-exceeded':
        counts.quotaExceeded++;
        options.log.warn('Scan refused by an ECR quota', { ...keys, ecrMessage: started.message });
        break;
      default:
        skip(started.outcome);
        options.log.info('Scan refused', { ...keys, outcome: started.outcome, ecrMessage: started.message });
    }
    return { ...base, outcome: started.outcome, outcomeMessage: started.message };
  };

  const shouldStop = options.shouldStop;
  /** Evaluates a prefix of `images` (all of them unless told to stop); returns how many. */
  const evaluateImages = async (images: readonly ImageDetail[]): Promise<number> => {
    const evaluations = await mapWithConcurrency(images, options.concurrency, evaluate, shouldStop);
    if (options.onImage) evaluations.forEach(options.onImage);
    return evaluations.length;
  };
  const imageGone = (imageDigest: string) => {
    counts.imagesEvaluated++;
    skip('image-gone');
    options.log.info('Image skipped: deleted since it was listed', { repositoryName, imageDigest });
    if (options.onImage) {
      const decision: RescanDecision = { action: 'skip', reason: 'not-scannable', detail: 'the image was deleted since it was listed' };
      options.onImage({ repositoryName, imageDigest, imageTags: [], state: {}, decision });
    }
  };
  const stopped = () => shouldStop !== undefined && shouldStop();

  // 1. Digests a previous walk listed but did not evaluate, 100 per DescribeImages call.
  const pending = [...(options.position?.pendingDigests ?? [])];
  while (pending.length > 0) {
    if (counts.imagesEvaluated > 0 && stopped()) {
      return { ...counts, continuation: { nextToken: options.position?.nextToken, pendingDigests: pending } };
    }
    const chunk = pending.splice(0, IMAGE_IDS_PER_CALL);
    const { images, missing } = await describeImagesByDigest(ecr, repositoryName, chunk);
    missing.forEach(imageGone);
    const done = await evaluateImages(images);
    if (done < images.length) {
      const left = images.slice(done).map((image) => image.imageDigest as string);
      return { ...counts, continuation: { nextToken: options.position?.nextToken, pendingDigests: [...left, ...pending] } };
    }
  }
  if (options.position && options.position.nextToken === undefined) return counts;

  // 2. The pages, from the first or from the continuation's token.
  for await (const page of imagePagesFrom(ecr, repositoryName, options.position?.nextToken)) {
    const done = await evaluateImages(page.images);
    if (done < page.images.length) {
      const left = page.images.slice(done).map((image) => image.imageDigest as string);
      return { ...counts, continuation: { nextToken: page.nextToken, pendingDigests: left } };
    }
    if (page.nextToken !== undefined && stopped()) {
      return { ...counts, continuation: { nextToken: page.nextToken } };
    }
  }
  return counts;
}
