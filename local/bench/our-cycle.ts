/**
 * The benchmark's child process for this library: one stage of the daily cycle, with the handler
 * bundle exactly as deployed (assets/lambda/*), against the emulator the parent seeded.
 * BENCH_STAGE=dispatch runs the scheduled dispatch; BENCH_STAGE=rescan then runs the rescan
 * function on the queue until it is empty (a warm Lambda container: one process, one bundle,
 * many invocations). One process per function, as in Lambda, so the peak memory is a function's.
 * local/bench/bench.ts bundles this file with esbuild into .bench/ and runs it with plain `node`,
 * so no TypeScript compiler sits in the measured memory.
 *
 * Input, from the environment: the emulator's and the handlers' variables (as the construct
 * configures them), plus BENCH_STAGE, BENCH_REPO_ROOT, BENCH_QUEUE_URL, BENCH_QUEUE_ARN,
 * BENCH_BATCH_SIZE and BENCH_RESULT_FILE, where it writes its result as JSON. The handlers' own
 * output (JSON logs, EMF metric lines) goes to stdout, which the parent discards.
 */
import { writeFileSync } from 'fs';
import { join } from 'path';
import { performance } from 'perf_hooks';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Handlers, lambdaContext, runQueue } from '../pipeline';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function loadHandler(repoRoot: string, name: 'dispatch' | 'rescan'): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(repoRoot, 'assets', 'lambda', `${name}.lambda`, 'index.js')).handler;
}

/**
 * The schedule's invocation of dispatch, then each asynchronous invocation of itself it made to
 * continue (the emulator records them; up to 1,000 repositories dispatch finishes in one), as
 * local/pipeline.ts' runDispatch does in the same process as the emulator handle.
 */
async function runDispatch(dispatch: Handlers['dispatch']) {
  const pending: unknown[] = [{ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }];
  const results: unknown[] = [];
  while (pending.length > 0) {
    results.push(await dispatch(pending.shift(), lambdaContext('dispatch')));
    const response = await fetch(`${required('AWS_ENDPOINT_URL')}/_emulator/lambda/invocations`);
    if (!response.ok) throw new Error(`the emulator's invocation record answered HTTP ${response.status}`);
    pending.push(...((await response.json()) as { payload: unknown }[]).map((invocation) => invocation.payload));
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

async function main(): Promise<void> {
  const stage = required('BENCH_STAGE');
  if (stage !== 'dispatch' && stage !== 'rescan') throw new Error(`BENCH_STAGE is dispatch or rescan (given ${stage})`);
  const handler = loadHandler(required('BENCH_REPO_ROOT'), stage);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const outcome = stage === 'dispatch' ? await runDispatch(handler) : await runRescan(handler);
  const wallSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const result = {
    wallSeconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    // KiB on Linux: the process's peak resident set (the bundle, its SDK, and for rescan the queue poller's SQS client).
    maxRssKiB: process.resourceUsage().maxRSS,
    outcome,
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
