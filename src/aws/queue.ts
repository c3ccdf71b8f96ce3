/**
 * Sends message bodies to an SQS queue in batches of ten (the SendMessageBatch
 * limit). Entries SQS reports as failed are sent again, at most `attempts`
 * times in all; what still fails is thrown, naming how many, so the caller's
 * invocation fails and is retried rather than losing work.
 */
import { SQSClient, SendMessageBatchCommand, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';

export const SQS_BATCH_SIZE = 10;

export async function sendMessages(sqs: SQSClient, queueUrl: string, bodies: readonly string[], attempts = 3): Promise<number> {
  let sent = 0;
  for (let start = 0; start < bodies.length; start += SQS_BATCH_SIZE) {
    let entries: SendMessageBatchRequestEntry[] = bodies
      .slice(start, start + SQS_BATCH_SIZE)
      .map((body, i) => ({ Id: String(start + i), MessageBody: body }));
    for (let attempt = 1; entries.length > 0; attempt++) {
      const response = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      sent += response.Successful?.length ?? 0;
      const failed = new Set((response.Failed ?? []).map((f) => f.Id));
      if (failed.size > 0 && attempt >= attempts) {
        const reasons = [...new Set((response.Failed ?? []).map((f) => `${f.Code}: ${f.Message}`))].join('; ');
        throw new Error(`${failed.size} of ${bodies.length} messages could not be sent to ${queueUrl} after ${attempts} attempts (${reasons})`);
      }
      entries = entries.filter((e) => failed.has(e.Id));
    }
  }
  return sent;
}
