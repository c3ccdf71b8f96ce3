/**
 * The command-line tool `ecr-scan-reporter` as a function: arguments and
 * injected dependencies in, exit code out. It never throws and never exits the
 * process; src/cli/ecr-scan-reporter.ts wires it to the real process.
 *
 * Exit codes: 0 done, 1 a failure explained on stderr (AWS configuration or
 * error; a bug also prints its stack), 2 an invalid command line, 3 a summary's
 * --fail-on gate reached.
 */
import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { COMMAND_USAGE, PROGRAM, USAGE, UsageError, parseCliArgs, usageHint } from './args';
import { describeFailure } from './failures';
import { run } from './run';
import { SummaryDeps, runSummary } from './summary';

export type { CliDeps } from './run';
export type { SummaryDeps } from './summary';

export async function main(argv: readonly string[], deps: SummaryDeps): Promise<number> {
  try {
    if (argv.length === 0) {
      deps.stderr.write(`${PROGRAM}: missing command\n\n${USAGE}`);
      return 2;
    }
    const parsed = parseCliArgs(argv);
    switch (parsed.kind) {
      case 'help':
        deps.stdout.write(parsed.command ? COMMAND_USAGE[parsed.command] : USAGE);
        return 0;
      case 'version':
        deps.stdout.write(`${deps.version?.() ?? 'unknown'}\n`);
        return 0;
      default:
        for (const warning of parsed.warnings) deps.stderr.write(`${PROGRAM}: warning: ${warning}\n`);
        return parsed.options.command === 'summary' ? await runSummary(parsed.options, deps) : await run(parsed.options, deps);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      deps.stderr.write(`${PROGRAM}: ${error.message}\n${PROGRAM}: ${usageHint(error.command)}\n`);
      return 2;
    }
    deps.stderr.write(`${PROGRAM}: ${describeFailure(error, { regionSource: 'the configuration' }).message}\n`);
    return 1;
  }
}

/**
 * The version in this package's package.json: the nearest one up from `dir` that
 * is this package's (src/cli/ in the repository, assets/cli/ecr-scan-reporter/ in
 * the installed package); undefined when the bundle runs outside the package.
 */
export function packageVersion(dir: string): string | undefined {
  for (let at = dir, up = 0; up < 4; at = dirname(at), up++) {
    try {
      const manifest = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'cdk-ecr-scan-reporter') return typeof manifest.version === 'string' ? manifest.version : undefined;
    } catch {
      // No package.json here (or not JSON): look one folder up.
    }
  }
  return undefined;
}
