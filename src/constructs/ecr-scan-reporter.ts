import {
  Duration,
  RemovalPolicy,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LedgerTable } from './ledger';
import { createAlarms, createDashboard } from './monitoring';
import { acknowledgeNagRules } from './nag';
import { validateProps, warnAboutProps } from './props-validation';
import { ReportPipeline } from './report-pipeline';
import { RescanPipeline } from './rescan-pipeline';
import { DEFAULTS, ENV } from '../decisions/settings';

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
 * Which scans the reporter sends a report for.
 */
export enum ReportOn {
  /**
   * Report a scan only when it brings something new.
   *
   * A scan whose findings reach a threshold is reported when it has a finding at a reached
   * severity that the digest's last report did not list (a digest's first report counts as new),
   * and a FAILED scan when no failure was reported since the digest's last completed scan. The
   * README's "Reports that say what is new" has the whole rule.
   */
  NEW_FINDINGS = 'NEW_FINDINGS',
  /**
   * Report every scan whose findings reach a threshold, and every FAILED scan, as before the ledger.
   *
   * Each scan is still reported once only.
   */
  EVERY_SCAN = 'EVERY_SCAN',
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
   * Which scans at or above the thresholds are reported: only those with something new, or
   * every one.
   * @default ReportOn.NEW_FINDINGS
   */
  readonly reportOn?: ReportOn;

  /**
   * The KMS key that encrypts the ledger table (`ledgerTable`). The rescan and report functions
   * are granted its use for the table.
   * @default - the AWS managed key for DynamoDB (`alias/aws/dynamodb`)
   */
  readonly ledgerEncryptionKey?: kms.IKey;

  /**
   * What CloudFormation does with the ledger table when the reporter leaves the stack or the
   * stack is deleted. Losing the table costs reads and one repeat of each report, never a
   * missed image.
   * @default RemovalPolicy.RETAIN
   */
  readonly ledgerRemovalPolicy?: RemovalPolicy;

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

/**
 * Keeps the images of an Amazon ECR registry rescanned and reports scans whose
 * findings reach your thresholds to an SNS topic, once, when they bring something new.
 *
 * - On `schedule`, a dispatch function lists the registry's repositories, keeps
 *   those the patterns select, and queues one message per repository.
 * - A rescan function walks each queued repository and starts a basic scan for
 *   every image digest never scanned, whose last scan FAILED, or whose last
 *   completed scan is older than `scanExpiry`. It reads the ledger first, so a digest
 *   whose last scan the ledger knows needs no status read from ECR.
 * - When ECR reports a finished scan (`aws.ecr` / `ECR Image Scan`), a report
 *   function records it in the ledger, compares the severity counts with
 *   `thresholds`, and publishes a report to `topic` when `reportOn` calls for one.
 * - Alarms watch the dead-letter queues, the functions' errors and throttling,
 *   the ledger, and ECR's registry scan quota; they notify `alarmTopic` when given. A
 *   dashboard is added with `createDashboard`.
 */
export class EcrScanReporter extends Construct {
  /** The topic reports are published to. */
  public readonly topic: sns.ITopic;
  /**
   * The ledger: what ECR last said about each image digest and what was last reported about
   * it, one item per digest (the README's "The ledger" describes it).
   */
  public readonly ledgerTable: dynamodb.Table;
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
  /** Records scan events in the ledger and turns the ones due into reports on `topic`. */
  public readonly reportFunction: lambda.Function;
  /** The rule that runs the dispatch function on `schedule`. */
  public readonly scheduleRule: events.Rule;
  /** The rule that sends `ECR Image Scan` events (COMPLETE and FAILED) to the report function. */
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
   * In ALARM when reads or writes of `ledgerTable` fail after the SDK's retries.
   *
   * The handlers' `LedgerReadFailures` plus `LedgerWriteFailures`, sum at least 1 over 5
   * minutes. Nothing is lost meanwhile: the rescan reads from ECR, and reports go out as if new.
   */
  public readonly ledgerAlarm: cloudwatch.Alarm;
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
    const filterEnvironment: Record<string, string> = {
      ...(props.repositoryPattern !== undefined ? { [ENV.REPOSITORY_PATTERN]: props.repositoryPattern } : {}),
      ...(props.excludePattern !== undefined ? { [ENV.EXCLUDE_PATTERN]: props.excludePattern } : {}),
    };

    // The topic: bring your own, or a new encrypted, SSL-only one.
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
    // Where both pipelines' events go when they cannot be processed.
    this.eventDeadLetterQueue = new sqs.Queue(this, 'EventDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // The parts: ledger, rescan pipeline, report pipeline. Each builds in this scope.
    const ledger = new LedgerTable(this, {
      encryptionKey: props.ledgerEncryptionKey,
      removalPolicy: props.ledgerRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.ledgerTable = ledger.table;
    // A registry-level action: IAM supports no resource for it.
    const scanningConfiguration = new iam.PolicyStatement({ actions: ['ecr:GetRegistryScanningConfiguration'], resources: ['*'] });
    const rescan = new RescanPipeline(this, {
      filterEnvironment,
      scanExpiry,
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '3' }),
      imageConcurrency: props.imageConcurrency,
      rescanConcurrency: props.rescanConcurrency,
      maxReceiveCount,
      logRetention,
      ledger,
      eventDeadLetterQueue: this.eventDeadLetterQueue,
      scanningConfiguration,
    });
    const report = new ReportPipeline(this, {
      filterEnvironment,
      topic: this.topic,
      thresholds: thresholdsConfig(props.thresholds),
      notifyOnScanFailure,
      maxFindingsPerReport: props.maxFindingsPerReport,
      reportOn: props.reportOn ?? ReportOn.NEW_FINDINGS,
      scanExpiry,
      logRetention,
      ledger,
      eventDeadLetterQueue: this.eventDeadLetterQueue,
    });
    this.rescanQueue = rescan.rescanQueue;
    this.rescanDeadLetterQueue = rescan.rescanDeadLetterQueue;
    this.dispatchFunction = rescan.dispatchFunction;
    this.rescanFunction = rescan.rescanFunction;
    this.scheduleRule = rescan.scheduleRule;
    this.reportFunction = report.reportFunction;
    this.scanEventRule = report.scanEventRule;

    // Alarms and the optional dashboard (monitoring.ts): what they mean is in their descriptions and the README.
    const monitored = {
      dispatchFunction: this.dispatchFunction,
      rescanFunction: this.rescanFunction,
      reportFunction: this.reportFunction,
      rescanQueue: this.rescanQueue,
      rescanDeadLetterQueue: this.rescanDeadLetterQueue,
      eventDeadLetterQueue: this.eventDeadLetterQueue,
      ledgerTable: this.ledgerTable,
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
    this.ledgerAlarm = alarms.ledgerAlarm;
    this.alarms = Object.values(alarms);
    if (props.createDashboard ?? false) {
      this.dashboard = createDashboard(this, monitored, this.alarms);
    }

    acknowledgeNagRules(this, {
      dispatchFunction: this.dispatchFunction,
      rescanFunction: this.rescanFunction,
      reportFunction: this.reportFunction,
      eventDeadLetterQueue: this.eventDeadLetterQueue,
    });
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
