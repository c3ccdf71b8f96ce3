/**
 * Shared by the SDK-mock tests of src/aws and src/lambda: fixture loading, AWS
 * error objects shaped as the SDK throws them, paginated fakes, a deferred
 * promise, a fake Lambda context and a capture of Powertools' JSON log lines.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { ECRServiceException } from '@aws-sdk/client-ecr';
import type { Context } from 'aws-lambda';
import { jsonLines } from '../../local/json-lines';

const FIXTURES = join(__dirname, '..', 'fixtures', 'aws');
const ALL_FIXTURES = join(__dirname, '..', 'fixtures');
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The image digests used in the fixtures, by the role each image plays. */
export const DIGESTS = {
  multiTag: 'sha256:4bd77cffb0da8cbda839ed5caaf5d418f19addc5941776e87261e000d6f96e93',
  untagged: 'sha256:6ca20016b9c82a1bd57872269b58825bbf6289aedeee361865d54969f99e1c56',
  fresh: 'sha256:d098ab5e44b9aabb755f76d806598f43573c662b35e4a2eab1e312ec9ad195e2',
  failed: 'sha256:5d28a90f4498a81461efbaf6f628a19d9778390bb5c81a393dd936181cc3d826',
  inProgress: 'sha256:248280e95e63068a8f22974ad509381d7e335468011e3e173f9ac8d7a58ed9f7',
  unsupported: 'sha256:60945d49535300be8e42108658dba31fcd5d665fc40d6f186798e7e0682320ae',
  unknownStatus: 'sha256:b23a6a8439c0dde5515893e7c90c1e3233b8616e634470f20dc4928bcf3609bc',
  recentlyScanned: 'sha256:034a7e52c5c9534b709dc1dba403868399b0949f7c1933a67325c22077ffc221',
  archived: 'sha256:dd9e881230ebf6e02363abdbb3566ee5aa13d0bae08caaf4334015d16a5a920d',
  report: 'sha256:845e91831319e89c4d656bdb80c278ac09a7230d61e5dfd2e1b1fbb436ac8917',
  other: 'sha256:d9298a10d1b0735837dc4bd85dac641b0f3cef27a47e5d53a54f2f3f5b2fcffa',
} as const;

/** The message ECR sends with LimitExceededException when StartImageScan is called twice in 24 hours. */
export const PER_IMAGE_QUOTA_MESSAGE = 'The scan quota per image has been exceeded. Wait and retry the scan later.';

/**
 * An SDK response fixture: timestamp fields (`…At`, and `lastRecordedPullTime`) become Dates, as the SDK deserializes them.
 * `folder` is the fixtures folder: test/fixtures/aws by default.
 */
export function loadSdkFixture<T = any>(name: string, folder = 'aws'): T {
  return JSON.parse(readFileSync(join(ALL_FIXTURES, folder, name), 'utf8'), (key, value) =>
    (key.endsWith('At') || key === 'lastRecordedPullTime') && typeof value === 'string' && ISO_DATE.test(value) ? new Date(value) : value,
  ) as T;
}

/** An event fixture, as Lambda hands it to the handler: plain JSON. */
export function loadEventFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** A service error as the SDK throws it for an unmodeled code such as ThrottlingException. */
export function serviceError(name: string, message: string, httpStatusCode = 400): ECRServiceException {
  return new ECRServiceException({
    name,
    message,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode, requestId: 'b3f1e8a2-6c1d-4b0e-9a7f-2d5c8e4f1a90', attempts: 1, totalRetryDelay: 0 },
  });
}

export const sdkMetadata = { httpStatusCode: 400, requestId: 'a0d9f2c4-1b7e-4e55-8f6a-3c2b1d0e9f87', attempts: 1, totalRetryDelay: 0 };

/**
 * A fake for a paginated command: serves `pages[0]` for no token and the page
 * after the one that returned a token for that token; records a copy of each
 * input (the SDK paginators reuse and mutate one input object).
 */
export function paginatedFake<P extends { nextToken?: string }>(pages: readonly P[]) {
  const byToken = new Map<string | undefined, P>();
  pages.forEach((page, i) => byToken.set(i === 0 ? undefined : pages[i - 1].nextToken, page));
  const inputs: Record<string, unknown>[] = [];
  const fake = (input: { nextToken?: string }): P => {
    inputs.push({ ...input });
    const page = byToken.get(input.nextToken);
    if (!page) throw new Error(`test fake: no page for nextToken ${JSON.stringify(input.nextToken)}`);
    return page;
  };
  return { fake, inputs };
}

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks (and I/O-free async chains) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export function fakeContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/15/[$LATEST]2f1c0d6e8b7a4c3d9e0f1a2b3c4d5e6f',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [key: string]: unknown;
}

export interface LogCapture {
  /** Every log line (JSON with a `level`) written to stdout or stderr since the capture began. */
  lines(): LogLine[];
  /** Every CloudWatch embedded-metric-format line (JSON with `_aws`) written since the capture began. */
  metricLines(): Record<string, unknown>[];
  restore(): void;
}

/** Captures (and silences) what Powertools Logger writes to stdout and stderr. */
export function captureLogs(): LogCapture {
  const chunks: string[] = [];
  const record = (chunk: unknown): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(record as typeof process.stdout.write);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(record as typeof process.stderr.write);
  const json = (): Record<string, unknown>[] => jsonLines(chunks.join(''));
  return {
    lines: () => json().filter((line): line is LogLine => typeof line.level === 'string' && typeof line.message === 'string'),
    metricLines: () => json().filter((line) => typeof line._aws === 'object' && line._aws !== null),
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

/** One metric value from a CloudWatch embedded-metric-format (EMF) line, with its dimensions. */
export interface EmfMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly value: unknown;
  /** Dimension name to value, e.g. { service: 'ecr-scan-reporter', reason: 'fresh' }. */
  readonly dimensions: Record<string, unknown>;
}

/**
 * The metrics of every EMF line among `lines` (those with `_aws.CloudWatchMetrics`, as
 * Powertools Metrics writes them to stdout), one entry per metric and line, in order.
 */
export function emfMetrics(lines: readonly Record<string, unknown>[]): EmfMetric[] {
  return lines.flatMap((line) => {
    type Directive = { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] };
    const aws = line._aws as { CloudWatchMetrics?: Directive[] } | undefined;
    return (aws?.CloudWatchMetrics ?? []).flatMap((directive) =>
      directive.Metrics.map((metric) => ({
        namespace: directive.Namespace,
        name: metric.Name,
        unit: metric.Unit,
        value: line[metric.Name],
        dimensions: Object.fromEntries(directive.Dimensions.flat().map((d) => [d, line[d]])),
      })),
    );
  });
}

/**
 * The metrics of `lines` without a dimension other than `service`, by name: the counts
 * a handler publishes once per invocation. Fails when a name appears twice.
 */
export function invocationMetrics(lines: readonly Record<string, unknown>[]): Record<string, unknown> {
  const counts: Record<string, unknown> = {};
  for (const metric of emfMetrics(lines)) {
    if (Object.keys(metric.dimensions).some((d) => d !== 'service')) continue;
    if (metric.name in counts) throw new Error(`metric ${metric.name} published more than once`);
    counts[metric.name] = metric.value;
  }
  return counts;
}
