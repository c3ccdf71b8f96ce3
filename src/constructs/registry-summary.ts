/**
 * The registry summary: on its own schedule, a function reads the whole ledger (a parallel Scan)
 * and publishes one summary message to the topic (../lambda/summary.lambda.ts). It reads the
 * report function's settings (topic, owners, accepted risks, chat, in use) and the ledger; under
 * enhanced scanning it also lists the repositories and reads their scanning configurations, to name
 * those no filter covers. Built in the reporter's scope, as the other parts are.
 */
import {
  Duration,
  Tokenization,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_logs as logs,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { asyncFailureHandling, handlerFunctionOptions } from './handler-function';
import { LedgerTable } from './ledger';
import { ALL_REPOSITORIES, grantOnRepositories, selectedRepositoryNames } from './repository-grants';
import { eventTargetOptions } from './rescan-pipeline';
import { ENV } from '../decisions/settings';
import { SummaryFunction } from '../lambda/summary-function';

export interface RegistrySummaryOptions {
  readonly schedule: events.Schedule;
  readonly period: Duration;
  /** The report function's environment: the same topic, owners, risks, chat and in-use settings. */
  readonly environment: Record<string, string>;
  readonly topic: sns.ITopic;
  readonly ledger: LedgerTable;
  readonly logRetention: logs.RetentionDays;
  readonly eventDeadLetterQueue: sqs.IQueue;
  /** The registry-level statement (ecr:GetRegistryScanningConfiguration). */
  readonly scanningConfiguration: iam.PolicyStatement;
}

/** The summary reads every item (Scan), keeps its trend record (PutItem), and reads the marker and that record (GetItem). */
export const SUMMARY_LEDGER_ACTIONS = ['dynamodb:Scan', 'dynamodb:GetItem', 'dynamodb:PutItem'];

/** The report settings the summary reads (../decisions/settings.ts, readSummarySettings): not the thresholds or the report's own. */
const SUMMARY_SETTINGS = [
  ENV.REPOSITORY_PATTERN,
  ENV.EXCLUDE_PATTERN,
  ENV.TOPIC_ARN,
  ENV.LEDGER_TABLE,
  ENV.SCAN_EXPIRY_SECONDS,
  ENV.IN_USE_DISCOVERY,
  ENV.IN_USE_HOLD_SECONDS,
  ENV.OWNER_TAG_KEY,
  ENV.REPOSITORY_OWNERS,
  ENV.ACCEPTED_RISKS,
  ENV.CHAT_NOTIFICATIONS,
] as string[];

function summaryEnvironment(reportEnvironment: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(reportEnvironment).filter(([name]) => SUMMARY_SETTINGS.includes(name)));
}

export class RegistrySummary {
  public readonly summaryFunction: SummaryFunction;
  public readonly summaryRule: events.Rule;

  constructor(scope: Construct, options: RegistrySummaryOptions) {
    this.summaryFunction = new SummaryFunction(scope, 'SummaryFunction', {
      ...handlerFunctionOptions(scope, {
        name: 'Summary',
        description: 'Publishes a summary of the ECR registry from the ledger',
        // The whole ledger in one invocation: its memory is per repository and per CVE, not per entry.
        timeout: Duration.minutes(15),
        environment: {
          ...summaryEnvironment(options.environment),
          [ENV.SUMMARY_PERIOD_SECONDS]: Tokenization.stringifyNumber(options.period.toSeconds()),
        },
        logRetention: options.logRetention,
      }),
      ...asyncFailureHandling(options.eventDeadLetterQueue),
      memorySize: 1024,
    });
    options.topic.grantPublish(this.summaryFunction);
    // Under enhanced scanning, the coverage gaps, as dispatch finds them: the listing is of the whole registry, the
    // scanning configurations of the selected repositories only.
    this.summaryFunction.addToRolePolicy(options.scanningConfiguration);
    grantOnRepositories(this.summaryFunction, ['ecr:DescribeRepositories'], [ALL_REPOSITORIES]);
    grantOnRepositories(this.summaryFunction, ['ecr:BatchGetRepositoryScanningConfiguration'], selectedRepositoryNames(options.environment[ENV.REPOSITORY_PATTERN]));
    options.ledger.grant(this.summaryFunction, SUMMARY_LEDGER_ACTIONS);
    this.summaryRule = new events.Rule(scope, 'SummaryRule', {
      description: 'Publishes the ECR registry summary',
      schedule: options.schedule,
      targets: [new targets.LambdaFunction(this.summaryFunction, eventTargetOptions(options.eventDeadLetterQueue))],
    });
  }
}
