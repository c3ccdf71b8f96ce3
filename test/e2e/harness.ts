/**
 * The end-to-end suite's fixture: one emulator per test file, on a free loopback port,
 * reset before each test and stopped after the file; the handler bundles loaded once the
 * process environment points the SDK at it; the service configured from the construct's
 * own template.
 */
import { runInThisContext } from 'vm';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Emulator, EmulatorRequest } from '../../local/emulator/emulator';
import { Handlers, lambdaContext, loadHandlers, runQueue } from '../../local/pipeline';
import { SeedRepository } from '../../local/registry';
import { Deployment, deployService } from '../../local/service';

export type { Deployment } from '../../local/service';
import { EcrScanReporterProps } from '../../src';
import { LogCapture, LogLine, captureLogs } from '../aws/helpers';

export interface EmulatorFixture {
  readonly emulator: Emulator;
  readonly ecr: ECRClient;
  readonly sqs: SQSClient;
  readonly handlers: Handlers;
  /** The handlers' JSON log lines written during the current test. */
  logs(): LogLine[];
  /** The handlers' embedded-metric-format lines (Powertools Metrics) written during the current test. */
  metricLines(): Record<string, unknown>[];
}

export interface EmulatorFixtureOptions {
  /**
   * Reset the emulator before each test. False: the test file manages the state itself, e.g.
   * one deployment shared by many rows that each clean up what they touched.
   * @default true
   */
  readonly resetBeforeEach?: boolean;
  /**
   * Runs once the emulator is up, before the handlers load; what it returns is applied over the
   * emulator's environment, e.g. `{ AWS_ENDPOINT_URL: proxy.endpoint }` to put a proxy between
   * the handlers and the emulator. The fixture's own clients always talk to the emulator.
   */
  readonly handlerEnvironment?: (emulator: Emulator) => Promise<Record<string, string>>;
}

/** Registers beforeAll/beforeEach/afterAll hooks; the returned function gives the fixture inside tests. */
export function useEmulator(options: EmulatorFixtureOptions = {}): () => EmulatorFixture {
  let fixture: EmulatorFixture | undefined;
  let capture: LogCapture | undefined;
  beforeAll(async () => {
    const emulator = await Emulator.start();
    let overrides: Record<string, string>;
    try {
      overrides = (await options.handlerEnvironment?.(emulator)) ?? {};
    } catch (error) {
      await emulator.stop();
      throw error;
    }
    Object.assign(process.env, emulator.environment(), overrides, { POWERTOOLS_LOG_LEVEL: LOG_LEVEL });
    fixture = {
      emulator,
      ecr: new ECRClient(emulator.clientConfig()),
      sqs: new SQSClient(emulator.clientConfig()),
      handlers: loadHandlers(),
      logs: () => capture?.lines() ?? [],
      metricLines: () => capture?.metricLines() ?? [],
    };
  });
  beforeEach(async () => {
    if (options.resetBeforeEach ?? true) await fixture?.emulator.reset();
    capture = captureLogs();
  });
  afterEach(() => {
    capture?.restore();
    capture = undefined;
  });
  afterAll(async () => {
    fixture?.ecr.destroy();
    fixture?.sqs.destroy();
    await fixture?.emulator.stop();
  });
  return () => {
    if (!fixture) throw new Error('the emulator fixture is not ready (beforeAll failed?)');
    return fixture;
  };
}

/** Handlers log at INFO, as deployed; each test captures (and silences) the lines to assert on counts. */
const LOG_LEVEL = 'INFO';
// Node 20 here: the SDK's notice that its 2027 releases need Node 22 is known; keep test output readable.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Variables the last deploy set, removed before the next so no setting leaks between tests. */
let applied: string[] = [];

/**
 * "Deploys" the service into the emulator (local/service.ts' deployService) and applies the
 * handlers' environment, first removing what the previous test's deploy set.
 */
export async function deploy(
  fixture: EmulatorFixture,
  props: EcrScanReporterProps,
  registry: readonly SeedRepository[],
  now: Date,
): Promise<Deployment> {
  const deployment = await deployService(fixture.emulator, fixture.ecr, props, registry, now);
  for (const name of applied) delete process.env[name];
  Object.assign(process.env, deployment.environment);
  applied = Object.keys(deployment.environment);
  process.env.POWERTOOLS_LOG_LEVEL = LOG_LEVEL;
  await fixture.emulator.resetRequests();
  return deployment;
}

/**
 * Makes an error created by Node itself (a socket's ECONNRESET) `instanceof Error` in this
 * test file, as it is in Lambda. Jest runs each test file in its own realm, so Node's errors
 * come from another realm's Error; the SDK's retry middleware then replaces a final network
 * error (name TimeoutError, code ECONNRESET) with a bare "AWS SDK error wrapper for ..."
 * Error that Lambda never produces. Only `x instanceof Error` changes; subclasses keep the
 * ordinary check. Call it at the top of a file that injects network faults.
 */
export function recognizeNodeErrors(): void {
  // The process's own Error: vm.runInThisContext evaluates in Node's main context, not the test's.
  const NodeError = runInThisContext('Error') as ErrorConstructor;
  if (NodeError === Error) return;
  const ordinary = Function.prototype[Symbol.hasInstance];
  Object.defineProperty(Error, Symbol.hasInstance, {
    configurable: true,
    value: function hasInstance(this: unknown, value: unknown): boolean {
      return ordinary.call(this, value) || (this === Error && ordinary.call(NodeError, value));
    },
  });
}

/**
 * One rescan cycle of the deployed service: the schedule's event to dispatch, then the rescan
 * queue run as Lambda's event source runs it, every record succeeding. Returns the AWS requests
 * the emulator answered during the cycle.
 */
export async function rescanCycle(fixture: EmulatorFixture, deployment: Deployment): Promise<EmulatorRequest[]> {
  const { handlers, sqs, emulator } = fixture;
  await emulator.resetRequests();
  await handlers.dispatch({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('dispatch'));
  const { rescanQueueUrl, rescanQueueArn } = deployment.infrastructure;
  const run = await runQueue(sqs, rescanQueueUrl, rescanQueueArn, handlers.rescan, { batchSize: deployment.config.batchSize });
  expect(run.recordsFailed).toBe(0);
  return emulator.requests();
}
