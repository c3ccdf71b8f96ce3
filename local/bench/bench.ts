/**
 * `npm run bench`: this library against the Python tool ecr-scan-reporter 0.4.8, side by side,
 * on the same registry, in the same run, over N consecutive simulated days (`--days`, default 7);
 * then the handler bundle budgets. A script, not a test: it prints figures and judges the issue's
 * targets, it never fails on them.
 *
 * Four sides, each in its own week (week.ts): this library as deployed (the ledger, reportOn
 * NEW_FINDINGS), this library with reportOn EVERY_SCAN, this library with reportScope
 * ImageScope.inUse() (reports only on images that run), and the Python tool. Per side the emulator
 * is reset once and the same registry, world (world.ts) and workloads (running.ts: the ECS services
 * and Lambda functions that run some of the digests) are seeded; the days then carry their state
 * over. This library's sides run the in-use discovery first in each daily cycle (it is on by
 * default); its ECS and Lambda calls are counted apart from ECR's. Each function runs in a child process, one per function as in Lambda
 * (local/bench/our-cycle.ts bundled, or python-tool/runner.py), each reporting its wall time, CPU
 * time and peak memory. ECR and DynamoDB calls are counted from the emulator's request log, at the
 * HTTP level, and judged against the registry's truth (measure.ts, daily.ts) and the day's news
 * (news.ts). Day 1's cycle is also the one-day comparison the bench made before the week.
 */
import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { cpus, loadavg, release, totalmem, type as osType, arch } from 'os';
import { dirname, join, resolve } from 'path';
import { BundleBudget, measureBundles } from './bundles';
import type { StageResult } from './children';
import { indexImages } from './daily';
import { ON_DEMAND_PRICES } from './dynamodb-cost';
import { countCalls, floorOf, judge, median } from './measure';
import { USAGE, parseArgs } from './options';
import { BenchRegistry, buildRegistry, summarize } from './registry';
import { BenchResult, Machine, SideResult, judgeTargets, ratiosOf, renderMarkdown, weekSides } from './report';
import { buildWorkloads } from './running';
import { CycleRun, SideSpec, WeekContext, WeekRun, runWeek } from './week';
import { ITEM_SIZE_NOTE, NEWS_DEFINITION, WeekSettings, judgeWeekTargets, summarizeWeek } from './week-report';
import { buildWorld } from './world';
import { ImageScope, ReportOn } from '../../src';
import { Emulator, REPO_ROOT } from '../emulator/emulator';
import { synthesizeService } from '../service';

const WORK_DIR = join(REPO_ROOT, '.bench');
const PYTHON_VENV = join(WORK_DIR, 'python-tool-venv');
const PYTHON = join(PYTHON_VENV, 'bin', 'python');

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

/** The Python tool's threshold variables: the library's thresholds, the others so high they never trigger. */
function pythonThresholds(thresholds: Record<string, number>): Record<string, string> {
  const never = '1000000000';
  return Object.fromEntries(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'].map((s) => [s, thresholds[s] !== undefined ? String(thresholds[s]) : never]));
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const spread = (values: number[]) => ({ median: median(values), runs: values });

function sideResult(name: string, registry: BenchRegistry, weeks: readonly WeekRun[], wouldHaveSlept: (stage: StageResult) => number): SideResult {
  const runs: CycleRun[] = weeks.map((w) => w.day1);
  const floor = floorOf(registry);
  const images = registry.repositories.reduce((n, r) => n + r.images.length, 0);
  const counted = runs.map((r) => countCalls(r.requests, images, floor));
  const stagesOf = (r: CycleRun) => Object.values(r.stages);
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
    days: weeks[0].days,
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
  // This run's child bundle and the children's figures files, in a folder of its own: two runs at
  // once (a week and a 14-day run) must not read each other's day files.
  const runDir = mkdtempSync(join(WORK_DIR, 'run-'));
  const ourCycle = join(runDir, 'our-cycle.js');
  // Quiet the SDK's note that its 2027 releases need Node 22, for this process and the children.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  if (!options.skipPython) runOrThrow('bash', [join(__dirname, 'python-tool', 'install.sh')], 'local/bench/python-tool/install.sh');
  const host = machine();
  const now = new Date();
  const registry = buildRegistry({ repositories: options.repositories, imagesPerRepository: options.imagesPerRepository, seed: options.seed }, now);
  const world = buildWorld(registry, { days: options.days, seed: options.seed });
  const workloads = buildWorkloads(registry, { seed: options.seed });
  const summary = summarize(registry);
  const floor = floorOf(registry);
  progress(
    `${summary.repositories} repositories, ${summary.images} images, ${summary.due} due on day 1; floor ${floor.total} ECR calls; ` +
      `${workloads.running.size} digests run in ${workloads.repositories} repositories (${workloads.services.length} ECS services, ` +
      `${workloads.functions.length} Lambda functions); ${options.days} day(s), ${options.runs} run(s) per side`,
  );

  // The child for this library: bundled, so it runs on plain node (no TypeScript compiler in its memory).
  runOrThrow(
    join(REPO_ROOT, 'node_modules', '.bin', 'esbuild'),
    [join(__dirname, 'our-cycle.ts'), '--bundle', '--platform=node', `--target=node${process.versions.node.split('.')[0]}`,
      '--packages=external', `--outfile=${ourCycle}`, '--tsconfig=tsconfig.dev.json', '--log-level=warning'],
    'bundling local/bench/our-cycle.ts',
  );
  // The construct with its defaults (7-day expiry, every repository, NEW_FINDINGS), as a user deploys it,
  // and with reportOn EVERY_SCAN, the behaviour before the ledger.
  const service = synthesizeService({});
  // The thresholds the report function is configured with (the construct writes its defaults, CRITICAL 1 and HIGH 1).
  const thresholds = JSON.parse(String(service.environments.report.THRESHOLDS ?? '{"CRITICAL":1,"HIGH":1}')) as Record<string, number>;
  const sides: SideSpec[] = [
    { key: 'library', name: 'this library (ledger, NEW_FINDINGS)', service },
    ...(options.skipEveryScan ? [] : [{ key: 'everyScan', name: 'this library with EVERY_SCAN', service: synthesizeService({ reportOn: ReportOn.EVERY_SCAN }) } as SideSpec]),
    ...(options.skipInUse
      ? []
      : [{ key: 'inUse', name: 'this library, reportScope ImageScope.inUse()', service: synthesizeService({ reportScope: ImageScope.inUse() }) } as SideSpec]),
    ...(options.skipPython ? [] : [{ key: 'python', name: 'ecr-scan-reporter 0.4.8 (Python)', service } as SideSpec]),
  ];

  const weeks: Record<string, WeekRun[]> = {};
  const emulator = await Emulator.start();
  try {
    const context: WeekContext = {
      emulator,
      registry,
      world,
      workloads,
      index: indexImages(registry),
      options,
      thresholds,
      pythonThresholds: pythonThresholds(thresholds),
      workDir: runDir,
      ourCycle,
      python: PYTHON,
      progress,
    };
    for (let run = 1; run <= options.runs; run++) {
      for (const side of sides) {
        progress(`run ${run} of ${options.runs}: ${side.name}, ${options.days} day(s)...`);
        const weekStarted = Date.now();
        (weeks[side.key] ??= []).push(await runWeek(context, side));
        progress(`  ${((Date.now() - weekStarted) / 1000).toFixed(1)} s`);
      }
    }
  } finally {
    await emulator.stop();
  }

  let bundles: BundleBudget[] | undefined;
  if (!options.skipBundles) {
    progress(`bundle budgets: ${options.importSamples} fresh node processes per bundle...`);
    try {
      bundles = measureBundles({ repoRoot: REPO_ROOT, workDir: join(runDir, 'bundles'), samples: options.importSamples });
    } catch (error) {
      // The days took an hour or more: a failed bundle budget must not lose them.
      progress(`bundle budgets failed, the results are written without them: ${String(error).split('\n')[0]}`);
    }
  }
  rmSync(runDir, { recursive: true, force: true });

  const nameOf = (key: string) => sides.find((s) => s.key === key)!.name;
  const library = sideResult(nameOf('library'), registry, weeks.library, () => 0);
  const everyScan = weeks.everyScan ? sideResult(nameOf('everyScan'), registry, weeks.everyScan, () => 0) : undefined;
  const inUse = weeks.inUse ? sideResult(nameOf('inUse'), registry, weeks.inUse, () => 0) : undefined;
  const python = weeks.python
    ? sideResult(nameOf('python'), registry, weeks.python, (stage) => {
      const slept = stage.outcome.sleptSeconds as { tool: number; sdk: number };
      return slept.tool + slept.sdk;
    })
    : undefined;
  const settings: WeekSettings = {
    days: options.days,
    scanExpiryDays: registry.scanExpiryDays,
    gainShare: world.gainShare,
    failShare: world.failShare,
    thresholds,
    pythonThresholds: pythonThresholds(thresholds),
    prices: ON_DEMAND_PRICES,
    newsDefinition: NEWS_DEFINITION,
    costNote: ITEM_SIZE_NOTE,
    workloads: {
      repositoryShare: workloads.repositoryShare,
      repositories: workloads.repositories,
      runningDigests: workloads.running.size,
      ecsServices: workloads.services.length,
      ecsTasks: workloads.services.reduce((n, s) => n + s.tasks, 0),
      lambdaFunctions: workloads.functions.length,
    },
  };
  const partial = { library, everyScan, inUse, python };
  const result: BenchResult = {
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    startedAt,
    durationSeconds: (Date.now() - started) / 1000,
    machine: host,
    registry: { ...summary, seed: registry.seed, scanExpiryDays: registry.scanExpiryDays },
    floor,
    runs: options.runs,
    library,
    everyScan,
    inUse,
    python,
    bundles,
    ratios: python ? ratiosOf(library, python) : undefined,
    targets: judgeTargets(library, python, bundles, floor),
    week: {
      settings,
      summaries: Object.fromEntries(weekSides(partial).map((side) => [side.key, summarizeWeek(side.days)])),
      targets: judgeWeekTargets(weekSides(partial)),
    },
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
