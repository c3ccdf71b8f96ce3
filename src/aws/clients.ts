/**
 * SDK client settings shared by the handlers and the command-line tool. ECR
 * publishes no request rate for its describe, list and scan APIs, so its client
 * uses the SDK's adaptive retry strategy: exponential back-off with jitter plus
 * a client-side rate limiter that slows down when throttled.
 */
import { DynamoDBClient, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { ECRClient, ECRClientConfig } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AdaptiveRetryStrategy } from '@smithy/core/retry';
import type { RetryErrorInfo, RetryToken, StandardRetryToken } from '@smithy/types';

export const MAX_ATTEMPTS = 5;

/**
 * The SDK's adaptive retry, with two changes for how the walk uses ECR.
 *
 * - LimitExceededException is final. The SDK classifies that error name as
 *   throttling and would retry it with back-off, but for ECR it is a quota answer:
 *   StartImageScan's "scan quota per image has been exceeded" (scanned in the last
 *   24 hours) or a registry quota. Retrying cannot succeed, would sleep for seconds
 *   per image, and would slow the rate limiter for every other request of the walk.
 *   Real throttling (ThrottlingException) is still retried.
 * - A call that ends in a service answer (a client error such as ScanNotFoundException
 *   for an image never scanned, or that LimitExceededException) counts as a success
 *   for the retry budget. The SDK refunds the capacity a call's retries took only when
 *   the call succeeds; a walk where most calls end in such answers drained the budget
 *   under faults (500 tokens, 5 or 14 per retry), after which every server error or
 *   dropped connection failed at its first attempt and walks ended in the dead-letter
 *   queue. ECR answering at all shows the retried fault is over.
 */
export class EcrRetryStrategy extends AdaptiveRetryStrategy {
  constructor(maxAttempts: number = MAX_ATTEMPTS) {
    super(async () => maxAttempts);
  }

  public async refreshRetryTokenForRetry(token: StandardRetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    if (errorInfo.error?.name === 'LimitExceededException' || errorInfo.errorType === 'CLIENT_ERROR') {
      this.recordSuccess(token);
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

/** The ledger's client: DynamoDB throttling and server errors are retried with back-off, as for SQS and SNS. */
export function createDynamoDbClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ retryMode: 'standard', maxAttempts: MAX_ATTEMPTS, ...config });
}

/** The document client over `client` (plain JavaScript values in and out; undefined attributes left out). */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The in-use discovery's ECS client: throttling is retried with back-off. */
export function createEcsClient(): ECSClient {
  return new ECSClient({ retryMode: 'adaptive', maxAttempts: MAX_ATTEMPTS });
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

/** Node's network errors after which the request may have reached the service: its answer was lost, not its request. */
const ANSWER_LOST_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

function answerLost(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown; $response?: unknown; $metadata?: { httpStatusCode?: unknown } } | undefined;
  if (!e || e.$response !== undefined || e.$metadata?.httpStatusCode !== undefined) return false;
  return (typeof e.code === 'string' && ANSWER_LOST_CODES.has(e.code)) || e.name === 'TimeoutError';
}

/**
 * Counts the attempts that ended without an answer after the request was sent (a reset
 * connection, a timeout), below the SDK's retry: the service may have acted on them. For SNS
 * Publish, which has no idempotency token, such an attempt followed by a retry may deliver a
 * report twice, and nothing can tell; the report function counts it.
 */
export class LostAnswerCounter {
  private count = 0;

  /** Attempts without an answer since the counter was made. */
  public get total(): number {
    return this.count;
  }

  public attach<C extends { readonly middlewareStack: { add(middleware: any, options: { step: 'deserialize'; name: string }): void } }>(client: C): C {
    client.middlewareStack.add(
      (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
        try {
          return await next(args);
        } catch (error) {
          if (answerLost(error)) this.count++;
          throw error;
        }
      },
      { step: 'deserialize', name: 'ecrScanReporterLostAnswers' },
    );
    return client;
  }
}

/**
 * The clients of the two report functions (ECR's basic scan events and Inspector's), with their
 * counters: retries on every client, and answers lost on SNS Publish, where a retry may deliver a
 * report twice.
 */
export function createReportClients() {
  const retries = new RetryCounter();
  const lostAnswers = new LostAnswerCounter();
  return {
    retries,
    lostAnswers,
    ecr: retries.attach(createEcrClient()),
    sns: lostAnswers.attach(retries.attach(createSnsClient())),
    dynamodb: documentClient(retries.attach(createDynamoDbClient())),
  };
}
