/**
 * The contract between the construct and its handlers: environment variable
 * names, and their parsing. The construct writes them; handlers read them at
 * each invocation and fail loudly on a bad value (a misconfiguration must not
 * look like "nothing to do").
 */
import { AcceptedRiskEntry, parseAcceptedRisks } from './accepted-risks';
import { DAILY_BASIC_SCAN_QUOTA } from './budget';
import { entryTtlSeconds } from './ledger';
import { OwnerRule, parseOwnerRules } from './owners';
import { Thresholds, parseThresholds } from './report';
import { REPORT_ON_MODES, ReportOnMode } from './report-on';
import { RepositoryFilter } from './repository-filter';
import { ImageScopeConfig, parseScope } from './scope';

export const ENV = {
  REPOSITORY_PATTERN: 'REPOSITORY_PATTERN',
  EXCLUDE_PATTERN: 'EXCLUDE_PATTERN',
  SCAN_EXPIRY_SECONDS: 'SCAN_EXPIRY_SECONDS',
  QUEUE_URL: 'RESCAN_QUEUE_URL',
  IMAGE_CONCURRENCY: 'IMAGE_CONCURRENCY',
  TOPIC_ARN: 'TOPIC_ARN',
  THRESHOLDS: 'THRESHOLDS',
  NOTIFY_ON_SCAN_FAILURE: 'NOTIFY_ON_SCAN_FAILURE',
  MAX_FINDINGS: 'MAX_FINDINGS_PER_REPORT',
  LEDGER_TABLE: 'LEDGER_TABLE_NAME',
  REPORT_ON: 'REPORT_ON',
  IN_USE_DISCOVERY: 'IN_USE_DISCOVERY',
  IN_USE_HOLD_SECONDS: 'IN_USE_HOLD_SECONDS',
  RESCAN_SCOPE: 'RESCAN_SCOPE',
  REPORT_SCOPE: 'REPORT_SCOPE',
  OWNER_TAG_KEY: 'OWNER_TAG_KEY',
  REPOSITORY_OWNERS: 'REPOSITORY_OWNERS',
  ACCEPTED_RISKS: 'ACCEPTED_RISKS',
  CHAT_NOTIFICATIONS: 'CHAT_NOTIFICATIONS',
  DAILY_SCAN_BUDGET: 'DAILY_SCAN_BUDGET',
  READ_IMAGE_INDEXES: 'READ_IMAGE_INDEXES',
  COVERAGE_WINDOW_SECONDS: 'COVERAGE_WINDOW_SECONDS',
  SUMMARY_PERIOD_SECONDS: 'SUMMARY_PERIOD_SECONDS',
} as const;

export type Environment = Record<string, string | undefined>;

/** Defaults shared by the construct, the handlers and the command-line tool. */
export const DEFAULTS = {
  scanExpiryDays: 7,
  thresholds: { CRITICAL: 1, HIGH: 1 } as Thresholds,
  notifyOnScanFailure: true,
  maxFindingsPerReport: 20,
  imageConcurrency: 5,
  reportOn: 'NEW_FINDINGS' as ReportOnMode,
  /** How long a completed in-use discovery's view holds with the default (daily) schedule: two cycles and an hour. */
  inUseHoldSeconds: 49 * 3600,
  /** ECR's quota of basic scans per registry per 24 hours (budget.ts). */
  dailyScanBudget: DAILY_BASIC_SCAN_QUOTA,
  /** Under enhanced scanning, an image pulled within this many days whose monitoring expired is a coverage gap (coverage.ts). */
  coverageWindowDays: 30,
} as const;

function flag(env: Environment, name: string, fallback: boolean): boolean {
  const value = env[name] || undefined;
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false') throw new Error(`environment variable ${name} must be "true" or "false"; got ${JSON.stringify(value)}`);
  return value === 'true';
}

function parsed<T>(env: Environment, name: string, parse: (value: string | undefined) => T): T {
  try {
    return parse(env[name] || undefined);
  } catch (error) {
    throw new Error(`environment variable ${name} is not valid: ${(error as Error).message}`);
  }
}

/** Where images run: whether the discovery is on, and how long its view holds. */
export interface InUseSettings {
  readonly discoveryOn: boolean;
  readonly holdMs: number;
}

function inUseFrom(env: Environment): InUseSettings {
  return {
    discoveryOn: flag(env, ENV.IN_USE_DISCOVERY, false),
    holdMs: integer(env, ENV.IN_USE_HOLD_SECONDS, DEFAULTS.inUseHoldSeconds, 3600, 400 * 86_400) * 1000,
  };
}

function required(env: Environment, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is not set; it is set by the EcrScanReporter construct`);
  }
  return value;
}

function integer(env: Environment, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // Digits only: Number() would also take '0x10', '1e3' and ' 5 '.
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`environment variable ${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(raw)}`);
  }
  return value;
}

function filterFrom(env: Environment): RepositoryFilter {
  // Empty means "not set": the construct never writes an empty pattern.
  const include = env[ENV.REPOSITORY_PATTERN] || undefined;
  const exclude = env[ENV.EXCLUDE_PATTERN] || undefined;
  return new RepositoryFilter(include, exclude);
}

export interface DispatchSettings {
  readonly filter: RepositoryFilter;
  readonly queueUrl: string;
  /** The accepted risks, checked once per cycle for entries that match nothing. */
  readonly acceptedRisks: readonly AcceptedRiskEntry[];
  /** The ledger, when accepted risks are checked. */
  readonly ledger?: LedgerSettings;
  readonly scanExpiryMs: number;
}

export function readDispatchSettings(env: Environment): DispatchSettings {
  const acceptedRisks = parsed(env, ENV.ACCEPTED_RISKS, parseAcceptedRisks);
  return {
    filter: filterFrom(env),
    queueUrl: required(env, ENV.QUEUE_URL),
    acceptedRisks,
    ...(acceptedRisks.length > 0 ? { ledger: ledgerFrom(env) } : {}),
    scanExpiryMs: scanExpiryMs(env),
  };
}

/** The ledger table, and how long its entries live after a write. */
export interface LedgerSettings {
  readonly tableName: string;
  readonly ttlSeconds: number;
}

function scanExpiryMs(env: Environment): number {
  return integer(env, ENV.SCAN_EXPIRY_SECONDS, DEFAULTS.scanExpiryDays * 86_400, 86_400, 10 * 365 * 86_400) * 1000;
}

function ledgerFrom(env: Environment): LedgerSettings {
  return { tableName: required(env, ENV.LEDGER_TABLE), ttlSeconds: entryTtlSeconds(scanExpiryMs(env)) };
}

export interface RescanSettings {
  readonly filter: RepositoryFilter;
  /** The rescan queue itself: where a walk out of time queues its continuation. */
  readonly queueUrl: string;
  readonly scanExpiryMs: number;
  readonly imageConcurrency: number;
  readonly ledger: LedgerSettings;
  /** Which images get scans (scope.ts). */
  readonly scope: ImageScopeConfig;
  readonly inUse: InUseSettings;
  /** Basic scans this reporter starts per UTC day, at most (budget.ts). */
  readonly dailyScanBudget: number;
  /** Whether the walk reads image index manifests (image-index.ts). */
  readonly readImageIndexes: boolean;
  /** Under enhanced scanning: an image pulled within this long whose monitoring expired is a coverage gap (coverage.ts). */
  readonly coverageWindowMs: number;
}

export function readRescanSettings(env: Environment): RescanSettings {
  return {
    filter: filterFrom(env),
    queueUrl: required(env, ENV.QUEUE_URL),
    scanExpiryMs: scanExpiryMs(env),
    imageConcurrency: integer(env, ENV.IMAGE_CONCURRENCY, DEFAULTS.imageConcurrency, 1, 50),
    ledger: ledgerFrom(env),
    scope: parsed(env, ENV.RESCAN_SCOPE, parseScope),
    inUse: inUseFrom(env),
    dailyScanBudget: integer(env, ENV.DAILY_SCAN_BUDGET, DEFAULTS.dailyScanBudget, 1, DAILY_BASIC_SCAN_QUOTA),
    readImageIndexes: flag(env, ENV.READ_IMAGE_INDEXES, false),
    coverageWindowMs: integer(env, ENV.COVERAGE_WINDOW_SECONDS, DEFAULTS.coverageWindowDays * 86_400, 86_400, 3650 * 86_400) * 1000,
  };
}

export interface DiscoverySettings {
  readonly ledger: LedgerSettings;
  readonly inUse: InUseSettings;
}

export function readDiscoverySettings(env: Environment): DiscoverySettings {
  return { ledger: ledgerFrom(env), inUse: inUseFrom(env) };
}

export interface ReportSettings {
  readonly filter: RepositoryFilter;
  readonly topicArn: string;
  readonly thresholds: Thresholds;
  readonly notifyOnScanFailure: boolean;
  readonly maxFindings: number;
  readonly reportOn: ReportOnMode;
  readonly ledger: LedgerSettings;
  /** Which images get reports (scope.ts). */
  readonly scope: ImageScopeConfig;
  readonly inUse: InUseSettings;
  /** The repository tag that names a repository's owner (owners.ts). */
  readonly ownerTagKey?: string;
  readonly ownerRules: readonly OwnerRule[];
  readonly acceptedRisks: readonly AcceptedRiskEntry[];
  /** Whether HTTPS subscribers get the chat form (chat-message.ts) instead of the JSON document. */
  readonly chat: boolean;
}

export function readReportSettings(env: Environment): ReportSettings {
  const notify = env[ENV.NOTIFY_ON_SCAN_FAILURE] || undefined;
  if (notify !== undefined && notify !== 'true' && notify !== 'false') {
    throw new Error(`environment variable ${ENV.NOTIFY_ON_SCAN_FAILURE} must be "true" or "false"; got ${JSON.stringify(notify)}`);
  }
  const reportOn = env[ENV.REPORT_ON] || DEFAULTS.reportOn;
  if (!(REPORT_ON_MODES as readonly string[]).includes(reportOn)) {
    throw new Error(`environment variable ${ENV.REPORT_ON} must be one of ${REPORT_ON_MODES.join(', ')}; got ${JSON.stringify(reportOn)}`);
  }
  const thresholdsJson = env[ENV.THRESHOLDS];
  return {
    filter: filterFrom(env),
    topicArn: required(env, ENV.TOPIC_ARN),
    thresholds: thresholdsJson ? parseThresholds(thresholdsJson) : { ...DEFAULTS.thresholds },
    notifyOnScanFailure: notify === undefined ? DEFAULTS.notifyOnScanFailure : notify === 'true',
    maxFindings: integer(env, ENV.MAX_FINDINGS, DEFAULTS.maxFindingsPerReport, 0, 1000),
    reportOn: reportOn as ReportOnMode,
    ledger: ledgerFrom(env),
    scope: parsed(env, ENV.REPORT_SCOPE, parseScope),
    inUse: inUseFrom(env),
    ...(env[ENV.OWNER_TAG_KEY] ? { ownerTagKey: env[ENV.OWNER_TAG_KEY] } : {}),
    ownerRules: parsed(env, ENV.REPOSITORY_OWNERS, parseOwnerRules),
    acceptedRisks: parsed(env, ENV.ACCEPTED_RISKS, parseAcceptedRisks),
    chat: flag(env, ENV.CHAT_NOTIFICATIONS, false),
  };
}

export interface SummarySettings {
  /** Only the selected repositories' images are summarized: the discovery records running images of any repository. */
  readonly filter: RepositoryFilter;
  readonly topicArn: string;
  readonly ledger: LedgerSettings;
  readonly inUse: InUseSettings;
  readonly scanExpiryMs: number;
  /** The period each summary covers, ending at its run (summary.ts). */
  readonly periodMs: number;
  readonly ownerTagKey?: string;
  readonly ownerRules: readonly OwnerRule[];
  readonly acceptedRisks: readonly AcceptedRiskEntry[];
  readonly chat: boolean;
}

export function readSummarySettings(env: Environment): SummarySettings {
  return {
    filter: filterFrom(env),
    topicArn: required(env, ENV.TOPIC_ARN),
    ledger: ledgerFrom(env),
    inUse: inUseFrom(env),
    scanExpiryMs: scanExpiryMs(env),
    periodMs: integer(env, ENV.SUMMARY_PERIOD_SECONDS, 7 * 86_400, 3600, 366 * 86_400) * 1000,
    ...(env[ENV.OWNER_TAG_KEY] ? { ownerTagKey: env[ENV.OWNER_TAG_KEY] } : {}),
    ownerRules: parsed(env, ENV.REPOSITORY_OWNERS, parseOwnerRules),
    acceptedRisks: parsed(env, ENV.ACCEPTED_RISKS, parseAcceptedRisks),
    chat: flag(env, ENV.CHAT_NOTIFICATIONS, false),
  };
}
