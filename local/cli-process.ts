/**
 * Runs the command-line tool (bin/ecr-scan-reporter) as a child process, asynchronously.
 *
 * Never `spawnSync` here: the emulator runs in this same process and writes its request log to a
 * pipe this process reads. A synchronous spawn stops this process's event loop until the child
 * exits, so with enough output the emulator blocks on its full pipe, the tool waits for the
 * emulator's answer, and everything hangs without a line of output.
 */
import { spawn } from 'child_process';
import { join } from 'path';

/** The repository root (local/ is one level below it). */
const ROOT = join(__dirname, '..');

/** The command-line tool's shim, as `npm install` puts it on the PATH. */
export const CLI_BIN = join(ROOT, 'bin', 'ecr-scan-reporter');

export interface CliRun {
  /** The exit status; null when a signal ended the process. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <script> ...args` with `env`, collecting its output while this process's event loop keeps running. */
export function runNodeScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `ecr-scan-reporter ...args` with `env`. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runNodeScript(CLI_BIN, args, env);
}
