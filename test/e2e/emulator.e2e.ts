/**
 * The emulator's own additions (local/emulator/server.py) that the scale, fault and bench
 * runs rely on: ECR paging as the API reference describes it, and the bulk image seed with
 * its digest index. If these drift, a scale test could pass by reading one giant page.
 */
import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ListImagesCommand,
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
