/**
 * One function's execution environment in a child process (local/lambda-worker.js): the
 * deployed bundle, warm across invocations as Lambda keeps it, with each invocation's
 * duration, peak heap (after a garbage collection before it) and the process's peak RSS.
 * The scale tests use it to report what an invocation of the rescan and summary functions really holds.
 */
import { ChildProcess, fork } from 'child_process';
import { join } from 'path';
import { REPO_ROOT } from './emulator/emulator';
import { jsonLines } from './json-lines';

export interface InvocationStats {
  readonly durationMs: number;
  /** User and system CPU time of the process during the invocation (the emulator's time is not in it). */
  readonly cpuMs: number;
  /** Heap in use before the invocation, after a full garbage collection. */
  readonly heapBeforeBytes: number;
  /** The largest heap in use seen during the invocation (sampled every 2 ms). */
  readonly peakHeapBytes: number;
  /** The process's peak resident set size so far, as Lambda's "Max Memory Used" counts it. */
  readonly maxRssKb: number;
}

interface Reply extends InvocationStats {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: { name?: string; message?: string };
}

export class LambdaProcess {
  public static async start(name: 'dispatch' | 'rescan' | 'report' | 'summary', env: Record<string, string | undefined>): Promise<LambdaProcess> {
    const bundle = join(REPO_ROOT, 'assets', 'lambda', `${name}.lambda`, 'index.js');
    const child = fork(join(__dirname, 'lambda-worker.js'), [bundle, name], {
      env: env as NodeJS.ProcessEnv,
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const worker = new LambdaProcess(child);
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the ${name} worker exited with code ${code}: ${worker.output.join('')}`)));
    });
    return worker;
  }

  /** Everything the handler wrote to stdout and stderr: its JSON log and EMF lines. */
  public readonly output: string[] = [];
  /** One entry per invocation, in order. */
  public readonly stats: InvocationStats[] = [];
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    child.on('message', (reply: Reply) => {
      this.pending.get(reply.id)?.resolve(reply);
      this.pending.delete(reply.id);
    });
    child.on('exit', (code) => {
      for (const { reject } of this.pending.values()) reject(new Error(`the worker exited with code ${code} during an invocation: ${this.output.join('').slice(-2000)}`));
      this.pending.clear();
    });
  }

  /** Invokes the handler; resolves with its result, or rejects with its error, as Lambda would report it. */
  public async invoke<R>(event: unknown, timeoutSeconds: number): Promise<R> {
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, event, timeoutMs: timeoutSeconds * 1000 });
    });
    const { durationMs, cpuMs, heapBeforeBytes, peakHeapBytes, maxRssKb } = reply;
    this.stats.push({ durationMs, cpuMs, heapBeforeBytes, peakHeapBytes, maxRssKb });
    if (reply.error) throw Object.assign(new Error(reply.error.message), { name: reply.error.name });
    return reply.result as R;
  }

  /** The JSON lines written so far (log lines and EMF metric documents). */
  public lines(): Record<string, any>[] {
    return jsonLines(this.output.join(''));
  }

  public async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }
}
