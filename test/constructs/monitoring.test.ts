import { App, Stack, aws_cloudwatch as cloudwatch, aws_iam as iam, aws_kms as kms, aws_sns as sns } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { EcrScanReporter, EcrScanReporterProps } from '../../src';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../../src/lambda/metric-names';

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function synth(props: EcrScanReporterProps = {}, id = 'ScanReporter') {
  const app = new App();
  const stack = new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const reporter = new EcrScanReporter(stack, id, props);
  return { stack, reporter, template: Template.fromStack(stack) };
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as any);
}

/** An alarm property's alarm, which is undefined only with `createAlarms: false`. */
function made(alarm: cloudwatch.Alarm | undefined): cloudwatch.Alarm {
  if (!alarm) throw new Error('the alarm property is undefined, as if createAlarms were false');
  return alarm;
}

/** The alarm resource behind one of the construct's alarm properties. */
function alarmResource(stack: Stack, template: Template, property: cloudwatch.Alarm | undefined): Record<string, any> {
  const alarm = made(property);
  const resources = template.findResources('AWS::CloudWatch::Alarm') as Resources;
  const resource = resources[logicalId(stack, alarm)];
  if (!resource) throw new Error(`no alarm resource for ${alarm.node.path}`);
  return resource.Properties;
}

type AlarmName =
  | 'rescanDeadLetterQueueAlarm'
  | 'eventDeadLetterQueueAlarm'
  | 'dispatchErrorsAlarm'
  | 'rescanErrorsAlarm'
  | 'reportErrorsAlarm'
  | 'dispatchThrottlesAlarm'
  | 'rescanThrottlesAlarm'
  | 'reportThrottlesAlarm'
  | 'scanQuotaAlarm'
  | 'ledgerAlarm';

const ALARM_NAMES: AlarmName[] = [
  'rescanDeadLetterQueueAlarm',
  'eventDeadLetterQueueAlarm',
  'dispatchErrorsAlarm',
  'rescanErrorsAlarm',
  'reportErrorsAlarm',
  'dispatchThrottlesAlarm',
  'rescanThrottlesAlarm',
  'reportThrottlesAlarm',
  'scanQuotaAlarm',
  'ledgerAlarm',
];

describe('EcrScanReporter alarms', () => {
  const { stack, reporter, template } = synth();
  const queueName = (queue: IConstruct) => [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack, queue), 'QueueName'] } }];
  const functionName = (fn: IConstruct) => [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, fn) } }];

  // property, namespace, metric, dimensions (the resource it watches), statistic, evaluation periods
  const cases: Array<[AlarmName, string, string, () => unknown, string, number]> = [
    ['rescanDeadLetterQueueAlarm', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', () => queueName(reporter.rescanDeadLetterQueue), 'Maximum', 1],
    ['eventDeadLetterQueueAlarm', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', () => queueName(reporter.eventDeadLetterQueue), 'Maximum', 1],
    ['dispatchErrorsAlarm', 'AWS/Lambda', 'Errors', () => functionName(reporter.dispatchFunction), 'Sum', 1],
    ['rescanErrorsAlarm', 'AWS/Lambda', 'Errors', () => functionName(reporter.rescanFunction), 'Sum', 1],
    ['reportErrorsAlarm', 'AWS/Lambda', 'Errors', () => functionName(reporter.reportFunction), 'Sum', 1],
    ['dispatchThrottlesAlarm', 'AWS/Lambda', 'Throttles', () => functionName(reporter.dispatchFunction), 'Sum', 3],
    ['rescanThrottlesAlarm', 'AWS/Lambda', 'Throttles', () => functionName(reporter.rescanFunction), 'Sum', 3],
    ['reportThrottlesAlarm', 'AWS/Lambda', 'Throttles', () => functionName(reporter.reportFunction), 'Sum', 3],
    ['scanQuotaAlarm', METRICS_NAMESPACE, METRIC.QUOTA_HITS, () => [{ Name: 'service', Value: SERVICE_NAME }], 'Sum', 1],
  ];

  test.each(cases)('%s watches %s %s of the right resource, at least 1 per 5 minutes', (name, namespace, metricName, dimensions, statistic, periods) => {
    expect(alarmResource(stack, template, reporter[name])).toEqual({
      Namespace: namespace,
      MetricName: metricName,
      Dimensions: dimensions(),
      Statistic: statistic,
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: periods,
      DatapointsToAlarm: periods,
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringMatching(/^TestStack\/ScanReporter: /),
    });
  });

  test('there are exactly these alarms, and `alarms` lists each of them once', () => {
    const ids = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).sort();
    expect(ids).toEqual(ALARM_NAMES.map((n) => logicalId(stack, made(reporter[n]))).sort());
    expect(reporter.alarms).toEqual(ALARM_NAMES.map((n) => reporter[n]));
  });

  test('every description says what happened and what to do, within CloudWatch\'s 1024 characters', () => {
    const todo: Record<AlarmName, RegExp> = {
      rescanDeadLetterQueueAlarm: /failed 3 times in a row.*redrive the dead-letter queue to the rescan queue/,
      eventDeadLetterQueueAlarm: /ERROR_CODE.*requestPayload.*invoke the function again with the event/,
      dispatchErrorsAlarm: /dispatch function failed.*no repository is queued.*log group/,
      rescanErrorsAlarm: /rescan function failed.*rescan dead-letter queue.*log group/,
      reportErrorsAlarm: /report function failed.*no report is sent.*log group/,
      dispatchThrottlesAlarm: /dispatch function was throttled in each of the last 15 minutes.*raise the account quota or reserve concurrency/,
      rescanThrottlesAlarm: /rescan function was throttled.*raise the account quota or reserve concurrency/,
      reportThrottlesAlarm: /report function was throttled.*reports are late or lost/,
      scanQuotaAlarm: /registry quota.*100,000 basic scans.*longer scanExpiry, narrower patterns/,
      ledgerAlarm: /ledger table.*failed after the SDK's retries.*Nothing is lost.*Ledger read failed.*log groups/,
    };
    for (const name of ALARM_NAMES) {
      const description: string = alarmResource(stack, template, reporter[name]).AlarmDescription;
      expect({ name, description }).toEqual({ name, description: expect.stringMatching(todo[name]) });
      expect(description.length).toBeLessThanOrEqual(1024);
    }
  });

  test('the rescan dead-letter alarm states the configured maxReceiveCount', () => {
    const five = synth({ maxReceiveCount: 5 });
    expect(alarmResource(five.stack, five.template, five.reporter.rescanDeadLetterQueueAlarm).AlarmDescription).toContain('failed 5 times in a row');
  });

  test('without alarmTopic the alarms have no action', () => {
    for (const r of Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources)) {
      expect(r.Properties.AlarmActions).toBeUndefined();
      expect(r.Properties.OKActions).toBeUndefined();
    }
  });

  test('with alarmTopic every alarm notifies it on ALARM, and only on ALARM', () => {
    const app = new App();
    const s = new Stack(app, 'WithTopic');
    const alarmTopic = new sns.Topic(s, 'OpsTopic');
    const r = new EcrScanReporter(s, 'ScanReporter', { alarmTopic });
    const t = Template.fromStack(s);
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm') as Resources);
    expect(alarms).toHaveLength(ALARM_NAMES.length);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: logicalId(s, alarmTopic) }]);
      expect(a.Properties.OKActions).toBeUndefined();
      expect(a.Properties.InsufficientDataActions).toBeUndefined();
    }
    // The alarm topic is not the report topic.
    expect(logicalId(s, r.topic as sns.Topic)).not.toBe(logicalId(s, alarmTopic));
  });

  test('alarmTopic may be an imported topic', () => {
    const app = new App();
    const s = new Stack(app, 'Imported');
    const alarmTopic = sns.Topic.fromTopicArn(s, 'Ops', 'arn:aws:sns:eu-west-1:123456789012:ops');
    new EcrScanReporter(s, 'ScanReporter', { alarmTopic });
    Template.fromStack(s).allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:eu-west-1:123456789012:ops'] });
  });

  test('an alarm topic with a customer managed key that CloudWatch may use is accepted', () => {
    const app = new App();
    const s = new Stack(app, 'Cmk');
    const key = new kms.Key(s, 'AlarmKey', { enableKeyRotation: true });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const alarmTopic = new sns.Topic(s, 'Ops', { masterKey: key });
    new EcrScanReporter(s, 'ScanReporter', { alarmTopic });
    Template.fromStack(s).resourceCountIs('AWS::CloudWatch::Alarm', ALARM_NAMES.length);
  });
});

describe('createAlarms', () => {
  const byDefault = synth();
  const off = synth({ createAlarms: false });

  test('false makes no alarm: no AWS::CloudWatch::Alarm, `alarms` empty, every alarm property undefined', () => {
    off.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(off.reporter.alarms).toEqual([]);
    expect(Object.fromEntries(ALARM_NAMES.map((n) => [n, off.reporter[n]]))).toEqual(Object.fromEntries(ALARM_NAMES.map((n) => [n, undefined])));
  });

  test('false leaves every other resource as the default makes it', () => {
    const withoutAlarms = (resources: Resources) => Object.fromEntries(Object.entries(resources).filter(([, r]) => r.Type !== 'AWS::CloudWatch::Alarm'));
    const defaultResources = byDefault.template.toJSON().Resources as Resources;
    expect(Object.keys(defaultResources).length - Object.keys(withoutAlarms(defaultResources)).length).toBe(ALARM_NAMES.length);
    expect(off.template.toJSON().Resources).toEqual(withoutAlarms(defaultResources));
  });

  test('true is the default: the same template, with every alarm', () => {
    const on = synth({ createAlarms: true });
    expect(on.template.toJSON()).toEqual(byDefault.template.toJSON());
    on.template.resourceCountIs('AWS::CloudWatch::Alarm', ALARM_NAMES.length);
    expect(on.reporter.alarms).toHaveLength(ALARM_NAMES.length);
  });

  test('false with createDashboard still makes the dashboard, with every widget but the alarms\' states', () => {
    const dashboardOf = (props: EcrScanReporterProps) => {
      const { template } = synth(props);
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard') as Resources);
      return parseDashboardBody(dashboard.Properties.DashboardBody);
    };
    const withAlarms = dashboardOf({ createDashboard: true });
    const withoutAlarms = dashboardOf({ createDashboard: true, createAlarms: false });
    const titles = (body: any): string[] => body.widgets.map((w: any) => w.properties.title ?? w.type);
    expect(withAlarms.widgets.filter((w: any) => w.type === 'alarm')).toHaveLength(1);
    expect(withoutAlarms.widgets.filter((w: any) => w.type === 'alarm')).toEqual([]);
    expect(titles(withoutAlarms)).toEqual(titles(withAlarms).filter((t) => t !== 'Alarms'));
    // Every graph is still there, metric for metric.
    const graphs = (body: any) => body.widgets.filter((w: any) => w.type === 'metric').map((w: any) => w.properties.metrics);
    expect(graphs(withoutAlarms)).toEqual(graphs(withAlarms));
  });
});

describe('EcrScanReporter dashboard', () => {
  test('is not created by default', () => {
    const { reporter, template } = synth();
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(reporter.dashboard).toBeUndefined();
  });

  test('is not created when createDashboard is false', () => {
    const { reporter, template } = synth({ createDashboard: false });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(reporter.dashboard).toBeUndefined();
  });

  describe('when createDashboard is true', () => {
    const { stack, reporter, template } = synth({ createDashboard: true });
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard') as Resources;
    const [[id, dashboard]] = Object.entries(dashboards);
    const body = parseDashboardBody(dashboard.Properties.DashboardBody);
    const widget = (title: string) => {
      const found = body.widgets.find((w: any) => w.properties.title === title);
      if (!found) throw new Error(`no widget titled "${title}"`);
      return found.properties;
    };
    const metricsOf = (title: string): any[][] => widget(title).metrics;

    test('one dashboard, exposed as `dashboard`, with a generated name and a week of data', () => {
      expect(id).toBe(logicalId(stack, reporter.dashboard!));
      expect(dashboard.Properties.DashboardName).toBeUndefined();
      expect(body.start).toBe('-P7D');
    });

    test.each(Object.values(METRIC))('graphs the handlers\' metric %s: namespace EcrScanReporter, dimension service, hourly sum', (metricName) => {
      const graphed = body.widgets.flatMap((w: any) => w.properties.metrics ?? []).filter((m: any[]) => m[1] === metricName);
      expect(graphed).toEqual([[METRICS_NAMESPACE, metricName, 'service', SERVICE_NAME, { period: 3600, stat: 'Sum' }]]);
    });

    test('graphs the skipped scans of every reason with a SEARCH over the reason dimension', () => {
      expect(metricsOf('Scans skipped, by reason')).toEqual([
        [
          {
            expression: `SEARCH('{${METRICS_NAMESPACE},reason,service} MetricName="${METRIC.SCANS_SKIPPED}" service="${SERVICE_NAME}"', 'Sum', 3600)`,
            label: "${PROP('Dim.reason')}",
            period: 3600,
          },
        ],
      ]);
    });

    test('graphs this reporter\'s queues', () => {
      const queueName = (q: IConstruct) => ({ 'Fn::GetAtt': [logicalId(stack, q), 'QueueName'] });
      expect(metricsOf('Rescan queue').map((m) => [m[1], m[3]])).toEqual([
        ['ApproximateNumberOfMessagesVisible', queueName(reporter.rescanQueue)],
        ['ApproximateNumberOfMessagesNotVisible', queueName(reporter.rescanQueue)],
        ['ApproximateAgeOfOldestMessage', queueName(reporter.rescanQueue)],
      ]);
      expect(metricsOf('Dead-letter queues').map((m) => [m[1], m[3]])).toEqual([
        ['ApproximateNumberOfMessagesVisible', queueName(reporter.rescanDeadLetterQueue)],
        ['ApproximateNumberOfMessagesVisible', queueName(reporter.eventDeadLetterQueue)],
      ]);
    });

    test.each([
      ['Invocations', 'Invocations'],
      ['Errors', 'Errors'],
      ['Throttles', 'Throttles'],
      ['Duration, maximum (ms)', 'Duration'],
    ])('graphs %s of the three functions', (title, metricName) => {
      const fns = [reporter.dispatchFunction, reporter.rescanFunction, reporter.reportFunction];
      expect(metricsOf(title).map((m) => [m[0], m[1], m[2], m[3]])).toEqual(
        fns.map((fn) => ['AWS/Lambda', metricName, 'FunctionName', { Ref: logicalId(stack, fn) }]),
      );
    });

    test('shows the state of every alarm', () => {
      expect(widget('Alarms').alarms).toEqual(reporter.alarms.map((a) => ({ 'Fn::GetAtt': [logicalId(stack, a), 'Arn'] })));
    });
  });
});

/**
 * The dashboard body as an object: CloudFormation gets it as a Fn::Join of JSON
 * text and references; each reference is put back where its string was.
 */
function parseDashboardBody(body: { 'Fn::Join': [string, unknown[]] }): any {
  const refs: unknown[] = [];
  const text = body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : `@@${refs.push(part) - 1}@@`)).join('');
  const restore = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const m = /^@@(\d+)@@$/.exec(value);
      return m ? refs[Number(m[1])] : value;
    }
    if (Array.isArray(value)) return value.map(restore);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, restore(v)]));
    return value;
  };
  return restore(JSON.parse(text));
}

describe('two reporters in one stack', () => {
  const app = new App();
  const stack = new Stack(app, 'Two');
  const a = new EcrScanReporter(stack, 'TeamA', { repositoryPattern: '^team-a/', createDashboard: true });
  const b = new EcrScanReporter(stack, 'TeamB', { repositoryPattern: '^team-b/', createDashboard: true });
  const template = Template.fromStack(stack);

  test('each has its own alarms and dashboard, none with a physical name', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 * ALARM_NAMES.length);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 2);
    for (const r of Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources)) expect(r.Properties.AlarmName).toBeUndefined();
    for (const r of Object.values(template.findResources('AWS::CloudWatch::Dashboard') as Resources)) expect(r.Properties.DashboardName).toBeUndefined();
  });

  test('each reporter\'s alarms watch its own resources and name it', () => {
    for (const [reporter, other] of [[a, b], [b, a]]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp(`^Two/${reporter.node.id}: the rescan function failed`),
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, reporter.rescanFunction) } }],
      });
      const own = alarmResource(stack, template, reporter.rescanDeadLetterQueueAlarm);
      expect(own.Dimensions[0].Value).toEqual({ 'Fn::GetAtt': [logicalId(stack, reporter.rescanDeadLetterQueue), 'QueueName'] });
      expect(own.Dimensions[0].Value).not.toEqual({ 'Fn::GetAtt': [logicalId(stack, other.rescanDeadLetterQueue), 'QueueName'] });
    }
  });
});
