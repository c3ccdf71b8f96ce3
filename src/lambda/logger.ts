import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger per handler; the service name is set by the construct (POWERTOOLS_SERVICE_NAME). */
export function createLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'ecr-scan-reporter' });
}
