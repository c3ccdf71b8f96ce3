import { CredentialsProviderError } from '@smithy/core/config';
import { CliFailure, FailureContext, describeFailure, isRegionName } from '../../src/cli/failures';
import { serviceError } from '../aws/helpers';

const CONTEXT: FailureContext = { regionSource: '--region', region: 'us-east-9', during: 'listing the repositories' };

function networkError(code: string, message: string, hostname?: string): Error {
  return Object.assign(new Error(message), { code, errno: -3008, syscall: 'getaddrinfo', hostname, $metadata: { attempts: 1, totalRetryDelay: 0 } });
}

describe('isRegionName', () => {
  test.each(['us-east-1', 'eu-west-2', 'ap-southeast-7', 'us-gov-west-1', 'cn-northwest-1', 'eu-isoe-west-1', 'us-isob-east-1', 'eusc-de-east-1', 'us-east-9'])(
    '%s is well-formed',
    (region) => expect(isRegionName(region)).toBe(true),
  );
  test.each(['eu_west', 'moon-1', 'us-east', 'US-EAST-1', 'us-east-1a', 'useast1', '', 'us-east-1 ', 'us-east-123'])('%j is not', (region) =>
    expect(isRegionName(region)).toBe(false),
  );
});

describe('describeFailure', () => {
  test('a CliFailure is told as it is', () => {
    expect(describeFailure(new CliFailure('already phrased'), CONTEXT)).toEqual({ message: 'already phrased', expected: true });
  });

  test('ENOTFOUND names the host and the region, and where the region came from', () => {
    const report = describeFailure(networkError('ENOTFOUND', 'getaddrinfo ENOTFOUND api.ecr.us-east-9.amazonaws.com', 'api.ecr.us-east-9.amazonaws.com'), CONTEXT);
    expect(report).toEqual({
      message:
        'cannot find the ECR endpoint host api.ecr.us-east-9.amazonaws.com while listing the repositories (ENOTFOUND): ' +
        'check that the region "us-east-9" (from --region) exists and is spelled right (--region or AWS_REGION), and that this machine can resolve DNS names',
      expected: true,
    });
  });

  test('the host is read from the message when the error has no hostname; with AWS_ENDPOINT_URL, that is what to check', () => {
    const error = new Error('getaddrinfo EAI_AGAIN ecr.internal.example');
    const report = describeFailure(error, { regionSource: 'AWS_REGION', endpointUrl: 'http://ecr.internal.example:4566' });
    expect(report.message).toBe('cannot find the ECR endpoint host ecr.internal.example (EAI_AGAIN): check AWS_ENDPOINT_URL (http://ecr.internal.example:4566)');
  });

  test('other network errors: cannot reach, with the fix depending on AWS_ENDPOINT_URL', () => {
    const refused = Object.assign(networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5000'), { address: '127.0.0.1', port: 5000 });
    expect(describeFailure(refused, { regionSource: 'AWS_REGION', endpointUrl: 'http://127.0.0.1:5000' }).message).toBe(
      'cannot reach 127.0.0.1:5000 (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5000): check AWS_ENDPOINT_URL (http://127.0.0.1:5000) and the network',
    );
    const reset = Object.assign(networkError('ECONNRESET', 'socket hang up'), { address: '10.0.0.1' });
    expect(describeFailure(reset, { regionSource: 'x' }).message).toBe('cannot reach 10.0.0.1 (ECONNRESET: socket hang up): check the network or proxy');
    expect(describeFailure(networkError('EPIPE', 'write EPIPE'), { regionSource: 'x' }).message).toBe(
      'cannot reach the ECR endpoint (EPIPE: write EPIPE): check the network or proxy',
    );
    expect(describeFailure(networkError('ETIMEDOUT', 'connect ETIMEDOUT', 'api.ecr.us-east-1.amazonaws.com'), CONTEXT).message).toBe(
      'cannot reach api.ecr.us-east-1.amazonaws.com while listing the repositories (ETIMEDOUT: connect ETIMEDOUT): check the network or proxy',
    );
  });

  test('a missing region says how to set one, naming the profile when there is one', () => {
    expect(describeFailure(new Error('Region is missing'), { regionSource: 'the default profile' }).message).toBe(
      'no AWS region is set: pass --region REGION (e.g. --region us-east-1) or set AWS_REGION, or set a region in your profile (~/.aws/config)',
    );
    expect(describeFailure(new Error('Region is missing'), { regionSource: 'x', profile: 'dev' }).message).toBe(
      'no AWS region is set: pass --region REGION (e.g. --region us-east-1) or set AWS_REGION, or add region = ... to the profile "dev" in ~/.aws/config',
    );
  });

  test("the SDK's own refusal of a region name is told as an invalid region", () => {
    const error = new Error('Region not accepted: region="eu_west" is not a valid hostname component.');
    expect(describeFailure(error, { regionSource: 'AWS_REGION' }).message).toBe(
      '"eu_west" (from AWS_REGION) is not an AWS region name; region names look like us-east-1 or eu-west-2: pass a valid one with --region or AWS_REGION',
    );
  });

  test('credential errors, and any error while resolving credentials, say how to provide them', () => {
    const expected =
      'could not load AWS credentials for the profile "dev" (Could not load credentials from any providers). ' +
      'Provide them with a profile: --profile NAME or AWS_PROFILE=NAME (for IAM Identity Center, run `aws sso login --profile NAME` first), ' +
      'or with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)';
    expect(describeFailure(new CredentialsProviderError('Could not load credentials from any providers'), { regionSource: 'x', profile: 'dev' })).toEqual({
      message: expected,
      expected: true,
    });
    const sso = new Error('The SSO session token has expired');
    expect(describeFailure(sso, { regionSource: 'x', resolvingCredentials: true }).message).toMatch(/^could not load AWS credentials \(The SSO session token has expired\)\. Provide them/);
  });

  test('AWS errors: name and message, with a hint for refused credentials and for missing permissions', () => {
    expect(describeFailure(serviceError('ThrottlingException', 'Rate exceeded'), CONTEXT)).toEqual({
      message: 'AWS error while listing the repositories: ThrottlingException: Rate exceeded',
      expected: true,
    });
    expect(describeFailure(serviceError('ExpiredTokenException', 'The security token included in the request is expired'), { regionSource: 'x' }).message).toBe(
      'AWS error: ExpiredTokenException: The security token included in the request is expired; AWS refused the credentials: ' +
        'refresh them (`aws sso login`, new access keys) or choose another profile with --profile',
    );
    expect(describeFailure(serviceError('AccessDeniedException', 'not authorized to perform: ecr:DescribeImages'), CONTEXT).message).toBe(
      'AWS error while listing the repositories: AccessDeniedException: not authorized to perform: ecr:DescribeImages; ' +
        'the identity lacks an ECR permission (ecr-scan-reporter --help lists the ones needed)',
    );
    const http = Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    expect(describeFailure(http, { regionSource: 'x' })).toEqual({ message: 'AWS error: ServiceUnavailable: Service Unavailable', expected: true });
  });

  test('a client-side timeout is expected', () => {
    const timeout = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
    expect(describeFailure(timeout, CONTEXT)).toEqual({
      message: 'the request to AWS timed out while listing the repositories: Connection timed out after 1000 ms; check the network, then run again',
      expected: true,
    });
  });

  test('anything else is a bug: the stack is kept', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'imageDigest')");
    const report = describeFailure(bug, CONTEXT);
    expect(report.expected).toBe(false);
    expect(report.message).toMatch(/^unexpected error while listing the repositories \(a bug in ecr-scan-reporter; please report it with what follows\):\nTypeError: Cannot read/);
    expect(report.message).toContain('    at ');
    expect(describeFailure('a string', { regionSource: 'x' }).message).toBe(
      'unexpected error (a bug in ecr-scan-reporter; please report it with what follows):\nUnknownError: a string',
    );
  });
});
