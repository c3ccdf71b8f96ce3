import { App, CfnParameter, Stack, Validations, aws_iam as iam } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { EcrScanReporter, EcrScanReporterProps } from '../../src';

type Statement = { Action: string | string[]; Resource: unknown };
type Policy = { Properties: { PolicyDocument: { Statement: Statement[] } } };

const ENV = { account: '123456789012', region: 'eu-west-1' };

function build(props: EcrScanReporterProps, env: typeof ENV | undefined = ENV): { stack: Stack; reporter: EcrScanReporter } {
  const stack = new Stack(new App(), 'Iam', env ? { env } : {});
  const reporter = new EcrScanReporter(stack, 'ScanReporter', props);
  return { stack, reporter };
}

/** This account's and region's repository ARN for a repository name with IAM's wildcard, as the template carries it. */
const repository = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:eu-west-1:123456789012:repository/${name}`]] });
const ALL = repository('*');

/** Every ECR action of every policy in the stack, by role, with the resources of its statement. */
function ecrGrants(stack: Stack): Record<string, Record<string, unknown>> {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy') as Record<string, Policy>;
  const grants: Record<string, Record<string, unknown>> = {};
  for (const [id, policy] of Object.entries(policies)) {
    const role = /(Dispatch|Rescan|Report|Discover|Summary)Role/.exec(id)?.[1] ?? id;
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      for (const action of ([] as string[]).concat(statement.Action).filter((a) => a.startsWith('ecr:'))) {
        grants[role] = { ...grants[role], [action]: statement.Resource };
      }
    }
  }
  return grants;
}

/** The grants when the selected repositories are on `selected`: only the listings (dispatch's, the summary's) and the discovery's reads stay on every repository. */
function expectedGrants(selected: unknown) {
  return {
    Dispatch: { 'ecr:GetRegistryScanningConfiguration': '*', 'ecr:DescribeRepositories': ALL, 'ecr:BatchGetRepositoryScanningConfiguration': selected },
    Rescan: {
      'ecr:GetRegistryScanningConfiguration': '*',
      'ecr:DescribeImages': selected,
      'ecr:DescribeImageScanFindings': selected,
      'ecr:StartImageScan': selected,
      'ecr:BatchGetImage': selected,
    },
    Report: { 'ecr:DescribeImageScanFindings': selected, 'ecr:DescribeImages': selected, 'ecr:ListTagsForResource': selected },
    Discover: { 'ecr:DescribeImages': ALL },
    // Under enhanced scanning the summary names the uncovered repositories, as dispatch does.
    Summary: { 'ecr:GetRegistryScanningConfiguration': '*', 'ecr:DescribeRepositories': ALL, 'ecr:BatchGetRepositoryScanningConfiguration': selected },
  };
}

function acknowledgments(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
}

/** The repository findings acknowledged on a role's policy, and the reasons given for them. */
function repositoryAcknowledgments(stack: Stack, role: string): { ids: string[]; reasons: string[] } {
  const acks = acknowledgments(stack).filter((a) => a.path === `${stack.stackName}/ScanReporter/${role}Role/DefaultPolicy` && a.id.includes(':repository/'));
  return { ids: acks.map((a) => a.id).sort(), reasons: [...new Set(acks.map((a) => a.reason))] };
}

const finding = (name: string) => `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:eu-west-1:123456789012:repository/${name}]`;

describe('ECR statements about the selected repositories are on the prefixes of repositoryPattern', () => {
  test('^team-a/: every such ECR action of every function is on repository/team-a/* only', () => {
    const { stack } = build({ repositoryPattern: '^team-a/', ownerTagKey: 'owner' });
    expect(ecrGrants(stack)).toEqual(expectedGrants(repository('team-a/*')));
  });

  test('^team-a/: repository/* is left only on the listings (dispatch\'s, the summary\'s) and the discovery\'s reads', () => {
    const { stack } = build({ repositoryPattern: '^team-a/', ownerTagKey: 'owner' });
    const wide = Object.entries(ecrGrants(stack)).flatMap(([role, actions]) =>
      Object.entries(actions)
        .filter(([, resource]) => JSON.stringify(resource).includes(':repository/*'))
        .map(([action]) => `${role} ${action}`),
    );
    expect(wide.sort()).toEqual(['Discover ecr:DescribeImages', 'Dispatch ecr:DescribeRepositories', 'Summary ecr:DescribeRepositories']);
  });

  test('two prefixes give two ARNs, in the pattern\'s order', () => {
    for (const pattern of ['^(team-a|team-b)/', '^(?:team-a|team-b)/', '^team-a/|^team-b/']) {
      const { stack } = build({ repositoryPattern: pattern, ownerTagKey: 'owner' });
      expect(ecrGrants(stack)).toEqual(expectedGrants([repository('team-a/*'), repository('team-b/*')]));
    }
  });

  test('escapes are literals in the ARN: ^team\\.a\\/ gives repository/team.a/*', () => {
    const { stack } = build({ repositoryPattern: '^team\\.a\\/', ownerTagKey: 'owner' });
    expect(ecrGrants(stack)).toEqual(expectedGrants(repository('team.a/*')));
  });

  test.each([
    ['no pattern', {}],
    ['an unanchored pattern', { repositoryPattern: 'team-a/' }],
    ['a pattern that starts with a class', { repositoryPattern: '^[ab]/' }],
    ['a pattern with an unanchored alternative', { repositoryPattern: '^team-a/|payments' }],
    ['a pattern that starts with a wildcard', { repositoryPattern: '^.*-api$' }],
    ['excludePattern alone, even with a literal prefix', { excludePattern: '^team-a/legacy' }],
  ])('%s: every repository (repository/*), as before', (_label, props: EcrScanReporterProps) => {
    const { stack } = build({ ...props, ownerTagKey: 'owner' });
    expect(ecrGrants(stack)).toEqual(expectedGrants(ALL));
  });

  test('excludePattern does not narrow what repositoryPattern gives', () => {
    const { stack } = build({ repositoryPattern: '^team-a/', excludePattern: '^team-a/legacy-', ownerTagKey: 'owner' });
    expect(ecrGrants(stack)).toEqual(expectedGrants(repository('team-a/*')));
  });

  test('a pattern given as a token keeps repository/*', () => {
    const stack = new Stack(new App(), 'Iam', { env: ENV });
    const pattern = new CfnParameter(stack, 'Pattern', { default: '^team-a/' }).valueAsString;
    new EcrScanReporter(stack, 'ScanReporter', { repositoryPattern: pattern, ownerTagKey: 'owner' });
    expect(ecrGrants(stack)).toEqual(expectedGrants(ALL));
  });

  test('the functions still read the pattern itself from their environment: the ARNs only bound what IAM allows', () => {
    const { stack } = build({ repositoryPattern: '^team-a/api-' });
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    const patterns = Object.values(functions).map((f) => f.Properties.Environment.Variables.REPOSITORY_PATTERN);
    // Dispatch, rescan, report, Inspector report and summary (the discovery applies no pattern).
    expect(patterns.filter((p) => p !== undefined)).toEqual(['^team-a/api-', '^team-a/api-', '^team-a/api-', '^team-a/api-', '^team-a/api-']);
    expect(ecrGrants(stack).Rescan['ecr:StartImageScan']).toEqual(repository('team-a/api-*'));
  });
});

describe('cdk-nag AwsSolutions stays clean, and acknowledges exactly the ARNs granted', () => {
  test.each<[string, EcrScanReporterProps]>([
    ['one prefix', { repositoryPattern: '^team-a/' }],
    ['two prefixes, with owner tags', { repositoryPattern: '^(team-a|team-b)/', ownerTagKey: 'owner' }],
    ['no literal prefix', { repositoryPattern: '^[ab]/' }],
    ['no pattern, no discovery', { inUseDiscovery: false }],
  ])('%s: no violation, with a concrete and with an unresolved account and region', (_label, props) => {
    for (const env of [ENV, undefined]) {
      const { stack } = build(props, env);
      const report = new AwsSolutionsChecks().validateScope(stack);
      expect(report.violations).toEqual([]);
      expect(report.success).toBe(true);
    }
  });

  test('narrowed: rescan and report acknowledge the prefixes, with a reason that says so; dispatch both (its coverage check and its listing), discovery repository/*', () => {
    const { stack } = build({ repositoryPattern: '^(team-a|team-b)/' });
    for (const role of ['Rescan', 'Report']) {
      const acks = repositoryAcknowledgments(stack, role);
      expect(acks.ids).toEqual([finding('team-a/*'), finding('team-b/*')]);
      expect(acks.reasons).toHaveLength(1);
      expect(acks.reasons[0]).toContain('ECR actions are on the repositories whose names start with the literal prefixes of repositoryPattern (repository/team-a/*, repository/team-b/*)');
      expect(acks.reasons[0]).not.toContain('repository/*');
    }
    const dispatch = repositoryAcknowledgments(stack, 'Dispatch');
    expect(dispatch.ids).toEqual([finding('*'), finding('team-a/*'), finding('team-b/*')]);
    expect(dispatch.reasons[0]).toContain('(repository/team-a/*, repository/team-b/*)');
    expect(dispatch.reasons[0]).toContain('ECR actions are on every repository of this account and region (repository/*) because');
    const discover = repositoryAcknowledgments(stack, 'Discover');
    expect(discover.ids).toEqual([finding('*')]);
    expect(discover.reasons[0]).toContain('ECR actions are on every repository of this account and region (repository/*) because');
  });

  test('wide: rescan and report acknowledge repository/*, with a reason that says why the pattern did not narrow', () => {
    const { stack } = build({ repositoryPattern: 'team-a/' });
    for (const role of ['Rescan', 'Report']) {
      const acks = repositoryAcknowledgments(stack, role);
      expect(acks.ids).toEqual([finding('*')]);
      expect(acks.reasons[0]).toContain('ECR actions are on every repository of this account and region (repository/*) because repositoryPattern is absent');
      expect(acks.reasons[0]).toContain('has no literal prefix IAM can name');
    }
  });

  test('narrowed, repository/* is not acknowledged on the report function: a grant on it that the construct did not make still fails', () => {
    const { stack, reporter } = build({ repositoryPattern: '^team-a/' });
    reporter.reportFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecr:BatchGetImage'], resources: [stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' })] }));
    const ruleNames = new AwsSolutionsChecks().validateScope(stack).violations.map((v) => v.ruleName);
    expect(ruleNames).toEqual([finding('*')]);
  });
});
