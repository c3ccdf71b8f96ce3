/**
 * Reports under enhanced scanning: Amazon Inspector's `Inspector2 Scan` (initial scan complete)
 * and `Inspector2 Finding` (on ECR images) events go, through two rules, to an encrypted, SSL-only
 * queue, which the Inspector report function reads in batches gathered for up to a minute, so
 * that a burst of finding events for one image makes one report
 * (../lambda/inspector-report.lambda.ts). Records that keep failing go to the reporter's event
 * dead-letter queue, whose alarm already watches the report function's failed events.
 *
 * In a registry under basic scanning the rules match nothing and the function never runs.
 */
import { Duration, aws_events as events, aws_events_targets as targets, aws_lambda_event_sources as sources, aws_logs as logs, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { handlerFunctionOptions } from './handler-function';
import { ReportPipelineOptions, grantReporting } from './report-pipeline';
import { ECR_IMAGE_RESOURCE, INITIAL_SCAN_COMPLETE, INSPECTOR_FINDING, INSPECTOR_SCAN } from '../decisions/inspector-events';
import { InspectorReportFunction } from '../lambda/inspector-report-function';

/** How long the event source gathers records before it invokes the function: a burst's window. */
export const INSPECTOR_BATCH_WINDOW = Duration.seconds(60);
/** Records per invocation, at most: one burst of finding events for an image fits. */
export const INSPECTOR_BATCH_SIZE = 100;
const TIMEOUT = Duration.minutes(2);

export interface InspectorReportsOptions extends Pick<ReportPipelineOptions, 'readsOwnerTags' | 'filterEnvironment' | 'topic' | 'ledger' | 'eventDeadLetterQueue'> {
  /** The report function's environment: the same settings. */
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
  readonly maxReceiveCount: number;
}

export class InspectorReports {
  public readonly queue: sqs.Queue;
  public readonly inspectorReportFunction: InspectorReportFunction;
  public readonly scanRule: events.Rule;
  public readonly findingRule: events.Rule;

  constructor(scope: Construct, options: InspectorReportsOptions) {
    this.queue = new sqs.Queue(scope, 'InspectorEventQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS: at least 6x the function timeout, plus the batching window.
      visibilityTimeout: TIMEOUT.plus(Duration.minutes(11)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: options.eventDeadLetterQueue, maxReceiveCount: options.maxReceiveCount },
    });
    this.inspectorReportFunction = new InspectorReportFunction(scope, 'InspectorReportFunction', {
      ...handlerFunctionOptions(scope, {
        name: 'InspectorReport',
        description: 'Publishes Amazon Inspector reports on ECR images above thresholds',
        timeout: TIMEOUT,
        environment: options.environment,
        logRetention: options.logRetention,
      }),
    });
    grantReporting(this.inspectorReportFunction, options);
    const batching = { batchSize: INSPECTOR_BATCH_SIZE, maxBatchingWindow: INSPECTOR_BATCH_WINDOW, reportBatchItemFailures: true };
    this.inspectorReportFunction.addEventSource(new sources.SqsEventSource(this.queue, batching));
    // EventBridge's delivery to the queue: 4 retries within 2 hours, then the event dead-letter queue.
    const target = new targets.SqsQueue(this.queue, {
      deadLetterQueue: options.eventDeadLetterQueue,
      retryAttempts: 4,
      maxEventAge: Duration.hours(2),
    });
    this.scanRule = new events.Rule(scope, 'InspectorScanRule', {
      description: 'Sends Amazon Inspector\'s initial scans of ECR images to the Inspector report queue',
      eventPattern: { source: ['aws.inspector2'], detailType: [INSPECTOR_SCAN], detail: { 'scan-status': [INITIAL_SCAN_COMPLETE] } },
      targets: [target],
    });
    this.findingRule = new events.Rule(scope, 'InspectorFindingRule', {
      description: 'Sends Amazon Inspector\'s findings on ECR images to the Inspector report queue',
      eventPattern: { source: ['aws.inspector2'], detailType: [INSPECTOR_FINDING], detail: { resources: { type: [ECR_IMAGE_RESOURCE] } } },
      targets: [target],
    });
  }
}
