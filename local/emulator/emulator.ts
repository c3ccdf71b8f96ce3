/**
 * The local AWS emulator, from Node: installs it when needed (local/emulator/install.sh),
 * starts it on a free loopback port, resets it, reads its request log and stops it.
 * Shared by the end-to-end suite, the demo and the benchmark.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { AddressInfo, createServer } from 'net';
import { join } from 'path';

export const REPO_ROOT = join(__dirname, '..', '..');
const VENV_PYTHON = join(REPO_ROOT, '.emulator', 'venv', 'bin', 'python');
const SERVER = join(__dirname, 'server.py');

/** The account and region moto answers for. */
export const EMULATOR_ACCOUNT_ID = '123456789012';
export const EMULATOR_REGION = 'us-east-1';

/** One AWS request the emulator answered, as its request log recorded it. */
export interface EmulatorRequest {
  /** JSON protocols: the X-Amz-Target prefix (e.g. AmazonEC2ContainerRegistry_V20150921); query protocols: the signing name (sns). */
  readonly service: string;
  readonly operation: string;
  readonly params: Record<string, any>;
  readonly status: number;
}

/** An image for `Emulator.seedImages`. */
export interface BulkImage {
  readonly imageDigest: string;
  readonly tags?: readonly string[];
  readonly pushedAt?: Date;
  /** null or absent: never scanned. */
  readonly lastScan?: Date | null;
  /** The DescribeImageScanFindings response ECR gives for it. */
  readonly findings?: Record<string, unknown>;
  /** DescribeImages' lastRecordedPullTime; absent: never pulled. */
  readonly lastRecordedPullTime?: Date;
}

/** A Lambda Invoke the emulator received. */
export interface LambdaInvocation {
  /** As sent: a name or an ARN. */
  readonly functionName: string;
  readonly invocationType: string;
  readonly payload: unknown;
}

export interface LastScan {
  readonly repositoryName: string;
  readonly imageDigest: string;
  /** ISO-8601, or null when moto has no scan of the image. */
  readonly lastScan: string | null;
}

/** Runs local/emulator/install.sh (a no-op when the pinned emulator is installed). */
export function installEmulator(): void {
  const result = spawnSync('bash', [join(__dirname, 'install.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) {
    throw new Error(`local/emulator/install.sh failed with exit code ${result.status}; see its output above`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface EmulatorOptions {
  /** Seconds to wait for the server to answer. Default 30. */
  readonly startTimeoutSeconds?: number;
}

export class Emulator {
  /**
   * Installs the emulator if needed (install.sh is a no-op when the venv holds exactly the
   * pinned versions, and reinstalls when they changed), then starts it on a free loopback port.
   */
  public static async start(options: EmulatorOptions = {}): Promise<Emulator> {
    installEmulator();
    const deadline = Date.now() + (options.startTimeoutSeconds ?? 30) * 1000;
    // A port found free can be taken before the server binds it: try a few.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const emulator = new Emulator(port);
      try {
        await emulator.waitUntilReady(deadline);
        return emulator;
      } catch (error) {
        await emulator.stop();
        if (attempt >= 3 || Date.now() > deadline) throw error;
      }
    }
  }

  public readonly endpoint: string;
  public readonly region = EMULATOR_REGION;
  public readonly accountId = EMULATOR_ACCOUNT_ID;
  private readonly process: ChildProcess;
  private output = '';
  private exited?: number | null;

  private constructor(public readonly port: number) {
    this.endpoint = `http://127.0.0.1:${port}`;
    this.process = spawn(VENV_PYTHON, [SERVER, '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MOTO_ACCOUNT_ID: EMULATOR_ACCOUNT_ID },
    });
    // Keep the tail of the server's output for error messages; moto logs every request.
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-8000));
    this.process.stdout?.on('data', keep);
    this.process.stderr?.on('data', keep);
    this.process.on('exit', (code) => (this.exited = code));
  }

  /**
   * What an SDK client or a handler needs to talk to the emulator: the standard AWS
   * variables, so the code under test resolves its endpoint exactly as in Lambda.
   */
  public environment(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL: this.endpoint,
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_ACCESS_KEY_ID: 'emulator',
      AWS_SECRET_ACCESS_KEY: 'emulator',
      AWS_SESSION_TOKEN: 'emulator',
    };
  }

  /** Configuration for an SDK v3 client of the test itself (seeding, reading state). */
  public clientConfig() {
    return {
      endpoint: this.endpoint,
      region: this.region,
      credentials: { accessKeyId: 'emulator', secretAccessKey: 'emulator' },
    };
  }

  /** Clears every service's state and the request log. */
  public async reset(): Promise<void> {
    await this.call('POST', '/moto-api/reset');
  }

  public async requests(): Promise<EmulatorRequest[]> {
    return (await this.call('GET', '/_emulator/requests')) as EmulatorRequest[];
  }

  public async resetRequests(): Promise<void> {
    await this.call('POST', '/_emulator/requests/reset');
  }

  /**
   * Seeds an image's last scan (null: never) and, optionally, the DescribeImageScanFindings
   * response ECR would give for it (see server.py).
   */
  public async seedImageScan(
    repositoryName: string,
    imageDigest: string,
    lastScan: Date | null,
    findings?: Record<string, unknown>,
  ): Promise<void> {
    await this.call('POST', '/_emulator/ecr/image-scan', {
      repositoryName,
      imageDigest,
      region: this.region,
      lastScan: lastScan ? lastScan.toISOString() : null,
      findings,
    });
  }

  /**
   * Adds images to an existing repository in bulk, as PutImage would have made them, each
   * with its tags, push time, last scan and findings (see server.py). Sent in chunks.
   */
  public async seedImages(repositoryName: string, images: readonly BulkImage[]): Promise<void> {
    for (let start = 0; start < images.length; start += 5000) {
      await this.call('POST', '/_emulator/ecr/images', {
        repositoryName,
        region: this.region,
        images: images.slice(start, start + 5000).map((image) => ({
          imageDigest: image.imageDigest,
          tags: image.tags ?? [],
          pushedAt: image.pushedAt?.toISOString(),
          lastScan: image.lastScan ? image.lastScan.toISOString() : null,
          findings: image.findings,
          lastRecordedPullTime: image.lastRecordedPullTime?.toISOString(),
        })),
      });
    }
  }

  /** Creates repositories in bulk, as CreateRepository with its defaults would (see server.py). */
  public async seedRepositories(repositoryNames: readonly string[]): Promise<void> {
    await this.call('POST', '/_emulator/ecr/repositories', { repositoryNames, region: this.region });
  }

  /** The asynchronous Lambda invocations made since the last call (see server.py), oldest first. */
  public async takeInvocations(): Promise<LambdaInvocation[]> {
    return (await this.call('GET', '/_emulator/lambda/invocations')) as LambdaInvocation[];
  }

  /**
   * Moves ECR's clock `offsetMs` ahead of the real one (see server.py), for simulated days; the
   * handlers' processes need the same offset (local/bench/clock.ts). A reset sets it back to 0.
   */
  public async setClock(offsetMs: number): Promise<void> {
    await this.call('POST', '/_emulator/clock', { offsetSeconds: offsetMs / 1000 });
  }

  /** ECR's clock: its offset from the real one, and the time it reads now. */
  public async clock(): Promise<{ offsetSeconds: number; now: string }> {
    return (await this.call('GET', '/_emulator/clock')) as { offsetSeconds: number; now: string };
  }

  public async lastScans(): Promise<LastScan[]> {
    return (await this.call('GET', `/_emulator/ecr/last-scans?region=${this.region}`)) as LastScan[];
  }

  public async stop(): Promise<void> {
    if (this.exited !== undefined) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private async waitUntilReady(deadline: number): Promise<void> {
    for (;;) {
      if (this.exited !== undefined) {
        throw new Error(`the emulator exited with code ${this.exited} before it answered:\n${this.output}`);
      }
      try {
        await this.call('GET', '/_emulator/requests');
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`the emulator did not answer on ${this.endpoint} in time:\n${this.output}`);
        await sleep(100);
      }
    }
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.endpoint}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`emulator ${method} ${path}: HTTP ${response.status}: ${text.slice(0, 500)}`);
    return text === '' ? undefined : JSON.parse(text);
  }
}
