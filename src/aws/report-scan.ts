/**
 * One scan event, reported at most once: the threshold decision (../decisions/report.ts), the
 * findings read from ECR when a report is due, the digest's ledger entry and the report-on rule
 * (../decisions/report-on.ts), then, for a report, a claim in the ledger, Publish, and a commit.
 * Every event is recorded in the ledger, reported or not.
 *
 * Exactly one report per scan, with a conditional write on the digest's own entry rather than
 * Powertools' idempotency utility: the decision "is this new?" reads the same entry that the
 * claim changes, so the claim is conditioned on the entry being as it was read (its `version`),
 * and a failed Publish gives the claim back. The utility guards a call by a key derived from its
 * input, in a record of its own: the decision and the claim would be two writes to two items,
 * and a crash between them would repeat a report or lose one. The one duplicate no design can
 * prevent, a Publish whose answer was lost, is counted (`possiblyDuplicated`).
 *
 * The ledger never stops a report: when it cannot be read or written, the report goes out as if
 * the ledger knew nothing (at worst a repeat) and the failure is counted.
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { LostAnswerCounter } from './clients';
import { ScanDetails, errorMessage, errorName, readScanDetails } from './ecr';
import { Ledger } from './ledger';
import { LedgerRecords } from './ledger-records';
import { readReportContext } from './report-context';
import type { Log } from './rescan-repository';
import { acceptedRiskKey, applyAcceptedRisks } from '../decisions/accepted-risks';
import type { IndexRef } from '../decisions/image-index';
import { inUseSummary, inUseView } from '../decisions/in-use';
import type { ScanEvent } from '../decisions/inputs';
import { enhancedScanKey } from '../decisions/inspector-events';
import { ClaimRecord, LedgerRead, ScanRecord, mergeScan } from '../decisions/ledger';
import { UNOWNED } from '../decisions/owners';
import { decideReport, normalizeCounts } from '../decisions/report';
import { ReportInUse, buildReportMessage } from '../decisions/report-message';
import { NewsDecision, WithheldReason, decideNews, scanKey } from '../decisions/report-on';
import { decideScope } from '../decisions/scope';
import type { ReportSettings } from '../decisions/settings';

/** Findings read per report before sorting: ECR returns them in no severity order. */
export const FINDINGS_READ_LIMIT = 5000;
/** How long a claim holds off other events of the same scan: past the function's 1-minute timeout. */
export const CLAIM_TTL_MS = 3 * 60_000;
/** Rounds of read-decide-claim when the entry changes under the report (another writer got there first). */
const CLAIM_ROUNDS = 3;

export interface ReportDeps {
  readonly ecr: ECRClient;
  readonly sns: SNSClient;
  /** Counts the SNS client's attempts that lost their answer. */
  readonly lostAnswers: Pick<LostAnswerCounter, 'total'>;
  readonly ledger: Pick<Ledger, 'read' | 'write' | 'settleClaim'>;
  /** The ledger's other items: the discovery marker, owner caches, accepted risks' matches. @default - none: no owner tag is cached, in use is unknown */
  readonly records?: Pick<LedgerRecords, 'readReportContext' | 'writeOwner' | 'recordRiskMatch'>;
  readonly log: Log;
  readonly now: () => Date;
  /** A unique id per claim. */
  readonly newId: () => string;
}

export interface ReportOutcome {
  readonly published: boolean;
  /** The threshold decision's reason, or why a due report was withheld. */
  readonly reason: string;
  readonly withheld?: WithheldReason;
  readonly news?: string;
  readonly newFindings?: number;
  readonly messageId?: string;
  /** For a report: its owner (UNOWNED when none) and in-use status, as its attributes say. */
  readonly owner?: string;
  readonly inUse?: string;
}

/** What went wrong on the way, counted even when the report then fails: the handler publishes it as metrics. */
export interface ReportTally {
  /** Possible extra copies of the report: Publish attempts that lost their answer, and a takeover of a dead attempt's claim. */
  possiblyDuplicated: number;
  ledgerReadFailures: number;
  ledgerWriteFailures: number;
  ledgerEntriesIgnored: number;
  /** Findings left out as accepted risks or Inspector suppressions. */
  findingsIgnored: number;
  /** Owner tags read from ECR (the ledger's cache had none fresh). */
  ownerTagReads: number;
}

export function emptyTally(): ReportTally {
  return { possiblyDuplicated: 0, ledgerReadFailures: 0, ledgerWriteFailures: 0, ledgerEntriesIgnored: 0, findingsIgnored: 0, ownerTagReads: 0 };
}

/** Thrown when the entry changed under every round: Lambda retries the event. */
export class LedgerContentionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LedgerContentionError';
  }
}

/** What the caller already knows of the scan. */
export interface ReportScanOptions {
  /** The image's findings, read already (the Inspector report function reads them to count a burst of finding events). */
  readonly details?: ScanDetails;
  /** EPSS scores by vulnerability id, from Amazon Inspector's finding events, added to the report's findings. */
  readonly epss?: Readonly<Record<string, number>>;
}

const platformOf = (index: IndexRef) => (index.platform ? { platform: index.platform } : {});

export async function reportScan(
  deps: ReportDeps,
  scan: ScanEvent,
  settings: ReportSettings,
  tally: ReportTally = emptyTally(),
  options: ReportScanOptions = {},
): Promise<ReportOutcome> {
  const { log } = deps;
  const key = { repositoryName: scan.repositoryName, imageDigest: scan.imageDigest };
  const { counts, ignored } = normalizeCounts(scan.rawSeverityCounts);
  if (ignored.length > 0) log.warn('Ignored severity counts that are not non-negative integers', { ignored });
  const { thresholds, notifyOnScanFailure } = settings;
  const decision = decideReport({ scanStatus: scan.scanStatus, counts, thresholds, notifyOnScanFailure });
  const observedAt = scan.time ?? deps.now();
  const recorded = scan.scanStatus === 'COMPLETE' || scan.scanStatus === 'FAILED';
  const observation = (readCompletedAt: Date | undefined, description?: string, findingIds?: readonly string[]): ScanRecord => {
    // ECR's completion time when the findings were read; else the event's time, which ECR stamps as
    // the scan completes. An event without a time (a hand-made invocation) gives none: the entry then
    // reads as not complete, and the walk asks ECR (a read), rather than trust the time of this run.
    const completedAt = scan.scanStatus === 'COMPLETE' ? readCompletedAt ?? scan.time : undefined;
    return {
      status: scan.scanStatus,
      observedAt,
      source: 'scan-event',
      ...(completedAt ? { completedAt } : {}),
      severityCounts: scan.scanStatus === 'COMPLETE' ? counts : {},
      ...(scan.scanStatus === 'COMPLETE' && findingIds ? { findingIds } : {}),
      ...(description ? { description } : {}),
    };
  };

  const ledgerFailed = (what: 'read' | 'write', error: unknown) => {
    if (what === 'read') tally.ledgerReadFailures++;
    else tally.ledgerWriteFailures++;
    log.warn(`Ledger ${what} failed: going on without it`, { errorName: errorName(error), error: errorMessage(error) });
  };
  const read = async (): Promise<LedgerRead | undefined> => {
    try {
      const result = await deps.ledger.read(scan.repositoryName, scan.imageDigest, deps.now());
      if (result.ignored !== undefined) {
        tally.ledgerEntriesIgnored++;
        log.warn('Ledger entry ignored: deciding as if the ledger had none', { problem: result.ignored });
      }
      return result;
    } catch (error) {
      ledgerFailed('read', error);
      return undefined;
    }
  };
  /**
   * Records the observation, with a claim when given: on the entry as read (only if it is still
   * that entry), or without a read (only if the ledger holds nothing later). A write that fails
   * is counted; the report goes on without it.
   */
  const record = async (entryRead: LedgerRead | undefined, observed: ScanRecord, claim?: ClaimRecord): Promise<'written' | 'changed' | 'failed'> => {
    const merged = entryRead?.entry ? mergeScan(entryRead.entry.scan, observed) : observed;
    try {
      const written = await deps.ledger.write(
        { ...key, imageTags: scan.imageTags, ...(merged ? { scan: merged } : {}), ...(claim ? { claim } : {}), remove: observed.status === 'COMPLETE' ? ['failureReport', 'deferredOn'] : [] },
        entryRead ? { kind: 'locked', read: entryRead } : { kind: 'monotonic' },
        deps.now(),
      );
      // A monotonic write refused means the ledger already holds a later observation: nothing to record.
      return written || !entryRead ? 'written' : 'changed';
    } catch (error) {
      ledgerFailed('write', error);
      return 'failed';
    }
  };
  /** Records the observation on the entry as it is now, reading it again while another writer changes it. */
  const recordOnEntry = async (observed: ScanRecord): Promise<void> => {
    for (let round = 0; round < CLAIM_ROUNDS; round++) {
      if ((await record(await read(), observed)) !== 'changed') return;
    }
    log.warn('Scan not recorded: the ledger entry changed in every round; the next status read corrects it');
  };

  if (!settings.filter.matches(scan.repositoryName)) {
    if (recorded) await record(undefined, observation(undefined));
    log.info('Report skipped: the repository does not match the configured patterns');
    return { published: false, reason: 'repository-not-selected' };
  }
  if (!decision.due) {
    // A COMPLETE scan below every threshold (no finding at a reached severity) replaces what the ledger
    // knew and needs no read; a FAILED one keeps the last COMPLETE scan's, so it is merged into the entry as read.
    if (scan.scanStatus === 'COMPLETE') await record(undefined, observation(undefined, undefined, []));
    else if (recorded) await recordOnEntry(observation(undefined));
    const level = decision.reason === 'unexpected-scan-status' ? 'warn' : 'info';
    log[level]('No report due', { reason: decision.reason, scanStatus: scan.scanStatus, severityCounts: counts });
    return { published: false, reason: decision.reason };
  }

  let details: ScanDetails | undefined = options.details;
  let findingsUnavailableReason: string | undefined;
  try {
    details ??= await readScanDetails(deps.ecr, scan.repositoryName, scan.imageDigest, FINDINGS_READ_LIMIT);
    const epss = options.epss;
    if (epss && Object.keys(epss).length > 0) {
      details = { ...details, findings: details.findings.map((f) => (epss[f.id] !== undefined ? { ...f, epssScore: epss[f.id] } : f)) };
    }
  } catch (error) {
    const name = errorName(error);
    if (!['ScanNotFoundException', 'ImageNotFoundException', 'RepositoryNotFoundException'].includes(name)) throw error;
    // The image or its scan is gone: the event's counts still deserve a report.
    findingsUnavailableReason = `${name}: ${errorMessage(error)}`;
    log.warn('Findings unavailable; reporting the counts from the event', { error: findingsUnavailableReason });
  }
  const completedAt = scan.scanStatus === 'COMPLETE' ? details?.completedAt : undefined;

  // Accepted risks (and Inspector's suppressions) leave their findings out of the counts and the
  // news; the thresholds are evaluated again without them.
  const risks = details ? applyAcceptedRisks(settings.acceptedRisks, scan.repositoryName, details.findings, counts, deps.now()) : undefined;
  let effective = decision;
  let effectiveCounts = counts;
  if (risks && risks.ignored.length > 0) {
    tally.findingsIgnored += risks.ignored.length;
    effectiveCounts = risks.counts;
    effective = decideReport({ scanStatus: scan.scanStatus, counts: effectiveCounts, thresholds, notifyOnScanFailure });
    for (const applied of risks.applied) {
      if (!applied.entry || !deps.records) continue;
      try {
        await deps.records.recordRiskMatch(acceptedRiskKey(applied.entry), deps.now());
      } catch (error) {
        ledgerFailed('write', error);
      }
    }
  }
  const reachedSeverities = effective.evaluations.filter((e) => e.breached).map((e) => e.severity as string);
  const keptFindings = risks ? risks.kept : details?.findings;
  const reachedFindings = keptFindings ? keptFindings.filter((f) => reachedSeverities.includes(f.severity)) : undefined;
  const reachedIds = reachedFindings ? [...new Set(reachedFindings.map((f) => f.id))] : undefined;
  // A basic scan is known by ECR's completion time; an enhanced one by its findings (inspector-events.ts).
  const thisScan = scan.enhanced && reachedIds ? enhancedScanKey(reachedIds) : scanKey(scan.scanStatus, completedAt, scan.eventId);
  const observed = observation(completedAt, details?.statusDescription, reachedIds);
  if (!effective.due) {
    await record(undefined, observation(completedAt, details?.statusDescription, []));
    log.info('Report withheld: only accepted risks reach the thresholds', { ignored: risks?.ignored.length, severityCounts: counts });
    return { published: false, reason: 'accepted-risks', withheld: 'accepted-risks' };
  }
  const context = await readReportContext(
    { ecr: deps.ecr, records: deps.records, log, now: deps.now },
    settings,
    { repositoryName: scan.repositoryName, imageDigest: scan.imageDigest, accountId: scan.accountId, region: scan.region },
    tally,
  );
  const owner = context.owner.owner;
  let inUse: ReturnType<typeof inUseView> | undefined;
  /** The index that lists the digest, as its ledger entry says (a platform image or an attestation manifest). */
  let imageIndex: IndexRef | undefined;

  // Read, decide, claim; again if another writer changed the entry in between.
  let news: NewsDecision | undefined;
  let claimId: string | undefined;
  /** The last claim this attempt wrote that answered "changed": its first try may have taken effect unseen. */
  let triedClaim: { id: string; decision: NewsDecision } | undefined;
  for (let round = 0; round < CLAIM_ROUNDS && news === undefined; round++) {
    const entryRead = await read();
    const now = deps.now();
    if (triedClaim && entryRead?.entry?.claim?.id === triedClaim.id) {
      // The claim's write took effect and its answer was lost; the SDK's retry then failed the condition.
      news = triedClaim.decision;
      claimId = triedClaim.id;
      break;
    }
    inUse = inUseView({
      now,
      discoveryOn: settings.inUse.discoveryOn,
      holdMs: settings.inUse.holdMs,
      marker: context.marker,
      // A ledger that could not be read tells nothing about use.
      places: entryRead && context.ledgerRead ? entryRead.entry?.inUse ?? [] : undefined,
      inspector: details?.inspectorInUse,
    });
    const scope = decideScope(settings.scope, { now, inUse: inUse.status, lastPulledAt: context.lastPulledAt, pushedAt: context.pushedAt });
    imageIndex = entryRead?.ignored === undefined ? entryRead?.entry?.index : undefined;
    const candidate: NewsDecision = imageIndex?.role === 'attestation'
      ? { report: false, reason: 'attestation' }
      : !scope.inScope ? { report: false, reason: 'out-of-scope' } : decideNews({
        reportOn: settings.reportOn,
        scanStatus: scan.scanStatus,
        scanKey: thisScan,
        eventId: scan.eventId,
        now,
        reachedFindings,
        reachedSeverities,
        findingsTruncated: details?.truncated ?? false,
        counts: effectiveCounts,
        entry: entryRead?.entry,
      });
    if (!entryRead) {
      news = candidate; // The ledger cannot be read: decide as if it had no entry, and report without a claim.
    } else if (!candidate.report) {
      if ((await record(entryRead, observed)) !== 'changed') news = candidate;
    } else {
      const claim: ClaimRecord = { id: deps.newId(), scanKey: thisScan, eventId: scan.eventId, expiresAt: new Date(now.getTime() + CLAIM_TTL_MS) };
      const written = await record(entryRead, observed, claim);
      if (written !== 'changed') news = candidate;
      if (written === 'written') claimId = claim.id;
      if (written === 'changed') triedClaim = { id: claim.id, decision: candidate };
    }
  }
  if (news === undefined) throw new LedgerContentionError(`the ledger entry of ${scan.repositoryName}@${scan.imageDigest} changed in each of ${CLAIM_ROUNDS} rounds`);
  if (!news.report) {
    log.info('Report withheld', { reason: news.reason, scanKey: thisScan });
    return { published: false, reason: news.reason, withheld: news.reason };
  }
  if (news.takesOverClaim) {
    tally.possiblyDuplicated++;
    log.warn('Report taken over from an earlier attempt that claimed it and did not finish: it may have been published already', { scanKey: thisScan });
  }

  const view = inUse ?? { status: 'unknown' as const, places: [] };
  const pulls = { lastPulledAt: context.lastPulledAt, pushedAt: context.pushedAt, now: deps.now() };
  const reportInUse: ReportInUse = {
    status: view.status,
    places: view.places
      .slice(0, 20)
      .map(({ kind, name, cluster, count }) => ({ kind, name, ...(cluster ? { cluster } : {}), ...(count !== undefined ? { count } : {}) })),
    placesOmitted: Math.max(0, view.places.length - 20),
    ...(context.lastPulledAt ? { lastPulledAt: context.lastPulledAt.toISOString() } : {}),
    ...(context.pushedAt ? { pushedAt: context.pushedAt.toISOString() } : {}),
    summary: inUseSummary(view, pulls, Math.round(settings.inUse.holdMs / 3600_000)),
  };
  const message = buildReportMessage(
    {
      repositoryName: scan.repositoryName,
      imageDigest: scan.imageDigest,
      imageTags: scan.imageTags,
      scanStatus: scan.scanStatus,
      accountId: scan.accountId,
      region: scan.region,
      counts: effectiveCounts,
      thresholds: settings.thresholds,
      decision: effective,
      findings: keptFindings ?? [],
      statusDescription: details?.statusDescription,
      scanCompletedAt: details?.completedAt,
      vulnerabilitySourceUpdatedAt: details?.vulnerabilitySourceUpdatedAt,
      findingsUnavailableReason,
      news: { reportOn: settings.reportOn, reason: news.reason, newFindings: news.newFindings, previousReportAt: news.previousReportAt },
      inUse: reportInUse,
      owner: owner ?? null,
      ...(imageIndex ? { imageIndex: { digest: imageIndex.digest, tags: imageIndex.tags, ...platformOf(imageIndex) } } : {}),
      ...(risks && risks.applied.length > 0
        ? {
          acceptedRisks: {
            ignoredCount: risks.ignored.length,
            entries: risks.applied.map((a) => ({
              findingId: a.findingId,
              reason: a.reason,
              ...(a.expires ? { expires: a.expires } : {}),
              source: a.source,
              findings: a.findings,
            })),
          },
        }
        : {}),
    },
    { maxFindings: settings.maxFindings, chat: settings.chat },
  );
  const lostBefore = deps.lostAnswers.total;
  let messageId: string | undefined;
  try {
    const response = await deps.sns.send(
      new PublishCommand({
        TopicArn: settings.topicArn,
        Subject: message.subject,
        Message: message.snsMessage,
        MessageStructure: 'json',
        MessageAttributes: message.attributes,
      }),
    );
    messageId = response.MessageId;
  } catch (error) {
    // Each attempt that lost its answer may have been delivered: a possible extra copy (or the only one).
    tally.possiblyDuplicated += deps.lostAnswers.total - lostBefore;
    if (claimId !== undefined) {
      // Give the report back, so Lambda's retry of this event (or another event of the scan) sends it.
      try {
        await deps.ledger.settleClaim(scan.repositoryName, scan.imageDigest, claimId, {}, deps.now());
      } catch (releaseError) {
        ledgerFailed('write', releaseError);
      }
    }
    throw error;
  }
  const lostAnswers = deps.lostAnswers.total - lostBefore;
  if (lostAnswers > 0) {
    tally.possiblyDuplicated += lostAnswers;
    log.warn('Publish lost an answer and was retried: subscribers may receive this report more than once', { lostAnswers });
  }

  if (claimId !== undefined) {
    const at = deps.now();
    const report =
      scan.scanStatus === 'FAILED'
        ? { failureReport: { at, scanKey: thisScan, eventId: scan.eventId } }
        : {
          lastReport: {
            at,
            scanKey: thisScan,
            eventId: scan.eventId,
            reason: news.reason,
            findingIds: reachedIds ?? [],
            severityCounts: effectiveCounts,
          },
        };
    try {
      if (!(await deps.ledger.settleClaim(scan.repositoryName, scan.imageDigest, claimId, report, at))) {
        log.warn('Report published, but its claim was gone at the commit: the commit\'s first try took effect unseen, or another attempt took the claim over');
      }
    } catch (error) {
      ledgerFailed('write', error);
    }
  }
  log.info('Report published', {
    reason: effective.reason,
    owner: owner ?? UNOWNED,
    inUse: view.status,
    news: news.reason,
    newFindings: news.newFindings.length,
    // As the report gives it: UNKNOWN for a FAILED scan, which has no counts.
    highestSeverity: message.document.highestSeverity,
    findingsListed: message.findingsListed,
    findingsOmitted: message.findingsOmitted,
    bytes: message.bytes,
    messageId,
  });
  const newFindings = news.newFindings.length;
  return { published: true, reason: effective.reason, news: news.reason, newFindings, messageId, owner: owner ?? UNOWNED, inUse: view.status };
}
