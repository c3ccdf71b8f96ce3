import {
  Duration,
  RemovalPolicy,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_ecr as ecr,
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
import { ImageScope } from './image-scope';
import { InUseDiscovery } from './in-use-discovery';
import { inUseHoldSeconds, scopeEnvironment } from './in-use-settings';
import { InspectorReports } from './inspector-reports';
import { LedgerTable } from './ledger';
import { createAlarms, createDashboard } from './monitoring';
import { acknowledgeNagRules } from './nag';
import { validateProps, warnAboutProps } from './props-validation';
import { RegistrySummary } from './registry-summary';
import { ReportPipeline } from './report-pipeline';
import { RescanPipeline } from './rescan-pipeline';
import { SummarySchedule } from './summary-schedule';
import { UNOWNED, ownerProblem } from '../decisions/owners';
import { DEFAULTS, ENV } from '../decisions/settings';

/**
 * The finding counts per severity at which a scan is worth a report.
 *
 * A report is due when any evaluated level's count of
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
   * and a FAILED scan when no failure was reported since the digest's last completed scan.
   * "Reports that say what is new" in docs/how-it-works.md has the whole rule.
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
 * A rule that names the owner of the repositories whose name matches a pattern.
 */
export interface RepositoryOwner {
  /**
   * The repositories this rule names the owner of: a JavaScript regular expression tested against each repository name.
   *
   * It is not anchored, as `repositoryPattern` is not: `^team-a/` for a prefix.
   */
  readonly repositoryPattern: string;
  /**
   * The owner's name, as reports carry it in their `owner` attribute and field.
   *
   * 1 to 128 letters, digits, spaces or `_.:/=+@-`, starting with a letter or digit, and not
   * `UNOWNED` (which marks reports nobody owns).
   */
  readonly owner: string;
}

/**
 * A finding a team has accepted, for a reason and until a date.
 */
export interface AcceptedRisk {
  /**
   * The finding's id: a CVE id such as `CVE-2024-3094`, or a GitHub advisory id such as `GHSA-jfh8-c2jp-5v3q`.
   */
  readonly findingId: string;
  /**
   * Why the risk is accepted, in 3 to 300 characters, as reports quote it.
   */
  readonly reason: string;
  /**
   * The date the acceptance ends, as `YYYY-MM-DD` (it ignores nothing from 00:00 UTC that day) or an ISO-8601 time.
   */
  readonly expires: string;
  /**
   * The repositories the risk is accepted in: a JavaScript regular expression tested against each repository name.
   * @default - every selected repository
   */
  readonly repositoryPattern?: string;
}

/**
 * Properties of an `EcrScanReporter`: what it rescans and reports, when, and where the reports go.
 *
 * Every property is optional: `new EcrScanReporter(this, 'ScanReporter')` rescans each image of
 * every repository once its last scan is 7 days old, and reports new critical and high findings
 * to a new encrypted topic.
 */
export interface EcrScanReporterProps {
  /**
   * The repositories to rescan and report on: a JavaScript regular expression tested against
   * each repository name.
   *
   * It is not anchored: use `^team-a/` for a prefix, `^app$` for one name.
   * @default - every repository of the registry
   */
  readonly repositoryPattern?: string;

  /**
   * The repositories to leave out, even if they match `repositoryPattern`: a JavaScript
   * regular expression tested against each repository name.
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
   * Which images get scans, out of those the patterns select.
   *
   * `ImageScope.inUse()` and `ImageScope.pulledWithin(...)` spend the registry's 100,000 basic
   * scans a day on the images that matter; an image whose use cannot be told is scanned.
   * @default ImageScope.all()
   */
  readonly rescanScope?: ImageScope;

  /**
   * Basic scans this reporter starts per UTC day, at most (1 to 100,000).
   *
   * ECR allows 100,000 basic scans per registry per 24 hours, not adjustable. When more digests
   * are due than the budget allows, they are started in this order: digests deferred on an
   * earlier day, then running ones (with `inUseDiscovery`), then the most recently pulled, then
   * those with the oldest last scan; the rest are deferred (`ScansSkipped` reason
   * `deferred-budget`) and come first the next day. Set it lower to leave headroom for other
   * scanners in the account (scan on push, CI). The count is shared by every rescan invocation,
   * in the ledger. docs/how-it-works.md#the-daily-scan-budget says how the order holds across
   * repositories.
   * @default 100000
   */
  readonly dailyScanBudget?: number;

  /**
   * Whether the rescan function reads the manifests of image indexes, to skip attestation manifests and name platform images.
   *
   * `docker buildx` pushes an image index by default: platform images, which are scanned and are
   * untagged, and attestation manifests, whose scans ECR fails. With this on, the rescan function
   * reads each index's manifest once (BatchGetImage; the ledger keeps what it lists), skips its
   * attestation manifests (`ScansSkipped` reason `attestation`) and reports a platform image by its
   * index's tags, "v1.2 (linux/arm64)". BatchGetImage counts as a pull, so the function's role is
   * registered as a pull-time update exclusion (`AWS::ECR::PullTimeUpdateExclusion`): its reads
   * never move `lastRecordedPullTime`. The registry allows 100 such exclusions per account, and the
   * deploying principal needs `ecr:RegisterPullTimeUpdateExclusion`. Off: attestation manifests
   * cost one failed scan per `scanExpiry`, and platform images are reported as untagged.
   * @default true
   */
  readonly readImageIndexes?: boolean;

  /**
   * Under enhanced scanning, how recent a pull makes an image Amazon Inspector stopped monitoring a coverage gap.
   *
   * Inspector stops monitoring an image after its re-scan duration (14 days by default for new
   * accounts): its status turns SCAN_ELIGIBILITY_EXPIRED and its findings close, whether or not it
   * still runs. Under enhanced scanning the rescan function starts no scan; it reads the status of
   * each image pulled within this window (one DescribeImageScanFindings call each, so the cost follows
   * the images in use) and names those whose monitoring expired in a WARN line, counted as
   * `ImagesNotMonitored`. A whole number of days, 1 to 3,650. Under basic scanning it changes nothing.
   * @default Duration.days(30)
   */
  readonly coverageWindow?: Duration;

  /**
   * When the registry summary is published to the topic, and the period each one covers.
   *
   * A function reads the whole ledger once (a parallel Scan) and publishes one message: images by
   * highest severity, in use, what was new and what was fixed in the period, the top CVEs, the worst
   * repositories with their owners and trend, failed, unsupported and deferred scans, and accepted
   * risks that expire soon or match nothing. Message attribute `kind` is `summary` (a report's is
   * `report`), so a filter policy can select it or leave it out. `SummarySchedule.off()` creates no
   * function.
   * @default SummarySchedule.weekly() (Monday 08:00 UTC, the week before)
   */
  readonly summary?: SummarySchedule;

  /**
   * Which images get reports, out of those the patterns select.
   *
   * An image outside it is recorded in the ledger but not reported (`ReportsWithheld`, reason
   * `out-of-scope`); when it comes into scope, its next scan reports what is new since its last
   * report. An image whose use cannot be told is reported.
   * @default ImageScope.all()
   */
  readonly reportScope?: ImageScope;

  /**
   * Whether a function finds, on `schedule`, where the registry's images run in this account and region.
   *
   * It reads ECS clusters, services and running tasks, and Lambda functions of package type
   * Image, with read-only calls (`lambda:GetFunction` also allows reading zip functions' code;
   * the function only calls it for image functions). Reports then say where an image runs, and
   * `ImageScope.inUse()` can be used. EKS is not covered.
   * @default true
   */
  readonly inUseDiscovery?: boolean;

  /**
   * The repository tag whose value names the repository's owner (reports carry it as `owner`).
   *
   * Tags are read once a day per repository and cached in the ledger. A repository without the
   * tag falls back to `repositoryOwners`.
   * @default - owners come from `repositoryOwners` only
   */
  readonly ownerTagKey?: string;

  /**
   * Rules that name repositories' owners by pattern, the first match winning, after `ownerTagKey`.
   * @default - no rule: without an owner tag, a repository has no owner
   */
  readonly repositoryOwners?: RepositoryOwner[];

  /**
   * Findings accepted as risks, which count neither towards the thresholds nor as new while
   * their entry holds.
   *
   * Reports say how many findings were left out and until when. From its expiry on an entry
   * ignores nothing, and the synth warns about it. Entries that match no finding for a whole
   * rescan cycle are logged and counted (`AcceptedRisksUnmatched`).
   * Amazon Inspector's SUPPRESSED findings are left out the same way.
   * @default - no accepted risk
   */
  readonly acceptedRisks?: AcceptedRisk[];

  /**
   * Whether HTTPS subscribers of the topic get each report in the chat form that Amazon Q
   * Developer in chat applications (AWS Chatbot) renders in Slack and Teams.
   *
   * That form is a custom notification, sent instead of the JSON document. Off by default
   * because it replaces the JSON document for every HTTPS subscriber; Amazon Q Developer drops
   * other messages silently, so turn it on for a chat channel.
   * @default false
   */
  readonly chatNotifications?: boolean;

  /**
   * Whether Amazon Inspector's events about ECR images get reports, for registries under enhanced scanning.
   *
   * Two rules send `Inspector2 Scan` (the initial scan of an image) and `Inspector2 Finding` (a
   * finding on an ECR image, created, updated or closed) to an encrypted queue that a function
   * reads in batches gathered for up to a minute, so that a burst of finding events for one image
   * makes one report. Reports use the same thresholds, ledger, message and routing as basic scans;
   * SUPPRESSED and CLOSED findings do not count. In a registry under basic scanning the rules
   * match nothing and the function never runs.
   * @default true
   */
  readonly inspectorReports?: boolean;

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
   * The topic every alarm of the construct notifies when it goes into ALARM.
   *
   * Not when it returns to OK: add OK actions to `alarms` yourself if you
   * want them. Needs the alarms (`createAlarms` true). CloudWatch must be able to publish to it: a topic encrypted
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
   * Whether to create the construct's ten CloudWatch alarms, one property each and all of them
   * in `alarms`.
   *
   * With `false` there is no alarm: the alarm properties are undefined, `alarms` is empty, the
   * dashboard shows no alarm states, and `alarmTopic` must be left out. For apps that watch
   * the functions and queues with their own monitoring.
   * @default true
   */
  readonly createAlarms?: boolean;

  /**
   * Whether to create a CloudWatch dashboard of the reporter's metrics, queues, functions,
   * ledger and alarms.
   *
   * It graphs the handlers' metrics (repositories dispatched, images evaluated, scans started,
   * scans skipped by reason, quota hits, reports), the queues' depths and age, the functions'
   * invocations, errors, throttles and duration, and shows the alarms' states (with
   * `createAlarms`). Its name is generated by CloudFormation.
   * @default false
   */
  readonly createDashboard?: boolean;
}

/**
 * Keeps the images of an Amazon ECR registry rescanned and reports scans whose
 * findings reach your thresholds to an SNS topic, once, when they bring something new.
 *
 * How it works, in four parts:
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
 *   the ledger, and ECR's registry scan quota; they notify `alarmTopic` when given
 *   (`createAlarms: false` leaves them out). A dashboard is added with `createDashboard`.
 */
export class EcrScanReporter extends Construct {
  /** The topic reports are published to. */
  public readonly topic: sns.ITopic;
  /**
   * The ledger: what ECR last said about each image digest and what was last reported about
   * it, one item per digest (docs/ledger.md describes it).
   */
  public readonly ledgerTable: dynamodb.Table;
  /** The queue of repositories waiting to be walked by the rescan function. */
  public readonly rescanQueue: sqs.Queue;
  /** The queue of rescan messages that failed `maxReceiveCount` times. */
  public readonly rescanDeadLetterQueue: sqs.Queue;
  /** The queue of schedule and scan events that the dispatch or report function could not process after retries. */
  public readonly eventDeadLetterQueue: sqs.Queue;
  /** The function that lists and filters the repositories and fills `rescanQueue`. */
  public readonly dispatchFunction: lambda.Function;
  /** The function that walks one repository's images and starts the due scans. */
  public readonly rescanFunction: lambda.Function;
  /** The function that records scan events in the ledger and turns the ones due into reports on `topic`. */
  public readonly reportFunction: lambda.Function;
  /** The rule that runs the dispatch function on `schedule`. */
  public readonly scheduleRule: events.Rule;
  /** The rescan function role's exclusion from pull-time updates (undefined when `readImageIndexes` is false). */
  public readonly pullTimeUpdateExclusion?: ecr.CfnPullTimeUpdateExclusion;
  /** The rule that sends `ECR Image Scan` events (COMPLETE and FAILED) to the report function. */
  public readonly scanEventRule: events.Rule;
  /** The function that finds where images run, on `schedule` (undefined when `inUseDiscovery` is false). */
  public readonly discoverFunction?: lambda.Function;
  /** The function that publishes the registry summary (undefined with `SummarySchedule.off()`). */
  public readonly summaryFunction?: lambda.Function;
  /** The rule that runs `summaryFunction` on the summary's schedule (undefined with `SummarySchedule.off()`). */
  public readonly summaryRule?: events.Rule;
  /** The function that reports Amazon Inspector's events on ECR images (undefined when `inspectorReports` is false). */
  public readonly inspectorReportFunction?: lambda.Function;
  /** The queue of Amazon Inspector's events on ECR images (undefined when `inspectorReports` is false). */
  public readonly inspectorEventQueue?: sqs.IQueue;
  /** The rule that sends `Inspector2 Scan` events (initial scan complete) to `inspectorEventQueue` (undefined when `inspectorReports` is false). */
  public readonly inspectorScanRule?: events.Rule;
  /** The rule that sends `Inspector2 Finding` events on ECR images to `inspectorEventQueue` (undefined when `inspectorReports` is false). */
  public readonly inspectorFindingRule?: events.Rule;

  /**
   * The alarm that fires while `rescanDeadLetterQueue` holds a message: a repository failed
   * `maxReceiveCount` walks in a row and its images were not rescanned.
   *
   * Maximum of `ApproximateNumberOfMessagesVisible` at least 1 over 5 minutes. Undefined when
   * `createAlarms` is false.
   */
  public readonly rescanDeadLetterQueueAlarm?: cloudwatch.Alarm;
  /**
   * The alarm that fires while `eventDeadLetterQueue` holds a message: a scheduled run or a
   * scan event was given up after retries.
   *
   * Maximum of `ApproximateNumberOfMessagesVisible` at least 1 over 5 minutes. Undefined when
   * `createAlarms` is false.
   */
  public readonly eventDeadLetterQueueAlarm?: cloudwatch.Alarm;
  /**
   * The alarm that fires when the dispatch function fails (Lambda `Errors`, sum at least 1 over 5 minutes).
   *
   * Undefined when `createAlarms` is false.
   */
  public readonly dispatchErrorsAlarm?: cloudwatch.Alarm;
  /**
   * The alarm that fires when the rescan function fails (Lambda `Errors`, sum at least 1 over 5 minutes).
   *
   * Undefined when `createAlarms` is false.
   */
  public readonly rescanErrorsAlarm?: cloudwatch.Alarm;
  /**
   * The alarm that fires when the report function fails (Lambda `Errors`, sum at least 1 over 5 minutes).
   *
   * Undefined when `createAlarms` is false.
   */
  public readonly reportErrorsAlarm?: cloudwatch.Alarm;
  /**
   * The alarm that fires when the dispatch function is throttled (Lambda `Throttles` at least 1 in each of 3 periods of 5 minutes).
   *
   * Undefined when `createAlarms` is false.
   */
  public readonly dispatchThrottlesAlarm?: cloudwatch.Alarm;
  /**
   * The alarm that fires when the rescan function is throttled (Lambda `Throttles` at least 1 in each of 3 periods of 5 minutes).
   *
   * Undefined when `createAlarms` is false.
   */
  public readonly rescanThrottlesAlarm?: cloudwatch.Alarm;
  /**
   * The alarm that fires when the report function is throttled (Lambda `Throttles` at least 1 in each of 3 periods of 5 minutes).
   *
   * Undefined when `createAlarms` is false.
   */
  public readonly reportThrottlesAlarm?: cloudwatch.Alarm;
  /**
   * The alarm that fires when ECR refuses `StartImageScan` for a registry quota, such as the
   * 100,000 basic scans per 24 hours.
   *
   * The handlers' `QuotaHits` metric, sum at least 1 over 5 minutes. Not the
   * once-per-image-per-24-hours rule, which is expected and not counted there. The metric is
   * per account and region, shared by every reporter. Undefined when `createAlarms` is false.
   */
  public readonly scanQuotaAlarm?: cloudwatch.Alarm;
  /**
   * The alarm that fires when reads or writes of `ledgerTable` fail after the SDK's retries.
   *
   * The handlers' `LedgerReadFailures` plus `LedgerWriteFailures`, sum at least 1 over 5
   * minutes. Nothing is lost meanwhile: the rescan reads from ECR, and reports go out as if new.
   * Undefined when `createAlarms` is false.
   */
  public readonly ledgerAlarm?: cloudwatch.Alarm;
  /**
   * Every alarm of the reporter, for adding actions or a composite alarm.
   *
   * Each notifies `alarmTopic` on ALARM when it is given. Empty when `createAlarms` is false.
   */
  public readonly alarms: cloudwatch.Alarm[];
  /** The CloudWatch dashboard (undefined unless `createDashboard` is true). */
  public readonly dashboard?: cloudwatch.Dashboard;

  /**
   * Creates the reporter's topic, queues, functions, rules, ledger table and alarms in `scope`.
   *
   * @param scope The construct the reporter is made in, usually a stack.
   * @param id The reporter's id, unique within `scope`.
   * @param props The reporter's properties, every one optional.
   */
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
    const discoveryOn = props.inUseDiscovery ?? true;
    const schedule = props.schedule ?? events.Schedule.cron({ minute: '0', hour: '3' });
    const holdSeconds = inUseHoldSeconds(props.schedule);
    const inUseEnvironment: Record<string, string> = discoveryOn
      ? { [ENV.IN_USE_DISCOVERY]: 'true', [ENV.IN_USE_HOLD_SECONDS]: String(holdSeconds) }
      : { [ENV.IN_USE_DISCOVERY]: 'false' };
    const acceptedRisks = (props.acceptedRisks ?? []).map((r) => ({
      findingId: r.findingId,
      reason: r.reason,
      expires: r.expires,
      ...(r.repositoryPattern !== undefined ? { repositoryPattern: r.repositoryPattern } : {}),
    }));
    const risksEnvironment: Record<string, string> = acceptedRisks.length > 0 ? { [ENV.ACCEPTED_RISKS]: JSON.stringify(acceptedRisks) } : {};

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
      scopeEnvironment: { ...inUseEnvironment, ...scopeEnvironment(ENV.RESCAN_SCOPE, props.rescanScope) },
      risksEnvironment,
      scanExpiry,
      schedule,
      imageConcurrency: props.imageConcurrency,
      rescanConcurrency: props.rescanConcurrency,
      dailyScanBudget: props.dailyScanBudget,
      readImageIndexes: props.readImageIndexes ?? true,
      coverageWindow: props.coverageWindow,
      maxReceiveCount,
      logRetention,
      ledger,
      eventDeadLetterQueue: this.eventDeadLetterQueue,
      scanningConfiguration,
    });
    const report = new ReportPipeline(this, {
      filterEnvironment,
      contextEnvironment: {
        ...inUseEnvironment,
        ...scopeEnvironment(ENV.REPORT_SCOPE, props.reportScope),
        ...(props.ownerTagKey !== undefined ? { [ENV.OWNER_TAG_KEY]: props.ownerTagKey } : {}),
        ...((props.repositoryOwners ?? []).length > 0
          ? { [ENV.REPOSITORY_OWNERS]: JSON.stringify(props.repositoryOwners!.map((o) => ({ pattern: o.repositoryPattern, owner: o.owner }))) }
          : {}),
        ...risksEnvironment,
        ...(props.chatNotifications ? { [ENV.CHAT_NOTIFICATIONS]: 'true' } : {}),
      },
      readsOwnerTags: props.ownerTagKey !== undefined,
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
    this.pullTimeUpdateExclusion = rescan.pullTimeExclusion;
    this.reportFunction = report.reportFunction;
    this.scanEventRule = report.scanEventRule;
    if (props.inspectorReports ?? true) {
      const inspector = new InspectorReports(this, {
        environment: report.reportEnvironment,
        filterEnvironment,
        readsOwnerTags: props.ownerTagKey !== undefined,
        topic: this.topic,
        ledger,
        eventDeadLetterQueue: this.eventDeadLetterQueue,
        logRetention,
        maxReceiveCount,
      });
      this.inspectorReportFunction = inspector.inspectorReportFunction;
      this.inspectorEventQueue = inspector.queue;
      this.inspectorScanRule = inspector.scanRule;
      this.inspectorFindingRule = inspector.findingRule;
    }
    if (discoveryOn) {
      const discovery = new InUseDiscovery(this, {
        scheduleRule: this.scheduleRule,
        holdSeconds,
        logRetention,
        ledger,
        eventDeadLetterQueue: this.eventDeadLetterQueue,
      });
      this.discoverFunction = discovery.discoverFunction;
    }
    const summarySchedule = props.summary ?? SummarySchedule.weekly();
    if (summarySchedule.schedule && summarySchedule.period) {
      const summary = new RegistrySummary(this, {
        schedule: summarySchedule.schedule,
        period: summarySchedule.period,
        environment: report.reportEnvironment,
        topic: this.topic,
        ledger,
        logRetention,
        eventDeadLetterQueue: this.eventDeadLetterQueue,
        scanningConfiguration,
      });
      this.summaryFunction = summary.summaryFunction;
      this.summaryRule = summary.summaryRule;
    }

    // Alarms and the optional dashboard (monitoring.ts): what they mean is in their descriptions and docs/operations.md.
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
    const alarms = (props.createAlarms ?? true) ? createAlarms(this, monitored, props.alarmTopic) : undefined;
    this.rescanDeadLetterQueueAlarm = alarms?.rescanDeadLetterQueueAlarm;
    this.eventDeadLetterQueueAlarm = alarms?.eventDeadLetterQueueAlarm;
    this.dispatchErrorsAlarm = alarms?.dispatchErrorsAlarm;
    this.rescanErrorsAlarm = alarms?.rescanErrorsAlarm;
    this.reportErrorsAlarm = alarms?.reportErrorsAlarm;
    this.dispatchThrottlesAlarm = alarms?.dispatchThrottlesAlarm;
    this.rescanThrottlesAlarm = alarms?.rescanThrottlesAlarm;
    this.reportThrottlesAlarm = alarms?.reportThrottlesAlarm;
    this.scanQuotaAlarm = alarms?.scanQuotaAlarm;
    this.ledgerAlarm = alarms?.ledgerAlarm;
    this.alarms = alarms ? Object.values(alarms) : [];
    if (props.createDashboard ?? false) {
      this.dashboard = createDashboard(this, monitored, this.alarms);
    }

    acknowledgeNagRules(this, {
      dispatchFunction: this.dispatchFunction,
      rescanFunction: this.rescanFunction,
      reportFunction: this.reportFunction,
      discoverFunction: this.discoverFunction,
      inspectorReportFunction: this.inspectorReportFunction,
      summaryFunction: this.summaryFunction,
      eventDeadLetterQueue: this.eventDeadLetterQueue,
    });
  }

  /**
   * Subscribes `subscription` to the reports of one owner only, with an SNS filter policy on the reports' `owner` attribute.
   *
   * The owner comes from `ownerTagKey` or `repositoryOwners`. Subscriptions added without a
   * filter (such as `emailSubscriptions`) still receive every report.
   * @param owner The owner's name, as `ownerTagKey`'s tag value or a `repositoryOwners` rule gives it.
   * @param subscription The subscription, for example `new subscriptions.EmailSubscription('team-a@example.com')`.
   */
  public addOwnerSubscription(owner: string, subscription: sns.ITopicSubscription): void {
    const problem = ownerProblem('addOwnerSubscription\'s owner', owner);
    if (problem) throw new Error(problem);
    this.topic.addSubscription(new OwnerFilteredSubscription(subscription, owner));
  }

  /**
   * Subscribes `subscription` to the reports of repositories that nobody owns (their `owner` attribute is `UNOWNED`).
   *
   * @param subscription The subscription, for example the platform team's email.
   */
  public addUnownedSubscription(subscription: sns.ITopicSubscription): void {
    this.topic.addSubscription(new OwnerFilteredSubscription(subscription, UNOWNED));
  }
}

/** A subscription whose filter policy also requires one `owner` attribute value. */
class OwnerFilteredSubscription implements sns.ITopicSubscription {
  constructor(
    private readonly inner: sns.ITopicSubscription,
    private readonly owner: string,
  ) {}

  public bind(topic: sns.ITopic): sns.TopicSubscriptionConfig {
    const config = this.inner.bind(topic);
    if (config.filterPolicyWithMessageBody !== undefined) {
      throw new Error('addOwnerSubscription filters on the owner message attribute; give a subscription without filterPolicyWithMessageBody');
    }
    if (config.filterPolicy?.owner !== undefined) {
      throw new Error('addOwnerSubscription sets the subscription\'s filter on "owner" itself; leave "owner" out of its filterPolicy');
    }
    return {
      ...config,
      // The same endpoint may also be subscribed without a filter, or for another owner. Each
      // character other than a letter or digit is written as _ and its two hex digits (owner
      // names are ASCII), so owners that differ only in punctuation (team-a, team_a, teama) get
      // different ids.
      subscriberId: `${config.subscriberId}Owner${this.owner.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`,
      filterPolicy: { ...config.filterPolicy, owner: sns.SubscriptionFilter.stringFilter({ allowlist: [this.owner] }) },
    };
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
