import {
  SQSClient,
  SendMessageBatchCommand,
  SendMessageBatchCommandInput,
  SendMessageBatchCommandOutput,
  SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { sdkMetadata } from './helpers';
import { SQS_BATCH_SIZE, sendMessages } from '../../src/aws/queue';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'us-east-1' });
const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/EcrScanReporter-RescanQueue-6Yb2kQpLx0aV';

const bodies = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ repositoryName: `team-a/service-${String(i + 1).padStart(2, '0')}` }));

/** SQS's answer: every entry whose id is in `failIds` failed, the others succeeded. */
function answer(entries: readonly SendMessageBatchRequestEntry[], failIds: ReadonlySet<string> = new Set()): SendMessageBatchCommandOutput {
  return {
    $metadata: sdkMetadata,
    Successful: entries
      .filter((e) => !failIds.has(e.Id as string))
      .map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}`, MD5OfMessageBody: '0'.repeat(32) })),
    Failed: entries
      .filter((e) => failIds.has(e.Id as string))
      .map((e) => ({ Id: e.Id, SenderFault: false, Code: 'InternalError', Message: 'We encountered an internal error. Please try again.' })),
  };
}

const sentEntries = () => sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries ?? []);

beforeEach(() => {
  sqsMock.reset();
});

describe('sendMessages', () => {
  test('the SQS batch limit is 10', () => {
    expect(SQS_BATCH_SIZE).toBe(10);
  });

  test('23 bodies go out in 3 SendMessageBatch calls of 10, 10 and 3 entries, each body once, and 23 is returned', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => answer(input.Entries ?? []));
    const all = bodies(23);

    const sent = await sendMessages(sqs, QUEUE_URL, all);

    expect(sent).toBe(23);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 3);
    const batches = sentEntries();
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3]);
    expect(batches.flat().map((e) => e.MessageBody)).toEqual(all);
    const ids = batches.flat().map((e) => e.Id);
    expect(new Set(ids).size).toBe(23);
    for (const call of sqsMock.commandCalls(SendMessageBatchCommand)) {
      expect(call.args[0].input.QueueUrl).toBe(QUEUE_URL);
    }
  });

  test('no bodies: no call, 0 sent', async () => {
    expect(await sendMessages(sqs, QUEUE_URL, [])).toBe(0);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 0);
  });

  test('entries SQS reports as failed are re-sent, and only those', async () => {
    const all = bodies(12);
    const delivered: string[] = [];
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      call++;
      const entries = input.Entries ?? [];
      // First call: entries 3 and 7 of the first batch fail once.
      const failIds = call === 1 ? new Set([entries[3].Id as string, entries[7].Id as string]) : new Set<string>();
      delivered.push(...entries.filter((e) => !failIds.has(e.Id as string)).map((e) => e.MessageBody as string));
      return answer(entries, failIds);
    });

    const sent = await sendMessages(sqs, QUEUE_URL, all);

    expect(sent).toBe(12);
    const batches = sentEntries();
    expect(batches.map((b) => b.length)).toEqual([10, 2, 2]);
    expect(batches[1]).toEqual([batches[0][3], batches[0][7]]);
    expect(batches[1].map((e) => e.MessageBody)).toEqual([all[3], all[7]]);
    expect(batches[2].map((e) => e.MessageBody)).toEqual([all[10], all[11]]);
    // Every body delivered exactly once.
    expect([...delivered].sort()).toEqual([...all].sort());
  });

  test('a failure that persists throws after 3 attempts, naming how many could not be sent', async () => {
    const all = bodies(23);
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      const entries = input.Entries ?? [];
      // The last body (the 23rd) never gets through.
      return answer(entries, new Set(entries.filter((e) => e.MessageBody === all[22]).map((e) => e.Id as string)));
    });

    await expect(sendMessages(sqs, QUEUE_URL, all)).rejects.toThrow(
      `1 of 23 messages could not be sent to ${QUEUE_URL} after 3 attempts (InternalError: We encountered an internal error. Please try again.)`,
    );
    const batches = sentEntries();
    // 10, 10, then the last batch of 3 and two retries of the failing entry alone.
    expect(batches.map((b) => b.length)).toEqual([10, 10, 3, 1, 1]);
    expect(batches[3][0].MessageBody).toBe(all[22]);
    expect(batches[4][0].MessageBody).toBe(all[22]);
  });

  test('the attempts can be set', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      const entries = input.Entries ?? [];
      return answer(entries, new Set(entries.map((e) => e.Id as string)));
    });
    await expect(sendMessages(sqs, QUEUE_URL, bodies(2), 1)).rejects.toThrow(/^2 of 2 messages could not be sent .* after 1 attempts/);
    expect(sqsMock).toHaveReceivedCommandTimes(SendMessageBatchCommand, 1);
  });

  test('an error from SendMessageBatch itself propagates', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('Access to the resource is denied.'), { name: 'AccessDenied' }));
    await expect(sendMessages(sqs, QUEUE_URL, bodies(3))).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
