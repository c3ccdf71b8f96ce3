/**
 * The rescan walk's view of image indexes: which manifests each index lists, and as what
 * (../decisions/image-index.ts). An index's manifest is read with BatchGetImage, 100 indexes per
 * call, once per digest with a ledger (a manifest never changes; the ledger keeps what it lists
 * and the walk writes it onto the listed manifests' entries), on every walk without one.
 *
 * A listed manifest can come before its index in `DescribeImages`' order: what this walk read is
 * remembered (up to `maxRemembered` manifests) for the digests still to come, and later walks
 * find it on the manifests' ledger entries. A manifest seen before its index was ever read is
 * taken for an image that one time: an attestation manifest then costs one scan, which ECR fails.
 */
import { ECRClient, ImageDetail } from '@aws-sdk/client-ecr';
import { IMAGE_IDS_PER_CALL, batchGetIndexManifests, errorMessage, errorName } from './ecr';
import type { Ledger } from './ledger';
import { INDEX_MEDIA_TYPES } from '../decisions/image-format';
import { IndexChild, IndexRef, parseIndexManifest, sameTags } from '../decisions/image-index';
import type { LedgerRead } from '../decisions/ledger';

/** The logging calls used here. */
interface Log {
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  debug(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface ImageIndexOptions {
  readonly repositoryName: string;
  readonly now: Date;
  readonly log: Log;
  /** Where what an index lists is kept between walks. @default - none: every index is read on every walk */
  readonly ledger?: Pick<Ledger, 'recordIndex'>;
  /** Listed manifests this walk remembers for digests still to come. @default 20000 */
  readonly maxRemembered?: number;
}

export interface ImageIndexCounts {
  /** Index manifests read with BatchGetImage. */
  indexManifestsRead: number;
  /** Index manifests that could not be read or parsed: their manifests are taken for images. */
  indexManifestsUnread: number;
  /** Ledger writes of what an index lists that failed: the next walk writes them again. */
  ledgerWriteFailures: number;
}

export function isImageIndex(image: ImageDetail): boolean {
  return image.imageManifestMediaType !== undefined && INDEX_MEDIA_TYPES.includes(image.imageManifestMediaType);
}

export class ImageIndexes {
  private readonly remembered = new Map<string, IndexRef>();
  private readonly maxRemembered: number;

  /** `counts` is added to: the walk's own counts. */
  constructor(
    private readonly ecr: ECRClient,
    private readonly options: ImageIndexOptions,
    public readonly counts: ImageIndexCounts = { indexManifestsRead: 0, indexManifestsUnread: 0, ledgerWriteFailures: 0 },
  ) {
    this.maxRemembered = options.maxRemembered ?? 20_000;
  }

  /**
   * Learns what the active indexes among `images` list: from their ledger entries (`reads`) where
   * those know it with the index's current tags, else from their manifests. Never throws for an
   * index it cannot read: that index's manifests are then taken for images, and it is counted.
   */
  public async learn(images: readonly ImageDetail[], reads: ReadonlyMap<string, LedgerRead>): Promise<void> {
    const { repositoryName, log, ledger } = this.options;
    const toRead: ImageDetail[] = [];
    const retagged: { image: ImageDetail; children: readonly IndexChild[] }[] = [];
    for (const image of images) {
      if (!isImageIndex(image) || (image.imageStatus !== undefined && image.imageStatus !== 'ACTIVE')) continue;
      const known = ledger ? reads.get(image.imageDigest as string)?.entry?.children : undefined;
      if (!known) toRead.push(image);
      else if (!sameTags(known.tags, image.imageTags ?? [])) retagged.push({ image, children: known.manifests });
      // Else the listed manifests' entries already name this index with these tags.
    }
    const learnt = [...retagged];
    for (let start = 0; start < toRead.length; start += IMAGE_IDS_PER_CALL) {
      const chunk = toRead.slice(start, start + IMAGE_IDS_PER_CALL);
      let answer: Awaited<ReturnType<typeof batchGetIndexManifests>>;
      try {
        answer = await batchGetIndexManifests(this.ecr, repositoryName, chunk.map((i) => i.imageDigest as string));
      } catch (error) {
        this.counts.indexManifestsUnread += chunk.length;
        log.warn('Index manifests not read: their platform images are taken for images, and their attestations too', {
          repositoryName,
          indexes: chunk.length,
          errorName: errorName(error),
          error: errorMessage(error),
        });
        continue;
      }
      for (const image of chunk) {
        const imageDigest = image.imageDigest as string;
        const text = answer.manifests.get(imageDigest);
        const parsed = text === undefined ? { problem: `BatchGetImage failed: ${answer.failures.get(imageDigest)}` } : parseIndexManifest(text);
        if ('problem' in parsed) {
          this.counts.indexManifestsUnread++;
          log.warn('Index manifest unreadable: its manifests are taken for images', { repositoryName, imageDigest, problem: parsed.problem });
          continue;
        }
        this.counts.indexManifestsRead++;
        learnt.push({ image, children: parsed.children });
      }
    }
    for (const { image, children } of learnt) {
      this.remember(image, children);
      if (!ledger) continue;
      try {
        await ledger.recordIndex(repositoryName, { digest: image.imageDigest as string, tags: image.imageTags ?? [] }, children, this.options.now);
      } catch (error) {
        this.counts.ledgerWriteFailures++;
        log.warn('Ledger write of an index\'s manifests failed: the next walk reads or writes them again', {
          repositoryName,
          imageDigest: image.imageDigest,
          errorName: errorName(error),
          error: errorMessage(error),
        });
      }
    }
  }

  /** The index that lists `imageDigest`: as this walk read it, else as its ledger entry says. */
  public indexOf(imageDigest: string, read: LedgerRead | undefined): IndexRef | undefined {
    return this.remembered.get(imageDigest) ?? (read?.ignored === undefined ? read?.entry?.index : undefined);
  }

  private remember(image: ImageDetail, children: readonly IndexChild[]): void {
    const tags = image.imageTags ?? [];
    for (const child of children) {
      if (this.remembered.size >= this.maxRemembered && !this.remembered.has(child.digest)) return;
      const platform = child.platform ? { platform: child.platform } : {};
      this.remembered.set(child.digest, { digest: image.imageDigest as string, tags, role: child.role, ...platform });
    }
  }
}
