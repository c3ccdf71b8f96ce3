/**
 * The week's workloads: which image digests run, and where, for the in-use discovery and the side
 * with `reportScope: ImageScope.inUse()`. Derived from the registry and the seed alone, so every
 * side meets the same workloads; week.ts seeds them in the emulator once at the start of each
 * side's week (after the reset and the images), and they run unchanged all week. Plain functions,
 * no I/O: test/bench/running.test.ts covers them.
 *
 * - A share of the repositories (20 % by default), drawn in registry order, run 1 to 3 of their
 *   digests (even odds), drawn among the repository's images without repeats.
 * - Each running digest runs in an ECS service with 1 to 4 tasks (60 %), in a Lambda function of
 *   package type Image (25 %), or in both (15 %). Services go to one cluster per team
 *   (`bench-team-07`), named after the repository and the digest's rank (`service-012-2`);
 *   functions are named `team-07-service-012-2`. Both name the image by digest (local/emulator/
 *   workloads.ts' imageUri), as a deployment pinned to a digest does.
 */
import type { BenchRegistry } from './registry';
import { digestKey } from './world';
import { mulberry32 } from '../random';

export const DEFAULT_RUNNING_REPOSITORY_SHARE = 0.2;
/** The kinds of place a running digest gets, with their weights. */
export const PLACE_WEIGHTS = { ecs: 0.6, lambda: 0.25, both: 0.15 } as const;

export interface RunningImage {
  readonly repositoryName: string;
  readonly imageDigest: string;
  /** `repository@digest` (world.ts' digestKey). */
  readonly key: string;
}

export interface ServiceWorkload extends RunningImage {
  readonly cluster: string;
  readonly service: string;
  /** Running tasks: the service's desiredCount, 1 to 4. */
  readonly tasks: number;
}

export interface FunctionWorkload extends RunningImage {
  readonly functionName: string;
}

export interface Workloads {
  readonly repositoryShare: number;
  /** Repositories with at least one running digest. */
  readonly repositories: number;
  readonly services: readonly ServiceWorkload[];
  readonly functions: readonly FunctionWorkload[];
  /** The keys of every running digest. */
  readonly running: ReadonlySet<string>;
}

export interface WorkloadOptions {
  readonly seed: number;
  /** Share of the repositories with running digests. @default 0.2 */
  readonly repositoryShare?: number;
}

export function buildWorkloads(registry: BenchRegistry, options: WorkloadOptions): Workloads {
  const share = options.repositoryShare ?? DEFAULT_RUNNING_REPOSITORY_SHARE;
  // A stream of its own, so the workloads do not move the world's draws (world.ts).
  const random = mulberry32(options.seed * 104_729 + 31);
  const services: ServiceWorkload[] = [];
  const functions: FunctionWorkload[] = [];
  const running = new Set<string>();
  let repositories = 0;
  for (const repository of registry.repositories) {
    if (random() >= share || repository.images.length === 0) continue;
    repositories++;
    const count = Math.min(repository.images.length, 1 + Math.floor(random() * 3));
    // A partial Fisher-Yates shuffle: `count` distinct images.
    const order = repository.images.map((_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (order.length - i));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const slash = repository.name.indexOf('/');
    const team = slash < 0 ? 'default' : repository.name.slice(0, slash);
    const base = repository.name.slice(slash + 1);
    order.slice(0, count).forEach((index, rank) => {
      const image = repository.images[index];
      const key = digestKey(image.repositoryName, image.imageDigest);
      const ref: RunningImage = { repositoryName: image.repositoryName, imageDigest: image.imageDigest, key };
      const kind = random();
      const name = `${base}-${rank + 1}`.replace(/[^A-Za-z0-9_-]/g, '-');
      // ECS only [0, 0.6), Lambda only [0.6, 0.85), both [0.85, 1).
      const ecs = kind < PLACE_WEIGHTS.ecs || kind >= PLACE_WEIGHTS.ecs + PLACE_WEIGHTS.lambda;
      const lambda = kind >= PLACE_WEIGHTS.ecs;
      if (ecs) services.push({ ...ref, cluster: `bench-${team}`.replace(/[^A-Za-z0-9_-]/g, '-'), service: name, tasks: 1 + Math.floor(random() * 4) });
      if (lambda) functions.push({ ...ref, functionName: `${team}-${name}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) });
      running.add(key);
    });
  }
  return { repositoryShare: share, repositories, services, functions, running };
}
