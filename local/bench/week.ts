/**
 * One side's week: N consecutive simulated days against the emulator, state carried over from day
 * to day (the ledger, ECR's scan times and findings), the emulator reset once at the start, and
 * seeded identically for every side. Each day:
 *
 * 1. the clocks move to day d (ECR's in the emulator, and the handlers' in their processes);
 * 2. the daily cycle: the in-use discovery (when the construct deploys it, as it does by default),
 *    dispatch, then rescan (this library's bundles, our-cycle.ts), or the Python tool's repository
 *    and images functions (python-tool/runner.py);
 * 3. ECR finishes the scans it accepted that day: each digest's findings of the day from the world
 *    (or FAILED), seeded as its DescribeImageScanFindings answer, and its "ECR Image Scan" event
 *    sent with PutEvents, as local/demo.ts does;
 * 4. the events, through the rule to a queue, feed the side's report function (the library's
 *    bundle, or the Python tool's reporter), one invocation per event;
 * 5. what a subscriber of the topic received is compared with the day's news (news.ts), all of it
 *    and the news of the digests that run (running.ts), and the request log of each stage is
 *    counted (ECR, DynamoDB, and the discovery's ECS and Lambda, by operation).
 *
 * Before day 1, after the reset and the images, the week's workloads (running.ts) are seeded:
 * ECS services and Lambda image functions that run some of the digests, the same on every side.
 */
import { join } from 'path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { StageResult, emulatorCpuSeconds, runChild } from './children';
import { ImageIndex, ScanState, afterScans, auditScans, dueOn, floorOfDay, initialScanStates } from './daily';
import { assembleDay } from './day-record';
import { itemSizeBytes, keyOf } from './dynamodb-cost';
import { LoggedRequest, ecrRequests } from './measure';
import { FinishedScan, History, Thresholds, newsOfDay, nextHistory, tallyNews, tallyRunning } from './news';
import type { BenchOptions } from './options';
import { BenchRegistry, DAY_MS } from './registry';
import type { Workloads } from './running';
import type { DayRecord } from './week-report';
import { World, digestKey, findingsOn, findingsResponse, scanEventDetail, scanOutcome } from './world';
import { Emulator, REPO_ROOT } from '../emulator/emulator';
import { closeWorkloadClients, createImageFunctions, imageUri, runEcsServices } from '../emulator/workloads';
import { Infrastructure, createInfrastructure, receiveNotifications } from '../pipeline';
import { ServiceConfiguration, resolveEnvironment } from '../service';

export type SideKey = 'library' | 'everyScan' | 'python' | 'inUse';

export interface SideSpec {
  readonly key: SideKey;
  readonly name: string;
  /** The construct's configuration for this side (the Python side uses the library's for its rule and topic). */
  readonly service: ServiceConfiguration;
}

export interface WeekContext {
  readonly emulator: Emulator;
  readonly registry: BenchRegistry;
  readonly world: World;
  /** The digests that run, and where (seeded on every side). */
  readonly workloads: Workloads;
  readonly index: ImageIndex;
  readonly options: BenchOptions;
  readonly thresholds: Thresholds;
  /** The Python tool's threshold variables. */
  readonly pythonThresholds: Record<string, string>;
  readonly workDir: string;
  /** The bundled our-cycle.ts. */
  readonly ourCycle: string;
  readonly python: string;
  readonly progress: (message: string) => void;
}

/** Day 1's daily cycle, in the shape of the one-day comparison (bench.ts' sideResult). */
export interface CycleRun {
  readonly stages: Record<string, StageResult>;
  readonly emulatorCpuSeconds: number;
  readonly requests: LoggedRequest[];
}

export interface WeekRun {
  readonly days: DayRecord[];
  readonly day1: CycleRun;
}

/** The images and their findings before the run, as ECR answers for them on day 1. */
async function seedWorld(emulator: Emulator, registry: BenchRegistry, world: World): Promise<void> {
  await emulator.seedRepositories(registry.repositories.map((r) => r.name));
  for (const repository of registry.repositories) {
    await emulator.seedImages(
      repository.name,
      repository.images.map((image) => {
        const key = digestKey(image.repositoryName, image.imageDigest);
        const findings =
          image.lastScan === null
            ? undefined
            : findingsResponse(emulator.accountId, image.repositoryName, image.imageDigest, image.kind === 'failed' ? 'FAILED' : 'COMPLETE', findingsOn(world, key, 1), image.lastScan);
        return { imageDigest: image.imageDigest, tags: image.tags, pushedAt: image.pushedAt, lastScan: image.lastScan, findings };
      }),
    );
  }
}

/** The week's workloads, seeded with plain ECS and Lambda calls (local/emulator/workloads.ts); each names its image by digest. */
async function seedWorkloads(emulator: Emulator, workloads: Workloads): Promise<void> {
  try {
    const services = await runEcsServices(
      emulator.endpoint,
      workloads.services.map((s) => ({ cluster: s.cluster, service: s.service, tasks: s.tasks, image: imageUri(s.repositoryName, s.imageDigest) })),
    );
    const short = services.filter((s, i) => s.runningCount !== workloads.services[i].tasks);
    if (short.length > 0) throw new Error(`ECS started fewer tasks than asked for ${short.map((s) => `${s.cluster}/${s.service}`).join(', ')}`);
    await createImageFunctions(
      emulator.endpoint,
      workloads.functions.map((f) => ({ functionName: f.functionName, imageUri: imageUri(f.repositoryName, f.imageDigest) })),
    );
  } finally {
    closeWorkloadClients(emulator.endpoint);
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** ECR finishes the day's scans: each one's findings seeded, and its event sent. */
async function finishScans(ctx: WeekContext, scans: readonly (FinishedScan & { tags: readonly string[] })[], completedAt: Date): Promise<void> {
  const { emulator } = ctx;
  await pool(scans, 8, async (scan) => {
    const image = ctx.index.byKey.get(scan.key)!;
    const response = findingsResponse(emulator.accountId, image.repositoryName, image.imageDigest, scan.status, scan.findings, completedAt);
    await emulator.seedImageScan(image.repositoryName, image.imageDigest, completedAt, response);
  });
  const eventBridge = new EventBridgeClient(emulator.clientConfig());
  try {
    const entries: PutEventsRequestEntry[] = scans.map((scan) => {
      const image = ctx.index.byKey.get(scan.key)!;
      return {
        Source: 'aws.ecr',
        DetailType: 'ECR Image Scan',
        Time: completedAt,
        Resources: [`arn:aws:ecr:${emulator.region}:${emulator.accountId}:repository/${image.repositoryName}`],
        Detail: JSON.stringify(scanEventDetail(image.repositoryName, image.imageDigest, image.tags, scan.status, scan.findings)),
      };
    });
    for (let start = 0; start < entries.length; start += 10) {
      const sent = await eventBridge.send(new PutEventsCommand({ Entries: entries.slice(start, start + 10) }));
      if (sent.FailedEntryCount) throw new Error(`PutEvents refused ${sent.FailedEntryCount} scan events: ${JSON.stringify(sent.Entries)}`);
    }
  } finally {
    eventBridge.destroy();
  }
}

/** The ledger's item sizes at the end of the day, by key (keyOf), read with Scan (the harness's, not counted). */
async function ledgerSizes(emulator: Emulator, tableName: string): Promise<Map<string, number>> {
  const client = new DynamoDBClient(emulator.clientConfig());
  const sizes = new Map<string, number>();
  try {
    let start: Record<string, any> | undefined;
    do {
      const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) sizes.set(keyOf({ pk: item.pk, sk: item.sk } as any), itemSizeBytes(item as any));
      start = page.LastEvaluatedKey;
    } while (start);
  } finally {
    client.destroy();
  }
  return sizes;
}

interface SideSetup {
  readonly infrastructure: Infrastructure;
  readonly cycleStages: readonly string[];
  readonly run: (stage: string, offsetMs: number, day: number) => Promise<StageResult>;
}

async function setUp(ctx: WeekContext, side: SideSpec): Promise<SideSetup> {
  const { emulator, options } = ctx;
  const service = side.service;
  const infrastructure = await createInfrastructure(emulator, {
    maxReceiveCount: service.maxReceiveCount,
    scanEventPattern: service.scanEventPattern,
    ledgerTable: service.ledgerTable,
  });
  if (side.key !== 'python') {
    const environment: Record<string, string> = Object.assign(
      {},
      ...Object.values(service.environments).map((variables) => resolveEnvironment(variables, service, infrastructure)),
    );
    return {
      infrastructure,
      // The discovery runs on the rescan schedule; here first, so the day's reports read today's view.
      cycleStages: service.environments.discover ? ['discover', 'dispatch', 'rescan'] : ['dispatch', 'rescan'],
      run: (stage, offsetMs, day) =>
        runChild(
          process.execPath,
          [ctx.ourCycle],
          {
            ...emulator.environment(),
            ...environment,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            BENCH_STAGE: stage,
            BENCH_REPO_ROOT: REPO_ROOT,
            BENCH_QUEUE_URL: infrastructure.rescanQueueUrl,
            BENCH_QUEUE_ARN: infrastructure.rescanQueueArn,
            BENCH_BATCH_SIZE: String(service.batchSize),
            BENCH_SCAN_EVENT_QUEUE_URL: infrastructure.scanEventQueueUrl,
            BENCH_CLOCK_OFFSET_MS: String(offsetMs),
          },
          join(ctx.workDir, `${side.key}-day${day}-${stage}.json`),
        ),
    };
  }
  // The Python tool's own jobs queue; its reporter gets the events through the same rule pattern and topic.
  const sqs = new SQSClient(emulator.clientConfig());
  // A long visibility timeout: the harness deletes each batch after the handler returns, however long it took.
  const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'ecr-scan-jobs', Attributes: { VisibilityTimeout: '43200' } }));
  sqs.destroy();
  return {
    infrastructure,
    cycleStages: ['repository', 'images'],
    run: (stage, offsetMs, day) =>
      runChild(
        ctx.python,
        [join(__dirname, 'python-tool', 'runner.py')],
        {
          ...emulator.environment(),
          BENCH_STAGE: stage,
          IMAGES_SCAN_JOBS_QUEUE_URL: queue.QueueUrl as string,
          BENCH_SEED: String(options.seed),
          // The tool's defaults: a 7-day window, every repository, ECS discovery off.
          ECR_IMAGES_DURATION_DELTA: `${ctx.registry.scanExpiryDays}d`,
          ...(options.pythonRetryMode ? { AWS_RETRY_MODE: options.pythonRetryMode } : {}),
          BENCH_CLOCK_OFFSET_MS: String(offsetMs),
          BENCH_SCAN_EVENT_QUEUE_URL: infrastructure.scanEventQueueUrl,
          BENCH_SUBSCRIBER_QUEUE_URL: infrastructure.subscriberQueueUrl,
          ECR_SNS_REPORT_TOPIC_ARN: infrastructure.topicArn,
          ...ctx.pythonThresholds,
        },
        join(ctx.workDir, `python-day${day}-${stage}.json`),
      ),
  };
}

/** The digests the day's notifications are about, and (library) their `news` fields. */
async function notificationsOf(
  ctx: WeekContext,
  side: SideSpec,
  setup: SideSetup,
  report: StageResult,
): Promise<{ keys: string[]; byNews?: Record<string, number> }> {
  if (side.key === 'python') {
    // runner.py drained the subscriber after each event: its notifications are that event's digest's.
    const keys: string[] = [];
    for (const event of report.outcome.events as { repositoryName: string; imageDigest: string; notifications: string[] }[]) {
      for (let i = 0; i < event.notifications.length; i++) keys.push(digestKey(event.repositoryName, event.imageDigest));
    }
    return { keys };
  }
  const sqs = new SQSClient(ctx.emulator.clientConfig());
  try {
    const keys: string[] = [];
    const byNews: Record<string, number> = {};
    for (const notification of await receiveNotifications(sqs, setup.infrastructure.subscriberQueueUrl)) {
      // The SQS subscriber gets the JSON document (the `default` key) inside SNS's envelope.
      const document = JSON.parse(notification.Message) as { repositoryName: string; imageDigest: string; news?: string };
      keys.push(digestKey(document.repositoryName, document.imageDigest));
      byNews[document.news ?? '(none)'] = (byNews[document.news ?? '(none)'] ?? 0) + 1;
    }
    return { keys, byNews };
  } finally {
    sqs.destroy();
  }
}

const sumOf = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export async function runWeek(ctx: WeekContext, side: SideSpec): Promise<WeekRun> {
  const { emulator, registry, world } = ctx;
  await emulator.reset();
  const setup = await setUp(ctx, side);
  await seedWorld(emulator, registry, world);
  await seedWorkloads(emulator, ctx.workloads); // the day's request log starts after it
  let states: Map<string, ScanState> = initialScanStates(registry);
  let history: History = new Map();
  const days: DayRecord[] = [];
  let day1: CycleRun | undefined;
  const hasLedger = side.key !== 'python';

  for (let day = 1; day <= ctx.options.days; day++) {
    const offsetMs = (day - 1) * DAY_MS;
    await emulator.setClock(offsetMs);
    await emulator.resetRequests();
    const simulatedNow = new Date(Date.now() + offsetMs);
    const due = dueOn(states, simulatedNow, registry.scanExpiryDays);

    // 2. The daily cycle.
    const stages: Record<string, StageResult> = {};
    const cpuBefore = emulatorCpuSeconds(emulator.port);
    for (const stage of setup.cycleStages) stages[stage] = await setup.run(stage, offsetMs, day);
    const cycleCpu = emulatorCpuSeconds(emulator.port) - cpuBefore;
    const cycleRequests = await emulator.requests();
    await emulator.resetRequests();
    if (day === 1) day1 = { stages, emulatorCpuSeconds: cycleCpu, requests: ecrRequests(cycleRequests) };

    // 3. ECR finishes the scans it accepted, all at one moment a second after the cycle.
    const audit = auditScans(ctx.index, due, cycleRequests);
    const completedAt = new Date(Math.ceil((Date.now() + offsetMs + 1000) / 1000) * 1000);
    const finished = audit.accepted.map((key) => {
      const status = scanOutcome(world, key, day);
      return { key, status, findings: status === 'COMPLETE' ? findingsOn(world, key, day) : [], tags: ctx.index.byKey.get(key)!.tags };
    });
    const finishStarted = Date.now();
    await finishScans(ctx, finished, completedAt);
    const finishSeconds = (Date.now() - finishStarted) / 1000;
    await emulator.resetRequests(); // the harness's PutEvents are not the side's calls

    // 4. The report function on the events.
    const report = await setup.run(side.key === 'python' ? 'findings' : 'report', offsetMs, day);
    const reportRequests = await emulator.requests();
    await emulator.resetRequests();

    // 5. Notifications against the news.
    const notifications = await notificationsOf(ctx, side, setup, report);
    const news = newsOfDay(history, finished, ctx.thresholds);
    const tally = tallyNews(news, notifications.keys);
    const running = ctx.workloads.running;
    const runningTally = tallyRunning(news, notifications.keys, running);
    history = nextHistory(history, finished);
    states = afterScans(states, finished.map((s) => ({ key: s.key, status: s.status, at: completedAt })));

    const sizes = hasLedger ? await ledgerSizes(emulator, setup.infrastructure.ledgerTableName) : new Map<string, number>();
    await emulator.resetRequests(); // the harness's Scan
    const record = assembleDay({
      day,
      simulatedAt: simulatedNow,
      digestsGainingCves: world.gained[day]?.length ?? 0,
      due: due.size,
      floor: floorOfDay(registry, due.size),
      audit,
      finished,
      cycleRequests,
      reportRequests,
      ledgerSizes: hasLedger ? sizes : undefined,
      notificationsByNews: notifications.byNews,
      tally,
      running: { tally: runningTally, digests: running.size, scansFinished: finished.filter((s) => running.has(s.key)).length },
      python: side.key === 'python',
      stages,
      report,
      finishSeconds,
    });
    days.push(record);
    ctx.progress(
      `  ${side.key} day ${day}: ${record.due} due, ${record.scans.started} scanned; ECR ${record.ecrCalls.total} ` +
        `(floor ${record.statelessFloor.total}); DynamoDB ${record.dynamodbCalls.total}; news ${record.news}, ` +
        `notifications ${record.notifications}, missed ${record.missedNews}, repeats ${record.repeats}; ` +
        (side.key === 'inUse'
          ? `running images: news ${runningTally.news}, notifications ${runningTally.notifications}, missed ${runningTally.missedNews}, ` +
            `repeats ${runningTally.repeats} (${runningTally.outOfScope} about images that do not run); `
          : `running images: news ${runningTally.news}, notifications about them ${runningTally.aboutRunning}; `) +
        `ECS ${record.ecsCalls?.total ?? 0}, Lambda ${record.lambdaCalls?.total ?? 0}; ` +
        `${sumOf(Object.values(record.wallSeconds)).toFixed(1)} s`,
    );
  }
  return { days, day1: day1! };
}
