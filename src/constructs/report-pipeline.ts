/**
 * The report side: ECR's `ECR Image Scan` events go, through a rule, to the report function,
 * which records each in the ledger and publishes the reports due to the topic. Built in the
 * reporter's scope (see rescan-pipeline.ts) so its logical IDs are those of earlier versions.
 */
import {
  Duration,
  Stack,
  Tokenization,
  aws_events as events,
  aws_events_targets as targets,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { asyncFailureHandling, handlerFunctionOptions } from './handler-function';
import { LEDGER_ACTIONS, LedgerTable } from './ledger';
import { grantOnRepositories, selectedRepositoryNames } from './repository-grants';
import { eventTargetOptions } from './rescan-pipeline';
import { DEFAULTS, ENV } from '../decisions/settings';
import { ReportFunction } from '../lambda/report-function';

export interface ReportPipelineOptions {
  readonly filterEnvironment: Record<string, string>;
  /** `reportScope`, owners, accepted risks, chat and the in-use settings, for the report function. */
  readonly contextEnvironment: Record<string, string>;
  /** Whether the report function reads repository tags (`ownerTagKey`). */
  readonly readsOwnerTags: boolean;
  readonly topic: sns.ITopic;
  /** The thresholds by ECR severity name, as the report function reads them. */
  readonly thresholds: Record<string, number>;
  readonly notifyOnScanFailure: boolean;
  readonly maxFindingsPerReport?: number;
  readonly reportOn: string;
  readonly scanExpiry: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly ledger: LedgerTable;
  readonly eventDeadLetterQueue: sqs.IQueue;
}

export class ReportPipeline {
  public readonly reportFunction: ReportFunction;
  public readonly scanEventRule: events.Rule;
  /** The report function's environment: the Inspector report function (inspector-reports.ts) reads the same. */
  public readonly reportEnvironment: Record<string, string>;

  constructor(scope: Construct, options: ReportPipelineOptions) {
    this.reportEnvironment = {
      ...options.filterEnvironment,
      [ENV.TOPIC_ARN]: options.topic.topicArn,
      [ENV.THRESHOLDS]: Stack.of(scope).toJsonString(options.thresholds),
      [ENV.NOTIFY_ON_SCAN_FAILURE]: String(options.notifyOnScanFailure),
      [ENV.MAX_FINDINGS]: Tokenization.stringifyNumber(options.maxFindingsPerReport ?? DEFAULTS.maxFindingsPerReport),
      [ENV.REPORT_ON]: options.reportOn,
      // For the TTL of the ledger's entries (3 scan expiries, at least 90 days).
      [ENV.SCAN_EXPIRY_SECONDS]: Tokenization.stringifyNumber(options.scanExpiry.toSeconds()),
      [ENV.LEDGER_TABLE]: options.ledger.table.tableName,
      ...options.contextEnvironment,
    };
    this.reportFunction = new ReportFunction(scope, 'ReportFunction', {
      ...handlerFunctionOptions(scope, {
        name: 'Report',
        description: 'Publishes ECR scan reports above thresholds',
        timeout: Duration.minutes(1),
        environment: this.reportEnvironment,
        logRetention: options.logRetention,
      }),
      ...asyncFailureHandling(options.eventDeadLetterQueue),
    });
    grantReporting(this.reportFunction, options);

    this.scanEventRule = new events.Rule(scope, 'ScanEventRule', {
      description: 'Sends finished ECR image scans to the report function',
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Scan'],
        // FAILED too when failures are not reported: the ledger records every scan, so the next
        // walk reads a failed digest's state from ECR and scans it again.
        detail: { 'scan-status': ['COMPLETE', 'FAILED'] },
      },
      targets: [new targets.LambdaFunction(this.reportFunction, eventTargetOptions(options.eventDeadLetterQueue))],
    });
  }
}

/**
 * What a function that reports needs: DescribeImageScanFindings and DescribeImages (the image's
 * last pull; read-only, unlike BatchGetImage, no pull itself), ListTagsForResource for owner tags,
 * Publish on the topic, and the ledger. Only on selected repositories: the rules deliver every
 * repository's scans, and the functions skip those the patterns do not select before any ECR call.
 */
export function grantReporting(
  fn: lambda.Function,
  options: Pick<ReportPipelineOptions, 'readsOwnerTags' | 'filterEnvironment' | 'topic' | 'ledger'>,
): void {
  const actions = ['ecr:DescribeImageScanFindings', 'ecr:DescribeImages', ...(options.readsOwnerTags ? ['ecr:ListTagsForResource'] : [])];
  grantOnRepositories(fn, actions, selectedRepositoryNames(options.filterEnvironment[ENV.REPOSITORY_PATTERN]));
  options.topic.grantPublish(fn);
  options.ledger.grant(fn, LEDGER_ACTIONS.report);
}
