/** `npm run bench` command line. Plain function, no I/O: test/bench/options.test.ts covers it. */

export interface BenchOptions {
  readonly repositories: number;
  readonly imagesPerRepository: number;
  readonly runs: number;
  /** Consecutive simulated days per side (the week). */
  readonly days: number;
  readonly seed: number;
  readonly out: string;
  readonly skipPython: boolean;
  /** Leaves out the side of this library with reportOn EVERY_SCAN. */
  readonly skipEveryScan: boolean;
  /** Leaves out the side of this library with reportScope ImageScope.inUse(). */
  readonly skipInUse: boolean;
  readonly skipBundles: boolean;
  readonly importSamples: number;
  /** AWS_RETRY_MODE for the Python tool; undefined keeps botocore's default (standard). */
  readonly pythonRetryMode?: 'standard' | 'legacy';
  readonly preset: 'default' | 'large' | 'custom';
  readonly help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

Seeds the local emulator with a registry of known truth and runs N consecutive simulated days on
each side: this library as deployed (the ledger, reportOn NEW_FINDINGS), this library with reportOn
EVERY_SCAN, this library with reportScope ImageScope.inUse(), and the Python tool
ecr-scan-reporter 0.4.8, each against an identical copy. The world runs some of the digests (about
20 % of the repositories run 1 to 3 digests in ECS services and Lambda image functions), seeded
before day 1. Day d runs with ECR's and the handlers' clocks d-1 days ahead; each day is the daily
cycle (with the in-use discovery first on this library's sides), then ECR finishing the scans it
started (findings from a seeded world in which 3 % of the images gain new CVEs each day, 2 % of
scans FAIL), with their "ECR Image Scan" events through the rule to the report function (the Python
tool's reporter for its side). Counts the ECR, DynamoDB, ECS and Lambda calls from the emulator's
request log, the notifications a subscriber received against the day's news (and against the news
in running images), and measures the handler bundles. Day 1 is also the one-day comparison with the
Python tool. Prints Markdown tables and writes the figures as JSON.

  --days N                consecutive simulated days per side (default 7)
  --repositories N        repositories (default 200)
  --images M              images per repository (default 50)
  --large                 100 repositories x 1,000 images = 100,000 images
  --runs K                runs of the whole week per side; wall time, CPU and memory of day 1 are the
                          median of K, the days records are the first run's (default 1; a default run,
                          7 days of 10,000 images on the three sides before reportScope inUse, took
                          about 2 hours on 2 shared cores, two thirds of it the Python side; the inUse
                          side adds about a library side's time; 1,000 images take about 11 minutes)
  --seed S                seed of the registry's mix and of the world (default 1)
  --out FILE              the JSON result (default .bench/results.json; the tables go next to it as .md)
  --skip-python           no Python side (no Python install)
  --skip-every-scan       no EVERY_SCAN side
  --skip-in-use           no reportScope inUse side
  --skip-bundles          no bundle budgets
  --import-samples N      fresh node processes per bundle for the cold import time (default 20)
  --python-retry-mode M   AWS_RETRY_MODE for the Python tool: standard (botocore's default) or legacy
  --help                  this text
`;

function positiveInteger(flag: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1) {
    throw new Error(`${flag} needs a whole number of at least 1 (given ${value === undefined ? 'nothing' : `'${value}'`})`);
  }
  return Number(value);
}

export function parseArgs(argv: readonly string[]): BenchOptions {
  let repositories: number | undefined;
  let imagesPerRepository: number | undefined;
  let runs: number | undefined;
  let days = 7;
  let seed = 1;
  let out = '.bench/results.json';
  let skipPython = false;
  let skipEveryScan = false;
  let skipInUse = false;
  let skipBundles = false;
  let importSamples = 20;
  let pythonRetryMode: BenchOptions['pythonRetryMode'];
  let large = false;
  let help = false;
  const args = argv.flatMap((a) => (a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a]));
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    const next = () => args[++i];
    switch (flag) {
      case '--repositories': repositories = positiveInteger(flag, next()); break;
      case '--images': imagesPerRepository = positiveInteger(flag, next()); break;
      case '--runs': runs = positiveInteger(flag, next()); break;
      case '--days': days = positiveInteger(flag, next()); break;
      case '--seed': seed = positiveInteger(flag, next()); break;
      case '--import-samples': importSamples = positiveInteger(flag, next()); break;
      case '--out': {
        const value = next();
        if (!value) throw new Error('--out needs a file name');
        out = value;
        break;
      }
      case '--large': large = true; break;
      case '--skip-python': skipPython = true; break;
      case '--skip-every-scan': skipEveryScan = true; break;
      case '--skip-in-use': skipInUse = true; break;
      case '--skip-bundles': skipBundles = true; break;
      case '--python-retry-mode': {
        const value = next();
        if (value !== 'standard' && value !== 'legacy') throw new Error(`--python-retry-mode is standard or legacy (given '${value ?? ''}')`);
        pythonRetryMode = value;
        break;
      }
      case '--help': case '-h': help = true; break;
      default: throw new Error(`unknown option '${flag}'; see --help`);
    }
  }
  if (large && (repositories !== undefined || imagesPerRepository !== undefined)) {
    throw new Error('--large sets the registry shape; leave out --repositories and --images');
  }
  const preset = large ? 'large' : repositories === undefined && imagesPerRepository === undefined ? 'default' : 'custom';
  return {
    repositories: large ? 100 : repositories ?? 200,
    imagesPerRepository: large ? 1000 : imagesPerRepository ?? 50,
    runs: runs ?? 1,
    days,
    seed,
    out,
    skipPython,
    skipEveryScan,
    skipInUse,
    skipBundles,
    importSamples,
    pythonRetryMode,
    preset,
    help,
  };
}
