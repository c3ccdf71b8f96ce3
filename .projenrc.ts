import { awscdk, javascript } from 'projen';

// Versions are pinned exactly where a change would alter what we ship or snapshot:
// the bundler, the SDK clients and Powertools end up inside the Lambda assets.
const ESBUILD_VERSION = '0.28.2';
const AWS_SDK_VERSION = '3.1169.0';
const POWERTOOLS_VERSION = '2.35.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-ecr-scan-reporter',
  description:
    'Keeps Amazon ECR images rescanned and reports only what is new, where it runs and who owns it, to SNS, Slack or Teams, with a weekly registry summary.',
  author: 'cdk-ecr-scan-reporter contributors',
  authorAddress: 'maintainers@cdk-ecr-scan-reporter.invalid',
  repositoryUrl: 'https://github.com/cdk-ecr-scan-reporter/cdk-ecr-scan-reporter.git',
  // Construct Hub lists a package by these: `awscdk` (with the cdk peer dependency) puts it in its catalogue.
  keywords: ['cdk', 'awscdk', 'aws-cdk', 'ecr', 'container', 'vulnerability', 'scanning', 'security', 'inspector', 'sns'],
  stability: 'experimental',
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  minNodeVersion: '20.0.0',

  // aws-cdk-lib floor: cdk-nag 3 needs ^2.257.0.
  cdkVersion: '2.257.0',
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',

  // No GitHub here: `.ci/run` is the CI. Keep the tree free of workflows nothing runs.
  github: false,
  release: false,

  // jsii targets. `package:python` and `package:java` build them; `test:consumers` builds both and proves them.
  publishToPypi: {
    distName: 'cdk-ecr-scan-reporter',
    module: 'cdk_ecr_scan_reporter',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdk_ecr_scan_reporter',
    mavenGroupId: 'io.github.cdk-ecr-scan-reporter',
    mavenArtifactId: 'cdk-ecr-scan-reporter',
  },
  // Go: `package:go` builds dist/go; `test:consumers` builds it and proves it with test/consumers/go.
  publishToGo: {
    moduleName: 'github.com/cdk-ecr-scan-reporter/cdk-ecr-scan-reporter-go',
  },

  // Handlers: `src/lambda/*.lambda.ts`, bundled by esbuild at build time with the
  // SDK v3 clients inside, so consumers need neither Docker nor esbuild.
  lambdaAutoDiscover: true,
  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    // `minify` is an esbuild option projen passes through to `addBundle`.
    bundlingOptions: { externals: [], sourcemap: false, minify: true } as javascript.BundlingOptions,
  },
  bundlerOptions: {
    esbuildVersion: ESBUILD_VERSION,
  },

  devDeps: [
    // The Go package's go.mod names the Go modules of the JavaScript packages installed here. The Go module proxy
    // serves cloud-assembly-schema-go v53.25.0 (what aws-cdk-go v2.257.0, the supported minimum, requires), not the
    // v53.28.0 npm would install beside aws-cdk-lib 2.257.0 (which asks ^53.25.0): pinned, for the dev tree only.
    '@aws-cdk/cloud-assembly-schema@53.25.0',
    `esbuild@${ESBUILD_VERSION}`,
    `@aws-sdk/client-ecr@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-sqs@${AWS_SDK_VERSION}`,
    `@aws-sdk/client-sns@${AWS_SDK_VERSION}`,
    // The ledger (issue 11): DynamoDB through the SDK's document client.
    `@aws-sdk/client-dynamodb@${AWS_SDK_VERSION}`,
    `@aws-sdk/lib-dynamodb@${AWS_SDK_VERSION}`,
    // Dispatch invokes itself to continue a very large registry; client-lambda's newest release.
    '@aws-sdk/client-lambda@3.1164.0',
    // In-use discovery (issue 12): the running ECS tasks and services; client-ecs's newest release.
    '@aws-sdk/client-ecs@3.1164.0',
    // Only the emulator harness (local/) uses EventBridge: it sends the scan events.
    `@aws-sdk/client-eventbridge@${AWS_SDK_VERSION}`,
    // The ECR client's retry strategy extends the SDK's own (src/aws/clients.ts).
    '@smithy/core@3.41.1',
    '@smithy/types@4.20.0',
    `@aws-lambda-powertools/logger@${POWERTOOLS_VERSION}`,
    `@aws-lambda-powertools/batch@${POWERTOOLS_VERSION}`,
    `@aws-lambda-powertools/metrics@${POWERTOOLS_VERSION}`,
    '@types/aws-lambda@8.10.161',
    'aws-sdk-client-mock@4.1.0',
    'aws-sdk-client-mock-jest@4.1.0',
    'cdk-nag@3.0.2',
    // Tests validate the chat form against the schema AWS documents (test/fixtures/chat).
    'ajv@8.17.1',
    // Property-style tests (the IAM prefixes derived from repositoryPattern, issue 15).
    'fast-check@4.11.0',
    'aws-cdk@2.1148.1',
  ],

  jestOptions: {
    // A changed template must fail the test, never rewrite the snapshot.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    // A run that finds no test is a broken run.
    passWithNoTests: false,
  },

  // Type-checks src, test, the example app and .projenrc.ts; ts-jest and ts-node use it.
  tsconfigDevFile: 'tsconfig.dev.json',
  eslintOptions: {
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
    dirs: ['src'],
    devdirs: ['test', 'example', 'local', 'projenrc', '.projenrc.ts'],
  },
  // .emulator/: the local AWS emulator's virtual environment (local/emulator/install.sh).
  gitignore: ['cdk.out/', '.cdk.staging/', '/.emulator/', '__pycache__/'],

  // The command-line tool: a committed shim that loads the esbuild bundle (see below).
  bin: { 'ecr-scan-reporter': 'bin/ecr-scan-reporter' },

  // What ships is package.json's `files` allowlist (below), so no .npmignore.
  npmignoreEnabled: false,
});


// No task that rewrites snapshots: updating one is a deliberate, reviewed act
// (`npx jest -u test/constructs/snapshot.test.ts`), never part of a routine task.
project.removeTask('test:update');

// projen's dev tsconfig includes '**/*.ts' (lib/ and cdk.out/ too); name the folders instead.
project.tryFindObjectFile('tsconfig.dev.json')?.addOverride('include', [
  'src/**/*.ts',
  'test/**/*.ts',
  'example/**/*.ts',
  'local/**/*.ts',
  'projenrc/**/*.ts',
  '.projenrc.ts',
]);

// Handler code and the SDK layer are bundled into the Lambda assets by esbuild at build
// time, so what they import is a devDependency of the library, never a runtime one.
project.eslint?.addOverride({
  files: ['src/lambda/**/*.ts', 'src/aws/**/*.ts', 'src/cli/**/*.ts'],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }] },
});

// The npm package is an allowlist (package.json `files`), not a denylist: a stray file in the
// clone never ships. test/package.test.ts packs it and compares the list, file by file.
// Handler sources are shipped bundled in assets/; their compiled copies would require
// packages consumers do not install, so they stay out of the package (lib/aws, lib/cli,
// lib/lambda/*.lambda.* and the logger they use). The command-line tool ships the same way,
// as one bundle in assets/cli/, started by bin/ecr-scan-reporter. npm adds package.json,
// README.md and LICENSE by itself.
project.package.addField('files', [
  'lib/**/*.js',
  'lib/**/*.d.ts',
  '!lib/aws/',
  '!lib/cli/',
  '!lib/lambda/*.lambda.*',
  '!lib/lambda/logger.*',
  'assets/**/index.js',
  '.jsii',
  // rosetta's strict translations of the README examples (post-compile), for Construct Hub.
  '.jsii.tabl.json',
  'API.md',
  // The README's chapters, which it links.
  'docs/*.md',
  'bin/ecr-scan-reporter',
]);

// The example app (`npx cdk synth`): bundles the handlers first so a fresh clone works.
project.addTask('synth:example', {
  description: 'Synthesize the example app in example/app.ts',
  steps: [{ spawn: 'bundle' }, { exec: 'cdk synth --quiet' }],
});

// The command-line tool `ecr-scan-reporter` (src/cli): bundled like the handlers, with the
// SDK inside, so the installed command needs no runtime dependency.
project.bundler.addBundle('./src/cli/ecr-scan-reporter.ts', {
  platform: 'node',
  target: 'node20',
  externals: [],
  sourcemap: false,
  minify: true,
  banner: '// ecr-scan-reporter command-line tool, bundled by esbuild from src/cli',
});

// The local AWS emulator (moto server, pinned in local/emulator/requirements.txt).
const installEmulator = project.addTask('emulator:install', {
  description: 'Install the local AWS emulator into .emulator/venv (once; needs python3 and PyPI)',
  exec: 'bash local/emulator/install.sh',
});

// End-to-end suite: the real handler bundles and SDK clients over HTTP against the emulator.
// Its files end in .e2e.ts, so the unit run (jest's default pattern) never picks them up.
const e2e = project.addTask('test:e2e', {
  description: 'Run the end-to-end suite against the local AWS emulator',
  steps: [{ spawn: 'bundle' }, { spawn: installEmulator.name }, { exec: 'jest --ci --config test/e2e/jest.config.json', receiveArgs: true }],
});
project.testTask.spawn(e2e);

// The demo: the README's first command.
project.addTask('demo', {
  description: 'Run the whole flow against the local AWS emulator and print what a user would read',
  steps: [
    { spawn: 'bundle' },
    { spawn: installEmulator.name },
    { exec: 'ts-node --transpile-only --project tsconfig.dev.json local/demo.ts' },
  ],
});

// The benchmark (issue 6): this library against the Python tool ecr-scan-reporter 0.4.8 on the
// emulator, and the handler bundle budgets. A script that prints figures, never a test.
// `npm run bench -- --help` lists its options; .bench/ holds the Python tool's venv and the results.
project.addTask('bench', {
  description: 'Benchmark the daily cycle against ecr-scan-reporter 0.4.8 (Python) on the local emulator, and the handler bundle budgets',
  steps: [
    { spawn: 'bundle' },
    { spawn: installEmulator.name },
    { exec: 'ts-node --transpile-only --project tsconfig.dev.json local/bench/bench.ts', receiveArgs: true },
  ],
});
project.gitignore.exclude('/.bench/');
// ECR's current per-repository quota (100,000 images, issue 13): the scale walk of test/e2e/scale.e2e.ts at that
// size, with its assertions and figures (test-reports/scale.json). About five times the CI run's 20,000 images, so
// kept out of CI; its figures are in docs/performance.md.
project.addTask('bench:scale', {
  description: 'Walk one repository of 100,000 images to the end (the scale test at ECR\'s per-repository quota); figures in test-reports/scale.json',
  env: { SCALE_IMAGES: '100000' },
  steps: [
    { spawn: 'bundle' },
    { spawn: installEmulator.name },
    { exec: 'jest --ci --config test/e2e/jest.config.json test/e2e/scale.e2e.ts' },
  ],
});

// The summary's read of a large ledger (issue 14): test/e2e/summary-scale.e2e.ts at 50,000 entries, five times the CI
// run's 10,000, for the per-page read units and the invocation's CPU and memory (test-reports/summary-scale.json). moto
// sorts and walks the whole table for every Scan page, so a larger table costs the emulator, not the function, its time.
project.addTask('bench:summary', {
  description: 'Summarize a ledger of 50,000 entries (the summary scale test at five times its CI size); figures in test-reports/summary-scale.json',
  env: { SUMMARY_ENTRIES: '50000' },
  steps: [
    { spawn: 'bundle' },
    { spawn: installEmulator.name },
    { exec: 'jest --ci --config test/e2e/jest.config.json test/e2e/summary-scale.e2e.ts' },
  ],
});

// --- Python and Java packages, consumers, rosetta (issue 4) ---
// README examples: `jsii-rosetta extract --strict` compiles every TypeScript example of the
// README against the built assembly and translates it (into .jsii.tabl.json, which jsii-pacmak
// reads for the Python and Java package READMEs); an example that does not compile fails the
// build. The assembly is marked strict too, so every later translation of it is strict.
project.package.file.addOverride('jsii.metadata.jsii.rosetta.strict', true);
project.postCompileTask.exec('jsii-rosetta extract --strict');
project.gitignore.exclude('.jsii.tabl.json');

// The consumer apps (test/consumers/python, test/consumers/java): build the wheel and the jar,
// install them as users do, synthesize, check the templates. `.ci/run` runs it after the build.
project.addTask('test:consumers', {
  description: 'Build the Python and Java packages and synthesize and check the consumer apps in test/consumers',
  steps: [{ exec: 'bash test/consumers/run.sh', receiveArgs: true }],
});
project.gitignore.exclude('/test/consumers/java/target/');

// `npx projen package:js` (and :python, :java) work on their own from a fresh clone: without an
// assembly or the bundles they first bundle, compile and post-compile, as the build does. In
// `npx projen build` both exist by the time `package` runs, so nothing is built twice.
const buildIfMissing = project.addTask('compile:if-missing', {
  description: 'Bundle, compile and post-compile when .jsii or assets/ is missing (a fresh clone), before the package:* tasks',
  condition: 'node -e "const fs = require(\'fs\'); process.exit(fs.existsSync(\'.jsii\') && fs.existsSync(\'assets/lambda\') ? 1 : 0)"',
  steps: [{ spawn: project.preCompileTask.name }, { spawn: project.compileTask.name }, { spawn: project.postCompileTask.name }],
});
for (const name of ['package:js', 'package:python', 'package:java', 'package:go']) {
  const task = project.tasks.tryFind(name);
  const index = task?.steps.findIndex((step) => step.execArgs?.[0] === 'jsii-pacmak') ?? -1;
  if (!task || index < 0) throw new Error(`projen's ${name} task no longer runs jsii-pacmak: update .projenrc.ts`);
  // pacmak would otherwise write a .npmignore into the clone; `files` already decides what ships.
  const step = task.steps[index];
  task.updateStep(index, { ...step, execArgs: [...step.execArgs!, '--no-npmignore'] });
  task.prependSpawn(buildIfMissing);
}

project.synth();
