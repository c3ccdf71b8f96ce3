/**
 * The emulator's own additions (local/emulator/server.py) that the scale, fault and bench
 * runs rely on: ECR paging as the API reference describes it, the bulk image seed with its
 * digest index, and the faster paths of its DynamoDB. If these drift, a scale test could pass by
 * reading one giant page, or the ledger could read back what DynamoDB would not answer. And ECS and
 * Lambda as the in-use discovery reads them: running tasks with the digests ECS resolved, image
 * functions with the digest Lambda resolved, their lists paged and their batch limits enforced.
 */
import { BatchGetItemCommand, CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ListImagesCommand,
  PutImageCommand,
  StartImageScanCommand,
  paginateDescribeImageScanFindings,
  paginateDescribeImages,
  paginateListImages,
  ListTagsForResourceCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ecr';
import {
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTasksCommand,
  StopTaskCommand,
  Task,
  UpdateServiceCommand,
  paginateListServices,
  paginateListTasks,
} from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  UpdateFunctionCodeCommand,
  paginateListFunctions,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { useEmulator } from './harness';
import {
  REGISTRY_HOST,
  closeWorkloadClients,
  createImageFunction,
  createImageFunctions,
  ensureLambdaRole,
  imageUri,
  pushImage,
  runEcsService,
  runEcsServices,
  runEcsTask,
} from '../../local/emulator/workloads';

const fixture = useEmulator();

const digest = (i: number) => `sha256:${i.toString(16).padStart(64, '0')}`;

async function seedBig(count: number) {
  const { ecr, emulator } = fixture();
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'big' }));
  const images = Array.from({ length: count }, (_, i) => ({ imageDigest: digest(i), tags: i % 3 === 0 ? [] : i % 3 === 1 ? [`v${i}`] : [`v${i}`, `w${i}`] }));
  await emulator.seedImages('big', images);
  return images;
}

test('DescribeImages pages as ECR does: 100 by default, up to maxResults, every digest once', async () => {
  const images = await seedBig(2_345);
  const { ecr } = fixture();

  const first = await ecr.send(new DescribeImagesCommand({ repositoryName: 'big' }));
  expect(first.imageDetails).toHaveLength(100);
  expect(first.nextToken).toEqual(expect.any(String));

  const sizes: number[] = [];
  const seen: string[] = [];
  for await (const page of paginateDescribeImages({ client: ecr, pageSize: 1000 }, { repositoryName: 'big' })) {
    sizes.push(page.imageDetails!.length);
    seen.push(...page.imageDetails!.map((d) => d.imageDigest!));
  }
  expect(sizes).toEqual([1000, 1000, 345]);
  expect(seen).toEqual(images.map((i) => i.imageDigest));
  const untagged = await ecr.send(new DescribeImagesCommand({ repositoryName: 'big', imageIds: [{ imageDigest: digest(3) }] }));
  expect(untagged.imageDetails![0].imageTags).toBeUndefined();
  const twoTags = await ecr.send(new DescribeImagesCommand({ repositoryName: 'big', imageIds: [{ imageDigest: digest(5) }] }));
  expect(twoTags.imageDetails![0].imageTags).toEqual(['v5', 'w5']);
});

test('ListImages pages over (digest, tag) pairs', async () => {
  await seedBig(300);
  const { ecr } = fixture();
  const pairs: string[] = [];
  let pages = 0;
  for await (const page of paginateListImages({ client: ecr, pageSize: 150 }, { repositoryName: 'big' })) {
    pages++;
    pairs.push(...page.imageIds!.map((id) => `${id.imageDigest}/${id.imageTag ?? '-'}`));
  }
  // 100 untagged (one pair each), 100 with one tag, 100 with two: 400 pairs in pages of 150.
  expect(pairs).toHaveLength(400);
  expect(new Set(pairs).size).toBe(400);
  expect(pages).toBe(3);
});

test('bad maxResults and nextToken are refused with InvalidParameterException', async () => {
  await seedBig(10);
  const { ecr } = fixture();
  await expect(ecr.send(new DescribeImagesCommand({ repositoryName: 'big', nextToken: 'not-a-token' }))).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
  await expect(ecr.send(new ListImagesCommand({ repositoryName: 'big', maxResults: 1001 }))).rejects.toMatchObject({
    name: 'InvalidParameterException',
  });
});

test('DescribeRepositories pages too; bulk-created repositories are real ones', async () => {
  const { ecr, emulator } = fixture();
  await emulator.seedRepositories(Array.from({ length: 7 }, (_, i) => `repo-${i}`));
  const first = await ecr.send(new DescribeRepositoriesCommand({ maxResults: 5 }));
  expect(first.repositories).toHaveLength(5);
  const second = await ecr.send(new DescribeRepositoriesCommand({ maxResults: 5, nextToken: first.nextToken }));
  expect(second.repositories!.map((r) => r.repositoryName)).toEqual(['repo-5', 'repo-6']);
  expect(second.nextToken).toBeUndefined();
});

test('bulk-seeded images are real images: found by digest, scannable once a day, with their seeded findings', async () => {
  const { ecr, emulator } = fixture();
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'seeded' }));
  const findings = { imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findingSeverityCounts: { HIGH: 2 } } };
  await emulator.seedImages('seeded', [
    { imageDigest: digest(1), tags: ['a'], lastScan: new Date(Date.now() - 3 * 86_400_000), findings },
    { imageDigest: digest(2) },
  ]);

  const read = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'seeded', imageId: { imageDigest: digest(1) } }));
  expect(read.imageScanFindings?.findingSeverityCounts).toEqual({ HIGH: 2 });
  await ecr.send(new StartImageScanCommand({ repositoryName: 'seeded', imageId: { imageDigest: digest(2) } }));
  await expect(ecr.send(new StartImageScanCommand({ repositoryName: 'seeded', imageId: { imageDigest: digest(2) } }))).rejects.toMatchObject({
    name: 'LimitExceededException',
  });
  await expect(ecr.send(new StartImageScanCommand({ repositoryName: 'seeded', imageId: { imageDigest: digest(9) } }))).rejects.toMatchObject({
    name: 'ImageNotFoundException',
  });
  await expect(emulator.seedImages('seeded', [{ imageDigest: digest(1) }])).rejects.toThrow(/409/);
  const scans = new Map((await emulator.lastScans()).map((s) => [s.imageDigest, s.lastScan]));
  expect(scans.get(digest(2))).not.toBeNull();
});

test('a seeded scan earlier than the image\'s push moves the push back before it: ECR scans only images that exist', async () => {
  const { ecr, emulator } = fixture();
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'pushed' }));
  const scannedAt = new Date(Date.now() - 3 * 86_400_000);
  await emulator.seedImages('pushed', [
    { imageDigest: digest(1), lastScan: scannedAt },
    { imageDigest: digest(2), lastScan: scannedAt, pushedAt: new Date(Date.now() - 86_400_000) },
    { imageDigest: digest(3) },
  ]);
  const put = await ecr.send(new PutImageCommand({ repositoryName: 'pushed', imageManifest: JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 1, digest: digest(4) }, layers: [] }), imageTag: 'put' }));
  await emulator.seedImageScan('pushed', put.image!.imageId!.imageDigest!, scannedAt);

  const pushed = new Map(
    ((await ecr.send(new DescribeImagesCommand({ repositoryName: 'pushed' }))).imageDetails ?? []).map((d) => [d.imageTags?.[0] ?? d.imageDigest, d.imagePushedAt!.getTime()]),
  );
  const monthBefore = Math.floor(scannedAt.getTime() / 1000) * 1000 - 30 * 86_400_000;
  expect(pushed.get(digest(1))).toBe(monthBefore);
  expect(pushed.get('put')).toBe(monthBefore);
  // A push time given explicitly is kept; an image never scanned keeps its push time (now).
  expect(pushed.get(digest(2))).toBeGreaterThan(scannedAt.getTime());
  expect(pushed.get(digest(3))).toBeGreaterThan(Date.now() - 60_000);
});

test('DescribeImageScanFindings pages its findings: maxResults 1 for a status read, pages of 100 by default', async () => {
  const { ecr, emulator } = fixture();
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'findings' }));
  const findings = Array.from({ length: 250 }, (_, i) => ({ name: `CVE-2026-${10_000 + i}`, severity: 'HIGH' }));
  const response = { imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findingSeverityCounts: { HIGH: 250 }, findings } };
  await emulator.seedImages('findings', [{ imageDigest: digest(1), lastScan: new Date(), findings: response }]);
  const imageId = { imageDigest: digest(1) };

  const status = await ecr.send(new DescribeImageScanFindingsCommand({ repositoryName: 'findings', imageId, maxResults: 1 }));
  expect(status.imageScanFindings?.findings).toHaveLength(1);
  expect(status.imageScanFindings?.findingSeverityCounts).toEqual({ HIGH: 250 });
  expect(status.nextToken).toEqual(expect.any(String));

  const names: string[] = [];
  const sizes: number[] = [];
  for await (const page of paginateDescribeImageScanFindings({ client: ecr }, { repositoryName: 'findings', imageId })) {
    sizes.push(page.imageScanFindings!.findings!.length);
    names.push(...page.imageScanFindings!.findings!.map((f) => f.name!));
  }
  expect(sizes).toEqual([100, 100, 50]);
  expect(names).toEqual(findings.map((f) => f.name));
});

describe('DynamoDB (the ledger) through the wrapper\'s faster paths', () => {
  const table = 'wrapper-test';
  async function client() {
    const dynamodb = new DynamoDBClient(fixture().emulator.clientConfig());
    await dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return dynamodb;
  }

  test('items written and read back keep every type, binary values included (moto\'s serializer answers those)', async () => {
    const dynamodb = await client();
    const item = {
      pk: { S: 'a' },
      sk: { S: 'x' },
      n: { N: '12.5' },
      ok: { BOOL: true },
      none: { NULL: true },
      tags: { L: [{ S: 'v1' }, { S: 'latest' }] },
      scan: { M: { status: { S: 'COMPLETE' }, counts: { M: { HIGH: { N: '2' } } } } },
      ids: { SS: ['CVE-1', 'CVE-2'] },
    };
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: item }));
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'b' }, sk: { S: 'x' }, blob: { B: new Uint8Array([0, 255, 7]) } } }));

    expect((await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'a' }, sk: { S: 'x' } } }))).Item).toEqual(item);
    expect((await dynamodb.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'b' }, sk: { S: 'x' } } }))).Item?.blob.B).toEqual(new Uint8Array([0, 255, 7]));
    const batch = await dynamodb.send(
      new BatchGetItemCommand({ RequestItems: { [table]: { Keys: [{ pk: { S: 'a' }, sk: { S: 'x' } }, { pk: { S: 'missing' }, sk: { S: 'x' } }], ProjectionExpression: 'pk, #scan', ExpressionAttributeNames: { '#scan': 'scan' } } } }),
    );
    expect(batch.Responses?.[table]).toEqual([{ pk: { S: 'a' }, scan: item.scan }]);
    const updated = await dynamodb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'a' }, sk: { S: 'x' } },
        UpdateExpression: 'SET n = n + :one REMOVE ok',
        ExpressionAttributeValues: { ':one': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(updated.Attributes?.n).toEqual({ N: '13.5' });
    expect(updated.Attributes?.ok).toBeUndefined();
    dynamodb.destroy();
  });

  test('the update-expression checks still refuse two SET clauses and overlapping paths, whatever the expression\'s length', async () => {
    const dynamodb = await client();
    const update = (expression: string) =>
      dynamodb.send(
        new UpdateItemCommand({ TableName: table, Key: { pk: { S: 'c' }, sk: { S: 'x' } }, UpdateExpression: expression, ExpressionAttributeValues: { ':v': { S: 'v' } } }),
      );
    const many = Array.from({ length: 9 }, (_, i) => `a${i} = :v`).join(', ');
    await expect(update(`SET ${many} SET b = :v`)).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(update(`SET ${many}, a3.x = :v`)).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/overlap/i) });
    await expect(update(`SET ${many} REMOVE c REMOVE d`)).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(update(`SET ${many}`)).resolves.toBeDefined();
    dynamodb.destroy();
  });

  test('a conditional write is atomic, as in DynamoDB: of 60 concurrent conditional ADDs under a cap of 25, exactly 25 pass', async () => {
    const dynamodb = await client();
    const key = { pk: { S: 'counter' }, sk: { S: 'x' } };
    const add = () =>
      dynamodb
        .send(
          new UpdateItemCommand({
            TableName: table,
            Key: key,
            UpdateExpression: 'ADD #n :one',
            ConditionExpression: 'attribute_not_exists(#n) OR #n <= :max',
            ExpressionAttributeNames: { '#n': 'n' },
            ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: '24' } },
          }),
        )
        .then(
          () => true,
          (error) => {
            if (error.name !== 'ConditionalCheckFailedException') throw error;
            return false;
          },
        );
    const passed = (await Promise.all(Array.from({ length: 60 }, add))).filter(Boolean).length;
    expect(passed).toBe(25);
    expect((await dynamodb.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item?.n).toEqual({ N: '25' });
    dynamodb.destroy();
  });

  test('Scan reports the read units DynamoDB charges: the items\' sizes, whatever the projection, per 4 KB, 0.5 eventually consistent', async () => {
    const dynamodb = await client();
    // Three items of 2 + 1 + 2 + 1 + 4 + 5,000 = 5,010 bytes each (names and values): 15,030 bytes, four 4 KB blocks.
    for (const pk of ['a', 'b', 'c']) {
      await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, sk: { S: 'x' }, blob: { S: 'z'.repeat(5000) } } }));
    }
    const scan = async (consistent: boolean) =>
      dynamodb.send(new ScanCommand({ TableName: table, ProjectionExpression: 'pk, sk', ReturnConsumedCapacity: 'TOTAL', ConsistentRead: consistent }));
    const eventual = await scan(false);
    expect(eventual.Items).toHaveLength(3);
    expect(eventual.ConsumedCapacity?.CapacityUnits).toBe(2);
    expect((await scan(true)).ConsumedCapacity?.CapacityUnits).toBe(4);
    dynamodb.destroy();
  });

  test('items are sized by DynamoDB\'s rule: a List or Map 3 bytes plus 1 per element, a number 1 byte per two significant digits plus 1', async () => {
    const dynamodb = await client();
    const scanUnits = async () => (await dynamodb.send(new ScanCommand({ TableName: table, ReturnConsumedCapacity: 'TOTAL', ConsistentRead: true }))).ConsumedCapacity?.CapacityUnits;
    // pk and sk: 2 + 1 + 2 + 1 = 6 bytes. A list of 1,362 two-letter strings: 1 (name) + 3 + 1,362 x (1 + 2) = 4,090.
    // 4,096 bytes in all: one 4 KB block by DynamoDB's rule (moto's own counted 2,731).
    const list = { L: Array.from({ length: 1362 }, () => ({ S: 'ab' })) };
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, sk: { S: 'x' }, l: list } }));
    expect(await scanUnits()).toBe(1);
    // One element more is 4,099 bytes: two blocks.
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, sk: { S: 'x' }, l: { L: [...list.L, { S: 'ab' }] } } }));
    expect(await scanUnits()).toBe(2);
    // A map of 1,000 numbers 1000000 (digits "1" once zeros are trimmed: 2 bytes), names k000 to k999:
    // 1 + 3 + 1,000 x (1 + 4 + 2) = 7,004, plus 6: two blocks (moto's own counted 11,007: three).
    const map = { M: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${String(i).padStart(3, '0')}`, { N: '1000000' }])) };
    await dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: 'a' }, sk: { S: 'x' }, m: map } }));
    expect(await scanUnits()).toBe(2);
    dynamodb.destroy();
  });
});

describe('ECS and Lambda as the in-use discovery reads them', () => {
  let ecs: ECSClient;
  let lambda: LambdaClient;
  beforeAll(() => {
    ecs = new ECSClient(fixture().emulator.clientConfig());
    lambda = new LambdaClient(fixture().emulator.clientConfig());
  });
  afterAll(() => {
    ecs?.destroy();
    lambda?.destroy();
    closeWorkloadClients();
  });
  const endpoint = () => fixture().emulator.endpoint;

  async function runningTasks(cluster: string, serviceName?: string): Promise<Task[]> {
    const arns: string[] = [];
    for await (const page of paginateListTasks({ client: ecs }, { cluster, serviceName, desiredStatus: 'RUNNING' })) arns.push(...page.taskArns!);
    return describeTasks(cluster, arns);
  }
  async function describeTasks(cluster: string, arns: readonly string[]): Promise<Task[]> {
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) {
      tasks.push(...(await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }))).tasks!);
    }
    return tasks;
  }
  const digestsOf = (tasks: readonly Task[]) => tasks.flatMap((t) => t.containers!.map((c) => c.imageDigest));

  test('a service runs desiredCount tasks at once: group service:NAME, every container, the pushed digest for this registry\'s image and none for another registry\'s', async () => {
    const pushed = await pushImage(endpoint(), { repositoryName: 'team/payments-api', tag: 'v1' });
    const proxy = 'public.ecr.aws/nginx/nginx:1.27';
    const service = await runEcsService(endpoint(), {
      cluster: 'prod',
      service: 'payments-api',
      tasks: 3,
      containers: [{ name: 'app', image: pushed.imageUri }, { name: 'proxy', image: proxy }],
    });
    expect(service.runningCount).toBe(3);

    const [described] = (await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['payments-api'] }))).services!;
    expect(described).toMatchObject({ serviceName: 'payments-api', taskDefinition: service.taskDefinitionArn, desiredCount: 3, runningCount: 3 });
    const definition = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: described.taskDefinition }));
    expect(definition.taskDefinition?.containerDefinitions?.map((c) => c.image)).toEqual([pushed.imageUri, proxy]);

    const arns = (await ecs.send(new ListTasksCommand({ cluster: 'prod', desiredStatus: 'RUNNING' }))).taskArns!;
    expect(arns).toHaveLength(3);
    const expected = {
      group: 'service:payments-api',
      taskDefinitionArn: service.taskDefinitionArn,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      containers: [
        { name: 'app', image: pushed.imageUri, imageDigest: pushed.imageDigest, lastStatus: 'RUNNING' },
        { name: 'proxy', image: proxy, lastStatus: 'RUNNING' },
      ],
    };
    // Read twice: describing a task does not move it along (moto's own ECS stops it a state per read).
    for (let read = 0; read < 2; read++) {
      const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: 'prod', tasks: arns }))).tasks!;
      expect(
        tasks.map((t) => ({
          group: t.group,
          taskDefinitionArn: t.taskDefinitionArn,
          lastStatus: t.lastStatus,
          desiredStatus: t.desiredStatus,
          containers: t.containers!.map((c) => ({ name: c.name, image: c.image, imageDigest: c.imageDigest, lastStatus: c.lastStatus })),
        })),
      ).toEqual([expected, expected, expected]);
      expect(tasks.every((t) => t.containers![1].imageDigest === undefined)).toBe(true);
    }

    // Owner tags on a repository: given at creation or added later, ListTagsForResource answers them.
    const { ecr } = fixture();
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'team/ledger', tags: [{ Key: 'team', Value: 'ledger' }] }));
    const repositories = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['team/payments-api', 'team/ledger'] }))).repositories!;
    const arnOf = (name: string) => repositories.find((r) => r.repositoryName === name)!.repositoryArn!;
    expect(arnOf('team/payments-api')).toBe('arn:aws:ecr:us-east-1:123456789012:repository/team/payments-api');
    await ecr.send(new TagResourceCommand({ resourceArn: arnOf('team/payments-api'), tags: [{ Key: 'owner', Value: 'payments@example.com' }] }));
    expect((await ecr.send(new ListTagsForResourceCommand({ resourceArn: arnOf('team/payments-api') }))).tags).toEqual([{ Key: 'owner', Value: 'payments@example.com' }]);
    expect((await ecr.send(new ListTagsForResourceCommand({ resourceArn: arnOf('team/ledger') }))).tags).toEqual([{ Key: 'team', Value: 'ledger' }]);
  });

  test('a deployment pins its digest: a moved tag reaches a service only with a new deployment; a task outside a service resolves it when it starts', async () => {
    const first = await pushImage(endpoint(), { repositoryName: 'api', tag: 'live' });
    await runEcsService(endpoint(), { cluster: 'prod', service: 'api', image: first.imageUri, tasks: 2 });
    const second = await pushImage(endpoint(), { repositoryName: 'api', tag: 'live' });
    expect(second.imageDigest).not.toBe(first.imageDigest);
    // The tag moved; the image it named stays, untagged, as in ECR.
    const old = await fixture().ecr.send(new DescribeImagesCommand({ repositoryName: 'api', imageIds: [{ imageDigest: first.imageDigest }] }));
    expect(old.imageDetails!.map((d) => [d.imageDigest, d.imageTags])).toEqual([[first.imageDigest, undefined]]);

    // Scaling up starts tasks of the same deployment: the digest it pinned, not the tag's new one.
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', desiredCount: 3 }));
    expect(digestsOf(await runningTasks('prod'))).toEqual([first.imageDigest, first.imageDigest, first.imageDigest]);
    // A new deployment resolves the tag again and replaces every task.
    await ecs.send(new UpdateServiceCommand({ cluster: 'prod', service: 'api', forceNewDeployment: true }));
    expect(digestsOf(await runningTasks('prod'))).toEqual([second.imageDigest, second.imageDigest, second.imageDigest]);
    const stopped = await describeTasks('prod', (await ecs.send(new ListTasksCommand({ cluster: 'prod', desiredStatus: 'STOPPED' }))).taskArns!);
    expect(stopped.map((t) => [t.lastStatus, t.containers![0].imageDigest])).toEqual([
      ['STOPPED', first.imageDigest],
      ['STOPPED', first.imageDigest],
      ['STOPPED', first.imageDigest],
    ]);
    expect(stopped[0].stoppedReason).toMatch(/^Scaling activity initiated by \(deployment ecs-svc\/\d+\)$/);

    // A stopped task of a service is replaced.
    const victim = (await runningTasks('prod'))[0].taskArn!;
    await ecs.send(new StopTaskCommand({ cluster: 'prod', task: victim, reason: 'test' }));
    const replaced = await runningTasks('prod');
    expect(replaced).toHaveLength(3);
    expect(replaced.map((t) => t.taskArn)).not.toContain(victim);
    expect((await ecs.send(new DescribeServicesCommand({ cluster: 'prod', services: ['api'] }))).services![0].runningCount).toBe(3);

    // Outside a service: by tag (today's digest), by digest, and a tag the registry lacks (the pull fails).
    const nightly = await runEcsTask(endpoint(), { cluster: 'prod', family: 'nightly', image: imageUri('api', 'live'), count: 2 });
    const pinned = await runEcsTask(endpoint(), { cluster: 'prod', family: 'pinned', image: first.digestUri });
    const broken = await runEcsTask(endpoint(), { cluster: 'prod', family: 'broken', image: imageUri('api', 'gone') });
    const jobs = await describeTasks('prod', [...nightly.taskArns, ...pinned.taskArns]);
    expect(jobs.map((t) => [t.group, t.lastStatus, t.containers![0].imageDigest])).toEqual([
      ['family:nightly', 'RUNNING', second.imageDigest],
      ['family:nightly', 'RUNNING', second.imageDigest],
      ['family:pinned', 'RUNNING', first.imageDigest],
    ]);
    const [failed] = await describeTasks('prod', broken.taskArns);
    expect(failed).toMatchObject({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'TaskFailedToStart', stoppedReason: expect.stringMatching(/^CannotPullContainerError: /) });
    expect(failed.containers![0].imageDigest).toBeUndefined();

    expect(await runningTasks('prod')).toHaveLength(6);
    expect(await runningTasks('prod', 'api')).toHaveLength(3);
    await ecs.send(new DeleteServiceCommand({ cluster: 'prod', service: 'api', force: true }));
    expect((await runningTasks('prod')).map((t) => t.group)).toEqual(['family:nightly', 'family:nightly', 'family:pinned']);
    expect((await ecs.send(new ListServicesCommand({ cluster: 'prod' }))).serviceArns).toEqual([]);
  });

  test('ECS lists page as ECS does (ListServices 10 by default, the others 100; maxResults 1 to 100); DescribeServices takes 10 services, DescribeTasks 100 tasks', async () => {
    const image = await pushImage(endpoint(), { repositoryName: 'fleet', tag: 'v1' });
    const specs = [
      ...Array.from({ length: 120 }, (_, i) => ({ cluster: 'fleet', service: `svc-${String(i).padStart(3, '0')}`, image: image.imageUri, tasks: 1 })),
      { cluster: 'fleet', service: 'wide', image: image.imageUri, tasks: 100 },
      { cluster: 'other-a', service: 'a', image: image.imageUri, tasks: 1 },
      { cluster: 'other-b', service: 'b', image: image.imageUri, tasks: 1 },
    ];
    const seeded = await runEcsServices(endpoint(), specs);
    expect(seeded.map((s) => s.runningCount)).toEqual(specs.map((s) => s.tasks));

    const clusters = await ecs.send(new ListClustersCommand({ maxResults: 2 }));
    expect(clusters.clusterArns).toHaveLength(2);
    const lastClusters = await ecs.send(new ListClustersCommand({ maxResults: 2, nextToken: clusters.nextToken }));
    expect(lastClusters.nextToken).toBeUndefined();
    expect([...clusters.clusterArns!, ...lastClusters.clusterArns!].map((arn) => arn.split('/').pop()).sort()).toEqual(['fleet', 'other-a', 'other-b']);

    const serviceSizes: number[] = [];
    const serviceArns: string[] = [];
    for await (const page of paginateListServices({ client: ecs }, { cluster: 'fleet' })) {
      serviceSizes.push(page.serviceArns!.length);
      serviceArns.push(...page.serviceArns!);
    }
    expect(serviceSizes).toEqual([...Array(12).fill(10), 1]);
    expect(new Set(serviceArns).size).toBe(121);
    expect((await ecs.send(new ListServicesCommand({ cluster: 'fleet', maxResults: 100 }))).serviceArns).toHaveLength(100);

    const firstTasks = await ecs.send(new ListTasksCommand({ cluster: 'fleet' }));
    expect(firstTasks.taskArns).toHaveLength(100);
    expect(firstTasks.nextToken).toEqual(expect.any(String));
    const taskSizes: number[] = [];
    const taskArns: string[] = [];
    for await (const page of paginateListTasks({ client: ecs, pageSize: 100 }, { cluster: 'fleet', desiredStatus: 'RUNNING' })) {
      taskSizes.push(page.taskArns!.length);
      taskArns.push(...page.taskArns!);
    }
    expect(taskSizes).toEqual([100, 100, 20]);
    expect(new Set(taskArns).size).toBe(220);
    expect((await ecs.send(new ListTasksCommand({ cluster: 'fleet', serviceName: 'wide' }))).taskArns).toHaveLength(100);
    await expect(ecs.send(new ListTasksCommand({ cluster: 'fleet', maxResults: 101 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(ecs.send(new ListServicesCommand({ cluster: 'fleet', nextToken: 'not-a-token' }))).rejects.toMatchObject({ name: 'InvalidParameterException' });

    await expect(ecs.send(new DescribeServicesCommand({ cluster: 'fleet', services: serviceArns.slice(0, 11) }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'service names can have at most 10 items.',
    });
    const ten = await ecs.send(new DescribeServicesCommand({ cluster: 'fleet', services: serviceArns.slice(0, 10) }));
    expect(ten.services!.map((s) => s.serviceArn)).toEqual(serviceArns.slice(0, 10));
    await expect(ecs.send(new DescribeTasksCommand({ cluster: 'fleet', tasks: taskArns.slice(0, 101) }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: 'taskIds can have at most 100 items.',
    });
    const hundred = await ecs.send(new DescribeTasksCommand({ cluster: 'fleet', tasks: taskArns.slice(0, 100) }));
    expect(hundred.tasks!.map((t) => t.taskArn)).toEqual(taskArns.slice(0, 100));
    expect(hundred.failures).toEqual([]);
    expect(new Set(digestsOf(hundred.tasks!))).toEqual(new Set([image.imageDigest]));
    // DescribeTasks answers the cluster asked: another cluster's task is MISSING there.
    const elsewhere = await ecs.send(new DescribeTasksCommand({ cluster: 'other-a', tasks: [taskArns[0]] }));
    expect(elsewhere.tasks).toEqual([]);
    expect(elsewhere.failures).toEqual([{ arn: taskArns[0], reason: 'MISSING' }]);
  });

  test('image functions: the tag is resolved to the pushed digest when the code is set (Code.ResolvedImageUri); ListFunctions pages by 50; Invoke still reaches the harness', async () => {
    const v1 = await pushImage(endpoint(), { repositoryName: 'fn/worker', tag: 'v1' });
    const created = await createImageFunction(endpoint(), { functionName: 'worker', imageUri: v1.imageUri });
    expect(created.codeSha256).toBe(v1.imageDigest.slice('sha256:'.length));
    const code = async (name: string) => (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Code;
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'worker' }));
    expect(got.Configuration?.PackageType).toBe('Image');
    expect(got.Code).toEqual({ RepositoryType: 'ECR', ImageUri: v1.imageUri, ResolvedImageUri: `${REGISTRY_HOST}/fn/worker@${v1.imageDigest}` });

    // The tag moves: the function runs its digest until its code is updated.
    const v2 = await pushImage(endpoint(), { repositoryName: 'fn/worker', tag: 'v1' });
    expect((await code('worker'))?.ResolvedImageUri).toBe(v1.digestUri);
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'worker', ImageUri: v1.imageUri }));
    expect((await code('worker'))?.ResolvedImageUri).toBe(v2.digestUri);

    await createImageFunction(endpoint(), { functionName: 'pinned', imageUri: v1.digestUri });
    expect(await code('pinned')).toMatchObject({ ImageUri: v1.digestUri, ResolvedImageUri: v1.digestUri });
    for (const missing of [imageUri('fn/worker', 'gone'), 'public.ecr.aws/lambda/nodejs:22']) {
      await expect(createImageFunction(endpoint(), { functionName: 'broken', imageUri: missing })).rejects.toMatchObject({
        name: 'InvalidParameterValueException',
        message: `Source image ${missing} is not valid. Provide a valid source image.`,
      });
    }

    const role = await ensureLambdaRole(endpoint());
    const emptyZip = Buffer.from('UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==', 'base64');
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'zipped', Runtime: 'nodejs22.x', Handler: 'index.handler', Role: role, Code: { ZipFile: emptyZip } }));
    await createImageFunctions(endpoint(), Array.from({ length: 52 }, (_, i) => ({ functionName: `fn-${String(i).padStart(2, '0')}`, imageUri: v2.digestUri })));
    const first = await lambda.send(new ListFunctionsCommand({}));
    expect(first.Functions).toHaveLength(50);
    expect(first.NextMarker).toEqual(expect.any(String));
    const second = await lambda.send(new ListFunctionsCommand({ Marker: first.NextMarker }));
    expect(second.Functions).toHaveLength(5);
    expect(second.NextMarker).toBeUndefined();
    expect((await lambda.send(new ListFunctionsCommand({ MaxItems: 7 }))).Functions).toHaveLength(7);
    expect((await lambda.send(new ListFunctionsCommand({ MaxItems: 500 }))).Functions).toHaveLength(50);
    await expect(lambda.send(new ListFunctionsCommand({ Marker: 'not-a-marker' }))).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    const listed = new Map<string, string>();
    for await (const page of paginateListFunctions({ client: lambda, pageSize: 20 }, {})) {
      for (const fn of page.Functions!) {
        expect(listed.has(fn.FunctionName!)).toBe(false);
        listed.set(fn.FunctionName!, fn.PackageType!);
      }
    }
    expect(listed.size).toBe(55);
    expect([listed.get('worker'), listed.get('pinned'), listed.get('zipped'), listed.get('fn-51')]).toEqual(['Image', 'Image', 'Zip', 'Image']);

    await lambda.send(new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: Buffer.from('{"ping":1}') }));
    expect(await fixture().emulator.takeInvocations()).toEqual([{ functionName: 'worker', invocationType: 'Event', payload: { ping: 1 } }]);
  });
});

describe('EventBridge patterns on arrays of objects', () => {
  test('a pattern field matches when one object of an event\'s array matches it, as EventBridge does (the Inspector finding rule)', async () => {
    const { emulator, sqs } = fixture();
    const config = emulator.clientConfig();
    const events = new EventBridgeClient(config);
    try {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'array-pattern' }));
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn;
      const pattern = { 'source': ['aws.inspector2'], 'detail-type': ['Inspector2 Finding'], 'detail': { resources: { type: ['AWS_ECR_CONTAINER_IMAGE'] } } };
      await events.send(new PutRuleCommand({ Name: 'array-pattern', EventPattern: JSON.stringify(pattern) }));
      await events.send(new PutTargetsCommand({ Rule: 'array-pattern', Targets: [{ Id: 'q', Arn: arn }] }));
      const send = (detail: Record<string, unknown>) =>
        events.send(new PutEventsCommand({ Entries: [{ Source: 'aws.inspector2', DetailType: 'Inspector2 Finding', Detail: JSON.stringify(detail) }] }));
      await send({ n: 1, resources: [{ type: 'AWS_ECR_CONTAINER_IMAGE', id: 'image' }] });
      await send({ n: 2, resources: [{ type: 'AWS_EC2_INSTANCE', id: 'i-1' }] });
      await send({ n: 3, resources: [{ type: 'AWS_EC2_INSTANCE' }, { type: 'AWS_ECR_CONTAINER_IMAGE' }] });
      await send({ n: 4, resources: { type: 'AWS_ECR_CONTAINER_IMAGE' } });
      await send({ n: 5 });
      const received: number[] = [];
      for (;;) {
        const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
        if (!Messages?.length) break;
        received.push(...Messages.map((m) => JSON.parse(m.Body!).detail.n as number));
      }
      // One object matching is enough; a map still matches as a map; no such field, no match.
      expect(received.sort()).toEqual([1, 3, 4]);
    } finally {
      events.destroy();
    }
  });
});
