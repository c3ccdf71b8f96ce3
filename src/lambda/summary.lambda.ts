/**
 * Summary: on its own schedule (weekly by default), reads the whole ledger once (a parallel Scan,
 * ../aws/registry-summary.ts), computes the registry summary (../decisions/summary.ts) and publishes
 * one message to the topic: the JSON document by default, the text for email, the chat form for HTTPS
 * subscribers with `chatNotifications`, attribute `kind` = `summary`. Then it keeps what the next
 * summary's trend compares with. A failure before the Publish fails the invocation: EventBridge retries
 * it, then sends the event to the event dead-letter queue; one after it (the trend record) is logged and
 * counted, so that a summary is never published twice for one run.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { createLogger } from './logger';
import { METRIC } from './metric-names';
import { addCounts, createMetrics } from './metrics';
import { RetryCounter, createDynamoDbClient, createEcrClient, createSnsClient, documentClient } from '../aws/clients';
import { getRegistryScanType, repositoryNamePages, uncoveredRepositories } from '../aws/ecr';
import { summarizeLedger, writeSummaryRecord } from '../aws/registry-summary';
import { readSummarySettings } from '../decisions/settings';
import { buildSummaryMessage } from '../decisions/summary-message';

const logger = createLogger();
const metrics = createMetrics();
const retries = new RetryCounter();
const sns = retries.attach(createSnsClient());
const ecr = retries.attach(createEcrClient());
const dynamodb = documentClient(retries.attach(createDynamoDbClient()));

export interface SummaryResult {
  readonly messageId?: string;
  readonly itemsScanned: number;
  readonly pages: number;
  readonly capacityUnits?: number;
  readonly bytes: number;
}

/** The account and region the reporter runs in, from the invoked function's ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME). */
function accountAndRegion(context: Context | undefined): { accountId: string; region: string } {
  const parts = context?.invokedFunctionArn?.split(':') ?? [];
  return { accountId: parts[4] ?? 'unknown', region: parts[3] ?? process.env.AWS_REGION ?? 'unknown' };
}

export const handler = async (_event: unknown, context?: Context): Promise<SummaryResult> => {
  if (context) logger.addContext(context);
  const retriesBefore = retries.total;
  let published = 0;
  let itemsScanned = 0;
  let itemsIgnored = 0;
  let ledgerWriteFailures = 0;
  try {
    const settings = readSummarySettings(process.env);
    const now = new Date();
    // Under enhanced scanning the summary names the coverage gaps: the selected repositories no scanning filter covers.
    let repositoriesNotCovered: string[] | undefined;
    if ((await getRegistryScanType(ecr)) === 'ENHANCED') {
      const selected: string[] = [];
      for await (const names of repositoryNamePages(ecr)) selected.push(...names.filter((name) => settings.filter.matches(name)));
      repositoriesNotCovered = await uncoveredRepositories(ecr, selected);
    }
    const result = await summarizeLedger(dynamodb, {
      tableName: settings.ledger.tableName,
      ttlSeconds: settings.ledger.ttlSeconds,
      ownerTagKey: settings.ownerTagKey,
      selects: (name) => settings.filter.matches(name),
      ...(repositoriesNotCovered ? { repositoriesNotCovered } : {}),
      summary: {
        now,
        periodMs: settings.periodMs,
        inUse: settings.inUse,
        acceptedRisks: settings.acceptedRisks,
        unmatchedWindowMs: settings.scanExpiryMs + 86_400_000,
        owners: { rules: settings.ownerRules },
      },
    });
    itemsScanned = result.scan.items;
    itemsIgnored = result.itemsIgnored;
    if (itemsIgnored > 0) logger.warn('Ledger items ignored: they do not parse, and are left out of the summary', { itemsIgnored });
    const message = buildSummaryMessage(result.summary, { chat: settings.chat, ...accountAndRegion(context) });
    const response = await sns.send(
      new PublishCommand({ TopicArn: settings.topicArn, Subject: message.subject, Message: message.snsMessage, MessageStructure: 'json', MessageAttributes: message.attributes }),
    );
    published = 1;
    // After the Publish, a failure must not fail the invocation: EventBridge's retry would publish the summary again.
    try {
      await writeSummaryRecord(dynamodb, settings.ledger.tableName, result.next, settings.ledger.ttlSeconds);
    } catch (error) {
      ledgerWriteFailures++;
      logger.warn('Ledger write of the summary\'s record failed: the next summary\'s trend compares with the one before', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    const outcome: SummaryResult = {
      ...(response.MessageId ? { messageId: response.MessageId } : {}),
      itemsScanned,
      pages: result.scan.pages,
      ...(result.scan.capacityUnits !== undefined ? { capacityUnits: result.scan.capacityUnits } : {}),
      bytes: message.bytes,
    };
    logger.info('Summary published', { ...outcome, images: result.summary.images.tracked, critical: result.summary.images.byHighestSeverity.CRITICAL });
    return outcome;
  } catch (error) {
    logger.error('Summary failed: failing this invocation; EventBridge retries it, then sends the event to the dead-letter queue', {
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  } finally {
    addCounts(metrics, {
      [METRIC.SUMMARIES_PUBLISHED]: published,
      [METRIC.LEDGER_ITEMS_SCANNED]: itemsScanned,
      [METRIC.LEDGER_ENTRIES_IGNORED]: itemsIgnored,
      [METRIC.LEDGER_WRITE_FAILURES]: ledgerWriteFailures,
      [METRIC.AWS_RETRIES]: retries.total - retriesBefore,
    });
    metrics.publishStoredMetrics();
  }
};
