/**
 * Dispatch: on schedule, lists every repository of the registry, keeps those
 * the patterns select, and puts one rescan message per repository on the queue.
 */
import type { Context } from 'aws-lambda';
import { createLogger } from './logger';
import { createEcrClient, createSqsClient } from '../aws/clients';
import { getRegistryScanType, repositoryNamePages } from '../aws/ecr';
import { sendMessages } from '../aws/queue';
import { rescanMessageBody } from '../decisions/inputs';
import { readDispatchSettings } from '../decisions/settings';

const logger = createLogger();
const ecr = createEcrClient();
const sqs = createSqsClient();

export interface DispatchResult {
  readonly registryScanType: string;
  readonly repositoriesListed: number;
  readonly repositoriesSelected: number;
  readonly messagesSent: number;
}

export const handler = async (_event: unknown, context?: Context): Promise<DispatchResult> => {
  if (context) logger.addContext(context);
  const settings = readDispatchSettings(process.env);
  const registryScanType = await getRegistryScanType(ecr);
  if (registryScanType === 'ENHANCED') {
    logger.warn('The registry uses enhanced scanning: Amazon Inspector rescans continuously and StartImageScan is not allowed, so nothing is dispatched');
    return { registryScanType, repositoriesListed: 0, repositoriesSelected: 0, messagesSent: 0 };
  }
  let repositoriesListed = 0;
  let repositoriesSelected = 0;
  let messagesSent = 0;
  for await (const names of repositoryNamePages(ecr)) {
    repositoriesListed += names.length;
    const selected = names.filter((name) => settings.filter.matches(name));
    repositoriesSelected += selected.length;
    messagesSent += await sendMessages(sqs, settings.queueUrl, selected.map((repositoryName) => rescanMessageBody({ repositoryName })));
  }
  const result = { registryScanType, repositoriesListed, repositoriesSelected, messagesSent };
  logger.info('Dispatch finished', { ...result });
  return result;
};
