/**
 * `npm run bench`: this library against the Python tool ecr-scan-reporter 0.4.8, side by side,
 * on the same registry, in the same run; then the handler bundle budgets. A script, not a test:
 * it prints figures and judges the issue's targets, it never fails on them.
 *
 * Per run and per side: the emulator is reset, the same registry (same digests, tags, push
 * times and last scans) is seeded, the request log is cleared, and the side's daily cycle runs
 * in child processes, one per function as in Lambda (local/bench/our-cycle.ts bundled, or
 * python-tool/runner.py), each reporting its wall time, CPU time and peak memory. ECR calls are
 * counted from the emulator's request log, at the HTTP level, and judged against the registry's
 * truth (local/bench/measure.ts).
 */
import { spawn, spawnSync } from 'child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'fs';
import { cpus, loadavg, release, totalmem, type as osType, arch } from 'os';
import { dirname, join, resolve } from 'path';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BundleBudget, measureBundles } from './bundles';
import { LoggedRequest, countCalls, ecrRequests, floorOf, judge, median } from './measure';
import { BenchOptions, USAGE, parseArgs } from './options';
import { BenchRegistry, buildRegistry, findingsOf, summarize } from './registry';
import { BenchResult, Machine, SideResult, judgeTargets, ratiosOf, renderMarkdown } from './report';
import { Emulator, REPO_ROOT } from '../emulator/emulator';
import { createInfrastructure } from '../pipeline';
import { ServiceConfiguration, resolveEnvironment, synthesizeService } from '../service';

const WORK_DIR = join(REPO_ROOT, '.bench');
const PYTHON_VENV = join(WORK_DIR, 'python-tool-venv');
const PYTHON = join(PYTHON_VENV, 'bin', 'python');
const OUR_CYCLE = join(WORK_DIR, 'our-cycle.js');

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

function runOrThrow(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status})`);
  return result.stdout.trim();
}

function machine(): Machine {
  const version = (python: string, code: string) => {
    const result = spawnSync(python, ['-c', code], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  };
  return {
    cpu: cpus()[0]?.model ?? 'unknown CPU',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()} ${arch()}`,
    node: process.versions.node,
    python: version(PYTHON, 'import sys; print(sys.version.split()[0])'),
    emulator: `moto ${version(join(REPO_ROOT, '.emulator', 'venv', 'bin', 'python'), 'import moto; print(moto.__version__)') ?? '?'} (local/emulator)`,
    loadAverage: loadavg()[0],
  };
}

/** Every repository created and every image seeded in bulk, with its push time, last scan and findings. */
async function seed(emulator: Emulator, registry: BenchRegistry): Promise<void> {
  const ecr = new ECRClient(emulator.clientConfig());
  try {
    for (const repository of registry.repositories) {
      await ecr.send(new CreateRepositoryCommand({ repositoryName: repository.name }));
      await emulator.seedImages(
        repository.name,
        repository.images.map((image) => ({
          imageDigest: image.imageDigest,
          tags: image.tags,
          pushedAt: image.pushedAt,
          lastScan: image.lastScan,
          findings: findingsOf(image, emulator.accountId),
        })),
      );
    }
  } finally {
    ecr.destroy();
  }
}

/** What a stage's child process reports (our-cycle.ts, python-tool/runner.py). */
interface StageResult {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly maxRssKiB: number;
  readonly outcome: Record<string, unknown>;
}

/** Runs a stage's child process with only the given environment; its stdout (logs, metrics) is discarded. */
async function runChild(command: string, args: string[], env: Record<string, string>, resultFile: string): Promise<StageResult> {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LANG: process.env.LANG ?? 'C.UTF-8', ...env, BENCH_RESULT_FILE: resultFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr}`);
  return JSON.parse(readFileSync(resultFile, 'utf8')) as StageResult;
}

/**
 * CPU seconds the emulator's process has used so far, from /proc (Linux), or NaN elsewhere.
 * With it, a side's wall time can be split into its own work and the emulator's.
 */
function emulatorCpuSeconds(port: number): number {
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      const args = cmdline.split('\0');
      if (!args.some((a) => a.endsWith('server.py')) || args[args.indexOf('--port') + 1] !== String(port)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of /proc/PID/stat (utime, stime), in clock ticks; Linux uses 100 per second.
      return (Number(fields[11]) + Number(fields[12])) / 100;
    }
  } catch {
    // no /proc
  }
  return NaN;
}

interface SideRun {
  /** Each function's stage, in cycle order. */
  readonly stages: Record<string, StageResult>;
  readonly emulatorCpuSeconds: number;
  readonly requests: LoggedRequest[];
}

async function runStages(
  emulator: Emulator,
  stages: readonly string[],
  run: (stage: string) => Promise<StageResult>,
): Promise<SideRun> {
  const results: Record<string, StageResult> = {};
  const cpuBefore = emulatorCpuSeconds(emulator.port);
  for (const stage of stages) results[stage] = await run(stage);
  const emulatorCpu = emulatorCpuSeconds(emulator.port) - cpuBefore;
  return { stages: results, emulatorCpuSeconds: emulatorCpu, requests: ecrRequests(await emulator.requests()) };
}

async function runLibrary(emulator: Emulator, registry: BenchRegistry, service: ServiceConfiguration): Promise<SideRun> {
  await emulator.reset();
  const infrastructure = await createInfrastructure(emulator, {
    maxReceiveCount: service.maxReceiveCount,
    scanEventPattern: service.scanEventPattern,
  });
  const environment: Record<string, string> = Object.assign(
    {},
    ...Object.values(service.environments).map((variables) => resolveEnvironment(variables, service, infrastructure)),
  );
  await seed(emulator, registry);
  await emulator.resetRequests();
  return runStages(emulator, ['dispatch', 'rescan'], (stage) =>
    runChild(
      process.execPath,
      [OUR_CYCLE],
      {
        ...emulator.environment(),
        ...environment,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        BENCH_STAGE: stage,
        BENCH_REPO_ROOT: REPO_ROOT,
        BENCH_QUEUE_URL: infrastructure.rescanQueueUrl,
        BENCH_QUEUE_ARN: infrastructure.rescanQueueArn,
        BENCH_BATCH_SIZE: String(service.batchSize),
      },
      join(WORK_DIR, `library-${stage}.json`),
    ),
  );
}

async function runPython(emulator: Emulator, registry: BenchRegistry, options: BenchOptions): Promise<SideRun> {
  await emulator.reset();
  const sqs = new SQSClient(emulator.clientConfig());
  // A long visibility timeout: the harness deletes each batch after the handler returns, however long it took.
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'ecr-scan-jobs', Attributes: { VisibilityTimeout: '43200' } }));
  sqs.destroy();
  await seed(emulator, registry);
  await emulator.resetRequests();
  return runStages(emulator, ['repository', 'images'], (stage) =>
    runChild(
      PYTHON,
      [join(__dirname, 'python-tool', 'runner.py')],
      {
        ...emulator.environment(),
        BENCH_STAGE: stage,
        IMAGES_SCAN_JOBS_QUEUE_URL: queue.QueueUrl as string,
        BENCH_SEED: String(options.seed),
        // The tool's defaults: a 7-day window, every repository, ECS discovery off.
        ECR_IMAGES_DURATION_DELTA: `${registry.scanExpiryDays}d`,
        ...(options.pythonRetryMode ? { AWS_RETRY_MODE: options.pythonRetryMode } : {}),
      },
      join(WORK_DIR, `python-${stage}.json`),
    ),
  );
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const spread = (values: number[]) => ({ median: median(values), runs: values });

function sideResult(name: string, registry: BenchRegistry, runs: readonly SideRun[], wouldHaveSlept: (stage: StageResult) => number): SideResult {
  const floor = floorOf(registry);
  const images = registry.repositories.reduce((n, r) => n + r.images.length, 0);
  const counted = runs.map((r) => countCalls(r.requests, images, floor));
  const stagesOf = (r: SideRun) => Object.values(r.stages);
  return {
    name,
    calls: counted[0],
    correctness: judge(registry, runs[0].requests),
    wallSeconds: spread(runs.map((r) => sum(stagesOf(r).map((s) => s.wallSeconds)))),
    cpuSeconds: spread(runs.map((r) => sum(stagesOf(r).map((s) => s.cpuSeconds)))),
    emulatorCpuSeconds: spread(runs.map((r) => r.emulatorCpuSeconds)),
    peakRssMiB: spread(runs.map((r) => Math.max(...stagesOf(r).map((s) => s.maxRssKiB / 1024)))),
    callsStable: counted.every((c) => JSON.stringify(c.byOperation) === JSON.stringify(counted[0].byOperation)),
    wouldHaveSleptSeconds: sum(stagesOf(runs[0]).map(wouldHaveSlept)),
    details: {
      stages: Object.fromEntries(
        Object.entries(runs[0].stages).map(([stage, s]) => [
          stage,
          { wallSeconds: s.wallSeconds, cpuSeconds: s.cpuSeconds, peakRssMiB: s.maxRssKiB / 1024, ...s.outcome },
        ]),
      ),
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const options = parseArgs(argv);
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  mkdirSync(WORK_DIR, { recursive: true });
  // Quiet the SDK's note that its 2027 releases need Node 22, for this process and the children.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  if (!options.skipPython) runOrThrow('bash', [join(__dirname, 'python-tool', 'install.sh')], 'local/bench/python-tool/install.sh');
  const host = machine();
  const now = new Date();
  const registry = buildRegistry({ repositories: options.repositories, imagesPerRepository: options.imagesPerRepository, seed: options.seed }, now);
  const summary = summarize(registry);
  const floor = floorOf(registry);
  progress(`${summary.repositories} repositories, ${summary.images} images, ${summary.due} due; floor ${floor.total} ECR calls; ${options.runs} run(s) per side`);

  // The child for this library: bundled, so it runs on plain node (no TypeScript compiler in its memory).
  runOrThrow(
    join(REPO_ROOT, 'node_modules', '.bin', 'esbuild'),
    [join(__dirname, 'our-cycle.ts'), '--bundle', '--platform=node', `--target=node${process.versions.node.split('.')[0]}`,
      '--packages=external', `--outfile=${OUR_CYCLE}`, '--tsconfig=tsconfig.dev.json', '--log-level=warning'],
    'bundling local/bench/our-cycle.ts',
  );
  // The construct with its defaults (7-day expiry, every repository), as a user deploys it.
  const service = synthesizeService({});

  const libraryRuns: SideRun[] = [];
  const pythonRuns: SideRun[] = [];
  const emulator = await Emulator.start();
  try {
    for (let run = 1; run <= options.runs; run++) {
      progress(`run ${run} of ${options.runs}: this library's daily cycle...`);
      const library = await runLibrary(emulator, registry, service);
      libraryRuns.push(library);
      progress(`  ${sum(Object.values(library.stages).map((x) => x.wallSeconds)).toFixed(1)} s, ${library.requests.length} ECR calls`);
      if (!options.skipPython) {
        progress(`run ${run} of ${options.runs}: the Python tool's daily cycle...`);
        const python = await runPython(emulator, registry, options);
        pythonRuns.push(python);
        progress(`  ${sum(Object.values(python.stages).map((x) => x.wallSeconds)).toFixed(1)} s, ${python.requests.length} ECR calls`);
      }
    }
  } finally {
    await emulator.stop();
  }

  let bundles: BundleBudget[] | undefined;
  if (!options.skipBundles) {
    progress(`bundle budgets: ${options.importSamples} fresh node processes per bundle...`);
    bundles = measureBundles({ repoRoot: REPO_ROOT, workDir: join(WORK_DIR, 'bundles'), samples: options.importSamples });
  }

  const library = sideResult('this library', registry, libraryRuns, () => 0);
  const python =
    pythonRuns.length > 0
      ? sideResult('ecr-scan-reporter 0.4.8 (Python)', registry, pythonRuns, (stage) => {
        const slept = stage.outcome.sleptSeconds as { tool: number; sdk: number };
        return slept.tool + slept.sdk;
      })
      : undefined;
  const result: BenchResult = {
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    startedAt,
    durationSeconds: (Date.now() - started) / 1000,
    machine: host,
    registry: { ...summary, seed: registry.seed, scanExpiryDays: registry.scanExpiryDays },
    floor,
    runs: options.runs,
    library,
    python,
    bundles,
    ratios: python ? ratiosOf(library, python) : undefined,
    targets: judgeTargets(library, python, bundles, floor),
  };
  const markdown = renderMarkdown(result, options.importSamples);
  const out = resolve(REPO_ROOT, options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  writeFileSync(out.replace(/\.json$/, '') + '.md', markdown + '\n');
  process.stdout.write(`${markdown}\n\nWritten: ${options.out} and its .md next to it.\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exitCode = 1;
});
