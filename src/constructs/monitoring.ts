/**
 * The reporter's alarms and optional dashboard, built from the resources the
 * construct made and the metric names the handlers publish (../lambda/metric-names).
 * The construct (ecr-scan-reporter.ts) exposes what is made here; users read that file.
 */
import {
  Duration,
  Tokenization,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as actions,
  aws_dynamodb as dynamodb,
  aws_lambda as lambda,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/metric-names';

/** What the alarms and the dashboard watch. */
export interface MonitoredResources {
  readonly dispatchFunction: lambda.IFunction;
  readonly rescanFunction: lambda.IFunction;
  readonly reportFunction: lambda.IFunction;
  readonly rescanQueue: sqs.IQueue;
  readonly rescanDeadLetterQueue: sqs.IQueue;
  readonly eventDeadLetterQueue: sqs.IQueue;
  readonly ledgerTable: dynamodb.ITable;
  /** Deliveries of a rescan message before its dead-letter queue, for the alarm's description. */
  readonly maxReceiveCount: number;
}

export interface ReporterAlarms {
  readonly rescanDeadLetterQueueAlarm: cloudwatch.Alarm;
  readonly eventDeadLetterQueueAlarm: cloudwatch.Alarm;
  readonly dispatchErrorsAlarm: cloudwatch.Alarm;
  readonly rescanErrorsAlarm: cloudwatch.Alarm;
  readonly reportErrorsAlarm: cloudwatch.Alarm;
  readonly dispatchThrottlesAlarm: cloudwatch.Alarm;
  readonly rescanThrottlesAlarm: cloudwatch.Alarm;
  readonly reportThrottlesAlarm: cloudwatch.Alarm;
  readonly scanQuotaAlarm: cloudwatch.Alarm;
  readonly ledgerAlarm: cloudwatch.Alarm;
}

/** Alarm period: short enough to page within minutes of a failure. */
const ALARM_PERIOD = Duration.minutes(5);
/** Throttling must last this many alarm periods in a row: one throttled burst is retried by Lambda itself. */
const THROTTLE_PERIODS = 3;

/** A handler metric: namespace `EcrScanReporter`, dimension `service`, summed. */
function handlerMetric(metricName: string, period: Duration): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: SERVICE_NAME },
    statistic: cloudwatch.Stats.SUM,
    period,
  });
}

/**
 * The alarms. Every one counts something that should not happen, so a period
 * without data (no invocation, an empty queue) is not breaching. Only ALARM
 * notifies `alarmTopic`: these alarms return to OK by themselves one period
 * after the count stops, and an OK message for each would be noise.
 */
export function createAlarms(scope: Construct, r: MonitoredResources, alarmTopic?: sns.ITopic): ReporterAlarms {
  const path = scope.node.path;
  const alarm = (id: string, metric: cloudwatch.IMetric, description: string, evaluationPeriods = 1): cloudwatch.Alarm => {
    const a = new cloudwatch.Alarm(scope, id, {
      metric,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: `${path}: ${description}`,
    });
    if (alarmTopic) a.addAlarmAction(new actions.SnsAction(alarmTopic));
    return a;
  };
  const deadLetters = (queue: sqs.IQueue) =>
    queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.MAXIMUM });
  const errors = (fn: lambda.IFunction) => fn.metricErrors({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM });
  const throttles = (fn: lambda.IFunction) => fn.metricThrottles({ period: ALARM_PERIOD, statistic: cloudwatch.Stats.SUM });
  const throttled = (name: string, consequence: string) =>
    `the ${name} function was throttled in each of the last ${THROTTLE_PERIODS * ALARM_PERIOD.toMinutes()} minutes: the account's (or the function's reserved) Lambda concurrency is used up. ${consequence} ` +
    'Find what uses the concurrency (Lambda console, ConcurrentExecutions by function), then raise the account quota or reserve concurrency for the busy function.';
  const failed = (name: string, consequence: string) =>
    `the ${name} function failed (an error or a timeout). ${consequence} ` +
    'Its log group says why: an ERROR line from the handler (with the repository name when there is one), or Lambda\'s "Task timed out" line. Fix the cause; nothing needs a manual retry unless a dead-letter queue alarm follows.';

  return {
    rescanDeadLetterQueueAlarm: alarm(
      'RescanDeadLetterQueueAlarm',
      deadLetters(r.rescanDeadLetterQueue),
      `messages are in the rescan dead-letter queue: the walk of a repository failed ${Tokenization.stringifyNumber(r.maxReceiveCount)} times in a row, so its images were not rescanned. ` +
        'Read a message (its body names the repository), find the failures in the rescan function\'s log group by that repositoryName or the messageId, fix the cause, ' +
        'then redrive the dead-letter queue to the rescan queue (SQS "Start DLQ redrive"); rescanning is idempotent. The alarm stays in ALARM until the queue is empty; messages expire after 14 days.',
    ),
    eventDeadLetterQueueAlarm: alarm(
      'EventDeadLetterQueueAlarm',
      deadLetters(r.eventDeadLetterQueue),
      'messages are in the event dead-letter queue: a scheduled run could not start the dispatch function, or a scan event could not be turned into a report, after retries. ' +
        'Read a message: an EventBridge delivery failure carries the event and the ERROR_CODE and ERROR_MESSAGE attributes; a function failure carries requestPayload (the event), ' +
        'responsePayload (the error) and requestContext.requestId (search the function\'s log group for it). Fix the cause, invoke the function again with the event (a missed run: ' +
        'invoke dispatch with {}), then delete the message. The alarm stays in ALARM until the queue is empty; messages expire after 14 days.',
    ),
    dispatchErrorsAlarm: alarm(
      'DispatchErrorsAlarm',
      errors(r.dispatchFunction),
      failed('dispatch', 'Lambda retries it twice; if every attempt fails, the run\'s event lands in the event dead-letter queue and no repository is queued until the next schedule.'),
    ),
    rescanErrorsAlarm: alarm(
      'RescanErrorsAlarm',
      errors(r.rescanFunction),
      failed('rescan', 'The whole batch returns to the rescan queue and is retried; a repository that keeps failing lands in the rescan dead-letter queue.'),
    ),
    reportErrorsAlarm: alarm(
      'ReportErrorsAlarm',
      errors(r.reportFunction),
      failed('report', 'Lambda retries the scan event twice; if every attempt fails, no report is sent for that scan and the event lands in the event dead-letter queue.'),
    ),
    dispatchThrottlesAlarm: alarm(
      'DispatchThrottlesAlarm',
      throttles(r.dispatchFunction),
      throttled('dispatch', 'Lambda keeps retrying the scheduled run for up to 6 hours, then sends it to the event dead-letter queue.'),
      THROTTLE_PERIODS,
    ),
    rescanThrottlesAlarm: alarm(
      'RescanThrottlesAlarm',
      throttles(r.rescanFunction),
      throttled('rescan', 'Throttled batches return to the rescan queue; repeated throttling moves repositories to the rescan dead-letter queue.'),
      THROTTLE_PERIODS,
    ),
    reportThrottlesAlarm: alarm(
      'ReportThrottlesAlarm',
      throttles(r.reportFunction),
      throttled('report', 'Lambda keeps retrying scan events for up to 6 hours, then sends them to the event dead-letter queue: reports are late or lost.'),
      THROTTLE_PERIODS,
    ),
    scanQuotaAlarm: alarm(
      'ScanQuotaAlarm',
      handlerMetric(METRIC.QUOTA_HITS, ALARM_PERIOD),
      'ECR refused StartImageScan for a registry quota (not the once-per-image-per-24-hours rule), for example the 100,000 basic scans per registry per 24 hours: ' +
        'images due a rescan were left unscanned and are tried again at the next scheduled run. The rescan function\'s WARN lines give ECR\'s message. ' +
        'Scan less per day (a longer scanExpiry, narrower patterns), or ask AWS about the quota. The metric is per account and region, shared by every reporter there.',
    ),
    ledgerAlarm: alarm(
      'LedgerAlarm',
      new cloudwatch.MathExpression({
        expression: 'FILL(reads, 0) + FILL(writes, 0)',
        usingMetrics: {
          reads: handlerMetric(METRIC.LEDGER_READ_FAILURES, ALARM_PERIOD),
          writes: handlerMetric(METRIC.LEDGER_WRITE_FAILURES, ALARM_PERIOD),
        },
        label: 'Ledger reads and writes failed',
        period: ALARM_PERIOD,
      }),
      'reads or writes of the ledger table (the reporter\'s DynamoDB table) failed after the SDK\'s retries: throttling, server errors, a key the functions may not use, or a deleted table. ' +
        'Nothing is lost meanwhile: the rescan function reads those digests\' state from ECR, and the report function reports as if the ledger had no entry, so a report may repeat. ' +
        'The WARN lines "Ledger read failed" and "Ledger write failed" in the rescan and report functions\' log groups give DynamoDB\'s error; the table\'s console shows throttled requests and system errors. ' +
        'The metric is per account and region, shared by every reporter there.',
    ),
  };
}

/**
 * The optional dashboard: the handlers' counts, the queues and the functions, and the alarms'
 * states. Without alarms (`createAlarms: false`) the alarm status widget is left out rather
 * than shown as an empty box.
 */
export function createDashboard(scope: Construct, r: MonitoredResources, alarms: cloudwatch.IAlarm[]): cloudwatch.Dashboard {
  const hourly = Duration.hours(1);
  const fiveMinutes = Duration.minutes(5);
  const counts = (title: string, metricNames: string[]) =>
    new cloudwatch.GraphWidget({ title, width: 8, height: 6, left: metricNames.map((name) => handlerMetric(name, hourly)) });
  const functions: Array<[string, lambda.IFunction]> = [
    ['dispatch', r.dispatchFunction],
    ['rescan', r.rescanFunction],
    ['report', r.reportFunction],
  ];
  const perFunction = (title: string, metric: (fn: lambda.IFunction, label: string) => cloudwatch.IMetric) =>
    new cloudwatch.GraphWidget({ title, width: 8, height: 6, left: functions.map(([label, fn]) => metric(fn, label)) });
  // Every value of the `reason` dimension, without naming them here: the handlers own the list.
  const byReason = (metricName: string) =>
    new cloudwatch.MathExpression({
      expression: `SEARCH('{${METRICS_NAMESPACE},reason,service} MetricName="${metricName}" service="${SERVICE_NAME}"', 'Sum', ${hourly.toSeconds()})`,
      label: "${PROP('Dim.reason')}",
      period: hourly,
      usingMetrics: {},
    });
  const skippedByReason = byReason(METRIC.SCANS_SKIPPED);

  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { defaultInterval: Duration.days(7) });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      width: 24,
      height: 2,
      markdown:
        `### ECR scan reporter \`${scope.node.path}\`\n` +
        `Counts are hourly sums from namespace \`${METRICS_NAMESPACE}\`, dimension \`service=${SERVICE_NAME}\`: ` +
        'per account and region, shared by every reporter there. What each alarm means and what to do: docs/operations.md in cdk-ecr-scan-reporter.',
    }),
  );
  dashboard.addWidgets(
    counts('Repositories (dispatch)', [METRIC.REPOSITORIES_LISTED, METRIC.REPOSITORIES_DISPATCHED, METRIC.CONTINUATIONS]),
    counts('Images (rescan)', [METRIC.IMAGES_EVALUATED, METRIC.SCANS_STARTED, METRIC.SCANS_SKIPPED]),
    new cloudwatch.GraphWidget({ title: 'Scans skipped, by reason', width: 8, height: 6, stacked: true, left: [skippedByReason] }),
  );
  dashboard.addWidgets(
    counts('Reports', [METRIC.REPORTS_PUBLISHED, METRIC.REPORTS_WITHHELD, METRIC.REPORTS_BELOW_THRESHOLD, METRIC.REPORTS_SKIPPED, METRIC.REPORTS_POSSIBLY_DUPLICATED]),
    counts('Ledger', [METRIC.STATUS_READS_SAVED, METRIC.LEDGER_READ_FAILURES, METRIC.LEDGER_WRITE_FAILURES, METRIC.LEDGER_ENTRIES_IGNORED]),
    new cloudwatch.GraphWidget({
      title: 'Ledger table capacity (DynamoDB)',
      width: 8,
      height: 6,
      left: [
        r.ledgerTable.metricConsumedReadCapacityUnits({ period: hourly, label: 'read units' }),
        r.ledgerTable.metricConsumedWriteCapacityUnits({ period: hourly, label: 'write units' }),
      ],
    }),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Reports withheld, by reason', width: 8, height: 6, stacked: true, left: [byReason(METRIC.REPORTS_WITHHELD)] }),
    counts('Refusals, retries and rejected inputs', [METRIC.QUOTA_HITS, METRIC.AWS_RETRIES, METRIC.INPUTS_REJECTED]),
    ...(alarms.length > 0 ? [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', width: 8, height: 6, alarms })] : []),
  );
  dashboard.addWidgets(
    counts('In use (discovery) and coverage gaps (dispatch, under enhanced scanning)', [METRIC.IN_USE_DIGESTS, METRIC.WORKLOADS_READ, METRIC.REPOSITORIES_NOT_COVERED, METRIC.IMAGES_NOT_MONITORED]),
    counts('Owners and accepted risks (report, dispatch)', [METRIC.OWNER_TAG_READS, METRIC.FINDINGS_IGNORED, METRIC.ACCEPTED_RISKS_UNMATCHED]),
    counts('Image indexes (rescan) and the registry summary', [METRIC.INDEX_MANIFESTS_READ, METRIC.INDEX_MANIFESTS_UNREAD, METRIC.SUMMARIES_PUBLISHED, METRIC.LEDGER_ITEMS_SCANNED]),
  );
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({
      title: 'Rescan queue',
      width: 8,
      height: 6,
      left: [
        r.rescanQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM, label: 'waiting' }),
        r.rescanQueue.metricApproximateNumberOfMessagesNotVisible({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM, label: 'in flight' }),
      ],
      right: [r.rescanQueue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM, label: 'oldest (seconds)' })],
    }),
    new cloudwatch.GraphWidget({
      title: 'Dead-letter queues',
      width: 8,
      height: 6,
      left: [
        r.rescanDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM, label: 'rescan' }),
        r.eventDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM, label: 'event' }),
      ],
    }),
    perFunction('Invocations', (fn, label) => fn.metricInvocations({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM, label })),
  );
  dashboard.addWidgets(
    perFunction('Errors', (fn, label) => fn.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM, label })),
    perFunction('Throttles', (fn, label) => fn.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM, label })),
    perFunction('Duration, maximum (ms)', (fn, label) => fn.metricDuration({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM, label })),
  );
  return dashboard;
}
