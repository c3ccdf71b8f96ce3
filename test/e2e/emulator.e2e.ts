/**
 * The emulator's own additions (local/emulator/server.py) that the scale, fault and bench
 * runs rely on: ECR paging as the API reference describes it, the bulk image seed with its
 * digest index, and the faster paths of its DynamoDB. If these drift, a scale test could pass by
 * reading one giant page, or the ledger could read back what DynamoDB would not answer.
 */
import { BatchGetItemCommand, CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
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
} from '@aws-sdk/client-ecr';
import { useEmulator } from './harness';

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
});
