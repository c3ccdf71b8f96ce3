import { ImageReference, Registry, parseImageUri } from '../../src/aws/discovery';

const REGISTRY: Registry = { accountId: '123456789012', region: 'eu-west-1' };
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseImageUri: images of this registry', () => {
  test.each<[string, string, ImageReference]>([
    ['repo:tag', `${HOST}/payments-api:v1.2.3`, { repositoryName: 'payments-api', imageTag: 'v1.2.3' }],
    ['repo without a tag (ECS and Lambda take it as latest)', `${HOST}/payments-api`, { repositoryName: 'payments-api' }],
    ['repo@digest (Lambda\'s ResolvedImageUri)', `${HOST}/payments-api@${DIGEST}`, { repositoryName: 'payments-api', imageDigest: DIGEST }],
    ['repo:tag@digest', `${HOST}/payments-api:v2@${DIGEST}`, { repositoryName: 'payments-api', imageTag: 'v2', imageDigest: DIGEST }],
    ['a nested repository name', `${HOST}/team-a/services/payments-api:prod`, { repositoryName: 'team-a/services/payments-api', imageTag: 'prod' }],
    ['a nested repository name with a digest', `${HOST}/team-a/api@${DIGEST}`, { repositoryName: 'team-a/api', imageDigest: DIGEST }],
    ['a repository name with dots and underscores', `${HOST}/base.images/python_3.12:slim`, { repositoryName: 'base.images/python_3.12', imageTag: 'slim' }],
    ['a tag with upper case, underscores, dots and dashes', `${HOST}/app:Release_2026.12-rc1`, { repositoryName: 'app', imageTag: 'Release_2026.12-rc1' }],
    ['a tag of 128 characters', `${HOST}/app:${'t'.repeat(128)}`, { repositoryName: 'app', imageTag: 't'.repeat(128) }],
  ])('%s', (_label, uri, expected) => {
    expect(parseImageUri(uri, REGISTRY)).toEqual(expected);
  });

  test('the FIPS endpoint of this registry', () => {
    expect(parseImageUri('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:v1', { accountId: '123456789012', region: 'us-gov-west-1' })).toEqual({ repositoryName: 'app', imageTag: 'v1' });
  });

  test('the China partition host (amazonaws.com.cn)', () => {
    const china: Registry = { accountId: '123456789012', region: 'cn-north-1' };
    expect(parseImageUri('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/team-a/api:v1', china)).toEqual({ repositoryName: 'team-a/api', imageTag: 'v1' });
    expect(parseImageUri(`123456789012.dkr.ecr.cn-northwest-1.amazonaws.com.cn/api@${DIGEST}`, { ...china, region: 'cn-northwest-1' })).toEqual({ repositoryName: 'api', imageDigest: DIGEST });
  });
});

describe('parseImageUri: any other image is undefined', () => {
  test.each<[string, string | undefined]>([
    ['another account', '210987654321.dkr.ecr.eu-west-1.amazonaws.com/payments-api:v1'],
    ['another region', '123456789012.dkr.ecr.us-east-1.amazonaws.com/payments-api:v1'],
    ['this account in the China partition, but another region', '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1'],
    ['ECR Public', 'public.ecr.aws/nginx/nginx:1.27'],
    ['ECR Public, the AWS Lambda base image', 'public.ecr.aws/lambda/nodejs:22'],
    ['Docker Hub, short form', 'nginx:latest'],
    ['Docker Hub, a user\'s image', 'grafana/grafana:11.0.0'],
    ['Docker Hub, full form', 'docker.io/library/nginx:1.27'],
    ['another registry', 'ghcr.io/org/app:1.0'],
    ['an ECR pull-through cache on another account', '210987654321.dkr.ecr.eu-west-1.amazonaws.com/docker-hub/library/nginx:latest'],
    ['a host that only looks like ECR', `${HOST}.example.com/app:v1`],
    ['an https URL', `https://${HOST}/app:v1`],
    ['an upper-case repository name', `${HOST}/Payments-API:v1`],
    ['a digest that is not 64 hex characters', `${HOST}/app@sha256:abc123`],
    ['a sha512 digest', `${HOST}/app@sha512:${'ab'.repeat(64)}`],
    ['an empty tag', `${HOST}/app:`],
    ['a tag of 129 characters', `${HOST}/app:${'t'.repeat(129)}`],
    ['a tag starting with a dot', `${HOST}/app:.hidden`],
    ['no repository', `${HOST}/`],
    ['the host only', HOST],
    ['an account of 11 digits', '12345678901.dkr.ecr.eu-west-1.amazonaws.com/app:v1'],
    ['empty', ''],
    ['undefined (a container without an image)', undefined],
  ])('%s', (_label, uri) => {
    expect(parseImageUri(uri, REGISTRY)).toBeUndefined();
  });
});
