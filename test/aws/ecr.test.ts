import {
  BatchGetRepositoryScanningConfigurationCommand,
  BatchGetRepositoryScanningConfigurationCommandInput,
  DescribeImageScanFindingsCommand,
  DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommand,
  DescribeImagesCommandOutput,
  DescribeRepositoriesCommand,
  DescribeRepositoriesCommandOutput,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  ImageArchivedException,
  ImageDetail,
  ImageNotFoundException,
  LimitExceededException,
  RepositoryNotFoundException,
  ScanNotFoundException,
  StartImageScanCommand,
  UnsupportedImageTypeException,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DIGESTS, PER_IMAGE_QUOTA_MESSAGE, loadSdkFixture, paginatedFake, sdkMetadata, serviceError } from './helpers';
import {
  PAGE_SIZE,
  errorMessage,
  errorName,
  getRegistryScanType,
  imagePages,
  readScanDetails,
  readScanState,
  repositoryNamePages,
  repositoryScanningConfigurations,
  scanStateFromDetail,
  startScan,
} from '../../src/aws/ecr';

const ecrMock = mockClient(ECRClient);
const ecr = new ECRClient({ region: 'us-east-1' });
const REPOSITORY = 'team-a/service-01';

async function collect<T>(pages: AsyncGenerator<T[]>): Promise<T[][]> {
  const result: T[][] = [];
  for await (const page of pages) result.push(page);
  return result;
}

beforeEach(() => {
  ecrMock.reset();
});

describe('PAGE_SIZE', () => {
  test('is the largest page ECR allows', () => {
    expect(PAGE_SIZE).toBe(1000);
  });
});

describe('repositoryNamePages', () => {
  test('follows nextToken across three pages and asks for 1000 repositories a page', async () => {
    const pages = loadSdkFixture<DescribeRepositoriesCommandOutput[]>('describe-repositories-pages.json');
    const { fake, inputs } = paginatedFake(pages);
    ecrMock.on(DescribeRepositoriesCommand).callsFake(fake);

    const names = await collect(repositoryNamePages(ecr));

    expect(names).toHaveLength(3);
    expect(names[0]).toHaveLength(14);
    expect(names[0][0]).toBe('team-a/service-01');
    expect(names[1]).toEqual(['team-a/api-sandbox', 'team-b/db', 'team-a/worker-01', 'team-a/worker-02', 'team-a/worker-03']);
    expect(names[2]).toEqual(['tools/ci-runner', 'team-a/batch']);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeRepositoriesCommand, 3);
    expect(inputs.map((i) => i.maxResults)).toEqual([1000, 1000, 1000]);
    expect(inputs.map((i) => i.nextToken)).toEqual([undefined, pages[0].nextToken, pages[1].nextToken]);
  });

  test('yields an empty page for a registry without repositories', async () => {
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [] });
    expect(await collect(repositoryNamePages(ecr))).toEqual([[]]);
  });

  test('propagates an error from a later page', async () => {
    const pages = loadSdkFixture<DescribeRepositoriesCommandOutput[]>('describe-repositories-pages.json');
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolvesOnce(pages[0])
      .rejects(serviceError('AccessDeniedException', 'User is not authorized to perform: ecr:DescribeRepositories'));
    const seen: string[][] = [];
    await expect(
      (async () => {
        for await (const page of repositoryNamePages(ecr)) seen.push(page);
      })(),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(seen).toHaveLength(1);
  });
});

describe('imagePages', () => {
  test('follows nextToken across three pages with maxResults 1000 and yields each digest once', async () => {
    const pages = loadSdkFixture<DescribeImagesCommandOutput[]>('describe-images-pages.json');
    // The fixture's second page repeats the multi-tag digest of the first page.
    expect(pages[1].imageDetails?.map((i) => i.imageDigest)).toContain(DIGESTS.multiTag);
    const { fake, inputs } = paginatedFake(pages);
    ecrMock.on(DescribeImagesCommand).callsFake(fake);

    const result = await collect(imagePages(ecr, REPOSITORY));

    expect(result.map((page) => page.map((i) => i.imageDigest))).toEqual([
      [DIGESTS.multiTag, DIGESTS.untagged, DIGESTS.fresh],
      [DIGESTS.failed, DIGESTS.inProgress],
      [DIGESTS.unsupported, DIGESTS.unknownStatus, DIGESTS.recentlyScanned, DIGESTS.archived],
    ]);
    const all = result.flat().map((i) => i.imageDigest);
    expect(new Set(all).size).toBe(all.length);
    expect(result[0][0].imageTags).toEqual(['v1.4.2', 'latest', 'stable']);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 3);
    expect(inputs).toEqual([
      { repositoryName: REPOSITORY, maxResults: 1000, nextToken: undefined },
      { repositoryName: REPOSITORY, maxResults: 1000, nextToken: pages[0].nextToken },
      { repositoryName: REPOSITORY, maxResults: 1000, nextToken: pages[1].nextToken },
    ]);
  });

  test('drops entries without a digest', async () => {
    ecrMock.on(DescribeImagesCommand).resolves({
      imageDetails: [{ repositoryName: REPOSITORY, imageTags: ['odd'] }, { repositoryName: REPOSITORY, imageDigest: DIGESTS.other }],
    });
    const result = await collect(imagePages(ecr, REPOSITORY));
    expect(result).toEqual([[{ repositoryName: REPOSITORY, imageDigest: DIGESTS.other }]]);
  });

  test('propagates RepositoryNotFoundException', async () => {
    ecrMock.on(DescribeImagesCommand).rejects(
      new RepositoryNotFoundException({ message: `The repository with name '${REPOSITORY}' does not exist`, $metadata: sdkMetadata }),
    );
    await expect(collect(imagePages(ecr, REPOSITORY))).rejects.toBeInstanceOf(RepositoryNotFoundException);
  });
});

describe('readScanState', () => {
  const pages = () => loadSdkFixture<DescribeImagesCommandOutput[]>('describe-images-pages.json');
  const image = (digest: string): ImageDetail => {
    const found = pages()
      .flatMap((p) => p.imageDetails ?? [])
      .find((i) => i.imageDigest === digest);
    if (!found) throw new Error(`no fixture image ${digest}`);
    return found;
  };

  test('uses the DescribeImages summary when present, without calling DescribeImageScanFindings', async () => {
    const state = await readScanState(ecr, REPOSITORY, image(DIGESTS.fresh));
    expect(state).toEqual({
      status: 'COMPLETE',
      description: 'The scan was completed successfully.',
      completedAt: new Date('2026-11-14T08:00:00Z'),
      severityCounts: { HIGH: 2, MEDIUM: 5 },
    });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 0);
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('a summary status without a completion time is passed on as is', async () => {
    const state = await readScanState(ecr, REPOSITORY, image(DIGESTS.unsupported));
    expect(state).toEqual({
      status: 'UNSUPPORTED_IMAGE',
      description: 'The operating system and/or package manager are not supported.',
      completedAt: undefined,
      severityCounts: undefined,
    });
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('falls back to DescribeImageScanFindings with maxResults 1 when DescribeImages has no scan fields', async () => {
    const responses = loadSdkFixture<{ responses: Record<string, DescribeImageScanFindingsCommandOutput> }>(
      'describe-image-scan-findings-states.json',
    ).responses;
    ecrMock.on(DescribeImageScanFindingsCommand).resolves(responses[DIGESTS.untagged]);

    const state = await readScanState(ecr, REPOSITORY, image(DIGESTS.untagged));

    expect(state).toEqual({
      status: 'COMPLETE',
      description: 'The scan was completed successfully.',
      completedAt: new Date('2026-10-01T04:00:00Z'),
      severityCounts: { CRITICAL: 1, HIGH: 6 },
    });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 1);
    expect(ecrMock).toHaveReceivedCommandWith(DescribeImageScanFindingsCommand, {
      repositoryName: REPOSITORY,
      imageId: { imageDigest: DIGESTS.untagged },
      maxResults: 1,
    });
    // The digest alone identifies the image: a tag could point elsewhere by now.
    const input = ecrMock.commandCalls(DescribeImageScanFindingsCommand)[0].args[0].input;
    expect(input.imageId).toEqual({ imageDigest: DIGESTS.untagged });
  });

  test('maps ScanNotFoundException to never scanned', async () => {
    ecrMock
      .on(DescribeImageScanFindingsCommand)
      .rejects(new ScanNotFoundException({ message: `Image scan does not exist for the image with '{imageDigest:'${DIGESTS.multiTag}'}'`, $metadata: sdkMetadata }));
    expect(await readScanState(ecr, REPOSITORY, image(DIGESTS.multiTag))).toEqual({});
  });

  test('maps ScanNotFoundException of any shape, told by name', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(serviceError('ScanNotFoundException', 'no scan'));
    expect(await readScanState(ecr, REPOSITORY, image(DIGESTS.multiTag))).toEqual({});
  });

  test('imageStatus is not a scan state: an archived image\'s summary is read as any other (image-format.ts skips it first)', () => {
    const archived: ImageDetail = { ...image(DIGESTS.fresh), imageStatus: 'ARCHIVED' };
    expect(scanStateFromDetail(archived)?.status).toBe('COMPLETE');
    expect(scanStateFromDetail({ ...archived, imageScanStatus: undefined, imageScanFindingsSummary: undefined })).toBeUndefined();
  });

  test.each([
    ['ThrottlingException', serviceError('ThrottlingException', 'Rate exceeded')],
    ['ImageNotFoundException', new ImageNotFoundException({ message: 'The image requested does not exist', $metadata: sdkMetadata })],
    ['AccessDeniedException', serviceError('AccessDeniedException', 'not authorized to perform: ecr:DescribeImageScanFindings')],
  ])('rethrows %s', async (name, error) => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(error);
    await expect(readScanState(ecr, REPOSITORY, image(DIGESTS.untagged))).rejects.toBe(error);
    expect(errorName(error)).toBe(name);
  });
});

describe('startScan', () => {
  // callsFake, not rejects: the mock's rejects() turns any value into an Error,
  // which would hide the odd shapes these tests are about.
  const scanOf = (error: unknown) => {
    ecrMock.on(StartImageScanCommand).callsFake(() => Promise.reject(error));
    return startScan(ecr, REPOSITORY, DIGESTS.multiTag);
  };

  test('started: sends StartImageScan once, for the digest only', async () => {
    ecrMock.on(StartImageScanCommand).resolves({
      registryId: '123456789012',
      repositoryName: REPOSITORY,
      imageId: { imageDigest: DIGESTS.multiTag },
      imageScanStatus: { status: 'IN_PROGRESS' },
    });
    expect(await startScan(ecr, REPOSITORY, DIGESTS.multiTag)).toEqual({ outcome: 'started' });
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 1);
    expect(ecrMock.commandCalls(StartImageScanCommand)[0].args[0].input).toEqual({
      repositoryName: REPOSITORY,
      imageId: { imageDigest: DIGESTS.multiTag },
    });
  });

  test('LimitExceededException for the per-image quota: recently-scanned, with ECR\'s message, one call', async () => {
    const result = await scanOf(new LimitExceededException({ message: PER_IMAGE_QUOTA_MESSAGE, $metadata: sdkMetadata }));
    expect(result).toEqual({ outcome: 'recently-scanned', message: PER_IMAGE_QUOTA_MESSAGE });
    expect(ecrMock).toHaveReceivedCommandTimes(StartImageScanCommand, 1);
  });

  test('LimitExceededException for another quota: quota-exceeded', async () => {
    const message = 'The scan quota per registry has been exceeded for the day. Wait and retry the scan later.';
    const result = await scanOf(new LimitExceededException({ message, $metadata: sdkMetadata }));
    expect(result).toEqual({ outcome: 'quota-exceeded', message });
  });

  test('UnsupportedImageTypeException: unsupported-image', async () => {
    const message = 'The image is not supported for scanning';
    expect(await scanOf(new UnsupportedImageTypeException({ message, $metadata: sdkMetadata }))).toEqual({
      outcome: 'unsupported-image',
      message,
    });
  });

  test('ImageNotFoundException: image-gone', async () => {
    const message = `The image with imageId {imageDigest:'${DIGESTS.multiTag}'} does not exist within the repository`;
    expect(await scanOf(new ImageNotFoundException({ message, $metadata: sdkMetadata }))).toEqual({ outcome: 'image-gone', message });
  });

  test('ImageArchivedException: archived, a counted skip apart from image-gone', async () => {
    const message = 'The image is archived and cannot be scanned';
    expect(await scanOf(new ImageArchivedException({ message, $metadata: sdkMetadata }))).toEqual({ outcome: 'archived', message });
  });

  test.each([
    serviceError('ThrottlingException', 'Rate exceeded'),
    serviceError('InternalFailure', 'We encountered an internal error. Please try again.', 500),
    serviceError('ValidationException', 'Enhanced scanning does not support StartImageScan'),
  ])('rethrows $name', async (error) => {
    await expect(scanOf(error)).rejects.toBe(error);
  });

  test('an Error named plain "Error" with a Code field is classified by the Code', async () => {
    const error = Object.assign(new Error(PER_IMAGE_QUOTA_MESSAGE), { Code: 'LimitExceededException' });
    expect(await scanOf(error)).toEqual({ outcome: 'recently-scanned', message: PER_IMAGE_QUOTA_MESSAGE });
  });

  test('an error object with no name but a Code field is classified by the Code', async () => {
    const message = 'The image with imageId does not exist within the repository';
    expect(await scanOf({ Code: 'ImageNotFoundException', message })).toMatchObject({ outcome: 'image-gone' });
  });

  test('an error object with no name but a Code field keeps its message, so the per-image quota is recognized', async () => {
    // Not an Error instance: the message must still be read, or the per-image quota
    // ("scanned in the last 24 hours") is misread as a registry quota.
    const result = await scanOf({ Code: 'LimitExceededException', message: PER_IMAGE_QUOTA_MESSAGE });
    expect(result).toEqual({ outcome: 'recently-scanned', message: PER_IMAGE_QUOTA_MESSAGE });
  });

  test('an error object with a lower-case code field is classified by it', async () => {
    const error = Object.assign(new Error('The image is not supported for scanning'), { code: 'UnsupportedImageTypeException' });
    expect((await scanOf(error)).outcome).toBe('unsupported-image');
  });

  test('an error with no name at all is rethrown', async () => {
    const error = { message: 'socket hang up' };
    await expect(scanOf(error)).rejects.toBe(error);
  });
});

describe('errorName and errorMessage', () => {
  test.each<[unknown, string]>([
    [new LimitExceededException({ message: 'x', $metadata: sdkMetadata }), 'LimitExceededException'],
    [serviceError('ThrottlingException', 'Rate exceeded'), 'ThrottlingException'],
    [Object.assign(new Error('x'), { Code: 'ScanNotFoundException' }), 'ScanNotFoundException'],
    [{ Code: 'ImageNotFoundException' }, 'ImageNotFoundException'],
    [{ code: 'ECONNRESET' }, 'ECONNRESET'],
    [{ name: '', Code: 'RepositoryNotFoundException' }, 'RepositoryNotFoundException'],
    [{ name: 42, Code: 'ScanNotFoundException' }, 'ScanNotFoundException'],
    [new Error('plain'), 'UnknownError'],
    ['LimitExceededException', 'UnknownError'],
    ['a string', 'UnknownError'],
    [undefined, 'UnknownError'],
    [null, 'UnknownError'],
    [42, 'UnknownError'],
    [{}, 'UnknownError'],
  ])('errorName(%p) is %s', (error, expected) => {
    expect(errorName(error)).toBe(expected);
  });

  test('errorMessage reads an Error\'s message and stringifies anything else', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain text')).toBe('plain text');
    expect(errorMessage(undefined)).toBe('undefined');
  });
});

describe('getRegistryScanType', () => {
  test('BASIC', async () => {
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-basic.json'));
    expect(await getRegistryScanType(ecr)).toBe('BASIC');
    expect(ecrMock).toHaveReceivedCommandTimes(GetRegistryScanningConfigurationCommand, 1);
  });

  test('ENHANCED', async () => {
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-enhanced.json'));
    expect(await getRegistryScanType(ecr)).toBe('ENHANCED');
  });

  test('a missing scanning configuration is BASIC', async () => {
    ecrMock.on(GetRegistryScanningConfigurationCommand).resolves({ registryId: '123456789012' });
    expect(await getRegistryScanType(ecr)).toBe('BASIC');
  });

  test('errors propagate', async () => {
    ecrMock.on(GetRegistryScanningConfigurationCommand).rejects(serviceError('AccessDeniedException', 'not authorized'));
    await expect(getRegistryScanType(ecr)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('readScanDetails', () => {
  const basicPages = () => loadSdkFixture<DescribeImageScanFindingsCommandOutput[]>('describe-image-scan-findings-basic-pages.json');
  const enhancedPages = () => loadSdkFixture<DescribeImageScanFindingsCommandOutput[]>('describe-image-scan-findings-enhanced-pages.json');

  test('follows nextToken with maxResults 1000 and maps basic findings', async () => {
    const pages = basicPages();
    const { fake, inputs } = paginatedFake(pages);
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(fake);

    const details = await readScanDetails(ecr, REPOSITORY, DIGESTS.report, 5000);

    expect(inputs).toEqual([
      { repositoryName: REPOSITORY, imageId: { imageDigest: DIGESTS.report }, maxResults: 1000, nextToken: undefined },
      { repositoryName: REPOSITORY, imageId: { imageDigest: DIGESTS.report }, maxResults: 1000, nextToken: pages[0].nextToken },
    ]);
    expect(details.status).toBe('COMPLETE');
    expect(details.statusDescription).toBe('The scan was completed successfully.');
    expect(details.completedAt).toEqual(new Date('2026-11-15T11:58:02Z'));
    expect(details.vulnerabilitySourceUpdatedAt).toEqual(new Date('2026-11-15T06:12:40Z'));
    expect(details.truncated).toBe(false);
    expect(details.findings.map((f) => f.id)).toEqual([
      'CVE-2025-1111',
      'CVE-2024-3094',
      'CVE-2011-3374',
      'CVE-2024-6387',
      'CVE-2024-45490',
      'CVE-2023-4911',
      'CVE-2024-2961',
      'CVE-2017-18018',
      'CVE-2023-5678',
    ]);
    expect(details.findings[1]).toEqual({
      id: 'CVE-2024-3094',
      severity: 'CRITICAL',
      packageName: 'xz-utils',
      packageVersion: '5.6.0-0.2',
      url: 'https://security-tracker.debian.org/tracker/CVE-2024-3094',
      score: 10,
    });
    // No CVSS attribute: no score.
    expect(details.findings[6]).toEqual({
      id: 'CVE-2024-2961',
      severity: 'HIGH',
      packageName: 'libc6',
      packageVersion: '2.36-9+deb12u1',
      url: 'https://security-tracker.debian.org/tracker/CVE-2024-2961',
      score: undefined,
    });
  });

  test('maps enhanced findings across pages', async () => {
    const pages = enhancedPages();
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(paginatedFake(pages).fake);

    const details = await readScanDetails(ecr, REPOSITORY, DIGESTS.report, 5000);

    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 2);
    expect(details.status).toBe('ACTIVE');
    expect(details.truncated).toBe(false);
    expect(details.findings).toEqual([
      {
        id: 'CVE-2023-44487',
        severity: 'HIGH',
        packageName: 'golang.org/x/net',
        packageVersion: '0.7.0',
        url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-44487',
        score: 7.5,
        status: 'ACTIVE',
      },
      {
        id: 'CVE-2023-39325',
        severity: 'HIGH',
        packageName: 'golang.org/x/net',
        packageVersion: '0.7.0',
        url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-39325',
        score: 7.5,
        status: 'ACTIVE',
      },
      {
        id: 'CVE-2023-45288',
        severity: 'MEDIUM',
        packageName: 'golang.org/x/net',
        packageVersion: '0.7.0',
        url: 'https://nvd.nist.gov/vuln/detail/CVE-2023-45288',
        score: 5.3,
        status: 'ACTIVE',
      },
    ]);
  });

  test('an enhanced finding CLOSED is none of the image\'s; fix and exploit availability are kept', async () => {
    const pages = enhancedPages();
    const [first] = pages[0].imageScanFindings!.enhancedFindings!;
    pages[0].imageScanFindings!.enhancedFindings!.push({ ...first, status: 'CLOSED', packageVulnerabilityDetails: { ...first.packageVulnerabilityDetails, vulnerabilityId: 'CVE-2020-0001' } });
    pages[0].imageScanFindings!.enhancedFindings![0] = { ...first, fixAvailable: 'YES', exploitAvailable: 'NO' };
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(paginatedFake(pages).fake);

    const details = await readScanDetails(ecr, REPOSITORY, DIGESTS.report, 5000);

    expect(details.findings.map((f) => f.id)).not.toContain('CVE-2020-0001');
    expect(details.findings[0]).toMatchObject({ id: 'CVE-2023-44487', fixAvailable: 'YES', exploitAvailable: 'NO' });
  });

  test('stops at the limit within a page, reads no further page and sets truncated', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(paginatedFake(basicPages()).fake);

    const details = await readScanDetails(ecr, REPOSITORY, DIGESTS.report, 3);

    expect(details.findings.map((f) => f.id)).toEqual(['CVE-2025-1111', 'CVE-2024-3094', 'CVE-2011-3374']);
    expect(details.truncated).toBe(true);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 1);
  });

  test('reaching the limit exactly at a page end with more pages left sets truncated', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(paginatedFake(basicPages()).fake);

    const details = await readScanDetails(ecr, REPOSITORY, DIGESTS.report, 4);

    expect(details.findings).toHaveLength(4);
    expect(details.truncated).toBe(true);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 1);
  });

  test('reaching the limit exactly on the last page is not truncated', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).callsFake(paginatedFake(basicPages()).fake);

    const details = await readScanDetails(ecr, REPOSITORY, DIGESTS.report, 9);

    expect(details.findings).toHaveLength(9);
    expect(details.truncated).toBe(false);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImageScanFindingsCommand, 2);
  });

  test('a FAILED scan without findings', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).resolves({
      registryId: '123456789012',
      repositoryName: REPOSITORY,
      imageId: { imageDigest: DIGESTS.report },
      imageScanStatus: { status: 'FAILED', description: 'UnsupportedImageError: The operating system and/or package manager are not supported.' },
    });

    const details = await readScanDetails(ecr, REPOSITORY, DIGESTS.report, 5000);

    expect(details).toEqual({
      status: 'FAILED',
      statusDescription: 'UnsupportedImageError: The operating system and/or package manager are not supported.',
      completedAt: undefined,
      vulnerabilitySourceUpdatedAt: undefined,
      findings: [],
      truncated: false,
    });
  });

  test('errors propagate, ScanNotFoundException included', async () => {
    ecrMock.on(DescribeImageScanFindingsCommand).rejects(new ScanNotFoundException({ message: 'Image scan does not exist', $metadata: sdkMetadata }));
    await expect(readScanDetails(ecr, REPOSITORY, DIGESTS.report, 5000)).rejects.toBeInstanceOf(ScanNotFoundException);
  });
});

describe('repositoryScanningConfigurations', () => {
  test('asks 25 names a call, in order, and keeps each repository\'s frequency and applied filters; a missing one is left out', async () => {
    const names = Array.from({ length: 53 }, (_, i) => `team-a/service-${String(i).padStart(2, '0')}`);
    ecrMock.on(BatchGetRepositoryScanningConfigurationCommand).callsFake(async (input: BatchGetRepositoryScanningConfigurationCommandInput) => ({
      scanningConfigurations: (input.repositoryNames ?? [])
        .filter((n) => n !== 'team-a/service-30')
        .map((repositoryName) => ({ repositoryName, scanFrequency: 'CONTINUOUS_SCAN', appliedScanFilters: [{ filter: 'team-a/*', filterType: 'WILDCARD' }] })),
      failures: (input.repositoryNames ?? []).includes('team-a/service-30')
        ? [{ repositoryName: 'team-a/service-30', failureCode: 'REPOSITORY_NOT_FOUND', failureReason: 'REPOSITORY_NOT_FOUND' }]
        : [],
    }));

    const facts = await repositoryScanningConfigurations(ecr, names);

    const calls = ecrMock.commandCalls(BatchGetRepositoryScanningConfigurationCommand).map((c) => c.args[0].input.repositoryNames);
    expect(calls).toEqual([names.slice(0, 25), names.slice(25, 50), names.slice(50)]);
    expect(facts.map((f) => f.repositoryName)).toEqual(names.filter((n) => n !== 'team-a/service-30'));
    expect(facts[0]).toEqual({ repositoryName: names[0], scanFrequency: 'CONTINUOUS_SCAN', appliedScanFilters: [{ filter: 'team-a/*' }] });
  });

  test('no names: no call', async () => {
    expect(await repositoryScanningConfigurations(ecr, [])).toEqual([]);
    expect(ecrMock).toHaveReceivedCommandTimes(BatchGetRepositoryScanningConfigurationCommand, 0);
  });
});
