/**
 * The benchmark's child process for this library: one stage of the daily cycle, with the handler
 * bundle exactly as deployed (assets/lambda/*), against the emulator the parent seeded.
 * BENCH_STAGE=dispatch runs the scheduled dispatch; BENCH_STAGE=rescan then runs the rescan
 * function on the queue until it is empty (a warm Lambda container: one process, one bundle,
 * many invocations). One process per function, as in Lambda, so the peak memory is a function's.
 * local/bench/bench.ts bundles this file with esbuild into .bench/ and runs it with plain `node`,
 * so no TypeScript compiler sits in the measured memory.
 *
 * BENCH_STAGE=discover runs the in-use discovery as its schedule does, and each invocation of
 * itself it made to continue, as dispatch.
 *
 * BENCH_STAGE=report runs the report function on every scan event the construct's rule delivered
 * to the scan-event queue, one invocation per event, as EventBridge's asynchronous invocation does.
 *
 * Input, from the environment: the emulator's and the handlers' variables (as the construct
 * configures them), plus BENCH_STAGE, BENCH_REPO_ROOT, BENCH_QUEUE_URL, BENCH_QUEUE_ARN,
 * BENCH_BATCH_SIZE, BENCH_SCAN_EVENT_QUEUE_URL (report), BENCH_CLOCK_OFFSET_MS (the simulated
 * day: the global Date is shifted before the bundle loads, see clock.ts) and BENCH_RESULT_FILE,
 * where it writes its result as JSON. The handlers' own output (JSON logs, EMF metric lines) is
 * not printed: it is summed (signals.ts) into the result's `signals`.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { SQSClient } from '@aws-sdk/client-sqs';
import { installClock, offsetFromEnv } from './clock';
import { emptySignals, lineSink } from './signals';
import { Handlers, drainQueue, lambdaContext, runQueue } from '../pipeline';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

type Stage = 'discover' | 'dispatch' | 'rescan' | 'report';
const STAGES: readonly Stage[] = ['discover', 'dispatch', 'rescan', 'report'];

function loadHandler(repoRoot: string, name: Stage): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(repoRoot, 'assets', 'lambda', `${name}.lambda`, 'index.js')).handler;
}

/**
 * The schedule's invocation of a function (dispatch, or the discovery), then each asynchronous
 * invocation of itself it made to continue (the emulator records them; up to 1,000 repositories
 * dispatch finishes in one), as local/pipeline.ts' runDispatch and runDiscovery do in the same
 * process as the emulator handle. An invocation of any other function is an error.
 */
async function runScheduled(name: 'dispatch' | 'discover', handler: Handlers['dispatch'] | Handlers['discover']) {
  const pending: unknown[] = [{ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }];
  const results: unknown[] = [];
  const self = lambdaContext(name).invokedFunctionArn;
  while (pending.length > 0) {
    if (results.length >= 1000) throw new Error(`${name} made more than 1,000 invocations; does it continue forever?`);
    results.push(await handler(pending.shift(), lambdaContext(name)));
    const response = await fetch(`${required('AWS_ENDPOINT_URL')}/_emulator/lambda/invocations`);
    if (!response.ok) throw new Error(`the emulator's invocation record answered HTTP ${response.status}`);
    for (const invocation of (await response.json()) as { functionName: string; payload: unknown }[]) {
      if (invocation.functionName !== self) throw new Error(`${name} invoked an unexpected function ${invocation.functionName}`);
      pending.push(invocation.payload);
    }
  }
  return results.length === 1 ? results[0] : results;
}

async function runRescan(rescan: Handlers['rescan']) {
  const sqs = new SQSClient({ endpoint: required('AWS_ENDPOINT_URL'), region: required('AWS_REGION') });
  try {
    const queue = await runQueue(sqs, required('BENCH_QUEUE_URL'), required('BENCH_QUEUE_ARN'), rescan, {
      batchSize: Number(required('BENCH_BATCH_SIZE')),
      maxInvocations: 1_000_000,
    });
    return { invocations: queue.invocations, messagesDelivered: queue.recordsDelivered, messagesFailed: queue.recordsFailed };
  } finally {
    sqs.destroy();
  }
}

/**
 * EventBridge's asynchronous invocation of the report function: each event on the scan-event
 * queue, once, in order. An invocation that throws is counted (Lambda would retry it twice, then
 * send it to the on-failure destination; the bench does not retry).
 */
async function runReport(report: Handlers['report']) {
  const sqs = new SQSClient({ endpoint: required('AWS_ENDPOINT_URL'), region: required('AWS_REGION') });
  const count = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);
  const outcomes: Record<string, number> = {};
  const news: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let events = 0;
  let published = 0;
  try {
    for (const message of await drainQueue(sqs, required('BENCH_SCAN_EVENT_QUEUE_URL'))) {
      events++;
      const event = JSON.parse(message.Body as string);
      try {
        const result = await report(event, lambdaContext('report'));
        if (result.published) published++;
        count(outcomes, result.published ? `published: ${result.reason}` : `not published: ${result.reason}`);
        const withNews = result as { news?: string };
        if (withNews.news) count(news, withNews.news);
      } catch (error) {
        count(errors, error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 200) : String(error));
      }
    }
    return { events, published, outcomes, news, errors: Object.values(errors).reduce((a, b) => a + b, 0), errorMessages: errors };
  } finally {
    sqs.destroy();
  }
}

async function main(): Promise<void> {
  const stage = required('BENCH_STAGE');
  if (!STAGES.includes(stage as Stage)) throw new Error(`BENCH_STAGE is ${STAGES.join(', ')} (given ${stage})`);
  // The simulated day: the handlers read the time through the global Date, so shift it before they load.
  installClock(offsetFromEnv(process.env));
  // The handlers' logs and metric lines are summed (metrics and INFO on stdout, WARN and ERROR on
  // stderr). stdout is swallowed, as the parent discarded it before; stderr still reaches the
  // parent, which shows its tail if this process fails.
  const signals = emptySignals();
  const toStdout = lineSink(signals);
  const toStderr = lineSink(signals);
  const realStderr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    toStdout(chunk);
    (rest.find((r) => typeof r === 'function') as (() => void) | undefined)?.();
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: any[]) => {
    toStderr(chunk);
    return realStderr(chunk, ...rest);
  }) as typeof process.stderr.write;
  const handler = loadHandler(required('BENCH_REPO_ROOT'), stage as Stage);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outcome =
    stage === 'discover' || stage === 'dispatch' ? await runScheduled(stage, handler) : stage === 'rescan' ? await runRescan(handler) : await runReport(handler);
  const wallSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const result = {
    wallSeconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    // KiB on Linux: the process's peak resident set (the bundle, its SDK, and for rescan the queue poller's SQS client).
    maxRssKiB: process.resourceUsage().maxRSS,
    outcome,
    signals,
  };
  writeFileSync(required('BENCH_RESULT_FILE'), JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`our-cycle failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  },
);
