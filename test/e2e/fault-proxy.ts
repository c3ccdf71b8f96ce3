/**
 * A fault-injecting HTTP proxy for the end-to-end suite: it sits between the code under
 * test and the emulator, and answers a set share of the AWS requests itself with the
 * faults real services produce, in the wire shape each service uses, so the real SDK
 * clients parse and classify them exactly as they would in Lambda:
 *
 * - throttling: ECR (awsJson1_1) ThrottlingException, HTTP 400; SQS (awsJson1_0, query
 *   compatible) RequestThrottled as its model declares it (HTTP 403, x-amzn-query-error
 *   RequestThrottled;Sender) or the common ThrottlingException (HTTP 400); SNS (awsQuery XML)
 *   the common Throttling (HTTP 400) or its modeled Throttled (HTTP 429); DynamoDB (awsJson1_0)
 *   ProvisionedThroughputExceededException or ThrottlingException, both HTTP 400;
 * - server errors: ECR's modeled ServerException (500) or ServiceUnavailable (503); SQS
 *   InternalFailure (500) or ServiceUnavailable (503); SNS's modeled InternalError (500)
 *   or ServiceUnavailable (503); DynamoDB's modeled InternalServerError (500) or
 *   ServiceUnavailable (503);
 * - drop: the connection is destroyed before the request is forwarded (it never reached
 *   the service; the client sees ECONNRESET "socket hang up");
 * - drop after forward: the request is forwarded and the service acts on it, then the
 *   connection is destroyed instead of answering. The client sees the same network error
 *   and retries a request that already took effect: a retried StartImageScan meets ECR's
 *   once-per-24-hours quota (LimitExceededException), a retried SendMessageBatch or SNS
 *   Publish delivers twice, a retried conditional DynamoDB write meets its own first write
 *   (ConditionalCheckFailedException).
 *
 * ECS (awsJson1_1) and Lambda (restJson1) requests get the same faults when the `services` option
 * names them (the in-use discovery's run, faults-discovery.e2e.ts): ECS's common ThrottlingException
 * (HTTP 400), its modeled ServerException (500) or ServiceUnavailable (503); Lambda's modeled
 * TooManyRequestsException (HTTP 429) or the common ThrottlingException (400), and its modeled
 * ServiceException (500). Lambda's operation is named by its method and path, and the path (with
 * the query, where ListFunctions carries its Marker) is part of the request's draw.
 *
 * Which request gets which fault is decided by a seeded PRNG (mulberry32), drawn per
 * request from (seed, service, operation, body without its timestamps, how many times that
 * exact request was seen): the same seed gives the same faults to the same requests, also
 * when the handlers run requests concurrently and their arrival order varies, and from one
 * run to the next. A retry sends the same body, so attempt N of a call has its own draw.
 *
 * The emulator's own paths (/_emulator/, /moto-api/) and services other than those faulted (by
 * default ECR, SQS, SNS and DynamoDB) are forwarded untouched. Every request is recorded with its
 * SDK attempt number and invocation id (amz-sdk-request, amz-sdk-invocation-id), so retries are
 * counted at the wire.
 */
import { createHash } from 'crypto';
import { Agent, IncomingMessage, Server, ServerResponse, createServer, request as httpRequest } from 'http';
import { AddressInfo } from 'net';
import { crc32 } from 'zlib';
import { EMULATOR_ACCOUNT_ID } from '../../local/emulator/emulator';
import { mulberry32 } from '../../local/random';

export type FaultKind = 'throttling' | 'server-error' | 'drop' | 'drop-after-forward';
export const FAULT_KINDS: readonly FaultKind[] = ['throttling', 'server-error', 'drop', 'drop-after-forward'];

/** Share of requests (0 to 1) that get each kind of fault; the shares add up to at most 1. */
export type FaultRates = Readonly<Record<FaultKind, number>>;

export type FaultService = 'ecr' | 'sqs' | 'sns' | 'dynamodb' | 'ecs' | 'lambda';
/** The services faulted unless the `services` option says otherwise. */
export const DEFAULT_FAULTED_SERVICES: readonly FaultService[] = ['ecr', 'sqs', 'sns', 'dynamodb'];

export interface FaultProxyOptions {
  /** Where requests go: the emulator's endpoint, e.g. http://127.0.0.1:5000. */
  readonly target: string;
  readonly seed: number;
  readonly rates: FaultRates;
  /**
   * Rates for some operations instead of `rates`, keyed by operation (`StartImageScan`)
   * or service and operation (`sns:Publish`); the latter wins.
   */
  readonly overrides?: Readonly<Record<string, Partial<FaultRates>>>;
  /**
   * A scripted fault for a request, in place of the draw: a kind, `null` for none, or
   * `undefined` to draw as usual. `occurrence` counts earlier requests with the same body
   * (0: the first attempt of the first such call). For tests of one exact sequence.
   */
  readonly script?: (request: { service: string; operation: string; body: string; path: string; occurrence: number }) => FaultKind | null | undefined;
  /**
   * The services whose requests get faults; the others are forwarded untouched.
   * @default DEFAULT_FAULTED_SERVICES (ECR, SQS, SNS, DynamoDB)
   */
  readonly services?: readonly FaultService[];
}

/** One request the proxy received, and what it did with it. */
export interface ProxiedRequest {
  readonly service: string;
  readonly operation: string;
  /** The SDK's attempt number of this request (1: first try), from amz-sdk-request. */
  readonly attempt: number;
  /** The SDK's id of the logical call: every attempt of one call shares it. */
  readonly invocationId: string;
  /** The request body as sent (JSON or form), for matching requests to calls. */
  readonly body: string;
  /** The request's path and query (Lambda's REST API names the function there). */
  readonly path: string;
  /** Milliseconds since the proxy started, when the request arrived. */
  readonly receivedAt: number;
  /** The fault injected, if any. */
  readonly fault?: FaultKind;
  /** True when the fault came from the `script` option rather than the draw. */
  readonly scripted?: boolean;
  /** The error code of an injected error response (ThrottlingException, InternalError, ...). */
  readonly code?: string;
  /** The HTTP status the client saw; undefined when its connection was dropped. */
  readonly clientStatus?: number;
  /** The HTTP status the emulator answered; undefined when the request never reached it. */
  readonly emulatorStatus?: number;
  /** The error code in the emulator's answer (e.g. LimitExceededException), when it was an error. */
  readonly emulatorCode?: string;
}

const ECR_TARGET = 'AmazonEC2ContainerRegistry_V20150921';
const SQS_TARGET = 'AmazonSQS';
const DYNAMODB_TARGET = 'DynamoDB_20120810';
const ECS_TARGET = 'AmazonEC2ContainerServiceV20141113';
const TARGET_SERVICES: Record<string, FaultService> = { [ECR_TARGET]: 'ecr', [SQS_TARGET]: 'sqs', [DYNAMODB_TARGET]: 'dynamodb', [ECS_TARGET]: 'ecs' };

/** Lambda's API is REST: the operation is the method and path (Lambda API reference, "Actions"; as local/emulator/server.py routes them). */
const LAMBDA_ROUTES: readonly [string, RegExp, string][] = [
  ['GET', /^\/2015-03-31\/functions\/?$/, 'ListFunctions'],
  ['POST', /^\/2015-03-31\/functions\/?$/, 'CreateFunction'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/?$/, 'GetFunction'],
  ['GET', /^\/2015-03-31\/functions\/[^/]+\/configuration\/?$/, 'GetFunctionConfiguration'],
  ['PUT', /^\/2015-03-31\/functions\/[^/]+\/code\/?$/, 'UpdateFunctionCode'],
  ['POST', /^\/2015-03-31\/functions\/[^/]+\/invocations\/?$/, 'Invoke'],
  ['DELETE', /^\/2015-03-31\/functions\/[^/]+\/?$/, 'DeleteFunction'],
];

function lambdaOperation(method: string, url: string): string {
  const path = url.split('?', 1)[0];
  return LAMBDA_ROUTES.find(([m, pattern]) => m === method && pattern.test(path))?.[2] ?? '';
}


function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0);
}

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value ?? '';
}

/** (service, operation) as the wire says: X-Amz-Target for JSON protocols, Action and the signing name for awsQuery. */
export function identify(req: IncomingMessage, body: string): { service: string; operation: string } {
  const target = header(req, 'x-amz-target');
  if (target) {
    const [prefix, operation] = target.split('.', 2);
    return { service: TARGET_SERVICES[prefix] ?? prefix, operation: operation ?? '' };
  }
  const form = new URLSearchParams(body);
  const credential = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(header(req, 'authorization'));
  const service = credential?.[1] ?? '';
  const operation = form.get('Action') ?? '';
  if (!operation && service === 'lambda') return { service, operation: lambdaOperation(req.method ?? '', req.url ?? '/') };
  return { service, operation };
}

interface ErrorShape {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

function requestId(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** An AWS JSON error: `__type` and `message` in the body (awsJson1_0 and awsJson1_1), and any modeled members. */
function jsonError(
  status: number,
  type: string,
  message: string,
  id: string,
  contentType: string,
  options: { queryErrorHeader?: string; members?: Record<string, unknown>; crc32?: boolean } = {},
): ErrorShape {
  const body = JSON.stringify({ __type: type, message, ...options.members });
  const headers: Record<string, string> = { 'content-type': contentType, 'x-amzn-requestid': id };
  // SQS is query compatible: this header carries the awsQuery error code and side.
  if (options.queryErrorHeader) headers['x-amzn-query-error'] = options.queryErrorHeader;
  // DynamoDB sends the CRC32 of every response body (older SDKs check it; the v3 SDK does not).
  if (options.crc32) headers['x-amz-crc32'] = String(crc32(body));
  const code = type.includes('#') ? type.split('#')[1] : type;
  return { status, code, headers, body };
}

/**
 * A restJson1 error, as Lambda sends it: the code in `x-amzn-ErrorType` (which the SDK reads
 * first), and Lambda's body: `Type` (User or Service), `message`, and any modeled members.
 */
function restJsonError(status: number, code: string, body: Record<string, unknown>, id: string): ErrorShape {
  const headers = { 'content-type': 'application/json', 'x-amzn-requestid': id, 'x-amzn-errortype': code };
  return { status, code, headers, body: JSON.stringify(body) };
}

/** An awsQuery error document, as SNS sends it. */
function queryError(status: number, type: 'Sender' | 'Receiver', code: string, message: string, id: string): ErrorShape {
  const body =
    '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">' +
    `<Error><Type>${type}</Type><Code>${code}</Code><Message>${message}</Message></Error>` +
    `<RequestId>${id}</RequestId></ErrorResponse>`;
  return { status, code, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': id }, body };
}

/** The request a fault answers, for shapes that name what was throttled (DynamoDB's ThrottlingReasons). */
export interface FaultedRequest {
  readonly operation?: string;
  /** The request body (DynamoDB: its TableName or RequestItems name the table). */
  readonly body?: string;
  /** The region of the request's signature. */
  readonly region?: string;
}

/** DynamoDB's operations that read: a throttled one is a Read reason, any other a Write reason. */
const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems', 'ExecuteStatement']);

/** The ARN of the table a DynamoDB request names, for a ThrottlingReason's `resource`. */
function tableArn(request: FaultedRequest): string {
  let table = 'unknown';
  try {
    const params = JSON.parse(request.body ?? '{}') as { TableName?: unknown; RequestItems?: Record<string, unknown> };
    if (typeof params.TableName === 'string') table = params.TableName;
    else if (params.RequestItems) table = Object.keys(params.RequestItems)[0] ?? table;
  } catch {
    // Not JSON: keep "unknown".
  }
  return `arn:aws:dynamodb:${request.region || 'us-east-1'}:${EMULATOR_ACCOUNT_ID}:table/${table}`;
}

/**
 * The error responses each service really sends for a fault kind; one is picked per fault.
 * Codes and statuses follow the pinned SDK clients' models (ECR ServerException, SQS
 * RequestThrottled, SNS Throttled and InternalError, DynamoDB ProvisionedThroughputExceededException,
 * ThrottlingException and InternalServerError) and AWS's common errors (ThrottlingException,
 * Throttling, InternalFailure, ServiceUnavailable).
 *
 * DynamoDB (awsJson1_0, `X-Amz-Target: DynamoDB_20120810.<Operation>`), where each shape comes from:
 * - ProvisionedThroughputExceededException, HTTP 400: `__type` in DynamoDB's own namespace
 *   `com.amazonaws.dynamodb.v20120810#`, as the developer guide's "Error handling with DynamoDB"
 *   shows its raw error answer; the message is the one DynamoDB sends (quoted in issue threads,
 *   e.g. apache/hadoop#1814, aws-cryptographic-material-providers-library#489). The model
 *   (@aws-sdk/client-dynamodb 3.1169: `message`, `ThrottlingReasons`) and the API reference's
 *   ThrottlingReason give the reasons list: `Table` + `Read`|`Write` + `KeyRangeThroughputExceeded`,
 *   the one reason of both capacity modes (the ledger is on demand).
 * - ThrottlingException, HTTP 400: on-demand tables' "Throughput exceeds the current capacity..."
 *   (aws/aws-sdk-java#2222, praetorian-inc/chariot-ui#684), with the `__type`
 *   `com.amazon.coral.availability#ThrottlingException` DynamoDB really sends (the test helper of
 *   dynalite, whose suite also runs against live DynamoDB, retries on exactly that string; a
 *   code search finds the same string in other clients of live services). The model has it as a client error,
 *   `message` and `throttlingReasons` (left out here, as in those answers).
 * - InternalServerError, HTTP 500: modeled (a server fault); `__type` in DynamoDB's namespace,
 *   message "Internal server error".
 * - ServiceUnavailable, HTTP 503: listed by the developer guide's error table ("DynamoDB is
 *   currently unavailable"), not in the model, no namespace documented: sent bare, as ECR's and
 *   SQS's are here. The SDK reads only the name after a `#`, so a namespace would not change it.
 * - Every DynamoDB answer carries `x-amz-crc32`; request ids are 52 characters.
 *
 * ECS (awsJson1_1, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Operation>`): throttling is
 * the common ThrottlingException, HTTP 400, "Rate exceeded", as ECS answers DescribeTasks, ListTasks
 * or DescribeTaskDefinition (wallix/awless#172, ekristen/aws-nuke#610: "StatusCode: 400 ... api error
 * ThrottlingException: Rate exceeded"); the model has no throttling error (aws/aws-sdk#821: the ECS
 * team says so, users still get it). Server errors: the modeled ServerException (500), or the common
 * ServiceUnavailable (503), sent bare as ECR's are.
 *
 * Lambda (restJson1): throttling is the modeled TooManyRequestsException, HTTP 429, body
 * `{"Reason":"CallerRateLimitExceeded","Type":"User","message":"Rate exceeded"}` (Lambda's answer as
 * quoted in fyoorer/ShadowClone#46; the model's `Reason` and `Type`; no Retry-After, which its
 * `retryAfterSeconds` would read), or the common ThrottlingException, HTTP 400, "Rate exceeded", which
 * ListFunctions also answers (aws/aws-sdk-go#3364). Server errors: the modeled ServiceException (500,
 * `Type` Service).
 */
export function errorShapes(service: FaultService, kind: 'throttling' | 'server-error', id: string, request: FaultedRequest = {}): ErrorShape[] {
  const RATE = 'Rate exceeded';
  switch (service) {
    case 'ecr': {
      const type = 'application/x-amz-json-1.1';
      return kind === 'throttling'
        ? [jsonError(400, 'ThrottlingException', RATE, id, type)]
        : [
          jsonError(500, 'ServerException', 'An internal error occurred.', id, type),
          jsonError(503, 'ServiceUnavailable', 'Service is unavailable. Try again later.', id, type),
        ];
    }
    case 'sqs': {
      const type = 'application/x-amz-json-1.0';
      const side = (queryErrorHeader: string) => ({ queryErrorHeader });
      return kind === 'throttling'
        ? [
          jsonError(403, 'com.amazonaws.sqs#RequestThrottled', RATE, id, type, side('RequestThrottled;Sender')),
          jsonError(400, 'ThrottlingException', RATE, id, type, side('ThrottlingException;Sender')),
        ]
        : [
          jsonError(500, 'InternalFailure', 'The request processing has failed because of an unknown error.', id, type, side('InternalFailure;Receiver')),
          jsonError(503, 'ServiceUnavailable', 'Service is unavailable. Try again later.', id, type, side('ServiceUnavailable;Receiver')),
        ];
    }
    case 'sns':
      return kind === 'throttling'
        ? [queryError(400, 'Sender', 'Throttling', RATE, id), queryError(429, 'Sender', 'Throttled', RATE, id)]
        : [
          queryError(500, 'Receiver', 'InternalError', 'The request processing has failed because of an unknown error.', id),
          queryError(503, 'Receiver', 'ServiceUnavailable', 'Service is unavailable. Try again later.', id),
        ];
    case 'dynamodb': {
      const type = 'application/x-amz-json-1.0';
      const ns = 'com.amazonaws.dynamodb.v20120810';
      const dynamoId = dynamoDbRequestId(id);
      const access = DYNAMODB_READS.has(request.operation ?? '') ? 'Read' : 'Write';
      return kind === 'throttling'
        ? [
          jsonError(
            400,
            `${ns}#ProvisionedThroughputExceededException`,
            'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
            dynamoId,
            type,
            { crc32: true, members: { ThrottlingReasons: [{ reason: `Table${access}KeyRangeThroughputExceeded`, resource: tableArn(request) }] } },
          ),
          jsonError(
            400,
            'com.amazon.coral.availability#ThrottlingException',
            'Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. ' +
              'If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html',
            dynamoId,
            type,
            { crc32: true },
          ),
        ]
        : [
          jsonError(500, `${ns}#InternalServerError`, 'Internal server error', dynamoId, type, { crc32: true }),
          jsonError(503, 'ServiceUnavailable', 'DynamoDB is currently unavailable. (This should be a temporary state.)', dynamoId, type, { crc32: true }),
        ];
    }
    case 'ecs': {
      const type = 'application/x-amz-json-1.1';
      return kind === 'throttling'
        ? [jsonError(400, 'ThrottlingException', RATE, id, type)]
        : [
          jsonError(500, 'ServerException', 'Service Unavailable. Please try again later.', id, type),
          jsonError(503, 'ServiceUnavailable', 'Service is unavailable. Try again later.', id, type),
        ];
    }
    case 'lambda':
      return kind === 'throttling'
        ? [
          restJsonError(429, 'TooManyRequestsException', { Reason: 'CallerRateLimitExceeded', Type: 'User', message: RATE }, id),
          restJsonError(400, 'ThrottlingException', { Type: 'User', message: RATE }, id),
        ]
        : [restJsonError(500, 'ServiceException', { Type: 'Service', message: 'An internal error occurred.' }, id)];
  }
}

/** DynamoDB's request ids: 52 characters of A-Z and 0-9 (e.g. TA7TTFE2BIFUHAH175T0GTEU6VVV4KQNSO5AEMVJF66Q9ASUAAJG), from a UUID's digits. */
function dynamoDbRequestId(uuid: string): string {
  const digits = createHash('sha256').update(uuid).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return Array.from({ length: 52 }, (_, i) => alphabet[digits[i % digits.length] % alphabet.length]).join('');
}

/** A queue URL names the proxy's own port, which changes from run to run. */
const LOOPBACK_ENDPOINT = /https?:\/\/(127\.0\.0\.1|localhost):\d+/g;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g;
/** Unix times in whole seconds, 2017 to 2033 (a DynamoDB TTL attribute): ten digits standing alone. */
const EPOCH_SECONDS = /(?<![\w.])1[5-9]\d{8}(?![\w.])/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * What identifies a request for its draw: its body, form-decoded, with ISO-8601 times, Unix
 * times in seconds, UUIDs and loopback endpoints left out. A request can carry the time of the
 * run (a report quotes when its scan completed; a ledger write its TTL), an id made for the run
 * (a ledger claim's, an event's) or a port (a queue URL), and the same request must get the
 * same draw in every run.
 */
export function drawKey(body: string): string {
  let text = body;
  try {
    text = decodeURIComponent(body.replace(/\+/g, ' '));
  } catch {
    // Not form-encoded after all: keep it as sent.
  }
  return text.replace(ISO_TIME, '<time>').replace(EPOCH_SECONDS, '<epoch>').replace(UUID, '<uuid>').replace(LOOPBACK_ENDPOINT, '<endpoint>');
}

/** The fault for a uniform draw `u` in [0, 1): the kinds take consecutive slices of the interval. */
export function drawFault(u: number, rates: FaultRates): FaultKind | undefined {
  for (const kind of FAULT_KINDS) {
    if (u < rates[kind]) return kind;
    u -= rates[kind];
  }
  return undefined;
}

/** The error code of an AWS error response: JSON `__type` (without namespace) or awsQuery `<Code>`. */
export function errorCode(body: string): string | undefined {
  try {
    const type = (JSON.parse(body) as { __type?: unknown }).__type;
    if (typeof type === 'string') return type.split('#').pop();
  } catch {
    // Not JSON: an awsQuery XML document.
  }
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
}

export class FaultProxy {
  public static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  private readonly server: Server;
  private readonly target: URL;
  private readonly agent = new Agent({ keepAlive: true });
  private readonly seen = new Map<string, number>();
  private log: ProxiedRequest[] = [];
  private enabled = true;
  private readonly startedAt = Date.now();

  private constructor(private readonly options: FaultProxyOptions) {
    const total = FAULT_KINDS.reduce((sum, kind) => sum + options.rates[kind], 0);
    if (total > 1) throw new Error(`fault rates add up to ${total}, more than 1`);
    this.target = new URL(options.target);
    this.server = createServer((req, res) => void this.handle(req, res));
    // Never close an idle keep-alive connection: a client that reuses one just as the server
    // closes it gets ECONNRESET before its request arrives, and the SDK retries an attempt this
    // proxy never saw, so the handlers' AwsRetries would exceed the retries counted here. Only
    // the drop faults close connections, each on a request the log records.
    this.server.keepAliveTimeout = 0;
  }

  /** The proxy's endpoint, for AWS_ENDPOINT_URL or a client's `endpoint`. */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every AWS request received since the last reset, in arrival order. */
  public requests(): readonly ProxiedRequest[] {
    return this.log;
  }

  /** Forgets the requests received; the fault draws go on (a request seen before stays seen). */
  public resetRequests(): void {
    this.log = [];
  }

  /** Turns injection off (everything is forwarded) or back on; requests are recorded either way. */
  public setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  /** The rates that apply to one operation. */
  public ratesFor(service: string, operation: string): FaultRates {
    const overrides = this.options.overrides ?? {};
    return { ...this.options.rates, ...overrides[operation], ...overrides[`${service}:${operation}`] };
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  /**
   * The fault (or none) and the error shape for a request, from its own PRNG draw. A REST
   * request (Lambda) names its resource in the path, so its path is part of what identifies it.
   */
  private decide(
    service: string,
    operation: string,
    body: string,
    path: string,
    region: string,
  ): { fault?: FaultKind; scripted?: boolean; shape?: ErrorShape } {
    const key = service === 'lambda' ? `${service}\n${operation}\n${drawKey(path)}\n${drawKey(body)}` : `${service}\n${operation}\n${drawKey(body)}`;
    const occurrence = this.seen.get(key) ?? 0;
    this.seen.set(key, occurrence + 1);
    const faulted: readonly string[] = this.options.services ?? DEFAULT_FAULTED_SERVICES;
    if (!this.enabled || !faulted.includes(service)) return {};
    const random = mulberry32(hash32(`${this.options.seed}\n${occurrence}\n${key}`));
    const script = this.options.script?.({ service, operation, body, path, occurrence });
    const fault = script === undefined ? drawFault(random(), this.ratesFor(service, operation)) : script ?? undefined;
    const scripted = script ? true : undefined;
    if (fault !== 'throttling' && fault !== 'server-error') return { fault, scripted };
    const shapes = errorShapes(service as FaultService, fault, requestId(random), { operation, body, region });
    return { fault, scripted, shape: shapes[Math.floor(random() * shapes.length)] };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = req.url ?? '/';
    if (path.startsWith('/_emulator/') || path.startsWith('/moto-api/')) {
      await this.forward(req, body).then(
        (answer) => this.answer(res, answer.status, answer.headers, answer.body),
        () => res.socket?.destroy(),
      );
      return;
    }
    const text = body.toString('utf8');
    const { service, operation } = identify(req, text);
    const sdkRequest = /attempt=(\d+)/.exec(header(req, 'amz-sdk-request'));
    const base = {
      service,
      operation,
      attempt: sdkRequest ? Number(sdkRequest[1]) : 1,
      // Every SDK request carries one; anything else is a call of its own.
      invocationId: header(req, 'amz-sdk-invocation-id') || `no-invocation-id-${this.log.length}`,
      body: text,
      path,
      receivedAt: Date.now() - this.startedAt,
    };
    const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(header(req, 'authorization'))?.[1] ?? '';
    const { fault, scripted, shape } = this.decide(service, operation, text, path, region);
    if (fault === 'drop') {
      this.log.push({ ...base, fault, scripted });
      req.socket.destroy();
      return;
    }
    if (shape) {
      this.log.push({ ...base, fault, scripted, code: shape.code, clientStatus: shape.status });
      this.answer(res, shape.status, shape.headers, Buffer.from(shape.body));
      return;
    }
    let answer: Awaited<ReturnType<FaultProxy['forward']>>;
    try {
      answer = await this.forward(req, body);
    } catch {
      this.log.push({ ...base });
      req.socket.destroy();
      return;
    }
    const restCode = answer.headers['x-amzn-errortype'];
    const emulatorCode = answer.status >= 400 ? errorCode(answer.body.toString('utf8')) ?? (typeof restCode === 'string' ? restCode.split(':')[0] : undefined) : undefined;
    const emulator = { emulatorStatus: answer.status, emulatorCode };
    if (fault === 'drop-after-forward') {
      this.log.push({ ...base, fault, scripted, ...emulator });
      req.socket.destroy();
      return;
    }
    this.log.push({ ...base, clientStatus: answer.status, ...emulator });
    this.answer(res, answer.status, answer.headers, answer.body);
  }

  private answer(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: Buffer): void {
    res.writeHead(status, { ...headers, 'content-length': String(body.length) });
    res.end(body);
  }

  private forward(req: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers };
      // The body is sent whole, with its own length.
      delete headers['transfer-encoding'];
      delete headers.connection;
      headers['content-length'] = String(body.length);
      const upstream = httpRequest(
        { host: this.target.hostname, port: this.target.port, method: req.method, path: req.url, headers, agent: this.agent },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const out: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined && !['transfer-encoding', 'connection', 'content-length', 'keep-alive'].includes(name)) out[name] = value;
            }
            resolve({ status: response.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
          });
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}

/** What the proxy injected and what the SDK retried, summed for a report. */
export interface FaultSummary {
  /** Requests the proxy received from SDK clients. */
  readonly requests: number;
  /** Logical SDK calls: distinct invocation ids. */
  readonly calls: number;
  /** Requests beyond the first attempt of each call: the SDK's retries. */
  readonly retries: number;
  /** Faults injected, by kind. */
  readonly byKind: Record<FaultKind, number>;
  /** Of those, faults the `script` option chose rather than the draw. */
  readonly scripted: number;
  /** Drawn faults by kind, as a share of the requests without a scripted fault. */
  readonly drawnShares: Record<FaultKind, number>;
  /** Faults injected, by `service:operation`, then kind. */
  readonly byOperation: Record<string, Partial<Record<FaultKind, number>>>;
  /** Calls whose last attempt was faulted, so the error reached the code under test, by `service:operation`. */
  readonly callsFailed: Record<string, number>;
  /**
   * Those failed calls by the number of attempts they made: MAX_ATTEMPTS when the SDK ran out of
   * attempts, fewer when its retry quota (a token bucket shared by the client) refused a retry.
   */
  readonly failedCallAttempts: Record<number, number>;
}

export function summarize(requests: readonly ProxiedRequest[]): FaultSummary {
  const byKind = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const drawn = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  let scripted = 0;
  const byOperation: Record<string, Partial<Record<FaultKind, number>>> = {};
  const calls = new Map<string, ProxiedRequest[]>();
  for (const r of requests) {
    const chain = calls.get(r.invocationId) ?? [];
    chain.push(r);
    calls.set(r.invocationId, chain);
    if (!r.fault) continue;
    byKind[r.fault]++;
    if (r.scripted) scripted++;
    else drawn[r.fault]++;
    const op = (byOperation[`${r.service}:${r.operation}`] ??= {});
    op[r.fault] = (op[r.fault] ?? 0) + 1;
  }
  const callsFailed: Record<string, number> = {};
  const failedCallAttempts: Record<number, number> = {};
  for (const chain of calls.values()) {
    const last = chain[chain.length - 1];
    if (last.fault) {
      const key = `${last.service}:${last.operation}`;
      callsFailed[key] = (callsFailed[key] ?? 0) + 1;
      failedCallAttempts[chain.length] = (failedCallAttempts[chain.length] ?? 0) + 1;
    }
  }
  const retries = requests.length - calls.size;
  const unscripted = requests.length - scripted;
  const share = (n: number) => (unscripted > 0 ? Number((n / unscripted).toFixed(3)) : 0);
  const drawnShares = Object.fromEntries(FAULT_KINDS.map((k) => [k, share(drawn[k])])) as Record<FaultKind, number>;
  return { requests: requests.length, calls: calls.size, retries, byKind, scripted, drawnShares, byOperation, callsFailed, failedCallAttempts };
}
