import { App, Duration, Lazy, Stack, aws_events as events, aws_kms as kms, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { EcrScanReporter, EcrScanReporterProps } from '../../src';

function synth(props: EcrScanReporterProps = {}): { stack: Stack; reporter: EcrScanReporter; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const reporter = new EcrScanReporter(stack, 'ScanReporter', props);
  return { stack, reporter, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

function functionsByDescription(template: Template): Record<string, Record<string, any>> {
  const functions = template.findResources('AWS::Lambda::Function') as Resources;
  return Object.fromEntries(Object.values(functions).map((f) => [f.Properties.Description, f.Properties]));
}

function environmentOf(template: Template, descriptionStart: string): Record<string, any> {
  const entry = Object.entries(functionsByDescription(template)).find(([d]) => d.startsWith(descriptionStart));
  if (!entry) throw new Error(`no function described "${descriptionStart}..."`);
  return entry[1].Environment.Variables;
}

const REPOSITORY_ARNS = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':ecr:eu-west-1:123456789012:repository/*'],
  ],
};

describe('EcrScanReporter defaults', () => {
  const { template } = synth();

  test('six functions (dispatch, rescan, report, Inspector report, in-use discovery, summary) on nodejs24.x, ARM64, with prebundled code and their own log groups', () => {
    const functions = template.findResources('AWS::Lambda::Function') as Resources;
    expect(Object.keys(functions)).toHaveLength(6);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    }
    template.resourceCountIs('AWS::Logs::LogGroup', 6);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('the rescan queue is encrypted, has a dead-letter queue, and a visibility timeout of 6x the function timeout', () => {
    const queues = template.findResources('AWS::SQS::Queue') as Resources;
    expect(Object.keys(queues)).toHaveLength(4);
    for (const q of Object.values(queues)) expect(q.Properties.SqsManagedSseEnabled).toBe(true);

    const rescanQueue = Object.entries(queues).find(([id]) => /RescanQueue/.test(id))?.[1];
    expect(rescanQueue?.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/RescanDeadLetterQueue/), 'Arn'] },
      maxReceiveCount: 3,
    });
    const rescanFunction = Object.entries(functionsByDescription(template)).find(([d]) => d.startsWith('Starts ECR image scans'))![1];
    expect(rescanQueue?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * rescanFunction.Timeout);
  });

  test('the Inspector event queue is encrypted, redrives to the event dead-letter queue, and outlasts 6 function timeouts plus the batching window', () => {
    const queues = template.findResources('AWS::SQS::Queue') as Resources;
    const inspectorQueue = Object.entries(queues).find(([id]) => /InspectorEventQueue/.test(id))![1];
    expect(inspectorQueue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/EventDeadLetterQueue/), 'Arn'] },
      maxReceiveCount: 3,
    });
    const fn = Object.entries(functionsByDescription(template)).find(([d]) => d.startsWith('Publishes Amazon Inspector reports'))![1];
    expect(inspectorQueue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Timeout + 60);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 60,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('InspectorEventQueue'), 'Arn'] },
    });
  });

  test('two rules send Amazon Inspector\'s initial scans and its findings on ECR images, and nothing else, to the Inspector queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.inspector2'], 'detail-type': ['Inspector2 Scan'], 'detail': { 'scan-status': ['INITIAL_SCAN_COMPLETE'] } },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('InspectorEventQueue'), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.inspector2'],
        'detail-type': ['Inspector2 Finding'],
        'detail': { resources: { type: ['AWS_ECR_CONTAINER_IMAGE'] } },
      },
    });
  });

  test('inspectorReports false: no Inspector queue, rules or function', () => {
    const { template: without, reporter } = synth({ inspectorReports: false });
    expect(reporter.inspectorReportFunction).toBeUndefined();
    expect(reporter.inspectorEventQueue).toBeUndefined();
    without.resourceCountIs('AWS::Lambda::Function', 5);
    expect(JSON.stringify(without.toJSON())).not.toContain('aws.inspector2');
  });

  test('every queue and the topic refuse requests without TLS', () => {
    const denyInsecure = Match.objectLike({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    const queuePolicies = template.findResources('AWS::SQS::QueuePolicy') as Resources;
    expect(Object.keys(queuePolicies)).toHaveLength(4);
    for (const policy of Object.values(queuePolicies)) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]));
    }
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([denyInsecure]) },
    });
  });

  test('the topic is encrypted with the AWS managed SNS key', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:eu-west-1:123456789012:alias/aws/sns']] },
    });
  });

  test('the rescan function reads the queue with partial batch failures and bounded concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
      BatchSize: 5,
    });
  });

  test('the schedule runs dispatch and the in-use discovery daily at 03:00 UTC, with retries and a dead-letter queue', () => {
    const target = (fn: string) =>
      Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp(fn), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('EventDeadLetterQueue'), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
      });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [target('DispatchFunction'), target('DiscoverFunction')],
    });
  });

  test('the scan rule matches ECR Image Scan events, COMPLETE and FAILED, and targets the report function', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ecr'],
        'detail-type': ['ECR Image Scan'],
        'detail': { 'scan-status': ['COMPLETE', 'FAILED'] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ReportFunction'), 'Arn'] } })],
    });
  });

  test('dispatch, discovery, report and summary failures go to the event dead-letter queue after two retries', () => {
    const configs = template.findResources('AWS::Lambda::EventInvokeConfig') as Resources;
    expect(Object.keys(configs)).toHaveLength(4);
    for (const config of Object.values(configs)) {
      expect(config.Properties.MaximumRetryAttempts).toBe(2);
      expect(config.Properties.DestinationConfig.OnFailure.Destination).toEqual({
        'Fn::GetAtt': [expect.stringMatching(/EventDeadLetterQueue/), 'Arn'],
      });
    }
  });

  test('handlers get the default configuration', () => {
    expect(environmentOf(template, 'Starts ECR image scans')).toMatchObject({ SCAN_EXPIRY_SECONDS: '604800', IMAGE_CONCURRENCY: '5' });
    const report = environmentOf(template, 'Publishes ECR scan reports');
    expect(JSON.parse(report.THRESHOLDS)).toEqual({ CRITICAL: 1, HIGH: 1 });
    expect(report).toMatchObject({ NOTIFY_ON_SCAN_FAILURE: 'true', MAX_FINDINGS_PER_REPORT: '20' });
    expect(report.TOPIC_ARN).toEqual({ Ref: expect.stringMatching(/Topic/) });
    for (const description of ['Lists ECR', 'Starts ECR', 'Publishes ECR']) {
      const env = environmentOf(template, description);
      expect(env.REPOSITORY_PATTERN).toBeUndefined();
      expect(env.EXCLUDE_PATTERN).toBeUndefined();
    }
    expect(environmentOf(template, 'Lists ECR').RESCAN_QUEUE_URL).toEqual({ Ref: expect.stringMatching(/RescanQueue/) });
  });
});

describe('EcrScanReporter IAM', () => {
  const { template } = synth();
  const policies = template.findResources('AWS::IAM::Policy') as Resources;
  const statementsOf = (roleMatch: RegExp) => {
    const entry = Object.entries(policies).find(([id]) => roleMatch.test(id));
    if (!entry) throw new Error(`no policy ${roleMatch}`);
    return entry[1].Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>;
  };
  const actions = (s: { Action: string | string[] }) => ([] as string[]).concat(s.Action);

  test('no statement grants a wildcard action', () => {
    for (const policy of Object.values(policies)) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of actions(statement)) expect(action).not.toContain('*');
      }
    }
  });

  test('ECR actions are scoped to this account and region\'s repositories, except the registry-level read', () => {
    const ecrStatements = Object.values(policies)
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>)
      .filter((s) => actions(s).some((a) => a.startsWith('ecr:')));
    expect(ecrStatements.length).toBeGreaterThan(0);
    for (const statement of ecrStatements) {
      if (actions(statement).includes('ecr:GetRegistryScanningConfiguration')) {
        expect(actions(statement)).toEqual(['ecr:GetRegistryScanningConfiguration']);
        expect(statement.Resource).toBe('*');
      } else {
        expect(statement.Resource).toEqual(REPOSITORY_ARNS);
      }
    }
  });

  test('each function gets only the ECR actions it calls', () => {
    const ecrActions = (role: RegExp) => statementsOf(role).flatMap(actions).filter((a) => a.startsWith('ecr:')).sort();
    expect(ecrActions(/DispatchRole/)).toEqual(['ecr:BatchGetRepositoryScanningConfiguration', 'ecr:DescribeRepositories', 'ecr:GetRegistryScanningConfiguration']);
    // BatchGetImage: image index manifests (readImageIndexes), under a pull-time update exclusion (below).
    expect(ecrActions(/RescanRole/)).toEqual([
      'ecr:BatchGetImage',
      'ecr:DescribeImageScanFindings',
      'ecr:DescribeImages',
      'ecr:GetRegistryScanningConfiguration',
      'ecr:StartImageScan',
    ]);
    // DescribeImages: the image's last pull, for the report's "In use" line and reportScope.
    expect(ecrActions(/ReportRole/)).toEqual(['ecr:DescribeImageScanFindings', 'ecr:DescribeImages']);
    // DescribeImages resolves task definitions' tags; never BatchGetImage, which would count as a pull.
    expect(ecrActions(/DiscoverRole/)).toEqual(['ecr:DescribeImages']);
  });

  test('the rescan role is a pull-time update exclusion, in place before the schedule first runs, so reading an index is no pull', () => {
    const exclusions = template.findResources('AWS::ECR::PullTimeUpdateExclusion') as Resources;
    expect(Object.values(exclusions)).toHaveLength(1);
    const [id, exclusion] = Object.entries(exclusions)[0];
    expect(exclusion.Properties.PrincipalArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ScanReporterRescanRole/), 'Arn'] });
    const rules = template.findResources('AWS::Events::Rule', { Properties: { Description: 'Queues ECR repositories for rescanning' } }) as Record<string, { DependsOn?: string[] }>;
    expect(Object.values(rules)[0].DependsOn).toContain(id);
    expect(environmentOf(template, 'Starts ECR image scans').READ_IMAGE_INDEXES).toBe('true');
  });

  test('readImageIndexes false: no BatchGetImage, no exclusion, and the rescan function is told', () => {
    const off = synth({ readImageIndexes: false }).template;
    off.resourceCountIs('AWS::ECR::PullTimeUpdateExclusion', 0);
    const rescanActions = Object.entries(off.findResources('AWS::IAM::Policy') as Resources)
      .filter(([id]) => /RescanRole/.test(id))
      .map(([, p]) => p)
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>)
      .flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
    expect(rescanActions).toContain('ecr:StartImageScan');
    expect(rescanActions).not.toContain('ecr:BatchGetImage');
    expect(environmentOf(off, 'Starts ECR image scans').READ_IMAGE_INDEXES).toBe('false');
  });

  test('the in-use discovery may only read ECS and Lambda, on this account and region', () => {
    const granted = statementsOf(/DiscoverRole/).filter((s) => actions(s).some((a) => a.startsWith('ecs:') || a.startsWith('lambda:')));
    const all = granted.flatMap(actions).sort();
    expect(all).toEqual([
      'ecs:DescribeServices',
      'ecs:DescribeTaskDefinition',
      'ecs:DescribeTasks',
      'ecs:ListClusters',
      'ecs:ListServices',
      'ecs:ListTasks',
      'lambda:GetFunction',
      'lambda:ListFunctions',
    ]);
    const list = granted.find((s) => actions(s).includes('ecs:ListTasks'));
    expect(list).toMatchObject({ Resource: '*', Condition: { ArnLike: { 'ecs:cluster': expect.anything() } } });
  });

  test('only the report functions (basic and Inspector) and the summary may publish, and only to the topic', () => {
    const publishers = Object.entries(policies).filter(([, p]) =>
      (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).some((s) => actions(s).includes('sns:Publish')),
    );
    expect(publishers.map(([id]) => id).sort()).toEqual([
      expect.stringMatching(/InspectorReportRole/),
      expect.stringMatching(/^ScanReporterReportRole/),
      expect.stringMatching(/^ScanReporterSummaryRole/),
    ]);
    for (const role of [/^ScanReporterReportRole/, /InspectorReportRole/, /^ScanReporterSummaryRole/]) {
      const publish = statementsOf(role).find((s) => actions(s).includes('sns:Publish'));
      expect(publish?.Resource).toEqual({ Ref: expect.stringMatching(/Topic/) });
    }
  });

  test('functions use roles without managed policies', () => {
    const roles = template.findResources('AWS::IAM::Role') as Resources;
    expect(Object.keys(roles)).toHaveLength(6);
    for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('EcrScanReporter props', () => {
  test('patterns, expiry, thresholds and limits reach the handlers', () => {
    const { template } = synth({
      repositoryPattern: '^team-a/',
      excludePattern: '-sandbox$',
      scanExpiry: Duration.days(3),
      thresholds: { critical: 2, medium: 10, low: 0, informational: 100, undefined: 7 },
      maxFindingsPerReport: 50,
      imageConcurrency: 8,
      dailyScanBudget: 60_000,
    });
    for (const description of ['Lists ECR', 'Starts ECR', 'Publishes ECR']) {
      expect(environmentOf(template, description)).toMatchObject({ REPOSITORY_PATTERN: '^team-a/', EXCLUDE_PATTERN: '-sandbox$' });
    }
    expect(environmentOf(template, 'Starts ECR')).toMatchObject({ SCAN_EXPIRY_SECONDS: String(3 * 86_400), IMAGE_CONCURRENCY: '8', DAILY_SCAN_BUDGET: '60000' });
    const report = environmentOf(template, 'Publishes ECR');
    // critical is overridden, high keeps its default, the others are evaluated because they are set.
    expect(JSON.parse(report.THRESHOLDS)).toEqual({ CRITICAL: 2, HIGH: 1, MEDIUM: 10, LOW: 0, INFORMATIONAL: 100, UNDEFINED: 7 });
    expect(report.MAX_FINDINGS_PER_REPORT).toBe('50');
  });

  test('notifyOnScanFailure false tells the handler; the rule still delivers FAILED scans, which the ledger records', () => {
    const { template } = synth({ notifyOnScanFailure: false });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { 'scan-status': ['COMPLETE', 'FAILED'] } }),
    });
    expect(environmentOf(template, 'Publishes ECR').NOTIFY_ON_SCAN_FAILURE).toBe('false');
  });

  test('a custom schedule replaces the daily one', () => {
    const { template } = synth({ schedule: events.Schedule.rate(Duration.hours(12)) });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(12 hours)' });
    expect(JSON.stringify(template.toJSON())).not.toContain('cron(0 3 * * ? *)');
  });

  test('rescanConcurrency and maxReceiveCount are applied', () => {
    const { template } = synth({ rescanConcurrency: 10, maxReceiveCount: 5 });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 10 } });
    template.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
  });

  test('a topic you bring is used and granted, and no topic is created', () => {
    const app = new App();
    const stack = new Stack(app, 'Byo');
    const topic = new sns.Topic(stack, 'MyTopic');
    const reporter = new EcrScanReporter(stack, 'ScanReporter', { topic, emailSubscriptions: ['security@example.com'] });
    const template = Template.fromStack(stack);
    expect(reporter.topic).toBe(topic);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: stack.getLogicalId(topic.node.defaultChild as any) } })]) },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'security@example.com',
      TopicArn: { Ref: stack.getLogicalId(topic.node.defaultChild as any) },
    });
  });

  test('a customer managed key encrypts the new topic and the report function may use it', () => {
    const app = new App();
    const stack = new Stack(app, 'Cmk');
    const key = new kms.Key(stack, 'Key');
    new EcrScanReporter(stack, 'ScanReporter', { topicEncryptionKey: key });
    const template = Template.fromStack(stack);
    const keyId = stack.getLogicalId(key.node.defaultChild as any);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['kms:GenerateDataKey*']), Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } }),
        ]),
      },
    });
  });

  test('two reporters fit in one stack', () => {
    const app = new App();
    const stack = new Stack(app, 'Two');
    new EcrScanReporter(stack, 'TeamA', { repositoryPattern: '^team-a/' });
    new EcrScanReporter(stack, 'TeamB', { repositoryPattern: '^team-b/' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 12);
    template.resourceCountIs('AWS::SNS::Topic', 2);
    // No physical names: CloudFormation names everything, so nothing collides.
    for (const type of ['AWS::Lambda::Function', 'AWS::SQS::Queue', 'AWS::SNS::Topic']) {
      for (const r of Object.values(template.findResources(type) as Resources)) {
        expect(r.Properties.FunctionName ?? r.Properties.QueueName ?? r.Properties.TopicName).toBeUndefined();
      }
    }
  });

  test('public properties expose every resource a user may tune, alarm on or subscribe to', () => {
    const { stack, reporter } = synth();
    const template = Template.fromStack(stack);
    const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as any);
    expect(Object.keys(template.findResources('AWS::Lambda::Function')).sort()).toEqual(
      [
        reporter.dispatchFunction,
        reporter.rescanFunction,
        reporter.reportFunction,
        reporter.discoverFunction!,
        reporter.inspectorReportFunction!,
        reporter.summaryFunction!,
      ]
        .map(logicalId)
        .sort(),
    );
    expect(Object.keys(template.findResources('AWS::SQS::Queue')).sort()).toEqual(
      [reporter.rescanQueue, reporter.rescanDeadLetterQueue, reporter.eventDeadLetterQueue, reporter.inspectorEventQueue as sqs.Queue]
        .map(logicalId)
        .sort(),
    );
    expect(Object.keys(template.findResources('AWS::Events::Rule')).sort()).toEqual(
      [reporter.scheduleRule, reporter.scanEventRule, reporter.inspectorScanRule!, reporter.inspectorFindingRule!, reporter.summaryRule!]
        .map(logicalId)
        .sort(),
    );
    expect(Object.keys(template.findResources('AWS::SNS::Topic'))).toEqual([logicalId(reporter.topic as sns.Topic)]);
  });

  test('tokens are not validated at synth time and reach the handlers as deploy-time values', () => {
    const { template } = synth({
      repositoryPattern: Lazy.string({ produce: () => '(' }),
      thresholds: { critical: Lazy.number({ produce: () => -1 }) },
      scanExpiry: Duration.seconds(Lazy.number({ produce: () => 10 })),
    });
    expect(environmentOf(template, 'Starts ECR')).toMatchObject({ REPOSITORY_PATTERN: '(', SCAN_EXPIRY_SECONDS: '10' });
    expect(JSON.parse(environmentOf(template, 'Publishes ECR').THRESHOLDS)).toEqual({ CRITICAL: -1, HIGH: 1 });
  });

  test('a scan expiry over 30 days is a warning that can be acknowledged', () => {
    const { stack } = synth({ scanExpiry: Duration.days(60) });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('scanExpiry is 60 days.*\\[ack: ecr-scan-reporter:longScanExpiry\\]'));
    const { stack: quiet } = synth({ scanExpiry: Duration.days(14) });
    Annotations.fromStack(quiet).hasNoWarning('*', Match.anyValue());
  });
});

describe('EcrScanReporter validation', () => {
  const cases: Array<[string, EcrScanReporterProps, RegExp]> = [
    ['repositoryPattern is not a regular expression', { repositoryPattern: '(unclosed' }, /repositoryPattern is not a valid JavaScript regular expression: .* \(given "\(unclosed"\); give the pattern.s source without slashes or flags, and escape/],
    ['excludePattern is not a regular expression', { excludePattern: '[a-' }, /excludePattern is not a valid JavaScript regular expression: .* \(given "\[a-"\)/],
    ['repositoryPattern is empty', { repositoryPattern: '' }, /repositoryPattern must not be empty; omit it to select every repository \(given ""\)/],
    ['scanExpiry is under a day', { scanExpiry: Duration.hours(12) }, /scanExpiry must be at least 1 day, because ECR allows one scan per image per 24 hours \(given 12 hours\)/],
    ['a threshold is negative', { thresholds: { critical: -1 } }, /thresholds.critical must be a whole number of findings, 0 or more \(given -1\)/],
    ['a threshold is fractional', { thresholds: { medium: 2.5 } }, /thresholds.medium must be a whole number of findings, 0 or more \(given 2.5\)/],
    ['the undefined threshold is negative', { thresholds: { undefined: -3 } }, /thresholds.undefined must be a whole number of findings, 0 or more \(given -3\)/],
    ['maxFindingsPerReport is too large', { maxFindingsPerReport: 5000 }, /maxFindingsPerReport must be a whole number from 0 to 1000.*\(given 5000\)/],
    ['rescanConcurrency is below the event source minimum', { rescanConcurrency: 1 }, /rescanConcurrency must be a whole number from 2 to 1000.*\(given 1\)/],
    ['imageConcurrency is zero', { imageConcurrency: 0 }, /imageConcurrency must be a whole number from 1 to 50.*\(given 0\)/],
    ['maxReceiveCount is zero', { maxReceiveCount: 0 }, /maxReceiveCount must be a whole number from 1 to 1000.*\(given 0\)/],
    ['an email subscription is not an address', { emailSubscriptions: ['not-an-email'] }, /emailSubscriptions must hold email addresses .*\(given "not-an-email"\)/],
  ];

  test.each(cases)('fails if %s', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('fails if a topic and a topic key are both given, naming the fix', () => {
    const app = new App();
    const stack = new Stack(app, 'Both');
    expect(
      () => new EcrScanReporter(stack, 'R', { topic: new sns.Topic(stack, 'T'), topicEncryptionKey: new kms.Key(stack, 'K') }),
    ).toThrow(/topicEncryptionKey only applies to the topic the construct creates/);
  });

  test('reports every problem in one error, before creating any resource', () => {
    const app = new App();
    const stack = new Stack(app, 'Many');
    let message = '';
    try {
      new EcrScanReporter(stack, 'R', { repositoryPattern: '(', scanExpiry: Duration.hours(1), thresholds: { high: -2 } });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n- ')).toHaveLength(4);
    expect(message).toMatch(/^Invalid EcrScanReporter props:/);
    expect(message).toContain('repositoryPattern');
    expect(message).toContain('scanExpiry');
    expect(message).toContain('thresholds.high');
    expect(stack.node.findChild('R').node.children).toHaveLength(0);
  });
});
