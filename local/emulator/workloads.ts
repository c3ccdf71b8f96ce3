/**
 * Workloads for the in-use discovery, seeded in the emulator with plain AWS calls, as a deployment
 * would make them (local/emulator/server.py says what the emulator adds to moto for them):
 *
 * - an ECS service with N running tasks: RegisterTaskDefinition (Fargate, awsvpc) and CreateService
 *   with desiredCount N in the default VPC's subnet; the emulator starts the N tasks at once, each
 *   container with the `imageDigest` its image resolved to in the emulator's ECR;
 * - ECS tasks outside a service: RunTask (group `family:NAME`);
 * - a Lambda function of package type Image: CreateFunction with Code.ImageUri (the image must be in
 *   the emulator's ECR), with an execution role created in IAM once.
 *
 * IAM and EC2 have no SDK client in this project: their two or three calls (CreateRole, DescribeSubnets,
 * DescribeSecurityGroups) go as plain query-protocol requests, which moto answers without checking
 * signatures. Clients are made once per endpoint; `closeWorkloadClients` releases them.
 */
import { createHash, randomUUID } from 'crypto';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  ContainerDefinition,
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeClustersCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { EMULATOR_ACCOUNT_ID, EMULATOR_REGION } from './emulator';

/** This emulator's registry host: images here resolve to digests, images elsewhere do not. */
export const REGISTRY_HOST = `${EMULATOR_ACCOUNT_ID}.dkr.ecr.${EMULATOR_REGION}.amazonaws.com`;

/** `HOST/repository:tag`, or `HOST/repository@sha256:...` when given a digest. */
export function imageUri(repositoryName: string, tagOrDigest: string): string {
  return `${REGISTRY_HOST}/${repositoryName}${tagOrDigest.startsWith('sha256:') ? '@' : ':'}${tagOrDigest}`;
}

/** A container of a task definition. */
export interface WorkloadContainer {
  readonly name: string;
  /** Any image URI; only this registry's (`imageUri`) resolve to a digest. */
  readonly image: string;
  /** "disabled": ECS does not pin the digest for the deployment (each task resolves the tag when it starts). */
  readonly versionConsistency?: 'enabled' | 'disabled';
}

interface ContainersOption {
  /** The image of the task definition's one container, named `app`. */
  readonly image?: string;
  /** Or the containers, in order (overrides `image`). */
  readonly containers?: readonly WorkloadContainer[];
}

export interface EcsServiceOptions extends ContainersOption {
  /** Created when absent. */
  readonly cluster: string;
  readonly service: string;
  /** Running tasks: the service's desiredCount. */
  readonly tasks: number;
  /** The task definition's family. @default the service name */
  readonly family?: string;
}

export interface EcsServiceWorkload {
  readonly cluster: string;
  readonly service: string;
  readonly serviceArn: string;
  readonly taskDefinitionArn: string;
  /** As CreateService reported it: the tasks that started (fewer than asked when an image failed to pull). */
  readonly runningCount: number;
}

export interface EcsTaskOptions extends ContainersOption {
  /** Created when absent. */
  readonly cluster: string;
  /** The task definition's family; the task's group is `family:FAMILY` unless `group` says otherwise. */
  readonly family: string;
  /** @default 1 (RunTask takes at most 10) */
  readonly count?: number;
  readonly group?: string;
  readonly startedBy?: string;
}

export interface EcsTaskWorkload {
  readonly taskDefinitionArn: string;
  readonly taskArns: readonly string[];
}

export interface ImageFunctionOptions {
  readonly functionName: string;
  /** An image of the emulator's ECR, by tag or digest (`imageUri`). */
  readonly imageUri: string;
}

export interface ImageFunctionWorkload {
  readonly functionName: string;
  readonly functionArn: string;
  /** The digest's hex, as Lambda reports an image function's CodeSha256. */
  readonly codeSha256: string;
}

export interface PushedImage {
  readonly repositoryName: string;
  readonly imageDigest: string;
  /** `HOST/repository:tag` (the digest URI when pushed without a tag). */
  readonly imageUri: string;
  /** `HOST/repository@sha256:...` */
  readonly digestUri: string;
}

interface Clients {
  readonly ecs: ECSClient;
  readonly lambda: LambdaClient;
  readonly ecr: ECRClient;
}

const cache = new Map<string, Clients>();

function clients(endpoint: string): Clients {
  let found = cache.get(endpoint);
  if (!found) {
    const config = { endpoint, region: EMULATOR_REGION, credentials: { accessKeyId: 'emulator', secretAccessKey: 'emulator' } };
    found = { ecs: new ECSClient(config), lambda: new LambdaClient(config), ecr: new ECRClient(config) };
    cache.set(endpoint, found);
  }
  return found;
}

/** Destroys the SDK clients made for `endpoint` (all endpoints when absent). */
export function closeWorkloadClients(endpoint?: string): void {
  for (const [key, made] of cache) {
    if (endpoint !== undefined && key !== endpoint) continue;
    made.ecs.destroy();
    made.lambda.destroy();
    made.ecr.destroy();
    cache.delete(key);
  }
}

/** A query-protocol call (IAM, EC2) as the SDK would sign it; moto routes by the credential scope's service. */
async function query(endpoint: string, service: string, params: Record<string, string>, accept: number[] = []): Promise<string> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
      'Authorization': `AWS4-HMAC-SHA256 Credential=emulator/20260101/${EMULATOR_REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams(params).toString(),
  });
  const text = await response.text();
  if (!response.ok && !accept.includes(response.status)) {
    throw new Error(`${service} ${params.Action}: HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  return text;
}

const EC2_VERSION = '2016-11-15';

/** The default VPC's subnets and default security group: what a Fargate task's awsvpcConfiguration names. */
export async function defaultNetwork(endpoint: string): Promise<{ subnets: string[]; securityGroups: string[] }> {
  const subnets = await query(endpoint, 'ec2', { 'Action': 'DescribeSubnets', 'Version': EC2_VERSION, 'Filter.1.Name': 'default-for-az', 'Filter.1.Value.1': 'true' });
  const groups = await query(endpoint, 'ec2', { 'Action': 'DescribeSecurityGroups', 'Version': EC2_VERSION, 'Filter.1.Name': 'group-name', 'Filter.1.Value.1': 'default' });
  const ids = (xml: string, element: string) => [...new Set([...xml.matchAll(new RegExp(`<${element}>([^<]+)</${element}>`, 'g'))].map((m) => m[1]))];
  const network = { subnets: ids(subnets, 'subnetId'), securityGroups: ids(groups, 'groupId').slice(0, 1) };
  if (network.subnets.length === 0) throw new Error('the emulator has no default subnet');
  return network;
}

const LAMBDA_ROLE = 'emulator-lambda-execution';

/** The execution role image functions run with, created in IAM when absent (Lambda refuses a role that does not exist). */
export async function ensureLambdaRole(endpoint: string): Promise<string> {
  await query(
    endpoint,
    'iam',
    {
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: LAMBDA_ROLE,
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    },
    [409], // EntityAlreadyExists
  );
  return `arn:aws:iam::${EMULATOR_ACCOUNT_ID}:role/${LAMBDA_ROLE}`;
}

let pushes = 0;

/**
 * Pushes an image (PutImage of a manifest unique to this push) to `repositoryName`, created when absent, with
 * `tag` if given: a tag already on another image moves to this one, as in ECR. Returns its digest and URIs.
 */
export async function pushImage(endpoint: string, options: { repositoryName: string; tag?: string }): Promise<PushedImage> {
  const { ecr } = clients(endpoint);
  const { repositoryName, tag } = options;
  try {
    await ecr.send(new CreateRepositoryCommand({ repositoryName }));
  } catch (error) {
    if ((error as { name?: string }).name !== 'RepositoryAlreadyExistsException') throw error;
  }
  const seed = `${repositoryName} ${tag ?? ''} ${++pushes} ${randomUUID()}`;
  const sha = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
  const imageManifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1469, digest: sha(`config ${seed}`) },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 3_370_706, digest: sha(`layer ${seed}`) }],
  });
  const put = await ecr.send(new PutImageCommand({ repositoryName, imageManifest, imageTag: tag }));
  const imageDigest = put.image?.imageId?.imageDigest;
  if (!imageDigest) throw new Error(`the emulator returned no digest for the image pushed to ${repositoryName}`);
  const digestUri = imageUri(repositoryName, imageDigest);
  return { repositoryName, imageDigest, imageUri: tag ? imageUri(repositoryName, tag) : digestUri, digestUri };
}

function containerDefinitions(options: ContainersOption): ContainerDefinition[] {
  const containers = options.containers ?? (options.image ? [{ name: 'app', image: options.image }] : []);
  if (containers.length === 0) throw new Error('a workload needs an image or containers');
  return containers.map((c) => ({
    name: c.name,
    image: c.image,
    essential: true,
    ...(c.versionConsistency ? { versionConsistency: c.versionConsistency } : {}),
  }));
}

async function registerTaskDefinition(ecs: ECSClient, family: string, options: ContainersOption): Promise<string> {
  const registered = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: containerDefinitions(options),
    }),
  );
  const arn = registered.taskDefinition?.taskDefinitionArn;
  if (!arn) throw new Error(`RegisterTaskDefinition returned no ARN for ${family}`);
  return arn;
}

async function ensureClusters(ecs: ECSClient, names: readonly string[]): Promise<void> {
  const wanted = [...new Set(names)];
  for (let i = 0; i < wanted.length; i += 100) {
    const batch = wanted.slice(i, i + 100);
    const described = await ecs.send(new DescribeClustersCommand({ clusters: batch }));
    const active = new Set((described.clusters ?? []).filter((c) => c.status === 'ACTIVE').map((c) => c.clusterName));
    for (const name of batch) if (!active.has(name)) await ecs.send(new CreateClusterCommand({ clusterName: name }));
  }
}

async function mapLimit<T, R>(items: readonly T[], limit: number, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await run(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Seeds ECS services, each with `tasks` running tasks, in order: one task definition per service
 * (family: the service name unless given), CreateService with launch type FARGATE in the default VPC.
 * Two calls per service, `concurrency` services at a time, the network looked up once.
 */
export async function runEcsServices(
  endpoint: string,
  services: readonly EcsServiceOptions[],
  options: { concurrency?: number } = {},
): Promise<EcsServiceWorkload[]> {
  const { ecs } = clients(endpoint);
  const network = await defaultNetwork(endpoint);
  await ensureClusters(ecs, services.map((s) => s.cluster));
  return mapLimit(services, options.concurrency ?? 4, async (spec) => {
    const taskDefinitionArn = await registerTaskDefinition(ecs, spec.family ?? spec.service, spec);
    const created = await ecs.send(
      new CreateServiceCommand({
        cluster: spec.cluster,
        serviceName: spec.service,
        taskDefinition: taskDefinitionArn,
        desiredCount: spec.tasks,
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: network.subnets.slice(0, 1), securityGroups: network.securityGroups, assignPublicIp: 'DISABLED' } },
      }),
    );
    const serviceArn = created.service?.serviceArn;
    if (!serviceArn) throw new Error(`CreateService returned no ARN for ${spec.service}`);
    return { cluster: spec.cluster, service: spec.service, serviceArn, taskDefinitionArn, runningCount: created.service?.runningCount ?? 0 };
  });
}

/** Seeds one ECS service with `tasks` running tasks (see `runEcsServices`). */
export async function runEcsService(endpoint: string, options: EcsServiceOptions): Promise<EcsServiceWorkload> {
  const [service] = await runEcsServices(endpoint, [options]);
  return service;
}

/**
 * Runs `count` tasks outside any service (RunTask, FARGATE): a new revision of `family`, group
 * `family:FAMILY` unless `group` is given. A task whose image this registry lacks is returned STOPPED.
 */
export async function runEcsTask(endpoint: string, options: EcsTaskOptions): Promise<EcsTaskWorkload> {
  const { ecs } = clients(endpoint);
  const network = await defaultNetwork(endpoint);
  await ensureClusters(ecs, [options.cluster]);
  const taskDefinitionArn = await registerTaskDefinition(ecs, options.family, options);
  const run = await ecs.send(
    new RunTaskCommand({
      cluster: options.cluster,
      taskDefinition: taskDefinitionArn,
      count: options.count ?? 1,
      launchType: 'FARGATE',
      group: options.group,
      startedBy: options.startedBy,
      networkConfiguration: { awsvpcConfiguration: { subnets: network.subnets.slice(0, 1), securityGroups: network.securityGroups } },
    }),
  );
  return { taskDefinitionArn, taskArns: (run.tasks ?? []).map((t) => t.taskArn as string) };
}

/**
 * Seeds Lambda functions of package type Image (CreateFunction with Code.ImageUri), in order,
 * `concurrency` at a time, with the execution role `ensureLambdaRole` makes.
 */
export async function createImageFunctions(
  endpoint: string,
  functions: readonly ImageFunctionOptions[],
  options: { concurrency?: number } = {},
): Promise<ImageFunctionWorkload[]> {
  const { lambda } = clients(endpoint);
  const role = await ensureLambdaRole(endpoint);
  return mapLimit(functions, options.concurrency ?? 4, async (spec) => {
    const created = await lambda.send(new CreateFunctionCommand({ FunctionName: spec.functionName, PackageType: 'Image', Code: { ImageUri: spec.imageUri }, Role: role }));
    return { functionName: spec.functionName, functionArn: created.FunctionArn as string, codeSha256: created.CodeSha256 as string };
  });
}

/** Seeds one Lambda function of package type Image (see `createImageFunctions`). */
export async function createImageFunction(endpoint: string, options: ImageFunctionOptions): Promise<ImageFunctionWorkload> {
  const [created] = await createImageFunctions(endpoint, [options]);
  return created;
}
