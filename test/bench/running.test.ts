import { buildRegistry } from '../../local/bench/registry';
import { DEFAULT_RUNNING_REPOSITORY_SHARE, buildWorkloads } from '../../local/bench/running';
import { digestKey } from '../../local/bench/world';

const NOW = new Date('2026-11-27T12:00:00Z');
const REGISTRY = buildRegistry({ repositories: 200, imagesPerRepository: 50, seed: 1 }, NOW);

test('deterministic: the same registry and seed give the same workloads; another seed others', () => {
  const a = buildWorkloads(REGISTRY, { seed: 1 });
  expect(buildWorkloads(REGISTRY, { seed: 1 })).toEqual(a);
  expect([...buildWorkloads(REGISTRY, { seed: 2 }).running]).not.toEqual([...a.running]);
});

test('about 20 % of the repositories run 1 to 3 distinct digests of their own, each in a service, a function or both', () => {
  const w = buildWorkloads(REGISTRY, { seed: 1 });
  expect(w.repositoryShare).toBe(DEFAULT_RUNNING_REPOSITORY_SHARE);
  expect(w.repositories).toBeGreaterThan(25);
  expect(w.repositories).toBeLessThan(55);
  const perRepository = new Map<string, Set<string>>();
  for (const x of [...w.services, ...w.functions]) {
    expect(x.key).toBe(digestKey(x.repositoryName, x.imageDigest));
    const repository = REGISTRY.repositories.find((r) => r.name === x.repositoryName)!;
    expect(repository.images.some((i) => i.imageDigest === x.imageDigest)).toBe(true);
    perRepository.set(x.repositoryName, (perRepository.get(x.repositoryName) ?? new Set()).add(x.key));
  }
  expect(perRepository.size).toBe(w.repositories);
  for (const keys of perRepository.values()) {
    expect(keys.size).toBeGreaterThanOrEqual(1);
    expect(keys.size).toBeLessThanOrEqual(3);
  }
  expect(new Set([...w.services, ...w.functions].map((x) => x.key))).toEqual(w.running);
  // Every kind of place occurs: ECS only, Lambda only, both.
  const ecs = new Set(w.services.map((s) => s.key));
  const lambda = new Set(w.functions.map((f) => f.key));
  expect([...w.running].some((k) => ecs.has(k) && !lambda.has(k))).toBe(true);
  expect([...w.running].some((k) => lambda.has(k) && !ecs.has(k))).toBe(true);
  expect([...w.running].some((k) => lambda.has(k) && ecs.has(k))).toBe(true);
});

test('ECS services have 1 to 4 tasks, unique names per cluster; function names are unique and valid', () => {
  const w = buildWorkloads(REGISTRY, { seed: 1 });
  const tasks = new Set(w.services.map((s) => s.tasks));
  expect([...tasks].sort()).toEqual([1, 2, 3, 4]);
  expect(new Set(w.services.map((s) => `${s.cluster}/${s.service}`)).size).toBe(w.services.length);
  expect(new Set(w.functions.map((f) => f.functionName)).size).toBe(w.functions.length);
  for (const s of w.services) expect(`${s.cluster} ${s.service}`).toMatch(/^bench-team-\d\d service-\d{3}-[1-3]$/);
  for (const f of w.functions) expect(f.functionName).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  expect(w.services[0]).toMatchObject({ cluster: expect.stringMatching(/^bench-/), service: expect.stringMatching(/^service-/) });
});

test('the share is a parameter: 0 runs nothing, 1 runs something in every repository', () => {
  expect(buildWorkloads(REGISTRY, { seed: 1, repositoryShare: 0 })).toMatchObject({ repositories: 0, services: [], functions: [] });
  expect(buildWorkloads(REGISTRY, { seed: 1, repositoryShare: 1 }).repositories).toBe(200);
});

test('a repository with one image runs at most that image', () => {
  const tiny = buildRegistry({ repositories: 30, imagesPerRepository: 1, seed: 3 }, NOW);
  const w = buildWorkloads(tiny, { seed: 3, repositoryShare: 1 });
  expect(w.running.size).toBe(30);
});
