/**
 * The prebundled handler assets (assets/lambda/*, built by `npx projen bundle`
 * before the tests) are what consumers deploy: they must run with no
 * node_modules at all, so Python and Java users never need npm, Docker or esbuild.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as os from 'os';
import * as path from 'path';

const ASSETS = path.join(__dirname, '..', '..', 'assets', 'lambda');
const HANDLERS = ['dispatch', 'rescan', 'report'];
// The SDK's SigV4a signer is loaded lazily, inside a try, only for multi-region
// endpoints; ECR, SQS and SNS requests never reach it.
const OPTIONAL_SDK_REQUIRES = ['@aws-sdk/signature-v4-crt', '@aws-sdk/signature-v4a'];

const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Copies a bundle to an empty folder outside the repository, so nothing can be resolved from node_modules. */
function isolated(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bundle-${name}-`));
  made.push(dir);
  fs.copyFileSync(path.join(ASSETS, `${name}.lambda`, 'index.js'), path.join(dir, 'index.js'));
  return path.join(dir, 'index.js');
}

/** What a bundle requires besides Node.js built-ins and the SDK's optional signers. */
function externalRequires(bundle: string): string[] {
  const code = fs.readFileSync(bundle, 'utf8');
  const required = new Set([...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]));
  const builtins = new Set(builtinModules);
  return [...required].filter(
    (m) => !builtins.has(m.replace(/^node:/, '')) && !builtins.has(m.replace(/^node:/, '').split('/')[0]) && !OPTIONAL_SDK_REQUIRES.includes(m),
  );
}

/** Runs a script next to the bundle; returns what it wrote to stdout and stderr, in that order. */
function runIn(file: string, script: string, env: Record<string, string> = {}): string {
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd: path.dirname(file),
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', NODE_PATH: '', ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`node exited ${result.status}: ${result.stderr}`);
  return `${result.stdout}\n${result.stderr}`;
}

describe.each(HANDLERS)('the %s bundle', (name) => {
  test('loads with no node_modules and exports handler', () => {
    const file = isolated(name);
    expect(runIn(file, `process.stdout.write(typeof require(${JSON.stringify(file)}).handler)`).split('\n')[0]).toBe('function');
  });

  test('carries the AWS SDK and Powertools inside, requiring only Node.js built-ins', () => {
    expect(externalRequires(path.join(ASSETS, `${name}.lambda`, 'index.js'))).toEqual([]);
  });
});

test('the bundled report handler runs: a malformed event fails with a clear error and a structured log line', () => {
  const file = isolated('report');
  const out = runIn(
    file,
    `require(${JSON.stringify(file)}).handler({ source: 'aws.s3' }).then(
       () => process.stdout.write('resolved'),
       (e) => process.stdout.write('\\nREJECTED ' + e.name + ': ' + e.message));`,
    { TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:t', LEDGER_TABLE_NAME: 'ledger', POWERTOOLS_SERVICE_NAME: 'ecr-scan-reporter' },
  );
  expect(out).toContain('REJECTED InvalidInputError: expected source "aws.ecr" and detail-type "ECR Image Scan"');
  const json = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  // One error log line, and one metrics line (embedded metric format) with the rejection counted.
  const logLines = json.filter((l) => l.level !== undefined);
  expect(logLines).toHaveLength(1);
  expect(logLines[0]).toMatchObject({ level: 'ERROR', service: 'ecr-scan-reporter', message: expect.stringContaining('Malformed scan event') });
  const metricLines = json.filter((l) => l._aws !== undefined);
  expect(metricLines).toHaveLength(1);
  expect(metricLines[0]).toMatchObject({ service: 'ecr-scan-reporter', InputsRejected: 1, ReportsPublished: 0 });
});

describe('the command-line bundle (assets/cli/ecr-scan-reporter, loaded by bin/ecr-scan-reporter)', () => {
  const CLI_BUNDLE = path.join(__dirname, '..', '..', 'assets', 'cli', 'ecr-scan-reporter', 'index.js');

  /** Runs `node index.js ...args` from an empty folder with no node_modules, no AWS configuration and no instance metadata. */
  function runCliBundle(args: string[], env: Record<string, string> = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-cli-'));
    made.push(dir);
    fs.copyFileSync(CLI_BUNDLE, path.join(dir, 'index.js'));
    return spawnSync(process.execPath, ['index.js', ...args], {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_PATH: '',
        HOME: dir,
        AWS_CONFIG_FILE: path.join(dir, 'no-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'no-credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
      encoding: 'utf8',
    });
  }

  test('runs with no node_modules: --help prints the usage on stdout, exit 0; plan --help its options', () => {
    const result = runCliBundle(['--help']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.startsWith('Usage: ecr-scan-reporter <command> [options]\n')).toBe(true);
    expect(result.stdout).toMatch(/^ {2}plan {4}/m);
    expect(result.stdout).toMatch(/^ {2}scan {4}/m);

    const plan = runCliBundle(['plan', '--help']);
    expect(plan.stderr).toBe('');
    expect(plan.status).toBe(0);
    expect(plan.stdout.startsWith('Usage: ecr-scan-reporter plan [options]\n')).toBe(true);
    expect(plan.stdout).toContain('--repository-pattern RE');
  });

  test('carries the AWS SDK inside, requiring only Node.js built-ins', () => {
    expect(externalRequires(CLI_BUNDLE)).toEqual([]);
  });

  test('a usage error exits 2; a missing region exits 1 with its message and no stack trace', () => {
    const usage = runCliBundle(['plan', '--concurrency', '0']);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--concurrency must be a whole number from 1 to 50 (given "0")');

    const noRegion = runCliBundle(['plan'], { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
    expect(noRegion.status).toBe(1);
    expect(noRegion.stdout).toBe('');
    expect(noRegion.stderr).toBe(
      'ecr-scan-reporter: no AWS region is set: pass --region REGION (e.g. --region us-east-1) or set AWS_REGION, or set a region in your profile (~/.aws/config)\n',
    );
  });
});
