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
    const code = fs.readFileSync(path.join(ASSETS, `${name}.lambda`, 'index.js'), 'utf8');
    const required = new Set([...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]));
    const builtins = new Set(builtinModules);
    const external = [...required].filter(
      (m) => !builtins.has(m.replace(/^node:/, '')) && !builtins.has(m.replace(/^node:/, '').split('/')[0]) && !OPTIONAL_SDK_REQUIRES.includes(m),
    );
    expect(external).toEqual([]);
  });
});

test('the bundled report handler runs: a malformed event fails with a clear error and a structured log line', () => {
  const file = isolated('report');
  const out = runIn(
    file,
    `require(${JSON.stringify(file)}).handler({ source: 'aws.s3' }).then(
       () => process.stdout.write('resolved'),
       (e) => process.stdout.write('\\nREJECTED ' + e.name + ': ' + e.message));`,
    { TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:t', POWERTOOLS_SERVICE_NAME: 'ecr-scan-reporter' },
  );
  expect(out).toContain('REJECTED InvalidInputError: expected source "aws.ecr" and detail-type "ECR Image Scan"');
  const logLine = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!);
  expect(logLine).toMatchObject({ level: 'ERROR', service: 'ecr-scan-reporter', message: expect.stringContaining('Malformed scan event') });
});
