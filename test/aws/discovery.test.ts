/**
 * The in-use discovery's walk against a scripted account (ECS, Lambda and ECR mocked): the paging
 * of every list, the request groups and caches, how a task's and a function's image become a place,
 * the errors skipped and those thrown, and where a walk told to stop resumes. The happy paths
 * against moto: test/e2e/relevance.e2e.ts.
 */
import { DescribeImagesCommand, ECRClient, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import {
  AccessDeniedException,
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
import { GetFunctionCommand, LambdaClient, ListFunctionsCommand, ResourceNotFoundException, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  ACCOUNT,
  D,
  EMPTY_WORLD,
  FakeCluster,
  HOST,
  REGION,
  World,
  clusterArn,
  nameOf,
  serveWorld,
  serviceArn,
  taskArn,
  taskDefinitionArn,
} from './discovery-world';
import { sdkMetadata } from './helpers';
import { DiscoveryOptions, DiscoveryPosition, DiscoveryResult, discoverInUse } from '../../src/aws/discovery';
import type { Log } from '../../src/aws/rescan-repository';
import { InUsePlace, placeKey } from '../../src/decisions/in-use';

const ecsMock = mockClient(ECSClient);
const lambdaMock = mockClient(LambdaClient);
const ecrMock = mockClient(ECRClient);

const NOW = new Date('2026-12-01T03:00:00.000Z');
const serve = (world: World) => serveWorld(world, { ecs: ecsMock, lambda: lambdaMock, ecr: ecrMock });

let lines: { level: string; message: string; extra: Record<string, unknown> }[];
const log: Log = {
  debug: (message, ...extra) => lines.push({ level: 'DEBUG', message, extra: Object.assign({}, ...extra) }),
  info: (message, ...extra) => lines.push({ level: 'INFO', message, extra: Object.assign({}, ...extra) }),
  warn: (message, ...extra) => lines.push({ level: 'WARN', message, extra: Object.assign({}, ...extra) }),
  error: (message, ...extra) => lines.push({ level: 'ERROR', message, extra: Object.assign({}, ...extra) }),
};
const deps = () => ({
  ecs: new ECSClient({ region: REGION }),
  lambda: new LambdaClient({ region: REGION }),
  ecr: new ECRClient({ region: REGION }),
  log,
});
const discover = (world: World, options: Partial<DiscoveryOptions> = {}): Promise<DiscoveryResult> => {
  serve(world);
  return discoverInUse(deps(), { registry: { accountId: ACCOUNT, region: REGION }, now: NOW, ...options });
};

/** The places by reference, each list in place-key order (the walk's order depends on its concurrency). */
const placesOf = (result: DiscoveryResult): Record<string, InUsePlace[]> =>
  Object.fromEntries(
    [...result.places.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([ref, places]) => [ref, [...places].sort((a, b) => placeKey(a).localeCompare(placeKey(b)))]),
  );
const ecsInputs = <T>(command: new (input: T) => unknown) => ecsMock.commandCalls(command as never).map((c) => (c.args[0] as { input: T }).input);
const walkedClusters = () =>
  ecsInputs<ListServicesCommandInput>(ListServicesCommand)
    .filter((i) => i.nextToken === undefined)
    .map((i) => nameOf(i.cluster));

beforeEach(() => {
  ecsMock.reset();
  lambdaMock.reset();
  ecrMock.reset();
  lines = [];
});

describe('a whole account', () => {
  const OTEL = 'public.ecr.aws/aws-observability/aws-otel-collector:latest';
  const world: World = {
    clusterPages: [['prod', 'jobs'], ['empty']],
    clusters: {
      prod: {
        servicePages: [[{ name: 'api', taskDefinition: 'api:3' }, { name: 'web', taskDefinition: 'web:7' }], [{ name: 'worker', taskDefinition: 'api:3' }]],
        taskPages: [
          [{ id: 't1', group: 'service:api', taskDefinition: 'api:3', containers: [{ image: `${HOST}/team-a/api:v1`, imageDigest: D(1) }, { image: OTEL }] }],
          [
            { id: 't2', group: 'service:api', taskDefinition: 'api:3', containers: [{ image: `${HOST}/team-a/api:v1`, imageDigest: D(1) }] },
            // Two containers of one image: one task of that image.
            {
              id: 't3',
              group: 'service:web',
              taskDefinition: 'web:7',
              containers: [{ image: `${HOST}/team-a/web:v7`, imageDigest: D(2) }, { image: `${HOST}/team-a/web:v7`, imageDigest: D(2) }],
            },
          ],
        ],
      },
      jobs: {
        taskPages: [
          [
            { id: 't4', group: 'family:nightly-report', taskDefinition: 'nightly-report:12', containers: [{ image: `${HOST}/team-b/report`, imageDigest: D(3) }] },
            // No group (started outside a service): its family, from the task definition's ARN.
            { id: 't5', taskDefinition: 'nightly-report:11', containers: [{ image: `${HOST}/team-b/report`, imageDigest: D(3) }] },
          ],
        ],
      },
      empty: {},
    },
    taskDefinitions: { 'api:3': [`${HOST}/team-a/api:v1`, OTEL], 'web:7': [`${HOST}/team-a/web:v7`] },
    tags: { 'team-a/api:v1': D(1), 'team-a/web:v7': D(2) },
    functionPages: [
      [
        { name: 'resize', packageType: 'Image', code: { ImageUri: `${HOST}/team-a/resize:v2`, ResolvedImageUri: `${HOST}/team-a/resize@${D(4)}` } },
        { name: 'legacy', packageType: 'Zip' },
        { name: 'older-api' },
      ],
      [
        // No resolved URI: the tag is resolved, with the cache the services filled.
        { name: 'thumbs', packageType: 'Image', code: { ImageUri: `${HOST}/team-a/api:v1` } },
        { name: 'gone', packageType: 'Image', error: new ResourceNotFoundException({ message: 'Function not found: gone', $metadata: sdkMetadata }) },
        { name: 'vendor', packageType: 'Image', code: { ResolvedImageUri: `210987654321.dkr.ecr.${REGION}.amazonaws.com/vendor/agent@${D(5)}` } },
      ],
    ],
  };

  test('every place of this registry\'s digests, seen now; Lambda places without a count', async () => {
    const result = await discover(world);

    expect(result.continuation).toBeUndefined();
    expect(result).not.toHaveProperty('continuation');
    expect(placesOf(result)).toStrictEqual({
      [`team-a/api@${D(1)}`]: [
        { kind: 'ecs-service', name: 'api', cluster: 'prod', count: 2, seenAt: NOW },
        { kind: 'ecs-service', name: 'worker', cluster: 'prod', count: 0, seenAt: NOW },
        { kind: 'lambda', name: 'thumbs', seenAt: NOW },
      ],
      [`team-a/resize@${D(4)}`]: [{ kind: 'lambda', name: 'resize', seenAt: NOW }],
      [`team-a/web@${D(2)}`]: [{ kind: 'ecs-service', name: 'web', cluster: 'prod', count: 1, seenAt: NOW }],
      [`team-b/report@${D(3)}`]: [{ kind: 'ecs-task', name: 'nightly-report', cluster: 'jobs', count: 2, seenAt: NOW }],
    });
    // Two services' OTel sidecar, one task's, and the function of another account's registry.
    expect(result.counts).toEqual({ clusters: 3, services: 3, tasks: 5, functions: 4, imagesElsewhere: 4, tagsUnresolved: 0 });
  });

  test('every list is paged with its token, at the largest page size', async () => {
    await discover(world);

    expect(ecsInputs<ListClustersCommandInput>(ListClustersCommand)).toEqual([
      { nextToken: undefined, maxResults: 100 },
      { nextToken: 'clusters-1', maxResults: 100 },
    ]);
    expect(ecsInputs<ListServicesCommandInput>(ListServicesCommand).map((i) => [nameOf(i.cluster), i.nextToken, i.maxResults])).toEqual([
      ['prod', undefined, 100],
      ['prod', 'services-prod-1', 100],
      ['jobs', undefined, 100],
      ['empty', undefined, 100],
    ]);
    expect(ecsInputs<ListTasksCommandInput>(ListTasksCommand)).toEqual([
      { cluster: clusterArn('prod'), desiredStatus: 'RUNNING', nextToken: undefined, maxResults: 100 },
      { cluster: clusterArn('prod'), desiredStatus: 'RUNNING', nextToken: 'tasks-prod-1', maxResults: 100 },
      { cluster: clusterArn('jobs'), desiredStatus: 'RUNNING', nextToken: undefined, maxResults: 100 },
      { cluster: clusterArn('empty'), desiredStatus: 'RUNNING', nextToken: undefined, maxResults: 100 },
    ]);
    expect(lambdaMock.commandCalls(ListFunctionsCommand).map((c) => c.args[0].input)).toEqual([
      { Marker: undefined, MaxItems: 50 },
      { Marker: 'functions-1', MaxItems: 50 },
    ]);
  });

  test('each task definition and each repository:tag is read once; tasks\' digests are not resolved again', async () => {
    await discover(world);

    expect(ecsInputs<DescribeTaskDefinitionCommandInput>(DescribeTaskDefinitionCommand).map((i) => i.taskDefinition).sort()).toEqual([
      taskDefinitionArn('api:3'),
      taskDefinitionArn('web:7'),
    ]);
    expect(ecrMock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input)).toEqual(
      expect.arrayContaining([
        { repositoryName: 'team-a/api', imageIds: [{ imageTag: 'v1' }] },
        { repositoryName: 'team-a/web', imageIds: [{ imageTag: 'v7' }] },
      ]),
    );
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 2);
    // Read-only: ECR is only described, never asked for a manifest (BatchGetImage would count as a pull).
    expect(ecrMock.calls().every((c) => c.args[0] instanceof DescribeImagesCommand)).toBe(true);
  });

  test('functions: GetFunction for those of package type Image only; one deleted since the listing is skipped with an info line', async () => {
    await discover(world);

    expect(lambdaMock.commandCalls(GetFunctionCommand).map((c) => c.args[0].input.FunctionName).sort()).toEqual(['gone', 'resize', 'thumbs', 'vendor']);
    expect(lines).toEqual([{ level: 'INFO', message: 'Function skipped: deleted since it was listed', extra: { functionName: 'gone' } }]);
  });
});

describe('ECS requests', () => {
  test('DescribeServices in groups of 10, the task definition they share read once', async () => {
    const services = Array.from({ length: 23 }, (_, i) => ({ name: `svc-${String(i).padStart(2, '0')}`, taskDefinition: 'shared:1' }));
    const world: World = {
      ...EMPTY_WORLD,
      clusterPages: [['prod']],
      clusters: { prod: { servicePages: [services] } },
      taskDefinitions: { 'shared:1': [`${HOST}/team-a/api@${D(1)}`] },
    };

    const result = await discover(world);

    const groups = ecsInputs<DescribeServicesCommandInput>(DescribeServicesCommand);
    expect(groups.map((g) => g.services?.length)).toEqual([10, 10, 3]);
    expect(groups.flatMap((g) => g.services)).toEqual(services.map((s) => serviceArn('prod', s.name)));
    for (const g of groups) expect(g.cluster).toBe(clusterArn('prod'));
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 1);
    expect(result.counts.services).toBe(23);
    expect(result.places.get(`team-a/api@${D(1)}`)).toHaveLength(23);
    // A digest in the URI is taken as it is: no DescribeImages.
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
  });

  test('the task definition cache holds across clusters', async () => {
    const world: World = {
      ...EMPTY_WORLD,
      clusterPages: [['a', 'b']],
      clusters: { a: { servicePages: [[{ name: 'api', taskDefinition: 'api:3' }]] }, b: { servicePages: [[{ name: 'api', taskDefinition: 'api:3' }]] } },
      taskDefinitions: { 'api:3': [`${HOST}/team-a/api@${D(1)}`] },
    };

    const result = await discover(world);

    expect(ecsMock).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 1);
    expect(placesOf(result)[`team-a/api@${D(1)}`].map(placeKey)).toEqual(['ecs-service:a/api', 'ecs-service:b/api']);
  });

  test('a page of no tasks is not described, and the next page is still read', async () => {
    const world: World = {
      ...EMPTY_WORLD,
      clusterPages: [['prod']],
      clusters: { prod: { taskPages: [[], [{ id: 't1', group: 'family:batch', taskDefinition: 'batch:4', containers: [{ image: `${HOST}/team-a/batch`, imageDigest: D(7) }] }]] } },
    };

    const result = await discover(world);

    expect(ecsMock).toHaveReceivedCommandTimes(ListTasksCommand, 2);
    expect(ecsInputs<DescribeTasksCommandInput>(DescribeTasksCommand)).toEqual([{ cluster: clusterArn('prod'), tasks: [taskArn('prod', 't1')] }]);
    expect(placesOf(result)).toStrictEqual({ [`team-a/batch@${D(7)}`]: [{ kind: 'ecs-task', name: 'batch', cluster: 'prod', count: 1, seenAt: NOW }] });
  });

  test('a page of no clusters with a token: the next page is listed', async () => {
    const result = await discover({ ...EMPTY_WORLD, clusterPages: [[], ['prod']], clusters: { prod: {} } });

    expect(ecsInputs<ListClustersCommandInput>(ListClustersCommand).map((i) => i.nextToken)).toEqual([undefined, 'clusters-1']);
    expect(walkedClusters()).toEqual(['prod']);
    expect(result.counts.clusters).toBe(1);
  });

  test('a service without a task definition is counted and adds no place', async () => {
    const world: World = { ...EMPTY_WORLD, clusterPages: [['prod']], clusters: { prod: { servicePages: [[{ name: 'draining' }]] } } };

    const result = await discover(world);

    expect(result.counts.services).toBe(1);
    expect(result.places.size).toBe(0);
    expect(ecsMock).toHaveReceivedCommandTimes(DescribeTaskDefinitionCommand, 0);
  });

  test('a task: service:NAME is that service\'s place, family:NAME a task place named by the task definition\'s family', async () => {
    const world: World = {
      ...EMPTY_WORLD,
      clusterPages: [['prod']],
      clusters: {
        prod: {
          taskPages: [
            [
              { id: 't1', group: 'service:payments-api', taskDefinition: 'payments:9', containers: [{ image: `${HOST}/team-a/api:v1`, imageDigest: D(1) }] },
              { id: 't2', group: 'family:payments-migrate', taskDefinition: 'payments-migrate:2', containers: [{ image: `${HOST}/team-a/api:v1`, imageDigest: D(1) }] },
              { id: 't3', group: 'family:payments-migrate', taskDefinition: 'payments-migrate:3', containers: [{ image: `${HOST}/team-a/api:v1`, imageDigest: D(1) }] },
            ],
          ],
        },
      },
    };

    const result = await discover(world);

    expect(placesOf(result)).toStrictEqual({
      [`team-a/api@${D(1)}`]: [
        { kind: 'ecs-service', name: 'payments-api', cluster: 'prod', count: 1, seenAt: NOW },
        { kind: 'ecs-task', name: 'payments-migrate', cluster: 'prod', count: 2, seenAt: NOW },
      ],
    });
    expect(result.counts.tasks).toBe(3);
  });

  test('a container\'s imageDigest is used as it is, even when its tag now names another digest', async () => {
    const world: World = {
      ...EMPTY_WORLD,
      clusterPages: [['prod']],
      clusters: { prod: { taskPages: [[{ id: 't1', group: 'service:api', taskDefinition: 'api:3', containers: [{ image: `${HOST}/team-a/api:v1`, imageDigest: D(9) }] }]] } },
      tags: { 'team-a/api:v1': D(1) },
    };

    const result = await discover(world);

    expect([...result.places.keys()]).toEqual([`team-a/api@${D(9)}`]);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
  });

  test('a container without imageDigest: its tag resolved (once, shared with the services); no tag means latest', async () => {
    const world: World = {
      ...EMPTY_WORLD,
      clusterPages: [['prod']],
      clusters: {
        prod: {
          servicePages: [[{ name: 'api', taskDefinition: 'api:3' }]],
          taskPages: [
            [
              { id: 't1', group: 'service:api', taskDefinition: 'api:3', containers: [{ image: `${HOST}/team-a/api:v1` }] },
              { id: 't2', group: 'family:tools', taskDefinition: 'tools:1', containers: [{ image: `${HOST}/team-a/tools` }] },
            ],
          ],
        },
      },
      taskDefinitions: { 'api:3': [`${HOST}/team-a/api:v1`] },
      tags: { 'team-a/api:v1': D(1), 'team-a/tools:latest': D(2) },
    };

    const result = await discover(world);

    expect(ecrMock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input)).toEqual([
      { repositoryName: 'team-a/api', imageIds: [{ imageTag: 'v1' }] },
      { repositoryName: 'team-a/tools', imageIds: [{ imageTag: 'latest' }] },
    ]);
    expect(placesOf(result)).toStrictEqual({
      [`team-a/api@${D(1)}`]: [{ kind: 'ecs-service', name: 'api', cluster: 'prod', count: 1, seenAt: NOW }],
      [`team-a/tools@${D(2)}`]: [{ kind: 'ecs-task', name: 'tools', cluster: 'prod', count: 1, seenAt: NOW }],
    });
  });

  test('a container without an image, or of another registry, is counted elsewhere', async () => {
    const world: World = {
      ...EMPTY_WORLD,
      clusterPages: [['prod']],
      clusters: {
        prod: {
          taskPages: [
            [
              {
                id: 't1',
                group: 'service:api',
                taskDefinition: 'api:3',
                containers: [
                  {},
                  { image: 'nginx:1.27', imageDigest: D(1) },
                  { image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/team-a/api:v1`, imageDigest: D(1) },
                  { image: `210987654321.dkr.ecr.${REGION}.amazonaws.com/team-a/api:v1`, imageDigest: D(1) },
                ],
              },
            ],
          ],
        },
      },
    };

    const result = await discover(world);

    expect(result.places.size).toBe(0);
    expect(result.counts).toEqual({ clusters: 1, services: 0, tasks: 1, functions: 0, imagesElsewhere: 4, tagsUnresolved: 0 });
  });

  test('an ECS error fails the walk', async () => {
    serve({ ...EMPTY_WORLD, clusterPages: [['prod']], clusters: { prod: {} } });
    ecsMock.on(ListTasksCommand).rejects(new AccessDeniedException({ message: 'not authorized to perform: ecs:ListTasks', $metadata: sdkMetadata }));

    await expect(discoverInUse(deps(), { registry: { accountId: ACCOUNT, region: REGION }, now: NOW })).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('tags that do not resolve', () => {
  const world = (tags: World['tags']): World => ({
    ...EMPTY_WORLD,
    clusterPages: [['prod']],
    clusters: { prod: { servicePages: [[{ name: 'api', taskDefinition: 'api:3' }, { name: 'api-canary', taskDefinition: 'api:4' }]] } },
    taskDefinitions: { 'api:3': [`${HOST}/team-a/api:v1`], 'api:4': [`${HOST}/team-a/api:v1`] },
    tags,
  });

  test.each<[string, World['tags']]>([
    ['ImageNotFoundException (the tag moved or was deleted)', {}],
    ['RepositoryNotFoundException', { 'team-a/api:v1': new RepositoryNotFoundException({ message: 'The repository does not exist', $metadata: sdkMetadata }) }],
  ])('%s: counted per reference, no place, DescribeImages once', async (_label, tags) => {
    const result = await discover(world(tags));

    expect(result.places.size).toBe(0);
    expect(result.counts).toEqual({ clusters: 1, services: 2, tasks: 0, functions: 0, imagesElsewhere: 0, tagsUnresolved: 2 });
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 1);
  });

  test('DescribeImages answering without the image: unresolved', async () => {
    serve(world({}));
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [] });

    const result = await discoverInUse(deps(), { registry: { accountId: ACCOUNT, region: REGION }, now: NOW });

    expect(result.counts.tagsUnresolved).toBe(2);
    expect(result.places.size).toBe(0);
  });

  test('a container without imageDigest whose tag does not resolve: unresolved, no place', async () => {
    const result = await discover({
      ...EMPTY_WORLD,
      clusterPages: [['prod']],
      clusters: { prod: { taskPages: [[{ id: 't1', group: 'service:api', taskDefinition: 'api:3', containers: [{ image: `${HOST}/team-a/api:gone` }] }]] } },
    });

    expect(result.places.size).toBe(0);
    expect(result.counts.tagsUnresolved).toBe(1);
  });

  test('another ECR error fails the walk', async () => {
    const denied = Object.assign(new Error('not authorized to perform: ecr:DescribeImages'), { name: 'AccessDeniedException' });
    await expect(discover(world({ 'team-a/api:v1': denied }))).rejects.toBe(denied);
  });
});

describe('Lambda', () => {
  test('only functions of package type Image are read; their resolved URI wins over the tag', async () => {
    const result = await discover({
      ...EMPTY_WORLD,
      tags: { 'team-a/resize:v2': D(8) },
      functionPages: [
        [
          { name: 'zip', packageType: 'Zip' },
          { name: 'untyped' },
          { name: 'resize', packageType: 'Image', code: { ImageUri: `${HOST}/team-a/resize:v2`, ResolvedImageUri: `${HOST}/team-a/resize@${D(4)}` } },
        ],
      ],
    });

    expect(lambdaMock.commandCalls(GetFunctionCommand).map((c) => c.args[0].input)).toEqual([{ FunctionName: 'resize' }]);
    expect(placesOf(result)).toStrictEqual({ [`team-a/resize@${D(4)}`]: [{ kind: 'lambda', name: 'resize', seenAt: NOW }] });
    expect(result.counts.functions).toBe(1);
    expect(ecrMock).toHaveReceivedCommandTimes(DescribeImagesCommand, 0);
  });

  test('a function deleted since the listing (ResourceNotFoundException): skipped with an info line, the walk goes on', async () => {
    const result = await discover({
      ...EMPTY_WORLD,
      functionPages: [
        [
          { name: 'gone', packageType: 'Image', error: new ResourceNotFoundException({ message: 'Function not found', $metadata: sdkMetadata }) },
          { name: 'stays', packageType: 'Image', code: { ResolvedImageUri: `${HOST}/team-a/stays@${D(2)}` } },
        ],
      ],
    });

    expect([...result.places.keys()]).toEqual([`team-a/stays@${D(2)}`]);
    expect(lines).toEqual([{ level: 'INFO', message: 'Function skipped: deleted since it was listed', extra: { functionName: 'gone' } }]);
    expect(result.counts.functions).toBe(2);
  });

  test.each<[string, Error]>([
    ['TooManyRequestsException', new TooManyRequestsException({ message: 'Rate exceeded', $metadata: sdkMetadata, retryAfterSeconds: '1' })],
    ['AccessDeniedException', Object.assign(new Error('not authorized to perform: lambda:GetFunction'), { name: 'AccessDeniedException' })],
  ])('any other GetFunction error (%s) fails the walk', async (name, error) => {
    await expect(
      discover({ ...EMPTY_WORLD, functionPages: [[{ name: 'f', packageType: 'Image', error }]] }),
    ).rejects.toMatchObject({ name });
    expect(lines).toEqual([]);
  });
});

describe('stopping and resuming', () => {
  /** Five clusters on three pages, each with one service and one task of its own digest; three pages of functions. */
  const cluster = (name: string, n: number): FakeCluster => ({
    servicePages: [[{ name: `${name}-svc`, taskDefinition: `${name}:1` }]],
    taskPages: [[{ id: `${name}-t`, group: `service:${name}-svc`, taskDefinition: `${name}:1`, containers: [{ image: `${HOST}/apps/${name}`, imageDigest: D(n) }] }]],
  });
  const world: World = {
    clusterPages: [['a', 'b'], ['c'], ['d', 'e']],
    clusters: { a: cluster('a', 1), b: cluster('b', 2), c: cluster('c', 3), d: cluster('d', 4), e: cluster('e', 5) },
    taskDefinitions: Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((name, i) => [`${name}:1`, [`${HOST}/apps/${name}@${D(i + 1)}`]])),
    tags: {},
    functionPages: [
      [{ name: 'f1', packageType: 'Image', code: { ResolvedImageUri: `${HOST}/fns/f1@${D(11)}` } }],
      [{ name: 'f2', packageType: 'Image', code: { ResolvedImageUri: `${HOST}/fns/f2@${D(12)}` } }, { name: 'z', packageType: 'Zip' }],
      [{ name: 'f3', packageType: 'Image', code: { ResolvedImageUri: `${HOST}/fns/f3@${D(13)}` } }],
    ],
  };

  test('told to stop after the first cluster: the clusters left of the page and its token', async () => {
    const result = await discover(world, { shouldStop: () => true });

    expect(result.continuation).toEqual({ phase: 'ecs', pendingClusters: [clusterArn('b')], clustersToken: 'clusters-1' });
    expect(walkedClusters()).toEqual(['a']);
    expect(lambdaMock.calls()).toHaveLength(0);
    expect([...result.places.keys()]).toEqual([`apps/a@${D(1)}`]);
    expect(result.counts.clusters).toBe(1);
  });

  test('the last page of clusters listed: the clusters left, and clustersListed', async () => {
    const result = await discover({ ...world, clusterPages: [['a', 'b', 'c']] }, { shouldStop: () => true });
    expect(result.continuation).toEqual({ phase: 'ecs', pendingClusters: [clusterArn('b'), clusterArn('c')], clustersListed: true });
  });

  test('a page walked whole: the next page is listed before stopping, so its clusters are pending and none is lost', async () => {
    let walked = 0;
    const result = await discover(world, { shouldStop: () => walked++ >= 1 });

    expect(walkedClusters()).toEqual(['a', 'b']);
    expect(ecsInputs<ListClustersCommandInput>(ListClustersCommand).map((i) => i.nextToken)).toEqual([undefined, 'clusters-1']);
    expect(result.continuation).toEqual({ phase: 'ecs', pendingClusters: [clusterArn('c')], clustersToken: 'clusters-2' });
  });

  test('resuming from a clusters token lists that page first', async () => {
    const result = await discover(world, { position: { phase: 'ecs', clustersToken: 'clusters-2' }, shouldStop: () => true });

    expect(ecsInputs<ListClustersCommandInput>(ListClustersCommand).map((i) => i.nextToken)).toEqual(['clusters-2']);
    expect(walkedClusters()).toEqual(['d']);
    expect(result.continuation).toEqual({ phase: 'ecs', pendingClusters: [clusterArn('e')], clustersListed: true });
  });

  test('ECS done and told to stop: the Lambda phase from its first page', async () => {
    const result = await discover(world, { position: { phase: 'ecs', pendingClusters: [clusterArn('e')], clustersListed: true }, shouldStop: () => true });

    expect(walkedClusters()).toEqual(['e']);
    expect(ecsMock).toHaveReceivedCommandTimes(ListClustersCommand, 0);
    expect(lambdaMock.calls()).toHaveLength(0);
    expect(result.continuation).toEqual({ phase: 'lambda' });
  });

  test('in the Lambda phase: the marker of the next page of functions', async () => {
    const result = await discover(world, { position: { phase: 'lambda' }, shouldStop: () => true });

    expect(ecsMock.calls()).toHaveLength(0);
    expect(lambdaMock.commandCalls(ListFunctionsCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined]);
    expect(result.continuation).toEqual({ phase: 'lambda', functionsMarker: 'functions-1' });
    expect(placesOf(result)).toStrictEqual({ [`fns/f1@${D(11)}`]: [{ kind: 'lambda', name: 'f1', seenAt: NOW }] });
  });

  test('a resumed walk always makes progress: one unit before it looks at shouldStop', async () => {
    const result = await discover(world, { position: { phase: 'lambda', functionsMarker: 'functions-2' }, shouldStop: () => true });

    expect(lambdaMock.commandCalls(ListFunctionsCommand).map((c) => c.args[0].input.Marker)).toEqual(['functions-2']);
    expect(result).not.toHaveProperty('continuation');
    expect([...result.places.keys()]).toEqual([`fns/f3@${D(13)}`]);
  });

  test('stopping at every chance: the positions in order, and the parts together walk everything exactly once', async () => {
    const full = placesOf(await discover(world));
    ecsMock.resetHistory();
    lambdaMock.resetHistory();

    const continuations: DiscoveryPosition[] = [];
    const merged: Record<string, InUsePlace[]> = {};
    let position: DiscoveryPosition | undefined;
    for (let part = 0; part < 20; part++) {
      // As the handler sends it: through JSON.
      const result = await discoverInUse(deps(), { registry: { accountId: ACCOUNT, region: REGION }, now: NOW, position, shouldStop: () => true });
      for (const [ref, places] of Object.entries(placesOf(result))) merged[ref] = [...(merged[ref] ?? []), ...places];
      if (!result.continuation) break;
      continuations.push(result.continuation);
      position = JSON.parse(JSON.stringify(result.continuation));
    }

    expect(continuations).toEqual([
      { phase: 'ecs', pendingClusters: [clusterArn('b')], clustersToken: 'clusters-1' },
      { phase: 'ecs', pendingClusters: [clusterArn('c')], clustersToken: 'clusters-2' },
      { phase: 'ecs', pendingClusters: [clusterArn('d'), clusterArn('e')], clustersListed: true },
      { phase: 'ecs', pendingClusters: [clusterArn('e')], clustersListed: true },
      { phase: 'lambda' },
      { phase: 'lambda', functionsMarker: 'functions-1' },
      { phase: 'lambda', functionsMarker: 'functions-2' },
    ]);
    expect(walkedClusters()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(ecsInputs<ListClustersCommandInput>(ListClustersCommand).map((i) => i.nextToken)).toEqual([undefined, 'clusters-1', 'clusters-2']);
    expect(lambdaMock.commandCalls(ListFunctionsCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, 'functions-1', 'functions-2']);
    expect(lambdaMock.commandCalls(GetFunctionCommand).map((c) => c.args[0].input.FunctionName)).toEqual(['f1', 'f2', 'f3']);
    expect(merged).toStrictEqual(full);
    expect(Object.keys(full)).toHaveLength(8);
  });

  test.each([1, 2, 3, 5])('stopping after %i units at a time: every cluster and function page walked exactly once', async (units) => {
    serve(world);
    let position: DiscoveryPosition | undefined;
    let parts = 0;
    for (; parts < 20; parts++) {
      let checks = 0;
      const shouldStop = () => ++checks >= units;
      const result = await discoverInUse(deps(), { registry: { accountId: ACCOUNT, region: REGION }, now: NOW, position, shouldStop });
      if (!result.continuation) break;
      position = JSON.parse(JSON.stringify(result.continuation));
    }

    // 8 units (5 clusters, 3 pages of functions), `units` per part.
    expect(parts + 1).toBe(Math.ceil(8 / units));
    expect(walkedClusters()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(ecsInputs<ListClustersCommandInput>(ListClustersCommand).map((i) => i.nextToken)).toEqual([undefined, 'clusters-1', 'clusters-2']);
    expect(lambdaMock.commandCalls(ListFunctionsCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, 'functions-1', 'functions-2']);
  });

  test('shouldStop is never asked before the first unit', async () => {
    const shouldStop = jest.fn(() => false);
    await discover(world, { shouldStop });
    // Once before each cluster but the first, and before each page of functions: 4 + 3.
    expect(shouldStop).toHaveBeenCalledTimes(7);
  });
});
