/**
 * The end-to-end suite's fixture: one emulator per test file, on a free loopback port,
 * reset before each test and stopped after the file; the handler bundles loaded once the
 * process environment points the SDK at it; the service configured from the construct's
 * own template.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Emulator } from '../../local/emulator/emulator';
import { Handlers, Infrastructure, createInfrastructure, loadHandlers } from '../../local/pipeline';
import { SeededImage, SeedRepository, seedRegistry } from '../../local/registry';
import { ServiceConfiguration, resolveEnvironment, synthesizeService } from '../../local/service';
import { EcrScanReporterProps } from '../../src';
import { LogCapture, LogLine, captureLogs } from '../aws/helpers';

export interface EmulatorFixture {
  readonly emulator: Emulator;
  readonly ecr: ECRClient;
  readonly sqs: SQSClient;
  readonly handlers: Handlers;
  /** The handlers' JSON log lines written during the current test. */
  logs(): LogLine[];
}

/** Registers beforeAll/beforeEach/afterAll hooks; the returned function gives the fixture inside tests. */
export function useEmulator(): () => EmulatorFixture {
  let fixture: EmulatorFixture | undefined;
  let capture: LogCapture | undefined;
  beforeAll(async () => {
    const emulator = await Emulator.start();
    Object.assign(process.env, emulator.environment(), { POWERTOOLS_LOG_LEVEL: LOG_LEVEL });
    fixture = {
      emulator,
      ecr: new ECRClient(emulator.clientConfig()),
      sqs: new SQSClient(emulator.clientConfig()),
      handlers: loadHandlers(),
      logs: () => capture?.lines() ?? [],
    };
  });
  beforeEach(async () => {
    await fixture?.emulator.reset();
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

export interface Deployment {
  readonly config: ServiceConfiguration;
  readonly infrastructure: Infrastructure;
  readonly seeded: SeededImage[];
}

/**
 * "Deploys" the service into the emulator as the construct would configure it with `props`:
 * creates the queues, topic and rule, seeds the registry, and sets the handlers' environment
 * (the union of the three functions' variables; they do not overlap in meaning).
 */
export async function deploy(
  fixture: EmulatorFixture,
  props: EcrScanReporterProps,
  registry: readonly SeedRepository[],
  now: Date,
): Promise<Deployment> {
  const config = synthesizeService(props);
  const infrastructure = await createInfrastructure(fixture.emulator, {
    maxReceiveCount: config.maxReceiveCount,
    scanEventPattern: config.scanEventPattern,
  });
  const seeded = await seedRegistry(fixture.emulator, fixture.ecr, registry, now);
  for (const name of applied) delete process.env[name];
  applied = [];
  for (const variables of Object.values(config.environments)) {
    const resolved = resolveEnvironment(variables, config, infrastructure);
    Object.assign(process.env, resolved);
    applied.push(...Object.keys(resolved));
  }
  process.env.POWERTOOLS_LOG_LEVEL = LOG_LEVEL;
  await fixture.emulator.resetRequests();
  return { config, infrastructure, seeded };
}
