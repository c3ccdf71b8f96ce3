/**
 * The deployed service, rebuilt in the emulator without Lambda: the queues, the topic and
 * the event rule the construct creates, the three handler bundles exactly as they are
 * deployed (assets/lambda/*), and the part of Lambda that feeds them (an SQS event source
 * with partial batch responses, and EventBridge's asynchronous invocation).
 *
 * moto cannot invoke Lambda from a queue or a rule, so the rule targets an SQS queue and
 * `deliverScanEvents` hands each event that arrives there to the report handler, and
 * `runQueue` polls the rescan queue as Lambda's event source mapping would.
 */
import { randomUUID } from 'crypto';
import { existsSync } from 'fs';
import { join } from 'path';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityBatchCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { Emulator, REPO_ROOT } from './emulator/emulator';
import type { LedgerTableDefinition } from './service';

/** What the construct deploys around the handlers, created in the emulator. */
export interface Infrastructure {
  readonly rescanQueueUrl: string;
  readonly rescanQueueArn: string;
  readonly rescanDeadLetterQueueUrl: string;
  /** Where the scan-event rule delivers (moto cannot target Lambda). */
  readonly scanEventQueueUrl: string;
  /** Where the Inspector rules deliver, as in the construct: the Inspector report function's event source. */
  readonly inspectorEventQueueUrl: string;
  readonly inspectorEventQueueArn: string;
  /** The Inspector queue's dead-letter queue (in the construct, the event dead-letter queue). */
  readonly inspectorDeadLetterQueueUrl: string;
  readonly topicArn: string;
  /** An SQS queue subscribed to the topic: what a subscriber receives. */
  readonly subscriberQueueUrl: string;
  /** The ledger table, with the template's key schema and TTL attribute. */
  readonly ledgerTableName: string;
}

export interface InfrastructureOptions {
  /** The rescan queue's redrive: deliveries before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** The scan-event rule's pattern, as the construct synthesizes it. */
  readonly scanEventPattern: Record<string, unknown>;
  /** The Inspector rules' patterns, as the construct synthesizes them (none when `inspectorReports` is off). */
  readonly inspectorEventPatterns?: readonly Record<string, unknown>[];
  /** The ledger table, as the construct synthesizes it. */
  readonly ledgerTable: LedgerTableDefinition;
}

/**
 * moto's default rule-to-SQS delivery leaves out the event's `account` field, which real
 * EventBridge always sends; this transformer rebuilds the whole standard envelope.
 */
const FULL_EVENT_TRANSFORMER = {
  InputPathsMap: {
    id: '$.id',
    detailType: '$.detail-type',
    source: '$.source',
    account: '$.account',
    time: '$.time',
    region: '$.region',
    resources: '$.resources',
    detail: '$.detail',
  },
  InputTemplate:
    '{"version": "0", "id": "<id>", "detail-type": "<detailType>", "source": "<source>", "account": "<account>", ' +
    '"time": "<time>", "region": "<region>", "resources": <resources>, "detail": <detail>}',
};

async function queue(sqs: SQSClient, name: string, attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = created.QueueUrl as string;
  const read = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return { url, arn: read.Attributes?.QueueArn as string };
}

export async function createInfrastructure(emulator: Emulator, options: InfrastructureOptions): Promise<Infrastructure> {
  const config = emulator.clientConfig();
  const sqs = new SQSClient(config);
  const sns = new SNSClient(config);
  const eventBridge = new EventBridgeClient(config);
  const dynamodb = new DynamoDBClient(config);
  try {
    const deadLetter = await queue(sqs, 'rescan-dead-letter');
    const rescan = await queue(sqs, 'rescan', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount: options.maxReceiveCount }),
    });
    const scanEvents = await queue(sqs, 'scan-events');
    await eventBridge.send(new PutRuleCommand({ Name: 'scan-event-rule', EventPattern: JSON.stringify(options.scanEventPattern) }));
    await eventBridge.send(
      new PutTargetsCommand({
        Rule: 'scan-event-rule',
        Targets: [{ Id: 'report', Arn: scanEvents.arn, InputTransformer: FULL_EVENT_TRANSFORMER }],
      }),
    );
    const inspectorDeadLetter = await queue(sqs, 'inspector-dead-letter');
    const inspectorEvents = await queue(sqs, 'inspector-events', {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: inspectorDeadLetter.arn, maxReceiveCount: options.maxReceiveCount }),
    });
    for (const [i, pattern] of (options.inspectorEventPatterns ?? []).entries()) {
      await eventBridge.send(new PutRuleCommand({ Name: `inspector-rule-${i}`, EventPattern: JSON.stringify(pattern) }));
      await eventBridge.send(
        new PutTargetsCommand({ Rule: `inspector-rule-${i}`, Targets: [{ Id: 'inspector', Arn: inspectorEvents.arn, InputTransformer: FULL_EVENT_TRANSFORMER }] }),
      );
    }
    const topic = await sns.send(new CreateTopicCommand({ Name: 'scan-reports' }));
    const subscriber = await queue(sqs, 'report-subscriber');
    await sns.send(new SubscribeCommand({ TopicArn: topic.TopicArn, Protocol: 'sqs', Endpoint: subscriber.arn }));
    const ledgerTableName = 'ledger';
    await dynamodb.send(
      new CreateTableCommand({
        TableName: ledgerTableName,
        KeySchema: options.ledgerTable.keySchema as any,
        AttributeDefinitions: options.ledgerTable.attributeDefinitions as any,
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await dynamodb.send(
      new UpdateTimeToLiveCommand({
        TableName: ledgerTableName,
        TimeToLiveSpecification: { AttributeName: options.ledgerTable.ttlAttribute, Enabled: true },
      }),
    );
    return {
      rescanQueueUrl: rescan.url,
      rescanQueueArn: rescan.arn,
      rescanDeadLetterQueueUrl: deadLetter.url,
      scanEventQueueUrl: scanEvents.url,
      inspectorEventQueueUrl: inspectorEvents.url,
      inspectorEventQueueArn: inspectorEvents.arn,
      inspectorDeadLetterQueueUrl: inspectorDeadLetter.url,
      topicArn: topic.TopicArn as string,
      subscriberQueueUrl: subscriber.url,
      ledgerTableName,
    };
  } finally {
    sqs.destroy();
    sns.destroy();
    eventBridge.destroy();
    dynamodb.destroy();
  }
}

export type Handler<E, R> = (event: E, context: Context) => Promise<R>;

/** What the Inspector report bundle says one scan event or finding group came to (src/lambda/inspector-report.lambda.ts). */
export interface InspectorOutcome {
  readonly repositoryName: string;
  readonly imageDigest: string;
  readonly records: number;
  readonly outcome: {
    readonly published: boolean;
    readonly reason: string;
    readonly withheld?: string;
    readonly news?: string;
    readonly newFindings?: number;
  };
}

export interface Handlers {
  readonly dispatch: Handler<unknown, { registryScanType: string; repositoriesListed: number; repositoriesSelected: number; messagesSent: number }>;
  readonly rescan: Handler<SQSEvent, SQSBatchResponse>;
  readonly report: Handler<
    unknown,
    { published: boolean; reason: string; messageId?: string; news?: string; newFindings?: number; owner?: string; inUse?: string }
  >;
  readonly discover: Handler<unknown, { inUseDigests: number; tasks: number; functions: number; continuedInPart?: number; completedAt?: string }>;
  readonly inspectorReport: Handler<SQSEvent, SQSBatchResponse & { outcomes: InspectorOutcome[] }>;
  readonly summary: Handler<unknown, { messageId?: string; itemsScanned: number; pages: number; capacityUnits?: number; bytes: number }>;
}

/**
 * Loads the handler bundles as Lambda would (assets/lambda/*, built by `npx projen bundle`).
 * Their SDK clients are created at load time from the environment, so call this after
 * `process.env` holds the emulator's variables (Emulator.environment()).
 */
export function loadHandlers(): Handlers {
  const load = (name: string) => {
    const file = join(REPO_ROOT, 'assets', 'lambda', `${name}.lambda`, 'index.js');
    if (!existsSync(file)) throw new Error(`${file} is missing; run \`npx projen bundle\` first`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file).handler;
  };
  return {
    dispatch: load('dispatch'),
    rescan: load('rescan'),
    report: load('report'),
    discover: load('discover'),
    inspectorReport: load('inspector-report'),
    summary: load('summary'),
  };
}

/** A Lambda context good enough for Powertools; the deadline is `timeoutSeconds` from now. */
export function lambdaContext(functionName: string, timeoutSeconds = 600): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/27/[$LATEST]emulator',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const a = message.Attributes ?? {};
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? 'AIDAEMULATOR',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

export interface QueueRun {
  readonly invocations: number;
  readonly recordsDelivered: number;
  /** Records the handler reported as failed (or all of a batch whose invocation threw). */
  readonly recordsFailed: number;
  /** Message ids the handler reported as failed, in order, repeats included. */
  readonly failedMessageIds: readonly string[];
}

/**
 * Lambda's SQS event source, run until the queue is empty: receives batches of up to
 * `batchSize`, invokes the handler, deletes what succeeded and makes what failed visible
 * again at once (as if its visibility timeout had passed), so the queue's redrive policy
 * moves a message that keeps failing to the dead-letter queue after maxReceiveCount.
 */
export async function runQueue(
  sqs: SQSClient,
  queueUrl: string,
  queueArn: string,
  handler: Handler<SQSEvent, SQSBatchResponse>,
  options: { batchSize: number; functionName?: string; maxInvocations?: number; timeoutSeconds?: number },
): Promise<QueueRun> {
  let invocations = 0;
  let recordsDelivered = 0;
  const failedMessageIds: string[] = [];
  const maxInvocations = options.maxInvocations ?? 1000;
  for (;;) {
    // SQS hands out at most 10 messages a call; Lambda's poller gathers a batch of up to batchSize (100 for the
    // Inspector queue, within its batching window) from several calls, as this does from what is there now.
    const messages: Message[] = [];
    while (messages.length < options.batchSize) {
      const received = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, options.batchSize - messages.length),
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if ((received.Messages ?? []).length === 0) break;
      messages.push(...(received.Messages ?? []));
    }
    if (messages.length === 0) break;
    if (++invocations > maxInvocations) throw new Error(`runQueue: more than ${maxInvocations} invocations; is a message retried forever?`);
    recordsDelivered += messages.length;
    const records = messages.map((m) => toRecord(m, queueArn));
    let failed: Set<string>;
    try {
      const response = await handler({ Records: records }, lambdaContext(options.functionName ?? 'rescan', options.timeoutSeconds));
      failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    } catch {
      failed = new Set(records.map((r) => r.messageId));
    }
    failedMessageIds.push(...records.filter((r) => failed.has(r.messageId)).map((r) => r.messageId));
    const done = messages.filter((m) => !failed.has(m.MessageId as string));
    const retry = messages.filter((m) => failed.has(m.MessageId as string));
    // 10 entries a call, as SQS allows.
    for (let start = 0; start < done.length; start += 10) {
      const part = done.slice(start, start + 10);
      const entries = part.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle }));
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
    }
    for (let start = 0; start < retry.length; start += 10) {
      const part = retry.slice(start, start + 10);
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: part.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    }
  }
  return { invocations, recordsDelivered, recordsFailed: failedMessageIds.length, failedMessageIds };
}

/**
 * Runs the dispatch handler as its schedule would, then each asynchronous invocation it
 * made of itself (a registry too large for one invocation continues that way; the emulator
 * records the invocations), until none is left. Returns every invocation's result.
 */
export async function runDispatch<R>(
  emulator: Emulator,
  dispatch: Handler<unknown, R>,
  options: { timeoutSeconds?: number; maxInvocations?: number } = {},
): Promise<R[]> {
  const results: R[] = [];
  const pending: unknown[] = [{ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }];
  while (pending.length > 0) {
    if (results.length >= (options.maxInvocations ?? 1000)) throw new Error('runDispatch: too many invocations; does dispatch continue forever?');
    results.push(await dispatch(pending.shift(), lambdaContext('dispatch', options.timeoutSeconds)));
    for (const invocation of await emulator.takeInvocations()) {
      if (invocation.functionName !== lambdaContext('dispatch').invokedFunctionArn) {
        throw new Error(`runDispatch: dispatch invoked an unexpected function ${invocation.functionName}`);
      }
      pending.push(invocation.payload);
    }
  }
  return results;
}

/**
 * Runs the in-use discovery as its schedule would, then each asynchronous invocation it made of
 * itself (an account too large for one invocation continues that way), until none is left.
 */
export async function runDiscovery<R>(
  emulator: Emulator,
  discover: Handler<unknown, R>,
  options: { timeoutSeconds?: number; maxInvocations?: number } = {},
): Promise<R[]> {
  const results: R[] = [];
  const pending: unknown[] = [{ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }];
  while (pending.length > 0) {
    if (results.length >= (options.maxInvocations ?? 1000)) throw new Error('runDiscovery: too many invocations; does the discovery continue forever?');
    results.push(await discover(pending.shift(), lambdaContext('discover', options.timeoutSeconds)));
    for (const invocation of await emulator.takeInvocations()) {
      if (invocation.functionName !== lambdaContext('discover').invokedFunctionArn) {
        throw new Error(`runDiscovery: the discovery invoked an unexpected function ${invocation.functionName}`);
      }
      pending.push(invocation.payload);
    }
  }
  return results;
}

/** Receives and deletes everything on a queue; returns the messages in the order received. */
export async function drainQueue(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return all;
    all.push(...messages);
    await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }),
    );
  }
}

export interface ScanEventDelivery {
  readonly event: Record<string, any>;
  readonly result?: Awaited<ReturnType<Handlers['report']>>;
  readonly error?: unknown;
}

/**
 * EventBridge's asynchronous invocation of the report function: every event the rule
 * delivered to the scan-event queue is handed to the handler once.
 */
export async function deliverScanEvents(sqs: SQSClient, queueUrl: string, report: Handlers['report']): Promise<ScanEventDelivery[]> {
  const deliveries: ScanEventDelivery[] = [];
  for (const message of await drainQueue(sqs, queueUrl)) {
    const event = JSON.parse(message.Body as string) as Record<string, any>;
    try {
      deliveries.push({ event, result: await report(event, lambdaContext('report')) });
    } catch (error) {
      deliveries.push({ event, error });
    }
  }
  return deliveries;
}

/** A notification as an SQS subscriber of the topic receives it (SNS's JSON envelope). */
export interface Notification {
  readonly Subject?: string;
  readonly Message: string;
  readonly MessageAttributes?: Record<string, { Type: string; Value: string }>;
  readonly TopicArn: string;
}

export async function receiveNotifications(sqs: SQSClient, queueUrl: string): Promise<Notification[]> {
  return (await drainQueue(sqs, queueUrl)).map((m) => JSON.parse(m.Body as string) as Notification);
}
