/**
 * Why the reporter's resources are as they are, recorded for cdk-nag on the resources
 * concerned: v3 reads CDK's acknowledged-rules metadata, v2 the `cdk_nag` metadata. IAM5 is
 * acknowledged per finding, so any other wildcard still fails.
 */
import { CfnResource, Stack, Token, Validations, aws_lambda as lambda, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

export interface AcknowledgedResources {
  readonly dispatchFunction: lambda.Function;
  readonly rescanFunction: lambda.Function;
  readonly reportFunction: lambda.Function;
  readonly discoverFunction?: lambda.Function;
  readonly eventDeadLetterQueue: sqs.Queue;
}

export function acknowledgeNagRules(scope: Construct, r: AcknowledgedResources): void {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const repositories = `Resource::arn:<AWS::Partition>:ecr:${region}:${account}:repository/*`;
  const reason =
    'ECR actions are scoped to this account and region\'s repository ARNs (repository/*) because the patterns select repositories that may be created after deployment; ' +
    'ecr:GetRegistryScanningConfiguration is a registry-level action that supports no resource ARN. No action is a wildcard.';
  const policyOf = (fn: lambda.Function) => fn.role!.node.findChild('DefaultPolicy');
  acknowledge(policyOf(r.dispatchFunction), 'AwsSolutions-IAM5', reason, [repositories, 'Resource::*']);
  acknowledge(policyOf(r.rescanFunction), 'AwsSolutions-IAM5', reason, [repositories, 'Resource::*']);
  acknowledge(policyOf(r.reportFunction), 'AwsSolutions-IAM5', reason, [repositories]);
  if (r.discoverFunction) {
    const arn = (service: string, resource: string) => `Resource::arn:<AWS::Partition>:${service}:${region}:${account}:${resource}`;
    acknowledge(
      policyOf(r.discoverFunction),
      'AwsSolutions-IAM5',
      'The in-use discovery reads every ECS cluster, service and task and every Lambda function of this account and region, because images run in workloads created after deployment. ' +
        'ecs:ListClusters, ecs:DescribeTaskDefinition and lambda:ListFunctions support no resource ARN; ecs:ListServices and ecs:ListTasks are limited by the ecs:cluster condition to this account and region. ' +
        'All of them are read-only (ecr:DescribeImages resolves task definitions\' tags without counting as a pull). No action is a wildcard.',
      [repositories, 'Resource::*', arn('ecs', 'service/*/*'), arn('ecs', 'task/*/*'), arn('lambda', 'function:*')],
    );
  }
  acknowledge(
    r.eventDeadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is itself a dead-letter queue: the on-failure destination of the dispatch and report functions and the dead-letter queue of their EventBridge targets.',
  );
}

/**
 * Acknowledges a cdk-nag rule, or some of its findings, on one construct.
 * `Validations.acknowledge` refuses ids with more than one '::', which IAM5's
 * findings about tokenized ARNs contain, so the metadata it would write is
 * written directly (its key is public for exactly this use).
 */
function acknowledge(scope: IConstruct, ruleId: string, reason: string, findings?: string[]): void {
  const ids = findings ? findings.map((f) => `${ruleId}[${f}]`) : [ruleId];
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, Object.fromEntries(ids.map((id) => [id, reason])));
  const resource = scope.node.defaultChild;
  if (CfnResource.isCfnResource(resource)) {
    resource.addMetadata('cdk_nag', { rules_to_suppress: [{ id: ruleId, reason, ...(findings ? { applies_to: findings } : {}) }] });
  }
}
