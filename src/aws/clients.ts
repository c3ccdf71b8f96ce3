/**
 * SDK client settings shared by the handlers and the command-line tool. ECR
 * publishes no request rate for its describe, list and scan APIs, so its client
 * uses the SDK's adaptive retry strategy: exponential back-off with jitter plus
 * a client-side rate limiter that slows down when throttled.
 */
import { ECRClient, ECRClientConfig } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AdaptiveRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryToken, StandardRetryToken } from '@smithy/types';

export const MAX_ATTEMPTS = 5;

/**
 * The SDK's adaptive retry, except that LimitExceededException is final. The SDK
 * classifies that error name as throttling and would retry it with back-off, but
 * for ECR it is a quota answer: StartImageScan's "scan quota per image has been
 * exceeded" (scanned in the last 24 hours) or a registry quota. Retrying cannot
 * succeed, would sleep for seconds per image, and would slow the rate limiter
 * for every other request of the walk. Real throttling (ThrottlingException) is
 * still retried.
 */
export class EcrRetryStrategy extends AdaptiveRetryStrategy {
  constructor(maxAttempts: number = MAX_ATTEMPTS) {
    super(async () => maxAttempts);
  }

  public async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    if (errorInfo.error?.name === 'LimitExceededException') {
      // Any error thrown here makes the SDK rethrow the original one at once.
      throw errorInfo.error;
    }
    return super.refreshRetryTokenForRetry(token, errorInfo);
  }
}

/**
 * The ECR client with EcrRetryStrategy. `config` is merged over these defaults:
 * the command-line tool passes its region and profile.
 */
export function createEcrClient(config: ECRClientConfig = {}): ECRClient {
  return new ECRClient({ maxAttempts: MAX_ATTEMPTS, retryStrategy: new EcrRetryStrategy(MAX_ATTEMPTS), ...config });
}

export function createSqsClient(): SQSClient {
  return new SQSClient({ retryMode: 'standard', maxAttempts: MAX_ATTEMPTS });
}

export function createSnsClient(): SNSClient {
  return new SNSClient({ retryMode: 'standard', maxAttempts: MAX_ATTEMPTS });
}
