/**
 * The command line of `ecr-scan-reporter`: parsed with Node's `util.parseArgs`,
 * then checked, so that every mistake is a {@link UsageError} (exit code 2) whose
 * message quotes what was given and says how to fix it. No AWS call and no
 * environment read happens here.
 */
import { parseArgs } from 'util';
import { RepositoryFilter } from '../decisions/repository-filter';
import { DEFAULTS } from '../decisions/settings';

export const PROGRAM = 'ecr-scan-reporter';

export type Command = 'plan' | 'scan';

/** A mistake on the command line: the message is printed on stderr and the exit code is 2. */
export class UsageError extends Error {
  public readonly name = 'UsageError';
}

/** Bounds of the numeric flags, shared by the parser and the usage text. */
export const LIMITS = {
  /** At least a day: ECR allows one scan per image per 24 hours. At most ten years, as the construct. */
  scanExpiryDays: { min: 1, max: 3650 },
  /** ECR requests in flight per repository, as the construct's imageConcurrency. */
  concurrency: { min: 1, max: 50 },
} as const;

export interface RunOptions {
  readonly command: Command;
  /** Select repositories whose name matches (JavaScript regular expression, unanchored); all when absent. */
  readonly repositoryPattern?: string;
  /** Leave out repositories whose name matches. */
  readonly excludePattern?: string;
  readonly scanExpiryDays: number;
  readonly concurrency: number;
  /** One JSON document on stdout instead of the table. */
  readonly json: boolean;
  /** Print the walk's info and debug logs on stderr too. */
  readonly verbose: boolean;
  /** --region; absent: the SDK resolves it (AWS_REGION, the profile), with AWS_DEFAULT_REGION as a fallback. */
  readonly region?: string;
  /** --profile; absent: AWS_PROFILE or the default profile, as the SDK resolves it. */
  readonly profile?: string;
}

export type ParsedArgs =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly options: RunOptions };

const OPTIONS = {
  'repository-pattern': { type: 'string' },
  'exclude-pattern': { type: 'string' },
  'scan-expiry-days': { type: 'string' },
  'concurrency': { type: 'string' },
  'region': { type: 'string' },
  'profile': { type: 'string' },
  'json': { type: 'boolean' },
  'verbose': { type: 'boolean' },
  'help': { type: 'boolean', short: 'h' },
  'version': { type: 'boolean' },
} as const;

/** What `--help` prints, on stdout. */
export const USAGE = `Usage: ${PROGRAM} <plan|scan> [options]

Rescans the images of an Amazon ECR registry whose basic scan is missing, failed
or older than the expiry, with the same rule as the EcrScanReporter construct.

Commands:
  plan    List every image digest with its last scan and what scan would do. Read-only.
  scan    Start the due scans (StartImageScan) and list what ECR started or refused.

Options:
  --repository-pattern RE   Only repositories whose name matches RE, a JavaScript
                            regular expression, unanchored (use ^...$ for the whole
                            name). Default: every repository.
  --exclude-pattern RE      Leave out repositories whose name matches RE.
  --scan-expiry-days N      A completed scan older than N days is due again
                            (${LIMITS.scanExpiryDays.min}-${LIMITS.scanExpiryDays.max}; default ${DEFAULTS.scanExpiryDays}).
  --concurrency N           ECR requests in flight per repository
                            (${LIMITS.concurrency.min}-${LIMITS.concurrency.max}; default ${DEFAULTS.imageConcurrency}). Repositories are walked one at a time.
  --json                    Print one JSON document on stdout instead of the table.
  --region REGION           AWS region. Default: AWS_REGION, AWS_DEFAULT_REGION, or
                            the profile's region.
  --profile NAME            Named profile of ~/.aws/config. Default: AWS_PROFILE, or
                            the default credential chain.
  --verbose                 Also print info and debug logs on stderr.
  -h, --help                Print this help and exit.
  --version                 Print the version and exit.

Output: the table or JSON document goes to stdout; warnings, errors and progress
go to stderr. Progress appears on long runs only: on a terminal one line is
rewritten in place every 2 seconds and erased at the end; otherwise (a pipe, a CI
log) a plain line is written at most every 10 seconds.
Table columns: FINDINGS are the last scan's counts by severity, "-" when none;
LAST SCAN is the completion time in UTC; OUTCOME (scan) is ECR's answer:
started, recently-scanned, quota-exceeded, unsupported-image or image-gone.

AWS access: the standard SDK configuration applies (profiles, SSO, environment
variables, AWS_ENDPOINT_URL). plan needs ecr:GetRegistryScanningConfiguration,
ecr:DescribeRepositories, ecr:DescribeImages and ecr:DescribeImageScanFindings;
scan also ecr:StartImageScan.

Exit status: 0 done (ECR refusals such as quotas are reported, not failures),
1 AWS or configuration error (credentials, region, permissions),
2 invalid command line.
`;

/** A short hint appended to usage errors. */
export const USAGE_HINT = `run '${PROGRAM} --help' for usage`;

/** Parses argv (without node and the script); throws UsageError. */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let parsed: ReturnType<typeof parseWith>;
  try {
    parsed = parseWith(argv);
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const [command, ...extra] = positionals;
  if (command === undefined) {
    throw new UsageError('missing command: give plan (read-only) or scan (starts the due scans)');
  }
  if (command !== 'plan' && command !== 'scan') {
    throw new UsageError(`unknown command ${JSON.stringify(command)}: give plan (read-only) or scan (starts the due scans)`);
  }
  if (extra.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} after the command ${command}; options start with --`);
  }

  const problems: string[] = [];
  const pattern = (flag: string, value: string | undefined): string | undefined => {
    const problem = value === undefined ? undefined : RepositoryFilter.problem(flag, value);
    if (problem !== undefined) problems.push(problem);
    return value;
  };
  const text = (flag: string, value: string | undefined, example: string): string | undefined => {
    if (value === '') problems.push(`${flag} must not be empty; give a value such as ${example}, or omit it (given "")`);
    return value;
  };
  const integer = (flag: string, value: string | undefined, fallback: number, bounds: { min: number; max: number }, why: string): number => {
    if (value === undefined) return fallback;
    // Digits only: Number() would also take '0x10', '1e3' and ' 5 '.
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
      problems.push(`${flag} must be a whole number from ${bounds.min} to ${bounds.max}${why} (given ${JSON.stringify(value)})`);
    }
    return n;
  };

  const options: RunOptions = {
    command,
    repositoryPattern: pattern('--repository-pattern', values['repository-pattern']),
    excludePattern: pattern('--exclude-pattern', values['exclude-pattern']),
    scanExpiryDays: integer(
      '--scan-expiry-days',
      values['scan-expiry-days'],
      DEFAULTS.scanExpiryDays,
      LIMITS.scanExpiryDays,
      ', because ECR allows one scan per image per 24 hours',
    ),
    concurrency: integer('--concurrency', values.concurrency, DEFAULTS.imageConcurrency, LIMITS.concurrency, ''),
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    region: text('--region', values.region, 'us-east-1'),
    profile: text('--profile', values.profile, 'dev'),
  };
  if (problems.length > 0) throw new UsageError(problems.join('; '));
  return { kind: 'run', options };
}

function parseWith(argv: readonly string[]) {
  return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
}

/** Rewrites parseArgs' errors (which suggest '--' positionals, of no use here) as usage messages. */
function describeParseError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-[^' ]*)/.exec(message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const suggestion = closestOption(option);
      return `unknown option ${JSON.stringify(option)}${suggestion ? `; did you mean --${suggestion}?` : ''}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(message)) {
        return `${option} takes no value; write ${option} alone`;
      }
      return `${option} needs a value, e.g. ${option} VALUE or ${option}=VALUE; a value starting with - must be written ${option}=-VALUE`;
    default:
      return message;
  }
}

/** The known option nearest to a mistyped one (prefix or at most two edits), if any. */
export function closestOption(given: string): string | undefined {
  const name = given.replace(/^-+/, '').split('=')[0];
  if (name.length < 2) return undefined;
  let best: { option: string; distance: number } | undefined;
  for (const option of Object.keys(OPTIONS)) {
    const distance = option.startsWith(name) ? 0 : editDistance(name, option);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { option, distance };
  }
  return best?.option;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
