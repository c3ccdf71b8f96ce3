import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EcrScanReporter } from '../../src';

/**
 * Upgrading keeps every resource: the logical ID and type of each resource of the default
 * template before the ledger (and before the construct was split into its parts, issue 11),
 * copied from that version's snapshot. A changed logical ID would make CloudFormation replace
 * the resource: a new topic ARN (email subscribers confirm again), new queues (dead letters
 * lost), new log groups. The ledger table is the one resource an upgrade adds.
 */
const BEFORE_THE_LEDGER: Array<[string, string]> = [
  ['ScanReporterDispatchContinuationPolicy1843A7A4', 'AWS::IAM::Policy'],
  ['ScanReporterDispatchErrorsAlarm29C66DFE', 'AWS::CloudWatch::Alarm'],
  ['ScanReporterDispatchFunctionC7582F33', 'AWS::Lambda::Function'],
  ['ScanReporterDispatchFunctionEventInvokeConfigE7BBDB21', 'AWS::Lambda::EventInvokeConfig'],
  ['ScanReporterDispatchLogsFDD57CD8', 'AWS::Logs::LogGroup'],
  ['ScanReporterDispatchRole748DEE1B', 'AWS::IAM::Role'],
  ['ScanReporterDispatchRoleDefaultPolicyE711483C', 'AWS::IAM::Policy'],
  ['ScanReporterDispatchThrottlesAlarm770977DA', 'AWS::CloudWatch::Alarm'],
  ['ScanReporterEventDeadLetterQueue2D8544BE', 'AWS::SQS::Queue'],
  ['ScanReporterEventDeadLetterQueueAlarmF8689F92', 'AWS::CloudWatch::Alarm'],
  ['ScanReporterEventDeadLetterQueuePolicyF5992696', 'AWS::SQS::QueuePolicy'],
  ['ScanReporterReportErrorsAlarmD9EA972C', 'AWS::CloudWatch::Alarm'],
  ['ScanReporterReportFunction8FA425CC', 'AWS::Lambda::Function'],
  ['ScanReporterReportFunctionEventInvokeConfigC2F8203D', 'AWS::Lambda::EventInvokeConfig'],
  ['ScanReporterReportLogs1805E3F1', 'AWS::Logs::LogGroup'],
  ['ScanReporterReportRoleDD72EF4D', 'AWS::IAM::Role'],
  ['ScanReporterReportRoleDefaultPolicy8DC31334', 'AWS::IAM::Policy'],
  ['ScanReporterReportThrottlesAlarm4C1CDA50', 'AWS::CloudWatch::Alarm'],
  ['ScanReporterRescanDeadLetterQueueAlarm36939344', 'AWS::CloudWatch::Alarm'],
  ['ScanReporterRescanDeadLetterQueueC7D21ECE', 'AWS::SQS::Queue'],
  ['ScanReporterRescanDeadLetterQueuePolicy60F1BA44', 'AWS::SQS::QueuePolicy'],
  ['ScanReporterRescanErrorsAlarm47D0DF19', 'AWS::CloudWatch::Alarm'],
  ['ScanReporterRescanFunction40A45B99', 'AWS::Lambda::Function'],
  ['ScanReporterRescanFunctionSqsEventSourceSnapshotScanReporterRescanQueue4B660EC7918FF4EA', 'AWS::Lambda::EventSourceMapping'],
  ['ScanReporterRescanLogsC5789E1E', 'AWS::Logs::LogGroup'],
  ['ScanReporterRescanQueueDC8542E0', 'AWS::SQS::Queue'],
  ['ScanReporterRescanQueuePolicy659F8DA4', 'AWS::SQS::QueuePolicy'],
  ['ScanReporterRescanRoleDefaultPolicy7704610E', 'AWS::IAM::Policy'],
  ['ScanReporterRescanRoleE332CBD8', 'AWS::IAM::Role'],
  ['ScanReporterRescanThrottlesAlarmA56ACE02', 'AWS::CloudWatch::Alarm'],
  ['ScanReporterScanEventRule72F239F5', 'AWS::Events::Rule'],
  ['ScanReporterScanEventRuleAllowEventRuleSnapshotScanReporterReportFunction6C368E7A8E58BB97', 'AWS::Lambda::Permission'],
  ['ScanReporterScanQuotaAlarm690E7CBC', 'AWS::CloudWatch::Alarm'],
  ['ScanReporterScheduleRule84B54BD6', 'AWS::Events::Rule'],
  ['ScanReporterScheduleRuleAllowEventRuleSnapshotScanReporterDispatchFunctionD4C4CE6F0EE35C80', 'AWS::Lambda::Permission'],
  ['ScanReporterTopic52BF724C', 'AWS::SNS::Topic'],
  ['ScanReporterTopicPolicy43BC8EE4', 'AWS::SNS::TopicPolicy'],
];

test('every resource of the previous default template keeps its logical ID and type; only the ledger (issue 11), the in-use discovery (issue 12), the Inspector reports and the pull-time update exclusion (issue 13) and the summary (issue 14) are added', () => {
  const stack = new Stack(new App(), 'Snapshot');
  new EcrScanReporter(stack, 'ScanReporter');
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>;
  const now = Object.entries(resources)
    .filter(([id]) => id.startsWith('ScanReporter'))
    .map(([id, r]) => [id, r.Type]);
  expect(now).toEqual(expect.arrayContaining(BEFORE_THE_LEDGER));
  const added = now.filter(([id]) => !BEFORE_THE_LEDGER.some(([before]) => before === id));
  expect(added.sort()).toEqual([
    // The in-use discovery: a function on the schedule rule, with its own role, logs and continuation policy.
    ['ScanReporterDiscoverContinuationPolicy35AFDB88', 'AWS::IAM::Policy'],
    ['ScanReporterDiscoverFunctionC2732F65', 'AWS::Lambda::Function'],
    ['ScanReporterDiscoverFunctionEventInvokeConfigB4665ECA', 'AWS::Lambda::EventInvokeConfig'],
    ['ScanReporterDiscoverLogsB4FC59CA', 'AWS::Logs::LogGroup'],
    ['ScanReporterDiscoverRoleC35F9A4D', 'AWS::IAM::Role'],
    ['ScanReporterDiscoverRoleDefaultPolicy309827E3', 'AWS::IAM::Policy'],
    // The Inspector reports: a queue the two rules fill, read by a function of its own.
    ['ScanReporterInspectorEventQueue0AA255FB', 'AWS::SQS::Queue'],
    ['ScanReporterInspectorEventQueuePolicy4CCA8F36', 'AWS::SQS::QueuePolicy'],
    ['ScanReporterInspectorFindingRule43052FC2', 'AWS::Events::Rule'],
    ['ScanReporterInspectorReportFunctionE5B89018', 'AWS::Lambda::Function'],
    ['ScanReporterInspectorReportFunctionSqsEventSourceSnapshotScanReporterInspectorEventQueue8C93A65026B04719', 'AWS::Lambda::EventSourceMapping'],
    ['ScanReporterInspectorReportLogsCBFE59A9', 'AWS::Logs::LogGroup'],
    ['ScanReporterInspectorReportRole495CFF96', 'AWS::IAM::Role'],
    ['ScanReporterInspectorReportRoleDefaultPolicyA60173AC', 'AWS::IAM::Policy'],
    ['ScanReporterInspectorScanRuleC36EFA35', 'AWS::Events::Rule'],
    ['ScanReporterLedger4520E0EE', 'AWS::DynamoDB::Table'],
    ['ScanReporterLedgerAlarmECAD4892', 'AWS::CloudWatch::Alarm'],
    // Image indexes (issue 13): the rescan role's pull-time update exclusion, so its BatchGetImage reads are no pulls.
    ['ScanReporterRescanPullTimeExclusion6DDAC240', 'AWS::ECR::PullTimeUpdateExclusion'],
    ['ScanReporterScheduleRuleAllowEventRuleSnapshotScanReporterDiscoverFunctionDBEE6CEB57B01DB5', 'AWS::Lambda::Permission'],
    // The registry summary (issue 14): a function on a rule of its own, with its role and logs.
    ['ScanReporterSummaryFunctionEventInvokeConfig59D085FF', 'AWS::Lambda::EventInvokeConfig'],
    ['ScanReporterSummaryFunctionF61FFBF6', 'AWS::Lambda::Function'],
    ['ScanReporterSummaryLogs56F7591C', 'AWS::Logs::LogGroup'],
    ['ScanReporterSummaryRoleA45B8091', 'AWS::IAM::Role'],
    ['ScanReporterSummaryRoleDefaultPolicy8FE4ABA5', 'AWS::IAM::Policy'],
    ['ScanReporterSummaryRule0AA7F099', 'AWS::Events::Rule'],
    ['ScanReporterSummaryRuleAllowEventRuleSnapshotScanReporterSummaryFunctionA7686DEC464BACB8', 'AWS::Lambda::Permission'],
  ]);
});
