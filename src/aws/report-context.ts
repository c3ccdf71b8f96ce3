/**
 * What a report says about an image beyond its scan: who owns the repository (a tag, cached in
 * the ledger for a day, or the pattern rules), where the image runs (the ledger's in-use places
 * and the discovery marker), and when it was last pulled (ECR DescribeImages, read-only; never
 * BatchGetImage, which would count as a pull). Each read that fails is counted and the report
 * goes on without it: an unknown owner routes to the unfiltered subscriptions, an unknown use
 * counts as in scope.
 */
import { DescribeImagesCommand, ECRClient, ListTagsForResourceCommand } from '@aws-sdk/client-ecr';
import { errorMessage, errorName } from './ecr';
import { CachedOwner, LedgerRecords, OWNER_CACHE_MS } from './ledger-records';
import type { Log } from './rescan-repository';
import { DiscoveryMarker } from '../decisions/in-use';
import { OwnerDecision, decideOwner } from '../decisions/owners';
import type { ReportSettings } from '../decisions/settings';

export interface ContextTally {
  ledgerReadFailures: number;
  ledgerWriteFailures: number;
  ownerTagReads: number;
}

export interface ReportContext {
  readonly owner: OwnerDecision;
  /** The last completed discovery; undefined when there is none or it could not be read. */
  readonly marker?: DiscoveryMarker;
  /** False when the ledger's context could not be read. */
  readonly ledgerRead: boolean;
  readonly lastPulledAt?: Date;
  readonly pushedAt?: Date;
}

/** The repository's ARN, in the partition of its region. */
export function repositoryArn(region: string, accountId: string, repositoryName: string): string {
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:ecr:${region}:${accountId}:repository/${repositoryName}`;
}

export async function readReportContext(
  deps: { ecr: ECRClient; records?: Pick<LedgerRecords, 'readReportContext' | 'writeOwner'>; log: Log; now: () => Date },
  settings: Pick<ReportSettings, 'ownerTagKey' | 'ownerRules' | 'inUse'>,
  image: { repositoryName: string; imageDigest: string; accountId: string; region: string },
  tally: ContextTally,
): Promise<ReportContext> {
  const { log } = deps;
  const needsLedger = settings.inUse.discoveryOn || settings.ownerTagKey !== undefined;
  let marker: DiscoveryMarker | undefined;
  let cached: CachedOwner | undefined;
  let ledgerRead = true;
  if (needsLedger && deps.records) {
    try {
      ({ marker, owner: cached } = await deps.records.readReportContext(image.repositoryName));
    } catch (error) {
      ledgerRead = false;
      tally.ledgerReadFailures++;
      log.warn('Ledger read failed: the report goes on without the owner cache and the discovery marker', { errorName: errorName(error), error: errorMessage(error) });
    }
  }

  let tagOwner: string | undefined;
  const tagKey = settings.ownerTagKey;
  if (tagKey !== undefined) {
    const now = deps.now();
    if (cached && cached.tagKey === tagKey && now.getTime() - cached.readAt.getTime() < OWNER_CACHE_MS) {
      tagOwner = cached.owner;
    } else {
      try {
        tally.ownerTagReads++;
        const resourceArn = repositoryArn(image.region, image.accountId, image.repositoryName);
        const tags = await deps.ecr.send(new ListTagsForResourceCommand({ resourceArn }));
        tagOwner = tags.tags?.find((t) => t.Key === tagKey)?.Value;
        if (deps.records) {
          try {
            await deps.records.writeOwner(image.repositoryName, { tagKey, readAt: now, ...(tagOwner !== undefined ? { owner: tagOwner } : {}) }, now);
          } catch (error) {
            tally.ledgerWriteFailures++;
            log.warn('Ledger write failed: the owner tag is read again next time', { errorName: errorName(error), error: errorMessage(error) });
          }
        }
      } catch (error) {
        log.warn('Repository tags could not be read: the owner comes from repositoryOwners, if any', { errorName: errorName(error), error: errorMessage(error) });
      }
    }
  }
  const owner = decideOwner({ repositoryName: image.repositoryName, ...(tagOwner !== undefined ? { tagOwner } : {}), rules: settings.ownerRules });
  if (tagOwner !== undefined && owner.source !== 'tag') log.warn('Owner tag value is not a valid owner name: ignored', { tagKey, tagValue: tagOwner });

  let lastPulledAt: Date | undefined;
  let pushedAt: Date | undefined;
  try {
    const imageIds = [{ imageDigest: image.imageDigest }];
    const described = await deps.ecr.send(new DescribeImagesCommand({ repositoryName: image.repositoryName, imageIds }));
    lastPulledAt = described.imageDetails?.[0]?.lastRecordedPullTime;
    pushedAt = described.imageDetails?.[0]?.imagePushedAt;
  } catch (error) {
    // The pull time only adds to a report (and, unknown, keeps an image in a pull-based scope): never lose the report for it.
    if (!['ImageNotFoundException', 'RepositoryNotFoundException'].includes(errorName(error))) {
      log.warn('The image\'s last pull could not be read: the report goes on without it', { errorName: errorName(error), error: errorMessage(error) });
    }
  }
  return { owner, ...(marker ? { marker } : {}), ledgerRead, ...(lastPulledAt ? { lastPulledAt } : {}), ...(pushedAt ? { pushedAt } : {}) };
}
