import { App, Duration, Stack, aws_events as events } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { EcrScanReporter, SummarySchedule } from '../../src';

function synth(summary?: SummarySchedule) {
  const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
  const reporter = new EcrScanReporter(stack, 'ScanReporter', summary ? { summary } : {});
  return { reporter, template: Template.fromStack(stack) };
}

const summaryRule = (template: Template) =>
  Object.values(template.findResources('AWS::Events::Rule', { Properties: { Description: 'Publishes the ECR registry summary' } })) as { Properties: { ScheduleExpression: string } }[];

describe('SummarySchedule', () => {
  test('the default: weekly, Monday 08:00 UTC, of the week before; the function reads and writes the ledger, publishes, and reads only the registry\'s scanning configuration', () => {
    const { reporter, template } = synth();
    expect(summaryRule(template).map((r) => r.Properties.ScheduleExpression)).toEqual(['cron(0 8 ? * MON *)']);
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Publishes a summary of the ECR registry from the ledger' } }))[0] as {
      Properties: { Environment: { Variables: Record<string, unknown> }; Timeout: number };
    };
    expect(fn.Properties.Environment.Variables).toMatchObject({ SUMMARY_PERIOD_SECONDS: '604800', TOPIC_ARN: expect.anything(), LEDGER_TABLE_NAME: expect.anything() });
    // Not the report's own settings: thresholds and the report mode do not apply to a summary.
    expect(fn.Properties.Environment.Variables).not.toHaveProperty('THRESHOLDS');
    expect(fn.Properties.Timeout).toBe(900);
    const policy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) => /SummaryRole/.test(id))?.[1] as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } };
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((s) => ([] as string[]).concat(s.Action)).sort();
    expect(actions.filter((a) => !a.startsWith('logs:') && !a.startsWith('sqs:'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Scan',
      // Under enhanced scanning, the repositories no scanning filter covers (read-only).
      'ecr:BatchGetRepositoryScanningConfiguration',
      'ecr:DescribeRepositories',
      'ecr:GetRegistryScanningConfiguration',
      'sns:Publish',
    ]);
    // Lambda's on-failure destination: the event dead-letter queue.
    expect(actions.filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(reporter.summaryFunction).toBeDefined();
  });

  test('every(schedule, period): that schedule and period', () => {
    const { template } = synth(SummarySchedule.every(events.Schedule.cron({ hour: '7', minute: '0' }), Duration.days(1)));
    expect(summaryRule(template).map((r) => r.Properties.ScheduleExpression)).toEqual(['cron(0 7 * * ? *)']);
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Publishes a summary of the ECR registry from the ledger' } }))[0] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    expect(fn.Properties.Environment.Variables.SUMMARY_PERIOD_SECONDS).toBe('86400');
  });

  test('off(): no summary function, role, log group or rule', () => {
    const { reporter, template } = synth(SummarySchedule.off());
    expect(reporter.summaryFunction).toBeUndefined();
    expect(reporter.summaryRule).toBeUndefined();
    expect(summaryRule(template)).toEqual([]);
    expect(Object.keys(template.findResources('AWS::IAM::Role')).some((id) => /Summary/.test(id))).toBe(false);
  });
});
