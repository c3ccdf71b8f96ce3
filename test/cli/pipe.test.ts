/**
 * The installed command (bin/ecr-scan-reporter and its bundle, assets/cli, built by
 * `npx projen bundle` before the tests) in a child process whose stdout is a real pipe,
 * closed by the reader after three lines, as `ecr-scan-reporter plan | head -3` does.
 * The ECR endpoint is test/cli/fake-ecr-server.ts, which counts the requests.
 */
import { spawn } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { FakeEcrServer, startFakeEcr } from './fake-ecr-server';

const BIN = join(__dirname, '..', '..', 'bin', 'ecr-scan-reporter');

let server: FakeEcrServer;
let home: string;

beforeAll(async () => {
  // 2 x 40,000 images with their scans in the DescribeImages entries, so the walk asks nothing else, in
  // pages of 10,000 (ECR's hold at most 1,000): a page's rows (1.5 MB) overflow any pipe buffer. Node.js
  // would queue what the pipe cannot take, but the command waits for stdout to drain after each 100 rows,
  // so the reader is gone before the first page is written whole, whatever the timing (before that wait,
  // a loaded machine could let the walk queue the whole page and ask for the next). 8 pages for a whole walk.
  server = await startFakeEcr({ repositories: { 'big/one': 40_000, 'big/two': 40_000 }, scanned: true, pageSize: 10_000 });
  home = mkdtempSync(join(tmpdir(), 'cli-pipe-home-'));
});

afterAll(async () => {
  await server.close();
  rmSync(home, { recursive: true, force: true });
});

/** Runs the command; its stdout is read until `lines` lines have come, then closed. */
function runUntilLines(args: string[], lines: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // Nothing of this machine's AWS setup: static credentials, the fake endpoint.
      env: {
        PATH: process.env.PATH,
        HOME: home,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        AWS_ENDPOINT_URL: server.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      // The reader goes away, as head does once it has its lines.
      if (stdout.split('\n').length > lines) child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

test('`plan | head -3` through a real pipe: the walk stops within the first page, no stack trace, exit 0', async () => {
  const { code, signal, stdout, stderr } = await runUntilLines(['plan'], 3);

  expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: '' });
  expect(stdout).toMatch(/^REPOSITORY +DIGEST +STATUS /);
  // One DescribeImages page of the 8 a whole walk reads: the walk stopped at the first failed write.
  expect(server.requests.get('DescribeImages')).toBe(1);
  expect(server.requests.get('DescribeImageScanFindings')).toBeUndefined();
}, 30_000);
