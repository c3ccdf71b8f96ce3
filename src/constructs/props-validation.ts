/**
 * The props' rules: what the construct refuses at synth (every problem gathered into one error,
 * before any resource is made, each quoting the value and naming the fix) and what it only warns
 * about (annotations a user can acknowledge). Values that are tokens pass unchecked.
 * test/constructs/bad-props.test.ts is the catalogue of bad inputs.
 */
import { Annotations, Duration, RemovalPolicy, Token, aws_kms as kms, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { EcrScanReporterProps } from './ecr-scan-reporter';
import type { ImageScope } from './image-scope';
import { acceptedRiskProblems, expiredEntries } from '../decisions/accepted-risks';
import { DAILY_BASIC_SCAN_QUOTA } from '../decisions/budget';
import { ownerProblem } from '../decisions/owners';
import { REPORT_ON_MODES } from '../decisions/report-on';
import { RepositoryFilter, patternWarnings } from '../decisions/repository-filter';
import { MAX_PULLED_WITHIN_DAYS, MIN_PULLED_WITHIN_DAYS } from '../decisions/scope';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** The longest scan expiry the rescan function accepts (src/decisions/settings.ts). */
const MAX_SCAN_EXPIRY_DAYS = 3650;
const RETENTION_DAYS = new Set<number>(Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number'));
const REMOVAL_POLICIES = new Set<string>(Object.values(RemovalPolicy));

/** A duration as a user wrote it: "12 hours", or "Duration.days(NaN)" when it has no readable form. */
function describeDuration(d: Duration): string {
  const human = d.toHumanString();
  return human === '' || /NaN|Infinity/.test(human) ? String(d) : human;
}

function wholeNumber(name: string, value: number | undefined, min: number, max: number, what: string): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  return Number.isInteger(value) && value >= min && value <= max ? [] : [`${name} must be a whole number from ${min} to ${max}, ${what} (given ${value})`];
}

function pattern(name: 'repositoryPattern' | 'excludePattern', value: string | undefined): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  const problem =
    name === 'excludePattern' && value === '' ? 'excludePattern must not be empty; omit it to exclude no repository (given "")' : RepositoryFilter.problem(name, value);
  return problem ? [problem] : [];
}

function scanExpiry(expiry: Duration | undefined): string[] {
  if (expiry === undefined) return [];
  if (expiry.isUnresolved()) {
    // The construct hands the functions seconds; CDK converts a token only from seconds.
    return expiry.unitLabel() === 'seconds'
      ? []
      : [`scanExpiry from a token must be given in seconds, Duration.seconds(token), so it can reach the rescan function unconverted (given ${expiry})`];
  }
  const seconds = expiry.toSeconds({ integral: false });
  if (!Number.isFinite(seconds)) return [`scanExpiry must be a finite duration, for example Duration.days(7) (given ${describeDuration(expiry)})`];
  if (!Number.isInteger(seconds)) return [`scanExpiry must be a whole number of seconds, for example Duration.days(7) (given ${describeDuration(expiry)})`];
  if (seconds < 86_400) {
    return [`scanExpiry must be at least 1 day, because ECR allows one scan per image per 24 hours (given ${describeDuration(expiry)})`];
  }
  if (seconds > MAX_SCAN_EXPIRY_DAYS * 86_400) {
    return [`scanExpiry must be at most ${MAX_SCAN_EXPIRY_DAYS} days, the most the rescan function accepts; 7 to 14 days is usual (given ${describeDuration(expiry)})`];
  }
  return [];
}

function thresholds(props: EcrScanReporterProps): string[] {
  const t = props.thresholds ?? {};
  const levels = { critical: t.critical, high: t.high, medium: t.medium, low: t.low, informational: t.informational, undefined: t.undefined };
  return Object.entries(levels)
    .filter(([, value]) => value !== undefined && !Token.isUnresolved(value) && !(Number.isInteger(value) && (value as number) >= 0))
    .map(([name, value]) => `thresholds.${name} must be a whole number of findings, 0 or more (given ${value})`);
}

function emailSubscriptions(emails: string[] | undefined): string[] {
  if (emails === undefined) return [];
  if (Token.isUnresolved(emails)) {
    return ['emailSubscriptions must be a list written in the app, not a token, because each address becomes its own subscription; a token may stand for one address in the list'];
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const email of emails) {
    if (Token.isUnresolved(email)) continue;
    if (!EMAIL.test(email)) {
      problems.push(`emailSubscriptions must hold email addresses such as security@example.com (given ${JSON.stringify(email)})`);
    } else if (seen.has(email.toLowerCase())) {
      problems.push(`emailSubscriptions lists ${JSON.stringify(email)} more than once; list each address once`);
    }
    seen.add(email.toLowerCase());
  }
  return problems;
}

function alarmTopic(props: EcrScanReporterProps): string[] {
  const key = props.alarmTopic?.masterKey as Partial<kms.IAlias> | undefined;
  return key?.aliasName === 'alias/aws/sns'
    ? [
      'alarmTopic is encrypted with the AWS managed key alias/aws/sns, which CloudWatch alarms are not allowed to use, so no alarm could notify it; ' +
        'encrypt the topic with a customer managed key whose key policy lets cloudwatch.amazonaws.com use kms:Decrypt and kms:GenerateDataKey*',
    ]
    : [];
}

function createAlarms(props: EcrScanReporterProps): string[] {
  return props.createAlarms === false && props.alarmTopic !== undefined
    ? ['alarmTopic is given but createAlarms is false, so there is no alarm to notify it; leave out alarmTopic, or set createAlarms to true (the default)']
    : [];
}

/** Values a jsii enum prop may take; anything else is named, with the choices. */
function oneOf(name: string, value: string | undefined, allowed: ReadonlySet<string> | readonly string[], example: string): string[] {
  if (value === undefined || Token.isUnresolved(value)) return [];
  const values = [...allowed];
  return values.includes(value) ? [] : [`${name} must be one of ${values.join(', ')}, for example ${example} (given ${JSON.stringify(value)})`];
}

function coverageWindow(window: Duration | undefined): string[] {
  if (window === undefined) return [];
  if (window.isUnresolved()) return ['coverageWindow must be a duration written in the app, for example Duration.days(30)'];
  const days = window.toDays({ integral: false });
  return Number.isInteger(days) && days >= 1 && days <= 3650
    ? []
    : [`coverageWindow must be a whole number of days from 1 to 3650, because ECR refreshes lastRecordedPullTime about once a day; for example Duration.days(30) (given ${describeDuration(window)})`];
}

function summaryPeriod(period: Duration | undefined): string[] {
  if (period === undefined) return [];
  if (period.isUnresolved()) return ['summary\'s period must be a duration written in the app, for example Duration.days(7)'];
  const seconds = period.toSeconds({ integral: false });
  return Number.isInteger(seconds) && seconds >= 3600 && seconds <= 366 * 86_400
    ? []
    : [`summary's period must be a whole number of seconds from 1 hour to 366 days, usually the time between two summaries; for example SummarySchedule.every(schedule, Duration.days(7)) (given ${describeDuration(period)})`];
}

const SCOPE_KINDS = ['all', 'in-use', 'pulled-within', 'in-use-or-pulled-within'];

function imageScope(name: 'rescanScope' | 'reportScope', scope: ImageScope | undefined, discoveryOn: boolean): string[] {
  if (scope === undefined) return [];
  if (!SCOPE_KINDS.includes(scope.kind)) return [`${name} must be made with ImageScope.all(), inUse(), pulledWithin() or inUseOrPulledWithin() (given kind ${JSON.stringify(scope.kind)})`];
  const problems: string[] = [];
  const duration = scope.pulledWithinDuration;
  if (scope.kind.includes('pulled-within')) {
    if (duration === undefined || duration.isUnresolved()) {
      problems.push(`${name} needs a duration written in the app, for example ImageScope.pulledWithin(Duration.days(90))`);
    } else {
      const days = duration.toDays({ integral: false });
      if (!Number.isInteger(days) || days < MIN_PULLED_WITHIN_DAYS || days > MAX_PULLED_WITHIN_DAYS) {
        problems.push(
          `${name}'s pull window must be a whole number of days from ${MIN_PULLED_WITHIN_DAYS} to ${MAX_PULLED_WITHIN_DAYS}, because ECR refreshes lastRecordedPullTime about once a day; for example Duration.days(90) (given ${describeDuration(duration)})`,
        );
      }
    }
  }
  if (scope.kind.includes('in-use') && !discoveryOn) {
    problems.push(`${name} ${scope.kind === 'in-use' ? 'ImageScope.inUse()' : 'ImageScope.inUseOrPulledWithin()'} needs the in-use discovery; leave inUseDiscovery at true, or use ImageScope.pulledWithin()`);
  }
  return problems;
}

/** Tag keys as ECR takes them (TagResource): 1 to 128 characters, not starting with aws:. */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;

function ownerTagKey(key: string | undefined): string[] {
  if (key === undefined || Token.isUnresolved(key)) return [];
  if (!TAG_KEY.test(key) || key.toLowerCase().startsWith('aws:')) {
    return [`ownerTagKey must be a tag key of 1 to 128 letters, digits, spaces or _.:/=+-@, not starting with aws:, for example "owner" (given ${JSON.stringify(key)})`];
  }
  return [];
}

function repositoryOwners(props: EcrScanReporterProps): string[] {
  const rules = props.repositoryOwners;
  if (rules === undefined) return [];
  if (Token.isUnresolved(rules)) return ['repositoryOwners must be a list written in the app, not a token'];
  return rules.flatMap((rule, i) => {
    const problems: string[] = [];
    const rulePattern = rule.repositoryPattern;
    if (typeof rulePattern !== 'string' || Token.isUnresolved(rulePattern)) {
      problems.push(`repositoryOwners[${i}].repositoryPattern must be a regular expression written in the app, for example "^team-a/" (given ${JSON.stringify(rulePattern)})`);
    } else {
      const problem =
        rulePattern === ''
          ? `repositoryOwners[${i}].repositoryPattern must not be empty; give a pattern such as "^team-a/", or ".*" for every repository (given "")`
          : RepositoryFilter.problem(`repositoryOwners[${i}].repositoryPattern`, rulePattern);
      if (problem) problems.push(problem);
    }
    const owner = ownerProblem(`repositoryOwners[${i}].owner`, rule.owner);
    if (owner) problems.push(owner);
    return problems;
  });
}

function acceptedRisks(props: EcrScanReporterProps): string[] {
  const risks = props.acceptedRisks;
  if (risks === undefined) return [];
  if (Token.isUnresolved(risks)) return ['acceptedRisks must be a list written in the app, not a token'];
  const problems = risks.flatMap((risk, i) => acceptedRiskProblems(risk, i, (value) => RepositoryFilter.problem('repositoryPattern', value)));
  const seen = new Set<string>();
  risks.forEach((risk, i) => {
    const key = `${risk.findingId}#${risk.repositoryPattern ?? ''}`;
    if (seen.has(key)) problems.push(`acceptedRisks[${i}] repeats ${risk.findingId}${risk.repositoryPattern ? ` for ${JSON.stringify(risk.repositoryPattern)}` : ''}; list each finding once per pattern`);
    seen.add(key);
  });
  return problems;
}

/** Lambda allows 4 KB of environment per function; the report function's other variables take about 1 KB. */
export const MAX_RULES_ENVIRONMENT_BYTES = 3000;

function environmentSize(props: EcrScanReporterProps): string[] {
  if (Token.isUnresolved(props.acceptedRisks) || Token.isUnresolved(props.repositoryOwners)) return [];
  const bytes = Buffer.byteLength(JSON.stringify(props.acceptedRisks ?? []) + JSON.stringify(props.repositoryOwners ?? []), 'utf8');
  return bytes > MAX_RULES_ENVIRONMENT_BYTES
    ? [
      `acceptedRisks and repositoryOwners take ${bytes} bytes of the report function's environment, over the ${MAX_RULES_ENVIRONMENT_BYTES} this construct allows within Lambda's 4 KB; ` +
        'shorten the reasons, merge repository patterns, or name owners with ownerTagKey instead',
    ]
    : [];
}

/** One rule per prop (or pair of props): each returns the problems it finds, none when the value is fine. */
export const PROP_RULES: ReadonlyArray<{ readonly prop: string; readonly check: (props: EcrScanReporterProps) => string[] }> = [
  { prop: 'repositoryPattern', check: (p) => pattern('repositoryPattern', p.repositoryPattern) },
  { prop: 'excludePattern', check: (p) => pattern('excludePattern', p.excludePattern) },
  { prop: 'scanExpiry', check: (p) => scanExpiry(p.scanExpiry) },
  { prop: 'thresholds', check: thresholds },
  { prop: 'reportOn', check: (p) => oneOf('reportOn', p.reportOn, REPORT_ON_MODES, 'ReportOn.NEW_FINDINGS') },
  { prop: 'maxFindingsPerReport', check: (p) => wholeNumber('maxFindingsPerReport', p.maxFindingsPerReport, 0, 1000, 'findings listed in one report') },
  { prop: 'rescanConcurrency', check: (p) => wholeNumber('rescanConcurrency', p.rescanConcurrency, 2, 1000, 'the SQS event source maximum concurrency') },
  { prop: 'imageConcurrency', check: (p) => wholeNumber('imageConcurrency', p.imageConcurrency, 1, 50, 'ECR requests in flight per invocation') },
  { prop: 'dailyScanBudget', check: (p) => wholeNumber('dailyScanBudget', p.dailyScanBudget, 1, DAILY_BASIC_SCAN_QUOTA, 'the basic scans started per UTC day; ECR allows 100,000 per registry per 24 hours') },
  { prop: 'coverageWindow', check: (p) => coverageWindow(p.coverageWindow) },
  { prop: 'summary', check: (p) => summaryPeriod(p.summary?.period) },
  { prop: 'maxReceiveCount', check: (p) => wholeNumber('maxReceiveCount', p.maxReceiveCount, 1, 1000, 'deliveries before the dead-letter queue') },
  { prop: 'emailSubscriptions', check: (p) => emailSubscriptions(p.emailSubscriptions) },
  {
    prop: 'logRetention',
    check: (p) =>
      p.logRetention === undefined || Token.isUnresolved(p.logRetention) || RETENTION_DAYS.has(p.logRetention)
        ? []
        : [`logRetention must be one of logs.RetentionDays, for example logs.RetentionDays.ONE_MONTH (given ${p.logRetention})`],
  },
  {
    prop: 'topicEncryptionKey',
    check: (p) =>
      p.topic !== undefined && p.topicEncryptionKey !== undefined
        ? ['topicEncryptionKey only applies to the topic the construct creates; encrypt your own topic where you define it, or leave out topic']
        : [],
  },
  { prop: 'alarmTopic', check: alarmTopic },
  { prop: 'createAlarms', check: createAlarms },
  { prop: 'ledgerRemovalPolicy', check: (p) => oneOf('ledgerRemovalPolicy', p.ledgerRemovalPolicy, REMOVAL_POLICIES, 'RemovalPolicy.RETAIN') },
  { prop: 'rescanScope', check: (p) => imageScope('rescanScope', p.rescanScope, p.inUseDiscovery ?? true) },
  { prop: 'reportScope', check: (p) => imageScope('reportScope', p.reportScope, p.inUseDiscovery ?? true) },
  { prop: 'ownerTagKey', check: (p) => ownerTagKey(p.ownerTagKey) },
  { prop: 'repositoryOwners', check: repositoryOwners },
  { prop: 'acceptedRisks', check: acceptedRisks },
  { prop: 'acceptedRisks', check: environmentSize },
];

/** Every problem with the props, gathered into one error before any resource is made. */
export function validateProps(props: EcrScanReporterProps): void {
  const problems = PROP_RULES.flatMap((rule) => rule.check(props));
  if (problems.length > 0) {
    throw new Error(`Invalid EcrScanReporter props:\n- ${problems.join('\n- ')}`);
  }
}

/** Soft problems: annotations a user can acknowledge, not errors. */
export function warnAboutProps(scope: Construct, props: EcrScanReporterProps): void {
  for (const [name, value] of [
    ['repositoryPattern', props.repositoryPattern],
    ['excludePattern', props.excludePattern],
  ] as const) {
    if (value === undefined || Token.isUnresolved(value)) continue;
    // The same rule as the command-line tool's warnings (../decisions/repository-filter.ts).
    for (const warning of patternWarnings(name, value)) {
      Annotations.of(scope).addWarningV2(`ecr-scan-reporter:${name}${warning.kind}`, warning.message);
    }
  }
  const risks = props.acceptedRisks;
  if (risks !== undefined && !Token.isUnresolved(risks)) {
    const expired = expiredEntries(risks, new Date());
    if (expired.length > 0) {
      Annotations.of(scope).addWarningV2(
        'ecr-scan-reporter:acceptedRiskExpired',
        `acceptedRisks past their expiry ignore nothing, so their findings count again: ${expired.map((r) => `${r.findingId} (expired ${r.expires})`).join(', ')}; remove them or renew them with a new expires and reason`,
      );
    }
  }
  const expiry = props.scanExpiry;
  if (expiry !== undefined && !Token.isUnresolved(expiry.toSeconds()) && expiry.toSeconds() > 30 * 86_400) {
    Annotations.of(scope).addWarningV2(
      'ecr-scan-reporter:longScanExpiry',
      `scanExpiry is ${expiry.toHumanString()}: images keep results that old while new CVEs are published daily; 7 to 14 days is usual`,
    );
  }
}
