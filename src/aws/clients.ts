/**
 * SDK client settings shared by the handlers and the command-line tool. ECR
 * publishes no request rate for its describe, list and scan APIs, so its client
 * uses the SDK's adaptive retry strategy: exponential back-off with jitter plus
 * a client-side rate limiter that slows down when throttled.
 */
import { ECRClient, ECRClientConfig } from '@aws-sdk/client-ecr';
import { LambdaClient } from '@aws-sdk/client-lambda';
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

export function createLambdaClient(): LambdaClient {
  return new LambdaClient({ retryMode: 'standard', maxAttempts: MAX_ATTEMPTS });
}

/** Any SDK v3 client: what `RetryCounter.attach` needs of it. */
interface MiddlewareClient {
  readonly middlewareStack: {
    add(middleware: (next: (args: any) => Promise<any>) => (args: any) => Promise<any>, options: { step: 'initialize'; name: string }): void;
  };
}

function retriesOf(metadata: unknown): number {
  const attempts = (metadata as { attempts?: unknown } | undefined)?.attempts;
  return typeof attempts === 'number' && attempts > 1 ? attempts - 1 : 0;
}

/**
 * Counts the requests the SDK's retry strategy sent again (throttling, 5xx, network
 * errors), from the `attempts` it records on every response and error. Handlers publish
 * the count as a metric, so throttling shows before it turns into failures.
 */
export class RetryCounter {
  private count = 0;

  /** Retries seen since the counter was made. */
  public get total(): number {
    return this.count;
  }

  public attach<C extends MiddlewareClient>(client: C): C {
    client.middlewareStack.add(
      (next) => async (args) => {
        try {
          const result = await next(args);
          this.count += retriesOf(result?.output?.$metadata);
          return result;
        } catch (error) {
          this.count += retriesOf((error as { $metadata?: unknown })?.$metadata);
          throw error;
        }
      },
      { step: 'initialize', name: 'ecrScanReporterRetryCounter' },
    );
    return client;
  }
}
