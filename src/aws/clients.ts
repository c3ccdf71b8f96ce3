/**
 * SDK client settings shared by the handlers and the command-line tool. ECR
 * publishes no request rate for its describe, list and scan APIs, so its client
 * uses the SDK's adaptive retry mode: exponential back-off with jitter plus a
 * client-side rate limiter that slows down when throttled.
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';

export const MAX_ATTEMPTS = 5;

export function createEcrClient(): ECRClient {
  return new ECRClient({ retryMode: 'adaptive', maxAttempts: MAX_ATTEMPTS });
}

export function createSqsClient(): SQSClient {
  return new SQSClient({ retryMode: 'standard', maxAttempts: MAX_ATTEMPTS });
}

export function createSnsClient(): SNSClient {
  return new SNSClient({ retryMode: 'standard', maxAttempts: MAX_ATTEMPTS });
}
