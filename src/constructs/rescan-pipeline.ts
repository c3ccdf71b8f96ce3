/**
 * The rescan side: on `schedule`, the dispatch function lists the registry's repositories and
 * queues the selected ones on the rescan queue; the rescan function walks each and starts the due
 * scans, reading the ledger first. Its resources are built in the reporter's scope (as
 * aws-solutions-constructs' helpers do) so their logical IDs are those of earlier versions.
 */
import {
  Duration,
  Tokenization,
  aws_ecr as ecr,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda_event_sources as sources,
  aws_logs as logs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { asyncFailureHandling, handlerFunctionOptions } from './handler-function';
import { LEDGER_ACTIONS, LedgerTable } from './ledger';
import { ALL_REPOSITORIES, grantOnRepositories, selectedRepositoryNames } from './repository-grants';
import { DEFAULTS, ENV } from '../decisions/settings';
import { DispatchFunction } from '../lambda/dispatch-function';
import { RescanFunction } from '../lambda/rescan-function';

export const RESCAN_TIMEOUT = Duration.minutes(10);

export interface RescanPipelineOptions {
  /** The patterns, as the functions' environment carries them. */
  readonly filterEnvironment: Record<string, string>;
  /** `rescanScope` and the in-use settings, for the rescan function. */
  readonly scopeEnvironment: Record<string, string>;
  /** The accepted risks, for dispatch's check of those that match nothing. */
  readonly risksEnvironment: Record<string, string>;
  readonly scanExpiry: Duration;
  readonly schedule: events.Schedule;
  readonly imageConcurrency?: number;
  readonly rescanConcurrency?: number;
  readonly dailyScanBudget?: number;
  readonly readImageIndexes: boolean;
  readonly coverageWindow?: Duration;
  readonly maxReceiveCount: number;
  readonly logRetention: logs.RetentionDays;
  readonly ledger: LedgerTable;
  readonly eventDeadLetterQueue: sqs.IQueue;
  /** The registry-level statement both functions need (ecr:GetRegistryScanningConfiguration). */
  readonly scanningConfiguration: iam.PolicyStatement;
}

export class RescanPipeline {
  public readonly rescanQueue: sqs.Queue;
  public readonly rescanDeadLetterQueue: sqs.Queue;
  public readonly dispatchFunction: DispatchFunction;
  public readonly rescanFunction: RescanFunction;
  public readonly scheduleRule: events.Rule;
  /** With `readImageIndexes`: the rescan role's pull-time update exclusion. */
  public readonly pullTimeExclusion?: ecr.CfnPullTimeUpdateExclusion;

  constructor(scope: Construct, options: RescanPipelineOptions) {
    // Queues: encrypted at rest with SQS-managed keys, SSL-only.
    this.rescanDeadLetterQueue = new sqs.Queue(scope, 'RescanDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.rescanQueue = new sqs.Queue(scope, 'RescanQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS: at least 6x the function timeout, so retries of a throttled batch do not overlap.
      visibilityTimeout: Duration.seconds(RESCAN_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.rescanDeadLetterQueue, maxReceiveCount: options.maxReceiveCount },
    });

    this.dispatchFunction = new DispatchFunction(scope, 'DispatchFunction', {
      ...handlerFunctionOptions(scope, {
        name: 'Dispatch',
        description: 'Lists ECR repositories and queues them for rescanning',
        timeout: Duration.minutes(5),
        environment: {
          ...options.filterEnvironment,
          [ENV.QUEUE_URL]: this.rescanQueue.queueUrl,
          ...(Object.keys(options.risksEnvironment).length > 0
            ? {
              ...options.risksEnvironment,
              [ENV.LEDGER_TABLE]: options.ledger.table.tableName,
              [ENV.SCAN_EXPIRY_SECONDS]: Tokenization.stringifyNumber(options.scanExpiry.toSeconds()),
            }
            : {}),
        },
        logRetention: options.logRetention,
      }),
      ...asyncFailureHandling(options.eventDeadLetterQueue),
    });
    this.rescanFunction = new RescanFunction(scope, 'RescanFunction', {
      ...handlerFunctionOptions(scope, {
        name: 'Rescan',
        description: 'Starts ECR image scans that are due',
        timeout: RESCAN_TIMEOUT,
        environment: {
          ...options.filterEnvironment,
          [ENV.QUEUE_URL]: this.rescanQueue.queueUrl,
          [ENV.SCAN_EXPIRY_SECONDS]: Tokenization.stringifyNumber(options.scanExpiry.toSeconds()),
          [ENV.IMAGE_CONCURRENCY]: Tokenization.stringifyNumber(options.imageConcurrency ?? DEFAULTS.imageConcurrency),
          [ENV.LEDGER_TABLE]: options.ledger.table.tableName,
          [ENV.DAILY_SCAN_BUDGET]: Tokenization.stringifyNumber(options.dailyScanBudget ?? DEFAULTS.dailyScanBudget),
          [ENV.READ_IMAGE_INDEXES]: String(options.readImageIndexes),
          [ENV.COVERAGE_WINDOW_SECONDS]: String((options.coverageWindow ?? Duration.days(DEFAULTS.coverageWindowDays)).toSeconds()),
          ...options.scopeEnvironment,
        },
        logRetention: options.logRetention,
      }),
    });

    // Permissions: ECR actions on this account's and region's repositories only (repository-grants.ts).
    this.dispatchFunction.addToRolePolicy(options.scanningConfiguration);
    // The listing is of the whole registry: dispatch applies the patterns to the names it lists.
    grantOnRepositories(this.dispatchFunction, ['ecr:DescribeRepositories'], [ALL_REPOSITORIES]);
    // Under enhanced scanning dispatch checks the coverage of the selected repositories only (BatchGetRepositoryScanningConfiguration).
    grantOnRepositories(
      this.dispatchFunction,
      ['ecr:BatchGetRepositoryScanningConfiguration'],
      selectedRepositoryNames(options.filterEnvironment[ENV.REPOSITORY_PATTERN]),
    );
    this.rescanQueue.grantSendMessages(this.dispatchFunction);
    // The accepted risks' match records: read once per cycle, a first check written for a new entry.
    if (Object.keys(options.risksEnvironment).length > 0) options.ledger.grant(this.dispatchFunction, ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem']);
    // A very large registry is listed over several invocations: dispatch invokes itself,
    // asynchronously, with the page position. A separate policy, because the function's own
    // default policy cannot name the function's ARN without a dependency cycle.
    new iam.Policy(scope, 'DispatchContinuationPolicy', {
      roles: [this.dispatchFunction.role!],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.dispatchFunction.functionArn] })],
    });

    this.rescanFunction.addToRolePolicy(options.scanningConfiguration);
    // Only selected repositories are walked: the function skips a queued name the patterns do not select before any call.
    grantOnRepositories(
      this.rescanFunction,
      ['ecr:DescribeImages', 'ecr:DescribeImageScanFindings', 'ecr:StartImageScan', ...(options.readImageIndexes ? ['ecr:BatchGetImage'] : [])],
      selectedRepositoryNames(options.filterEnvironment[ENV.REPOSITORY_PATTERN]),
    );
    if (options.readImageIndexes) {
      // BatchGetImage of an index counts as a pull: registered as a pull-time update exclusion, the
      // function's reads leave lastRecordedPullTime (and lifecycle rules on it) as the registry's real pulls set it.
      this.pullTimeExclusion = new ecr.CfnPullTimeUpdateExclusion(scope, 'RescanPullTimeExclusion', { principalArn: this.rescanFunction.role!.roleArn });
    }
    options.ledger.grant(this.rescanFunction, LEDGER_ACTIONS.rescan);
    // A repository too large for one invocation continues in a message the function queues itself.
    this.rescanQueue.grantSendMessages(this.rescanFunction);
    this.rescanFunction.addEventSource(
      new sources.SqsEventSource(this.rescanQueue, { batchSize: 5, reportBatchItemFailures: true, maxConcurrency: options.rescanConcurrency ?? 2 }),
    );

    this.scheduleRule = new events.Rule(scope, 'ScheduleRule', {
      description: 'Queues ECR repositories for rescanning',
      schedule: options.schedule,
      targets: [new targets.LambdaFunction(this.dispatchFunction, eventTargetOptions(options.eventDeadLetterQueue))],
    });
    // No walk before the exclusion holds: its first reads would be recorded as pulls.
    if (this.pullTimeExclusion) this.scheduleRule.node.addDependency(this.pullTimeExclusion);
  }
}

/** EventBridge's delivery to a function: 4 retries within 2 hours, then the event dead-letter queue. */
export function eventTargetOptions(eventDeadLetterQueue: sqs.IQueue): targets.LambdaFunctionProps {
  return { deadLetterQueue: eventDeadLetterQueue, retryAttempts: 4, maxEventAge: Duration.hours(2) };
}
