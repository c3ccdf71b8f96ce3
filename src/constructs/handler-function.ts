/**
 * What every function of the reporter shares: a log group of its own with the chosen retention,
 * a role of its own that may write only there, ARM64, 256 MB, and the Powertools settings the
 * handlers read. Each pipeline adds its own environment and permissions.
 */
import { Duration, aws_iam as iam, aws_lambda as lambda, aws_lambda_destinations as destinations, aws_logs as logs, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/metric-names';

export interface HandlerOptions {
  /** The prefix of the log group's and the role's construct ids: `Dispatch`, `Rescan`, `Report`. */
  readonly name: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly logRetention: logs.RetentionDays;
}

/** The options for one handler function, its log group and role created in `scope`. */
export function handlerFunctionOptions(scope: Construct, options: HandlerOptions): lambda.FunctionOptions & { readonly role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, `${options.name}Logs`, { retention: options.logRetention });
  const role = new iam.Role(scope, `${options.name}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `${options.description} (${scope.node.path})`,
  });
  logGroup.grantWrite(role);
  return {
    description: options.description,
    role,
    logGroup,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: options.timeout,
    environment: {
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...options.environment,
    },
  };
}

/** Lambda's asynchronous invocation of dispatch and report: two retries within 6 hours, then the event dead-letter queue. */
export function asyncFailureHandling(eventDeadLetterQueue: sqs.IQueue): lambda.EventInvokeConfigOptions {
  return { retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new destinations.SqsDestination(eventDeadLetterQueue) };
}
