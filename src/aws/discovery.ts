/**
 * The in-use discovery's walk: which image digests of this registry run in this account and
 * region, and where. Read-only calls only, every list paged:
 *
 * - ECS: ListClusters, then per cluster ListServices + DescribeServices (each service's task
 *   definition, DescribeTaskDefinition, its images; a tag is resolved to today's digest with
 *   ECR DescribeImages) and ListTasks (RUNNING) + DescribeTasks (each container's `imageDigest`,
 *   which ECS resolved when the task started; the task's `group` names its service).
 * - Lambda: ListFunctions, then GetFunction for each function of package type Image
 *   (`Code.ResolvedImageUri`, the digest the function runs).
 *
 * Never `BatchGetImage`: it counts as a pull and moves `lastRecordedPullTime`, which defeats
 * pull-based lifecycle rules. EKS is not covered (the README and docs/what-matters.md say so).
 *
 * The walk stops between clusters and between pages of functions when told to (`shouldStop`)
 * and returns where to resume; a cluster is always walked whole.
 */
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListServicesCommandOutput,
  ListTasksCommand,
  ListTasksCommandOutput,
} from '@aws-sdk/client-ecs';
import { GetFunctionCommand, LambdaClient, ListFunctionsCommand, ListFunctionsCommandOutput } from '@aws-sdk/client-lambda';
import { mapWithConcurrency } from './concurrency';
import { errorName } from './ecr';
import type { Log } from './rescan-repository';
import type { InUsePlace, PlaceKind } from '../decisions/in-use';

/** Where a discovery resumes. */
export interface DiscoveryPosition {
  readonly phase: 'ecs' | 'lambda';
  /** The ListClusters page after `pendingClusters`; absent with `clustersListed`: no page left. */
  readonly clustersToken?: string;
  /** Whether the last page of clusters was listed. */
  readonly clustersListed?: boolean;
  /** Clusters listed but not yet walked. */
  readonly pendingClusters?: readonly string[];
  /** The ListFunctions marker of the next page. */
  readonly functionsMarker?: string;
}

/** This registry's host: images of other registries (public.ecr.aws, Docker Hub, other accounts) are left out. */
export interface Registry {
  readonly accountId: string;
  readonly region: string;
}

export interface ImageReference {
  readonly repositoryName: string;
  readonly imageDigest?: string;
  readonly imageTag?: string;
}

const IMAGE_URI = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]*?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

/** A container image URI of this registry, or undefined for any other image. */
export function parseImageUri(uri: string | undefined, registry: Registry): ImageReference | undefined {
  const match = uri ? IMAGE_URI.exec(uri) : null;
  if (!match || match[1] !== registry.accountId || match[2] !== registry.region) return undefined;
  return { repositoryName: match[3], ...(match[5] ? { imageDigest: match[5] } : {}), ...(match[4] ? { imageTag: match[4] } : {}) };
}

export interface DiscoveryCounts {
  clusters: number;
  services: number;
  tasks: number;
  functions: number;
  /** Images of other registries, or URIs this registry cannot resolve (a deleted tag or repository). */
  imagesElsewhere: number;
  tagsUnresolved: number;
}

export interface DiscoveryResult {
  /** Places by `repository@digest`. */
  readonly places: Map<string, InUsePlace[]>;
  readonly counts: DiscoveryCounts;
  /** Present when the walk stopped early. */
  readonly continuation?: DiscoveryPosition;
}

export interface DiscoveryDeps {
  readonly ecs: ECSClient;
  readonly lambda: LambdaClient;
  readonly ecr: ECRClient;
  readonly log: Log;
}

export interface DiscoveryOptions {
  readonly registry: Registry;
  readonly now: Date;
  readonly position?: DiscoveryPosition;
  readonly shouldStop?: () => boolean;
  /** Requests in flight at once (GetFunction, DescribeTaskDefinition, tag resolution). @default 5 */
  readonly concurrency?: number;
}

const nameOf = (arn: string | undefined) => (arn ?? '').split('/').pop() ?? '';
/** `arn:aws:ecs:region:account:task-definition/family:3` to `family`. */
const familyOf = (arn: string | undefined) => nameOf(arn).replace(/:\d+$/, '');

export async function discoverInUse(deps: DiscoveryDeps, options: DiscoveryOptions): Promise<DiscoveryResult> {
  const { ecs, lambda, ecr, log } = deps;
  const concurrency = options.concurrency ?? 5;
  const counts: DiscoveryCounts = { clusters: 0, services: 0, tasks: 0, functions: 0, imagesElsewhere: 0, tagsUnresolved: 0 };
  /** Tasks per place and digest. */
  const found = new Map<string, Map<string, { kind: PlaceKind; name: string; cluster?: string; count: number }>>();
  const add = (ref: string, place: { kind: PlaceKind; name: string; cluster?: string }, tasks: number) => {
    const key = `${place.kind}:${place.cluster ?? ''}/${place.name}`;
    const byPlace = found.get(ref) ?? new Map();
    const known = byPlace.get(key);
    byPlace.set(key, { ...place, count: (known?.count ?? 0) + tasks });
    found.set(ref, byPlace);
  };
  const tagCache = new Map<string, Promise<string | undefined>>();
  /** The digest an image reference names today: a digest as given, a tag resolved with DescribeImages. */
  const digestOf = (image: ImageReference): Promise<string | undefined> => {
    if (image.imageDigest) return Promise.resolve(image.imageDigest);
    const tag = image.imageTag ?? 'latest';
    const key = `${image.repositoryName}:${tag}`;
    let cached = tagCache.get(key);
    if (!cached) {
      cached = ecr
        .send(new DescribeImagesCommand({ repositoryName: image.repositoryName, imageIds: [{ imageTag: tag }] }))
        .then((r) => r.imageDetails?.[0]?.imageDigest)
        .catch((error) => {
          if (['ImageNotFoundException', 'RepositoryNotFoundException'].includes(errorName(error))) return undefined;
          throw error;
        });
      tagCache.set(key, cached);
    }
    return cached;
  };
  const reference = async (uri: string | undefined): Promise<string | undefined> => {
    const image = parseImageUri(uri, options.registry);
    if (!image) {
      counts.imagesElsewhere++;
      return undefined;
    }
    const digest = await digestOf(image);
    if (!digest) {
      counts.tagsUnresolved++;
      return undefined;
    }
    return `${image.repositoryName}@${digest}`;
  };
  const taskDefinitions = new Map<string, Promise<string[]>>();
  const imagesOfTaskDefinition = (arn: string): Promise<string[]> => {
    let cached = taskDefinitions.get(arn);
    if (!cached) {
      cached = ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn })).then((r) => (r.taskDefinition?.containerDefinitions ?? []).map((c) => c.image ?? ''));
      taskDefinitions.set(arn, cached);
    }
    return cached;
  };

  const walkCluster = async (clusterArn: string) => {
    const cluster = nameOf(clusterArn);
    counts.clusters++;
    // Services: the images of each one's task definition, running or not yet.
    let token: string | undefined;
    do {
      const page: ListServicesCommandOutput = await ecs.send(new ListServicesCommand({ cluster: clusterArn, nextToken: token, maxResults: 100 }));
      token = page.nextToken;
      const arns = page.serviceArns ?? [];
      for (let i = 0; i < arns.length; i += 10) {
        const described = await ecs.send(new DescribeServicesCommand({ cluster: clusterArn, services: arns.slice(i, i + 10) }));
        await mapWithConcurrency(described.services ?? [], concurrency, async (service) => {
          counts.services++;
          if (!service.taskDefinition || !service.serviceName) return;
          for (const uri of await imagesOfTaskDefinition(service.taskDefinition)) {
            const ref = await reference(uri);
            if (ref) add(ref, { kind: 'ecs-service', name: service.serviceName, cluster }, 0);
          }
        });
      }
    } while (token);
    // Running tasks: the digest each container runs.
    token = undefined;
    do {
      const page: ListTasksCommandOutput = await ecs.send(new ListTasksCommand({ cluster: clusterArn, desiredStatus: 'RUNNING', nextToken: token, maxResults: 100 }));
      token = page.nextToken;
      const arns = page.taskArns ?? [];
      if (arns.length === 0) continue;
      const described = await ecs.send(new DescribeTasksCommand({ cluster: clusterArn, tasks: arns }));
      for (const task of described.tasks ?? []) {
        counts.tasks++;
        const service = task.group?.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
        const place = service ? { kind: 'ecs-service' as const, name: service, cluster } : { kind: 'ecs-task' as const, name: familyOf(task.taskDefinitionArn), cluster };
        const seen = new Set<string>();
        for (const container of task.containers ?? []) {
          const image = parseImageUri(container.image, options.registry);
          if (!image) {
            counts.imagesElsewhere++;
            continue;
          }
          const digest = container.imageDigest ?? (await digestOf(image));
          if (!digest) {
            counts.tagsUnresolved++;
            continue;
          }
          const ref = `${image.repositoryName}@${digest}`;
          // A task with two containers of one image is one task of that image.
          if (!seen.has(ref)) add(ref, place, 1);
          seen.add(ref);
        }
      }
    } while (token);
  };

  let position: DiscoveryPosition = options.position ?? { phase: 'ecs' };
  const stop = () => options.shouldStop?.() === true;
  let walked = 0;
  // 1. ECS, a cluster at a time.
  while (position.phase === 'ecs') {
    const pending = [...(position.pendingClusters ?? [])];
    if (pending.length === 0) {
      if (position.clustersListed) {
        position = { phase: 'lambda' };
        break;
      }
      const page = await ecs.send(new ListClustersCommand({ nextToken: position.clustersToken, maxResults: 100 }));
      position = { phase: 'ecs', pendingClusters: page.clusterArns ?? [], ...(page.nextToken ? { clustersToken: page.nextToken } : { clustersListed: true }) };
      continue;
    }
    if (walked > 0 && stop()) return result(position);
    await walkCluster(pending[0]);
    walked++;
    position = { ...position, pendingClusters: pending.slice(1) };
  }
  // 2. Lambda, a page of functions at a time.
  for (;;) {
    if (walked > 0 && stop()) return result(position);
    const page: ListFunctionsCommandOutput = await lambda.send(new ListFunctionsCommand({ Marker: position.functionsMarker, MaxItems: 50 }));
    walked++;
    const images = (page.Functions ?? []).filter((f) => f.PackageType === 'Image' && f.FunctionName);
    await mapWithConcurrency(images, concurrency, async (fn) => {
      counts.functions++;
      try {
        const got = await lambda.send(new GetFunctionCommand({ FunctionName: fn.FunctionName }));
        const ref = await reference(got.Code?.ResolvedImageUri ?? got.Code?.ImageUri);
        if (ref) add(ref, { kind: 'lambda', name: fn.FunctionName as string }, 0);
      } catch (error) {
        // Deleted between the list and the read: it runs nowhere now.
        if (errorName(error) !== 'ResourceNotFoundException') throw error;
        log.info('Function skipped: deleted since it was listed', { functionName: fn.FunctionName });
      }
    });
    if (!page.NextMarker) break;
    position = { phase: 'lambda', functionsMarker: page.NextMarker };
  }
  return result(undefined);

  function result(continuation: DiscoveryPosition | undefined): DiscoveryResult {
    const places = new Map<string, InUsePlace[]>();
    for (const [ref, byPlace] of found) {
      places.set(
        ref,
        [...byPlace.values()].map((p) => ({ kind: p.kind, name: p.name, ...(p.cluster ? { cluster: p.cluster } : {}), ...(p.kind === 'lambda' ? {} : { count: p.count }), seenAt: options.now })),
      );
    }
    return { places, counts, ...(continuation ? { continuation } : {}) };
  }
}
