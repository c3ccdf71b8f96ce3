/**
 * The demo's way of running the command-line tool keeps this process's event loop running, so
 * a server in this process (the emulator's request-log reader, in the demo) is still served
 * while the child waits for it. A synchronous spawn would hang here until the test times out.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { createServer } from 'http';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { CLI_BIN, runNodeScript } from '../../local/cli-process';

test('a child that needs a server in this process gets its answer: the parent is not blocked while it runs', async () => {
  const server = createServer((request, response) => response.end(`served ${request.url}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const script = join(mkdtempSync(join(tmpdir(), 'cli-process-')), 'child.js');
  // Like the tool against the emulator: a request to this process, then a lot of output, then exit. A parent
  // that blocked its event loop (spawnSync) would never answer: the child then gives up after 5 s with exit 3, so
  // this test fails instead of hanging.
  writeFileSync(
    script,
    `setTimeout(() => { process.stderr.write('no answer from the parent\\n'); process.exit(3); }, 5000).unref();
     require('http').get('http://127.0.0.1:${port}/ping', (r) => { let b = ''; r.on('data', (c) => (b += c)); r.on('end', () => {
       process.stdout.write(b + '\\n' + 'x'.repeat(1048576) + '\\n'); process.stderr.write('done\\n'); }); });`,
  );
  try {
    const run = await runNodeScript(script, [], { PATH: process.env.PATH });
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('served /ping\n')).toBe(true);
    expect(run.stdout.length).toBe('served /ping\n'.length + 1_048_576 + 1);
    expect(run.stderr).toBe('done\n');
  } finally {
    server.close();
  }
}, 20_000);

test('the tool\'s shim is what the demo runs', () => {
  expect(CLI_BIN).toBe(join(__dirname, '..', '..', 'bin', 'ecr-scan-reporter'));
});

test('the demo runs the tool through runCli, never a synchronous spawn', () => {
  const demo = readFileSync(join(__dirname, '..', '..', 'local', 'demo.ts'), 'utf8');
  expect(demo).toMatch(/await runCli\(/);
  expect(demo).not.toMatch(/spawnSync|execSync|execFileSync/);
});
