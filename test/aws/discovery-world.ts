/**
 * A scripted account for the in-use discovery's tests (test/aws/discovery.test.ts and
 * test/lambda/discover.test.ts): ECS clusters with pages of services and running tasks, task
 * definitions, ECR tags, and pages of Lambda functions, answered through SDK client mocks. Every
 * list is paged with tokens `${prefix}-${page}`.
 */
import { DescribeImagesCommand, DescribeImagesCommandInput, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import {
  ClientException,
  DescribeServicesCommand,
  DescribeServicesCommandInput,
  DescribeTaskDefinitionCommand,
  DescribeTaskDefinitionCommandInput,
  DescribeTasksCommand,
  DescribeTasksCommandInput,
  ECSClient,
  ListClustersCommand,
  ListClustersCommandInput,
  ListServicesCommand,
  ListServicesCommandInput,
  ListTasksCommand,
  ListTasksCommandInput,
} from '@aws-sdk/client-ecs';
import { GetFunctionCommand, GetFunctionCommandInput, LambdaClient, ListFunctionsCommand, ListFunctionsCommandInput } from '@aws-sdk/client-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { sdkMetadata } from './helpers';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
/** This registry's host. */
export const HOST = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;
/** Image digest number `n`. */
export const D = (n: number) => `sha256:${String(n).padStart(64, '0')}`;
export const clusterArn = (name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${name}`;
export const serviceArn = (cluster: string, name: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`;
export const taskDefinitionArn = (familyAndRevision: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${familyAndRevision}`;
export const taskArn = (cluster: string, id: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${cluster}/${id}`;
export const nameOf = (arn: string | undefined) => (arn ?? '').split('/').pop()!;

export interface FakeService {
  readonly name: string;
  /** `family:revision`; absent: a service without one (never in practice, skipped). */
  readonly taskDefinition?: string;
}
export interface FakeTask {
  readonly id: string;
  readonly group?: string;
  /** `family:revision`. */
  readonly taskDefinition: string;
  readonly containers: readonly { image?: string; imageDigest?: string }[];
}
export interface FakeCluster {
  readonly servicePages?: readonly FakeService[][];
  readonly taskPages?: readonly FakeTask[][];
}
export interface FakeFunction {
  readonly name: string;
  readonly packageType?: 'Image' | 'Zip';
  readonly code?: { ImageUri?: string; ResolvedImageUri?: string };
  readonly error?: Error;
}
/** An account as the fakes answer for it. */
export interface World {
  readonly clusterPages: readonly string[][];
  readonly clusters: Record<string, FakeCluster>;
  /** Images by task definition `family:revision`. */
  readonly taskDefinitions: Record<string, readonly string[]>;
  /** Digests (or the error DescribeImages throws) by `repository:tag`; a tag not here is ImageNotFoundException. */
  readonly tags: Record<string, string | Error>;
  readonly functionPages: readonly FakeFunction[][];
}

export const EMPTY_WORLD: World = { clusterPages: [[]], clusters: {}, taskDefinitions: {}, tags: {}, functionPages: [[]] };

export interface WorldMocks {
  readonly ecs: AwsClientStub<ECSClient>;
  readonly lambda: AwsClientStub<LambdaClient>;
  readonly ecr: AwsClientStub<ECRClient>;
}

/** Page `index` of `pages`, and the token of the next: `${prefix}-${index + 1}`. */
function page<T>(pages: readonly T[][] | undefined, token: string | undefined, prefix: string): { items: T[]; next?: string } {
  const all = pages ?? [[]];
  if (token !== undefined && !token.startsWith(`${prefix}-`)) throw new Error(`test fake: token ${token} is not one of ${prefix}`);
  const index = token === undefined ? 0 : Number(token.slice(prefix.length + 1));
  if (!(index in all)) throw new Error(`test fake: no page ${index} of ${prefix}`);
  return { items: [...all[index]], ...(index + 1 < all.length ? { next: `${prefix}-${index + 1}` } : {}) };
}

/** Makes the mocks answer for `world` (asynchronously, as the SDK does). */
export function serveWorld(world: World, mocks: WorldMocks): void {
  const clusterOf = (arn: string | undefined) => {
    const cluster = world.clusters[nameOf(arn)];
    if (!cluster) throw new ClientException({ message: `cluster ${arn} not found`, $metadata: sdkMetadata });
    return cluster;
  };
  mocks.ecs.on(ListClustersCommand).callsFake(async (input: ListClustersCommandInput) => {
    const { items, next } = page(world.clusterPages, input.nextToken, 'clusters');
    return { clusterArns: items.map(clusterArn), nextToken: next };
  });
  mocks.ecs.on(ListServicesCommand).callsFake(async (input: ListServicesCommandInput) => {
    const name = nameOf(input.cluster);
    const { items, next } = page(clusterOf(input.cluster).servicePages, input.nextToken, `services-${name}`);
    return { serviceArns: items.map((s) => serviceArn(name, s.name)), nextToken: next };
  });
  mocks.ecs.on(DescribeServicesCommand).callsFake(async (input: DescribeServicesCommandInput) => {
    const name = nameOf(input.cluster);
    const all = (clusterOf(input.cluster).servicePages ?? []).flat();
    return {
      services: (input.services ?? []).map((arn) => {
        const service = all.find((s) => serviceArn(name, s.name) === arn)!;
        const taskDefinition = service.taskDefinition ? { taskDefinition: taskDefinitionArn(service.taskDefinition) } : {};
        return { serviceArn: arn, serviceName: service.name, ...taskDefinition };
      }),
      failures: [],
    };
  });
  mocks.ecs.on(DescribeTaskDefinitionCommand).callsFake(async (input: DescribeTaskDefinitionCommandInput) => {
    const images = world.taskDefinitions[nameOf(input.taskDefinition)];
    if (!images) throw new ClientException({ message: 'Unable to describe task definition.', $metadata: sdkMetadata });
    return { taskDefinition: { taskDefinitionArn: input.taskDefinition, containerDefinitions: images.map((image, i) => ({ name: `c${i}`, image })) } };
  });
  mocks.ecs.on(ListTasksCommand).callsFake(async (input: ListTasksCommandInput) => {
    const name = nameOf(input.cluster);
    const { items, next } = page(clusterOf(input.cluster).taskPages, input.nextToken, `tasks-${name}`);
    return { taskArns: items.map((t) => taskArn(name, t.id)), nextToken: next };
  });
  mocks.ecs.on(DescribeTasksCommand).callsFake(async (input: DescribeTasksCommandInput) => {
    const name = nameOf(input.cluster);
    const all = (clusterOf(input.cluster).taskPages ?? []).flat();
    return {
      tasks: (input.tasks ?? []).map((arn) => {
        const task = all.find((t) => taskArn(name, t.id) === arn)!;
        return {
          taskArn: arn,
          ...(task.group ? { group: task.group } : {}),
          taskDefinitionArn: taskDefinitionArn(task.taskDefinition),
          lastStatus: 'RUNNING',
          containers: task.containers.map((c, i) => ({ name: `c${i}`, ...c })),
        };
      }),
      failures: [],
    };
  });
  mocks.ecr.on(DescribeImagesCommand).callsFake(async (input: DescribeImagesCommandInput) => {
    const answer = world.tags[`${input.repositoryName}:${input.imageIds?.[0].imageTag}`];
    if (answer instanceof Error) throw answer;
    if (answer === undefined) throw new ImageNotFoundException({ message: 'The image requested does not exist in the specified repository.', $metadata: sdkMetadata });
    return { imageDetails: [{ repositoryName: input.repositoryName, imageDigest: answer, imageTags: [input.imageIds?.[0].imageTag] }] };
  });
  mocks.lambda.on(ListFunctionsCommand).callsFake(async (input: ListFunctionsCommandInput) => {
    const { items, next } = page(world.functionPages, input.Marker, 'functions');
    return { Functions: items.map((f) => ({ FunctionName: f.name, ...(f.packageType ? { PackageType: f.packageType } : {}) })), NextMarker: next };
  });
  mocks.lambda.on(GetFunctionCommand).callsFake(async (input: GetFunctionCommandInput) => {
    const fn = world.functionPages.flat().find((f) => f.name === input.FunctionName)!;
    if (fn.error) throw fn.error;
    return { Configuration: { FunctionName: fn.name, PackageType: fn.packageType }, Code: { RepositoryType: 'ECR', ...fn.code } };
  });
}
