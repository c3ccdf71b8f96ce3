/**
 * The in-use discovery under faults: every AWS request of the discover bundle (ECS, Lambda, ECR and
 * the DynamoDB ledger) goes through the fault-injecting proxy (fault-proxy.ts, with ECS and Lambda
 * turned on), which throttles 24% of them, fails 7% with server errors and drops 5% of connections
 * (3% after the service acted), with a fixed seed. Six calls are made to fail or lose their answer
 * whatever the draws (see `exhaust`). The account: four ECS clusters (services with several tasks,
 * services whose task definition names a tag, a service scaled to zero, tasks outside services, one
 * empty cluster) and 61 Lambda image functions (two ListFunctions pages), on images of this registry,
 * with a few images of other registries beside them.
 *
 * The discovery runs as deployed: the schedule's event, then each asynchronous invocation it makes of
 * itself, each with a one-second budget. TimeBudget keeps a reserve of at least a second, so the
 * budget is spent as the invocation starts and every invocation walks exactly one cluster or one page
 * of functions before it hands over (the split is the same in every run, so are the request bodies,
 * so are the draws). Every event is delivered as Lambda's asynchronous invocation would: a try that
 * throws is tried again, three tries in all, and an Invoke that reached the emulator is run even when
 * its try failed, or ran twice when its answer was lost.
 *
 * What must hold is read from the emulator directly (its request log and the ledger table, never
 * through the proxy) and from the proxy's record of what the clients saw:
 * 1. every digest that runs has exactly the places (kind, cluster, name, task count) the seeded workloads
 *    give it, as a fault-free discovery of the same account into a clean ledger table finds them, and no
 *    other digest has an entry (had every try of a part failed, the discovery would not complete: then
 *    every place it wrote must still be one of those, and no marker may say it completed);
 * 2. the marker: absent after every try until a marker write reached DynamoDB, written only by a try
 *    whose walk was complete, and after the run it names the completed discovery's start and end;
 * 3. read-only: no BatchGetImage, no ECS, Lambda or ECR call but List*, Describe* and Get*, the
 *    discovery's own asynchronous Invoke aside; the ledger writes are the places and the marker;
 * 4. every failed try is explained by the wire: it failed exactly when one of its calls failed every
 *    attempt (or the SDK stopped retrying), and with that call's injected error, by name; nothing is
 *    logged at WARN or ERROR;
 * 5. each try's AwsRetries and Continuations metrics agree with the wire;
 * 6. the run exercised what it claims: it completed, every event within Lambda's three tries; drawn
 *    faults of every kind, on ECS, Lambda and DynamoDB calls; the shares of throttling and
 *    server errors; continuations; tries that failed and were tried again; a lost Invoke answer (a
 *    part run twice), and writes that took effect unseen.
 * The figures go to test-reports/fault-injection-discovery.json.
 */
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { FaultKind, FaultProxy, FaultProxyOptions, FaultRates, FaultService, ProxiedRequest, drawKey, summarize } from './fault-proxy';
import { Deployment, deploy, recognizeNodeErrors, useEmulator } from './harness';
import { EmulatorRequest, REPO_ROOT } from '../../local/emulator/emulator';
import { closeWorkloadClients, createImageFunctions, defaultNetwork, imageUri, runEcsServices, runEcsTask } from '../../local/emulator/workloads';
import { lambdaContext, runDiscovery } from '../../local/pipeline';
import { SeedRepository } from '../../local/registry';
import { MAX_ATTEMPTS, documentClient } from '../../src/aws/clients';
import { discoveryKey } from '../../src/decisions/ledger';
import { ENV } from '../../src/decisions/settings';
import type { DiscoverResult } from '../../src/lambda/discover.lambda';
import { METRIC } from '../../src/lambda/metric-names';
import { EmfMetric, emfMetrics } from '../aws/helpers';

recognizeNodeErrors();

/**
 * The run's seed: the same seed injects the same faults into the same requests, run after run (a
 * request's draw depends on its body, its path for Lambda, and how often that exact request was
 * seen). Every digest is fixed (the registry's manifests are), every ECS and Lambda name too, and
 * moto's task ids are UUIDs, which the draw leaves out. What varies is only timing inside a try:
 * which of five concurrent ledger writes or GetFunction calls were started before another failed,
 * so a failed try's retry may see a request once more or once less. Checks 1 to 5 hold for any
 * seed; 6 needs the draws to cover it. Of seeds 1 to 10, seven do; 5 draws 4.5% server errors, and
 * in 2 and 8 one event fails all three tries (the first page of functions, or the schedule's event:
 * in 8 the discovery still completes, through the continuation a failed try's Invoke had queued).
 * 4 covers it with margins (23% throttling, 7% server errors). FAULT_SEED=n runs another (the
 * figures record which).
 */
const SEED = Number(process.env.FAULT_SEED ?? 4);
/** As faults.e2e.ts: at least 20% throttling and 5% server errors, with a margin for the draw, plus dropped connections. */
const RATES: FaultRates = { 'throttling': 0.24, 'server-error': 0.07, 'drop': 0.02, 'drop-after-forward': 0.03 };
/** Every service the discover bundle calls. */
const SERVICES: readonly FaultService[] = ['ecs', 'lambda', 'ecr', 'dynamodb'];
/** Lambda's asynchronous invocation: the first try and two retries. */
const ASYNC_ATTEMPTS = 3;
/** Seconds each invocation gets: spent at once (TimeBudget's reserve is at least a second), so one cluster or one page each. */
const BUDGET_SECONDS = 1;
/** A guard against a discovery that continues forever. */
const MAX_TRIES = 60;
const SCHEDULED_EVENT = { 'source': 'aws.events', 'detail-type': 'Scheduled Event' };
const DISCOVER_ARN = lambdaContext('discover').invokedFunctionArn;

/** The error names the injected faults produce in the SDK; anything else is a crash on an unexpected shape. */
const INJECTED_ERROR_NAMES = new Set([
  'ThrottlingException', // ECS, Lambda, ECR, DynamoDB
  'TooManyRequestsException', // Lambda
  'ProvisionedThroughputExceededException', // DynamoDB
  'ServerException', // ECS, ECR
  'ServiceException', // Lambda
  'InternalServerError', // DynamoDB
  'ServiceUnavailable', // ECS, ECR, DynamoDB
  'TimeoutError', // a dropped connection: ECONNRESET
]);
/** The error a faulted last attempt gives its caller. */
const errorOfFault = (r: ProxiedRequest) => (r.fault === 'drop' || r.fault === 'drop-after-forward' ? 'TimeoutError' : r.code);

/** The emulator's names for the services (its request log's `service`). */
const EMULATOR_SERVICE: Record<string, string> = {
  ecs: 'AmazonEC2ContainerServiceV20141113',
  lambda: 'lambda',
  ecr: 'AmazonEC2ContainerRegistry_V20150921',
  dynamodb: 'DynamoDB_20120810',
};
const READ_ONLY = /^(List|Describe|Get)/;

// --- The account.

const FUNCTION_IMAGES = 6;
const FUNCTIONS = 60;
const REGISTRY: SeedRepository[] = [
  { name: 'shop/api', images: ['v1', 'v2', 'v3'].map((tag) => ({ tags: [tag], scan: { kind: 'never' } })) },
  { name: 'shop/web', images: ['v1', 'v2'].map((tag) => ({ tags: [tag], scan: { kind: 'never' } })) },
  { name: 'shop/cart', images: [{ tags: ['v1'], scan: { kind: 'never' } }] },
  { name: 'shop/edge', images: [{ tags: ['v1'], scan: { kind: 'never' } }] },
  { name: 'shop/worker', images: ['nightly', 'weekly'].map((tag) => ({ tags: [tag], scan: { kind: 'never' } })) },
  { name: 'fn/handlers', images: Array.from({ length: FUNCTION_IMAGES }, (_, i) => ({ tags: [`h${i}`], scan: { kind: 'never' } })) },
];
/** Listed in this order (the emulator lists clusters as created): one invocation each. */
const CLUSTERS = ['prod', 'staging', 'jobs', 'idle'];
/** Images of other registries: never a place, counted as elsewhere. */
const OTEL = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0';
const REDIS = 'docker.io/library/redis:7.4';
const PARTNER = '210987654321.dkr.ecr.us-east-1.amazonaws.com/partner/tool:1.0';

/** An image of this registry, by tag (what the task definition names; ECS resolves it) or by digest. */
interface Image {
  readonly repositoryName: string;
  readonly tag: string;
  readonly by: 'tag' | 'digest';
}
interface ServiceSpec {
  readonly cluster: string;
  readonly service: string;
  readonly tasks: number;
  readonly image: Image | string;
  readonly sidecar?: string;
  /** Services deployed from one task definition (this family's, registered once): the discovery reads it once. */
  readonly sharedTaskDefinition?: string;
}
interface TaskSpec {
  readonly cluster: string;
  readonly family: string;
  readonly count: number;
  readonly image: Image | string;
  readonly group?: string;
}
const tagged = (repositoryName: string, tag: string): Image => ({ repositoryName, tag, by: 'tag' });
const pinned = (repositoryName: string, tag: string): Image => ({ repositoryName, tag, by: 'digest' });

const SERVICES_SEEDED: readonly ServiceSpec[] = [
  // prod: 11 services (two DescribeServices batches), tags and digests, a sidecar of another registry, seven services of one
  // task definition, one scaled to zero.
  { cluster: 'prod', service: 'api', tasks: 3, image: tagged('shop/api', 'v1') },
  { cluster: 'prod', service: 'web', tasks: 2, image: pinned('shop/web', 'v1'), sidecar: OTEL },
  { cluster: 'prod', service: 'cart', tasks: 1, image: pinned('shop/cart', 'v1') },
  ...Array.from({ length: 7 }, (_, i) => ({ cluster: 'prod', service: `edge-0${i + 1}`, tasks: 1, image: pinned('shop/edge', 'v1'), sharedTaskDefinition: 'edge' })),
  { cluster: 'prod', service: 'paused', tasks: 0, image: tagged('shop/api', 'v2') },
  // staging: the same digests elsewhere (merged across invocations), and a service on Docker Hub.
  { cluster: 'staging', service: 'api', tasks: 1, image: tagged('shop/api', 'v2') },
  { cluster: 'staging', service: 'cart', tasks: 2, image: pinned('shop/cart', 'v1') },
  { cluster: 'staging', service: 'redis', tasks: 1, image: REDIS },
];
const TASKS_SEEDED: readonly TaskSpec[] = [
  // jobs: tasks outside services; two revisions of one family are one place; a group of its own; another account's image.
  { cluster: 'jobs', family: 'nightly-batch', count: 2, image: pinned('shop/worker', 'nightly') },
  { cluster: 'jobs', family: 'nightly-batch', count: 1, image: pinned('shop/worker', 'nightly') },
  { cluster: 'jobs', family: 'report', count: 1, image: tagged('shop/worker', 'weekly'), group: 'batch:reports' },
  { cluster: 'jobs', family: 'foreign', count: 1, image: PARTNER },
];
/** fn-00 to fn-59 on the 6 handler images (by tag and by digest in turn), and last (on the second page) one on an image ECS runs too. */
const FUNCTIONS_SEEDED: readonly { functionName: string; image: Image }[] = [
  ...Array.from({ length: FUNCTIONS }, (_, i) => ({
    functionName: `fn-${String(i).padStart(2, '0')}`,
    image: i % 2 === 0 ? tagged('fn/handlers', `h${i % FUNCTION_IMAGES}`) : pinned('fn/handlers', `h${i % FUNCTION_IMAGES}`),
  })),
  { functionName: 'api-migrate', image: tagged('shop/api', 'v1') },
];

/** A place as the ledger keeps it, compared without its time: kind|cluster|name|count. */
const placeString = (p: { kind: string; cluster?: string; name: string; count?: number }) => `${p.kind}|${p.cluster ?? ''}|${p.name}|${p.count ?? ''}`;

interface World {
  readonly deployment: Deployment;
  /** Sorted places by `repository@digest`, as the seeded workloads give them. */
  readonly expected: Map<string, string[]>;
  readonly digestOf: (repositoryName: string, tag: string) => string;
  readonly counts: { clusters: number; services: number; tasks: number; functions: number; imagesElsewhere: number };
}

async function seedAccount(): Promise<World> {
  const { emulator } = fixture();
  const deployment = await deploy(fixture(), {}, REGISTRY, new Date());
  const digestOf = (repositoryName: string, tag: string) =>
    deployment.seeded.find((s) => s.repositoryName === repositoryName && s.imageTags.includes(tag))!.imageDigest;
  const uri = (image: Image | string) =>
    typeof image === 'string' ? image : imageUri(image.repositoryName, image.by === 'tag' ? image.tag : digestOf(image.repositoryName, image.tag));
  const refOf = (image: Image | string) => (typeof image === 'string' ? undefined : `${image.repositoryName}@${digestOf(image.repositoryName, image.tag)}`);
  const places = new Map<string, Map<string, { kind: string; cluster?: string; name: string; count?: number }>>();
  const add = (ref: string | undefined, place: { kind: string; cluster?: string; name: string; count?: number }) => {
    if (!ref) return;
    const byKey = places.get(ref) ?? new Map();
    const key = `${place.kind}|${place.cluster ?? ''}|${place.name}`;
    const known = byKey.get(key);
    byKey.set(key, { ...place, ...(place.count !== undefined ? { count: (known?.count ?? 0) + place.count } : {}) });
    places.set(ref, byKey);
  };
  let imagesElsewhere = 0;
  let tasks = 0;

  // Clusters first, in the order ListClusters gives them (an empty one included); then the workloads, one at a time,
  // so task definition revisions and function order are the same in every run.
  const ecs = new ECSClient(emulator.clientConfig());
  for (const clusterName of CLUSTERS) await ecs.send(new CreateClusterCommand({ clusterName }));
  const network = await defaultNetwork(emulator.endpoint);
  const shared = new Map<string, string>();
  for (const spec of SERVICES_SEEDED) {
    const containers = [{ name: 'app', image: uri(spec.image), essential: true }, ...(spec.sidecar ? [{ name: 'sidecar', image: spec.sidecar, essential: true }] : [])];
    let runningCount: number | undefined;
    if (spec.sharedTaskDefinition) {
      const family = spec.sharedTaskDefinition;
      if (!shared.has(family)) {
        const registered = await ecs.send(
          new RegisterTaskDefinitionCommand({ family, requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: containers }),
        );
        shared.set(family, registered.taskDefinition!.taskDefinitionArn!);
      }
      const awsvpcConfiguration = { subnets: network.subnets.slice(0, 1), securityGroups: network.securityGroups, assignPublicIp: 'DISABLED' as const };
      const service = await ecs.send(
        new CreateServiceCommand({
          cluster: spec.cluster,
          serviceName: spec.service,
          taskDefinition: shared.get(family),
          desiredCount: spec.tasks,
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration },
        }),
      );
      runningCount = service.service?.runningCount;
    } else {
      [{ runningCount }] = await runEcsServices(emulator.endpoint, [{ cluster: spec.cluster, service: spec.service, tasks: spec.tasks, containers }]);
    }
    expect([spec.service, runningCount]).toEqual([spec.service, spec.tasks]);
    add(refOf(spec.image), { kind: 'ecs-service', cluster: spec.cluster, name: spec.service, count: spec.tasks });
    tasks += spec.tasks;
    // Elsewhere: the task definition's container (read for the service) and each task's.
    const foreign = (refOf(spec.image) ? 0 : 1) + (spec.sidecar ? 1 : 0);
    imagesElsewhere += foreign * (1 + spec.tasks);
  }
  ecs.destroy();
  for (const spec of TASKS_SEEDED) {
    const { cluster, family, group } = spec;
    const run = await runEcsTask(emulator.endpoint, { cluster, family, count: spec.count, image: uri(spec.image), group });
    expect([spec.family, run.taskArns.length]).toEqual([spec.family, spec.count]);
    add(refOf(spec.image), { kind: 'ecs-task', cluster: spec.cluster, name: spec.family, count: spec.count });
    tasks += spec.count;
    if (!refOf(spec.image)) imagesElsewhere += spec.count;
  }
  const functions = FUNCTIONS_SEEDED.map((f) => ({ functionName: f.functionName, imageUri: uri(f.image) }));
  await createImageFunctions(emulator.endpoint, functions, { concurrency: 1 });
  for (const f of FUNCTIONS_SEEDED) add(refOf(f.image), { kind: 'lambda', name: f.functionName });

  const expected = new Map([...places].map(([ref, byKey]) => [ref, [...byKey.values()].map(placeString).sort()]));
  const counts = { clusters: CLUSTERS.length, services: SERVICES_SEEDED.length, tasks, functions: FUNCTIONS_SEEDED.length, imagesElsewhere };
  await emulator.resetRequests();
  proxy!.resetRequests();
  return { deployment, expected, digestOf, counts };
}

// --- Faults that do not depend on the draws.

/** Set once the account is seeded: the digest whose write with its Lambda place (merged with prod's, from part 0) fails every attempt. */
let apiDigest: string | undefined;
/**
 * Calls that fail every attempt on their first call (a try that Lambda then tries again), or lose one answer:
 * - the schedule's first ListClusters: the first try fails before it walked anything, and its retry starts anew;
 * - the first DescribeTasks of cluster jobs: that part's try fails in the middle of its cluster;
 * - the Invoke that hands over from the last cluster to the functions: that try fails after its walk, and its retry
 *   walks the cluster again and hands over;
 * - the write of shop/api v1's places once its Lambda function is seen too (merged with its prod service's, from the
 *   first part): the try of the second page fails after its other writes, and its retry merges again;
 * - the Invoke of the last part loses its answer: the SDK sends it again, so the last part runs twice;
 * - the first marker write loses its answer: its retry meets the marker it wrote (the condition lets it through).
 */
const exhaust: FaultProxyOptions['script'] = ({ service, operation, body, occurrence }) => {
  if (service === 'lambda' && operation === 'Invoke' && occurrence === 0 && drawKey(body).includes('"functionsMarker"')) return 'drop-after-forward';
  if (service === 'dynamodb' && operation === 'PutItem' && occurrence === 0) return 'drop-after-forward';
  if (occurrence >= MAX_ATTEMPTS) return undefined;
  if (service === 'ecs' && operation === 'ListClusters') return 'server-error';
  if (service === 'ecs' && operation === 'DescribeTasks' && JSON.parse(body).cluster?.endsWith('/jobs')) return 'server-error';
  if (service === 'lambda' && operation === 'Invoke' && /"phase":"lambda"/.test(body) && !body.includes('"functionsMarker"')) return 'server-error';
  if (service === 'dynamodb' && operation === 'UpdateItem' && apiDigest) {
    const params = JSON.parse(body);
    if (params.Key?.pk?.S === `image#shop/api@${apiDigest}` && params.ExpressionAttributeValues?.[':inUse']?.M?.places?.M?.['lambda:api-migrate']) return 'server-error';
  }
  return undefined;
};
/** The calls `exhaust` makes fail every attempt: each fails one try. */
const EXHAUSTED_CALLS = 4;

let proxy: FaultProxy | undefined;
const fixture = useEmulator({
  handlerEnvironment: async (emulator) => {
    proxy = await FaultProxy.start({ target: emulator.endpoint, seed: SEED, rates: RATES, services: SERVICES, script: exhaust });
    return { AWS_ENDPOINT_URL: proxy.endpoint };
  },
});
afterAll(async () => {
  closeWorkloadClients();
  await proxy?.stop();
});

// --- Reading the wire and the ledger.

/** One logical SDK call as the proxy saw it: its attempts, and how it ended for the caller. */
interface Call {
  readonly service: string;
  readonly operation: string;
  readonly params: Record<string, any>;
  readonly path: string;
  readonly attempts: ProxiedRequest[];
  /** The HTTP status the caller got, or 'failed' when its last attempt was faulted. */
  readonly result: number | 'failed';
}

function calls(requests: readonly ProxiedRequest[]): Call[] {
  const byId = new Map<string, ProxiedRequest[]>();
  for (const r of requests) byId.set(r.invocationId, [...(byId.get(r.invocationId) ?? []), r]);
  return [...byId.values()].map((attempts) => {
    const last = attempts[attempts.length - 1];
    let params: Record<string, any> = {};
    try {
      params = JSON.parse(last.body || '{}');
    } catch {
      // Not JSON (none of the discovery's calls): no parameters.
    }
    return { service: last.service, operation: last.operation, params, path: last.path, attempts, result: last.fault ? 'failed' : last.clientStatus! };
  });
}

/** The ledger table as the emulator holds it, read directly (Scan: the discovery never scans, so the request log tells them apart). */
async function ledger(tableName: string): Promise<{ places: Map<string, string[]>; marker?: Record<string, any>; items: number }> {
  const client = documentClient(new DynamoDBClient(fixture().emulator.clientConfig()));
  const items: Record<string, any>[] = [];
  let start: Record<string, any> | undefined;
  try {
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  const marker = items.find((i) => i.pk === discoveryKey().pk && i.sk === discoveryKey().sk);
  const places = new Map(
    items
      .filter((i) => i !== marker)
      .map((i) => [`${i.repositoryName}@${i.imageDigest}`, Object.values((i.inUse?.places ?? {}) as Record<string, any>).map(placeString).sort()]),
  );
  return { places, marker, items: items.length };
}

function sumMetric(values: readonly EmfMetric[], name: string): number {
  return values
    .filter((v) => v.name === name && Object.keys(v.dimensions).every((d) => d === 'service'))
    .flatMap((v) => (Array.isArray(v.value) ? v.value : [v.value]))
    .reduce((sum: number, v) => sum + Number(v), 0);
}

const errorNameOf = (error: any): string => (typeof error?.name === 'string' && error.name !== 'Error' ? error.name : `unclassified: ${String(error)}`);
const count = <T>(items: readonly T[], predicate: (item: T) => boolean) => items.filter(predicate).length;
const tally = (keys: readonly string[]) => keys.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});
const sortedEntries = (map: Map<string, string[]>) => [...map].sort(([a], [b]) => a.localeCompare(b));

/** One try of one event: what it returned or threw, its requests, its metric lines, what it invoked and the marker after it. */
interface Try {
  readonly part: number;
  readonly attempt: number;
  readonly event: Record<string, any>;
  readonly result?: DiscoverResult;
  readonly error?: unknown;
  readonly requests: ProxiedRequest[];
  readonly metrics: EmfMetric[];
  readonly invoked: number;
  readonly markerAfter?: Record<string, any>;
  /** How long the try took, in seconds. */
  readonly seconds: number;
}

// --- The run.

const FIGURES_FILE = join(REPO_ROOT, 'test-reports', 'fault-injection-discovery.json');
let figures: Record<string, unknown> | undefined;
afterAll(() => {
  if (!figures) return;
  mkdirSync(join(REPO_ROOT, 'test-reports'), { recursive: true });
  writeFileSync(FIGURES_FILE, JSON.stringify(figures, null, 2) + '\n');
  // After the log capture is restored: one summary for the run's output.
  // eslint-disable-next-line no-console
  console.log(`Discovery fault injection (seed ${SEED}), written to ${FIGURES_FILE}:\n${JSON.stringify(figures, null, 2)}`);
});

test('under throttling, server errors and dropped connections, across invocations and Lambda\'s retries, the discovery finds every place a fault-free one does', async () => {
  const started = Date.now();
  const { emulator, handlers } = fixture();
  const discover = handlers.discover as unknown as (event: unknown, context: Context) => Promise<DiscoverResult>;
  const world = await seedAccount();
  const { ledgerTableName } = world.deployment.infrastructure;
  apiDigest = world.digestOf('shop/api', 'v1');
  const p = proxy!;
  const seeded = Date.now();

  // === The fault run: each event with Lambda's tries; each Invoke that reached the emulator is an event of its own.
  const tries: Try[] = [];
  const pending: Record<string, any>[] = [SCHEDULED_EVENT];
  let eventsOutOfTries = 0;
  while (pending.length > 0) {
    const event = pending.shift()!;
    const part = Number(event.continuation?.part ?? 0);
    for (let attempt = 1; attempt <= ASYNC_ATTEMPTS; attempt++) {
      if (tries.length >= MAX_TRIES) throw new Error(`more than ${MAX_TRIES} tries: does the discovery continue forever?`);
      const mark = { requests: p.requests().length, metrics: fixture().metricLines().length, at: Date.now() };
      let result: DiscoverResult | undefined;
      let error: unknown;
      try {
        result = await discover(event, lambdaContext('discover', BUDGET_SECONDS));
      } catch (e) {
        error = e;
      }
      const seconds = (Date.now() - mark.at) / 1000;
      const invocations = await emulator.takeInvocations();
      for (const invocation of invocations) {
        expect([invocation.functionName, invocation.invocationType]).toEqual([DISCOVER_ARN, 'Event']);
        pending.push(invocation.payload as Record<string, any>);
      }
      tries.push({
        part,
        attempt,
        event,
        result,
        error,
        requests: p.requests().slice(mark.requests),
        metrics: emfMetrics(fixture().metricLines().slice(mark.metrics)),
        invoked: invocations.length,
        markerAfter: (await ledger(ledgerTableName)).marker,
        seconds,
      });
      if (result) break;
      if (attempt === ASYNC_ATTEMPTS) eventsOutOfTries++;
    }
  }
  const faultRun = Date.now();
  const faultRequests = p.requests().slice();
  const emulatorRequests = await emulator.requests();
  const faulted = await ledger(ledgerTableName);

  // === A fault-free discovery of the same account, into a clean ledger table, in one invocation.
  const cleanTable = `${ledgerTableName}-clean`;
  const dynamodb = new DynamoDBClient(emulator.clientConfig());
  const { keySchema, attributeDefinitions } = world.deployment.config.ledgerTable;
  await dynamodb.send(new CreateTableCommand({ TableName: cleanTable, KeySchema: keySchema as any, AttributeDefinitions: attributeDefinitions as any, BillingMode: 'PAY_PER_REQUEST' }));
  dynamodb.destroy();
  p.setEnabled(false);
  p.resetRequests();
  process.env[ENV.LEDGER_TABLE] = cleanTable;
  let cleanResults: DiscoverResult[];
  try {
    cleanResults = await runDiscovery(emulator, discover);
  } finally {
    process.env[ENV.LEDGER_TABLE] = ledgerTableName;
    p.setEnabled(true);
  }
  const cleanRequests = p.requests().slice();
  const clean = await ledger(cleanTable);

  // === Figures (written even if an assertion below fails).
  const failedTries = tries.filter((t) => t.error !== undefined);
  const completed = tries.filter((t) => t.result?.completedAt !== undefined);
  const continued = tries.filter((t) => t.result?.continuedInPart !== undefined);
  const partsRun = tally(tries.filter((t) => t.result).map((t) => String(t.part)));
  const byOperation = tally(faultRequests.map((r) => `${r.service}:${r.operation}`));
  const drawn = faultRequests.filter((r) => r.fault && !r.scripted);
  const lostAnswers = faultRequests.filter((r) => r.fault === 'drop-after-forward' && r.emulatorStatus !== undefined && r.emulatorStatus < 300);
  const total = summarize(faultRequests);
  figures = {
    seed: SEED,
    rates: RATES,
    account: { ...world.counts, digestsInUse: world.expected.size, images: world.deployment.seeded.length },
    seconds: { total: (Date.now() - started) / 1000, seeding: (seeded - started) / 1000, faultRun: (faultRun - seeded) / 1000 },
    requests: { total: faultRequests.length, byOperation },
    total,
    ...Object.fromEntries(SERVICES.map((s) => [s, summarize(faultRequests.filter((r) => r.service === s))])),
    answersLostAfterTakingEffect: tally(lostAnswers.map((r) => `${r.service}:${r.operation}`)),
    invocations: {
      events: tries.filter((t) => t.attempt === 1).length,
      tries: tries.length,
      failedTries: failedTries.map((t) => ({ part: t.part, attempt: t.attempt, error: errorNameOf(t.error) })),
      secondsByTry: tries.map((t) => `part ${t.part} try ${t.attempt}: ${t.seconds}s, ${t.requests.length} requests${t.error ? ', failed' : ''}`),
      retriedByLambda: count(tries, (t) => t.attempt > 1),
      continuations: continued.length,
      partsRun,
      completions: completed.length,
      eventsOutOfTries,
    },
    cleanRun: { invocations: cleanResults.length, requests: cleanRequests.length, result: cleanResults[cleanResults.length - 1] },
    places: { digests: faulted.places.size, places: [...faulted.places.values()].reduce((sum, ps) => sum + ps.length, 0) },
  };

  const startedAtOf = (t: Try) => t.event.continuation?.startedAt as string | undefined;
  const newest = completed.map(startedAtOf).filter((x): x is string => x !== undefined).sort().pop();
  const completedChain = tries.filter((t) => t.result && startedAtOf(t) === newest);

  // === 1. The discovery found exactly what the account runs: as seeded, as the fault-free run found it. (Had every try
  // of a part failed, the discovery would not have completed: then what it wrote must still be true, and no marker says
  // it completed. Check 6 asks this seed to complete.)
  expect(cleanResults).toHaveLength(1);
  expect(cleanResults[0]).toMatchObject({ ...world.counts, inUseDigests: world.expected.size, completedAt: expect.any(String) });
  expect(cleanRequests.filter((r) => r.fault)).toEqual([]);
  expect(sortedEntries(clean.places)).toEqual(sortedEntries(world.expected));
  if (completed.length > 0) {
    expect(sortedEntries(faulted.places)).toEqual(sortedEntries(clean.places));
    // No entry for a digest that runs nowhere: the image items are the digests in use, and the marker.
    expect(faulted.items).toBe(world.expected.size + 1);
    // The discovery that completed ran every continuation to its end: the ECS clusters one by one, then each page of
    // functions. (Its first part did its work too, but may have ended in a failed try: one whose Invoke took effect.)
    const parts = new Set(completedChain.map((t) => t.part));
    expect([...parts].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
  } else {
    for (const [ref, places] of faulted.places) expect([ref, places.filter((x) => !(clean.places.get(ref) ?? []).includes(x))]).toEqual([ref, []]);
    expect(faulted.marker).toBeUndefined();
  }
  for (const [repositoryName, tag] of [['shop/api', 'v3'], ['shop/web', 'v2']]) expect(faulted.places.has(`${repositoryName}@${world.digestOf(repositoryName, tag)}`)).toBe(false);

  // === 2. The marker: written only once the walk was complete, absent until then, and naming the discovery that completed.
  const markerWritten = (r: ProxiedRequest) => r.service === 'dynamodb' && r.operation === 'PutItem' && r.emulatorStatus === 200;
  let writtenBy = -1;
  for (const [i, t] of tries.entries()) {
    const puts = calls(t.requests).filter((c) => c.service === 'dynamodb' && c.operation === 'PutItem');
    if (t.result?.continuedInPart !== undefined) expect([i, puts]).toEqual([i, []]);
    if (t.result?.completedAt !== undefined) expect([i, puts.length > 0 && puts.every((c) => c.result !== 'failed')]).toEqual([i, true]);
    // A try that failed with a marker write failed at that write, its last call: its walk was complete too.
    if (t.error !== undefined && puts.length > 0) expect([i, calls(t.requests).pop()!.operation]).toEqual([i, 'PutItem']);
    for (const c of puts) expect(c.params.Item).toMatchObject({ pk: { S: discoveryKey().pk }, sk: { S: discoveryKey().sk }, entity: { S: 'discovery' } });
    if (writtenBy < 0 && t.requests.some(markerWritten)) writtenBy = i;
    expect([i, t.markerAfter !== undefined]).toEqual([i, writtenBy >= 0]);
  }
  // The marker names the newest discovery that completed (an older one never replaces it), as its last completion wrote it.
  const lastOfNewest = completed.filter((t) => startedAtOf(t) === newest).pop();
  if (lastOfNewest) {
    expect(faulted.marker).toMatchObject({ startedAt: newest, completedAt: lastOfNewest.result!.completedAt });
    expect(Date.parse(faulted.marker!.startedAt)).toBeLessThanOrEqual(Date.parse(faulted.marker!.completedAt));
  }

  // === 3. Read-only: no pull, no write to ECS, Lambda or ECR; the ledger writes are places and the marker.
  const run = emulatorRequests.filter((r) => !(r.service === EMULATOR_SERVICE.dynamodb && r.operation === 'Scan'));
  expect(run.filter((r) => r.operation === 'BatchGetImage')).toEqual([]);
  const workloadServices = [EMULATOR_SERVICE.ecs, EMULATOR_SERVICE.lambda, EMULATOR_SERVICE.ecr];
  const notRead = (service: string, operation: string) => !READ_ONLY.test(operation) && !(service === EMULATOR_SERVICE.lambda && operation === 'Invoke');
  expect(run.filter((r) => workloadServices.includes(r.service) && notRead(r.service, r.operation)).map((r) => `${r.service}:${r.operation}`)).toEqual([]);
  expect(faultRequests.filter((r) => r.service !== 'dynamodb' && notRead(EMULATOR_SERVICE[r.service], r.operation))).toEqual([]);
  expect(new Set(run.map((r) => r.service))).toEqual(new Set(Object.values(EMULATOR_SERVICE)));
  for (const r of run.filter((x) => x.service === EMULATOR_SERVICE.lambda && x.operation === 'Invoke')) {
    expect(r.params).toMatchObject({ functionName: DISCOVER_ARN, invocationType: 'Event' });
  }
  const ledgerWrites = run.filter((r) => r.service === EMULATOR_SERVICE.dynamodb && !['GetItem', 'BatchGetItem'].includes(r.operation));
  for (const r of ledgerWrites) {
    if (r.operation === 'UpdateItem') expect([r.params.Key.pk.S.startsWith('image#'), r.params.Key.sk.S]).toEqual([true, 'image']);
    else expect([r.operation, r.params.Item?.pk?.S, r.params.Item?.sk?.S]).toEqual(['PutItem', discoveryKey().pk, discoveryKey().sk]);
  }
  // The proxy and the emulator agree on what reached each service.
  const reached = (requests: readonly ProxiedRequest[]) => tally(requests.filter((r) => r.emulatorStatus !== undefined).map((r) => `${EMULATOR_SERVICE[r.service]}:${r.operation}`));
  expect(tally(run.map((r: EmulatorRequest) => `${r.service}:${r.operation}`))).toEqual(reached(faultRequests));

  // === 4. Every failed try is explained by the wire: a call that failed every attempt (or that the SDK stopped retrying), by its error.
  for (const [i, t] of tries.entries()) {
    const failedCalls = calls(t.requests).filter((c) => c.result === 'failed');
    const errors = failedCalls.map((c) => errorOfFault(c.attempts[c.attempts.length - 1]));
    expect([i, t.error !== undefined]).toEqual([i, failedCalls.length > 0]);
    if (t.error === undefined) continue;
    expect(INJECTED_ERROR_NAMES).toContain(errorNameOf(t.error));
    expect(errors).toContain(errorNameOf(t.error));
  }
  expect(fixture().logs().filter((l) => l.level === 'WARN' || l.level === 'ERROR')).toEqual([]);

  // === 5. Each try's metrics agree with the wire.
  for (const [i, t] of tries.entries()) {
    expect([i, sumMetric(t.metrics, METRIC.AWS_RETRIES), sumMetric(t.metrics, METRIC.CONTINUATIONS)]).toEqual([
      i,
      summarize(t.requests).retries,
      t.result?.continuedInPart !== undefined ? 1 : 0,
    ]);
  }

  // === 6. The run exercised what it claims. With another seed the draws differ; if this fails, pick a SEED that covers them again.
  // It completed, every event within Lambda's tries (at these rates a try of the 50-function page fails about half the time).
  expect([completed.length > 0, eventsOutOfTries]).toEqual([true, 0]);
  const drawnKinds = (service: string) => new Set(drawn.filter((r) => r.service === service).map((r) => r.fault as FaultKind));
  const errors = (service: string) => ['server-error', 'throttling'].filter((k) => drawnKinds(service).has(k as FaultKind));
  expect({
    ecs: errors('ecs'),
    lambda: errors('lambda'),
    dynamodb: errors('dynamodb'),
    allKinds: [...new Set(drawn.map((r) => r.fault))].sort(),
  }).toEqual({
    ecs: ['server-error', 'throttling'],
    lambda: ['server-error', 'throttling'],
    dynamodb: ['server-error', 'throttling'],
    allKinds: ['drop', 'drop-after-forward', 'server-error', 'throttling'],
  });
  expect(total.drawnShares.throttling).toBeGreaterThanOrEqual(0.2);
  expect(total.drawnShares['server-error']).toBeGreaterThanOrEqual(0.05);
  expect(total.retries).toBeGreaterThan(0);
  expect(continued.length).toBeGreaterThanOrEqual(5);
  // Each exhausted call failed one try, which Lambda's next try made good; the lost Invoke answer ran the last part twice.
  expect(failedTries.length).toBeGreaterThanOrEqual(EXHAUSTED_CALLS);
  expect(partsRun['5']).toBeGreaterThanOrEqual(2);
  expect(completed.length).toBeGreaterThanOrEqual(2);
  expect(lostAnswers.some((r) => r.service === 'lambda' && r.operation === 'Invoke')).toBe(true);
  expect(lostAnswers.some((r) => r.service === 'dynamodb' && r.operation === 'PutItem')).toBe(true);
}, 180_000);
