import type { DiscoveryPosition } from '../../src/aws/discovery';
import {
  DiscoverContinuation,
  InvalidInputError,
  MAX_CONTINUATION_PARTS,
  MAX_PENDING_DIGESTS,
  RescanMessage,
  isRepositoryName,
  parseDiscoverEvent,
  parseDispatchEvent,
  parseRescanMessage,
  parseScanEvent,
  rescanMessageBody,
} from '../../src/decisions/inputs';
import completeEvent from '../fixtures/decisions/ecr-image-scan-complete.json';
import failedEvent from '../fixtures/decisions/ecr-image-scan-failed.json';
import untaggedEvent from '../fixtures/decisions/ecr-image-scan-untagged-no-counts.json';

/** The error thrown by fn; fails the test when fn does not throw. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error, but none was thrown');
}

/** A deep copy of a fixture, for a test to change freely. */
function copy<T>(value: T): Record<string, any> {
  return JSON.parse(JSON.stringify(value));
}

const NAME_256 = ['a'.repeat(60), 'b'.repeat(60), 'c'.repeat(60), 'd'.repeat(73)].join('/');

describe('isRepositoryName', () => {
  test.each(['ab', 'team/payments-api', 'a.b_c-d', 'base-images/distroless', 'a/b/c/d', '0day', NAME_256])('%j is valid', (name) => {
    expect(isRepositoryName(name)).toBe(true);
  });

  test.each<[string, unknown]>([
    ['one character', 'a'],
    ['empty', ''],
    ['257 characters', `${NAME_256}x`],
    ['uppercase', 'Team/Payments'],
    ['leading separator', '-app'],
    ['trailing slash', 'app/'],
    ['empty path segment', 'a//b'],
    ['two separators in a row', 'a--b'],
    ['space', 'my app'],
    ['an ARN (Inspector events carry one)', 'arn:aws:ecr:us-east-1:123456789012:repository/team/app'],
    ['a number', 42],
    ['null', null],
  ])('%s is not valid', (_label, value) => {
    expect(isRepositoryName(value)).toBe(false);
  });
});

describe('parseRescanMessage', () => {
  test('a valid body', () => {
    expect(parseRescanMessage('{"repositoryName":"team/payments-api"}')).toEqual({ repositoryName: 'team/payments-api' });
  });

  test('extra fields are dropped', () => {
    expect(parseRescanMessage('{"repositoryName":"batch-worker","extra":true}')).toEqual({ repositoryName: 'batch-worker' });
  });

  test('a body written by rescanMessageBody reads back', () => {
    expect(parseRescanMessage(rescanMessageBody({ repositoryName: 'base-images/distroless' }))).toEqual({ repositoryName: 'base-images/distroless' });
  });

  test('a 256-character name is accepted', () => {
    expect(parseRescanMessage(JSON.stringify({ repositoryName: NAME_256 })).repositoryName).toBe(NAME_256);
  });

  test.each<[string, string, RegExp]>([
    ['not JSON', 'team/payments-api', /message body is not JSON: team\/payments-api/],
    ['empty body', '', /message body is not JSON/],
    ['a JSON array', '[{"repositoryName":"team/payments-api"}]', /must be a JSON object with repositoryName/],
    ['JSON null', 'null', /must be a JSON object with repositoryName: null/],
    ['a JSON number', '42', /must be a JSON object with repositoryName: 42/],
    ['a JSON string', '"team/payments-api"', /must be a JSON object with repositoryName/],
    ['repositoryName missing', '{}', /repositoryName is not a valid ECR repository name/],
    ['repositoryName misspelt', '{"repository":"team/api"}', /repositoryName is not a valid ECR repository name/],
    ['repositoryName empty', '{"repositoryName":""}', /repositoryName is not a valid ECR repository name/],
    ['repositoryName not a string', '{"repositoryName":42}', /repositoryName is not a valid ECR repository name: 42/],
    ['repositoryName invalid', '{"repositoryName":"team//api"}', /repositoryName is not a valid ECR repository name: team\/\/api/],
    ['repositoryName uppercase', '{"repositoryName":"Team/Payments"}', /repositoryName is not a valid ECR repository name: Team\/Payments/],
    ['repositoryName over 256 characters', JSON.stringify({ repositoryName: `${NAME_256}x` }), /repositoryName is not a valid ECR repository name/],
  ])('%s: InvalidInputError naming the problem', (_label, body, expected) => {
    const error = thrown(() => parseRescanMessage(body));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidInputError');
    expect(error.message).toMatch(expected);
  });

  test('a very long bad value is shortened in the message, with its length', () => {
    const body = 'x'.repeat(5000);
    const error = thrown(() => parseRescanMessage(body));
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).toContain('(5000 characters)');
  });
});

/** A valid sha256 digest, different for each n. */
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

describe('the continuation limits', () => {
  test('a walk continues at most 10,000 times; a continuation carries at most one DescribeImages page of digests', () => {
    expect(MAX_CONTINUATION_PARTS).toBe(10_000);
    expect(MAX_PENDING_DIGESTS).toBe(1000);
  });
});

describe('parseRescanMessage with a continuation', () => {
  const withContinuation = (continuation: unknown) => JSON.stringify({ repositoryName: 'team/payments-api', continuation });

  test.each<[string, Record<string, unknown>]>([
    ['a next token only', { part: 1, nextToken: 'eyJvZmZzZXQiOjEwMDB9' }],
    ['pending digests only (the last page)', { part: 2, pendingDigests: [digest(1), digest(2)] }],
    ['both', { part: 3, nextToken: 'tok', pendingDigests: [digest(3)] }],
    ['an empty digest list next to a token', { part: 1, nextToken: 'tok', pendingDigests: [] }],
    ['the last part allowed', { part: MAX_CONTINUATION_PARTS, nextToken: 'tok' }],
    ['the most digests allowed', { part: 1, pendingDigests: Array.from({ length: MAX_PENDING_DIGESTS }, (_, i) => digest(i)) }],
    ['a sha512 digest', { part: 1, pendingDigests: [`sha512:${'ab'.repeat(64)}`] }],
  ])('%s is accepted as given', (_label, continuation) => {
    expect(parseRescanMessage(withContinuation(continuation))).toEqual({ repositoryName: 'team/payments-api', continuation });
  });

  test('unknown fields of the continuation are dropped', () => {
    expect(parseRescanMessage(withContinuation({ part: 4, nextToken: 'tok', resumeAt: 'image 7' }))).toEqual({
      repositoryName: 'team/payments-api',
      continuation: { part: 4, nextToken: 'tok' },
    });
  });

  test.each<[string, unknown, RegExp]>([
    ['null', null, /^message continuation must be an object: null$/],
    ['a string', 'part 2', /^message continuation must be an object: part 2$/],
    ['a list', [{ part: 1, nextToken: 'tok' }], /^message continuation must be an object: \[/],
    ['part missing', { nextToken: 'tok' }, /^continuation\.part must be a whole number from 1 to 10000: undefined$/],
    ['part 0', { part: 0, nextToken: 'tok' }, /^continuation\.part must be a whole number from 1 to 10000: 0$/],
    ['part negative', { part: -1, nextToken: 'tok' }, /^continuation\.part must be a whole number from 1 to 10000: -1$/],
    ['part past the last', { part: MAX_CONTINUATION_PARTS + 1, nextToken: 'tok' }, /^continuation\.part must be a whole number from 1 to 10000: 10001$/],
    ['part fractional', { part: 1.5, nextToken: 'tok' }, /^continuation\.part must be a whole number from 1 to 10000: 1\.5$/],
    ['part a string', { part: '2', nextToken: 'tok' }, /^continuation\.part must be a whole number from 1 to 10000: 2$/],
    ['nextToken empty', { part: 1, nextToken: '' }, /^continuation\.nextToken must be a non-empty string: $/],
    ['nextToken a number', { part: 1, nextToken: 1000 }, /^continuation\.nextToken must be a non-empty string: 1000$/],
    ['nextToken null', { part: 1, nextToken: null }, /^continuation\.nextToken must be a non-empty string: null$/],
    ['pendingDigests a string', { part: 1, pendingDigests: digest(1) }, /^continuation\.pendingDigests must be a list of at most 1000 image digests: sha256:/],
    ['pendingDigests holding a tag', { part: 1, pendingDigests: [digest(1), 'latest'] }, /^continuation\.pendingDigests must be a list of at most 1000 image digests: \["sha256:/],
    ['pendingDigests holding a number', { part: 1, pendingDigests: [42] }, /^continuation\.pendingDigests must be a list of at most 1000 image digests: \[42\]$/],
    ['pendingDigests holding a non-hex digest', { part: 1, pendingDigests: ['sha256:xyz'] }, /pendingDigests must be a list of at most 1000 image digests/],
    [
      'pendingDigests past the limit',
      { part: 1, pendingDigests: Array.from({ length: MAX_PENDING_DIGESTS + 1 }, (_, i) => digest(i)) },
      /^continuation\.pendingDigests must be a list of at most 1000 image digests: .*\(\d+ characters\)$/,
    ],
    ['nothing to resume (part only)', { part: 1 }, /^continuation has nothing to resume: it needs nextToken or pendingDigests: \{"part":1\}$/],
    ['nothing to resume (empty digests, no token)', { part: 2, pendingDigests: [] }, /^continuation has nothing to resume: .*"pendingDigests":\[\]/],
  ])('%s: InvalidInputError naming the field', (_label, continuation, expected) => {
    const error = thrown(() => parseRescanMessage(withContinuation(continuation)));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(expected);
  });

  test('with a bad name and a bad continuation, the name is the one reported', () => {
    expect(thrown(() => parseRescanMessage(JSON.stringify({ repositoryName: 'Bad Name', continuation: { part: 0 } }))).message).toMatch(
      /repositoryName is not a valid ECR repository name: Bad Name/,
    );
  });

  test.each<[string, RescanMessage]>([
    ['no continuation', { repositoryName: 'team/payments-api' }],
    ['a token', { repositoryName: 'team/payments-api', continuation: { part: 1, nextToken: 'eyJvZmZzZXQiOjEwMDB9' } }],
    ['digests', { repositoryName: 'a/b', continuation: { part: 7, pendingDigests: [digest(5), digest(6)] } }],
    ['both', { repositoryName: 'base-images/distroless', continuation: { part: MAX_CONTINUATION_PARTS, nextToken: 't', pendingDigests: [digest(9)] } }],
  ])('round trip through rescanMessageBody: %s', (_label, message) => {
    const body = rescanMessageBody(message);
    expect(parseRescanMessage(body)).toEqual(message);
    // The body names exactly what the message holds: no continuation key without one.
    expect(Object.keys(JSON.parse(body))).toEqual(message.continuation ? ['repositoryName', 'continuation'] : ['repositoryName']);
  });

  test('a continuation of the most pending digests stays below the SQS message limit', () => {
    const body = rescanMessageBody({
      repositoryName: `${'a'.repeat(255)}b`,
      continuation: { part: MAX_CONTINUATION_PARTS, nextToken: 'x'.repeat(2048), pendingDigests: Array.from({ length: MAX_PENDING_DIGESTS }, (_, i) => digest(i)) },
    });
    expect(Buffer.byteLength(body, 'utf8')).toBeLessThan(256 * 1024);
  });
});

describe('parseDispatchEvent', () => {
  test.each<[string, unknown]>([
    ['the schedule\'s event', { 'version': '0', 'source': 'aws.events', 'detail-type': 'Scheduled Event', 'detail': {} }],
    ['an empty test event', {}],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'run now'],
    ['a number', 42],
    ['a list', [{ continuation: { part: 1, nextToken: 'tok' } }]],
    ['an object with other fields', { nextToken: 'tok', part: 2 }],
  ])('%s is a full dispatch: no continuation', (_label, event) => {
    expect(parseDispatchEvent(event)).toBeUndefined();
  });

  test.each<[string, Record<string, unknown>]>([
    ['part 1', { part: 1, nextToken: 'eyJvZmZzZXQiOjEwMDB9' }],
    ['the last part', { part: MAX_CONTINUATION_PARTS, nextToken: 'tok' }],
  ])('a valid continuation (%s) is returned', (_label, continuation) => {
    expect(parseDispatchEvent({ continuation })).toEqual(continuation);
  });

  test('unknown fields of the continuation are dropped', () => {
    expect(parseDispatchEvent({ continuation: { part: 2, nextToken: 'tok', pendingDigests: [digest(1)] } })).toEqual({ part: 2, nextToken: 'tok' });
  });

  test.each<[string, unknown, RegExp]>([
    ['null', null, /^dispatch continuation must be an object: null$/],
    ['a string', 'tok', /^dispatch continuation must be an object: tok$/],
    ['a list', [], /^dispatch continuation must be an object: \[\]$/],
    ['part missing', { nextToken: 'tok' }, /^continuation\.part must be a whole number from 1 to 10000: undefined$/],
    ['part 0', { part: 0, nextToken: 'tok' }, /^continuation\.part must be a whole number from 1 to 10000: 0$/],
    ['part past the last', { part: 10_001, nextToken: 'tok' }, /^continuation\.part must be a whole number from 1 to 10000: 10001$/],
    ['nextToken empty', { part: 1, nextToken: '' }, /^continuation\.nextToken must be a non-empty string: $/],
    ['nextToken not a string', { part: 1, nextToken: { offset: 1000 } }, /^continuation\.nextToken must be a non-empty string: \{"offset":1000\}$/],
    ['nextToken missing', { part: 3 }, /^dispatch continuation needs nextToken: \{"part":3\}$/],
  ])('%s: InvalidInputError naming the field', (_label, continuation, expected) => {
    const error = thrown(() => parseDispatchEvent({ continuation }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(expected);
  });
});

describe('parseDiscoverEvent', () => {
  const STARTED = '2026-12-01T03:00:00.000Z';
  const CLUSTER = (name: string) => `arn:aws:ecs:eu-west-1:123456789012:cluster/${name}`;

  test.each<[string, unknown]>([
    ['the schedule\'s event', { 'version': '0', 'source': 'aws.events', 'detail-type': 'Scheduled Event', 'detail': {} }],
    ['an empty test event', {}],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'discover'],
    ['a list', [{ continuation: { part: 1, startedAt: STARTED, phase: 'ecs' } }]],
    ['an object with other fields', { part: 2, phase: 'lambda' }],
  ])('%s starts a discovery: no continuation', (_label, event) => {
    expect(parseDiscoverEvent(event)).toBeUndefined();
  });

  // What the function sends itself: the walk's position, the discovery's start and the next part (discover.lambda.ts).
  test.each<[string, DiscoveryPosition]>([
    ['ECS, clusters not yet listed', { phase: 'ecs' }],
    ['ECS, clusters left on this page and a page after', { phase: 'ecs', pendingClusters: [CLUSTER('prod'), CLUSTER('jobs')], clustersToken: 'eyJjbHVzdGVycyI6MTAwfQ==' }],
    ['ECS, the last page of clusters listed', { phase: 'ecs', pendingClusters: [CLUSTER('prod')], clustersListed: true }],
    ['ECS, clusters listed and none left', { phase: 'ecs', pendingClusters: [], clustersListed: false, clustersToken: 'tok' }],
    ['Lambda, the first page', { phase: 'lambda' }],
    ['Lambda, a later page', { phase: 'lambda', functionsMarker: 'resize-images' }],
  ])('round trip of a continuation: %s', (_label, position) => {
    const sent = JSON.parse(JSON.stringify({ continuation: { ...position, startedAt: new Date(STARTED).toISOString(), part: 7 } }));
    const expected: DiscoverContinuation = { ...position, startedAt: new Date(STARTED), part: 7 };
    expect(parseDiscoverEvent(sent)).toEqual(expected);
  });

  test('the part limits are those of every continuation', () => {
    expect(parseDiscoverEvent({ continuation: { part: MAX_CONTINUATION_PARTS, startedAt: STARTED, phase: 'lambda' } })?.part).toBe(MAX_CONTINUATION_PARTS);
  });

  test('unknown fields of the continuation are dropped', () => {
    expect(parseDiscoverEvent({ continuation: { part: 1, startedAt: STARTED, phase: 'lambda', nextToken: 'x', seen: 3 } })).toEqual({ part: 1, startedAt: new Date(STARTED), phase: 'lambda' });
  });

  const valid = { part: 2, startedAt: STARTED, phase: 'ecs' };
  test.each<[string, unknown, string]>([
    ['null', null, 'discovery continuation must be an object: null'],
    ['a string', 'ecs', 'discovery continuation must be an object: ecs'],
    ['a list', [valid], `discovery continuation must be an object: ${JSON.stringify([valid])}`],
    ['part missing', { ...valid, part: undefined }, 'continuation.part must be a whole number from 1 to 10000: undefined'],
    ['part 0', { ...valid, part: 0 }, 'continuation.part must be a whole number from 1 to 10000: 0'],
    ['part past the last', { ...valid, part: 10_001 }, 'continuation.part must be a whole number from 1 to 10000: 10001'],
    ['part fractional', { ...valid, part: 2.5 }, 'continuation.part must be a whole number from 1 to 10000: 2.5'],
    ['startedAt missing', { ...valid, startedAt: undefined }, 'continuation.startedAt must be an ISO-8601 time: undefined'],
    ['startedAt a date without a time', { ...valid, startedAt: '2026-12-01' }, 'continuation.startedAt must be an ISO-8601 time: 2026-12-01'],
    ['startedAt an impossible time', { ...valid, startedAt: '2026-13-01T00:00:00Z' }, 'continuation.startedAt must be an ISO-8601 time: 2026-13-01T00:00:00Z'],
    ['startedAt in words', { ...valid, startedAt: 'this morning' }, 'continuation.startedAt must be an ISO-8601 time: this morning'],
    ['startedAt as epoch milliseconds', { ...valid, startedAt: 1764558000000 }, 'continuation.startedAt must be an ISO-8601 time: 1764558000000'],
    ['phase missing', { ...valid, phase: undefined }, 'continuation.phase must be "ecs" or "lambda": undefined'],
    ['phase unknown', { ...valid, phase: 'eks' }, 'continuation.phase must be "ecs" or "lambda": eks'],
    ['phase in upper case', { ...valid, phase: 'ECS' }, 'continuation.phase must be "ecs" or "lambda": ECS'],
    ['pendingClusters a string', { ...valid, pendingClusters: CLUSTER('prod') }, `continuation.pendingClusters must be a list of at most 100 cluster ARNs: ${CLUSTER('prod')}`],
    ['pendingClusters holding an empty string', { ...valid, pendingClusters: [CLUSTER('prod'), ''] }, `continuation.pendingClusters must be a list of at most 100 cluster ARNs: ["${CLUSTER('prod')}",""]`],
    ['pendingClusters holding a number', { ...valid, pendingClusters: [1] }, 'continuation.pendingClusters must be a list of at most 100 cluster ARNs: [1]'],
    [
      'pendingClusters past one ListClusters page',
      { ...valid, pendingClusters: Array.from({ length: 101 }, (_, i) => `c${i}`) },
      `continuation.pendingClusters must be a list of at most 100 cluster ARNs: ${JSON.stringify(Array.from({ length: 101 }, (_, i) => `c${i}`)).slice(0, 200)}... (${JSON.stringify(Array.from({ length: 101 }, (_, i) => `c${i}`)).length} characters)`,
    ],
    ['clustersListed a string', { ...valid, clustersListed: 'true' }, 'continuation.clustersListed must be a boolean: true'],
    ['clustersListed null', { ...valid, clustersListed: null }, 'continuation.clustersListed must be a boolean: null'],
    ['clustersToken empty', { ...valid, clustersToken: '' }, 'continuation.clustersToken must be a non-empty string: '],
    ['clustersToken a number', { ...valid, clustersToken: 100 }, 'continuation.clustersToken must be a non-empty string: 100'],
    ['functionsMarker empty', { ...valid, phase: 'lambda', functionsMarker: '' }, 'continuation.functionsMarker must be a non-empty string: '],
    ['functionsMarker an object', { ...valid, phase: 'lambda', functionsMarker: { marker: 'x' } }, 'continuation.functionsMarker must be a non-empty string: {"marker":"x"}'],
  ])('%s: InvalidInputError naming the field', (_label, continuation, expected) => {
    const error = thrown(() => parseDiscoverEvent({ continuation }));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toBe(expected);
  });

  test('the pending clusters allowed: one ListClusters page of 100', () => {
    const pendingClusters = Array.from({ length: 100 }, (_, i) => CLUSTER(`c${i}`));
    expect(parseDiscoverEvent({ continuation: { ...valid, pendingClusters } })?.pendingClusters).toEqual(pendingClusters);
  });
});

describe('parseScanEvent with real events', () => {
  test('a COMPLETE event with tags and counts', () => {
    expect(parseScanEvent(completeEvent)).toEqual({
      eventId: '85fc3613-e913-7fc4-a80c-a3753e4aa9ae',
      accountId: '123456789012',
      region: 'us-east-1',
      time: new Date('2026-11-26T02:36:48Z'),
      repositoryName: 'team/payments-api',
      imageDigest: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678',
      imageTags: ['v1.4.2', 'latest'],
      scanStatus: 'COMPLETE',
      rawSeverityCounts: { CRITICAL: 2, HIGH: 3, MEDIUM: 9, LOW: 14 },
      ignoredTags: 0,
    });
  });

  test('a FAILED event without counts', () => {
    const event = parseScanEvent(failedEvent);
    expect(event.scanStatus).toBe('FAILED');
    expect(event.repositoryName).toBe('batch-worker');
    expect(event.region).toBe('eu-west-1');
    expect(event.imageTags).toEqual(['2026.11.26']);
    expect(event.rawSeverityCounts).toBeUndefined();
  });

  test('an untagged event: image-tags [] and no finding-severity-counts', () => {
    const event = parseScanEvent(untaggedEvent);
    expect(event.imageTags).toEqual([]);
    expect(event.rawSeverityCounts).toBeUndefined();
    expect(event.repositoryName).toBe('base-images/distroless');
    expect(event.scanStatus).toBe('COMPLETE');
  });

  test('an event without an id is known by what it says: the same for each retry, different for another scan', () => {
    const { id: _id, ...withoutId } = copy(completeEvent) as Record<string, any>;
    const first = parseScanEvent(withoutId).eventId;
    expect(first).toBe('team/payments-api@sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd12345678/COMPLETE/2026-11-26T02:36:48.000Z');
    expect(parseScanEvent(copy(withoutId)).eventId).toBe(first);
    expect(parseScanEvent({ ...withoutId, time: '2026-12-03T02:36:48Z' }).eventId).not.toBe(first);
    expect(parseScanEvent({ ...withoutId, id: '' }).eventId).toBe(first);
  });

  test('the event passed in is not modified', () => {
    const event = copy(completeEvent);
    parseScanEvent(event);
    expect(event).toEqual(copy(completeEvent));
  });
});

describe('parseScanEvent image-tags', () => {
  test.each<[string, unknown, string[], number]>([
    ['absent', undefined, [], 0],
    ['null', null, [], 0],
    ['[]', [], [], 0],
    ['one tag', ['latest'], ['latest'], 0],
    ['non-string and empty entries are dropped, and counted', ['v1', 42, null, '', { tag: 'x' }, 'latest'], ['v1', 'latest'], 4],
  ])('%s', (_label, tags, expected, ignored) => {
    const event = copy(completeEvent);
    if (tags === undefined) delete event.detail['image-tags'];
    else event.detail['image-tags'] = tags;
    expect(parseScanEvent(event).imageTags).toEqual(expected);
    expect(parseScanEvent(event).ignoredTags).toBe(ignored);
  });
});

describe('parseScanEvent time', () => {
  test.each<[string, unknown]>([
    ['absent', undefined],
    ['not a date', 'yesterday-ish'],
    ['a number', 1764124608],
  ])('%s: no time, no error', (_label, time) => {
    const event = copy(completeEvent);
    if (time === undefined) delete event.time;
    else event.time = time;
    expect(parseScanEvent(event).time).toBeUndefined();
  });
});

describe('parseScanEvent rejects', () => {
  type Change = (event: Record<string, any>) => void;
  test.each<[string, Change, RegExp[]]>([
    ['wrong source (Inspector)', (e) => { e.source = 'aws.inspector2'; }, [/source/, /aws\.inspector2/]],
    ['missing source', (e) => { delete e.source; }, [/source/]],
    ['wrong detail-type', (e) => { e['detail-type'] = 'ECR Image Action'; }, [/detail-type/, /ECR Image Action/]],
    ['missing detail-type', (e) => { delete e['detail-type']; }, [/detail-type/]],
    ['missing detail', (e) => { delete e.detail; }, [/detail is missing/]],
    ['null detail', (e) => { e.detail = null; }, [/detail is missing/]],
    ['string detail', (e) => { e.detail = 'COMPLETE'; }, [/detail is missing or not an object/]],
    ['missing repository-name', (e) => { delete e.detail['repository-name']; }, [/detail\.repository-name/]],
    ['uppercase repository-name', (e) => { e.detail['repository-name'] = 'Team/Payments'; }, [/detail\.repository-name/, /Team\/Payments/]],
    [
      'an ARN as repository-name',
      (e) => { e.detail['repository-name'] = 'arn:aws:ecr:us-east-1:123456789012:repository/team/payments-api'; },
      [/detail\.repository-name/],
    ],
    ['missing image-digest', (e) => { delete e.detail['image-digest']; }, [/detail\.image-digest/]],
    ['a tag as image-digest', (e) => { e.detail['image-digest'] = 'latest'; }, [/detail\.image-digest/, /latest/]],
    ['non-hex image-digest', (e) => { e.detail['image-digest'] = 'sha256:not-hex'; }, [/detail\.image-digest/, /sha256:not-hex/]],
    ['empty image-digest', (e) => { e.detail['image-digest'] = ''; }, [/detail\.image-digest/]],
    ['missing scan-status', (e) => { delete e.detail['scan-status']; }, [/detail\.scan-status/]],
    ['empty scan-status', (e) => { e.detail['scan-status'] = ''; }, [/detail\.scan-status/]],
    ['numeric scan-status', (e) => { e.detail['scan-status'] = 1; }, [/detail\.scan-status/]],
    ['image-tags a string', (e) => { e.detail['image-tags'] = 'latest'; }, [/detail\.image-tags must be a list/, /latest/]],
    ['image-tags an object', (e) => { e.detail['image-tags'] = { 0: 'latest' }; }, [/detail\.image-tags must be a list/]],
    ['missing account', (e) => { delete e.account; }, [/account/, /region/]],
    ['short account', (e) => { e.account = '1234'; }, [/account/, /1234/]],
    ['missing region', (e) => { delete e.region; }, [/account/, /region/]],
    ['empty region', (e) => { e.region = ''; }, [/region/]],
  ])('%s: InvalidInputError naming the field', (_label, change, expected) => {
    const event = copy(completeEvent);
    change(event);
    const error = thrown(() => parseScanEvent(event));
    expect(error).toBeInstanceOf(InvalidInputError);
    for (const pattern of expected) {
      expect(error.message).toMatch(pattern);
    }
  });

  test.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['a string', '{"source":"aws.ecr"}'],
    ['a number', 42],
  ])('an event that is not an object (%s)', (_label, event) => {
    const error = thrown(() => parseScanEvent(event));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/event is not an object/);
  });

  test('an array is not an ECR event', () => {
    const error = thrown(() => parseScanEvent([completeEvent]));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.message).toMatch(/source/);
  });
});
