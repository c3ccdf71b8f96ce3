/**
 * Rescan: for each queued repository, walks its images and starts a scan for
 * every digest the rescan decision calls due. Records are processed one at a
 * time; a record that throws fails alone (partial batch response) and the
 * queue's redrive policy moves it to the dead-letter queue after maxReceiveCount.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLogger } from './logger';
import { createEcrClient } from '../aws/clients';
import { errorMessage, errorName, getRegistryScanType } from '../aws/ecr';
import { rescanRepository } from '../aws/rescan-repository';
import { parseRescanMessage } from '../decisions/inputs';
import { readRescanSettings } from '../decisions/settings';

const logger = createLogger();
const ecr = createEcrClient();
const processor = new BatchProcessor(EventType.SQS);

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  logger.addContext(context);
  // A bad configuration fails the invocation: every record is retried, none is dropped.
  const settings = readRescanSettings(process.env);
  const registryScanType = await getRegistryScanType(ecr);

  const recordHandler = async (record: SQSRecord): Promise<void> => {
    logger.appendKeys({ messageId: record.messageId });
    try {
      let repositoryName: string;
      try {
        ({ repositoryName } = parseRescanMessage(record.body));
      } catch (error) {
        logger.error('Malformed rescan message: failing this record; it reaches the dead-letter queue after maxReceiveCount', {
          error: errorMessage(error),
          receiveCount: record.attributes?.ApproximateReceiveCount,
        });
        throw error;
      }
      logger.appendKeys({ repositoryName });
      if (!settings.filter.matches(repositoryName)) {
        logger.info('Repository skipped: it does not match the configured patterns');
        return;
      }
      if (registryScanType === 'ENHANCED') {
        // Queued before the registry switched: Amazon Inspector rescans it, StartImageScan is not allowed.
        logger.info('Repository skipped: the registry uses enhanced scanning');
        return;
      }
      const now = new Date();
      try {
        const counts = await rescanRepository(ecr, repositoryName, {
          now,
          scanExpiryMs: settings.scanExpiryMs,
          registryScanType,
          concurrency: settings.imageConcurrency,
          log: logger,
        });
        logger.info('Repository rescanned', { registryScanType, ...counts });
      } catch (error) {
        if (errorName(error) === 'RepositoryNotFoundException') {
          // Deleted since dispatch: nothing left to scan, so the message is done.
          logger.warn('Repository skipped: it no longer exists', { error: errorMessage(error) });
          return;
        }
        logger.error('Rescan failed: failing this record so SQS delivers it again', {
          errorName: errorName(error),
          error: errorMessage(error),
          receiveCount: record.attributes?.ApproximateReceiveCount,
        });
        throw error;
      }
    } finally {
      logger.resetKeys();
    }
  };

  return processPartialResponse(event, recordHandler, processor, {
    context,
    // One repository at a time: concurrency is bounded inside each walk instead.
    processInParallel: false,
    // Report every failed record by id rather than throwing; SQS redrive does the rest.
    throwOnFullBatchFailure: false,
  });
};
