/**
 * Checks a cloud assembly synthesized by a consumer app (test/consumers/python,
 * test/consumers/java): what a Python or Java user's `EcrScanReporter`, built
 * with the props below, must put into the template. test/consumers/run.sh runs
 * it on each app's output:
 *
 *   ts-node --project tsconfig.dev.json test/consumers/check-template.ts OUTDIR STACK [TOOL_LOG]
 *
 * It prints one line per check and exits 1 if any check failed.
 * check-template.test.ts proves each check can fail.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ENV } from '../../src/decisions/settings';

/** The props both consumer apps pass; the values they must reach. */
export const EXPECTED = {
  repositoryPattern: '^team-a/',
  excludePattern: '-sandbox$',
  scanExpirySeconds: 3 * 86_400,
  scheduleExpression: 'cron(30 6 * * ? *)',
  thresholds: { CRITICAL: 1, HIGH: 5, MEDIUM: 20 },
  notifyOnScanFailure: false,
  topicArn: 'arn:aws:sns:eu-west-1:123456789012:security-alerts',
  maxFindingsPerReport: 50,
  rescanConcurrency: 4,
  imageConcurrency: 8,
  maxReceiveCount: 5,
  logRetentionDays: 14,
  // Issue 12: a scope made with a static factory, an owner tag, an accepted risk, and an owner's subscription.
  reportScope: 'in-use-or-pulled-within:30',
  ownerTagKey: 'team',
  acceptedRisks: [{ findingId: 'CVE-2023-44487', reason: 'HTTP/2 is not exposed: the service sits behind an ALB', expires: '2030-06-30', repositoryPattern: '^team-a/edge-' }],
  ownerSubscription: { owner: 'team-a', endpoint: 'team-a@example.com' },
} as const;

/** Each function, by the start of its description, and the prebundled asset folder its code must come from. */
const FUNCTIONS = {
  dispatch: { description: 'Lists ECR repositories', asset: 'dispatch.lambda' },
  rescan: { description: 'Starts ECR image scans', asset: 'rescan.lambda' },
  report: { description: 'Publishes ECR scan reports', asset: 'report.lambda' },
  discover: { description: 'Finds where ECR images run', asset: 'discover.lambda' },
  inspectorReport: { description: 'Publishes Amazon Inspector reports', asset: 'inspector-report.lambda' },
  summary: { description: 'Publishes a summary of the ECR registry', asset: 'summary.lambda' },
} as const;
type FunctionName = keyof typeof FUNCTIONS;

type Resource = { Type: string; Properties?: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Template = { Resources?: Record<string, Resource> };

export interface CheckInput {
  /** The cloud assembly folder (CDK_OUTDIR of the app). */
  readonly outdir: string;
  /** The stack whose template is checked. */
  readonly stackName: string;
  /** The library's prebundled handlers, `assets/lambda` of this repository. */
  readonly bundledAssetsDir: string;
  /** A file the fake `docker` and `esbuild` write to when called; must not exist. */
  readonly toolLog?: string;
}

export interface CheckResult {
  readonly name: string;
  readonly problems: string[];
}

/** Runs every check; a check with no problem passed. */
export function checkCloudAssembly(input: CheckInput): CheckResult[] {
  const templateFile = path.join(input.outdir, `${input.stackName}.template.json`);
  const assetsFile = path.join(input.outdir, `${input.stackName}.assets.json`);
  if (!fs.existsSync(templateFile)) {
    return [{ name: 'the app synthesized a template', problems: [`${templateFile} does not exist`] }];
  }
  const template: Template = JSON.parse(fs.readFileSync(templateFile, 'utf8'));
  const assets = fs.existsSync(assetsFile) ? JSON.parse(fs.readFileSync(assetsFile, 'utf8')) : undefined;
  const resources = template.Resources ?? {};
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  const results: CheckResult[] = [];
  const check = (name: string, body: (problems: string[]) => void) => {
    const problems: string[] = [];
    try {
      body(problems);
    } catch (e) {
      problems.push(`check crashed: ${(e as Error).message}`);
    }
    results.push({ name, problems });
  };

  // The six functions, found by description.
  const functions: Partial<Record<FunctionName, { id: string; props: Record<string, any> }>> = {};
  for (const [id, r] of ofType('AWS::Lambda::Function')) {
    for (const [name, f] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      if (String(r.Properties?.Description ?? '').startsWith(f.description)) functions[name] = { id, props: r.Properties! };
    }
  }
  const fn = (name: FunctionName) => {
    const f = functions[name];
    if (!f) throw new Error(`no ${name} function (description "${FUNCTIONS[name].description}...")`);
    return f;
  };
  const env = (name: FunctionName): Record<string, unknown> => fn(name).props.Environment?.Variables ?? {};
  const expectEqual = (problems: string[], what: string, actual: unknown, expected: unknown) => {
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      problems.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
  };

  check('six Node.js 24 functions on ARM64, one per handler', (problems) => {
    expectEqual(problems, 'number of AWS::Lambda::Function', ofType('AWS::Lambda::Function').length, Object.keys(FUNCTIONS).length);
    for (const name of Object.keys(FUNCTIONS) as FunctionName[]) {
      const { props } = fn(name);
      expectEqual(problems, `${name} Runtime`, props.Runtime, 'nodejs24.x');
      expectEqual(problems, `${name} Architectures`, props.Architectures, ['arm64']);
      expectEqual(problems, `${name} Handler`, props.Handler, 'index.handler');
    }
  });

  check('each function\'s code is the prebundled handler shipped in the package, as a zip file asset', (problems) => {
    if (!assets) throw new Error(`${assetsFile} does not exist`);
    const dockerImages = Object.keys(assets.dockerImages ?? {});
    if (dockerImages.length > 0) problems.push(`the assembly has Docker image assets: ${dockerImages.join(', ')}`);
    for (const [name, f] of Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]) {
      const key = String(fn(name).props.Code?.S3Key ?? '');
      const hash = /^([0-9a-f]{64})\.zip$/.exec(key)?.[1];
      if (!hash) {
        problems.push(`${name} Code.S3Key is not a file asset: ${JSON.stringify(key)}`);
        continue;
      }
      const source = assets.files?.[hash]?.source;
      if (!source) {
        problems.push(`${name}: asset ${hash} is not in ${path.basename(assetsFile)}`);
        continue;
      }
      expectEqual(problems, `${name} asset packaging`, source.packaging, 'zip');
      const staged = path.join(input.outdir, source.path);
      const files = fs.existsSync(staged) ? fs.readdirSync(staged) : [];
      expectEqual(problems, `${name} asset files (${source.path})`, files, ['index.js']);
      const shipped = path.join(input.bundledAssetsDir, f.asset, 'index.js');
      if (files.includes('index.js') && !fs.readFileSync(path.join(staged, 'index.js')).equals(fs.readFileSync(shipped))) {
        problems.push(`${name}: ${source.path}/index.js differs from the prebundled ${shipped}`);
      }
    }
  });

  check('the rescan queue has a dead-letter queue after maxReceiveCount deliveries', (problems) => {
    const queues = ofType('AWS::SQS::Queue');
    // The rescan queue, its dead-letter queue, the event dead-letter queue and the Inspector event queue.
    expectEqual(problems, 'number of AWS::SQS::Queue', queues.length, 4);
    // The rescan queue: the one the rescan function's event source mapping reads.
    const rescanMapping = ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => m.Properties?.FunctionName?.Ref === fn('rescan').id);
    const rescanQueueId = rescanMapping?.[1].Properties?.EventSourceArn?.['Fn::GetAtt']?.[0];
    const found = queues.find(([id]) => id === rescanQueueId);
    if (!found || !found[1].Properties?.RedrivePolicy) {
      problems.push(`the queue the rescan function reads (${JSON.stringify(rescanQueueId)}) has no RedrivePolicy`);
      return;
    }
    const [queueId, queue] = found;
    const policy = queue.Properties!.RedrivePolicy;
    const dlqId = policy.deadLetterTargetArn?.['Fn::GetAtt']?.[0];
    if (dlqId === queueId || resources[dlqId]?.Type !== 'AWS::SQS::Queue') {
      problems.push(`deadLetterTargetArn does not name another queue of the stack: ${JSON.stringify(policy.deadLetterTargetArn)}`);
    }
    expectEqual(problems, 'maxReceiveCount', policy.maxReceiveCount, EXPECTED.maxReceiveCount);
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties ?? {});
    const mapping = mappings.find((m) => m.EventSourceArn?.['Fn::GetAtt']?.[0] === queueId);
    if (!mapping) {
      problems.push('no event source mapping reads the rescan queue');
      return;
    }
    expectEqual(problems, 'event source mapping function', mapping.FunctionName, { Ref: fn('rescan').id });
    expectEqual(problems, 'event source mapping MaximumConcurrency', mapping.ScalingConfig?.MaximumConcurrency, EXPECTED.rescanConcurrency);
    expectEqual(problems, 'event source mapping FunctionResponseTypes', mapping.FunctionResponseTypes, ['ReportBatchItemFailures']);
  });

  check('the rules: ECR scan events (COMPLETE and FAILED, which the ledger records even when not reported) to report, the schedule to dispatch, Amazon Inspector\'s to its queue, the weekly summary', (problems) => {
    const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties ?? {});
    expectEqual(problems, 'number of AWS::Events::Rule', rules.length, 5);
    const summaryRule = rules.find((r) => r.Description === 'Publishes the ECR registry summary');
    expectEqual(problems, 'summary rule ScheduleExpression', summaryRule?.ScheduleExpression, 'cron(0 8 ? * MON *)');
    expectEqual(problems, 'summary rule target', summaryRule?.Targets?.map((t: any) => t.Arn), [{ 'Fn::GetAtt': [fn('summary').id, 'Arn'] }]);
    const scanRule = rules.find((r) => r.EventPattern?.source?.[0] === 'aws.ecr');
    const inspectorRules = rules.filter((r) => r.EventPattern?.source?.[0] === 'aws.inspector2');
    expectEqual(problems, 'Inspector rules\' detail-types', inspectorRules.map((r) => r.EventPattern['detail-type']).sort(), [['Inspector2 Finding'], ['Inspector2 Scan']]);
    const inspectorQueueId = ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => m.Properties?.FunctionName?.Ref === fn('inspectorReport').id)?.[1].Properties?.EventSourceArn?.['Fn::GetAtt']?.[0];
    for (const rule of inspectorRules) {
      expectEqual(problems, `${rule.EventPattern['detail-type']} rule target`, rule.Targets?.map((t: any) => t.Arn), [{ 'Fn::GetAtt': [inspectorQueueId, 'Arn'] }]);
    }
    const scheduleRule = rules.find((r) => r.Description === 'Queues ECR repositories for rescanning');
    expectEqual(problems, 'scan event rule EventPattern', scanRule?.EventPattern, {
      'source': ['aws.ecr'],
      'detail-type': ['ECR Image Scan'],
      'detail': { 'scan-status': ['COMPLETE', 'FAILED'] },
    });
    expectEqual(problems, 'scan event rule target', scanRule?.Targets?.map((t: any) => t.Arn), [{ 'Fn::GetAtt': [fn('report').id, 'Arn'] }]);
    expectEqual(problems, 'schedule rule ScheduleExpression', scheduleRule?.ScheduleExpression, EXPECTED.scheduleExpression);
    expectEqual(problems, 'schedule rule target', scheduleRule?.Targets?.map((t: any) => t.Arn), [
      { 'Fn::GetAtt': [fn('dispatch').id, 'Arn'] },
      { 'Fn::GetAtt': [fn('discover').id, 'Arn'] },
    ]);
  });

  check('the props reached the handlers\' configuration', (problems) => {
    for (const name of ['dispatch', 'rescan', 'report'] as const) {
      expectEqual(problems, `${name} ${ENV.REPOSITORY_PATTERN}`, env(name)[ENV.REPOSITORY_PATTERN], EXPECTED.repositoryPattern);
      expectEqual(problems, `${name} ${ENV.EXCLUDE_PATTERN}`, env(name)[ENV.EXCLUDE_PATTERN], EXPECTED.excludePattern);
    }
    expectEqual(problems, `rescan ${ENV.SCAN_EXPIRY_SECONDS}`, env('rescan')[ENV.SCAN_EXPIRY_SECONDS], String(EXPECTED.scanExpirySeconds));
    expectEqual(problems, `rescan ${ENV.IMAGE_CONCURRENCY}`, env('rescan')[ENV.IMAGE_CONCURRENCY], String(EXPECTED.imageConcurrency));
    expectEqual(problems, `report ${ENV.TOPIC_ARN}`, env('report')[ENV.TOPIC_ARN], EXPECTED.topicArn);
    const thresholds = env('report')[ENV.THRESHOLDS];
    expectEqual(problems, `report ${ENV.THRESHOLDS}`, typeof thresholds === 'string' ? JSON.parse(thresholds) : thresholds, EXPECTED.thresholds);
    expectEqual(problems, `report ${ENV.NOTIFY_ON_SCAN_FAILURE}`, env('report')[ENV.NOTIFY_ON_SCAN_FAILURE], String(EXPECTED.notifyOnScanFailure));
    expectEqual(problems, `report ${ENV.MAX_FINDINGS}`, env('report')[ENV.MAX_FINDINGS], String(EXPECTED.maxFindingsPerReport));
    expectEqual(problems, `dispatch ${ENV.QUEUE_URL}`, Object.keys(env('dispatch')[ENV.QUEUE_URL] ?? {}), ['Ref']);
    expectEqual(problems, `report ${ENV.REPORT_SCOPE}`, env('report')[ENV.REPORT_SCOPE], EXPECTED.reportScope);
    expectEqual(problems, `rescan ${ENV.RESCAN_SCOPE}`, env('rescan')[ENV.RESCAN_SCOPE], undefined);
    expectEqual(problems, `report ${ENV.OWNER_TAG_KEY}`, env('report')[ENV.OWNER_TAG_KEY], EXPECTED.ownerTagKey);
    const risks = env('report')[ENV.ACCEPTED_RISKS];
    expectEqual(problems, `report ${ENV.ACCEPTED_RISKS}`, typeof risks === 'string' ? JSON.parse(risks) : risks, EXPECTED.acceptedRisks);
    expectEqual(problems, `report ${ENV.IN_USE_DISCOVERY}`, env('report')[ENV.IN_USE_DISCOVERY], 'true');
  });

  check('addOwnerSubscription: one email subscription to the topic, filtered on the owner attribute', (problems) => {
    const subscriptions = ofType('AWS::SNS::Subscription').map(([, r]) => r.Properties ?? {});
    expectEqual(
      problems,
      'subscriptions (protocol, endpoint, topic, filter policy)',
      subscriptions.map((p) => [p.Protocol, p.Endpoint, p.TopicArn, p.FilterPolicy]),
      [['email', EXPECTED.ownerSubscription.endpoint, EXPECTED.topicArn, { owner: [EXPECTED.ownerSubscription.owner] }]],
    );
  });

  check('the ledger: one on-demand table, encrypted, with point-in-time recovery and a TTL, kept when the stack goes; rescan, report, discovery and (with accepted risks) dispatch use it', (problems) => {
    const tables = ofType('AWS::DynamoDB::Table');
    expectEqual(problems, 'number of AWS::DynamoDB::Table', tables.length, 1);
    const [id, table] = tables[0] ?? [];
    const p = table?.Properties ?? {};
    expectEqual(problems, 'ledger BillingMode', p.BillingMode, 'PAY_PER_REQUEST');
    expectEqual(problems, 'ledger SSESpecification', p.SSESpecification, { SSEEnabled: true });
    expectEqual(problems, 'ledger PointInTimeRecoverySpecification', p.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    expectEqual(problems, 'ledger TimeToLiveSpecification', p.TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
    expectEqual(problems, 'ledger DeletionPolicy', table?.DeletionPolicy, 'Retain');
    for (const name of ['rescan', 'report'] as const) {
      expectEqual(problems, `${name} ${ENV.LEDGER_TABLE}`, env(name)[ENV.LEDGER_TABLE], { Ref: id });
    }
    // Dispatch checks once per cycle which accepted risks matched nothing: it reads their records.
    expectEqual(problems, `dispatch ${ENV.LEDGER_TABLE} (for acceptedRisks)`, env('dispatch')[ENV.LEDGER_TABLE], { Ref: id });
    expectEqual(problems, `report ${ENV.REPORT_ON}`, env('report')[ENV.REPORT_ON], 'NEW_FINDINGS');
  });

  check('the existing topic is used: no topic created, the report function may publish to it', (problems) => {
    expectEqual(problems, 'number of AWS::SNS::Topic', ofType('AWS::SNS::Topic').length, 0);
    const reportRole = fn('report').props.Role?.['Fn::GetAtt']?.[0];
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties?.Roles ?? []).some((r: any) => r.Ref === reportRole))
      .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement as any[]);
    const publish = statements.filter((s) => [s.Action].flat().includes('sns:Publish'));
    expectEqual(problems, 'sns:Publish resources of the report role', publish.map((s) => s.Resource), [EXPECTED.topicArn]);
  });

  check('each function\'s log group keeps logs for logRetention', (problems) => {
    const groups = ofType('AWS::Logs::LogGroup').map(([, g]) => g.Properties?.RetentionInDays);
    expectEqual(problems, 'RetentionInDays of the log groups', groups, Object.keys(FUNCTIONS).map(() => EXPECTED.logRetentionDays));
  });

  if (input.toolLog !== undefined) {
    check('neither docker nor esbuild was called', (problems) => {
      if (fs.existsSync(input.toolLog!)) {
        problems.push(`called during synth: ${fs.readFileSync(input.toolLog!, 'utf8').trim().split('\n').join('; ')}`);
      }
    });
  }
  return results;
}

if (require.main === module) {
  const [outdir, stackName, toolLog] = process.argv.slice(2);
  if (!outdir || !stackName) {
    console.error('usage: check-template.ts OUTDIR STACK [TOOL_LOG]');
    process.exit(2);
  }
  const results = checkCloudAssembly({
    outdir,
    stackName,
    bundledAssetsDir: path.join(__dirname, '..', '..', 'assets', 'lambda'),
    toolLog,
  });
  for (const r of results) {
    console.log(`${r.problems.length === 0 ? 'ok  ' : 'FAIL'} ${stackName}: ${r.name}`);
    for (const p of r.problems) console.log(`       ${p}`);
  }
  const failed = results.filter((r) => r.problems.length > 0).length;
  console.log(`${stackName}: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}
