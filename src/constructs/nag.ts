/**
 * Why the reporter's resources are as they are, recorded for cdk-nag on the resources
 * concerned: v3 reads CDK's acknowledged-rules metadata, v2 the `cdk_nag` metadata. IAM5 is
 * acknowledged per finding, so any other wildcard still fails; the repository findings are
 * the ARNs each function was granted (repository-grants.ts), narrowed or not.
 */
import { CfnResource, Stack, Token, Validations, aws_lambda as lambda, aws_sqs as sqs } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { ALL_REPOSITORIES, grantedRepositoryNames } from './repository-grants';

export interface AcknowledgedResources {
  readonly dispatchFunction: lambda.Function;
  readonly rescanFunction: lambda.Function;
  readonly reportFunction: lambda.Function;
  readonly discoverFunction?: lambda.Function;
  readonly inspectorReportFunction?: lambda.Function;
  readonly summaryFunction?: lambda.Function;
  readonly eventDeadLetterQueue: sqs.Queue;
}

export function acknowledgeNagRules(scope: Construct, r: AcknowledgedResources): void {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const arn = (service: string, resource: string) => `Resource::arn:<AWS::Partition>:${service}:${region}:${account}:${resource}`;
  const registryLevel = 'ecr:GetRegistryScanningConfiguration is a registry-level action that supports no resource ARN (Resource::*).';
  const noWildcardAction = 'No action is a wildcard.';
  const policyOf = (fn: lambda.Function) => fn.role!.node.findChild('DefaultPolicy');
  /** The function's repository findings, exactly as granted (repository-grants.ts), and the sentence that says why. */
  const repositories = (fn: lambda.Function, whyAll: string) => {
    const names = grantedRepositoryNames(fn);
    const prefixes = names.filter((n) => n !== ALL_REPOSITORIES).map((n) => `repository/${n}`);
    const reasons = [
      ...(prefixes.length > 0
        ? [`ECR actions are on the repositories whose names start with the literal prefixes of repositoryPattern (${prefixes.join(', ')}): the trailing wildcard covers repositories created under those prefixes after deployment.`]
        : []),
      ...(names.includes(ALL_REPOSITORIES) ? [`ECR actions are on every repository of this account and region (repository/*) because ${whyAll}.`] : []),
    ];
    return { findings: names.map((n) => arn('ecr', `repository/${n}`)), reason: reasons.join(' ') };
  };
  const selected =
    'repositoryPattern is absent (every repository is selected), a token, or has no literal prefix IAM can name (each alternative anchored with ^ and followed by literal text); ' +
    'the wildcard covers repositories created after deployment, which the pattern selects too';

  const dispatch = repositories(r.dispatchFunction, 'ecr:DescribeRepositories lists the whole registry, and dispatch applies repositoryPattern and excludePattern to the names listed');
  acknowledge(policyOf(r.dispatchFunction), 'AwsSolutions-IAM5', `${dispatch.reason} ${registryLevel} ${noWildcardAction}`, [...dispatch.findings, 'Resource::*']);
  const rescan = repositories(r.rescanFunction, selected);
  acknowledge(policyOf(r.rescanFunction), 'AwsSolutions-IAM5', `${rescan.reason} ${registryLevel} ${noWildcardAction}`, [...rescan.findings, 'Resource::*']);
  const report = repositories(r.reportFunction, selected);
  acknowledge(policyOf(r.reportFunction), 'AwsSolutions-IAM5', `${report.reason} ${noWildcardAction}`, report.findings);
  if (r.inspectorReportFunction) {
    const inspector = repositories(r.inspectorReportFunction, selected);
    acknowledge(policyOf(r.inspectorReportFunction), 'AwsSolutions-IAM5', `${inspector.reason} ${noWildcardAction}`, inspector.findings);
  }
  if (r.summaryFunction) {
    const summary = repositories(
      r.summaryFunction,
      'ecr:DescribeRepositories lists the whole registry, and the summary applies repositoryPattern and excludePattern to the names listed (under enhanced scanning, to name the repositories no filter covers)',
    );
    acknowledge(policyOf(r.summaryFunction), 'AwsSolutions-IAM5', `${summary.reason} ${registryLevel} ${noWildcardAction}`, [...summary.findings, 'Resource::*']);
  }
  if (r.discoverFunction) {
    const discover = repositories(
      r.discoverFunction,
      'running images may come from any repository of this registry, selected or not, and ecr:DescribeImages resolves their tags to digests (read-only: it does not count as a pull)',
    );
    acknowledge(
      policyOf(r.discoverFunction),
      'AwsSolutions-IAM5',
      'The in-use discovery reads every ECS cluster, service and task and every Lambda function of this account and region, because images run in workloads created after deployment. ' +
        'ecs:ListClusters, ecs:DescribeTaskDefinition and lambda:ListFunctions support no resource ARN; ecs:ListServices and ecs:ListTasks are limited by the ecs:cluster condition to this account and region. ' +
        `${discover.reason} All of these actions are read-only. ${noWildcardAction}`,
      [...discover.findings, 'Resource::*', arn('ecs', 'service/*/*'), arn('ecs', 'task/*/*'), arn('lambda', 'function:*')],
    );
  }
  acknowledge(
    r.eventDeadLetterQueue,
    'AwsSolutions-SQS3',
    'This queue is itself a dead-letter queue: the on-failure destination of the dispatch, report, discovery and summary functions, the dead-letter queue of their EventBridge targets, ' +
      'and that of the Inspector event queue and its rules\' targets.',
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
