import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ECRClient } from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { NOW, captureStream, runCli } from './helpers';
import { USAGE } from '../../src/cli/args';
import { main, packageVersion } from '../../src/cli/main';

const ecrMock = mockClient(ECRClient);

beforeEach(() => {
  ecrMock.reset();
});

describe('main', () => {
  test.each([['--help'], ['-h'], ['scan', '--help']])('%s prints the usage on stdout and exits 0, with no AWS client made', async (...argv) => {
    const { code, stdout, stderr, configs } = await runCli(argv);
    expect(code).toBe(0);
    expect(stdout).toBe(USAGE);
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
  ])('a usage error %j: the message and a hint on stderr, exit 2, nothing else done', async (argv, message) => {
    const { code, stdout, stderr, configs } = await runCli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.startsWith(`ecr-scan-reporter: ${message}`)).toBe(true);
    expect(stderr.endsWith("\necr-scan-reporter: run 'ecr-scan-reporter --help' for usage\n")).toBe(true);
    expect(stderr).not.toContain('    at ');
    expect(configs).toEqual([]);
    expect(ecrMock.calls()).toHaveLength(0);
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
