/**
 * The AwsRetries metric of each handler, through the SDK's real retry middleware: the
 * handlers' clients talk over HTTP to a fake AWS endpoint in this process that answers the
 * first request of every operation with a 503 and the next with success. SDK mocks replace
 * `send`, so retries never happen under them, and the emulator cannot inject faults.
 */
import { createHash } from 'crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'http';
import { AddressInfo } from 'net';
import type { SQSEvent } from 'aws-lambda';
import { DIGESTS, LogCapture, captureLogs, fakeContext, invocationMetrics, loadEventFixture } from '../aws/helpers';

const REPOSITORY = 'team-a/service-01';

/** Operations answered so far, by name ("ecr DescribeImages", "sqs SendMessageBatch", "sns Publish", "dynamodb UpdateItem"), with their statuses. */
let answered: [string, number][] = [];
/** Operations that fail their first request. */
let failFirst = true;

function answer(operation: string, body: Record<string, any>): { status: number; type: string; text: string } {
  const [service, name] = operation.split(' ');
  const seen = answered.filter(([o]) => o === operation).length;
  if (failFirst && seen === 0) {
    answered.push([operation, 503]);
    return service === 'sns'
      ? {
        status: 503,
        type: 'text/xml',
        text: '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>try again</Message></Error><RequestId>r-1</RequestId></ErrorResponse>',
      }
      : { status: 503, type: service === 'dynamodb' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1', text: JSON.stringify({ __type: 'ServiceUnavailableException', message: 'try again' }) };
  }
  answered.push([operation, 200]);
  const json = (value: unknown) => ({ status: 200, type: 'application/x-amz-json-1.1', text: JSON.stringify(value) });
  switch (name) {
    case 'GetRegistryScanningConfiguration':
      return json({ registryId: '123456789012', scanningConfiguration: { scanType: 'BASIC', rules: [] } });
    case 'DescribeRepositories':
      return json({ repositories: [{ repositoryName: REPOSITORY, registryId: '123456789012' }] });
    case 'DescribeImages':
      return json({ imageDetails: [{ repositoryName: REPOSITORY, imageDigest: DIGESTS.other, imageTags: ['v1'] }] });
    case 'DescribeImageScanFindings':
      if (body.maxResults === 1) return { status: 400, type: 'application/x-amz-json-1.1', text: JSON.stringify({ __type: 'ScanNotFoundException', message: 'no scan' }) };
      return json({ imageScanStatus: { status: 'COMPLETE' }, imageScanFindings: { findings: [], findingSeverityCounts: { CRITICAL: 1 } } });
    case 'StartImageScan':
      return json({ imageScanStatus: { status: 'IN_PROGRESS' } });
    case 'SendMessageBatch':
      return json({
        Successful: (body.Entries as { Id: string; MessageBody: string }[]).map((e) => ({
          Id: e.Id,
          MessageId: `m-${e.Id}`,
          MD5OfMessageBody: createHash('md5').update(e.MessageBody).digest('hex'),
        })),
        Failed: [],
      });
    // The ledger: empty, and every write accepted.
    case 'BatchGetItem':
      return { status: 200, type: 'application/x-amz-json-1.0', text: JSON.stringify({ Responses: { Ledger: [] }, UnprocessedKeys: {} }) };
    case 'GetItem':
    case 'UpdateItem':
      return { status: 200, type: 'application/x-amz-json-1.0', text: '{}' };
    case 'Publish':
      return {
        status: 200,
        type: 'text/xml',
        text: '<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></PublishResponse>',
      };
    default:
      return { status: 400, type: 'application/x-amz-json-1.1', text: JSON.stringify({ __type: 'UnknownOperationException', message: operation }) };
  }
}

function serve(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const raw = Buffer.concat(chunks).toString('utf8');
    const target = request.headers['x-amz-target'];
    let operation: string;
    let body: Record<string, any> = {};
    if (typeof target === 'string') {
      const [prefix, name] = target.split('.');
      operation = `${prefix.startsWith('AmazonSQS') ? 'sqs' : prefix.startsWith('DynamoDB') ? 'dynamodb' : 'ecr'} ${name}`;
      body = raw ? JSON.parse(raw) : {};
    } else {
      operation = `sns ${new URLSearchParams(raw).get('Action')}`;
    }
    const { status, type, text } = answer(operation, body);
    response.writeHead(status, { 'content-type': type, 'x-amzn-requestid': 'r-0' });
    response.end(text);
  });
}

process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.POWERTOOLS_SERVICE_NAME = 'ecr-scan-reporter';
process.env.TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:Reports';
process.env.LEDGER_TABLE_NAME = 'Ledger';

let server: Server;
let handlers: {
  dispatch: typeof import('../../src/lambda/dispatch.lambda')['handler'];
  rescan: typeof import('../../src/lambda/rescan.lambda')['handler'];
  report: typeof import('../../src/lambda/report.lambda')['handler'];
};
let logs: LogCapture;

beforeAll(async () => {
  server = createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Before the handler modules load: they create their clients at load time.
  process.env.AWS_ENDPOINT_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The SQS client sends to the queue URL's host.
  process.env.RESCAN_QUEUE_URL = `${process.env.AWS_ENDPOINT_URL}/123456789012/RescanQueue`;
  handlers = {
    dispatch: jest.requireActual('../../src/lambda/dispatch.lambda').handler,
    rescan: jest.requireActual('../../src/lambda/rescan.lambda').handler,
    report: jest.requireActual('../../src/lambda/report.lambda').handler,
  };
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  answered = [];
  failFirst = true;
  logs = captureLogs();
});

afterEach(() => logs.restore());

const rescanEvent = (): SQSEvent => ({ Records: [{ ...loadEventFixture<SQSEvent>('sqs-rescan-batch.json').Records[0], body: JSON.stringify({ repositoryName: REPOSITORY }) }] });
const reportEvent = () => {
  const event = loadEventFixture('eventbridge-ecr-image-scan-complete.json');
  event.detail['repository-name'] = REPOSITORY;
  return event;
};
const retried = () => answered.filter(([, status]) => status === 503).map(([operation]) => operation);

describe('AwsRetries', () => {
  test('rescan: one retry per operation that failed once, and the record still succeeds', async () => {
    const response = await handlers.rescan(rescanEvent(), fakeContext('rescan'));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(retried()).toEqual([
      'ecr GetRegistryScanningConfiguration',
      'ecr DescribeImages',
      'dynamodb BatchGetItem',
      'ecr DescribeImageScanFindings',
      // The daily scan budget: the day before's demand, then the claim, before the scan starts.
      'dynamodb GetItem',
      'dynamodb UpdateItem',
      'ecr StartImageScan',
    ]);
    expect(invocationMetrics(logs.metricLines())).toMatchObject({ AwsRetries: 7, ScansStarted: 1, LedgerReadFailures: 0, LedgerWriteFailures: 0 });
  });

  test('dispatch: ECR and SQS retries are counted together', async () => {
    const result = await handlers.dispatch({}, fakeContext('dispatch'));

    expect(result.messagesSent).toBe(1);
    expect(retried()).toEqual(['ecr GetRegistryScanningConfiguration', 'ecr DescribeRepositories', 'sqs SendMessageBatch']);
    expect(invocationMetrics(logs.metricLines())).toMatchObject({ AwsRetries: 3, RepositoriesDispatched: 1 });
  });

  test('report: ECR, DynamoDB and SNS retries are counted together', async () => {
    const result = await handlers.report(reportEvent(), fakeContext('report'));

    expect(result).toMatchObject({ published: true });
    // The findings, the image's last pull, the entry's read, the claim (an UpdateItem; the commit is the second, answered at once), Publish.
    expect(retried()).toEqual(['ecr DescribeImageScanFindings', 'ecr DescribeImages', 'dynamodb GetItem', 'dynamodb UpdateItem', 'sns Publish']);
    expect(invocationMetrics(logs.metricLines())).toMatchObject({
      AwsRetries: 5,
      ReportsPublished: 1,
      LedgerReadFailures: 0,
      LedgerWriteFailures: 0,
    });
  });

  test('each invocation counts its own retries: none when nothing failed', async () => {
    await handlers.rescan(rescanEvent(), fakeContext('rescan'));
    const first = logs.metricLines().length;
    answered = [];
    failFirst = false;

    await handlers.rescan(rescanEvent(), fakeContext('rescan'));

    expect(retried()).toEqual([]);
    expect(answered.length).toBeGreaterThan(0);
    expect(invocationMetrics(logs.metricLines().slice(first))).toMatchObject({ AwsRetries: 0 });
  });
});
