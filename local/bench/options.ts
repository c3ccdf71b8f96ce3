/** `npm run bench` command line. Plain function, no I/O: test/bench/options.test.ts covers it. */

export interface BenchOptions {
  readonly repositories: number;
  readonly imagesPerRepository: number;
  readonly runs: number;
  readonly seed: number;
  readonly out: string;
  readonly skipPython: boolean;
  readonly skipBundles: boolean;
  readonly importSamples: number;
  /** AWS_RETRY_MODE for the Python tool; undefined keeps botocore's default (standard). */
  readonly pythonRetryMode?: 'standard' | 'legacy';
  readonly preset: 'default' | 'large' | 'custom';
  readonly help: boolean;
}

export const USAGE = `Usage: npm run bench -- [options]

Seeds the local emulator with a registry of known truth, runs this library's daily cycle and the
Python tool ecr-scan-reporter 0.4.8's against identical copies of it, counts the ECR calls each made
from the emulator's request log, and measures the handler bundles. Prints a Markdown table and writes
the figures as JSON.

  --repositories N        repositories (default 200)
  --images M              images per repository (default 50)
  --large                 100 repositories x 1,000 images = 100,000 images
  --runs K                runs per side; wall time, CPU and memory are the median of K (default 1:
                          a default run takes about 12 minutes on 2 shared cores, mostly the Python side)
  --seed S                seed of the registry's mix (default 1)
  --out FILE              the JSON result (default .bench/results.json; the table goes next to it as .md)
  --skip-python           only this library (no Python install)
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
  let seed = 1;
  let out = '.bench/results.json';
  let skipPython = false;
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
    seed,
    out,
    skipPython,
    skipBundles,
    importSamples,
    pythonRetryMode,
    preset,
    help,
  };
}
