/**
 * The repositories the functions' ECR statements name, as narrow as IAM can say it.
 *
 * A statement only ever about the selected repositories is on `repository/<prefix>*` for
 * each literal prefix of `repositoryPattern` (../decisions/repository-prefixes.ts). It is on
 * every repository of this account and region (`repository/*`) when there is no pattern, when
 * the pattern is a token or has no literal prefix, and for a statement about repositories the
 * patterns do not select: dispatch's listing of the registry, the discovery's reading of the
 * images that run. `excludePattern` never narrows: an Allow cannot say "except", and the handlers
 * skip excluded repositories before any call about them. The trailing `*` covers repositories
 * created after deployment, which the patterns select too.
 *
 * Each grant is recorded on its function, so that the cdk-nag acknowledgements (nag.ts) name
 * exactly the ARNs granted.
 */
import { ArnFormat, Stack, Token, aws_iam as iam, aws_lambda as lambda } from 'aws-cdk-lib';
import { literalPrefixes } from '../decisions/repository-prefixes';

/** Every repository of this account and region, as a repository name with IAM's wildcard. */
export const ALL_REPOSITORIES = '*';

/**
 * Returns the repository names, with IAM's trailing `*`, that every repository the pattern selects falls under.
 *
 * `['team-a/*']` for `^team-a/`; `['*']` (every repository) without a pattern, for a token, or
 * for a pattern without literal prefixes.
 * @param repositoryPattern `repositoryPattern` as the construct was given it
 */
export function selectedRepositoryNames(repositoryPattern: string | undefined): string[] {
  if (repositoryPattern === undefined || Token.isUnresolved(repositoryPattern)) return [ALL_REPOSITORIES];
  return literalPrefixes(repositoryPattern)?.map((prefix) => `${prefix}*`) ?? [ALL_REPOSITORIES];
}

const granted = new WeakMap<lambda.IFunction, string[]>();

/**
 * Allows `actions` on this account's and region's repositories `names`, and records the names for nag.ts.
 * @param names repository names with IAM's wildcard, as selectedRepositoryNames gives them, or ALL_REPOSITORIES
 */
export function grantOnRepositories(fn: lambda.Function, actions: string[], names: readonly string[]): void {
  const stack = Stack.of(fn);
  const resources = names.map((resourceName) => stack.formatArn({ service: 'ecr', resource: 'repository', resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }));
  fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
  granted.set(fn, [...new Set([...(granted.get(fn) ?? []), ...names])]);
}

/** Returns the repository names the function's ECR statements were granted on, in the order granted. */
export function grantedRepositoryNames(fn: lambda.IFunction): readonly string[] {
  return granted.get(fn) ?? [];
}
