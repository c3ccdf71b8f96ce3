import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack, aws_events as events, aws_logs as logs, aws_sns as sns, aws_sns_subscriptions as subscriptions } from 'aws-cdk-lib';
import { CheckResult, EXPECTED, checkCloudAssembly } from './check-template';
import { EcrScanReporter, ImageScope } from '../../src';

// The consumer apps' check, run on an assembly the TypeScript construct synthesizes with
// the same props: it passes there, and each check fails when its behaviour breaks.

const BUNDLED = path.join(__dirname, '..', '..', 'assets', 'lambda');
const STACK = 'EcrScanReporterTypeScript';

function synthesize(outdir: string, props: { ownTopic?: boolean } = {}): void {
  const app = new App({ outdir });
  const stack = new Stack(app, STACK);
  const reporter = new EcrScanReporter(stack, 'ScanReporter', {
    repositoryPattern: EXPECTED.repositoryPattern,
    excludePattern: EXPECTED.excludePattern,
    scanExpiry: Duration.seconds(EXPECTED.scanExpirySeconds),
    schedule: events.Schedule.cron({ minute: '30', hour: '6' }),
    thresholds: { critical: EXPECTED.thresholds.CRITICAL, high: EXPECTED.thresholds.HIGH, medium: EXPECTED.thresholds.MEDIUM },
    notifyOnScanFailure: EXPECTED.notifyOnScanFailure,
    topic: props.ownTopic ? undefined : sns.Topic.fromTopicArn(stack, 'SecurityAlerts', EXPECTED.topicArn),
    maxFindingsPerReport: EXPECTED.maxFindingsPerReport,
    rescanConcurrency: EXPECTED.rescanConcurrency,
    imageConcurrency: EXPECTED.imageConcurrency,
    maxReceiveCount: EXPECTED.maxReceiveCount,
    logRetention: logs.RetentionDays.TWO_WEEKS,
    reportScope: ImageScope.inUseOrPulledWithin(Duration.days(30)),
    ownerTagKey: EXPECTED.ownerTagKey,
    acceptedRisks: EXPECTED.acceptedRisks.map((r) => ({ ...r })),
  });
  reporter.addOwnerSubscription(EXPECTED.ownerSubscription.owner, new subscriptions.EmailSubscription(EXPECTED.ownerSubscription.endpoint));
  app.synth();
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-check-'));
const pristine = path.join(tmp, 'pristine');
synthesize(pristine);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let copies = 0;
/** A copy of the good assembly, changed by `mutate`, checked. */
function checkMutated(mutate: (outdir: string, template: any) => void, toolLog?: string): CheckResult[] {
  const outdir = path.join(tmp, `copy-${copies++}`);
  fs.cpSync(pristine, outdir, { recursive: true });
  const file = path.join(outdir, `${STACK}.template.json`);
  const template = JSON.parse(fs.readFileSync(file, 'utf8'));
  mutate(outdir, template);
  fs.writeFileSync(file, JSON.stringify(template));
  return checkCloudAssembly({ outdir, stackName: STACK, bundledAssetsDir: BUNDLED, toolLog });
}

function failed(results: CheckResult[]): Record<string, string[]> {
  return Object.fromEntries(results.filter((r) => r.problems.length > 0).map((r) => [r.name, r.problems]));
}

function resourcesOf(template: any, type: string): any[] {
  return Object.values(template.Resources).filter((r: any) => r.Type === type);
}

function functionEnv(template: any, descriptionStart: string): Record<string, string> {
  return resourcesOf(template, 'AWS::Lambda::Function').find((f) => f.Properties.Description.startsWith(descriptionStart)).Properties
    .Environment.Variables;
}

test('every check passes on the assembly the TypeScript construct synthesizes with the consumers\' props', () => {
  const results = checkCloudAssembly({ outdir: pristine, stackName: STACK, bundledAssetsDir: BUNDLED, toolLog: path.join(tmp, 'no-tool-log') });
  expect(results).toHaveLength(10);
  expect(failed(results)).toEqual({});
});

test('fails when the owner\'s subscription has no filter policy, or the scope did not reach the report function', () => {
  const results = checkMutated((_, template) => {
    for (const r of resourcesOf(template, 'AWS::SNS::Subscription')) delete r.Properties.FilterPolicy;
    delete functionEnv(template, 'Publishes ECR').REPORT_SCOPE;
  });
  expect(failed(results)).toEqual({
    'addOwnerSubscription: one email subscription to the topic, filtered on the owner attribute': [
      `subscriptions (protocol, endpoint, topic, filter policy): expected [["email","team-a@example.com","${EXPECTED.topicArn}",{"owner":["team-a"]}]], got [["email","team-a@example.com","${EXPECTED.topicArn}",null]]`,
    ],
    'the props reached the handlers\' configuration': ['report REPORT_SCOPE: expected "in-use-or-pulled-within:30", got undefined'],
  });
});

test('fails when the stack was not synthesized', () => {
  const results = checkCloudAssembly({ outdir: path.join(tmp, 'missing'), stackName: STACK, bundledAssetsDir: BUNDLED });
  expect(failed(results)).toEqual({ 'the app synthesized a template': [expect.stringMatching(/does not exist/)] });
});

test.each<[string, (outdir: string, template: any) => void, RegExp]>([
  [
    'a function is missing',
    (_, t) => {
      const id = Object.keys(t.Resources).find(
        (k) => t.Resources[k].Type === 'AWS::Lambda::Function' && t.Resources[k].Properties.Description.startsWith('Publishes'),
      )!;
      delete t.Resources[id];
    },
    /no report function/,
  ],
  ['a function runs on x86', (_, t) => { resourcesOf(t, 'AWS::Lambda::Function')[0].Properties.Architectures = ['x86_64']; }, /Architectures/],
  [
    'a function\'s code is not the prebundled handler',
    (outdir) => {
      const asset = fs.readdirSync(outdir).find((f) => f.startsWith('asset.'))!;
      fs.appendFileSync(path.join(outdir, asset, 'index.js'), '\n// rebuilt on the consumer\'s machine\n');
    },
    /differs from the prebundled/,
  ],
  [
    'a function\'s asset folder has more than the bundle',
    (outdir) => {
      const asset = fs.readdirSync(outdir).find((f) => f.startsWith('asset.'))!;
      fs.writeFileSync(path.join(outdir, asset, 'package.json'), '{}');
    },
    /asset files/,
  ],
  [
    'a function\'s code is inline, not an asset',
    (_, t) => { resourcesOf(t, 'AWS::Lambda::Function')[1].Properties.Code = { ZipFile: 'exports.handler = 1' }; },
    /not a file asset/,
  ],
  [
    'the rescan queue has no dead-letter queue',
    (_, t) => {
      delete resourcesOf(t, 'AWS::SQS::Queue').find((q) => /RescanDeadLetterQueue/.test(q.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0])).Properties.RedrivePolicy;
    },
    /the queue the rescan function reads .* has no RedrivePolicy/,
  ],
  ['an Inspector rule targets another queue', (_, t) => { resourcesOf(t, 'AWS::Events::Rule').find((r) => r.Properties.EventPattern?.source?.[0] === 'aws.inspector2').Properties.Targets[0].Arn = 'arn:aws:sqs:eu-west-1:123456789012:elsewhere'; }, /Inspector2 .* rule target/],
  ['maxReceiveCount did not arrive', (_, t) => { resourcesOf(t, 'AWS::SQS::Queue').find((q) => q.Properties.RedrivePolicy).Properties.RedrivePolicy.maxReceiveCount = 3; }, /maxReceiveCount/],
  ['rescanConcurrency did not arrive', (_, t) => { resourcesOf(t, 'AWS::Lambda::EventSourceMapping')[0].Properties.ScalingConfig.MaximumConcurrency = 2; }, /MaximumConcurrency/],
  ['the rule leaves FAILED scans out', (_, t) => { resourcesOf(t, 'AWS::Events::Rule').find((r) => r.Properties.EventPattern).Properties.EventPattern.detail['scan-status'].pop(); }, /EventPattern/],
  ['the ledger has no point-in-time recovery', (_, t) => { delete resourcesOf(t, 'AWS::DynamoDB::Table')[0].Properties.PointInTimeRecoverySpecification; }, /PointInTimeRecoverySpecification/],
  ['the ledger is deleted with the stack', (_, t) => { resourcesOf(t, 'AWS::DynamoDB::Table')[0].DeletionPolicy = 'Delete'; }, /DeletionPolicy/],
  ['the report function is not given the ledger', (_, t) => { delete functionEnv(t, 'Publishes').LEDGER_TABLE_NAME; }, /report LEDGER_TABLE_NAME/],
  ['the schedule did not arrive', (_, t) => { resourcesOf(t, 'AWS::Events::Rule').find((r) => r.Properties.ScheduleExpression).Properties.ScheduleExpression = 'cron(0 3 * * ? *)'; }, /ScheduleExpression/],
  ['repositoryPattern did not arrive', (_, t) => { delete functionEnv(t, 'Lists').REPOSITORY_PATTERN; }, /dispatch REPOSITORY_PATTERN/],
  ['scanExpiry did not arrive', (_, t) => { functionEnv(t, 'Starts').SCAN_EXPIRY_SECONDS = '604800'; }, /SCAN_EXPIRY_SECONDS/],
  ['a threshold did not arrive', (_, t) => { functionEnv(t, 'Publishes').THRESHOLDS = '{"CRITICAL":1,"HIGH":5}'; }, /THRESHOLDS/],
  ['notifyOnScanFailure did not arrive', (_, t) => { functionEnv(t, 'Publishes').NOTIFY_ON_SCAN_FAILURE = 'true'; }, /NOTIFY_ON_SCAN_FAILURE/],
  ['the log retention did not arrive', (_, t) => { resourcesOf(t, 'AWS::Logs::LogGroup')[2].Properties.RetentionInDays = 30; }, /RetentionInDays/],
])('fails when %s', (_, mutate, problem) => {
  const problems = Object.values(failed(checkMutated(mutate))).flat();
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
});

test('fails when the construct made its own topic instead of using the given one', () => {
  const outdir = path.join(tmp, 'own-topic');
  synthesize(outdir, { ownTopic: true });
  const results = checkCloudAssembly({ outdir, stackName: STACK, bundledAssetsDir: BUNDLED });
  expect(Object.keys(failed(results))).toEqual(
    expect.arrayContaining(['the existing topic is used: no topic created, the report function may publish to it', 'the props reached the handlers\' configuration']),
  );
});

test('fails when docker or esbuild was called during synth', () => {
  const toolLog = path.join(tmp, 'tool-log');
  fs.writeFileSync(toolLog, 'docker run --rm -v /asset-input:/asset-input public.ecr.aws/sam/build-nodejs\n');
  expect(failed(checkMutated(() => undefined, toolLog))).toEqual({
    'neither docker nor esbuild was called': [expect.stringMatching(/^called during synth: docker run/)],
  });
});
