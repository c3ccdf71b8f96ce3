/**
 * The benchmark's child processes: one per function and stage, as in Lambda (our-cycle.ts bundled,
 * or python-tool/runner.py), each started with only the environment it is given and reporting its
 * wall time, CPU time, peak memory and outcome as JSON; and the emulator's own CPU time, so a
 * side's wall time can be split into its own work and the emulator's.
 */
import { spawn } from 'child_process';
import { readFileSync, readdirSync } from 'fs';
import type { Signals } from './signals';
import { REPO_ROOT } from '../emulator/emulator';

/** What a stage's child process reports (our-cycle.ts, python-tool/runner.py). */
export interface StageResult {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly maxRssKiB: number;
  readonly outcome: Record<string, any>;
  /** The handlers' metrics and warnings (our-cycle.ts only). */
  readonly signals?: Signals;
}

/** Runs a stage's child process with only the given environment; its stdout (logs, metrics) is discarded. */
export async function runChild(command: string, args: string[], env: Record<string, string>, resultFile: string): Promise<StageResult> {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LANG: process.env.LANG ?? 'C.UTF-8', ...env, BENCH_RESULT_FILE: resultFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
  const code = await new Promise<number | null>((done) => child.on('exit', done));
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${stderr}`);
  return JSON.parse(readFileSync(resultFile, 'utf8')) as StageResult;
}

/**
 * CPU seconds the emulator's process has used so far, from /proc (Linux), or NaN elsewhere.
 * With it, a side's wall time can be split into its own work and the emulator's.
 */
export function emulatorCpuSeconds(port: number): number {
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      const args = cmdline.split('\0');
      if (!args.some((a) => a.endsWith('server.py')) || args[args.indexOf('--port') + 1] !== String(port)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of /proc/PID/stat (utime, stime), in clock ticks; Linux uses 100 per second.
      return (Number(fields[11]) + Number(fields[12])) / 100;
    }
  } catch {
    // no /proc
  }
  return NaN;
}
