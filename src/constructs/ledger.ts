/**
 * The ledger table: one DynamoDB table the reporter owns, where the report function records every
 * scan event and what it reported, and the rescan walk reads what ECR last said of each digest
 * (the item and its rules: ../decisions/ledger.ts). On-demand, encrypted, point-in-time recovery
 * on, entries of deleted images dropped by TTL. Each function gets exactly the actions it uses.
 */
import { RemovalPolicy, aws_dynamodb as dynamodb, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LEDGER_PARTITION_KEY, LEDGER_SORT_KEY, LEDGER_TTL_ATTRIBUTE } from '../decisions/ledger';

export interface LedgerTableOptions {
  readonly encryptionKey?: kms.IKey;
  readonly removalPolicy: RemovalPolicy;
}

/** The actions each function uses, and no more. */
export const LEDGER_ACTIONS = {
  // GetItem: the in-use discovery's marker, and the daily scan budget's counters (UpdateItem adds to them).
  rescan: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  // BatchGetItem and PutItem: the discovery marker and the repository's cached owner tag.
  report: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
} as const;

/** What DynamoDB needs of a principal to read and write a table encrypted with a customer managed key. */
const KEY_ACTIONS = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];

export class LedgerTable {
  public readonly table: dynamodb.Table;

  /** Builds the table in `scope` (the reporter), as construct id `Ledger`. */
  constructor(scope: Construct, options: LedgerTableOptions) {
    this.table = new dynamodb.Table(scope, 'Ledger', {
      partitionKey: { name: LEDGER_PARTITION_KEY, type: dynamodb.AttributeType.STRING },
      sortKey: { name: LEDGER_SORT_KEY, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: options.encryptionKey ? dynamodb.TableEncryption.CUSTOMER_MANAGED : dynamodb.TableEncryption.AWS_MANAGED,
      encryptionKey: options.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: LEDGER_TTL_ATTRIBUTE,
      removalPolicy: options.removalPolicy,
    });
  }

  /** Grants `grantee` the ledger actions of one function, on this table only (and its key's use, when it has a customer key). */
  public grant(grantee: iam.IGrantable, actions: readonly string[]): void {
    this.table.grant(grantee, ...actions);
    this.table.encryptionKey?.grant(grantee, ...KEY_ACTIONS);
  }
}
