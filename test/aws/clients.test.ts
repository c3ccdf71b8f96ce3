/**
 * The clients' retry settings, exercised through the SDK's real middleware
 * (signing, retry, deserialization) with a fake HTTP handler: aws-sdk-client-mock
 * replaces `send` and so bypasses retries altogether. Fake timers make the
 * SDK's back-off instant.
 */
import { DescribeImagesCommand, StartImageScanCommand } from '@aws-sdk/client-ecr';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { DIGESTS, PER_IMAGE_QUOTA_MESSAGE, settle } from './helpers';
import { MAX_ATTEMPTS, RetryCounter, createEcrClient, createLambdaClient, createSnsClient, createSqsClient } from '../../src/aws/clients';
import { startScan } from '../../src/aws/ecr';

process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
process.env.AWS_EC2_METADATA_DISABLED = 'true';

const REPOSITORY = 'team-a/service-01';

interface FakeResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** Puts a fake HTTP handler under the client's middleware stack; answers in order, repeating the last. */
function fakeHttp(client: { config: object }, answers: FakeResponse[]) {
  const targets: string[] = [];
  const handler = {
    handle: async (request: { headers: Record<string, string> }) => {
      targets.push(request.headers['x-amz-target']);
      const answer = answers[Math.min(targets.length - 1, answers.length - 1)];
      return {
        response: {
          statusCode: answer.status,
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `req-${targets.length}` },
          body: new TextEncoder().encode(JSON.stringify(answer.body)),
        },
      };
    },
  };
  (client.config as unknown as { requestHandler: typeof handler }).requestHandler = handler;
  return { targets };
}

/** The retry mode of a client's resolved strategy ('standard' or 'adaptive'). */
async function retryModeOf(client: { config: { retryStrategy: () => Promise<unknown> } }): Promise<unknown> {
  return ((await client.config.retryStrategy()) as { mode?: unknown }).mode;
}

/** Runs `work` while advancing fake time, so back-off delays pass at once. */
async function withFastClock<T>(work: () => Promise<T>): Promise<T> {
  let done = false;
  const promise = work().finally(() => (done = true));
  promise.catch(() => undefined);
  for (let i = 0; i < 50 && !done; i++) {
    await settle();
    await jest.advanceTimersByTimeAsync(30_000);
  }
  return promise;
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
});

afterEach(() => {
  jest.useRealTimers();
});

describe('client settings', () => {
  test('ECR uses adaptive retry with 5 attempts; SQS, SNS and Lambda standard retry with 5 attempts', async () => {
    expect(MAX_ATTEMPTS).toBe(5);
    const ecr = createEcrClient();
    const sqs = createSqsClient();
    const sns = createSnsClient();
    const lambda = createLambdaClient();
    expect(await lambda.config.maxAttempts()).toBe(5);
    expect(await retryModeOf(lambda)).toBe('standard');
    // ECR's attempts are checked by behaviour below (5 requests for a persistent ThrottlingException).
    expect(await retryModeOf(ecr)).toBe('adaptive');
    expect(await sqs.config.maxAttempts()).toBe(5);
    expect(await retryModeOf(sqs)).toBe('standard');
    expect(await sns.config.maxAttempts()).toBe(5);
    expect(await retryModeOf(sns)).toBe('standard');
  });
});

describe('createEcrClient(config)', () => {
  test('the given settings are merged over the defaults; the retry strategy stays', async () => {
    const ecr = createEcrClient({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret' } });
    expect(await ecr.config.region()).toBe('eu-west-1');
    expect((await ecr.config.credentials()).accessKeyId).toBe('AKIAEXAMPLE');
    expect(await retryModeOf(ecr)).toBe('adaptive');
    const http = fakeHttp(ecr, [{ status: 400, body: { __type: 'LimitExceededException', message: PER_IMAGE_QUOTA_MESSAGE } }]);
    await withFastClock(() => startScan(ecr, REPOSITORY, DIGESTS.recentlyScanned));
    expect(http.targets).toHaveLength(1);
  });

  test('undefined settings fall back to the SDK defaults (here AWS_REGION)', async () => {
    expect(await createEcrClient({ region: undefined, profile: undefined }).config.region()).toBe('us-east-1');
  });
});

describe('createEcrClient retries', () => {
  test('retries a ThrottlingException, then succeeds', async () => {
    const ecr = createEcrClient();
    const http = fakeHttp(ecr, [
      { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } },
      { status: 200, body: { imageDetails: [{ repositoryName: REPOSITORY, imageDigest: DIGESTS.other }] } },
    ]);

    const response = await withFastClock(() => ecr.send(new DescribeImagesCommand({ repositoryName: REPOSITORY })));

    expect(response.imageDetails?.[0].imageDigest).toBe(DIGESTS.other);
    expect(http.targets).toEqual(['AmazonEC2ContainerRegistry_V20150921.DescribeImages', 'AmazonEC2ContainerRegistry_V20150921.DescribeImages']);
  });

  test('gives up on a ThrottlingException after 5 attempts', async () => {
    const ecr = createEcrClient();
    const http = fakeHttp(ecr, [{ status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } }]);

    await expect(withFastClock(() => ecr.send(new DescribeImagesCommand({ repositoryName: REPOSITORY })))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    expect(http.targets).toHaveLength(5);
  });

  test('does not retry StartImageScan\'s per-image LimitExceededException: one request, no back-off', async () => {
    // "Scanned in the last 24 hours" is an answer, not throttling: retrying cannot
    // succeed, costs back-off time per image and slows the adaptive rate limiter.
    const ecr = createEcrClient();
    const http = fakeHttp(ecr, [{ status: 400, body: { __type: 'LimitExceededException', message: PER_IMAGE_QUOTA_MESSAGE } }]);

    const result = await withFastClock(() => startScan(ecr, REPOSITORY, DIGESTS.recentlyScanned));

    expect(result).toEqual({ outcome: 'recently-scanned', message: PER_IMAGE_QUOTA_MESSAGE });
    expect(http.targets).toEqual(['AmazonEC2ContainerRegistry_V20150921.StartImageScan']);
  });

  test('StartImageScan with a modeled, non-retryable refusal is sent once', async () => {
    const ecr = createEcrClient();
    const http = fakeHttp(ecr, [{ status: 400, body: { __type: 'UnsupportedImageTypeException', message: 'The image is not supported for scanning' } }]);

    const result = await withFastClock(() =>
      ecr.send(new StartImageScanCommand({ repositoryName: REPOSITORY, imageId: { imageDigest: DIGESTS.unsupported } })).then(
        () => 'resolved',
        (e: Error) => e.name,
      ),
    );

    expect(result).toBe('UnsupportedImageTypeException');
    expect(http.targets).toHaveLength(1);
  });
});

describe('RetryCounter', () => {
  const THROTTLED: FakeResponse = { status: 400, body: { __type: 'ThrottlingException', message: 'Rate exceeded' } };
  const IMAGES: FakeResponse = { status: 200, body: { imageDetails: [{ repositoryName: REPOSITORY, imageDigest: DIGESTS.other }] } };
  const listImages = () => new DescribeImagesCommand({ repositoryName: REPOSITORY });

  test.each<[string, FakeResponse[], number]>([
    ['no retry', [IMAGES], 0],
    ['one throttle, then success', [THROTTLED, IMAGES], 1],
    ['three throttles, then success', [THROTTLED, THROTTLED, THROTTLED, IMAGES], 3],
    ['a 503, then success', [{ status: 503, body: { __type: 'ServiceUnavailableException', message: 'try later' } }, IMAGES], 1],
  ])('a request that succeeds after %s counts that many retries', async (_label, answers, expected) => {
    const counter = new RetryCounter();
    const ecr = counter.attach(createEcrClient());
    const http = fakeHttp(ecr, answers);

    const response = await withFastClock(() => ecr.send(listImages()));

    expect(response.imageDetails?.[0].imageDigest).toBe(DIGESTS.other);
    expect(http.targets).toHaveLength(expected + 1);
    expect(counter.total).toBe(expected);
  });

  test('a request that fails after every attempt counts its retries, and its error is thrown unchanged', async () => {
    const counter = new RetryCounter();
    const ecr = counter.attach(createEcrClient());
    const http = fakeHttp(ecr, [THROTTLED]);

    await expect(withFastClock(() => ecr.send(listImages()))).rejects.toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });

    expect(http.targets).toHaveLength(MAX_ATTEMPTS);
    expect(counter.total).toBe(MAX_ATTEMPTS - 1);
  });

  test('a request that fails after some retries with a non-retryable error counts those retries', async () => {
    const counter = new RetryCounter();
    const ecr = counter.attach(createEcrClient());
    fakeHttp(ecr, [THROTTLED, THROTTLED, { status: 400, body: { __type: 'RepositoryNotFoundException', message: 'gone' } }]);

    await expect(withFastClock(() => ecr.send(listImages()))).rejects.toMatchObject({ name: 'RepositoryNotFoundException' });

    expect(counter.total).toBe(2);
  });

  test.each<[string, FakeResponse]>([
    ['a non-retryable error', { status: 400, body: { __type: 'AccessDeniedException', message: 'not authorized' } }],
    ['StartImageScan\'s per-image quota (final, not retried)', { status: 400, body: { __type: 'LimitExceededException', message: PER_IMAGE_QUOTA_MESSAGE } }],
  ])('%s, sent once, counts no retry', async (_label, answer) => {
    const counter = new RetryCounter();
    const ecr = counter.attach(createEcrClient());
    const http = fakeHttp(ecr, [answer]);

    const scan = new StartImageScanCommand({ repositoryName: REPOSITORY, imageId: { imageDigest: DIGESTS.fresh } });
    await expect(withFastClock(() => ecr.send(scan))).rejects.toMatchObject({ name: answer.body.__type });

    expect(http.targets).toHaveLength(1);
    expect(counter.total).toBe(0);
  });

  test('one counter adds up the retries of every request of every client it is attached to', async () => {
    const counter = new RetryCounter();
    const ecr = createEcrClient();
    const sqs = createSqsClient();
    expect(counter.attach(ecr)).toBe(ecr);
    expect(counter.attach(sqs)).toBe(sqs);
    fakeHttp(ecr, [THROTTLED, IMAGES]);
    const sqsHttp = fakeHttp(sqs, [
      { status: 500, body: { __type: 'InternalError', message: 'internal' } },
      { status: 500, body: { __type: 'InternalError', message: 'internal' } },
      // The SQS client checks the body's MD5: this one is md5('{}').
      { status: 200, body: { Successful: [{ Id: '0', MessageId: 'm-0', MD5OfMessageBody: '99914b932bd37a50b983c5e7c90ae93b' }], Failed: [] } },
    ]);

    await withFastClock(() => ecr.send(listImages()));
    expect(counter.total).toBe(1);
    const sent = await withFastClock(() =>
      sqs.send(new SendMessageBatchCommand({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q', Entries: [{ Id: '0', MessageBody: '{}' }] })),
    );
    expect(sent.Successful).toHaveLength(1);
    expect(sqsHttp.targets).toHaveLength(3);
    expect(counter.total).toBe(3);
  });

  test('counters are independent, and a client without one counts nothing', async () => {
    const a = new RetryCounter();
    const b = new RetryCounter();
    const counted = a.attach(createEcrClient());
    const other = createEcrClient();
    fakeHttp(counted, [THROTTLED, IMAGES]);
    fakeHttp(other, [THROTTLED, THROTTLED, IMAGES]);

    await withFastClock(() => counted.send(listImages()));
    await withFastClock(() => other.send(listImages()));

    expect(a.total).toBe(1);
    expect(b.total).toBe(0);
  });
});
