/**
 * What the benchmark measures on each simulated day of a side: which digests are due (from the
 * side's own scan history: every side scans different images), the stateless floor of that day,
 * the scans ECR accepted and the due digests no scan reached, and the ECR calls of each stage.
 * Plain functions, no I/O: test/bench/daily.test.ts covers them.
 */
import { ECR_PAGE, ECR_SERVICE, Floor, LoggedRequest } from './measure';
import { BenchImage, BenchRegistry, DAY_MS, allImages } from './registry';
import { digestKey } from './world';

/** What ECR knows of a digest's last scan, on one side (the sides scan different images). */
export interface ScanState {
  /** COMPLETE or FAILED; undefined when never scanned. */
  readonly status?: 'COMPLETE' | 'FAILED';
  readonly at?: Date;
}

/** Each digest's scan state before the run, from the registry. */
export function initialScanStates(registry: BenchRegistry): Map<string, ScanState> {
  const states = new Map<string, ScanState>();
  for (const image of allImages(registry)) {
    const key = digestKey(image.repositoryName, image.imageDigest);
    if (image.kind === 'never' || !image.lastScan) states.set(key, {});
    else states.set(key, { status: image.kind === 'failed' ? 'FAILED' : 'COMPLETE', at: image.lastScan });
  }
  return states;
}

/** The states after the day's finished scans. */
export function afterScans(states: ReadonlyMap<string, ScanState>, finished: readonly { key: string; status: 'COMPLETE' | 'FAILED'; at: Date }[]): Map<string, ScanState> {
  const next = new Map(states);
  for (const scan of finished) next.set(scan.key, { status: scan.status, at: scan.at });
  return next;
}

/** The truth, as in registry.ts' isDue: never scanned, last scan FAILED, or COMPLETE at least the expiry ago. */
export function dueOn(states: ReadonlyMap<string, ScanState>, now: Date, scanExpiryDays: number): Set<string> {
  const due = new Set<string>();
  for (const [key, state] of states) {
    if (state.status !== 'COMPLETE' || !state.at || now.getTime() - state.at.getTime() >= scanExpiryDays * DAY_MS) due.add(key);
  }
  return due;
}

/** The stateless floor (measure.ts' floorOf) with the day's due count in place of the registry's. */
export function floorOfDay(registry: BenchRegistry, due: number): Floor {
  const statusReads = registry.repositories.reduce((n, r) => n + r.images.length, 0);
  const imageListPages = registry.repositories.reduce((n, r) => n + Math.max(1, Math.ceil(r.images.length / ECR_PAGE)), 0);
  const repositoryListPages = Math.max(1, Math.ceil(registry.repositories.length / ECR_PAGE));
  return { statusReads, scans: due, imageListPages, repositoryListPages, total: statusReads + due + imageListPages + repositoryListPages };
}

/** Finds an image by `repository@digest` or `repository:tag`, as StartImageScan names it. */
export interface ImageIndex {
  readonly byKey: ReadonlyMap<string, BenchImage>;
  readonly byTag: ReadonlyMap<string, BenchImage>;
}

export function indexImages(registry: BenchRegistry): ImageIndex {
  const images = allImages(registry);
  return {
    byKey: new Map(images.map((i) => [digestKey(i.repositoryName, i.imageDigest), i])),
    byTag: new Map(images.flatMap((i) => i.tags.map((t) => [`${i.repositoryName}:${t}`, i] as const))),
  };
}

export interface ScanAudit {
  /** StartImageScan requests (every HTTP attempt). */
  readonly requests: number;
  /** The digests whose scan ECR accepted, once each, in the order of the first acceptance. */
  readonly accepted: readonly string[];
  /** Due digests that no StartImageScan request reached that day. */
  readonly dueMissed: number;
  /** Digests with two or more accepted StartImageScan that day (ECR's once-a-day rule makes this 0 unless it is broken). */
  readonly duplicateScans: number;
  /** Requests on digests that were not due. */
  readonly notDueAttempts: number;
  /** Requests naming no digest of the registry. */
  readonly unknown: number;
  /** A few due digests that were missed, for the log. */
  readonly missedExamples: readonly string[];
}

export function auditScans(index: ImageIndex, due: ReadonlySet<string>, requests: readonly LoggedRequest[]): ScanAudit {
  const attempted = new Set<string>();
  const acceptedCount = new Map<string, number>();
  let count = 0;
  let notDueAttempts = 0;
  let unknown = 0;
  for (const r of requests) {
    if (r.service !== ECR_SERVICE || r.operation !== 'StartImageScan') continue;
    count++;
    const repositoryName = r.params.repositoryName as string;
    const id = (r.params.imageId ?? {}) as { imageDigest?: string; imageTag?: string };
    const image = id.imageDigest ? index.byKey.get(digestKey(repositoryName, id.imageDigest)) : index.byTag.get(`${repositoryName}:${id.imageTag}`);
    if (!image) {
      unknown++;
      continue;
    }
    const key = digestKey(image.repositoryName, image.imageDigest);
    attempted.add(key);
    if (!due.has(key)) notDueAttempts++;
    if (r.status === 200) acceptedCount.set(key, (acceptedCount.get(key) ?? 0) + 1);
  }
  const missed = [...due].filter((key) => !attempted.has(key));
  return {
    requests: count,
    accepted: [...acceptedCount.keys()],
    dueMissed: missed.length,
    duplicateScans: [...acceptedCount.values()].filter((n) => n > 1).length,
    notDueAttempts,
    unknown,
    missedExamples: missed.slice(0, 5),
  };
}

export interface OperationCounts {
  readonly total: number;
  readonly byOperation: Record<string, number>;
}

/** Requests of one service, by operation (keys sorted), and how many of them got an error answer. */
export function countOperations(requests: readonly LoggedRequest[], service: string): OperationCounts & { readonly refused: number } {
  const byOperation: Record<string, number> = {};
  let total = 0;
  let refused = 0;
  for (const r of requests) {
    if (r.service !== service) continue;
    total++;
    byOperation[r.operation] = (byOperation[r.operation] ?? 0) + 1;
    if (r.status !== 200) refused++;
  }
  return { total, byOperation: Object.fromEntries(Object.entries(byOperation).sort(([a], [b]) => a.localeCompare(b))), refused };
}

/** ECR calls of a day: the scan cycle's (dispatch and rescan, or the Python tool's two functions) and the report function's. */
export interface EcrDayCalls extends OperationCounts {
  /** Requests ECR answered with an error (LimitExceededException and the like), by stage. */
  readonly refused: { readonly cycle: number; readonly report: number };
  readonly cycle: OperationCounts;
  readonly report: OperationCounts;
}

export function ecrDayCalls(cycle: readonly LoggedRequest[], report: readonly LoggedRequest[]): EcrDayCalls {
  const c = countOperations(cycle, ECR_SERVICE);
  const r = countOperations(report, ECR_SERVICE);
  const byOperation: Record<string, number> = { ...c.byOperation };
  for (const [op, n] of Object.entries(r.byOperation)) byOperation[op] = (byOperation[op] ?? 0) + n;
  return {
    total: c.total + r.total,
    byOperation: Object.fromEntries(Object.entries(byOperation).sort(([a], [b]) => a.localeCompare(b))),
    refused: { cycle: c.refused, report: r.refused },
    cycle: { total: c.total, byOperation: c.byOperation },
    report: { total: r.total, byOperation: r.byOperation },
  };
}
