/**
 * Shared by the command-line tests: the fixture registry served through
 * aws-sdk-client-mock, and a harness that runs `main` with captured stdout and
 * stderr, a fixed `now` and a progress clock the test controls.
 */
import { createHash } from 'crypto';
import {
  BatchGetRepositoryScanningConfigurationCommand,
  BatchGetRepositoryScanningConfigurationCommandInput,
  DescribeImageScanFindingsCommand,
  DescribeImageScanFindingsCommandInput,
  DescribeImageScanFindingsCommandOutput,
  DescribeImagesCommand,
  DescribeImagesCommandInput,
  DescribeImagesCommandOutput,
  DescribeRepositoriesCommand,
  DescribeRepositoriesCommandOutput,
  ECRClient,
  ECRClientConfig,
  GetRegistryScanningConfigurationCommand,
  LimitExceededException,
  RepositoryNotFoundException,
  ScanNotFoundException,
  StartImageScanCommand,
  StartImageScanCommandInput,
} from '@aws-sdk/client-ecr';
import type { AwsStub } from 'aws-sdk-client-mock';
import { createEcrClient } from '../../src/aws/clients';
import { CliDeps, main } from '../../src/cli/main';
import { PER_IMAGE_QUOTA_MESSAGE, loadSdkFixture, paginatedFake, sdkMetadata, serviceError } from '../aws/helpers';

export type EcrMock = AwsStub<any, any, any>;

export const NOW = new Date('2026-11-15T12:00:00Z');

/** The digest of a fixture image, by the key it was made from (test/fixtures/cli/registry.json). */
export function digest(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export const D = {
  api200: digest('api-2.0.0'),
  apiUntagged: digest('api-untagged'),
  api190: digest('api-1.9.0'),
  apiBuild42: digest('api-build-42'),
  workerV1: digest('worker-v1'),
  workerV2: digest('worker-v2'),
  workerIndex: digest('worker-index'),
  webProd: digest('web-prod'),
  webCanary: digest('web-canary'),
  tmpX: digest('tmp-x'),
} as const;

/** The registry-wide quota message of LimitExceededException (not the per-image one). */
export const REGISTRY_QUOTA_MESSAGE = 'The scan quota per registry has been exceeded for the day.';

interface Registry {
  readonly describeRepositoriesPages: DescribeRepositoriesCommandOutput[];
  readonly describeImagesPages: Record<string, DescribeImagesCommandOutput[]>;
  readonly describeImageScanFindings: Record<string, DescribeImageScanFindingsCommandOutput>;
}

export interface RegistryOptions {
  /** The fixture under test/fixtures/cli to serve. @default registry.json */
  readonly fixture?: string;
  readonly scanType?: 'BASIC' | 'ENHANCED';
  /** Repositories listed but deleted before their walk: DescribeImages answers RepositoryNotFoundException. */
  readonly gone?: readonly string[];
  /** Under enhanced scanning, repositories no scanning filter covers (scanFrequency MANUAL, no applied filter). */
  readonly notCovered?: readonly string[];
}

/**
 * Serves the fixture registry. StartImageScan starts every scan except: the
 * worker's v1 image (scanned in the last 24 hours: the per-image quota), the
 * worker's image index (unsupported, as ECR answers; the walk skips an index as
 * image-index without asking, so a call for it shows in the tests' StartImageScan
 * calls) and the web canary (the registry's quota).
 */
export function mockRegistry(ecrMock: EcrMock, options: RegistryOptions = {}): Registry {
  const registry = loadSdkFixture<Registry>(options.fixture ?? 'registry.json', 'cli');
  ecrMock
    .on(GetRegistryScanningConfigurationCommand)
    .resolves(loadSdkFixture(`get-registry-scanning-configuration-${(options.scanType ?? 'BASIC').toLowerCase()}.json`));
  ecrMock.on(DescribeRepositoriesCommand).callsFake(paginatedFake(registry.describeRepositoriesPages).fake);
  // Every repository under the registry's one rule (a wildcard filter), but those given as not covered.
  ecrMock.on(BatchGetRepositoryScanningConfigurationCommand).callsFake(async (input: BatchGetRepositoryScanningConfigurationCommandInput) => {
    if ((input.repositoryNames ?? []).length > 25) throw serviceError('ValidationException', 'repositoryNames: at most 25');
    return {
      scanningConfigurations: (input.repositoryNames ?? []).map((repositoryName) =>
        options.notCovered?.includes(repositoryName)
          ? { repositoryName, scanOnPush: false, scanFrequency: 'MANUAL', appliedScanFilters: [] }
          : { repositoryName, scanOnPush: false, scanFrequency: 'CONTINUOUS_SCAN', appliedScanFilters: [{ filter: 'team-*', filterType: 'WILDCARD' }] },
      ),
      failures: [],
    };
  });
  const imageFakes = new Map(Object.entries(registry.describeImagesPages).map(([name, pages]) => [name, paginatedFake(pages).fake]));
  ecrMock.on(DescribeImagesCommand).callsFake(async (input: DescribeImagesCommandInput) => {
    const name = input.repositoryName as string;
    const fake = imageFakes.get(name);
    if (options.gone?.includes(name) || !fake) {
      throw new RepositoryNotFoundException({
        message: `The repository with name '${name}' does not exist in the registry with id '123456789012'`,
        $metadata: sdkMetadata,
      });
    }
    return fake(input);
  });
  ecrMock.on(DescribeImageScanFindingsCommand).callsFake(async (input: DescribeImageScanFindingsCommandInput) => {
    const imageDigest = input.imageId?.imageDigest as string;
    const response = registry.describeImageScanFindings[imageDigest];
    if (response) return response;
    throw new ScanNotFoundException({
      message: `Image scan does not exist for the image with '{imageDigest:'${imageDigest}', imageTag:'null'}' in the repository with name '${input.repositoryName}' in the registry with id '123456789012'`,
      $metadata: sdkMetadata,
    });
  });
  ecrMock.on(StartImageScanCommand).callsFake(async (input: StartImageScanCommandInput) => {
    switch (input.imageId?.imageDigest) {
      case D.workerV1:
        throw new LimitExceededException({ message: PER_IMAGE_QUOTA_MESSAGE, $metadata: sdkMetadata });
      case D.workerIndex:
        throw serviceError('UnsupportedImageTypeException', 'The image type is not supported for scanning: image index');
      case D.webCanary:
        throw new LimitExceededException({ message: REGISTRY_QUOTA_MESSAGE, $metadata: sdkMetadata });
      default:
        return { registryId: '123456789012', repositoryName: input.repositoryName, imageId: input.imageId, imageScanStatus: { status: 'IN_PROGRESS' } };
    }
  });
  return registry;
}

/** A captured stream; `tty` makes it look like a terminal. */
export function captureStream(events: string[], label: string, tty = false) {
  const chunks: string[] = [];
  return {
    chunks,
    isTTY: tty,
    write(chunk: string): boolean {
      chunks.push(chunk);
      events.push(`${label}:${chunk}`);
      return true;
    },
    text: () => chunks.join(''),
  };
}

export const TEST_CREDENTIALS = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

export interface HarnessOptions {
  readonly env?: Record<string, string | undefined>;
  readonly tty?: boolean;
  /** Milliseconds the progress clock moves each time it is read. */
  readonly tickMs?: number;
  readonly progressIntervalMs?: number;
  /** Replaces the client factory: by default the real createEcrClient, region us-east-1 unless given, static credentials. */
  readonly createEcrClient?: (config: ECRClientConfig) => ECRClient;
}

/** Runs main(argv) as the entry point would, with everything captured. */
export async function runCli(argv: string[], options: HarnessOptions = {}) {
  const events: string[] = [];
  const stdout = captureStream(events, 'out', options.tty);
  const stderr = captureStream(events, 'err', options.tty);
  const configs: ECRClientConfig[] = [];
  let clock = 0;
  const deps: CliDeps = {
    createEcrClient: (config) => {
      configs.push(config);
      return options.createEcrClient
        ? options.createEcrClient(config)
        : createEcrClient({ ...config, region: config.region ?? 'us-east-1', credentials: TEST_CREDENTIALS });
    },
    stdout,
    stderr,
    env: options.env ?? {},
    now: () => NOW,
    clock: () => (clock += options.tickMs ?? 0),
    progressIntervalMs: options.progressIntervalMs,
    version: () => '1.2.3',
  };
  const code = await main(argv, deps);
  return { code, stdout: stdout.text(), stderr: stderr.text(), events, configs };
}

/**
 * Serves a large basic-scanning registry made up on the fly: `repositories` maps each name to
 * its number of images, listed 1,000 per DescribeImages page. With `scanned`, every image's
 * DescribeImages entry carries a completed scan, as ECR gives it, so the walk needs no other
 * request; without, no image was ever scanned, so each one costs a DescribeImageScanFindings.
 */
export function mockLargeRegistry(ecrMock: EcrMock, repositories: Record<string, number>, scanned = false): void {
  ecrMock.on(GetRegistryScanningConfigurationCommand).resolves(loadSdkFixture('get-registry-scanning-configuration-basic.json'));
  ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: Object.keys(repositories).map((repositoryName) => ({ repositoryName })) });
  ecrMock.on(DescribeImagesCommand).callsFake(async (input: DescribeImagesCommandInput) => {
    const name = input.repositoryName as string;
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const end = Math.min(start + 1000, repositories[name]);
    const imageDetails = Array.from({ length: end - start }, (_, i) => ({
      repositoryName: name,
      imageDigest: digest(`${name}#${start + i}`),
      imageTags: [`v${start + i}`],
      ...(scanned
        ? {
          imageScanStatus: { status: 'COMPLETE' },
          imageScanFindingsSummary: { imageScanCompletedAt: new Date('2026-11-14T00:00:00Z'), findingSeverityCounts: { HIGH: 2 } },
        }
        : {}),
    }));
    return { imageDetails, ...(end < repositories[name] ? { nextToken: String(end) } : {}) };
  });
  ecrMock.on(DescribeImageScanFindingsCommand).rejects(new ScanNotFoundException({ message: 'Image scan does not exist for the image', $metadata: sdkMetadata }));
}
