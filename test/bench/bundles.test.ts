import { baselineSource, packageOf, projenBundleArgs, valueImports } from '../../local/bench/bundles';

test('projenBundleArgs reads the handler bundle command from .projen/tasks.json', () => {
  const tasks = {
    tasks: {
      'bundle:lambda/rescan.lambda': {
        steps: [{ execArgs: ['esbuild', '--bundle', 'src/lambda/rescan.lambda.ts', '--target=node24', '--platform=node', '--outfile=assets/lambda/rescan.lambda/index.js', '--minify'] }],
      },
    },
  };
  expect(projenBundleArgs(tasks, 'rescan')).toEqual({
    entry: 'src/lambda/rescan.lambda.ts',
    outfile: 'assets/lambda/rescan.lambda/index.js',
    options: ['--bundle', '--target=node24', '--platform=node', '--minify'],
  });
  expect(() => projenBundleArgs(tasks, 'report')).toThrow(/no esbuild step for bundle:lambda\/report.lambda/);
});

test('packageOf: scoped and plain packages, symlinked node_modules, own files', () => {
  expect(packageOf('node_modules/@aws-sdk/client-ecr/dist-es/index.js')).toBe('@aws-sdk/client-ecr');
  expect(packageOf('../main/node_modules/bowser/es5.js')).toBe('bowser');
  expect(packageOf('src/aws/ecr.ts')).toBeUndefined();
});

test('valueImports keeps value imports of the given scopes and drops type-only ones', () => {
  const source = [
    "import { ECRClient, ECRClientConfig, type ImageDetail } from '@aws-sdk/client-ecr';",
    "import type { RetryToken } from '@smithy/types';",
    "import {\n  BatchProcessor as BP,\n  EventType,\n} from '@aws-lambda-powertools/batch';",
    "import { join } from 'path';",
    "import { decideRescan } from '../decisions/rescan';",
  ].join('\n');
  expect(valueImports(source, ['@aws-sdk/', '@smithy/', '@aws-lambda-powertools/'])).toEqual({
    '@aws-sdk/client-ecr': ['ECRClient', 'ECRClientConfig'],
    '@aws-lambda-powertools/batch': ['BatchProcessor', 'EventType'],
  });
});

test('baselineSource imports and keeps each name and creates one client per client class', () => {
  const source = baselineSource({ '@aws-sdk/client-ecr': ['ECRClient', 'StartImageScanCommand'], '@aws-sdk/client-sqs': ['SQSClient'] });
  expect(source).toBe(
    "import { ECRClient as m0_ECRClient, StartImageScanCommand as m0_StartImageScanCommand } from '@aws-sdk/client-ecr';\n" +
      'export { m0_ECRClient as ECRClient_0, m0_StartImageScanCommand as StartImageScanCommand_0 };\n' +
      "import { SQSClient as m1_SQSClient } from '@aws-sdk/client-sqs';\n" +
      'export { m1_SQSClient as SQSClient_1 };\n' +
      'export const clients = [new m0_ECRClient({}), new m1_SQSClient({})];\n',
  );
});

test('baselineSource makes a document client from a DynamoDB client, as the handlers do (its constructor takes no configuration)', () => {
  const source = baselineSource({ '@aws-sdk/client-dynamodb': ['DynamoDBClient'], '@aws-sdk/lib-dynamodb': ['DynamoDBDocumentClient'] });
  expect(source.trim().split('\n').pop()).toBe('export const clients = [new m0_DynamoDBClient({}), m1_DynamoDBDocumentClient.from(new m0_DynamoDBClient({}))];');
});
