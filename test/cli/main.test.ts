import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { NOW, captureStream, mockRegistry, runCli } from './helpers';
import { COMMAND_USAGE, USAGE } from '../../src/cli/args';
import { main, packageVersion } from '../../src/cli/main';

const ecrMock = mockClient(ECRClient);

beforeEach(() => {
  ecrMock.reset();
});

describe('main', () => {
  test.each([['--help'], ['-h'], ['help']])('%s prints the program\'s help on stdout and exits 0, with no AWS client made', async (...argv) => {
    const { code, stdout, stderr, configs } = await runCli(argv);
    expect(code).toBe(0);
    expect(stdout).toBe(USAGE);
    expect(stderr).toBe('');
    expect(configs).toEqual([]);
  });

  test.each<[string[], 'plan' | 'scan']>([
    [['plan', '--help'], 'plan'],
    [['help', 'plan'], 'plan'],
    [['scan', '-h'], 'scan'],
    [['help', 'scan'], 'scan'],
  ])('%j prints the help of %s on stdout, exit 0, no AWS client made', async (argv, command) => {
    const { code, stdout, stderr, configs } = await runCli(argv);
    expect(code).toBe(0);
    expect(stdout).toBe(COMMAND_USAGE[command]);
    expect(stdout).toContain('\nExamples:\n');
    expect(stderr).toBe('');
    expect(configs).toEqual([]);
  });

  test('--version prints the version; "unknown" when it is not known', async () => {
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: '1.2.3\n', stderr: '' });
    const stdout = captureStream([], 'out');
    const code = await main(['--version'], {
      createEcrClient: () => new ECRClient({}),
      stdout,
      stderr: captureStream([], 'err'),
      env: {},
      now: () => NOW,
      clock: () => 0,
    });
    expect(code).toBe(0);
    expect(stdout.text()).toBe('unknown\n');
  });

  test('no argument at all: the usage on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(`ecr-scan-reporter: missing command\n\n${USAGE}`);
  });

  test.each([
    [['plan', '--bogus'], 'unknown option "--bogus"'],
    [['plan', '--concurrency', '0'], '--concurrency must be a whole number from 1 to 50 (given "0")'],
    [['scan', '--repository-pattern', '('], '--repository-pattern is not a valid JavaScript regular expression'],
    [['deploy'], 'unknown command "deploy"'],
    [['help', 'deploy'], 'unknown command "deploy"'],
  ])('a usage error %j: the message and a hint on stderr, exit 2, nothing else done', async (argv, message) => {
    const { code, stdout, stderr, configs } = await runCli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.startsWith(`ecr-scan-reporter: ${message}`)).toBe(true);
    // The hint points to the help of the command given, when there is one.
    const command = argv.find((a) => a === 'plan' || a === 'scan');
    expect(stderr.endsWith(`\necr-scan-reporter: run 'ecr-scan-reporter${command ? ` ${command}` : ''} --help' for usage\n`)).toBe(true);
    expect(stderr).not.toContain('    at ');
    expect(configs).toEqual([]);
    expect(ecrMock.calls()).toHaveLength(0);
  });

  test('a doubtful pattern: the warning on stderr before the run, which goes on; stdout unchanged', async () => {
    mockRegistry(ecrMock);
    const warned = await runCli(['plan', '--repository-pattern', '^team-A/', '--summary-only']);
    const plain = await runCli(['plan', '--repository-pattern', '^team-X', '--summary-only']);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toBe(
      'ecr-scan-reporter: warning: --repository-pattern "^team-A/" has upper-case letters, but ECR repository names are lower case, ' +
        'so those parts of the pattern never match; write them in lower case\n' +
        'ecr-scan-reporter: no repository selected (5 listed); check --repository-pattern and --exclude-pattern\n',
    );
    expect(warned.events[0]).toMatch(/^err:ecr-scan-reporter: warning: /);
    expect(warned.stdout).toContain('  repositories  5 listed, 0 selected\n');
    expect(plain.stderr).toMatch(/^ecr-scan-reporter: warning: --repository-pattern "\^team-X" has upper-case letters/);
  });

  test('a regular-expression literal for --exclude-pattern is warned about too', async () => {
    mockRegistry(ecrMock);
    const { code, stderr } = await runCli(['plan', '--repository-pattern=^team-b/', '--exclude-pattern=/-sandbox$/', '--summary-only']);
    expect(code).toBe(0);
    expect(stderr).toBe(
      'ecr-scan-reporter: warning: --exclude-pattern "/-sandbox$/" looks like a JavaScript regular expression literal; ' +
        "it is used as the pattern's source, so the slashes must appear in the repository name. " +
        'Give the source without slashes or flags, for example "^team-a/"\n',
    );
  });

  test('never throws: a failure outside the run (here, making the client) is reported, exit 1', async () => {
    const { code, stderr } = await runCli(['plan'], {
      createEcrClient: () => {
        throw new TypeError('boom');
      },
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^ecr-scan-reporter: unexpected error \(a bug in ecr-scan-reporter; please report it with what follows\):\nTypeError: boom\n {4}at /);
  });
});

describe('packageVersion', () => {
  test("finds this package's version from src/cli (and would from assets/cli/ecr-scan-reporter)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { version } = require('../../package.json') as { version: string };
    expect(packageVersion(join(__dirname, '..', '..', 'src', 'cli'))).toBe(version);
    expect(packageVersion(join(__dirname, '..', '..', 'assets', 'cli', 'ecr-scan-reporter'))).toBe(version);
  });

  test('undefined outside the package', () => {
    const dir = mkdtempSync(join(tmpdir(), 'no-package-'));
    try {
      expect(packageVersion(join(dir, 'a', 'b'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
