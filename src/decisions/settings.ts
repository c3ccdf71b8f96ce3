/**
 * The contract between the construct and its handlers: environment variable
 * names, and their parsing. The construct writes them; handlers read them at
 * each invocation and fail loudly on a bad value (a misconfiguration must not
 * look like "nothing to do").
 */
import { entryTtlSeconds } from './ledger';
import { Thresholds, parseThresholds } from './report';
import { REPORT_ON_MODES, ReportOnMode } from './report-on';
import { RepositoryFilter } from './repository-filter';

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
} as const;

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
}

export function readDispatchSettings(env: Environment): DispatchSettings {
  return { filter: filterFrom(env), queueUrl: required(env, ENV.QUEUE_URL) };
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
}

export function readRescanSettings(env: Environment): RescanSettings {
  return {
    filter: filterFrom(env),
    queueUrl: required(env, ENV.QUEUE_URL),
    scanExpiryMs: scanExpiryMs(env),
    imageConcurrency: integer(env, ENV.IMAGE_CONCURRENCY, DEFAULTS.imageConcurrency, 1, 50),
    ledger: ledgerFrom(env),
  };
}

export interface ReportSettings {
  readonly filter: RepositoryFilter;
  readonly topicArn: string;
  readonly thresholds: Thresholds;
  readonly notifyOnScanFailure: boolean;
  readonly maxFindings: number;
  readonly reportOn: ReportOnMode;
  readonly ledger: LedgerSettings;
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
  };
}
