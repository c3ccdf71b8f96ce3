/**
 * What the construct configures, read from its synthesized template: each handler's
 * environment, the scan-event rule's pattern, the rescan queue's redrive and the event
 * source's batch size. The emulator runs use these, so the construct-to-handler contract
 * is exercised end to end: a prop that no longer reaches its handler fails the run.
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { Emulator } from './emulator/emulator';
import { Infrastructure, createInfrastructure } from './pipeline';
import { SeededImage, SeedRepository, seedRegistry } from './registry';
import { EcrScanReporter, EcrScanReporterProps } from '../src';

export interface ServiceConfiguration {
  /** Each handler's environment variables, with the queue URL and topic ARN still as references. */
  readonly environments: {
    readonly dispatch: Record<string, unknown>;
    readonly rescan: Record<string, unknown>;
    readonly report: Record<string, unknown>;
    /** The in-use discovery's, when `inUseDiscovery` is on. */
    readonly discover?: Record<string, unknown>;
    /** The Inspector report function's, when `inspectorReports` is on (the report function's, in fact). */
    readonly inspectorReport?: Record<string, unknown>;
    /** The summary function's, unless `summary` is `SummarySchedule.off()`. */
    readonly summary?: Record<string, unknown>;
  };
  readonly scanEventPattern: Record<string, unknown>;
  /** The Inspector rules' patterns (initial scans, findings), when `inspectorReports` is on. */
  readonly inspectorEventPatterns: Record<string, unknown>[];
  /** The Inspector event source's batch size. */
  readonly inspectorBatchSize?: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  /** The ledger table as the template defines it: its key and TTL attribute. */
  readonly ledgerTable: LedgerTableDefinition;
  /** Logical IDs of the resources handlers are pointed at. */
  readonly rescanQueueId: string;
  readonly topicId: string;
  readonly ledgerTableId: string;
}

/** The parts of an AWS::DynamoDB::Table the emulator's copy needs. */
export interface LedgerTableDefinition {
  readonly keySchema: { AttributeName: string; KeyType: string }[];
  readonly attributeDefinitions: { AttributeName: string; AttributeType: string }[];
  readonly ttlAttribute: string;
}

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function only(resources: Resources, what: string): [string, { Properties: Record<string, any> }] {
  const entries = Object.entries(resources);
  if (entries.length !== 1) throw new Error(`expected one ${what} in the template, found ${entries.length}`);
  return entries[0];
}

export function synthesizeService(props: EcrScanReporterProps = {}): ServiceConfiguration {
  const app = new App();
  const stack = new Stack(app, 'Service', { env: { account: '123456789012', region: 'us-east-1' } });
  const reporter = new EcrScanReporter(stack, 'ScanReporter', props);
  const template = Template.fromStack(stack);
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as any);

  const functions = template.findResources('AWS::Lambda::Function') as Resources;
  const environment = (fn: { node: { defaultChild?: unknown } }) => functions[id(fn)].Properties.Environment.Variables as Record<string, unknown>;

  const rescanQueueId = id(reporter.rescanQueue);
  const queue = (template.findResources('AWS::SQS::Queue') as Resources)[rescanQueueId];
  const [, rule] = only(
    template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.ecr'] } } }) as Resources,
    'scan-event rule',
  );
  const mappings = template.findResources('AWS::Lambda::EventSourceMapping') as Resources;
  const mappingOf = (queueId: string) =>
    only(Object.fromEntries(Object.entries(mappings).filter(([, m]) => m.Properties.EventSourceArn?.['Fn::GetAtt']?.[0] === queueId)), `event source mapping of ${queueId}`);
  const [, mapping] = mappingOf(rescanQueueId);
  const inspectorMapping = reporter.inspectorEventQueue ? mappingOf(id(reporter.inspectorEventQueue as any))[1] : undefined;
  const inspectorRules = template.findResources('AWS::Events::Rule', { Properties: { EventPattern: { source: ['aws.inspector2'] } } }) as Resources;
  const [ledgerTableId, table] = only(template.findResources('AWS::DynamoDB::Table') as Resources, 'ledger table');
  return {
    environments: {
      dispatch: environment(reporter.dispatchFunction),
      rescan: environment(reporter.rescanFunction),
      report: environment(reporter.reportFunction),
      ...(reporter.discoverFunction ? { discover: environment(reporter.discoverFunction) } : {}),
      ...(reporter.inspectorReportFunction ? { inspectorReport: environment(reporter.inspectorReportFunction) } : {}),
      ...(reporter.summaryFunction ? { summary: environment(reporter.summaryFunction) } : {}),
    },
    scanEventPattern: rule.Properties.EventPattern,
    inspectorEventPatterns: Object.values(inspectorRules).map((r) => r.Properties.EventPattern),
    ...(inspectorMapping ? { inspectorBatchSize: inspectorMapping.Properties.BatchSize } : {}),
    maxReceiveCount: queue.Properties.RedrivePolicy.maxReceiveCount,
    batchSize: mapping.Properties.BatchSize,
    ledgerTable: {
      keySchema: table.Properties.KeySchema,
      attributeDefinitions: table.Properties.AttributeDefinitions,
      ttlAttribute: table.Properties.TimeToLiveSpecification.AttributeName,
    },
    rescanQueueId,
    topicId: id(reporter.topic as any),
    ledgerTableId,
  };
}

/**
 * A handler's environment with the template's references replaced by the emulator's
 * resources: `{ Ref: rescan queue }` is the queue URL, `{ Ref: topic }` the topic ARN,
 * `{ Ref: ledger table }` the table name. Anything else that is not a plain string is
 * refused, so nothing is guessed.
 */
export function resolveEnvironment(
  variables: Record<string, unknown>,
  config: ServiceConfiguration,
  resources: { readonly rescanQueueUrl: string; readonly topicArn: string; readonly ledgerTableName: string },
): Record<string, string> {
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') {
      resolved[name] = value;
    } else if (isRef(value, config.rescanQueueId)) {
      resolved[name] = resources.rescanQueueUrl;
    } else if (isRef(value, config.topicId)) {
      resolved[name] = resources.topicArn;
    } else if (isRef(value, config.ledgerTableId)) {
      resolved[name] = resources.ledgerTableName;
    } else {
      throw new Error(`cannot resolve environment variable ${name}: ${JSON.stringify(value)}`);
    }
  }
  return resolved;
}

function isRef(value: unknown, logicalId: string): boolean {
  return typeof value === 'object' && value !== null && (value as { Ref?: unknown }).Ref === logicalId;
}

/**
 * The service "deployed" into the emulator as the construct configures it with `props`:
 * the queues, topic, ledger table and rule created, the registry seeded, and the handlers' environment
 * resolved (the union of the three functions' variables; they do not overlap in meaning).
 * The caller applies `environment` to process.env before loading or invoking the handlers.
 */
export interface Deployment {
  readonly config: ServiceConfiguration;
  readonly infrastructure: Infrastructure;
  readonly seeded: SeededImage[];
  readonly environment: Record<string, string>;
}

export async function deployService(
  emulator: Emulator,
  ecr: ECRClient,
  props: EcrScanReporterProps,
  registry: readonly SeedRepository[],
  now: Date,
): Promise<Deployment> {
  const config = synthesizeService(props);
  const infrastructure = await createInfrastructure(emulator, {
    maxReceiveCount: config.maxReceiveCount,
    scanEventPattern: config.scanEventPattern,
    inspectorEventPatterns: config.inspectorEventPatterns,
    ledgerTable: config.ledgerTable,
  });
  const seeded = await seedRegistry(emulator, ecr, registry, now);
  const environment = Object.assign({}, ...Object.values(config.environments).map((v) => resolveEnvironment(v, config, infrastructure)));
  return { config, infrastructure, seeded, environment };
}
