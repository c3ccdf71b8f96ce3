import { LIMITS, USAGE, UsageError, closestOption, parseCliArgs } from '../../src/cli/args';
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
        json: false,
        verbose: false,
        region: undefined,
        profile: undefined,
      },
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
        '--json',
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
        json: true,
        verbose: true,
        region: 'eu-west-1',
        profile: 'prod',
      },
    });
  });

  test('options may come before the command', () => {
    expect(parseCliArgs(['--json', '--concurrency', '1', 'plan'])).toMatchObject({ kind: 'run', options: { command: 'plan', json: true, concurrency: 1 } });
  });

  test('the bounds are accepted', () => {
    expect(parseCliArgs(['plan', '--scan-expiry-days', '1', '--concurrency', '1'])).toMatchObject({ options: { scanExpiryDays: 1, concurrency: 1 } });
    expect(parseCliArgs(['plan', '--scan-expiry-days', '3650'])).toMatchObject({ options: { scanExpiryDays: 3650 } });
    expect(LIMITS).toEqual({ scanExpiryDays: { min: 1, max: 3650 }, concurrency: { min: 1, max: 50 } });
  });

  test.each([['--help'], ['-h'], ['plan', '--help'], ['scan', '-h'], ['--help', '--version']])(
    '%j asks for help',
    (...argv) => {
      expect(parseCliArgs(argv)).toEqual({ kind: 'help' });
    },
  );

  test('--version', () => {
    expect(parseCliArgs(['--version'])).toEqual({ kind: 'version' });
  });

  test.each([
    [['plan', '--bogus'], 'unknown option "--bogus"'],
    [['plan', '--concurency', '3'], 'unknown option "--concurency"; did you mean --concurrency?'],
    [['plan', '--repository', 'x'], 'unknown option "--repository"; did you mean --repository-pattern?'],
    [['plan', '-x'], 'unknown option "-x"'],
    [[], 'missing command: give plan (read-only) or scan (starts the due scans)'],
    [['--json'], 'missing command: give plan (read-only) or scan (starts the due scans)'],
    [['report'], 'unknown command "report": give plan (read-only) or scan (starts the due scans)'],
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

describe('USAGE', () => {
  test('names both commands, every flag, the defaults and the exit codes', () => {
    for (const text of [
      'Usage: ecr-scan-reporter <plan|scan> [options]',
      '  plan ',
      '  scan ',
      '--repository-pattern RE',
      '--exclude-pattern RE',
      '--scan-expiry-days N',
      '(1-3650; default 7)',
      '--concurrency N',
      '(1-50; default 5)',
      '--json',
      '--region REGION',
      '--profile NAME',
      '--verbose',
      '-h, --help',
      '--version',
      'ecr:StartImageScan',
      '2 invalid command line',
    ]) {
      expect(USAGE).toContain(text);
    }
    // Fits an 88-column terminal.
    expect(Math.max(...USAGE.split('\n').map((line) => line.length))).toBeLessThanOrEqual(88);
  });
});
