import {
  App,
  CfnParameter,
  Duration,
  Lazy,
  RemovalPolicy,
  Stack,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AcceptedRisk, EcrScanReporter, EcrScanReporterProps, ImageScope, RepositoryOwner, ReportOn, SummarySchedule } from '../../src';
import { MAX_RULES_ENVIRONMENT_BYTES } from '../../src/constructs/props-validation';
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

const REASON = 'not reachable: the service never parses untrusted XML';
const risk = (extra: Partial<AcceptedRisk> = {}): AcceptedRisk => ({ findingId: 'CVE-2024-3094', reason: REASON, expires: '2099-03-31', ...extra });
const owner = (extra: Partial<RepositoryOwner> = {}): RepositoryOwner => ({ repositoryPattern: '^team-a/', owner: 'team-a', ...extra });
/** The bytes the environment-size rule counts. */
const rulesBytes = (risks: AcceptedRisk[], owners: RepositoryOwner[] = []) => Buffer.byteLength(JSON.stringify(risks) + JSON.stringify(owners), 'utf8');
/** Valid accepted risks whose JSON, with no owners, takes exactly `bytes`. */
function risksOfBytes(bytes: number): AcceptedRisk[] {
  const risks: AcceptedRisk[] = [];
  while (rulesBytes(risks) < bytes) risks.push(risk({ findingId: `CVE-2024-${10_000 + risks.length}`, reason: 'r'.repeat(300) }));
  const last = risks[risks.length - 1];
  risks[risks.length - 1] = { ...last, reason: 'r'.repeat(300 - (rulesBytes(risks) - bytes)) };
  if (rulesBytes(risks) !== bytes) throw new Error(`could not build ${bytes} bytes of accepted risks`);
  return risks;
}

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
    ['dailyScanBudget', (s) => ({ dailyScanBudget: number(s) })],
    ['maxReceiveCount', (s) => ({ maxReceiveCount: number(s) })],
    ['logRetention', (s) => ({ logRetention: number(s) as logs.RetentionDays })],
    ['alarmTopic, imported by a token ARN', (s) => ({ alarmTopic: sns.Topic.fromTopicArn(s, 'T', string(s)) })],
    ['ownerTagKey', (s) => ({ ownerTagKey: string(s) })],
  ];

  test.each(cases)('%s', (_name, props) => {
    const { stack } = build(props);
    expect(JSON.stringify(Template.fromStack(stack).toJSON().Resources)).toContain('{"Ref":"P"}');
  });
});

describe('errors: one message per problem, quoting the value and naming the fix', () => {
  const cases: Array<[string, Props, RegExp | string]> = [
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
    ['coverageWindow is half a day', { coverageWindow: Duration.hours(12) }, /coverageWindow must be a whole number of days from 1 to 3650, because ECR refreshes lastRecordedPullTime about once a day; for example Duration.days\(30\) \(given 12 hours\)/],
    ['coverageWindow is over ten years', { coverageWindow: Duration.days(3651) }, /coverageWindow must be a whole number of days from 1 to 3650.* \(given 3651 days\)/],
    ['coverageWindow is a token', (s) => ({ coverageWindow: Duration.days(number(s)) }), /coverageWindow must be a duration written in the app/],
    ['summary\'s period is a minute', { summary: SummarySchedule.every(events.Schedule.rate(Duration.hours(1)), Duration.minutes(1)) }, /summary's period must be a whole number of seconds from 1 hour to 366 days.* \(given 1 minute\)/],
    ['summary\'s period is over a year', { summary: SummarySchedule.every(events.Schedule.rate(Duration.days(1)), Duration.days(367)) }, /summary's period must be .* \(given 367 days\)/],

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
      ['dailyScanBudget', 1, 100000, [0, -1, 1.5, NaN, Infinity, 100001]],
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
    [
      'alarmTopic is given with createAlarms false',
      (s) => ({ createAlarms: false, alarmTopic: new sns.Topic(s, 'Ops') }),
      'alarmTopic is given but createAlarms is false, so there is no alarm to notify it; leave out alarmTopic, or set createAlarms to true (the default)',
    ],

    // Accepted risks: an id ECR or Inspector reports, a reason, a real date; each entry once.
    ...([
      ['lower case', 'cve-2024-3094'],
      ['a two-digit year', 'CVE-24-3094'],
      ['an advisory in upper case', 'GHSA-JFH8-C2JP-5V3Q'],
      ['empty', ''],
    ] as const).map(([label, findingId]): [string, Props, string] => [
      `an accepted risk's findingId is ${label}`,
      { acceptedRisks: [risk({ findingId })] },
      `acceptedRisks[0].findingId must be a CVE id such as CVE-2024-3094 or a GitHub advisory id such as GHSA-jfh8-c2jp-5v3q (given ${JSON.stringify(findingId)})`,
    ]),
    ...([
      ['missing', undefined, 'undefined'],
      ['empty', '', '""'],
      ['two characters', 'ok', '"ok"'],
      ['spaces around two characters', '  ok ', '"  ok "'],
      ['over 300 characters', 'x'.repeat(301), `"${'x'.repeat(301)}"`],
    ] as const).map(([label, reason, given]): [string, Props, string] => [
      `an accepted risk's reason is ${label}`,
      { acceptedRisks: [{ findingId: 'CVE-2024-3094', expires: '2099-03-31', ...(reason !== undefined ? { reason } : {}) } as AcceptedRisk] },
      `acceptedRisks[0].reason is required: say why the risk is accepted, in 3 to 300 characters, for example "not reachable: the service never parses untrusted XML" (given ${given})`,
    ]),
    ...([
      ['unparseable', 'end of Q1'],
      ['a day February does not have', '2027-02-31'],
      ['a day February does not have, with a time', '2027-02-31T00:00:00Z'],
      ['February 29 in a common year', '2027-02-29'],
      ['month 13', '2027-13-01'],
      ['day first', '31/03/2027'],
      ['a time without a zone', '2027-03-31T12:00:00'],
    ] as const).map(([label, expires]): [string, Props, string] => [
      `an accepted risk's expires is ${label}`,
      { acceptedRisks: [risk({ expires })] },
      `acceptedRisks[0].expires must be a date such as "2027-03-31" (the entry ignores nothing from 00:00 UTC that day) or an ISO-8601 time (given ${JSON.stringify(expires)})`,
    ]),
    ['an accepted risk has no expires', { acceptedRisks: [{ findingId: 'CVE-2024-3094', reason: REASON } as AcceptedRisk] }, /acceptedRisks\[0\]\.expires must be a date .*\(given undefined\)/],
    ['an accepted risk\'s repositoryPattern is not a regular expression', { acceptedRisks: [risk(), risk({ findingId: 'CVE-2024-6387', repositoryPattern: '(team' })] }, /acceptedRisks\[1\]\.repositoryPattern is not a valid JavaScript regular expression: .*\(given "\(team"\)/],
    ['an accepted risk\'s repositoryPattern is empty', { acceptedRisks: [risk({ repositoryPattern: '' })] }, 'acceptedRisks[0].repositoryPattern must not be empty; omit it to select every repository (given "")'],
    ['an accepted risk is listed twice', { acceptedRisks: [risk(), risk({ reason: 'another reason', expires: '2098-01-01' })] }, 'acceptedRisks[1] repeats CVE-2024-3094; list each finding once per pattern'],
    [
      'an accepted risk is listed twice for one pattern',
      { acceptedRisks: [risk({ repositoryPattern: '^team-a/' }), risk(), risk({ repositoryPattern: '^team-a/' })] },
      'acceptedRisks[2] repeats CVE-2024-3094 for "^team-a/"; list each finding once per pattern',
    ],
    ['acceptedRisks is a token', { acceptedRisks: Lazy.list({ produce: () => [] }) as unknown as AcceptedRisk[] }, 'acceptedRisks must be a list written in the app, not a token'],

    // Owners: a pattern and a name a filter policy can match; UNOWNED is taken.
    ['an owner rule\'s repositoryPattern is not a regular expression', { repositoryOwners: [owner({ repositoryPattern: '[a-' })] }, /repositoryOwners\[0\]\.repositoryPattern is not a valid JavaScript regular expression: .*\(given "\[a-"\)/],
    ['an owner rule has no repositoryPattern', { repositoryOwners: [{ owner: 'team-a' } as RepositoryOwner] }, 'repositoryOwners[0].repositoryPattern must be a regular expression written in the app, for example "^team-a/" (given undefined)'],
    ['an owner rule\'s repositoryPattern is a token', (s) => ({ repositoryOwners: [owner({ repositoryPattern: string(s) })] }), /repositoryOwners\[0\]\.repositoryPattern must be a regular expression written in the app, for example "\^team-a\/" \(given "\$\{Token\[/],
    ['an owner is named UNOWNED', { repositoryOwners: [owner(), owner({ repositoryPattern: '^b/', owner: 'UNOWNED' })] }, 'repositoryOwners[1].owner must not be "UNOWNED", which marks reports that nobody owns; choose another name'],
    ...([
      ['an exclamation mark', 'team a!'],
      ['a leading dash', '-team'],
      ['a comma', 'team,a'],
      ['nothing', ''],
      ['129 characters', 'o'.repeat(129)],
    ] as const).map(([label, name]): [string, Props, string] => [
      `an owner has ${label}`,
      { repositoryOwners: [owner({ owner: name })] },
      `repositoryOwners[0].owner must be 1 to 128 letters, digits, spaces or _.:/=+@- starting with a letter or digit, for example "team-payments" (given ${JSON.stringify(name)})`,
    ]),
    ['repositoryOwners is a token', { repositoryOwners: Lazy.list({ produce: () => [] }) as unknown as RepositoryOwner[] }, 'repositoryOwners must be a list written in the app, not a token'],
    ...(['aws:owner', 'AWS:Owner', '', 'owner!', 'k'.repeat(129)] as const).map((key): [string, Props, string] => [
      `ownerTagKey is ${JSON.stringify(key.length > 20 ? `${key.length} characters` : key)}`,
      { ownerTagKey: key },
      `ownerTagKey must be a tag key of 1 to 128 letters, digits, spaces or _.:/=+-@, not starting with aws:, for example "owner" (given ${JSON.stringify(key)})`,
    ]),

    // Scopes: whole days from 1 to 3650; the in-use ones need the discovery.
    ...([
      ['rescanScope', 'ImageScope.pulledWithin(Duration.hours(12))', ImageScope.pulledWithin(Duration.hours(12)), '12 hours'],
      ['reportScope', 'ImageScope.pulledWithin(Duration.days(1.5))', ImageScope.pulledWithin(Duration.days(1.5)), '1 day 12 hours'],
      ['rescanScope', 'ImageScope.inUseOrPulledWithin(Duration.hours(36))', ImageScope.inUseOrPulledWithin(Duration.hours(36)), '1 day 12 hours'],
      ['reportScope', 'ImageScope.pulledWithin(Duration.days(0))', ImageScope.pulledWithin(Duration.days(0)), '0 days'],
      ['reportScope', 'ImageScope.pulledWithin(Duration.days(3651))', ImageScope.pulledWithin(Duration.days(3651)), '3651 days'],
    ] as const).map(([name, label, scope, given]): [string, Props, string] => [
      `${name} is ${label}`,
      { [name]: scope },
      `${name}'s pull window must be a whole number of days from 1 to 3650, because ECR refreshes lastRecordedPullTime about once a day; for example Duration.days(90) (given ${given})`,
    ]),
    ['rescanScope\'s duration is a token', (s) => ({ rescanScope: ImageScope.pulledWithin(Duration.days(number(s))) }), 'rescanScope needs a duration written in the app, for example ImageScope.pulledWithin(Duration.days(90))'],
    [
      'rescanScope is ImageScope.inUse() with inUseDiscovery false',
      { rescanScope: ImageScope.inUse(), inUseDiscovery: false },
      'rescanScope ImageScope.inUse() needs the in-use discovery; leave inUseDiscovery at true, or use ImageScope.pulledWithin()',
    ],
    [
      'reportScope is ImageScope.inUseOrPulledWithin() with inUseDiscovery false',
      { reportScope: ImageScope.inUseOrPulledWithin(Duration.days(30)), inUseDiscovery: false },
      'reportScope ImageScope.inUseOrPulledWithin() needs the in-use discovery; leave inUseDiscovery at true, or use ImageScope.pulledWithin()',
    ],
    [
      'reportScope is not made with ImageScope (a JavaScript caller\'s object)',
      { reportScope: { kind: 'recent' } as unknown as ImageScope },
      'reportScope must be made with ImageScope.all(), inUse(), pulledWithin() or inUseOrPulledWithin() (given kind "recent")',
    ],

    // The rules' share of the report function's environment (Lambda allows 4 KB in all).
    [
      'acceptedRisks take more than 3000 bytes of the environment',
      { acceptedRisks: risksOfBytes(MAX_RULES_ENVIRONMENT_BYTES + 1) },
      "acceptedRisks and repositoryOwners take 3001 bytes of the report function's environment, over the 3000 this construct allows within Lambda's 4 KB; " +
        'shorten the reasons, merge repository patterns, or name owners with ownerTagKey instead',
    ],
    [
      'acceptedRisks and repositoryOwners together take more than 3000 bytes',
      {
        acceptedRisks: risksOfBytes(2800),
        repositoryOwners: Array.from({ length: 5 }, (_, i) => owner({ repositoryPattern: `^team-${i}/`, owner: `team-${i}` })),
      },
      // 2800 bytes of risks less the empty owner list's 2, and 251 of owners.
      "acceptedRisks and repositoryOwners take 3049 bytes of the report function's environment, over the 3000 this construct allows within Lambda's 4 KB; " +
        'shorten the reasons, merge repository patterns, or name owners with ownerTagKey instead',
    ],
  ];

  test.each(cases)('fails if %s', (_name, props, message) => {
    const error = errorOf(props);
    expect(error).toMatch(/^Invalid EcrScanReporter props:\n- /);
    // A string is the whole problem, word for word.
    if (typeof message === 'string') expect(error.split('\n- ').slice(1)).toEqual([message]);
    else expect(error).toMatch(message);
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
    ['the maxima', { maxFindingsPerReport: 1000, rescanConcurrency: 1000, imageConcurrency: 50, maxReceiveCount: 1000, dailyScanBudget: 100_000 }],
    ['the minima', { imageConcurrency: 1, maxReceiveCount: 1, dailyScanBudget: 1 }],
    ['logRetention INFINITE', { logRetention: logs.RetentionDays.INFINITE }],
    ['every report, a ledger deleted with the stack and a customer key', (s) => ({ reportOn: ReportOn.EVERY_SCAN, ledgerRemovalPolicy: RemovalPolicy.DESTROY, ledgerEncryptionKey: new kms.Key(s, 'L', { enableKeyRotation: true }) })],
    ['a pattern with a class of upper-case letters, escapes and a named group', { repositoryPattern: '^(?<team>[A-Za-z]+)/\\w+\\S*$' }],
    ['a pattern with slashes inside a name', { repositoryPattern: '/team-a/' }],
    ['no alarms and no alarm topic', { createAlarms: false }],
    ['no alarms with a dashboard', { createAlarms: false, createDashboard: true }],
    [
      'an alarm topic with a customer managed key',
      (s) => {
        const key = new kms.Key(s, 'K', { enableKeyRotation: true });
        key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
        return { alarmTopic: new sns.Topic(s, 'Ops', { masterKey: key }) };
      },
    ],
    ['pull windows of 1 day, 48 hours and 3650 days', { rescanScope: ImageScope.pulledWithin(Duration.days(1)), reportScope: ImageScope.inUseOrPulledWithin(Duration.hours(48)) }],
    ['the longest pull window', { reportScope: ImageScope.pulledWithin(Duration.days(3650)) }],
    ['in-use scopes with the discovery on (the default)', { rescanScope: ImageScope.inUse(), reportScope: ImageScope.inUse() }],
    ['ImageScope.all() with the discovery off', { rescanScope: ImageScope.all(), reportScope: ImageScope.all(), inUseDiscovery: false }],
    ['a tag key of 128 characters with spaces and letters of any script', { ownerTagKey: `Équipe responsable ${'k'.repeat(109)}` }],
    ['a tag key with aws inside it', { ownerTagKey: 'team:aws:owner' }],
    ['owners of 1 and 128 characters, with spaces and punctuation', { repositoryOwners: [owner({ owner: 'a' }), owner({ repositoryPattern: '^b/', owner: 'o'.repeat(128) }), owner({ repositoryPattern: '^c/', owner: 'Team C_1.2:eu/x=y+z@w' })] }],
    ['owners named like UNOWNED but not it', { repositoryOwners: [owner({ owner: 'Unowned' }), owner({ repositoryPattern: '^b/', owner: 'UNOWNED-2' })] }],
    ['reasons of 3 and 300 characters', { acceptedRisks: [risk({ reason: 'n/a' }), risk({ findingId: 'CVE-2024-6387', reason: 'x'.repeat(300) })] }],
    ['one finding accepted under two patterns, and an advisory', { acceptedRisks: [risk(), risk({ repositoryPattern: '^team-a/' }), risk({ findingId: 'GHSA-jfh8-c2jp-5v3q', expires: '2099-01-01T00:00:00+02:00' })] }],
    ['a leap day and an expiry time', { acceptedRisks: [risk({ expires: '2096-02-29' }), risk({ findingId: 'CVE-2021-44228', expires: '2099-03-31T23:59:59.999Z' })] }],
    ['accepted risks of exactly 3000 bytes', { acceptedRisks: risksOfBytes(MAX_RULES_ENVIRONMENT_BYTES) }],
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
    [
      'an accepted risk past its expiry',
      { acceptedRisks: [risk({ expires: '2020-01-01' }), risk({ findingId: 'CVE-2024-6387' })] },
      'acceptedRiskExpired',
      /^acceptedRisks past their expiry ignore nothing, so their findings count again: CVE-2024-3094 \(expired 2020-01-01\); remove them or renew them with a new expires and reason/,
    ],
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
    // Dispatch, rescan, report, Inspector report and summary.
    expect(functions).toHaveLength(5);
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

describe('the new props\' problems are gathered into one error with the others', () => {
  test('every problem listed once, in the order of the rules, before any resource is made', () => {
    const app = new App();
    const stack = new Stack(app, 'Many');
    let message = '';
    try {
      new EcrScanReporter(stack, 'R', {
        repositoryPattern: '(',
        rescanScope: ImageScope.pulledWithin(Duration.hours(12)),
        reportScope: ImageScope.inUse(),
        inUseDiscovery: false,
        ownerTagKey: 'aws:owner',
        repositoryOwners: [owner({ owner: 'UNOWNED' }), owner({ repositoryPattern: '[' })],
        acceptedRisks: [risk({ findingId: 'CVE-1', reason: '', expires: '2027-02-31' }), risk(), risk()],
      });
    } catch (e) {
      message = (e as Error).message;
    }
    const problems = message.split('\n- ');
    expect(problems[0]).toBe('Invalid EcrScanReporter props:');
    expect(problems.slice(1).map((p) => p.split(/ |'s /)[0])).toEqual([
      'repositoryPattern',
      'rescanScope',
      'reportScope',
      'ownerTagKey',
      'repositoryOwners[0].owner',
      'repositoryOwners[1].repositoryPattern',
      'acceptedRisks[0].findingId',
      'acceptedRisks[0].reason',
      'acceptedRisks[0].expires',
      'acceptedRisks[2]',
    ]);
    expect(stack.node.findChild('R').node.children).toHaveLength(0);
  });
});
