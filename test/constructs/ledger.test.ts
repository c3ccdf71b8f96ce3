import { App, RemovalPolicy, Stack, aws_kms as kms } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EcrScanReporter, EcrScanReporterProps, ReportOn } from '../../src';
import { REPORT_ON_MODES } from '../../src/decisions/report-on';

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

function synth(props: EcrScanReporterProps | ((stack: Stack) => EcrScanReporterProps) = {}) {
  const stack = new Stack(new App(), 'LedgerStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  const reporter = new EcrScanReporter(stack, 'ScanReporter', typeof props === 'function' ? props(stack) : props);
  return { stack, reporter, template: Template.fromStack(stack) };
}

const idOf = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as any);

/** Every statement of the policies attached to a function's role. */
function statementsOf(template: Template, stack: Stack, fn: { role?: { node: { defaultChild?: unknown } } }): any[] {
  const role = idOf(stack, fn.role as any);
  return Object.values(template.findResources('AWS::IAM::Policy') as Resources)
    .filter((p) => (p.Properties.Roles ?? []).some((r: any) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** The actions a role may take on `resource`. */
function actionsOn(statements: any[], resource: unknown): string[] {
  return statements
    .filter((s) => [s.Resource].flat().some((r: unknown) => JSON.stringify(r) === JSON.stringify(resource)))
    .flatMap((s) => [s.Action].flat())
    .sort();
}

describe('the ledger table', () => {
  const { stack, reporter, template } = synth();
  const tableArn = { 'Fn::GetAtt': [idOf(stack, reporter.ledgerTable), 'Arn'] };

  test('one table: on demand, encrypted with the AWS managed key, point-in-time recovery on, TTL on expiresAt, kept when the stack goes', () => {
    const tables = template.findResources('AWS::DynamoDB::Table') as Resources;
    expect(Object.keys(tables)).toEqual([idOf(stack, reporter.ledgerTable)]);
    const [table] = Object.values(tables);
    expect(table.Properties).toEqual({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });

  test('its logical ID is stable: an upgrade keeps the table and its entries', () => {
    expect(idOf(stack, reporter.ledgerTable)).toBe('ScanReporterLedger4520E0EE');
  });

  test('each function may use the table for what it does, dispatch not at all without accepted risks; on this table only', () => {
    // Rescan: BatchGetItem the entries, GetItem the discovery marker (rescanScope), UpdateItem what ECR answered.
    expect(actionsOn(statementsOf(template, stack, reporter.rescanFunction), tableArn)).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']);
    // Report: GetItem the entry, BatchGetItem the marker and owner cache, PutItem the owner cache, UpdateItem the claim and commit.
    expect(actionsOn(statementsOf(template, stack, reporter.reportFunction), tableArn)).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    // Discovery: read and merge where images run, write the marker.
    expect(actionsOn(statementsOf(template, stack, reporter.discoverFunction!), tableArn)).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    for (const fn of [reporter.dispatchFunction, reporter.rescanFunction, reporter.reportFunction, reporter.discoverFunction!]) {
      const dynamo = statementsOf(template, stack, fn).filter((s) => [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')));
      // No other resource, no index wildcard, no dynamodb:* action.
      for (const s of dynamo) expect([s.Resource].flat()).toEqual([tableArn]);
      if (fn === reporter.dispatchFunction) expect(dynamo).toEqual([]);
    }
  });

  test('the rescan and report functions are told the table, and the report function how it reports', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function') as Resources);
    const env = (start: string) => functions.find((f) => f.Properties.Description.startsWith(start))!.Properties.Environment.Variables;
    const ref = { Ref: idOf(stack, reporter.ledgerTable) };
    expect(env('Starts ECR').LEDGER_TABLE_NAME).toEqual(ref);
    expect(env('Publishes ECR')).toMatchObject({ LEDGER_TABLE_NAME: ref, REPORT_ON: 'NEW_FINDINGS', SCAN_EXPIRY_SECONDS: '604800' });
    expect(env('Lists ECR').LEDGER_TABLE_NAME).toBeUndefined();
  });
});

describe('ledger props', () => {
  test('ledgerEncryptionKey encrypts the table with it, and both functions may use it for the table', () => {
    let key: kms.Key | undefined;
    const { stack, reporter, template } = synth((s) => ({ ledgerEncryptionKey: (key = new kms.Key(s, 'LedgerKey', { enableKeyRotation: true })) }));
    const keyArn = { 'Fn::GetAtt': [idOf(stack, key!), 'Arn'] };
    template.hasResourceProperties('AWS::DynamoDB::Table', { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: keyArn } });
    const keyActions = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];
    expect(actionsOn(statementsOf(template, stack, reporter.rescanFunction), keyArn)).toEqual(keyActions);
    expect(actionsOn(statementsOf(template, stack, reporter.reportFunction), keyArn)).toEqual(keyActions);
    expect(actionsOn(statementsOf(template, stack, reporter.dispatchFunction), keyArn)).toEqual([]);
  });

  test('ledgerRemovalPolicy DESTROY deletes the table with the stack', () => {
    const { template } = synth({ ledgerRemovalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });

  test('reportOn EVERY_SCAN reaches the report function', () => {
    const { template } = synth({ reportOn: ReportOn.EVERY_SCAN });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Publishes ECR scan reports above thresholds',
      Environment: { Variables: Match.objectLike({ REPORT_ON: 'EVERY_SCAN' }) },
    });
  });

  test('the ReportOn enum and the handlers\' modes are the same values', () => {
    expect(Object.values(ReportOn).sort()).toEqual([...REPORT_ON_MODES].sort());
  });
});
