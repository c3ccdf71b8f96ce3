import { COMMAND_USAGE, LIMITS, USAGE, UsageError, closestOption, commandIn, parseCliArgs, usageHint } from '../../src/cli/args';
import { DEFAULTS } from '../../src/decisions/settings';

function usageError(argv: string[]): string {
  try {
    parseCliArgs(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`expected a usage error for ${JSON.stringify(argv)}`);
}

describe('parseCliArgs', () => {
  test('defaults: the construct defaults, table output, quiet, the SDK picks region and profile', () => {
    expect(parseCliArgs(['plan'])).toEqual({
      kind: 'run',
      options: {
        command: 'plan',
        repositoryPattern: undefined,
        excludePattern: undefined,
        scanExpiryDays: DEFAULTS.scanExpiryDays,
        concurrency: DEFAULTS.imageConcurrency,
        pulledWithinDays: 30,
        readImageIndexes: false,
        json: false,
        onlyDue: false,
        summaryOnly: false,
        verbose: false,
        region: undefined,
        profile: undefined,
      },
      warnings: [],
    });
    expect(DEFAULTS.scanExpiryDays).toBe(7);
    expect(DEFAULTS.imageConcurrency).toBe(5);
  });

  test('every flag, in both --flag value and --flag=value forms', () => {
    expect(
      parseCliArgs([
        'scan',
        '--repository-pattern',
        '^team-a/',
        '--exclude-pattern=sandbox$',
        '--scan-expiry-days',
        '14',
        '--concurrency=50',
        '--pulled-within-days',
        '90',
        '--read-image-indexes',
        '--json',
        '--only-due',
        '--verbose',
        '--region',
        'eu-west-1',
        '--profile=prod',
      ]),
    ).toEqual({
      kind: 'run',
      options: {
        command: 'scan',
        repositoryPattern: '^team-a/',
        excludePattern: 'sandbox$',
        scanExpiryDays: 14,
        concurrency: 50,
        pulledWithinDays: 90,
        readImageIndexes: true,
        json: true,
        onlyDue: true,
        summaryOnly: false,
        verbose: true,
        region: 'eu-west-1',
        profile: 'prod',
      },
      warnings: [],
    });
    expect(parseCliArgs(['plan', '--summary-only'])).toMatchObject({ options: { onlyDue: false, summaryOnly: true } });
  });

  test('options may come before the command', () => {
    expect(parseCliArgs(['--json', '--concurrency', '1', 'plan'])).toMatchObject({ kind: 'run', options: { command: 'plan', json: true, concurrency: 1 } });
  });

  test('the bounds are accepted', () => {
    expect(parseCliArgs(['plan', '--scan-expiry-days', '1', '--concurrency', '1'])).toMatchObject({ options: { scanExpiryDays: 1, concurrency: 1 } });
    expect(parseCliArgs(['plan', '--scan-expiry-days', '3650'])).toMatchObject({ options: { scanExpiryDays: 3650 } });
    expect(parseCliArgs(['plan', '--pulled-within-days', '1'])).toMatchObject({ options: { pulledWithinDays: 1 } });
    expect(parseCliArgs(['plan', '--pulled-within-days', '3650'])).toMatchObject({ options: { pulledWithinDays: 3650 } });
    expect(parseCliArgs(['plan', '--daily-scan-budget', '1'])).toMatchObject({ options: { dailyScanBudget: 1 } });
    expect(parseCliArgs(['scan', '--daily-scan-budget=100000'])).toMatchObject({ options: { dailyScanBudget: 100_000 } });
    expect(parseCliArgs(['plan'])).not.toHaveProperty('options.dailyScanBudget');
    expect(parseCliArgs(['summary', '--period-days', '1'])).toMatchObject({ options: { summary: { periodDays: 1 } } });
    expect(parseCliArgs(['summary', '--period-days=366'])).toMatchObject({ options: { summary: { periodDays: 366 } } });
    expect(LIMITS).toEqual({
      scanExpiryDays: { min: 1, max: 3650 },
      concurrency: { min: 1, max: 50 },
      pulledWithinDays: { min: 1, max: 3650 },
      dailyScanBudget: { min: 1, max: 100_000 },
      periodDays: { min: 1, max: 366 },
    });
  });

  test('summary: its defaults and every flag of its own; plan and scan refuse them, and summary refuses theirs', () => {
    expect(parseCliArgs(['summary'])).toMatchObject({ kind: 'run', options: { command: 'summary', summary: { format: 'text', githubStepSummary: false, periodDays: 7 } } });
    expect(parseCliArgs(['summary']).kind === 'run' && (parseCliArgs(['summary']) as { options: { summary: object } }).options.summary).not.toHaveProperty('failOn');
    expect(
      parseCliArgs(['summary', '--ledger-table', 'T-1', '--format=markdown', '--fail-on', 'HIGH', '--github-step-summary', '--period-days', '14']),
    ).toMatchObject({ options: { summary: { ledgerTable: 'T-1', format: 'markdown', failOn: 'HIGH', githubStepSummary: true, periodDays: 14 } } });
    expect(parseCliArgs(['summary', '--json'])).toMatchObject({ options: { summary: { format: 'json' } } });
    const usage = (argv: string[]) => {
      try {
        parseCliArgs(argv);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    expect(usage(['summary', '--format', 'html'])).toBe('--format must be one of text, json, markdown (given "html")');
    expect(usage(['summary', '--fail-on', 'critical'])).toBe('--fail-on must be one of CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, in capitals (given "critical")');
    expect(usage(['summary', '--json', '--format', 'text'])).toBe('--json and --format text do not go together; give one');
    expect(usage(['summary', '--ledger-table='])).toMatch(/^--ledger-table must not be empty/);
    expect(usage(['summary', '--only-due'])).toBe('--only-due is for plan and scan, not summary');
    expect(usage(['plan', '--fail-on', 'CRITICAL'])).toBe('--fail-on is for summary, not plan');
    expect(usage(['scan', '--ledger-table', 'T'])).toBe('--ledger-table is for summary, not scan');
  });

  test.each(['0', '100001', '5.5', '1e3'])('--daily-scan-budget %s is refused, with the quota named', (value) => {
    expect(() => parseCliArgs(['plan', '--daily-scan-budget', value])).toThrow(
      `--daily-scan-budget must be a whole number from 1 to 100000, as ECR allows 100,000 basic scans per registry per 24 hours (given ${JSON.stringify(value)})`,
    );
  });

  test.each([['--help'], ['-h'], ['help'], ['--help', '--version'], ['--json', '--help']])('%j asks for the program\'s help', (...argv) => {
    expect(parseCliArgs(argv)).toEqual({ kind: 'help' });
  });

  test.each<[string[], string]>([
    [['plan', '--help'], 'plan'],
    [['scan', '-h'], 'scan'],
    [['--help', 'scan'], 'scan'],
    [['plan', '--json', '--bogus-free', '-h'].filter((a) => a !== '--bogus-free'), 'plan'],
    [['help', 'plan'], 'plan'],
    [['help', 'scan', '--json'], 'scan'],
  ])('%j asks for the help of %s', (argv, command) => {
    expect(parseCliArgs(argv)).toEqual({ kind: 'help', command });
  });

  test('--version', () => {
    expect(parseCliArgs(['--version'])).toEqual({ kind: 'version' });
  });

  test.each([
    [['plan', '--bogus'], 'unknown option "--bogus"'],
    [['plan', '--concurency', '3'], 'unknown option "--concurency"; did you mean --concurrency?'],
    [['plan', '--repository', 'x'], 'unknown option "--repository"; did you mean --repository-pattern?'],
    [['plan', '-x'], 'unknown option "-x"'],
    [[], 'missing command: give plan (read-only), scan (starts the due scans) or summary'],
    [['--json'], 'missing command: give plan (read-only), scan (starts the due scans) or summary'],
    [['report'], 'unknown command "report": give plan (read-only), scan (starts the due scans) or summary'],
    [['plan', 'scan'], 'unexpected argument "scan" after the command plan; options start with --'],
    [['plan', '--region'], '--region needs a value, e.g. --region VALUE or --region=VALUE; a value starting with - must be written --region=-VALUE'],
    [['plan', '--profile', '--json'], '--profile needs a value, e.g. --profile VALUE or --profile=VALUE; a value starting with - must be written --profile=-VALUE'],
    [['plan', '--json=yes'], '--json takes no value; write --json alone'],
    [['plan', '--region='], '--region must not be empty; give a value such as us-east-1, or omit it (given "")'],
    [['plan', '--profile='], '--profile must not be empty; give a value such as dev, or omit it (given "")'],
    [
      ['plan', '--scan-expiry-days', '0'],
      '--scan-expiry-days must be a whole number from 1 to 3650, because ECR allows one scan per image per 24 hours (given "0")',
    ],
    [
      ['plan', '--scan-expiry-days', '3651'],
      '--scan-expiry-days must be a whole number from 1 to 3650, because ECR allows one scan per image per 24 hours (given "3651")',
    ],
    [
      ['plan', '--scan-expiry-days', '1.5'],
      '--scan-expiry-days must be a whole number from 1 to 3650, because ECR allows one scan per image per 24 hours (given "1.5")',
    ],
    [['plan', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 50 (given "0")'],
    [['plan', '--concurrency', '51'], '--concurrency must be a whole number from 1 to 50 (given "51")'],
    [['plan', '--concurrency', '0x10'], '--concurrency must be a whole number from 1 to 50 (given "0x10")'],
    [['plan', '--concurrency', ' 5'], '--concurrency must be a whole number from 1 to 50 (given " 5")'],
    [['plan', '--concurrency', 'five'], '--concurrency must be a whole number from 1 to 50 (given "five")'],
    [['plan', '--repository-pattern='], '--repository-pattern must not be empty; omit it to select every repository (given "")'],
    [['help', 'deploy'], 'unknown command "deploy": give plan (read-only), scan (starts the due scans) or summary'],
    [['deploy', '--help'], 'unknown command "deploy": give plan (read-only), scan (starts the due scans) or summary'],
    [['help', 'plan', 'scan'], 'unexpected argument "scan" after help plan'],
    [
      ['plan', '--only-due', '--summary-only'],
      '--only-due and --summary-only do not go together: --only-due chooses which rows to print, --summary-only prints none; give one',
    ],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(usageError(argv)).toBe(message);
  });

  test('an invalid pattern quotes it and says how to write one, for each pattern flag', () => {
    const message = usageError(['plan', '--repository-pattern', 'team-(a', '--exclude-pattern', '*.tmp']);
    expect(message).toMatch(/^--repository-pattern is not a valid JavaScript regular expression: .* \(given "team-\(a"\); give the pattern's source without slashes or flags/);
    expect(message).toMatch(/; --exclude-pattern is not a valid JavaScript regular expression: .* \(given "\*\.tmp"\)/);
  });

  test('all the problems of the values are reported at once', () => {
    expect(usageError(['plan', '--concurrency', '0', '--scan-expiry-days', 'x', '--region='])).toBe(
      '--scan-expiry-days must be a whole number from 1 to 3650, because ECR allows one scan per image per 24 hours (given "x"); ' +
        '--concurrency must be a whole number from 1 to 50 (given "0"); ' +
        '--region must not be empty; give a value such as us-east-1, or omit it (given "")',
    );
  });
});

describe('closestOption', () => {
  test.each([
    ['--verbos', 'verbose'],
    ['--regoin', 'region'],
    ['--exclude', 'exclude-pattern'],
    ['--scan-expiry', 'scan-expiry-days'],
    ['--concurrency=3', 'concurrency'],
    ['--zzzzzz', undefined],
    ['-x', undefined],
  ])('%s → %s', (given, expected) => {
    expect(closestOption(given)).toBe(expected);
  });
});

describe('pattern warnings', () => {
  test('a pattern that compiles but looks wrong is run, with the construct\'s warning naming the flag', () => {
    const parsed = parseCliArgs(['plan', '--repository-pattern', '/^team-a/', '--exclude-pattern', 'Sandbox']);
    expect(parsed).toMatchObject({ kind: 'run', options: { repositoryPattern: '/^team-a/', excludePattern: 'Sandbox' } });
    expect(parsed.kind === 'run' && parsed.warnings).toEqual([
      '--repository-pattern "/^team-a/" looks like a JavaScript regular expression literal; it is used as the pattern\'s source, ' +
        'so the slashes must appear in the repository name. Give the source without slashes or flags, for example "^team-a/"',
      '--exclude-pattern "Sandbox" has upper-case letters, but ECR repository names are lower case, so those parts of the pattern never match; ' +
        'write them in lower case',
    ]);
  });

  test('no warning for a plain lower-case pattern, nor for an invalid one (the error is enough)', () => {
    expect(parseCliArgs(['plan', '--repository-pattern', '^team-a/[A-Z]?', '--exclude-pattern', '\\Dx'])).toMatchObject({ warnings: [] });
    expect(usageError(['plan', '--repository-pattern', '/^Team(/'])).toMatch(/^--repository-pattern is not a valid JavaScript regular expression/);
  });
});

describe('usage errors name the command whose help to read', () => {
  test.each<[string[], string | undefined]>([
    [['plan', '--concurrency', '0'], 'plan'],
    [['scan', '--bogus'], 'scan'],
    [['--bogus', 'scan'], 'scan'],
    [['plan', 'extra'], 'plan'],
    [['deploy'], undefined],
    [['--bogus'], undefined],
  ])('%j -> %s', (argv, command) => {
    let error: unknown;
    try {
      parseCliArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).command).toBe(command);
  });

  test('usageHint and commandIn', () => {
    expect(usageHint()).toBe("run 'ecr-scan-reporter --help' for usage");
    expect(usageHint('scan')).toBe("run 'ecr-scan-reporter scan --help' for usage");
    expect(commandIn(['--json', 'scan', 'plan'])).toBe('scan');
    expect(commandIn(['--region', 'x'])).toBeUndefined();
  });
});

/** Lines of a help text longer than an 88-column terminal. */
const tooLong = (text: string) => text.split('\n').filter((line) => line.length > 88);

describe('USAGE (the program\'s help)', () => {
  test('lists the commands, says where their options are, and fits 88 columns', () => {
    for (const text of [
      'Usage: ecr-scan-reporter <command> [options]',
      '  plan ',
      '  scan ',
      '  help ',
      "Run 'ecr-scan-reporter <command> --help' for a command's options and examples.",
      '-h, --help',
      '--version',
      'ecr:StartImageScan',
      '2 invalid command line',
    ]) {
      expect(USAGE).toContain(text);
    }
    expect(tooLong(USAGE)).toEqual([]);
  });
});

describe.each(['plan', 'scan'] as const)('COMMAND_USAGE.%s', (command) => {
  const text = COMMAND_USAGE[command];

  test('names the command, every option, the defaults and the exit codes; fits 88 columns', () => {
    for (const part of [
      `Usage: ecr-scan-reporter ${command} [options]`,
      '--repository-pattern RE',
      '--exclude-pattern RE',
      '--scan-expiry-days N',
      '(1-3650; default 7)',
      '--concurrency N',
      '(1-50; default 5)',
      '--only-due',
      '--summary-only',
      '--json',
      '--region REGION',
      '--profile NAME',
      '--verbose',
      '-h, --help',
      'ecr:DescribeImageScanFindings',
      '2 invalid command line',
    ]) {
      expect(text).toContain(part);
    }
    expect(text.includes('ecr:StartImageScan')).toBe(command === 'scan');
    expect(tooLong(text)).toEqual([]);
  });

  test('has 2 to 4 examples, each a command line of this tool that parses', () => {
    const examples = text.split('\nExamples:\n')[1].split('\n\n')[0];
    const commands = examples
      .replace(/ \\\n\s+/g, ' ')
      .split('\n')
      .filter((line) => line.startsWith('  ecr-scan-reporter '));
    expect(commands.length).toBeGreaterThanOrEqual(2);
    expect(commands.length).toBeLessThanOrEqual(4);
    let parsed = 0;
    for (const line of commands) {
      for (const invocation of line.split(/ && | \| | > /).filter((part) => part.trim().startsWith('ecr-scan-reporter '))) {
        const argv = [...invocation.trim().matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(1);
        expect(parseCliArgs(argv)).toMatchObject({ kind: 'run' });
        parsed++;
      }
    }
    // Every invocation shown was parsed, the continued ones too.
    expect(parsed).toBe(examples.split('ecr-scan-reporter ').length - 1);
    expect(examples).toContain(`ecr-scan-reporter ${command} `);
  });
});
