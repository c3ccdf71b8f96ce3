/**
 * One `plan` or `scan` run: checks the AWS configuration up front (region,
 * credentials), reads the registry's scan type, lists and filters the
 * repositories, then walks them one at a time with rescanRepository (dryRun for
 * plan), streaming one row per image digest (or the due ones, or none) and a
 * summary, and stops early, quietly, when stdout's reader goes away. Everything outside
 * (the ECR client, stdout, stderr, the environment, the time, the progress clock)
 * is injected, so a test can drive it whole.
 */
import type { ECRClient, ECRClientConfig } from '@aws-sdk/client-ecr';
import { PROGRAM, RunOptions } from './args';
import { CliFailure, FailureContext, describeFailure, invalidRegionMessage, isRegionName } from './failures';
import { JsonDocument, Printer, Summary, TableOutput, addToSummary, countOf, emptySummary, formatCount, rowSelection, toImageRow } from './format';
import { Output, Progress } from './progress';
import {
  SCANNING_CONFIGURATION_NAMES_PER_CALL,
  errorMessage,
  errorName,
  getRegistryScanType,
  repositoryNamePages,
  repositoryScanningConfigurations,
} from '../aws/ecr';
import { ImageEvaluation, Log, rescanRepository } from '../aws/rescan-repository';
import { MemoryBudgetCounters, ScanBudget } from '../aws/scan-budget';
import { repositoryCoverageGap } from '../decisions/coverage';
import { RepositoryFilter } from '../decisions/repository-filter';

/** stdout: also watched for a closed pipe (`| head`) and for back-pressure; process.stdout fits. */
export interface StdoutStream extends Output {
  readonly writableNeedDrain?: boolean;
  /** Set by the write that failed, at once; its 'error' event comes a tick later. */
  readonly errored?: Error | null;
  /** True once the stream is closed (after an error too): no 'drain' comes any more. */
  readonly destroyed?: boolean;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  once?(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
  removeListener?(event: 'drain' | 'close' | 'error', listener: () => void): unknown;
}

export interface CliDeps {
  readonly stdout: StdoutStream;
  readonly stderr: Output;
  /** Read for AWS_DEFAULT_REGION and to name settings in messages; the SDK reads process.env itself. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Progress interval; by default 2 s on a terminal, 10 s otherwise (see progress.ts). */
  readonly progressIntervalMs?: number;
  /** Makes the ECR client; the real one is src/aws/clients.ts' createEcrClient (EcrRetryStrategy). */
  createEcrClient(config: ECRClientConfig): ECRClient;
  /** The time the rescan decisions are made at, read once per run. */
  now(): Date;
  /** Milliseconds, for the progress line only. */
  clock(): number;
  /** The package version for --version, when known. */
  version?(): string | undefined;
}

/** Where the region comes from. The SDK reads --region (passed as config), AWS_REGION and the profile; the AWS CLI's AWS_DEFAULT_REGION is added here. */
export function chooseRegion(
  options: Pick<RunOptions, 'region' | 'profile'>,
  env: Readonly<Record<string, string | undefined>>,
): { region?: string; source: string } {
  if (options.region !== undefined) return { region: options.region, source: '--region' };
  if (env.AWS_REGION) return { source: 'AWS_REGION' };
  if (env.AWS_DEFAULT_REGION) return { region: env.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' };
  const profile = options.profile ?? env.AWS_PROFILE;
  return { source: profile ? `the profile "${profile}"` : 'the default profile' };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w./:@+-]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}

/** rescanRepository's Log on stderr: warnings and errors always, info and debug with --verbose. */
export function stderrLog(writeLine: (line: string) => void, verbose: boolean): Log {
  const at =
    (label: string) =>
      (message: string, ...extra: Record<string, unknown>[]): void => {
        const fields = Object.entries(Object.assign({}, ...extra) as Record<string, unknown>)
          .filter(([, value]) => value !== undefined)
          .map(([key, value]) => `${key}=${formatValue(value)}`);
        writeLine(`${label}: ${message}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}`);
      };
  const drop = (): void => undefined;
  return { debug: verbose ? at('debug') : drop, info: verbose ? at('info') : drop, warn: at('warning'), error: at('error') };
}

/**
 * The AWS configuration, checked before any request so that its problems are told as such: the region (a valid
 * name), then the credentials. `track` receives the failure context at each step, for the caller's message if one
 * fails. Returns the region.
 */
export async function checkAwsConfiguration(
  ecr: ECRClient,
  regionSource: string,
  context: FailureContext,
  track: (context: FailureContext) => void,
): Promise<string> {
  track({ ...context, during: 'resolving the region' });
  const region = await ecr.config.region();
  if (!isRegionName(region)) throw new CliFailure(invalidRegionMessage(region, regionSource));
  const loading: FailureContext = { ...context, region, during: 'loading the credentials', resolvingCredentials: true };
  track(loading);
  await ecr.config.credentials();
  track({ ...loading, resolvingCredentials: false });
  return region;
}

/** Waits until stdout's buffer has drained (or the stream closed), so a slow reader cannot make memory grow. */
async function drained(stdout: StdoutStream): Promise<void> {
  const { once, removeListener } = stdout;
  // A stream that failed or closed emits no more 'drain' (nor, once past, 'close'): nothing to wait for.
  if (!stdout.writableNeedDrain || stdout.errored || stdout.destroyed || !once || !removeListener) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      for (const event of ['drain', 'close', 'error'] as const) removeListener.call(stdout, event, done);
      resolve();
    };
    for (const event of ['drain', 'close', 'error'] as const) once.call(stdout, event, done);
  });
}

/** Runs plan or scan; resolves to the exit code (0, or 1 for a failure, already explained on stderr). */
export async function run(options: RunOptions, deps: CliDeps): Promise<number> {
  const filter = new RepositoryFilter(options.repositoryPattern, options.excludePattern);
  const progress = new Progress(deps.stderr, () => deps.clock(), deps.progressIntervalMs);
  // When stdout's reader goes away (`| head`), writing fails with EPIPE: the run then starts no
  // more ECR work (the walk's shouldStop), writes nothing more and ends with exit code 0.
  let stdoutClosed = false;
  deps.stdout.on?.('error', (error) => {
    if (!isClosedPipe(error)) throw error;
    stdoutClosed = true;
  });
  // The failed write marks the stream at once, while its 'error' event waits for a tick that a
  // walk answered from memory (DescribeImages summaries) may not give for a whole page.
  const outputClosed = (): boolean => (stdoutClosed ||= isClosedPipe(deps.stdout.errored));
  const out = (text: string): void => {
    if (text === '' || outputClosed()) return;
    progress.clear();
    deps.stdout.write(text);
  };
  const note = (line: string): void => {
    progress.clear();
    deps.stderr.write(`${PROGRAM}: ${line}\n`);
  };
  const log = stderrLog(note, options.verbose);

  const regionChoice = chooseRegion(options, deps.env);
  let context: FailureContext = { regionSource: regionChoice.source, profile: options.profile, endpointUrl: deps.env.AWS_ENDPOINT_URL };
  const ecr = deps.createEcrClient({ region: regionChoice.region, profile: options.profile });
  let summary: Summary | undefined;
  /** Set once the output has begun: from then on a failure still ends it, with the summary so far. */
  let printer: Printer | undefined;

  try {
    // The configuration first, so its problems are told as such rather than as a failed request.
    await checkAwsConfiguration(ecr, regionChoice.source, context, (at) => (context = at));
    context = { ...context, during: 'reading the registry scanning configuration' };
    const registryScanType = await getRegistryScanType(ecr);
    const totals = emptySummary(options.command, registryScanType, options.scanExpiryDays);
    summary = totals;

    context = { ...context, during: 'listing the repositories' };
    const selected: string[] = [];
    for await (const names of repositoryNamePages(ecr)) {
      totals.repositoriesListed += names.length;
      selected.push(...names.filter((name) => filter.matches(name)));
      progress.update(() => `${PROGRAM}: listing repositories: ${formatCount(totals.repositoriesListed)} listed, ${formatCount(selected.length)} selected`);
    }
    totals.repositoriesSelected = selected.length;
    if (selected.length === 0) {
      note(`no repository selected (${formatCount(totals.repositoriesListed)} listed)${options.repositoryPattern || options.excludePattern ? '; check --repository-pattern and --exclude-pattern' : ''}`);
    }

    const selection = rowSelection(options);
    const output = options.json ? new JsonDocument(selection) : new TableOutput(options.command, selected, selection);
    printer = output;
    out(output.begin());

    if (registryScanType === 'ENHANCED') {
      note(
        options.command === 'scan'
          ? 'the registry uses enhanced scanning: Amazon Inspector rescans continuously and StartImageScan is not allowed, so no scan was started; run plan to list the images'
          : 'the registry uses enhanced scanning: Amazon Inspector rescans continuously, so every image is skipped (enhanced-scanning)',
      );
    }
    // Under enhanced scanning there is nothing to start, so scan does not walk.
    const walk = registryScanType === 'ENHANCED' && options.command === 'scan' ? [] : selected;

    // One time for every decision of the run.
    const now = deps.now();
    // Under enhanced scanning plan names the coverage gaps (../decisions/coverage.ts): the repositories no rule of
    // the registry covers, and, in the walk, the recently pulled images whose monitoring expired.
    const coverage = registryScanType === 'ENHANCED' && options.command === 'plan' ? { now, pulledWithinMs: options.pulledWithinDays * 86_400_000 } : undefined;
    if (coverage) {
      context = { ...context, during: 'reading the repositories\' scanning configurations' };
      const notCovered: string[] = [];
      totals.coverageGaps = { repositoriesNotCovered: notCovered, monitoringExpired: 0, pulledWithinDays: options.pulledWithinDays };
      // 25 names a call: 4,000 calls for 100,000 repositories, so with progress, and stopped by a closed pipe.
      for (let start = 0; start < walk.length; start += SCANNING_CONFIGURATION_NAMES_PER_CALL) {
        if (outputClosed()) return 0;
        const names = walk.slice(start, start + SCANNING_CONFIGURATION_NAMES_PER_CALL);
        for (const configuration of await repositoryScanningConfigurations(ecr, names)) {
          if (repositoryCoverageGap(configuration, registryScanType)) notCovered.push(configuration.repositoryName);
        }
        const read = start + names.length;
        progress.update(() => `${PROGRAM}: reading scanning configurations: ${formatCount(read)}/${formatCount(walk.length)} repositories`);
      }
    }
    // --daily-scan-budget: the deployed budget's order, with counters in memory (this run only, no earlier day).
    const budget = options.dailyScanBudget !== undefined ? new ScanBudget(new MemoryBudgetCounters(), options.dailyScanBudget, now) : undefined;
    if (budget) totals.budget = { dailyScanBudget: budget.dailyBudget, deferred: 0 };
    let position = 0;
    const onImage = (evaluation: ImageEvaluation): void => {
      const row = toImageRow(evaluation, options.command);
      addToSummary(totals, row);
      out(output.row(row));
      progress.update(
        () =>
          `${PROGRAM}: repository ${formatCount(position)}/${formatCount(walk.length)}, ` +
          `${countOf(totals.imagesEvaluated, 'image')} evaluated, ${formatCount(totals.toScan)} to scan` +
          (options.command === 'scan' ? `, ${countOf(totals.scansStarted, 'scan')} started` : ''),
      );
    };
    for (const repositoryName of walk) {
      if (outputClosed()) return 0;
      position++;
      context = { ...context, during: `walking the repository ${repositoryName}` };
      try {
        await rescanRepository(ecr, repositoryName, {
          now,
          scanExpiryMs: options.scanExpiryDays * 86_400_000,
          registryScanType,
          concurrency: options.concurrency,
          dryRun: options.command === 'plan',
          log,
          onImage,
          // Node.js queues what a pipe cannot take yet: without this wait a walk answered from memory would write a
          // whole page, and ask for the next, before a reader that left (`| head`) could be noticed.
          afterImages: () => drained(deps.stdout),
          shouldStop: outputClosed,
          coverage,
          budget,
          readImageIndexes: options.readImageIndexes,
        });
      } catch (error) {
        if (errorName(error) !== 'RepositoryNotFoundException') throw error;
        totals.repositoriesGone++;
        note(`skipped the repository ${repositoryName}: it was deleted since it was listed (${errorMessage(error)})`);
      }
      await drained(deps.stdout);
    }

    out(output.end(totals));
    return 0;
  } catch (error) {
    const report = describeFailure(error, context);
    if (printer && summary) out(printer.end(summary, { name: errorName(error), message: errorMessage(error) }));
    const repository = /^walking the repository (.+)$/.exec(context.during ?? '')?.[1];
    const skipHint = repository !== undefined && REPOSITORY_SPECIFIC.has(errorName(error)) ? excludeHint(repository, options.excludePattern) : '';
    note(`${report.message}${skipHint}`);
    return 1;
  } finally {
    progress.clear();
    ecr.destroy();
  }
}

/** True for EPIPE: stdout's reader has gone. */
function isClosedPipe(error: unknown): boolean {
  return (error as { code?: unknown } | null | undefined)?.code === 'EPIPE';
}

/** Errors that a repository's own settings cause (its repository policy, its KMS key): the rest of the registry may be fine. */
const REPOSITORY_SPECIFIC = new Set(['AccessDeniedException', 'KmsException']);

/** How to go on without one repository, keeping the exclusions already given. */
export function excludeHint(repositoryName: string, excludePattern: string | undefined): string {
  const own = `^${repositoryName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  const pattern = excludePattern === undefined ? own : `(?:${excludePattern})|${own}`;
  return `; to go on without this repository, pass --exclude-pattern '${pattern}'`;
}
