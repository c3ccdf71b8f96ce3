/**
 * The `ecr-scan-reporter` command (bin/ecr-scan-reporter loads its esbuild bundle,
 * assets/cli/ecr-scan-reporter/index.js, which carries the AWS SDK). Only wiring:
 * the logic is in main.ts and the modules it uses.
 */
import { main, packageVersion } from './main';
import { createDynamoDbClient, createEcrClient } from '../aws/clients';

// The SDK inside this bundle is pinned at build time, so its notice that SDK releases after
// January 2027 need Node 22 concerns this package's maintainers, not the person running the
// command: keep stderr for what the run has to say. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// A reader that leaves before the help or the version is read (`--help | head -1`): nothing
// is left to say, so no stack trace. A run watches stdout itself and stops its walk (run.ts).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

void main(process.argv.slice(2), {
  createEcrClient,
  createDynamoDbClient,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  now: () => new Date(),
  clock: () => Date.now(),
  version: () => packageVersion(__dirname),
}).then((code) => {
  process.exitCode = code;
});
