/**
 * Walks one repository: every image digest once, its scan state read, the
 * rescan decision applied, and StartImageScan called for the due ones (unless
 * `dryRun`). Shared by the rescan handler and the command-line tool.
 *
 * A walk can stop early (`shouldStop`, the handler's time budget) and say where to
 * resume (`continuation`); a later walk given that position evaluates exactly the
 * digests not yet evaluated, so no digest is evaluated twice and none is skipped.
 *
 * With a `ledger` (the rescan function's; the command-line tool has none), the walk reads the
 * entries of each 100 digests with one BatchGetItem and decides from them where they know
 * (../decisions/ledger.ts, `ledgerVerdict`); the rest are read from ECR as without it, and
 * every answer ECR gives (a state read, a StartImageScan outcome) is written back. A ledger
 * that fails costs reads: its digests are read from ECR, and the failure is counted.
 */
import { ECRClient, ImageDetail } from '@aws-sdk/client-ecr';
import { mapWithConcurrency } from './concurrency';
import {
  IMAGE_IDS_PER_CALL,
  StartScanOutcome,
  describeImagesByDigest,
  errorMessage,
  errorName,
  imagePagesFrom,
  readScanStatus,
  scanStateFromDetail,
  startScan,
} from './ecr';
import { ImageIndexes, isImageIndex } from './image-indexes';
import { KEYS_PER_BATCH_GET, Ledger } from './ledger';
import { BudgetUnavailableError, ScanBudget } from './scan-budget';
import { BudgetCandidate, ScanTier, TierCounts, allowancesFor, compareForBudget, scanTier } from '../decisions/budget';
import { CoveragePolicy, monitoringExpiredGap, worthACoverageRead } from '../decisions/coverage';
import { decideImageFormat } from '../decisions/image-format';
import { IndexRef } from '../decisions/image-index';
import { DiscoveryMarker, inUseView } from '../decisions/in-use';
import { ABSENT, LedgerRead, ScanRecord, ledgerVerdict, mergeScan } from '../decisions/ledger';
import { ImageScanState, RegistryScanType, RescanDecision, decideRescan } from '../decisions/rescan';
import { ImageScopeConfig, decideScope, scopeNeedsInUse } from '../decisions/scope';
import type { InUseSettings } from '../decisions/settings';

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
  /** Where the state came from: ECR (DescribeImages or DescribeImageScanFindings), or the ledger. */
  readonly stateSource?: 'ecr' | 'ledger';
  readonly decision: RescanDecision;
  /** What StartImageScan answered; absent for skips and dry runs. */
  readonly outcome?: StartScanOutcome;
  readonly outcomeMessage?: string;
  /** Under enhanced scanning with `coverage`: Amazon Inspector no longer monitors this image, though it is pulled (../decisions/coverage.ts). */
  readonly coverageGap?: 'monitoring-expired';
  /** Due, but beyond the daily scan budget (`budget`): not started; its tier, and the UTC day it was deferred on. */
  readonly deferred?: { readonly tier: ScanTier; readonly day: string };
  /** With `readImageIndexes`: the image index that lists this manifest, its tags, and the manifest's role and platform. */
  readonly imageIndex?: IndexRef;
}

export interface RescanOptions {
  readonly now: Date;
  readonly scanExpiryMs: number;
  readonly registryScanType: RegistryScanType;
  /** ECR requests in flight at once for this repository. */
  readonly concurrency: number;
  /** Decide only; never call StartImageScan. */
  readonly dryRun?: boolean;
  /**
   * The ledger to decide from where it knows, and to write ECR's answers back to.
   * @default - none: every state is read from ECR
   */
  readonly ledger?: Pick<Ledger, 'readMany' | 'write' | 'markDeferred' | 'recordIndex'>;
  /**
   * Read the manifests of image indexes (BatchGetImage, ./image-indexes.ts), so that attestation
   * manifests are skipped (`attestation`) and platform images carry their index's tags. Under basic
   * scanning only. BatchGetImage counts as a pull of the index unless the caller is a pull-time update
   * exclusion, as the construct makes the rescan function's role.
   * @default false
   */
  readonly readImageIndexes?: boolean;
  /**
   * The daily scan budget (../decisions/budget.ts): the due digests of each page are started in
   * the budget's order while it grants scans, and the rest are deferred (`deferred-budget`),
   * marked on their ledger entries. In a dry run the grants are still taken, so the plan shows
   * what would be deferred.
   * @default - none: every due digest is started (ECR's own quota still refuses beyond it)
   */
  readonly budget?: ScanBudget;
  /**
   * Which images get scans (`rescanScope`): a due image outside it is skipped as `out-of-scope`.
   * @default - every image
   */
  readonly scope?: {
    readonly config: ImageScopeConfig;
    readonly inUse: InUseSettings;
    /** The last completed in-use discovery, read once per invocation; undefined when none (or unreadable). */
    readonly marker?: DiscoveryMarker;
    /** False when the marker could not be read: in use is then unknown. */
    readonly markerRead: boolean;
  };
  readonly log: Log;
  /** Called once per digest, in page order. */
  readonly onImage?: (evaluation: ImageEvaluation) => void;
  /**
   * Awaited after each group of `onImage` calls (100 digests; a whole page under a daily scan budget),
   * before the walk asks ECR for more: the command line waits there for stdout to drain, so a slow
   * reader holds the walk back rather than filling memory, and a reader that left (`| head`) is
   * noticed before the next request. @default - the walk does not wait
   */
  readonly afterImages?: () => Promise<void>;
  /** Where to resume a walk that stopped early. @default - the first page */
  readonly position?: WalkPosition;
  /**
   * Checked before each image is started (after the first, so every walk makes
   * progress); once true, the walk finishes the images in flight and returns a
   * `continuation`. @default - never stops early
   */
  readonly shouldStop?: () => boolean;
  /**
   * Under enhanced scanning, look for images whose monitoring expired though they are pulled: the status of each
   * image pulled within the window is read (one DescribeImageScanFindings call), and an expired one is marked
   * `coverageGap` on its evaluation. Under basic scanning it changes nothing.
   * @default - no status is read under enhanced scanning
   */
  readonly coverage?: CoveragePolicy;
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
  /** Digests decided from the ledger, without a DescribeImageScanFindings call. */
  statusReadsSaved: number;
  /** Ledger reads that failed (a BatchGetItem that failed, or left keys unprocessed): those digests were read from ECR. */
  ledgerReadFailures: number;
  /** Ledger writes that failed after the client's retries: the walk went on without them. */
  ledgerWriteFailures: number;
  /** Ledger entries that could not be used (malformed, or written by another schema): read from ECR instead. */
  ledgerEntriesIgnored: number;
  /** With `readImageIndexes`: index manifests read with BatchGetImage (once per index with a ledger). */
  indexManifestsRead: number;
  /** With `readImageIndexes`: index manifests that could not be read or parsed; the manifests they list were taken for images. */
  indexManifestsUnread: number;
}

export interface RescanResult extends RescanCounts {
  /** Present when the walk stopped early: where the next walk resumes. */
  continuation?: WalkPosition;
}

function emptyCounts(): RescanCounts {
  return {
    imagesEvaluated: 0,
    due: 0,
    scansStarted: 0,
    recentlyScanned: 0,
    quotaExceeded: 0,
    skipped: {},
    statusReadsSaved: 0,
    ledgerReadFailures: 0,
    ledgerWriteFailures: 0,
    ledgerEntriesIgnored: 0,
    indexManifestsRead: 0,
    indexManifestsUnread: 0,
  };
}

/** Moves `unused` scans of a grant (taken from `from`, by allowance) into `into`, from the last allowance drawn on back. */
function takeBack(from: TierCounts, unused: number, into: TierCounts): void {
  let left = unused;
  for (const tier of [...allowancesFor('carried')].reverse()) {
    const n = Math.min(left, from[tier] ?? 0);
    if (n > 0) into[tier] = (into[tier] ?? 0) + n;
    left -= n;
  }
}

export async function rescanRepository(ecr: ECRClient, repositoryName: string, options: RescanOptions): Promise<RescanResult> {
  const counts = emptyCounts();
  const skip = (reason: string) => (counts.skipped[reason] = (counts.skipped[reason] ?? 0) + 1);
  const policy = { now: options.now, scanExpiryMs: options.scanExpiryMs, registryScanType: options.registryScanType };

  const { ledger } = options;
  // When the walk's writes say ECR answered: the walk's time, to the second below. EventBridge's
  // event times have whole seconds, so a scan's completion event, which comes after the walk
  // started it, is never older than what the walk wrote about the digest (ties go to the event).
  const observedAt = new Date(Math.floor(options.now.getTime() / 1000) * 1000);
  /**
   * The ledger's entries for a chunk of at most 100 images, for those whose state only
   * DescribeImageScanFindings could tell; a failed read leaves them absent, so ECR is asked.
   */
  const scope = options.scope;
  const needsInUse = scope !== undefined && scopeNeedsInUse(scope.config);
  /** Digests whose entry could not be read: where they run is unknown. */
  const unreadDigests = new Set<string>();
  const indexes = options.readImageIndexes && options.registryScanType === 'BASIC' ? new ImageIndexes(ecr, { repositoryName, now: options.now, log: options.log, ledger }, counts) : undefined;
  const readLedger = async (images: readonly ImageDetail[]): Promise<Map<string, LedgerRead>> => {
    if (!ledger || options.registryScanType === 'ENHANCED') return new Map();
    // Where images run is on their entries too: a scope that asks reads every digest's. So is a
    // deferral: with a budget, the entries of due digests are read for it. An entry that is not an
    // image (an index, a referrer, an archived image) is skipped without either. With index reads,
    // an untagged manifest's entry says which index lists it.
    const wanted = (image: ImageDetail) => {
      const fromDetail = scanStateFromDetail(image);
      return needsInUse || !fromDetail || (options.budget !== undefined && decideRescan(fromDetail, policy).action === 'scan') || (indexes !== undefined && !image.imageTags?.length);
    };
    const digests = images
      .filter((image) => !decideImageFormat(image) && wanted(image))
      .map((image) => image.imageDigest as string);
    if (digests.length === 0) return new Map();
    try {
      const { reads, unread } = await ledger.readMany(repositoryName, digests, options.now);
      if (unread.length > 0) {
        counts.ledgerReadFailures++;
        unread.forEach((d) => unreadDigests.add(d));
        options.log.warn('Ledger read incomplete: DynamoDB left keys unprocessed after retries; reading their state from ECR', { repositoryName, unread: unread.length });
      }
      return reads;
    } catch (error) {
      digests.forEach((d) => unreadDigests.add(d));
      counts.ledgerReadFailures++;
      options.log.warn('Ledger read failed: reading these digests\' state from ECR', { repositoryName, digests: digests.length, errorName: errorName(error), error: errorMessage(error) });
      return new Map();
    }
  };
  /** Writes one of ECR's answers back; a failure is counted and logged, never fatal. */
  const writeBack = async (image: ImageDetail, read: LedgerRead, observed: ScanRecord, alsoRemove: readonly 'deferredOn'[] = []): Promise<void> => {
    if (!ledger) return;
    const imageDigest = image.imageDigest as string;
    const scan = read.ignored === undefined ? mergeScan(read.entry?.scan, observed) : observed;
    if (!scan) return;
    try {
      await ledger.write(
        { repositoryName, imageDigest, imageTags: image.imageTags ?? [], scan, remove: [...(scan.status === 'COMPLETE' ? ['failureReport' as const, 'deferredOn' as const] : []), ...alsoRemove] },
        // An entry that could not be parsed is replaced, exactly the one read; any other write never goes back in time.
        read.ignored === undefined ? { kind: 'monotonic' } : { kind: 'locked', read },
        options.now,
      );
    } catch (error) {
      counts.ledgerWriteFailures++;
      options.log.warn('Ledger write failed: the entry stays as it was, which costs a status read next time', {
        repositoryName,
        imageDigest,
        errorName: errorName(error),
        error: errorMessage(error),
      });
    }
  };
  const observation = (state: ImageScanState, source: ScanRecord['source']): ScanRecord | undefined =>
    state.status === undefined
      ? undefined
      : {
        status: state.status,
        observedAt,
        source,
        ...(state.completedAt && !Number.isNaN(state.completedAt.getTime()) ? { completedAt: state.completedAt } : {}),
        severityCounts: state.severityCounts ?? {},
        ...(state.description ? { description: state.description } : {}),
      };
  /** StartImageScan's answers, as the ledger keeps them: a scan in progress, or one that cannot run now (archived: nothing kept). */
  const OUTCOME_STATUS: Partial<Record<StartScanOutcome, string>> = {
    'started': 'IN_PROGRESS',
    'recently-scanned': 'LIMIT_EXCEEDED',
    'quota-exceeded': 'LIMIT_EXCEEDED',
    'unsupported-image': 'UNSUPPORTED_IMAGE',
  };

  /** What a digest's decision costs in saved and ignored reads, counted once its evaluation completes. */
  interface Tally {
    statusReadsSaved: number;
    ledgerEntriesIgnored: number;
  }
  /** A due digest, decided but not yet started (or deferred): the second step's input. */
  interface DueImage {
    readonly image: ImageDetail;
    readonly read: LedgerRead;
    readonly base: ImageEvaluation;
    readonly tally: Tally;
    readonly candidate: BudgetCandidate;
  }
  const complete = (tally: Tally) => {
    counts.imagesEvaluated++;
    counts.statusReadsSaved += tally.statusReadsSaved;
    counts.ledgerEntriesIgnored += tally.ledgerEntriesIgnored;
  };
  /** Where a digest runs, as far as the walk knows: from its ledger entry and the last discovery's marker. */
  const inUseStatus = (imageDigest: string, read: LedgerRead) =>
    scope
      ? inUseView({
        now: options.now,
        discoveryOn: scope.inUse.discoveryOn,
        holdMs: scope.inUse.holdMs,
        marker: scope.marker,
        places: scope.markerRead && !unreadDigests.has(imageDigest) && read.ignored === undefined ? read.entry?.inUse ?? [] : undefined,
      }).status
      : 'unknown';

  /**
   * The first step for one digest: its state (from the listing, the ledger or ECR) and the
   * decision. A skip completes here; a due digest is returned for the second step.
   */
  const decide = async (image: ImageDetail, read: LedgerRead): Promise<{ readonly done: ImageEvaluation } | { readonly due: DueImage }> => {
    const imageDigest = image.imageDigest as string;
    const keys = { repositoryName, imageDigest };
    const imageTags = image.imageTags ?? [];
    const tally: Tally = { statusReadsSaved: 0, ledgerEntriesIgnored: 0 };
    let state: ImageScanState;
    let stateSource: 'ecr' | 'ledger' = 'ecr';
    let readFromEcr = false;
    // What the entry is, first (../decisions/image-format.ts): an image index, a referrer, an
    // artifact or an archived image is skipped without a state read and without StartImageScan.
    // Under enhanced scanning every entry is skipped as enhanced-scanning, as before. An index read
    // says which manifests are attestations (skipped) and names the platform images.
    const imageIndex = indexes?.indexOf(imageDigest, read);
    const format = options.registryScanType === 'BASIC' ? decideImageFormat({ ...image, indexRole: imageIndex?.role }) : undefined;
    try {
      const fromDetail = scanStateFromDetail(image);
      const verdict = ledgerVerdict(read, image.imagePushedAt, { now: options.now, recheckMs: options.scanExpiryMs });
      if (options.registryScanType === 'ENHANCED' && options.coverage && worthACoverageRead({ lastRecordedPullTime: image.lastRecordedPullTime }, options.coverage)) {
        // A pulled image whose monitoring may have expired: worth its status, to name the gap.
        state = await readScanStatus(ecr, repositoryName, imageDigest);
        readFromEcr = true;
      } else if (options.registryScanType === 'ENHANCED' || format) {
        // Under enhanced scanning nothing can be started, so the state is not worth a request.
        state = {};
      } else if (fromDetail) {
        state = fromDetail;
      } else if ('use' in verdict) {
        state = verdict.use;
        stateSource = 'ledger';
        tally.statusReadsSaved++;
      } else {
        if (read.ignored !== undefined) {
          tally.ledgerEntriesIgnored++;
          options.log.warn('Ledger entry ignored: reading the state from ECR', { ...keys, problem: read.ignored });
        }
        state = await readScanStatus(ecr, repositoryName, imageDigest);
        readFromEcr = true;
      }
    } catch (error) {
      if (errorName(error) !== 'ImageNotFoundException') throw error;
      complete(tally);
      skip('image-gone');
      options.log.info('Image skipped: deleted since it was listed', keys);
      const decision: RescanDecision = { action: 'skip', reason: 'not-scannable', detail: 'the image was deleted since it was listed' };
      return { done: { repositoryName, imageDigest, imageTags, state: {}, decision } };
    }
    let decision: RescanDecision = format ? { action: 'skip', ...format } : decideRescan(state, policy);
    if (decision.action === 'scan' && scope && scope.config.kind !== 'all') {
      const pulls = { lastPulledAt: image.lastRecordedPullTime, pushedAt: image.imagePushedAt };
      const verdict = decideScope(scope.config, { now: options.now, inUse: inUseStatus(imageDigest, read), ...pulls });
      if (!verdict.inScope) {
        decision = { action: 'skip', reason: 'out-of-scope', detail: `due (${decision.reason}), but outside rescanScope: ${verdict.reason}` };
      }
    }
    const gap =
      options.registryScanType === 'ENHANCED' && options.coverage && monitoringExpiredGap({ status: state.status, lastRecordedPullTime: image.lastRecordedPullTime }, options.coverage)
        ? { coverageGap: 'monitoring-expired' as const }
        : {};
    const indexed = imageIndex ? { imageIndex } : {};
    const base: ImageEvaluation = { repositoryName, imageDigest, imageTags, state, stateSource, decision, ...gap, ...indexed };
    if (decision.action === 'skip') {
      complete(tally);
      skip(decision.reason);
      const level = decision.reason === 'unknown-status' ? 'warn' : 'debug';
      options.log[level]('Image skipped', { ...keys, reason: decision.reason, detail: decision.detail, status: state.status, ...source(stateSource) });
      const observed = readFromEcr ? observation(state, 'status-read') : undefined;
      if (observed) await writeBack(image, read, observed);
      return { done: base };
    }
    const candidate: BudgetCandidate = {
      imageDigest,
      ...(read.ignored === undefined && read.entry?.deferredOn ? { deferredOn: read.entry.deferredOn } : {}),
      inUse: inUseStatus(imageDigest, read),
      lastPulledAt: image.lastRecordedPullTime,
      lastScanAt: state.completedAt,
    };
    return { due: { image, read, base, tally, candidate } };
  };
  // Where the state came from, on the log lines of a walk with a ledger (the command-line tool has none).
  const source = (stateSource: ImageEvaluation['stateSource']) => (ledger ? { stateSource } : {});

  /** The second step for a due digest the budget lets through: StartImageScan (unless a dry run), and its answer recorded. */
  const startOne = async (due: DueImage): Promise<ImageEvaluation> => {
    const { image, read, base } = due;
    const keys = { repositoryName, imageDigest: base.imageDigest };
    complete(due.tally);
    counts.due++;
    if (options.dryRun) return base;
    const { decision } = base;
    const started = await startScan(ecr, repositoryName, base.imageDigest);
    switch (started.outcome) {
      case 'started':
        counts.scansStarted++;
        options.log.debug('Scan started', { ...keys, reason: decision.reason, detail: decision.detail, ...source(base.stateSource) });
        break;
      case 'recently-scanned':
        counts.recentlyScanned++;
        options.log.debug('Scan refused: scanned in the last 24 hours', { ...keys, reason: decision.reason, ecrMessage: started.message, ...source(base.stateSource) });
        break;
      case 'quota-exceeded':
        counts.quotaExceeded++;
        options.log.warn('Scan refused by an ECR quota', { ...keys, ecrMessage: started.message });
        break;
      default:
        skip(started.outcome);
        options.log.info('Scan refused', { ...keys, outcome: started.outcome, ecrMessage: started.message });
    }
    const status = OUTCOME_STATUS[started.outcome];
    if (status) {
      const observed: ScanRecord = { status, observedAt, source: 'start-image-scan', severityCounts: {}, ...(started.message ? { description: started.message } : {}) };
      await writeBack(image, read, observed, started.outcome === 'started' && due.candidate.deferredOn ? ['deferredOn'] : []);
    }
    return { ...base, outcome: started.outcome, outcomeMessage: started.message };
  };

  /** The second step for a due digest beyond the day's budget: counted, and marked on its entry so it comes first on a later day. */
  const defer = async (due: DueImage, tier: ScanTier, day: string): Promise<{ evaluation: ImageEvaluation; newlyDeferred: boolean }> => {
    const keys = { repositoryName, imageDigest: due.base.imageDigest };
    let newlyDeferred = false;
    if (ledger && !options.dryRun) {
      try {
        newlyDeferred = await ledger.markDeferred(repositoryName, due.base.imageDigest, day, options.now);
      } catch (error) {
        counts.ledgerWriteFailures++;
        options.log.warn('Ledger write failed: the deferral is not marked, so the digest is not put first tomorrow', { ...keys, errorName: errorName(error), error: errorMessage(error) });
      }
    }
    complete(due.tally);
    counts.due++;
    skip('deferred-budget');
    options.log.debug('Scan deferred: the daily scan budget is spent', { ...keys, tier, reason: due.base.decision.reason });
    return { evaluation: { ...due.base, deferred: { tier, day } }, newlyDeferred };
  };

  /**
   * The second step for the due digests the first step decided: in the budget's order, as many
   * started as the budget grants, the rest deferred; without a budget, all started. It always
   * completes (the walk's stop is checked in the first step), so the digests decided are a prefix
   * of those listed: at most 100 without a budget, a page (1,000) with one.
   */
  const startOrDefer = async (dues: readonly DueImage[]): Promise<Map<string, ImageEvaluation>> => {
    const done = new Map<string, ImageEvaluation>();
    const budget = options.budget;
    if (!budget) {
      for (const evaluation of await mapWithConcurrency(dues, options.concurrency, startOne)) done.set(evaluation.imageDigest, evaluation);
      return done;
    }
    const order = compareForBudget(options.now);
    const ordered = [...dues].sort((a, b) => order(a.candidate, b.candidate));
    // Tier by tier, in the budget's order (a Map keeps the order its keys were first set in).
    const groups = new Map<ScanTier, DueImage[]>();
    for (const due of ordered) {
      const tier = scanTier(due.candidate, options.now);
      const group = groups.get(tier);
      if (group) group.push(due);
      else groups.set(tier, [due]);
    }
    const toStart: { due: DueImage; tier: ScanTier }[] = [];
    const toDefer: { due: DueImage; tier: ScanTier }[] = [];
    /** Per tier group, the allowances its grant came from: what it does not use goes back there. */
    const grants = new Map<ScanTier, TierCounts>();
    let unavailable = false;
    for (const [tier, group] of groups) {
      let granted = group.length;
      if (!unavailable) {
        try {
          const grant = await budget.claim(tier, group.length);
          granted = grant.granted;
          grants.set(tier, { ...grant.from });
        } catch (error) {
          // The counters cannot be read or written: every due digest is started, as without a
          // budget; ECR's own quota still refuses what is beyond it (counted as quota-exceeded).
          unavailable = true;
          if (error instanceof BudgetUnavailableError && error.operation === 'read') counts.ledgerReadFailures++;
          else counts.ledgerWriteFailures++;
          const cause = error instanceof BudgetUnavailableError ? error.reason : error;
          options.log.warn('Scan budget unavailable: starting every due digest, as without a budget', { repositoryName, errorName: errorName(cause), error: errorMessage(cause) });
        }
      }
      group.forEach((due, i) => (i < granted ? toStart : toDefer).push({ due, tier }));
    }
    const started = await mapWithConcurrency(toStart, options.concurrency, (t) => startOne(t.due));
    started.forEach((evaluation) => done.set(evaluation.imageDigest, evaluation));
    // Granted but refused by ECR (scanned in the last 24 hours, a quota, gone): those scans go back to the budget.
    const unusedByTier = new Map<ScanTier, number>();
    toStart.forEach((t, i) => {
      const evaluation = started[i];
      const used = options.dryRun || evaluation.outcome === 'started';
      if (!used) unusedByTier.set(t.tier, (unusedByTier.get(t.tier) ?? 0) + 1);
    });
    const deferred = await mapWithConcurrency(toDefer, options.concurrency, (t) => defer(t.due, t.tier, budget.day));
    deferred.forEach(({ evaluation }) => done.set(evaluation.imageDigest, evaluation));
    if (!unavailable) {
      const giveBack: TierCounts = {};
      for (const [tier, unused] of unusedByTier) takeBack(grants.get(tier) ?? {}, unused, giveBack);
      const demand: TierCounts = {};
      [...toStart, ...toDefer].forEach((t) => (demand[t.tier] = (demand[t.tier] ?? 0) + 1));
      try {
        await budget.settle(giveBack, demand, deferred.filter((d) => d.newlyDeferred).length);
      } catch (error) {
        counts.ledgerWriteFailures++;
        const cause = error instanceof BudgetUnavailableError ? error.reason : error;
        options.log.warn('Scan budget not settled: unused scans are not given back, and the day\'s demand is undercounted', { repositoryName, errorName: errorName(cause), error: errorMessage(cause) });
      }
    }
    return done;
  };

  /**
   * What the page's image indexes list, before any of its digests is decided: the manifests an
   * index lists come before it in a page as often as after it. Their ledger entries say, for
   * indexes read before; the others' manifests are read (./image-indexes.ts).
   */
  const learnIndexes = async (images: readonly ImageDetail[]): Promise<void> => {
    const found = images.filter(isImageIndex);
    for (let start = 0; start < found.length; start += KEYS_PER_BATCH_GET) {
      const chunk = found.slice(start, start + KEYS_PER_BATCH_GET);
      let reads = new Map<string, LedgerRead>();
      if (ledger) {
        try {
          const answer = await ledger.readMany(repositoryName, chunk.map((i) => i.imageDigest as string), options.now);
          reads = answer.reads;
          if (answer.unread.length > 0) counts.ledgerReadFailures++;
        } catch (error) {
          counts.ledgerReadFailures++;
          options.log.warn('Ledger read of index entries failed: reading their manifests from ECR', { repositoryName, indexes: chunk.length, errorName: errorName(error), error: errorMessage(error) });
        }
      }
      await indexes?.learn(chunk, reads);
    }
  };

  const shouldStop = options.shouldStop;
  /**
   * Evaluates a prefix of `images` (all of them unless told to stop) in two steps: digests
   * decided, the ledger read 100 at a time just before; then the due ones started or deferred.
   * Without a budget the steps take 100 digests at a time; with one, the whole page, so that its
   * due digests are taken in the budget's order. Returns the digests left for a later walk.
   */
  const evaluateImages = async (images: readonly ImageDetail[]): Promise<string[]> => {
    if (indexes) await learnIndexes(images);
    const unit = options.budget ? Math.max(images.length, 1) : KEYS_PER_BATCH_GET;
    let decidedCount = 0;
    for (let from = 0; from < images.length; from += unit) {
      if (from > 0 && shouldStop?.()) break;
      const slice = images.slice(from, from + unit);
      const done = new Map<string, ImageEvaluation>();
      const dues: DueImage[] = [];
      let decidedInSlice = 0;
      for (let start = 0; start < slice.length; start += KEYS_PER_BATCH_GET) {
        if (start > 0 && shouldStop?.()) break;
        const chunk = slice.slice(start, start + KEYS_PER_BATCH_GET);
        const reads = await readLedger(chunk);
        const decideOne = (image: ImageDetail) => decide(image, reads.get(image.imageDigest as string) ?? ABSENT);
        const decided = await mapWithConcurrency(chunk, options.concurrency, decideOne, shouldStop);
        for (const d of decided) {
          if ('done' in d) done.set(d.done.imageDigest, d.done);
          else dues.push(d.due);
        }
        decidedInSlice += decided.length;
        if (decided.length < chunk.length) break;
      }
      for (const [digest, evaluation] of await startOrDefer(dues)) done.set(digest, evaluation);
      const onImage = options.onImage;
      if (onImage) slice.slice(0, decidedInSlice).forEach((image) => onImage(done.get(image.imageDigest as string) as ImageEvaluation));
      if (onImage && options.afterImages && decidedInSlice > 0) await options.afterImages();
      decidedCount += decidedInSlice;
      if (decidedInSlice < slice.length) break;
    }
    return images.slice(decidedCount).map((image) => image.imageDigest as string);
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
    const left = await evaluateImages(images);
    if (left.length > 0) {
      return { ...counts, continuation: { nextToken: options.position?.nextToken, pendingDigests: [...left, ...pending] } };
    }
  }
  if (options.position && options.position.nextToken === undefined) return counts;

  // 2. The pages, from the first or from the continuation's token.
  for await (const page of imagePagesFrom(ecr, repositoryName, options.position?.nextToken)) {
    const left = await evaluateImages(page.images);
    if (left.length > 0) {
      return { ...counts, continuation: { nextToken: page.nextToken, pendingDigests: left } };
    }
    if (page.nextToken !== undefined && stopped()) {
      return { ...counts, continuation: { nextToken: page.nextToken } };
    }
  }
  return counts;
}
