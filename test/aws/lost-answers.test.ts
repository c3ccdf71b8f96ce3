/**
 * LostAnswerCounter through the SDK's real retry middleware and Node's HTTP stack: a local
 * endpoint that drops the connection after reading a request (the answer is lost; the service
 * may have acted), answers with an error (an answer: nothing lost), or is not there at all
 * (the request never arrived: nothing lost either).
 */
import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import { AddressInfo } from 'net';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { LostAnswerCounter, RetryCounter } from '../../src/aws/clients';

type Behaviour = 'drop' | '503' | 'ok';
let script: Behaviour[] = [];
let received = 0;

function serve(request: IncomingMessage, response: ServerResponse): void {
  request.on('data', () => undefined);
  request.on('end', () => {
    received++;
    const behaviour = script.shift() ?? 'ok';
    if (behaviour === 'drop') {
      request.socket.destroy();
      return;
    }
    if (behaviour === '503') {
      response.writeHead(503, { 'content-type': 'text/xml' });
      response.end('<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>later</Message></Error><RequestId>r</RequestId></ErrorResponse>');
      return;
    }
    response.writeHead(200, { 'content-type': 'text/xml' });
    response.end('<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>');
  });
}

let server: Server;
let endpoint: string;
beforeAll(async () => {
  server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  script = [];
  received = 0;
});

function client(at = endpoint) {
  const lost = new LostAnswerCounter();
  const retries = new RetryCounter();
  const sns = lost.attach(
    retries.attach(
      new SNSClient({
        endpoint: at,
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        retryMode: 'standard',
        maxAttempts: 3,
      }),
    ),
  );
  return { sns, lost, retries };
}

const publish = new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:123456789012:t', Message: 'hello' });

test('a dropped connection after the request was read, then success: one lost answer, one retry, the publish succeeds', async () => {
  script = ['drop', 'ok'];
  const { sns, lost, retries } = client();

  await expect(sns.send(publish)).resolves.toMatchObject({ MessageId: 'm-1' });
  expect(received).toBe(2);
  expect(lost.total).toBe(1);
  expect(retries.total).toBe(1);
});

test('an error answer (503), then success: a retry but no lost answer', async () => {
  script = ['503', 'ok'];
  const { sns, lost, retries } = client();

  await sns.send(publish);
  expect(lost.total).toBe(0);
  expect(retries.total).toBe(1);
});

test('every attempt dropped: each one counted, the error thrown', async () => {
  script = ['drop', 'drop', 'drop'];
  const { sns, lost } = client();

  await expect(sns.send(publish)).rejects.toBeDefined();
  expect(lost.total).toBe(3);
});

test('nothing listening (the request never left): nothing counted as lost', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const { sns, lost } = client(`http://127.0.0.1:${port}`);

  await expect(sns.send(publish)).rejects.toBeDefined();
  expect(lost.total).toBe(0);
});
