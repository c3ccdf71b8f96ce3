/**
 * The walk's index reader (src/aws/image-indexes.ts) where the emulator cannot go: BatchGetImage
 * failing or answering with failures, manifests that are not indexes, a ledger that knows an
 * index (with the same or other tags) or fails to record one, and the bound on what a walk keeps.
 */
import { BatchGetImageCommand, ECRClient, ImageDetail } from '@aws-sdk/client-ecr';
import { serviceError } from './helpers';
import { ImageIndexes } from '../../src/aws/image-indexes';
import { IndexChild } from '../../src/decisions/image-index';
import { LedgerRead } from '../../src/decisions/ledger';

const REPOSITORY = 'shop/api';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const NOW = new Date('2026-12-03T12:00:00Z');

function indexText(children: readonly string[], attestation?: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      ...children.map((d, i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d, size: 1, platform: { os: 'linux', architecture: i === 0 ? 'amd64' : 'arm64' } })),
      ...(attestation ? [{ digest: attestation, size: 1, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } }] : []),
    ],
  });
}

const index = (d: string, tags: string[] = ['v1']): ImageDetail => ({ imageDigest: d, imageTags: tags, imageManifestMediaType: OCI_INDEX, imageStatus: 'ACTIVE' });

/** A fake ECR answering BatchGetImage from `manifests` (digest -> text); other digests are failures. */
function fakeEcr(manifests: Record<string, string>, behaviour: { throws?: Error } = {}) {
  const calls: string[][] = [];
  const ecr = {
    send: async (command: unknown) => {
      if (!(command instanceof BatchGetImageCommand)) throw new Error(`unexpected ${String(command)}`);
      const ids = (command.input.imageIds ?? []).map((i) => i.imageDigest as string);
      calls.push(ids);
      expect(command.input.acceptedMediaTypes).toContain(OCI_INDEX);
      if (behaviour.throws) throw behaviour.throws;
      return {
        images: ids.filter((d) => manifests[d] !== undefined).map((d) => ({ imageId: { imageDigest: d }, imageManifest: manifests[d] })),
        failures: ids.filter((d) => manifests[d] === undefined).map((d) => ({ imageId: { imageDigest: d }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' })),
      };
    },
  } as unknown as ECRClient;
  return { ecr, calls };
}

function logCapture() {
  const warnings: { message: string; extra: Record<string, unknown> }[] = [];
  const warn = (message: string, extra: Record<string, unknown> = {}) => warnings.push({ message, extra });
  return { warnings, log: { warn, debug: () => undefined } };
}

function known(children: readonly IndexChild[], tags: string[]): LedgerRead {
  return { exists: true, rawVersion: 0, entry: { repositoryName: REPOSITORY, imageDigest: 'x', imageTags: tags, version: 0, children: { manifests: children, tags } } };
}

describe('ImageIndexes', () => {
  test('without a ledger: every index read, 100 per BatchGetImage; listed manifests named by their index', async () => {
    const indexes = Array.from({ length: 150 }, (_, i) => `sha256:${i.toString(16).padStart(64, '0')}`);
    const manifests = Object.fromEntries(indexes.map((d, i) => [d, indexText([digest(i % 2 === 0 ? 'a' : 'b')])]));
    const { ecr, calls } = fakeEcr(manifests);
    const { log } = logCapture();
    const reader = new ImageIndexes(ecr, { repositoryName: REPOSITORY, now: NOW, log });

    await reader.learn(indexes.map((d) => index(d)), new Map());

    expect(calls.map((c) => c.length)).toEqual([100, 50]);
    expect(reader.counts).toEqual({ indexManifestsRead: 150, indexManifestsUnread: 0, ledgerWriteFailures: 0 });
    expect(reader.indexOf(digest('a'), undefined)).toMatchObject({ role: 'platform', platform: 'linux/amd64', tags: ['v1'] });
  });

  test('archived indexes and non-indexes are not read', async () => {
    const { ecr, calls } = fakeEcr({});
    const reader = new ImageIndexes(ecr, { repositoryName: REPOSITORY, now: NOW, log: logCapture().log });
    await reader.learn([{ ...index(digest('1')), imageStatus: 'ARCHIVED' }, { imageDigest: digest('2'), imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }], new Map());
    expect(calls).toEqual([]);
  });

  test('a failed BatchGetImage, a failure for one digest and a manifest that is not an index are counted and logged, never thrown', async () => {
    const thrown = fakeEcr({}, { throws: serviceError('ThrottlingException', 'Rate exceeded') });
    const first = logCapture();
    const reader = new ImageIndexes(thrown.ecr, { repositoryName: REPOSITORY, now: NOW, log: first.log });
    await reader.learn([index(digest('1')), index(digest('2'))], new Map());
    expect(reader.counts.indexManifestsUnread).toBe(2);
    expect(first.warnings[0]).toMatchObject({ extra: { errorName: 'ThrottlingException', indexes: 2 } });

    const partial = fakeEcr({ [digest('1')]: indexText([digest('a')]), [digest('3')]: JSON.stringify({ mediaType: 'application/vnd.oci.image.manifest.v1+json' }) });
    const second = logCapture();
    const other = new ImageIndexes(partial.ecr, { repositoryName: REPOSITORY, now: NOW, log: second.log });
    await other.learn([index(digest('1')), index(digest('2')), index(digest('3'))], new Map());
    expect(other.counts).toEqual({ indexManifestsRead: 1, indexManifestsUnread: 2, ledgerWriteFailures: 0 });
    expect(second.warnings.map((w) => w.extra.problem)).toEqual(['BatchGetImage failed: ImageNotFound', expect.stringContaining('not an image index')]);
  });

  test('with a ledger: an index it knows with these tags is not read; with other tags, its manifests are recorded again without a read; else it is read and recorded', async () => {
    const children: IndexChild[] = [{ digest: digest('a'), role: 'platform', platform: 'linux/amd64' }, { digest: digest('c'), role: 'attestation' }];
    const { ecr, calls } = fakeEcr({ [digest('3')]: indexText([digest('e')], digest('f')) });
    const recorded: { index: string; tags: readonly string[]; children: readonly IndexChild[] }[] = [];
    const ledger = {
      recordIndex: async (_r: string, i: { digest: string; tags: readonly string[] }, c: readonly IndexChild[]) => {
        recorded.push({ index: i.digest, tags: i.tags, children: c });
      },
    };
    const reader = new ImageIndexes(ecr, { repositoryName: REPOSITORY, now: NOW, log: logCapture().log, ledger });
    const reads = new Map([[digest('1'), known(children, ['v1'])], [digest('2'), known(children, ['v1'])]]);

    await reader.learn([index(digest('1'), ['v1']), index(digest('2'), ['v2', 'latest']), index(digest('3'))], reads);

    expect(calls).toEqual([[digest('3')]]);
    expect(recorded).toEqual([
      { index: digest('2'), tags: ['v2', 'latest'], children },
      { index: digest('3'), tags: ['v1'], children: [{ digest: digest('e'), role: 'platform', platform: 'linux/amd64' }, { digest: digest('f'), role: 'attestation' }] },
    ]);
    expect(reader.indexOf(digest('f'), undefined)).toMatchObject({ digest: digest('3'), role: 'attestation' });
  });

  test('a failed ledger write is counted; the walk still knows what it read', async () => {
    const { ecr } = fakeEcr({ [digest('1')]: indexText([digest('a')]) });
    const capture = logCapture();
    const ledger = { recordIndex: async () => { throw new Error('ProvisionedThroughputExceededException'); } };
    const reader = new ImageIndexes(ecr, { repositoryName: REPOSITORY, now: NOW, log: capture.log, ledger });
    await reader.learn([index(digest('1'))], new Map());
    expect(reader.counts).toEqual({ indexManifestsRead: 1, indexManifestsUnread: 0, ledgerWriteFailures: 1 });
    expect(reader.indexOf(digest('a'), undefined)?.digest).toBe(digest('1'));
    expect(capture.warnings.map((w) => w.message)).toEqual([expect.stringContaining('Ledger write')]);
  });

  test('what the walk read comes before a ledger entry; an ignored entry says nothing; at most maxRemembered manifests are kept', async () => {
    const { ecr } = fakeEcr({ [digest('1')]: indexText([digest('a'), digest('b')]) });
    const reader = new ImageIndexes(ecr, { repositoryName: REPOSITORY, now: NOW, log: logCapture().log, maxRemembered: 1 });
    await reader.learn([index(digest('1'))], new Map());
    expect(reader.indexOf(digest('a'), undefined)?.digest).toBe(digest('1'));
    expect(reader.indexOf(digest('b'), undefined)).toBeUndefined();
    const fromLedger: LedgerRead = {
      exists: true,
      rawVersion: 0,
      entry: { repositoryName: REPOSITORY, imageDigest: digest('b'), imageTags: [], version: 0, index: { digest: digest('9'), tags: ['old'], role: 'platform' } },
    };
    expect(reader.indexOf(digest('b'), fromLedger)?.digest).toBe(digest('9'));
    expect(reader.indexOf(digest('b'), { ...fromLedger, ignored: 'schemaVersion is 2' })).toBeUndefined();
  });
});
