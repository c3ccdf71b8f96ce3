import {
  Annotations,
  ArnFormat,
  CfnResource,
  Duration,
  Stack,
  Token,
  Tokenization,
  Validations,
  aws_cloudwatch as cloudwatch,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  aws_lambda_event_sources as sources,
  aws_logs as logs,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { createAlarms, createDashboard } from './monitoring';
import { RepositoryFilter } from '../decisions/repository-filter';
import { DEFAULTS, ENV } from '../decisions/settings';
import { DispatchFunction } from '../lambda/dispatch-function';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/metric-names';
import { ReportFunction } from '../lambda/report-function';
import { RescanFunction } from '../lambda/rescan-function';

/**
 * Per-severity thresholds. A report is due when any evaluated level's count of
 * findings is at least its threshold. A level is evaluated when it has a
 * threshold: critical and high always do (1 unless set), the others only when set.
 * A threshold of 0 reports every completed scan.
 */
export interface SeverityThresholds {
  /**
   * Findings of severity CRITICAL that make a report due.
   * @default 1
   */
  readonly critical?: number;
  /**
   * Findings of severity HIGH that make a report due.
   * @default 1
   */
  readonly high?: number;
  /**
   * Findings of severity MEDIUM that make a report due.
   * @default - MEDIUM is not evaluated
   */
  readonly medium?: number;
  /**
   * Findings of severity LOW that make a report due.
   * @default - LOW is not evaluated
   */
  readonly low?: number;
  /**
   * Findings of severity INFORMATIONAL that make a report due.
   * @default - INFORMATIONAL is not evaluated
   */
  readonly informational?: number;
  /**
   * Findings of severity UNDEFINED (ECR could not rate them) that make a report due.
   * @default - UNDEFINED is not evaluated
   */
  readonly undefined?: number;
}

/**
 * Properties of an `EcrScanReporter`.
 */
export interface EcrScanReporterProps {
  /**
   * A JavaScript regular expression tested against each repository name; only
   * matching repositories are rescanned and reported. It is not anchored: use
   * `^team-a/` for a prefix, `^app$` for one name.
   * @default - every repository of the registry
   */
  readonly repositoryPattern?: string;

  /**
   * A JavaScript regular expression; repositories whose name matches it are left
   * out, even if they match `repositoryPattern`.
   * @default - no repository is excluded
   */
  readonly excludePattern?: string;

  /**
   * How old an image's last completed scan may be before it is scanned again.
   * At least 1 day, because ECR allows one scan per image per 24 hours. An image
   * is rescanned at the first scheduled run after its scan has expired.
   * @default Duration.days(7)
   */
  readonly scanExpiry?: Duration;

  /**
   * When the registry is walked for images due a rescan.
   * @default - daily, at 03:00 UTC
   */
  readonly schedule?: events.Schedule;

  /**
   * Finding counts per severity that make a scan worth a report.
   * @default - critical 1 and high 1; other levels are not evaluated
   */
  readonly thresholds?: SeverityThresholds;

  /**
   * Whether a FAILED scan is reported.
   * @default true
   */
  readonly notifyOnScanFailure?: boolean;

  /**
   * The topic reports are published to. The construct grants its report
   * function `sns:Publish` on it (and the use of its KMS key, if it has one).
   * @default - a new topic, encrypted with `topicEncryptionKey` and SSL-only
   */
  readonly topic?: sns.ITopic;

  /**
   * The KMS key that encrypts the topic the construct creates. Ignored when
   * `topic` is given.
   * @default - the AWS managed key for SNS (`alias/aws/sns`)
   */
  readonly topicEncryptionKey?: kms.IKey;

  /**
   * Email addresses subscribed to the topic. Each receives a confirmation
   * email from SNS first.
   * @default - no email subscription
   */
  readonly emailSubscriptions?: string[];

  /**
   * The most findings listed in one report, most severe first. A report lists
   * fewer when SNS's 262,144-byte limit demands, and says how many it left out.
   * @default 20
   */
  readonly maxFindingsPerReport?: number;

  /**
   * The most rescan function invocations at once (the SQS event source's
   * maximum concurrency, 2 to 1000). With `imageConcurrency` it bounds the
   * rescan function's ECR requests in flight to `rescanConcurrency` x
   * `imageConcurrency`, 10 with the defaults (dispatch adds one
   * `DescribeRepositories` call at a time).
   *
   * The defaults leave room for your CI pushes. Pushes and pulls call other
   * ECR APIs (`InitiateLayerUpload`, `UploadLayerPart`, `CompleteLayerUpload`,
   * `PutImage`, `BatchCheckLayerAvailability`, `BatchGetImage`, ...), each with
   * its own published per-second rate quota, and this construct calls none of
   * them. The APIs it calls (`DescribeRepositories`, `DescribeImages`,
   * `DescribeImageScanFindings`, `StartImageScan`) have no published rate: at
   * most 10 requests in flight, backing off with the SDK's adaptive retry on
   * `ThrottlingException`, is a small load that slows itself down when ECR
   * pushes back. Raise it only when a run does not finish overnight (the rescan
   * queue's oldest message, on the dashboard).
   * @default 2
   */
  readonly rescanConcurrency?: number;

  /**
   * ECR requests each rescan invocation keeps in flight at once (1 to 50).
   * The ECR requests in flight are at most `rescanConcurrency` x
   * `imageConcurrency`, 10 with the defaults: see `rescanConcurrency` for why
   * that does not starve CI pushes. Each invocation also retries throttled
   * requests with the SDK's adaptive mode, which slows its own request rate.
   * @default 5
   */
  readonly imageConcurrency?: number;

  /**
   * Deliveries of a rescan message before it moves to the dead-letter queue.
   * @default 3
   */
  readonly maxReceiveCount?: number;

  /**
   * How long the functions' logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The topic every alarm of the construct notifies when it goes into ALARM
   * (not when it returns to OK: add OK actions to `alarms` yourself if you
   * want them). CloudWatch must be able to publish to it: a topic encrypted
   * with the AWS managed key `alias/aws/sns` cannot be used (CloudWatch is not
   * allowed to use that key); encrypt it with a customer managed key whose key
   * policy lets `cloudwatch.amazonaws.com` use `kms:Decrypt` and
   * `kms:GenerateDataKey*`, and if the topic has an access policy, allow
   * `cloudwatch.amazonaws.com` to `sns:Publish`. It may be the topic you give
   * as `topic`, if that topic meets these conditions.
   * @default - the alarms are created without actions
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * Whether to create a CloudWatch dashboard with the handlers' metrics (repositories
   * dispatched, images evaluated, scans started, scans skipped by reason, quota hits,
   * reports), the queues' depths and age, the functions' invocations, errors,
   * throttles and duration, and the alarms. Its name is generated by CloudFormation.
   * @default false
   */
  readonly createDashboard?: boolean;
}

const RESCAN_TIMEOUT = Duration.minutes(10);
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The longest scan expiry the rescan function accepts (src/decisions/settings.ts). */
const MAX_SCAN_EXPIRY_DAYS = 3650;
const RETENTION_DAYS = new Set<number>(Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number'));

/**
 * Keeps the images of an Amazon ECR registry rescanned and reports scans whose
 * findings reach your thresholds to an SNS topic.
 *
 * - On `schedule`, a dispatch function lists the registry's repositories, keeps
 *   those the patterns select, and queues one message per repository.
 * - A rescan function walks each queued repository and starts a basic scan for
 *   every image digest never scanned, whose last scan FAILED, or whose last
 *   completed scan is older than `scanExpiry`.
 * - When ECR reports a finished scan (`aws.ecr` / `ECR Image Scan`), a report
 *   function compares the severity counts with `thresholds` and publishes a
 *   report to `topic`.
 * - Alarms watch the dead-letter queues, the functions' errors and throttling,
 *   and ECR's registry scan quota; they notify `alarmTopic` when given. A
 *   dashboard is added with `createDashboard`.
 */
export class EcrScanReporter extends Construct {
  /** The topic reports are published to. */
  public readonly topic: sns.ITopic;
  /** The queue of repositories waiting to be walked by the rescan function. */
  public readonly rescanQueue: sqs.Queue;
  /** Rescan messages that failed `maxReceiveCount` times. */
  public readonly rescanDeadLetterQueue: sqs.Queue;
  /** Schedule and scan events that the dispatch or report function could not process after retries. */
  public readonly eventDeadLetterQueue: sqs.Queue;
  /** Lists and filters the repositories, and fills `rescanQueue`. */
  public readonly dispatchFunction: lambda.Function;
  /** Walks one repository's images and starts the due scans. */
  public readonly rescanFunction: lambda.Function;
  /** Turns scan-complete events into reports on `topic`. */
  public readonly reportFunction: lambda.Function;
  /** The rule that runs the dispatch function on `schedule`. */
  public readonly scheduleRule: events.Rule;
  /** The rule that sends `ECR Image Scan` events to the report function. */
  public readonly scanEventRule: events.Rule;

  /**
   * In ALARM while `rescanDeadLetterQueue` holds a message (maximum of
   * `ApproximateNumberOfMessagesVisible` at least 1 over 5 minutes): a repository
   * failed `maxReceiveCount` walks in a row and its images were not rescanned.
   */
  public readonly rescanDeadLetterQueueAlarm: cloudwatch.Alarm;
  /**
   * In ALARM while `eventDeadLetterQueue` holds a message (maximum of
   * `ApproximateNumberOfMessagesVisible` at least 1 over 5 minutes): a scheduled
   * run or a scan event was given up after retries.
   */
  public readonly eventDeadLetterQueueAlarm: cloudwatch.Alarm;
  /** The dispatch function failed (Lambda `Errors`, sum at least 1 over 5 minutes). */
  public readonly dispatchErrorsAlarm: cloudwatch.Alarm;
  /** The rescan function failed (Lambda `Errors`, sum at least 1 over 5 minutes). */
  public readonly rescanErrorsAlarm: cloudwatch.Alarm;
  /** The report function failed (Lambda `Errors`, sum at least 1 over 5 minutes). */
  public readonly reportErrorsAlarm: cloudwatch.Alarm;
  /** The dispatch function was throttled (Lambda `Throttles` at least 1 in each of 3 periods of 5 minutes). */
  public readonly dispatchThrottlesAlarm: cloudwatch.Alarm;
  /** The rescan function was throttled (Lambda `Throttles` at least 1 in each of 3 periods of 5 minutes). */
  public readonly rescanThrottlesAlarm: cloudwatch.Alarm;
  /** The report function was throttled (Lambda `Throttles` at least 1 in each of 3 periods of 5 minutes). */
  public readonly reportThrottlesAlarm: cloudwatch.Alarm;
  /**
   * ECR refused `StartImageScan` for a registry quota, such as the 100,000 basic
   * scans per 24 hours (the handlers' `QuotaHits` metric, sum at least 1 over 5
   * minutes). Not the once-per-image-per-24-hours rule, which is expected and not
   * counted there. The metric is per account and region, shared by every reporter.
   */
  public readonly scanQuotaAlarm: cloudwatch.Alarm;
  /**
   * Every alarm above, for adding actions or a composite alarm. Each notifies
   * `alarmTopic` on ALARM when it is given.
   */
  public readonly alarms: cloudwatch.Alarm[];
  /** The CloudWatch dashboard, when `createDashboard` is true. */
  public readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: EcrScanReporterProps = {}) {
    super(scope, id);
    validateProps(props);
    warnAboutProps(this, props);

    const scanExpiry = props.scanExpiry ?? Duration.days(DEFAULTS.scanExpiryDays);
    const notifyOnScanFailure = props.notifyOnScanFailure ?? DEFAULTS.notifyOnScanFailure;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const maxReceiveCount = props.maxReceiveCount ?? 3;
    const stack = Stack.of(this);
    const repositoryArns = stack.formatArn({
      service: 'ecr',
      resource: 'repository',
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const filterEnvironment: Record<string, string> = {
      ...(props.repositoryPattern !== undefined ? { [ENV.REPOSITORY_PATTERN]: props.repositoryPattern } : {}),
      ...(props.excludePattern !== undefined ? { [ENV.EXCLUDE_PATTERN]: props.excludePattern } : {}),
    };

    // Topic: bring your own, or a new encrypted, SSL-only one.
    this.topic =
      props.topic ??
      new sns.Topic(this, 'Topic', {
        displayName: 'ECR scan reports',
        masterKey: props.topicEncryptionKey ?? kms.Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
        enforceSSL: true,
      });
    for (const email of props.emailSubscriptions ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    // Queues: encrypted at rest with SQS-managed keys, SSL-only.
    this.rescanDeadLetterQueue = new sqs.Queue(this, 'RescanDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.rescanQueue = new sqs.Queue(this, 'RescanQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS: at least 6x the function timeout, so retries of a throttled batch do not overlap.
      visibilityTimeout: Duration.seconds(RESCAN_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.rescanDeadLetterQueue, maxReceiveCount },
    });
    this.eventDeadLetterQueue = new sqs.Queue(this, 'EventDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // Functions: ARM64, prebundled code, one role each with only what it uses.
    const functionProps = (name: string, description: string, timeout: Duration, environment: Record<string, string>) => {
      const logGroup = new logs.LogGroup(this, `${name}Logs`, { retention: logRetention });
      const role = new iam.Role(this, `${name}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `${description} (${this.node.path})`,
      });
      logGroup.grantWrite(role);
      return {
        description,
        role,
        logGroup,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        timeout,
        environment: {
          POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          POWERTOOLS_LOG_LEVEL: 'INFO',
          ...environment,
        },
      };
    };
    const asyncFailureHandling = {
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.eventDeadLetterQueue),
    };

    this.dispatchFunction = new DispatchFunction(this, 'DispatchFunction', {
      ...functionProps('Dispatch', 'Lists ECR repositories and queues them for rescanning', Duration.minutes(5), {
        ...filterEnvironment,
        [ENV.QUEUE_URL]: this.rescanQueue.queueUrl,
      }),
      ...asyncFailureHandling,
    });
    this.rescanFunction = new RescanFunction(this, 'RescanFunction', {
      ...functionProps('Rescan', 'Starts ECR image scans that are due', RESCAN_TIMEOUT, {
        ...filterEnvironment,
        [ENV.QUEUE_URL]: this.rescanQueue.queueUrl,
        [ENV.SCAN_EXPIRY_SECONDS]: Tokenization.stringifyNumber(scanExpiry.toSeconds()),
        [ENV.IMAGE_CONCURRENCY]: Tokenization.stringifyNumber(props.imageConcurrency ?? DEFAULTS.imageConcurrency),
      }),
    });
    this.reportFunction = new ReportFunction(this, 'ReportFunction', {
      ...functionProps('Report', 'Publishes ECR scan reports above thresholds', Duration.minutes(1), {
        ...filterEnvironment,
        [ENV.TOPIC_ARN]: this.topic.topicArn,
        [ENV.THRESHOLDS]: stack.toJsonString(thresholdsConfig(props.thresholds)),
        [ENV.NOTIFY_ON_SCAN_FAILURE]: String(notifyOnScanFailure),
        [ENV.MAX_FINDINGS]: Tokenization.stringifyNumber(props.maxFindingsPerReport ?? DEFAULTS.maxFindingsPerReport),
      }),
      ...asyncFailureHandling,
    });

    // Permissions: ECR actions on this account's and region's repositories only.
    const scanningConfiguration = new iam.PolicyStatement({
      // A registry-level action: IAM supports no resource for it.
      actions: ['ecr:GetRegistryScanningConfiguration'],
      resources: ['*'],
    });
    this.dispatchFunction.addToRolePolicy(scanningConfiguration);
    this.dispatchFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecr:DescribeRepositories'], resources: [repositoryArns] }),
    );
    this.rescanQueue.grantSendMessages(this.dispatchFunction);
    // A very large registry is listed over several invocations: dispatch invokes itself,
    // asynchronously, with the page position. A separate policy, because the function's own
    // default policy cannot name the function's ARN without a dependency cycle.
    new iam.Policy(this, 'DispatchContinuationPolicy', {
      roles: [this.dispatchFunction.role!],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.dispatchFunction.functionArn] })],
    });

    this.rescanFunction.addToRolePolicy(scanningConfiguration);
    this.rescanFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ecr:DescribeImages', 'ecr:DescribeImageScanFindings', 'ecr:StartImageScan'],
        resources: [repositoryArns],
      }),
    );
    // A repository too large for one invocation continues in a message the function queues itself.
    this.rescanQueue.grantSendMessages(this.rescanFunction);
    this.rescanFunction.addEventSource(
      new sources.SqsEventSource(this.rescanQueue, {
        batchSize: 5,
        reportBatchItemFailures: true,
        maxConcurrency: props.rescanConcurrency ?? 2,
      }),
    );

    this.reportFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecr:DescribeImageScanFindings'], resources: [repositoryArns] }),
    );
    this.topic.grantPublish(this.reportFunction);

    // Events: the schedule, and ECR's basic scan results.
    const targetOptions = { deadLetterQueue: this.eventDeadLetterQueue, retryAttempts: 4, maxEventAge: Duration.hours(2) };
    this.scheduleRule = new events.Rule(this, 'ScheduleRule', {
      description: 'Queues ECR repositories for rescanning',
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '3' }),
      targets: [new targets.LambdaFunction(this.dispatchFunction, targetOptions)],
    });
    this.scanEventRule = new events.Rule(this, 'ScanEventRule', {
      description: 'Sends finished ECR image scans to the report function',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Scan'],
        detail: { 'scan-status': notifyOnScanFailure ? ['COMPLETE', 'FAILED'] : ['COMPLETE'] },
      },
      targets: [new targets.LambdaFunction(this.reportFunction, targetOptions)],
    });

    // Alarms and the optional dashboard (monitoring.ts): what they mean is in their descriptions and the README.
    const monitored = {
      dispatchFunction: this.dispatchFunction,
      rescanFunction: this.rescanFunction,
      reportFunction: this.reportFunction,
      rescanQueue: this.rescanQueue,
      rescanDeadLetterQueue: this.rescanDeadLetterQueue,
      eventDeadLetterQueue: this.eventDeadLetterQueue,
      maxReceiveCount,
    };
    const alarms = createAlarms(this, monitored, props.alarmTopic);
    this.rescanDeadLetterQueueAlarm = alarms.rescanDeadLetterQueueAlarm;
    this.eventDeadLetterQueueAlarm = alarms.eventDeadLetterQueueAlarm;
    this.dispatchErrorsAlarm = alarms.dispatchErrorsAlarm;
    this.rescanErrorsAlarm = alarms.rescanErrorsAlarm;
    this.reportErrorsAlarm = alarms.reportErrorsAlarm;
    this.dispatchThrottlesAlarm = alarms.dispatchThrottlesAlarm;
    this.rescanThrottlesAlarm = alarms.rescanThrottlesAlarm;
    this.reportThrottlesAlarm = alarms.reportThrottlesAlarm;
    this.scanQuotaAlarm = alarms.scanQuotaAlarm;
    this.alarms = Object.values(alarms);
    if (props.createDashboard ?? false) {
      this.dashboard = createDashboard(this, monitored, this.alarms);
    }

    this.acknowledgeNagRules();
  }

  /**
   * Records, on the resources concerned, why they are as they are, for cdk-nag:
   * v3 reads CDK's acknowledged-rules metadata, v2 the `cdk_nag` metadata.
   * IAM5 is acknowledged per finding, so any other wildcard still fails.
   */
  private acknowledgeNagRules(): void {
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const repositories = `Resource::arn:<AWS::Partition>:ecr:${region}:${account}:repository/*`;
    const reason =
      'ECR actions are scoped to this account and region\'s repository ARNs (repository/*) because the patterns select repositories that may be created after deployment; ' +
      'ecr:GetRegistryScanningConfiguration is a registry-level action that supports no resource ARN. No action is a wildcard.';
    const policyOf = (fn: lambda.Function) => fn.role!.node.findChild('DefaultPolicy');
    acknowledge(policyOf(this.dispatchFunction), 'AwsSolutions-IAM5', reason, [repositories, 'Resource::*']);
    acknowledge(policyOf(this.rescanFunction), 'AwsSolutions-IAM5', reason, [repositories, 'Resource::*']);
    acknowledge(policyOf(this.reportFunction), 'AwsSolutions-IAM5', reason, [repositories]);
    acknowledge(
      this.eventDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue: the on-failure destination of the dispatch and report functions and the dead-letter queue of their EventBridge targets.',
    );
  }
}

/**
 * Acknowledges a cdk-nag rule, or some of its findings, on one construct.
 * `Validations.acknowledge` refuses ids with more than one '::', which IAM5's
 * findings about tokenized ARNs contain, so the metadata it would write is
 * written directly (its key is public for exactly this use).
 */
function acknowledge(scope: IConstruct, ruleId: string, reason: string, findings?: string[]): void {
  const ids = findings ? findings.map((f) => `${ruleId}[${f}]`) : [ruleId];
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, Object.fromEntries(ids.map((id) => [id, reason])));
  const resource = scope.node.defaultChild;
  if (CfnResource.isCfnResource(resource)) {
    resource.addMetadata('cdk_nag', { rules_to_suppress: [{ id: ruleId, reason, ...(findings ? { applies_to: findings } : {}) }] });
  }
}

/** The thresholds the report function evaluates, by ECR severity name. */
function thresholdsConfig(thresholds: SeverityThresholds | undefined): Record<string, number> {
  const t = thresholds ?? {};
  const config: Record<string, number | undefined> = {
    CRITICAL: t.critical ?? DEFAULTS.thresholds.CRITICAL,
    HIGH: t.high ?? DEFAULTS.thresholds.HIGH,
    MEDIUM: t.medium,
    LOW: t.low,
    INFORMATIONAL: t.informational,
    UNDEFINED: t.undefined,
  };
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as Record<string, number>;
}

/** Every problem with the props, gathered into one error before any resource is made. */
function validateProps(props: EcrScanReporterProps): void {
  const problems: string[] = [];
  for (const [name, pattern] of [
    ['repositoryPattern', props.repositoryPattern],
    ['excludePattern', props.excludePattern],
  ] as const) {
    if (pattern === undefined || Token.isUnresolved(pattern)) continue;
    const problem =
      name === 'excludePattern' && pattern === ''
        ? 'excludePattern must not be empty; omit it to exclude no repository (given "")'
        : RepositoryFilter.problem(name, pattern);
    if (problem) problems.push(problem);
  }
  const expiry = props.scanExpiry;
  if (expiry !== undefined) {
    const seconds = expiry.isUnresolved() ? undefined : expiry.toSeconds({ integral: false });
    if (expiry.isUnresolved() && expiry.unitLabel() !== 'seconds') {
      // The construct hands the rescan function seconds; CDK converts a token only from seconds.
      problems.push(`scanExpiry from a token must be given in seconds, Duration.seconds(token), so it can reach the rescan function unconverted (given ${expiry})`);
    } else if (seconds !== undefined && !Number.isFinite(seconds)) {
      problems.push(`scanExpiry must be a finite duration, for example Duration.days(7) (given ${describeDuration(expiry)})`);
    } else if (seconds !== undefined && !Number.isInteger(seconds)) {
      problems.push(`scanExpiry must be a whole number of seconds, for example Duration.days(7) (given ${describeDuration(expiry)})`);
    } else if (seconds !== undefined && seconds < 86_400) {
      problems.push(
        `scanExpiry must be at least 1 day, because ECR allows one scan per image per 24 hours (given ${describeDuration(expiry)})`,
      );
    } else if (seconds !== undefined && seconds > MAX_SCAN_EXPIRY_DAYS * 86_400) {
      problems.push(`scanExpiry must be at most ${MAX_SCAN_EXPIRY_DAYS} days, the most the rescan function accepts; 7 to 14 days is usual (given ${describeDuration(expiry)})`);
    }
  }
  const t = props.thresholds ?? {};
  for (const [name, value] of Object.entries({
    critical: t.critical,
    high: t.high,
    medium: t.medium,
    low: t.low,
    informational: t.informational,
    undefined: t.undefined,
  })) {
    if (value === undefined || Token.isUnresolved(value)) continue;
    if (!Number.isInteger(value) || value < 0) {
      problems.push(`thresholds.${name} must be a whole number of findings, 0 or more (given ${value})`);
    }
  }
  checkInteger(problems, 'maxFindingsPerReport', props.maxFindingsPerReport, 0, 1000, 'findings listed in one report');
  checkInteger(problems, 'rescanConcurrency', props.rescanConcurrency, 2, 1000, 'the SQS event source maximum concurrency');
  checkInteger(problems, 'imageConcurrency', props.imageConcurrency, 1, 50, 'ECR requests in flight per invocation');
  checkInteger(problems, 'maxReceiveCount', props.maxReceiveCount, 1, 1000, 'deliveries before the dead-letter queue');
  if (props.emailSubscriptions !== undefined && Token.isUnresolved(props.emailSubscriptions)) {
    problems.push('emailSubscriptions must be a list written in the app, not a token, because each address becomes its own subscription; a token may stand for one address in the list');
  } else {
    const seen = new Set<string>();
    for (const email of props.emailSubscriptions ?? []) {
      if (Token.isUnresolved(email)) continue;
      if (!EMAIL.test(email)) {
        problems.push(`emailSubscriptions must hold email addresses such as security@example.com (given ${JSON.stringify(email)})`);
      } else if (seen.has(email.toLowerCase())) {
        problems.push(`emailSubscriptions lists ${JSON.stringify(email)} more than once; list each address once`);
      }
      seen.add(email.toLowerCase());
    }
  }
  if (props.logRetention !== undefined && !Token.isUnresolved(props.logRetention) && !RETENTION_DAYS.has(props.logRetention)) {
    problems.push(`logRetention must be one of logs.RetentionDays, for example logs.RetentionDays.ONE_MONTH (given ${props.logRetention})`);
  }
  if (props.topic !== undefined && props.topicEncryptionKey !== undefined) {
    problems.push('topicEncryptionKey only applies to the topic the construct creates; encrypt your own topic where you define it, or leave out topic');
  }
  const alarmKey = props.alarmTopic?.masterKey as Partial<kms.IAlias> | undefined;
  if (alarmKey?.aliasName === 'alias/aws/sns') {
    problems.push(
      'alarmTopic is encrypted with the AWS managed key alias/aws/sns, which CloudWatch alarms are not allowed to use, so no alarm could notify it; ' +
        'encrypt the topic with a customer managed key whose key policy lets cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey*',
    );
  }
  if (problems.length > 0) {
    throw new Error(`Invalid EcrScanReporter props:\n- ${problems.join('\n- ')}`);
  }
}

/**
 * The characters of a pattern that must appear as they are in a matching name:
 * escapes (\\W, \\p{Lu}, \\u0041), character classes ([A-Z]) and group names
 * ((?<Name>...), \\k<Name>) removed.
 */
function literalText(pattern: string): string {
  return pattern
    .replace(/\\[pPk][{<][^}>]*[}>]/g, '')
    .replace(/\\./g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\(\?<[^>]*>/g, '(');
}

/** A duration as a user wrote it: "12 hours", or "Duration.days(NaN)" when it has no readable form. */
function describeDuration(d: Duration): string {
  const human = d.toHumanString();
  return human === '' || /NaN|Infinity/.test(human) ? String(d) : human;
}

function checkInteger(problems: string[], name: string, value: number | undefined, min: number, max: number, what: string): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max}, ${what} (given ${value})`);
  }
}

/** Soft problems: annotations a user can acknowledge, not errors. */
function warnAboutProps(scope: Construct, props: EcrScanReporterProps): void {
  for (const [name, pattern] of [
    ['repositoryPattern', props.repositoryPattern],
    ['excludePattern', props.excludePattern],
  ] as const) {
    if (pattern === undefined || Token.isUnresolved(pattern)) continue;
    // A name never starts with '/', so '/^app$/' never matches; '/team-a/' alone may, inside a name.
    if (/^\/(\^.*|.*\$)\/[dgimsuyv]*$|^\/.+\/[dgimsuyv]+$/.test(pattern)) {
      Annotations.of(scope).addWarningV2(
        `ecr-scan-reporter:${name}Slashes`,
        `${name} ${JSON.stringify(pattern)} looks like a JavaScript regular expression literal; it is used as the pattern's source, so the slashes must appear in the repository name. Give the source without slashes or flags, for example "^team-a/"`,
      );
    } else if (/[A-Z]/.test(literalText(pattern))) {
      Annotations.of(scope).addWarningV2(
        `ecr-scan-reporter:${name}Uppercase`,
        `${name} ${JSON.stringify(pattern)} has upper-case letters, but ECR repository names are lower case, so those parts of the pattern never match; write them in lower case`,
      );
    }
  }
  const expiry = props.scanExpiry;
  if (expiry !== undefined && !Token.isUnresolved(expiry.toSeconds()) && expiry.toSeconds() > 30 * 86_400) {
    Annotations.of(scope).addWarningV2(
      'ecr-scan-reporter:longScanExpiry',
      `scanExpiry is ${expiry.toHumanString()}: images keep results that old while new CVEs are published daily; 7 to 14 days is usual`,
    );
  }
}
