import {
  App,
  CfnParameter,
  Duration,
  RemovalPolicy,
  Stack,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { EcrScanReporter, EcrScanReporterProps, ReportOn } from '../../src';
import { RepositoryFilter } from '../../src/decisions/repository-filter';

/**
 * The catalogue of bad inputs: every prop, each kind of bad value, and what the
 * construct does with it: a clear error at synth (the value quoted, the fix named),
 * a warning that can be acknowledged, or a synthesized template (tokens are
 * deploy-time values and pass unchecked). Props that need other constructs are
 * built from the stack they go in.
 */
type Props = EcrScanReporterProps | ((stack: Stack) => EcrScanReporterProps);

function build(props: Props): { stack: Stack; reporter: EcrScanReporter } {
  const app = new App();
  const stack = new Stack(app, 'BadProps', { env: { account: '123456789012', region: 'eu-west-1' } });
  const reporter = new EcrScanReporter(stack, 'ScanReporter', typeof props === 'function' ? props(stack) : props);
  return { stack, reporter };
}

function errorOf(props: Props): string {
  try {
    build(props);
  } catch (e) {
    return (e as Error).message;
  }
  return '(no error)';
}

const number = (stack: Stack) => new CfnParameter(stack, 'P', { type: 'Number' }).valueAsNumber;
const string = (stack: Stack) => new CfnParameter(stack, 'P', { type: 'String' }).valueAsString;

describe('tokens synthesize unchecked, and reach the template as references', () => {
  const cases: Array<[string, (stack: Stack) => EcrScanReporterProps]> = [
    ['repositoryPattern', (s) => ({ repositoryPattern: string(s) })],
    ['excludePattern', (s) => ({ excludePattern: string(s) })],
    ['scanExpiry in seconds', (s) => ({ scanExpiry: Duration.seconds(number(s)) })],
    ['schedule', (s) => ({ schedule: events.Schedule.expression(string(s)) })],
    ['thresholds.critical', (s) => ({ thresholds: { critical: number(s) } })],
    ['thresholds.high', (s) => ({ thresholds: { high: number(s) } })],
    ['thresholds.medium', (s) => ({ thresholds: { medium: number(s) } })],
    ['thresholds.low', (s) => ({ thresholds: { low: number(s) } })],
    ['thresholds.informational', (s) => ({ thresholds: { informational: number(s) } })],
    ['thresholds.undefined', (s) => ({ thresholds: { undefined: number(s) } })],
    ['topic, imported by a token ARN', (s) => ({ topic: sns.Topic.fromTopicArn(s, 'T', string(s)) })],
    ['an address of emailSubscriptions', (s) => ({ emailSubscriptions: [string(s)] })],
    ['maxFindingsPerReport', (s) => ({ maxFindingsPerReport: number(s) })],
    ['rescanConcurrency', (s) => ({ rescanConcurrency: number(s) })],
    ['imageConcurrency', (s) => ({ imageConcurrency: number(s) })],
    ['maxReceiveCount', (s) => ({ maxReceiveCount: number(s) })],
    ['logRetention', (s) => ({ logRetention: number(s) as logs.RetentionDays })],
    ['alarmTopic, imported by a token ARN', (s) => ({ alarmTopic: sns.Topic.fromTopicArn(s, 'T', string(s)) })],
  ];

  test.each(cases)('%s', (_name, props) => {
    const { stack } = build(props);
    expect(JSON.stringify(Template.fromStack(stack).toJSON().Resources)).toContain('{"Ref":"P"}');
  });
});

describe('errors: one message per problem, quoting the value and naming the fix', () => {
  const cases: Array<[string, Props, RegExp]> = [
    // Empty strings.
    ['repositoryPattern is empty', { repositoryPattern: '' }, /repositoryPattern must not be empty; omit it to select every repository \(given ""\)/],
    ['excludePattern is empty', { excludePattern: '' }, /excludePattern must not be empty; omit it to exclude no repository \(given ""\)/],
    ['an email address is empty', { emailSubscriptions: [''] }, /emailSubscriptions must hold email addresses such as security@example.com \(given ""\)/],

    // Invalid regular expressions.
    ['repositoryPattern has an unclosed group', { repositoryPattern: '(team' }, /repositoryPattern is not a valid JavaScript regular expression: .*\(given "\(team"\); give the pattern's source without slashes or flags/],
    ['repositoryPattern has an unclosed class', { repositoryPattern: '[a-' }, /repositoryPattern is not a valid JavaScript regular expression: .*\(given "\[a-"\)/],
    ['repositoryPattern starts with a quantifier', { repositoryPattern: '*-api' }, /repositoryPattern is not a valid JavaScript regular expression: .*\(given "\*-api"\)/],
    ['repositoryPattern has a reversed range', { repositoryPattern: '[z-a]' }, /repositoryPattern is not a valid JavaScript regular expression: .*\(given "\[z-a\]"\)/],
    ['repositoryPattern ends in a lone backslash', { repositoryPattern: 'team\\' }, /repositoryPattern is not a valid JavaScript regular expression: .*\(given "team\\\\"\)/],
    ['excludePattern is not a regular expression', { excludePattern: 'a{2,1}' }, /excludePattern is not a valid JavaScript regular expression: .*\(given "a\{2,1\}"\)/],

    // scanExpiry: at least a day, at most what the handler accepts, whole seconds, finite, tokens in seconds.
    ['scanExpiry is under a day', { scanExpiry: Duration.hours(23) }, /scanExpiry must be at least 1 day, because ECR allows one scan per image per 24 hours \(given 23 hours\)/],
    ['scanExpiry is a fraction of a second over a day', { scanExpiry: Duration.millis(86_400_500) }, /scanExpiry must be a whole number of seconds, for example Duration.days\(7\) \(given 1 day 500 millis\)/],
    ['scanExpiry is NaN', { scanExpiry: Duration.days(NaN) }, /scanExpiry must be a finite duration, for example Duration.days\(7\) \(given Duration.days\(NaN\)\)/],
    ['scanExpiry is Infinity', { scanExpiry: Duration.days(Infinity) }, /scanExpiry must be a finite duration, for example Duration.days\(7\) \(given Duration.days\(Infinity\)\)/],
    ['scanExpiry is over ten years', { scanExpiry: Duration.days(3651) }, /scanExpiry must be at most 3650 days, the most the rescan function accepts; 7 to 14 days is usual \(given 3651 days\)/],
    ['scanExpiry is a token in days', (s) => ({ scanExpiry: Duration.days(number(s)) }), /scanExpiry from a token must be given in seconds, Duration.seconds\(token\)/],

    // Thresholds: whole numbers, 0 or more.
    ...(['critical', 'high', 'medium', 'low', 'informational', 'undefined'] as const).flatMap((level) =>
      [-1, 0.5, NaN, Infinity, -Infinity].map((value): [string, Props, RegExp] => [
        `thresholds.${level} is ${value}`,
        { thresholds: { [level]: value } },
        new RegExp(`thresholds\\.${level} must be a whole number of findings, 0 or more \\(given ${String(value).replace('-', '\\-')}\\)`),
      ]),
    ),

    // Whole-number props and their ranges.
    ...([
      ['maxFindingsPerReport', 0, 1000, [-1, 1.5, NaN, Infinity, 1001]],
      ['rescanConcurrency', 2, 1000, [0, 1, -1, 2.5, NaN, Infinity, 1001]],
      ['imageConcurrency', 1, 50, [0, -1, 1.5, NaN, Infinity, 51]],
      ['maxReceiveCount', 1, 1000, [0, -1, 1.5, NaN, Infinity, 1001]],
    ] as const).flatMap(([name, min, max, values]) =>
      values.map((value): [string, Props, RegExp] => [
        `${name} is ${value}`,
        { [name]: value },
        new RegExp(`${name} must be a whole number from ${min} to ${max}, .* \\(given ${String(value).replace('-', '\\-')}\\)`),
      ]),
    ),

    // logRetention: one of logs.RetentionDays (a cast number from TypeScript).
    ...[0, -1, 2, 1.5, NaN].map((value): [string, Props, RegExp] => [
      `logRetention is ${value}`,
      { logRetention: value as logs.RetentionDays },
      new RegExp(`logRetention must be one of logs.RetentionDays, for example logs.RetentionDays.ONE_MONTH \\(given ${String(value).replace('-', '\\-')}\\)`),
    ]),

    // Email subscriptions.
    ['an email address has no domain', { emailSubscriptions: ['security@'] }, /emailSubscriptions must hold email addresses .*\(given "security@"\)/],
    ['an email address has a space', { emailSubscriptions: [' security@example.com'] }, /emailSubscriptions must hold email addresses .*\(given " security@example.com"\)/],
    ['an email address is listed twice', { emailSubscriptions: ['security@example.com', 'Security@example.com'] }, /emailSubscriptions lists "Security@example.com" more than once; list each address once/],
    ['emailSubscriptions is a list token', (s) => ({ emailSubscriptions: new CfnParameter(s, 'L', { type: 'CommaDelimitedList' }).valueAsList }), /emailSubscriptions must be a list written in the app, not a token/],

    // The jsii enums, given values a JavaScript caller (or a cast) can pass.
    ['reportOn is not a ReportOn', { reportOn: 'new-findings' as ReportOn }, /reportOn must be one of NEW_FINDINGS, EVERY_SCAN, for example ReportOn.NEW_FINDINGS \(given "new-findings"\)/],
    ['ledgerRemovalPolicy is not a RemovalPolicy', { ledgerRemovalPolicy: 'keep' as RemovalPolicy }, /ledgerRemovalPolicy must be one of destroy, retain, snapshot, retain-on-update-or-delete, for example RemovalPolicy.RETAIN \(given "keep"\)/],

    // Topics and keys.
    ['a topic and a topic key are both given', (s) => ({ topic: new sns.Topic(s, 'T'), topicEncryptionKey: new kms.Key(s, 'K') }), /topicEncryptionKey only applies to the topic the construct creates; encrypt your own topic where you define it, or leave out topic/],
    [
      'alarmTopic is encrypted with the AWS managed SNS key',
      (s) => ({ alarmTopic: new sns.Topic(s, 'Ops', { masterKey: kms.Alias.fromAliasName(s, 'Managed', 'alias/aws/sns') }) }),
      /alarmTopic is encrypted with the AWS managed key alias\/aws\/sns, which CloudWatch alarms are not allowed to use.*encrypt the topic with a customer managed key whose key policy lets cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey\*/,
    ],
  ];

  test.each(cases)('fails if %s', (_name, props, message) => {
    const error = errorOf(props);
    expect(error).toMatch(/^Invalid EcrScanReporter props:\n- /);
    expect(error).toMatch(message);
    // Exactly one problem: each row breaks one rule.
    expect(error.split('\n- ')).toHaveLength(2);
  });
});

describe('accepted at the limits', () => {
  const cases: Array<[string, Props]> = [
    ['scanExpiry of exactly 1 day', { scanExpiry: Duration.hours(24) }],
    ['scanExpiry of 30 days', { scanExpiry: Duration.days(30) }],
    ['scanExpiry of a day and a half', { scanExpiry: Duration.days(1.5) }],
    ['thresholds of 0 (every completed scan) and very large', { thresholds: { critical: 0, high: 1_000_000, medium: 0, low: 0, informational: 0, undefined: 0 } }],
    ['maxFindingsPerReport 0 and rescanConcurrency 2', { maxFindingsPerReport: 0, rescanConcurrency: 2 }],
    ['the maxima', { maxFindingsPerReport: 1000, rescanConcurrency: 1000, imageConcurrency: 50, maxReceiveCount: 1000 }],
    ['the minima', { imageConcurrency: 1, maxReceiveCount: 1 }],
    ['logRetention INFINITE', { logRetention: logs.RetentionDays.INFINITE }],
    ['every report, a ledger deleted with the stack and a customer key', (s) => ({ reportOn: ReportOn.EVERY_SCAN, ledgerRemovalPolicy: RemovalPolicy.DESTROY, ledgerEncryptionKey: new kms.Key(s, 'L', { enableKeyRotation: true }) })],
    ['a pattern with a class of upper-case letters, escapes and a named group', { repositoryPattern: '^(?<team>[A-Za-z]+)/\\w+\\S*$' }],
    ['a pattern with slashes inside a name', { repositoryPattern: '/team-a/' }],
    [
      'an alarm topic with a customer managed key',
      (s) => {
        const key = new kms.Key(s, 'K', { enableKeyRotation: true });
        key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
        return { alarmTopic: new sns.Topic(s, 'Ops', { masterKey: key }) };
      },
    ],
  ];

  test.each(cases)('%s synthesizes without warning', (_name, props) => {
    const { stack } = build(props);
    Template.fromStack(stack);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('warnings: synthesized, and can be acknowledged', () => {
  const cases: Array<[string, Props, string, RegExp]> = [
    ['scanExpiry over 30 days', { scanExpiry: Duration.days(31) }, 'longScanExpiry', /scanExpiry is 31 days: .*7 to 14 days is usual/],
    ['scanExpiry of 3650 days, the most accepted', { scanExpiry: Duration.days(3650) }, 'longScanExpiry', /scanExpiry is 3650 days: /],
    ['repositoryPattern written as a regex literal', { repositoryPattern: '/^app$/' }, 'repositoryPatternSlashes', /repositoryPattern "\/\^app\$\/" looks like a JavaScript regular expression literal.*Give the source without slashes or flags/],
    ['repositoryPattern with flags', { repositoryPattern: '/team-a/i' }, 'repositoryPatternSlashes', /repositoryPattern "\/team-a\/i" looks like a JavaScript regular expression literal/],
    ['excludePattern written as a regex literal', { excludePattern: '/-sandbox$/' }, 'excludePatternSlashes', /excludePattern "\/-sandbox\$\/" looks like/],
    ['repositoryPattern in upper case, which no ECR name matches', { repositoryPattern: '^Team-A/' }, 'repositoryPatternUppercase', /repositoryPattern "\^Team-A\/" has upper-case letters, but ECR repository names are lower case.*write them in lower case/],
    ['excludePattern in upper case', { excludePattern: 'Sandbox' }, 'excludePatternUppercase', /excludePattern "Sandbox" has upper-case letters/],
  ];

  test.each(cases)('%s', (_name, props, id, message) => {
    const { stack } = build(props);
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toEqual([expect.stringMatching(message)]);
    expect(warnings[0].entry.data).toContain(`[ack: ecr-scan-reporter:${id}]`);
  });
});

describe('anchored patterns are accepted and behave as anchored', () => {
  test('^app$ reaches the handlers as written', () => {
    const { stack } = build({ repositoryPattern: '^app$', excludePattern: '^app-sandbox$' });
    // The in-use discovery reads every workload of the account: the patterns select repositories, not workloads.
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter((fn) => !fn.Properties.Description.startsWith('Finds where'));
    expect(functions).toHaveLength(3);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables).toMatchObject({ REPOSITORY_PATTERN: '^app$', EXCLUDE_PATTERN: '^app-sandbox$' });
    }
  });

  test.each([
    ['app', true],
    ['app-sandbox', false],
    ['app2', false],
    ['team/app', false],
    ['apps', false],
  ])('the handlers\' filter with ^app$: %s matches %s', (name, matches) => {
    expect(new RepositoryFilter('^app$').matches(name)).toBe(matches);
  });

  test('a prefix pattern is not anchored at the end', () => {
    const filter = new RepositoryFilter('^team-a/', '-sandbox$');
    expect(['team-a/api', 'team-a/api-sandbox', 'x/team-a/api'].map((n) => filter.matches(n))).toEqual([true, false, false]);
  });
});
