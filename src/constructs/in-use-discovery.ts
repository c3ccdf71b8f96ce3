/**
 * The in-use discovery: on the rescan schedule, a function finds where this registry's images run
 * (ECS tasks and services, Lambda functions of package type Image) and records it in the ledger,
 * for the reports' "Running in" line and the scopes. Read-only permissions only, on this account
 * and region. Built in the reporter's scope, as the other parts are.
 */
import { ArnFormat, Duration, Stack, Tokenization, aws_events as events, aws_events_targets as targets, aws_iam as iam, aws_logs as logs, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { asyncFailureHandling, handlerFunctionOptions } from './handler-function';
import { LedgerTable } from './ledger';
import { ALL_REPOSITORIES, grantOnRepositories } from './repository-grants';
import { eventTargetOptions } from './rescan-pipeline';
import { ENV } from '../decisions/settings';
import { DiscoverFunction } from '../lambda/discover-function';

export interface InUseDiscoveryOptions {
  readonly scheduleRule: events.Rule;
  readonly holdSeconds: number;
  readonly logRetention: logs.RetentionDays;
  readonly ledger: LedgerTable;
  readonly eventDeadLetterQueue: sqs.IQueue;
}

/** The ledger actions of the discovery: read and merge places, write the marker. */
export const DISCOVERY_LEDGER_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'];

export class InUseDiscovery {
  public readonly discoverFunction: DiscoverFunction;

  constructor(scope: Construct, options: InUseDiscoveryOptions) {
    this.discoverFunction = new DiscoverFunction(scope, 'DiscoverFunction', {
      ...handlerFunctionOptions(scope, {
        name: 'Discover',
        description: 'Finds where ECR images run (ECS, Lambda)',
        timeout: Duration.minutes(10),
        environment: {
          [ENV.LEDGER_TABLE]: options.ledger.table.tableName,
          [ENV.IN_USE_DISCOVERY]: 'true',
          [ENV.IN_USE_HOLD_SECONDS]: Tokenization.stringifyNumber(options.holdSeconds),
        },
        logRetention: options.logRetention,
      }),
      ...asyncFailureHandling(options.eventDeadLetterQueue),
    });
    const stack = Stack.of(scope);
    const arn = (service: string, resource: string, resourceName: string, arnFormat = ArnFormat.SLASH_RESOURCE_NAME) =>
      stack.formatArn({ service, resource, resourceName, arnFormat });
    const fn = this.discoverFunction;
    // List calls and DescribeTaskDefinition support no resource ARN (Service Authorization Reference).
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:ListClusters', 'ecs:DescribeTaskDefinition', 'lambda:ListFunctions'], resources: ['*'] }));
    // ListServices and ListTasks authorize on the cluster they list (the `ecs:cluster` condition key), not on a resource ARN.
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ecs:ListServices', 'ecs:ListTasks'], resources: ['*'], conditions: { ArnLike: { 'ecs:cluster': arn('ecs', 'cluster', '*') } } }),
    );
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeServices'], resources: [arn('ecs', 'service', '*/*')] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTasks'], resources: [arn('ecs', 'task', '*/*')] }));
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['lambda:GetFunction'], resources: [arn('lambda', 'function', '*', ArnFormat.COLON_RESOURCE_NAME)] }));
    // Tags of task definitions resolve to digests: DescribeImages is read-only and, unlike BatchGetImage, is no pull.
    // On every repository, whatever repositoryPattern says: the walk resolves each running image of
    // this registry, selected or not (discovery.ts applies no pattern).
    grantOnRepositories(fn, ['ecr:DescribeImages'], [ALL_REPOSITORIES]);
    options.ledger.grant(fn, DISCOVERY_LEDGER_ACTIONS);
    // An account too large for one invocation continues in another, as dispatch does.
    new iam.Policy(scope, 'DiscoverContinuationPolicy', {
      roles: [fn.role!],
      statements: [new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] })],
    });
    options.scheduleRule.addTarget(new targets.LambdaFunction(fn, eventTargetOptions(options.eventDeadLetterQueue)));
  }
}
