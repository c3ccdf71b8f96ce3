/**
 * The command line of `ecr-scan-reporter`: parsed with Node's `util.parseArgs`,
 * then checked, so that every mistake is a {@link UsageError} (exit code 2) whose
 * message quotes what was given and says how to fix it, and every doubtful value
 * (a pattern in upper case, say) a warning. The help texts live here too, one for
 * the program and one per command. No AWS call and no environment read happens here.
 */
import { parseArgs } from 'util';
import { formatCount } from './format';
import { DAILY_BASIC_SCAN_QUOTA } from '../decisions/budget';
import { RepositoryFilter, patternWarnings } from '../decisions/repository-filter';
import { DEFAULTS } from '../decisions/settings';

export const PROGRAM = 'ecr-scan-reporter';

export type Command = 'plan' | 'scan' | 'summary';

/** The summary's output forms. */
export const SUMMARY_FORMATS = ['text', 'json', 'markdown'] as const;
export type SummaryFormat = (typeof SUMMARY_FORMATS)[number];

/** The severities `--fail-on` takes, worst first. */
export const GATE_LEVELS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL'] as const;
export type GateLevel = (typeof GATE_LEVELS)[number];

/** What only `summary` takes. */
export interface SummaryCommandOptions {
  /** Read a deployed reporter's ledger (its table name) instead of ECR. */
  readonly ledgerTable?: string;
  readonly format: SummaryFormat;
  /** Exit 3 when an in-scope image's highest severity is this or worse. */
  readonly failOn?: GateLevel;
  /** Also append the markdown form to the file $GITHUB_STEP_SUMMARY names. */
  readonly githubStepSummary: boolean;
  /** The period the "in the period" figures cover, ending now. */
  readonly periodDays: number;
}

/** A mistake on the command line: the message is printed on stderr and the exit code is 2. */
export class UsageError extends Error {
  public readonly name = 'UsageError';

  /** `command`: the command the line names, whose help the hint points to. */
  constructor(message: string, public readonly command?: Command) {
    super(message);
  }
}

/** Bounds of the numeric flags, shared by the parser and the usage text. */
export const LIMITS = {
  /** At least a day: ECR allows one scan per image per 24 hours. At most ten years, as the construct. */
  scanExpiryDays: { min: 1, max: 3650 },
  /** ECR requests in flight per repository, as the construct's imageConcurrency. */
  concurrency: { min: 1, max: 50 },
  /** Under enhanced scanning, an image whose monitoring expired is a coverage gap when pulled this recently. */
  pulledWithinDays: { min: 1, max: 3650 },
  /** Scans started (or planned) in one run, at most ECR's 100,000 a day per registry. */
  dailyScanBudget: { min: 1, max: DAILY_BASIC_SCAN_QUOTA },
  /** The summary's period, as the construct's SummarySchedule allows (1 to 366 days). */
  periodDays: { min: 1, max: 366 },
} as const;

/** The default window of --pulled-within-days. */
export const DEFAULT_PULLED_WITHIN_DAYS = 30;

export interface RunOptions {
  readonly command: Command;
  /** Select repositories whose name matches (JavaScript regular expression, unanchored); all when absent. */
  readonly repositoryPattern?: string;
  /** Leave out repositories whose name matches. */
  readonly excludePattern?: string;
  readonly scanExpiryDays: number;
  readonly concurrency: number;
  /** Under enhanced scanning: an image pulled within this many days whose monitoring expired is a coverage gap. */
  readonly pulledWithinDays: number;
  /**
   * At most this many scans in the run, in the daily scan budget's order (../decisions/budget.ts); the rest are
   * deferred. Counted in this run only: the deployed reporter's counters are not read. Absent: no budget.
   */
  readonly dailyScanBudget?: number;
  /**
   * Read image index manifests (BatchGetImage): attestation manifests are skipped, platform images named by their
   * index. BatchGetImage counts as a pull of the index for the caller's principal unless it is a pull-time update exclusion.
   */
  readonly readImageIndexes: boolean;
  /** One JSON document on stdout instead of the table. */
  readonly json: boolean;
  /** Print only the rows whose action is scan; the summary still counts every image. */
  readonly onlyDue: boolean;
  /** Print no rows, only the summary (with --json, a document without `images`). */
  readonly summaryOnly: boolean;
  /** Print the walk's info and debug logs on stderr too. */
  readonly verbose: boolean;
  /** --region; absent: the SDK resolves it (AWS_REGION, the profile), with AWS_DEFAULT_REGION as a fallback. */
  readonly region?: string;
  /** --profile; absent: AWS_PROFILE or the default profile, as the SDK resolves it. */
  readonly profile?: string;
  /** Present for `summary` only. */
  readonly summary?: SummaryCommandOptions;
}

export type ParsedArgs =
  /** `command` absent: the program's help; present: that command's. */
  | { readonly kind: 'help'; readonly command?: Command }
  | { readonly kind: 'version' }
  /** `warnings`: sentences for stderr about values that are valid but probably wrong (see patternWarnings). */
  | { readonly kind: 'run'; readonly options: RunOptions; readonly warnings: readonly string[] };

const OPTIONS = {
  'repository-pattern': { type: 'string' },
  'exclude-pattern': { type: 'string' },
  'scan-expiry-days': { type: 'string' },
  'concurrency': { type: 'string' },
  'pulled-within-days': { type: 'string' },
  'daily-scan-budget': { type: 'string' },
  'read-image-indexes': { type: 'boolean' },
  'ledger-table': { type: 'string' },
  'format': { type: 'string' },
  'fail-on': { type: 'string' },
  'github-step-summary': { type: 'boolean' },
  'period-days': { type: 'string' },
  'region': { type: 'string' },
  'profile': { type: 'string' },
  'json': { type: 'boolean' },
  'only-due': { type: 'boolean' },
  'summary-only': { type: 'boolean' },
  'verbose': { type: 'boolean' },
  'help': { type: 'boolean', short: 'h' },
  'version': { type: 'boolean' },
} as const;

const COMMANDS = `Commands:
  plan    List every image digest with its last scan and what scan would do. Read-only.
  scan    Start the due scans (StartImageScan) and list what ECR started or refused.
  summary Summarize the registry (text, JSON or markdown), from ECR or a deployed
          reporter's ledger; --fail-on makes it a gate for CI. Read-only.
  help    Print a command's help: help plan, help scan, help summary.`;

const EXIT_STATUS = `Exit status: 0 done (ECR refusals such as quotas are reported, not failures),
1 AWS or configuration error (credentials, region, permissions),
2 invalid command line, 3 (summary --fail-on) the gate was reached.`;

const PERMISSIONS = `AWS access: the standard SDK configuration applies (profiles, SSO, environment
variables, AWS_ENDPOINT_URL). plan needs ecr:GetRegistryScanningConfiguration,
ecr:DescribeRepositories, ecr:DescribeImages and ecr:DescribeImageScanFindings
(and ecr:BatchGetRepositoryScanningConfiguration under enhanced scanning;
ecr:BatchGetImage with --read-image-indexes); scan also ecr:StartImageScan.`;

/** What `--help` (and `help`) prints, on stdout: the commands, and where each one's options are. */
export const USAGE = `Usage: ${PROGRAM} <command> [options]

Rescans the images of an Amazon ECR registry whose basic scan is missing, failed
or older than the expiry, with the same rule as the EcrScanReporter construct.

${COMMANDS}

Run '${PROGRAM} <command> --help' for a command's options and examples.

Options:
  -h, --help                Print this help and exit.
  --version                 Print the version and exit.

${PERMISSIONS}

${EXIT_STATUS}
`;

/** The options both commands take, in their help. */
const COMMAND_OPTIONS = `Options:
  --repository-pattern RE   Only repositories whose name matches RE, a JavaScript
                            regular expression, unanchored (use ^...$ for the whole
                            name). Default: every repository.
  --exclude-pattern RE      Leave out repositories whose name matches RE. A value
                            starting with - is written --exclude-pattern=-RE.
  --scan-expiry-days N      A completed scan older than N days is due again
                            (${LIMITS.scanExpiryDays.min}-${LIMITS.scanExpiryDays.max}; default ${DEFAULTS.scanExpiryDays}).
  --concurrency N           ECR requests in flight per repository
                            (${LIMITS.concurrency.min}-${LIMITS.concurrency.max}; default ${DEFAULTS.imageConcurrency}). Repositories are walked one at a time.
  --pulled-within-days N    Under enhanced scanning, an image pulled within N days
                            whose Amazon Inspector monitoring expired is a coverage
                            gap (${LIMITS.pulledWithinDays.min}-${LIMITS.pulledWithinDays.max}; default ${DEFAULT_PULLED_WITHIN_DAYS}).
  --daily-scan-budget N     At most N scans in this run (${LIMITS.dailyScanBudget.min}-${formatCount(LIMITS.dailyScanBudget.max)}), taken as the
                            deployed reporter's dailyScanBudget takes them, page by
                            page: running images first (unknown here), then the most
                            recently pulled, then the oldest last scan; the rest are
                            deferred (ACTION defer). Default: no budget.
  --read-image-indexes      Read each image index's manifest (BatchGetImage, one
                            call per 100 indexes): skip its attestation manifests
                            and name its platform images "v1.2 (linux/arm64)".
                            BatchGetImage counts as a pull of the index, so it moves
                            lastRecordedPullTime unless your principal is a
                            pull-time update exclusion. Default: off.
  --only-due                Print only the rows whose action is scan; the summary
                            still counts every image.
  --summary-only            Print only the summary, no rows (with --json, the
                            document has no "images").
  --json                    Print one JSON document on stdout instead of the table.
  --region REGION           AWS region. Default: AWS_REGION, AWS_DEFAULT_REGION, or
                            the profile's region.
  --profile NAME            Named profile of ~/.aws/config. Default: AWS_PROFILE, or
                            the default credential chain.
  --verbose                 Also print info and debug logs on stderr.
  -h, --help                Print this help and exit.`;

const OUTPUT = `Output: the table or JSON document goes to stdout; warnings, errors and progress
go to stderr. Progress appears on long runs only: on a terminal one line is
rewritten in place every 2 seconds and erased at the end; otherwise (a pipe, a CI
log) a plain line is written at most every 10 seconds. Closing stdout early
(| head) stops the walk, with exit status 0.`;

const COLUMNS = `Table columns, aligned for the whole output: LAST SCAN is the completion time
in UTC; CRITICAL, HIGH, MEDIUM and LOW are the last scan's finding counts, OTHER
the rest (INFORMATIONAL, UNDEFINED), "-" for none, and from 10,000 on shortened
(12k); TAGS comes last, whole. A rare value longer than its column (a status of
enhanced scanning, the reason complete-without-timestamp) is cut with "…";
--json carries every value whole.`;

/** What `<command> --help` and `help <command>` print, on stdout. */
export const COMMAND_USAGE: Readonly<Record<Command, string>> = {
  plan: `Usage: ${PROGRAM} plan [options]

Lists every image digest of the selected repositories with its last scan and what
scan would do: the action (scan or skip) and its reason. Read-only: it never calls
StartImageScan, so it is safe to run against any registry.

${COMMAND_OPTIONS}

Examples:
  ${PROGRAM} plan --repository-pattern '^team-a/'
      What team-a's repositories would get rescanned, and why.
  ${PROGRAM} plan --only-due --scan-expiry-days 14 --profile prod
      Only the images due under a 14-day expiry, with the profile prod.
  ${PROGRAM} plan --summary-only '--exclude-pattern=-sandbox$'
      The counts alone, leaving out repositories whose name ends in -sandbox.
  ${PROGRAM} plan --json --only-due | jq -r '.images[].imageDigest'
      The due digests, for a script.

${OUTPUT}

${COLUMNS}
Reasons: never-scanned, expired, complete-without-timestamp, failed, limit-exceeded
(scan); fresh, in-progress, unsupported-image, image-index, referrer, artifact,
archived, enhanced-scanning, not-scannable, unknown-status (skip).

AWS access: plan needs ecr:GetRegistryScanningConfiguration,
ecr:DescribeRepositories, ecr:DescribeImages and ecr:DescribeImageScanFindings,
and ecr:BatchGetRepositoryScanningConfiguration under enhanced scanning.

Under enhanced scanning (Amazon Inspector) plan also names the coverage gaps:
the selected repositories no scanning filter of the registry covers, and the
images pulled within --pulled-within-days whose monitoring expired
(SCAN_ELIGIBILITY_EXPIRED in the STATUS column; "coverageGap" in the JSON).

${EXIT_STATUS}
`,
  scan: `Usage: ${PROGRAM} scan [options]

Starts the due scans (StartImageScan, once per image digest) of the selected
repositories and lists every image with what ECR answered. ECR allows one scan
per image per 24 hours; a refusal is reported in the OUTCOME column, not a failure.

${COMMAND_OPTIONS}

Examples:
  ${PROGRAM} plan --repository-pattern '^team-a/' && \\
    ${PROGRAM} scan --repository-pattern '^team-a/' --only-due
      Look first, then start team-a's due scans, showing only those rows.
  ${PROGRAM} scan --summary-only --region eu-west-1
      Start every due scan of the registry in eu-west-1; print the counts alone.
  ${PROGRAM} scan --json > scans.json
      Keep ECR's answer for every image, for a script or a later look.

${OUTPUT}

${COLUMNS}
OUTCOME is ECR's answer: started, recently-scanned (scanned in the last 24 hours),
quota-exceeded (a registry quota), unsupported-image, archived or image-gone
(archived or deleted since it was listed); "-" for a skipped image.

AWS access: scan needs ecr:GetRegistryScanningConfiguration,
ecr:DescribeRepositories, ecr:DescribeImages, ecr:DescribeImageScanFindings and
ecr:StartImageScan.

${EXIT_STATUS}
`,

  summary: `Usage: ${PROGRAM} summary [options]

Summarizes the selected repositories as the deployed reporter's weekly summary does:
images by highest severity, how many of the critical ones run, the top CVEs, the
worst repositories, failed and unsupported scans, and (under enhanced scanning)
the coverage gaps. Read-only. With --ledger-table it reads a deployed reporter's
ledger (one Scan of the table: in use, news, fixes, CVEs, owners, trend need it);
without, it reads ECR as plan does (highest severities, problems, coverage only).

Options:
  --ledger-table NAME       Read the ledger table of a deployed reporter (its
                            ledgerTable), instead of ECR. Needs dynamodb:Scan,
                            dynamodb:GetItem on it.
  --format FORMAT           text (default), json (the summary's JSON document, as
                            the topic carries it) or markdown (for a job summary).
  --json                    The same as --format json.
  --fail-on SEVERITY        Exit with status 3 when an in-scope image's highest
                            severity is SEVERITY or worse (${GATE_LEVELS.join(', ')}):
                            a gate for a pipeline.
  --github-step-summary     Also append the markdown form to the file that
                            GITHUB_STEP_SUMMARY names (a GitHub Actions job summary).
  --period-days N           What "in the period" covers, ending now
                            (${LIMITS.periodDays.min}-${LIMITS.periodDays.max}; default 7).
  --repository-pattern RE, --exclude-pattern RE, --scan-expiry-days N,
  --concurrency N, --pulled-within-days N, --region, --profile, --verbose, -h
                            As for plan.

Examples:
  ${PROGRAM} summary --ledger-table MyStack-ScanReporterLedger-1ABC --format markdown
      The deployed reporter's view of the registry, as markdown.
  ${PROGRAM} summary --repository-pattern '^team-a/' --fail-on CRITICAL --github-step-summary
      In CI: the job summary gets the markdown, and the job fails on a critical image.

AWS access: without --ledger-table, as plan; with it, dynamodb:Scan and
dynamodb:GetItem on the table (and kms:Decrypt with a customer managed key).

${EXIT_STATUS}
`,
};

/** A short hint appended to usage errors: the help of the command given, if any. */
export function usageHint(command?: Command): string {
  return `run '${PROGRAM}${command ? ` ${command}` : ''} --help' for usage`;
}

/** The command a command line names, if any: for the hint of a usage error, even one parseArgs raised. */
export function commandIn(argv: readonly string[]): Command | undefined {
  return argv.find((arg): arg is Command => arg === 'plan' || arg === 'scan' || arg === 'summary');
}

/** Parses argv (without node and the script); throws UsageError. */
export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  let parsed: ReturnType<typeof parseWith>;
  try {
    parsed = parseWith(argv);
  } catch (error) {
    throw new UsageError(describeParseError(error), commandIn(argv));
  }
  const { values, positionals } = parsed;
  if (positionals[0] === 'help') {
    const [, topic, ...extra] = positionals;
    if (topic === undefined) return { kind: 'help' };
    const command = knownCommand(topic);
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} after help ${command}`, command);
    return { kind: 'help', command };
  }
  const [given, ...extra] = positionals;
  if (values.help) return given === undefined ? { kind: 'help' } : { kind: 'help', command: knownCommand(given) };
  if (values.version) return { kind: 'version' };

  if (given === undefined) {
    throw new UsageError('missing command: give plan (read-only), scan (starts the due scans) or summary');
  }
  const command = knownCommand(given);
  if (extra.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])} after the command ${command}; options start with --`, command);
  }

  const problems: string[] = [];
  const warnings: string[] = [];
  const pattern = (flag: string, value: string | undefined): string | undefined => {
    if (value === undefined) return value;
    const problem = RepositoryFilter.problem(flag, value);
    if (problem !== undefined) problems.push(problem);
    else warnings.push(...patternWarnings(flag, value).map((w) => w.message));
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
    pulledWithinDays: integer('--pulled-within-days', values['pulled-within-days'], DEFAULT_PULLED_WITHIN_DAYS, LIMITS.pulledWithinDays, ''),
    ...(values['daily-scan-budget'] !== undefined
      ? { dailyScanBudget: integer('--daily-scan-budget', values['daily-scan-budget'], 0, LIMITS.dailyScanBudget, ', as ECR allows 100,000 basic scans per registry per 24 hours') }
      : {}),
    readImageIndexes: values['read-image-indexes'] ?? false,
    json: values.json ?? false,
    onlyDue: values['only-due'] ?? false,
    summaryOnly: values['summary-only'] ?? false,
    verbose: values.verbose ?? false,
    region: text('--region', values.region, 'us-east-1'),
    profile: text('--profile', values.profile, 'dev'),
  };
  if (options.onlyDue && options.summaryOnly) {
    problems.push('--only-due and --summary-only do not go together: --only-due chooses which rows to print, --summary-only prints none; give one');
  }
  const summaryFlags = ['ledger-table', 'format', 'fail-on', 'github-step-summary', 'period-days'] as const;
  const rowFlags = ['only-due', 'summary-only', 'daily-scan-budget', 'read-image-indexes'] as const;
  let withSummary = options;
  if (command === 'summary') {
    for (const flag of rowFlags) if (values[flag] !== undefined) problems.push(`--${flag} is for plan and scan, not summary`);
    const format = values.format ?? (values.json ? 'json' : 'text');
    if (!(SUMMARY_FORMATS as readonly string[]).includes(format)) problems.push(`--format must be one of ${SUMMARY_FORMATS.join(', ')} (given ${JSON.stringify(format)})`);
    if (values.json && values.format !== undefined && values.format !== 'json') problems.push(`--json and --format ${values.format} do not go together; give one`);
    const failOn = values['fail-on'];
    if (failOn !== undefined && !(GATE_LEVELS as readonly string[]).includes(failOn)) {
      problems.push(`--fail-on must be one of ${GATE_LEVELS.join(', ')}, in capitals (given ${JSON.stringify(failOn)})`);
    }
    const ledgerTable = text('--ledger-table', values['ledger-table'], 'MyStack-ScanReporterLedger-1ABC');
    withSummary = {
      ...options,
      summary: {
        ...(ledgerTable !== undefined ? { ledgerTable } : {}),
        format: format as SummaryFormat,
        ...(failOn !== undefined ? { failOn: failOn as GateLevel } : {}),
        githubStepSummary: values['github-step-summary'] ?? false,
        periodDays: integer('--period-days', values['period-days'], 7, LIMITS.periodDays, ''),
      },
    };
  } else {
    for (const flag of summaryFlags) if (values[flag] !== undefined) problems.push(`--${flag} is for summary, not ${command}`);
  }
  if (problems.length > 0) throw new UsageError(problems.join('; '), command);
  return { kind: 'run', options: withSummary, warnings };
}

/** `plan`, `scan` or `summary`; anything else is a usage error. */
function knownCommand(given: string): Command {
  if (given === 'plan' || given === 'scan' || given === 'summary') return given;
  throw new UsageError(`unknown command ${JSON.stringify(given)}: give plan (read-only), scan (starts the due scans) or summary`);
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
