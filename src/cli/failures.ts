/**
 * What `ecr-scan-reporter` says when a run cannot go on: every failure a user
 * can cause or fix (credentials, region, network, an AWS error) becomes one
 * sentence that names the cause and the fix, with no stack trace. Anything else
 * is a bug in this tool: its stack is printed, so the report can be acted on.
 * Both exit with code 1 (usage errors, code 2, are told apart before).
 */
import { errorMessage, errorName } from '../aws/ecr';

/** A failure already phrased for the user. */
export class CliFailure extends Error {
  public readonly name = 'CliFailure';
}

/**
 * An AWS region name: two to four letters, one or more words, a number
 * (us-east-1, us-gov-west-1, eu-isoe-west-1, eusc-de-east-1). Refuses eu_west,
 * moon-1 and us-east before any request.
 */
export function isRegionName(region: string): boolean {
  return /^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$/.test(region);
}

/** Where the settings of a run came from, to name them in messages. */
export interface FailureContext {
  /** The region the client resolved, once known. */
  readonly region?: string;
  /** Where the region comes from: "--region", "AWS_REGION", …. */
  readonly regionSource: string;
  readonly profile?: string;
  /** AWS_ENDPOINT_URL, when set. */
  readonly endpointUrl?: string;
  /** What was being done, e.g. "listing the repositories". */
  readonly during?: string;
  /** True while resolving credentials: any error that is not about the network or the region is about credentials. */
  readonly resolvingCredentials?: boolean;
}

export interface FailureReport {
  readonly message: string;
  /** False for a bug: print the stack. */
  readonly expected: boolean;
}

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

const REFUSED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'InvalidClientTokenId',
  'ExpiredTokenException',
  'ExpiredToken',
]);

const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'TokenProviderError']);

export function regionMissingMessage(profile: string | undefined): string {
  return (
    'no AWS region is set: pass --region REGION (e.g. --region us-east-1) or set AWS_REGION' +
    (profile ? `, or add region = ... to the profile "${profile}" in ~/.aws/config` : ', or set a region in your profile (~/.aws/config)')
  );
}

export function invalidRegionMessage(region: string, source: string): string {
  return `${JSON.stringify(region)} (from ${source}) is not an AWS region name; region names look like us-east-1 or eu-west-2: pass a valid one with --region or AWS_REGION`;
}

export function credentialsMessage(sdkMessage: string, profile: string | undefined): string {
  return (
    `could not load AWS credentials${profile ? ` for the profile "${profile}"` : ''} (${sdkMessage}). ` +
    'Provide them with a profile: --profile NAME or AWS_PROFILE=NAME (for IAM Identity Center, run `aws sso login --profile NAME` first), ' +
    'or with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)'
  );
}

function networkCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
  return /getaddrinfo (ENOTFOUND|EAI_AGAIN)/.exec(errorMessage(error))?.[1];
}

/** The host of a network error: its hostname (DNS), its address and port (connect), or the one in its message. */
function hostOf(error: unknown): string | undefined {
  const e = (error ?? {}) as { hostname?: unknown; address?: unknown; port?: unknown };
  if (typeof e.hostname === 'string') return e.hostname;
  if (typeof e.address === 'string') return typeof e.port === 'number' ? `${e.address}:${e.port}` : e.address;
  return /getaddrinfo \w+ (\S+)/.exec(errorMessage(error))?.[1];
}

function isAwsServiceError(error: unknown): boolean {
  const e = error as { $fault?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  return typeof e === 'object' && e !== null && (e.$fault !== undefined || typeof e.$metadata?.httpStatusCode === 'number');
}

/** Turns any error of a run into what the user reads. */
export function describeFailure(error: unknown, context: FailureContext): FailureReport {
  if (error instanceof CliFailure) return { message: error.message, expected: true };
  const name = errorName(error);
  const message = errorMessage(error);
  const during = context.during ? ` while ${context.during}` : '';

  const code = networkCode(error);
  if (code !== undefined) {
    const host = hostOf(error) ?? 'the ECR endpoint';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      const fix = context.endpointUrl
        ? `check AWS_ENDPOINT_URL (${context.endpointUrl})`
        : `check that the region${context.region ? ` "${context.region}" (from ${context.regionSource})` : ''} exists and is spelled right (--region or AWS_REGION), and that this machine can resolve DNS names`;
      return { message: `cannot find the ECR endpoint host ${host}${during} (${code}): ${fix}`, expected: true };
    }
    const fix = context.endpointUrl ? `check AWS_ENDPOINT_URL (${context.endpointUrl}) and the network` : 'check the network or proxy';
    return { message: `cannot reach ${host}${during} (${code}: ${message}): ${fix}`, expected: true };
  }
  if (/Region is missing/.test(message)) return { message: regionMissingMessage(context.profile), expected: true };
  const notAccepted = /Region not accepted: region="([^"]*)"/.exec(message);
  if (notAccepted) return { message: invalidRegionMessage(notAccepted[1], context.regionSource), expected: true };
  if (CREDENTIAL_ERRORS.has(name) || context.resolvingCredentials) return { message: credentialsMessage(message, context.profile), expected: true };

  if (isAwsServiceError(error)) {
    let hint = '';
    if (REFUSED_CREDENTIALS.has(name)) {
      hint = '; AWS refused the credentials: refresh them (`aws sso login`, new access keys) or choose another profile with --profile';
    } else if (name === 'AccessDeniedException') {
      hint = '; the identity lacks an ECR permission (ecr-scan-reporter --help lists the ones needed)';
    }
    return { message: `AWS error${during}: ${name}: ${message}${hint}`, expected: true };
  }
  if (name === 'TimeoutError') {
    return { message: `the request to AWS timed out${during}: ${message}; check the network, then run again`, expected: true };
  }
  const stack = error instanceof Error && error.stack ? error.stack : `${name}: ${message}`;
  return { message: `unexpected error${during} (a bug in ecr-scan-reporter; please report it with what follows):\n${stack}`, expected: false };
}
