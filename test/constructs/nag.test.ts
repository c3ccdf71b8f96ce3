import { App, Stack, Validations, aws_iam as iam, aws_kms as kms, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { EcrScanReporter } from '../../src';

function acknowledgments(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
}

describe('cdk-nag AwsSolutions', () => {
  test('a stack with the construct has no unacknowledged violation', () => {
    const stack = new Stack(new App(), 'Nag');
    new EcrScanReporter(stack, 'ScanReporter', { emailSubscriptions: ['security@example.com'] });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(report.violations).toEqual([]);
    expect(report.success).toBe(true);
  });

  test('with a topic you bring, still no violation', () => {
    const stack = new Stack(new App(), 'NagByo');
    const topic = new sns.Topic(stack, 'Topic', { enforceSSL: true, masterKey: undefined });
    new EcrScanReporter(stack, 'ScanReporter', { topic });
    const violations = new AwsSolutionsChecks().validateScope(stack).violations;
    // Only the user's own topic may be flagged, never the construct's resources.
    for (const v of violations) {
      for (const r of v.violatingResources) expect(r.constructPath).not.toContain('ScanReporter');
    }
  });

  test('with the alarm topic and the dashboard, still no violation', () => {
    const stack = new Stack(new App(), 'NagMonitoring');
    const key = new kms.Key(stack, 'AlarmKey', { enableKeyRotation: true });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const alarmTopic = new sns.Topic(stack, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    new EcrScanReporter(stack, 'ScanReporter', { alarmTopic, createDashboard: true });
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  test('every acknowledgment names a rule or finding and gives a reason', () => {
    const stack = new Stack(new App(), 'Acks');
    new EcrScanReporter(stack, 'ScanReporter');
    const acks = acknowledgments(stack);
    const repositories = 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*]';
    expect(acks.map((a) => `${a.path} ${a.id}`).sort()).toEqual([
      `Acks/ScanReporter/DiscoverRole/DefaultPolicy ${repositories}`,
      'Acks/ScanReporter/DiscoverRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'Acks/ScanReporter/DiscoverRole/DefaultPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:service/*/*]',
      'Acks/ScanReporter/DiscoverRole/DefaultPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task/*/*]',
      'Acks/ScanReporter/DiscoverRole/DefaultPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:<AWS::Region>:<AWS::AccountId>:function:*]',
      `Acks/ScanReporter/DispatchRole/DefaultPolicy ${repositories}`,
      'Acks/ScanReporter/DispatchRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      'Acks/ScanReporter/EventDeadLetterQueue AwsSolutions-SQS3',
      `Acks/ScanReporter/InspectorReportRole/DefaultPolicy ${repositories}`,
      `Acks/ScanReporter/ReportRole/DefaultPolicy ${repositories}`,
      `Acks/ScanReporter/RescanRole/DefaultPolicy ${repositories}`,
      'Acks/ScanReporter/RescanRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
      `Acks/ScanReporter/SummaryRole/DefaultPolicy ${repositories}`,
      'Acks/ScanReporter/SummaryRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
    ].sort());
    for (const ack of acks) expect(ack.reason.length).toBeGreaterThan(40);
  });

  test('in a stack with a concrete account and region, still no violation', () => {
    const stack = new Stack(new App(), 'NagEnv', { env: { account: '123456789012', region: 'eu-west-1' } });
    new EcrScanReporter(stack, 'ScanReporter');
    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
  });

  test('only the acknowledged findings are acknowledged: another wildcard still fails', () => {
    const stack = new Stack(new App(), 'Extra');
    const reporter = new EcrScanReporter(stack, 'ScanReporter');
    reporter.reportFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }),
    );
    const ruleNames = new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(ruleNames).toEqual(['AwsSolutions-IAM5[Resource::arn:aws:s3:::bucket/*]']);
  });

  test('the check does catch violations (it is not a no-op here)', () => {
    const stack = new Stack(new App(), 'Bad');
    new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    const ruleNames = new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(ruleNames).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});
