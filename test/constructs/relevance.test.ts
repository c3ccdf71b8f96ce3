import { App, Annotations as CoreAnnotations, Duration, Stack, aws_events as events, aws_sns as sns, aws_sns_subscriptions as subscriptions, aws_sqs as sqs } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { EcrScanReporter, EcrScanReporterProps, ImageScope } from '../../src';
import { imageScopeConfig, inUseHoldSeconds, scopeEnvironment } from '../../src/constructs/in-use-settings';
import { parseAcceptedRisks } from '../../src/decisions/accepted-risks';
import { parseOwnerRules } from '../../src/decisions/owners';
import { Environment, readDiscoverySettings, readDispatchSettings, readReportSettings, readRescanSettings } from '../../src/decisions/settings';

/**
 * What matters, at the construct: which function each new prop reaches (and which it does not),
 * the in-use discovery's presence, owner subscriptions and the expired-risk warning.
 */
function synth(props: EcrScanReporterProps = {}, extend?: (reporter: EcrScanReporter, stack: Stack) => void) {
  const app = new App();
  const stack = new Stack(app, 'Relevance', { env: { account: '123456789012', region: 'eu-west-1' } });
  const reporter = new EcrScanReporter(stack, 'ScanReporter', props);
  extend?.(reporter, stack);
  return { stack, reporter, template: Template.fromStack(stack) };
}

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
type FunctionName = 'dispatch' | 'rescan' | 'report' | 'discover';
const DESCRIPTIONS: Record<FunctionName, string> = {
  dispatch: 'Lists ECR repositories',
  rescan: 'Starts ECR image scans',
  report: 'Publishes ECR scan reports',
  discover: 'Finds where ECR images run',
};

function environmentOf(template: Template, fn: FunctionName): Record<string, any> {
  const functions = Object.values(template.findResources('AWS::Lambda::Function') as Resources);
  const found = functions.find((f) => String(f.Properties.Description).startsWith(DESCRIPTIONS[fn]));
  if (!found) throw new Error(`no ${fn} function`);
  return found.Properties.Environment.Variables;
}

/** The variables as a function sees them: references to resources replaced by placeholder strings. */
function asDeployed(env: Record<string, any>): Environment {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : `deployed-${k}`]));
}

const NEW_VARIABLES = ['IN_USE_DISCOVERY', 'IN_USE_HOLD_SECONDS', 'RESCAN_SCOPE', 'REPORT_SCOPE', 'OWNER_TAG_KEY', 'REPOSITORY_OWNERS', 'ACCEPTED_RISKS', 'CHAT_NOTIFICATIONS'];
const newVariablesOf = (env: Record<string, any>) => Object.fromEntries(Object.entries(env).filter(([k]) => NEW_VARIABLES.includes(k)));

const RISK = { findingId: 'CVE-2024-3094', reason: 'not reachable: the service never parses untrusted XML', expires: '2099-03-31' };

describe('defaults: the discovery on, every image in scope', () => {
  const { template, reporter } = synth();

  test('rescan and report know the discovery is on and how long its view holds; nothing else is set', () => {
    expect(newVariablesOf(environmentOf(template, 'rescan'))).toEqual({ IN_USE_DISCOVERY: 'true', IN_USE_HOLD_SECONDS: '176400' });
    expect(newVariablesOf(environmentOf(template, 'report'))).toEqual({ IN_USE_DISCOVERY: 'true', IN_USE_HOLD_SECONDS: '176400' });
    expect(newVariablesOf(environmentOf(template, 'dispatch'))).toEqual({});
  });

  test('the discovery function writes to the ledger, with the same hold', () => {
    const env = environmentOf(template, 'discover');
    expect(env.LEDGER_TABLE_NAME).toEqual({ Ref: expect.stringMatching(/Ledger/) });
    expect(newVariablesOf(env)).toEqual({ IN_USE_DISCOVERY: 'true', IN_USE_HOLD_SECONDS: '176400' });
    expect(reporter.discoverFunction).toBeDefined();
  });

  test('without accepted risks, dispatch has no ledger', () => {
    const env = environmentOf(template, 'dispatch');
    expect(env.LEDGER_TABLE_NAME).toBeUndefined();
    expect(env.SCAN_EXPIRY_SECONDS).toBeUndefined();
  });

  test('each function reads its environment as synthesized', () => {
    expect(readRescanSettings(asDeployed(environmentOf(template, 'rescan')))).toMatchObject({ scope: { kind: 'all' }, inUse: { discoveryOn: true, holdMs: 176_400_000 } });
    expect(readReportSettings(asDeployed(environmentOf(template, 'report')))).toMatchObject({ scope: { kind: 'all' }, ownerRules: [], acceptedRisks: [], chat: false });
    expect(readDiscoverySettings(asDeployed(environmentOf(template, 'discover'))).inUse).toEqual({ discoveryOn: true, holdMs: 176_400_000 });
    expect(readDispatchSettings(asDeployed(environmentOf(template, 'dispatch'))).acceptedRisks).toEqual([]);
  });
});

describe('inUseDiscovery', () => {
  test('false: no discovery function, role, log group or schedule target; rescan and report told it is off', () => {
    const { template, reporter } = synth({ inUseDiscovery: false });
    expect(reporter.discoverFunction).toBeUndefined();
    const descriptions = Object.values(template.findResources('AWS::Lambda::Function') as Resources).map((f) => f.Properties.Description);
    // Dispatch, rescan, report, Inspector report and summary.
    expect(descriptions).toHaveLength(5);
    expect(descriptions.some((d) => String(d).startsWith(DESCRIPTIONS.discover))).toBe(false);
    expect(Object.keys(template.findResources('AWS::IAM::Role')).some((id) => /Discover/.test(id))).toBe(false);
    template.resourceCountIs('AWS::Logs::LogGroup', 5);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DispatchFunction'), 'Arn'] } })],
    });
    expect(newVariablesOf(environmentOf(template, 'rescan'))).toEqual({ IN_USE_DISCOVERY: 'false' });
    expect(newVariablesOf(environmentOf(template, 'report'))).toEqual({ IN_USE_DISCOVERY: 'false' });
    expect(readReportSettings(asDeployed(environmentOf(template, 'report'))).inUse.discoveryOn).toBe(false);
  });

  test('true (as given): the discovery function is a target of the schedule rule, after dispatch', () => {
    const { template, reporter } = synth({ inUseDiscovery: true });
    expect(reporter.discoverFunction).toBeDefined();
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DispatchFunction'), 'Arn'] } }),
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DiscoverFunction'), 'Arn'] } }),
      ],
    });
  });

  test('false with pull-based scopes is fine', () => {
    const { template } = synth({ inUseDiscovery: false, rescanScope: ImageScope.pulledWithin(Duration.days(30)), reportScope: ImageScope.all() });
    expect(environmentOf(template, 'rescan').RESCAN_SCOPE).toBe('pulled-within:30');
  });
});

describe('rescanScope and reportScope', () => {
  test.each<[string, ImageScope, string | undefined]>([
    ['ImageScope.all()', ImageScope.all(), undefined],
    ['ImageScope.inUse()', ImageScope.inUse(), 'in-use'],
    ['ImageScope.pulledWithin(Duration.days(90))', ImageScope.pulledWithin(Duration.days(90)), 'pulled-within:90'],
    ['ImageScope.pulledWithin(Duration.hours(48))', ImageScope.pulledWithin(Duration.hours(48)), 'pulled-within:2'],
    ['ImageScope.inUseOrPulledWithin(Duration.days(30))', ImageScope.inUseOrPulledWithin(Duration.days(30)), 'in-use-or-pulled-within:30'],
  ])('%s: rescanScope reaches the rescan function only, reportScope the report function only', (_label, scope, value) => {
    const { template } = synth({ rescanScope: scope, reportScope: scope });
    expect(environmentOf(template, 'rescan').RESCAN_SCOPE).toBe(value);
    expect(environmentOf(template, 'report').REPORT_SCOPE).toBe(value);
    for (const fn of ['dispatch', 'discover'] as const) {
      expect(environmentOf(template, fn).RESCAN_SCOPE).toBeUndefined();
      expect(environmentOf(template, fn).REPORT_SCOPE).toBeUndefined();
    }
    expect(environmentOf(template, 'rescan').REPORT_SCOPE).toBeUndefined();
    expect(environmentOf(template, 'report').RESCAN_SCOPE).toBeUndefined();
  });

  test('the two scopes are independent, and the functions read them back', () => {
    const { template } = synth({ rescanScope: ImageScope.inUseOrPulledWithin(Duration.days(14)), reportScope: ImageScope.inUse() });
    expect(readRescanSettings(asDeployed(environmentOf(template, 'rescan'))).scope).toEqual({ kind: 'in-use-or-pulled-within', pulledWithinDays: 14 });
    expect(readReportSettings(asDeployed(environmentOf(template, 'report'))).scope).toEqual({ kind: 'in-use' });
  });

  test('ImageScope\'s factories', () => {
    expect([ImageScope.all(), ImageScope.inUse()].map((s) => [s.kind, s.pulledWithinDuration])).toEqual([
      ['all', undefined],
      ['in-use', undefined],
    ]);
    const pulled = ImageScope.pulledWithin(Duration.days(90));
    expect([pulled.kind, pulled.pulledWithinDuration?.toDays()]).toEqual(['pulled-within', 90]);
    const either = ImageScope.inUseOrPulledWithin(Duration.days(7));
    expect([either.kind, either.pulledWithinDuration?.toDays()]).toEqual(['in-use-or-pulled-within', 7]);
  });

  test.each<[string, ImageScope | undefined, unknown]>([
    ['no scope', undefined, { kind: 'all' }],
    ['all', ImageScope.all(), { kind: 'all' }],
    ['in use', ImageScope.inUse(), { kind: 'in-use' }],
    ['pulled within 90 days', ImageScope.pulledWithin(Duration.days(90)), { kind: 'pulled-within', pulledWithinDays: 90 }],
    ['in use or pulled within 72 hours', ImageScope.inUseOrPulledWithin(Duration.hours(72)), { kind: 'in-use-or-pulled-within', pulledWithinDays: 3 }],
  ])('imageScopeConfig: %s', (_label, scope, expected) => {
    expect(imageScopeConfig(scope)).toEqual(expected);
  });

  test('scopeEnvironment leaves the default out', () => {
    expect(scopeEnvironment('RESCAN_SCOPE', undefined)).toEqual({});
    expect(scopeEnvironment('RESCAN_SCOPE', ImageScope.all())).toEqual({});
    expect(scopeEnvironment('REPORT_SCOPE', ImageScope.pulledWithin(Duration.days(5)))).toEqual({ REPORT_SCOPE: 'pulled-within:5' });
  });
});

describe('owners: ownerTagKey and repositoryOwners reach the report function only', () => {
  const { template } = synth({
    ownerTagKey: 'owner',
    repositoryOwners: [
      { repositoryPattern: '^team-a/', owner: 'team-a' },
      { repositoryPattern: 'payments', owner: 'Payments Squad' },
    ],
  });

  test('the report function\'s variables, read back as rules', () => {
    const env = environmentOf(template, 'report');
    expect(env.OWNER_TAG_KEY).toBe('owner');
    expect(JSON.parse(env.REPOSITORY_OWNERS)).toEqual([
      { pattern: '^team-a/', owner: 'team-a' },
      { pattern: 'payments', owner: 'Payments Squad' },
    ]);
    expect(parseOwnerRules(env.REPOSITORY_OWNERS)).toEqual([
      { pattern: '^team-a/', owner: 'team-a' },
      { pattern: 'payments', owner: 'Payments Squad' },
    ]);
    expect(readReportSettings(asDeployed(env)).ownerTagKey).toBe('owner');
  });

  test('no other function gets them', () => {
    for (const fn of ['dispatch', 'rescan', 'discover'] as const) {
      expect(environmentOf(template, fn).OWNER_TAG_KEY).toBeUndefined();
      expect(environmentOf(template, fn).REPOSITORY_OWNERS).toBeUndefined();
    }
  });

  test('the report functions (basic and Inspector) may read repository tags with ownerTagKey, on this registry\'s repositories', () => {
    const policies = template.findResources('AWS::IAM::Policy') as Resources;
    const withTags = Object.entries(policies).filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes('ecr:ListTagsForResource'));
    expect(withTags.map(([id]) => id).sort()).toEqual([expect.stringMatching(/InspectorReportRole/), expect.stringMatching(/^ScanReporterReportRole/)]);
    for (const [, policy] of withTags) {
      const statement = (policy.Properties.PolicyDocument.Statement as Array<{ Action: string[]; Resource: unknown }>).find((s) => ([] as string[]).concat(s.Action).includes('ecr:ListTagsForResource'));
      expect(statement?.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:eu-west-1:123456789012:repository/*']] });
    }
  });

  test('repositoryOwners alone: no tag reads', () => {
    const { template: rulesOnly } = synth({ repositoryOwners: [{ repositoryPattern: '^team-a/', owner: 'team-a' }] });
    expect(JSON.stringify(rulesOnly.findResources('AWS::IAM::Policy'))).not.toContain('ecr:ListTagsForResource');
    expect(environmentOf(rulesOnly, 'report').OWNER_TAG_KEY).toBeUndefined();
  });

  test('an empty repositoryOwners list sets nothing', () => {
    const { template: none } = synth({ repositoryOwners: [] });
    expect(environmentOf(none, 'report').REPOSITORY_OWNERS).toBeUndefined();
  });
});

describe('acceptedRisks reach the report function and dispatch (its unmatched check), not the rescan', () => {
  const scoped = { findingId: 'GHSA-jfh8-c2jp-5v3q', reason: 'only in the build stage', expires: '2099-01-01T00:00:00Z', repositoryPattern: '^team-a/' };
  const { template } = synth({ acceptedRisks: [RISK, scoped], scanExpiry: Duration.days(14) });

  test('the same JSON list in both, read back as entries', () => {
    const report = environmentOf(template, 'report');
    const dispatch = environmentOf(template, 'dispatch');
    expect(parseAcceptedRisks(report.ACCEPTED_RISKS)).toEqual([RISK, scoped]);
    expect(dispatch.ACCEPTED_RISKS).toBe(report.ACCEPTED_RISKS);
    expect(environmentOf(template, 'rescan').ACCEPTED_RISKS).toBeUndefined();
    expect(environmentOf(template, 'discover').ACCEPTED_RISKS).toBeUndefined();
  });

  test('dispatch gets the ledger and the scan expiry, and may read and mark the risks\' records', () => {
    const dispatch = environmentOf(template, 'dispatch');
    expect(dispatch.LEDGER_TABLE_NAME).toEqual({ Ref: expect.stringMatching(/Ledger/) });
    expect(dispatch.SCAN_EXPIRY_SECONDS).toBe(String(14 * 86_400));
    const settings = readDispatchSettings(asDeployed(dispatch));
    expect(settings.acceptedRisks).toEqual([RISK, scoped]);
    expect(settings.scanExpiryMs).toBe(14 * 86_400_000);
    const policies = template.findResources('AWS::IAM::Policy') as Resources;
    const dispatchPolicy = Object.entries(policies).find(([id]) => /DispatchRole/.test(id))![1];
    const ddb = (dispatchPolicy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => ([] as string[]).concat(s.Action)).filter((a) => a.startsWith('dynamodb:'));
    expect(ddb.sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:UpdateItem']);
  });

  test('fields other than the four are not written', () => {
    const extra = { ...RISK, ticket: 'SEC-42' } as typeof RISK;
    const { template: t } = synth({ acceptedRisks: [extra] });
    expect(JSON.parse(environmentOf(t, 'report').ACCEPTED_RISKS)).toEqual([RISK]);
  });

  test('without acceptedRisks, dispatch may not touch the ledger', () => {
    const { template: t } = synth();
    const policies = t.findResources('AWS::IAM::Policy') as Resources;
    const dispatchPolicy = Object.entries(policies).find(([id]) => /DispatchRole/.test(id))![1];
    expect(JSON.stringify(dispatchPolicy.Properties.PolicyDocument)).not.toContain('dynamodb:');
  });
});

describe('chatNotifications', () => {
  test.each<[string, boolean | undefined, string | undefined]>([
    ['unset', undefined, undefined],
    ['false', false, undefined],
    ['true', true, 'true'],
  ])('%s: CHAT_NOTIFICATIONS on the report function is %j', (_label, chatNotifications, expected) => {
    const { template } = synth({ chatNotifications });
    expect(environmentOf(template, 'report').CHAT_NOTIFICATIONS).toBe(expected);
    expect(readReportSettings(asDeployed(environmentOf(template, 'report'))).chat).toBe(expected === 'true');
    for (const fn of ['dispatch', 'rescan', 'discover'] as const) expect(environmentOf(template, fn).CHAT_NOTIFICATIONS).toBeUndefined();
  });
});

describe('the in-use hold follows the schedule: two cycles and an hour, at least 49 hours', () => {
  test.each<[string, events.Schedule | undefined, number]>([
    ['the default (daily at 03:00)', undefined, 49 * 3600],
    ['rate(30 minutes)', events.Schedule.rate(Duration.minutes(30)), 49 * 3600],
    ['rate(1 hour)', events.Schedule.rate(Duration.hours(1)), 49 * 3600],
    ['rate(12 hours)', events.Schedule.rate(Duration.hours(12)), 49 * 3600],
    ['rate(1 day)', events.Schedule.rate(Duration.days(1)), 49 * 3600],
    ['rate(36 hours)', events.Schedule.rate(Duration.hours(36)), 2 * 36 * 3600 + 3600],
    ['rate(3 days)', events.Schedule.rate(Duration.days(3)), 2 * 3 * 86_400 + 3600],
    ['rate(7 days)', events.Schedule.rate(Duration.days(7)), 2 * 7 * 86_400 + 3600],
    ['rate(3000 minutes)', events.Schedule.expression('rate(3000 minutes)'), 2 * 3000 * 60 + 3600],
    ['a daily cron at 06:30', events.Schedule.cron({ minute: '30', hour: '6' }), 49 * 3600],
    ['an hourly cron', events.Schedule.cron({ minute: '0' }), 49 * 3600],
    ['a cron on weekdays', events.Schedule.cron({ minute: '0', hour: '3', weekDay: 'MON-FRI' }), 2 * 7 * 86_400 + 3600],
    ['a weekly cron', events.Schedule.cron({ minute: '0', hour: '3', weekDay: 'SUN' }), 2 * 7 * 86_400 + 3600],
    ['a cron on the first of the month', events.Schedule.cron({ minute: '0', hour: '3', day: '1' }), 2 * 7 * 86_400 + 3600],
  ])('%s', (_label, schedule, seconds) => {
    expect(inUseHoldSeconds(schedule)).toBe(seconds);
  });

  test.each<[string, events.Schedule, string]>([
    ['rate(3 days)', events.Schedule.rate(Duration.days(3)), String(2 * 3 * 86_400 + 3600)],
    ['a weekly cron', events.Schedule.cron({ minute: '0', hour: '3', weekDay: 'SUN' }), String(2 * 7 * 86_400 + 3600)],
    ['rate(12 hours)', events.Schedule.rate(Duration.hours(12)), String(49 * 3600)],
  ])('%s: IN_USE_HOLD_SECONDS on rescan, report and discovery alike', (_label, schedule, expected) => {
    const { template } = synth({ schedule });
    for (const fn of ['rescan', 'report', 'discover'] as const) expect(environmentOf(template, fn).IN_USE_HOLD_SECONDS).toBe(expected);
  });
});

describe('addOwnerSubscription and addUnownedSubscription', () => {
  const subscriptionsOf = (template: Template) => Object.values(template.findResources('AWS::SNS::Subscription') as Resources).map((r) => r.Properties);

  test('an email subscription filtered on the owner attribute', () => {
    const { template } = synth({}, (r) => r.addOwnerSubscription('team-a', new subscriptions.EmailSubscription('team-a@example.com')));
    expect(subscriptionsOf(template)).toEqual([
      { Protocol: 'email', Endpoint: 'team-a@example.com', TopicArn: { Ref: expect.stringMatching(/Topic/) }, FilterPolicy: { owner: ['team-a'] } },
    ]);
  });

  test('a subscription\'s own filter policy keys are kept next to owner', () => {
    const { template } = synth({}, (r, stack) =>
      r.addOwnerSubscription(
        'Payments Squad',
        new subscriptions.SqsSubscription(new sqs.Queue(stack, 'Inbox'), {
          rawMessageDelivery: true,
          filterPolicy: { severity: sns.SubscriptionFilter.stringFilter({ allowlist: ['CRITICAL', 'HIGH'] }) },
        }),
      ),
    );
    const [subscription] = subscriptionsOf(template);
    expect(subscription).toMatchObject({ Protocol: 'sqs', RawMessageDelivery: true });
    expect(subscription.FilterPolicy).toEqual({ severity: ['CRITICAL', 'HIGH'], owner: ['Payments Squad'] });
  });

  test('refused: a subscription that already filters on owner', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const reporter = new EcrScanReporter(stack, 'R');
    const filtered = new subscriptions.EmailSubscription('a@example.com', { filterPolicy: { owner: sns.SubscriptionFilter.stringFilter({ allowlist: ['team-b'] }) } });
    expect(() => reporter.addOwnerSubscription('team-a', filtered)).toThrow('addOwnerSubscription sets the subscription\'s filter on "owner" itself; leave "owner" out of its filterPolicy');
    expect(() => reporter.addUnownedSubscription(filtered)).toThrow(/leave "owner" out of its filterPolicy/);
  });

  test('refused: a subscription that filters on the message body', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const reporter = new EcrScanReporter(stack, 'R');
    const onBody = new subscriptions.EmailSubscription('a@example.com', {
      filterPolicyWithMessageBody: { severity: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: ['CRITICAL'] })) },
    });
    expect(() => reporter.addOwnerSubscription('team-a', onBody)).toThrow(
      'addOwnerSubscription filters on the owner message attribute; give a subscription without filterPolicyWithMessageBody',
    );
  });

  test('one endpoint unfiltered and for two owners: three subscriptions, no id collision', () => {
    const endpoint = 'security@example.com';
    const { template } = synth({ emailSubscriptions: [endpoint] }, (r) => {
      r.addOwnerSubscription('team-a', new subscriptions.EmailSubscription(endpoint));
      r.addOwnerSubscription('team-b', new subscriptions.EmailSubscription(endpoint));
    });
    const all = subscriptionsOf(template);
    expect(all.map((s) => [s.Endpoint, s.FilterPolicy])).toEqual([
      [endpoint, undefined],
      [endpoint, { owner: ['team-a'] }],
      [endpoint, { owner: ['team-b'] }],
    ]);
  });

  test('owners that differ only in punctuation are two subscriptions of one endpoint, not a collision', () => {
    const endpoint = 'security@example.com';
    const owners = ['team-a', 'team_a', 'teama', 'team.a', 'team a', 'team/a'];
    const { template } = synth({}, (r) => owners.forEach((owner) => r.addOwnerSubscription(owner, new subscriptions.EmailSubscription(endpoint))));
    expect(subscriptionsOf(template).map((s) => s.FilterPolicy.owner)).toEqual(owners.map((o) => [o]));
  });

  test('addUnownedSubscription filters on "UNOWNED", next to an owner subscription of the same endpoint', () => {
    const { template } = synth({}, (r) => {
      r.addUnownedSubscription(new subscriptions.EmailSubscription('platform@example.com'));
      r.addOwnerSubscription('platform', new subscriptions.EmailSubscription('platform@example.com'));
    });
    expect(subscriptionsOf(template).map((s) => [s.Endpoint, s.FilterPolicy])).toEqual([
      ['platform@example.com', { owner: ['UNOWNED'] }],
      ['platform@example.com', { owner: ['platform'] }],
    ]);
  });

  test('a topic you bring gets the filtered subscription', () => {
    const app = new App();
    const stack = new Stack(app, 'Byo');
    const topic = sns.Topic.fromTopicArn(stack, 'Alerts', 'arn:aws:sns:eu-west-1:123456789012:security-alerts');
    const reporter = new EcrScanReporter(stack, 'R', { topic });
    reporter.addOwnerSubscription('team-a', new subscriptions.EmailSubscription('team-a@example.com'));
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: 'arn:aws:sns:eu-west-1:123456789012:security-alerts',
      FilterPolicy: { owner: ['team-a'] },
    });
  });

  test.each<[string, string, string]>([
    ['UNOWNED', 'UNOWNED', 'addOwnerSubscription\'s owner must not be "UNOWNED", which marks reports that nobody owns; choose another name'],
    [
      'a name with a character SNS filters cannot carry here',
      'team a!',
      'addOwnerSubscription\'s owner must be 1 to 128 letters, digits, spaces or _.:/=+@- starting with a letter or digit, for example "team-payments" (given "team a!")',
    ],
    ['an empty name', '', 'addOwnerSubscription\'s owner must be 1 to 128 letters, digits, spaces or _.:/=+@- starting with a letter or digit, for example "team-payments" (given "")'],
  ])('addOwnerSubscription refuses %s, adding nothing', (_label, owner, message) => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const reporter = new EcrScanReporter(stack, 'R');
    expect(() => reporter.addOwnerSubscription(owner, new subscriptions.EmailSubscription('x@example.com'))).toThrow(message);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('the expired-risk warning', () => {
  const expired = { findingId: 'CVE-2023-44487', reason: 'HTTP/2 is terminated at the load balancer', expires: '2020-06-30' };
  const alsoExpired = { findingId: 'GHSA-jfh8-c2jp-5v3q', reason: 'dev dependency only', expires: '2021-01-01T00:00:00Z', repositoryPattern: '^team-a/' };

  test('names each expired entry and its expiry, not the live ones, and can be acknowledged', () => {
    const { stack } = synth({ acceptedRisks: [expired, RISK, alsoExpired] });
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toEqual([
      'acceptedRisks past their expiry ignore nothing, so their findings count again: CVE-2023-44487 (expired 2020-06-30), GHSA-jfh8-c2jp-5v3q (expired 2021-01-01T00:00:00Z); ' +
        'remove them or renew them with a new expires and reason [ack: ecr-scan-reporter:acceptedRiskExpired]',
    ]);
  });

  test('acknowledged, it is gone', () => {
    const { stack } = synth({ acceptedRisks: [expired] }, (reporter) =>
      CoreAnnotations.of(reporter).acknowledgeWarning('ecr-scan-reporter:acceptedRiskExpired', 'renewal tracked in SEC-42'),
    );
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('no expired entry, no warning', () => {
    const { stack } = synth({ acceptedRisks: [RISK] });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});
